// The gateway blueprint's Cloudflare rulesets need a paid plan, and the rate-limit rule's
// description said "3000 requests per 300s per client IP" while the rule counted 600 per 60 s per
// IP and data center. Now the zone's plan is a stack setting (`platform:cloudflare.plan`): the spec
// refuses the WAF on Free, the window follows the plan, and the description states the deployed rule.
import { describe, expect, it } from "vitest";
import { parseEdgeSiteArgs } from "../../components/edge/args";
import { cloudflareRateLimitRule } from "../../components/edge/plan";
import { SpecError } from "../../stacks/spec/errors";
import { loadSpec } from "../../stacks/spec/load";
import { preflightStack } from "../../stacks/preflight";
import { readStackFile, type StackFile } from "../../stacks/preflight/stack-file";
import { planned } from "../harness/planned";

const RULESET = "cloudflare:index/ruleset:Ruleset";

describe("Cloudflare plan of the edge's rulesets", () => {
  it("the planned gateway rate-limit rule's description states exactly its own numbers", async () => {
    for (const tier of ["staging", "prod"] as const) {
      const { inventory } = await planned({ blueprint: "gateway-flutter-wasm", tier });
      const rs = inventory.resources.filter((r) => r.type === RULESET);
      expect(rs.map((r) => r.inputs.phase).sort()).toEqual(["http_ratelimit", "http_request_firewall_managed"]);
      const rule = (
        rs.find((r) => r.inputs.phase === "http_ratelimit")!.inputs.rules as {
          description: string;
          ratelimit: { period: number; requestsPerPeriod: number; mitigationTimeout: number };
        }[]
      )[0]!;
      const m = /after (\d+) requests in (\d+) s/.exec(rule.description)!;
      expect([Number(m[1]), Number(m[2])]).toEqual([rule.ratelimit.requestsPerPeriod, rule.ratelimit.period]);
      expect(rule.description).toContain(`block a client IP for ${rule.ratelimit.mitigationTimeout} s`);
      // The committed zone is on Pro: 60 s is its longest period; the blueprint's 3000 per 300 s becomes 600 per 60 s.
      expect(rule.ratelimit).toMatchObject({ period: 60, requestsPerPeriod: 600 });
      expect(rule.description).toContain("3000 per 300 s in the blueprint");
    }
  });

  it("Business counts over the blueprint's own 300 s window; the description says so without scaling", () => {
    const r = cloudflareRateLimitRule({ requests: 3000, periodSeconds: 300 }, "business");
    expect(r).toMatchObject({ period: 300, requestsPerPeriod: 3000, mitigationTimeout: 300 });
    expect(r.description).toBe("block a client IP for 300 s after 3000 requests in 300 s to one Cloudflare data center");
  });

  it("the spec refuses the gateway's WAF on a Free zone, naming platform:cloudflare.plan and the fix", () => {
    const f = readStackFile("staging");
    const config: Record<string, any> = {
      ...structuredClone(f.platform),
      blueprint: "gateway-flutter-wasm",
      alertingSecrets: { teamSlack: "x", oncallEmail: "x" },
    };
    delete config.cloudflare.plan;
    let err: unknown;
    try {
      loadSpec({ stack: "staging", config, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    const issues = (err as SpecError).issues.filter((i) => i.path === "platform:cloudflare.plan");
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/free plan.*Managed Ruleset.*needs Pro[\s\S]*set `platform:cloudflare\.plan`/),
      expect.stringMatching(/free plan.*rate limiting rule on the site's host needs Pro/),
    ]);
  });

  it("the EdgeSite component refuses it too (args.cloudflare.plan)", () => {
    const args = {
      provider: "cloudflare",
      domain: "example.com",
      waf: { managedRules: true },
      cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" },
    };
    expect(() => parseEdgeSiteArgs(args)).toThrow(/cloudflare\.plan: 'free': the Cloudflare Managed Ruleset/);
    expect(() => parseEdgeSiteArgs({ ...args, cloudflare: { ...args.cloudflare, plan: "pro" } })).not.toThrow();
  });

  it("preflight: stacks on one zone must name the same plan", () => {
    const stacks = ["dev", "staging", "prod"].map((s) => readStackFile(s));
    const staging = stacks[1]!;
    const free: StackFile = { ...staging, platform: { ...staging.platform, cloudflare: { ...(staging.platform.cloudflare as object), plan: "business" } } };
    const r = preflightStack(free, { today: "2026-12-03", stacks: [stacks[0]!, free, stacks[2]!], workflows: [] });
    const plan = r.findings.filter((x) => x.check === "cloudflare/plan");
    expect(plan.map((x) => x.setting)).toEqual(["Pulumi.staging.yaml: platform:cloudflare.plan", "Pulumi.staging.yaml: platform:cloudflare.plan"]);
    expect(plan[0]!.problem).toContain("'business' plan here but on 'pro' in Pulumi.dev.yaml");
  });
});
