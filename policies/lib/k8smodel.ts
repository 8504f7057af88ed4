/**
 * Raw Kubernetes resources of a stack → manifests for the reachability evaluator. Helm releases
 * (kubernetes:helm.sh/v3:Release) render their workloads inside the provider, so the program
 * never sees them; each release stands in as one pod carrying the standard Helm labels
 * (app.kubernetes.io/instance = release name, app.kubernetes.io/name = chart name), which is
 * what namespace-wide (podSelector: {}) and chart-label selectors match.
 */
import type { Manifest } from "./reachability";
import { K8S, WORKLOAD_TYPES } from "./util";

export interface TypedProps {
  type: string;
  props: any;
  name: string;
}

export function helmReleasePod(r: TypedProps): Manifest {
  const release = String(r.props?.name ?? r.name);
  const chart = String(r.props?.chart ?? "chart").replace(/^.*\//, "");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `helm-release-${release}`,
      namespace: String(r.props?.namespace ?? "default"),
      labels: { "app.kubernetes.io/instance": release, "app.kubernetes.io/name": chart, "app.kubernetes.io/managed-by": "Helm" },
    },
    spec: { containers: [] },
  };
}

/** Namespaces, NetworkPolicies, workloads and Helm-release stand-ins as manifests. */
export function k8sManifests(resources: TypedProps[]): Manifest[] {
  const out: Manifest[] = [];
  for (const r of resources) {
    if (r.type === K8S.namespace || r.type === K8S.networkPolicy || WORKLOAD_TYPES.includes(r.type)) out.push({ kind: r.type.split(":")[2], ...r.props });
    else if (r.type === K8S.helmRelease) out.push(helmReleasePod(r));
  }
  return out;
}
