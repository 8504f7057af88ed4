#!/usr/bin/env node
// The whole test suite, as README and .ci/run call it: `npm test`.
//
// 1. type-check the program, components, policy pack, scripts and tests (`tsc --noEmit`);
// 2. run every vitest file (`vitest run`), extra CLI args are passed through to vitest;
// 3. print one plain closing line, `N passed, N failed[, N skipped]`, where the type-check
//    counts as one check. A run that executed no test fails, so an empty suite cannot pass.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const onlySome = args.length > 0;
let passed = 0;
let failed = 0;
let skipped = 0;

if (!onlySome) {
  process.stdout.write("typecheck: tsc --noEmit\n");
  const tsc = spawnSync("npx", ["tsc", "--noEmit", "-p", "tsconfig.json"], { stdio: "inherit" });
  if (tsc.status === 0) passed += 1;
  else failed += 1;
}

const dir = mkdtempSync(join(tmpdir(), "vitest-report-"));
const report = join(dir, "report.json");
const run = spawnSync(
  "npx",
  ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args],
  { stdio: "inherit" },
);
let ran = false;
try {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  ran = r.numTotalTests > 0;
  // A test file that fails to load has no test results but is a failure all the same.
  for (const suite of r.testResults ?? []) {
    if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
} catch (err) {
  process.stderr.write(`could not read the vitest report (${String(err)}); counting the run as failed\n`);
  failed += 1;
}
rmSync(dir, { recursive: true, force: true });
if (!ran) {
  process.stderr.write("no test was executed: an empty suite is a failure\n");
  failed += 1;
}
if (run.status !== 0 && failed === 0) failed += 1;

const line = `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");
process.stdout.write(`\n${line}\n`);
process.exit(failed > 0 ? 1 : 0);
