/**
 * Every reference blueprint that runs on Kubernetes, on each Kubernetes tier, through the
 * network/cluster/services composers: restricted pods, TLS on every Ingress, metrics never routed.
 * (That the policy pack reports no mandatory violation is asserted once per blueprint × tier, on
 * the whole program's shared plan, in test/stacks/all-stacks.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { availableBlueprints, readBlueprint } from "../../stacks/spec/load";
import { runProgram } from "../../tools/harness/run";
import { k8s, k8sProgram, ofType, podSpecOf, specFor } from "./fixtures";

const k8sBlueprints = availableBlueprints().filter((b) => (readBlueprint(b).data as any)?.hosting?.kubernetes);

describe("reference blueprints on Kubernetes", () => {
  it("covers the Kubernetes blueprints", () => {
    expect(k8sBlueprints.length).toBeGreaterThanOrEqual(4);
  });
  for (const bp of k8sBlueprints) {
    for (const tier of ["local", "staging", "prod"] as const) {
      it(`${bp} on ${tier}`, async () => {
        const spec = specFor(tier, bp);
        const inv = await runProgram(k8sProgram(spec), { stack: tier });
        const workloads = [...k8s(inv, "Deployment"), ...k8s(inv, "StatefulSet")];
        expect(workloads.length).toBeGreaterThanOrEqual(spec.blueprint.services.length);
        for (const w of workloads) {
          const pod = podSpecOf(w);
          for (const c of pod.containers)
            expect(c.securityContext, w.name).toMatchObject({
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ["ALL"] },
            });
        }
        for (const i of k8s(inv, "Ingress")) {
          const s = (i.inputs as any).spec;
          expect(s.tls.length, i.name).toBeGreaterThan(0);
          for (const r of s.rules) for (const p of r.http.paths) expect(p.backend.service.port.name).not.toBe("metrics");
        }
        const publicServices = spec.blueprint.services.filter((s) => s.exposure === "public").length;
        expect(new Set(k8s(inv, "Ingress").map((i) => (i.inputs as any).metadata.labels["app.kubernetes.io/name"])).size).toBe(publicServices);
        expect(ofType(inv, "kubernetes:helm.sh/v3:Release").length > 0).toBe(tier !== "local");
      });
    }
  }
});
