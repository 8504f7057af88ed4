/**
 * What a stack takes from its AWS account's regional quotas (pure): VPCs, NAT gateways and the
 * Elastic IPs they hold. The network composer builds exactly this (stacks/compose/network.ts uses
 * `natModeFor`; the beta host has no Elastic IP, components/host/vm.ts), and `npm run preflight`
 * adds it up over every stack that shares an account and region (stacks/preflight/quotas.ts).
 * test/preflight/quotas.test.ts counts the planned `aws:ec2/eip:Eip` resources against it.
 */
import type { PlatformSpec } from "../spec/platform";

/** NAT gateways of the stack's VPC: one per AZ on multi-AZ tiers (HA egress), else one. */
export function natModeFor(spec: PlatformSpec): "single" | "perAz" {
  return spec.profile.multiAz ? "perAz" : "single";
}

/** AZs of the stack's VPC (stacks/compose/network.ts). */
export const VPC_AZS = 3;

export interface AwsFootprint {
  /** Account+region key; `account` is undefined when the stack file does not tell (see quotas.ts). */
  region: string;
  vpcs: number;
  natGateways: number;
  /** Most NAT gateways in any one AZ (the AWS quota is per AZ). */
  natGatewaysPerAz: number;
  /** Elastic IPs: one per NAT gateway. The beta host uses its launch-assigned address. */
  elasticIps: number;
}

/** Undefined for a tier without a cloud account (local). */
export function awsFootprint(spec: PlatformSpec): AwsFootprint | undefined {
  if (!spec.profile.cloudAccount) return undefined;
  const nat = natModeFor(spec) === "perAz" ? VPC_AZS : 1;
  return { region: spec.regions.primary, vpcs: 1, natGateways: nat, natGatewaysPerAz: 1, elasticIps: nat };
}
