/**
 * Fills the plan cache (plan-cache.ts) with every stack and blueprint × tier in update and preview
 * mode. The vitest globalSetup (global-setup.ts) runs it in the background, on the core vitest's
 * single test worker leaves idle on a 2-core machine; test files that need a plan it has not made
 * yet make it themselves (the cache's per-entry lock makes sure nothing is planned twice).
 * Standalone: `PLAN_CACHE=on npx tsx test/harness/planner.ts`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { COMPLETE, namespaceDir, stats } from "../../tools/harness/plan-cache";
import { planned, plannedTargets, targetTitle } from "./planned";
import { ProgramError } from "../../tools/harness/run";

// The globalSetup's teardown stops a planner that is still running: release its locks on the way out.
process.on("SIGTERM", () => process.exit(143));

async function main(): Promise<number> {
  const started = Date.now();
  const targets = plannedTargets();
  // Update mode first (most test files need it), each list from its end: the test files walk it
  // from the start, so the planner and a waiting file meet in the middle instead of queueing.
  const jobs = [...targets.map((t) => ({ t, preview: false })).reverse(), ...targets.map((t) => ({ t, preview: true })).reverse()];
  let unexpected = 0;
  for (const j of jobs) {
    const t0 = Date.now();
    let status = "ok";
    try {
      await planned(j.t, { preview: j.preview });
    } catch (err) {
      // A ProgramError is a result (cached; the tests report it); anything else is the planner's problem.
      if (err instanceof ProgramError) status = "program error (cached)";
      else {
        status = `not cached: ${err instanceof Error ? err.message : String(err)}`;
        unexpected += 1;
      }
    }
    process.stdout.write(`${targetTitle(j.t)} (${j.preview ? "preview" : "update"}): ${status}, ${Date.now() - t0} ms\n`);
  }
  const dir = namespaceDir();
  if (unexpected === 0) fs.writeFileSync(path.join(dir, COMPLETE), JSON.stringify({ entries: jobs.length, ms: Date.now() - started, ...stats }) + "\n");
  process.stdout.write(`planner: ${jobs.length} plans in ${dir}: ${stats.computed} planned here, ${stats.hits} already cached, ${Date.now() - started} ms\n`);
  return unexpected === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`planner failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
