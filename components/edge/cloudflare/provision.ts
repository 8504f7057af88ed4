/**
 * Cloudflare implementation of EdgeSite: R2 bucket + generated Worker bound to it, on a Workers
 * Custom Domain (or a proxied DNS record + route), zone settings SSL strict / always HTTPS /
 * TLS 1.2 / HSTS, optional WAF managed rules and a rate-limit ruleset (both need the zone on Pro or
 * above: args.cloudflare.plan, refused on Free by parseEdgeSiteArgs).
 *
 * Why R2 (not Workers static assets): the Worker decides every response from the shared rule
 * table (SPA fallback, real 404, per-class headers), which with static assets would need
 * run_worker_first for every path anyway; R2 keeps deploys of assets independent of script
 * versions, and miniflare runs the identical binding in tests.
 */
import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as aws from "@pulumi/aws";
import type { EdgeSiteArgs } from "../args";
import { EdgePlan, cloudflareRateLimitRule } from "../plan";
import { WORKER_BUCKET_BINDING, WORKER_COMPATIBILITY_DATE } from "../worker/render";

/** Cloudflare Managed Ruleset id (the same for every account). */
export const CLOUDFLARE_MANAGED_RULESET_ID = "efb7b8c949ac4650a09736fc376e9aee";

export interface CloudflareEdgeOutputs {
  bucketName: pulumi.Output<string>;
  workerName: pulumi.Output<string>;
}

export function provisionCloudflare(
  parent: pulumi.Resource,
  name: string,
  args: Extract<EdgeSiteArgs, { provider: "cloudflare" }>,
  plan: EdgePlan,
  r2Provider: aws.Provider | undefined,
): CloudflareEdgeOutputs {
  const cf = args.cloudflare;
  const cfPlan = plan.cloudflare!;
  const opts = { parent };

  const bucket = new cloudflare.R2Bucket(
    `${name}-assets`,
    { accountId: cf.accountId, name: plan.bucketName, ...(cf.bucketLocation ? { location: cf.bucketLocation } : {}) },
    { ...opts, protect: args.protect },
  );

  const script = new cloudflare.WorkersScript(
    `${name}-worker`,
    {
      accountId: cf.accountId,
      scriptName: plan.resourcePrefix,
      content: cfPlan.workerScript,
      mainModule: "worker.js",
      compatibilityDate: WORKER_COMPATIBILITY_DATE,
      bindings: [{ name: WORKER_BUCKET_BINDING, type: "r2_bucket", bucketName: bucket.name }],
      observability: { enabled: true },
    },
    opts,
  );

  if (cf.routing === "custom-domain") {
    // Cloudflare creates and owns the proxied DNS record and the edge certificate for it.
    new cloudflare.WorkersCustomDomain(
      `${name}-domain`,
      { accountId: cf.accountId, zoneId: cf.zoneId, hostname: args.domain, service: script.scriptName },
      opts,
    );
  } else {
    // Originless proxied record: traffic only ever reaches the Worker route.
    new cloudflare.DnsRecord(
      `${name}-dns`,
      {
        zoneId: cf.zoneId,
        name: args.domain,
        type: "AAAA",
        content: "100::",
        proxied: true,
        ttl: 1,
        comment: `EdgeSite ${name}: served by Worker ${plan.resourcePrefix}`,
      },
      opts,
    );
    new cloudflare.WorkersRoute(`${name}-route`, { zoneId: cf.zoneId, pattern: `${args.domain}/*`, script: script.scriptName }, opts);
  }

  if (cf.manageZoneSettings) {
    for (const s of cfPlan.zoneSettings) {
      new cloudflare.ZoneSetting(`${name}-zone-${s.settingId.replace(/_/g, "-")}`, { zoneId: cf.zoneId, settingId: s.settingId, value: s.value }, opts);
    }
  }

  if (args.waf?.managedRules) {
    new cloudflare.Ruleset(
      `${name}-waf-managed`,
      {
        zoneId: cf.zoneId,
        kind: "zone",
        phase: "http_request_firewall_managed",
        name: `${plan.resourcePrefix} managed WAF`,
        rules: [
          {
            action: "execute",
            expression: `(http.host eq "${args.domain}")`,
            description: "Cloudflare Managed Ruleset",
            actionParameters: { id: CLOUDFLARE_MANAGED_RULESET_ID },
            enabled: true,
          },
        ],
      },
      opts,
    );
  }
  if (args.waf?.rateLimit) {
    const rl = args.waf.rateLimit;
    const rule = cloudflareRateLimitRule(rl, cf.plan);
    new cloudflare.Ruleset(
      `${name}-ratelimit`,
      {
        zoneId: cf.zoneId,
        kind: "zone",
        phase: "http_ratelimit",
        name: `${plan.resourcePrefix} rate limit`,
        rules: [
          {
            action: "block",
            expression: `(http.host eq "${args.domain}")`,
            // Says exactly what the rule does: counted per client IP at each data center (cf.colo.id
            // is mandatory), over the plan's window (plan.ts cloudflareRateLimitRule).
            description: rule.description,
            ratelimit: {
              characteristics: ["cf.colo.id", "ip.src"],
              period: rule.period,
              requestsPerPeriod: rule.requestsPerPeriod,
              mitigationTimeout: rule.mitigationTimeout,
            },
            enabled: true,
          },
        ],
      },
      opts,
    );
  }

  if (plan.assets.length) {
    if (!r2Provider)
      throw new Error(
        `EdgeSite ${name}: assets given for provider cloudflare but no R2 upload provider; pass opts.r2 (an aws.Provider with the R2 S3 endpoint https://<accountId>.r2.cloudflarestorage.com and an R2 API token's key pair) or drop assets and upload in CI`,
      );
    for (const a of plan.assets) {
      new aws.s3.BucketObjectv2(
        `${name}-asset-${a.key}`,
        { bucket: bucket.name, key: a.key, source: new pulumi.asset.FileAsset(a.file), contentType: a.contentType, cacheControl: a.cacheControl },
        { parent, provider: r2Provider },
      );
    }
  }

  return { bucketName: bucket.name, workerName: script.scriptName };
}
