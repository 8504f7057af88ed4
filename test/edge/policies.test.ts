/**
 * Both EdgeSite implementations, as a prod composer would call them (protect: true), pass the
 * CrossGuard pack in-process (COOP/COEP, wasm content type, TLS, baseline) with no violations.
 */
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../tools/harness/run";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { EdgeSite } from "../../components/edge";

const FIXTURE = path.join(__dirname, "..", "fixtures", "edge");

const programs = {
  cloudflare: async () => {
    const cf = new cloudflare.Provider("cf", { apiToken: "fake-token-for-tests-0000000000000000000" });
    const r2 = new aws.Provider("r2", {
      region: "us-east-1",
      skipCredentialsValidation: true,
      endpoints: [{ s3: "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com" }],
    });
    new EdgeSite(
      "web",
      {
        provider: "cloudflare",
        domain: "app.example.com",
        assets: FIXTURE,
        protect: true,
        cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210", plan: "pro" },
        waf: { managedRules: true, rateLimit: { requests: 600, periodSeconds: 60 } },
      },
      { providers: { cloudflare: cf }, r2 },
    );
  },
  cloudfront: async () => {
    const main = new aws.Provider("aws", { region: "eu-west-1" });
    const usEast1 = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
    new EdgeSite(
      "web",
      {
        provider: "cloudfront",
        domain: "app.example.com",
        assets: FIXTURE,
        protect: true,
        cloudfront: { hostedZoneId: "Z0123456789ABCDEFGHIJ" },
        waf: { managedRules: true, rateLimit: { requests: 2000, periodSeconds: 300 } },
      },
      { providers: { aws: main }, usEast1 },
    );
  },
};

describe.each(Object.entries(programs))("EdgeSite %s under the policy pack (prod)", (_name, program) => {
  it("has no violations", async () => {
    const inv = await runProgram(program, { stack: "prod" });
    const report = await runPolicies(inv, { tier: "prod" });
    expect(report.policiesRun).toBeGreaterThan(0);
    expect(report.violations, formatText(report)).toEqual([]);
  });
});
