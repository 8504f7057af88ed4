/**
 * Small helpers shared by the policies. No provider SDK is loaded at run time: policies match
 * on type tokens (as the engine sends them) and read the raw input properties, so the pack
 * works on any program, not only on our components.
 */
import type {
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

export type Tier = "dev" | "staging" | "prod";
export const TIERS: Tier[] = ["dev", "staging", "prod"];

/** Every policy accepts `tier` in its config (see policies/README.md). */
export const TIER_SCHEMA = { type: "string", enum: TIERS } as const;

export function schema(extra: PolicyConfigSchema["properties"] = {}): PolicyConfigSchema {
  return { properties: { tier: TIER_SCHEMA as any, ...extra } };
}

/**
 * The tier the stack belongs to, in order: policy config `tier` (the documented way:
 * `--policy-pack-config policies/config/<tier>.json`), stack tag `platform:tier`, then the
 * stack name in the URN (`dev`, `local` → dev; `*stag*` → staging; `*prod*` → prod); anything
 * else is treated as prod, the strictest tier.
 */
export function resolveTier(config: { tier?: unknown }, stackTags: ReadonlyMap<string, string> | undefined, urn: string | undefined): Tier {
  const fromConfig = typeof config.tier === "string" ? config.tier : undefined;
  const fromTag = stackTags?.get("platform:tier");
  for (const v of [fromConfig, fromTag]) if (v && (TIERS as string[]).includes(v)) return v as Tier;
  const stack =
    urn
      ?.split("::")[0]
      ?.replace(/^urn:pulumi:/, "")
      .toLowerCase() ?? "";
  if (/prod/.test(stack)) return "prod";
  if (/stag/.test(stack)) return "staging";
  if (/^(dev|local|development)([-_.].*)?$/.test(stack)) return "dev";
  return "prod";
}

export function tierOfResource(args: ResourceValidationArgs): Tier {
  return resolveTier(args.getConfig<{ tier?: string }>(), args.stackTags, args.urn);
}

export function tierOfStack(args: StackValidationArgs): Tier {
  return resolveTier(args.getConfig<{ tier?: string }>(), args.stackTags, args.resources[0]?.urn);
}

/** A resource validation applied to resources of the given type tokens (others pass). */
export function forTypes(types: string[], fn: (props: any, args: ResourceValidationArgs, report: ReportViolation) => void): ResourceValidation {
  const set = new Set(types);
  const v: ResourceValidation = (args, report) => {
    if (!set.has(args.type)) return;
    return fn(args.props, args, report);
  };
  // Same fast path the SDK's validateResourceOfType uses: the engine skips other types.
  if (types.length === 1) (v as any).__pulumiType = types[0];
  return v;
}

export function resourcePolicy(p: Omit<ResourceValidationPolicy, "configSchema"> & { configSchema?: PolicyConfigSchema }): ResourceValidationPolicy {
  return { configSchema: schema(), ...p };
}

export function stackPolicy(p: Omit<StackValidationPolicy, "configSchema"> & { configSchema?: PolicyConfigSchema }): StackValidationPolicy {
  return { configSchema: schema(), ...p };
}

/** Resources of any of the given types. */
export function ofTypes(resources: PolicyResource[], ...types: string[]): PolicyResource[] {
  const set = new Set(types);
  return resources.filter((r) => set.has(r.type));
}

/** Resources a property of `r` was computed from (propertyDependencies), filtered by type. */
export function depsOf(r: PolicyResource, prop: string, ...types: string[]): PolicyResource[] {
  const deps = r.propertyDependencies[prop] ?? [];
  return types.length ? deps.filter((d) => types.includes(d.type)) : deps;
}

export const asArray = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** Boolean-ish values as providers accept them ("true", true, "on"...). */
export function truthy(v: unknown): boolean {
  return v === true || (typeof v === "string" && /^(true|on|1|yes)$/i.test(v)) || v === 1;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

export const K8S = {
  namespace: "kubernetes:core/v1:Namespace",
  service: "kubernetes:core/v1:Service",
  pod: "kubernetes:core/v1:Pod",
  configMap: "kubernetes:core/v1:ConfigMap",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  replicaSet: "kubernetes:apps/v1:ReplicaSet",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  traefikMiddleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  traefikMiddlewareLegacy: "kubernetes:traefik.containo.us/v1alpha1:Middleware",
} as const;

export const WORKLOAD_TYPES: string[] = [K8S.pod, K8S.deployment, K8S.statefulSet, K8S.daemonSet, K8S.replicaSet, K8S.job, K8S.cronJob];

/** Pod spec of a workload's inputs (any kind). */
export function podSpecOf(type: string, props: any): any | undefined {
  if (type === K8S.pod) return props?.spec;
  if (type === K8S.cronJob) return props?.spec?.jobTemplate?.spec?.template?.spec;
  return props?.spec?.template?.spec;
}

export function containersOf(podSpec: any): any[] {
  return [...asArray(podSpec?.initContainers), ...asArray(podSpec?.containers), ...asArray(podSpec?.ephemeralContainers)];
}

export const nsOf = (props: any): string => props?.metadata?.namespace ?? "default";

/** The inputs of a kubernetes resource as a manifest (kind inferred from the type token when absent). */
export function asManifest(r: { type: string; props: any }): any {
  const kind = r.type.split(":")[2];
  return { kind, ...r.props };
}

export const ROLE_LABEL = "platform.io/role";

// ---------------------------------------------------------------------------------------------
// Images

/** Parses an image reference: registry/repo[:tag][@digest]. */
export function parseImage(image: string): { repo: string; tag?: string; digest?: string } {
  const [nameTag, digest] = image.split("@", 2) as [string, string | undefined];
  const slash = nameTag.lastIndexOf("/");
  const colon = nameTag.lastIndexOf(":");
  if (colon > slash) return { repo: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1), digest };
  return { repo: nameTag, digest };
}

/** Why an image reference is not pinned, or undefined when it is (a digest, or a tag other than latest). */
export function unpinnedReason(image: string): string | undefined {
  if (/^sha256:[0-9a-f]{64}$/.test(image)) return undefined; // an image ID (docker RemoteImage.imageId)
  const { tag, digest } = parseImage(image);
  if (digest) return undefined;
  if (!tag) return `image '${image}' has no tag (means :latest); pin a version tag or a digest`;
  if (tag === "latest" || tag === "stable" || tag === "main" || tag === "master")
    return `image '${image}' uses the moving tag ':${tag}'; pin a version tag or a digest`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Header text checks (worker code, Caddyfiles, nginx snippets, JSON rule tables): case-insensitive,
// tolerant of quotes, colons, commas and "set"/"add_header" syntax between name and value.

const SEP = `[^a-z0-9\\n]{0,8}(?:value[^a-z0-9\\n]{0,4})?`;
export const COOP_RE = new RegExp(`cross-origin-opener-policy${SEP}same-origin\\b`, "i");
export const COEP_RE = new RegExp(`cross-origin-embedder-policy${SEP}(require-corp|credentialless)\\b`, "i");
export const WASM_TYPE_RE = new RegExp(`\\.?wasm${SEP}application/wasm`, "i");

export function headerTextProblems(text: string): string[] {
  const out: string[] = [];
  if (!COOP_RE.test(text)) out.push("Cross-Origin-Opener-Policy: same-origin");
  if (!COEP_RE.test(text)) out.push("Cross-Origin-Embedder-Policy: require-corp (or credentialless)");
  return out;
}

/** COOP/COEP check on a header map (name → value), names case-insensitive. */
export function headerMapProblems(headers: Record<string, string | undefined>): string[] {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === "string") lower[k.toLowerCase()] = v.trim().toLowerCase();
  const out: string[] = [];
  if (lower["cross-origin-opener-policy"] !== "same-origin") out.push("Cross-Origin-Opener-Policy: same-origin");
  const coep = lower["cross-origin-embedder-policy"];
  if (coep !== "require-corp" && coep !== "credentialless") out.push("Cross-Origin-Embedder-Policy: require-corp (or credentialless)");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Networks

export const WORLD = ["0.0.0.0/0", "::/0"];
export const isWorld = (cidr: unknown): boolean => typeof cidr === "string" && /^(0\.0\.0\.0|::)\/0$/.test(cidr.trim());

/** Port range [from, to] of an SG rule; protocol -1/all means every port. */
export function sgPortRange(protocol: unknown, fromPort: unknown, toPort: unknown): [number, number] {
  if (protocol === "-1" || protocol === "all" || protocol === -1) return [0, 65535];
  const f = typeof fromPort === "number" ? fromPort : 0;
  const t = typeof toPort === "number" ? toPort : 65535;
  return [f, t];
}

/** Ports commonly used by metrics/exporter endpoints. */
export const METRICS_PORTS = new Set([9090, 9091, 9093, 9100, 9102, 9113, 9121, 9187, 9216, 9400, 9464, 9180]);
export const isMetricsPortName = (name: unknown): boolean => typeof name === "string" && /metric|prom|exporter/i.test(name);

/** Images of well-known data stores (for docker hosts and namespace classification). */
export const DATA_IMAGE_RE =
  /(^|\/)(postgres|postgis|timescale|mysql|mariadb|redis|valkey|keydb|memcached|mongo|scylla|cassandra|ipfs|kubo|seaweedfs|minio|elasticsearch|opensearch|clickhouse|etcd)([:@/-]|$)/i;

// ---------------------------------------------------------------------------------------------
// Unknown values (preview). The engine wraps props in @pulumi/policy's unknown-checking proxy:
// reading an unknown value throws and turns the whole policy into a "can't run during preview"
// advisory. `peek` reads without throwing, so a policy can skip just the one unknown thing.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const policyProxy = require("@pulumi/policy/proxy") as Record<string, unknown>;
const SENTINELS = new Set(
  [
    "unknownBooleanValue",
    "unknownNumberValue",
    "unknownStringValue",
    "unknownArrayValue",
    "unknownAssetValue",
    "unknownArchiveValue",
    "unknownObjectValue",
  ].map((k) => policyProxy[k]),
);

export const UNKNOWN: unique symbol = Symbol("unknown");

/** The raw object behind the SDK's proxy (sentinels visible), or the value itself. */
export function raw<T>(v: T): T {
  return v && typeof v === "object" && (v as any).__isSpecialProxy === true ? (v as any).__getSpecialProxyTarget : v;
}

/** Reads a path without throwing on unknowns: returns UNKNOWN instead. */
export function peek(obj: unknown, ...path: (string | number)[]): unknown {
  let cur: any = raw(obj);
  if (SENTINELS.has(cur)) return UNKNOWN;
  for (const k of path) {
    if (cur === undefined || cur === null) return undefined;
    cur = cur[k];
    if (SENTINELS.has(cur)) return UNKNOWN;
  }
  return cur;
}

/** True for the SDK's unknown-value sentinels (visible when reading through `raw`). */
export const isUnknownValue = (v: unknown): boolean => SENTINELS.has(v);

/** True when the value at the path is set (an unknown value counts as set). */
export const isSet = (obj: unknown, ...path: (string | number)[]): boolean => peek(obj, ...path) !== undefined;

/**
 * The SDK's own "can't be known during preview" error, with a message naming what could not be
 * judged: thrown by a stack policy after reporting everything it could judge, so the engine (and
 * the in-process runner) report the policy as not run in preview instead of passing silently.
 */
export function unknownInPreview(message: string, urns: string[] = []): Error {
  const E = policyProxy.UnknownValueError as new (sentinel: unknown, props: string[]) => Error;
  const e = new E(policyProxy.unknownStringValue, ["policy"]);
  e.message = message;
  // The resources it could not judge: the engine shows the stack-level message; the in-process
  // runner (lib/runner.ts) attributes one "can't run" diagnostic to each, so a foreign plan's
  // report can list them as not inspected one by one.
  if (urns.length) (e as Error & { urns?: string[] }).urns = [...new Set(urns)];
  return e;
}
