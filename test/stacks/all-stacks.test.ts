/**
 * Every stack and every blueprint × tier, through the real program under the harness, in
 * preview and update mode: it must plan, and the policy pack (run in-process, as the engine
 * would) must report no mandatory violation. This is what makes `npm test` fail when any
 * stack or blueprint breaks a mandatory policy.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PlanResult, Target, planTarget, supportedTiers, titleOf } from "../../scripts/plan-lib";
import { availableBlueprints } from "../../stacks/spec/load";
import { listStacks } from "../harness/stacks";

const targets: Target[] = [
  ...listStacks().map((stack): Target => ({ kind: "stack", stack })),
  ...availableBlueprints().flatMap((blueprint) => supportedTiers(blueprint).map((tier): Target => ({ kind: "blueprint", blueprint, tier }))),
];

const results = new Map<string, PlanResult>();

beforeAll(async () => {
  for (const target of targets) {
    for (const preview of [true, false]) {
      results.set(`${titleOf(target)} ${preview ? "preview" : "update"}`, await planTarget(target, { preview }));
    }
  }
}, 600_000);

describe("every stack and blueprint plans cleanly", () => {
  it("covers the four stacks and every blueprint", () => {
    expect(listStacks()).toEqual(expect.arrayContaining(["local", "dev", "staging", "prod"]));
    expect(targets.length).toBeGreaterThanOrEqual(4 + availableBlueprints().length);
  });

  for (const target of targets) {
    for (const mode of ["preview", "update"]) {
      it(`${titleOf(target)} (${mode}): plans, no mandatory policy violation`, () => {
        const r = results.get(`${titleOf(target)} ${mode}`)!;
        expect(r.error ?? "").toBe("");
        expect(r.inventory!.resources.filter((x) => x.custom).length).toBeGreaterThan(0);
        const mandatory = r.policy!.violations.filter((v) => v.enforcementLevel === "mandatory");
        expect(mandatory.map((v) => `${v.policyName}: ${v.resourceType ?? ""} ${v.resourceName ?? ""}: ${v.message}`)).toEqual([]);
        expect(r.policy!.policiesRun).toBeGreaterThan(0);
      });
    }
  }
});
