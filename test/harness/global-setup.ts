/**
 * vitest globalSetup: plan every stack and blueprint × tier once per run and source state.
 *
 * Starts test/harness/planner.ts in the background (it fills the plan cache, plan-cache.ts, in
 * update and preview mode) and returns at once: vitest runs one test worker on a 2-core machine,
 * so the planner uses the other core, and a test file that needs a plan it has not made yet makes
 * it itself (each entry is planned by exactly one process). When the cache already holds every
 * plan for the current sources (a warm run), no planner starts. Teardown stops a planner that is
 * still running (a run of a few files). PLAN_CACHE=off turns all of it off.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { COMPLETE, REPO, cacheRoot, namespaceDir, prune } from "../../tools/harness/plan-cache";

export default function setup(): (() => Promise<void>) | void {
  if (process.env.PLAN_CACHE === "off") return;
  const env = { ...process.env, PLAN_CACHE: "on" };
  let dir: string;
  try {
    dir = namespaceDir(env);
    prune(4, env);
    fs.mkdirSync(dir, { recursive: true });
    const now = new Date();
    fs.utimesSync(dir, now, now); // most recently used: pruned last
  } catch (err) {
    process.stderr.write(`plan cache unavailable (${String(err)}): every test file plans in-process\n`);
    return;
  }
  if (fs.existsSync(path.join(dir, COMPLETE))) return;

  const log = fs.openSync(path.join(cacheRoot(env), "planner.log"), "w");
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO, "node_modules", "tsx", "dist", "cli.mjs"), path.join(__dirname, "planner.ts")], {
    cwd: REPO,
    env,
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  child.on("error", (err) => process.stderr.write(`plan cache: the planner did not start (${String(err)}); test files plan in-process\n`));

  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  };
}
