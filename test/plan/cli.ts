// Runs the real offline plan (scripts/plan.ts under tsx, as `npm run plan` does) for the tests in
// this folder: every call is a separate process running the real program under the harness.
// Asynchronously: a plan takes seconds, and a worker blocked in spawnSync that long cannot answer
// vitest's RPC ("Timeout calling onTaskUpdate" fails the whole run).
import { spawn } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `cmd args` in `cwd` without blocking the worker; resolves with its exit status and output. */
export function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** `env`: extra variables, e.g. PLAN_CACHE=off so the program really runs (under vitest a stack or blueprint × tier as the repo defines it is otherwise served from the plan cache). */
export function plan(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return run(process.execPath, [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/plan.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: "", ...env },
  });
}

/** The target every test here plans: fast (Kubernetes manifests rendered, in-cluster stores, 55 resources). */
export const TARGET = ["--blueprint", "nuxt-fastify-beta-droplet", "--tier", "local"];
