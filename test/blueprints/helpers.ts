/**
 * Topology-test helpers: a blueprint's inventory on each tier (the shared plans,
 * test/harness/planned.ts) and queries by the real resource shapes the components register
 * (type tokens, metadata labels, container specs).
 *
 * A tier whose run fails keeps its error: every fact of that tier then fails with the plan's own
 * message (a fact the platform cannot yet express is a failing test, not a skipped one).
 */
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { planned } from "../harness/planned";
import type { TierName } from "../../stacks/spec/tiers";

export type Runs = Partial<Record<TierName, Inventory | Error>>;

/** `blueprint` on each tier (update mode: mocked outputs known), keeping failures. */
export async function runTiers(blueprint: string, tiers: readonly TierName[]): Promise<Runs> {
  const runs: Runs = {};
  for (const t of tiers) {
    try {
      runs[t] = (await planned({ blueprint, tier: t }, { preview: false })).inventory;
    } catch (err) {
      runs[t] = err instanceof Error ? err : new Error(String(err));
    }
  }
  return runs;
}

/** The tier's inventory, or the error its run ended with. */
export function inventoryOf(runs: Runs, tier: TierName): Inventory {
  const r = runs[tier];
  if (!r) throw new Error(`tier ${tier} was not run`);
  if (r instanceof Error) throw new Error(`the blueprint does not plan on ${tier}:\n${r.message}`);
  return r;
}

export const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  rollout: "kubernetes:argoproj.io/v1alpha1:Rollout",
  ingressRoute: "kubernetes:traefik.io/v1alpha1:IngressRoute",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  helm: "kubernetes:helm.sh/v3:Release",
  clusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  cnpgCluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
  cnpgPooler: "kubernetes:postgresql.cnpg.io/v1:Pooler",
  scyllaCluster: "kubernetes:scylla.scylladb.com/v1:ScyllaCluster",
  rds: "aws:rds/instance:Instance",
  rdsProxy: "aws:rds/proxy:Proxy",
  elasticache: "aws:elasticache/replicationGroup:ReplicationGroup",
  container: "docker:index/container:Container",
  ec2: "aws:ec2/instance:Instance",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  cfDistribution: "aws:cloudfront/distribution:Distribution",
  cfHeadersPolicy: "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
  workersScript: "cloudflare:index/workersScript:WorkersScript",
} as const;

export const ofType = (inv: Inventory, type: string): InventoryResource[] => inv.resources.filter((r) => r.type === type);
export const spec = (r: InventoryResource): any => r.inputs.spec as any;
export const meta = (r: InventoryResource): any => (r.inputs.metadata ?? {}) as any;
export const labels = (r: InventoryResource): Record<string, string> => meta(r).labels ?? {};

export function descendants(inv: Inventory, root: InventoryResource): InventoryResource[] {
  const out: InventoryResource[] = [];
  const stack = [root.urn];
  while (stack.length) {
    const urn = stack.pop()!;
    for (const r of inv.resources) if (r.parent === urn) (out.push(r), stack.push(r.urn));
  }
  return out;
}

/** Workloads (Deployments/StatefulSets) of blueprint service `name` (labels set by components/service). */
export function workloads(inv: Inventory, name: string): InventoryResource[] {
  return inv.resources.filter(
    (r) =>
      (r.type === T.deployment || r.type === T.statefulSet || r.type === T.rollout) &&
      labels(r)["app.kubernetes.io/name"] === name &&
      labels(r)["app.kubernetes.io/part-of"] === "platform-apps",
  );
}

/** The one workload of service `name` on `track` (stable by default); fails with the list when absent. */
export function workload(inv: Inventory, name: string, track = "stable"): InventoryResource {
  const all = workloads(inv, name);
  const w = all.find((r) => (labels(r)["platform.io/track"] ?? spec(r)?.template?.metadata?.labels?.["platform.io/track"] ?? "stable") === track);
  if (!w) {
    const services = [...new Set(ofType(inv, T.deployment).map((d) => labels(d)["app.kubernetes.io/name"]))].join(", ") || "none";
    throw new Error(`no ${track} workload for service '${name}' (Deployments for: ${services})`);
  }
  return w;
}

export const mainContainer = (w: InventoryResource): any => spec(w)?.template?.spec?.containers?.[0];
export const containerPorts = (w: InventoryResource): Record<string, number> =>
  Object.fromEntries(((mainContainer(w)?.ports ?? []) as any[]).map((p) => [p.name, p.containerPort]));
export const envOf = (w: InventoryResource): Record<string, string> =>
  Object.fromEntries(((mainContainer(w)?.env ?? []) as any[]).map((e) => [e.name, e.value ?? "<from>"]));

/** HPA whose scaleTargetRef names the workload. */
export function hpaFor(inv: Inventory, w: InventoryResource): InventoryResource | undefined {
  return ofType(inv, T.hpa).find((h) => spec(h)?.scaleTargetRef?.name === meta(w).name);
}
export const hpaMetrics = (h: InventoryResource): string[] =>
  ((spec(h)?.metrics ?? []) as any[])
    .map((m) => (m.type === "Resource" ? m.resource.name : m.type === "Pods" ? m.pods.metric.name : (m.external?.metric?.name ?? m.type)))
    .sort();

export function ingressesOf(inv: Inventory, service: string): InventoryResource[] {
  return ofType(inv, T.ingress).filter((i) =>
    ((spec(i)?.rules ?? []) as any[]).some((r) =>
      ((r.http?.paths ?? []) as any[]).some((p) => p.backend?.service?.name === service || p.backend?.service?.name?.startsWith(`${service}-`)),
    ),
  );
}
/**
 * Every backend port name/number the ingress routes to, per service: Ingress backends, and (a
 * Traefik canary under Argo Rollouts) the Services of IngressRoutes and of weighted TraefikServices.
 */
export function ingressBackendPorts(inv: Inventory): { service: string; port: string | number }[] {
  const fromIngress = ofType(inv, T.ingress).flatMap((i) =>
    ((spec(i)?.rules ?? []) as any[]).flatMap((r) =>
      ((r.http?.paths ?? []) as any[]).map((p) => ({
        service: p.backend?.service?.name,
        port: p.backend?.service?.port?.name ?? p.backend?.service?.port?.number,
      })),
    ),
  );
  const fromRoutes = ofType(inv, T.ingressRoute).flatMap((ir) =>
    ((spec(ir)?.routes ?? []) as any[]).flatMap((r) =>
      ((r.services ?? []) as any[]).filter((s) => s.kind !== "TraefikService").map((s) => ({ service: s.name, port: s.port })),
    ),
  );
  const weighted = ofType(inv, "kubernetes:traefik.io/v1alpha1:TraefikService").flatMap((t) =>
    ((spec(t)?.weighted?.services ?? []) as any[]).map((s) => ({ service: s.name, port: s.port })),
  );
  return [...fromIngress, ...fromRoutes, ...weighted];
}

/**
 * A public service's Traefik routing per route group: from its Ingresses (router annotations) or,
 * for a canary under Argo Rollouts, its IngressRoutes (same labels, hosts, TLS Secret, middlewares).
 */
export function traefikRoutes(
  inv: Inventory,
  service: string,
): { group: string; kind: string; hosts: string[]; secrets: string[]; middlewares: string[]; entryPoints: string[] }[] {
  const ns = (r: InventoryResource) => meta(r).namespace;
  const ings = ingressesOf(inv, service).map((i) => ({
    group: meta(i).labels?.["platform.io/route-group"] as string,
    kind: "Ingress",
    hosts: (spec(i).rules as any[]).map((r) => r.host),
    secrets: (spec(i).tls as any[]).map((t) => t.secretName),
    middlewares: String(meta(i).annotations?.["traefik.ingress.kubernetes.io/router.middlewares"] ?? "")
      .split(",")
      .filter(Boolean)
      .map((m) => m.replace(`${ns(i)}-`, "").replace(/@kubernetescrd$/, "")),
    entryPoints: String(meta(i).annotations?.["traefik.ingress.kubernetes.io/router.entrypoints"] ?? "")
      .split(",")
      .filter(Boolean),
  }));
  const irs = ofType(inv, T.ingressRoute)
    .filter((ir) => meta(ir).labels?.["app.kubernetes.io/name"] === service || String(meta(ir).name).startsWith(`${service}-`))
    .map((ir) => ({
      group: meta(ir).labels?.["platform.io/route-group"] as string,
      kind: "IngressRoute",
      hosts: [...new Set((spec(ir).routes as any[]).map((r) => /Host\(`([^`]+)`\)/.exec(r.match)![1]!))],
      secrets: [spec(ir).tls.secretName],
      middlewares: [...new Set((spec(ir).routes as any[]).flatMap((r) => (r.middlewares ?? []).map((m: any) => m.name)))],
      entryPoints: spec(ir).entryPoints,
    }));
  return [...ings, ...irs].sort((a, b) => a.group.localeCompare(b.group));
}

/** The requests per second of each RateLimit Middleware of a service, by route group (`<service>-ratelimit-<group>`). */
export function rateLimitsOf(inv: Inventory, service: string): Record<string, number> {
  return Object.fromEntries(
    ofType(inv, T.middleware)
      .filter((m) => spec(m)?.rateLimit && String(meta(m).name).startsWith(`${service}-ratelimit-`))
      .map((m) => [String(meta(m).name).slice(`${service}-ratelimit-`.length), spec(m).rateLimit.average]),
  );
}

export const helmChart = (inv: Inventory, chart: string): InventoryResource | undefined => ofType(inv, T.helm).find((r) => r.inputs.chart === chart);

/** The data component of `type` (`platform:data:Postgres`) for store `name` (single store of the kind: the only component). */
export function storeComponent(inv: Inventory, type: string, name: string): InventoryResource {
  const comps = ofType(inv, type);
  const c = comps.find((x) => x.name === name || x.name.endsWith(`-${name}`)) ?? (comps.length === 1 ? comps[0] : undefined);
  if (!c) throw new Error(`no ${type} component for store '${name}' (components: ${comps.map((x) => x.name).join(", ") || "none"})`);
  return c;
}
export const within = (inv: Inventory, comp: InventoryResource, type: string) => descendants(inv, comp).filter((r) => r.type === type);

/** The NetworkPolicy selecting service `name`'s pods (the planner writes one per service); fails when absent. */
export function policyFor(inv: Inventory, name: string): InventoryResource {
  const p = ofType(inv, T.netpol).find((x) => spec(x)?.podSelector?.matchLabels?.["app.kubernetes.io/name"] === name);
  if (!p) throw new Error(`no NetworkPolicy selects the pods of service '${name}' (${ofType(inv, T.netpol).length} NetworkPolicies in the inventory)`);
  return p;
}

/** NetworkPolicy egress rules of the policy selecting service `name`'s pods (fails when there is no such policy). */
export function egressRules(inv: Inventory, name: string): { cidrs: string[]; except: string[]; ports: { port: number; protocol: string }[] }[] {
  return [policyFor(inv, name)].flatMap((p) =>
    ((spec(p)?.egress ?? []) as any[]).map((r) => ({
      cidrs: ((r.to ?? []) as any[]).map((t) => t.ipBlock?.cidr).filter(Boolean),
      except: ((r.to ?? []) as any[]).flatMap((t) => t.ipBlock?.except ?? []),
      ports: (r.ports ?? []) as { port: number; protocol: string }[],
    })),
  );
}

export const dockerLabels = (r: InventoryResource): Record<string, string> =>
  Object.fromEntries(((r.inputs.labels as { label: string; value: string }[] | undefined) ?? []).map((l) => [l.label, l.value]));
export const containersByRole = (inv: Inventory, role: string) => ofType(inv, T.container).filter((c) => dockerLabels(c)["platform.role"] === role);

/** Input paths of `r` whose value contains `needle` outside every secret path (a leaked secret). */
export function plainOccurrences(r: InventoryResource, needle: string): string[] {
  const out: string[] = [];
  const secret = (p: string) => r.secretPaths.some((s) => p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`));
  const walk = (v: unknown, p: string) => {
    if (typeof v === "string") {
      if (v.includes(needle) && !secret(p)) out.push(p);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}[${i}]`));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k);
  };
  walk(r.inputs, "");
  return out;
}
