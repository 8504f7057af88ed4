/**
 * The real `helm` for tests: where it is, how `helm template` is called, and what a chart archive
 * holds (values.yaml, templates, values.schema.json, subcharts), read straight from the .tgz.
 *
 *   helmBinary()     PLATFORM_HELM_BIN, else .engine/bin/helm, else `helm` on PATH; else an error naming `npm run engine`
 *   helmTemplate()   `helm template` with the release's source, namespace, values and cluster capabilities
 *   readChart()      the files of a chart archive, and what its values and templates say
 *
 * No network: a directory mirror is read from disk; an HTTP mirror must be on loopback.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The Kubernetes version the charts are rendered for (`--kube-version`). */
export const KUBE_VERSION = "1.36.3";

/**
 * The API group/versions a Kubernetes 1.36 API server serves by default (GA only: beta APIs are
 * off by default since 1.24, and the old betas charts used to fall back to — policy/v1beta1,
 * autoscaling/v2beta2, batch/v1beta1, flowcontrol v1beta3, … — are removed).
 */
export const KUBE_136_API_VERSIONS = [
  "v1",
  "admissionregistration.k8s.io/v1",
  "apiextensions.k8s.io/v1",
  "apiregistration.k8s.io/v1",
  "apps/v1",
  "authentication.k8s.io/v1",
  "authorization.k8s.io/v1",
  "autoscaling/v1",
  "autoscaling/v2",
  "batch/v1",
  "certificates.k8s.io/v1",
  "coordination.k8s.io/v1",
  "discovery.k8s.io/v1",
  "events.k8s.io/v1",
  "flowcontrol.apiserver.k8s.io/v1",
  "networking.k8s.io/v1",
  "node.k8s.io/v1",
  "policy/v1",
  "rbac.authorization.k8s.io/v1",
  "resource.k8s.io/v1",
  "scheduling.k8s.io/v1",
  "storage.k8s.io/v1",
] as const;

/**
 * What `.Capabilities.APIVersions` holds on a 1.36 cluster: helm fills it from discovery with
 * `group/version` and `group/version/Kind` for every resource (charts test either form, e.g.
 * traefik: `Has "policy/v1/PodDisruptionBudget"`). Kinds come from the kubernetes-models schemas
 * of each served group/version.
 */
export function kube136Capabilities(): string[] {
  const models = path.dirname(require.resolve("kubernetes-models/package.json"));
  const out: string[] = [];
  for (const gv of KUBE_136_API_VERSIONS) {
    out.push(gv);
    const dir = path.join(models, gv);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) {
      if (!f.endsWith(".d.ts") || f === "index.d.ts") continue;
      const kind = f.slice(0, -".d.ts".length);
      if (kind.endsWith("List")) continue;
      if (/static kind:/.test(fs.readFileSync(path.join(dir, f), "utf8"))) out.push(`${gv}/${kind}`);
    }
  }
  return out;
}

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Where the helm binary is, or an error that says how to get one (never a skip). */
export function helmBinary(env: Record<string, string | undefined> = process.env): { bin?: string; error?: string } {
  const fromEnv = env.PLATFORM_HELM_BIN;
  if (fromEnv) {
    return executable(fromEnv)
      ? { bin: fromEnv }
      : { error: `PLATFORM_HELM_BIN=${fromEnv} is not an executable file: fix the path, or unset it and run \`npm run engine\` (builds .engine/bin/helm)` };
  }
  const engine = path.join(REPO_ROOT, ".engine", "bin", "helm");
  if (executable(engine)) return { bin: engine };
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir && executable(path.join(dir, "helm"))) return { bin: path.join(dir, "helm") };
  }
  return { error: "no helm binary: run `npm run engine` (builds .engine/bin/helm), or set PLATFORM_HELM_BIN to a helm v3 binary; it is not on PATH either" };
}

/** An isolated Helm home (cache, config, data), so the user's repositories and plugins play no part. */
export function helmEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    HELM_CACHE_HOME: path.join(home, "cache"),
    HELM_CONFIG_HOME: path.join(home, "config"),
    HELM_DATA_HOME: path.join(home, "data"),
  };
}

export function run(bin: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === "number" ? ((err as any).code as number) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code !== 0 ? err.message : "") });
    });
  });
}

export interface TemplateRequest {
  release: string;
  namespace: string;
  /** The release's `chart` input: a chart name (with repo) or an archive path. */
  chart: string;
  version?: string;
  repo?: string;
  values: Record<string, unknown>;
  apiVersions: string[];
  skipSchemaValidation: boolean;
}

/** `helm template` exactly as the release would install: same source, values, namespace; 1.36 capabilities; CRDs included. */
export async function helmTemplate(
  bin: string,
  home: string,
  req: TemplateRequest,
): Promise<{ ok: boolean; manifest: string; stderr: string; args: string[] }> {
  const valuesFile = path.join(home, `values-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(valuesFile, JSON.stringify(req.values));
  const args = ["template", req.release, req.chart, "--namespace", req.namespace, "--kube-version", KUBE_VERSION, "--include-crds", "--values", valuesFile];
  if (req.repo) args.push("--repo", req.repo);
  if (req.version) args.push("--version", req.version);
  for (const v of req.apiVersions) args.push("--api-versions", v);
  if (req.skipSchemaValidation) args.push("--skip-schema-validation");
  const r = await run(bin, args, helmEnv(home));
  fs.rmSync(valuesFile, { force: true });
  return { ok: r.code === 0, manifest: r.stdout, stderr: r.stderr.trim(), args: args.map((a) => (a === valuesFile ? "<values.json>" : a)) };
}

// ------------------------------------------------------------------ chart archives

/** Files of a .tgz (ustar/pax/GNU long names), path → content. */
export function untgz(file: string): Map<string, Buffer> {
  const data = zlib.gunzipSync(fs.readFileSync(file));
  const out = new Map<string, Buffer>();
  let off = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  const str = (b: Buffer) => b.toString("utf8").replace(/\0.*$/s, "");
  while (off + 512 <= data.length) {
    const h = data.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(str(h.subarray(124, 136)).trim() || "0", 8);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = str(h.subarray(345, 500));
    let name = str(h.subarray(0, 100));
    if (prefix) name = `${prefix}/${name}`;
    const body = data.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = str(body);
      continue;
    }
    if (type === "x") {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"));
      if (m) paxPath = m[1];
      continue;
    }
    if (type === "g") continue;
    const full = paxPath ?? longName ?? name;
    longName = paxPath = undefined;
    if (type === "0" || type === "\0" || type === "7") out.set(full, Buffer.from(body));
  }
  return out;
}

export interface ChartInfo {
  name: string;
  version: string;
  /** values.yaml of the chart, with each subchart's values.yaml under its key (alias or name). */
  defaults: Record<string, unknown>;
  /** Every template and values.yaml (chart and subcharts), concatenated. */
  templates: string;
  /** `$ref`s of values.schema.json (chart or subcharts) that point at remote URLs. */
  remoteSchemaRefs: string[];
  hasSchema: boolean;
}

function remoteRefs(node: unknown, out: string[]): void {
  if (Array.isArray(node)) node.forEach((n) => remoteRefs(n, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string" && /^https?:\/\//.test(v)) out.push(v);
      else remoteRefs(v, out);
    }
  }
}

/** What a chart archive holds: defaults (with subcharts), templates, schema refs. */
export function readChart(file: string): ChartInfo {
  const files = untgz(file);
  const root = [...files.keys()].find((f) => /^[^/]+\/Chart\.yaml$/.test(f))!.split("/")[0]!;
  const load = (dir: string): { name: string; version: string; defaults: Record<string, unknown>; templates: string; refs: string[]; schema: boolean } => {
    const chart = (parse(files.get(`${dir}/Chart.yaml`)?.toString("utf8") ?? "{}") ?? {}) as {
      name: string;
      version: string;
      dependencies?: { name: string; alias?: string }[];
    };
    const defaults = ((parse(files.get(`${dir}/values.yaml`)?.toString("utf8") ?? "{}") ?? {}) as Record<string, unknown>) || {};
    // Templates, plus values.yaml itself: charts such as loki keep config templates (`tpl`) there.
    let templates = [...files.entries()]
      .filter(([f]) => f.startsWith(`${dir}/templates/`) || f === `${dir}/values.yaml`)
      .map(([, b]) => b.toString("utf8"))
      .join("\n");
    const refs: string[] = [];
    const schemaText = files.get(`${dir}/values.schema.json`)?.toString("utf8");
    if (schemaText) remoteRefs(JSON.parse(schemaText), refs);
    const subdirs = new Set(
      [...files.keys()]
        .map((f) => new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/charts/([^/]+)/Chart\\.yaml$`).exec(f)?.[1])
        .filter((x): x is string => !!x),
    );
    for (const sub of subdirs) {
      const s = load(`${dir}/charts/${sub}`);
      const dep = chart.dependencies?.find((d) => d.name === s.name);
      const key = dep?.alias ?? s.name;
      const mine = (defaults[key] && typeof defaults[key] === "object" ? defaults[key] : {}) as Record<string, unknown>;
      defaults[key] = { ...s.defaults, ...mine };
      templates += `\n${s.templates}`;
      refs.push(...s.refs);
    }
    return { name: chart.name, version: String(chart.version), defaults, templates, refs, schema: !!schemaText };
  };
  const c = load(root);
  return { name: c.name, version: c.version, defaults: c.defaults, templates: c.templates, remoteSchemaRefs: [...new Set(c.refs)], hasSchema: c.schema };
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Keys of `ours` the chart does not have: not in its values.yaml (subcharts included) and not
 * read by any template. Free-form maps are skipped: an empty default map, or a key whose value
 * the templates range over or pass through (toYaml/toJson/tpl).
 */
export function unknownValueKeys(ours: Record<string, unknown>, chart: ChartInfo): string[] {
  const out: string[] = [];
  const ref = (key: string) => `(\\.${esc(key)}(?![\\w.])|"${esc(key)}")`;
  // A map the templates hand over whole: `toYaml .Values.x.key`, `.key | toYaml`, a merge,
  // `omit`/`pick` of it (argo-cd's argocd-cm: `omit .Values.configs.cm "create" "annotations"`, then ranged), or
  // `with .Values.x.key }} … toYaml .` (also inside config templates kept in values.yaml).
  const passthrough = (key: string) =>
    new RegExp(`(toYaml|toJson|tpl|mustMerge\\w*|merge\\w*|deepCopy|omit|pick)[^}\\n]*${ref(key)}`).test(chart.templates) ||
    new RegExp(`${ref(key)}\\s*\\|\\s*(toYaml|toJson)`).test(chart.templates) ||
    new RegExp(`with[^}\\n]*${ref(key)}[^}\\n]*\\}\\}[\\s\\S]{0,200}?(toYaml|toJson|tpl)\\s*\\(?\\s*\\.`).test(chart.templates);
  // A map the templates range over (`range $name, $config := .Values.ports`): its entries are names the
  // user chooses (any key is fine at that level), but an entry the chart defines (traefik's ports.web) is
  // still a structure whose keys the chart reads — ports.web.redirectTo, removed in traefik 34, is caught.
  // Entries count as structures only where the templates read a field of the range variable (`$config.http`);
  // a map ranged without that (grafana.ini: `range $elem, $elemVal := index .Values "grafana.ini"`, then its
  // sections ranged again) stays free-form.
  const ranged = (key: string): "no" | "free" | "structured" => {
    if (!new RegExp(`range[^}\\n]*${ref(key)}`).test(chart.templates)) return "no";
    // The range variable's field reads are looked for in the range's own body (the next 300 characters).
    const bodies = [...chart.templates.matchAll(new RegExp(`range\\s+\\$\\w+\\s*,\\s*(\\$\\w+)\\s*:=[^}\\n]*${ref(key)}`, "g"))].map((m) => ({
      v: m[1]!,
      body: chart.templates.slice(m.index!, m.index! + 300),
    }));
    return bodies.some(({ v, body }) => new RegExp(`${esc(v)}\\.\\w`).test(body)) ? "structured" : "free";
  };
  const readByTemplate = (key: string) => new RegExp(`\\.${esc(key)}(?![\\w])|"${esc(key)}"`).test(chart.templates);
  const walk = (o: Record<string, unknown>, d: unknown, at: string[]) => {
    const r = at.length > 0 ? ranged(at[at.length - 1]!) : "no";
    if (at.length > 0 && (passthrough(at[at.length - 1]!) || r === "free")) return;
    const names = r === "structured";
    for (const [k, v] of Object.entries(o)) {
      if (at.length === 0 && k === "global") continue;
      const here = [...at, k];
      if (names && !(isMap(d) && k in d)) continue;
      if (isMap(d) && Object.keys(d).length > 0 && !(k in d)) {
        if (!readByTemplate(k)) out.push(here.join("."));
        continue;
      }
      const dv = isMap(d) ? d[k] : undefined;
      if (isMap(v) && isMap(dv) && Object.keys(dv).length > 0) walk(v, dv, here);
    }
  };
  walk(ours ?? {}, chart.defaults, []);
  return out;
}

export function tmpHome(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const d of ["cache", "config", "data"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
  return dir;
}
