/**
 * The most hostile order the declared dependencies allow.
 *
 * The engine starts a resource's create as soon as every resource it *declares* a dependency on
 * (dependsOn, or an input that came from another resource's output) has finished. Anything not
 * declared may go first — and on a busy engine, it will, some day. So instead of hoping a race goes
 * the wrong way in a test, this reads the dependency graph the engine recorded (the stack's
 * state, or the harness inventory) and finds every object whose prerequisite is not among its
 * declared ancestors: created in that order, it fails every time.
 *
 * Prerequisites checked (the failures a real API server gives when they are missing):
 *  - the Namespace an object lives in, when this program creates it (a Namespace object, or a Helm
 *    release with createNamespace) — "namespaces \"x\" not found";
 *  - the CustomResourceDefinition serving a custom resource's kind, when this program installs it
 *    (a CRD object, or a Helm release whose chart carries it) — "no matches for kind";
 *  - the same for the objects a Helm chart renders: a chart that renders a cert-manager Issuer
 *    needs the release that installs cert-manager's CRDs first.
 */

export interface GraphResource {
  urn: string;
  type: string;
  dependencies: string[];
  propertyDependencies?: Record<string, string[]>;
  inputs: Record<string, unknown>;
}

export interface OrderViolation {
  /** The object that can be created too early. */
  urn: string;
  /** What it needs first. */
  needs: string;
  /** Why: `namespace monitoring`, `kind cert-manager.io/ClusterIssuer`. */
  because: string;
  /** What the API server answers when the order goes wrong, and the fix. */
  message: string;
}

/** `kubernetes:cert-manager.io/v1:ClusterIssuer` → `cert-manager.io/ClusterIssuer`; core → `/Pod`. */
export function kindKey(type: string): string | undefined {
  const m = /^kubernetes:([^:]+)\/[^/:]+:(\w+)$/.exec(type);
  if (!m) return undefined;
  const group = m[1] === "core" ? "" : m[1]!;
  return `${group}/${m[2]}`;
}

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

function nameOf(inputs: Record<string, unknown>): string | undefined {
  const md = inputs["metadata"] as Record<string, unknown> | undefined;
  return typeof md?.["name"] === "string" ? (md["name"] as string) : undefined;
}

function namespaceOf(r: GraphResource): string | undefined {
  if (r.type === HELM_RELEASE) return typeof r.inputs["namespace"] === "string" ? (r.inputs["namespace"] as string) : undefined;
  const md = r.inputs["metadata"] as Record<string, unknown> | undefined;
  return typeof md?.["namespace"] === "string" ? (md["namespace"] as string) : undefined;
}

export interface ChartFacts {
  /** `group/Kind` of every CRD the release's chart installs. */
  crds: string[];
  /** `group/Kind` of every other object the chart renders. */
  kinds: string[];
}

/**
 * Every object that the declared dependencies allow to be created before one of its
 * prerequisites. `charts` maps a Helm release's URN to what its chart installs and renders.
 */
export function orderViolations(resources: GraphResource[], charts: Map<string, ChartFacts> = new Map()): OrderViolation[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const edges = (r: GraphResource) => new Set([...r.dependencies, ...Object.values(r.propertyDependencies ?? {}).flat()]);
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (urn: string): Set<string> => {
    const known = ancestors.get(urn);
    if (known) return known;
    const out = new Set<string>();
    ancestors.set(urn, out); // cycles cannot happen in a Pulumi graph; this only guards recursion
    for (const d of edges(byUrn.get(urn) ?? { urn, type: "", dependencies: [], inputs: {} })) {
      out.add(d);
      for (const a of ancestorsOf(d)) out.add(a);
    }
    return out;
  };

  const nsCreator = new Map<string, string>();
  const kindCreator = new Map<string, string>();
  for (const r of resources) {
    if (r.type === NAMESPACE) {
      const n = nameOf(r.inputs);
      if (n) nsCreator.set(n, r.urn);
    } else if (r.type === HELM_RELEASE && r.inputs["createNamespace"] === true) {
      const n = namespaceOf(r);
      if (n && !nsCreator.has(n)) nsCreator.set(n, r.urn);
    } else if (r.type === CRD) {
      const spec = r.inputs["spec"] as { group?: string; names?: { kind?: string } } | undefined;
      if (spec?.group && spec.names?.kind) kindCreator.set(`${spec.group}/${spec.names.kind}`, r.urn);
    }
    for (const k of charts.get(r.urn)?.crds ?? []) if (!kindCreator.has(k)) kindCreator.set(k, r.urn);
  }

  const out: OrderViolation[] = [];
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:")) continue;
    const mine = ancestorsOf(r.urn);
    const need = (creator: string | undefined, because: string, message: string) => {
      if (creator && creator !== r.urn && !mine.has(creator) && !out.some((v) => v.urn === r.urn && v.needs === creator)) {
        out.push({ urn: r.urn, needs: creator, because, message });
      }
    };
    const ns = namespaceOf(r);
    if (ns && r.type !== NAMESPACE) {
      const c = nsCreator.get(ns);
      if (!(r.type === HELM_RELEASE && r.inputs["createNamespace"] === true && c === r.urn)) {
        need(c, `namespace ${ns}`, `namespaces "${ns}" not found: add dependsOn on ${shortUrn(c)} to ${shortUrn(r.urn)}`);
      }
    }
    const kinds = r.type === HELM_RELEASE ? (charts.get(r.urn)?.kinds ?? []) : [kindKey(r.type)].filter((k): k is string => !!k);
    for (const k of kinds) {
      const c = kindCreator.get(k);
      need(
        c,
        `kind ${k}`,
        `no matches for kind "${k.split("/")[1]}" in group "${k.split("/")[0]}": add dependsOn on ${shortUrn(c)} (it installs the CRD) to ${shortUrn(r.urn)}`,
      );
    }
  }
  return out;
}

/** `urn:pulumi:s::p::a$b$kubernetes:core/v1:Namespace::name` → `kubernetes:core/v1:Namespace::name`. */
export function shortUrn(urn: string | undefined): string {
  if (!urn) return "?";
  const parts = urn.split("::");
  const type = (parts[2] ?? "").split("$").pop();
  return `${type}::${parts[3] ?? ""}`;
}
