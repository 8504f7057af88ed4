// Runs the real offline plan (scripts/plan.ts under tsx, as `npm run plan` does) for the tests in
// this folder: every call is a separate process running the real program under the harness.
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `env`: extra variables, e.g. PLAN_CACHE=off so the program really runs (under vitest a stack or blueprint × tier as the repo defines it is otherwise served from the plan cache). */
export function plan(args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/plan.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: "", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The target every test here plans: fast (Kubernetes manifests rendered, in-cluster stores, 55 resources). */
export const TARGET = ["--blueprint", "nuxt-fastify-beta-droplet", "--tier", "local"];
