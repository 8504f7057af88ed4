/** EdgeSite args: strict schema, every problem reported by field path (property-tested). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEdgeSiteArgs } from "../../components/edge/args";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const ZONE = "fedcba9876543210fedcba9876543210";
const base = () =>
  ({
    provider: "cloudflare" as string,
    domain: "app.example.com" as unknown,
    headers: {
      coep: "require-corp",
      hsts: { maxAgeSeconds: 63072000, includeSubDomains: true, preload: false },
      hashed: { conventions: ["dotted-hex"], patterns: ["^/static/"] },
    } as any,
    cloudflare: { accountId: ACCOUNT, zoneId: ZONE, plan: "pro" } as any,
    waf: { managedRules: true, rateLimit: { requests: 600, periodSeconds: 60 } } as any,
  }) as Record<string, any>;

/** Each mutation breaks one thing; `path` must appear in the error. */
const mutations: Array<{ path: string; apply: (a: Record<string, any>) => void }> = [
  { path: "domain", apply: (a) => (a.domain = "App Example") },
  { path: "cloudflare.accountId", apply: (a) => (a.cloudflare.accountId = "123") },
  { path: "cloudflare.zoneId", apply: (a) => (a.cloudflare.zoneId = 42) },
  { path: "cloudflare", apply: (a) => (a.cloudflare.extra = true) },
  { path: "headers.coep", apply: (a) => (a.headers.coep = "unsafe-none") },
  { path: "headers.hsts.maxAgeSeconds", apply: (a) => (a.headers.hsts.maxAgeSeconds = 300) },
  { path: "headers.hashed.conventions", apply: (a) => (a.headers.hashed.conventions = ["rails"]) },
  { path: "headers.hashed.patterns", apply: (a) => (a.headers.hashed.patterns = ["^/(?!x)"]) },
  { path: "headers", apply: (a) => (a.headers.xFrameOptions = "DENY") },
  { path: "waf.rateLimit.requests", apply: (a) => (a.waf.rateLimit.requests = 1) },
  { path: "waf.rateLimit.periodSeconds", apply: (a) => (a.waf.rateLimit.periodSeconds = 30) },
  { path: "cdn", apply: (a) => (a.cdn = "yes") },
];

describe("EdgeSite args", () => {
  it("valid cloudflare and cloudfront args parse with secure defaults", () => {
    const cf = parseEdgeSiteArgs(base());
    expect(cf.provider).toBe("cloudflare");
    if (cf.provider === "cloudflare") expect(cf.cloudflare).toMatchObject({ routing: "custom-domain", manageZoneSettings: true });
    expect(cf.protect).toBe(false);
    const aws = parseEdgeSiteArgs({ provider: "cloudfront", domain: "app.example.com", cloudfront: { hostedZoneId: "Z0123456789ABCDEFGHIJ" } });
    if (aws.provider === "cloudfront") expect(aws.cloudfront.priceClass).toBe("PriceClass_100");
  });

  it("the provider block must match the provider", () => {
    expect(() => parseEdgeSiteArgs({ ...base(), provider: "cloudfront" })).toThrow(/cloudfront[\s\S]*cloudflare|cloudflare[\s\S]*cloudfront/);
    expect(() => parseEdgeSiteArgs({ ...base(), provider: "fastly" })).toThrow(/provider/);
  });

  it("property: any combination of broken fields is rejected, naming every field", () => {
    fc.assert(
      fc.property(fc.subarray(mutations, { minLength: 1 }), (chosen) => {
        const a = base();
        for (const m of chosen) m.apply(a);
        let message = "";
        try {
          parseEdgeSiteArgs(a);
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).toMatch(/^EdgeSite: invalid args:/);
        for (const m of chosen) expect(message, m.path).toContain(`- ${m.path}`);
      }),
      { numRuns: 200 },
    );
  });
});
