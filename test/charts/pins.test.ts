/**
 * The one table of chart pins (components/charts.ts): well-formed, present in the shared offline
 * mirror, and the only place in the program that names a chart version or a chart repository.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CHART_PINS, type ChartPin } from "../../components/charts";
import { readChart, untgz } from "./helm";

const ROOT = path.resolve(__dirname, "..", "..");
const SHARED_MIRROR = path.resolve(ROOT, "..", "shared", "charts");
const PINS: [string, ChartPin][] = Object.entries(CHART_PINS);
const TODAY = "2026-12-02";

/** appVersion of a chart archive (Chart.yaml). */
function readChartAppVersion(file: string): string {
  const chart = [...untgz(file).entries()].find(([f]) => /^[^/]+\/Chart\.yaml$/.test(f))![1].toString("utf8");
  return String((parse(chart) as { appVersion: unknown }).appVersion);
}

describe("chart pins", () => {
  it("every pin is an exact version from an https repository, checked on a real date", () => {
    expect(PINS.length).toBeGreaterThanOrEqual(14);
    for (const [key, p] of PINS) {
      expect(p.version, key).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect(p.repo, key).toMatch(/^https:\/\/[a-z0-9.-]+\.[a-z]{2,}(\/[\w./-]*)?$/);
      expect(p.chart, key).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(p.checked, key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Number.isNaN(Date.parse(p.checked)), key).toBe(false);
      expect(p.checked <= TODAY || p.checked <= new Date().toISOString().slice(0, 10), `${key}: checked in the future`).toBe(true);
    }
    // One pin per chart: two versions of one chart would be two truths.
    expect(new Set(PINS.map(([, p]) => p.chart)).size).toBe(PINS.length);
  });

  it("every pinned chart@version exists in the shared mirror's index.yaml, and its archive is that chart", () => {
    const index = parse(fs.readFileSync(path.join(SHARED_MIRROR, "index.yaml"), "utf8")) as { entries: Record<string, { version: string; urls: string[] }[]> };
    const missing: string[] = [];
    for (const [, p] of PINS) {
      const entry = index.entries[p.chart]?.find((e) => e.version === p.version);
      if (!entry) {
        missing.push(`${p.chart}@${p.version} (mirror has: ${(index.entries[p.chart] ?? []).map((e) => e.version).join(", ") || "none"})`);
        continue;
      }
      const archive = path.resolve(SHARED_MIRROR, entry.urls[0]!);
      expect(fs.existsSync(archive), archive).toBe(true);
      const c = readChart(archive);
      expect(`${c.name}@${c.version}`).toBe(`${p.chart}@${p.version}`);
    }
    expect(missing).toEqual([]);
  });

  it("prometheus-operator-crds carries the same CRDs, at the same operator version, as kube-prometheus-stack", () => {
    const index = parse(fs.readFileSync(path.join(SHARED_MIRROR, "index.yaml"), "utf8")) as { entries: Record<string, { version: string; urls: string[] }[]> };
    const archive = (p: ChartPin) => path.resolve(SHARED_MIRROR, index.entries[p.chart]!.find((e) => e.version === p.version)!.urls[0]!);
    // CRD file name → operator version annotation, from every CRD file of the archive (templates or crds/, subcharts included).
    const crds = (p: ChartPin) => {
      const out = new Map<string, string>();
      for (const [f, b] of untgz(archive(p))) {
        const name = /\/(crd-[a-z]+\.yaml)$/.exec(f)?.[1];
        if (!name) continue;
        const v = /operator\.prometheus\.io\/version:\s*"?([\w.]+)/.exec(b.toString("utf8"))?.[1];
        out.set(name, v ?? "none");
      }
      return out;
    };
    const fromCrdsChart = crds(CHART_PINS.prometheusOperatorCrds);
    const fromStack = crds(CHART_PINS.kubePrometheusStack);
    expect(fromCrdsChart.size).toBeGreaterThanOrEqual(10);
    expect([...fromCrdsChart.entries()].sort()).toEqual([...fromStack.entries()].sort());
    expect(new Set(fromCrdsChart.values()).size).toBe(1);
    expect(`v${[...fromCrdsChart.values()][0]}`).toBe(readChartAppVersion(archive(CHART_PINS.kubePrometheusStack)));
  });

  it("no other file of the program names a pinned chart version or a chart repository URL", () => {
    // The program and its hand-written docs; not tests/fixtures (their own data), not the
    // generated docs (docs/blueprints, docs/environments.md: rendered from the pins by `npm run docs`),
    // not other teams' tools.
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => f && fs.existsSync(path.join(ROOT, f)))
      .filter((f) => /^(components|stacks|blueprints|policies\/(?!node_modules)[^/]+\.ts$)/.test(f) || f === "index.ts" || f === "README.md" || /^docs\/(?!blueprints\/|environments\.md)[^/]+\.md$/.test(f))
      .filter((f) => f !== "components/charts.ts" && !/\.schema\.json$/.test(f));
    expect(files).toContain("components/cluster/addons.ts");
    const needles = PINS.flatMap(([key, p]) => [
      { key, what: `version ${p.version}`, re: new RegExp(`(?<![\\w.])${p.version.replace(/\./g, "\\.")}(?![\\w.])`) },
      { key, what: `repository ${p.repo}`, re: new RegExp(p.repo.replace(/\/$/, "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")) },
    ]);
    const hits: string[] = [];
    for (const f of files) {
      const lines = fs.readFileSync(path.join(ROOT, f), "utf8").split("\n");
      lines.forEach((line, i) => {
        for (const n of needles) if (n.re.test(line)) hits.push(`${f}:${i + 1}: ${n.key} ${n.what}: ${line.trim().slice(0, 140)}`);
        // Any chart pin written next to a chart name, whether or not it is in the table.
        if (/\bchart\s*:\s*["'`][^"'`]+["'`][^}\n]*\bversion\s*:\s*["'`]v?\d+\.\d+\.\d+/.test(line) || /\bversion\s*:\s*["'`]v?\d+\.\d+\.\d+[^}\n]*\bchart\s*:\s*["'`]/.test(line)) {
          hits.push(`${f}:${i + 1}: a chart pinned outside components/charts.ts: ${line.trim().slice(0, 140)}`);
        }
        if (/repositoryOpts/.test(line) && /\.ts$/.test(f)) hits.push(`${f}:${i + 1}: repositoryOpts outside helmChartSource: ${line.trim().slice(0, 140)}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it("every file that creates a Helm release takes its chart source from helmChartSource", () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "components", "stacks"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => /\.ts$/.test(f) && fs.existsSync(path.join(ROOT, f)));
    const creating = files.filter((f) => /new k8s\.helm\.v[34]\.(Release|Chart)\(/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(creating.length).toBeGreaterThanOrEqual(4);
    for (const f of creating) {
      const text = fs.readFileSync(path.join(ROOT, f), "utf8");
      expect(text, f).toMatch(/\.\.\.helmChartSource\(/);
      expect(text, f).not.toMatch(/^\s*(chart|version):\s*(["'`]|[\w.]+\.(chart|version)\b)/m);
    }
  });
});
