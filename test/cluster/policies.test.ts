/**
 * The CrossGuard pack, in process, over a Kubernetes stack this area composes that no blueprint of
 * the repository describes (Traefik, canary, a custom-metric HPA, in-cluster Redis): no mandatory
 * violation. Every stack and every repository blueprint × tier is checked once, on the whole
 * program's shared plan, in test/stacks/all-stacks.test.ts.
 */
import { describe, expect, it } from "vitest";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { runProgram } from "../../tools/harness/run";
import { TRAEFIK_BLUEPRINT, k8sProgram, specFor } from "./fixtures";

const cases = [{ label: "prod traefik", tier: "prod" as const, blueprint: TRAEFIK_BLUEPRINT }];

describe("policy pack over the composed Kubernetes platform", () => {
  for (const c of cases) {
    for (const preview of [false, true]) {
      it(`${c.label} (${preview ? "preview" : "update"}): no mandatory violation`, async () => {
        const inv = await runProgram(k8sProgram(specFor(c.tier, c.blueprint)), { stack: c.tier, preview });
        const report = await runPolicies(inv, { tier: c.tier });
        expect(report.mandatory, formatText(report)).toBe(0);
      });
    }
  }
});
