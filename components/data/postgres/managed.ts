/**
 * Managed PostgreSQL from a `ManagedPlan`.
 *
 * - `rds` (default): RDS for PostgreSQL, a primary + read replica instances. The reference systems
 *   ask for "1 primary + N read replicas" with PITR, which RDS maps to one-to-one (instances,
 *   automated backups up to 35 days), it runs small instances cheaply, and AWS Backup supports
 *   continuous (PITR) backups and cross-region copies for it. Its replicas are separate endpoints:
 *   nothing spreads reads across them.
 * - `aurora`: Aurora PostgreSQL, a writer + Aurora Replicas in one cluster, for stores whose
 *   replicas are read. The cluster's reader endpoint balances connections across every replica,
 *   and an RDS Proxy endpoint of role READ_ONLY (Aurora clusters only: CreateDBProxyEndpoint)
 *   pools them; TLS is verified against those endpoint names (sslmode=verify-full), which a DNS
 *   record of our own over RDS replicas could not offer.
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
  if (plan.engine === "aurora") return provisionAurora(name, parent, cfg, plan);
  const { tags, stateful, keyArn, subnets, sg } = foundation(name, parent, cfg, plan);
  const params = new aws.rds.ParameterGroup(
    `${name}-params`,
    { family: plan.family, description: `${name}: TLS enforced`, parameters: plan.parameters, tags },
    { parent },
  );
  const password = generatePassword(`${name}-password`, { length: 40, special: false }, { parent });

  const pi = performanceInsights(plan, keyArn);
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

  backUp(name, parent, cfg, plan, primary.arn, keyArn, tags);

  const proxy = plan.proxy
    ? provisionProxy(name, parent, cfg, plan, {
        target: { dbInstanceIdentifier: primary.identifier },
        dbSecurityGroupId: sg.id,
        keyArn,
        password: password,
        tags,
      })
    : undefined;

  const primaryHost = primary.address;
  const host = proxy?.endpoint ?? primaryHost;
  const readerHost = replicas.length ? replicas[0].address : primary.address;
  return { ...connectionOf(cfg, plan, host, primaryHost, readerHost, password), securityGroupId: sg.id, primaryArn: primary.arn };
}

/** What both engines stand on: tags, the KMS key, the private subnet group and the data security group. */
function foundation(name: string, parent: pulumi.Resource, cfg: ManagedPostgresConfig, plan: ManagedPlan) {
  const tags = awsTags(name, "postgres", cfg.labels);
  const keyArn = kmsKey(name, parent, cfg.kmsKeyArn, `${name} PostgreSQL storage, Performance Insights and backups`, tags);
  const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: cfg.network.subnetIds, description: `${name}: private subnets`, tags }, { parent });
  const sg = dataSecurityGroup(name, parent, cfg.network.vpcId, cfg.network.allowedSecurityGroupIds, plan.port, tags);
  return { tags, stateful: { parent, protect: plan.protect }, keyArn, subnets, sg };
}

/** Performance Insights inputs (an RDS instance's and an Aurora instance's are the same), encrypted with the store's key. */
function performanceInsights(plan: ManagedPlan, keyArn: pulumi.Output<string>) {
  return plan.primary.performanceInsightsRetentionPeriod
    ? {
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: keyArn,
        performanceInsightsRetentionPeriod: plan.primary.performanceInsightsRetentionPeriod,
      }
    : { performanceInsightsEnabled: false };
}

/** AWS Backup of the primary instance or the Aurora cluster, when the tier's backup policy asks for it. */
function backUp(
  name: string,
  parent: pulumi.Resource,
  cfg: ManagedPostgresConfig,
  plan: ManagedPlan,
  arn: pulumi.Output<string>,
  keyArn: pulumi.Output<string>,
  tags: Record<string, string>,
): void {
  if (!plan.awsBackup) return;
  awsBackupPlan(name, parent, {
    rules: plan.awsBackup.rules,
    resourceArns: [arn],
    kmsKeyArn: keyArn,
    crossRegion: cfg.backup.crossRegion ? { retentionDays: cfg.backup.crossRegion.retentionDays, provider: cfg.secondaryRegionProvider } : null,
    protect: plan.protect,
    tags,
  });
}

function connectionOf(
  cfg: ManagedPostgresConfig,
  plan: ManagedPlan,
  host: pulumi.Output<string>,
  primaryHost: pulumi.Output<string>,
  readerHost: pulumi.Output<string>,
  password: pulumi.Output<string>,
) {
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
  return { connection, host, readerHost };
}

/**
 * Aurora PostgreSQL: a cluster (KMS-encrypted storage, TLS forced by the cluster parameter group,
 * backups and PITR per tier, deletion protection + final snapshot), a writer and one Aurora Replica
 * per read replica (Performance Insights, private), AWS Backup on the cluster, and with `pooling`
 * an RDS Proxy whose default endpoint writes and whose READ_ONLY endpoint reads.
 */
function provisionAurora(name: string, parent: pulumi.Resource, cfg: ManagedPostgresConfig, plan: ManagedPlan): ManagedPostgresResult {
  const { tags, stateful, keyArn, subnets, sg } = foundation(name, parent, cfg, plan);
  const params = new aws.rds.ClusterParameterGroup(
    `${name}-params`,
    { family: plan.family, description: `${name}: TLS enforced`, parameters: plan.parameters, tags },
    { parent },
  );
  const password = generatePassword(`${name}-password`, { length: 40, special: false }, { parent });
  const cluster = new aws.rds.Cluster(
    name,
    {
      engine: "aurora-postgresql",
      engineVersion: plan.engineVersion,
      databaseName: cfg.database,
      masterUsername: cfg.username,
      masterPassword: password,
      port: plan.port,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [sg.id],
      dbClusterParameterGroupName: params.name,
      storageEncrypted: true,
      kmsKeyId: keyArn,
      iamDatabaseAuthenticationEnabled: cfg.iamAuth,
      backupRetentionPeriod: Math.max(1, plan.primary.backupRetentionPeriod),
      ...(plan.primary.backupWindow ? { preferredBackupWindow: plan.primary.backupWindow } : {}),
      preferredMaintenanceWindow: plan.primary.maintenanceWindow,
      copyTagsToSnapshot: true,
      enabledCloudwatchLogsExports: ["postgresql"],
      deletionProtection: plan.primary.deletionProtection,
      skipFinalSnapshot: plan.primary.skipFinalSnapshot,
      ...(plan.primary.finalSnapshotIdentifier ? { finalSnapshotIdentifier: plan.primary.finalSnapshotIdentifier } : {}),
      tags,
    },
    stateful,
  );
  const pi = performanceInsights(plan, keyArn);
  // The writer (promotion tier 0) and one Aurora Replica per read replica; Aurora places them across the subnets' AZs.
  [`${name}-writer`, ...plan.replicaNames].forEach(
    (rn, k) =>
      new aws.rds.ClusterInstance(
        rn,
        {
          clusterIdentifier: cluster.id,
          engine: "aurora-postgresql",
          engineVersion: plan.engineVersion,
          instanceClass: cfg.instanceClass,
          dbSubnetGroupName: subnets.name,
          publiclyAccessible: false,
          autoMinorVersionUpgrade: true,
          copyTagsToSnapshot: true,
          promotionTier: k === 0 ? 0 : 1,
          ...pi,
          tags,
        },
        stateful,
      ),
  );
  backUp(name, parent, cfg, plan, cluster.arn, keyArn, tags);
  const proxy = plan.proxy
    ? provisionProxy(name, parent, cfg, plan, {
        target: { dbClusterIdentifier: cluster.id },
        readOnlyEndpoint: plan.readerEndpoint === "proxy-read-only",
        dbSecurityGroupId: sg.id,
        keyArn,
        password,
        tags,
      })
    : undefined;
  const primaryHost = cluster.endpoint;
  const host = proxy?.endpoint ?? primaryHost;
  // Reads: the proxy's READ_ONLY endpoint (pooled) or the cluster's reader endpoint; both spread over every Aurora Replica.
  const readerHost = proxy?.readOnlyEndpoint ?? cluster.readerEndpoint;
  return { ...connectionOf(cfg, plan, host, primaryHost, readerHost, password), securityGroupId: sg.id, primaryArn: cluster.arn };
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
  d: {
    /** The RDS primary instance, or the Aurora cluster (the proxy then follows its writer and readers). */
    target: { dbInstanceIdentifier: pulumi.Input<string> } | { dbClusterIdentifier: pulumi.Input<string> };
    /** Aurora only: an extra proxy endpoint of role READ_ONLY, spread over the cluster's replicas. */
    readOnlyEndpoint?: boolean;
    dbSecurityGroupId: pulumi.Output<string>;
    keyArn: pulumi.Output<string>;
    password: pulumi.Output<string>;
    tags: Record<string, string>;
  },
): { endpoint: pulumi.Output<string>; readOnlyEndpoint?: pulumi.Output<string> } {
  const p = plan.proxy!;
  const secret = new aws.secretsmanager.Secret(
    `${name}-proxy-credentials`,
    { kmsKeyId: d.keyArn, description: `${name}: DB credentials for RDS Proxy`, tags: d.tags },
    { parent },
  );
  new aws.secretsmanager.SecretVersion(
    `${name}-proxy-credentials`,
    { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify({ username: cfg.username, password: d.password })) },
    { parent },
  );
  const role = new aws.iam.Role(
    `${name}-proxy`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags: d.tags,
    },
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
    {
      securityGroupId: d.dbSecurityGroupId,
      referencedSecurityGroupId: proxySg.id,
      ipProtocol: "tcp",
      fromPort: plan.port,
      toPort: plan.port,
      description: "RDS Proxy",
      tags: d.tags,
    },
    { parent },
  );
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-proxy-to-db`,
    {
      securityGroupId: proxySg.id,
      referencedSecurityGroupId: d.dbSecurityGroupId,
      ipProtocol: "tcp",
      fromPort: plan.port,
      toPort: plan.port,
      description: "to the DB",
      tags: d.tags,
    },
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
      auths: [
        { authScheme: "SECRETS", secretArn: secret.arn, iamAuth: cfg.iamAuth ? "REQUIRED" : "DISABLED", clientPasswordAuthType: p.clientPasswordAuthType },
      ],
      debugLogging: false,
      tags: d.tags,
    },
    { parent },
  );
  new aws.rds.ProxyDefaultTargetGroup(
    `${name}-proxy`,
    {
      dbProxyName: proxy.name,
      connectionPoolConfig: { maxConnectionsPercent: p.maxConnectionsPercent, maxIdleConnectionsPercent: p.maxIdleConnectionsPercent },
    },
    { parent },
  );
  new aws.rds.ProxyTarget(`${name}-proxy`, { dbProxyName: proxy.name, targetGroupName: "default", ...d.target }, { parent });
  if (!d.readOnlyEndpoint) return { endpoint: proxy.endpoint };
  const ro = new aws.rds.ProxyEndpoint(
    `${name}-proxy-ro`,
    {
      dbProxyName: proxy.name,
      dbProxyEndpointName: `${name}-ro`,
      targetRole: "READ_ONLY",
      vpcSubnetIds: cfg.network.subnetIds,
      vpcSecurityGroupIds: [proxySg.id],
      tags: d.tags,
    },
    { parent },
  );
  return { endpoint: proxy.endpoint, readOnlyEndpoint: ro.endpoint };
}
