/**
 * `npm run bench -- --only controlplane`: the conformance matrix (tools/conformance/run.ts --all)
 * and `npm run local` to ready on the embedded control plane, with built binaries. Each runs in
 * its own loopback-only network namespace, as in the tests.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";

export interface ControlPlaneSection {
  at: string;
  load1: number;
  matrix?: { seconds: number; targets: { blueprint: string; tier: string; ok: boolean; seconds: number }[] };
  local?: { firstSeconds: number; secondSeconds: number; firstOk: boolean; secondOk: boolean };
  errors: string[];
}

export const CONTROLPLANE_BUDGETS = { matrixSeconds: 20 * 60, localSeconds: 3 * 60 };

const ROOT = path.resolve(__dirname, "..");

function isolated(cmd: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; status: number; out: string } {
  const ns = process.getuid?.() === 0 ? ["unshare", "-n"] : ["unshare", "-rn"];
  const t0 = Date.now();
  const r = spawnSync(ns[0]!, [...ns.slice(1), "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...cmd], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    maxBuffer: 512 << 20,
  });
  return { seconds: (Date.now() - t0) / 1000, status: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

export function controlplane(log: (s: string) => void): ControlPlaneSection {
  const s: ControlPlaneSection = { at: new Date().toISOString(), load1: loadavg()[0]!, errors: [] };
  const tmp = mkdtempSync(path.join(tmpdir(), "bench-controlplane-"));
  try {
    log("conformance matrix (tools/conformance/run.ts --all) …");
    const json = path.join(tmp, "matrix.json");
    const m = isolated([path.join(ROOT, "node_modules", ".bin", "tsx"), path.join(ROOT, "tools", "conformance", "run.ts"), "--all", "--json", json]);
    if (existsSync(json)) {
      const results = JSON.parse(readFileSync(json, "utf8")) as { target: { blueprint: string; tier: string }; ok: boolean; seconds: number }[];
      s.matrix = { seconds: m.seconds, targets: results.map((r) => ({ ...r.target, ok: r.ok, seconds: r.seconds })) };
    } else s.errors.push(`matrix: exit ${m.status}: ${m.out.slice(-2000)}`);

    log("npm run local, first and second run …");
    // scripts/local.sh makes its own namespace for the control plane and nsenters into it.
    const env = { ...process.env, LOCAL_CLUSTER_DIR: path.join(tmp, "cluster"), LOCAL_STATE_DIR: path.join(tmp, "state") };
    const run = () => {
      const t0 = Date.now();
      const r = spawnSync("bash", [path.join(ROOT, "scripts", "local.sh")], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 512 << 20 });
      return { seconds: (Date.now() - t0) / 1000, ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
    };
    const first = run();
    const second = run();
    s.local = { firstSeconds: first.seconds, secondSeconds: second.seconds, firstOk: first.ok, secondOk: second.ok };
    if (!first.ok) s.errors.push(`local (first): ${first.out.slice(-2000)}`);
    if (!second.ok) s.errors.push(`local (second): ${second.out.slice(-2000)}`);
    spawnSync("bash", [path.join(ROOT, "scripts", "local.sh"), "--down"], { cwd: ROOT, env, encoding: "utf8" });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return s;
}

export function renderControlPlane(s: ControlPlaneSection): string[] {
  const L: string[] = [`## Control plane (measured ${s.at}, load ${s.load1.toFixed(1)})`, ""];
  if (s.matrix) {
    L.push(
      `Conformance matrix: ${s.matrix.targets.length} blueprint × tier targets in ${(s.matrix.seconds / 60).toFixed(1)} min (budget ${CONTROLPLANE_BUDGETS.matrixSeconds / 60} min).`,
      "",
    );
    L.push("| blueprint | tier | result | seconds |", "| --- | --- | --- | ---: |");
    for (const t of s.matrix.targets) L.push(`| ${t.blueprint} | ${t.tier} | ${t.ok ? "pass" : "FAIL"} | ${t.seconds.toFixed(0)} |`);
    L.push("");
  }
  if (s.local) {
    L.push(
      `\`npm run local\` to ready: first run ${s.local.firstSeconds.toFixed(0)} s (starts the control plane) ${s.local.firstOk ? "ok" : "FAILED"}; second run ${s.local.secondSeconds.toFixed(0)} s ${s.local.secondOk ? "ok" : "FAILED"} (budget ${CONTROLPLANE_BUDGETS.localSeconds} s, warm machine).`,
      "",
    );
  }
  for (const e of s.errors) L.push(`⚠ ${e.split("\n").slice(-5).join(" ")}`, "");
  return L;
}
