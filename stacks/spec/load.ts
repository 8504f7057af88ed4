/**
 * Loading and validating a stack's spec: the `platform:*` config of the stack plus the
 * blueprint file it selects, validated by the one platform schema before anything is
 * registered. Pure apart from reading the blueprint file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { ChartMirror, OFFICIAL_REPOSITORIES, parseMirrorSetting, readDirectoryMirror } from "../../components/charts";
import { SpecError, SpecIssue, describeZodIssue, renderPath } from "./errors";
import { PlatformSpec, platformSource, resolvePlatform, type WebBuilds } from "./platform";
import { planAssetObjects } from "../../components/edge/assets";
import { webAppServiceProblem, webBuildProblem } from "../../components/edge/build";
import { bucketPathPatterns, buildRuleTable } from "../../components/edge/headers";
import { APP_HASH_CONVENTIONS } from "../../components/edge/plan";
import { stackConfig } from "./stack-config";

/** The project directory (where Pulumi.yaml is): relative paths in the config are resolved against it. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
export const BLUEPRINTS_DIR = path.join(PROJECT_DIR, "blueprints");
/** Supplies `platform:charts.mirror` when the stack file does not set it (tests, `npm run local`, CI). */
export const CHARTS_MIRROR_ENV = "PLATFORM_CHARTS_MIRROR";

/** Where blueprints are read from: PLATFORM_BLUEPRINTS_DIR (teams that keep their own) or this repo's `blueprints/`. */
export function blueprintsDir(): string {
  return process.env.PLATFORM_BLUEPRINTS_DIR ? path.resolve(process.env.PLATFORM_BLUEPRINTS_DIR) : BLUEPRINTS_DIR;
}

/** Parse the raw `platform:*` config map (values as the engine passes them: strings, objects JSON-encoded). */
export function platformConfigFromRaw(raw: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith("platform:")) continue;
    const name = key.slice("platform:".length);
    out[name] = parseConfigValue(value);
  }
  return out;
}

function parseConfigValue(v: string): unknown {
  const t = v.trim();
  if (t.startsWith("{") || t.startsWith("[") || t === "true" || t === "false" || /^-?\d+(\.\d+)?$/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return v;
    }
  }
  return v;
}

export function availableBlueprints(dir = blueprintsDir()): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Read a blueprint file; problems come back as issues, never thrown. */
export function readBlueprint(name: string, dir = blueprintsDir()): { data?: unknown; issues: SpecIssue[] } {
  const file = path.join(dir, `${name}.yaml`);
  const rel = `blueprints/${name}.yaml`;
  if (!/^[a-z][-a-z0-9]*$/.test(name) || !fs.existsSync(file)) {
    return {
      issues: [
        {
          file: "stack config",
          path: "platform:blueprint",
          message: `no blueprint '${name}': choose one of ${availableBlueprints(dir).join(", ") || "(none found)"}`,
        },
      ],
    };
  }
  const doc = parseDocument(fs.readFileSync(file, "utf8"), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { issues: doc.errors.map((e) => ({ file: rel, path: `line ${e.linePos?.[0]?.line ?? "?"}`, message: e.message.split("\n")[0]! })) };
  }
  return { data: doc.toJS(), issues: [] };
}

export interface LoadInput {
  stack: string;
  /** The `platform:*` config, parsed (see platformConfigFromRaw). */
  config: Record<string, unknown>;
  /** Blueprint data; read from blueprints/ by `config.blueprint` when absent. */
  blueprint?: unknown;
  blueprintsDir?: string;
  /** Environment (default process.env): PLATFORM_CHARTS_MIRROR. */
  env?: Record<string, string | undefined>;
  /** Base of relative paths (default PROJECT_DIR). */
  projectDir?: string;
}

/**
 * Where Helm charts come from, and the problems with it. Precedence: `platform:charts.mirror` in
 * the stack file, else the environment variable PLATFORM_CHARTS_MIRROR, else the official
 * repositories. A directory mirror is read here, before anything is registered: it must exist,
 * hold an index.yaml, and list every pinned chart version with an archive that exists.
 * Format problems of the config key are reported by the schema; this reports the rest.
 */
export function resolveChartsMirror(
  config: Record<string, unknown>,
  stackFile: string,
  env: Record<string, string | undefined> = process.env,
  projectDir = PROJECT_DIR,
): { mirror: ChartMirror; issues: SpecIssue[] } {
  const charts = config.charts;
  const fromConfig = charts && typeof charts === "object" && !Array.isArray(charts) ? (charts as Record<string, unknown>).mirror : undefined;
  const envValue = env[CHARTS_MIRROR_ENV];
  let raw: string;
  let where: { file: string; path: string; note: string };
  if (fromConfig !== undefined) {
    if (typeof fromConfig !== "string") return { mirror: OFFICIAL_REPOSITORIES, issues: [] }; // the schema reports the type
    raw = fromConfig;
    where = { file: stackFile, path: "platform:charts.mirror", note: "" };
  } else if (envValue !== undefined && envValue.trim() !== "") {
    raw = envValue;
    where = { file: "environment", path: CHARTS_MIRROR_ENV, note: " (it supplies platform:charts.mirror, which the stack file does not set)" };
  } else {
    return { mirror: OFFICIAL_REPOSITORIES, issues: [] };
  }
  const setting = parseMirrorSetting(raw);
  switch (setting.kind) {
    case "official":
      return { mirror: OFFICIAL_REPOSITORIES, issues: [] };
    case "repository":
      return { mirror: { kind: "repository", url: setting.url }, issues: [] };
    case "invalid":
      // The schema already names the config key; the environment variable is only checked here.
      return {
        mirror: OFFICIAL_REPOSITORIES,
        issues: where.file === "environment" ? [{ file: where.file, path: where.path, message: setting.message + where.note }] : [],
      };
    case "directory": {
      const read = readDirectoryMirror(path.resolve(projectDir, setting.path));
      if (read.mirror) return { mirror: read.mirror, issues: [] };
      return { mirror: OFFICIAL_REPOSITORIES, issues: read.problems.map((message) => ({ file: where.file, path: where.path, message: message + where.note })) };
    }
  }
}

/**
 * The web app's builds (`platform:webBuilds`), resolved against the project directory and read
 * here, before anything is registered: each must be a directory that can give the CSP hashes of
 * its inline scripts (components/edge/build.ts, the same check the single host's proxy plan
 * makes), and the edge's must be what the EdgeSite can upload (components/edge/assets.ts: a static
 * site's index document; with a dynamic origin, only files under the bucket's path prefixes).
 * Read from the raw config and blueprint so these problems are reported with the schema's; a name
 * the cross-field rules refuse (no edge, not a servesWebApp service) is not read.
 */
export function resolveWebBuilds(
  config: Record<string, unknown>,
  blueprint: unknown,
  stackFile: string,
  projectDir = PROJECT_DIR,
): { webBuilds: WebBuilds; issues: SpecIssue[] } {
  const webBuilds: WebBuilds = { services: {} };
  const issues: SpecIssue[] = [];
  const raw = config.webBuilds;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { webBuilds, issues };
  const { edge, services } = raw as { edge?: unknown; services?: unknown };
  const bp = (blueprint && typeof blueprint === "object" ? blueprint : {}) as { edge?: { app?: unknown; origin?: unknown }; services?: unknown };
  const bpServices = Array.isArray(bp.services)
    ? bp.services
        .filter((x): x is Record<string, unknown> => !!x && typeof x === "object")
        .map((x) => ({ name: String(x.name), exposure: String(x.exposure ?? "internal"), servesWebApp: x.servesWebApp === true }))
    : [];
  if (typeof edge === "string" && edge.length > 0 && bp.edge && typeof bp.edge === "object") {
    const dir = path.resolve(projectDir, edge);
    const origin = bp.edge.origin !== undefined;
    let problem = webBuildProblem(dir, "the edge site's build", !origin);
    if (!problem) {
      const conventions = APP_HASH_CONVENTIONS[bp.edge.app as keyof typeof APP_HASH_CONVENTIONS];
      if (conventions) {
        const policy = { hashed: { conventions: [...conventions] } };
        try {
          planAssetObjects(dir, buildRuleTable(policy), origin ? bucketPathPatterns(policy) : undefined);
        } catch (e) {
          problem = (e as Error).message.replace(/^assets: /, "");
        }
      }
    }
    if (problem) issues.push({ file: stackFile, path: "platform:webBuilds.edge", message: problem });
    else webBuilds.edge = dir;
  }
  if (services && typeof services === "object" && !Array.isArray(services)) {
    for (const [name, value] of Object.entries(services as Record<string, unknown>)) {
      if (typeof value !== "string" || value.length === 0 || webAppServiceProblem(bpServices, name)) continue;
      const dir = path.resolve(projectDir, value);
      const problem = webBuildProblem(dir, `the build ${name}'s image serves`, true);
      if (problem) issues.push({ file: stackFile, path: `platform:webBuilds.services.${name}`, message: problem });
      else webBuilds.services[name] = dir;
    }
  }
  return { webBuilds, issues };
}

/** Validate everything and return the resolved spec, or throw a SpecError listing every problem. */
export function loadSpec(input: LoadInput): PlatformSpec {
  const stackFile = `Pulumi.${input.stack}.yaml`;
  const issues: SpecIssue[] = [];
  let blueprint = input.blueprint;
  const bpName = typeof input.config.blueprint === "string" ? input.config.blueprint : undefined;
  if (blueprint === undefined) {
    if (bpName === undefined) {
      issues.push({
        file: stackFile,
        path: "platform:blueprint",
        message: `required: name the blueprint this stack deploys (${availableBlueprints(input.blueprintsDir).join(", ")})`,
      });
    } else {
      const read = readBlueprint(bpName, input.blueprintsDir);
      issues.push(...read.issues.map((i) => (i.file === "stack config" ? { ...i, file: stackFile } : i)));
      blueprint = read.data;
    }
  }
  if (issues.length > 0) throw new SpecError(input.stack, issues);

  const charts = resolveChartsMirror(input.config, stackFile, input.env, input.projectDir);
  const builds = resolveWebBuilds(input.config, blueprint, stackFile, input.projectDir);
  const source = { stack: input.stack, config: input.config, blueprint };
  const parsed = platformSource.safeParse(source);
  if (!parsed.success) {
    const bpFile = `blueprints/${bpName ?? "?"}.yaml`;
    for (const zi of parsed.error.issues) {
      const [root, ...rest] = zi.path;
      if (root === "config" && rest.length === 0 && zi.code === "unrecognized_keys") {
        for (const k of zi.keys) {
          issues.push({
            file: stackFile,
            path: `platform:${k}`,
            message: `unknown key: remove it or fix the spelling (known keys: ${Object.keys(stackConfig.shape).join(", ")})`,
          });
        }
      } else if (root === "config") {
        const [key, ...sub] = rest;
        issues.push({
          file: stackFile,
          path: `platform:${String(key ?? "")}${sub.length ? renderPath(sub, (input.config as any)[String(key)]).replace(/^(?!\[)/, ".") : ""}`,
          message: describeZodIssue(zi),
        });
      } else if (root === "blueprint") {
        issues.push({ file: bpFile, path: renderPath(rest, blueprint), message: describeZodIssue(zi) });
      } else {
        issues.push({ file: stackFile, path: renderPath(zi.path, source), message: describeZodIssue(zi) });
      }
    }
    throw new SpecError(input.stack, [...issues, ...charts.issues, ...builds.issues]);
  }
  if (charts.issues.length > 0 || builds.issues.length > 0) throw new SpecError(input.stack, [...charts.issues, ...builds.issues]);
  return resolvePlatform(parsed.data, charts.mirror, builds.webBuilds);
}
