/**
 * What "deployed" means on the embedded control plane, read through the API after `pulumi up`:
 * every workload ready, every Job complete, every Pod admitted, every claim bound, every Helm
 * release deployed. And what "destroyed" means: nothing of ours left.
 */
import { execFile } from "node:child_process";
import type { ExecResult } from "../cluster/controlplane";

/** What the checks need of a cluster: kubectl against it (the embedded one, or any kubeconfig). */
export interface ClusterAccess {
  kubeconfigPath: string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
}

/** kubectl with a kubeconfig, optionally inside another process's network namespace. */
export function kubectlAccess(kubectlBin: string, kubeconfigPath: string): ClusterAccess {
  return {
    kubeconfigPath,
    kubectl: (args, opts) =>
      new Promise((resolve) => {
        const p = execFile(
          kubectlBin,
          ["--kubeconfig", kubeconfigPath, ...args],
          { maxBuffer: 256 << 20, timeout: opts?.timeoutMs ?? 60_000 },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
        );
        if (opts?.input !== undefined) p.stdin?.end(opts.input);
      }),
  };
}

export interface Problem {
  /** `Deployment apps/api`, `HelmRelease monitoring/kps`, … */
  object: string;
  /** The API server's (or controller's, or chart's) own words. */
  message: string;
  /** What to change. */
  fix: string;
}

async function listJson(cp: ClusterAccess, kinds: string): Promise<any[]> {
  const r = await cp.kubectl(["get", kinds, "--all-namespaces", "-o", "json"], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`kubectl get ${kinds}: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout).items ?? []) as any[];
}

const id = (o: any) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;

/** Workloads, Jobs, Pods, claims and admission events. */
export async function readinessProblems(cp: ClusterAccess): Promise<Problem[]> {
  const out: Problem[] = [];
  const events = await listJson(cp, "events");
  const warningsFor = (o: any) =>
    events
      .filter((e) => e.type === "Warning" && e.involvedObject?.uid === o.metadata?.uid)
      .map((e) => `${e.reason}: ${e.message}`)
      .slice(-3);
  const why = (o: any, fallback: string) => {
    const w = warningsFor(o);
    return w.length ? w.join("; ") : fallback;
  };

  for (const d of await listJson(cp, "deployments.apps")) {
    const want = d.spec?.replicas ?? 1;
    const have = d.status?.availableReplicas ?? 0;
    if (have < want) {
      const rsWarnings = events.filter(
        (e) =>
          e.type === "Warning" &&
          e.involvedObject?.kind === "ReplicaSet" &&
          e.involvedObject?.namespace === d.metadata.namespace &&
          String(e.involvedObject?.name).startsWith(`${d.metadata.name}-`),
      );
      const msg = rsWarnings.length
        ? rsWarnings
            .map((e) => `${e.reason}: ${e.message}`)
            .slice(-2)
            .join("; ")
        : why(d, `${have}/${want} replicas available`);
      out.push({ object: id(d), message: msg, fix: fixFor(msg) });
    }
  }
  for (const s of await listJson(cp, "statefulsets.apps")) {
    const want = s.spec?.replicas ?? 1;
    const have = s.status?.readyReplicas ?? 0;
    if (have < want) {
      const msg = why(s, `${have}/${want} replicas ready`);
      out.push({ object: id(s), message: msg, fix: fixFor(msg) });
    }
  }
  for (const ds of await listJson(cp, "daemonsets.apps")) {
    const want = ds.status?.desiredNumberScheduled ?? 0;
    const have = ds.status?.numberReady ?? 0;
    if (have < want) {
      const msg = why(ds, `${have}/${want} pods ready`);
      out.push({ object: id(ds), message: msg, fix: fixFor(msg) });
    }
  }
  for (const j of await listJson(cp, "jobs.batch")) {
    const conds: any[] = j.status?.conditions ?? [];
    const complete = conds.some((c) => c.type === "Complete" && c.status === "True");
    const failed = conds.find((c) => c.type === "Failed" && c.status === "True");
    if (!complete) {
      const msg = failed ? `${failed.reason}: ${failed.message}` : why(j, "not complete");
      out.push({ object: id(j), message: msg, fix: fixFor(msg) });
    }
  }
  for (const p of await listJson(cp, "pods")) {
    const phase = p.status?.phase;
    const owner = p.metadata?.ownerReferences?.[0]?.kind;
    if (phase === "Succeeded" || (phase === "Running" && (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"))) continue;
    if (owner === "Job" && phase === "Failed") continue; // reported through its Job
    const msg = why(p, `phase ${phase ?? "unknown"}`);
    out.push({ object: id(p), message: msg, fix: fixFor(msg) });
  }
  for (const c of await listJson(cp, "persistentvolumeclaims")) {
    if (c.status?.phase !== "Bound") {
      const msg = why(c, `claim ${c.status?.phase ?? "Pending"} (storageClassName ${c.spec?.storageClassName ?? "<default>"})`);
      out.push({ object: id(c), message: msg, fix: fixFor(msg) });
    }
  }
  // Controllers that could not create pods at all (Pod Security admission, quota, missing SA).
  const seen = new Set(out.map((p) => p.message));
  for (const e of events) {
    if (e.type !== "Warning" || e.reason !== "FailedCreate") continue;
    const msg = `${e.reason}: ${e.message}`;
    if (seen.has(msg)) continue;
    seen.add(msg);
    out.push({ object: `${e.involvedObject?.kind} ${e.involvedObject?.namespace}/${e.involvedObject?.name}`, message: msg, fix: fixFor(msg) });
  }
  return out;
}

/** The setting that usually fixes what an API server or controller said. */
export function fixFor(message: string): string {
  if (/violates PodSecurity/.test(message)) {
    return "make the pod meet its namespace's Pod Security level (runAsNonRoot, drop ALL capabilities, seccompProfile RuntimeDefault, no hostPath/privileged), or put it in a namespace labelled for the level it needs";
  }
  if (/serviceaccount .* not found|error looking up service account/i.test(message))
    return "create the ServiceAccount before the workload (dependsOn), or fix serviceAccountName";
  if (/namespaces? "[^"]+" not found/.test(message))
    return "add dependsOn on the Namespace (components/cluster/prerequisites.ts covers namespaces this program creates)";
  if (/no matches for kind|could not find the requested resource/.test(message))
    return "depend on the Helm release or CRD that serves this kind (components/cluster/prerequisites.ts: CHART_CRD_GROUPS)";
  if (/exceeded quota|forbidden: exceeded/.test(message)) return "raise the ResourceQuota or lower the requests";
  if (/unbound immediate PersistentVolumeClaims|storageclass/i.test(message))
    return "use a StorageClass the cluster has (the tier's default) or create it first";
  if (/Insufficient|didn't match Pod's node affinity|untolerated taint/.test(message))
    return "the pod's requests, nodeSelector, affinity or tolerations do not fit the tier's node groups";
  return "see the message; the object's own events hold the rest";
}

/** Helm releases not in status `deployed`. */
export async function helmProblems(cp: ClusterAccess, helmBin: string): Promise<{ releases: string[]; problems: Problem[] }> {
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      helmBin,
      ["list", "--all-namespaces", "--all", "--output", "json", "--kubeconfig", cp.kubeconfigPath],
      { maxBuffer: 16 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
    );
  });
  if (r.code !== 0) return { releases: [], problems: [{ object: "helm list", message: r.stderr.trim(), fix: "see helm's message" }] };
  const list = JSON.parse(r.stdout || "[]") as { name: string; namespace: string; status: string; chart: string }[];
  return {
    releases: list.map((l) => `${l.namespace}/${l.name} (${l.chart})`),
    problems: list
      .filter((l) => l.status !== "deployed")
      .map((l) => ({
        object: `HelmRelease ${l.namespace}/${l.name}`,
        message: `status ${l.status} (${l.chart})`,
        fix: "helm history / the release's hook Jobs say why",
      })),
  };
}

/** Kinds whose objects are the cluster's own bookkeeping, never ours to clean up. */
const BOOKKEEPING = new Set([
  "Event",
  "Lease",
  "EndpointSlice",
  "Endpoints",
  "Node",
  "ComponentStatus",
  "APIService",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "IPAddress",
  "ServiceCIDR",
]);

/** Every object of every listable kind, as `Kind ns/name` (bookkeeping kinds left out). */
export async function inventory(cp: ClusterAccess): Promise<Set<string>> {
  const r = await cp.kubectl(["api-resources", "--verbs=list", "-o", "name"], { timeoutMs: 60_000 });
  const kinds = r.stdout
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s && !/^events(\.|$)/.test(s));
  const out = new Set<string>();
  // One call for all kinds; kubectl tolerates a kind that disappears meanwhile with --ignore-not-found.
  const all = await cp.kubectl(["get", kinds.join(","), "--all-namespaces", "--ignore-not-found", "-o", "json"], { timeoutMs: 120_000 });
  if (all.code !== 0 && !all.stdout) throw new Error(`inventory: ${all.stderr.trim()}`);
  for (const o of JSON.parse(all.stdout || "{}").items ?? []) {
    if (BOOKKEEPING.has(o.kind)) continue;
    out.add(id(o));
  }
  return out;
}
