/**
 * In-process policy runner: feeds an Inventory (what a program registered, see
 * tools/harness/inventory.ts) to the pack's policy objects exactly as the Pulumi engine's
 * analyzer does (node_modules/@pulumi/policy/server.js, v1.21.0):
 *
 *  - enforcement level = pack config[policy].enforcementLevel || policy.enforcementLevel ||
 *    pack level; `disabled` skips, `remediate` reports as mandatory; an `all` entry in the config
 *    sets the level of every policy that has no entry of its own (as the CLI does);
 *  - `getConfig()` returns the policy's config properties (schema defaults filled in, as the
 *    CLI does), without `enforcementLevel`;
 *  - resource policies run once per resource with {type, props, urn, name, opts, provider,
 *    stackTags, isType, asType, getConfig, notApplicable}; a violation's urn is the resource's;
 *  - stack policies run once with every resource as a PolicyResource whose parent,
 *    dependencies and propertyDependencies are linked objects; `reportViolation(msg, urn?)`;
 *  - props are wrapped in the SDK's unknown-checking proxy: reading a value unknown during
 *    preview throws, and the policy yields an advisory "can't run during preview" diagnostic;
 *  - the `__pulumiType` fast path (validateResourceOfType, validateStackResourcesOfType)
 *    marks non-matching policies not applicable.
 *
 * One difference: the engine gives stack policies resource OUTPUTS; the inventory has inputs
 * (plus outputs for components), which is what every policy here reads.
 */
import type {
  EnforcementLevel,
  Policies,
  Policy,
  PolicyPackConfig,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { allPolicies, concernOf, PACK_NAME } from "../policies";
import { packConfigForTier } from "./config";
import type { Tier } from "./util";

// The SDK's own proxy and sentinels (internal modules of @pulumi/policy, stable since 1.x).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(o: T): T;
  UnknownValueError: new (...a: any[]) => Error;
  unknownStringValue: string;
};

const INVENTORY_UNKNOWN = "<unknown>";

export type ReportedLevel = "advisory" | "mandatory";

export interface Violation {
  policyName: string;
  concern: "tls" | "headers" | "segmentation" | "baseline";
  description: string;
  enforcementLevel: ReportedLevel;
  /** The resource in violation (absent for a stack-wide violation). */
  urn?: string;
  resourceType?: string;
  resourceName?: string;
  message: string;
  /** True for "can't run during preview" diagnostics (always advisory, as in the engine). */
  unknown?: boolean;
}

export interface PolicyReport {
  pack: string;
  project: string;
  stack: string;
  tier?: Tier;
  preview: boolean;
  policiesRun: number;
  resourcesChecked: number;
  violations: Violation[];
  notApplicable: { policyName: string; reason?: string; urn?: string }[];
  mandatory: number;
  advisory: number;
}

export interface RunOptions {
  /** Default: every policy of the pack. */
  policies?: Policies;
  /** The `--policy-pack-config` JSON. Combined with `tier` when both are given (explicit entries win). */
  packConfig?: PolicyPackConfig;
  /** Shorthand for packConfigForTier(tier, packConfig). */
  tier?: Tier;
  /** Stack tags as the engine passes them (e.g. { "platform:tier": "prod" }). */
  stackTags?: Record<string, string>;
  /** Level of policies without their own; index.ts uses mandatory. */
  packEnforcementLevel?: EnforcementLevel;
}

class NotApplicable extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}
const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

const pulumiTypeOf = (o: unknown): string | undefined => {
  const t = (o as any)?.__pulumiType;
  return typeof t === "string" && t.length > 0 ? t : undefined;
};

function isTypeOf(type: string, resourceClass: any): boolean {
  const t = pulumiTypeOf(resourceClass);
  if (t) return type === t;
  const isInstance = resourceClass?.isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/**
 * Inventory inputs → engine-like props: unknown markers become the SDK's sentinels, then proxied.
 * Built once per resource per run and shared by every policy (the engine deserializes afresh for
 * each policy; re-copying every resource for each of ~30 policies was most of the runner's time).
 * Policies only read props.
 */
function propsCache(): (r: InventoryResource) => Record<string, any> {
  const cache = new Map<InventoryResource, Record<string, any>>();
  return (r) => {
    let p = cache.get(r);
    if (!p) cache.set(r, (p = toProps(r)));
    return p;
  };
}

function toProps(r: InventoryResource): Record<string, any> {
  const hasUnknown = r.unknownPaths.length > 0;
  if (!hasUnknown) return proxy.unknownCheckingProxy(r.inputs);
  const walk = (v: unknown): unknown => {
    if (v === INVENTORY_UNKNOWN && hasUnknown) return proxy.unknownStringValue;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return proxy.unknownCheckingProxy(walk(r.inputs) as Record<string, any>);
}

function seconds(d: string | undefined): number {
  if (!d) return 0;
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) total += Number(m[1]) * ({ h: 3600, m: 60, s: 1, ms: 0.001 } as const)[m[2] as "h"];
  return total;
}

function optsOf(r: InventoryResource): PolicyResourceOptions {
  const o: PolicyResourceOptions = {
    protect: r.options.protect,
    ignoreChanges: r.options.ignoreChanges,
    aliases: r.options.aliases,
    customTimeouts: {
      createSeconds: seconds(r.options.customTimeouts?.create),
      updateSeconds: seconds(r.options.customTimeouts?.update),
      deleteSeconds: seconds(r.options.customTimeouts?.delete),
    },
    additionalSecretOutputs: r.options.additionalSecretOutputs,
  };
  if (r.options.deleteBeforeReplace) o.deleteBeforeReplace = true;
  if (r.parent) o.parent = r.parent;
  return o;
}

/** Applies the CLI's config handling: string shorthand, `all`, schema defaults. */
function policyConfig(p: Policy, cfg: PolicyPackConfig): { level?: EnforcementLevel; props: Record<string, unknown> } {
  const norm = (c: unknown): Record<string, any> => (typeof c === "string" ? { enforcementLevel: c } : ((c as Record<string, any>) ?? {}));
  const own = norm(cfg[p.name]);
  const all = norm(cfg["all"]);
  const { enforcementLevel, ...props } = own;
  const defaults: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) if ((s as any)?.default !== undefined) defaults[k] = (s as any).default;
  return { level: enforcementLevel ?? all.enforcementLevel, props: { ...defaults, ...props } };
}

/** Runs every policy against the inventory; never throws for a policy's own violations. */
export async function runPolicies(inv: Inventory, opts: RunOptions = {}): Promise<PolicyReport> {
  const policies = opts.policies ?? allPolicies;
  const cfg = opts.tier ? packConfigForTier(opts.tier, opts.packConfig ?? {}, policies) : (opts.packConfig ?? {});
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(opts.stackTags ?? {}));
  const packLevel = opts.packEnforcementLevel ?? "mandatory";
  const byUrn = new Map(inv.resources.map((r) => [r.urn, r] as const));
  const propsOf = propsCache();
  const providerOf = (r: InventoryResource): PolicyProviderResource | undefined => {
    if (!r.provider) return undefined;
    const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
    const p = byUrn.get(urn);
    return p ? { type: p.type, props: propsOf(p), urn: p.urn, name: p.name } : undefined;
  };
  const violations: Violation[] = [];
  const notApplicable: PolicyReport["notApplicable"] = [];
  let policiesRun = 0;

  for (const p of policies) {
    const { level: cfgLevel, props: cfgProps } = policyConfig(p, cfg);
    let level = cfgLevel ?? p.enforcementLevel ?? packLevel;
    if (level === "disabled") continue;
    if (level === "remediate") level = "mandatory";
    policiesRun++;
    const getConfig = <T extends object>(): T => ({ ...cfgProps }) as T;
    const push = (v: Omit<Violation, "policyName" | "concern" | "description" | "enforcementLevel">, lvl: ReportedLevel = level as ReportedLevel): void => {
      const r = v.urn ? byUrn.get(v.urn) : undefined;
      violations.push({
        policyName: p.name,
        concern: concernOf(p.name),
        description: p.description,
        enforcementLevel: lvl,
        ...(r ? { resourceType: r.type, resourceName: r.name } : {}),
        ...v,
      });
    };
    const handle = (e: unknown, urn?: string): void => {
      if (e instanceof NotApplicable) notApplicable.push({ policyName: p.name, reason: e.reason, urn });
      else if (e instanceof proxy.UnknownValueError) {
        const message = `can't run policy '${p.name}' ${inv.preview ? "during preview" : "on a value not known in this run"}: ${(e as Error).message}`;
        // A stack policy may name the resources it could not judge (lib/util.ts unknownInPreview).
        const urns = urn ? [urn] : ((e as Error & { urns?: string[] }).urns ?? []).filter((u) => byUrn.has(u));
        if (urns.length === 0) push({ urn, message, unknown: true }, "advisory");
        for (const u of urns) push({ urn: u, message, unknown: true }, "advisory");
      } else throw new Error(`policy '${p.name}' threw${urn ? ` on ${urn}` : ""}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    };

    if ("validateResource" in p || "remediateResource" in p) {
      const rp = p as ResourceValidationPolicy;
      if (!rp.validateResource) continue;
      const validations: ResourceValidation[] = Array.isArray(rp.validateResource) ? rp.validateResource : [rp.validateResource];
      const fastType = validations.length === 1 ? pulumiTypeOf(validations[0]) : undefined;
      for (const r of inv.resources) {
        if (fastType && r.type !== fastType) continue;
        for (const validate of validations) {
          try {
            const props = propsOf(r);
            const args: ResourceValidationArgs = {
              type: r.type,
              props,
              urn: r.urn,
              name: r.name,
              opts: optsOf(r),
              stackTags,
              isType: (c: any) => isTypeOf(r.type, c),
              asType: ((c: any) => (isTypeOf(r.type, c) ? props : undefined)) as ResourceValidationArgs["asType"],
              getConfig,
              notApplicable: throwNotApplicable,
            };
            const provider = providerOf(r);
            if (provider) args.provider = provider;
            await validate(args, (message: string) => push({ urn: r.urn, message }));
          } catch (e) {
            handle(e, r.urn);
          }
        }
      }
    } else {
      const sp = p as StackValidationPolicy;
      const fastType = pulumiTypeOf(sp.validateStack);
      if (fastType && !inv.resources.some((r) => r.type === fastType)) {
        notApplicable.push({ policyName: p.name, reason: `Policy only applies to resources of type '${fastType}'` });
        continue;
      }
      try {
        const objs = new Map<string, PolicyResource>();
        for (const r of inv.resources) {
          const props = propsOf(r);
          const res: PolicyResource = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: optsOf(r),
            dependencies: [],
            propertyDependencies: {},
            isType: (c: any) => isTypeOf(r.type, c),
            asType: ((c: any) => (isTypeOf(r.type, c) ? props : undefined)) as PolicyResource["asType"],
          };
          const provider = providerOf(r);
          if (provider) res.provider = provider;
          objs.set(r.urn, res);
        }
        for (const r of inv.resources) {
          const res = objs.get(r.urn)!;
          const parent = r.parent ? objs.get(r.parent) : undefined;
          if (parent) res.parent = parent;
          res.dependencies = r.dependencies.map((d) => objs.get(d)).filter((d): d is PolicyResource => !!d);
          for (const [k, deps] of Object.entries(r.propertyDependencies))
            res.propertyDependencies[k] = deps.map((d) => objs.get(d)).filter((d): d is PolicyResource => !!d);
        }
        const args: StackValidationArgs = { resources: [...objs.values()], getConfig, stackTags, notApplicable: throwNotApplicable };
        await sp.validateStack(args, (message: string, urn?: string) => push({ urn, message }));
      } catch (e) {
        handle(e);
      }
    }
  }
  return {
    pack: PACK_NAME,
    project: inv.project,
    stack: inv.stack,
    ...(opts.tier ? { tier: opts.tier } : {}),
    preview: inv.preview,
    policiesRun,
    resourcesChecked: inv.resources.length,
    violations,
    notApplicable,
    mandatory: violations.filter((v) => v.enforcementLevel === "mandatory").length,
    advisory: violations.filter((v) => v.enforcementLevel === "advisory").length,
  };
}

export const hasMandatory = (r: PolicyReport): boolean => r.mandatory > 0;

const where = (v: Violation): string => (v.urn ? `${v.resourceType ?? "?"} '${v.resourceName ?? v.urn}'` : "(stack)");

/** Plain text for terminals and logs. */
export function formatText(r: PolicyReport): string {
  const head = `Policy pack ${r.pack} on ${r.project}/${r.stack}${r.tier ? ` (tier ${r.tier})` : ""}${r.preview ? " [preview]" : ""}: ${r.policiesRun} policies, ${r.resourcesChecked} resources, ${r.mandatory} mandatory and ${r.advisory} advisory violation(s)`;
  if (r.violations.length === 0) return `${head}\n  no violations\n`;
  const lines = [head];
  const sorted = [...r.violations].sort((a, b) =>
    a.enforcementLevel === b.enforcementLevel ? a.policyName.localeCompare(b.policyName) : a.enforcementLevel === "mandatory" ? -1 : 1,
  );
  for (const v of sorted) {
    lines.push(`  [${v.enforcementLevel}] ${v.policyName}  ${where(v)}`);
    lines.push(`      ${v.message.replace(/\n/g, "\n      ")}`);
    if (v.urn) lines.push(`      ${v.urn}`);
  }
  return lines.join("\n") + "\n";
}

const mdCell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, "<br>");

/** GitHub-flavoured Markdown (PR comments). */
export function formatMarkdown(r: PolicyReport): string {
  const status = r.mandatory > 0 ? "❌" : r.advisory > 0 ? "⚠️" : "✅";
  const out = [
    `### ${status} Policy report: \`${r.project}/${r.stack}\`${r.tier ? ` (tier ${r.tier})` : ""}`,
    "",
    `${r.policiesRun} policies, ${r.resourcesChecked} resources — **${r.mandatory} mandatory**, ${r.advisory} advisory violation(s).`,
  ];
  if (r.violations.length) {
    out.push("", "| Level | Policy | Resource | Message |", "| --- | --- | --- | --- |");
    for (const v of r.violations) out.push(`| ${v.enforcementLevel} | \`${v.policyName}\` | ${mdCell(where(v))} | ${mdCell(v.message)} |`);
  }
  return out.join("\n") + "\n";
}

/** One call for `npm run plan`: text or markdown. */
export function formatReport(r: PolicyReport, format: "text" | "markdown" = "text"): string {
  return format === "markdown" ? formatMarkdown(r) : formatText(r);
}
