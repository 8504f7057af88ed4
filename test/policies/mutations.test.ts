/**
 * Mutation test: every insecure change to a compliant inventory must be reported by some policy.
 * The lead adds each stack's and blueprint's inventory with one call:
 *   const r = await mutationReport(inv, packConfigForTier(tier)); expect(r.killRate).toBe(1);
 */
import { describe, expect, it } from "vitest";
import { packConfigForTier } from "../../policies/lib/config";
import { formatMutationReport, MUTATIONS, mutationReport, removeResource } from "../../policies/lib/mutations";
import { runProgram } from "../../tools/harness/run";
import { awsCore, dockerHost, dockerHostJson, fullCompliant, kubernetesCluster } from "../fixtures/policies/compliant";

describe("mutation testing", () => {
  it("kills 100% of the mutants of the full compliant fixture in prod, and every mutation applies", async () => {
    const inv = await runProgram(fullCompliant, { allowDefaultProviders: true, stack: "prod" });
    const r = await mutationReport(inv, packConfigForTier("prod"));
    process.stdout.write(formatMutationReport(r));
    expect(r.baseline.violations).toEqual([]);
    expect(r.notApplicable).toEqual([]);
    expect(new Set(r.results.map((x) => x.mutation))).toEqual(new Set(MUTATIONS.map((m) => m.id)));
    expect(r.survivors.map((s) => `${s.mutation} ${s.target}`)).toEqual([]);
    expect(r.killRate).toBe(1);
    // TLS, header and segmentation mutations are caught at mandatory level.
    const strict = r.results.filter((x) => !/image-latest|privileged|no-probes|no-resources|pss|unencrypted|no-backups|unprotect|imds|eks-/.test(x.mutation));
    for (const x of strict)
      expect(
        x.killedBy.some((k) => k.enforcementLevel === "mandatory"),
        x.mutation,
      ).toBe(true);
  });

  it("in dev, baseline mutations are still reported (as advisory); prod-only mutations are skipped", async () => {
    const inv = await runProgram(kubernetesCluster, { allowDefaultProviders: true, stack: "dev" });
    const r = await mutationReport(inv, packConfigForTier("dev"), { maxTargetsPerMutation: 2 });
    process.stdout.write(formatMutationReport(r));
    expect(r.tier).toBe("dev");
    expect(r.killRate).toBe(1);
    expect(r.notApplicable).toEqual(expect.arrayContaining(["image-latest (tier dev)", "unprotect-stateful (tier dev)"]));
    const probes = r.results.find((x) => x.mutation === "no-probes")!;
    expect(probes.killedBy.every((k) => k.enforcementLevel === "advisory")).toBe(true);
  });

  it("works on partial inventories (AWS only, Docker host only) with the tier from the stack name", async () => {
    for (const program of [awsCore, dockerHost, dockerHostJson]) {
      const inv = await runProgram(program, { allowDefaultProviders: true, stack: "staging" });
      const r = await mutationReport(inv);
      expect(r.tier).toBe("staging");
      expect(r.survivors).toEqual([]);
      expect(r.total).toBeGreaterThan(2);
      if (program === dockerHostJson)
        expect(r.results.filter((x) => /proxy-serve-plain-http|caddy-drop-headers/.test(x.mutation)).map((x) => x.killedBy[0]?.policyName)).toEqual([
          "tls-proxy-https-only",
          "headers-proxy-coop-coep",
        ]);
    }
  });

  it("removeResource also removes the resource from other resources' dependencies", async () => {
    const inv = await runProgram(kubernetesCluster, { allowDefaultProviders: true });
    const np = inv.resources.find((r) => r.name === "apps-default-deny")!;
    const ns = inv.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && r.name === "apps")!;
    expect(np.dependencies).toContain(ns.urn);
    removeResource(inv, ns.urn);
    expect(inv.resources.some((r) => r.urn === ns.urn || r.dependencies.includes(ns.urn))).toBe(false);
  });
});
