/**
 * Network composer: the stack's VPC on AWS tiers (Kubernetes on EKS, managed data stores and the
 * droplet all live in it). Returns undefined without an AWS provider (the local tier).
 *
 *   ctx.network = composeNetwork(ctx);
 */
import { Network } from "../../components/network";
import type { Context, NetworkOutputs } from "../context";
import { clusterNameFor } from "./cluster";
import { VPC_AZS, natModeFor } from "./footprint";

export function composeNetwork(ctx: Context): NetworkOutputs | undefined {
  const aws = ctx.providers.aws;
  if (!aws) return undefined;
  const { spec } = ctx;
  const region = spec.regions.primary;
  const eks = spec.hosting.mode === "kubernetes" && spec.hosting.cluster === "eks";
  const net = new Network(
    `${spec.stack}-net`,
    {
      cidr: "10.0.0.0/16",
      azs: ["a", "b", "c"].slice(0, VPC_AZS).map((z) => `${region}${z}`),
      // Private subnets leave through NAT: cluster nodes, and on every cloud stack the deploy runner
      // (CodeBuild gives its network interfaces no public address; docs/delivery.md). One NAT
      // gateway (one Elastic IP) unless the tier is multi-AZ; preflight adds up the EIPs per account
      // (stacks/compose/footprint.ts, stacks/preflight/quotas.ts).
      nat: natModeFor(spec),
      flowLogs: spec.profile.vpcFlowLogs,
      flowLogRetentionDays: spec.profile.logRetentionDays,
      ...(eks ? { clusterName: clusterNameFor(spec) } : {}),
    },
    { providers: { aws } },
  );
  return {
    vpcId: net.vpcId,
    vpcCidr: net.vpcCidr,
    publicSubnetIds: net.publicSubnetIds,
    privateSubnetIds: net.privateSubnetIds,
    appSecurityGroupId: net.appSecurityGroupId,
  };
}
