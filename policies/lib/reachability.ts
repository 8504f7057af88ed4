/**
 * Pure Kubernetes NetworkPolicy reachability evaluator (no Pulumi import).
 *
 * Input: raw manifests (Namespace, NetworkPolicy and pod-bearing workloads: Pod, Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). Output: every allowed flow
 * (source workload or external peer → destination workload or external peer, protocol, port
 * range), following the NetworkPolicy semantics of networking.k8s.io/v1:
 *  - a pod is isolated for ingress (egress) when some policy in its namespace selects it and
 *    lists Ingress (Egress) in `policyTypes` (default: Ingress, plus Egress when `egress` is set);
 *  - a connection needs BOTH the source's egress and the destination's ingress to allow it;
 *  - a rule without `from`/`to` (or with an empty list) matches every peer, including external
 *    ones; a rule without `ports` matches every port; named ports resolve on the destination pod;
 *  - `ipBlock` peers match addresses outside the cluster only (pods are never matched by
 *    ipBlock here); `0.0.0.0/0` / `::/0` is the internet.
 *
 * Cost: policies are indexed by namespace, pods by namespace, peer selections are resolved
 * once per (policy namespace, peer) and cached, so the work is proportional to
 * pods-per-namespace × policies-per-namespace plus the size of the output, not to
 * policies × pods across the cluster.
 */

export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Loose shape of any manifest; only the fields read here are typed. */
export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Labels };
  spec?: any;
}

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface ContainerPort {
  containerPort: number;
  name?: string;
  protocol?: Protocol;
}

/** A pod-bearing workload, reduced to what reachability needs. */
export interface PodGroup {
  /** `<namespace>/<kind>/<name>` */
  id: string;
  kind: string;
  name: string;
  namespace: string;
  labels: Labels;
  ports: ContainerPort[];
  /** Container images (for callers that classify workloads). */
  images: string[];
}

export interface NamespaceInfo {
  name: string;
  labels: Labels;
}

export type Endpoint = { kind: "pod"; namespace: string; workload: string; id: string; labels: Labels } | { kind: "external"; cidr: string; except: string[] };

/** One allowed flow. `fromPort..toPort` inclusive; 1..65535 means every port. */
export interface Flow {
  from: Endpoint;
  to: Endpoint;
  protocol: Protocol;
  fromPort: number;
  toPort: number;
}

export interface ReachabilityModel {
  namespaces: Map<string, NamespaceInfo>;
  pods: PodGroup[];
  policies: NormalizedPolicy[];
}

interface PortRange {
  protocol: Protocol;
  from: number;
  to: number;
}

interface RawPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

interface RawPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

type RuleList = { policy: NormalizedPolicy; rule: NormalizedRule }[];

interface NormalizedRule {
  /** undefined = every peer (rule had no from/to or an empty one). */
  peers?: RawPeer[];
  /** undefined = every port. */
  ports?: RawPort[];
}

export interface NormalizedPolicy {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  ingress?: NormalizedRule[];
  egress?: NormalizedRule[];
}

const PROTOCOLS: Protocol[] = ["TCP", "UDP", "SCTP"];
const ALL_PORTS: PortRange[] = PROTOCOLS.map((protocol) => ({ protocol, from: 1, to: 65535 }));
export const INTERNET_V4 = "0.0.0.0/0";
export const INTERNET_V6 = "::/0";

/** Workload kinds whose pod template lives at spec.template (or spec.jobTemplate...). */
const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "ReplicationController"]);

/** True when the selector matches the labels (empty/absent selector matches everything). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(labels[e.key]!)) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[e.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false; // unknown operator selects nothing (the API server would reject it)
    }
  }
  return true;
}

/** Pod template of a workload manifest: { labels, spec } or undefined. */
export function podTemplateOf(m: Manifest): { labels: Labels; spec: any } | undefined {
  const kind = m.kind ?? "";
  if (!WORKLOAD_KINDS.has(kind)) return undefined;
  if (kind === "Pod") return { labels: m.metadata?.labels ?? {}, spec: m.spec ?? {} };
  const tpl = kind === "CronJob" ? m.spec?.jobTemplate?.spec?.template : m.spec?.template;
  if (!tpl) return undefined;
  return { labels: tpl.metadata?.labels ?? {}, spec: tpl.spec ?? {} };
}

function toPodGroup(m: Manifest): PodGroup | undefined {
  const tpl = podTemplateOf(m);
  if (!tpl) return undefined;
  const namespace = m.metadata?.namespace ?? "default";
  const name = m.metadata?.name ?? "unnamed";
  const containers = [...(tpl.spec.initContainers ?? []), ...(tpl.spec.containers ?? [])];
  const ports: ContainerPort[] = [];
  for (const c of tpl.spec.containers ?? []) {
    for (const p of c?.ports ?? []) {
      if (typeof p?.containerPort === "number") {
        ports.push({ containerPort: p.containerPort, name: p.name, protocol: (p.protocol ?? "TCP") as Protocol });
      }
    }
  }
  return {
    id: `${namespace}/${m.kind}/${name}`,
    kind: m.kind!,
    name,
    namespace,
    labels: tpl.labels,
    ports,
    images: containers.map((c: any) => c?.image).filter((i: unknown): i is string => typeof i === "string"),
  };
}

function normalizePolicy(m: Manifest): NormalizedPolicy {
  const spec = m.spec ?? {};
  const types: string[] = spec.policyTypes ?? (spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
  const rules = (raw: any[] | undefined, peerKey: "from" | "to"): NormalizedRule[] =>
    (raw ?? []).map((r: any) => ({
      peers: r?.[peerKey] && r[peerKey].length > 0 ? r[peerKey] : undefined,
      ports: r?.ports && r.ports.length > 0 ? r.ports : undefined,
    }));
  return {
    namespace: m.metadata?.namespace ?? "default",
    name: m.metadata?.name ?? "unnamed",
    podSelector: spec.podSelector ?? {},
    ingress: types.includes("Ingress") ? rules(spec.ingress, "from") : undefined,
    egress: types.includes("Egress") ? rules(spec.egress, "to") : undefined,
  };
}

/** Builds the model from raw manifests (other kinds are ignored). */
export function buildModel(manifests: Manifest[]): ReachabilityModel {
  const namespaces = new Map<string, NamespaceInfo>();
  const pods: PodGroup[] = [];
  const policies: NormalizedPolicy[] = [];
  const ensureNs = (name: string, labels: Labels = {}): void => {
    const prev = namespaces.get(name);
    namespaces.set(name, {
      name,
      labels: { ...(prev?.labels ?? {}), ...labels, "kubernetes.io/metadata.name": name },
    });
  };
  for (const m of manifests) {
    if (!m || typeof m !== "object") continue;
    if (m.kind === "Namespace" && m.metadata?.name) ensureNs(m.metadata.name, m.metadata.labels ?? {});
    else if (m.kind === "NetworkPolicy") {
      const p = normalizePolicy(m);
      policies.push(p);
      if (!namespaces.has(p.namespace)) ensureNs(p.namespace);
    } else {
      const g = toPodGroup(m);
      if (g) {
        pods.push(g);
        if (!namespaces.has(g.namespace)) ensureNs(g.namespace);
      }
    }
  }
  return { namespaces, pods, policies };
}

function podEndpoint(p: PodGroup): Endpoint {
  return { kind: "pod", namespace: p.namespace, workload: `${p.kind}/${p.name}`, id: p.id, labels: p.labels };
}

function protocolOf(p: RawPort): Protocol {
  const v = (p.protocol ?? "TCP").toUpperCase();
  return (PROTOCOLS as string[]).includes(v) ? (v as Protocol) : "TCP";
}

/** Resolves rule ports against a destination pod (named ports look up its container ports). */
function resolvePorts(ports: RawPort[] | undefined, dst: PodGroup | undefined): PortRange[] {
  if (!ports) return ALL_PORTS;
  const out: PortRange[] = [];
  for (const p of ports) {
    const protocol = protocolOf(p);
    if (p.port === undefined) out.push({ protocol, from: 1, to: 65535 });
    else if (typeof p.port === "number") out.push({ protocol, from: p.port, to: p.endPort ?? p.port });
    else if (/^\d+$/.test(p.port)) out.push({ protocol, from: Number(p.port), to: p.endPort ?? Number(p.port) });
    else if (dst) {
      for (const c of dst.ports) {
        if (c.name === p.port && (c.protocol ?? "TCP") === protocol) out.push({ protocol, from: c.containerPort, to: c.containerPort });
      }
    }
  }
  return out;
}

function intersect(a: PortRange[], b: PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const x of a) {
    for (const y of b) {
      if (x.protocol !== y.protocol) continue;
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) out.push({ protocol: x.protocol, from, to });
    }
  }
  return merge(out);
}

function merge(ranges: PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.from - b.from);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.protocol === r.protocol && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

function prefixLength(cidr: string): number {
  const n = Number(cidr.split("/")[1]);
  return Number.isFinite(n) ? n : cidr.includes(":") ? 128 : 32;
}

/** True for an external endpoint that covers the whole internet (prefix length 0). */
export function isInternet(e: Endpoint): boolean {
  return e.kind === "external" && prefixLength(e.cidr) === 0;
}

/** The evaluator; build once, ask many questions. */
export class Reachability {
  readonly model: ReachabilityModel;
  private readonly podsByNs = new Map<string, PodGroup[]>();
  /** namespace → `key=value` → pods carrying that label: selectors look up candidates instead of scanning. */
  private readonly podIndex = new Map<string, Map<string, PodGroup[]>>();
  private readonly policiesByNs = new Map<string, NormalizedPolicy[]>();
  private readonly ingressRules = new Map<string, { policy: NormalizedPolicy; rule: NormalizedRule }[] | undefined>();
  private readonly egressRules = new Map<string, { policy: NormalizedPolicy; rule: NormalizedRule }[] | undefined>();
  private readonly peerCache = new Map<string, PodGroup[]>();
  private readonly nsSelCache = new Map<string, string[]>();
  private readonly rulePodCache = new WeakMap<NormalizedRule, Set<PodGroup>>();
  private readonly egressMemo = new Map<object, Map<PodGroup, PortRange[]>>();
  private readonly endpoints = new Map<PodGroup, Endpoint>();
  private cachedFlows: Flow[] | undefined;

  constructor(input: Manifest[] | ReachabilityModel) {
    this.model = Array.isArray(input) ? buildModel(input) : input;
    for (const p of this.model.pods) {
      push(this.podsByNs, p.namespace, p);
      let idx = this.podIndex.get(p.namespace);
      if (!idx) this.podIndex.set(p.namespace, (idx = new Map()));
      for (const [k, v] of Object.entries(p.labels)) push(idx, `${k}=${v}`, p);
    }
    for (const p of this.model.policies) push(this.policiesByNs, p.namespace, p);
    for (const [ns, pods] of this.podsByNs) {
      const pols = this.policiesByNs.get(ns) ?? [];
      // Policies indexed by one of their matchLabels pairs; the rest (empty selector, only
      // matchExpressions) are candidates for every pod. Candidates are then checked in full.
      const always: number[] = [];
      const byLabel = new Map<string, number[]>();
      pols.forEach((p, i) => {
        const first = Object.entries(p.podSelector.matchLabels ?? {})[0];
        if (first) push(byLabel, `${first[0]}=${first[1]}`, i);
        else always.push(i);
      });
      // Pods selected by the same set of policies share one rule list (and its memoised answers).
      const classes = new Map<string, { ing?: RuleList; eg?: RuleList }>();
      for (const pod of pods) {
        const cand = [...always];
        for (const [k, v] of Object.entries(pod.labels)) cand.push(...(byLabel.get(`${k}=${v}`) ?? []));
        const idxs = [...new Set(cand)].sort((a, b) => a - b).filter((i) => selectorMatches(pols[i]!.podSelector, pod.labels));
        const selecting = idxs.map((i) => pols[i]!);
        const key = idxs.join(",");
        let c = classes.get(key);
        if (!c) {
          const ing = selecting.filter((p) => p.ingress);
          const eg = selecting.filter((p) => p.egress);
          c = {
            ing: ing.length ? ing.flatMap((policy) => policy.ingress!.map((rule) => ({ policy, rule }))) : undefined,
            eg: eg.length ? eg.flatMap((policy) => policy.egress!.map((rule) => ({ policy, rule }))) : undefined,
          };
          classes.set(key, c);
        }
        this.ingressRules.set(pod.id, c.ing);
        this.egressRules.set(pod.id, c.eg);
      }
    }
  }

  /** Pods isolated for ingress / egress (selected by some policy of that type). */
  isolation(podId: string): { ingress: boolean; egress: boolean } {
    return { ingress: this.ingressRules.get(podId) !== undefined, egress: this.egressRules.get(podId) !== undefined };
  }

  private namespacesMatching(sel: LabelSelector): string[] {
    const key = JSON.stringify(sel);
    let hit = this.nsSelCache.get(key);
    if (!hit) {
      hit = [...this.model.namespaces.values()].filter((n) => selectorMatches(sel, n.labels)).map((n) => n.name);
      this.nsSelCache.set(key, hit);
    }
    return hit;
  }

  /** Pods matched by a pod/namespace-selector peer of a policy in `policyNs`. */
  private podsOfPeer(policyNs: string, peer: RawPeer): PodGroup[] {
    if (peer.ipBlock) return [];
    const key = `${policyNs}\u0000${JSON.stringify([peer.namespaceSelector ?? null, peer.podSelector ?? null])}`;
    let hit = this.peerCache.get(key);
    if (!hit) {
      const nss = peer.namespaceSelector ? this.namespacesMatching(peer.namespaceSelector) : [policyNs];
      hit = [];
      for (const ns of nss) {
        for (const pod of this.candidates(ns, peer.podSelector)) {
          if (selectorMatches(peer.podSelector, pod.labels)) hit.push(pod);
        }
      }
      this.peerCache.set(key, hit);
    }
    return hit;
  }

  /** Pods of `ns` that may match `sel`: the smallest label-index list of its matchLabels, else every pod. */
  private candidates(ns: string, sel: LabelSelector | undefined): PodGroup[] {
    const all = this.podsByNs.get(ns) ?? [];
    const pairs = Object.entries(sel?.matchLabels ?? {});
    if (pairs.length === 0) return all;
    const idx = this.podIndex.get(ns);
    let best: PodGroup[] | undefined;
    for (const [k, v] of pairs) {
      const list = idx?.get(`${k}=${v}`) ?? [];
      if (!best || list.length < best.length) best = list;
    }
    return best ?? all;
  }

  /** Pods matched by any pod/namespace peer of a rule (resolved once per rule). */
  private rulePods(policyNs: string, rule: NormalizedRule): Set<PodGroup> {
    let hit = this.rulePodCache.get(rule);
    if (!hit) {
      hit = new Set<PodGroup>();
      for (const peer of rule.peers ?? []) if (!peer.ipBlock) for (const p of this.podsOfPeer(policyNs, peer)) hit.add(p);
      this.rulePodCache.set(rule, hit);
    }
    return hit;
  }

  /** Ports pod `src` may send to pod `dst` according to src's egress rules (memoised per egress class). */
  private egressAllows(src: PodGroup, dst: PodGroup): PortRange[] {
    const rules = this.egressRules.get(src.id);
    if (rules === undefined) return ALL_PORTS;
    let memo = this.egressMemo.get(rules);
    if (!memo) this.egressMemo.set(rules, (memo = new Map()));
    let hit = memo.get(dst);
    if (!hit) memo.set(dst, (hit = this.computeEgress(rules, dst)));
    return hit;
  }

  private computeEgress(rules: { policy: NormalizedPolicy; rule: NormalizedRule }[], dst: PodGroup): PortRange[] {
    const out: PortRange[] = [];
    for (const { policy, rule } of rules) {
      if (rule.peers === undefined || this.rulePods(policy.namespace, rule).has(dst)) out.push(...resolvePorts(rule.ports, dst));
    }
    return out.length > 1 ? merge(out) : out;
  }

  /** Every allowed flow. */
  flows(): Flow[] {
    if (!this.cachedFlows) this.cachedFlows = this.computeFlows();
    return this.cachedFlows;
  }

  /** Only the flows INTO pods that `to` accepts (no pod → external flows): cheaper when you ask about one tier. */
  flowsInto(to: (dst: PodGroup) => boolean): Flow[] {
    return this.computeFlows(to);
  }

  private computeFlows(toFilter?: (dst: PodGroup) => boolean): Flow[] {
    const out: Flow[] = [];
    const ep = (p: PodGroup): Endpoint => {
      let e = this.endpoints.get(p);
      if (!e) this.endpoints.set(p, (e = podEndpoint(p)));
      return e;
    };
    const emit = (from: Endpoint, to: Endpoint, ranges: PortRange[]): void => {
      for (const r of ranges) out.push({ from, to, protocol: r.protocol, fromPort: r.from, toPort: r.to });
    };
    const allPods = this.model.pods;
    // Pod → pod and external → pod, from the destination's ingress side.
    for (const dst of allPods) {
      if (toFilter && !toFilter(dst)) continue;
      const rules = this.ingressRules.get(dst.id);
      const allowedFrom = new Map<PodGroup, PortRange[]>();
      const externals: { cidr: string; except: string[]; ports: PortRange[] }[] = [];
      if (rules === undefined) {
        for (const src of allPods) allowedFrom.set(src, ALL_PORTS);
        externals.push({ cidr: INTERNET_V4, except: [], ports: ALL_PORTS });
      } else {
        for (const { policy, rule } of rules) {
          const ports = resolvePorts(rule.ports, dst);
          if (ports.length === 0) continue;
          if (rule.peers === undefined) {
            for (const src of allPods) appendPorts(allowedFrom, src, ports);
            externals.push({ cidr: INTERNET_V4, except: [], ports });
            continue;
          }
          for (const peer of rule.peers) if (peer.ipBlock) externals.push({ cidr: peer.ipBlock.cidr, except: peer.ipBlock.except ?? [], ports });
          for (const src of this.rulePods(policy.namespace, rule)) appendPorts(allowedFrom, src, ports);
        }
      }
      const to = ep(dst);
      for (const [src, ports] of allowedFrom) {
        if (src === dst) continue; // a pod talking to itself is never filtered
        const both = intersect(ports.length > 1 ? merge(ports) : ports, this.egressAllows(src, dst));
        if (both.length) emit(ep(src), to, both);
      }
      for (const e of externals) emit({ kind: "external", cidr: e.cidr, except: e.except }, to, merge(e.ports));
    }
    // Pod → external, from the source's egress side.
    if (toFilter) return out;
    for (const src of allPods) {
      const rules = this.egressRules.get(src.id);
      const from = ep(src);
      if (rules === undefined) {
        emit(from, { kind: "external", cidr: INTERNET_V4, except: [] }, ALL_PORTS);
        continue;
      }
      for (const { rule } of rules) {
        const ports = merge(resolvePorts(rule.ports, undefined));
        if (ports.length === 0) continue;
        if (rule.peers === undefined) emit(from, { kind: "external", cidr: INTERNET_V4, except: [] }, ports);
        else
          for (const peer of rule.peers) if (peer.ipBlock) emit(from, { kind: "external", cidr: peer.ipBlock.cidr, except: peer.ipBlock.except ?? [] }, ports);
      }
    }
    return out;
  }

  /** Can any pod of namespace `fromNs` reach any pod of `toNs` (optionally on `port`)? */
  canReach(fromNs: string, toNs: string, port?: number, protocol: Protocol = "TCP"): boolean {
    return this.flows().some(
      (f) =>
        f.from.kind === "pod" &&
        f.from.namespace === fromNs &&
        f.to.kind === "pod" &&
        f.to.namespace === toNs &&
        (port === undefined || (f.protocol === protocol && f.fromPort <= port && port <= f.toPort)),
    );
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function appendPorts(m: Map<PodGroup, PortRange[]>, k: PodGroup, ports: PortRange[]): void {
  const prev = m.get(k);
  if (prev) prev.push(...ports);
  else m.set(k, [...ports]);
}

/** Does ipBlock `block` (with its excepts) cover the whole of `cidr`? Exact for IPv4, prefix-only for IPv6. */
export function cidrCovers(block: { cidr: string; except?: string[] }, cidr: string): boolean {
  if (!sameFamily(block.cidr, cidr)) return false;
  if (!cidrContains(block.cidr, cidr)) return false;
  return !(block.except ?? []).some((e) => cidrContains(e, cidr) || cidrContains(cidr, e));
}

function sameFamily(a: string, b: string): boolean {
  return a.includes(":") === b.includes(":");
}

/** Does `outer` contain `inner` (both CIDRs of one family)? */
export function cidrContains(outer: string, inner: string): boolean {
  if (!sameFamily(outer, inner)) return false;
  const po = prefixLength(outer);
  const pi = prefixLength(inner);
  if (pi < po) return false;
  if (outer.includes(":")) return po === 0 || outer.split("/")[0] === inner.split("/")[0];
  const a = ipv4ToInt(outer.split("/")[0]!);
  const b = ipv4ToInt(inner.split("/")[0]!);
  if (a === undefined || b === undefined) return false;
  if (po === 0) return true;
  const mask = po === 32 ? 0xffffffff : ~((1 << (32 - po)) - 1) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

/** Namespace-level summary: `from → to` pairs with their port ranges, pods folded into their namespace. */
export function namespaceFlows(flows: Flow[]): { from: string; to: string; protocol: Protocol; fromPort: number; toPort: number }[] {
  const label = (e: Endpoint): string => (e.kind === "pod" ? e.namespace : isInternet(e) ? "internet" : `ipBlock:${e.cidr}`);
  const seen = new Map<string, { from: string; to: string; protocol: Protocol; fromPort: number; toPort: number }>();
  for (const f of flows) {
    const row = { from: label(f.from), to: label(f.to), protocol: f.protocol, fromPort: f.fromPort, toPort: f.toPort };
    seen.set(`${row.from}|${row.to}|${row.protocol}|${row.fromPort}|${row.toPort}`, row);
  }
  return [...seen.values()].sort(
    (a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.protocol.localeCompare(b.protocol) || a.fromPort - b.fromPort,
  );
}

/** Convenience: all flows of a manifest set. */
export function evaluateReachability(manifests: Manifest[]): Flow[] {
  return new Reachability(manifests).flows();
}
