/**
 * The secret scan: a pure function over an inventory (the harness's, or anything shaped like it)
 * that reports every place a secret value appears OUTSIDE a secret path — in a resource input or a
 * stack output — plainly, base64-encoded (Kubernetes `data`) or URL-encoded (connection strings).
 *
 * Which values are secret: every string found under a secret path of any resource input or stack
 * output (that is where generated and configured secrets travel), plus `knownSecrets` the caller
 * adds (configured secret values, mocked generator results). Reports never contain the value.
 * No Pulumi import: the lead runs it over every stack and blueprint inventory.
 */

export interface ScannableResource {
  urn: string;
  type: string;
  inputs: Record<string, unknown>;
  secretPaths: string[];
}

export interface ScannableInventory {
  resources: ScannableResource[];
  outputs: Record<string, unknown>;
  secretOutputPaths: string[];
}

export interface KnownSecret {
  /** Where it comes from (`config platform:secrets.mailgunApiKey`), for the report. */
  label: string;
  value: string;
}

export interface Leak {
  /** `input` of a resource, or a stack `output`. */
  where: "input" | "output";
  /** Resource URN (inputs) or `stack` (outputs). */
  at: string;
  /** Path of the leaking leaf. */
  path: string;
  encoding: "plain" | "base64" | "url";
  /** Where the secret was seen as secret (URN#path or the known-secret label) — never the value. */
  secretFrom: string;
}

export interface ScanOptions {
  knownSecrets?: KnownSecret[];
  /**
   * Values found at secret paths shorter than this are not needles, so constants (`admin`) and IPv4
   * addresses inside secret connection objects (at most 15 characters) are not matched. Generated
   * secrets are longer; `knownSecrets` are always matched (from 4 characters). Default 16.
   */
  minLength?: number;
  /** The sentinel unknown values carry (preview); never treated as a secret. */
  unknownSentinel?: string;
  /**
   * Values that sit under a secret path but are not secret themselves (a user name inside a secret
   * `stringData`, say) and legitimately appear elsewhere. Each is a reviewed exception.
   */
  notSecret?: string[];
}

/** Same path syntax as the harness: `a.b[2]["weird key"]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  if (!base) return safe.startsWith('"') ? `[${safe}]` : safe;
  return safe.startsWith('"') ? `${base}[${safe}]` : `${base}.${safe}`;
}

/** Every string leaf with its path. */
export function stringLeaves(v: unknown, path = ""): [string, string][] {
  if (typeof v === "string") return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, joinPath(path, i)));
  if (v && typeof v === "object") return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => stringLeaves(x, joinPath(path, k)));
  return [];
}

export function isUnder(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((s) => s === "" || path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`));
}

interface Needle {
  from: string;
  forms: { encoding: Leak["encoding"]; text: string }[];
}

function needle(value: string, from: string): Needle {
  const forms: Needle["forms"] = [{ encoding: "plain", text: value }];
  const b64 = Buffer.from(value, "utf8").toString("base64");
  forms.push({ encoding: "base64", text: b64 });
  const url = encodeURIComponent(value);
  if (url !== value) forms.push({ encoding: "url", text: url });
  return { from, forms };
}

/** Collect the secret values an inventory carries at its secret paths. */
export function collectSecrets(inv: ScannableInventory, opts: ScanOptions = {}): Map<string, string> {
  const min = opts.minLength ?? 16;
  const unknown = opts.unknownSentinel ?? "<unknown>";
  const found = new Map<string, string>();
  const allowed = new Set(opts.notSecret ?? []);
  const take = (value: string, from: string, minLen: number) => {
    if (value === unknown || value.length < minLen || found.has(value) || allowed.has(value)) return;
    found.set(value, from);
  };
  for (const r of inv.resources) {
    if (r.secretPaths.length === 0) continue;
    for (const [p, v] of stringLeaves(r.inputs)) if (isUnder(p, r.secretPaths)) take(v, `${r.urn}#${p}`, min);
  }
  for (const [p, v] of stringLeaves(inv.outputs)) if (isUnder(p, inv.secretOutputPaths)) take(v, `stack output ${p}`, min);
  for (const k of opts.knownSecrets ?? []) take(k.value, k.label, 4);
  return found;
}

/** Every leak, sorted by location. Empty = clean. */
export function scanForSecretLeaks(inv: ScannableInventory, opts: ScanOptions = {}): Leak[] {
  const needles = [...collectSecrets(inv, opts)].map(([value, from]) => needle(value, from));
  const leaks: Leak[] = [];
  const check = (where: Leak["where"], at: string, path: string, leaf: string) => {
    for (const n of needles) {
      const hit = n.forms.find((f) => leaf.includes(f.text));
      if (hit) leaks.push({ where, at, path, encoding: hit.encoding, secretFrom: n.from });
    }
  };
  for (const r of inv.resources) {
    for (const [p, v] of stringLeaves(r.inputs)) if (!isUnder(p, r.secretPaths)) check("input", r.urn, p, v);
  }
  for (const [p, v] of stringLeaves(inv.outputs)) if (!isUnder(p, inv.secretOutputPaths)) check("output", "stack", p, v);
  return leaks.sort((a, b) => `${a.at}${a.path}`.localeCompare(`${b.at}${b.path}`));
}

/** One line per leak, for assertion messages (no values). */
export function formatLeaks(leaks: Leak[]): string {
  return leaks.map((l) => `${l.where} ${l.at} :: ${l.path} carries a secret (${l.encoding}) first seen at ${l.secretFrom}`).join("\n");
}
