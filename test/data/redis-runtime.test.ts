/**
 * The in-cluster Redis start script and redis.conf, run for real: Debian's redis-server on
 * loopback (apt: redis-server, redis-tools, openssl), TLS-only port, requirepass from the
 * environment, pod 0 primary and pod 1 replicating from it. Only paths, ports and the primary's
 * DNS name are rewritten for the sandbox; every directive is the generated one.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planClusterRedis } from "../../components/data/redis/plan";

const PASSWORD = "fake-password-for-tests";
const dir = mkdtempSync(join(tmpdir(), "redis-rt-"));
const procs: ChildProcess[] = [];
let ports: number[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

function cli(port: number, args: string[], opts: { tls?: boolean; auth?: boolean } = {}): string {
  const tls = opts.tls ?? true;
  const r = spawnSync("redis-cli", [...(tls ? ["--tls", "--cacert", join(dir, "tls", "ca.crt")] : []), "-h", "127.0.0.1", "-p", String(port), ...args], {
    env: { ...process.env, ...(opts.auth === false ? {} : { REDISCLI_AUTH: PASSWORD }) },
    encoding: "utf8",
    timeout: 5000,
  });
  return `${r.stdout}${r.stderr}`.trim();
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${spawnSync("sh", ["-c", `tail -5 ${dir}/node*/redis.log`], { encoding: "utf8" }).stdout}`);
}

const plan = planClusterRedis({
  name: "cache",
  replicas: 1,
  persistence: "aof",
  protect: false,
  tls: { enabled: true, certSecretName: "redis-tls" },
  network: { namespace: "data", clientNamespaces: ["apps"] },
});

beforeAll(async () => {
  ports = [await freePort(), await freePort()];
  const tls = join(dir, "tls");
  mkdirSync(tls);
  const ssl = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(tls, "tls.key"),
      "-out",
      join(tls, "tls.crt"),
    ],
    { encoding: "utf8" },
  );
  if (ssl.status !== 0) throw new Error(`openssl failed: ${ssl.stderr}`);
  writeFileSync(join(tls, "ca.crt"), readFileSync(join(tls, "tls.crt")));

  for (const [k, port] of ports.entries()) {
    const node = join(dir, `node${k}`);
    mkdirSync(join(node, "data"), { recursive: true });
    // Sandbox only: loopback bind, a free port, temp paths.
    const conf = `${plan.configFile
      .replace("dir /data", `dir ${join(node, "data")}`)
      .replace(`tls-port 6379`, `tls-port ${port}`)
      .replaceAll("/tls/", `${tls}/`)}bind 127.0.0.1\n`;
    writeFileSync(join(node, "redis.conf"), conf);
    const script = plan.startScript
      .replace("/etc/redis/redis.conf", join(node, "redis.conf"))
      .replaceAll("/tmp/redis.conf", join(node, "run.conf"))
      .replace("cache-0.cache-headless.data.svc.cluster.local 6379", `127.0.0.1 ${ports[0]}`);
    const log = openSync(join(node, "redis.log"), "w");
    const p = spawn("sh", ["-c", script], { env: { PATH: process.env.PATH, HOSTNAME: `cache-${k}`, REDIS_PASSWORD: PASSWORD }, stdio: ["ignore", log, log] });
    procs.push(p);
    await until(() => cli(port, ["ping"]) === "PONG", `redis node ${k}`);
  }
});

afterAll(async () => {
  // Stop every server and wait for it to exit BEFORE removing its data dir (redis refuses to
  // exit on SIGTERM when its final save fails); SIGKILL if it takes longer than 5 s.
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          const t = setTimeout(() => p.kill("SIGKILL"), 5000);
          p.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
          p.kill("SIGTERM");
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
});

describe("in-cluster Redis config, run for real", () => {
  it("requires the password: no AUTH → NOAUTH", () => {
    expect(cli(ports[0], ["ping"], { auth: false })).toMatch(/NOAUTH/);
    expect(cli(ports[0], ["ping"])).toBe("PONG");
  });

  it("serves TLS only: a plain-text client gets no answer", () => {
    expect(cli(ports[0], ["ping"], { tls: false })).not.toBe("PONG");
  });

  it("pod 0 is the primary, pod 1 replicates from it over TLS and is read-only", async () => {
    expect(cli(ports[0], ["role"]).split("\n")[0]).toBe("master");
    await until(() => /master_link_status:up/.test(cli(ports[1], ["info", "replication"])), "replication link");
    expect(cli(ports[0], ["set", "k", "v"])).toBe("OK");
    await until(() => cli(ports[1], ["get", "k"]) === "v", "replicated key");
    expect(cli(ports[1], ["set", "k", "w"])).toMatch(/READONLY/);
  });

  it("AOF persistence is on and the password never appears in a process's arguments", () => {
    expect(cli(ports[0], ["config", "get", "appendonly"])).toBe("appendonly\nyes");
    for (const p of procs) {
      const children = spawnSync("pgrep", ["-P", String(p.pid)], { encoding: "utf8" })
        .stdout.split("\n")
        .filter(Boolean);
      for (const pid of [String(p.pid), ...children]) {
        const cmdline = spawnSync("cat", [`/proc/${pid}/cmdline`], { encoding: "utf8" }).stdout;
        expect(cmdline).not.toContain(PASSWORD);
      }
    }
  });
});
