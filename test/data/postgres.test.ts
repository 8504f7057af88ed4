import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { backupPolicy } from "../../components/data/backups";
import { Postgres } from "../../components/data/postgres";
import { CHART_PINS } from "../../components/charts";
import { inClusterEndpoint, planClusterPostgres, planManagedPostgres } from "../../components/data/postgres/plan";
import { ProgramError, runProgram } from "../../tools/harness/run";
import {
  APP_SG,
  awsNet,
  awsOnly,
  awsProviders,
  byType,
  customs,
  k8sKind,
  k8sNet,
  k8sProviders,
  one,
  openCidrs,
  plainSecrets,
  secondaryAws,
  failure,
} from "./helpers";
import { TIERS, type TierName as Tier } from "../../stacks/spec/tiers";

const RDS = "aws:rds/instance:Instance";
const prodLike = (t: Tier) => t === "prod";

/** What the lead's composition passes per tier (sizes from the blueprint, safety from the tier). */
function managedArgs(tier: Exclude<Tier, "local">, crossRegion = false) {
  const prod = prodLike(tier);
  return {
    implementation: "managed" as const,
    network: awsNet,
    replicas: 2,
    multiAz: prod,
    deletionProtection: prod,
    finalSnapshot: prod,
    protect: prod,
    backup: backupPolicy(TIERS[tier].backups, { crossRegion }),
  };
}

describe("Postgres plan (pure)", () => {
  const base = {
    name: "db",
    version: "16",
    replicas: 2,
    protect: true,
    tls: { enabled: true },
    multiAz: true,
    deletionProtection: true,
    finalSnapshot: true,
    performanceInsights: true,
    storageGb: 20,
    subnetCount: 3,
    allowedSecurityGroupCount: 1,
    hasSecondaryRegionProvider: true,
  };

  it("prod: force_ssl, PITR 35 d, hourly + daily AWS Backup rules with a cross-region copy", () => {
    const p = planManagedPostgres({ ...base, backup: backupPolicy(TIERS.prod.backups, { crossRegion: true }) });
    expect(p.problems).toEqual([]);
    expect(p.parameters).toContainEqual({ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" });
    expect(p.family).toBe("postgres16");
    expect(p.primary).toMatchObject({
      backupRetentionPeriod: 35,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "db-final",
      multiAz: true,
    });
    expect(p.replicaNames).toEqual(["db-replica-1", "db-replica-2"]);
    expect(p.awsBackup?.rules.map((r) => [r.ruleName, r.schedule, r.copyToSecondaryRegion, r.continuous])).toEqual([
      ["hourly", "cron(0 * ? * * *)", false, false],
      ["daily", "cron(0 3 ? * * *)", true, true],
    ]);
  });

  it("staging: RDS automated daily backups only (no AWS Backup plan unless a copy is asked)", () => {
    expect(planManagedPostgres({ ...base, backup: backupPolicy(TIERS.staging.backups) }).awsBackup).toBeNull();
    expect(planManagedPostgres({ ...base, backup: backupPolicy(TIERS.staging.backups, { crossRegion: true }) }).awsBackup?.rules).toHaveLength(1);
  });

  it("collects every problem at once", () => {
    const p = planManagedPostgres({
      ...base,
      tls: { enabled: false },
      subnetCount: 1,
      allowedSecurityGroupCount: 0,
      hasSecondaryRegionProvider: false,
      backup: backupPolicy(TIERS.prod.backups, { crossRegion: true }),
    });
    expect(p.problems.join("\n")).toMatch(/tls.enabled[\s\S]*subnetIds[\s\S]*allowedSecurityGroupIds[\s\S]*secondaryRegionProvider/);
    const local = planManagedPostgres({ ...base, backup: backupPolicy(TIERS.local.backups) });
    expect(local.problems.join()).toMatch(/replicas: RDS read replicas need automated backups/);
  });

  it("in-cluster: CNPG instances = 1 + replicas, TLS-only pg_hba, client rule from the app namespace only", () => {
    const p = planClusterPostgres({
      name: "db",
      version: "16",
      replicas: 2,
      protect: false,
      tls: { enabled: true },
      backup: backupPolicy(TIERS.staging.backups),
      implementation: "operator",
      database: "app",
      username: "app",
      network: k8sNet,
      backupTarget: { endpointUrl: "https://files-s3.storage.svc:8333" },
    });
    expect(p.problems).toEqual([]);
    expect(p.instances).toBe(3);
    expect(p.pgHba[0]).toBe("hostnossl all all all reject");
    expect(p.host).toBe("db-rw.data.svc.cluster.local");
    expect(p.readerHost).toBe("db-ro.data.svc.cluster.local");
    expect(p.scheduledBackup).toEqual({ schedule: "0 0 3 * * *", retention: "7d" });
    const net = p.network as Extract<typeof p.network, { kind: "kubernetes" }>;
    expect(net.ingress.find((r) => r.purpose === "clients")).toEqual({
      purpose: "clients",
      podSelector: { "cnpg.io/cluster": "db" },
      ports: [{ name: "postgres", port: 5432, protocol: "TCP" }],
      from: { namespaces: ["apps"] },
    });
    expect(net.egress.find((r) => r.purpose === "backups")?.to).toEqual({ kind: "peers", peers: { namespaces: ["storage"] } });
  });

  it("parses in-cluster S3 endpoints", () => {
    expect(inClusterEndpoint("https://files-s3.storage.svc.cluster.local:8333")).toEqual({ namespace: "storage", port: 8333 });
    expect(inClusterEndpoint("https://s3.eu-west-1.amazonaws.com")).toBeNull();
    expect(inClusterEndpoint(undefined)).toBeNull();
  });

  it("statefulset refuses replicas, backups and TLS without a certificate", () => {
    const p = planClusterPostgres({
      name: "db",
      version: "16",
      replicas: 1,
      protect: false,
      tls: { enabled: true },
      backup: backupPolicy(TIERS.dev.backups),
      implementation: "statefulset",
      database: "app",
      username: "app",
      network: k8sNet,
    });
    expect(p.problems).toHaveLength(3);
    expect(p.problems.join("\n")).toMatch(/replicas:[\s\S]*backup:[\s\S]*tls.certSecretName/);
  });
});

describe("Postgres managed (RDS) through the harness", () => {
  for (const tier of ["dev", "staging", "prod"] as const) {
    it(`${tier}: encrypted, private, TLS-enforced, backups per tier, protection per tier, secrets never plain`, async () => {
      const inv = await runProgram(() => {
        const providers = awsProviders();
        const pg = new Postgres("db", managedArgs(tier), { providers });
        return { connection: pg.connection, host: pg.host };
      });
      const policy = backupPolicy(TIERS[tier].backups);
      const rds = byType(inv, RDS);
      expect(rds).toHaveLength(3); // 1 primary + 2 replicas
      const primary = rds.find((r) => r.name === "db")!;
      const replicas = rds.filter((r) => r.name !== "db");
      const key = one(inv, "aws:kms/key:Key");
      expect(key.inputs.enableKeyRotation).toBe(true);
      for (const r of rds) {
        expect(r.inputs).toMatchObject({ storageEncrypted: true, publiclyAccessible: false, performanceInsightsEnabled: true });
        expect(r.propertyDependencies.kmsKeyId).toContain(key.urn);
        expect(r.options.protect).toBe(tier === "prod");
        expect(r.inputs.deletionProtection).toBe(tier === "prod");
      }
      expect(primary.inputs).toMatchObject({
        engine: "postgres",
        engineVersion: "16",
        backupRetentionPeriod: policy.pitrDays,
        multiAz: tier === "prod",
        skipFinalSnapshot: tier !== "prod",
      });
      expect(one(inv, "aws:rds/subnetGroup:SubnetGroup").inputs.subnetIds).toEqual(awsNet.subnetIds);
      if (tier === "prod") expect(primary.inputs.finalSnapshotIdentifier).toBe("db-final");
      expect(primary.secretPaths).toContain("password");
      for (const r of replicas) expect(r.inputs.replicateSourceDb).toBe("db");

      const params = one(inv, "aws:rds/parameterGroup:ParameterGroup");
      expect(params.inputs.parameters).toContainEqual(expect.objectContaining({ name: "rds.force_ssl", value: "1" }));

      const rules = byType(inv, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
      expect(rules).toHaveLength(1);
      expect(rules[0].inputs).toMatchObject({ referencedSecurityGroupId: APP_SG, fromPort: 5432, toPort: 5432, ipProtocol: "tcp" });
      expect(rules[0].inputs.cidrIpv4).toBeUndefined();
      expect(one(inv, "aws:ec2/securityGroup:SecurityGroup").inputs.ingress ?? []).toEqual([]);

      expect(byType(inv, "aws:backup/plan:Plan")).toHaveLength(tier === "prod" ? 1 : 0);
      expect(openCidrs(inv)).toEqual([]);
      expect(plainSecrets(inv)).toEqual([]);
      expect(inv.secretOutputPaths).toContain("connection");
      expect((inv.outputs.connection as { url: string }).url).toMatch(/sslmode=verify-full$/);
      for (const r of customs(inv)) expect(r.provider).toMatch(/::pulumi:providers:(aws|random)::(aws|random)::/);
    });
  }

  it("prod with crossRegion: AWS Backup hourly + daily, copy vault on the second-region provider", async () => {
    const inv = await runProgram(() => {
      const providers = awsProviders();
      const pg = new Postgres("db", { ...managedArgs("prod", true), secondaryRegionProvider: secondaryAws() }, { providers });
      return { host: pg.host };
    });
    const plan = one(inv, "aws:backup/plan:Plan");
    const rules = plan.inputs.rules as { ruleName: string; copyActions?: { destinationVaultArn: string }[]; enableContinuousBackup: boolean }[];
    expect(rules.map((r) => r.ruleName)).toEqual(["hourly", "daily"]);
    const vaults = byType(inv, "aws:backup/vault:Vault");
    const copyVault = vaults.find((v) => v.name === "db-copy-vault")!;
    expect(copyVault.provider).toMatch(/::aws-backup-region::/);
    expect(copyVault.options.protect).toBe(true);
    expect(rules[1].copyActions?.[0].destinationVaultArn).toContain(":db-copy-vault");
    expect(rules[1].enableContinuousBackup).toBe(true);
    const selection = one(inv, "aws:backup/selection:Selection");
    expect(selection.propertyDependencies.resources).toContain(byType(inv, RDS).find((r) => r.name === "db")!.urn);
  });

  it("preview mode works with unknown network ids from another component", async () => {
    const inv = await runProgram(
      () => {
        const providers = awsProviders();
        const vpcId = pulumi.output("vpc-x").apply((v) => v);
        const pg = new Postgres("db", { ...managedArgs("staging"), network: { ...awsNet, vpcId } }, { providers });
        return { host: pg.host };
      },
      { preview: true },
    );
    expect(byType(inv, RDS)).toHaveLength(3);
    // The primary sits in the private DB subnet group (its name is computed, so unknown in preview).
    const primary = byType(inv, RDS).find((r) => r.name === "db")!;
    expect(primary.unknownPaths).toContain("dbSubnetGroupName");
    expect(primary.propertyDependencies.dbSubnetGroupName).toContain(one(inv, "aws:rds/subnetGroup:SubnetGroup").urn);
    expect(primary.propertyDependencies.parameterGroupName).toContain(one(inv, "aws:rds/parameterGroup:ParameterGroup").urn);
    expect(primary.inputs.publiclyAccessible).toBe(false);
  });

  it("bad args: one error listing every field, nothing registered", async () => {
    const err = await failure(() => {
      const providers = awsProviders();
      new Postgres(
        "db",
        {
          implementation: "managed",
          network: { ...awsNet, allowedSecurityGroupIds: [] },
          replicas: 9,
          backup: backupPolicy(TIERS.prod.backups),
          publiclyAccessible: true,
        } as never,
        { providers },
      );
      return {};
    });
    expect(err).toBeInstanceOf(ProgramError);
    const msg = (err as ProgramError).message;
    expect(msg).toMatch(/network.allowedSecurityGroupIds/);
    expect(msg).toMatch(/replicas/);
    expect(msg).toMatch(/publiclyAccessible/);
    expect((err as ProgramError).inventory.resources.filter((r) => r.type.startsWith("platform:") || r.type.startsWith("aws:"))).toEqual([]);
  });

  it("crossRegion without a second-region provider is refused before any resource", async () => {
    const err = await failure(() => {
      new Postgres("db", managedArgs("prod", true), { providers: awsProviders() });
      return {};
    });
    expect(err.message).toMatch(/secondaryRegionProvider/);
    expect(err.inventory.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
  });
});

describe("Postgres in-cluster through the harness", () => {
  it("operator (CloudNativePG): 1 primary + 2 replicas, TLS-only, WAL archiving and daily ScheduledBackup, secrets in Secrets", async () => {
    const inv = await runProgram(() => {
      const providers = k8sProviders();
      const pg = new Postgres(
        "db",
        {
          implementation: "operator",
          network: k8sNet,
          replicas: 2,
          protect: true,
          backup: backupPolicy(TIERS.prod.backups),
          backupTarget: {
            destinationPath: "s3://platform-backups/db",
            endpointUrl: "https://files-s3.storage.svc.cluster.local:8333",
            credentials: { accessKeyId: pulumi.secret("AKFAKE"), secretAccessKey: pulumi.secret("fake-password-for-tests") },
          },
        },
        { providers },
      );
      return { connection: pg.connection };
    });
    const cluster = k8sKind(inv, "Cluster")[0];
    const spec = cluster.inputs.spec as Record<string, any>;
    expect(spec.instances).toBe(3);
    expect(spec.enableSuperuserAccess).toBe(false);
    expect(spec.postgresql.pg_hba).toContain("hostnossl all all all reject");
    expect(spec.backup.barmanObjectStore.destinationPath).toBe("s3://platform-backups/db");
    expect(spec.backup.barmanObjectStore.s3Credentials.secretAccessKey).toEqual({ name: "db-backup-credentials", key: "ACCESS_SECRET_KEY" });
    expect(spec.backup.retentionPolicy).toBe("35d");
    expect(cluster.options.protect).toBe(true);
    const sb = k8sKind(inv, "ScheduledBackup")[0];
    expect((sb.inputs.spec as any).schedule).toBe("0 0 3 * * *");
    const secrets = k8sKind(inv, "Secret");
    expect(secrets.map((s) => (s.inputs.metadata as any).name).sort()).toEqual(["db-app-credentials", "db-backup-credentials"]);
    for (const s of secrets) expect(s.secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
    expect(byType(inv, "kubernetes:helm.sh/v3:Release")).toHaveLength(0);
    expect(plainSecrets(inv)).toEqual([]);
    expect(openCidrs(inv)).toEqual([]);
    expect(inv.secretOutputPaths).toContain("connection");
    expect((inv.outputs.connection as any).host).toBe("db-rw.data.svc.cluster.local");
    // The given backup credentials stay secret too (they came in as secrets).
    const backupSecret = secrets.find((s) => (s.inputs.metadata as any).name === "db-backup-credentials")!;
    expect(backupSecret.secretPaths.some((p) => p === "stringData" || p === "stringData.ACCESS_SECRET_KEY")).toBe(true);
  });

  it("operator installs the pinned cloudnative-pg chart only when asked", async () => {
    const inv = await runProgram(() => {
      new Postgres(
        "db",
        { implementation: "operator", network: k8sNet, backup: backupPolicy(TIERS.local.backups), protect: false, installOperator: true },
        { providers: k8sProviders() },
      );
      return {};
    });
    const rel = one(inv, "kubernetes:helm.sh/v3:Release");
    expect(rel.inputs).toMatchObject({
      chart: "cloudnative-pg",
      version: CHART_PINS.cloudnativePg.version,
      repositoryOpts: { repo: CHART_PINS.cloudnativePg.repo },
      namespace: "cnpg-system",
    });
    expect(k8sKind(inv, "Cluster")[0].dependencies).toContain(rel.urn);
    expect(k8sKind(inv, "ScheduledBackup")).toHaveLength(0);
  });

  it("operator with backups but no target is refused", async () => {
    const err = await failure(() => {
      new Postgres("db", { implementation: "operator", network: k8sNet, backup: backupPolicy(TIERS.staging.backups) }, { providers: k8sProviders() });
      return {};
    });
    expect(err.message).toMatch(/backupTarget: backup is enabled/);
  });

  it("statefulset (local): one pod, PVC, TLS from the cert Secret, restricted security, no Helm, password via secretKeyRef", async () => {
    const inv = await runProgram(() => {
      const pg = new Postgres(
        "db",
        { implementation: "statefulset", network: k8sNet, backup: backupPolicy(TIERS.local.backups), protect: false, tls: { certSecretName: "db-tls" } },
        { providers: k8sProviders() },
      );
      return { connection: pg.connection };
    });
    const sts = k8sKind(inv, "StatefulSet")[0];
    const spec = sts.inputs.spec as any;
    expect(spec.replicas).toBe(1);
    expect(spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("20Gi");
    const c = spec.template.spec.containers[0];
    expect(c.args).toEqual(expect.arrayContaining(["ssl=on", "ssl_cert_file=/tls/tls.crt"]));
    expect(c.env.find((e: any) => e.name === "POSTGRES_PASSWORD").valueFrom.secretKeyRef).toEqual({ name: "db-app-credentials", key: "password" });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    expect(spec.template.spec.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
    const hba = (k8sKind(inv, "ConfigMap")[0].inputs.data as any)["pg_hba.conf"] as string;
    expect(hba).toContain("hostnossl all all all reject");
    const svc = k8sKind(inv, "Service")[0];
    expect((svc.inputs.spec as any).type).toBe("ClusterIP");
    expect(inv.resources.some((r) => r.type.includes("helm"))).toBe(false);
    expect(sts.options.protect).toBe(false);
    expect((inv.outputs.connection as any).sslmode).toBe("require");
    expect(plainSecrets(inv)).toEqual([]);
  });

  it("statefulset without a certificate needs tls.enabled=false spelled out", async () => {
    const err = await failure(() => {
      new Postgres("db", { implementation: "statefulset", network: k8sNet, backup: backupPolicy(TIERS.local.backups) }, { providers: k8sProviders() });
      return {};
    });
    expect(err.message).toMatch(/tls.certSecretName/);
    const inv = await runProgram(() => {
      const pg = new Postgres(
        "db",
        { implementation: "statefulset", network: k8sNet, backup: backupPolicy(TIERS.local.backups), protect: false, tls: { enabled: false } },
        { providers: k8sProviders() },
      );
      return { connection: pg.connection };
    });
    expect((inv.outputs.connection as any).sslmode).toBe("disable");
  });
});

describe("Postgres connection pooling", () => {
  it("managed: RDS Proxy with TLS required, KMS-encrypted credentials secret, SGs referencing the app SG and the proxy SG only", async () => {
    const inv = await runProgram(() => {
      const pg = new Postgres("db", { ...managedArgs("prod"), pooling: true }, { providers: awsProviders() });
      return { connection: pg.connection };
    });
    const proxy = one(inv, "aws:rds/proxy:Proxy");
    expect(proxy.inputs).toMatchObject({ engineFamily: "POSTGRESQL", requireTls: true, debugLogging: false });
    expect((proxy.inputs.auths as any[])[0]).toMatchObject({ authScheme: "SECRETS", clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256" });
    const secret = one(inv, "aws:secretsmanager/secret:Secret");
    expect(secret.propertyDependencies.kmsKeyId).toContain(one(inv, "aws:kms/key:Key").urn);
    const version = one(inv, "aws:secretsmanager/secretVersion:SecretVersion");
    expect(version.secretPaths).toContain("secretString");
    const target = one(inv, "aws:rds/proxyTarget:ProxyTarget");
    expect(target.inputs).toMatchObject({ targetGroupName: "default", dbInstanceIdentifier: "db" });
    const sgs = byType(inv, "aws:ec2/securityGroup:SecurityGroup");
    expect(sgs).toHaveLength(2);
    const proxySg = sgs.find((s) => s.name === "db-proxy-sg")!;
    const ingress = byType(inv, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(ingress.filter((r) => r.inputs.referencedSecurityGroupId === APP_SG)).toHaveLength(2); // DB and proxy admit the app tier
    const fromProxy = ingress.find((r) => r.name === "db-from-proxy")!;
    expect(fromProxy.propertyDependencies.referencedSecurityGroupId).toContain(proxySg.urn);
    expect(openCidrs(inv)).toEqual([]);
    expect(plainSecrets(inv)).toEqual([]);
  });

  it("operator: a CNPG PgBouncer Pooler in front of the primary; host points at it, primaryHost stays direct", async () => {
    const inv = await runProgram(() => {
      const pg = new Postgres(
        "db",
        { implementation: "operator", network: k8sNet, replicas: 1, pooling: true, backup: backupPolicy(TIERS.local.backups), protect: false },
        { providers: k8sProviders() },
      );
      return { connection: pg.connection };
    });
    const pooler = k8sKind(inv, "Pooler")[0];
    expect(pooler.inputs.spec as any).toMatchObject({ cluster: { name: "db" }, type: "rw", instances: 2, pgbouncer: { poolMode: "transaction" } });
    expect(inv.outputs.connection).toMatchObject({ host: "db-pooler-rw.data.svc.cluster.local", primaryHost: "db-rw.data.svc.cluster.local" });
  });

  it("reads are spread across both replicas through the pooler: a CNPG Pooler of type ro (the -ro service: every replica), readerHost points at it", async () => {
    const inv = await runProgram(() => {
      const pg = new Postgres(
        "db",
        { implementation: "operator", network: k8sNet, replicas: 2, pooling: true, backup: backupPolicy(TIERS.local.backups), protect: false },
        { providers: k8sProviders() },
      );
      return { connection: pg.connection };
    });
    const poolers = k8sKind(inv, "Pooler").map((p) => p.inputs as any);
    expect(poolers.map((p) => [p.metadata.name, p.spec.type, p.spec.cluster.name])).toEqual([
      ["db-pooler-rw", "rw", "db"],
      ["db-pooler-ro", "ro", "db"],
    ]);
    expect(poolers[1].spec.instances).toBe(2);
    expect(inv.outputs.connection).toMatchObject({ host: "db-pooler-rw.data.svc.cluster.local", readerHost: "db-pooler-ro.data.svc.cluster.local" });
    // Its pods may reach the instances, and the clients may reach it.
    const plan = planClusterPostgres({
      name: "db",
      version: "16",
      replicas: 2,
      pooling: true,
      protect: false,
      tls: { enabled: true },
      backup: backupPolicy(TIERS.local.backups),
      implementation: "operator",
      database: "app",
      username: "app",
      network: k8sNet,
    });
    const net = plan.network as Extract<typeof plan.network, { kind: "kubernetes" }>;
    expect(net.egress.some((e) => e.purpose === "reader-pooler" && e.podSelector["cnpg.io/poolerName"] === "db-pooler-ro")).toBe(true);
    expect(net.ingress.some((r) => r.podSelector["cnpg.io/poolerName"] === "db-pooler-ro" && r.purpose !== "reader-pooler")).toBe(true);
  });

  it("without pooling, reads go to the -ro service (every replica), never to one replica", () => {
    const plan = planClusterPostgres({
      name: "db",
      version: "16",
      replicas: 2,
      pooling: false,
      protect: false,
      tls: { enabled: true },
      backup: backupPolicy(TIERS.local.backups),
      implementation: "operator",
      database: "app",
      username: "app",
      network: k8sNet,
    });
    expect(plan.readerPooler).toBeNull();
    expect(plan.readerHost).toBe("db-ro.data.svc.cluster.local");
  });

  it("statefulset cannot pool", () => {
    const p = planClusterPostgres({
      name: "db",
      version: "16",
      replicas: 0,
      pooling: true,
      protect: false,
      tls: { enabled: false },
      backup: backupPolicy(TIERS.local.backups),
      implementation: "statefulset",
      database: "app",
      username: "app",
      network: k8sNet,
    });
    expect(p.problems.join()).toMatch(/pooling: implementation statefulset has no pooler/);
  });
});

describe("CloudNativePG backups to AWS S3 through IRSA", () => {
  it("parseS3Path / barmanPolicy / irsaTrust are exact", async () => {
    const { parseS3Path, barmanPolicy, irsaTrust } = await import("../../components/data/postgres/plan");
    expect(parseS3Path("s3://platform-backups/pg/main")).toEqual({ bucket: "platform-backups", prefix: "pg/main/" });
    expect(parseS3Path("s3://platform-backups")).toEqual({ bucket: "platform-backups", prefix: "" });
    const pol = JSON.parse(barmanPolicy("arn:aws:s3:::b", "pg/main/", "arn:aws:kms:us-east-1:123456789012:key/k"));
    expect(pol.Statement[1].Resource).toEqual(["arn:aws:s3:::b/pg/main/*"]);
    expect(pol.Statement[0].Condition.StringLike["s3:prefix"]).toEqual(["pg/main/*"]);
    const trust = JSON.parse(
      irsaTrust(
        "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
        "https://oidc.eks.us-east-1.amazonaws.com/id/X",
        "data",
        "main",
      ),
    );
    expect(trust.Statement[0].Condition.StringEquals).toEqual({
      "oidc.eks.us-east-1.amazonaws.com/id/X:sub": "system:serviceaccount:data:main",
      "oidc.eks.us-east-1.amazonaws.com/id/X:aud": "sts.amazonaws.com",
    });
  });

  it("creates the IRSA role and annotates the CNPG service account; no static keys", async () => {
    const inv = await runProgram(() => {
      const providers = { ...k8sProviders(), aws: awsOnly() };
      const pg = new Postgres(
        "main",
        {
          implementation: "operator",
          network: k8sNet,
          replicas: 2,
          backup: backupPolicy(TIERS.prod.backups),
          protect: true,
          backupTarget: {
            destinationPath: "s3://platform-backups/pg/main",
            irsa: {
              oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
              oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/X",
              bucketArn: "arn:aws:s3:::platform-backups",
            },
          },
        },
        { providers },
      );
      return { c: pg.connection };
    });
    const role = byType(inv, "aws:iam/role:Role")[0];
    expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/X:sub"]).toBe(
      "system:serviceaccount:data:main",
    );
    const cluster = k8sKind(inv, "Cluster")[0];
    const spec = cluster.inputs.spec as any;
    expect(spec.serviceAccountTemplate.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(`arn:aws:iam::123456789012:role/main-backup`);
    expect(spec.backup.barmanObjectStore.s3Credentials).toEqual({ inheritFromIAMRole: true });
    expect(k8sKind(inv, "Secret").map((s) => (s.inputs.metadata as any).name)).toEqual(["main-app-credentials"]);
    const net = inv.resources.find((r) => r.type === "platform:data:Postgres")!.outputs!.network as any;
    expect(net.egress.find((e: any) => e.purpose === "backups").to.kind).toBe("external");
  });
});
