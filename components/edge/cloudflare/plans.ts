/**
 * Cloudflare zone plans and what the edge's rulesets need from them (pure, no imports: the spec
 * reads it too).
 */
/** Cloudflare zone plans, cheapest first. */
export const CLOUDFLARE_PLANS = ["free", "pro", "business", "enterprise"] as const;
export type CloudflarePlan = (typeof CLOUDFLARE_PLANS)[number];

/**
 * What each plan allows for the edge's rulesets (developers.cloudflare.com/waf/rate-limiting-rules,
 * "Availability"; WAF Managed Rules, "Availability"; read 2026-12-03): the Cloudflare Managed Ruleset
 * needs Pro or above; a rate limiting rule that matches on the host needs Pro or above (Free offers
 * the Path field only and a 10 s window); the longest counting period is 60 s on Pro and 600 s
 * (10 min) on Business and Enterprise.
 */
export const CLOUDFLARE_PLAN_LIMITS: Readonly<Record<CloudflarePlan, { managedRuleset: boolean; hostRateLimit: boolean; maxPeriod: number }>> = {
  free: { managedRuleset: false, hostRateLimit: false, maxPeriod: 10 },
  pro: { managedRuleset: true, hostRateLimit: true, maxPeriod: 60 },
  business: { managedRuleset: true, hostRateLimit: true, maxPeriod: 600 },
  enterprise: { managedRuleset: true, hostRateLimit: true, maxPeriod: 600 },
};

/** Features of the edge's WAF the zone's plan does not include (empty when it includes all). */
export function cloudflarePlanGaps(plan: CloudflarePlan, waf: { managedRules?: boolean; rateLimit?: unknown } | undefined): string[] {
  const l = CLOUDFLARE_PLAN_LIMITS[plan];
  const out: string[] = [];
  if (waf?.managedRules && !l.managedRuleset) out.push("the Cloudflare Managed Ruleset (WAF managed rules) needs Pro or above");
  if (waf?.rateLimit && !l.hostRateLimit) out.push("a rate limiting rule on the site's host needs Pro or above (Free matches on the path only, over 10 s)");
  return out;
}
