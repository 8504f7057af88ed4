// An embedded Kubernetes control plane for local runs and tests: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods "run" by stages),
// all on 127.0.0.1 with ports picked at run time, plus in-process cloud stand-ins
// (standins.ts). See README.md in this folder.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { KubeClient, sleep, waitFor } from "./kube";
import { KWOK_STAGES } from "./kwok-stages";
import { assertPrivateNetns } from "./netns";
import { ensurePki, type Pki, readPem } from "./pki";
import { Component } from "./procs";
import { startStandins, type Standins } from "./standins";

export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface NodeSpec {
  name: string;
  /** Merged over the defaults (hostname, os, arch, zone, region, instance type, type=kwok). */
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Capacity and allocatable (same values); merged over cpu 32, memory 128Gi, pods 250, ephemeral-storage 500Gi. */
  capacity?: Record<string, string>;
}

export interface ControlPlaneOptions {
  /** Working directory: etcd data, PKI, kubeconfigs, logs. Never deleted by stop(). */
  dir: string;
  /** Directory with kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok (and helm). */
  bin?: string;
  /** Fake nodes; default: 3 nodes in us-east-1a/b/c. */
  nodes?: NodeSpec[];
  /** Progress and stand-in actions, one line each. */
  log?: (line: string) => void;
  /** Run although this process is not in a loopback-only network namespace (NOT recommended). */
  allowHostNetwork?: boolean;
  /** The default StorageClass created at start (false: none). Default: "standard", WaitForFirstConsumer. */
  defaultStorageClass?: { name?: string; volumeBindingMode?: "Immediate" | "WaitForFirstConsumer" } | false;
  /** Provision PVs for claims whose StorageClass does not exist (default false: they stay Pending). */
  provisionUnknownStorageClasses?: boolean;
  /** Default 10.96.0.0/16. */
  serviceClusterIpRange?: string;
  /** Default 10.244.0.0/16 (kwok assigns pod IPs from it; nothing is reachable there). */
  podCidr?: string;
  /** Overall start-up timeout, default 120 s. */
  startTimeoutMs?: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  url: string;
  /** Admin kubeconfig (user `admin`, group system:masters). */
  kubeconfigPath: string;
  dir: string;
  bin: string;
  /** PEM of the cluster CA (the API server's serving cert chains to it). */
  caPem: string;
  /** Admin bearer token (random per working directory). */
  adminToken: string;
  /** API client with the admin token. */
  client: KubeClient;
  /** pid of every component process. */
  pids: Record<string, number>;
  /** Milliseconds from the call to ready (nodes Ready, default ServiceAccount present). */
  startupMs: number;
  /** Base URL and call counts of the loopback allow-all admission / conversion server. */
  standins: Pick<Standins, "admissionUrl" | "admissionCalls">;
  stop(): Promise<void>;
  /** Tail of every component's output and of this module's log lines. */
  logs(): string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
}

export const COMPONENT_BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl"] as const;
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

/** <repo>/.engine/bin, or $PLATFORM_CLUSTER_BIN. */
export function defaultBinDir(): string {
  return process.env.PLATFORM_CLUSTER_BIN || resolve(__dirname, "..", "..", ".engine", "bin");
}

/** The missing binaries (empty when all are there), checked without starting anything. */
export function missingBinaries(bin = defaultBinDir()): string[] {
  const missing: string[] = COMPONENT_BINARIES.filter((b) => !existsSync(join(bin, b))).map((b) => join(bin, b));
  if (!existsSync(join(bin, "etcd")) && !onPath("etcd")) missing.push("etcd (Debian package etcd-server)");
  return missing;
}

function onPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? "").split(":")) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

export function defaultNodes(): NodeSpec[] {
  return ["a", "b", "c"].map((z, i) => ({ name: `kwok-node-${i}`, labels: { "topology.kubernetes.io/zone": `us-east-1${z}` } }));
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** GET a health endpoint; resolves with the status code (0 on connection errors). */
function probe(url: string, opts: { ca?: string; token?: string } = {}): Promise<number> {
  return new Promise((res) => {
    const req = (url.startsWith("https:") ? httpsRequest : httpRequest)(
      url,
      {
        method: "GET",
        timeout: 3000,
        ...(url.startsWith("https:") ? (opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }) : {}),
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
      },
      (r) => {
        r.resume();
        r.on("end", () => res(r.statusCode ?? 0));
      },
    );
    req.on("error", () => res(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** A token kubeconfig for `url` (context platform-local); the hostile-order proxy writes one for its own port. */
export function kubeconfig(url: string, caPem: string, user: string, token: string): string {
  const ca = Buffer.from(caPem).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: platform-local",
    "  cluster:",
    `    server: ${url}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: platform-local",
    "  context:",
    "    cluster: platform-local",
    `    user: ${user}`,
    "current-context: platform-local",
    "",
  ].join("\n");
}

interface Tokens {
  admin: string;
  kcm: string;
  scheduler: string;
  kwok: string;
}

/** Random tokens, created once per working directory (so kubeconfigs survive a restart). */
function ensureTokens(dir: string): { tokens: Tokens; file: string } {
  const file = join(dir, "tokens.csv");
  const json = join(dir, "tokens.json");
  let tokens: Tokens;
  if (existsSync(json)) tokens = JSON.parse(readFileSync(json, "utf8"));
  else {
    const t = () => randomBytes(24).toString("hex");
    tokens = { admin: t(), kcm: t(), scheduler: t(), kwok: t() };
    writeFileSync(json, JSON.stringify(tokens), { mode: 0o600 });
  }
  // token,user,uid,"group1,group2"
  writeFileSync(
    file,
    [
      `${tokens.admin},admin,uid-admin,"system:masters"`,
      `${tokens.kcm},system:kube-controller-manager,uid-kcm`,
      `${tokens.scheduler},system:kube-scheduler,uid-scheduler`,
      `${tokens.kwok},kwok-controller,uid-kwok,"system:masters"`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return { tokens, file };
}

function nodeObject(spec: NodeSpec): unknown {
  const zone = spec.labels?.["topology.kubernetes.io/zone"];
  const labels: Record<string, string> = {
    "kubernetes.io/hostname": spec.name,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    "beta.kubernetes.io/os": "linux",
    "beta.kubernetes.io/arch": "amd64",
    "node.kubernetes.io/instance-type": "kwok.xlarge",
    type: "kwok",
    ...(zone ? { "topology.kubernetes.io/region": zone.replace(/[a-z]$/, "") } : {}),
    ...spec.labels,
  };
  const capacity = { cpu: "32", memory: "128Gi", pods: "250", "ephemeral-storage": "500Gi", ...spec.capacity };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: spec.name,
      labels,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: spec.taints?.length ? { taints: spec.taints } : {},
    status: {
      allocatable: capacity,
      capacity,
      nodeInfo: {
        architecture: labels["kubernetes.io/arch"],
        operatingSystem: labels["kubernetes.io/os"],
        kubeletVersion: "v1.36.3-kwok",
        kubeProxyVersion: "v1.36.3-kwok",
        containerRuntimeVersion: "kwok",
        kernelVersion: "kwok",
        osImage: "kwok",
        bootID: "",
        machineID: "",
        systemUUID: "",
      },
    },
  };
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const t0 = Date.now();
  const dir = resolve(opts.dir);
  const bin = resolve(opts.bin ?? defaultBinDir());
  const logDir = join(dir, "logs");
  mkdirSync(logDir, { recursive: true });
  const ownLog: string[] = [];
  const log = (line: string) => {
    const l = `${new Date().toISOString()} ${line}`;
    ownLog.push(l);
    if (ownLog.length > 2000) ownLog.splice(0, ownLog.length - 2000);
    try {
      appendFileSync(join(logDir, "controlplane.log"), `${l}\n`);
    } catch {
      /* directory removed under us */
    }
    opts.log?.(line);
  };
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  assertPrivateNetns(opts.allowHostNetwork, log);

  const missing = missingBinaries(bin);
  if (missing.length) {
    throw new Error(
      `control plane binaries missing:\n  ${missing.join("\n  ")}\nbuild them with \`npm run engine\` (into <repo>/.engine/bin), or point PLATFORM_CLUSTER_BIN / the bin option at a directory that has them`,
    );
  }
  const etcdBin = existsSync(join(bin, "etcd")) ? join(bin, "etcd") : onPath("etcd")!;

  const serviceRange = opts.serviceClusterIpRange ?? "10.96.0.0/16";
  const serviceIp = serviceRange.replace(/\.0\/\d+$/, ".1");
  const pki: Pki = ensurePki(join(dir, "pki"), serviceIp);
  const caPem = readPem(pki.caCert);
  const { tokens, file: tokenFile } = ensureTokens(dir);

  const [etcdClient, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
  const url = `https://127.0.0.1:${apiPort}`;
  const kcDir = join(dir, "kubeconfigs");
  mkdirSync(kcDir, { recursive: true });
  const kubeconfigPath = join(dir, "kubeconfig");
  writeFileSync(kubeconfigPath, kubeconfig(url, caPem, "admin", tokens.admin), { mode: 0o600 });
  const kcmKc = join(kcDir, "controller-manager.yaml");
  const schedKc = join(kcDir, "scheduler.yaml");
  const kwokKc = join(kcDir, "kwok.yaml");
  writeFileSync(kcmKc, kubeconfig(url, caPem, "system:kube-controller-manager", tokens.kcm), { mode: 0o600 });
  writeFileSync(schedKc, kubeconfig(url, caPem, "system:kube-scheduler", tokens.scheduler), { mode: 0o600 });
  writeFileSync(kwokKc, kubeconfig(url, caPem, "kwok-controller", tokens.kwok), { mode: 0o600 });

  const components: Component[] = [];
  let standins: Standins | undefined;
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await standins?.stop().catch(() => undefined);
    for (const c of [...components].reverse()) {
      await c.stop();
      log(`stopped ${c.name} (${c.exitInfo?.signal ?? `exit ${c.exitInfo?.code}`})`);
    }
  };
  const logs = () =>
    [
      ...components.map(
        (c) => `==== ${c.name} (pid ${c.pid}${c.running ? "" : `, exited ${c.exitInfo?.signal ?? c.exitInfo?.code}`}; ${c.logFile})\n${c.tail()}`,
      ),
      `==== controlplane\n${ownLog.join("\n")}`,
    ].join("\n");
  const start = (name: string, file: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const c = Component.start(name, file, args, logDir, env);
    components.push(c);
    c.proc.once("exit", (code, signal) => {
      if (!stopping) log(`ERROR: ${name} exited unexpectedly (${signal ?? `code ${code}`}); see ${c.logFile}`);
    });
    log(`started ${name} pid ${c.pid} [${elapsed()}]`);
    return c;
  };
  const deadline = t0 + (opts.startTimeoutMs ?? 120_000);
  const until = async (what: string, fn: () => Promise<boolean>) => {
    for (;;) {
      const dead = components.find((c) => !c.running);
      if (dead) throw new Error(`${dead.name} exited (${dead.exitInfo?.signal ?? `code ${dead.exitInfo?.code}`}) while waiting for ${what}`);
      if (await fn().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };

  try {
    // ---- etcd + kube-apiserver (the API server retries etcd, so both start at once) ----------
    start("etcd", etcdBin, [
      "--name=platform-local",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=platform-local=http://127.0.0.1:${etcdPeer}`,
      "--logger=zap",
      "--log-outputs=stderr",
    ]);
    start("kube-apiserver", join(bin, "kube-apiserver"), [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${tokenFile}`,
      "--authorization-mode=Node,RBAC",
      // Default admission plugins (NamespaceLifecycle, ServiceAccount, PodSecurity, webhooks,
      // ResourceQuota, ...) stay on; NodeRestriction is added as kubeadm does.
      "--enable-admission-plugins=NodeRestriction",
      "--allow-privileged=true",
      `--service-cluster-ip-range=${serviceRange}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      // kubelet endpoints of kwok nodes are kwok's own server on 127.0.0.1 (never a hostname lookup).
      "--kubelet-preferred-address-types=InternalIP",
      `--kubelet-certificate-authority=${pki.caCert}`,
      // Aggregation layer (front proxy), as kubeadm sets it up.
      `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
      "--requestheader-allowed-names=front-proxy-client",
      "--requestheader-username-headers=X-Remote-User",
      "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
      `--proxy-client-key-file=${pki.frontProxyClientKey}`,
      // The advertise address is loopback, which Endpoints may not contain: do not publish
      // endpoints for the `kubernetes` Service (nothing inside the cluster could dial them).
      "--endpoint-reconciler-type=none",
      // Debian's etcd 3.4.23 predates RequestWatchProgress (3.4.31), so the watch cache cannot
      // serve streaming lists. With WatchList on, the API server still defaults every watch
      // from resourceVersion "" or "0" to sendInitialEvents=true and then fails it: kwok, which
      // watches from "0", would see no pod events for tens of seconds (measured: 31-45 s to
      // Ready). Off, such watches are served the classic way and clients that ask for streaming
      // lists fall back to LIST + WATCH.
      "--feature-gates=WatchList=false",
    ]);
    await until("etcd /health", async () => (await probe(`http://127.0.0.1:${etcdClient}/health`)) === 200);
    log(`etcd ready on 127.0.0.1:${etcdClient} [${elapsed()}]`);
    await until("kube-apiserver /readyz", async () => (await probe(`${url}/readyz`, { ca: caPem, token: tokens.admin })) === 200);
    log(`kube-apiserver ready on ${url} [${elapsed()}]`);

    // ---- controllers, scheduler, kwok ----------------------------------------------------------
    start("kube-controller-manager", join(bin, "kube-controller-manager"), [
      `--kubeconfig=${kcmKc}`,
      `--authentication-kubeconfig=${kcmKc}`,
      `--authorization-kubeconfig=${kcmKc}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, "certs", "controller-manager")}`,
      "--leader-elect=false",
      `--client-ca-file=${pki.caCert}`,
      `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
      `--root-ca-file=${pki.caCert}`,
      `--service-account-private-key-file=${pki.saKey}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      "--use-service-account-credentials=true",
      // One tenant on loopback: client-side throttling at the default 20 QPS only slows start-up
      // (each controller's discovery waits ~1 s) and big applies.
      "--kube-api-qps=100",
      "--kube-api-burst=200",
      "--controllers=*,bootstrapsigner,tokencleaner",
      `--service-cluster-ip-range=${serviceRange}`,
      "--cluster-name=platform-local",
      // Notice node readiness within 2 s (default 5 s): start-up waits for the not-ready taint to go.
      "--node-monitor-period=2s",
    ]);
    // The scheduler's --kubeconfig/--leader-elect/--kube-api-qps flags are deprecated: a config file.
    const schedConfig = join(dir, "kube-scheduler.yaml");
    writeFileSync(
      schedConfig,
      [
        "apiVersion: kubescheduler.config.k8s.io/v1",
        "kind: KubeSchedulerConfiguration",
        "clientConnection:",
        `  kubeconfig: ${JSON.stringify(schedKc)}`,
        "  qps: 100",
        "  burst: 200",
        "leaderElection:",
        "  leaderElect: false",
        "",
      ].join("\n"),
    );
    start("kube-scheduler", join(bin, "kube-scheduler"), [
      `--config=${schedConfig}`,
      `--authentication-kubeconfig=${schedKc}`,
      `--authorization-kubeconfig=${schedKc}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${schedPort}`,
      `--cert-dir=${join(dir, "certs", "scheduler")}`,
    ]);
    // Every kwok option is set explicitly: a KwokConfiguration given with --config is NOT
    // defaulted by kwok (e.g. nodeLeaseParallelism 0 makes it exit), and stages are required.
    const kwokConfig = join(dir, "kwok.yaml");
    const kwokOptions: Record<string, unknown> = {
      cidr: opts.podCidr ?? "10.244.0.0/16",
      nodeIP: "127.0.0.1",
      nodePort: kwokPort,
      serverAddress: `127.0.0.1:${kwokPort}`,
      tlsCertFile: pki.kwokCert,
      tlsPrivateKeyFile: pki.kwokKey,
      manageAllNodes: false,
      manageNodesWithAnnotationSelector: `${KWOK_NODE_ANNOTATION}=fake`,
      enableDebuggingHandlers: true, // kubelet-style endpoints (logs/exec answer "not configured")
      enableContentionProfiling: false,
      enableProfilingHandler: false,
      podPlayStageParallelism: 4,
      nodePlayStageParallelism: 4,
      nodeLeaseDurationSeconds: 40,
      nodeLeaseParallelism: 4,
      podsOnNodeSyncParallelism: 1,
      enablePodsOnNodeSyncListPager: true,
      enablePodsOnNodeSyncStreamWatch: false,
    };
    writeFileSync(
      kwokConfig,
      [
        "apiVersion: config.kwok.x-k8s.io/v1alpha1",
        "kind: KwokConfiguration",
        "metadata:",
        "  name: platform-local",
        "options:",
        ...Object.entries(kwokOptions).map(([key, v]) => `  ${key}: ${JSON.stringify(v)}`),
        "---",
        KWOK_STAGES.map((st) => st.trimEnd()).join("\n---\n"),
        "",
      ].join("\n"),
    );
    const kwokHome = join(dir, "kwok-home"); // so ~/.kwok/kwok.yaml of the user is never read
    mkdirSync(kwokHome, { recursive: true });
    start("kwok", join(bin, "kwok"), [`--kubeconfig=${kwokKc}`, `--config=${kwokConfig}`], { ...process.env, HOME: kwokHome });

    const client = new KubeClient({ url, token: tokens.admin, ca: caPem });

    // ---- cloud stand-ins, default StorageClass, nodes ----------------------------------------------
    const st = await startStandins({
      client,
      dir,
      log,
      tls: { cert: readPem(pki.standinCert), key: readPem(pki.standinKey), caPem: readPem(pki.standinCaCert) },
      provisionUnknownStorageClasses: opts.provisionUnknownStorageClasses,
    });
    standins = st;
    if (opts.defaultStorageClass !== false) {
      const name = opts.defaultStorageClass?.name ?? "standard";
      const r = await client.create("/apis/storage.k8s.io/v1/storageclasses", {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "standin.platform.local/volume",
        reclaimPolicy: "Delete",
        volumeBindingMode: opts.defaultStorageClass?.volumeBindingMode ?? "WaitForFirstConsumer",
        allowVolumeExpansion: true,
      });
      if (r.status === 201) log(`created default StorageClass ${name} (provisioned by the stand-in)`);
      else if (r.status !== 409) throw new Error(`creating StorageClass ${name}: HTTP ${r.status} ${r.body?.message ?? ""}`);
    }
    const nodes = opts.nodes ?? defaultNodes();
    for (const n of nodes) {
      const r = await client.create("/api/v1/nodes", nodeObject(n));
      if (r.status === 201) log(`created node ${n.name} ${JSON.stringify(n.labels ?? {})}`);
      else if (r.status !== 409) throw new Error(`creating node ${n.name}: HTTP ${r.status} ${r.body?.message ?? ""}`);
    }

    await until("kube-controller-manager /healthz", async () => (await probe(`https://127.0.0.1:${kcmPort}/healthz`)) === 200);
    await until("kube-scheduler /healthz", async () => (await probe(`https://127.0.0.1:${schedPort}/healthz`)) === 200);
    await until("kwok /healthz", async () => (await probe(`https://127.0.0.1:${kwokPort}/healthz`, { ca: caPem })) === 200);
    log(`controller-manager, scheduler and kwok healthy [${elapsed()}]`);
    await until("nodes Ready and untainted", async () => {
      for (const n of nodes) {
        const r = await client.get(`/api/v1/nodes/${n.name}`);
        const ready = (r.body?.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");
        const notReadyTaint = (r.body?.spec?.taints ?? []).some(
          (t: any) => t.key === "node.kubernetes.io/not-ready" || t.key === "node.kubernetes.io/unreachable",
        );
        if (!ready || notReadyTaint) return false;
      }
      return true;
    });
    log(`${nodes.length} kwok node(s) Ready [${elapsed()}]`);
    await until("ServiceAccount default/default", async () => (await client.get("/api/v1/namespaces/default/serviceaccounts/default")).status === 200);
    const startupMs = Date.now() - t0;
    log(`control plane ready in ${(startupMs / 1000).toFixed(1)}s: ${url} (kubeconfig ${kubeconfigPath})`);

    const pids = Object.fromEntries(components.map((c) => [c.name, c.pid ?? -1]));
    let stopped: Promise<void> | undefined;
    return {
      url,
      kubeconfigPath,
      dir,
      bin,
      caPem,
      adminToken: tokens.admin,
      client,
      pids,
      startupMs,
      standins: { admissionUrl: st.admissionUrl, admissionCalls: st.admissionCalls },
      stop: () => (stopped ??= stopAll()),
      logs,
      kubectl: (args, o) => runKubectl(join(bin, "kubectl"), ["--kubeconfig", kubeconfigPath, ...args], o),
    };
  } catch (e) {
    const tail = logs().slice(-8000);
    await stopAll();
    throw new Error(`control plane failed to start: ${e instanceof Error ? e.message : String(e)}\n--- logs (tail) ---\n${tail}`);
  }
}

function runKubectl(file: string, args: string[], o?: { input?: string; timeoutMs?: number }): Promise<ExecResult> {
  return new Promise((res) => {
    const p = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => p.kill("SIGKILL"), o?.timeoutMs ?? 60_000);
    p.on("close", (code, signal) => {
      clearTimeout(t);
      res({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    p.on("error", (err) => {
      clearTimeout(t);
      res({ code: 127, stdout, stderr: stderr + String(err) });
    });
    p.stdin.end(o?.input ?? "");
  });
}

export { waitFor };
