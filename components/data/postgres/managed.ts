/**
 * RDS for PostgreSQL from a `ManagedPlan`. Chosen over Aurora because the reference systems
 * ask for "1 primary + N read replicas" with PITR, which RDS maps to one-to-one (instances,
 * automated backups up to 35 days), it runs small dev instances cheaply, and AWS Backup
 * supports continuous (PITR) backups and cross-region copies for it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { awsBackupPlan, dataSecurityGroup, kmsKey } from "../awsCommon";
import { awsTags } from "../network";
import type { ManagedPostgresConfig } from "./args";
import type { ManagedPlan } from "./plan";
import type { PostgresConnection } from "./types";

export interface ManagedPostgresResult {
  connection: pulumi.Output<PostgresConnection>;
  host: pulumi.Output<string>;
  readerHost: pulumi.Output<string>;
  securityGroupId: pulumi.Output<string>;
  primaryArn: pulumi.Output<string>;
}

export function provisionManagedPostgres(name: string, parent: pulumi.Resource, cfg: ManagedPostgresConfig, plan: ManagedPlan): ManagedPostgresResult {
  const tags = awsTags(name, "postgres", cfg.labels);
  const stateful = { parent, protect: plan.protect };
  const keyArn = kmsKey(name, parent, cfg.kmsKeyArn, `${name} PostgreSQL storage, Performance Insights and backups`, tags);

  const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: cfg.network.subnetIds, description: `${name}: private subnets`, tags }, { parent });
  const sg = dataSecurityGroup(name, parent, cfg.network.vpcId, cfg.network.allowedSecurityGroupIds, plan.port, tags);
  const params = new aws.rds.ParameterGroup(
    `${name}-params`,
    { family: plan.family, description: `${name}: TLS enforced`, parameters: plan.parameters, tags },
    { parent },
  );
  const password = new random.RandomPassword(`${name}-password`, { length: 40, special: false }, { parent });

  const pi = plan.primary.performanceInsightsRetentionPeriod
    ? { performanceInsightsEnabled: true, performanceInsightsKmsKeyId: keyArn, performanceInsightsRetentionPeriod: plan.primary.performanceInsightsRetentionPeriod }
    : { performanceInsightsEnabled: false };
  const shared = {
    instanceClass: cfg.instanceClass,
    storageEncrypted: true,
    kmsKeyId: keyArn,
    publiclyAccessible: false,
    vpcSecurityGroupIds: [sg.id],
    parameterGroupName: params.name,
    port: plan.port,
    iamDatabaseAuthenticationEnabled: cfg.iamAuth,
    autoMinorVersionUpgrade: true,
    copyTagsToSnapshot: true,
    enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
    deletionProtection: plan.primary.deletionProtection,
    storageType: "gp3",
    ...pi,
    tags,
  };

  const primary = new aws.rds.Instance(
    name,
    {
      ...shared,
      engine: "postgres",
      engineVersion: plan.engineVersion,
      dbName: cfg.database,
      username: cfg.username,
      password: password.result,
      dbSubnetGroupName: subnets.name,
      multiAz: plan.primary.multiAz,
      allocatedStorage: plan.primary.allocatedStorage,
      maxAllocatedStorage: plan.primary.maxAllocatedStorage,
      backupRetentionPeriod: plan.primary.backupRetentionPeriod,
      backupWindow: plan.primary.backupWindow,
      maintenanceWindow: plan.primary.maintenanceWindow,
      deleteAutomatedBackups: !plan.protect,
      skipFinalSnapshot: plan.primary.skipFinalSnapshot,
      finalSnapshotIdentifier: plan.primary.finalSnapshotIdentifier,
    },
    stateful,
  );

  const replicas = plan.replicaNames.map(
    (rn) =>
      new aws.rds.Instance(
        rn,
        {
          ...shared,
          replicateSourceDb: primary.identifier,
          multiAz: false,
          backupRetentionPeriod: 0,
          skipFinalSnapshot: true,
        },
        stateful,
      ),
  );

  if (plan.awsBackup) {
    awsBackupPlan(name, parent, {
      rules: plan.awsBackup.rules,
      resourceArns: [primary.arn],
      kmsKeyArn: keyArn,
      crossRegion: cfg.backup.crossRegion ? { retentionDays: cfg.backup.crossRegion.retentionDays, provider: cfg.secondaryRegionProvider } : null,
      protect: plan.protect,
      tags,
    });
  }

  const host = primary.address;
  const readerHost = replicas.length ? replicas[0].address : primary.address;
  const connection = pulumi.secret(
    pulumi.all([host, readerHost, password.result]).apply(([h, r, pw]) => ({
      host: h,
      readerHost: r,
      port: plan.port,
      database: cfg.database,
      username: cfg.username,
      password: pw,
      sslmode: "verify-full" as const,
      url: `postgresql://${cfg.username}:${encodeURIComponent(pw)}@${h}:${plan.port}/${cfg.database}?sslmode=verify-full`,
    })),
  );
  return { connection, host, readerHost, securityGroupId: sg.id, primaryArn: primary.arn };
}
