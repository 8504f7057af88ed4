/**
 * The network contract each data store exposes as plain data (`DataNetwork`), so one
 * namespace-level planner (components/kubernetes) builds every NetworkPolicy, plus the pure
 * helpers the stores' plans share (labels, restricted pod security). No Pulumi import.
 */

/** The in-cluster networking args, as plain data (mirrors `clusterNetworkSchema`). */
export interface ClusterNetwork {
  namespace: string;
  clientNamespaces: string[];
  clientPodSelector?: Record<string, string>;
  storageClassName?: string;
  dedicatedNodes?: DedicatedNodes;
}

/** The tainted node group a store's pods run on: its labels and its taint. */
export interface DedicatedNodes {
  nodeSelector: Record<string, string>;
  taint: { key: string; value: string; effect: "NoSchedule" | "NoExecute" };
}

/**
 * Pod-spec placement on the network's dedicated data nodes: a `nodeSelector` on the group's labels
 * and the toleration of its taint (both, or the pods would land anywhere / nowhere). `{}` without
 * dedicated nodes. Spread into a pod spec (StatefulSets) or CNPG's `spec.affinity`.
 */
export function dataNodePlacement(net: { dedicatedNodes?: DedicatedNodes | undefined }): {
  nodeSelector?: Record<string, string>;
  tolerations?: { key: string; operator: "Equal"; value: string; effect: string }[];
} {
  const d = net.dedicatedNodes;
  if (!d) return {};
  return { nodeSelector: { ...d.nodeSelector }, tolerations: [{ key: d.taint.key, operator: "Equal", value: d.taint.value, effect: d.taint.effect }] };
}

/** Throw one error for problems found by a plan (cross-field rules zod cannot express cleanly). */
export function assertNoProblems(component: string, name: string, problems: string[]): void {
  if (problems.length === 0) return;
  throw new Error(`${component} "${name}": invalid args\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

export interface PortSpec {
  port: number;
  protocol: "TCP" | "UDP";
  name: string;
}

/** Pods allowed to reach a store's pods: from namespaces (and optionally a pod selector). */
export interface PeerSpec {
  namespaces: string[];
  podSelector?: Record<string, string>;
}

/** One allow rule for traffic INTO the store's pods (the namespace planner turns it into a NetworkPolicy ingress rule). */
export interface IngressRule {
  /** Short purpose, e.g. `clients`, `replication`, `operator`. */
  purpose: string;
  /** The store pods this rule admits traffic to. */
  podSelector: Record<string, string>;
  ports: PortSpec[];
  from: PeerSpec;
}

/** One allow rule for traffic OUT OF the store's pods beyond its own namespace (e.g. backups to S3). */
export interface EgressRule {
  purpose: string;
  podSelector: Record<string, string>;
  ports: PortSpec[];
  /** `peers` = in-cluster pods; `external` = outside the cluster (the namespace planner decides the CIDRs). */
  to: { kind: "peers"; peers: PeerSpec } | { kind: "external"; description: string };
}

/**
 * What a store needs from the network, as plain data. For `kind: "kubernetes"` the
 * namespace planner builds NetworkPolicies from `ingress`/`egress`; for `kind: "aws"` the
 * store already created its security group (rules reference the app SGs only).
 */
export type DataNetwork =
  | { kind: "kubernetes"; namespace: string; ports: PortSpec[]; ingress: IngressRule[]; egress: EgressRule[] }
  | { kind: "aws"; ports: PortSpec[]; allowedSecurityGroupCount: number };

/** In-cluster stores name their Kubernetes objects after the component: it must be a short DNS label. */
export function k8sNameProblems(name: string): string[] {
  return /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)
    ? []
    : [`name: "${name}" names Kubernetes objects and services; use a DNS-1123 label of at most 40 chars (lowercase letters, digits, '-')`];
}

export const tcp = (name: string, port: number): PortSpec => ({ name, port, protocol: "TCP" });

/** Client rule: the client namespaces (narrowed by the pod selector if given) → the store's client ports. */
export function clientRule(podSelector: Record<string, string>, ports: PortSpec[], net: ClusterNetwork): IngressRule {
  const from: PeerSpec = { namespaces: [...net.clientNamespaces] };
  if (net.clientPodSelector) from.podSelector = { ...net.clientPodSelector };
  return { purpose: "clients", podSelector, ports, from };
}

/** Metrics rule: Prometheus (the cluster's NetworkPolicy planner resolves the monitoring namespace) → the exporter port. */
export function metricsRule(podSelector: Record<string, string>, port: PortSpec): IngressRule {
  return { purpose: "metrics", podSelector, ports: [port], from: { namespaces: [] } };
}

/** Intra-store rule: the store's own pods ↔ each other on the given ports. */
export function selfRule(purpose: string, podSelector: Record<string, string>, ports: PortSpec[], namespace: string): IngressRule {
  return { purpose, podSelector, ports, from: { namespaces: [namespace], podSelector } };
}

/** Standard labels for in-cluster store objects. */
export function storeLabels(name: string, component: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/part-of": "platform-data",
    "app.kubernetes.io/managed-by": "pulumi",
    ...extra,
  };
}

/** Pod security context satisfying Pod Security Standards `restricted`. */
export function restrictedPodSecurity(uid: number): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container security context satisfying `restricted`; read-only root fs unless the image cannot. */
export function restrictedContainerSecurity(readOnlyRootFilesystem = true): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * The `data` volume claim template every in-cluster store's StatefulSet uses: one ReadWriteOnce
 * claim of `storageGb` GiB, on the network's StorageClass when it names one (else the default).
 */
export function dataClaimTemplate(labels: Record<string, string>, storageGb: number, storageClassName?: string) {
  return {
    metadata: { name: "data", labels },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: `${storageGb}Gi` } },
      ...(storageClassName ? { storageClassName } : {}),
    },
  };
}

/** AWS tags from labels-like data. */
export function awsTags(name: string, component: string, extra: Record<string, string> = {}): Record<string, string> {
  return { Name: name, "platform:component": component, "platform:managed-by": "pulumi", ...extra };
}
