/**
 * Edge composer: the blueprint's web front end on its CDN, with the tier's safety.
 * Not deployed in the local tier (no cloud account); the same rule table is exercised there by
 * the droplet/ingress paths and by the runtime tests. Without `platform:webBuilds.edge` the site is
 * infrastructure only: nothing is uploaded and the CSP allows no inline script (a Nuxt build does
 * not boot under it).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Context } from "../context";
import { APP_HASH_CONVENTIONS, EdgeSite } from "../../components/edge";
import { fqdn } from "../spec/platform";

export interface EdgeOutputs {
  url?: pulumi.Output<string>;
  site?: EdgeSite;
  /** Why no site was deployed, when none was. */
  skipped?: string;
}

/** Origins of the blueprint's public services (the app calls its APIs there), other than the app's own. */
export function apiOrigins(ctx: Context): string[] {
  const { spec } = ctx;
  const app = spec.blueprint.edge ? fqdn(spec.blueprint.edge.host, spec.domain) : undefined;
  const hosts = spec.blueprint.services.flatMap((s) => (s.exposure === "public" ? s.routes.map((r) => fqdn(r.host, spec.domain)) : []));
  return [...new Set(hosts)]
    .filter((h) => h !== app)
    .sort()
    .map((h) => `https://${h}`);
}

/** Add origins to the CSP's `connect-src` (derived, so a blueprint need not know the stack's domain). */
export function withApiOrigins(csp: string, origins: string[]): string {
  if (origins.length === 0) return csp;
  const directives = csp
    .split(";")
    .map((d) => d.trim())
    .filter(Boolean);
  const i = directives.findIndex((d) => d.startsWith("connect-src"));
  if (i < 0) return [...directives, `connect-src 'self' ${origins.join(" ")}`].join("; ");
  const have = new Set(directives[i]!.split(/\s+/));
  directives[i] = [directives[i], ...origins.filter((o) => !have.has(o))].join(" ");
  return directives.join("; ");
}

/** The dynamic origin's hostname: the public route of the service the blueprint names (checked by the spec). */
export function originDomain(ctx: Context, service: string): string {
  const svc = ctx.spec.blueprint.services.find((s) => s.name === service);
  const host = svc?.exposure === "public" ? svc.routes[0]?.host : undefined;
  if (host === undefined) throw new Error(`blueprint.edge.origin.service: '${service}' is not a public service with a route`);
  return fqdn(host, ctx.spec.domain);
}

export function composeEdge(ctx: Context): EdgeOutputs {
  const { spec, providers } = ctx;
  const edge = spec.blueprint.edge;
  if (!edge) return { skipped: "the blueprint has no edge site" };
  if (!spec.profile.cloudAccount) return { skipped: `${spec.tier} tier: no cloud account, the edge is not deployed` };
  const common = {
    domain: fqdn(edge.host, spec.domain),
    headers: { coep: edge.coep, csp: withApiOrigins(edge.csp, apiOrigins(ctx)), hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } },
    ...(edge.rateLimitPer5Min ? { waf: { managedRules: true, rateLimit: { requests: edge.rateLimitPer5Min, periodSeconds: 300 as const } } } : {}),
    protect: spec.profile.protectState,
    ...(edge.origin ? { origin: { domain: originDomain(ctx, edge.origin.service) } } : {}),
    // The build being deployed (platform:webBuilds.edge, checked by the spec): uploaded, and the
    // hashes of its inline scripts added to the CSP (components/edge/plan.ts sitePolicy).
    ...(spec.webBuilds.edge ? { assets: spec.webBuilds.edge } : {}),
  };
  const name = `${spec.blueprint.name}-web`;
  const site =
    edge.provider === "cloudflare"
      ? new EdgeSite(
          name,
          {
            provider: "cloudflare",
            ...common,
            cloudflare: { accountId: spec.cloudflare!.accountId, zoneId: spec.cloudflare!.zoneId, plan: spec.cloudflare!.plan },
          },
          { providers: { cloudflare: providers.cloudflare! }, ...(providers.r2 ? { r2: providers.r2 } : {}) },
        )
      : new EdgeSite(
          name,
          { provider: "cloudfront", ...common, cloudfront: { hostedZoneId: spec.route53ZoneId! } },
          { providers: { aws: providers.aws! }, usEast1: providers.awsUsEast1! },
        );
  return { site, url: site.url };
}
