/**
 * EdgeSite plan: everything derivable from the args, as data (no Pulumi import). The class in
 * index.ts only turns this into resources.
 */
import * as crypto from "crypto";
import type { EdgeSiteArgs } from "./args";
import { CLOUDFLARE_PLAN_LIMITS, type CloudflarePlan } from "./cloudflare/plans";
export { CLOUDFLARE_PLANS, CLOUDFLARE_PLAN_LIMITS, cloudflarePlanGaps, type CloudflarePlan } from "./cloudflare/plans";
import { AssetObject, planAssetObjects } from "./assets";
import { bucketPathPatterns, buildRuleTable, EdgeRuleTable, HashConvention, HeaderPolicyInput } from "./headers";
import { buildInlineScriptHashes } from "./build";
export { buildInlineScriptHashes } from "./build";
import {
  planResponseHeadersPolicy,
  renderOriginResponseFunction,
  renderViewerRequestFunction,
  renderViewerResponseFunction,
  ResponseHeadersPlan,
} from "./cloudfront/function";
import { renderWorkerScript } from "./worker/render";

export interface ZoneSettingPlan {
  settingId: string;
  value: unknown;
}

export interface EdgePlan {
  table: EdgeRuleTable;
  /** sha256 of the rule table JSON: equal on both implementations for the same header policy. */
  tableSha256: string;
  /** R2 bucket name (per account): lower-case, 3-63 chars. */
  bucketName: string;
  /** S3 bucket name prefix (S3 names are global; AWS appends a unique suffix): <= 37 chars. */
  bucketPrefix: string;
  /** Worker script name / CloudFront resource name prefix. */
  resourcePrefix: string;
  assets: AssetObject[];
  /** A dynamic origin: paths under `bucketPathPatterns` (globs `<prefix>*`) from the bucket, the rest from `https://<domain>`. */
  origin?: DynamicOriginPlan;
  cloudflare?: { workerScript: string; zoneSettings: ZoneSettingPlan[] };
  /**
   * viewerRequestCode: the SPA-routing function; absent with a dynamic origin (routes go to the
   * origin). With a dynamic origin, its behaviour gets `originViewerResponseCode` (the CSP rule
   * for an app origin, headers.ts) and `originResponseHeaders` (the common headers, CSP override false).
   */
  cloudfront?: {
    viewerRequestCode?: string;
    viewerResponseCode: string;
    responseHeaders: ResponseHeadersPlan;
    originViewerResponseCode?: string;
    originResponseHeaders?: ResponseHeadersPlan;
  };
}

export interface DynamicOriginPlan {
  domain: string;
  bucketPathPatterns: string[];
}

/** CloudFront's managed policies for the dynamic behaviour (ids from the CloudFront developer guide). */
export const CLOUDFRONT_MANAGED = {
  /** Managed-CachingDisabled: min/default/max TTL 0, nothing in the cache key. */
  cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
  /** Managed-AllViewerExceptHostHeader: every viewer header, cookie and query string, but Host (the origin's own name is sent, for SNI and ingress routing). */
  allViewerExceptHostHeader: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
} as const;

/** DNS-safe slug: lower-case [a-z0-9-], collapsed dashes, trimmed to `max`. */
export function slug(s: string, max: number): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (out.length <= max) return out;
  const h = crypto.createHash("sha256").update(s).digest("hex").slice(0, 6);
  return `${out.slice(0, max - 7).replace(/-$/, "")}-${h}`;
}

/** Cloudflare zone settings every EdgeSite zone gets (ids as the Cloudflare API names them). */
export function planZoneSettings(table: EdgeRuleTable): ZoneSettingPlan[] {
  const m = /^max-age=(\d+)(; includeSubDomains)?(; preload)?$/.exec(table.common["strict-transport-security"] ?? "");
  if (!m) throw new Error("edge: rule table lacks a parseable strict-transport-security header");
  return [
    { settingId: "ssl", value: "strict" },
    { settingId: "always_use_https", value: "on" },
    { settingId: "min_tls_version", value: "1.2" },
    { settingId: "tls_1_3", value: "on" },
    { settingId: "automatic_https_rewrites", value: "on" },
    // Nested keys in the API's snake_case: `value` is passed through untranslated; the camelCase
    // shape in the provider docs never converges (pulumi/pulumi-cloudflare#1579).
    {
      settingId: "security_header",
      value: {
        strict_transport_security: {
          enabled: true,
          max_age: Number(m[1]),
          include_subdomains: !!m[2],
          preload: !!m[3],
          nosniff: true,
        },
      },
    },
  ];
}

/** Hashed-asset conventions per front-end kind (the blueprint's `edge.app`). */
export const APP_HASH_CONVENTIONS = {
  "flutter-wasm": ["dotted-hex"],
  nuxt: ["nuxt"],
  next: ["next"],
  "vite-spa": ["vite"],
} as const satisfies Record<string, readonly HashConvention[]>;

/**
 * Cloudflare rate limiting counts over at most `maxPeriod` seconds (60 s on Pro, 600 s on Business):
 * express a longer window as the equivalent rate over `maxPeriod` (rounded up, at least 10 requests).
 */
export function planCloudflareRateLimit(rl: { requests: number; periodSeconds: number }, maxPeriod = 60): { period: number; requestsPerPeriod: number } {
  if (rl.periodSeconds <= maxPeriod) return { period: rl.periodSeconds, requestsPerPeriod: rl.requests };
  return { period: maxPeriod, requestsPerPeriod: Math.max(10, Math.ceil((rl.requests * maxPeriod) / rl.periodSeconds)) };
}

/**
 * The rate limiting rule the edge deploys on `plan`: the blueprint's window when the plan counts over
 * it, else the same rate over the plan's longest period; the description states exactly that rule.
 */
export function cloudflareRateLimitRule(
  rl: { requests: number; periodSeconds: number },
  plan: CloudflarePlan,
): { period: number; requestsPerPeriod: number; mitigationTimeout: number; description: string } {
  const w = planCloudflareRateLimit(rl, CLOUDFLARE_PLAN_LIMITS[plan].maxPeriod);
  const scaled =
    w.period !== rl.periodSeconds
      ? ` (${rl.requests} per ${rl.periodSeconds} s in the blueprint, counted over ${w.period} s, the ${plan} plan's longest period)`
      : "";
  return {
    ...w,
    mitigationTimeout: w.period,
    description: `block a client IP for ${w.period} s after ${w.requestsPerPeriod} requests in ${w.period} s to one Cloudflare data center${scaled}`,
  };
}

/** The site's header policy: the args' policy plus the hashes of the uploaded build's inline scripts. */
export function sitePolicy(args: EdgeSiteArgs): HeaderPolicyInput {
  const fromBuild = args.assets ? buildInlineScriptHashes(args.assets) : [];
  const given = args.headers?.scriptHashes ?? [];
  return { ...(args.headers ?? {}), ...(fromBuild.length || given.length ? { scriptHashes: [...given, ...fromBuild] } : {}) };
}

export function planEdgeSite(name: string, stack: string, args: EdgeSiteArgs): EdgePlan {
  const table = buildRuleTable(sitePolicy(args));
  const tableSha256 = crypto.createHash("sha256").update(JSON.stringify(table)).digest("hex");
  const resourcePrefix = slug(`${stack}-${name}`, 54);
  const plan: EdgePlan = {
    table,
    tableSha256,
    bucketName: slug(`${stack}-${name}-site`, 63),
    bucketPrefix: `${slug(`${stack}-${name}-site`, 36)}-`,
    resourcePrefix,
    assets: args.assets ? planAssetObjects(args.assets, table, args.origin ? bucketPathPatterns(args.headers ?? {}) : undefined) : [],
    ...(args.origin ? { origin: { domain: args.origin.domain, bucketPathPatterns: bucketPathPatterns(args.headers ?? {}) } } : {}),
  };
  if (args.provider === "cloudflare") {
    plan.cloudflare = { workerScript: renderWorkerScript(table, plan.origin), zoneSettings: planZoneSettings(table) };
  } else {
    plan.cloudfront = {
      ...(plan.origin
        ? { originViewerResponseCode: renderOriginResponseFunction(table), originResponseHeaders: { ...planResponseHeadersPolicy(table), keepOriginCsp: true } }
        : { viewerRequestCode: renderViewerRequestFunction(table) }),
      viewerResponseCode: renderViewerResponseFunction(table),
      responseHeaders: planResponseHeadersPolicy(table),
    };
  }
  return plan;
}
