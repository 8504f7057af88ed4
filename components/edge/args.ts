/**
 * EdgeSite args: a strict zod schema (unknown keys are errors), discriminated by `provider`.
 * Secure by default: COEP require-corp, HSTS two years with subdomains, TLS 1.2 minimum,
 * private origin; nothing here can switch those off.
 */
import { z } from "zod";
import { bucketPathPatterns, HASH_CONVENTIONS, HashConvention, REFERRER_POLICIES, resolveHeaderPolicy } from "./headers";
import { CLOUDFLARE_PLANS, cloudflarePlanGaps } from "./cloudflare/plans";

const hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS name such as app.example.com");
/** Valid in ECMAScript and free of constructs RE2 (Caddy) rejects. */
function portableRegex(src: string): boolean {
  if (/\(\?[=!<]|\\[1-9]|\\k</.test(src)) return false;
  try {
    new RegExp(src);
    return true;
  } catch {
    return false;
  }
}

const cfId = z.string().regex(/^[0-9a-f]{32}$/, "a 32-character hex Cloudflare id");

export const headerPolicySchema = z.strictObject({
  /** Cross-Origin-Embedder-Policy; `credentialless` must be chosen explicitly. Default require-corp. */
  coep: z.enum(["require-corp", "credentialless"]).optional(),
  /** Content-Security-Policy (one line). Default: same-origin with 'wasm-unsafe-eval'. */
  csp: z
    .string()
    .min(1)
    .regex(/^[^\r\n]+$/, "one line")
    .optional(),
  hsts: z
    .strictObject({
      maxAgeSeconds: z.number().int().min(31536000).optional(),
      includeSubDomains: z.boolean().optional(),
      preload: z.boolean().optional(),
    })
    .optional(),
  /** Cross-Origin-Resource-Policy. Default same-origin. */
  corp: z.enum(["same-origin", "same-site", "cross-origin"]).optional(),
  referrerPolicy: z.enum(REFERRER_POLICIES as [string, ...string[]]).optional(),
  /** Content-hashed (immutable) paths: conventions (dotted-hex, vite, nuxt, next) and/or RE2-safe regexes. */
  hashed: z
    .strictObject({
      conventions: z.array(z.enum(Object.keys(HASH_CONVENTIONS) as [HashConvention, ...HashConvention[]])).optional(),
      patterns: z
        .array(z.string().min(1).refine(portableRegex, "must be a valid regex without lookaround or backreferences (RE2-portable, for Caddy)"))
        .optional(),
    })
    .optional(),
  /** Asset manifest file names, always no-cache (default asset_versions.json, manifest.json, ...). */
  manifests: z
    .array(z.string().regex(/^[A-Za-z0-9._-]+$/, "a plain file name such as asset_versions.json"))
    .min(1)
    .optional(),
  indexDocument: z
    .string()
    .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\.html?$/, "an object key ending in .html, without a leading /")
    .optional(),
  /**
   * Extra CSP hash sources (`sha256-<base64>`) for script-src. An EdgeSite with `assets` adds the
   * hashes of its build's inline scripts itself (components/edge/plan.ts).
   */
  scriptHashes: z.array(z.string().regex(/^sha256-[A-Za-z0-9+/]{43}=$/, "a CSP hash source without quotes: sha256-<base64 of 32 bytes>")).optional(),
});

export const wafSchema = z.strictObject({
  /** Provider-managed rule set (AWS Common Rule Set / Cloudflare Managed Ruleset, the latter needs a Pro plan). */
  managedRules: z.boolean().default(true),
  /** Per-client-IP rate limit; exceeding it blocks the client. */
  rateLimit: z
    .strictObject({
      requests: z.number().int().min(10).max(2_000_000_000),
      periodSeconds: z.union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)]),
    })
    .optional(),
});

/** Always HTTPS on 443 with TLS >= 1.2: there is nothing to weaken. */
export const dynamicOriginSchema = z.strictObject({
  /** Hostname of the origin (its HTTPS certificate must cover it); not the site's own domain. */
  domain: hostname,
});

const common = {
  /** The site's hostname (lower case). */
  domain: hostname,
  /** Header and cache policy; every field optional, secure defaults. */
  headers: headerPolicySchema.optional(),
  /** Local build directory to upload (must contain the index document). Absent: infrastructure only. */
  assets: z.string().min(1).optional(),
  waf: wafSchema.optional(),
  /**
   * A dynamic origin (e.g. a Next.js server behind the cluster ingress): every path outside the
   * hashed-asset prefixes goes to `https://<domain>` (TLS 1.2+, certificate verified, never
   * cached at the edge); hashed assets are still served from the bucket. Absent: a static SPA.
   */
  origin: dynamicOriginSchema.optional(),
  /** Protect the asset bucket from deletion (prod). */
  protect: z.boolean().default(false),
  tags: z.record(z.string(), z.string()).default({}),
};

export const cloudflareEdgeArgsSchema = z.strictObject({
  provider: z.literal("cloudflare"),
  ...common,
  cloudflare: z.strictObject({
    accountId: cfId,
    zoneId: cfId,
    /** custom-domain: Workers Custom Domain (Cloudflare owns the DNS record and certificate);
     *  route: a proxied DNS record plus a Workers route `<domain>/*`. */
    routing: z.enum(["custom-domain", "route"]).default("custom-domain"),
    /** Zone-wide settings (SSL strict, always HTTPS, TLS 1.2, HSTS). Turn off only when another
     *  stack owns the zone's settings — they are per zone, not per site. */
    manageZoneSettings: z.boolean().default(true),
    /** R2 location hint. */
    bucketLocation: z.enum(["wnam", "enam", "weur", "eeur", "apac", "oc"]).optional(),
    /** The zone's Cloudflare plan: decides which WAF rulesets exist and the rate limit's window (plan.ts CLOUDFLARE_PLAN_LIMITS). */
    plan: z.enum(CLOUDFLARE_PLANS).default("free"),
  }),
});

export const cloudfrontEdgeArgsSchema = z.strictObject({
  provider: z.literal("cloudfront"),
  ...common,
  cloudfront: z
    .strictObject({
      /** Route 53 zone for the alias records and DNS validation of the ACM certificate. */
      hostedZoneId: z
        .string()
        .regex(/^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id (Z...)")
        .optional(),
      /** An existing ACM certificate in us-east-1 covering `domain` (instead of issuing one). */
      certificateArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/, "an ACM certificate ARN in us-east-1")
        .optional(),
      priceClass: z.enum(["PriceClass_100", "PriceClass_200", "PriceClass_All"]).default("PriceClass_100"),
    })
    .refine((c) => c.hostedZoneId || c.certificateArn, {
      message: "give hostedZoneId (to issue and validate the certificate) or certificateArn (an existing us-east-1 certificate)",
    }),
});

export const edgeSiteArgsSchema = z.discriminatedUnion("provider", [cloudflareEdgeArgsSchema, cloudfrontEdgeArgsSchema]).superRefine((args, ctx) => {
  const policyIssues = (check: () => unknown, suffix = "") => {
    try {
      check();
      return true;
    } catch (e) {
      for (const line of (e as Error).message.split("\n").slice(1)) {
        const msg = line.replace(/^\s*-\s*/, "");
        const field = msg.split(":")[0]!;
        ctx.addIssue({ code: "custom", path: ["headers", ...field.split(/[.[\]]/).filter(Boolean)], message: msg.slice(field.length + 1).trim() + suffix });
      }
      return false;
    }
  };
  if (!policyIssues(() => resolveHeaderPolicy(args.headers ?? {}))) return;
  if (args.origin) {
    if (args.origin.domain === args.domain)
      ctx.addIssue({
        code: "custom",
        path: ["origin", "domain"],
        message: "must differ from `domain` (the CDN would fetch from itself): use the origin service's own hostname, e.g. app.example.com behind example.com",
      });
    policyIssues(() => bucketPathPatterns(args.headers ?? {}), " (required by `origin`)");
  }
});

export type EdgeSiteArgsInput = z.input<typeof edgeSiteArgsSchema>;
export type EdgeSiteArgs = z.infer<typeof edgeSiteArgsSchema>;

/** Parse or throw one error listing every issue as `field.path: message`. */
export function parseEdgeSiteArgs(input: unknown, where = "EdgeSite"): EdgeSiteArgs {
  const r = edgeSiteArgsSchema.safeParse(input);
  if (r.success && r.data.provider === "cloudflare") {
    const plan = r.data.cloudflare.plan;
    const gaps = cloudflarePlanGaps(plan, r.data.waf);
    if (gaps.length)
      throw new Error(`${where}: invalid args:\n  - ${gaps.map((g) => `cloudflare.plan: '${plan}': ${g}; set the zone's plan or drop waf`).join("\n  - ")}`);
  }
  if (r.success) return r.data;
  const at = (path: PropertyKey[]) => (path.length ? path.map(String).join(".") : "(root)");
  const lines = r.error.issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => `${at([...i.path, k])}: unknown field (remove it or check its spelling against components/edge/args.ts)`)
      : [`${at(i.path)}: ${i.message}`],
  );
  throw new Error(`${where}: invalid args:\n  - ${lines.join("\n  - ")}`);
}
