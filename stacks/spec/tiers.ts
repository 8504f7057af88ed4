/**
 * The environment matrix: everything the tier decides, in one typed table.
 *
 * Topology (what runs) comes from the blueprint; the tier decides how much of it runs and how
 * safely: replicas, resources, HA, backups, retention, monitoring depth, policy enforcement.
 * It extends the music platform's table (replicas 1 / 2 / 3+, resources minimal / medium /
 * full, monitoring basic / enhanced / full, backups none / daily / hourly+daily).
 * `npm run docs` renders this table into docs/environments.md.
 */

import { NO_BACKUP_SCHEDULE, type BackupSchedule } from "../../components/data/backups";
import type { MonitoringDepth } from "../../components/monitoring/plan";

export const TIER_NAMES = ["local", "dev", "staging", "prod"] as const;
export type TierName = (typeof TIER_NAMES)[number];

export type ResourceClass = "minimal" | "medium" | "full";
export type BackupLevel = "none" | "daily" | "hourly+daily";
export type { MonitoringDepth };

/** What releases a blueGreen/canary service: Argo Rollouts (with analysis), or two plain Deployments switched by the Service. */
export type ProgressiveController = "deployments" | "argo-rollouts";

export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface TierProfile {
  /** Default hosting for this tier; a stack may override it with `platform:hosting`. */
  hosting: "kubernetes" | "singleHost";
  /** How the Kubernetes cluster is obtained when hosting is kubernetes. */
  cluster: "existing" | "eks";
  /** Replicas of a replicated service: min, and max when it autoscales. */
  replicas: { min: number; max: number };
  /** Resource class of every container (see RESOURCES). */
  resources: ResourceClass;
  /** HorizontalPodAutoscalers for services that declare autoscaling. */
  autoscaling: boolean;
  /** PodDisruptionBudgets and topology spread for services with >1 replica. */
  disruptionBudgets: boolean;
  /** Fraction of a blueprint's full-scale data replicas that run (read replicas, Redis replicas). */
  dataReplicaScale: 0 | 0.5 | 1;
  /** Multi-AZ primaries and automatic failover for managed data stores. */
  multiAz: boolean;
  /** Where data stores run. `statefulset`: plain in-cluster manifests, nothing fetched at run time. */
  dataPlacement: "statefulset" | "host-containers" | "blueprint";
  /**
   * What the data stores back up (components/data/backups.ts turns it into each store's `BackupPolicy`): daily full
   * backup at 03:00 UTC and its retention, hourly incremental, WAL archiving, the point-in-time-recovery window, the
   * Glacier archive of backup objects. Dev keeps a short daily backup instead of none: RDS read replicas require
   * automated backups on the source and CloudNativePG base backups need WAL archiving; it costs little and keeps dev
   * shaped like prod.
   */
  backups: BackupSchedule;
  /** Copy backups to the backup region when a store asks for cross-region replication. */
  crossRegionBackups: boolean;
  /** Pulumi `protect`, deletion protection and final snapshots on stateful resources. */
  protectState: boolean;
  monitoring: MonitoringDepth;
  /** Prometheus retention, days. */
  metricsRetentionDays: number;
  /** Application log retention, days (the music platform keeps 30; audit 90). */
  logRetentionDays: number;
  /** Enforcement of the baseline policies (TLS, headers and segmentation are always mandatory). */
  baselineEnforcement: "advisory" | "mandatory";
  /** Images must be pinned (no `latest`) — enforced in the spec and by policy. */
  pinnedImages: boolean;
  /** Cluster node groups: [min, desired, max] per workload class (EKS only). */
  nodes: { min: number; desired: number; max: number };
  /** EC2 instance types of the EKS node groups: `general` (the services) and `data` (the tainted group of in-cluster data stores, memory-optimised). */
  nodeInstanceTypes: { general: string; data: string };
  /** Certificate issuer for ingress TLS. */
  certificates: "self-signed" | "letsencrypt-staging" | "letsencrypt";
  /** The tier has a cloud account (AWS, the edge's provider). Without one (local) the program plans no provider beyond Kubernetes, no AWS footprint and no edge site. */
  cloudAccount: boolean;
  /** Cluster add-ons the platform installs: `all` (cert-manager, the ingress controller, metrics, the chart add-ons), or `ingress`, the ingress controller only (from the chart mirror when one is set; rendered manifests carry no Helm release). */
  clusterAddons: "all" | "ingress";
  /** How monitoring runs on a cluster: `helm`, kube-prometheus-stack from its pinned chart (Grafana, Alertmanager, the ServiceMonitor CRDs); `manifests`, a plain-manifest Prometheus, nothing fetched (no Grafana, no Alertmanager, no ServiceMonitors). */
  monitoringInstall: "helm" | "manifests";
  /** The blueprint's `localDevelopment` (the team's development chain and the services' URLs to it) runs in this tier. */
  localDevelopment: boolean;
  /** What releases a blueGreen/canary service: `argo-rollouts` where a real cluster runs the release (steps, analysis on declared metrics, abort), `deployments` (two Deployments, the Service switched) elsewhere. */
  progressiveDelivery: ProgressiveController;
  /** VPC flow logs: every flow (`ALL`) or rejected flows only (`REJECT`), kept logRetentionDays. */
  vpcFlowLogs: "ALL" | "REJECT";
  /** Days an image stays in the stack's ECR repositories after its push (music-platform-gitops view, "Container Registry": 90 days for production images, 30 for others). */
  imageRetentionDays: number;
  /** Largest volume of an in-cluster IPFS node, GiB: the blueprint's `storageGi` capped at this, or the blueprint's size unchanged where null. */
  ipfsStorageCapGi: number | null;
  /** Every secret the stack names must be set (`platform:secrets`, `platform:registryPasswords`, `platform:alertingSecrets`): the spec refuses the stack otherwise. Off where nothing real is deployed with them (local). */
  secretsRequired: boolean;
  /** Alerts must reach someone: the spec refuses a stack without an alert receiver (`platform:alerting.receivers`). */
  alertReceiversRequired: boolean;
  /** A blueprint signing key with `signer: kms` signs with a raw key where KMS cannot sign (no cloud account, or a single host); where false the spec refuses a single-host stack with a KMS signer instead. */
  rawSignerFallback: boolean;
  /** Argo CD environment of this tier when the blueprint delivers by GitOps and names a branch for it (the deploy repository's `values-<environment>.yaml`); null: the tier stays push. */
  gitopsEnvironment: "staging" | "production" | null;
}

/** The daily full backup's schedules (UTC): AWS Backup, CloudNativePG ScheduledBackup (six fields), RDS/ElastiCache window. */
const DAILY = { awsSchedule: "cron(0 3 ? * * *)", k8sSchedule: "0 0 3 * * *", window: "03:00-04:00" } as const;

/** The backup level a schedule amounts to (the at-a-glance row of docs/environments.md). */
export function backupLevel(s: BackupSchedule): BackupLevel {
  return !s.enabled ? "none" : s.hourly ? "hourly+daily" : "daily";
}

export const TIERS: Readonly<Record<TierName, TierProfile>> = {
  local: {
    hosting: "kubernetes",
    cluster: "existing",
    replicas: { min: 1, max: 1 },
    resources: "minimal",
    autoscaling: false,
    disruptionBudgets: false,
    dataReplicaScale: 0,
    multiAz: false,
    dataPlacement: "statefulset",
    backups: { ...NO_BACKUP_SCHEDULE },
    crossRegionBackups: false,
    protectState: false,
    monitoring: "basic",
    metricsRetentionDays: 1,
    logRetentionDays: 1,
    baselineEnforcement: "advisory",
    pinnedImages: false,
    nodes: { min: 0, desired: 0, max: 0 },
    nodeInstanceTypes: { general: "t3.medium", data: "r6i.large" },
    certificates: "self-signed",
    cloudAccount: false,
    clusterAddons: "ingress",
    monitoringInstall: "manifests",
    localDevelopment: true,
    progressiveDelivery: "deployments",
    vpcFlowLogs: "REJECT",
    imageRetentionDays: 30,
    ipfsStorageCapGi: 20,
    secretsRequired: false,
    alertReceiversRequired: false,
    rawSignerFallback: true,
    gitopsEnvironment: null,
  },
  dev: {
    hosting: "singleHost",
    cluster: "eks",
    replicas: { min: 1, max: 2 },
    resources: "minimal",
    autoscaling: false,
    disruptionBudgets: false,
    dataReplicaScale: 0,
    multiAz: false,
    dataPlacement: "host-containers",
    backups: { enabled: true, daily: { ...DAILY, retentionDays: 3 }, hourly: null, walArchiving: true, pitrDays: 3, archive: null },
    crossRegionBackups: false,
    protectState: false,
    monitoring: "basic",
    metricsRetentionDays: 7,
    logRetentionDays: 7,
    baselineEnforcement: "advisory",
    pinnedImages: false,
    nodes: { min: 1, desired: 1, max: 3 },
    nodeInstanceTypes: { general: "t3.medium", data: "r6i.large" },
    // Browsers call dev's hosts (the SPA's API origin): only the production CA is trusted by them.
    // One certificate per host keeps far below its limits (docs/design.md, "Certificates").
    certificates: "letsencrypt",
    cloudAccount: true,
    clusterAddons: "all",
    monitoringInstall: "helm",
    localDevelopment: false,
    progressiveDelivery: "deployments",
    vpcFlowLogs: "REJECT",
    imageRetentionDays: 30,
    ipfsStorageCapGi: 20,
    secretsRequired: true,
    alertReceiversRequired: false,
    rawSignerFallback: true,
    gitopsEnvironment: null,
  },
  staging: {
    hosting: "kubernetes",
    cluster: "eks",
    replicas: { min: 2, max: 6 },
    resources: "medium",
    autoscaling: true,
    disruptionBudgets: true,
    dataReplicaScale: 0.5,
    multiAz: false,
    dataPlacement: "blueprint",
    backups: { enabled: true, daily: { ...DAILY, retentionDays: 7 }, hourly: null, walArchiving: true, pitrDays: 7, archive: null },
    crossRegionBackups: false,
    protectState: false,
    monitoring: "enhanced",
    metricsRetentionDays: 15,
    logRetentionDays: 30,
    baselineEnforcement: "mandatory",
    pinnedImages: true,
    nodes: { min: 2, desired: 2, max: 6 },
    nodeInstanceTypes: { general: "m6i.large", data: "r6i.large" },
    certificates: "letsencrypt",
    cloudAccount: true,
    clusterAddons: "all",
    monitoringInstall: "helm",
    localDevelopment: false,
    progressiveDelivery: "argo-rollouts",
    vpcFlowLogs: "REJECT",
    imageRetentionDays: 30,
    ipfsStorageCapGi: 20,
    secretsRequired: true,
    alertReceiversRequired: true,
    rawSignerFallback: false,
    gitopsEnvironment: "staging",
  },
  prod: {
    hosting: "kubernetes",
    cluster: "eks",
    replicas: { min: 3, max: 20 },
    resources: "full",
    autoscaling: true,
    disruptionBudgets: true,
    dataReplicaScale: 1,
    multiAz: true,
    dataPlacement: "blueprint",
    backups: {
      enabled: true,
      daily: { ...DAILY, retentionDays: 35 },
      hourly: { awsSchedule: "cron(0 * ? * * *)", retentionDays: 7 },
      walArchiving: true,
      pitrDays: 35,
      archive: { transitionAfterDays: 30, expireAfterDays: 365 },
    },
    crossRegionBackups: true,
    protectState: true,
    monitoring: "full",
    metricsRetentionDays: 30,
    logRetentionDays: 30,
    baselineEnforcement: "mandatory",
    pinnedImages: true,
    nodes: { min: 3, desired: 3, max: 12 },
    nodeInstanceTypes: { general: "m6i.xlarge", data: "r6i.xlarge" },
    certificates: "letsencrypt",
    cloudAccount: true,
    clusterAddons: "all",
    monitoringInstall: "helm",
    localDevelopment: false,
    progressiveDelivery: "argo-rollouts",
    vpcFlowLogs: "ALL",
    imageRetentionDays: 90,
    ipfsStorageCapGi: null,
    secretsRequired: true,
    alertReceiversRequired: true,
    rawSignerFallback: false,
    gitopsEnvironment: "production",
  },
};

export const RESOURCES: Readonly<Record<ResourceClass, ContainerResources>> = {
  minimal: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  medium: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
  full: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1000m", memory: "2Gi" } },
};

/** Replica range for one service in a tier: single for non-replicated services. */
export function serviceReplicas(tier: TierProfile, svc: { replicated: boolean; autoscaling?: unknown }): { min: number; max: number } {
  if (!svc.replicated) return { min: 1, max: 1 };
  const min = tier.replicas.min;
  const max = svc.autoscaling && tier.autoscaling ? Math.max(tier.replicas.max, min) : min;
  return { min, max };
}

/** Data replicas that run in a tier, from the blueprint's full-scale count. */
export function dataReplicas(tier: TierProfile, fullScale: number): number {
  if (fullScale === 0 || tier.dataReplicaScale === 0) return 0;
  return Math.max(1, Math.floor(fullScale * tier.dataReplicaScale));
}
