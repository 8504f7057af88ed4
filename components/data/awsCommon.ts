/**
 * AWS building blocks shared by the managed stores: a KMS key (or the given one), a
 * security group that admits one port from the app tier's security groups only, and an
 * AWS Backup vault/plan/selection with an optional cross-region copy.
 *
 * Every function creates children of the calling component (`parent`), so the component's
 * explicit `providers: { aws }` is inherited; nothing lands on a default provider.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsBackupRule } from "./postgres/plan";

export function kmsKey(
  name: string,
  parent: pulumi.Resource,
  given: pulumi.Input<string> | undefined,
  description: string,
  tags: Record<string, string>,
  opts: pulumi.CustomResourceOptions = {},
): pulumi.Output<string> {
  if (given) return pulumi.output(given);
  const key = new aws.kms.Key(`${name}-kms`, { description, enableKeyRotation: true, deletionWindowInDays: 30, tags }, { parent, ...opts });
  new aws.kms.Alias(`${name}-kms`, { name: `alias/${name}`, targetKeyId: key.keyId }, { parent, ...(opts.provider ? { provider: opts.provider } : {}) });
  return key.arn;
}

/** A security group admitting `port` from each allowed SG only (never a CIDR); no egress rules. */
export function dataSecurityGroup(
  name: string,
  parent: pulumi.Resource,
  vpcId: pulumi.Input<string>,
  allowedSecurityGroupIds: pulumi.Input<string>[],
  port: number,
  tags: Record<string, string>,
): aws.ec2.SecurityGroup {
  const sg = new aws.ec2.SecurityGroup(
    `${name}-sg`,
    { vpcId, description: `${name}: port ${port} from the app tier security groups only`, revokeRulesOnDelete: true, tags },
    { parent },
  );
  allowedSecurityGroupIds.forEach((src, k) => {
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-app-${k}`,
      { securityGroupId: sg.id, referencedSecurityGroupId: src, ipProtocol: "tcp", fromPort: port, toPort: port, description: "app tier", tags },
      { parent },
    );
  });
  return sg;
}

export interface BackupPlanArgs {
  rules: AwsBackupRule[];
  resourceArns: pulumi.Input<string>[];
  kmsKeyArn: pulumi.Input<string>;
  crossRegion: null | { retentionDays: number; provider?: aws.Provider };
  protect: boolean;
  tags: Record<string, string>;
}

/** AWS Backup: vault (KMS), plan with the given rules, selection of the resources, optional cross-region vault. */
export function awsBackupPlan(name: string, parent: pulumi.Resource, a: BackupPlanArgs): { vault: aws.backup.Vault; plan: aws.backup.Plan } {
  const vault = new aws.backup.Vault(`${name}-vault`, { kmsKeyArn: a.kmsKeyArn, tags: a.tags }, { parent, protect: a.protect });
  let copyVaultArn: pulumi.Output<string> | undefined;
  if (a.rules.some((r) => r.copyToSecondaryRegion)) {
    if (!a.crossRegion?.provider) throw new Error(`${name}: cross-region backup copy needs secondaryRegionProvider`);
    const provider = a.crossRegion.provider;
    const copyKey = kmsKey(`${name}-copy`, parent, undefined, `${name} backup copies`, a.tags, { provider });
    const copyVault = new aws.backup.Vault(`${name}-copy-vault`, { kmsKeyArn: copyKey, tags: a.tags }, { parent, provider, protect: a.protect });
    copyVaultArn = copyVault.arn;
  }
  const plan = new aws.backup.Plan(
    `${name}-backup`,
    {
      rules: a.rules.map((r) => ({
        ruleName: r.ruleName,
        targetVaultName: vault.name,
        schedule: r.schedule,
        enableContinuousBackup: r.continuous,
        lifecycle: { deleteAfter: r.deleteAfterDays, ...(r.coldStorageAfterDays ? { coldStorageAfter: r.coldStorageAfterDays } : {}) },
        copyActions:
          r.copyToSecondaryRegion && copyVaultArn
            ? [{ destinationVaultArn: copyVaultArn, lifecycle: { deleteAfter: a.crossRegion?.retentionDays ?? r.deleteAfterDays } }]
            : [],
      })),
      tags: a.tags,
    },
    { parent },
  );
  const role = new aws.iam.Role(
    `${name}-backup`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags: a.tags,
    },
    { parent },
  );
  new aws.iam.RolePolicyAttachment(
    `${name}-backup`,
    { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup" },
    { parent },
  );
  new aws.backup.Selection(`${name}-backup`, { name: `${name}-backup`, iamRoleArn: role.arn, planId: plan.id, resources: a.resourceArns }, { parent });
  return { vault, plan };
}
