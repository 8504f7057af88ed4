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
//    every test worker writes its scratch under one run-scoped TMPDIR (platform-test-<pid>-*),
//    removed when the run ends, however it ends; scratch left by a run that was killed is swept
//    at the start of the next; and a disk with too little free space is refused up front;
// 3. print one plain closing line, `N passed, N failed[, N skipped]`, where the type-check
//    counts as one check. A run that executed no test fails, so an empty suite cannot pass.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const onlySome = args.length > 0;
let passed = 0;
let failed = 0;
let skipped = 0;

// One scratch directory per run: every test worker's os.tmpdir() (and Chromium's, Go's, helm's)
// points into it, so what a test forgets to delete is deleted here. `scratch` is set below.
let scratch;
function dropScratch() {
  if (!scratch) return;
  rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
}
function finish() {
  dropScratch();
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

// Scratch from runs that were killed (their pid is gone) is removed before anything is measured.
const baseTmp = tmpdir();
for (const name of readdirSync(baseTmp)) {
  const m = /^platform-test-(\d+)-/.exec(name);
  if (!m) continue;
  let alive = true;
  try {
    process.kill(Number(m[1]), 0);
  } catch (e) {
    alive = e.code === "EPERM";
  }
  if (!alive) {
    process.stdout.write(`preflight: removing scratch of an earlier run that did not finish: ${join(baseTmp, name)}\n`);
    rmSync(join(baseTmp, name), { recursive: true, force: true });
  }
}
// Free space: a full run writes the browser apps' builds, control planes' etcd data, rendered
// charts and Chromium profiles (about 1 GiB at its peak); the engine's Go build cache needs more
// when it is cold. Below the floor a run would die half-way with ENOSPC somewhere unrelated.
const MIN_FREE_GIB = Number(process.env["TEST_MIN_FREE_GIB"] ?? 4);
const gib = (dir) => {
  const s = statfsSync(dir);
  return (s.bavail * s.bsize) / 2 ** 30;
};
const byDevice = new Map([root, baseTmp].map((d) => [statSync(d).dev, d]));
const short = [...byDevice.values()].map((d) => ({ dir: d, free: gib(d) })).filter((d) => d.free < MIN_FREE_GIB);
if (short.length > 0) {
  process.stderr.write(
    `preflight: not enough free disk space, nothing was run:\n` +
      short.map((d) => `  - ${d.dir}: ${d.free.toFixed(1)} GiB free, the test run needs at least ${MIN_FREE_GIB} GiB\n`).join("") +
      `fix: free space on that filesystem (the Go build cache: \`go clean -cache\`; old test scratch: ${join(baseTmp, "platform-test-*")}), ` +
      `or set TEST_MIN_FREE_GIB if you know the run needs less\n`,
  );
  failed += 1;
  finish();
}
scratch = mkdtempSync(join(baseTmp, `platform-test-${process.pid}-`));
writeFileSync(join(scratch, "README"), `scratch of the test run started by pid ${process.pid} (scripts/test.mjs); removed when that run ends\n`);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    dropScratch();
    process.exit(128 + { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[sig]);
  });
}
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

const report = join(scratch, "vitest-report.json");
const vitest = ["npx", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args];
const workerEnv = { ...process.env, TMPDIR: scratch };
const run = isolate
  ? spawnSync(netns[0], [...netns.slice(1), "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...vitest], { stdio: "inherit", env: workerEnv })
  : spawnSync(vitest[0], vitest.slice(1), { stdio: "inherit", env: workerEnv });
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
const left = spawnSync("du", ["-sh", scratch], { encoding: "utf8" });
if (left.status === 0) process.stdout.write(`test scratch left by the workers: ${left.stdout.split("\t")[0]} in ${scratch} (removed)\n`);
if (!ran) {
  process.stderr.write("no test was executed: an empty suite is a failure\n");
  failed += 1;
}
if (run.status !== 0 && failed === 0) failed += 1;

finish();
