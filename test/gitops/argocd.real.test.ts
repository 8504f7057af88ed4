// The real Argo CD controllers (github.com/argoproj/argo-cd/v3 v3.6.1, built by scripts/engine.sh
// into .engine/bin/argocd; one binary that dispatches on argv[0] like the upstream image's
// symlinks) running as processes against the embedded control plane (tools/cluster), syncing the
// deploy chart that `npm run gitops -- --blueprint music-platform-gitops --tier staging` generates,
// from a Git repository served over smart HTTP on loopback (test/gitops/argocd-git.ts), then
// syncing a release (an image change in values-staging.yaml) and its `git revert`.
//
// Version: the pinned argo-cd chart 10.1.1 ships v3.4.4, which cannot be built from the module
// proxy (its in-repo gitops-engine module is only reachable through a `./gitops-engine` replace,
// and the pseudo-version it requires is not served: tools/engine/README.md). v3.6.1 is the
// nearest release that builds; it runs here under the chart's own CRDs, ConfigMaps and RBAC.
//
// What is real: kube-apiserver/controller-manager/scheduler, KWOK pods turning Ready, the argo-cd
// chart installed by the real helm from the mirror with the program's values (CRDs, argocd-cm,
// argocd-cmd-params-cm, argocd-rbac-cm, argocd-secret, the controller's ClusterRole), the
// application-controller and repo-server run with the chart's container args and the chart's
// environment (every env var resolved from the rendered ConfigMaps as the kubelet would), the
// controller under its ServiceAccount's token (so the chart's least-privilege RBAC is what is
// tested), a real redis-server (Debian package) with a password like the chart's Redis, the real
// Argo Rollouts controller (so Rollouts report their health), the real `helm` the repo-server
// renders the chart with, `git http-backend` serving the repository, the planned AppProject and
// Application (components/gitops/plan.ts).
// What differs from a cluster: addresses are loopback ports (repo-server, Redis) instead of
// Service names; the Application's and AppProject's repoURL point at the loopback server instead
// of the team's GitHub repository; a push is followed by the `argocd.argoproj.io/refresh`
// annotation, which is what argocd-server's Git webhook handler sets (no argocd-server runs);
// the controller is told the in-cluster destination is its kubeconfig (ARGOCD_FAKE_IN_CLUSTER, as
// upstream's Procfile does); there is no metrics API, so HPAs may be Degraded for that reason
// alone (healthProblems checks the reason on each one).
// Measured 2026-12-03: 3 passed, 125 s (first sync 32 s after the Application was created, the
// release and the revert 5 s each after the push + refresh).
// Runs inside `unshare -n` (node scripts/test.mjs test/gitops/argocd.real.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_PINS, pinId, readDirectoryMirror } from "../../components/charts";
import { appProject, application, argoCdValues, argoRolloutsValues, defaultSso } from "../../components/gitops/plan";
import { type DeployObject, generateDeployRepo, parseStream, writeRepo } from "../../scripts/gitops-lib";
import { type ControlPlane, defaultBinDir, missingBinaries, startControlPlane } from "../../tools/cluster/controlplane";
import { type KubeClient, waitFor } from "../../tools/cluster/kube";
import { Component } from "../../tools/cluster/procs";
import { createBareRepo, git, type GitHttpServer, startGitHttp } from "./argocd-git";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const BLUEPRINT = "music-platform-gitops";
const ENV = "staging";
const BRANCH = "develop";
const NS = "apps";
const ARGOCD_NS = "argocd";
const APP = `${BLUEPRINT}-${ENV}`;
const MIRROR = CHARTS_MIRROR;
const BIN = defaultBinDir();
const HELM = join(BIN, "helm");
const ARGOCD = join(BIN, "argocd");
/** What the upstream image has next to the binary (scripts/engine.sh installs them as its Dockerfile does). */
const ARGOCD_EXTRAS = ["argocd-repo-server", "argocd-application-controller", "gpg-wrapper.sh", "git-verify-wrapper.sh"].map((n) => join(BIN, n));
const ROLLOUTS = join(BIN, "rollouts-controller");
const REDIS = "redis-server";
const APP_PATH = `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NS}/applications/${APP}`;
/** An obviously fake Redis password (the chart's init Job would generate one into Secret argocd-redis). */
const REDIS_PASSWORD = "test-only-redis-password";

let cp: ControlPlane;
let k: KubeClient;
let dir: string;
let setupError: Error | undefined;
const procs: Component[] = [];
let repoServer: Component | undefined;
let controller: Component | undefined;
let gitServer: GitHttpServer | undefined;
let work = "";
let repoURL = "";
let chartDir = "";
let objects: DeployObject[] = [];
const revisions: Record<string, string> = {};

const need = () => {
  if (setupError) throw setupError;
};

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

/** The container's environment as the kubelet would resolve it from the rendered objects. */
function containerEnv(container: any, rendered: any[], secrets: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (typeof e.value === "string") env[e.name] = e.value;
    const cm = e.valueFrom?.configMapKeyRef;
    if (cm) {
      const v = rendered.find((m) => m.kind === "ConfigMap" && m.metadata.name === cm.name)?.data?.[cm.key];
      if (v !== undefined) env[e.name] = String(v);
      else if (!cm.optional) throw new Error(`${container.name}: env ${e.name} needs ConfigMap ${cm.name} key ${cm.key}, which the chart did not render`);
    }
    const sk = e.valueFrom?.secretKeyRef;
    if (sk && secrets[`${sk.name}/${sk.key}`] !== undefined) env[e.name] = secrets[`${sk.name}/${sk.key}`]!;
    const f = e.valueFrom?.fieldRef?.fieldPath;
    if (f === "metadata.namespace") env[e.name] = ARGOCD_NS;
  }
  return env;
}

/** A kubeconfig for the token of ServiceAccount `sa` in `ns`. */
async function saKubeconfig(ns: string, sa: string, file: string): Promise<string> {
  const tr = await k.must("POST", `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: 3600 },
  });
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "cp", cluster: { server: cp.url, "certificate-authority-data": Buffer.from(cp.caPem).toString("base64") } }],
      users: [{ name: sa, user: { token: tr.status.token } }],
      contexts: [{ name: "cp", context: { cluster: "cp", user: sa, namespace: ns } }],
      "current-context": "cp",
    }),
    { mode: 0o600 },
  );
  return file;
}

const app = async () => (await k.must("GET", APP_PATH)) as any;
const logProblems = (c: Component | undefined) =>
  (c?.tail() ?? "(not started)")
    .split("\n")
    .filter((l) => /level=(error|warning|fatal)/.test(l))
    .slice(-12)
    .join("\n");
const diag = async () => {
  const a = await app().catch(() => undefined);
  return (
    `application status: ${JSON.stringify({ sync: a?.status?.sync, health: a?.status?.health, conditions: a?.status?.conditions, operationState: a?.status?.operationState && { phase: a.status.operationState.phase, message: a.status.operationState.message } }).slice(0, 3000)}\n` +
    `health/workload problems at the last check: ${lastProblems.join("; ").slice(0, 2000)}\n` +
    `application-controller errors/warnings:\n${logProblems(controller)}\nrepo-server errors/warnings:\n${logProblems(repoServer)}\n` +
    `git requests: ${gitServer?.requests.slice(-10).join("; ")}`
  );
};
async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms: number): Promise<T> {
  try {
    return await waitFor(what, fn, ms, 500);
  } catch (e) {
    // Later steps build on this one: fail them at once instead of waiting out their timeouts.
    setupError = new Error(`${String(e)}\n${await diag()}`);
    throw setupError;
  }
}

/** Commits the working tree, pushes develop to the served repository, returns the commit. */
function pushed(message: string): string {
  git(work, ["add", "-A"]);
  git(work, ["commit", "--quiet", "-m", message]);
  git(work, ["push", "--quiet", join(dir, "git", "deploy.git"), BRANCH]);
  return git(work, ["rev-parse", "HEAD"]);
}

/** What argocd-server's Git webhook handler does for a push: ask for a refresh of the Application. */
async function refresh(): Promise<void> {
  const r = await k.mergePatch(APP_PATH, { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } });
  if (r.status !== 200) throw new Error(`refresh annotation: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
}

/**
 * The embedded control plane has no metrics API (metrics-server is a platform add-on whose pod
 * KWOK does not run), so the HorizontalPodAutoscaler controller sets ScalingActive=False
 * FailedGetResourceMetric on HPAs with resource metrics and Argo CD's HPA health check calls them
 * Degraded. Argo CD v3 keeps per-resource health out of the Application (the chart leaves
 * controller.resource.health.persist off), so the check reads the Application's health and, when
 * it is Degraded, each HPA it names from the API: only that reason is accepted.
 */
async function healthProblems(a: any): Promise<string[]> {
  const h = a.status?.health;
  if (h?.status === "Healthy") return [];
  if (h?.status !== "Degraded") return [`application health ${h?.status} ${h?.message ?? ""}`];
  const out: string[] = [];
  for (const cause of String(h.message ?? "")
    .replace(/^Caused by /, "")
    .split(/,\s*/)) {
    const m = /^autoscaling\/HorizontalPodAutoscaler:([^/]+)\/(.+)$/.exec(cause);
    if (!m) {
      out.push(`Degraded: ${cause}`);
      continue;
    }
    const hpa = (await k.must("GET", `/apis/autoscaling/v2/namespaces/${m[1]}/horizontalpodautoscalers/${m[2]}`)) as any;
    const active = (hpa.status?.conditions ?? []).find((c: any) => c.type === "ScalingActive");
    if (!(active?.status === "False" && active.reason === "FailedGetResourceMetric")) out.push(`${cause}: ${JSON.stringify(active)}`);
  }
  return out;
}

/** The workloads, from their live status: every Deployment rolled out and available, every Rollout Healthy (the Argo Rollouts controller's verdict). */
async function workloadProblems(): Promise<string[]> {
  const out: string[] = [];
  for (const d of ((await k.must("GET", `/apis/apps/v1/namespaces/${NS}/deployments`)) as any).items) {
    const want = d.spec.replicas ?? 1;
    const st = d.status ?? {};
    if (!((st.observedGeneration ?? 0) >= d.metadata.generation && st.updatedReplicas === want && st.availableReplicas === want && (st.replicas ?? 0) === want))
      out.push(`Deployment/${d.metadata.name} ${JSON.stringify(st).slice(0, 200)}`);
  }
  for (const r of ((await k.must("GET", `/apis/argoproj.io/v1alpha1/namespaces/${NS}/rollouts`)) as any).items) {
    if (r.status?.phase !== "Healthy") out.push(`Rollout/${r.metadata.name} ${r.status?.phase} ${r.status?.message ?? ""}`);
  }
  return out;
}

/** Waits until the Application is Synced to `revision` by a Succeeded sync, healthy (HPAs: see healthProblems) and every workload rolled out. */
async function syncedHealthy(revision: string, ms = 240_000): Promise<any> {
  return until(
    `Application ${APP} Synced at ${revision.slice(0, 8)}, healthy, workloads rolled out`,
    async () => {
      const a = await app();
      const s = a.status;
      if (!(
        s?.sync?.status === "Synced" &&
        s.sync.revision === revision &&
        s.operationState?.phase === "Succeeded" &&
        s.operationState.syncResult?.revision === revision
      ))
        return undefined;
      const problems = [...(await healthProblems(a)), ...(await workloadProblems())];
      lastProblems = problems;
      return problems.length === 0 ? a : undefined;
    },
    ms,
  );
}
let lastProblems: string[] = [];

const liveImage = async (kind: "deployments", name: string) =>
  ((await k.must("GET", `/apis/apps/v1/namespaces/${NS}/${kind}/${name}`)) as any).spec.template.spec.containers[0].image as string;

beforeAll(async () => {
  const missing = [...missingBinaries(), ...[HELM, ARGOCD, ...ARGOCD_EXTRAS, ROLLOUTS].filter((b) => !existsSync(b))];
  try {
    execFileSync(REDIS, ["--version"], { stdio: "ignore" });
  } catch {
    missing.push(`${REDIS} (Debian package redis-server, scripts/prerequisites.tsv)`);
  }
  if (missing.length) {
    setupError = new Error(
      `binaries missing (bin dir ${BIN}):\n  ${missing.join("\n  ")}\nbuild them with \`npm run engine\` (scripts/engine.sh builds argocd from github.com/argoproj/argo-cd/v3 v3.6.1 with GOTOOLCHAIN=go1.27.3)`,
    );
    return;
  }
  dir = mkdtempSync(join(tmpdir(), "argocd-real-"));
  try {
    // 1. The deploy repository, generated exactly as `npm run gitops -- --tier staging` writes it,
    //    committed on develop (staging's branch) and served over HTTP on loopback.
    const repo = await generateDeployRepo(BLUEPRINT, ["staging"]); // tier staging = environment ENV
    objects = repo.objects[ENV]!;
    work = join(dir, "work");
    mkdirSync(work);
    git(work, ["init", "--quiet", `--initial-branch=${BRANCH}`]);
    writeRepo(work, repo);
    createBareRepo(join(dir, "git"), "deploy");
    revisions["initial"] = pushed("deploy chart generated by npm run gitops");
    gitServer = await startGitHttp(join(dir, "git"));
    repoURL = `${gitServer.base}/deploy.git`;
    chartDir = join(work, "charts", "normaldance");
    if (!existsSync(join(chartDir, `values-${ENV}.yaml`)))
      throw new Error(`npm run gitops wrote no charts/normaldance/values-${ENV}.yaml (blueprint delivery.path changed?)`);

    // 2. The control plane, the pinned charts from the mirror with the program's values.
    cp = await startControlPlane({ dir: join(dir, "cp") });
    k = cp.client;
    const helm = (args: string[]) =>
      execFileSync(HELM, [...args, "--kubeconfig", cp.kubeconfigPath], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 300_000,
        maxBuffer: 64 << 20,
      });
    const { mirror, problems } = readDirectoryMirror(MIRROR, [
      CHART_PINS.argoCd,
      CHART_PINS.argoRollouts,
      CHART_PINS.traefik,
      CHART_PINS.prometheusOperatorCrds,
    ]);
    if (problems.length) throw new Error(`chart mirror: ${problems.join("; ")}`);
    const archives = (mirror as { archives: Record<string, string> }).archives;
    const cdValues = join(dir, "values-argocd.json");
    writeFileSync(
      cdValues,
      JSON.stringify(
        argoCdValues({
          project: BLUEPRINT,
          url: "https://argocd.example.com",
          sso: { ...defaultSso(BLUEPRINT), issuer: "https://sso.example.com", clientId: "argocd" },
          replicas: 1,
        }),
      ),
    );
    const roValues = join(dir, "values-rollouts.json");
    writeFileSync(roValues, JSON.stringify(argoRolloutsValues({ replicas: 1 })));
    helm(["install", "argo-rollouts", archives[pinId(CHART_PINS.argoRollouts)]!, "-n", "argo-rollouts", "--create-namespace", "-f", roValues]);
    helm(["install", "argo-cd", archives[pinId(CHART_PINS.argoCd)]!, "-n", ARGOCD_NS, "--create-namespace", "-f", cdValues]);
    // The CRDs of the kinds the deploy chart renders besides Argo's: Traefik's (crds/ of the traefik
    // chart) and the Prometheus operator's (templates of the prometheus-operator-crds chart).
    const crds = [
      ...parseStream(helm(["show", "crds", archives[pinId(CHART_PINS.traefik)]!])),
      ...parseStream(helm(["template", "crds", archives[pinId(CHART_PINS.prometheusOperatorCrds)]!])).filter((m) => m.kind === "CustomResourceDefinition"),
    ];
    for (const crd of crds) await k.must("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    for (const name of [
      "applications.argoproj.io",
      "appprojects.argoproj.io",
      "rollouts.argoproj.io",
      "analysistemplates.argoproj.io",
      "traefikservices.traefik.io",
      "ingressroutes.traefik.io",
      "middlewares.traefik.io",
      "servicemonitors.monitoring.coreos.com",
    ]) {
      await waitFor(
        `CRD ${name} Established`,
        async () => {
          const r = await k.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
          return r.status === 200 && (r.body?.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True");
        },
        60_000,
      );
    }

    // 3. Redis (the chart's argocd-redis, with a password).
    const redisPort = await freePort();
    procs.push(
      Component.start(
        "redis",
        REDIS,
        ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", REDIS_PASSWORD],
        join(dir, "logs"),
      ),
    );
    await waitFor("redis to listen", async () => procs[0]!.tail().includes("Ready to accept connections"), 30_000);

    // 4. repo-server and application-controller: the chart's container args and environment.
    const rendered = parseStream(
      execFileSync(HELM, ["template", "argo-cd", archives[pinId(CHART_PINS.argoCd)]!, "-n", ARGOCD_NS, "-f", cdValues], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      }),
    );
    const workload = (kind: string, component: string) => {
      const w = rendered.find((m: any) => m.kind === kind && m.metadata.labels?.["app.kubernetes.io/component"] === component);
      if (!w) throw new Error(`helm template of the argo-cd chart rendered no ${kind} for ${component}`);
      return { sa: w.spec.template.spec.serviceAccountName as string, container: w.spec.template.spec.containers[0] };
    };
    const secrets = { "argocd-redis/auth": REDIS_PASSWORD };
    const repoPort = await freePort();
    const rs = workload("Deployment", "repo-server");
    const rsMetrics = await freePort();
    const rsArgs = (rs.container.args as string[])
      .slice(1)
      .map((a) => (a.startsWith("--port=") ? `--port=${repoPort}` : a.startsWith("--metrics-port=") ? `--metrics-port=${rsMetrics}` : a));
    // The chart mounts an emptyDir keyring and the (empty) argocd-gpg-keys-cm; GnuPG verification stays on.
    for (const d of ["repo-server-home", "repo-server-tmp", "gnupg", "gpg-source", "tls-certs", "ssh-known-hosts"]) mkdirSync(join(dir, d), { mode: 0o700 });
    const rsEnv = containerEnv(rs.container, rendered, secrets);
    repoServer = Component.start("argocd-repo-server", join(BIN, "argocd-repo-server"), rsArgs, join(dir, "logs"), {
      ...rsEnv,
      PATH: `${BIN}:${process.env["PATH"]}`,
      HOME: join(dir, "repo-server-home"),
      REDIS_SERVER: `127.0.0.1:${redisPort}`,
      ARGOCD_REPO_SERVER_LISTEN_ADDRESS: "127.0.0.1",
      ARGOCD_REPO_SERVER_LISTEN_METRICS_ADDRESS: "127.0.0.1",
      HELM_CACHE_HOME: join(dir, "helm-working-dir"),
      HELM_CONFIG_HOME: join(dir, "helm-working-dir"),
      HELM_DATA_HOME: join(dir, "helm-working-dir"),
      ARGOCD_GNUPGHOME: join(dir, "gnupg"),
      ARGOCD_GPG_DATA_PATH: join(dir, "gpg-source"),
      // The chart mounts argocd-tls-certs-cm and argocd-ssh-known-hosts-cm here (no entry is needed for http://).
      ARGOCD_TLS_DATA_PATH: join(dir, "tls-certs"),
      ARGOCD_SSH_DATA_PATH: join(dir, "ssh-known-hosts"),
      TMPDIR: join(dir, "repo-server-tmp"),
    });
    procs.push(repoServer);
    await waitFor(
      "repo-server to listen (or exit)",
      async () => repoServer!.tail().includes("argocd-repo-server is listening on") || !repoServer!.running,
      90_000,
    );
    if (!repoServer.running) throw new Error(`argocd-repo-server exited (${JSON.stringify(repoServer.exitInfo)}):\n${repoServer.tail().slice(-3000)}`);

    const ac = workload("StatefulSet", "application-controller");
    const kubeconfig = await saKubeconfig(ARGOCD_NS, ac.sa, join(dir, "controller.kubeconfig"));
    const acMetrics = await freePort();
    const acArgs = [
      ...(ac.container.args as string[]).slice(1).map((a) => (a.startsWith("--metrics-port=") ? `--metrics-port=${acMetrics}` : a)),
      `--kubeconfig=${kubeconfig}`,
    ];
    controller = Component.start("argocd-application-controller", join(BIN, "argocd-application-controller"), acArgs, join(dir, "logs"), {
      ...containerEnv(ac.container, rendered, secrets),
      PATH: `${BIN}:${process.env["PATH"]}`,
      HOME: join(dir, "controller-home"),
      REDIS_SERVER: `127.0.0.1:${redisPort}`,
      ARGOCD_APPLICATION_CONTROLLER_REPO_SERVER: `127.0.0.1:${repoPort}`,
      KUBECACHEDIR: join(dir, "kubecache"),
      // The in-cluster destination (https://kubernetes.default.svc) normally means the pod's
      // ServiceAccount mount; upstream's own local run (its Procfile) sets this so that the
      // controller takes that identity from KUBECONFIG instead: here the chart's ServiceAccount token.
      ARGOCD_FAKE_IN_CLUSTER: "true",
      KUBECONFIG: kubeconfig,
      // The StatefulSet's pod is <name>-0 and the controller infers its shard from that hostname suffix.
      ARGOCD_CONTROLLER_SHARD: "0",
    });
    procs.push(controller);

    // 5. The Argo Rollouts controller with its chart's args (Rollouts report health through it).
    const roRendered = parseStream(
      execFileSync(HELM, ["template", "argo-rollouts", archives[pinId(CHART_PINS.argoRollouts)]!, "-n", "argo-rollouts", "-f", roValues], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      }),
    );
    const roDep = roRendered.find((m: any) => m.kind === "Deployment" && m.spec.template.spec.containers.some((c: any) => c.name === "argo-rollouts"));
    if (!roDep) throw new Error("helm template of the argo-rollouts chart rendered no controller Deployment");
    const roContainer = roDep.spec.template.spec.containers.find((c: any) => c.name === "argo-rollouts");
    const roKube = await saKubeconfig("argo-rollouts", roDep.spec.template.spec.serviceAccountName, join(dir, "rollouts.kubeconfig"));
    procs.push(
      Component.start(
        "rollouts-controller",
        ROLLOUTS,
        [...roContainer.args, `--kubeconfig=${roKube}`, `--healthzPort=${await freePort()}`, `--metricsPort=${await freePort()}`],
        join(dir, "logs"),
        { PATH: process.env["PATH"], HOME: dir, POD_NAMESPACE: "argo-rollouts" },
      ),
    );

    // 6. The application namespace (Pod Security restricted, as the program declares it), then
    //    the planned AppProject and Application, retargeted at the loopback repository.
    await k.must("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    const planned = [
      appProject({
        project: BLUEPRINT,
        namespace: ARGOCD_NS,
        repoURL,
        destinationNamespace: NS,
        description: "music platform (test)",
        sso: defaultSso(BLUEPRINT),
      }),
      application({
        name: APP,
        namespace: ARGOCD_NS,
        project: BLUEPRINT,
        repoURL,
        path: "charts/normaldance",
        branch: BRANCH,
        environment: ENV,
        destinationNamespace: NS,
      }),
    ];
    await k.must("POST", `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NS}/appprojects`, planned[0]);
    await k.must("POST", `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NS}/applications`, planned[1]);
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
}, 480_000);

afterAll(async () => {
  for (const p of [...procs].reverse()) await p.stop();
  await gitServer?.close();
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

describe("Argo CD v3.6.1 application-controller + repo-server on the embedded control plane", () => {
  it("syncs the generated staging chart from the loopback Git repository: Synced, every planned object live and Healthy (HPAs: no metrics API here)", async () => {
    need();
    const a = await syncedHealthy(revisions["initial"]!);
    // Every object values-staging.yaml renders is a managed, synced resource of the Application.
    const key = (r: any) => `${r.group ?? ""}/${r.kind} ${r.namespace ?? ""}/${r.name}`;
    const want = objects
      .map((o) =>
        key({
          group: String(o.manifest["apiVersion"]).includes("/") ? String(o.manifest["apiVersion"]).split("/")[0] : "",
          kind: o.manifest["kind"],
          namespace: o.manifest["metadata"].namespace,
          name: o.manifest["metadata"].name,
        }),
      )
      .sort();
    expect(want.length).toBeGreaterThan(20);
    expect(a.status.resources.map(key).sort()).toEqual(want);
    for (const r of a.status.resources) expect(`${key(r)} ${r.status}`).toBe(`${key(r)} Synced`);
    // Health (syncedHealthy): Deployments rolled out on KWOK pods, Rollouts Healthy under the real
    // Argo Rollouts controller, the Application Healthy or Degraded only by HPAs without a metrics API.
    expect(await healthProblems(a)).toEqual([]);
    expect(await workloadProblems()).toEqual([]);
    console.log(`Application health: ${a.status.health.status} ${a.status.health.message ?? ""}`);
    // The repo-server fetched over smart HTTP (the loopback Git host saw it).
    expect(gitServer!.requests.some((l) => /^POST \/deploy\.git\/git-upload-pack -> 200$/.test(l))).toBe(true);
    // The live Deployment carries the image of the values file.
    expect(await liveImage("deployments", "worker")).toBe("ghcr.io/normaldance/worker:1.0.0");
    // Tracked by annotation (the program's resourceTrackingMethod), not by label.
    const live = (await k.must("GET", `/apis/apps/v1/namespaces/${NS}/deployments/worker`)) as any;
    expect(live.metadata.annotations["argocd.argoproj.io/tracking-id"]).toBe(`${APP}:apps/Deployment:${NS}/worker`);
  }, 300_000);

  it("a release (image change in values-staging.yaml, pushed to develop) is synced: the Deployment rolls to the new image", async () => {
    need();
    const file = join(chartDir, `values-${ENV}.yaml`);
    const before = readFileSync(file, "utf8");
    const after = before.replace(/^(  worker: )ghcr\.io\/normaldance\/worker:1\.0\.0$/m, "$1ghcr.io/normaldance/worker:1.1.0");
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    revisions["release"] = pushed("release worker 1.1.0 to staging");
    await refresh();
    await syncedHealthy(revisions["release"]!);
    expect(await liveImage("deployments", "worker")).toBe("ghcr.io/normaldance/worker:1.1.0");
    // The other services are untouched.
    expect(await liveImage("deployments", "solana-rpc")).toBe("ghcr.io/normaldance/solana-rpc-proxy:1.0.0");
  }, 300_000);

  it("`git revert` of the release is synced back: the Deployment returns to the previous image, the history records all three revisions", async () => {
    need();
    git(work, ["revert", "--no-edit", "HEAD"]);
    git(work, ["push", "--quiet", join(dir, "git", "deploy.git"), BRANCH]);
    revisions["revert"] = git(work, ["rev-parse", "HEAD"]);
    expect(readFileSync(join(chartDir, `values-${ENV}.yaml`), "utf8")).toMatch(/^ {2}worker: ghcr\.io\/normaldance\/worker:1\.0\.0$/m);
    await refresh();
    const a = await syncedHealthy(revisions["revert"]!);
    expect(await liveImage("deployments", "worker")).toBe("ghcr.io/normaldance/worker:1.0.0");
    expect((a.status.history ?? []).map((h: any) => h.revision)).toEqual([revisions["initial"], revisions["release"], revisions["revert"]]);
  }, 300_000);
});
