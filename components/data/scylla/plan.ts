/** Pure planning for `Scylla`: racks, keyspace CQL, scylla.yaml, network rules. No Pulumi import. */
import { CHART_PINS } from "../../charts";
import type { BackupPolicy } from "../backups";
import { clientRule, metricsRule, restrictedContainerSecurity, restrictedPodSecurity, selfRule, storeLabels, tcp, k8sNameProblems } from "../network";
import type { ClusterNetwork, DataNetwork } from "../network";

export const CQL_PORT = 9042;
export const CQL_SHARD_AWARE_PORT = 19042;
/** Scylla Operator chart (pinned in components/charts.ts). */
export const SCYLLA_OPERATOR_CHART = CHART_PINS.scyllaOperator;

export interface ScyllaPlanInput {
  name: string;
  datacenter: string;
  racks: number;
  membersPerRack: number;
  keyspaces: { name: string; replicationFactor: number; durableWrites: boolean }[];
  username: string;
  backup: BackupPolicy;
  backupLocation?: string;
  managerNamespace: string;
  protect: boolean;
  tls: { enabled: boolean; certSecretName?: string };
  network: ClusterNetwork;
  /** Operator implementation with metrics: a ServiceMonitor on the member Services. */
  metrics?: boolean;
}

/** ScyllaDB's Prometheus port, named `prometheus` on the operator's member Services. */
export const SCYLLA_METRICS_PORT = 9180;

export interface ScyllaPlan {
  problems: string[];
  members: number;
  racks: { name: string; members: number }[];
  names: { cluster: string; config: string; secret: string; job: string; clientService: string };
  host: string;
  port: number;
  labels: Record<string, string>;
  podLabels: Record<string, string>;
  jobLabels: Record<string, string>;
  /** scylla.yaml overrides (ConfigMap): password auth, and client TLS on the CQL ports. */
  scyllaYaml: string;
  /** CQL the keyspace Job runs; `$APP_PASSWORD` / `$ADMIN_PASSWORD` are filled from the Secret at run time. */
  keyspaceCql: string;
  jobScript: string;
  backupTasks: { name: string; location: string[]; cron: string; retention: number }[];
  /**
   * ServiceMonitor selecting the member Services the operator creates for each node
   * (`scylla/cluster`, `scylla-operator.scylladb.com/scylla-service-type: member`; port
   * `prometheus` 9180, scylla-operator pkg/controller/scyllacluster resource.go); null without metrics.
   */
  serviceMonitor: null | { name: string; selector: Record<string, string>; port: string };
  tls: boolean;
  jobPodSecurity: Record<string, unknown>;
  jobContainerSecurity: Record<string, unknown>;
  protect: boolean;
  network: DataNetwork;
}

/**
 * Replication for a keyspace by durability, capped by the datacenter's members:
 * `persistent` RF 3 (NetworkTopologyStrategy), durable writes; `volatile` (rebuildable caches)
 * RF 2, no commit log. A one-member dev cluster gets RF 1 for both.
 */
export function keyspaceSettings(durability: "persistent" | "volatile", members: number): { replicationFactor: number; durableWrites: boolean } {
  return durability === "persistent"
    ? { replicationFactor: Math.min(3, members), durableWrites: true }
    : { replicationFactor: Math.min(2, members), durableWrites: false };
}

/**
 * Seastar's `--memory` for a node limited to `limit`: three quarters of it (the rest is the
 * image's supervisor, cqlsh and page cache headroom), in MiB. `4Gi` → `3072M`.
 */
export function scyllaMemoryArg(limit: string): string {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)$/.exec(limit);
  if (!m) throw new Error(`resources.memory: '${limit}' — give the ScyllaDB node's memory in Mi or Gi (e.g. 1Gi)`);
  const mib = Number(m[1]) * (m[2]!.startsWith("G") ? 1024 : 1);
  return `${Math.floor(mib * 0.75)}M`;
}

export function keyspaceStatement(
  k: { name: string; replicationFactor: number; durableWrites: boolean },
  dc: string,
  verb: "CREATE KEYSPACE IF NOT EXISTS" | "ALTER KEYSPACE",
): string {
  return `${verb} ${k.name} WITH replication = {'class': 'NetworkTopologyStrategy', '${dc}': ${k.replicationFactor}} AND durable_writes = ${k.durableWrites};`;
}

export function planScylla(i: ScyllaPlanInput): ScyllaPlan {
  const problems: string[] = [...k8sNameProblems(i.name)];
  const members = i.racks * i.membersPerRack;
  for (const [idx, k] of i.keyspaces.entries()) {
    if (k.replicationFactor > members)
      problems.push(`keyspaces.${idx}.replicationFactor: ${k.replicationFactor} exceeds the ${members} member(s) of datacenter ${i.datacenter}`);
  }
  if (i.tls.enabled && !i.tls.certSecretName) {
    problems.push("tls.certSecretName: client TLS needs a kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt); give one, or set tls.enabled=false explicitly");
  }
  if (i.backup.enabled && !i.backupLocation) {
    problems.push("backupLocation: backup is enabled; give a Scylla Manager location such as s3:bucket (or pass noBackups() for pure caches)");
  }
  const ns = i.network.namespace;
  const names = { cluster: i.name, config: `${i.name}-config`, secret: `${i.name}-credentials`, job: `${i.name}-keyspaces`, clientService: `${i.name}-client` };
  const tls = i.tls.enabled;
  const scyllaYaml = [
    "authenticator: PasswordAuthenticator",
    "authorizer: CassandraAuthorizer",
    ...(tls
      ? ["client_encryption_options:", "  enabled: true", "  certificate: /var/lib/scylla-client-tls/tls.crt", "  keyfile: /var/lib/scylla-client-tls/tls.key"]
      : []),
    "",
  ].join("\n");
  const keyspaceCql = [
    ...i.keyspaces.flatMap((k) => [keyspaceStatement(k, i.datacenter, "CREATE KEYSPACE IF NOT EXISTS"), keyspaceStatement(k, i.datacenter, "ALTER KEYSPACE")]),
    `CREATE ROLE IF NOT EXISTS ${i.username} WITH PASSWORD = '$APP_PASSWORD' AND LOGIN = true;`,
    `ALTER ROLE ${i.username} WITH PASSWORD = '$APP_PASSWORD';`,
    ...i.keyspaces.map((k) => `GRANT ALL PERMISSIONS ON KEYSPACE ${k.name} TO ${i.username};`),
    "ALTER ROLE cassandra WITH PASSWORD = '$ADMIN_PASSWORD';",
    "",
  ].join("\n");
  const host = `${names.clientService}.${ns}.svc.cluster.local`;
  const ssl = tls ? "--ssl " : "";
  // Credentials go to a cqlshrc on an emptyDir (never in args or the ConfigMap). The default
  // superuser password is replaced by the generated one on the first successful run.
  const jobScript = [
    "set -eu",
    "umask 077",
    "export HOME=/tmp",
    ...(tls ? ["export SSL_CERTFILE=/tls/ca.crt SSL_VALIDATE=true"] : []),
    "rc() { printf '[authentication]\\nusername = cassandra\\npassword = %s\\n' \"$1\" > /tmp/cqlshrc; }",
    `try() { rc "$1"; cqlsh ${ssl}--cqlshrc=/tmp/cqlshrc ${host} ${CQL_PORT} -e 'DESCRIBE KEYSPACES' >/dev/null 2>&1; }`,
    'until try "$ADMIN_PASSWORD" || try cassandra; do echo waiting for scylla; sleep 10; done',
    'sed -e "s|\\$APP_PASSWORD|$APP_PASSWORD|g" -e "s|\\$ADMIN_PASSWORD|$ADMIN_PASSWORD|g" /etc/scylla-keyspaces/keyspaces.cql > /tmp/setup.cql',
    `cqlsh ${ssl}--cqlshrc=/tmp/cqlshrc ${host} ${CQL_PORT} -f /tmp/setup.cql`,
  ].join("\n");

  const podLabels = { "scylla/cluster": i.name };
  const jobLabels = { "app.kubernetes.io/name": "scylla-keyspaces", "app.kubernetes.io/instance": i.name };
  const cql = [tcp("cql", CQL_PORT), tcp("cql-shard-aware", CQL_SHARD_AWARE_PORT)];
  const internode = [tcp("internode", 7000), tcp("internode-tls", 7001), ...cql];
  const ingress = [
    clientRule(podLabels, cql, i.network),
    selfRule("internode", podLabels, internode, ns),
    { purpose: "keyspace-job", podSelector: podLabels, ports: [cql[0]], from: { namespaces: [ns], podSelector: jobLabels } },
  ];
  if (i.metrics) ingress.push(metricsRule(podLabels, tcp("prometheus", SCYLLA_METRICS_PORT)));
  if (i.backupLocation)
    ingress.push({ purpose: "scylla-manager", podSelector: podLabels, ports: [tcp("manager-agent", 10001)], from: { namespaces: [i.managerNamespace] } });
  const egress: Extract<DataNetwork, { kind: "kubernetes" }>["egress"] = [
    { purpose: "internode", podSelector: podLabels, ports: internode, to: { kind: "peers", peers: { namespaces: [ns], podSelector: podLabels } } },
    { purpose: "keyspace-job", podSelector: jobLabels, ports: [cql[0]], to: { kind: "peers", peers: { namespaces: [ns], podSelector: podLabels } } },
  ];
  if (i.backupLocation)
    egress.push({
      purpose: "backups",
      podSelector: podLabels,
      ports: [tcp("https", 443)],
      to: { kind: "external", description: `Scylla Manager agent uploads to ${i.backupLocation}` },
    });

  return {
    problems,
    members,
    racks: Array.from({ length: i.racks }, (_, k) => ({ name: `rack${k + 1}`, members: i.membersPerRack })),
    names,
    host,
    port: CQL_PORT,
    labels: storeLabels(i.name, "scylla"),
    podLabels,
    jobLabels,
    scyllaYaml,
    keyspaceCql,
    jobScript,
    backupTasks:
      i.backup.daily && i.backupLocation ? [{ name: "daily", location: [i.backupLocation], cron: "0 3 * * *", retention: i.backup.daily.retentionDays }] : [],
    tls,
    serviceMonitor: i.metrics
      ? { name: i.name, selector: { "scylla/cluster": i.name, "scylla-operator.scylladb.com/scylla-service-type": "member" }, port: "prometheus" }
      : null,
    jobPodSecurity: restrictedPodSecurity(999),
    jobContainerSecurity: restrictedContainerSecurity(true),
    protect: i.protect,
    network: { kind: "kubernetes", namespace: ns, ports: cql, ingress, egress },
  };
}
