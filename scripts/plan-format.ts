/**
 * The offline plan's JSON file, format 1 (docs/plan-format.md): what `npm run plan -- --json FILE`
 * writes and `npm run plan -- --diff A.json B.json` reads.
 *
 * - Every resource with its urn, type, name, parent, provider (urn and type), dependencies,
 *   per-input dependencies, options and inputs; resources sorted by urn, object keys sorted, so
 *   two runs of the same commit write byte-identical files.
 * - Every input path the inventory recorded as secret is replaced by SECRET ("[secret]"), every
 *   unknown (preview) value by UNKNOWN ("[unknown]"); a secret wins over an unknown. Then, as a
 *   second line of defence, every secret value the run saw (8 characters or more, as recorded at
 *   a secret path of any resource or stack output) is cut out of every string left in the whole
 *   document, so a value that lost its secret marker on the way (a program that unwraps a secret
 *   into a plain string) still does not reach the file.
 */
import type { Inventory, InventoryResource } from "../tools/harness/inventory";
import { UNKNOWN as INVENTORY_UNKNOWN } from "../tools/harness/inventory";
import { joinPath } from "../tools/harness/run";

export const FORMAT_VERSION = 1;
export const SECRET = "[secret]";
export const UNKNOWN = "[unknown]";
/** Secret values shorter than this are masked at their paths only, not searched for elsewhere (too many false hits). */
export const MIN_SCRUB_LENGTH = 8;

export interface PlanFileResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  provider?: { urn: string; type: string };
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  options: Record<string, unknown>;
  inputs: Record<string, unknown>;
}

export interface PlanFilePlan {
  title: string;
  target: Record<string, unknown>;
  status: string;
  mode: "preview" | "update";
  placeholders: string[];
  tier?: string;
  error?: string;
  notInspected?: unknown[];
  guessedInvokes?: string[];
  counts?: { resources: number; components: number };
  types?: Record<string, number>;
  outputs?: Record<string, unknown>;
  resources?: PlanFileResource[];
  policy?: { mandatory: number; advisory: number; policiesRun: number; violations: PlanFileViolation[] };
}

export interface PlanFileViolation {
  policyName: string;
  enforcementLevel: string;
  urn?: string;
  resourceType?: string;
  resourceName?: string;
  message: string;
  [k: string]: unknown;
}

export interface PlanFile {
  formatVersion: typeof FORMAT_VERSION;
  plans: PlanFilePlan[];
}

/** A config key named like a secret (`platform:secrets`, `aws:secretKey`, `db:password`, `x:apiKey`, …). */
export const SECRET_KEY_NAME = /secret|password|passwd|token|credential|passphrase|api_?key|private_?key|access_?key/i;

/** `--config` values as a plan records them: a key named like a secret, or listed in `secretKeys`, is `[secret]`. */
export function recordedConfig(config: Record<string, string>, secretKeys: Iterable<string> = []): Record<string, string> {
  const secret = new Set(secretKeys);
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, secret.has(k) || SECRET_KEY_NAME.test(k) ? SECRET : v]));
}

/** `value` with the inventory's secret paths masked and its unknown values marked (paths as the harness writes them). */
export function maskValue(value: unknown, secretPaths: Iterable<string>, unknownPaths: Iterable<string>, at = ""): unknown {
  const secret = new Set(secretPaths);
  const unknown = new Set(unknownPaths);
  const walk = (v: unknown, p: string): unknown => {
    if (secret.has(p)) return SECRET;
    if (unknown.has(p) || v === INVENTORY_UNKNOWN) return UNKNOWN;
    if (Array.isArray(v)) return v.map((e, i) => walk(e, joinPath(p, i)));
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).map((k) => [k, walk(o[k], joinPath(p, k))]));
    }
    return v;
  };
  return walk(value, at);
}

/** Every value the inventory recorded as secret (inputs of every resource, component outputs, stack outputs), as strings. */
export function secretValues(inv: Inventory): string[] {
  const out = new Set<string>();
  const collect = (v: unknown) => {
    if (v === null || v === undefined || v === INVENTORY_UNKNOWN) return;
    if (typeof v === "string") out.add(v);
    else if (typeof v === "number" || typeof v === "boolean") out.add(String(v));
    else if (Array.isArray(v)) v.forEach(collect);
    else if (typeof v === "object") Object.values(v).forEach(collect);
  };
  const atPaths = (root: unknown, paths: string[]) => {
    if (paths.length === 0) return;
    const wanted = new Set(paths);
    const walk = (v: unknown, p: string) => {
      if (wanted.has(p)) return collect(v);
      if (Array.isArray(v)) v.forEach((e, i) => walk(e, joinPath(p, i)));
      else if (v && typeof v === "object") for (const [k, e] of Object.entries(v)) walk(e, joinPath(p, k));
    };
    walk(root, "");
  };
  for (const r of inv.resources) {
    atPaths(r.inputs, r.secretPaths);
    if (r.outputs) atPaths(r.outputs, r.outputSecretPaths ?? []);
  }
  atPaths(inv.outputs, inv.secretOutputPaths);
  return [...out];
}

/** Replace every occurrence of a known secret value (and its base64 form) in every string and key of `doc`. */
export function scrubSecrets<T>(doc: T, secrets: string[]): T {
  const needles = [...new Set(secrets.filter((s) => s.length >= MIN_SCRUB_LENGTH).flatMap((s) => [s, Buffer.from(s).toString("base64")]))].sort(
    (a, b) => b.length - a.length,
  );
  if (needles.length === 0) return doc;
  const scrub = (s: string): string => {
    let out = s;
    for (const n of needles) if (out.includes(n)) out = out.split(n).join(SECRET);
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, e]) => [scrub(k), walk(e)]));
    return v;
  };
  return walk(doc) as T;
}

/** `v` with every object's keys in code-point order (arrays keep their order). */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The provider of a custom resource, from the inventory's `<provider urn>::<provider id>` reference. */
export function providerOf(ref: string | undefined, byUrn: Map<string, InventoryResource>): { urn: string; type: string } | undefined {
  if (!ref) return undefined;
  const urn = ref.slice(0, ref.lastIndexOf("::"));
  const type = byUrn.get(urn)?.type ?? (urn.split("::")[2] ?? "").split("$").pop() ?? "";
  return { urn, type };
}

/** One inventory resource as the plan file shows it (inputs masked; not yet scrubbed or key-sorted). */
export function planFileResource(r: InventoryResource, byUrn: Map<string, InventoryResource>): PlanFileResource {
  const provider = providerOf(r.provider, byUrn);
  const o = r.options;
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    ...(r.parent ? { parent: r.parent } : {}),
    ...(provider ? { provider } : {}),
    dependencies: [...new Set(r.dependencies)].sort(byString),
    propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, [...new Set(v)].sort(byString)])),
    options: {
      protect: o.protect,
      retainOnDelete: o.retainOnDelete,
      deleteBeforeReplace: o.deleteBeforeReplace,
      ignoreChanges: [...o.ignoreChanges],
      replaceOnChanges: [...o.replaceOnChanges],
      additionalSecretOutputs: [...o.additionalSecretOutputs],
      aliases: [...o.aliases],
      ...(o.deletedWith ? { deletedWith: o.deletedWith } : {}),
      ...(o.customTimeouts && Object.keys(o.customTimeouts).length ? { customTimeouts: o.customTimeouts } : {}),
      ...(o.version ? { version: o.version } : {}),
    },
    inputs: maskValue(r.inputs, r.secretPaths, r.unknownPaths) as Record<string, unknown>,
  };
}

/** The resources of an inventory as the plan file lists them: sorted by urn. */
export function planFileResources(inv: Inventory): PlanFileResource[] {
  const byUrn = new Map(inv.resources.map((r) => [r.urn, r]));
  return inv.resources.map((r) => planFileResource(r, byUrn)).sort((a, b) => byString(a.urn, b.urn));
}

/** Stack outputs as the plan file shows them: secrets `[secret]`, unknowns `[unknown]`. */
export function planFileOutputs(inv: Inventory): Record<string, unknown> {
  return maskValue(inv.outputs, inv.secretOutputPaths, []) as Record<string, unknown>;
}

/** The file `--json` writes: format 1, every plan key-sorted and scrubbed of the secret values its run saw. */
export function planFile(plans: { json: Record<string, unknown>; inventory?: Inventory }[]): PlanFile {
  return {
    formatVersion: FORMAT_VERSION,
    plans: plans.map((p) => sortKeys(scrubSecrets(p.json, p.inventory ? secretValues(p.inventory) : [])) as unknown as PlanFilePlan),
  };
}

/** The file's text: two-space JSON with a final newline. */
export function renderPlanFile(file: PlanFile): string {
  return JSON.stringify(file, null, 2) + "\n";
}

/** Thrown when a file is not a plan file of this format; the message names the file and the fix. */
export class PlanFileError extends Error {}

/** Read a plan file written by `--json`, refusing any other format with a message naming the file and the fix. */
export function parsePlanFile(text: string, file: string): PlanFile {
  const rewrite = `write it again with this repository's plan: npm run plan -- <targets> --json ${file}`;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PlanFileError(`${file}: not JSON (${(e as Error).message}); ${rewrite}`);
  }
  if (Array.isArray(doc))
    throw new PlanFileError(`${file}: no formatVersion (a plan file from before format ${FORMAT_VERSION}, a bare array of plans); ${rewrite}`);
  if (!doc || typeof doc !== "object")
    throw new PlanFileError(`${file}: not a plan file (expected an object with formatVersion ${FORMAT_VERSION}); ${rewrite}`);
  const v = (doc as { formatVersion?: unknown }).formatVersion;
  if (v === undefined) throw new PlanFileError(`${file}: no formatVersion (expected ${FORMAT_VERSION}); ${rewrite}`);
  if (v !== FORMAT_VERSION)
    throw new PlanFileError(
      `${file}: formatVersion ${JSON.stringify(v)} is not supported (this plan reads format ${FORMAT_VERSION}); ${rewrite}, or diff with the plan of the version that wrote it`,
    );
  const plans = (doc as { plans?: unknown }).plans;
  if (!Array.isArray(plans)) throw new PlanFileError(`${file}: formatVersion ${FORMAT_VERSION} but no plans array; ${rewrite}`);
  for (const [i, p] of plans.entries()) {
    if (!p || typeof p !== "object" || typeof (p as { title?: unknown }).title !== "string")
      throw new PlanFileError(`${file}: plans[${i}] has no title; ${rewrite}`);
  }
  return doc as PlanFile;
}
