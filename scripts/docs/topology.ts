/**
 * The deployment topology of one blueprint on one tier, read from the harness inventory (what
 * the program registers) and the blueprint (what the team declared). Pure: data in, data out.
 *
 * Everything the blueprint declares appears; what the inventory does not (yet) contain is marked
 * `provisioned: false`, so the generated diagram shows the gap instead of hiding it.
 */
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import type { BlueprintSpec } from "../../stacks/spec/blueprint";
import { TIERS, type TierName, serviceReplicas, dataReplicas } from "../../stacks/spec/tiers";

export interface TopoNode {
  id: string;
  label: string;
  /** Lines under the label (kind, counts, ports). */
  details: string[];
  provisioned: boolean;
}

export interface TopoFlow {
  from: string;
  to: string;
  label: string;
  /** Dotted in the diagram (scrapes, control traffic). */
  dotted?: boolean;
}

export interface Topology {
  hosting: "kubernetes" | "singleHost";
  /** "EKS", "existing cluster", "rendered manifests", "EC2 + Docker". */
  platform: string;
  edge?: TopoNode;
  entry?: TopoNode;
  services: TopoNode[];
  stores: TopoNode[];
  monitoring?: TopoNode;
  secrets?: TopoNode;
  externals: TopoNode[];
  flows: TopoFlow[];
  counts: { resources: number; components: number };
}

const K = {
  deploy: "kubernetes:apps/v1:Deployment",
  sts: "kubernetes:apps/v1:StatefulSet",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  helm: "kubernetes:helm.sh/v3:Release",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  container: "docker:index/container:Container",
};

const safeId = (s: string) => s.replace(/[^A-Za-z0-9]/g, "_");
const labelsOf = (r: InventoryResource): Record<string, string> => ((r.inputs.metadata as any)?.labels ?? {}) as Record<string, string>;
const dockerLabels = (r: InventoryResource): Record<string, string> =>
  Object.fromEntries(((r.inputs.labels as { label: string; value: string }[] | undefined) ?? []).map((l) => [l.label, l.value]));
const range = (min: number, max: number) => (min === max ? `×${min}` : `×${min}–${max}`);

function descendants(inv: Inventory, root: InventoryResource): InventoryResource[] {
  const out: InventoryResource[] = [];
  const stack = [root.urn];
  while (stack.length) {
    const urn = stack.pop()!;
    for (const r of inv.resources) if (r.parent === urn) (out.push(r), stack.push(r.urn));
  }
  return out;
}

/** The component that provisions store `name` of `type` (`platform:data:Postgres`). */
function storeComponent(inv: Inventory, type: string, name: string, count: number): InventoryResource | undefined {
  const comps = inv.resources.filter((r) => r.type === type);
  return comps.find((c) => c.name === name || c.name.endsWith(`-${name}`)) ?? (count === 1 && comps.length === 1 ? comps[0] : undefined);
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

function postgresDetails(inv: Inventory, comp: InventoryResource | undefined): string[] {
  if (!comp) return [];
  const kids = descendants(inv, comp);
  const rds = kids.filter((r) => r.type === "aws:rds/instance:Instance");
  const cnpg = kids.find((r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Cluster");
  const sts = kids.find((r) => r.type === K.sts);
  const out: string[] = [];
  if (rds.length) {
    const primary = rds.filter((r) => !r.inputs.replicateSourceDb);
    out.push(`RDS: ${primary.length} primary${primary.some((p) => p.inputs.multiAz) ? " (multi-AZ)" : ""} + ${rds.length - primary.length} read replica(s)`);
  }
  const aurora = kids.filter((r) => r.type === "aws:rds/clusterInstance:ClusterInstance");
  if (aurora.length)
    out.push(
      `Aurora: 1 writer + ${aurora.length - 1} Aurora Replica(s), reads spread by the ${kids.some((r) => r.type === "aws:rds/proxyEndpoint:ProxyEndpoint") ? "proxy's READ_ONLY endpoint" : "reader endpoint"}`,
    );
  if (cnpg) {
    const inst = num((cnpg.inputs.spec as any)?.instances) ?? 1;
    out.push(`CloudNativePG: 1 primary + ${inst - 1} replica(s)`);
    if ((cnpg.inputs.spec as any)?.backup?.barmanObjectStore) out.push("WAL archiving to object storage");
  }
  if (sts && !cnpg) out.push(`StatefulSet ×${num((sts.inputs.spec as any)?.replicas) ?? 1}`);
  if (kids.some((r) => r.type === "aws:rds/proxy:Proxy" || r.type === "kubernetes:postgresql.cnpg.io/v1:Pooler")) out.push("connection pooler");
  return out;
}

function storeDetails(inv: Inventory, kind: string, comp: InventoryResource | undefined): string[] {
  if (kind === "postgres") return postgresDetails(inv, comp);
  if (!comp) return [];
  const kids = descendants(inv, comp);
  const out: string[] = [];
  const ec = kids.find((r) => r.type === "aws:elasticache/replicationGroup:ReplicationGroup");
  if (ec) out.push(`ElastiCache: ${num(ec.inputs.numCacheClusters) ?? 1} node(s)`);
  const scylla = kids.find((r) => r.type === "kubernetes:scylla.scylladb.com/v1:ScyllaCluster");
  if (scylla) {
    const racks = ((scylla.inputs.spec as any)?.datacenter?.racks ?? []) as { members: number }[];
    out.push(`ScyllaCluster: ${racks.reduce((a, r) => a + (r.members ?? 0), 0)} member(s)`);
  }
  if (kids.some((r) => r.type === "aws:s3/bucket:Bucket" || r.type === "aws:s3/bucketV2:BucketV2")) out.push("S3 bucket");
  for (const s of kids.filter((r) => r.type === K.sts && !scylla)) {
    const name = String((s.inputs.metadata as any)?.name ?? s.name);
    out.push(`StatefulSet ${name} ×${num((s.inputs.spec as any)?.replicas) ?? 1}`);
  }
  return out;
}

const STORE_TYPE: Record<string, string> = { postgres: "Postgres", redis: "Redis", objectStore: "ObjectStore", scylla: "Scylla", ipfs: "Ipfs" };
const STORE_PROTO: Record<string, string> = {
  postgres: "SQL/TLS :5432",
  redis: "RESP :6379",
  objectStore: "S3 API",
  scylla: "CQL :9042",
  ipfs: "IPFS API :5001",
};
const STORE_TITLE: Record<string, string> = { postgres: "PostgreSQL", redis: "Redis", objectStore: "Object store", scylla: "Scylla", ipfs: "IPFS" };

export function topologyOf(inv: Inventory, bp: BlueprintSpec, tier: TierName, hosting: "kubernetes" | "singleHost"): Topology {
  const profile = TIERS[tier];
  const helm = inv.resources.filter((r) => r.type === K.helm);
  const chart = (name: string) => helm.find((r) => r.inputs.chart === name);
  const containers = inv.resources.filter((r) => r.type === K.container);
  const flows: TopoFlow[] = [];
  const custom = inv.resources.filter((r) => r.custom);

  const platform =
    hosting === "singleHost"
      ? "single host: EC2 + Docker"
      : profile.cluster === "existing" || tier === "local"
        ? "Kubernetes: existing cluster / rendered manifests"
        : "Kubernetes: EKS";

  // Edge.
  let edge: TopoNode | undefined;
  if (bp.edge) {
    const site = inv.resources.find((r) => r.type === "platform:edge:EdgeSite");
    const cdn = bp.edge.provider === "cloudflare" ? "Cloudflare Worker + R2" : "CloudFront + S3";
    // The local tier deploys no edge by design (no cloud account): say so instead of flagging a gap.
    const skipped = tier === "local" && !site;
    edge = {
      id: "n_edge",
      label: `CDN: ${bp.edge.app} app`,
      details: [
        cdn,
        `COOP same-origin, COEP ${bp.edge.coep}`,
        ...(bp.edge.rateLimitPer5Min ? [`WAF ${bp.edge.rateLimitPer5Min} req / 5 min / IP`] : []),
        ...(skipped ? ["not deployed on local (no cloud account)"] : []),
      ],
      provisioned: site !== undefined || skipped,
    };
    flows.push({ from: "n_users", to: "n_edge", label: "HTTPS" });
  }

  // Entry point: ingress controller (Kubernetes) or the host proxy.
  const publics = bp.services.filter((s) => s.exposure === "public");
  let entry: TopoNode | undefined;
  if (publics.length) {
    if (hosting === "kubernetes") {
      const rel = chart("traefik");
      const ingresses = inv.resources.filter((r) => r.type === K.ingress);
      const reps = rel ? num((rel.inputs.values as any)?.controller?.replicaCount ?? (rel.inputs.values as any)?.deployment?.replicas) : undefined;
      const details = [rel ? `Helm ${rel.inputs.chart} ${rel.inputs.version}${reps ? ` ×${reps}` : ""}` : "controller brought by the cluster"];
      if (chart("cert-manager")) details.push("cert-manager TLS");
      details.push(`${ingresses.length} Ingress(es)`);
      entry = { id: "n_entry", label: "Traefik", details, provisioned: rel !== undefined || ingresses.length > 0 };
    } else {
      const proxy = containers.find((c) => dockerLabels(c)["platform.role"] === "proxy");
      entry = { id: "n_entry", label: "Caddy (host proxy)", details: ["TLS, HTTP→HTTPS, rate limits"], provisioned: proxy !== undefined };
    }
    flows.push({ from: "n_users", to: "n_entry", label: "HTTPS" });
  }

  // Services.
  const services: TopoNode[] = bp.services.map((s) => {
    const id = `svc_${safeId(s.name)}`;
    const planned = serviceReplicas(profile, s);
    const ports = [
      `:${s.ports.http}`,
      ...(s.ports.health && s.ports.health !== s.ports.http ? [`health :${s.ports.health}`] : []),
      ...(s.ports.metrics ? [`metrics :${s.ports.metrics}`] : []),
    ].join(", ");
    const details: string[] = [];
    let provisioned = false;
    if (hosting === "kubernetes") {
      const mine = (r: InventoryResource) => labelsOf(r)["app.kubernetes.io/name"] === s.name && labelsOf(r)["app.kubernetes.io/part-of"] === "platform-apps";
      const workloads = inv.resources.filter((r) => (r.type === K.deploy || r.type === K.sts) && mine(r));
      const hpa = inv.resources.find((r) => r.type === K.hpa && mine(r));
      provisioned = workloads.length > 0;
      for (const w of workloads) {
        const track = labelsOf(w)["platform.io/track"] ?? "stable";
        const reps = num((w.inputs.spec as any)?.replicas);
        const kind = w.type === K.sts ? "StatefulSet" : "Deployment";
        details.push(`${kind}${track !== "stable" ? ` (${track})` : ""}${reps !== undefined ? ` ×${reps}` : ""}`);
      }
      if (hpa) {
        const spec = hpa.inputs.spec as any;
        const metrics = ((spec?.metrics ?? []) as any[]).map((m) => m.resource?.name ?? m.pods?.metric?.name ?? m.type).join(", ");
        details.push(`HPA ${range(spec?.minReplicas, spec?.maxReplicas)} on ${metrics}`);
      }
    } else {
      const mine = containers.filter((c) => dockerLabels(c)["platform.service"] === s.name);
      provisioned = mine.length > 0;
      if (mine.length) details.push(`container ×${mine.length}`);
    }
    if (!provisioned) details.push(`planned ${range(planned.min, planned.max)}${s.autoscaling && planned.max > planned.min ? " (HPA)" : ""}`);
    if (s.strategy !== "rolling") details.push(`${s.strategy} rollout`);
    details.push(ports);
    return { id, label: s.name, details, provisioned };
  });
  for (const s of publics) flows.push({ from: "n_entry", to: `svc_${safeId(s.name)}`, label: [...new Set(s.routes.map((r) => r.group))].sort().join(", ") });
  for (const s of bp.services) {
    for (const c of s.calls) flows.push({ from: `svc_${safeId(s.name)}`, to: `svc_${safeId(c)}`, label: "HTTP" });
  }

  // Data stores.
  const stores: TopoNode[] = [];
  for (const [kind, list] of [
    ["postgres", bp.dataStores.postgres],
    ["redis", bp.dataStores.redis],
    ["objectStore", bp.dataStores.objectStores],
    ["scylla", bp.dataStores.scylla],
    ["ipfs", bp.dataStores.ipfs],
  ] as const) {
    for (const st of list as { name: string }[]) {
      const id = `ds_${kind}_${safeId(st.name)}`;
      let comp: InventoryResource | undefined;
      let details: string[];
      if (hosting === "singleHost" && (kind === "postgres" || kind === "redis")) {
        const key = kind === "postgres" ? `-pg-${st.name}` : `-redis-${st.name}`;
        const c = containers.find((x) => String(x.inputs.name ?? "").endsWith(key));
        details = c ? ["container on the host"] : [];
        comp = c;
      } else {
        comp = storeComponent(inv, `platform:data:${STORE_TYPE[kind]}`, st.name, list.length);
        details = storeDetails(inv, kind, comp);
      }
      if (!comp) details.push(plannedStore(kind, st as any, tier, hosting));
      stores.push({ id, label: `${STORE_TITLE[kind]} ${st.name}`, details, provisioned: comp !== undefined });
    }
  }
  for (const s of bp.services) {
    for (const ref of s.connectsTo) {
      const [kind, name] = ref.split("/") as [string, string];
      flows.push({ from: `svc_${safeId(s.name)}`, to: `ds_${kind}_${safeId(name)}`, label: STORE_PROTO[kind] ?? "TCP" });
    }
  }

  // Monitoring.
  let monitoring: TopoNode | undefined;
  const m = bp.monitoring;
  if (m.metrics || m.logs || m.traces !== "none") {
    const comp = inv.resources.find((r) => r.type === "platform:monitoring:Monitoring" || r.type === "platform:monitoring:HostMonitoring");
    const charts = comp
      ? descendants(inv, comp)
          .filter((r) => r.type === K.helm)
          .map((r) => String(r.inputs.chart))
          .sort()
      : [];
    const hostContainers = comp ? descendants(inv, comp).filter((r) => r.type === K.container).length : 0;
    const declared = [m.metrics ? "Prometheus + Grafana" : "", m.logs ? "Loki" : "", m.traces !== "none" ? `OTel → ${m.traces}` : ""].filter(Boolean);
    const details = charts.length
      ? charts.map((c) => `Helm ${c}`)
      : hostContainers
        ? [`${hostContainers} container(s)`]
        : comp
          ? ["plain-manifest Prometheus"]
          : [declared.join(", ")];
    details.push(`depth ${profile.monitoring}, metrics ${profile.metricsRetentionDays} d, logs ${profile.logRetentionDays} d`);
    monitoring = { id: "n_monitoring", label: "Monitoring", details, provisioned: comp !== undefined };
    for (const s of bp.services.filter((x) => x.ports.metrics !== undefined))
      flows.push({ from: "n_monitoring", to: `svc_${safeId(s.name)}`, label: `scrape :${s.ports.metrics}`, dotted: true });
  }

  // Secrets.
  let secrets: TopoNode | undefined;
  const anySecrets = bp.secrets.external.length + bp.secrets.generated.length + bp.services.reduce((a, s) => a + s.secrets.length, 0);
  if (anySecrets) {
    const comps = inv.resources.filter((r) => r.type.startsWith("platform:secrets:"));
    const comp = comps[0];
    const kids = comps.flatMap((c) => descendants(inv, c));
    const entries = kids.filter((r) => r.type === "aws:secretsmanager/secret:Secret").length;
    const synced = kids.filter((r) => r.type.startsWith("kubernetes:external-secrets.io/") && r.type.endsWith(":ExternalSecret")).length;
    const details = [
      ...(entries ? [`${entries} Secrets Manager entries`] : []),
      ...(synced ? [`${synced} ExternalSecret(s)`] : []),
      ...(bp.secrets.external.length ? [`${bp.secrets.external.length} human-provided`] : []),
      ...bp.secrets.generated.map((g) => {
        if (!g.signer) return `${g.name}: generated, rotates every ${g.rotationDays} d`;
        // A signing key: what this tier planned (KMS keys, or raw keys in state), rotated in two phases from stack config.
        const kms = kids.filter(
          (r) =>
            r.type === "aws:kms/key:Key" &&
            r.inputs.keyUsage === "SIGN_VERIFY" &&
            (r.inputs.tags as Record<string, string> | undefined)?.["platform:entry"] === `generated/${g.name}`,
        ).length;
        return `${g.name}: ${kms ? `${kms} KMS secp256k1 signing key(s), no key material in state` : "raw signing key (secret)"}; two-phase rotation (platform:signingKeys)`;
      }),
    ];
    secrets = {
      id: "n_secrets",
      label: entries ? "Secrets Manager + KMS" : hosting === "kubernetes" ? "Kubernetes Secrets" : "Secrets",
      details,
      provisioned: comp !== undefined,
    };
  }

  // External networks.
  const externals: TopoNode[] = Object.entries(bp.externalNetworks)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => ({
      id: `ext_${safeId(name)}`,
      label: name,
      details: [`${n.cidrs.join(", ")} : ${n.ports.join(", ")}/${n.protocol}`],
      provisioned: egressEnforced(inv, n.cidrs, n.ports),
    }));
  for (const s of bp.services) {
    for (const e of s.egress) {
      const n = bp.externalNetworks[e];
      if (n) flows.push({ from: `svc_${safeId(s.name)}`, to: `ext_${safeId(e)}`, label: `${n.ports.join(", ")}/${n.protocol}` });
    }
  }

  return {
    hosting,
    platform,
    ...(edge ? { edge } : {}),
    ...(entry ? { entry } : {}),
    services,
    stores,
    ...(monitoring ? { monitoring } : {}),
    ...(secrets ? { secrets } : {}),
    externals,
    flows,
    counts: {
      resources: custom.filter((r) => !r.type.startsWith("pulumi:providers:")).length,
      components: inv.resources.filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack").length,
    },
  };
}

/** An egress rule for these CIDRs and ports exists (a NetworkPolicy or the host's security group). */
function egressEnforced(inv: Inventory, cidrs: string[], ports: number[]): boolean {
  for (const r of inv.resources) {
    if (r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
      for (const rule of ((r.inputs.spec as any)?.egress ?? []) as any[]) {
        const to = ((rule.to ?? []) as any[]).map((p) => p.ipBlock?.cidr).filter(Boolean);
        const ps = ((rule.ports ?? []) as any[]).map((p) => p.port);
        if (cidrs.every((c) => to.includes(c)) && ports.every((p) => ps.includes(p))) return true;
      }
    }
    if (r.type === "aws:ec2/securityGroup:SecurityGroup") {
      for (const rule of (r.inputs.egress ?? []) as any[]) {
        if (cidrs.every((c) => (rule.cidrBlocks ?? []).includes(c)) && ports.every((p) => rule.fromPort <= p && p <= rule.toPort)) return true;
      }
    }
  }
  return false;
}

function plannedStore(kind: string, st: Record<string, any>, tier: TierName, hosting: string): string {
  const p = TIERS[tier];
  const where =
    hosting === "singleHost"
      ? "host container"
      : p.dataPlacement === "statefulset"
        ? "in-cluster"
        : (st.placement ?? (kind === "objectStore" ? st.engine : "in-cluster"));
  if (kind === "postgres") return `planned: ${where}, 1 primary + ${dataReplicas(p, st.readReplicas)} replica(s)`;
  if (kind === "redis") return `planned: ${where}, 1 primary + ${dataReplicas(p, st.replicas)} replica(s)`;
  if (kind === "objectStore") return `planned: ${st.engine}${st.engine === "seaweedfs" ? `, ${st.volumeServers} volume servers` : ""}`;
  if (kind === "scylla") return `planned: ${st.members} member(s), keyspaces ${st.keyspaces.map((k: any) => `${k.name} (${k.durability})`).join(", ")}`;
  return `planned: ${st.replicas} node(s), ${st.storageGi} Gi`;
}
