/**
 * `platform:charts.mirror` (and PLATFORM_CHARTS_MIRROR): validated before anything is registered,
 * and every Helm release takes its chart source from helmChartSource — official repository,
 * an HTTP(S) chart repository mirror, or the archive a directory mirror's index.yaml lists.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { CHART_PINS, chartNameOf, helmChartSource, parseMirrorSetting, pinId, readDirectoryMirror } from "../../components/charts";
import { SpecError } from "../../stacks/spec/errors";
import { CHARTS_MIRROR_ENV, PROJECT_DIR, loadSpec } from "../../stacks/spec/load";
import { ProgramError } from "../../tools/harness/run";
import { readStackFile, runStackInput, withPlaceholderSecrets } from "../../tools/harness/stacks";
import { richBlueprint, richConfig } from "../spec/fixtures";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

// These tests set the mirror themselves; an exported PLATFORM_CHARTS_MIRROR (e.g. for the render test) must not leak in.
delete process.env[CHARTS_MIRROR_ENV];
const SHARED = CHARTS_MIRROR;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const pins = Object.values(CHART_PINS);

function load(config: Record<string, unknown>, env: Record<string, string | undefined> = {}) {
  return loadSpec({ stack: "prod", config, blueprint: richBlueprint(), env });
}
function issues(config: Record<string, unknown>, env: Record<string, string | undefined> = {}) {
  try {
    load(config, env);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).issues.map((i) => `${i.file}: ${i.path}: ${i.message}`);
  }
  throw new Error("expected the spec to be rejected");
}
const withMirror = (mirror: unknown) => ({ ...richConfig(), charts: { mirror } });

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmpDir = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
};

/** A copy of the shared mirror's index (archives referenced in place) with `edit` applied. */
function mirrorCopy(edit: (index: any) => void = () => {}): string {
  const dir = tmpDir("mirror-");
  const index = parse(fs.readFileSync(path.join(SHARED, "index.yaml"), "utf8"));
  for (const versions of Object.values<any[]>(index.entries))
    for (const v of versions) v.urls = v.urls.map((u: string) => path.relative(dir, path.join(SHARED, u)));
  edit(index);
  fs.writeFileSync(path.join(dir, "index.yaml"), stringify(index));
  return dir;
}

describe("helmChartSource: one function decides every release's chart source", () => {
  const pin = CHART_PINS.traefik;
  it("official: chart name + version + the chart's own repository", () => {
    expect(helmChartSource(pin)).toEqual({ chart: "traefik", version: pin.version, repositoryOpts: { repo: pin.repo } });
    expect(helmChartSource(pin, { kind: "official" })).toEqual(helmChartSource(pin));
  });
  it("HTTP(S) mirror: chart name + version, repositoryOpts.repo = the mirror", () => {
    expect(helmChartSource(pin, { kind: "repository", url: "https://charts.example.com/helm" })).toEqual({
      chart: "traefik",
      version: pin.version,
      repositoryOpts: { repo: "https://charts.example.com/helm" },
    });
  });
  it("directory mirror: chart = the absolute archive path from index.yaml, no repositoryOpts", () => {
    const m = readDirectoryMirror(SHARED);
    expect(m.problems).toEqual([]);
    const src = helmChartSource(pin, m.mirror!);
    expect(src).toEqual({ chart: path.join(SHARED, `traefik-${pin.version}.tgz`), version: pin.version });
    expect(src.repositoryOpts).toBeUndefined();
    for (const p of pins) expect(fs.existsSync(helmChartSource(p, m.mirror!).chart), pinId(p)).toBe(true);
    expect(() => helmChartSource(pin, { kind: "directory", dir: "/m", archives: {} })).toThrow(
      /platform:charts\.mirror: .*no traefik .*helm pull traefik --repo https:\/\/traefik\.github\.io\/charts/,
    );
  });
  it("chartNameOf recovers the chart name from any source", () => {
    for (const p of pins) {
      expect(chartNameOf(helmChartSource(p).chart)).toBe(p.chart);
      expect(chartNameOf(path.join(SHARED, `${p.chart}-${p.version}.tgz`), p.version)).toBe(p.chart);
      expect(chartNameOf(`/x/${p.chart}-${p.version}.tgz`)).toBe(p.chart);
    }
  });
});

describe("parseMirrorSetting", () => {
  it("classifies official, URLs and directories", () => {
    expect(parseMirrorSetting("official")).toEqual({ kind: "official" });
    expect(parseMirrorSetting("https://charts.example.com/helm/")).toEqual({ kind: "repository", url: "https://charts.example.com/helm" });
    expect(parseMirrorSetting("http://127.0.0.1:8879")).toEqual({ kind: "repository", url: "http://127.0.0.1:8879" });
    expect(parseMirrorSetting("http://localhost:8879/charts")).toEqual({ kind: "repository", url: "http://localhost:8879/charts" });
    expect(parseMirrorSetting("../shared/charts")).toEqual({ kind: "directory", path: "../shared/charts" });
    expect(parseMirrorSetting("/srv/charts")).toEqual({ kind: "directory", path: "/srv/charts" });
  });
  it("rejects plain http off loopback, credentials in the URL, and other schemes", () => {
    expect(parseMirrorSetting("http://charts.example.com")).toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/loopback only .*use https:\/\/charts\.example\.com/),
    });
    expect(parseMirrorSetting("http://10.0.0.5:8879")).toMatchObject({ kind: "invalid" });
    expect(parseMirrorSetting("https://user:pass@charts.example.com")).toMatchObject({ kind: "invalid", message: expect.stringMatching(/credentials/) });
    expect(parseMirrorSetting("oci://registry.example.com/charts")).toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/'oci:\/\/' is not a chart repository/),
    });
    expect(parseMirrorSetting("file:///srv/charts")).toMatchObject({ kind: "invalid", message: expect.stringMatching(/without file:\/\//) });
  });
});

describe("platform:charts.mirror in the spec", () => {
  it("defaults to the official repositories", () => {
    expect(load(richConfig()).charts).toEqual({ kind: "official" });
    expect(load(withMirror("official"), { [CHARTS_MIRROR_ENV]: SHARED }).charts).toEqual({ kind: "official" });
  });

  it("accepts an https URL and a loopback http URL", () => {
    expect(load(withMirror("https://charts.example.com/helm")).charts).toEqual({ kind: "repository", url: "https://charts.example.com/helm" });
    expect(load(withMirror("http://127.0.0.1:8879")).charts).toEqual({ kind: "repository", url: "http://127.0.0.1:8879" });
  });

  it("rejects plain http:// off loopback, naming the field", () => {
    expect(issues(withMirror("http://charts.example.com"))).toEqual([
      expect.stringMatching(/^Pulumi\.prod\.yaml: platform:charts\.mirror: plain http:\/\/ is accepted on loopback only/),
    ]);
    expect(issues({ ...richConfig(), charts: { mirror: "https://x.example.com", extra: 1 } })).toEqual([
      expect.stringMatching(/platform:charts: unknown key 'extra'/),
    ]);
  });

  it("a directory mirror, absolute or relative to the project directory, resolves every pin to its archive", () => {
    const rel = path.relative(PROJECT_DIR, SHARED);
    for (const mirror of [SHARED, rel]) {
      const spec = load(withMirror(mirror));
      expect(spec.charts.kind).toBe("directory");
      if (spec.charts.kind !== "directory") continue;
      expect(spec.charts.dir).toBe(SHARED);
      expect(Object.keys(spec.charts.archives).sort()).toEqual(pins.map(pinId).sort());
      for (const a of Object.values(spec.charts.archives)) expect(path.isAbsolute(a) && fs.existsSync(a)).toBe(true);
    }
  });

  it("a directory that does not exist, has no index.yaml, or lacks a pinned chart is an error naming the field, the chart and the fix", () => {
    expect(issues(withMirror("/nonexistent/charts"))).toEqual([
      expect.stringMatching(/^Pulumi\.prod\.yaml: platform:charts\.mirror: directory \/nonexistent\/charts does not exist: create the mirror there/),
    ]);
    const empty = tmpDir("empty-mirror-");
    expect(issues(withMirror(empty))).toEqual([
      expect.stringMatching(
        /platform:charts\.mirror: .* has no index\.yaml, so it is not a chart repository: copy the chart archives into it and run `helm repo index/,
      ),
    ]);
    const lacking = mirrorCopy((index) => {
      index.entries["traefik"] = index.entries["traefik"].filter((e: any) => e.version !== CHART_PINS.traefik.version);
      delete index.entries["cert-manager"];
    });
    const got = issues(withMirror(lacking));
    // The versions the copy still has: every mirrored traefik release but the pinned one.
    const others = (parse(fs.readFileSync(path.join(SHARED, "index.yaml"), "utf8")) as any).entries["traefik"]
      .map((e: any) => String(e.version))
      .filter((v: string) => v !== CHART_PINS.traefik.version);
    expect(others.length).toBeGreaterThan(0);
    const re = (v: string) => v.replace(/\./g, "\\.");
    expect(got).toEqual([
      expect.stringMatching(
        new RegExp(
          `platform:charts\\.mirror: the mirror .* lacks chart traefik version ${re(CHART_PINS.traefik.version)} \\(it has ${others.map(re).join(", ")}\\): add it to the mirror \\(\`helm pull traefik --repo https://traefik\\.github\\.io/charts --version ${re(CHART_PINS.traefik.version)} -d `,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `lacks chart cert-manager version ${re(CHART_PINS.certManager.version)}: add it to the mirror \\(\`helm pull cert-manager --repo https://charts\\.jetstack\\.io`,
        ),
      ),
    ]);
    const gone = mirrorCopy((index) => {
      index.entries.loki.forEach((e: any) => (e.urls = ["missing-loki.tgz"]));
    });
    expect(issues(withMirror(gone))).toEqual([
      expect.stringMatching(
        new RegExp(`lists loki ${CHART_PINS.loki.version.replace(/\./g, "\\.")} as missing-loki\\.tgz, but .*missing-loki\\.tgz does not exist`),
      ),
    ]);
    const absolute = mirrorCopy((index) => {
      index.entries.tempo.forEach((e: any) => (e.urls = ["https://grafana.github.io/helm-charts/tempo.tgz"]));
    });
    expect(issues(withMirror(absolute))).toEqual([
      expect.stringMatching(new RegExp(`lists tempo ${CHART_PINS.tempo.version.replace(/\./g, "\\.")} at https://.* a directory mirror needs relative URLs`)),
    ]);
  });

  it("mirror problems are reported together with every other problem", () => {
    const got = issues({ ...withMirror("/nonexistent/charts"), domain: "NOT A DOMAIN" });
    expect(got).toHaveLength(2);
    expect(got.join("\n")).toMatch(/platform:domain/);
    expect(got.join("\n")).toMatch(/platform:charts\.mirror: directory \/nonexistent\/charts does not exist/);
  });

  it("PLATFORM_CHARTS_MIRROR supplies the mirror when the key is absent; the key wins; a bad value names the variable", () => {
    expect(load(richConfig(), { [CHARTS_MIRROR_ENV]: "https://env.example.com" }).charts).toEqual({ kind: "repository", url: "https://env.example.com" });
    expect(load(withMirror("https://key.example.com"), { [CHARTS_MIRROR_ENV]: "https://env.example.com" }).charts).toEqual({
      kind: "repository",
      url: "https://key.example.com",
    });
    expect(load(richConfig(), { [CHARTS_MIRROR_ENV]: path.relative(PROJECT_DIR, SHARED) }).charts.kind).toBe("directory");
    expect(load(richConfig(), { [CHARTS_MIRROR_ENV]: "" }).charts).toEqual({ kind: "official" });
    expect(issues(richConfig(), { [CHARTS_MIRROR_ENV]: "http://charts.example.com" })).toEqual([
      expect.stringMatching(
        /^environment: PLATFORM_CHARTS_MIRROR: plain http:\/\/ .* \(it supplies platform:charts\.mirror, which the stack file does not set\)$/,
      ),
    ]);
    expect(issues(richConfig(), { [CHARTS_MIRROR_ENV]: "/nonexistent/charts" })).toEqual([
      expect.stringMatching(/^environment: PLATFORM_CHARTS_MIRROR: directory \/nonexistent\/charts does not exist/),
    ]);
  });
});

describe("through the program (harness): every release follows the mirror, a bad mirror registers nothing", () => {
  const staging = (mirror?: string) => {
    const input = withPlaceholderSecrets(readStackFile("staging"));
    return mirror === undefined ? input : { ...input, config: { ...input.config, "platform:charts": JSON.stringify({ mirror }) } };
  };
  const releases = async (mirror?: string) =>
    (await runStackInput(staging(mirror))).inventory.resources.filter((r) => r.type === RELEASE).map((r) => r.inputs as any);

  it("official by default, an HTTP mirror, a directory mirror", async () => {
    const official = await releases();
    expect(official.length).toBeGreaterThanOrEqual(5);
    for (const r of official) {
      const pin = pins.find((p) => p.chart === r.chart)!;
      expect(r).toMatchObject({ chart: pin.chart, version: pin.version, repositoryOpts: { repo: pin.repo } });
    }
    for (const r of await releases("https://charts.example.com/helm")) {
      expect(r.repositoryOpts).toEqual({ repo: "https://charts.example.com/helm" });
      expect(pins.some((p) => p.chart === r.chart && p.version === r.version)).toBe(true);
    }
    const dir = await releases(path.relative(PROJECT_DIR, SHARED));
    expect(dir.length).toBe(official.length);
    for (const r of dir) {
      expect(r.repositoryOpts).toBeUndefined();
      expect(path.dirname(r.chart)).toBe(SHARED);
      expect(fs.existsSync(r.chart)).toBe(true);
      expect(pins.some((p) => chartNameOf(r.chart, r.version) === p.chart && p.version === r.version)).toBe(true);
    }
  });

  it("a mirror lacking a pin fails before anything is registered", async () => {
    const lacking = mirrorCopy((index) => delete index.entries["external-secrets"]);
    const err = await runStackInput(staging(lacking)).then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(ProgramError);
    expect(String(err.message)).toMatch(
      new RegExp(`platform:charts\\.mirror: the mirror .* lacks chart external-secrets version ${CHART_PINS.externalSecrets.version.replace(/\./g, "\\.")}`),
    );
    expect((err as ProgramError).inventory.resources.filter((r) => r.custom)).toEqual([]);
  });
});
