// The real Argo Rollouts controller (github.com/argoproj/argo-rollouts v1.9.0, the appVersion of
// the pinned argo-rollouts chart 2.41.0, built by scripts/engine.sh into .engine/bin) running as
// a process against the embedded control plane (tools/cluster), reconciling the music platform's
// Rollouts and AnalysisTemplates exactly as the program plans them for prod (scripts/gitops-lib
// pushModeObjects: the Service planner push mode and the deploy chart share).
//
// What is real: kube-apiserver/controller-manager/scheduler, KWOK pods turning Ready, the
// argo-rollouts chart installed by the real helm from the mirror with the program's values (CRDs,
// ServiceAccount, ClusterRole), the controller run with the chart's own container args under the
// chart's ServiceAccount token (so the chart's RBAC is what is tested), the Traefik CRDs of the
// pinned traefik chart, and a real Prometheus 3.16.0 (.engine/bin/prometheus) that discovers the
// pods through the planned ServiceMonitors exactly as the Prometheus operator configures it
// (Kubernetes SD on the embedded API server's Endpoints, the operator's relabelling: `namespace`,
// `service`, `pod`) and scrapes, for each pod, the metrics its image really exposes
// (test/gitops/rollouts-prometheus.ts): the OpenTelemetry histogram for the music platform,
// cat-gateway's own counter and millisecond histogram for the gateway.
// What differs from a cluster: the AnalysisTemplate's Prometheus address (in-cluster DNS name,
// unreachable here) is pointed at the loopback Prometheus (through a proxy that records each
// PromQL query); pod IPs are KWOK's, so each target is rewritten to the loopback metrics server
// after the operator's relabelling; the scrape interval is 2 s; the blueprint's pauses and analysis
// interval are shortened *in the blueprint spec* (pauseSeconds 10, intervalSeconds 10) before
// planning, so the planner itself writes the steps the controller runs.
//
// Shown: a canary stepping 5 → 25 → 50 → 100 % (TraefikService weights written by the
// controller), an aborted canary rolling back when its pods' 5xx share fails the analysis, a canary
// whose pods expose no request metrics aborted instead of promoted, a blue-green release
// with preview Service, pre-promotion analysis, promotion and the scale-down delay; the gateway's
// Traefik canary (it ran ingress-nginx until #16) promoted on cat-gateway's real metrics and
// aborted when they show 5xx.
// Runs inside `unshare -n` (node scripts/test.mjs test/gitops/rollouts.real.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_PINS, pinId, readDirectoryMirror } from "../../components/charts";
import { argoRolloutsValues } from "../../components/gitops/plan";
import { parseStream, pushModeObjects } from "../../scripts/gitops-lib";
import { blueprintsDir } from "../../stacks/spec/load";
import { type ControlPlane, defaultBinDir, missingBinaries, startControlPlane } from "../../tools/cluster/controlplane";
import { type KubeClient, waitFor } from "../../tools/cluster/kube";
import { Component } from "../../tools/cluster/procs";
import { type AppMetrics, type RealPrometheus, scrapeConfigFor, startAppMetrics, startPrometheus } from "./rollouts-prometheus";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const BLUEPRINT = "music-platform-gitops";
const GATEWAY = "gateway-flutter-wasm";
const NS = "apps";
const MIRROR = CHARTS_MIRROR;
const BIN = defaultBinDir();
const HELM = join(BIN, "helm");
const CONTROLLER = join(BIN, "rollouts-controller");
const RO = "/apis/argoproj.io/v1alpha1/namespaces/apps";
const TS = "/apis/traefik.io/v1alpha1/namespaces/apps/traefikservices";
const HASH = "rollouts-pod-template-hash";

// ------------------------------------------------------------ the real Prometheus

const PROMETHEUS = join(BIN, "prometheus");
let prom: RealPrometheus | undefined;
let app: AppMetrics | undefined;
/** Every PromQL query the controller sent (through the recording proxy in front of Prometheus). */
const promQueries = { filter: (f: (q: { at: number; query: string }) => boolean) => (prom?.queries ?? []).filter(f) };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

// ------------------------------------------------------------ set-up

let cp: ControlPlane;
let k: KubeClient;
let dir: string;
let controller: Component | undefined;
let setupError: Error | undefined;
let planned: Record<string, any>[] = [];
let gwPlanned: Record<string, any>[] = [];
const watchers = new AbortController();
/** Every version of the TraefikService `web-weighted` the controller wrote: the canary's weight. */
const canaryWeights: { at: number; canary: number; stable: number }[] = [];

const need = () => {
  if (setupError) throw setupError;
};
const find = (kind: string, name: string, from = planned) => {
  const m = from.find((o) => o.kind === kind && o.metadata.name === name);
  if (!m) throw new Error(`the planner produced no ${kind} ${name} on prod (got ${from.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")})`);
  return structuredClone(m);
};
const roPath = (ns: string) => `/apis/argoproj.io/v1alpha1/namespaces/${ns}`;
const rollout = async (name: string, ns = NS) => (await k.must("GET", `${roPath(ns)}/rollouts/${name}`)) as any;
const replicaSets = async (name: string) =>
  ((await k.must("GET", `/apis/apps/v1/namespaces/${NS}/replicasets?labelSelector=${encodeURIComponent(`app.kubernetes.io/name=${name}`)}`)) as any)
    .items as any[];
const selectorHash = async (svc: string, ns = NS) =>
  ((await k.must("GET", `/api/v1/namespaces/${ns}/services/${svc}`)) as any).spec.selector?.[HASH] as string | undefined;
const analysisRuns = async (rolloutName: string) =>
  (((await k.must("GET", `${RO}/analysisruns`)) as any).items as any[]).filter((r) =>
    (r.metadata.ownerReferences ?? []).some((o: any) => o.kind === "Rollout" && o.name === rolloutName),
  );
const setImage = (name: string, image: string, ns = NS) =>
  k.request(
    "PATCH",
    `${roPath(ns)}/rollouts/${name}`,
    [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: image }],
    "application/json-patch+json",
  );
const diag = async (name: string) => {
  const r = await rollout(name).catch(() => undefined);
  return `rollout ${name} status: ${JSON.stringify(r?.status ?? {}).slice(0, 1500)}\ncontroller log tail:\n${controller?.tail().slice(-4000) ?? "(not started)"}`;
};
/** Thrown by an `until` condition to end the wait at once (an outcome that can no longer change). */
class Verdict extends Error {}
async function until<T>(what: string, name: string, fn: () => Promise<T | undefined | null | false>, ms: number): Promise<T> {
  let verdict: Verdict | undefined;
  let v: T;
  try {
    v = await waitFor(
      what,
      async () => {
        try {
          return await fn();
        } catch (e) {
          if (!(e instanceof Verdict)) throw e;
          verdict = e;
          return true as T;
        }
      },
      ms,
      500,
    );
  } catch (e) {
    throw new Error(`${String(e)}\n${await diag(name)}`);
  }
  if (verdict) throw verdict;
  return v;
}
/** The numbers each metric of an AnalysisRun measured successfully (measurements with a value). */
const measuredValues = (run: any): Record<string, number[]> =>
  Object.fromEntries(
    (run.status?.metricResults ?? []).map((m: any) => [
      m.name,
      (m.measurements ?? []).filter((x: any) => x.phase === "Successful").map((x: any) => JSON.parse(x.value)[0] as number),
    ]),
  );
/** What the AnalysisRuns of `name` created since `t0` measured, for failure messages. */
const runsSummary = async (name: string, t0: number) =>
  JSON.stringify(
    (await analysisRuns(name))
      .filter((r) => new Date(r.metadata.creationTimestamp).getTime() >= t0 - 1000)
      .map((r) => ({
        run: r.metadata.name,
        phase: r.status?.phase,
        metrics: (r.status?.metricResults ?? []).map((m: any) => ({
          metric: m.name,
          phase: m.phase,
          measurements: (m.measurements ?? []).map((x: any) => `${x.phase} ${x.value ?? ""}`),
        })),
      })),
  );
/** The template's PromQL with the argument substituted, as the controller must send it. */
const expectedQueries = (template: any, service: string, podTemplateHash: string) =>
  template.spec.metrics.map((m: any) =>
    String(m.provider.prometheus.query).replaceAll("{{args.service}}", service).replaceAll("{{args.pod-template-hash}}", podTemplateHash),
  );

/** The prod objects the Service planner produces for `blueprint`, its rollout pauses set to 10 s and analysis interval to 10 s in the spec. */
async function planShort(blueprint: string): Promise<Record<string, any>[]> {
  const bpDir = mkdtempSync(join(dir, "blueprints-"));
  const bp = parse(readFileSync(join(blueprintsDir(), `${blueprint}.yaml`), "utf8"));
  for (const svc of bp.services) {
    if (svc.strategy !== "canary" && svc.strategy !== "blueGreen") continue;
    // pauseSeconds also sizes a blue-green analysis (count = max(3, pause / interval)): 3 here.
    svc.rollout = { ...(svc.rollout ?? {}), pauseSeconds: 10 };
    svc.rollout.analysis = { ...(svc.rollout.analysis ?? {}), intervalSeconds: 10, initialDelaySeconds: 10 };
  }
  writeFileSync(join(bpDir, `${blueprint}.yaml`), stringify(bp));
  const before = process.env["PLATFORM_BLUEPRINTS_DIR"];
  process.env["PLATFORM_BLUEPRINTS_DIR"] = bpDir;
  try {
    return (await pushModeObjects(blueprint, "prod")).map((o) => o.manifest);
  } finally {
    if (before === undefined) delete process.env["PLATFORM_BLUEPRINTS_DIR"];
    else process.env["PLATFORM_BLUEPRINTS_DIR"] = before;
  }
}

/** Creates a planned object (the AnalysisTemplate pointed at the loopback Prometheus). */
async function apply(m: Record<string, any>): Promise<void> {
  const obj = structuredClone(m);
  if (obj.kind === "AnalysisTemplate") {
    for (const metric of obj.spec.metrics) {
      if (!/^http:\/\/[a-z0-9.-]+\.svc(\.cluster\.local)?:\d+/.test(metric.provider.prometheus.address))
        throw new Error(
          `AnalysisTemplate ${obj.metadata.name}: Prometheus address ${metric.provider.prometheus.address} is not the monitoring stack's in-cluster Service`,
        );
      metric.provider.prometheus.address = prom!.url;
    }
  }
  const [group, version] = String(obj.apiVersion).split("/");
  const base = version === undefined ? `/api/${group}` : `/apis/${group}/${version}`;
  const plural = `${obj.kind.toLowerCase()}${obj.kind.endsWith("s") ? "es" : "s"}`;
  const r = await k.create(`${base}/namespaces/${obj.metadata.namespace}/${plural}`, obj);
  if (r.status !== 201)
    throw new Error(`creating ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
}

beforeAll(async () => {
  const missing = [...missingBinaries(), ...[HELM, CONTROLLER, PROMETHEUS].filter((b) => !existsSync(b))];
  if (missing.length) {
    setupError = new Error(
      `binaries missing (bin dir ${BIN}):\n  ${missing.join("\n  ")}\nbuild them with \`npm run engine\` (scripts/engine.sh builds rollouts-controller from github.com/argoproj/argo-rollouts v1.9.0 and prometheus from github.com/prometheus/prometheus v0.316.0)`,
    );
    return;
  }
  dir = mkdtempSync(join(tmpdir(), "rollouts-real-"));
  try {
    // 1. Plan the prod objects from the blueprints, with short pauses and analysis interval set in
    //    their specs (the knobs a team would use); everything else as committed.
    planned = await planShort(BLUEPRINT);
    gwPlanned = await planShort(GATEWAY);

    cp = await startControlPlane({ dir: join(dir, "cp") });
    k = cp.client;
    // The real Prometheus, scraping what the planned ServiceMonitors select (the operator's scrape
    // config, Kubernetes SD against the embedded API server; test/gitops/rollouts-prometheus.ts).
    app = await startAppMetrics(k);
    const monitors = [...planned, ...gwPlanned].filter((o) => o.kind === "ServiceMonitor");
    for (const svc of ["web", "api", "cat-gateway"]) {
      if (!monitors.some((m) => m.spec.selector?.matchLabels?.["app.kubernetes.io/name"] === svc))
        throw new Error(`the planner produced no ServiceMonitor for ${svc} on prod: its canary analysis would have no data`);
    }
    prom = await startPrometheus(
      PROMETHEUS,
      join(dir, "prometheus"),
      await freePort(),
      monitors.flatMap((m) => scrapeConfigFor(m, cp.kubeconfigPath, app!.address)),
    );
    const helm = (args: string[]) =>
      execFileSync(HELM, [...args, "--kubeconfig", cp.kubeconfigPath], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 300_000,
        maxBuffer: 64 << 20,
      });

    // 2. The pinned charts from the mirror: argo-rollouts with the program's values, Traefik's CRDs.
    const { mirror, problems } = readDirectoryMirror(MIRROR, [CHART_PINS.argoRollouts, CHART_PINS.traefik]);
    if (problems.length) throw new Error(`chart mirror: ${problems.join("; ")}`);
    const archives = (mirror as { archives: Record<string, string> }).archives;
    const values = join(dir, "values-rollouts.json");
    writeFileSync(values, JSON.stringify(argoRolloutsValues({ replicas: 1 })));
    helm(["install", "argo-rollouts", archives[pinId(CHART_PINS.argoRollouts)]!, "-n", "argo-rollouts", "--create-namespace", "-f", values]);
    for (const crd of parseStream(helm(["show", "crds", archives[pinId(CHART_PINS.traefik)]!])))
      await k.must("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    for (const name of ["rollouts.argoproj.io", "analysisruns.argoproj.io", "analysistemplates.argoproj.io", "traefikservices.traefik.io"]) {
      await waitFor(
        `CRD ${name} Established`,
        async () => {
          const r = await k.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
          return r.status === 200 && (r.body?.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True");
        },
        60_000,
      );
    }

    // 3. The controller: the chart's container args (rendered by helm with the same values), the
    //    chart's ServiceAccount token, loopback ports instead of the container ports.
    const rendered = parseStream(
      execFileSync(HELM, ["template", "argo-rollouts", archives[pinId(CHART_PINS.argoRollouts)]!, "-n", "argo-rollouts", "-f", values], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      }),
    );
    const dep = rendered.find((m: any) => m.kind === "Deployment" && m.spec.template.spec.containers.some((c: any) => c.name === "argo-rollouts"));
    if (!dep) throw new Error("helm template of the argo-rollouts chart rendered no controller Deployment");
    const container = dep.spec.template.spec.containers.find((c: any) => c.name === "argo-rollouts");
    const sa = dep.spec.template.spec.serviceAccountName as string;
    const tr = await k.must("POST", `/api/v1/namespaces/argo-rollouts/serviceaccounts/${sa}/token`, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    });
    const kubeconfig = join(dir, "controller.kubeconfig");
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "cp", cluster: { server: cp.url, "certificate-authority-data": Buffer.from(cp.caPem).toString("base64") } }],
        users: [{ name: sa, user: { token: tr.status.token } }],
        contexts: [{ name: "cp", context: { cluster: "cp", user: sa, namespace: "argo-rollouts" } }],
        "current-context": "cp",
      }),
      { mode: 0o600 },
    );
    const args = [...(container.args as string[]), `--kubeconfig=${kubeconfig}`, `--healthzPort=${await freePort()}`, `--metricsPort=${await freePort()}`];
    controller = Component.start("rollouts-controller", CONTROLLER, args, join(dir, "logs"), {
      PATH: process.env["PATH"],
      HOME: dir,
      POD_NAMESPACE: "argo-rollouts",
    });
    await waitFor(
      "the controller to start its workers",
      async () => {
        if (!controller!.running) throw new Error(`rollouts-controller exited (${JSON.stringify(controller!.exitInfo)}):\n${controller!.tail().slice(-3000)}`);
        return controller!.tail().includes("Started controller");
      },
      90_000,
    );

    // 4. The application namespace (Pod Security restricted, as the program declares it) and the
    //    planned objects of the canary service `web` and the blue-green service `api`.
    await k.must("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    for (const svc of ["web", "api"]) {
      for (const kind of ["ServiceAccount", "Service", "TraefikService", "AnalysisTemplate", "Rollout"]) {
        for (const m of planned.filter((o) => o.kind === kind && o.metadata.labels?.["app.kubernetes.io/name"] === svc)) await apply(m);
      }
    }
    void k.informer(
      TS,
      (e) => {
        if (e.object?.metadata?.name !== "web-weighted") return;
        const s = e.object.spec.weighted.services as { name: string; weight: number }[];
        const canary = s.find((x) => x.name === "web-canary")?.weight ?? -1;
        const stable = s.find((x) => x.name === "web")?.weight ?? -1;
        const last = canaryWeights[canaryWeights.length - 1];
        if (!last || last.canary !== canary || last.stable !== stable) canaryWeights.push({ at: Date.now(), canary, stable });
      },
      watchers.signal,
    );
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
}, 420_000);

afterAll(async () => {
  watchers.abort();
  await controller?.stop();
  await cp?.stop();
  await prom?.stop();
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

// ------------------------------------------------------------ the canary service `web`

describe("Argo Rollouts v1.9.0 controller on the embedded control plane", () => {
  let stableHash1 = "";
  let stableHash2 = "";

  it("the planned canary Rollout `web` becomes Healthy: stable and canary Services select its pods, TraefikService all on stable", async () => {
    need();
    const ro = await until(
      "web Healthy",
      "web",
      async () => {
        const r = await rollout("web");
        return r.status?.phase === "Healthy" && r.status?.stableRS ? r : undefined;
      },
      120_000,
    );
    stableHash1 = ro.status.stableRS;
    expect(await selectorHash("web")).toBe(stableHash1);
    expect(await selectorHash("web-canary")).toBe(stableHash1);
    const ts = (await k.must("GET", `${TS}/web-weighted`)) as any;
    expect(ts.spec.weighted.services.map((s: any) => [s.name, s.weight])).toEqual([
      ["web", 100],
      ["web-canary", 0],
    ]);
  }, 180_000);

  it("a new image runs the canary 5 → 25 → 50 → 100 % with the planned pauses while the analysis passes; the new version becomes stable", async () => {
    need();
    expect(find("Rollout", "web").spec.strategy.canary.steps).toEqual([
      { setWeight: 5 },
      { pause: { duration: "10s" } },
      { setWeight: 25 },
      { pause: { duration: "10s" } },
      { setWeight: 50 },
      { pause: { duration: "10s" } },
    ]);
    const t0 = Date.now();
    const from = canaryWeights.length;
    expect((await setImage("web", "ghcr.io/normaldance/web:1.1.0")).status).toBe(200);
    const ro = await until(
      "web promoted to the new version",
      "web",
      async () => {
        const r = await rollout("web");
        return r.status?.phase === "Healthy" && r.status.stableRS && r.status.stableRS !== stableHash1 && r.status.stableRS === r.status.currentPodHash
          ? r
          : undefined;
      },
      240_000,
    );
    stableHash2 = ro.status.stableRS;
    await until("canary weight back to 0", "web", async () => canaryWeights[canaryWeights.length - 1]?.canary === 0, 30_000);
    const seen = canaryWeights.slice(from).map((w) => w.canary);
    // The controller wrote each step's weight into the TraefikService, in order, then 100 at the
    // end of the steps, then 0 once the stable Service points at the new pods.
    expect(seen.filter((w) => w > 0)).toEqual([5, 25, 50, 100]);
    expect(seen[seen.length - 1]).toBe(0);
    for (const w of canaryWeights.slice(from)) expect(w.canary + w.stable).toBe(100);
    // Each 10 s pause was held: 3 pauses between the first weight and the promotion. The controller
    // stores a pause's start as a metav1.Time (whole seconds), so each can end up to 1 s early
    // (seen: 29 938 ms in a fresh-clone CI run): at least 3 × 9 s.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(27_000);
    expect(await selectorHash("web")).toBe(stableHash2);
    // The background analysis (from step 1) queried our Prometheus with the template's PromQL for
    // the canary Service, and succeeded.
    const template = find("AnalysisTemplate", "web-health");
    const want = expectedQueries(template, "web-canary", stableHash2);
    const got = new Set(promQueries.filter((q) => q.at >= t0).map((q) => q.query));
    expect([...got].sort()).toEqual([...want].sort());
    // The canary's own pods (its pod-template hash), through the canary Service; a healthy version
    // has no 5xx series at all, which counts as 0 (`or vector(0)`), not as "no data".
    expect(want[0]).toBe(
      `(sum(rate(http_server_request_duration_seconds_count{namespace="apps",service="web-canary",pod=~".+-${stableHash2}-[a-z0-9]+",http_response_status_code=~"5.."}[60s])) or vector(0)) / sum(rate(http_server_request_duration_seconds_count{namespace="apps",service="web-canary",pod=~".+-${stableHash2}-[a-z0-9]+"}[60s]))`,
    );
    const runs = (await analysisRuns("web")).filter((r) => new Date(r.metadata.creationTimestamp).getTime() >= t0 - 1000);
    expect(runs.length).toBe(1);
    // A background analysis without `count` runs until the rollout completes; then it is terminated as Successful.
    const run = await until(
      "background analysis Successful",
      "web",
      async () => (await analysisRuns("web")).find((r) => r.metadata.name === runs[0].metadata.name && r.status?.phase === "Successful"),
      30_000,
    );
    expect(run.status.metricResults.map((m: any) => [m.name, m.phase]).sort()).toEqual([
      ["error-rate", "Successful"],
      ["latency-p99", "Successful"],
    ]);
    // Passed on numbers Prometheus measured from the canary pods (0 % 5xx; p99 inside the 50 ms
    // bucket of the 40 ms requests), not on empty results.
    const measured = measuredValues(run);
    expect(measured["error-rate"]!.length).toBeGreaterThan(0);
    expect(measured["error-rate"]!.every((v) => v === 0)).toBe(true);
    expect(measured["latency-p99"]!.length).toBeGreaterThan(0);
    expect(measured["latency-p99"]!.every((v) => v > 0.025 && v <= 0.05)).toBe(true);
  }, 300_000);

  it("a failing analysis aborts the next canary: traffic returns to the stable version and the canary is scaled down", async () => {
    need();
    app!.behaviour.set("ghcr.io/normaldance/web:1.2.0", "failing");
    const t0 = Date.now();
    const from = canaryWeights.length;
    expect((await setImage("web", "ghcr.io/normaldance/web:1.2.0")).status).toBe(200);
    const ro = await until(
      "web aborted",
      "web",
      async () => {
        const r = await rollout("web");
        return r.status?.abort === true && r.status?.phase === "Degraded" ? r : undefined;
      },
      180_000,
    );
    expect(ro.status.stableRS).toBe(stableHash2);
    expect(ro.status.message).toMatch(/RolloutAborted|metric "error-rate" assessed Failed/);
    const run = (await analysisRuns("web")).find((r) => new Date(r.metadata.creationTimestamp).getTime() >= t0 - 1000);
    expect(run?.status?.phase).toBe("Failed");
    const errorRate = run.status.metricResults.find((m: any) => m.name === "error-rate");
    expect(errorRate.phase).toBe("Failed");
    // failureLimit 1: the second failed measurement aborts.
    expect(errorRate.failed).toBe(2);
    // Measured by Prometheus from the canary pods' own counters (a quarter of their requests fail):
    // above the 1 % limit, at most the pods' 25 %.
    const failed = errorRate.measurements.filter((m: any) => m.phase === "Failed").map((m: any) => JSON.parse(m.value)[0] as number);
    expect(failed.length).toBe(2);
    for (const v of failed) expect(v > 0.01 && v <= 0.26).toBe(true);
    // Traffic: 5 % to the canary, then back to 0 and the canary Service re-pointed at the stable pods.
    // With 10 s pauses, a 10 s initial delay and a 10 s interval the two failed measurements land
    // at the 25 or 50 % step; never beyond 50 %, never promoted.
    await until("canary weight back to 0", "web", async () => canaryWeights[canaryWeights.length - 1]?.canary === 0, 30_000);
    const seen = canaryWeights.slice(from).map((w) => w.canary);
    expect(seen[0]).toBe(5);
    expect(seen[seen.length - 1]).toBe(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(50);
    expect(await selectorHash("web")).toBe(stableHash2);
    await until("canary Service back on the stable pods", "web", async () => (await selectorHash("web-canary")) === stableHash2, 30_000);
    const canaryRs = ro.status.currentPodHash as string;
    expect(canaryRs).not.toBe(stableHash2);
    // abortScaleDownDelaySeconds: 30 (planned), then the aborted canary's ReplicaSet goes to 0.
    await until(
      "aborted canary scaled to 0",
      "web",
      async () => (await replicaSets("web")).find((rs) => rs.metadata.labels[HASH] === canaryRs)?.spec.replicas === 0,
      90_000,
    );
    const stableRs = (await replicaSets("web")).find((rs) => rs.metadata.labels[HASH] === stableHash2);
    expect(stableRs.status.readyReplicas).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it("a new version whose pods expose no request metrics is never promoted: each measurement without data fails and the canary is aborted", async () => {
    need();
    const image = "ghcr.io/normaldance/web:1.3.0";
    app!.behaviour.set(image, "silent");
    // The previous test left the rollout aborted on 1.2.0: wait for this revision's own abort.
    const previous = (await rollout("web")).status.currentPodHash as string;
    const t0 = Date.now();
    const from = canaryWeights.length;
    expect((await setImage("web", image)).status).toBe(200);
    const ro = await until(
      "web aborted for lack of data",
      "web",
      async () => {
        const r = await rollout("web");
        if (r.status?.stableRS && r.status.stableRS !== stableHash2 && r.status.stableRS === r.status.currentPodHash) {
          throw new Verdict(
            `web was promoted to ${image} although its canary pods expose no request metrics (the analysis counted "no data" as success); AnalysisRuns since the update: ${await runsSummary("web", t0)}`,
          );
        }
        return r.status?.currentPodHash !== previous && r.status?.abort === true && r.status?.phase === "Degraded" ? r : undefined;
      },
      150_000,
    );
    expect(ro.status.stableRS).toBe(stableHash2);
    expect(await selectorHash("web")).toBe(stableHash2);
    const run = (await analysisRuns("web")).find((r) => new Date(r.metadata.creationTimestamp).getTime() >= t0 - 1000);
    expect(run?.status?.phase).toBe("Failed");
    // Every measurement found no sample (the canary's request metric does not exist): "[]", Failed.
    for (const m of run.status.metricResults) {
      expect(m.successful ?? 0).toBe(0);
      for (const x of m.measurements ?? []) expect([x.phase, x.value]).toEqual(["Failed", "[]"]);
    }
    // Prometheus does scrape the canary pods through the canary Service (the ServiceMonitor selects
    // web-canary; `service` is the Service's name, as the operator's relabelling sets it): only the
    // request metrics are missing.
    const up = await prom!.query(`up{namespace="apps",service="web-canary",pod=~".+-${ro.status.currentPodHash}-[a-z0-9]+"}`);
    expect(up.result.length).toBeGreaterThan(0);
    expect(up.result.every((r: any) => r.value[1] === "1")).toBe(true);
    await until("canary weight back to 0", "web", async () => canaryWeights[canaryWeights.length - 1]?.canary === 0, 30_000);
    expect(Math.max(...canaryWeights.slice(from).map((w) => w.canary))).toBeLessThanOrEqual(50);
  }, 240_000);
});

// ------------------------------------------------------------ the blue-green service `api`

describe("blue-green `api` with the real controller", () => {
  it("a new version comes up behind the preview Service, passes the pre-promotion analysis, waits for promotion, then takes the active Service; the old colour stays for the scale-down delay", async () => {
    need();
    const planned = find("Rollout", "api").spec.strategy.blueGreen;
    expect(planned).toMatchObject({
      activeService: "api",
      previewService: "api-preview",
      autoPromotionEnabled: false,
      scaleDownDelaySeconds: 600,
      previewReplicaCount: 1,
    });
    const first = await until(
      "api Healthy",
      "api",
      async () => {
        const r = await rollout("api");
        return r.status?.phase === "Healthy" && r.status?.stableRS ? r : undefined;
      },
      120_000,
    );
    const blue = first.status.stableRS as string;
    expect(await selectorHash("api")).toBe(blue);

    const t0 = Date.now();
    expect((await setImage("api", "ghcr.io/normaldance/api:1.1.0")).status).toBe(200);
    const paused = await until(
      "api paused for promotion",
      "api",
      async () => {
        const r = await rollout("api");
        return r.status?.currentPodHash && r.status.currentPodHash !== blue && (r.status.pauseConditions ?? []).some((c: any) => c.reason === "BlueGreenPause")
          ? r
          : undefined;
      },
      120_000,
    );
    const green = paused.status.currentPodHash as string;
    // Preview on green, active still on blue; pre-promotion analysis ran against the preview Service.
    expect(await selectorHash("api-preview")).toBe(green);
    expect(await selectorHash("api")).toBe(blue);
    const pre = await until(
      "pre-promotion analysis Successful",
      "api",
      async () => (await analysisRuns("api")).find((r) => new Date(r.metadata.creationTimestamp).getTime() >= t0 - 1000 && r.status?.phase === "Successful"),
      60_000,
    );
    expect(pre.metadata.labels?.["rollout-type"] ?? pre.metadata.name).toMatch(/PrePromotion|pre/i);
    const template = find("AnalysisTemplate", "api-health");
    const previewQueries = expectedQueries(template, "api-preview", green);
    expect(new Set(promQueries.filter((q) => q.at >= t0).map((q) => q.query))).toEqual(new Set(previewQueries));
    const greenRs = (await replicaSets("api")).find((rs) => rs.metadata.labels[HASH] === green);
    expect(greenRs.spec.replicas).toBe(1);
    // Still paused: autoPromotionEnabled false waits for a promotion.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await selectorHash("api")).toBe(blue);

    // Promote, as `kubectl argo rollouts promote api` does (promote.go: clear the pause conditions
    // on the status subresource; unpause the spec if paused).
    const tPromote = Date.now();
    const cur = await rollout("api");
    if (cur.spec.paused) expect((await k.mergePatch(`${RO}/rollouts/api`, { spec: { paused: false } })).status).toBe(200);
    expect((await k.mergePatch(`${RO}/rollouts/api/status`, { status: { pauseConditions: null } })).status).toBe(200);
    const done = await until(
      "api promoted",
      "api",
      async () => {
        const r = await rollout("api");
        return r.status?.stableRS === green && r.status?.phase === "Healthy" ? r : undefined;
      },
      120_000,
    );
    expect(done.status.blueGreen.activeSelector).toBe(green);
    expect(await selectorHash("api")).toBe(green);
    // Post-promotion analysis against the active Service.
    const activeQueries = expectedQueries(template, "api", green);
    await until(
      "post-promotion analysis Successful",
      "api",
      async () =>
        (await analysisRuns("api")).find((r) => new Date(r.metadata.creationTimestamp).getTime() >= tPromote - 1000 && r.status?.phase === "Successful"),
      60_000,
    );
    expect(new Set(promQueries.filter((q) => q.at >= tPromote).map((q) => q.query))).toEqual(new Set(activeQueries));
    // The old colour keeps running with a scale-down deadline scaleDownDelaySeconds (600 s) ahead
    // (annotation `scale-down-deadline`, v1alpha1.DefaultReplicaSetScaleDownDeadlineAnnotationKey)
    // (set once the post-promotion analysis has passed).
    const blueRs = await until(
      "scale-down deadline on the old colour",
      "api",
      async () => (await replicaSets("api")).find((rs) => rs.metadata.labels[HASH] === blue && rs.metadata.annotations?.["scale-down-deadline"]),
      90_000,
    );
    const seenAt = Date.now();
    expect(blueRs.spec.replicas).toBeGreaterThanOrEqual(1);
    const deadline = Date.parse(blueRs.metadata.annotations["scale-down-deadline"]);
    expect(deadline - seenAt).toBeGreaterThan(580_000);
    expect(deadline - seenAt).toBeLessThanOrEqual(601_000);
  }, 300_000);
});

// ------------------------------------------------------------ the gateway's canary (Traefik)

describe("the gateway blueprint's canary (Traefik, was ingress-nginx) with the real controller", () => {
  it("the planned canary Rollout steps the weighted TraefikService 5 → 25 → 50 → 100 and ends on the new version; each route group's IngressRoute sends to it", async () => {
    need();
    const ro = gwPlanned.find((o) => o.kind === "Rollout" && o.spec.strategy.canary?.trafficRouting?.traefik);
    if (!ro)
      throw new Error(
        `${GATEWAY} on prod: the planner produced no canary Rollout routed by Traefik (${gwPlanned
          .filter((o) => o.kind === "Rollout")
          .map((o) => o.metadata.name)
          .join(", ")})`,
      );
    const name = ro.metadata.name as string;
    const ns = ro.metadata.namespace as string;
    const canary = ro.spec.strategy.canary;
    expect(canary.steps.filter((x: any) => x.setWeight !== undefined).map((x: any) => x.setWeight)).toEqual([5, 25, 50]);
    const weighted = canary.trafficRouting.traefik.weightedTraefikServiceName as string;
    // Every route group's IngressRoute sends to that TraefikService (Traefik's Ingress provider cannot).
    const routes = gwPlanned.filter((o) => o.kind === "IngressRoute" && o.metadata.namespace === ns && o.metadata.labels?.["app.kubernetes.io/name"] === name);
    expect(routes.length).toBe(4);
    for (const r of routes)
      expect(new Set(r.spec.routes.flatMap((x: any) => x.services.map((sv: any) => `${sv.kind}/${sv.name}`)))).toEqual(new Set([`TraefikService/${weighted}`]));
    if ((await k.get(`/api/v1/namespaces/${ns}`)).status === 404) {
      await k.must("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
      });
    }
    const mine = (o: Record<string, any>) => o.metadata.namespace === ns && o.metadata.labels?.["app.kubernetes.io/name"] === name;
    // The IngressRoutes too: the API server checks them against the pinned chart's CRD schema.
    for (const kind of ["ServiceAccount", "Service", "TraefikService", "IngressRoute", "AnalysisTemplate"])
      for (const m of gwPlanned.filter((o) => o.kind === kind && mine(o))) await apply(m);
    await apply(ro);
    const first = await until(
      `${name} Healthy`,
      name,
      async () => {
        const r = await rollout(name, ns);
        return r.status?.phase === "Healthy" && r.status?.stableRS ? r : undefined;
      },
      120_000,
    );
    expect(((await k.must("GET", `${TS}/${weighted}`)) as any).spec.weighted.services.map((x: any) => [x.name, x.weight])).toEqual([
      [canary.stableService, 100],
      [canary.canaryService, 0],
    ]);

    // Every weight pair the controller writes into the TraefikService.
    const weights: { canary: number; stable: number }[] = [];
    const stop = new AbortController();
    void k.informer(
      TS,
      (e) => {
        if (e.object?.metadata?.name !== weighted) return;
        const sv = e.object.spec.weighted.services as { name: string; weight: number }[];
        const w = {
          canary: sv.find((x) => x.name === canary.canaryService)?.weight ?? -1,
          stable: sv.find((x) => x.name === canary.stableService)?.weight ?? -1,
        };
        const last = weights[weights.length - 1];
        if (!last || last.canary !== w.canary || last.stable !== w.stable) weights.push(w);
      },
      stop.signal,
    );
    const t0 = Date.now();
    const image = String(ro.spec.template.spec.containers[0].image).replace(/:[^:/]+$/, ":9.9.9-canary");
    expect((await setImage(name, image, ns)).status).toBe(200);
    const done = await until(
      `${name} promoted`,
      name,
      async () => {
        const r = await rollout(name, ns);
        return r.status?.phase === "Healthy" && r.status.stableRS !== first.status.stableRS && r.status.stableRS === r.status.currentPodHash ? r : undefined;
      },
      240_000,
    );
    // Once the stable Service points at the new pods the controller sets the canary weight back to 0.
    await until("canary weight back to 0", name, async () => weights[weights.length - 1]?.canary === 0, 30_000);
    stop.abort();
    expect(weights.map((w) => w.canary).filter((w) => w > 0)).toEqual([5, 25, 50, 100]);
    for (const w of weights) expect(w.canary + w.stable).toBe(100);
    expect(await selectorHash(canary.stableService, ns)).toBe(done.status.stableRS);
    const template = find("AnalysisTemplate", canary.analysis.templates[0].templateName, gwPlanned);
    expect(new Set(promQueries.filter((q) => q.at >= t0).map((q) => q.query))).toEqual(
      new Set(expectedQueries(template, canary.canaryService, done.status.stableRS)),
    );
    // cat-gateway's own metrics: 5xx share of http_request_count (0) and the mean of
    // http_request_duration_ms converted to seconds (the pods' 40 ms).
    const run = await until(
      "gateway background analysis Successful",
      name,
      async () => (await analysisRuns(name)).find((r) => new Date(r.metadata.creationTimestamp).getTime() >= t0 - 1000 && r.status?.phase === "Successful"),
      30_000,
    );
    expect(run.status.metricResults.map((m: any) => [m.name, m.phase]).sort()).toEqual([
      ["error-rate", "Successful"],
      ["latency-mean", "Successful"],
    ]);
    const measured = measuredValues(run);
    expect(measured["error-rate"]!.length).toBeGreaterThan(0);
    expect(measured["error-rate"]!.every((v) => v === 0)).toBe(true);
    expect(measured["latency-mean"]!.length).toBeGreaterThan(0);
    expect(measured["latency-mean"]!.every((v) => Math.abs(v - 0.04) < 1e-6)).toBe(true);
  }, 300_000);
  it("a gateway canary whose new version fails a quarter of its requests (cat-gateway's own http_request_count) is aborted and traffic returns to the stable version", async () => {
    need();
    const ro = gwPlanned.find((o) => o.kind === "Rollout" && o.spec.strategy.canary?.trafficRouting?.traefik)!;
    const name = ro.metadata.name as string;
    const ns = ro.metadata.namespace as string;
    const before = await rollout(name, ns);
    const stable = before.status?.stableRS as string;
    expect(before.status?.phase).toBe("Healthy");
    const image = String(ro.spec.template.spec.containers[0].image).replace(/:[^:/]+$/, ":9.9.10-bad");
    app!.behaviour.set(image, "failing");
    const t0 = Date.now();
    expect((await setImage(name, image, ns)).status).toBe(200);
    const done = await until(
      `${name} aborted`,
      name,
      async () => {
        const r = await rollout(name, ns);
        if (r.status?.stableRS && r.status.stableRS !== stable && r.status.stableRS === r.status.currentPodHash) {
          throw new Verdict(
            `${name} was promoted to ${image} although a quarter of its canary's requests failed (cat-gateway's http_request_count{status_code="503"}); AnalysisRuns since the update: ${await runsSummary(name, t0)}; PromQL sent: ${JSON.stringify([...new Set(promQueries.filter((q) => q.at >= t0).map((q) => q.query))])}`,
          );
        }
        return r.status?.abort === true && r.status?.phase === "Degraded" ? r : undefined;
      },
      180_000,
    );
    expect(done.status.stableRS).toBe(stable);
    expect(await selectorHash(ro.spec.strategy.canary.stableService, ns)).toBe(stable);
    const run = (await analysisRuns(name)).find((r) => new Date(r.metadata.creationTimestamp).getTime() >= t0 - 1000);
    expect(run?.status?.phase).toBe("Failed");
    const errorRate = run.status.metricResults.find((m: any) => m.name === "error-rate");
    expect(errorRate.phase).toBe("Failed");
    const failed = errorRate.measurements.filter((x: any) => x.phase === "Failed").map((m: any) => JSON.parse(m.value)[0] as number);
    expect(failed.length).toBe(2);
    for (const v of failed) expect(v > 0.01 && v <= 0.26).toBe(true);
  }, 240_000);
});
