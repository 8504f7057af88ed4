// A real Kubernetes API server for engine tests: etcd (Debian's etcd-server package) and
// kube-apiserver (built from k8s.io/kubernetes by `ENGINE_APISERVER=1 scripts/engine.sh`),
// both on 127.0.0.1 with ports picked at run time, static token auth, a self-signed serving
// certificate. No controller-manager or scheduler: objects are stored and validated, nothing
// is scheduled.
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { join } from "node:path";

export const TEST_TOKEN = "fake-token-for-tests";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ApiServer {
  url: string;
  kubeconfigPath: string;
  /** GET/DELETE/POST against the API server with the test token; returns status and parsed body. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
  logs(): string;
}

function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${url}${path}`,
      {
        method,
        rejectUnauthorized: false,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          ...(data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* plain text (e.g. /readyz) */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    if (data) req.write(data);
    req.end();
  });
}

function stopProcess(p: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
    const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
    p.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    p.kill("SIGTERM");
  });
}

export async function startApiServer(dir: string, kubeApiserverBin: string): Promise<ApiServer> {
  mkdirSync(dir, { recursive: true });
  let log = "";
  const capture = (name: string, p: ChildProcess) => {
    p.stdout?.on("data", (d) => (log = (log + `[${name}] ${d}`).slice(-200_000)));
    p.stderr?.on("data", (d) => (log = (log + `[${name}] ${d}`).slice(-200_000)));
  };

  const [clientPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcd = spawn(
    "etcd",
    [
      "--name=test",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${clientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=test=http://127.0.0.1:${peerPort}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  capture("etcd", etcd);

  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const saKey = join(dir, "sa.key");
  writeFileSync(saKey, privateKey.export({ type: "pkcs8", format: "pem" }));
  const tokens = join(dir, "tokens.csv");
  writeFileSync(tokens, `${TEST_TOKEN},test-admin,1,"system:masters"\n`);

  const apiserver = spawn(
    kubeApiserverBin,
    [
      `--etcd-servers=http://127.0.0.1:${clientPort}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, "certs")}`,
      `--token-auth-file=${tokens}`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc",
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--disable-admission-plugins=ServiceAccount",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  capture("kube-apiserver", apiserver);

  const url = `https://127.0.0.1:${apiPort}`;
  const stop = async () => {
    await stopProcess(apiserver);
    await stopProcess(etcd);
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (apiserver.exitCode !== null || etcd.exitCode !== null) {
      await stop();
      throw new Error(`API server or etcd exited early:\n${log.slice(-5000)}`);
    }
    try {
      const r = await call(url, "GET", "/readyz");
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`API server not ready after 180s:\n${log.slice(-5000)}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }

  const kubeconfigPath = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfigPath,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- name: test\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true`,
      "users:",
      `- name: test\n  user:\n    token: ${TEST_TOKEN}`,
      "contexts:",
      "- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: default",
      "current-context: test",
      "",
    ].join("\n"),
  );
  return { url, kubeconfigPath, call: (m, p, b) => call(url, m, p, b), stop, logs: () => log };
}
