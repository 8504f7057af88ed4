/**
 * Run this repository's program for a stack (`Pulumi.<stack>.yaml`) or for any blueprint on a
 * tier, under the harness. No credentials and no secret decryption: secure config values and
 * human secrets the stack has not set are replaced by obvious placeholders, and the result says
 * which.
 */
// First: the plan cache takes the digest of the program's sources before the program is loaded.
import * as planCache from "./plan-cache";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { main } from "../../stacks/program";
import { SpecError } from "../../stacks/spec/errors";
import { availableBlueprints, loadSpec, platformConfigFromRaw, readBlueprint } from "../../stacks/spec/load";
import { TIERS, TierName, TIER_NAMES } from "../../stacks/spec/tiers";
import type { Inventory } from "./inventory";
import { ProgramError, runProgram } from "./run";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "platform";

export interface StackInput {
  /** Stack name, as in `Pulumi.<stack>.yaml`. */
  stack: string;
  /** Engine-style config: `ns:key` → string (objects JSON-encoded). */
  config: Record<string, string>;
  secretKeys: string[];
  /** Config paths whose values are placeholders in this run (secure values, unset human secrets). */
  placeholders: string[];
}

export function listStacks(root = REPO_ROOT): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.([\w-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort((a, b) => order(a) - order(b) || a.localeCompare(b));
}

function order(stack: string): number {
  const i = (TIER_NAMES as readonly string[]).indexOf(stack);
  return i < 0 ? 99 : i;
}

/** The value that stands in for a secret config value at `path` (e.g. `platform:secrets.mailgunApiKey`). */
export function placeholderFor(path: string): string {
  return `plan-placeholder-${path.replace(/[^\w]+/g, "-")}`;
}

/** Replace `{ secure: ... }` leaves with placeholders; returns whether any were found. */
function stripSecure(value: unknown, at: string, found: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => stripSecure(v, `${at}[${i}]`, found));
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === "string") {
      found.push(at);
      return placeholderFor(at);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, stripSecure(v, `${at}.${k}`, found)]));
  }
  return value;
}

/** Read a stack file into the config map the engine would pass to the program. */
export function readStackFile(stack: string, root = REPO_ROOT): StackInput {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack '${stack}': expected ${path.relative(process.cwd(), file)} (stacks: ${listStacks(root).join(", ")})`);
  }
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const placeholders: string[] = [];
  for (const [key, raw] of Object.entries(doc.config ?? {})) {
    const found: string[] = [];
    const value = stripSecure(raw, key, found);
    if (found.length > 0) secretKeys.push(key);
    placeholders.push(...found);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { stack, config, secretKeys, placeholders };
}

/**
 * Fill human secrets the blueprint declares but the stack has not set (they live outside git),
 * so the credential-free plan can run. The real program still refuses to deploy without them.
 */
export function withPlaceholderSecrets(input: StackInput): StackInput {
  return withAlertingSecretPlaceholders(withHumanSecretPlaceholders(input));
}

/**
 * The same for alert receivers (`platform:alerting.receivers`): each one's secret
 * (`platform:alertingSecrets.<name>`, set with `pulumi config set --secret`) lives outside git.
 */
function withAlertingSecretPlaceholders(input: StackInput): StackInput {
  const alerting = input.config["platform:alerting"] ? (JSON.parse(input.config["platform:alerting"]) as { receivers?: { name: string }[] }) : undefined;
  const current = input.config["platform:alertingSecrets"] ? (JSON.parse(input.config["platform:alertingSecrets"]) as Record<string, string>) : {};
  const missing = (alerting?.receivers ?? []).map((r) => r.name).filter((n) => current[n] === undefined);
  if (missing.length === 0 || input.config["platform:tier"] === "local") return input;
  for (const n of missing) current[n] = placeholderFor(`platform:alertingSecrets.${n}`);
  return {
    ...input,
    config: { ...input.config, "platform:alertingSecrets": JSON.stringify(current) },
    secretKeys: [...new Set([...input.secretKeys, "platform:alertingSecrets"])],
    placeholders: [...input.placeholders, ...missing.map((n) => `platform:alertingSecrets.${n}`)],
  };
}

function withHumanSecretPlaceholders(input: StackInput): StackInput {
  const bpName = input.config["platform:blueprint"];
  if (!bpName) return input;
  const bp = readBlueprint(bpName).data as { secrets?: { external?: { name: string }[] } } | undefined;
  const declared = bp?.secrets?.external?.map((s) => s.name) ?? [];
  const current = input.config["platform:secrets"] ? (JSON.parse(input.config["platform:secrets"]) as Record<string, string>) : {};
  const missing = declared.filter((n) => current[n] === undefined);
  if (missing.length === 0 || input.config["platform:tier"] === "local") return input;
  for (const n of missing) current[n] = placeholderFor(`platform:secrets.${n}`);
  return {
    ...input,
    config: { ...input.config, "platform:secrets": JSON.stringify(current) },
    secretKeys: [...new Set([...input.secretKeys, "platform:secrets"])],
    placeholders: [...input.placeholders, ...missing.map((n) => `platform:secrets.${n}`)],
  };
}

/** The config a blueprint gets on a tier: the tier's stack file, with the blueprint swapped in. */
export function blueprintStackInput(blueprint: string, tier: TierName, root = REPO_ROOT): StackInput {
  const base = readStackFile(tier, root);
  const config: Record<string, string> = { ...base.config, "platform:blueprint": blueprint };
  delete config["platform:secrets"];
  const bp = readBlueprint(blueprint).data as { hosting?: Record<string, unknown> } | undefined;
  const hosting = TIERS[tier].hosting;
  if (bp?.hosting && !bp.hosting[hosting]) {
    // A Kubernetes-only system on the dev tier runs dev on Kubernetes (and vice versa).
    const other = hosting === "kubernetes" ? "singleHost" : "kubernetes";
    config["platform:hosting"] = other;
    if (other === "kubernetes" && !config["platform:cluster"]) config["platform:cluster"] = JSON.stringify({ mode: "eks" });
  }
  const placeholders = [...base.placeholders];
  const edge = (bp as { edge?: { provider?: string } } | undefined)?.edge;
  if (tier !== "local" && edge?.provider === "cloudfront" && !config["platform:route53ZoneId"]) {
    // The tier's stack file serves a Cloudflare zone; a CloudFront blueprint needs a Route 53 zone id.
    config["platform:route53ZoneId"] = "ZPLANPLACEHOLDER0000";
    placeholders.push("platform:route53ZoneId");
  }
  return withPlaceholderSecrets({ ...base, config, placeholders });
}

/** `input` with extra `platform:*` keys set (each value JSON-encoded, as stack files hold them). */
export function withConfig(input: StackInput, extra: Record<string, unknown>): StackInput {
  return { ...input, config: { ...input.config, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, JSON.stringify(v)])) } };
}

/** The spec's refusals of a stack input (path and message of each issue), or [] when it loads; no environment is read. */
export function specErrors(input: StackInput): { path: string; message: string }[] {
  try {
    loadSpec({ stack: input.stack, config: platformConfigFromRaw(input.config), env: {} });
  } catch (e) {
    if (e instanceof SpecError) return e.issues.map((i) => ({ path: i.path, message: i.message }));
    throw e;
  }
  return [];
}

export interface StackRun {
  input: StackInput;
  inventory: Inventory;
}

/** A plan's outcome as plain data (what the plan cache stores). */
type Outcome = { ok: true; inventory: Inventory } | { ok: false; message: string; errors: string[]; inventory: Inventory };

/**
 * Run the program on `input`. Under vitest, the input of a stack file or of a blueprint × tier as
 * this module builds them (`canonical`) is planned once per source state and shared through the
 * plan cache (plan-cache.ts), failures included; any other input runs in-process every time.
 */
export async function runStackInput(input: StackInput, opts: { preview?: boolean } = {}): Promise<StackRun> {
  const preview = opts.preview ?? false;
  const plan = () => runProgram(() => main(), { project: PROJECT, stack: input.stack, config: input.config, secretKeys: input.secretKeys, preview });
  if (!canonical(input)) return { input, inventory: await plan() };
  const outcome = await planCache.cached<Outcome>(input, preview, async () => {
    try {
      return { ok: true, inventory: await plan() };
    } catch (err) {
      if (err instanceof ProgramError) return { ok: false, message: err.message, errors: err.errors, inventory: err.inventory };
      throw err;
    }
  });
  if (!outcome.ok) throw new ProgramError(outcome.message, outcome.errors, outcome.inventory);
  return { input, inventory: outcome.inventory };
}

let canonicalKeys: Set<string> | undefined;
/**
 * Whether `input` is exactly what `runStack` or `runBlueprint` build from this repository's files
 * (any blueprint on any tier), with the cache enabled and blueprints read from the repository.
 * A test that edits an input, or reads blueprints from elsewhere, is not served from the cache.
 */
function canonical(input: StackInput): boolean {
  if (!planCache.enabled() || process.env.PLATFORM_BLUEPRINTS_DIR) return false;
  if (!canonicalKeys) {
    const keys = new Set<string>();
    const add = (build: () => StackInput) => {
      try {
        keys.add(planCache.entryKey(build(), false));
      } catch {
        // a stack or blueprint that cannot even be read is not cached
      }
    };
    for (const s of listStacks()) add(() => withPlaceholderSecrets(readStackFile(s)));
    for (const b of availableBlueprints()) for (const t of TIER_NAMES) add(() => blueprintStackInput(b, t));
    canonicalKeys = keys;
  }
  return canonicalKeys.has(planCache.entryKey(input, false));
}

/** Run `Pulumi.<stack>.yaml` through the real program under mocks. */
export function runStack(stack: string, opts: { preview?: boolean } = {}): Promise<StackRun> {
  return runStackInput(withPlaceholderSecrets(readStackFile(stack)), opts);
}

/** Run any blueprint on any tier. */
export function runBlueprint(blueprint: string, tier: TierName, opts: { preview?: boolean } = {}): Promise<StackRun> {
  return runStackInput(blueprintStackInput(blueprint, tier), opts);
}
