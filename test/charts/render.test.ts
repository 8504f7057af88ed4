/**
 * Real helm, real charts, our values. Every Helm release the program creates, in every
 * blueprint × Kubernetes tier (planned under the harness's mocks, update mode, so every value is
 * known), is rendered by the real `helm template` from the chart mirror with the exact values,
 * release name and namespace the program passes, `--kube-version 1.36.3`, the API versions a 1.36
 * cluster serves, and the CRD API groups the stack's other releases install. Then:
 *
 *   - it renders (values.schema.json and `required` of the chart accept our values);
 *   - every rendered object is served by Kubernetes 1.36 and validates against the Kubernetes
 *     schemas (tools/engine/validate-manifests.mjs); every custom resource (rendered, or created by
 *     the program itself) validates against the CRD the stack installs, unknown fields included;
 *   - the values we set do something: no key the chart does not have, a ServiceMonitor / PDB where
 *     we ask for one, and the kube-prometheus-stack Prometheus selects our rules, the chart's
 *     default rules (when on) and every ServiceMonitor in the stack.
 *
 * Identical renders (same chart, release, namespace, values and capabilities) run once.
 * The mirror: PLATFORM_CHARTS_MIRROR (a directory or a loopback URL), else the shared chart mirror (tools/harness/shared.ts).
 * The helm binary: PLATFORM_HELM_BIN, else .engine/bin/helm, else PATH — else the test FAILS
 * naming `npm run engine`. Run it offline:
 *   unshare -n bash -c 'ip link set lo up; PLATFORM_HELM_BIN=/tmp/pb/helm npx vitest run test/charts'
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chartNameOf, VERSION_PINS } from "../../components/charts";
import { supportedTiers } from "../../scripts/plan-lib";
import { availableBlueprints } from "../../stacks/spec/load";
import { TIERS, type TierName } from "../../stacks/spec/tiers";
import { validateManifestDir } from "../../tools/engine/validate-manifests.mjs";
import type { Inventory } from "../../tools/harness/inventory";
import { blueprintStackInput, runStackInput } from "../../tools/harness/stacks";
import {
  ChartInfo,
  KUBE_136_API_VERSIONS,
  REPO_ROOT,
  helmBinary,
  helmEnv,
  helmTemplate,
  kube136Capabilities,
  readChart,
  run,
  tmpHome,
  unknownValueKeys,
} from "./helm";
import { CHARTS_MIRROR } from "../../tools/harness/shared";
import { crdSchemaCompiler } from "./crd-schema";

const MIRROR = process.env.PLATFORM_CHARTS_MIRROR || CHARTS_MIRROR;
// The program reads the mirror from here (platform:charts.mirror is not set in the stack files).
process.env.PLATFORM_CHARTS_MIRROR = MIRROR;
const MIRROR_IS_URL = /^https?:\/\//.test(MIRROR);

const RELEASE = "kubernetes:helm.sh/v3:Release";
/** `.Capabilities.APIVersions` of a bare 1.36 cluster (group/version and group/version/Kind). */
const BASE_CAPABILITIES = kube136Capabilities();

interface PlannedRelease {
  target: string;
  resource: string;
  name: string;
  namespace: string;
  chart: string;
  version?: string;
  repo?: string;
  values: Record<string, unknown>;
}

interface Target {
  title: string;
  inventory?: Inventory;
  error?: string;
  releases: PlannedRelease[];
}

interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [k: string]: unknown;
}

interface Render {
  key: string;
  /** The chart archive on disk (the mirror's, or pulled from the URL mirror). */
  archive: string;
  chartName: string;
  version: string;
  release: string;
  namespace: string;
  ok: boolean;
  stderr: string;
  objects: Obj[];
  validation: { apiVersion: string; kind: string; name: string; status: string; error?: string }[];
  skipSchemaValidation: boolean;
  args: string[];
}

const helm = helmBinary();
const home = tmpHome("platform-helm-");
const targets: Target[] = [];
const renders = new Map<string, Render>();
/** Per target: its releases' render keys (second pass, with the stack's CRD API versions). */
const renderOf = new Map<string, Map<PlannedRelease, Render>>();
const charts = new Map<string, ChartInfo>();
const notes: string[] = [];
let helmVersion = "";
let programCustomResourcesChecked = 0;

function kubernetesTiers(blueprint: string): TierName[] {
  return supportedTiers(blueprint).filter((tier) => {
    const input = blueprintStackInput(blueprint, tier);
    return ((input.config["platform:hosting"] as string | undefined) ?? TIERS[tier].hosting) === "kubernetes";
  });
}

function releasesOf(title: string, inv: Inventory): PlannedRelease[] {
  return inv.resources
    .filter((r) => r.type === RELEASE)
    .map((r) => {
      const i = r.inputs as any;
      return {
        target: title,
        resource: r.name,
        name: String(i.name),
        namespace: String(i.namespace),
        chart: String(i.chart),
        ...(i.version ? { version: String(i.version) } : {}),
        ...(i.repositoryOpts?.repo ? { repo: String(i.repositoryOpts.repo) } : {}),
        values: (i.values ?? {}) as Record<string, unknown>,
      };
    });
}

/** The local archive of a release's chart: the path itself (directory mirror) or `helm pull` from the URL mirror into the cache. */
async function archiveOf(r: PlannedRelease): Promise<string> {
  if (!r.repo) return r.chart;
  const dir = path.join(home, "pulled");
  fs.mkdirSync(dir, { recursive: true });
  const want = path.join(dir, `${r.chart}-${r.version}.tgz`);
  if (!fs.existsSync(want)) {
    const p = await run(helm.bin!, ["pull", r.chart, "--repo", r.repo, "--version", r.version!, "-d", dir], helmEnv(home));
    if (p.code !== 0) throw new Error(`helm pull ${r.chart} ${r.version} from ${r.repo}: ${p.stderr}`);
  }
  return want;
}

function chartInfo(archive: string): ChartInfo {
  let c = charts.get(archive);
  if (!c) charts.set(archive, (c = readChart(archive)));
  return c;
}

function parseManifest(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o && typeof o === "object");
}

/** `group/version` and `group/version/Kind` of every served version of the CRDs among objs. */
function crdApiVersions(objs: Obj[]): string[] {
  const out: string[] = [];
  for (const o of objs) {
    if (o.kind !== "CustomResourceDefinition") continue;
    const s = o.spec ?? {};
    for (const v of s.versions ?? []) {
      if (v.served === false) continue;
      out.push(`${s.group}/${v.name}`, `${s.group}/${v.name}/${s.names?.kind}`);
    }
  }
  return [...new Set(out)].sort();
}

async function renderRelease(r: PlannedRelease, apiVersions: string[]): Promise<Render> {
  const archive = await archiveOf(r);
  const info = chartInfo(archive);
  const key = JSON.stringify({ chart: r.chart, version: r.version, repo: r.repo, name: r.name, namespace: r.namespace, values: r.values, apiVersions });
  const done = renders.get(key);
  if (done) return done;
  const skip = info.remoteSchemaRefs.length > 0;
  if (skip)
    notes.push(
      `${info.name} ${info.version}: values.schema.json references remote schemas (${info.remoteSchemaRefs.slice(0, 2).join(", ")}…); rendered with --skip-schema-validation, so the chart's schema was NOT checked offline`,
    );
  const t = await helmTemplate(helm.bin!, home, {
    release: r.name,
    namespace: r.namespace,
    chart: r.chart,
    ...(r.version ? { version: r.version } : {}),
    ...(r.repo ? { repo: r.repo } : {}),
    values: r.values,
    apiVersions,
    skipSchemaValidation: skip,
  });
  const objects = t.ok ? parseManifest(t.manifest) : [];
  let validation: Render["validation"] = [];
  if (t.ok) {
    const dir = fs.mkdtempSync(path.join(home, "out-"));
    fs.writeFileSync(path.join(dir, "manifest.yaml"), t.manifest);
    validation = validateManifestDir(dir).objects.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.name,
      status: o.status,
      ...(o.error ? { error: o.error } : {}),
    }));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const result: Render = {
    key,
    archive,
    chartName: info.name,
    version: info.version,
    release: r.name,
    namespace: r.namespace,
    ok: t.ok,
    stderr: t.stderr,
    objects,
    validation,
    skipSchemaValidation: skip,
    args: t.args,
  };
  renders.set(key, result);
  return result;
}

/** Run `fn` over items, `limit` at a time (the machine has 2 cores). */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

beforeAll(async () => {
  for (const blueprint of availableBlueprints()) {
    for (const tier of kubernetesTiers(blueprint)) {
      const title = `${blueprint} on ${tier}`;
      try {
        const { inventory } = await runStackInput(blueprintStackInput(blueprint, tier), { preview: false });
        targets.push({ title, inventory, releases: releasesOf(title, inventory) });
      } catch (err) {
        targets.push({ title, error: err instanceof Error ? err.message : String(err), releases: [] });
      }
    }
  }
  if (!helm.bin) return;
  helmVersion = (await run(helm.bin, ["version", "--short"], helmEnv(home))).stdout.trim();
  const all = targets.flatMap((t) => t.releases);
  // Pass 1: base capabilities, to learn which CRDs each stack's releases install.
  await pool(all, 2, async (r) => void (await renderRelease(r, BASE_CAPABILITIES)));
  // Pass 2: each release again with the CRD API versions of its whole stack (charts gate
  // ServiceMonitors, Certificates, … on .Capabilities.APIVersions).
  const jobs: { t: Target; r: PlannedRelease; api: string[] }[] = [];
  for (const t of targets) {
    const firstPass = await Promise.all(t.releases.map((r) => renderRelease(r, BASE_CAPABILITIES)));
    const api = [...BASE_CAPABILITIES, ...crdApiVersions(firstPass.flatMap((x) => x.objects))];
    renderOf.set(t.title, new Map());
    for (const r of t.releases) jobs.push({ t, r, api });
  }
  await pool(jobs, 2, async ({ t, r, api }) => void renderOf.get(t.title)!.set(r, await renderRelease(r, api)));
}, 1_800_000);

afterAll(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

const finalRenders = (t: Target) => [...(renderOf.get(t.title)?.entries() ?? [])];

function requireHelm() {
  expect(helm.error, helm.error).toBeUndefined();
}

// ------------------------------------------------------------------ custom resources vs CRDs

/** Compiled CRD schemas, shared by every stack that installs the same CRD. */
const compiled = new Map<string, (o: unknown) => string | undefined>();
let compileCrdSchema: ReturnType<typeof crdSchemaCompiler> | undefined;

function crdValidators(objs: Obj[]): Map<string, (o: unknown) => string | undefined> {
  compileCrdSchema ??= crdSchemaCompiler((pattern) => notes.push(`CRD pattern not enforced (not a JavaScript regular expression): ${pattern.slice(0, 80)}`));
  const out = new Map<string, (o: unknown) => string | undefined>();
  for (const o of objs) {
    if (o.kind !== "CustomResourceDefinition") continue;
    for (const v of o.spec?.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema;
      if (!schema) continue;
      const gvk = `${o.spec.group}/${v.name}/${o.spec.names.kind}`;
      const cacheKey = `${gvk} ${JSON.stringify(schema)}`;
      let fn = compiled.get(cacheKey);
      if (!fn) {
        const validate = compileCrdSchema(schema);
        fn = (obj) => {
          const errors = validate(obj);
          return errors.length ? errors.slice(0, 5).join("; ") : undefined;
        };
        compiled.set(cacheKey, fn);
      }
      out.set(gvk, fn);
    }
  }
  return out;
}

/** The program's own objects of a CRD kind (CustomResource and typed CRD resources), as manifests. */
function programCustomResources(inv: Inventory, crdKinds: Set<string>): { name: string; obj: Obj }[] {
  const out: { name: string; obj: Obj }[] = [];
  for (const r of inv.resources) {
    const i = r.inputs as any;
    if (!r.custom || !r.type.startsWith("kubernetes:") || !i?.apiVersion || !i?.kind) continue;
    if (!crdKinds.has(`${i.apiVersion}/${i.kind}`)) continue;
    const { apiVersion, kind, metadata, ...rest } = i;
    out.push({ name: r.name, obj: { apiVersion, kind, metadata, ...rest } });
  }
  return out;
}

const where = (o: Obj) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;

// ------------------------------------------------------------------ selectors

function matchesLabels(sel: any, labels: Record<string, string> = {}): boolean {
  if (!sel) return false; // nil selector: selects nothing
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

// ------------------------------------------------------------------ tests

describe("real helm renders every release the program creates", () => {
  it("has a helm binary (PLATFORM_HELM_BIN, .engine/bin/helm or PATH)", () => {
    requireHelm();
    expect(helmVersion).toMatch(/^v3\./);
  });

  it("plans every blueprint × Kubernetes tier, and every release takes its chart from the mirror", () => {
    expect(targets.length).toBeGreaterThanOrEqual(availableBlueprints().length);
    expect(targets.filter((t) => t.error).map((t) => `${t.title}: ${t.error}`)).toEqual([]);
    const releases = targets.flatMap((t) => t.releases);
    expect(releases.length).toBeGreaterThan(0);
    const mirrorDir = path.resolve(REPO_ROOT, MIRROR);
    for (const r of releases) {
      if (MIRROR_IS_URL) {
        expect(r.repo, `${r.target} ${r.name}`).toBe(MIRROR.replace(/\/+$/, ""));
      } else {
        expect(r.repo, `${r.target} ${r.name}: a directory mirror has no repositoryOpts`).toBeUndefined();
        expect(path.isAbsolute(r.chart) && r.chart.startsWith(mirrorDir + path.sep) && r.chart.endsWith(".tgz"), `${r.target} ${r.name}: ${r.chart}`).toBe(
          true,
        );
        expect(fs.existsSync(r.chart)).toBe(true);
      }
      expect(JSON.stringify(r.values), `${r.target} ${r.name}: unknown values in update mode`).not.toContain("<unknown>");
    }
  });

  it("every release renders (the chart accepts our values: values.schema.json, required, fail)", () => {
    requireHelm();
    const failed = new Map<string, string>();
    for (const t of targets) {
      for (const [r, x] of finalRenders(t)) {
        if (!x.ok)
          failed.set(`${x.chartName} ${x.version} as ${r.name} in ${r.namespace}`, `${x.stderr.split("\n").slice(0, 6).join("\n")}\n  (first in ${t.title})`);
      }
    }
    expect([...failed.entries()].map(([k, v]) => `${k}: ${v}`)).toEqual([]);
    expect(finalRenders(targets.find((t) => t.releases.length > 0)!).length).toBeGreaterThan(0);
  });

  it("every rendered object is served by Kubernetes 1.36 and validates against its schema", () => {
    requireHelm();
    const problems = new Set<string>();
    for (const t of targets) {
      const results = finalRenders(t).map(([, x]) => x);
      const served = new Set([...KUBE_136_API_VERSIONS, ...crdApiVersions(results.flatMap((x) => x.objects)).filter((v) => v.split("/").length === 2)]);
      for (const x of results) {
        for (const o of x.objects) {
          if (!o.apiVersion || !o.kind) problems.add(`${x.chartName} ${x.version} (${x.release}): an object without apiVersion/kind`);
          else if (!served.has(o.apiVersion))
            problems.add(
              `${x.chartName} ${x.version} (${x.release}): ${o.apiVersion} ${where(o)}: not served by Kubernetes 1.36 nor by a CRD this stack installs`,
            );
        }
        for (const v of x.validation)
          if (v.status === "invalid") problems.add(`${x.chartName} ${x.version} (${x.release}): ${v.apiVersion} ${v.kind} ${v.name}: ${v.error}`);
      }
    }
    expect([...problems]).toEqual([]);
  });

  it("every custom resource, rendered or created by the program, validates against the CRD the stack installs", () => {
    requireHelm();
    const problems = new Set<string>();
    let checked = 0;
    for (const t of targets) {
      const results = finalRenders(t).map(([, x]) => x);
      const validators = crdValidators(results.flatMap((x) => x.objects));
      for (const x of results) {
        for (const o of x.objects) {
          const v = validators.get(`${o.apiVersion}/${o.kind}`);
          if (!v) continue;
          checked++;
          const err = v(o);
          if (err) problems.add(`${x.chartName} ${x.version} (${x.release}): ${where(o)}: ${err}`);
        }
      }
      for (const { name, obj } of programCustomResources(t.inventory!, new Set(validators.keys()))) {
        checked++;
        programCustomResourcesChecked++;
        const err = validators.get(`${obj.apiVersion}/${obj.kind}`)!(obj);
        if (err) problems.add(`program resource ${name} (${where(obj)}), e.g. in ${t.title}: ${err}`);
      }
    }
    expect([...problems]).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });

  it("no value we set is a key the chart does not have", () => {
    requireHelm();
    const found = new Set<string>();
    for (const t of targets) {
      for (const [r, x] of finalRenders(t)) {
        const info = chartInfo(x.archive);
        for (const k of unknownValueKeys(r.values, info)) found.add(`${info.name} ${info.version}: ${k}`);
      }
    }
    expect([...found].sort()).toEqual([]);
  });

  it("what our values ask for is rendered: a ServiceMonitor, a PodDisruptionBudget", () => {
    requireHelm();
    const missing = new Set<string>();
    const asks = (v: unknown, key: RegExp): boolean =>
      !!v &&
      typeof v === "object" &&
      Object.entries(v as Record<string, unknown>).some(([k, c]) => (key.test(k) && (c as any)?.enabled === true) || asks(c, key));
    for (const t of targets) {
      for (const [r, x] of finalRenders(t)) {
        if (!x.ok) continue;
        const kinds = new Set(x.objects.map((o) => o.kind));
        if (asks(r.values, /^serviceMonitor$/i) && !kinds.has("ServiceMonitor"))
          missing.add(`${x.chartName} ${x.version} (${r.name}): values enable a serviceMonitor but no ServiceMonitor is rendered`);
        if (asks(r.values, /^podDisruptionBudget$/) && !kinds.has("PodDisruptionBudget"))
          missing.add(`${x.chartName} ${x.version} (${r.name}): values enable a podDisruptionBudget but no PodDisruptionBudget is rendered`);
      }
    }
    expect([...missing].sort()).toEqual([]);
  });

  it("the Traefik Deployment runs the pinned Traefik image, the version whose code the tests run (scripts/engine.sh TRAEFIK_VERSION)", () => {
    requireHelm();
    const engineVersion = /^TRAEFIK_VERSION="([^"]+)"$/m.exec(fs.readFileSync(path.join(__dirname, "..", "..", "scripts", "engine.sh"), "utf8"))?.[1];
    expect(VERSION_PINS.traefik.value).toBe(`docker.io/traefik:${engineVersion}`);
    const images = new Set<string>();
    for (const t of targets) {
      for (const [r, x] of finalRenders(t)) {
        if (!x.ok || x.chartName !== "traefik") continue;
        const deploy = x.objects.find((o) => o.kind === "Deployment" && o.metadata?.name === r.name) as
          { spec: { template: { spec: { containers: { name: string; image: string }[] } } } } | undefined;
        expect(deploy, `${t.title}: traefik Deployment`).toBeDefined();
        for (const c of deploy!.spec.template.spec.containers) images.add(c.image);
      }
    }
    expect([...images]).toEqual([VERSION_PINS.traefik.value]);
  });

  it("the kube-prometheus-stack Prometheus selects our rules, the chart's default rules and every ServiceMonitor", () => {
    requireHelm();
    const problems = new Set<string>();
    let stacks = 0;
    for (const t of targets) {
      const results = finalRenders(t);
      const all = results.flatMap(([, x]) => x.objects);
      const prometheus = all.find((o) => o.kind === "Prometheus" && o.apiVersion === "monitoring.coreos.com/v1");
      if (!prometheus) continue;
      stacks++;
      const spec = prometheus.spec;
      const nsLabels = new Map<string, Record<string, string>>();
      for (const r of t.inventory!.resources) {
        const i = r.inputs as any;
        if (r.type === "kubernetes:core/v1:Namespace")
          nsLabels.set(i.metadata.name, { ...(i.metadata.labels ?? {}), "kubernetes.io/metadata.name": i.metadata.name });
      }
      const nsOf = (o: Obj, fallback: string) => o.metadata?.namespace ?? fallback;
      const nsSelected = (sel: any, ns: string) => matchesLabels(sel, nsLabels.get(ns) ?? { "kubernetes.io/metadata.name": ns });
      const program = t
        .inventory!.resources.filter((r) => r.custom && (r.inputs as any)?.apiVersion === "monitoring.coreos.com/v1")
        .map((r) => r.inputs as Obj);
      const kps = results.find(([r]) => chartNameOf(r.chart, r.version) === "kube-prometheus-stack")!;
      const defaultRulesOn = (kps[0].values as any)?.defaultRules?.create !== false;
      const rules = [
        ...program.filter((o) => o.kind === "PrometheusRule").map((o) => ({ o, ns: nsOf(o, "default"), from: "program" })),
        ...results.flatMap(([r, x]) =>
          x.objects.filter((o) => o.kind === "PrometheusRule").map((o) => ({ o, ns: nsOf(o, r.namespace), from: `${x.chartName} (${r.name})` })),
        ),
      ];
      if (defaultRulesOn)
        expect(
          rules.some((r) => r.from.startsWith("kube-prometheus-stack")),
          `${t.title}: defaultRules.create but no chart PrometheusRule`,
        ).toBe(true);
      for (const { o, ns, from } of rules) {
        if (!matchesLabels(spec.ruleSelector, o.metadata?.labels) || !nsSelected(spec.ruleNamespaceSelector, ns))
          problems.add(
            `${from}: PrometheusRule ${ns}/${o.metadata?.name} (labels ${JSON.stringify(o.metadata?.labels ?? {})}) is not selected by the Prometheus ruleSelector ${JSON.stringify(spec.ruleSelector)} / ruleNamespaceSelector`,
          );
      }
      const monitors = [
        ...program.filter((o) => o.kind === "ServiceMonitor").map((o) => ({ o, ns: nsOf(o, "default"), from: "program" })),
        ...results.flatMap(([r, x]) =>
          x.objects.filter((o) => o.kind === "ServiceMonitor").map((o) => ({ o, ns: nsOf(o, r.namespace), from: `${x.chartName} (${r.name})` })),
        ),
      ];
      for (const { o, ns, from } of monitors) {
        if (!matchesLabels(spec.serviceMonitorSelector, o.metadata?.labels) || !nsSelected(spec.serviceMonitorNamespaceSelector, ns))
          problems.add(
            `${from}: ServiceMonitor ${ns}/${o.metadata?.name} is not selected by the Prometheus serviceMonitorSelector / serviceMonitorNamespaceSelector`,
          );
      }
    }
    expect([...problems].sort()).toEqual([]);
    expect(stacks).toBeGreaterThan(0);
  });

  it("reports what was rendered", () => {
    requireHelm();
    const releases = targets.flatMap((t) => t.releases);
    const finals = new Set(targets.flatMap((t) => finalRenders(t).map(([, x]) => x)));
    const chartsUsed = new Set([...finals].map((x) => `${x.chartName}@${x.version}`));
    const objects = [...finals].reduce((n, x) => n + x.objects.length, 0);
    const valid = [...finals].reduce((n, x) => n + x.validation.filter((v) => v.status === "valid").length, 0);
    const unchecked = [...finals].reduce((n, x) => n + x.validation.filter((v) => v.status === "unchecked").length, 0);
    const summary = [
      `helm ${helmVersion}, mirror ${MIRROR}, Kubernetes ${"1.36.3"}`,
      `${targets.length} blueprint × tier stacks, ${releases.length} releases, ${chartsUsed.size} charts (${[...chartsUsed].sort().join(", ")})`,
      `${renders.size} helm template runs (deduplicated), ${finals.size} distinct final renders, ${objects} objects: ${valid} valid against the Kubernetes schemas, ${unchecked} custom resources (checked against their CRDs)`,
      `${programCustomResourcesChecked} custom resources the program itself creates (summed over stacks), checked against the CRDs their stack installs`,
      ...[...new Set(notes)].map((n) => `note: ${n}`),
    ];
    process.stdout.write(`\n${summary.join("\n")}\n`);
    expect(releases.length).toBeGreaterThan(0);
  });
});
