/**
 * Kubernetes prerequisites as declared dependencies (components/cluster/prerequisites.ts), checked
 * by the conformance run's order analysis (tools/conformance/order.ts) on the graph the program
 * registers. The control-plane conformance run checks the same on the real engine's state.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { chartNameOf } from "../../components/charts";
import { CHART_CRD_GROUPS, RENDERS_GROUPS, prerequisitesTransformation } from "../../components/cluster/prerequisites";
import { archiveCrds } from "../../tools/conformance/charts";
import { type ChartFacts, orderViolations } from "../../tools/conformance/order";
import { runProgram } from "../../tools/harness/run";
import { runBlueprint } from "../../tools/harness/stacks";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const MIRROR = CHARTS_MIRROR;
const index = parse(readFileSync(join(MIRROR, "index.yaml"), "utf8")) as { entries: Record<string, { version: string; urls: string[] }[]> };
const archive = (chart: string, version: string) => {
  const e = index.entries[chart]?.find((v) => v.version === version);
  if (!e) throw new Error(`${chart}@${version} is not in the mirror`);
  return join(MIRROR, e.urls[0]!);
};

describe("CHART_CRD_GROUPS agrees with the charts themselves", () => {
  for (const [chart, groups] of Object.entries(CHART_CRD_GROUPS)) {
    it(`${chart}: every mirrored version installs CRDs of ${groups.join(", ")}`, () => {
      const versions = index.entries[chart] ?? [];
      expect(versions.length, `${chart} is not in ${MIRROR}`).toBeGreaterThan(0);
      for (const v of versions) {
        const inArchive = new Set(archiveCrds(archive(chart, v.version)).map((k) => k.split("/")[0]));
        for (const g of groups) expect(inArchive.has(g), `${chart}@${v.version} has no CRD in group ${g}`).toBe(true);
      }
    });
  }
  it("the Scylla Operator chart renders cert-manager objects (RENDERS_GROUPS)", () => {
    expect(RENDERS_GROUPS["scylla-operator"]).toEqual(["cert-manager.io"]);
  });
  it("chartNameOf reads names, repo/name and mirror archive paths", () => {
    expect(chartNameOf("cert-manager", "v1.16.2")).toBe("cert-manager");
    expect(chartNameOf("/x/charts/cert-manager-v1.16.2.tgz", "v1.16.2")).toBe("cert-manager");
    expect(chartNameOf("/x/charts/kube-prometheus-stack-65.1.1.tgz", "65.1.1")).toBe("kube-prometheus-stack");
    expect(chartNameOf("jetstack/cert-manager", "v1.16.2")).toBe("cert-manager");
  });
});

// A minimal program with both classes of ordering mistake the conformance run found: objects that
// only name their namespace, and a custom resource that only names its kind.
function careless(withPrerequisites: boolean) {
  return () => {
    if (withPrerequisites) pulumi.runtime.registerStackTransformation(prerequisitesTransformation());
    const provider = new k8s.Provider("k8s", { kubeconfig: "fake" });
    new k8s.core.v1.Namespace("team", { metadata: { name: "team" } }, { provider });
    new k8s.core.v1.ConfigMap("settings", { metadata: { name: "settings", namespace: "team" }, data: { a: "b" } }, { provider });
    new k8s.helm.v3.Release("cert-manager", { chart: "cert-manager", version: "v1.16.2", namespace: "team", values: {} }, { provider });
    new k8s.apiextensions.CustomResource(
      "issuer",
      { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "self" }, spec: { selfSigned: {} } },
      { provider },
    );
  };
}

const certManagerFacts = (urn: string): Map<string, ChartFacts> => new Map([[urn, { crds: archiveCrds(archive("cert-manager", "v1.16.2")), kinds: [] }]]);

describe("the order check rejects the careless program; the prerequisites make it pass", () => {
  it("without prerequisites: the ConfigMap and the release can go before their Namespace, the ClusterIssuer before cert-manager", async () => {
    const inv = await runProgram(careless(false), { stack: "regression" });
    const release = inv.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
    const v = orderViolations(inv.resources, certManagerFacts(release.urn));
    expect(v.map((x) => `${x.urn.split("::").pop()} ${x.because}`).sort()).toEqual([
      "cert-manager namespace team",
      "issuer kind cert-manager.io/ClusterIssuer",
      "settings namespace team",
    ]);
    expect(v.find((x) => x.because.startsWith("kind"))!.message).toMatch(/no matches for kind "ClusterIssuer" in group "cert-manager.io": add dependsOn/);
  });
  it("with prerequisites: no violation", async () => {
    const inv = await runProgram(careless(true), { stack: "regression" });
    const release = inv.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
    expect(orderViolations(inv.resources, certManagerFacts(release.urn))).toEqual([]);
  });
});

describe("every blueprint × Kubernetes tier: no object can be created before its Namespace or its CRD", () => {
  const blueprints = ["nuxt-fastify-beta-droplet", "bridge-relay", "gateway-flutter-wasm", "music-platform-gitops", "axum-requirements-app"];
  for (const bp of blueprints) {
    for (const tier of ["local", "staging", "prod"] as const) {
      it(`${bp} × ${tier}`, async () => {
        const { inventory } = await runBlueprint(bp, tier);
        const charts = new Map<string, ChartFacts>();
        for (const r of inventory.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release")) {
          const inputs = r.inputs as { chart: string; version: string };
          const name = chartNameOf(inputs.chart, inputs.version);
          // The archive holds every CRD of every subchart, enabled or not (Loki vendors the Prometheus
          // Operator's); the groups a release installs with our values are CHART_CRD_GROUPS' (each
          // checked above to be in the archive; the conformance run renders the real thing).
          const groups = new Set(CHART_CRD_GROUPS[name] ?? []);
          const crds = archiveCrds(archive(name, inputs.version)).filter((k) => groups.has(k.split("/")[0]!));
          charts.set(r.urn, { crds, kinds: (RENDERS_GROUPS[name] ?? []).map((g) => `${g}/Issuer`) });
        }
        expect(orderViolations(inventory.resources, charts)).toEqual([]);
      }, 120_000);
    }
  }
});
