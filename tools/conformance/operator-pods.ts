/**
 * Pods that operators create for our custom resources, checked against Pod Security admission.
 *
 * Under KWOK an operator's own Deployment is "Ready" but its code never runs, so the pods it would
 * create for a custom resource (a ScyllaCluster's ScyllaDB nodes) never reach the API server and
 * their admission is never tested. That hid a real failure: ScyllaDB runs as root with
 * CAP_SYS_NICE, and the gateway's prod ScyllaCluster lived in the `restricted` data namespace,
 * where the operator could never have created a single pod.
 *
 * Each row is the security context the operator's source gives its pods, with the file and
 * release it was read from; the run server-side dry-runs a Pod of that shape in the namespace of
 * every such custom resource, so Pod Security admission answers exactly as it would for the
 * operator. Update a row when the chart pin (components/charts.ts) moves to a release that
 * changes it.
 */
import type { ClusterAccess, Problem } from "./cluster-checks";
import { fixFor } from "./cluster-checks";

export interface OperatorPodShape {
  /** `<group>/<Kind>` of the custom resource. */
  kind: string;
  /** Where the shape was read (repository, release, file). */
  source: string;
  podSecurityContext: Record<string, unknown>;
  containers: { name: string; securityContext: Record<string, unknown> }[];
}

const CNPG_CONTAINER = {
  capabilities: { drop: ["ALL"] },
  privileged: false,
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: "RuntimeDefault" },
};
const cnpgPod = (uid: number, gid: number) => ({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: { type: "RuntimeDefault" } });

export const OPERATOR_POD_SHAPES: OperatorPodShape[] = [
  {
    kind: "postgresql.cnpg.io/Cluster",
    source: "cloudnative-pg/cloudnative-pg v1.27.1 (chart cloudnative-pg 0.26.1), pkg/specs/pods.go CreatePodSecurityContext (uid/gid 26) + pkg/specs/containers.go CreateContainerSecurityContext",
    podSecurityContext: cnpgPod(26, 26),
    containers: [{ name: "postgres", securityContext: CNPG_CONTAINER }],
  },
  {
    kind: "postgresql.cnpg.io/Pooler",
    source: "cloudnative-pg/cloudnative-pg v1.27.1, pkg/specs/pgbouncer/deployments.go (uid 998, gid 996)",
    podSecurityContext: cnpgPod(998, 996),
    containers: [{ name: "pgbouncer", securityContext: CNPG_CONTAINER }],
  },
  {
    kind: "scylla.scylladb.com/ScyllaCluster",
    source: "scylladb/scylla-operator v1.15.0, pkg/controller/scylladbdatacenter/resource.go (StatefulSetForRack: scylla container runAsUser 0 + CAP_SYS_NICE)",
    podSecurityContext: { runAsUser: 0, runAsGroup: 0 },
    containers: [{ name: "scylla", securityContext: { runAsUser: 0, runAsGroup: 0, capabilities: { add: ["SYS_NICE"] } } }],
  },
];

/** The probe Pod for one custom resource: the operator's shape, in the resource's namespace. */
export function probePod(shape: OperatorPodShape, namespace: string, name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${name}-operator-pod-probe`.slice(0, 63).replace(/-+$/, ""), namespace },
    spec: {
      securityContext: shape.podSecurityContext,
      containers: shape.containers.map((c) => ({ name: c.name, image: "registry.invalid/operator-pod-probe:0", securityContext: c.securityContext })),
    },
  };
}

/** Dry-run (server side) the operator's pod for every custom resource of a listed kind. */
export async function operatorPodProblems(cp: ClusterAccess, shapes: OperatorPodShape[] = OPERATOR_POD_SHAPES): Promise<{ checked: string[]; problems: Problem[] }> {
  const checked: string[] = [];
  const problems: Problem[] = [];
  for (const shape of shapes) {
    const [group, kind] = [shape.kind.slice(0, shape.kind.lastIndexOf("/")), shape.kind.slice(shape.kind.lastIndexOf("/") + 1)];
    const r = await cp.kubectl(["get", `${kind.toLowerCase()}s.${group}`, "--all-namespaces", "-o", "json"], { timeoutMs: 60_000 });
    // No CRD for the kind: nothing of that kind was created (the run's other phases catch a missing CRD).
    if (r.code !== 0 && /the server doesn't have a resource type/.test(r.stderr)) continue;
    if (r.code !== 0) throw new Error(`kubectl get ${kind}: ${r.stderr.trim()}`);
    for (const o of (JSON.parse(r.stdout).items ?? []) as any[]) {
      const ns = o.metadata?.namespace as string;
      const object = `${kind} ${ns}/${o.metadata?.name}`;
      checked.push(object);
      const pod = probePod(shape, ns, o.metadata?.name);
      const res = await cp.kubectl(["create", "--dry-run=server", "-f", "-", "-o", "name"], { input: JSON.stringify(pod), timeoutMs: 60_000 });
      if (res.code !== 0) {
        const message = `the pods its operator creates would be refused: ${res.stderr.trim()} (operator pod shape: ${shape.source})`;
        problems.push({ object, message, fix: fixFor(message) });
      }
    }
  }
  return { checked, problems };
}
