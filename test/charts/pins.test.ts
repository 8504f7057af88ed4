/**
 * The one table of chart pins (components/charts.ts): well-formed, present in the shared offline
 * mirror, and the only place in the program that names a chart version or a chart repository.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CHART_PINS, VERSION_PINS, type ChartPin } from "../../components/charts";
import { readChart, untgz } from "./helm";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const ROOT = path.resolve(__dirname, "..", "..");
const SHARED_MIRROR = CHARTS_MIRROR;
const PINS: [string, ChartPin][] = Object.entries(CHART_PINS);
const VERSIONS = Object.entries(VERSION_PINS);
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
      .filter(
        (f) =>
          /^(components|stacks|blueprints|policies\/(?!node_modules)[^/]+\.ts$)/.test(f) ||
          f === "index.ts" ||
          f === "README.md" ||
          /^docs\/(?!blueprints\/|environments\.md)[^/]+\.md$/.test(f),
      )
      .filter((f) => f !== "components/charts.ts" && !/\.schema\.json$/.test(f));
    expect(files).toContain("components/cluster/addons.ts");
    const needles = PINS.flatMap(([key, p]) => [
      { key, what: `version ${p.version}`, re: new RegExp(`(?<![\\w.])${p.version.replace(/\./g, "\\.")}(?![\\w.])`) },
      { key, what: `repository ${p.repo}`, re: new RegExp(p.repo.replace(/\/$/, "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")) },
    ]);
    // The add-on, image and engine pins: their exact value as a quoted literal (images also bare).
    const esc = (v: string) => v.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    for (const [key, v] of VERSIONS) {
      needles.push({
        key,
        what: `${v.kind} ${v.value}`,
        re: v.kind === "image" ? new RegExp(`(?<![\\w.:/-])${esc(v.value)}(?![\\w.-])`) : new RegExp(`["'\`]${esc(v.value)}["'\`]`),
      });
    }
    const hits: string[] = [];
    for (const f of files) {
      const lines = fs.readFileSync(path.join(ROOT, f), "utf8").split("\n");
      lines.forEach((line, i) => {
        for (const n of needles) if (n.re.test(line)) hits.push(`${f}:${i + 1}: ${n.key} ${n.what}: ${line.trim().slice(0, 140)}`);
        // Any chart pin written next to a chart name, whether or not it is in the table.
        if (
          /\bchart\s*:\s*["'`][^"'`]+["'`][^}\n]*\bversion\s*:\s*["'`]v?\d+\.\d+\.\d+/.test(line) ||
          /\bversion\s*:\s*["'`]v?\d+\.\d+\.\d+[^}\n]*\bchart\s*:\s*["'`]/.test(line)
        ) {
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

  it("add-on, image and engine pins: one table, dated, each verified or saying why not, no value twice", () => {
    expect(VERSIONS.length).toBeGreaterThanOrEqual(20);
    for (const [key, v] of VERSIONS) {
      expect(v.checked, key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(v.checked <= new Date().toISOString().slice(0, 10), `${key}: checked in the future`).toBe(true);
      expect(v.evidence, key).toMatch(/^(verified|unverified): \S.{10,}/);
      if (v.kind === "eks-addon") expect(v.value, key).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
      if (v.kind === "image") expect(v.value, key).toMatch(/^[a-z0-9.-]+(\/[a-z0-9._-]+)*:[\w][\w.-]*$/);
    }
    // Two rows with one value would be two truths about one thing (redis and postgres 16 were each
    // pinned twice before: components/data and components/host).
    const byValue = new Map<string, string[]>();
    for (const [key, v] of VERSIONS) byValue.set(v.value, [...(byValue.get(v.value) ?? []), key]);
    expect([...byValue.entries()].filter(([, keys]) => keys.length > 1)).toEqual([]);
    // A chart pin and a version pin never name the same version of the same thing.
    for (const [key, v] of VERSIONS) for (const [, p] of PINS) expect(v.value === `${p.chart}:${p.version}`, key).toBe(false);
  });

  it("the rows marked verified by a chart's appVersion or default image match that chart in the mirror", () => {
    const index = parse(fs.readFileSync(path.join(SHARED_MIRROR, "index.yaml"), "utf8")) as { entries: Record<string, { version: string; urls: string[] }[]> };
    const archive = (p: ChartPin) => path.resolve(SHARED_MIRROR, index.entries[p.chart]!.find((e) => e.version === p.version)!.urls[0]!);
    const tag = (image: string) => image.slice(image.lastIndexOf(":") + 1).replace(/^v/, "");
    const repoOf = (image: string) => image.slice(0, image.lastIndexOf(":"));
    const bare = (v: string) => v.replace(/^v/, "");
    expect(tag(VERSION_PINS.fluentBit.value)).toBe(bare(readChartAppVersion(archive(CHART_PINS.fluentBit))));
    expect(tag(VERSION_PINS.loki.value)).toBe(bare(readChartAppVersion(archive(CHART_PINS.loki))));
    // The collector's chart runs otel/opentelemetry-collector-contrib at its appVersion (our values set that repository).
    expect(VERSION_PINS.otelCollector.value).toBe(`otel/opentelemetry-collector-contrib:${bare(readChartAppVersion(archive(CHART_PINS.otelCollector)))}`);
    // kube-prometheus-stack: the droplet/local Prometheus is the version the operator tiers run (the
    // chart's default prometheusSpec image without its -distroless suffix), node-exporter its subchart's.
    const kps = untgz(archive(CHART_PINS.kubePrometheusStack));
    const file = (re: RegExp) => [...kps.entries()].find(([f]) => re.test(f))![1].toString("utf8");
    const values = parse(file(/^kube-prometheus-stack\/values\.yaml$/)) as {
      prometheus: { prometheusSpec: { image: { registry: string; repository: string; tag: string } } };
    };
    const img = values.prometheus.prometheusSpec.image;
    expect(VERSION_PINS.prometheus.value).toBe(`${img.registry}/${img.repository}:${img.tag.replace(/-distroless$/, "")}`);
    const ne = parse(file(/^kube-prometheus-stack\/charts\/prometheus-node-exporter\/Chart\.yaml$/)) as { appVersion: string };
    const neValues = parse(file(/^kube-prometheus-stack\/charts\/prometheus-node-exporter\/values\.yaml$/)) as {
      image: { registry: string; repository: string };
    };
    expect(repoOf(VERSION_PINS.nodeExporter.value)).toBe(`${neValues.image.registry}/${neValues.image.repository}`);
    expect(tag(VERSION_PINS.nodeExporter.value)).toBe(bare(ne.appVersion));
    // Every other verified row cites a public source with its date.
    const byChart = ["fluentBit", "loki", "otelCollector", "prometheus", "nodeExporter"];
    for (const [key, v] of VERSIONS) {
      if (!v.evidence.startsWith("verified:") || byChart.includes(key)) continue;
      expect(v.evidence, key).toMatch(/^verified: https:\/\/\S+ \((read )?\d{4}-\d{2}-\d{2}[^)]*\)/);
    }
    for (const key of byChart) expect(VERSION_PINS[key as keyof typeof VERSION_PINS].evidence, key).toMatch(/^verified: /);
  });

  it("no program file (.ts under components/ and stacks/) writes an image reference of its own outside the pin table", () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "components", "stacks"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => /\.ts$/.test(f) && f !== "components/charts.ts" && fs.existsSync(path.join(ROOT, f)));
    const image = /["'`]((?:[a-z0-9.-]+\/)*[a-z0-9._-]+:v?\d+(?:\.\d+)+[\w.-]*)["'`]/g;
    const hits: string[] = [];
    for (const f of files) {
      fs.readFileSync(path.join(ROOT, f), "utf8")
        .split("\n")
        .forEach((line, i) => {
          for (const m of line.matchAll(image)) if (!/\/acme\/|example/.test(m[1]!)) hits.push(`${f}:${i + 1}: ${m[1]}`);
        });
    }
    expect(hits).toEqual([]);
  });
});
