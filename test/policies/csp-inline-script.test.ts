/**
 * headers-csp-no-inline-script: the CSP reading (lib/csp.ts) on the header shapes the pack's
 * readers meet, the CSP3 nonce/hash rule, and a CSP not known in preview reported as not judged,
 * never passed. The per-reader programs are in test/fixtures/policies/csp.ts (fixtures.test.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { cspValuesInJson, cspValuesInText, inlineScriptProblem } from "../../policies/lib/csp";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { runProgram } from "../../tools/harness/run";
import { rhp, STRICT_CSP } from "../fixtures/policies/csp";

const POLICY = "headers-csp-no-inline-script";
const HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='";

describe("inlineScriptProblem", () => {
  it("'unsafe-inline' counts only without a nonce or hash source in the same directive (CSP3)", () => {
    expect(inlineScriptProblem("script-src 'self' 'unsafe-inline'")).toBe("has script-src with 'unsafe-inline' without a nonce or hash source");
    expect(inlineScriptProblem(`script-src 'self' ${HASH} 'unsafe-inline'`)).toBeUndefined();
    expect(inlineScriptProblem("script-src 'nonce-abc' 'unsafe-inline' 'strict-dynamic'")).toBeUndefined();
    expect(inlineScriptProblem("script-src 'self' 'sha384-abc' 'UNSAFE-INLINE'")).toBeUndefined();
    // A hash in default-src does not neutralise 'unsafe-inline' in script-src: script-src governs alone.
    expect(inlineScriptProblem(`default-src ${HASH}; script-src 'unsafe-inline'`)).toMatch(/script-src with 'unsafe-inline'/);
  });
  it("falls back to default-src only without script-src", () => {
    expect(inlineScriptProblem("default-src 'self' 'unsafe-inline'")).toBe(
      "has default-src with 'unsafe-inline' without a nonce or hash source (no script-src, so default-src governs scripts)",
    );
    expect(inlineScriptProblem("default-src 'self' 'unsafe-inline'; script-src 'self'")).toBeUndefined();
    expect(inlineScriptProblem(STRICT_CSP)).toBeUndefined();
    expect(inlineScriptProblem("style-src 'self'")).toBe("has neither script-src nor default-src, so it restricts no script");
  });
  it("'*' and data: in the governing directive, even next to a hash", () => {
    expect(inlineScriptProblem(`script-src ${HASH} *`)).toBe("has script-src with '*'");
    expect(inlineScriptProblem("default-src 'self' data:")).toMatch(/default-src with 'data:'/);
    expect(inlineScriptProblem("script-src 'self' 'unsafe-inline' data:")).toBe(
      "has script-src with 'unsafe-inline' without a nonce or hash source and 'data:'",
    );
    // data: in img-src is not a script source.
    expect(inlineScriptProblem("script-src 'self'; img-src 'self' data:")).toBeUndefined();
  });
});

describe("reading CSP values", () => {
  it("from Caddyfile, nginx add_header, more_set_headers, a _headers file and a JSON rule table; Report-Only and code references skipped", () => {
    expect(cspValuesInText(`header {\n  Content-Security-Policy "script-src 'self'"\n}`)).toEqual(["script-src 'self'"]);
    expect(cspValuesInText(`add_header Content-Security-Policy "default-src 'self'" always;`)).toEqual(["default-src 'self'"]);
    expect(cspValuesInText(`more_set_headers "Content-Security-Policy: script-src 'unsafe-inline'";`)).toEqual(["script-src 'unsafe-inline'"]);
    expect(cspValuesInText("/*\n  Content-Security-Policy: default-src 'self'; script-src 'self'\n")).toEqual(["default-src 'self'; script-src 'self'"]);
    expect(
      cspValuesInText(
        `const RULE_TABLE = {"common":{"content-security-policy":"default-src 'self'"}};\nout.set("content-security-policy", f(RULE_TABLE.common["content-security-policy"]));`,
      ),
    ).toEqual(["default-src 'self'"]);
    expect(cspValuesInText(`Content-Security-Policy-Report-Only "script-src 'unsafe-inline'"`)).toEqual([]);
  });
  it("from a Caddy JSON config (headers handler set/add, any case)", () => {
    expect(
      cspValuesInJson({
        routes: [
          { handle: [{ handler: "headers", response: { set: { "content-security-policy": ["a-src x"] }, add: { "Content-Security-Policy": ["b-src y"] } } }] },
        ],
      }),
    ).toEqual(["a-src x", "b-src y"]);
  });
});

describe("a CSP not known in preview", () => {
  const program = () => {
    const bucket = new aws.s3.BucketV2("assets", {});
    rhp("site-headers", pulumi.interpolate`default-src 'self' https://${bucket.bucketRegionalDomainName}; script-src 'self' 'unsafe-inline'`);
  };
  it("is reported as not judged in preview (never passed) and judged on update", async () => {
    const preview = (
      await runPolicies(await runProgram(program, { allowDefaultProviders: true, stack: "fixture", preview: true }), { tier: "prod" })
    ).violations.filter((v) => v.policyName === POLICY);
    expect(preview.map((v) => [v.unknown, v.resourceName, v.enforcementLevel])).toEqual([[true, "site-headers", "advisory"]]);
    expect(preview[0]!.message).toMatch(
      /Content-Security-Policy of response headers policy 'site-headers' \(securityHeadersConfig\.contentSecurityPolicy\) is not known, so whether it lets inline scripts run was not judged/,
    );
    const r = await runPolicies(await runProgram(program, { allowDefaultProviders: true, stack: "fixture" }), { tier: "prod" });
    const update = r.violations.filter((v) => v.policyName === POLICY);
    expect(
      update.map((v) => [v.unknown ?? false, v.resourceName, v.enforcementLevel]),
      formatText(r),
    ).toEqual([[false, "site-headers", "mandatory"]]);
  });
});

describe("our own stacks and blueprints", () => {
  it("every CSP the policy reads in them is judged: adding 'unsafe-inline' to their script-src/default-src is reported on each target that sets one", async () => {
    const { planTarget, titleOf } = await import("../../scripts/plan-lib");
    const { plannedTargets } = await import("../harness/planned");
    const { cspNoInlineScript } = await import("../../policies/headers");
    const withCsp: string[] = [];
    const found: string[] = [];
    for (const t of plannedTargets()) {
      const target = ("stack" in t ? { kind: "stack", ...t } : { kind: "blueprint", ...t }) as Parameters<typeof planTarget>[0];
      const r = await planTarget(target, { preview: false });
      expect(r.error ?? "").toBe("");
      const text = JSON.stringify(r.inventory);
      if (!/(script|default)-src 'self'/.test(text)) continue;
      withCsp.push(titleOf(target));
      const weakened = JSON.parse(text.replace(/(script-src|default-src) 'self'/gi, "$1 'self' 'unsafe-inline'"));
      const report = await runPolicies(weakened, { tier: "prod", policies: [cspNoInlineScript] });
      if (report.violations.some((v) => !v.unknown && /'unsafe-inline' without a nonce or hash source/.test(v.message))) found.push(titleOf(target));
    }
    expect(withCsp.length).toBeGreaterThanOrEqual(12);
    expect(found).toEqual(withCsp);
  }, 300_000);
});
