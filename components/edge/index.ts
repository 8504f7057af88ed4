/**
 * EdgeSite: a static web front end (Flutter/WASM, Nuxt/Vite/Next SPA) on a CDN, with the header
 * and cache rules of components/edge/headers.ts applied identically by either implementation:
 *   provider "cloudflare": R2 + generated Worker + custom domain/route + zone TLS settings
 *   provider "cloudfront": private S3 (OAC) + CloudFront Functions + response headers policy + ACM
 *
 * Providers (never ambient):
 *   cloudflare: opts.providers { cloudflare }   (+ opts.r2: aws.Provider on the R2 S3 endpoint if `assets`)
 *   cloudfront: opts.providers { aws }          (+ opts.usEast1: aws.Provider in us-east-1, required)
 */
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import { EdgeSiteArgsInput, parseEdgeSiteArgs } from "./args";
import { planEdgeSite } from "./plan";
import { provisionCloudflare } from "./cloudflare/provision";
import { provisionCloudfront } from "./cloudfront/provision";

export { edgeSiteArgsSchema, parseEdgeSiteArgs } from "./args";
export type { EdgeSiteArgs, EdgeSiteArgsInput } from "./args";
export * as edgeHeaders from "./headers";
export { APP_HASH_CONVENTIONS, planCloudflareRateLimit } from "./plan";

export interface EdgeSiteOptions extends pulumi.ComponentResourceOptions {
  /** cloudfront: AWS provider in us-east-1 for the ACM certificate and the CLOUDFRONT-scope WAF. */
  usEast1?: aws.Provider;
  /** cloudflare with `assets`: AWS provider configured for the R2 S3-compatible endpoint. */
  r2?: aws.Provider;
}

export class EdgeSite extends pulumi.ComponentResource {
  /** https://<domain> */
  readonly url: pulumi.Output<string>;
  readonly domain: pulumi.Output<string>;
  readonly provider: pulumi.Output<"cloudflare" | "cloudfront">;
  /** R2 or S3 bucket holding the build. */
  readonly bucketName: pulumi.Output<string>;
  /** The rule table every runtime was generated from (JSON). */
  readonly ruleTable: pulumi.Output<string>;
  /** sha256 of `ruleTable`: equal across implementations for the same header policy. */
  readonly ruleTableSha256: pulumi.Output<string>;
  /** cloudflare only. */
  readonly workerName?: pulumi.Output<string>;
  /** cloudfront only. */
  readonly distributionId?: pulumi.Output<string>;
  readonly distributionDomainName?: pulumi.Output<string>;

  constructor(name: string, rawArgs: EdgeSiteArgsInput, opts: EdgeSiteOptions = {}) {
    const { usEast1, r2, ...componentOpts } = opts;
    super("platform:edge:EdgeSite", name, {}, componentOpts);
    const args = parseEdgeSiteArgs(rawArgs, `EdgeSite ${name}`);
    const plan = planEdgeSite(name, pulumi.getStack(), args);

    this.domain = pulumi.output(args.domain);
    this.url = pulumi.output(`https://${args.domain}`);
    this.provider = pulumi.output(args.provider);
    this.ruleTable = pulumi.output(JSON.stringify(plan.table));
    this.ruleTableSha256 = pulumi.output(plan.tableSha256);

    const outputs: Record<string, pulumi.Input<unknown>> = {
      url: this.url,
      domain: this.domain,
      provider: this.provider,
      ruleTableSha256: this.ruleTableSha256,
    };
    if (args.provider === "cloudflare") {
      const out = provisionCloudflare(this, name, args, plan, r2);
      this.bucketName = out.bucketName;
      this.workerName = out.workerName;
      Object.assign(outputs, out);
    } else {
      const out = provisionCloudfront(this, name, args, plan, usEast1);
      this.bucketName = out.bucketName;
      this.distributionId = out.distributionId;
      this.distributionDomainName = out.distributionDomainName;
      Object.assign(outputs, out);
    }
    this.registerOutputs(outputs);
  }
}
