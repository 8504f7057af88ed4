/**
 * EdgeSite with a dynamic origin (`origin: { domain }`): args, plan, the CloudFront resources
 * through the harness (custom HTTPS origin as the default behaviour, hashed-asset prefixes from
 * S3, headers policy on every behaviour, no SPA rewrite), the policy pack, and a simulation of
 * CloudFront's behaviour selection + Functions that must agree with the Worker's routing.
 */
import * as vm from "vm";
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { runProgram } from "../../tools/harness/run";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { EdgeSite, EdgeSiteArgsInput, parseEdgeSiteArgs } from "../../components/edge";
import { bucketPathPatterns, buildRuleTable, CACHE_CONTROL, decide, HeaderPolicyInput } from "../../components/edge/headers";
import { CLOUDFRONT_MANAGED, planEdgeSite } from "../../components/edge/plan";
import { renderViewerResponseFunction } from "../../components/edge/cloudfront/function";
import { renderWorkerScript } from "../../components/edge/worker/render";

const HEADERS: HeaderPolicyInput = { coep: "credentialless", csp: "default-src 'self'; script-src 'self'", hashed: { conventions: ["next"] } };
const ORIGIN = "app.example.com";
const base = (extra: Record<string, unknown> = {}) =>
  ({
    provider: "cloudfront",
    domain: "example.com",
    headers: HEADERS,
    origin: { domain: ORIGIN },
    cloudfront: { hostedZoneId: "Z0123456789ABCDEFGHIJ" },
    ...extra,
  }) as EdgeSiteArgsInput;

const ofType = (inv: Inventory, type: string) => inv.resources.filter((r) => r.type === type);
const one = (inv: Inventory, type: string): InventoryResource => {
  const rs = ofType(inv, type);
  expect(rs, type).toHaveLength(1);
  return rs[0]!;
};

function program(args: EdgeSiteArgsInput) {
  return async () => {
    const main = new aws.Provider("aws", { region: "eu-west-1" });
    const usEast1 = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
    const site = new EdgeSite("web", args, { providers: { aws: main }, usEast1 });
    return { url: site.url };
  };
}

/** CloudFront path-pattern match: `*` any run of characters, `?` one character, case-sensitive, whole path. */
function globMatch(glob: string, path: string): boolean {
  const re = new RegExp(
    "^" +
      glob
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
      "$",
  );
  return re.test(path);
}

describe("EdgeSite origin args", () => {
  it("parses a dynamic origin; strict (no protocol/port knobs)", () => {
    const a = parseEdgeSiteArgs(base());
    expect(a.origin).toEqual({ domain: ORIGIN });
    expect(() => parseEdgeSiteArgs(base({ origin: { domain: ORIGIN, protocol: "http" } }))).toThrow(/origin\.protocol: unknown field/);
    expect(() => parseEdgeSiteArgs(base({ origin: { domain: "http://App" } }))).toThrow(/origin\.domain: a lower-case DNS name/);
    expect(() => parseEdgeSiteArgs(base({ origin: {} }))).toThrow(/origin\.domain/);
  });

  it("refuses the site's own domain as origin (a loop), naming the field and the fix", () => {
    expect(() => parseEdgeSiteArgs(base({ origin: { domain: "example.com" } }))).toThrow(
      /origin\.domain: must differ from `domain`.*origin service's own hostname/,
    );
  });

  it("needs hashed conventions with a path prefix so assets can be routed to the bucket", () => {
    expect(() => parseEdgeSiteArgs(base({ headers: {} }))).toThrow(
      /headers\.hashed\.conventions: "dotted-hex" has no path prefix.*use vite, nuxt, next \(required by `origin`\)/,
    );
    expect(() => parseEdgeSiteArgs(base({ headers: { hashed: { conventions: ["next"], patterns: ["^/static/"] } } }))).toThrow(
      /headers\.hashed\.patterns: custom patterns cannot be routed/,
    );
    expect(() => parseEdgeSiteArgs(base({ headers: { hashed: { conventions: [] } } }))).toThrow(
      /headers\.hashed\.conventions: a dynamic origin needs at least one convention/,
    );
    // Without an origin the same policies stay valid.
    expect(() => parseEdgeSiteArgs(base({ origin: undefined, headers: {} }))).not.toThrow();
    expect(bucketPathPatterns({ hashed: { conventions: ["next", "vite", "next"] } })).toEqual(["/_next/static/*", "/assets/*"]);
  });

  it("every hashed-prefix glob covers only paths its convention's regex may classify as hashed (or the convention's manifests)", () => {
    for (const c of ["next", "nuxt", "vite"] as const) {
      const table = buildRuleTable({ hashed: { conventions: [c] } });
      const [glob] = bucketPathPatterns({ hashed: { conventions: [c] } });
      const prefix = glob!.slice(0, -1);
      fc.assert(
        fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/), fc.stringMatching(/^[A-Za-z0-9_-]{8,12}$/), (name, hash) => {
          const p = `${prefix}${name}-${hash}.js`;
          expect(globMatch(glob!, p)).toBe(true);
          expect(["hashed", "manifest"]).toContain(decide(table, p).class);
        }),
        { numRuns: 50 },
      );
    }
  });
});

describe("EdgeSite origin plan", () => {
  it("no SPA-routing function; the Worker carries the origin and the bucket prefixes", () => {
    const plan = planEdgeSite("web", "test", parseEdgeSiteArgs(base()));
    expect(plan.origin).toEqual({ domain: ORIGIN, bucketPathPatterns: ["/_next/static/*"] });
    expect(plan.cloudfront!.viewerRequestCode).toBeUndefined();
    expect(plan.cloudfront!.viewerResponseCode).toBe(renderViewerResponseFunction(plan.table));
    const cf = planEdgeSite(
      "web",
      "test",
      parseEdgeSiteArgs({
        provider: "cloudflare",
        domain: "example.com",
        headers: HEADERS,
        origin: { domain: ORIGIN },
        cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" },
      }),
    );
    expect(cf.cloudflare!.workerScript).toContain(`const DYNAMIC_ORIGIN = {"host":"${ORIGIN}","bucketPrefixes":["/_next/static/"]};`);
    expect(renderWorkerScript(plan.table)).toContain("const DYNAMIC_ORIGIN = null;");
  });
});

describe("EdgeSite cloudfront with a dynamic origin (harness)", () => {
  it("custom HTTPS origin as the default behaviour, hashed assets from S3, headers policy everywhere", async () => {
    const inv = await runProgram(program(base()));
    const dist = one(inv, "aws:cloudfront/distribution:Distribution").inputs as any;
    const rhpId = dist.orderedCacheBehaviors[0].responseHeadersPolicyId;
    const originRhpId = dist.defaultCacheBehavior.responseHeadersPolicyId;
    expect(rhpId).toBeTruthy();
    expect(originRhpId).toBeTruthy();
    expect(originRhpId).not.toBe(rhpId);
    const [s3, app] = dist.origins;
    expect(s3).toMatchObject({ originId: "site-bucket" });
    expect(s3.originAccessControlId).toBeTruthy();
    expect(s3.customOriginConfig).toBeUndefined();
    expect(app).toEqual({
      originId: "app-origin",
      domainName: ORIGIN,
      customOriginConfig: { originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"], httpsPort: 443, httpPort: 80 },
    });

    expect(dist.defaultCacheBehavior).toEqual({
      targetOriginId: "app-origin",
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
      cachedMethods: ["GET", "HEAD"],
      compress: true,
      cachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
      originRequestPolicyId: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
      // the app origin's own headers policy (CSP override false) and the function that decides the CSP
      responseHeadersPolicyId: originRhpId,
      functionAssociations: [{ eventType: "viewer-response", functionArn: expect.stringContaining("web-origin-response") }],
    });
    expect(CLOUDFRONT_MANAGED).toEqual({
      cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
      allViewerExceptHostHeader: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    });

    const fns = ofType(inv, "aws:cloudfront/function:Function");
    expect(fns.map((f) => f.name).sort()).toEqual(["web-origin-response", "web-viewer-response"]); // no SPA-routing function
    const cachePolicy = one(inv, "aws:cloudfront/cachePolicy:CachePolicy");
    expect(dist.orderedCacheBehaviors).toHaveLength(1);
    const [assets] = dist.orderedCacheBehaviors;
    expect(assets).toMatchObject({
      pathPattern: "/_next/static/*",
      targetOriginId: "site-bucket",
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD", "OPTIONS"],
      responseHeadersPolicyId: rhpId,
    });
    expect(cachePolicy.inputs).toMatchObject({ minTtl: 0, defaultTtl: 0, maxTtl: 31536000 }); // honours the table's per-object Cache-Control
    expect(assets.cachePolicyId).toBeTruthy();
    expect(assets.cachePolicyId).not.toBe(CLOUDFRONT_MANAGED.cachingDisabled);
    expect(assets.functionAssociations).toHaveLength(1);
    expect(assets.functionAssociations[0].eventType).toBe("viewer-response");

    for (const b of dist.orderedCacheBehaviors) expect(b.responseHeadersPolicyId, String(b.pathPattern)).toBe(rhpId);
    const policies = ofType(inv, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy");
    expect(policies.map((p) => p.name).sort()).toEqual(["web-headers", "web-origin-headers"]);
    const rhp = policies.find((p) => p.name === "web-headers")!.inputs as any;
    const originRhp = policies.find((p) => p.name === "web-origin-headers")!.inputs as any;
    // the same common headers; only the CSP leaves the origin's in place (the function decides it)
    expect({
      ...originRhp,
      name: undefined,
      comment: undefined,
      securityHeadersConfig: { ...originRhp.securityHeadersConfig, contentSecurityPolicy: undefined },
    }).toEqual({ ...rhp, name: undefined, comment: undefined, securityHeadersConfig: { ...rhp.securityHeadersConfig, contentSecurityPolicy: undefined } });
    expect(originRhp.securityHeadersConfig.contentSecurityPolicy).toEqual({ contentSecurityPolicy: HEADERS.csp, override: false });
    expect(rhp.securityHeadersConfig.contentSecurityPolicy.override).toBe(true);
    const custom = Object.fromEntries(rhp.customHeadersConfig.items.map((i: any) => [i.header, i.value]));
    expect(custom).toMatchObject({
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "credentialless",
      "cross-origin-resource-policy": "same-origin",
    });
    expect(rhp.securityHeadersConfig.strictTransportSecurity).toMatchObject({ accessControlMaxAgeSec: 63072000, override: true });
    expect(rhp.securityHeadersConfig.contentTypeOptions).toEqual({ override: true });
    expect(rhp.securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy).toBe(HEADERS.csp);

    // "/" is the app's page, not index.html; error pages are the app's own.
    expect(dist.defaultRootObject).toBeUndefined();
    expect(dist.customErrorResponses).toBeUndefined();
    expect(ofType(inv, "aws:s3/bucketObjectv2:BucketObjectv2").filter((o) => o.inputs.key === "__edge/404.txt")).toHaveLength(0);
  });

  it("passes the policy pack in prod (HTTPS to the origin, COOP/COEP on every behaviour)", async () => {
    const inv = await runProgram(program(base({ protect: true, waf: { managedRules: true, rateLimit: { requests: 2000, periodSeconds: 300 } } })), {
      stack: "prod",
    });
    const report = await runPolicies(inv, { tier: "prod" });
    expect(report.policiesRun).toBeGreaterThan(0);
    expect(report.violations, formatText(report)).toEqual([]);
  });
});

describe("EdgeSite cloudflare with a dynamic origin (harness)", () => {
  it("the deployed Worker script is the origin-aware one and the stack passes the policy pack (prod)", async () => {
    const args = {
      provider: "cloudflare",
      domain: "example.com",
      headers: HEADERS,
      origin: { domain: ORIGIN },
      protect: true,
      cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" },
    } as const;
    const inv = await runProgram(
      async () => {
        const cf = new cloudflare.Provider("cf", { apiToken: "fake-token-for-tests-0000000000000000000" });
        new EdgeSite("web", args, { providers: { cloudflare: cf } });
      },
      { stack: "prod" },
    );
    const script = one(inv, "cloudflare:index/workersScript:WorkersScript").inputs.content as string;
    expect(script).toBe(planEdgeSite("web", "prod", parseEdgeSiteArgs(args)).cloudflare!.workerScript);
    expect(script).toContain(`const DYNAMIC_ORIGIN = {"host":"${ORIGIN}","bucketPrefixes":["/_next/static/"]};`);
    const report = await runPolicies(inv, { tier: "prod" });
    expect(report.violations, formatText(report)).toEqual([]);
  });
});

describe("CloudFront simulation with a dynamic origin", () => {
  const args = parseEdgeSiteArgs(base());
  const plan = planEdgeSite("web", "test", args);
  const behaviours = [
    ...plan.origin!.bucketPathPatterns.map((p) => ({ pathPattern: p, origin: "bucket" as const })),
    { pathPattern: "*", origin: "app" as const },
  ];
  const route = (uri: string) => behaviours.find((b) => globMatch(b.pathPattern, uri))!.origin;
  const ctx = vm.createContext(Object.create(null));
  vm.runInContext(plan.cloudfront!.viewerResponseCode, ctx);
  const viewerResponse = ctx.handler as (e: unknown) => any;
  const workerOrigin = JSON.parse(/^const DYNAMIC_ORIGIN = (.*);$/m.exec(renderWorkerScript(plan.table, plan.origin))![1]!) as { bucketPrefixes: string[] };
  const workerRoute = (uri: string) => (workerOrigin.bucketPrefixes.some((p) => uri.startsWith(p)) ? "bucket" : "app");

  it("routes go to the origin untouched (no index.html rewrite); hashed assets go to S3 with the table's headers", () => {
    for (const uri of ["/", "/login", "/tracks/42", "/a/b/", "/api/health/live", "/favicon.ico", "/index.html", "/_next/image", "/_next/data/build/index.json"])
      expect(route(uri), uri).toBe("app");
    for (const uri of ["/_next/static/chunks/main-0123abcdef.js", "/_next/static/css/app-9f8e7d6c.css", "/_next/static/media/font.woff2"]) {
      expect(route(uri), uri).toBe("bucket");
      // No viewer-request function on the bucket behaviour: S3 gets the URI as requested.
      const out = viewerResponse({
        version: "1.0",
        context: { eventType: "viewer-response" },
        request: { method: "GET", uri, querystring: {}, headers: {}, cookies: {} },
        response: { statusCode: 200, headers: {}, cookies: {} },
      });
      expect(out.headers["cache-control"].value, uri).toBe(CACHE_CONTROL.immutable);
      expect(decide(plan.table, uri).class).toBe("hashed");
    }
  });

  it("property: CloudFront's behaviour selection and the Worker's routing agree on every path", () => {
    const seg = fc.constantFrom("_next", "static", "chunks", "api", "x", "_nuxt", "assets", "a.js", "main-0123abcd.js");
    fc.assert(
      fc.property(fc.array(seg, { minLength: 0, maxLength: 4 }), fc.boolean(), (segs, slash) => {
        const uri = "/" + segs.join("/") + (slash && segs.length ? "/" : "");
        expect(workerRoute(uri), uri).toBe(route(uri));
      }),
      { numRuns: 300 },
    );
  });
});
