/**
 * prometheus-adapter through the real composition: installed exactly when some HPA of the stack
 * requests a `Pods` (custom) metric, and then serves every such metric. Music platform (queue
 * length, request rate): staging and prod yes; local never; nuxt (no custom metric): never.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { supportedTiers } from "../../scripts/plan-lib";
import type { AdapterRule } from "../../components/monitoring/adapter";
import type { Inventory } from "../../tools/harness/inventory";
import { planned, targetTitle as titleOf, type PlanTarget as Target } from "../harness/planned";
import { pushModeObjects } from "../../scripts/gitops-lib";

const targets: Target[] = [
  ...(["music-platform-gitops", "nuxt-fastify-beta-droplet"] as const).flatMap((blueprint) =>
    supportedTiers(blueprint).map((tier): Target => ({ blueprint, tier })),
  ),
  { stack: "local" },
];
/** The shared plans (update mode), or the error a target's plan ended with. */
const results = new Map<string, Inventory | Error>();
/** On a GitOps tier Argo CD deploys the services (and their HPAs) from the generated chart: those objects. */
const deployedByArgo = new Map<string, Record<string, any>[]>();
const isGitopsTier = (inv: Inventory) =>
  inv.resources.some((r) => (r.inputs as any).kind === "Application" && (r.inputs as any).apiVersion === "argoproj.io/v1alpha1");

beforeAll(async () => {
  for (const t of targets) {
    results.set(
      titleOf(t),
      await planned(t).then(
        (r) => r.inventory,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      ),
    );
    const inv = results.get(titleOf(t));
    if ("blueprint" in t && (t.tier === "staging" || t.tier === "prod") && inv && !(inv instanceof Error) && isGitopsTier(inv)) {
      deployedByArgo.set(
        titleOf(t),
        (await pushModeObjects(t.blueprint, t.tier)).map((o) => o.manifest),
      );
    }
  }
}, 600_000);

const inventory = (t: Target): Inventory => {
  const r = results.get(titleOf(t))!;
  expect(r instanceof Error ? r.message : "", titleOf(t)).toBe("");
  return r as Inventory;
};
const adapters = (inv: Inventory) => inv.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "prometheus-adapter");
const podsMetrics = (t: Target, inv: Inventory): string[] =>
  [...inv.resources.map((r) => r.inputs as any), ...(deployedByArgo.get(titleOf(t)) ?? [])]
    .filter((m) => m.kind === "HorizontalPodAutoscaler")
    .flatMap((h) => (h.spec?.metrics ?? []).filter((m: any) => m.type === "Pods").map((m: any) => m.pods.metric.name as string));

const expected = (t: Target): boolean => "blueprint" in t && t.blueprint === "music-platform-gitops" && (t.tier === "staging" || t.tier === "prod");

describe("prometheus-adapter in the composed stacks", () => {
  it("the targets include music on staging, prod and local", () => {
    expect(targets.map(titleOf)).toEqual(
      expect.arrayContaining([
        "blueprint music-platform-gitops on staging",
        "blueprint music-platform-gitops on prod",
        "blueprint music-platform-gitops on local",
      ]),
    );
  });

  for (const t of targets) {
    it(`${titleOf(t)}: adapter ${expected(t) ? "installed, serving every HPA custom metric" : "absent"}`, () => {
      const inv = inventory(t);
      const found = adapters(inv);
      const wanted = [...new Set(podsMetrics(t, inv))].sort();
      expect(found.length).toBe(expected(t) ? 1 : 0);
      // Exactly when needed: present iff some HPA requests a Pods metric (registered here, or deployed by Argo CD).
      expect(found.length > 0).toBe(wanted.length > 0);
      if (found.length) {
        const v = found[0]!.inputs.values as any;
        expect(found[0]!.inputs.namespace).toMatch(/monitoring/);
        expect(v.rules.default).toBe(false);
        expect(v.rules.custom.map((r: AdapterRule) => r.name.as).sort()).toEqual(wanted);
        expect(wanted).toEqual(["http_requests_per_second", "queue_length"]);
        // The Prometheus it reads is the kube-prometheus-stack one this stack installs, in the same namespace.
        expect(v.prometheus.url).toBe(`http://kps-prometheus.${found[0]!.inputs.namespace}.svc.cluster.local`);
        expect(
          inv.resources.some(
            (r) =>
              r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "kube-prometheus-stack" && r.inputs.namespace === found[0]!.inputs.namespace,
          ),
        ).toBe(true);
      }
    });
  }
});
