/** The CrossGuard pack, in process, over the Kubernetes stacks this area composes: no mandatory violation. */
import { describe, expect, it } from "vitest";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { runProgram } from "../harness/run";
import { TRAEFIK_BLUEPRINT, k8sProgram, specFor } from "./fixtures";

const cases = [
  { label: "local", tier: "local" as const },
  { label: "staging", tier: "staging" as const },
  { label: "prod", tier: "prod" as const },
  { label: "prod traefik", tier: "prod" as const, blueprint: TRAEFIK_BLUEPRINT },
];

describe("policy pack over the composed Kubernetes platform", () => {
  for (const c of cases) {
    for (const preview of [false, true]) {
      it(`${c.label} (${preview ? "preview" : "update"}): no mandatory violation`, async () => {
        const inv = await runProgram(k8sProgram(specFor(c.tier, c.blueprint)), { stack: c.tier, preview });
        // The pack's tiers are dev/staging/prod; local is judged like dev.
        const report = await runPolicies(inv, { tier: c.tier === "local" ? "dev" : c.tier });
        expect(report.mandatory, formatText(report)).toBe(0);
      });
    }
  }
});
