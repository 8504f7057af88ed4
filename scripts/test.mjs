#!/usr/bin/env node
// The whole test suite, as README and .ci/run call it: `npm test`.
//
// 0. preflight: every tool the tests run for real is on PATH (scripts/prerequisites.tsv); a
//    missing one is reported once, by name, with the command that installs it, and nothing runs;
//    then the engine binaries are built or reused (scripts/engine.sh, progress on stderr) —
//    long builds happen here, never inside a test worker; and the shared folder (the offline chart
//    mirror, the reference views) is found once (TEST_SHARED_DIR, below) and handed to the workers;
// 1. type-check the program, components, policy pack, scripts and tests (`tsc --noEmit`);
// 2. run every vitest file (`vitest run`), extra CLI args are passed through to vitest, inside a
//    private network namespace with only loopback (`unshare -n`, or `unshare -rn` when not root):
//    servers the tests start can only be reached on loopback and nothing can dial out;
// 3. print one plain closing line, `N passed, N failed[, N skipped]`, where the type-check
//    counts as one check. A run that executed no test fails, so an empty suite cannot pass.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const onlySome = args.length > 0;
let passed = 0;
let failed = 0;
let skipped = 0;

function finish() {
  const line = `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");
  process.stdout.write(`\n${line}\n`);
  process.exit(failed > 0 ? 1 : 0);
}

// --- 0. preflight ------------------------------------------------------------------------------
if (!process.env["PATH"]?.split(delimiter).some((d) => existsSync(join(d, "go"))) && existsSync("/usr/local/go/bin/go")) {
  process.env["PATH"] = `${process.env["PATH"]}${delimiter}/usr/local/go/bin`;
}
const onPath = (cmd) => (process.env["PATH"] ?? "").split(delimiter).some((d) => d && existsSync(join(d, cmd)));
const missing = readFileSync(join(root, "scripts", "prerequisites.tsv"), "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"))
  .map((l) => l.split("\t"))
  .filter(([cmd]) => !onPath(cmd));
if (missing.length > 0) {
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg).filter((p) => p !== "-"))];
  process.stderr.write(
    `preflight: missing tools, nothing was run:\n` +
      missing.map(([cmd, pkg, why]) => `  - ${cmd}${pkg !== "-" ? ` (Debian package ${pkg})` : ""}: ${why}\n`).join("") +
      `fix: bash scripts/setup.sh${pkgs.length ? `   (or: sudo apt-get install -y ${pkgs.join(" ")})` : ""}\n`,
  );
  failed += 1;
  finish();
}
// The shared folder beside the checkout (../shared): the offline chart mirror (charts/, a chart
// repository with index.yaml) the tests install charts from, and the reference systems' views. A
// clone made elsewhere from such a checkout (`git clone . /tmp/fresh`) finds it next to its origin;
// TEST_SHARED_DIR overrides both. Tests read it through tools/harness/shared.ts.
// PLATFORM_CHARTS_MIRROR stays the program's own setting: tests pass it to the program where
// they mean to.
function sharedDir() {
  if (process.env["TEST_SHARED_DIR"]) return { dir: process.env["TEST_SHARED_DIR"], tried: [process.env["TEST_SHARED_DIR"]] };
  const candidates = [join(root, "..", "shared")];
  const origin = spawnSync("git", ["-C", root, "remote", "get-url", "origin"], { encoding: "utf8" });
  const url = origin.status === 0 ? origin.stdout.trim().replace(/^file:\/\//, "") : "";
  if (url.startsWith("/") && existsSync(url)) candidates.push(join(url, "..", "shared"));
  return { dir: candidates.find((d) => existsSync(join(d, "charts", "index.yaml"))), tried: candidates };
}
const shared = sharedDir();
if (!shared.dir || !existsSync(join(shared.dir, "charts", "index.yaml"))) {
  process.stderr.write(
    `preflight: no shared folder with a chart mirror (charts/index.yaml) at ${shared.tried.join(" or ")}; nothing was run\n` +
      `fix: put the shared folder (charts/, reference-systems/) next to the checkout as ../shared, or export TEST_SHARED_DIR=<dir>\n`,
  );
  failed += 1;
  finish();
}
process.env["TEST_SHARED_DIR"] = shared.dir;
if (process.env["TEST_SKIP_ENGINE"] !== "1") {
  process.stdout.write("preflight: engine binaries (scripts/engine.sh)\n");
  const eng = spawnSync("bash", [join(root, "scripts", "engine.sh")], { stdio: ["ignore", "ignore", "inherit"] });
  if (eng.status !== 0) {
    process.stderr.write("preflight: scripts/engine.sh failed (see above); nothing was run\n");
    failed += 1;
    finish();
  }
}
// The browser suite's fixture apps (test/browser/apps), built by their real toolchains and cached
// (scripts/build-browser-apps.mjs, progress on stdout); only when the run includes test/browser.
if (!onlySome || args.some((a) => a.includes("test/browser"))) {
  const apps = spawnSync("node", [join(root, "scripts", "build-browser-apps.mjs")], { stdio: ["ignore", "inherit", "inherit"] });
  if (apps.status !== 0) {
    process.stderr.write("preflight: scripts/build-browser-apps.mjs failed (see above); nothing was run\n");
    failed += 1;
    finish();
  }
}
// A loopback-only network namespace for the test workers, when this machine allows one.
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const netns = isRoot ? ["unshare", "-n"] : ["unshare", "-rn"];
const probe = spawnSync(netns[0], [...netns.slice(1), "ip", "link", "set", "lo", "up"], { encoding: "utf8" });
const isolate = probe.status === 0;
if (!isolate) {
  process.stderr.write(
    `preflight: cannot create a private network namespace (${netns.join(" ")}: ${(probe.stderr || "").trim()}); ` +
      "tests that start a Kubernetes control plane will refuse to run. Run as root or enable unprivileged user namespaces.\n",
  );
}

if (!onlySome) {
  process.stdout.write("typecheck: tsc --noEmit\n");
  const tsc = spawnSync("npx", ["tsc", "--noEmit", "-p", "tsconfig.json"], { stdio: "inherit" });
  if (tsc.status === 0) passed += 1;
  else failed += 1;
}

const dir = mkdtempSync(join(tmpdir(), "vitest-report-"));
const report = join(dir, "report.json");
const vitest = ["npx", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args];
const run = isolate
  ? spawnSync(netns[0], [...netns.slice(1), "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...vitest], { stdio: "inherit" })
  : spawnSync(vitest[0], vitest.slice(1), { stdio: "inherit" });
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

finish();
