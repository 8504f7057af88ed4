/**
 * Every stack and every blueprint × tier, through the real program under the harness, in
 * preview and update mode: it must plan, and the policy pack (run in-process, as the engine
 * would) must report no mandatory violation. This is what makes `npm test` fail when any
 * stack or blueprint breaks a mandatory policy, and the one place that asserts it per stack and
 * blueprint × tier (other files assert their own facts on the same shared plans).
 *
 * The plans come from the plan cache (test/harness/planned.ts) through the offline plan's own
 * planTarget: each target is planned once per run, not once per file.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PlanResult, Target, planTarget, titleOf } from "../../scripts/plan-lib";
import { availableBlueprints } from "../../stacks/spec/load";
import { listStacks, placeholderFor } from "../../tools/harness/stacks";
import { plannedTargets } from "../harness/planned";
import { formatLeaks, scanForSecretLeaks } from "../../components/secrets/scan";
import { knownSecretsOf } from "../secrets/known";

const targets: Target[] = plannedTargets().map((t): Target => ("stack" in t ? { kind: "stack", ...t } : { kind: "blueprint", ...t }));

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

      it(`${titleOf(target)} (${mode}): no generated or configured secret outside a secret`, () => {
        const r = results.get(`${titleOf(target)} ${mode}`)!;
        expect(r.inventory, r.error).toBeDefined();
        const configSecrets = Object.fromEntries(r.placeholders.map((p) => [p, placeholderFor(p)]));
        const known = knownSecretsOf(r.inventory!, configSecrets);
        if (mode === "update") expect(known.length).toBeGreaterThan(0);
        // Reviewed exception: in-cluster Service DNS names (a store's host) sit inside secret
        // connection Secrets next to the credentials, but are not secret themselves.
        const notSecret = [
          ...new Set(JSON.stringify(r.inventory!.resources.map((x) => x.inputs)).match(/[a-z0-9-]+(\.[a-z0-9-]+)*\.svc\.cluster\.local/g) ?? []),
        ];
        const leaks = scanForSecretLeaks(r.inventory!, { knownSecrets: known, notSecret });
        expect(leaks, formatLeaks(leaks)).toEqual([]);
      });
    }
  }
});
