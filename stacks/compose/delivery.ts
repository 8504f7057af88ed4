/**
 * Delivery composer: the stack's deploy runner (components/delivery), a CodeBuild-hosted GitHub
 * Actions runner in the stack's private subnets. Every cloud stack has one; the EKS API and the
 * single host's SSH admit its security group and nothing else. Returns undefined in the local tier.
 *
 *   ctx.network = composeNetwork(ctx);
 *   ctx.deployRunner = composeDelivery(ctx);
 */
import { DeployRunner } from "../../components/delivery";
import type { Context, DeployRunnerOutputs } from "../context";

export function composeDelivery(ctx: Context): DeployRunnerOutputs | undefined {
  const { spec, providers, network } = ctx;
  if (!providers.aws || !network) return undefined;
  if (!spec.delivery) throw new Error(`stack ${spec.stack}: platform:delivery is not set (the spec requires it outside the local tier)`);
  const runner = new DeployRunner(
    `${spec.stack}-deploy-runner`,
    {
      stack: spec.stack,
      repository: spec.delivery.repository,
      connectionArn: spec.delivery.connectionArn,
      vpcId: network.vpcId,
      vpcCidr: network.vpcCidr,
      privateSubnetIds: network.privateSubnetIds,
      ...(ctx.kmsKeyArn ? { kmsKeyArn: ctx.kmsKeyArn } : {}),
      logRetentionDays: spec.profile.logRetentionDays,
    },
    { providers: { aws: providers.aws } },
  );
  return { securityGroupId: runner.securityGroupId, label: runner.label, projectName: runner.projectName };
}
