/**
 * Pods that operators create for our custom resources, checked against Pod Security admission.
 *
 * Under KWOK an operator's own Deployment is "Ready" but its code never runs, so the pods it would
 * create for a custom resource (a ScyllaCluster's ScyllaDB nodes) never reach the API server and
 * their admission is never tested. That hid a real failure: ScyllaDB runs as root with
 * CAP_SYS_NICE, and the gateway's prod ScyllaCluster lived in the `restricted` data namespace,
 * where the operator could never have created a single pod.
 *
 * Each row derives, from the custom resource as stored (and the resources it names), the security
 * fields the operator's source gives its pods — pod securityContext, hostNetwork, every init and
 * main container's securityContext — with the file and release it was read from; the run
 * server-side dry-runs a Pod of that shape in the namespace of every such custom resource, so Pod
 * Security admission answers exactly as it would for the operator. Update a row when the chart pin
 * (components/charts.ts) moves to a release that changes it.
 */
import type { ClusterAccess, Problem } from "./cluster-checks";
import { fixFor } from "./cluster-checks";

type Obj = Record<string, any>;

/** The security-relevant part of the pod an operator creates. */
export interface OperatorPod {
  podSecurityContext: Obj;
  hostNetwork?: boolean;
  initContainers: { name: string; securityContext?: Obj }[];
  containers: { name: string; securityContext?: Obj }[];
}

export interface OperatorPodShape {
  /** `<group>/<Kind>` of the custom resource. */
  kind: string;
  /** Where the shape was read (repository, release, files). */
  source: string;
  /**
   * The pod for one custom resource: `cr` is the object as the API server stores it (`{}` = every
   * default), `related(kind, name)` another custom resource of the same namespace that it names.
   */
  podFor(cr: Obj, related: (kind: string, name: string) => Obj | undefined): OperatorPod;
}

// CloudNativePG v1.30.0 (chart cloudnative-pg 0.29.0). The Cluster's own spec.securityContext and
// spec.podSecurityContext now override the defaults field by field (v1.27 ignored them), so the
// shape is computed from the Cluster, not fixed.
const cnpgSeccomp = (cluster: Obj) => cluster.spec?.seccompProfile ?? { type: "RuntimeDefault" };

/** pkg/specs/containers.go GetSecurityContext: the defaults, or spec.securityContext with the unset fields defaulted. */
export function cnpgContainerSecurityContext(cluster: Obj): Obj {
  const defaults: Obj = {
    seccompProfile: cnpgSeccomp(cluster),
    capabilities: { drop: ["ALL"] },
    privileged: false,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
  };
  const defined = cluster.spec?.securityContext as Obj | undefined;
  if (!defined) return defaults;
  const out: Obj = { ...defined };
  for (const k of Object.keys(defaults)) if (out[k] === undefined || out[k] === null) out[k] = defaults[k];
  return out;
}

/** pkg/specs/pods.go GetPodSecurityContext: uid/gid from spec.postgresUID/GID (default 26), or spec.podSecurityContext with runAsUser/runAsGroup/seccompProfile defaulted. */
export function cnpgPodSecurityContext(cluster: Obj): Obj {
  const uid = cluster.spec?.postgresUID ?? 26;
  const gid = cluster.spec?.postgresGID ?? 26;
  const defined = cluster.spec?.podSecurityContext as Obj | undefined;
  if (!defined) return { seccompProfile: cnpgSeccomp(cluster), runAsUser: uid, runAsGroup: gid, runAsNonRoot: true, fsGroup: gid };
  return {
    ...defined,
    runAsUser: defined.runAsUser ?? uid,
    runAsGroup: defined.runAsGroup ?? gid,
    seccompProfile: defined.seccompProfile ?? cnpgSeccomp(cluster),
  };
}

export const OPERATOR_POD_SHAPES: OperatorPodShape[] = [
  {
    kind: "postgresql.cnpg.io/Cluster",
    source:
      "cloudnative-pg/cloudnative-pg v1.30.0 (chart cloudnative-pg 0.29.0): pkg/specs/pods.go createClusterPodSpec + GetPodSecurityContext, pkg/specs/containers.go createBootstrapContainer + GetSecurityContext",
    podFor: (cluster) => {
      const sc = cnpgContainerSecurityContext(cluster);
      return {
        podSecurityContext: cnpgPodSecurityContext(cluster),
        initContainers: [{ name: "bootstrap-controller", securityContext: sc }],
        containers: [{ name: "postgres", securityContext: sc }],
      };
    },
  },
  {
    kind: "postgresql.cnpg.io/Pooler",
    source:
      "cloudnative-pg/cloudnative-pg v1.30.0: pkg/specs/pgbouncer/deployments.go Deployment + createPodSecurityContext (uid 998, gid 996; containers take the referenced Cluster's GetSecurityContext)",
    podFor: (pooler, related) => {
      const cluster = related("postgresql.cnpg.io/Cluster", pooler.spec?.cluster?.name ?? "") ?? {};
      const sc = cnpgContainerSecurityContext(cluster);
      return {
        podSecurityContext: { runAsNonRoot: true, runAsUser: 998, runAsGroup: 996, fsGroup: 996, seccompProfile: cnpgSeccomp(cluster) },
        initContainers: [{ name: "bootstrap-controller", securityContext: sc }],
        containers: [{ name: "pgbouncer", securityContext: sc }],
      };
    },
  },
  {
    kind: "scylla.scylladb.com/ScyllaCluster",
    source:
      "scylladb/scylla-operator v1.21.1 (chart scylla-operator v1.21.1): pkg/controller/scyllacluster/migrate.go (ScyllaCluster → ScyllaDBDatacenter: hostNetworking and sysctls become annotations), pkg/controller/scylladbdatacenter/resource.go StatefulSetForRack (pod runAsUser 0, scylla container root + CAP_SYS_NICE, hostNetwork) + makeInitContainers (privileged sysctl-buddy when sysctls are set)",
    podFor: (sc) => {
      const root = { runAsUser: 0, runAsGroup: 0 };
      const sysctls = (sc.spec?.sysctls as unknown[] | undefined) ?? [];
      return {
        podSecurityContext: root,
        ...(sc.spec?.network?.hostNetworking === true ? { hostNetwork: true } : {}),
        initContainers: [{ name: "sidecar-injection" }, ...(sysctls.length ? [{ name: "sysctl-buddy", securityContext: { privileged: true } }] : [])],
        containers: [
          { name: "scylla", securityContext: { ...root, capabilities: { add: ["SYS_NICE"] } } },
          { name: "scylladb-api-status-probe" },
          { name: "scylladb-ignition" },
          { name: "scylla-manager-agent" },
        ],
      };
    },
  },
];

/** The probe Pod for one custom resource: the operator's shape for that resource, in its namespace. */
export function probePod(
  shape: OperatorPodShape,
  namespace: string,
  name: string,
  cr: Obj = {},
  related: (kind: string, name: string) => Obj | undefined = () => undefined,
): Obj {
  const p = shape.podFor(cr, related);
  const container = (c: { name: string; securityContext?: Obj }) => ({
    name: c.name,
    image: "registry.invalid/operator-pod-probe:0",
    ...(c.securityContext ? { securityContext: c.securityContext } : {}),
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${name}-operator-pod-probe`.slice(0, 63).replace(/-+$/, ""), namespace },
    spec: {
      securityContext: p.podSecurityContext,
      ...(p.hostNetwork ? { hostNetwork: true } : {}),
      ...(p.initContainers.length ? { initContainers: p.initContainers.map(container) } : {}),
      containers: p.containers.map(container),
    },
  };
}

const splitKind = (k: string) => [k.slice(0, k.lastIndexOf("/")), k.slice(k.lastIndexOf("/") + 1)] as const;

/** Dry-run (server side) the operator's pod for every custom resource of a listed kind. */
export async function operatorPodProblems(
  cp: ClusterAccess,
  shapes: OperatorPodShape[] = OPERATOR_POD_SHAPES,
): Promise<{ checked: string[]; problems: Problem[] }> {
  const checked: string[] = [];
  const problems: Problem[] = [];
  // Every object of every listed kind first: a Pooler's pods depend on the Cluster it names.
  const objects = new Map<string, Obj[]>();
  for (const shape of shapes) {
    const [group, kind] = splitKind(shape.kind);
    const r = await cp.kubectl(["get", `${kind.toLowerCase()}s.${group}`, "--all-namespaces", "-o", "json"], { timeoutMs: 60_000 });
    // No CRD for the kind: nothing of that kind was created (the run's other phases catch a missing CRD).
    if (r.code !== 0 && /the server doesn't have a resource type/.test(r.stderr)) continue;
    if (r.code !== 0) throw new Error(`kubectl get ${kind}: ${r.stderr.trim()}`);
    objects.set(shape.kind, (JSON.parse(r.stdout).items ?? []) as Obj[]);
  }
  for (const shape of shapes) {
    const kind = splitKind(shape.kind)[1];
    for (const o of objects.get(shape.kind) ?? []) {
      const ns = o.metadata?.namespace as string;
      const object = `${kind} ${ns}/${o.metadata?.name}`;
      checked.push(object);
      const related = (k: string, name: string) => (objects.get(k) ?? []).find((x) => x.metadata?.namespace === ns && x.metadata?.name === name);
      const pod = probePod(shape, ns, o.metadata?.name, o, related);
      const res = await cp.kubectl(["create", "--dry-run=server", "-f", "-", "-o", "name"], { input: JSON.stringify(pod), timeoutMs: 60_000 });
      if (res.code !== 0) {
        const message = `the pods its operator creates would be refused: ${res.stderr.trim()} (operator pod shape: ${shape.source})`;
        problems.push({ object, message, fix: fixFor(message) });
      }
    }
  }
  return { checked, problems };
}
