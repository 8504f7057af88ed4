/**
 * RDS for PostgreSQL from a `ManagedPlan`. Chosen over Aurora because the reference systems
 * ask for "1 primary + N read replicas" with PITR, which RDS maps to one-to-one (instances,
 * automated backups up to 35 days), it runs small dev instances cheaply, and AWS Backup
 * supports continuous (PITR) backups and cross-region copies for it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { generatePassword } from "../../secrets/generate";
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
  const password = generatePassword(`${name}-password`, { length: 40, special: false }, { parent });

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
      password: password,
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

  const proxyEndpoint = plan.proxy ? provisionProxy(name, parent, cfg, plan, { primary, dbSecurityGroupId: sg.id, keyArn, password: password, tags }) : undefined;

  const primaryHost = primary.address;
  const host = proxyEndpoint ?? primaryHost;
  const readerHost = replicas.length ? replicas[0].address : primary.address;
  const connection = pulumi.secret(
    pulumi.all([host, primaryHost, readerHost, password]).apply(([h, ph, r, pw]) => ({
      host: h,
      primaryHost: ph,
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

/**
 * RDS Proxy (connection pooling) in front of the primary: TLS required, SCRAM client auth,
 * the DB credentials in a KMS-encrypted Secrets Manager secret readable only by the proxy's
 * role; its own SG admits the app SGs, and the DB SG admits the proxy SG.
 */
function provisionProxy(
  name: string,
  parent: pulumi.Resource,
  cfg: ManagedPostgresConfig,
  plan: ManagedPlan,
  d: { primary: aws.rds.Instance; dbSecurityGroupId: pulumi.Output<string>; keyArn: pulumi.Output<string>; password: pulumi.Output<string>; tags: Record<string, string> },
): pulumi.Output<string> {
  const p = plan.proxy!;
  const secret = new aws.secretsmanager.Secret(`${name}-proxy-credentials`, { kmsKeyId: d.keyArn, description: `${name}: DB credentials for RDS Proxy`, tags: d.tags }, { parent });
  new aws.secretsmanager.SecretVersion(
    `${name}-proxy-credentials`,
    { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify({ username: cfg.username, password: d.password })) },
    { parent },
  );
  const role = new aws.iam.Role(
    `${name}-proxy`,
    { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }] }), tags: d.tags },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-proxy`,
    {
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secret.arn] },
          { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [d.keyArn] },
        ],
      }),
    },
    { parent },
  );
  const proxySg = dataSecurityGroup(`${name}-proxy`, parent, cfg.network.vpcId, cfg.network.allowedSecurityGroupIds, plan.port, d.tags);
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-from-proxy`,
    { securityGroupId: d.dbSecurityGroupId, referencedSecurityGroupId: proxySg.id, ipProtocol: "tcp", fromPort: plan.port, toPort: plan.port, description: "RDS Proxy", tags: d.tags },
    { parent },
  );
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-proxy-to-db`,
    { securityGroupId: proxySg.id, referencedSecurityGroupId: d.dbSecurityGroupId, ipProtocol: "tcp", fromPort: plan.port, toPort: plan.port, description: "to the DB", tags: d.tags },
    { parent },
  );
  const proxy = new aws.rds.Proxy(
    `${name}-proxy`,
    {
      engineFamily: "POSTGRESQL",
      requireTls: p.requireTls,
      idleClientTimeout: p.idleClientTimeout,
      roleArn: role.arn,
      vpcSubnetIds: cfg.network.subnetIds,
      vpcSecurityGroupIds: [proxySg.id],
      auths: [{ authScheme: "SECRETS", secretArn: secret.arn, iamAuth: cfg.iamAuth ? "REQUIRED" : "DISABLED", clientPasswordAuthType: p.clientPasswordAuthType }],
      debugLogging: false,
      tags: d.tags,
    },
    { parent },
  );
  new aws.rds.ProxyDefaultTargetGroup(
    `${name}-proxy`,
    { dbProxyName: proxy.name, connectionPoolConfig: { maxConnectionsPercent: p.maxConnectionsPercent, maxIdleConnectionsPercent: p.maxIdleConnectionsPercent } },
    { parent },
  );
  new aws.rds.ProxyTarget(`${name}-proxy`, { dbProxyName: proxy.name, targetGroupName: "default", dbInstanceIdentifier: d.primary.identifier }, { parent });
  return proxy.endpoint;
}
