// npx tsx tools/cluster/cli.ts up|down|status --dir D [--bin B] [--allow-host-network]
//
// `up` starts the control plane in a detached supervisor process (this file, command `serve`)
// that owns every component (they die with it) and writes <dir>/state.json; it prints the
// kubeconfig and a kubectl command. `down` stops the supervisor (SIGTERM: components stopped
// in reverse order; SIGKILL after 30 s) and keeps <dir>. `status` reports pids and /readyz.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startControlPlane } from "./controlplane";

interface State {
  supervisorPid: number;
  phase: "starting" | "ready" | "failed" | "stopped";
  url?: string;
  kubeconfig?: string;
  bin?: string;
  pids?: Record<string, number>;
  startupMs?: number;
  error?: string;
  updatedAt: string;
}

function usage(): never {
  console.error("usage: npx tsx tools/cluster/cli.ts up|down|status --dir DIR [--bin BIN] [--allow-host-network]");
  process.exit(2);
}

const [cmd, ...rest] = process.argv.slice(2);
const flags: Record<string, string | boolean> = {};
for (let i = 0; i < rest.length; i++) {
  const a = rest[i]!;
  if (!a.startsWith("--")) usage();
  const [k, v] = a.slice(2).split("=", 2) as [string, string | undefined];
  if (v !== undefined) flags[k] = v;
  else if (k === "allow-host-network") flags[k] = true;
  else flags[k] = rest[++i] ?? usage();
}
if (typeof flags.dir !== "string") usage();
const dir = resolve(flags.dir);
const statePath = join(dir, "state.json");

function readState(): State | undefined {
  try {
    return JSON.parse(readFileSync(statePath, "utf8"));
  } catch {
    return undefined;
  }
}
function writeState(s: Omit<State, "updatedAt">): void {
  writeFileSync(`${statePath}.tmp`, JSON.stringify({ ...s, updatedAt: new Date().toISOString() }, null, 2));
  renameSync(`${statePath}.tmp`, statePath);
}
function alive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
function netnsOf(pid: number | "self"): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function printAccess(s: State): void {
  const kubectl = join(s.bin ?? "", "kubectl");
  const sameNs = netnsOf("self") === netnsOf(s.supervisorPid);
  console.log(`API server: ${s.url}`);
  console.log(`kubeconfig: ${s.kubeconfig}`);
  console.log(`kubectl:    ${sameNs ? "" : `nsenter --net=/proc/${s.supervisorPid}/ns/net `}${kubectl} --kubeconfig ${s.kubeconfig} get nodes`);
  if (!sameNs) console.log(`(the control plane listens on 127.0.0.1 inside the network namespace of pid ${s.supervisorPid})`);
  else if (netnsOf(1) !== undefined && netnsOf(1) !== netnsOf("self")) {
    // We are in a private namespace (e.g. `unshare -n`), which the caller's shell is probably not.
    console.log(`from outside this network namespace: nsenter --net=/proc/${s.supervisorPid}/ns/net ${kubectl} --kubeconfig ${s.kubeconfig} get nodes`);
  }
}

async function serve(): Promise<void> {
  writeState({ supervisorPid: process.pid, phase: "starting" });
  let cp: Awaited<ReturnType<typeof startControlPlane>> | undefined;
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await cp?.stop();
    writeState({ ...(readState() ?? { supervisorPid: process.pid }), phase: "stopped" });
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.on("SIGHUP", () => undefined); // detached: ignore the terminal going away
  try {
    cp = await startControlPlane({
      dir,
      ...(typeof flags.bin === "string" ? { bin: flags.bin } : {}),
      allowHostNetwork: flags["allow-host-network"] === true,
      log: (l) => console.log(l),
    });
    writeState({ supervisorPid: process.pid, phase: "ready", url: cp.url, kubeconfig: cp.kubeconfigPath, bin: cp.bin, pids: cp.pids, startupMs: cp.startupMs });
    if (stopping) await shutdown();
  } catch (e) {
    writeState({ supervisorPid: process.pid, phase: "failed", error: e instanceof Error ? e.message : String(e) });
    console.error(e);
    process.exit(1);
  }
}

async function up(): Promise<void> {
  const old = readState();
  if (old && alive(old.supervisorPid) && (old.phase === "ready" || old.phase === "starting")) {
    console.log(`already running (supervisor pid ${old.supervisorPid})`);
    if (old.phase === "ready") printAccess(old);
    return;
  }
  mkdirSync(join(dir, "logs"), { recursive: true });
  const out = openSync(join(dir, "logs", "supervisor.log"), "a");
  const child = spawn(process.execPath, [...process.execArgv, __filename, "serve", ...process.argv.slice(3)], {
    detached: true,
    stdio: ["ignore", out, out],
  });
  const pid = child.pid!;
  child.unref();
  const deadline = Date.now() + 180_000;
  for (;;) {
    await sleep(300);
    const s = readState();
    if (s?.supervisorPid === pid && s.phase === "ready") {
      console.log(`control plane up in ${((s.startupMs ?? 0) / 1000).toFixed(1)}s (supervisor pid ${pid}, logs in ${join(dir, "logs")})`);
      printAccess(s);
      return;
    }
    if ((s?.supervisorPid === pid && s.phase === "failed") || !alive(pid) || Date.now() > deadline) {
      console.error(`control plane failed to start${s?.error ? `:\n${s.error}` : ""}\n(see ${join(dir, "logs", "supervisor.log")})`);
      if (alive(pid)) process.kill(pid, "SIGTERM");
      process.exit(1);
    }
  }
}

async function down(): Promise<void> {
  const s = readState();
  if (!s) {
    console.log(`nothing to stop (no ${statePath})`);
    return;
  }
  if (alive(s.supervisorPid)) {
    process.kill(s.supervisorPid, "SIGTERM");
    const deadline = Date.now() + 30_000;
    while (alive(s.supervisorPid) && Date.now() < deadline) await sleep(200);
    if (alive(s.supervisorPid)) process.kill(s.supervisorPid, "SIGKILL"); // components get SIGTERM via pdeathsig
  }
  // Components die with the supervisor (PR_SET_PDEATHSIG); make sure, by recorded pid and binary.
  await sleep(500);
  for (const [name, pid] of Object.entries(s.pids ?? {})) {
    if (!alive(pid)) continue;
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmdline.includes(name)) {
      console.log(`killing leftover ${name} pid ${pid}`);
      process.kill(pid, "SIGKILL");
    }
  }
  writeState({ ...s, phase: "stopped" });
  console.log(`stopped (data kept in ${dir})`);
}

function status(): void {
  const s = readState();
  if (!s) {
    console.log(`not running (no ${statePath})`);
    process.exit(1);
  }
  const running = alive(s.supervisorPid) && s.phase === "ready";
  console.log(`phase: ${s.phase}${running ? "" : alive(s.supervisorPid) ? "" : " (supervisor not running)"}`);
  for (const [name, pid] of Object.entries(s.pids ?? {})) console.log(`  ${name.padEnd(24)} pid ${pid} ${alive(pid) ? "running" : "exited"}`);
  if (!running) process.exit(1);
  printAccess(s);
  const kubectl = join(s.bin ?? "", "kubectl");
  const args = ["--kubeconfig", s.kubeconfig!, "get", "--raw", "/readyz"];
  const sameNs = netnsOf("self") === netnsOf(s.supervisorPid);
  try {
    const outp = sameNs
      ? execFileSync(kubectl, args, { encoding: "utf8", timeout: 10_000 })
      : execFileSync("nsenter", [`--net=/proc/${s.supervisorPid}/ns/net`, kubectl, ...args], { encoding: "utf8", timeout: 10_000 });
    console.log(`readyz: ${outp.trim()}`);
  } catch (e: any) {
    console.log(
      `readyz: not ready (${String(e?.stderr ?? e)
        .trim()
        .slice(0, 300)})`,
    );
    process.exit(1);
  }
}

const main = { up, down, status: async () => status(), serve }[cmd ?? ""];
if (!main) usage();
if (cmd === "up" && existsSync(dir) === false) mkdirSync(dir, { recursive: true });
main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
