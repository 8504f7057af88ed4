/**
 * Pure planning for `Postgres`: every name, count, parameter, schedule and network rule.
 * Data in, data out; no Pulumi import. The class turns these plans into resources.
 */
import { CHART_PINS, VERSION_PINS } from "../../charts";
import type { BackupPolicy } from "../backups";
import { clientRule, metricsRule, restrictedContainerSecurity, restrictedPodSecurity, selfRule, storeLabels, tcp, k8sNameProblems } from "../network";
import type { ClusterNetwork, DataNetwork, PortSpec } from "../network";
import { inClusterEndpoint } from "./backupTarget";

export { barmanPolicy, inClusterEndpoint, irsaTrust, parseS3Path } from "./backupTarget";

export const PG_PORT = 5432;
/** CloudNativePG operator chart (pinned in components/charts.ts). */
export const CNPG_CHART = CHART_PINS.cloudnativePg;
/** CloudNativePG operand images per major version (pinned minor). */
export const CNPG_IMAGES: Record<string, string> = {
  "14": VERSION_PINS.cnpgPostgres14.value,
  "15": VERSION_PINS.cnpgPostgres15.value,
  "16": VERSION_PINS.cnpgPostgres16.value,
  "17": VERSION_PINS.cnpgPostgres17.value,
};

interface CommonPlanInput {
  name: string;
  version: string;
  replicas: number;
  pooling?: boolean;
  backup: BackupPolicy;
  protect: boolean;
  tls: { enabled: boolean; certSecretName?: string };
}

// ------------------------------------------------------------------ managed (RDS)

export interface ManagedPlanInput extends CommonPlanInput {
  /** `rds` (instances) or `aurora` (cluster + instances); default rds. */
  engine?: "rds" | "aurora";
  multiAz: boolean;
  deletionProtection: boolean;
  finalSnapshot: boolean;
  performanceInsights: boolean;
  storageGb: number;
  maxStorageGb?: number;
  subnetCount: number;
  allowedSecurityGroupCount: number;
  hasSecondaryRegionProvider: boolean;
}

export interface AwsBackupRule {
  ruleName: string;
  schedule: string;
  deleteAfterDays: number;
  continuous: boolean;
  copyToSecondaryRegion: boolean;
  coldStorageAfterDays?: number;
}

/** Aurora PostgreSQL engine versions per major (pinned minor, components/charts.ts). */
export const AURORA_VERSIONS: Record<string, string> = {
  "15": VERSION_PINS.auroraPostgres15.value,
  "16": VERSION_PINS.auroraPostgres16.value,
  "17": VERSION_PINS.auroraPostgres17.value,
};

export interface ManagedPlan {
  problems: string[];
  engine: "rds" | "aurora";
  family: string;
  engineVersion: string;
  parameters: { name: string; value: string; applyMethod: "immediate" | "pending-reboot" }[];
  port: number;
  primary: {
    multiAz: boolean;
    backupRetentionPeriod: number;
    backupWindow?: string;
    maintenanceWindow: string;
    deletionProtection: boolean;
    skipFinalSnapshot: boolean;
    finalSnapshotIdentifier?: string;
    allocatedStorage: number;
    maxAllocatedStorage: number;
    performanceInsightsRetentionPeriod?: number;
  };
  replicaNames: string[];
  /**
   * Aurora: where reads go. `proxy-read-only` = an RDS Proxy endpoint of role READ_ONLY (pooled,
   * spread across every Aurora Replica); `cluster-reader` = the cluster's reader endpoint (spread
   * across every replica, not pooled). RDS: null (a replica instance is read directly).
   */
  readerEndpoint: null | "proxy-read-only" | "cluster-reader";
  /** RDS Proxy in front of the primary (TLS required, credentials from Secrets Manager); null = none. */
  proxy: null | {
    requireTls: true;
    idleClientTimeout: number;
    maxConnectionsPercent: number;
    maxIdleConnectionsPercent: number;
    clientPasswordAuthType: string;
  };
  /** AWS Backup plan (hourly/daily/cross-region) on top of RDS automated backups; null = RDS automated backups only. */
  awsBackup: null | { rules: AwsBackupRule[]; needsSecondaryVault: boolean };
  protect: boolean;
  network: DataNetwork;
}

export function planManagedPostgres(i: ManagedPlanInput): ManagedPlan {
  const problems: string[] = [];
  const b = i.backup;
  if (!i.tls.enabled) problems.push("tls.enabled: RDS always enforces TLS here (rds.force_ssl=1); remove tls.enabled=false");
  if (i.subnetCount < 2) problems.push("network.subnetIds: give at least two private subnets in different AZs");
  if (i.allowedSecurityGroupCount < 1) problems.push("network.allowedSecurityGroupIds: give the app tier's security group id(s)");
  if (i.replicas > 0 && b.pitrDays < 1) {
    problems.push("replicas: RDS read replicas need automated backups on the primary; use a backup policy with pitrDays ≥ 1 (dev or higher)");
  }
  if (b.crossRegion && !i.hasSecondaryRegionProvider) {
    problems.push("secondaryRegionProvider: backup.crossRegion is set; pass an aws.Provider for the copy region");
  }
  if (i.maxStorageGb !== undefined && i.maxStorageGb < i.storageGb) problems.push("maxStorageGb: must be ≥ storageGb");
  if (i.storageGb < 20) problems.push("storageGb: RDS gp3 storage starts at 20 GiB");
  const engine = i.engine ?? "rds";
  if (engine === "aurora" && !AURORA_VERSIONS[i.version])
    problems.push(`version: Aurora PostgreSQL is pinned for ${Object.keys(AURORA_VERSIONS).join(", ")}; use one of those or engine: rds`);

  const rules: AwsBackupRule[] = [];
  if (b.hourly) {
    rules.push({
      ruleName: "hourly",
      schedule: b.hourly.awsSchedule,
      deleteAfterDays: b.hourly.retentionDays,
      continuous: false,
      copyToSecondaryRegion: false,
    });
  }
  if (b.daily && (b.hourly || b.crossRegion)) {
    // RDS automated backups already give a daily snapshot + PITR; AWS Backup adds the
    // daily full with a continuous (PITR) recovery point and the cross-region copy.
    const rule: AwsBackupRule = {
      ruleName: "daily",
      schedule: b.daily.awsSchedule,
      deleteAfterDays: b.daily.retentionDays,
      continuous: b.hourly !== null,
      copyToSecondaryRegion: b.crossRegion !== null,
    };
    rules.push(rule);
  }

  return {
    problems,
    engine,
    family: engine === "aurora" ? `aurora-postgresql${i.version}` : `postgres${i.version}`,
    engineVersion: engine === "aurora" ? (AURORA_VERSIONS[i.version] ?? i.version) : i.version,
    parameters: [
      { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
      { name: "password_encryption", value: "scram-sha-256", applyMethod: "immediate" },
      { name: "log_connections", value: "1", applyMethod: "immediate" },
      { name: "log_min_duration_statement", value: "1000", applyMethod: "immediate" },
    ],
    port: PG_PORT,
    primary: {
      multiAz: i.multiAz,
      backupRetentionPeriod: b.pitrDays,
      ...(b.daily ? { backupWindow: b.daily.window } : {}),
      maintenanceWindow: "sun:04:30-sun:05:30",
      deletionProtection: i.deletionProtection,
      skipFinalSnapshot: !i.finalSnapshot,
      ...(i.finalSnapshot ? { finalSnapshotIdentifier: `${i.name}-final` } : {}),
      allocatedStorage: i.storageGb,
      maxAllocatedStorage: i.maxStorageGb ?? i.storageGb * 2,
      ...(i.performanceInsights ? { performanceInsightsRetentionPeriod: 7 } : {}),
    },
    replicaNames: Array.from({ length: i.replicas }, (_, k) => `${i.name}-replica-${k + 1}`),
    readerEndpoint: engine === "aurora" ? (i.pooling ? "proxy-read-only" : "cluster-reader") : null,
    proxy: i.pooling
      ? {
          requireTls: true,
          idleClientTimeout: 1800,
          maxConnectionsPercent: 90,
          maxIdleConnectionsPercent: 50,
          clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
        }
      : null,
    awsBackup: rules.length ? { rules, needsSecondaryVault: rules.some((r) => r.copyToSecondaryRegion) } : null,
    protect: i.protect,
    network: { kind: "aws", ports: [tcp("postgres", PG_PORT)], allowedSecurityGroupCount: i.allowedSecurityGroupCount },
  };
}

// ------------------------------------------------------------------ in-cluster

/** The pod selector of an in-cluster Postgres (e.g. for `ObjectStore` `storePeers`, so CNPG can upload backups). */
export function postgresPodSelector(name: string, implementation: "operator" | "statefulset" = "operator"): Record<string, string> {
  return implementation === "operator" ? { "cnpg.io/cluster": name } : { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": name };
}

export interface ClusterPlanInput extends CommonPlanInput {
  implementation: "operator" | "statefulset";
  database: string;
  username: string;
  network: ClusterNetwork;
  operatorNamespace?: string;
  /** The barman target, if any (`endpointUrl` omitted = AWS S3). */
  backupTarget?: { endpointUrl?: string };
  /** CNPG's exporters scraped through PodMonitors (instances :9187, poolers :9127). */
  metrics?: boolean;
}

/** CloudNativePG's metrics ports: every instance's exporter and every PgBouncer pooler's. */
export const CNPG_METRICS_PORT = 9187;
export const CNPG_POOLER_METRICS_PORT = 9127;

export interface ClusterPlan {
  problems: string[];
  /** Object names in the data namespace. */
  names: {
    cluster: string;
    appSecret: string;
    backupSecret: string;
    scheduledBackup: string;
    service: string;
    readerService: string;
    configMap: string;
    pooler: string;
    readerPooler: string;
  };
  /** CNPG PgBouncer Pooler (rw) in front of the primary; null = none. `host` then points at it. */
  pooler: null | { instances: number; podLabels: Record<string, string> };
  /**
   * CNPG PgBouncer Pooler of type `ro` in front of every replica (CNPG balances its connections
   * across the `-ro` service's endpoints, i.e. all replicas); null without pooling or replicas.
   * `readerHost` then points at it, so reads are pooled and spread across all replicas.
   */
  readerPooler: null | { name: string; instances: number; podLabels: Record<string, string> };
  /** The primary's own service host (direct, for migrations); equals `host` without pooling. */
  primaryHost: string;
  host: string;
  readerHost: string;
  port: number;
  instances: number;
  podLabels: Record<string, string>;
  labels: Record<string, string>;
  /** Extra pg_hba lines placed before the operator's defaults: plain-text connections are rejected. */
  pgHba: string[];
  sslmode: "verify-full" | "require" | "disable";
  /**
   * PodMonitors (monitoring.coreos.com/v1) scraping CNPG's exporters on the port named `metrics`:
   * the instances (`cnpg.io/cluster` + `cnpg.io/podRole: instance`) and each pooler
   * (`cnpg.io/poolerName`). An explicit object: the Cluster's `monitoring.enablePodMonitor` is
   * deprecated in CloudNativePG 1.30 ("create a PodMonitor manually"). Empty without metrics.
   */
  podMonitors: { name: string; selector: Record<string, string> }[];
  scheduledBackup: null | { schedule: string; retention: string };
  walArchiving: boolean;
  podSecurity: Record<string, unknown>;
  containerSecurity: Record<string, unknown>;
  protect: boolean;
  network: DataNetwork;
}

export function planClusterPostgres(i: ClusterPlanInput): ClusterPlan {
  const problems: string[] = [...k8sNameProblems(i.name)];
  const ns = i.network.namespace;
  const isOperator = i.implementation === "operator";
  if (!isOperator) {
    if (i.replicas > 0) problems.push("replicas: implementation statefulset runs a single instance; use implementation operator (CloudNativePG) for replicas");
    if (i.backup.enabled)
      problems.push("backup: implementation statefulset has no backup machinery; use implementation operator or managed, or a backup policy for tier local");
    if (i.pooling) problems.push("pooling: implementation statefulset has no pooler; use implementation operator (CNPG Pooler) or managed (RDS Proxy)");
    if (i.tls.enabled && !i.tls.certSecretName) {
      problems.push(
        "tls.certSecretName: a plain StatefulSet needs a kubernetes.io/tls Secret for client TLS; give one, or set tls.enabled=false explicitly (local only)",
      );
    }
  } else {
    if (!i.tls.enabled) problems.push("tls.enabled: CloudNativePG always serves TLS and this component rejects plain-text clients; remove tls.enabled=false");
    if (i.backup.enabled && !i.backupTarget)
      problems.push("backupTarget: backup is enabled for this tier; give the object store (s3://bucket/prefix) for WAL and base backups");
  }

  const labels = storeLabels(i.name, "postgres");
  const podLabels = postgresPodSelector(i.name, i.implementation);
  const port = tcp("postgres", PG_PORT);
  const ingress = [clientRule(podLabels, [port], i.network)];
  const egress: Extract<DataNetwork, { kind: "kubernetes" }>["egress"] = [];
  if (isOperator) {
    const status = tcp("cnpg-status", 8000);
    ingress.push(selfRule("replication", podLabels, [port, status], ns));
    ingress.push({
      purpose: "operator",
      podSelector: podLabels,
      ports: [port, status],
      from: { namespaces: [i.operatorNamespace ?? "cnpg-system"], podSelector: { "app.kubernetes.io/name": "cloudnative-pg" } },
    });
    egress.push({
      purpose: "replication",
      podSelector: podLabels,
      ports: [port, status],
      to: { kind: "peers", peers: { namespaces: [ns], podSelector: podLabels } },
    });
    egress.push({
      purpose: "kubernetes-api",
      podSelector: podLabels,
      ports: [tcp("https", 443), tcp("apiserver", 6443)],
      to: { kind: "external", description: "the Kubernetes API server (instance manager)" },
    });
    if (i.backup.enabled && i.backupTarget) {
      const inCluster = inClusterEndpoint(i.backupTarget.endpointUrl);
      egress.push(
        inCluster
          ? {
              purpose: "backups",
              podSelector: podLabels,
              ports: [tcp("s3", inCluster.port)],
              to: { kind: "peers", peers: { namespaces: [inCluster.namespace] } },
            }
          : {
              purpose: "backups",
              podSelector: podLabels,
              ports: [tcp("https", 443)],
              to: { kind: "external", description: "the S3 endpoint holding WAL and base backups" },
            },
      );
    }
  }

  const poolerName = `${i.name}-pooler-rw`;
  const pooler = isOperator && i.pooling ? { instances: Math.min(2, 1 + i.replicas), podLabels: { "cnpg.io/poolerName": poolerName } } : null;
  if (pooler) {
    // Clients reach the pooler instead of (and as well as) the instances; the pooler reaches the instances.
    ingress.push(clientRule(pooler.podLabels, [port], i.network));
    ingress.push({ purpose: "pooler", podSelector: podLabels, ports: [port], from: { namespaces: [ns], podSelector: pooler.podLabels } });
    egress.push({
      purpose: "pooler",
      podSelector: pooler.podLabels,
      ports: [port],
      to: { kind: "peers", peers: { namespaces: [ns], podSelector: podLabels } },
    });
    egress.push({
      purpose: "kubernetes-api",
      podSelector: pooler.podLabels,
      ports: [tcp("https", 443), tcp("apiserver", 6443)],
      to: { kind: "external", description: "the Kubernetes API server (pooler instance manager)" },
    });
  }

  const readerPoolerName = `${i.name}-pooler-ro`;
  const readerPooler =
    pooler && i.replicas > 0 ? { name: readerPoolerName, instances: Math.min(2, i.replicas), podLabels: { "cnpg.io/poolerName": readerPoolerName } } : null;
  if (readerPooler) {
    ingress.push(clientRule(readerPooler.podLabels, [port], i.network));
    ingress.push({ purpose: "reader-pooler", podSelector: podLabels, ports: [port], from: { namespaces: [ns], podSelector: readerPooler.podLabels } });
    egress.push({
      purpose: "reader-pooler",
      podSelector: readerPooler.podLabels,
      ports: [port],
      to: { kind: "peers", peers: { namespaces: [ns], podSelector: podLabels } },
    });
    egress.push({
      purpose: "kubernetes-api",
      podSelector: readerPooler.podLabels,
      ports: [tcp("https", 443), tcp("apiserver", 6443)],
      to: { kind: "external", description: "the Kubernetes API server (pooler instance manager)" },
    });
  }

  const podMonitors: ClusterPlan["podMonitors"] = [];
  if (isOperator && i.metrics) {
    const instances = { ...podLabels, "cnpg.io/podRole": "instance" };
    ingress.push(metricsRule(podLabels, tcp("metrics", CNPG_METRICS_PORT)));
    podMonitors.push({ name: i.name, selector: instances });
    for (const p of [pooler ? { name: poolerName, podLabels: pooler.podLabels } : null, readerPooler]) {
      if (!p) continue;
      ingress.push(metricsRule(p.podLabels, tcp("metrics", CNPG_POOLER_METRICS_PORT)));
      podMonitors.push({ name: p.name, selector: p.podLabels });
    }
  }

  const tlsOn = isOperator || i.tls.enabled;
  const primaryService = isOperator ? `${i.name}-rw` : i.name;
  const service = pooler ? poolerName : primaryService;
  // Reads: the ro pooler (pooled, spread over every replica), else the `-ro` service (every replica), else the primary.
  const readerService = readerPooler ? readerPoolerName : isOperator ? (i.replicas > 0 ? `${i.name}-ro` : service) : i.name;
  return {
    problems,
    names: {
      cluster: i.name,
      appSecret: `${i.name}-app-credentials`,
      backupSecret: `${i.name}-backup-credentials`,
      scheduledBackup: `${i.name}-daily`,
      service,
      readerService,
      configMap: `${i.name}-config`,
      pooler: poolerName,
      readerPooler: readerPoolerName,
    },
    pooler,
    readerPooler,
    primaryHost: `${primaryService}.${ns}.svc.cluster.local`,
    host: `${service}.${ns}.svc.cluster.local`,
    readerHost: `${readerService}.${ns}.svc.cluster.local`,
    port: PG_PORT,
    instances: 1 + i.replicas,
    podLabels,
    labels,
    pgHba: tlsOn ? ["hostnossl all all all reject", "hostssl all all all scram-sha-256"] : ["host all all all scram-sha-256"],
    sslmode: isOperator ? "verify-full" : tlsOn ? "require" : "disable",
    podMonitors,
    scheduledBackup:
      isOperator && i.backup.daily
        ? { schedule: i.backup.daily.k8sSchedule, retention: `${Math.max(i.backup.pitrDays, i.backup.daily.retentionDays)}d` }
        : null,
    walArchiving: isOperator && i.backup.walArchiving && i.backupTarget !== undefined,
    podSecurity: restrictedPodSecurity(isOperator ? 26 : 999),
    containerSecurity: restrictedContainerSecurity(true),
    protect: i.protect,
    network: { kind: "kubernetes", namespace: ns, ports: [port] as PortSpec[], ingress, egress },
  };
}
