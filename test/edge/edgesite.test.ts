/**
 * EdgeSite through the harness: both implementations plan, every custom resource is on an
 * explicit provider, and the rules the Pulumi resources carry (Worker script, CloudFront
 * Functions + response headers policy, uploaded object metadata) are the one rule table.
 */
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import { describe, expect, it } from "vitest";
import { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { ProgramError, runProgram } from "../../tools/harness/run";
import { EdgeSite, EdgeSiteArgsInput } from "../../components/edge";
import { buildRuleTable, EdgeRuleTable, HeaderPolicyInput } from "../../components/edge/headers";
import { renderWorkerScript } from "../../components/edge/worker/render";
import { renderViewerRequestFunction, renderViewerResponseFunction } from "../../components/edge/cloudfront/function";

const FIXTURE = path.join(__dirname, "..", "fixtures", "edge");
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const ZONE = "fedcba9876543210fedcba9876543210";
const HEADERS: HeaderPolicyInput = {
  coep: "require-corp",
  csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
  hashed: { conventions: ["dotted-hex"] },
};

function cloudflareProgram(extra: Partial<EdgeSiteArgsInput> = {}) {
  return async () => {
    const cf = new cloudflare.Provider("cf", { apiToken: "fake-token-for-tests-0000000000000000000" });
    const r2 = new aws.Provider("r2", {
      region: "us-east-1",
      accessKey: "fake-access-key-for-tests",
      secretKey: "fake-password-for-tests",
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipRegionValidation: true,
      s3UsePathStyle: true,
      endpoints: [{ s3: `https://${ACCOUNT}.r2.cloudflarestorage.com` }],
    });
    const site = new EdgeSite(
      "web",
      {
        provider: "cloudflare",
        domain: "app.example.com",
        headers: HEADERS,
        assets: FIXTURE,
        cloudflare: { accountId: ACCOUNT, zoneId: ZONE, plan: "pro" },
        waf: { managedRules: true, rateLimit: { requests: 600, periodSeconds: 60 } },
        ...extra,
      } as EdgeSiteArgsInput,
      { providers: { cloudflare: cf }, r2 },
    );
    return { url: site.url, sha: site.ruleTableSha256, bucket: site.bucketName };
  };
}

function cloudfrontProgram(extra: Partial<EdgeSiteArgsInput> = {}) {
  return async () => {
    const main = new aws.Provider("aws", { region: "eu-west-1" });
    const usEast1 = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
    const site = new EdgeSite(
      "web",
      {
        provider: "cloudfront",
        domain: "app.example.com",
        headers: HEADERS,
        assets: FIXTURE,
        cloudfront: { hostedZoneId: "Z0123456789ABCDEFGHIJ" },
        waf: { managedRules: true, rateLimit: { requests: 2000, periodSeconds: 300 } },
        ...extra,
      } as EdgeSiteArgsInput,
      { providers: { aws: main }, usEast1 },
    );
    return { url: site.url, sha: site.ruleTableSha256, bucket: site.bucketName, cdn: site.distributionDomainName };
  };
}

const ofType = (inv: Inventory, type: string) => inv.resources.filter((r) => r.type === type);
const one = (inv: Inventory, type: string): InventoryResource => {
  const rs = ofType(inv, type);
  expect(rs, type).toHaveLength(1);
  return rs[0]!;
};
const providerName = (inv: Inventory, r: InventoryResource) => inv.resources.find((p) => r.provider?.startsWith(p.urn + "::"))?.name;
const embeddedTable = (code: string): EdgeRuleTable => JSON.parse(/^(?:const|var) RULE_TABLE = (.*);$/m.exec(code)![1]!);

describe("EdgeSite cloudflare", () => {
  it("plans R2 + Worker + custom domain + zone settings + WAF, all on explicit providers", async () => {
    const inv = await runProgram(cloudflareProgram());
    const table = buildRuleTable(HEADERS);
    const script = one(inv, "cloudflare:index/workersScript:WorkersScript");
    expect(script.inputs.content).toBe(renderWorkerScript(table));
    expect(script.inputs.mainModule).toBe("worker.js");
    expect(script.inputs.bindings).toEqual([{ name: "SITE_BUCKET", type: "r2_bucket", bucketName: "test-web-site" }]);
    expect(one(inv, "cloudflare:index/r2Bucket:R2Bucket").inputs.name).toBe("test-web-site");
    expect(one(inv, "cloudflare:index/workersCustomDomain:WorkersCustomDomain").inputs).toMatchObject({ hostname: "app.example.com", zoneId: ZONE });
    const settings = Object.fromEntries(ofType(inv, "cloudflare:index/zoneSetting:ZoneSetting").map((r) => [r.inputs.settingId, r.inputs.value]));
    expect(settings).toMatchObject({ ssl: "strict", always_use_https: "on", min_tls_version: "1.2" });
    expect(settings.security_header).toEqual({
      strict_transport_security: { enabled: true, max_age: 63072000, include_subdomains: true, preload: false, nosniff: true },
    });
    const rulesets = ofType(inv, "cloudflare:index/ruleset:Ruleset").map((r) => r.inputs.phase);
    expect(rulesets.sort()).toEqual(["http_ratelimit", "http_request_firewall_managed"]);

    const objects = ofType(inv, "aws:s3/bucketObjectv2:BucketObjectv2");
    expect(Object.fromEntries(objects.map((o) => [o.inputs.key, [o.inputs.contentType, o.inputs.cacheControl]]))).toEqual({
      "asset_versions.json": ["application/json", "no-cache"],
      "canvaskit/canvaskit.wasm": ["application/wasm", "public, max-age=0, must-revalidate"],
      "flutter_bootstrap.js": ["text/javascript; charset=utf-8", "public, max-age=0, must-revalidate"],
      "index.html": ["text/html; charset=utf-8", "no-cache"],
      "main.3f2a9c1b.js": ["text/javascript; charset=utf-8", "public, max-age=31536000, immutable"],
    });
    for (const o of objects) expect(providerName(inv, o)).toBe("r2");
    for (const r of inv.resources.filter((r) => r.custom && r.type.startsWith("cloudflare:index/"))) expect(providerName(inv, r), r.type).toBe("cf");
    const comp = one(inv, "platform:edge:EdgeSite");
    for (const r of inv.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))) expect(r.parent, r.urn).toBe(comp.urn);
    expect(inv.outputs.url).toBe("https://app.example.com");
  });

  it("route mode: proxied DNS record + Workers route; infrastructure only without assets", async () => {
    const inv = await runProgram(
      cloudflareProgram({ assets: undefined, waf: undefined, cloudflare: { accountId: ACCOUNT, zoneId: ZONE, routing: "route" } } as never),
      { preview: true },
    );
    expect(one(inv, "cloudflare:index/dnsRecord:DnsRecord").inputs).toMatchObject({ name: "app.example.com", proxied: true, type: "AAAA" });
    expect(one(inv, "cloudflare:index/workersRoute:WorkersRoute").inputs.pattern).toBe("app.example.com/*");
    expect(ofType(inv, "aws:s3/bucketObjectv2:BucketObjectv2")).toHaveLength(0);
    expect(ofType(inv, "cloudflare:index/workersCustomDomain:WorkersCustomDomain")).toHaveLength(0);
  });
});

describe("EdgeSite cloudfront", () => {
  it("plans private S3 + OAC + functions + headers policy + ACM(us-east-1) + WAF", async () => {
    const inv = await runProgram(cloudfrontProgram());
    const table = buildRuleTable(HEADERS);
    const fns = Object.fromEntries(ofType(inv, "aws:cloudfront/function:Function").map((f) => [f.name, f.inputs]));
    expect(fns["web-viewer-request"]).toMatchObject({ runtime: "cloudfront-js-2.0", publish: true, code: renderViewerRequestFunction(table) });
    expect(fns["web-viewer-response"]).toMatchObject({ runtime: "cloudfront-js-2.0", code: renderViewerResponseFunction(table) });

    const dist = one(inv, "aws:cloudfront/distribution:Distribution");
    const behaviours = [dist.inputs.defaultCacheBehavior, ...((dist.inputs.orderedCacheBehaviors as unknown[]) ?? [])] as Array<Record<string, unknown>>;
    for (const b of behaviours) expect(b.viewerProtocolPolicy).toBe("redirect-to-https");
    expect(dist.inputs.viewerCertificate).toMatchObject({ minimumProtocolVersion: "TLSv1.2_2021", sslSupportMethod: "sni-only" });
    expect(dist.inputs.customErrorResponses).toEqual([{ errorCode: 404, responseCode: 404, responsePagePath: "/__edge/404.txt", errorCachingMinTtl: 10 }]);
    const nf = ofType(inv, "aws:s3/bucketObjectv2:BucketObjectv2").find((o) => o.inputs.key === "__edge/404.txt")!;
    expect(nf.inputs).toMatchObject({ content: "Not Found", contentType: "text/plain; charset=utf-8", cacheControl: "no-store" });
    expect(dist.inputs.webAclId).toBeTruthy();

    for (const t of ["aws:acm/certificate:Certificate", "aws:acm/certificateValidation:CertificateValidation", "aws:wafv2/webAcl:WebAcl"])
      expect(providerName(inv, one(inv, t)), t).toBe("aws-us-east-1");
    expect(one(inv, "aws:wafv2/webAcl:WebAcl").inputs.scope).toBe("CLOUDFRONT");
    for (const t of ["aws:s3/bucket:Bucket", "aws:cloudfront/distribution:Distribution", "aws:s3/bucketPolicy:BucketPolicy"])
      expect(providerName(inv, one(inv, t)), t).toBe("aws");

    expect(one(inv, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(JSON.stringify(one(inv, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs)).toContain("AES256");
    expect(one(inv, "aws:cloudfront/originAccessControl:OriginAccessControl").inputs).toMatchObject({
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });
    const policy = JSON.parse(one(inv, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy as string);
    const sids = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
    expect(sids.DenyInsecureTransport.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    expect(sids.CloudFrontOACRead.Condition.StringEquals["AWS:SourceArn"]).toMatch(/^arn:aws:cloudfront:/);
    expect(sids.CloudFrontOACListForReal404.Action).toBe("s3:ListBucket");
    expect(
      ofType(inv, "aws:route53/record:Record")
        .map((r) => r.inputs.type)
        .sort(),
    ).toEqual(["A", "AAAA", "CNAME"]);
    expect(ofType(inv, "aws:s3/bucketObjectv2:BucketObjectv2")).toHaveLength(6); // 5 fixture files + the 404 object
  });

  it("plans in preview too, with an existing certificate and no WAF", async () => {
    const inv = await runProgram(
      cloudfrontProgram({ waf: undefined, cloudfront: { certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc-123" } } as never),
      { preview: true },
    );
    expect(ofType(inv, "aws:acm/certificate:Certificate")).toHaveLength(0);
    expect(ofType(inv, "aws:wafv2/webAcl:WebAcl")).toHaveLength(0);
    expect(ofType(inv, "aws:route53/record:Record")).toHaveLength(0);
    expect((one(inv, "aws:cloudfront/distribution:Distribution").inputs.viewerCertificate as any).acmCertificateArn).toBe(
      "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
    );
  });
});

describe("EdgeSite: one rule table, two implementations", () => {
  it("Worker table == CloudFront function table + response headers policy; same sha", async () => {
    const cfInv = await runProgram(cloudflareProgram());
    const awsInv = await runProgram(cloudfrontProgram());
    const workerTable = embeddedTable(one(cfInv, "cloudflare:index/workersScript:WorkersScript").inputs.content as string);
    const fn = ofType(awsInv, "aws:cloudfront/function:Function");
    const fnTables = fn.map((f) => embeddedTable(f.inputs.code as string));
    const rhp = one(awsInv, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs as any;
    const sec = rhp.securityHeadersConfig;
    const policyCommon: Record<string, string> = {
      "strict-transport-security": `max-age=${sec.strictTransportSecurity.accessControlMaxAgeSec}${sec.strictTransportSecurity.includeSubdomains ? "; includeSubDomains" : ""}${sec.strictTransportSecurity.preload ? "; preload" : ""}`,
      "x-content-type-options": "nosniff",
      "content-security-policy": sec.contentSecurityPolicy.contentSecurityPolicy,
      "referrer-policy": sec.referrerPolicy.referrerPolicy,
    };
    for (const item of rhp.customHeadersConfig.items) policyCommon[item.header] = item.value;
    for (const t of fnTables) expect({ ...t, common: policyCommon }).toEqual(workerTable);
    expect(workerTable).toEqual(buildRuleTable(HEADERS));
    expect(cfInv.outputs.sha).toBe(awsInv.outputs.sha);
    // Zone HSTS (Cloudflare) equals the table's HSTS too.
    const zoneHsts = ofType(cfInv, "cloudflare:index/zoneSetting:ZoneSetting").find((r) => r.inputs.settingId === "security_header")!.inputs.value as any;
    expect(`max-age=${zoneHsts.strict_transport_security.max_age}; includeSubDomains`).toBe(workerTable.common["strict-transport-security"]);
  });
});

describe("EdgeSite: bad args", () => {
  it("lists every problem by field and registers nothing of the site", async () => {
    const run = runProgram(async () => {
      const cf = new cloudflare.Provider("cf", { apiToken: "fake-token-for-tests-0000000000000000000" });
      new EdgeSite(
        "web",
        {
          provider: "cloudflare",
          domain: "App.Example.com",
          headers: { coep: "unsafe-none", hsts: { maxAgeSeconds: 60 } },
          cloudflare: { accountId: "x", zoneId: ZONE },
          cdn: true,
        } as never,
        { providers: { cloudflare: cf } },
      );
    });
    const err = (await run.catch((e) => e)) as ProgramError;
    expect(err).toBeInstanceOf(ProgramError);
    for (const field of ["domain", "headers.coep", "headers.hsts.maxAgeSeconds", "cloudflare.accountId", "cdn"]) expect(err.message).toContain(field);
    expect(err.inventory.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))).toHaveLength(0);
  });

  it("cloudfront without a us-east-1 provider or without zone/certificate is refused", async () => {
    const noEast = await runProgram(async () => {
      const main = new aws.Provider("aws", { region: "eu-west-1" });
      new EdgeSite(
        "web",
        { provider: "cloudfront", domain: "app.example.com", cloudfront: { hostedZoneId: "Z0123456789ABCDEFGHIJ" } },
        { providers: { aws: main } },
      );
    }).catch((e) => e);
    expect(String(noEast.message)).toContain("opts.usEast1");
    const noZone = await runProgram(async () => {
      const main = new aws.Provider("aws", { region: "eu-west-1" });
      new EdgeSite("web", { provider: "cloudfront", domain: "app.example.com", cloudfront: {} }, { providers: { aws: main } });
    }).catch((e) => e);
    expect(String(noZone.message)).toMatch(/cloudfront: give hostedZoneId/);
  });
});
