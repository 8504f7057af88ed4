/**
 * What a foreign program's plan could not see, and the tier it is judged on.
 *
 * A policy can only judge what the program registered in this process. Components whose children
 * a provider plugin creates (awsx, eks, aws-apigateway, helm.v4, yaml.v2…), Helm charts that are
 * not rendered offline, other stacks' outputs and values unknown in preview are listed as "not
 * inspected", each with the policies that could not run on it. A report that inspected nothing
 * is never clean.
 */
import { allPolicies } from "../../policies/policies";
import { PLACEHOLDER_PREFIX, placeholderValue, type ChildResult, type RecordedResource } from "./types";

export interface NotInspected {
  /** The resource's URN, or what was not seen (an invoke, a stack reference). */
  what: string;
  type?: string;
  reason: string;
  /** Policies that could not run on it. */
  policies: string[];
}

/** Policies about both the AWS and the Kubernetes side. */
const BOTH = ["headers-origin-coop-coep"];
const K8S = [
  "tls-ingress-https",
  "tls-k8s-service-https",
  "headers-ingress-coop-coep",
  "headers-origin-coop-coep",
  "seg-namespace-default-deny",
  "seg-service-exposure",
  "seg-no-host-network",
  "seg-metrics-not-public",
  "seg-reachability-internet-to-data",
  "baseline-pod-security-restricted",
  "baseline-resources-probes",
  "baseline-pinned-images",
];
const CLOUDFLARE = ["tls-cloudflare-zone-strict", "headers-cloudflare-coop-coep"];
const PROXY = ["tls-proxy-https-only", "headers-proxy-coop-coep", "headers-wasm-content-type"];

const names = (): string[] => allPolicies.map((p) => p.name);
/** Policies about the cloud resources a package creates. */
export function policiesForType(type: string): string[] {
  const all = names();
  const aws = all.filter((n) => (BOTH.includes(n) || !K8S.includes(n)) && !CLOUDFLARE.includes(n) && !PROXY.includes(n));
  const pkg = type.split(":")[0] ?? "";
  if (pkg === "kubernetes") return all.filter((n) => K8S.includes(n));
  if (pkg === "eks") return all.filter((n) => !CLOUDFLARE.includes(n) && !PROXY.includes(n));
  if (pkg === "awsx" || pkg === "aws" || pkg === "aws-apigateway" || pkg === "aws-native" || pkg === "aws-static-website") return aws;
  if (pkg === "cloudflare") return CLOUDFLARE.filter((n) => all.includes(n));
  return all;
}

const INVENTORY_UNKNOWN = "<unknown>";

/** Where a resource's inputs hold a plan placeholder, and the config keys they stand for. */
export interface PlaceholderUse {
  paths: string[];
  keys: string[];
}

/**
 * Hides the plan's placeholders from the pack: every input string that contains one (the value
 * itself, or a string built from it, such as `${image}:latest` or a JSON document) becomes a value
 * not known in this run, the way a preview's unknowns are. A policy reading it then reports that it
 * could not judge it ("not inspected"), never a finding about our value and never a pass. Number,
 * boolean and object placeholders (requireNumber → 1, requireBoolean → false, requireObject → {})
 * cannot be told from a program's own values and are only listed with the placeholders.
 */
export function maskPlaceholders(resources: RecordedResource[], keys: string[]): { resources: RecordedResource[]; uses: Map<string, PlaceholderUse> } {
  const uses = new Map<string, PlaceholderUse>();
  const byValue = [...new Set(keys)].map((k) => [placeholderValue(k), k] as const).sort((a, b) => b[0].length - a[0].length);
  const out = resources.map((r) => {
    const paths: string[] = [];
    const found = new Set<string>();
    const walk = (v: unknown, at: string): unknown => {
      if (typeof v === "string") {
        if (!v.includes(PLACEHOLDER_PREFIX)) return v;
        paths.push(at || "(value)");
        const hit = byValue.find(([value]) => v.includes(value));
        found.add(hit ? hit[1] : v.slice(v.indexOf(PLACEHOLDER_PREFIX)).split(/[^\w-]/)[0]!);
        return INVENTORY_UNKNOWN;
      }
      if (Array.isArray(v)) return v.map((e, i) => walk(e, `${at}[${i}]`));
      if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, at ? `${at}.${k}` : k)]));
      return v;
    };
    const inputs = walk(r.inputs, "") as Record<string, unknown>;
    if (paths.length === 0) return r;
    uses.set(r.urn, { paths, keys: [...found] });
    return { ...r, inputs, unknownPaths: [...new Set([...r.unknownPaths, ...paths])] };
  });
  return { resources: out, uses };
}

export function notInspected(
  result: ChildResult,
  unknownViolations: { policyName: string; urn?: string; resourceType?: string; message: string }[],
  opts: { preview?: boolean; placeholders?: Map<string, PlaceholderUse> } = {},
): NotInspected[] {
  const out: NotInspected[] = [];
  const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
  for (const urn of result.remote) {
    const r = byUrn.get(urn);
    const pkg = (r?.type ?? "").split(":")[0];
    out.push({
      what: urn,
      type: r?.type,
      reason: `remote component: its children are created by the ${pkg} provider plugin, which the offline plan does not run`,
      policies: policiesForType(r?.type ?? ""),
    });
  }
  for (const r of result.resources) {
    if (r.type === "kubernetes:helm.sh/v3:Release")
      out.push({
        what: r.urn,
        type: r.type,
        reason: `Helm release of chart '${String((r.inputs as { chart?: unknown }).chart ?? "?")}': the chart is installed by the provider and not rendered offline`,
        policies: policiesForType(r.type),
      });
    if (r.type === "pulumi:pulumi:StackReference")
      out.push({
        what: r.urn,
        type: r.type,
        reason: `outputs of stack '${String((r.inputs as { name?: unknown }).name ?? r.name)}' are not readable offline: values taken from it are empty`,
        policies: [],
      });
  }
  for (const i of result.invokes) {
    if (i.kind === "unrendered")
      out.push({
        what: `invoke ${i.token} (×${i.count})`,
        reason: "Helm chart (helm.v3.Chart) not rendered offline: the resources it would create were not seen",
        policies: policiesForType("kubernetes:"),
      });
    if (i.kind === "unrendered-cli")
      out.push({
        what: `${i.token} (×${i.count})`,
        reason:
          "Helm chart rendered by the helm CLI (@pulumi/kubernetes before 3.x) not rendered offline: the plan's helm stand-in renders nothing, so the resources it would create were not seen",
        policies: policiesForType("kubernetes:"),
      });
  }
  const seen = new Map<string, NotInspected>();
  for (const v of unknownViolations) {
    const key = v.urn ?? "(stack)";
    // A stack policy names what it could not judge in its message; a resource's own unknown value is its URN.
    const detail = v.urn ? "" : `: ${v.message.replace(/^can't run policy '[^']+' (during preview|on a value not known in this run): /, "")}`;
    const ph = v.urn ? opts.placeholders?.get(v.urn) : undefined;
    const reason = ph
      ? `${ph.paths.join(", ")} ${ph.paths.length > 1 ? "hold" : "holds"} the plan's placeholder for config ${ph.keys.map((k) => `'${k}'`).join(", ")} (required but not set by the stack, or a secure value the plan does not decrypt): the value is the plan's, not the program's, so it was not judged (give it with --config ${ph.keys[0]}=<value>${opts.preview ? "; other values may also be unknown in preview" : ""})`
      : opts.preview === false
        ? `values not known in this run (an output the offline mocks do not compute)${detail}`
        : `values unknown in preview (plan with --update to use mocked outputs)${detail}`;
    const e = seen.get(key) ?? { what: key, type: v.resourceType, reason, policies: [] };
    if (!v.urn && seen.has(key) && !e.reason.includes(detail)) e.reason += `; ${detail.slice(2)}`;
    if (!e.policies.includes(v.policyName)) e.policies.push(v.policyName);
    seen.set(key, e);
  }
  out.push(...seen.values());
  if (result.timedOut) {
    // Nothing in flight: the program was awaiting a value that never resolves offline, most often an
    // output of a remote component (its provider plugin would compute it) or of another stack.
    const waiting = result.remote.length
      ? `nothing in flight: the program was waiting on a value that never resolves offline, most likely an output of the remote component(s) ${result.remote.map((u) => u.split("::").pop()).join(", ")}`
      : "nothing in flight: the program was waiting on a value that never resolved (a promise of its own, or another stack's output)";
    out.push({
      what: "(rest of the program)",
      reason: `the run was stopped at its deadline; ${result.pending.length ? `in flight: ${result.pending.join(", ")}` : waiting}`,
      policies: names(),
    });
  }
  return out;
}

/** Resources actually inspected: custom resources that are not providers, stack references or Helm releases. */
export function inspectedCount(result: ChildResult): number {
  return result.resources.filter(
    (r) => r.custom && !r.type.startsWith("pulumi:providers:") && r.type !== "pulumi:pulumi:StackReference" && r.type !== "kubernetes:helm.sh/v3:Release",
  ).length;
}

export type PolicyTierName = "dev" | "staging" | "prod";

/** The tier a foreign program is judged on: --tier, else its stack name; unknown names are judged as prod. */
export function tierForStack(stack: string, tier?: string): { tier: PolicyTierName; from: string } {
  const t = (tier ?? "").toLowerCase();
  if (tier) {
    if (t === "local" || t === "dev") return { tier: "dev", from: "--tier" };
    if (t === "staging" || t === "prod") return { tier: t, from: "--tier" };
  }
  const s = stack.toLowerCase();
  if (/(^|[-_.])(local|dev|devel|development|test|testing|sandbox|demo|example)([-_.]|$)/.test(s)) return { tier: "dev", from: `stack name '${stack}'` };
  if (/(^|[-_.])(staging|stage|stg|qa|uat|preprod|pre-prod)([-_.]|$)/.test(s)) return { tier: "staging", from: `stack name '${stack}'` };
  if (/(^|[-_.])(prod|production|prd|live|main)([-_.]|$)/.test(s)) return { tier: "prod", from: `stack name '${stack}'` };
  return { tier: "prod", from: `stack name '${stack}' names no tier: judged as prod, the strictest (use --tier)` };
}
