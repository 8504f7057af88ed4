/** The VPC layout (pure) and the Network component through the harness. */
import * as aws from "@pulumi/aws";
import { describe, expect, it } from "vitest";
import { Network } from "../../components/network";
import { parseCidr, planNetwork } from "../../components/network/plan";
import { runProgram } from "../../tools/harness/run";

const AZS = ["us-east-1a", "us-east-1b", "us-east-1c"];

describe("planNetwork", () => {
  it("three private quarters and three small public subnets, non-overlapping, inside the VPC", () => {
    const p = planNetwork("10.0.0.0/16", AZS, "perAz");
    expect(p.private.map((s) => s.cidr)).toEqual(["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]);
    expect(p.public.map((s) => s.cidr)).toEqual(["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"]);
    expect(p.natFor).toEqual([0, 1, 2]);
    const ranges = [...p.private, ...p.public].map((s) => {
      const { base, prefix } = parseCidr(s.cidr);
      return [base, base + 2 ** (32 - prefix) - 1] as const;
    });
    ranges.forEach(([a0, a1], i) => ranges.forEach(([b0, b1], j) => i !== j && expect(a1 < b0 || b1 < a0).toBe(true)));
  });

  it("a single NAT for cheaper tiers; smaller VPCs scale down", () => {
    const p = planNetwork("172.20.0.0/20", AZS, "single");
    expect(p.natFor).toEqual([0, 0, 0]);
    expect(p.private[0]!.cidr).toBe("172.20.0.0/22");
    expect(p.public[2]!.cidr).toBe("172.20.12.128/26");
    expect(planNetwork("10.0.0.0/16", AZS, "none")).toMatchObject({ natCount: 0, natFor: [-1, -1, -1] });
  });

  it("rejects bad layouts with the field and the fix", () => {
    expect(() => planNetwork("10.0.0.1/16", AZS, "single")).toThrow(/host bits set; use 10\.0\.0\.0\/16/);
    expect(() => planNetwork("10.0.0.0/24", AZS, "single")).toThrow(/cidr: the VPC needs a \/16 to \/20/);
    expect(() => planNetwork("10.0.0.0/16", ["us-east-1a"], "single")).toThrow(/azs/);
  });
});

describe("Network component", () => {
  it("VPC with private/public subnets, NAT per AZ, flow logs, empty default SG, app SG; explicit provider", async () => {
    const inv = await runProgram(() => {
      const provider = new aws.Provider("aws", { region: "us-east-1" });
      const n = new Network("prod", { azs: AZS, nat: "perAz", flowLogs: "ALL", clusterName: "shop-prod" }, { providers: { aws: provider } });
      return { vpc: n.vpcId, priv: n.privateSubnetIds };
    });
    const of = (t: string) => inv.resources.filter((r) => r.type === t).map((r) => r.inputs as any);
    expect(of("aws:ec2/natGateway:NatGateway")).toHaveLength(3);
    expect(of("aws:ec2/flowLog:FlowLog")[0]).toMatchObject({ trafficType: "ALL", logDestinationType: "cloud-watch-logs" });
    const dsg = of("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0];
    expect(dsg.ingress ?? []).toEqual([]);
    expect(dsg.egress ?? []).toEqual([]);
    const subnets = of("aws:ec2/subnet:Subnet");
    expect(subnets.every((s) => s.mapPublicIpOnLaunch === false && s.tags["kubernetes.io/cluster/shop-prod"] === "shared")).toBe(true);
    const privRts = of("aws:ec2/routeTable:RouteTable").filter((r) => r.routes[0].natGatewayId);
    expect(privRts).toHaveLength(3);
    expect(of("aws:ec2/vpcEndpoint:VpcEndpoint")[0]).toMatchObject({ serviceName: "com.amazonaws.us-east-1.s3", vpcEndpointType: "Gateway" });
    expect(inv.resources.filter((r) => r.name.startsWith("prod-")).length).toBe(inv.resources.filter((r) => r.custom && r.type.startsWith("aws:")).length);
  });

  it("bad args fail before any child resource", async () => {
    await expect(
      runProgram(() => {
        const provider = new aws.Provider("aws", { region: "us-east-1" });
        new Network("x", { azs: ["nope"], flowLogs: "SOME" } as any, { providers: { aws: provider } });
        return {};
      }),
    ).rejects.toThrow(/azs\.0: an AZ name[\s\S]*flowLogs/);
  });
});
