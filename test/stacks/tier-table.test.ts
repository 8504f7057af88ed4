// The tier table holds what used to be tier-name checks in the composers (issue 21: "components
// receive explicit values, never a tier name"): the cloud account, the add-ons and monitoring
// install, the local development chain, the progressive-delivery controller and VPC flow logs.
// The table's values are written here as literals per tier, and each is checked where it shows in
// the planned program (every plan shared through the plan cache). Moving the checks into the table
// left the planned inventory of every stack and blueprint x tier unchanged (measured by diffing the
// full inventories, inputs included, before and after).
import { describe, expect, it } from "vitest";
import { TIERS, TIER_NAMES } from "../../stacks/spec/tiers";
import { planned, type PlanTarget } from "../harness/planned";

const FIELDS = ["cloudAccount", "clusterAddons", "monitoringInstall", "localDevelopment", "progressiveDelivery", "vpcFlowLogs"] as const;
const types = async (t: PlanTarget) => (await planned(t)).inventory.resources.map((r) => r.type);
const count = (all: string[], type: string) => all.filter((t) => t === type).length;

describe("the tier table decides what the composers used to decide by tier name", () => {
  it("literal values per tier", () => {
    const table = Object.fromEntries(TIER_NAMES.map((t) => [t, Object.fromEntries(FIELDS.map((f) => [f, TIERS[t][f]]))]));
    expect(table).toEqual({
      local: { cloudAccount: false, clusterAddons: "ingress", monitoringInstall: "manifests", localDevelopment: true, progressiveDelivery: "deployments", vpcFlowLogs: "REJECT" },
      dev: { cloudAccount: true, clusterAddons: "all", monitoringInstall: "helm", localDevelopment: false, progressiveDelivery: "deployments", vpcFlowLogs: "REJECT" },
      staging: { cloudAccount: true, clusterAddons: "all", monitoringInstall: "helm", localDevelopment: false, progressiveDelivery: "argo-rollouts", vpcFlowLogs: "REJECT" },
      prod: { cloudAccount: true, clusterAddons: "all", monitoringInstall: "helm", localDevelopment: false, progressiveDelivery: "argo-rollouts", vpcFlowLogs: "ALL" },
    });
  });

  it("cloudAccount: the local stack plans the Kubernetes provider only and nothing of AWS or Cloudflare; dev plans both", async () => {
    const local = await types({ stack: "local" });
    expect([...new Set(local.filter((t) => t.startsWith("pulumi:providers:")))]).toEqual(["pulumi:providers:kubernetes"]);
    expect(local.filter((t) => t.startsWith("aws:") || t.startsWith("cloudflare:"))).toEqual([]);
    const dev = await types({ stack: "dev" });
    expect(count(dev, "pulumi:providers:aws")).toBeGreaterThan(0);
    expect(count(dev, "pulumi:providers:cloudflare")).toBeGreaterThan(0);
  });

  it("vpcFlowLogs: the VPC's flow log records rejected flows on dev and staging, every flow on prod", async () => {
    const traffic = async (stack: string) => (await planned({ stack })).inventory.resources.filter((r) => r.type === "aws:ec2/flowLog:FlowLog").map((r) => r.inputs.trafficType);
    expect([await traffic("dev"), await traffic("staging"), await traffic("prod")]).toEqual([["REJECT"], ["REJECT"], ["ALL"]]);
  });

  it("monitoringInstall: ServiceMonitors only where kube-prometheus-stack runs (gateway-flutter-wasm: none on local, three on dev and staging: the services' two and the Scylla members')", async () => {
    const sm = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
    const n = async (tier: "local" | "dev" | "staging") => count(await types({ blueprint: "gateway-flutter-wasm", tier }), sm);
    expect([await n("local"), await n("dev"), await n("staging")]).toEqual([0, 3, 3]);
  });

  it("progressiveDelivery: gateway-flutter-wasm's canary is an Argo Rollout on staging and prod, plain Deployments on dev", async () => {
    const rollout = "kubernetes:argoproj.io/v1alpha1:Rollout";
    const n = async (tier: "dev" | "staging" | "prod") => count(await types({ blueprint: "gateway-flutter-wasm", tier }), rollout);
    expect([await n("dev"), await n("staging"), await n("prod")]).toEqual([0, 1, 1]);
  });

  it("localDevelopment: bridge-relay's Hardhat chain runs on local only", async () => {
    const chain = async (tier: "local" | "staging") => (await planned({ blueprint: "bridge-relay", tier })).inventory.resources.filter((r) => r.name.includes("devchain")).map((r) => `${r.type} ${r.name}`);
    expect(await chain("local")).toEqual(["kubernetes:apps/v1:Deployment local-devchain-hardhat", "kubernetes:core/v1:Service local-devchain-hardhat-svc"]);
    expect(await chain("staging")).toEqual([]);
  });
});
