// The tier table holds what used to be tier-name checks in the composers (issue 21: "components
// receive explicit values, never a tier name"): the cloud account, the add-ons and monitoring
// install, the local development chain, the progressive-delivery controller and VPC flow logs.
// The table's values are written here as literals per tier, and each is checked where it shows in
// the planned program (every plan shared through the plan cache). Moving the checks into the table
// left the planned inventory of every stack and blueprint x tier unchanged (measured by diffing the
// full inventories, inputs included, before and after). The second round (image retention, IPFS
// volume cap, required secrets and receivers, the KMS signer's fallback, GitOps environments, the
// backup schedules that were components/data/backups.ts's own table) was measured the same way, and
// the spec's verdicts on stacks missing those keys did not change either. The last test keeps it so:
// a tier-name comparison in stacks/ or components/ fails with the file, the line and the fix.
import { describe, expect, it } from "vitest";
import { TIERS, TIER_NAMES } from "../../stacks/spec/tiers";
import { REPO_ROOT, blueprintStackInput, specErrors, withConfig } from "../../tools/harness/stacks";
import { planned, type PlanTarget } from "../harness/planned";
import { ALLOWED, describeFindings, findTierNames, scanTree } from "./tier-names";

const FIELDS = ["cloudAccount", "clusterAddons", "monitoringInstall", "localDevelopment", "progressiveDelivery", "vpcFlowLogs"] as const;
const MORE = [
  "nodeInstanceTypes",
  "imageRetentionDays",
  "ipfsStorageCapGi",
  "secretsRequired",
  "alertReceiversRequired",
  "rawSignerFallback",
  "gitopsEnvironment",
] as const;
const types = async (t: PlanTarget) => (await planned(t)).inventory.resources.map((r) => r.type);
const count = (all: string[], type: string) => all.filter((t) => t === type).length;

describe("the tier table decides what the composers used to decide by tier name", () => {
  it("literal values per tier", () => {
    const table = Object.fromEntries(TIER_NAMES.map((t) => [t, Object.fromEntries(FIELDS.map((f) => [f, TIERS[t][f]]))]));
    expect(table).toEqual({
      local: {
        cloudAccount: false,
        clusterAddons: "ingress",
        monitoringInstall: "manifests",
        localDevelopment: true,
        progressiveDelivery: "deployments",
        vpcFlowLogs: "REJECT",
      },
      dev: {
        cloudAccount: true,
        clusterAddons: "all",
        monitoringInstall: "helm",
        localDevelopment: false,
        progressiveDelivery: "deployments",
        vpcFlowLogs: "REJECT",
      },
      staging: {
        cloudAccount: true,
        clusterAddons: "all",
        monitoringInstall: "helm",
        localDevelopment: false,
        progressiveDelivery: "argo-rollouts",
        vpcFlowLogs: "REJECT",
      },
      prod: {
        cloudAccount: true,
        clusterAddons: "all",
        monitoringInstall: "helm",
        localDevelopment: false,
        progressiveDelivery: "argo-rollouts",
        vpcFlowLogs: "ALL",
      },
    });
    const more = Object.fromEntries(TIER_NAMES.map((t) => [t, Object.fromEntries(MORE.map((f) => [f, TIERS[t][f]]))]));
    expect(more).toEqual({
      local: {
        nodeInstanceTypes: { general: "t3.medium", data: "r6i.large" },
        imageRetentionDays: 30,
        ipfsStorageCapGi: 20,
        secretsRequired: false,
        alertReceiversRequired: false,
        rawSignerFallback: true,
        gitopsEnvironment: null,
      },
      dev: {
        nodeInstanceTypes: { general: "t3.medium", data: "r6i.large" },
        imageRetentionDays: 30,
        ipfsStorageCapGi: 20,
        secretsRequired: true,
        alertReceiversRequired: false,
        rawSignerFallback: true,
        gitopsEnvironment: null,
      },
      staging: {
        nodeInstanceTypes: { general: "m6i.large", data: "r6i.large" },
        imageRetentionDays: 30,
        ipfsStorageCapGi: 20,
        secretsRequired: true,
        alertReceiversRequired: true,
        rawSignerFallback: false,
        gitopsEnvironment: "staging",
      },
      prod: {
        nodeInstanceTypes: { general: "m6i.xlarge", data: "r6i.xlarge" },
        imageRetentionDays: 90,
        ipfsStorageCapGi: null,
        secretsRequired: true,
        alertReceiversRequired: true,
        rawSignerFallback: false,
        gitopsEnvironment: "production",
      },
    });
  });

  it("nodeInstanceTypes: gateway-flutter-wasm's EKS node groups (general, data) per tier", async () => {
    const types = async (tier: "dev" | "staging" | "prod") =>
      (await planned({ blueprint: "gateway-flutter-wasm", tier })).inventory.resources
        .filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup")
        .map((r) => `${r.name} ${(r.inputs.instanceTypes as string[]).join(",")}`);
    expect(await types("dev")).toEqual(["dev-k8s-general-nodes t3.medium", "dev-k8s-data-nodes r6i.large"]);
    expect(await types("staging")).toEqual(["staging-k8s-general-nodes m6i.large", "staging-k8s-data-nodes r6i.large"]);
    expect(await types("prod")).toEqual(["prod-k8s-general-nodes m6i.xlarge", "prod-k8s-data-nodes r6i.xlarge"]);
  });

  it("ipfsStorageCapGi: music-platform-gitops' IPFS node (storageGi 200) gets 20Gi below prod and 200Gi on prod", async () => {
    const size = async (tier: "local" | "dev" | "staging" | "prod") =>
      (await planned({ blueprint: "music-platform-gitops", tier })).inventory.resources
        .filter((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name.includes("ipfs"))
        .map((r) =>
          (r.inputs.spec as { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] }).volumeClaimTemplates.map(
            (v) => v.spec.resources.requests.storage,
          ),
        );
    expect([await size("local"), await size("dev"), await size("staging"), await size("prod")]).toEqual([[["20Gi"]], [["20Gi"]], [["20Gi"]], [["200Gi"]]]);
  });

  it("secretsRequired, alertReceiversRequired, rawSignerFallback: what the spec refuses per tier (bridge-relay without receivers and secrets, on a single host)", () => {
    const refused = (tier: "local" | "dev" | "staging" | "prod") => {
      const input = blueprintStackInput("bridge-relay", tier);
      const stripped = {
        ...input,
        config: Object.fromEntries(
          Object.entries(input.config).filter(([k]) => !["platform:secrets", "platform:alerting", "platform:alertingSecrets"].includes(k)),
        ),
      };
      const withRegistry = withConfig(stripped, { "platform:registries": [{ name: "corp", host: "registry.example.com", username: "u" }] });
      const errors = specErrors({ ...withRegistry, config: { ...withRegistry.config, "platform:hosting": "singleHost" } });
      return [
        errors.some((e) => e.message.startsWith("secret '")),
        errors.some((e) => e.message.startsWith("registry 'corp'")),
        errors.some((e) => e.message.includes("needs at least one alert receiver")),
        errors.some((e) => e.message.startsWith("a KMS signer signs through")),
      ];
    };
    // [human secret unset, registry password unset, no alert receiver, KMS signer on a single host]
    expect(refused("local")).toEqual([false, false, false, false]);
    expect(refused("dev")).toEqual([true, true, false, false]);
    expect(refused("staging")).toEqual([true, true, true, true]);
    expect(refused("prod")).toEqual([true, true, true, true]);
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
    const traffic = async (stack: string) =>
      (await planned({ stack })).inventory.resources.filter((r) => r.type === "aws:ec2/flowLog:FlowLog").map((r) => r.inputs.trafficType);
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
    const chain = async (tier: "local" | "staging") =>
      (await planned({ blueprint: "bridge-relay", tier })).inventory.resources.filter((r) => r.name.includes("devchain")).map((r) => `${r.type} ${r.name}`);
    expect(await chain("local")).toEqual(["kubernetes:apps/v1:Deployment local-devchain-hardhat", "kubernetes:core/v1:Service local-devchain-hardhat-svc"]);
    expect(await chain("staging")).toEqual([]);
  });

  it("no tier-name comparison is left in stacks/ or components/ (the tier table decides; see test/stacks/tier-names.ts)", () => {
    expect(describeFindings(scanTree(REPO_ROOT))).toBe("");
  });

  it("the guard finds each way of deciding by tier name, names the file, line and fix, and passes the allowed and the harmless", () => {
    const src = [
      'if (spec.tier === "prod") a();', // 1
      'const m = "local" !== config.tier;', // 2
      'switch (t) { case "staging": break; }', // 3
      "if (tier === other) b();", // 4
      'const L = ["staging", "prod"];', // 5
      "if (L.includes(config.tier)) c();", // 6
      "const T: Record<TierName, number> = x;", // 7
      'const E = { staging: "a", prod: "b" };', // 8
      'type Tier = "local" | "dev";', // 9
      '// a comment: tier === "prod"', // 10: comment
      'if (typeof p.tier === "string") d();', // 11: a type test
      'const mode = x === "local-path" ? 1 : 2;', // 12: not a tier name
    ].join("\n");
    const found = findTierNames("stacks/compose/example.ts", src);
    expect(found.map((f) => [f.line, f.rule])).toEqual([
      [1, "comparison with a tier name"],
      [2, "comparison with a tier name"],
      [3, "switch on a tier name"],
      [4, "comparison of a tier"],
      [5, "list of tier names"],
      [6, "membership test of a tier"],
      [7, "second table keyed by tier"],
      [8, "second table keyed by tier"],
      [9, "list of tier names"],
    ]);
    const message = describeFindings(found.slice(0, 1));
    expect(message).toContain('stacks/compose/example.ts:1: comparison with a tier name: if (spec.tier === "prod") a();');
    expect(message).toContain("Fix: put the decision in the tier table as a named, documented TierProfile field (stacks/spec/tiers.ts;");
    expect(findTierNames("components/x/args.ts", 'import { type TierName } from "../../stacks/spec/tiers";').map((f) => f.rule)).toEqual([
      "a component that takes a tier name",
    ]);
    expect(findTierNames("stacks/spec/x.ts", 'import { type TierName } from "./tiers";')).toEqual([]);
    for (const a of ALLOWED) {
      expect(a.reason.length).toBeGreaterThan(20);
      expect(findTierNames(a.file, a.contains)).toEqual([]);
      expect(findTierNames("stacks/other.ts", a.contains)).toHaveLength(1);
    }
  });
});
