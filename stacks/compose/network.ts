/**
 * Network composer: the stack's VPC on AWS tiers (Kubernetes on EKS, managed data stores and the
 * droplet all live in it). Returns undefined without an AWS provider (the local tier).
 *
 *   ctx.network = composeNetwork(ctx);
 */
import { Network } from "../../components/network";
import type { Context, NetworkOutputs } from "../context";
import { clusterNameFor } from "./cluster";

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
      azs: ["a", "b", "c"].map((z) => `${region}${z}`),
      // Private subnets need internet egress only for cluster nodes; the single host sits in a public
      // subnet and its private subnets hold managed data stores only, so no NAT is paid for there.
      nat: spec.hosting.mode === "singleHost" ? "none" : spec.profile.multiAz ? "perAz" : "single",
      flowLogs: spec.tier === "prod" ? "ALL" : "REJECT",
      flowLogRetentionDays: spec.profile.logRetentionDays,
      ...(eks ? { clusterName: clusterNameFor(spec) } : {}),
    },
    { providers: { aws } },
  );
  return { vpcId: net.vpcId, vpcCidr: net.vpcCidr, publicSubnetIds: net.publicSubnetIds, privateSubnetIds: net.privateSubnetIds, appSecurityGroupId: net.appSecurityGroupId };
}
