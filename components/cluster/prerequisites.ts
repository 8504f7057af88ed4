/**
 * Kubernetes prerequisites, declared in one place.
 *
 * An object can only be created after the Namespace it lives in and after whatever serves its API
 * (the CustomResourceDefinition a Helm chart installs). The engine orders creates only by declared
 * dependencies, so an object that merely *names* its namespace races the Namespace — and loses on
 * a busy engine ("namespaces \"data\" not found" after the provider's ~1 minute of retries). The
 * control-plane conformance run (tools/conformance) found dozens of such objects across every
 * blueprint; rather than thread `dependsOn` through every component by hand, this stack
 * transformation adds the dependency wherever it is missing:
 *
 *  - every namespaced Kubernetes object (and every Helm release) depends on the Namespace object,
 *    or the Helm release with `createNamespace`, that this program creates for its namespace;
 *  - every custom resource depends on the Helm release (or CRD object) that installs its API group,
 *    and a Helm release whose chart renders custom resources of another chart's groups
 *    (`RENDERS_GROUPS`, or a ServiceMonitor its values ask for) depends on that chart's release.
 *
 * It sees resources in registration order, so a creator must be registered before its dependents
 * (the composition does this: cluster and add-ons first). The conformance run's order check
 * (tools/conformance/order.ts) verifies the whole graph independently, so a miss cannot pass.
 *
 * Why the SDK-side `registerStackTransformation` and not the newer engine-side
 * `registerResourceTransform`: it adds `dependsOn` before registration in every runtime we use,
 * including the mocks the offline plan runs under.
 */
import * as pulumi from "@pulumi/pulumi";
import { chartNameOf } from "../charts";

/** API groups whose CRDs each chart installs (checked against the charts by test/cluster/prerequisites.test.ts). */
export const CHART_CRD_GROUPS: Record<string, readonly string[]> = {
  "cert-manager": ["cert-manager.io", "acme.cert-manager.io"],
  "kube-prometheus-stack": ["monitoring.coreos.com"],
  "prometheus-operator-crds": ["monitoring.coreos.com"],
  "external-secrets": ["external-secrets.io", "generators.external-secrets.io"],
  "scylla-operator": ["scylla.scylladb.com"],
  "cloudnative-pg": ["postgresql.cnpg.io"],
  traefik: ["traefik.io", "hub.traefik.io"],
  "argo-cd": ["argoproj.io"],
  "argo-rollouts": ["argoproj.io"],
  "external-dns": ["externaldns.k8s.io"],
  "aws-load-balancer-controller": ["elbv2.k8s.aws"],
  velero: ["velero.io"],
  alloy: ["monitoring.grafana.com"],
  kyverno: ["kyverno.io", "policies.kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io"],
};

/** API groups of other charts whose custom resources a chart renders (so its release needs theirs). */
export const RENDERS_GROUPS: Record<string, readonly string[]> = {
  // The Scylla Operator chart renders a cert-manager Issuer and Certificate for its webhook.
  "scylla-operator": ["cert-manager.io"],
  // kube-prometheus-stack renders Prometheus, Alertmanager, PrometheusRules and ServiceMonitors;
  // with crds.enabled=false the CRDs come from the prometheus-operator-crds release.
  "kube-prometheus-stack": ["monitoring.coreos.com"],
};

/**
 * Groups a release renders because of its values: charts render a ServiceMonitor (or PodMonitor)
 * when asked to (`serviceMonitor.enabled: true`, under any key), and need the operator's CRDs.
 */
export function rendersFromValues(values: unknown): string[] {
  const found = (v: unknown): boolean => {
    if (!v || typeof v !== "object") return false;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (/^(service|pod)monitor$/i.test(k) && x && typeof x === "object" && (x as Record<string, unknown>)["enabled"] === true) return true;
      if (found(x)) return true;
    }
    return false;
  };
  return found(values) ? ["monitoring.coreos.com"] : [];
}

const NAMESPACE = "kubernetes:core/v1:Namespace";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

/** `kubernetes:cert-manager.io/v1:ClusterIssuer` → `cert-manager.io`; core and built-in groups too. */
function groupOf(type: string): string | undefined {
  const m = /^kubernetes:([^:/]+)\/[^:]+:\w+$/.exec(type);
  return m ? m[1] : undefined;
}

function plainString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export interface PrerequisiteRegistry {
  namespaces: Map<string, pulumi.Resource>;
  groups: Map<string, pulumi.Resource>;
}

/** The transformation itself (exported for tests); `registry` collects creators as they register. */
export function prerequisitesTransformation(registry: PrerequisiteRegistry = { namespaces: new Map(), groups: new Map() }): pulumi.ResourceTransformation {
  return (args) => {
    if (!args.type.startsWith("kubernetes:") || args.type.startsWith("pulumi:providers:")) return undefined;
    const props = args.props as Record<string, any>;
    const md = (props["metadata"] ?? {}) as Record<string, unknown>;
    const needs: pulumi.Resource[] = [];

    if (args.type === NAMESPACE) {
      const n = plainString(md["name"]);
      if (n && !registry.namespaces.has(n)) registry.namespaces.set(n, args.resource);
      return undefined;
    }
    const ns = args.type === RELEASE ? plainString(props["namespace"]) : plainString(md["namespace"]);
    if (args.type === RELEASE) {
      const chart = typeof props["chart"] === "string" ? chartNameOf(props["chart"], plainString(props["version"])) : undefined;
      if (ns && props["createNamespace"] === true && !registry.namespaces.has(ns)) registry.namespaces.set(ns, args.resource);
      for (const g of new Set([...(RENDERS_GROUPS[chart ?? ""] ?? []), ...rendersFromValues(props["values"])])) {
        const c = registry.groups.get(g);
        if (c) needs.push(c);
      }
      for (const g of CHART_CRD_GROUPS[chart ?? ""] ?? []) if (!registry.groups.has(g)) registry.groups.set(g, args.resource);
    } else if (args.type === CRD) {
      const g = plainString((props["spec"] as Record<string, unknown> | undefined)?.["group"]);
      if (g && !registry.groups.has(g)) registry.groups.set(g, args.resource);
    } else {
      const g = groupOf(args.type);
      const c = g ? registry.groups.get(g) : undefined;
      if (c) needs.push(c);
    }
    if (ns) {
      const c = registry.namespaces.get(ns);
      if (c && c !== args.resource) needs.push(c);
    }
    if (needs.length === 0) return undefined;
    const existing = args.opts.dependsOn;
    if (pulumi.Output.isInstance(existing)) {
      // An Output of resources: append once it resolves.
      const merged = (existing as pulumi.Output<pulumi.Resource | pulumi.Resource[]>).apply((e) => [...(Array.isArray(e) ? e : [e]), ...needs]);
      return { props: args.props, opts: { ...args.opts, dependsOn: merged } };
    }
    const dependsOn: pulumi.Input<pulumi.Resource>[] =
      existing === undefined ? [] : Array.isArray(existing) ? [...existing] : [existing as pulumi.Input<pulumi.Resource>];
    for (const n of needs) if (!dependsOn.includes(n)) dependsOn.push(n);
    return { props: args.props, opts: { ...args.opts, dependsOn } };
  };
}

/** Register the transformation for the whole stack; call once, before any resource. */
export function registerKubernetesPrerequisites(): void {
  pulumi.runtime.registerStackTransformation(prerequisitesTransformation());
}
