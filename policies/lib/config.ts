/**
 * Pack configuration: the same JSON shape the CLI takes with
 * `pulumi preview --policy-pack policies --policy-pack-config policies/config/<tier>.json`:
 * `{ "<policy name>": { "enforcementLevel": "...", "tier": "...", ...policy properties } }`.
 *
 * Enforcement by tier: TLS, headers and segmentation are mandatory everywhere; the baseline is
 * advisory in dev and mandatory in staging and prod. Every policy also receives `tier`, which
 * tier-dependent checks (pinned images, backups) read; without it they fall back to the stack
 * tag `platform:tier`, then to the stack name (see lib/util.ts resolveTier).
 */
import type { EnforcementLevel, Policies, PolicyPackConfig } from "@pulumi/policy";
import { allPolicies, concernOf } from "../policies";
import type { Tier } from "./util";

export type { Tier } from "./util";

export function enforcementFor(policyName: string, tier: Tier): EnforcementLevel {
  return concernOf(policyName) === "baseline" && tier === "dev" ? "advisory" : "mandatory";
}

/**
 * The pack config for a tier, with optional per-policy overrides merged on top
 * (`{ "seg-service-exposure": { ingressNamespaces: ["edge"] } }` or `{ "baseline-imdsv2": "disabled" }`).
 */
export function packConfigForTier(tier: Tier, overrides: PolicyPackConfig = {}, policies: Policies = allPolicies): PolicyPackConfig {
  const out: PolicyPackConfig = {};
  for (const p of policies) {
    const o = overrides[p.name];
    const extra = typeof o === "string" ? { enforcementLevel: o } : (o ?? {});
    out[p.name] = { enforcementLevel: enforcementFor(p.name, tier), tier, ...extra };
  }
  return out;
}
