/**
 * Proof by fixtures: every policy has at least one compliant and one violating raw-provider
 * program; each is run through the harness (update mode, and preview for the compliant ones)
 * and then through the in-process runner.
 */
import { describe, expect, it } from "vitest";
import { allPolicies } from "../../policies/policies";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { runProgram } from "../../tools/harness/run";
import { compliantCases, violatingCases, type PolicyCase } from "../fixtures/policies/cases";
import { fullCompliant } from "../fixtures/policies/compliant";

const run = async (c: PolicyCase, preview = false) => {
  const inv = await runProgram(c.program, { allowDefaultProviders: true, stack: "fixture", preview });
  return runPolicies(inv, { tier: c.tier ?? "prod" });
};

describe("fixture coverage", () => {
  it("every policy has a compliant and a violating fixture", () => {
    for (const p of allPolicies) {
      expect(
        compliantCases.some((c) => c.policy === p.name),
        `compliant fixture for ${p.name}`,
      ).toBe(true);
      expect(
        violatingCases.some((c) => c.policy === p.name),
        `violating fixture for ${p.name}`,
      ).toBe(true);
    }
  });
});

describe("compliant fixtures pass", () => {
  it("the full compliant program has no violation at all in prod, in update and preview mode", async () => {
    for (const preview of [false, true]) {
      const r = await runPolicies(await runProgram(fullCompliant, { allowDefaultProviders: true, stack: "prod", preview }), { tier: "prod" });
      // In preview the site bucket's policy document (built from the bucket's ARN) is unknown: the two
      // policies that read it report "can't run during preview" instead of passing it unseen.
      expect(
        r.violations.filter((v) => !(preview && v.unknown)),
        formatText(r),
      ).toEqual([]);
      if (preview)
        expect(r.violations.map((v) => `${v.policyName} ${v.resourceName ?? "(stack)"}`).sort(), formatText(r)).toEqual([
          "seg-datastore-not-public site",
          "tls-s3-deny-insecure-transport (stack)",
        ]);
      expect(r.policiesRun).toBe(allPolicies.length);
    }
  });
  for (const c of compliantCases) {
    it(`${c.policy}: ${c.name}`, async () => {
      const r = await run(c);
      const mine = r.violations.filter((v) => v.policyName === c.policy);
      expect(mine, formatText(r)).toEqual([]);
    });
  }
});

describe("violating fixtures fail", () => {
  for (const c of violatingCases) {
    it(`${c.policy}: ${c.name}`, async () => {
      const r = await run(c);
      const mine = r.violations.filter((v) => v.policyName === c.policy && !v.unknown);
      expect(mine.length, formatText(r)).toBeGreaterThan(0);
      expect(
        mine.some((v) => c.expect!.test(v.message)),
        formatText(r),
      ).toBe(true);
      expect(mine.every((v) => v.enforcementLevel === "mandatory")).toBe(true);
    });
  }
});
