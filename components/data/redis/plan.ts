/** Pure planning for `Redis`. No Pulumi import. */
import type { BackupPolicy } from "../backups";
import { clientRule, metricsRule, restrictedContainerSecurity, restrictedPodSecurity, selfRule, storeLabels, tcp, k8sNameProblems } from "../network";
import type { ClusterNetwork, DataNetwork } from "../network";
import { VERSION_PINS } from "../../charts";

export const REDIS_PORT = 6379;

export interface ManagedRedisPlanInput {
  name: string;
  version: string;
  replicas: number;
  multiAz: boolean;
  finalSnapshot: boolean;
  backup: BackupPolicy;
  protect: boolean;
  tls: { enabled: boolean };
  subnetCount: number;
  allowedSecurityGroupCount: number;
}

export interface ManagedRedisPlan {
  problems: string[];
  port: number;
  engineVersion: string;
  parameterGroupName: string;
  numCacheClusters: number;
  automaticFailover: boolean;
  multiAz: boolean;
  snapshotRetentionLimit: number;
  snapshotWindow?: string;
  finalSnapshotIdentifier?: string;
  protect: boolean;
  network: DataNetwork;
}

export function planManagedRedis(i: ManagedRedisPlanInput): ManagedRedisPlan {
  const problems: string[] = [];
  if (!i.tls.enabled) problems.push("tls.enabled: ElastiCache here always requires TLS in transit (and an AUTH token); remove tls.enabled=false");
  if (i.multiAz && i.replicas < 1) problems.push("multiAz: Multi-AZ with automatic failover needs replicas ≥ 1; set replicas: 1 or multiAz: false");
  if (i.subnetCount < 2) problems.push("network.subnetIds: give at least two private subnets in different AZs");
  if (i.allowedSecurityGroupCount < 1) problems.push("network.allowedSecurityGroupIds: give the app tier's security group id(s)");
  const retention = i.backup.daily ? Math.min(i.backup.daily.retentionDays, 35) : 0;
  return {
    problems,
    port: REDIS_PORT,
    engineVersion: VERSION_PINS.elasticacheRedis.value,
    parameterGroupName: "default.redis7",
    numCacheClusters: 1 + i.replicas,
    automaticFailover: i.replicas > 0,
    multiAz: i.multiAz && i.replicas > 0,
    snapshotRetentionLimit: retention,
    ...(i.backup.daily ? { snapshotWindow: i.backup.daily.window } : {}),
    ...(i.finalSnapshot && retention > 0 ? { finalSnapshotIdentifier: `${i.name}-final` } : {}),
    protect: i.protect,
    network: { kind: "aws", ports: [tcp("redis", REDIS_PORT)], allowedSecurityGroupCount: i.allowedSecurityGroupCount },
  };
}

export interface ClusterRedisPlanInput {
  name: string;
  replicas: number;
  persistence: "aof" | "rdb" | "none";
  protect: boolean;
  tls: { enabled: boolean; certSecretName?: string };
  network: ClusterNetwork;
  /** redis_exporter sidecar + PodMonitor. */
  metrics?: boolean;
}

/** redis_exporter's listen port (its default `:9121`). */
export const REDIS_EXPORTER_PORT = 9121;

export interface ClusterRedisPlan {
  problems: string[];
  port: number;
  pods: number;
  names: { statefulSet: string; headless: string; primary: string; reader: string; secret: string };
  host: string;
  readerHost: string;
  labels: Record<string, string>;
  podLabels: Record<string, string>;
  /** Static redis.conf (ConfigMap); auth lines are appended at start from the Secret-backed env var. */
  configFile: string;
  /** Shell run by the container: pod 0 is the primary, others replicate from it. */
  startScript: string;
  pvc: boolean;
  tls: boolean;
  /**
   * The exporter sidecar's environment (redis_exporter reads REDIS_ADDR and REDIS_PASSWORD; over TLS
   * it dials the pod's own loopback, `rediss://localhost`) and its PodMonitor;
   * null without metrics.
   */
  exporter: null | { port: number; env: { name: string; value: string }[]; podMonitor: { name: string; selector: Record<string, string> } };
  podSecurity: Record<string, unknown>;
  containerSecurity: Record<string, unknown>;
  protect: boolean;
  network: DataNetwork;
}

export function planClusterRedis(i: ClusterRedisPlanInput): ClusterRedisPlan {
  const problems: string[] = [...k8sNameProblems(i.name)];
  if (i.tls.enabled && !i.tls.certSecretName) {
    problems.push(
      "tls.certSecretName: in-cluster Redis needs a kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) for client TLS; give one, or set tls.enabled=false explicitly",
    );
  }
  const ns = i.network.namespace;
  const names = { statefulSet: i.name, headless: `${i.name}-headless`, primary: i.name, reader: `${i.name}-ro`, secret: `${i.name}-auth` };
  const tls = i.tls.enabled;
  const persist =
    i.persistence === "aof"
      ? ["appendonly yes", "appendfsync everysec"]
      : i.persistence === "rdb"
        ? ["appendonly no", "save 900 1 300 10 60 10000"]
        : ["appendonly no", 'save ""'];
  const net = tls
    ? [
        "port 0",
        `tls-port ${REDIS_PORT}`,
        "tls-cert-file /tls/tls.crt",
        "tls-key-file /tls/tls.key",
        "tls-ca-cert-file /tls/ca.crt",
        "tls-auth-clients no",
        "tls-replication yes",
      ]
    : [`port ${REDIS_PORT}`];
  const configFile = ["dir /data", "protected-mode yes", ...net, ...persist, "replica-read-only yes", ""].join("\n");
  const primaryFqdn = `${i.name}-0.${names.headless}.${ns}.svc.cluster.local`;
  // The password comes from the Secret-backed env var and is written to a file on an
  // emptyDir (mode 600) at start, so it never appears in args, the ConfigMap or the spec.
  const startScript = [
    "set -eu",
    "umask 077",
    "{",
    "  cat /etc/redis/redis.conf",
    '  printf \'requirepass "%s"\\nmasterauth "%s"\\n\' "$REDIS_PASSWORD" "$REDIS_PASSWORD"',
    "  case \"$HOSTNAME\" in *-0) ;; *) printf 'replicaof %s %s\\n' " + `${primaryFqdn} ${REDIS_PORT}` + " ;; esac",
    "} > /tmp/redis.conf",
    "exec redis-server /tmp/redis.conf",
  ].join("\n");
  const podLabels = { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": i.name };
  const port = tcp("redis", REDIS_PORT);
  const ingress = [clientRule(podLabels, [port], i.network)];
  const egress: Extract<DataNetwork, { kind: "kubernetes" }>["egress"] = [];
  if (i.metrics) ingress.push(metricsRule(podLabels, tcp("metrics", REDIS_EXPORTER_PORT)));
  if (i.replicas > 0) {
    ingress.push(selfRule("replication", podLabels, [port], ns));
    egress.push({ purpose: "replication", podSelector: podLabels, ports: [port], to: { kind: "peers", peers: { namespaces: [ns], podSelector: podLabels } } });
  }
  return {
    problems,
    port: REDIS_PORT,
    pods: 1 + i.replicas,
    names,
    host: `${names.primary}.${ns}.svc.cluster.local`,
    readerHost: `${i.replicas > 0 ? names.reader : names.primary}.${ns}.svc.cluster.local`,
    labels: storeLabels(i.name, "redis"),
    podLabels,
    configFile,
    startScript,
    pvc: i.persistence !== "none",
    tls,
    exporter: i.metrics
      ? {
          port: REDIS_EXPORTER_PORT,
          env: [
            { name: "REDIS_ADDR", value: `${tls ? "rediss" : "redis"}://localhost:${REDIS_PORT}` },
            // Certificate verification is off for this one hop only: it never leaves the pod
            // (loopback inside the pod's network namespace), and the server certificate names the
            // services, not `localhost`. Clients still verify (ca.crt, the service names).
            ...(tls ? [{ name: "REDIS_EXPORTER_SKIP_TLS_VERIFICATION", value: "true" }] : []),
          ],
          podMonitor: { name: i.name, selector: podLabels },
        }
      : null,
    podSecurity: restrictedPodSecurity(999),
    containerSecurity: restrictedContainerSecurity(true),
    protect: i.protect,
    network: { kind: "kubernetes", namespace: ns, ports: [port], ingress, egress },
  };
}
