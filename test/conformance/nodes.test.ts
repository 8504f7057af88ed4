/**
 * The conformance run's KWOK nodes come from the target's own plan: one per zone for every EKS
 * managed node group, labelled and tainted as EKS would, so scheduling constraints that do not
 * match the real node groups fail on the embedded cluster too.
 */
import { describe, expect, it } from "vitest";
import { nodesFor, nodesFromPlan } from "../../tools/conformance/run";

describe("conformance nodes from the plan", () => {
  it("prod: the program's node groups (general + data), three zones each, with EKS's labels and the group's own", async () => {
    const nodes = await nodesFor({ blueprint: "gateway-flutter-wasm", tier: "prod" });
    const groups = [...new Set(nodes.map((n) => n.labels!["eks.amazonaws.com/nodegroup"]))];
    expect(groups).toEqual(["gateway-flutter-wasm-prod-general", "gateway-flutter-wasm-prod-data"]);
    expect(nodes).toHaveLength(6);
    const data = nodes.filter((n) => n.labels!["eks.amazonaws.com/nodegroup"] === "gateway-flutter-wasm-prod-data");
    expect(data.map((n) => n.labels!["topology.kubernetes.io/zone"])).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(data[0]!.labels!["platform.io/workload-class"]).toBe("data");
    expect(data[0]!.labels!["node.kubernetes.io/instance-type"]).toMatch(/^r6i\./);
  });

  it("local: three plain nodes, no node groups", async () => {
    const nodes = await nodesFor({ blueprint: "nuxt-fastify-beta-droplet", tier: "local" });
    expect(nodes.map((n) => n.name)).toEqual(["node-0", "node-1", "node-2"]);
    expect(nodes.every((n) => !n.taints)).toBe(true);
  });

  it("EKS taint effects map to Kubernetes'; an effect EKS does not accept is an error naming the group", () => {
    const group = (effect: string) => [
      {
        type: "aws:eks/nodeGroup:NodeGroup",
        name: "g",
        inputs: { nodeGroupName: "c-data", instanceTypes: ["r6i.large"], labels: { role: "data" }, taints: [{ key: "dedicated", value: "data", effect }] },
      },
    ];
    expect(nodesFromPlan(group("NO_SCHEDULE"))[0]).toEqual({
      name: "c-data-0",
      labels: {
        role: "data",
        "eks.amazonaws.com/nodegroup": "c-data",
        "topology.kubernetes.io/zone": "us-east-1a",
        "node.kubernetes.io/instance-type": "r6i.large",
      },
      taints: [{ key: "dedicated", value: "data", effect: "NoSchedule" }],
    });
    expect(nodesFromPlan(group("NO_EXECUTE"))[0]!.taints![0]!.effect).toBe("NoExecute");
    expect(() => nodesFromPlan(group("NoSchedule"))).toThrow(/node group c-data: taint dedicated has effect 'NoSchedule', which EKS does not accept/);
  });
});
