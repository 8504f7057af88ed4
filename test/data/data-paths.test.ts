/**
 * Data paths as the reference views describe them (issue 18), on each blueprint's own plan (the
 * real program under mocks, shared plan cache):
 * - the `data` node group is tainted and the stores it exists for select and tolerate it, nothing
 *   else does (music view: "Node Pools: Different pools for different workloads");
 * - the bridge's reads are spread across its replicas (bridge view: "PostgreSQL Cluster: primary for
 *   writes, replicas for reads", "Database Read Replicas: Offload read operations", "Connection
 *   Pooling: efficient database resource utilization");
 * - the gateway's Scylla keyspaces are stated rebuildable, not backed up (gateway view: "Scylla
 *   clusters ... provide persistent and volatile keyspaces for chain caches");
 * - every in-cluster data store's metrics are scraped (music view: "Database Metrics: PostgreSQL
 *   performance metrics"; the issue: "CloudNativePG PodMonitor, Redis and Scylla exporters");
 * - backups are written where the blueprint says (music view: "Backup Storage - Primary: S3 with
 *   versioning enabled; Secondary: Glacier for long-term archival").
 */
import { describe, expect, it } from "vitest";
import { planned } from "../harness/planned";
import type { InventoryResource } from "../../tools/harness/inventory";

type R = InventoryResource & { inputs: any };
const of = (rs: R[], type: string) => rs.filter((r) => r.type === type);
const resourcesOf = async (blueprint: string, tier: "staging" | "prod") => (await planned({ blueprint, tier })).inventory.resources as R[];

const DATA_TAINT = { key: "dedicated", value: "data", effect: "NoSchedule" };
const DATA_LABEL = { "platform.io/workload-class": "data" };
const tolerates = (tolerations: any[] | undefined) =>
  (tolerations ?? []).some(
    (t) => t.key === DATA_TAINT.key && (t.operator === "Exists" || t.value === DATA_TAINT.value) && (t.effect === undefined || t.effect === DATA_TAINT.effect),
  );

/** Blueprints whose prod tier runs stores in the cluster, and the data workloads each must put on the data nodes. */
const IN_CLUSTER: Record<string, { cnpg: number; scylla: number; statefulSets: number }> = {
  // "PostgreSQL Replica: StatefulSet 1+", "Redis: 1 replica", "SeaweedFS StatefulSet 3+: master + volume servers"
  "axum-requirements-app": { cnpg: 1, scylla: 0, statefulSets: 4 },
  // "Scylla clusters ... provide persistent and volatile keyspaces for chain caches"
  "gateway-flutter-wasm": { cnpg: 0, scylla: 1, statefulSets: 0 },
  // "PostgreSQL - StatefulSet: 1 primary, 2 replicas", "Redis - StatefulSet: 1 primary, 1 replica", "IPFS Node - StatefulSet: 1+ nodes"
  "music-platform-gitops": { cnpg: 1, scylla: 0, statefulSets: 2 },
};

describe('"Node Pools: Different pools for different workloads": the data node group is tainted and only the data stores run there', () => {
  for (const [bp, want] of Object.entries(IN_CLUSTER)) {
    for (const tier of ["staging", "prod"] as const) {
      it(`${bp} on ${tier}: the data node group is tainted dedicated=data:NoSchedule, every store selects and tolerates it, nothing else tolerates it`, async () => {
        const rs = await resourcesOf(bp, tier);
        const groups = of(rs, "aws:eks/nodeGroup:NodeGroup");
        const data = groups.find((g) => g.inputs.labels?.["platform.io/workload-class"] === "data");
        expect(data, "a data node group").toBeDefined();
        expect(data!.inputs.taints).toEqual([{ key: "dedicated", value: "data", effect: "NO_SCHEDULE" }]);
        for (const g of groups.filter((x) => x !== data)) expect(g.inputs.taints ?? [], g.name).toEqual([]);

        // CloudNativePG: spec.affinity.nodeSelector + tolerations (the operator copies them into the instance pods).
        const cnpg = of(rs, "kubernetes:postgresql.cnpg.io/v1:Cluster");
        expect(cnpg.length).toBe(want.cnpg);
        for (const c of cnpg) {
          expect(c.inputs.spec.affinity.nodeSelector, c.name).toEqual(DATA_LABEL);
          expect(tolerates(c.inputs.spec.affinity.tolerations), c.name).toBe(true);
        }
        // ScyllaCluster: every rack's placement (required node affinity on the label + the toleration).
        const scylla = of(rs, "kubernetes:scylla.scylladb.com/v1:ScyllaCluster");
        expect(scylla.length).toBe(want.scylla);
        for (const s of scylla) {
          for (const rack of s.inputs.spec.datacenter.racks) {
            expect(rack.placement.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, s.name).toEqual([
              { matchExpressions: [{ key: "platform.io/workload-class", operator: "In", values: ["data"] }] },
            ]);
            expect(tolerates(rack.placement.tolerations), s.name).toBe(true);
          }
        }
        // Plain StatefulSets of the stores (Redis, SeaweedFS masters/volumes/filer, IPFS) in the data namespaces.
        const workloads = [...of(rs, "kubernetes:apps/v1:StatefulSet"), ...of(rs, "kubernetes:apps/v1:Deployment"), ...of(rs, "kubernetes:batch/v1:Job")];
        const isData = (w: R) => /^data/.test(w.inputs.metadata.namespace ?? "") && w.type === "kubernetes:apps/v1:StatefulSet";
        const stores = workloads.filter(isData);
        expect(stores.length, stores.map((s) => s.name).join(", ")).toBe(want.statefulSets);
        for (const s of stores) {
          expect(s.inputs.spec.template.spec.nodeSelector, s.name).toEqual(DATA_LABEL);
          expect(tolerates(s.inputs.spec.template.spec.tolerations), s.name).toBe(true);
        }
        // Nothing else: services, poolers, jobs, operators and the rest stay off the data nodes.
        for (const w of workloads.filter((x) => !isData(x))) {
          expect(tolerates(w.inputs.spec.template.spec.tolerations), w.name).toBe(false);
          expect(w.inputs.spec.template.spec.nodeSelector?.["platform.io/workload-class"], w.name).not.toBe("data");
        }
        for (const p of of(rs, "kubernetes:postgresql.cnpg.io/v1:Pooler")) expect(tolerates(p.inputs.spec.template?.spec?.tolerations), p.name).toBe(false);
      });
    }
  }

  it("a blueprint whose stores are all managed gets no data node group (bridge-relay, prod)", async () => {
    const rs = await resourcesOf("bridge-relay", "prod");
    expect(of(rs, "aws:eks/nodeGroup:NodeGroup").map((g) => g.inputs.labels["platform.io/workload-class"])).toEqual(["general"]);
  });
});

describe('"Backup Storage - Primary: S3 with versioning enabled; Secondary: Glacier for long-term archival": the music platform\'s backups bucket receives its database backups', () => {
  for (const tier of ["staging", "prod"] as const) {
    it(`music-platform-gitops on ${tier}: CloudNativePG archives WAL and base backups to the \`backups\` object store (IRSA on that bucket only), no other backup bucket`, async () => {
      const rs = await resourcesOf("music-platform-gitops", tier);
      const buckets = of(rs, "aws:s3/bucket:Bucket").filter((b) => /objectstore/.test(b.name));
      expect(buckets.map((b) => b.name).sort()).toEqual(
        [`${tier}-objectstore-backups-backups`, `${tier}-objectstore-backups-backups-replica`].slice(0, tier === "prod" ? 2 : 1),
      );
      // The backups lifecycle: "Glacier for long-term archival" after the blueprint's 30 days.
      const lc = of(rs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").find((l) => l.name === `${tier}-objectstore-backups-backups`)!;
      expect(lc.inputs.rules[0].id).toBe("backups-retention");
      if (tier === "prod") expect(lc.inputs.rules[0].transitions).toEqual([{ days: 30, storageClass: "GLACIER" }]);
      expect(
        of(rs, "aws:s3/bucketVersioning:BucketVersioning").find((v) => v.name === `${tier}-objectstore-backups-backups`)!.inputs.versioningConfiguration.status,
      ).toBe("Enabled");
      // The CNPG Cluster's barman target and the IRSA policy both name that bucket (mocks give it <bucketPrefix>-<hex>).
      const cluster = of(rs, "kubernetes:postgresql.cnpg.io/v1:Cluster")[0]!;
      const dest: string = cluster.inputs.spec.backup.barmanObjectStore.destinationPath;
      expect(dest).toMatch(new RegExp(`^s3://${tier}-objectstore-backups-backups-[0-9a-f]+/main$`));
      const bucket = dest.slice("s3://".length, -"/main".length);
      const policy = JSON.parse(of(rs, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === `${tier}-postgres-main-backup`)!.inputs.policy);
      expect(policy.Statement.find((st: any) => st.Sid === "Objects").Resource).toEqual([`arn:aws:s3:::${bucket}/main/*`]);
      expect(cluster.inputs.spec.backup.barmanObjectStore.s3Credentials).toEqual({ inheritFromIAMRole: true });
      expect(of(rs, "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup")).toHaveLength(1);
    });
  }
});

describe('"PostgreSQL Cluster: primary for writes, replicas for reads" with "Connection Pooling": the bridge\'s reads are spread across both replicas', () => {
  it("bridge-relay on prod: reads are spread across both replicas through the pooler (Aurora writer + 2 Aurora Replicas; DATABASE_READ_URL is the RDS Proxy READ_ONLY endpoint)", async () => {
    const rs = await resourcesOf("bridge-relay", "prod");
    // No RDS instance whose address one reader URL could pin: one Aurora cluster, a writer and two replicas in it.
    expect(of(rs, "aws:rds/instance:Instance")).toEqual([]);
    const cluster = of(rs, "aws:rds/cluster:Cluster");
    expect(cluster).toHaveLength(1);
    expect(cluster[0]!.inputs).toMatchObject({ engine: "aurora-postgresql", storageEncrypted: true, deletionProtection: true, backupRetentionPeriod: 35 });
    const instances = of(rs, "aws:rds/clusterInstance:ClusterInstance");
    expect(instances.map((i) => [i.name, i.inputs.promotionTier])).toEqual([
      ["prod-postgres-relay-writer", 0],
      ["prod-postgres-relay-replica-1", 1],
      ["prod-postgres-relay-replica-2", 1],
    ]);
    for (const i of instances)
      expect(i.inputs).toMatchObject({ clusterIdentifier: "prod-postgres-relay-id", publiclyAccessible: false, performanceInsightsEnabled: true });
    // TLS forced on the cluster (its parameter group), the proxy requires TLS.
    expect(of(rs, "aws:rds/clusterParameterGroup:ClusterParameterGroup")[0]!.inputs.parameters).toContainEqual({
      name: "rds.force_ssl",
      value: "1",
      applyMethod: "pending-reboot",
    });
    // The pooler: the proxy targets the cluster (writer and readers), its READ_ONLY endpoint serves the reads.
    expect(of(rs, "aws:rds/proxy:Proxy")[0]!.inputs.requireTls).toBe(true);
    expect(of(rs, "aws:rds/proxyTarget:ProxyTarget")[0]!.inputs).toMatchObject({ targetGroupName: "default", dbClusterIdentifier: "prod-postgres-relay-id" });
    const ro = of(rs, "aws:rds/proxyEndpoint:ProxyEndpoint");
    expect(ro.map((e) => e.inputs.targetRole)).toEqual(["READ_ONLY"]);
    // The relay's DATABASE_READ_URL (the Secrets Manager entry's readerUrl) is that endpoint; DATABASE_URL the proxy's default (writer) endpoint.
    const entry = JSON.parse(
      of(rs, "aws:secretsmanager/secretVersion:SecretVersion").find((v) => v.name === "prod-secrets-postgres-relay")!.inputs.secretString,
    );
    expect(entry.readerHost).toMatch(/^prod-postgres-relay-proxy-ro\.proxy-[0-9a-f]+\.us-east-1\.rds\.amazonaws\.com$/);
    expect(entry.host).toMatch(/^prod-postgres-relay-proxy\.proxy-[0-9a-f]+\.us-east-1\.rds\.amazonaws\.com$/);
    expect(new URL(entry.readerUrl).hostname).toBe(entry.readerHost);
    expect(new URL(entry.readerUrl).searchParams.get("sslmode")).toBe("verify-full");
    const readUrl = of(rs, "kubernetes:external-secrets.io/v1:ExternalSecret").flatMap((e) =>
      (e.inputs.spec.data ?? []).filter((d: any) => d.secretKey === "DATABASE_READ_URL"),
    );
    expect(readUrl).toEqual([{ remoteRef: { key: "platform/prod/postgres/relay", property: "readerUrl" }, secretKey: "DATABASE_READ_URL" }]);
  });

  it("bridge-relay on staging: the one replica is read through the same READ_ONLY proxy endpoint", async () => {
    const rs = await resourcesOf("bridge-relay", "staging");
    expect(of(rs, "aws:rds/clusterInstance:ClusterInstance")).toHaveLength(2);
    expect(of(rs, "aws:rds/proxyEndpoint:ProxyEndpoint").map((e) => e.inputs.targetRole)).toEqual(["READ_ONLY"]);
  });

  it("a managed store without read replicas stays RDS for PostgreSQL (nuxt-fastify-beta-droplet, prod: Multi-AZ instance, no reader endpoint)", async () => {
    const rs = await resourcesOf("nuxt-fastify-beta-droplet", "prod");
    expect(of(rs, "aws:rds/cluster:Cluster")).toEqual([]);
    expect(of(rs, "aws:rds/instance:Instance").map((i) => i.inputs.multiAz)).toEqual([true]);
  });
});

describe('"Scylla clusters, which are Cassandra compatible, provide persistent and volatile keyspaces for chain caches": no Scylla backups, the keyspaces are rebuilt from the chain', () => {
  for (const tier of ["staging", "prod"] as const) {
    it(`gateway-flutter-wasm on ${tier}: the ScyllaCluster takes no backups and states where its keyspaces are rebuilt from`, async () => {
      const rs = await resourcesOf("gateway-flutter-wasm", tier);
      const [sc] = of(rs, "kubernetes:scylla.scylladb.com/v1:ScyllaCluster");
      expect(sc!.inputs.spec.backups).toBeUndefined();
      expect(sc!.inputs.metadata.annotations["platform.io/restore"]).toMatch(
        /^no backups; rebuilt from the Cardano chain: the gateway's chain follower re-reads it from its relays \(Node-to-Node\) and Mithril snapshots/,
      );
      // No Scylla Manager agent traffic is opened for backups that are not taken.
      expect(JSON.stringify(of(rs, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs.metadata.name))).not.toMatch(/scylla-manager|backups/);
    });
  }
});

describe('"Database Metrics: PostgreSQL performance metrics": every in-cluster data store exports metrics that Prometheus scrapes', () => {
  const podMonitors = (rs: R[]) => of(rs, "kubernetes:monitoring.coreos.com/v1:PodMonitor");
  const serviceMonitors = (rs: R[]) => of(rs, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
  /** The NetworkPolicy admitting Prometheus (monitoring namespace) to `port` on pods matching `selector`. */
  const admitsPrometheus = (rs: R[], selector: Record<string, string>, port: number) =>
    of(rs, "kubernetes:networking.k8s.io/v1:NetworkPolicy").some((p) => {
      const spec = p.inputs.spec;
      const sorted = (l: Record<string, string>) => JSON.stringify(Object.entries(l).sort());
      if (sorted(spec.podSelector?.matchLabels ?? {}) !== sorted(selector)) return false;
      return (spec.ingress ?? []).some(
        (r: any) =>
          r.ports?.some((x: any) => x.port === port) &&
          r.from?.every((f: any) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "monitoring" && f.podSelector),
      );
    });

  it("music-platform-gitops on prod: a PodMonitor for the CloudNativePG instances (port metrics, 9187) and a redis_exporter sidecar with its PodMonitor (9121), each port open to Prometheus only", async () => {
    const rs = await resourcesOf("music-platform-gitops", "prod");
    const pm = podMonitors(rs).map((p) => [p.inputs.metadata.namespace, p.inputs.spec.selector.matchLabels, p.inputs.spec.podMetricsEndpoints]);
    expect(pm).toContainEqual(["data", { "cnpg.io/cluster": "prod-postgres-main", "cnpg.io/podRole": "instance" }, [{ port: "metrics" }]]);
    expect(pm).toContainEqual(["data", { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "prod-redis-cache" }, [{ port: "metrics" }]]);
    // The deprecated Cluster-level switch is not used.
    expect(of(rs, "kubernetes:postgresql.cnpg.io/v1:Cluster")[0]!.inputs.spec.monitoring).toBeUndefined();
    const redis = of(rs, "kubernetes:apps/v1:StatefulSet").find((s) => s.name === "prod-redis-cache")!;
    const exporter = redis.inputs.spec.template.spec.containers.find((c: any) => c.name === "exporter");
    expect(exporter.image).toMatch(/^oliver006\/redis_exporter:v\d+\.\d+\.\d+$/);
    expect(exporter.ports).toEqual([{ name: "metrics", containerPort: 9121, protocol: "TCP" }]);
    expect(exporter.env).toContainEqual({ name: "REDIS_ADDR", value: "rediss://localhost:6379" });
    expect(exporter.env).toContainEqual({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "prod-redis-cache-auth", key: "password" } } });
    expect(exporter.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(admitsPrometheus(rs, { "cnpg.io/cluster": "prod-postgres-main" }, 9187)).toBe(true);
    expect(admitsPrometheus(rs, { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "prod-redis-cache" }, 9121)).toBe(true);
  });

  it("axum-requirements-app on prod: CloudNativePG instances and the Redis exporter are scraped", async () => {
    const rs = await resourcesOf("axum-requirements-app", "prod");
    const selectors = podMonitors(rs).map((p) => p.inputs.spec.selector.matchLabels);
    expect(selectors).toContainEqual({ "cnpg.io/cluster": "prod-postgres-main", "cnpg.io/podRole": "instance" });
    expect(selectors).toContainEqual({ "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "prod-redis-sessions" });
  });

  it("gateway-flutter-wasm on prod: a ServiceMonitor on the Scylla Operator's member Services, port prometheus (9180), open to Prometheus only", async () => {
    const rs = await resourcesOf("gateway-flutter-wasm", "prod");
    const sm = serviceMonitors(rs).filter((s) => s.inputs.metadata.namespace === "data-privileged");
    expect(sm.map((s) => [s.inputs.spec.selector.matchLabels, s.inputs.spec.endpoints])).toEqual([
      [{ "scylla/cluster": "prod-scylla-chain", "scylla-operator.scylladb.com/scylla-service-type": "member" }, [{ port: "prometheus" }]],
    ]);
    expect(admitsPrometheus(rs, { "scylla/cluster": "prod-scylla-chain" }, 9180)).toBe(true);
    // Prometheus selects ServiceMonitors in that namespace too.
    const kps = of(rs, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.values?.prometheus?.prometheusSpec?.serviceMonitorNamespaceSelector)!;
    expect(JSON.stringify(kps.inputs.values.prometheus.prometheusSpec.serviceMonitorNamespaceSelector)).toContain("data-privileged");
  });

  it("the local tier (no Prometheus Operator) creates no PodMonitor or exporter sidecar", async () => {
    const rs = (await planned({ blueprint: "music-platform-gitops", tier: "local" })).inventory.resources as R[];
    expect(podMonitors(rs)).toEqual([]);
    for (const s of of(rs, "kubernetes:apps/v1:StatefulSet")) expect(s.inputs.spec.template.spec.containers.map((c: any) => c.name)).not.toContain("exporter");
  });
});
