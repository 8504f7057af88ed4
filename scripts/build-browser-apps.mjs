#!/usr/bin/env node
// Builds the browser suite's fixture apps (test/browser/apps/*) with their real toolchains —
// Nuxt 3 (`nuxi generate`), Vite (`vite build`), the Flutter-WASM stand-in (build.mjs over
// canvaskit-wasm), Next.js (`next build`, standalone server + static assets) — twice each (deployment "1" and "2", which differ in content so the second
// has new hashed asset names). Run by scripts/test.mjs BEFORE vitest, outside the test network
// namespace; the tests only read the output. Each app's dependencies are installed by
// scripts/setup.sh (npm ci in the app's directory, from its committed lockfile).
//
// Cache: node_modules/.cache/browser-apps/<app>-<key>/deploy-<n>/, where <key> is a sha256 of
// the app's sources, its package-lock.json, this script and the Node version; a hit costs a
// hash. node_modules/.cache/browser-apps/current.json names the directories the tests read.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const appsDir = join(root, "test", "browser", "apps");
const cacheDir = join(root, "node_modules", ".cache", "browser-apps");
export const DEPLOYS = ["1", "2"];
const IGNORED = new Set(["node_modules", ".nuxt", ".output", "dist", ".data", ".next"]);

/**
 * How each app builds and where its output lands (relative to the app directory); `collect`, when
 * given, copies the output into the deployment directory itself.
 */
const APPS = {
  nuxt3: { cmd: ["npx", "--no-install", "nuxi", "generate"], output: ".output/public" },
  "vite-spa": { cmd: ["npx", "--no-install", "vite", "build"], output: null },
  "flutter-wasm": { cmd: ["node", "build.mjs"], output: null },
  // deploy-<n>/server: the standalone server (server.js + traced node_modules, what the web image
  // runs); deploy-<n>/assets/_next/static: what the edge uploads to its bucket.
  next: {
    cmd: ["npx", "--no-install", "next", "build"],
    output: ".next",
    collect: (dir, out) => {
      cpSync(join(dir, ".next", "standalone"), join(out, "server"), { recursive: true, dereference: true });
      cpSync(join(dir, ".next", "static"), join(out, "assets", "_next", "static"), { recursive: true, dereference: true });
    },
  },
};

function files(dir) {
  return readdirSync(dir)
    .filter((n) => !IGNORED.has(n))
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

function keyOf(app) {
  const h = createHash("sha256");
  h.update(`node ${process.versions.node}\n`);
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const f of files(join(appsDir, app))) h.update(`${relative(appsDir, f)}\n`).update(readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

const log = (s) => process.stdout.write(`browser apps: ${s}\n`);
const current = {};
let failed = false;
for (const [app, how] of Object.entries(APPS)) {
  const dir = join(appsDir, app);
  const target = join(cacheDir, `${app}-${keyOf(app)}`);
  current[app] = Object.fromEntries(DEPLOYS.map((d) => [d, join(target, `deploy-${d}`)]));
  if (existsSync(join(target, "complete"))) {
    log(`${app}: cached (${relative(root, target)})`);
    continue;
  }
  if (!existsSync(join(dir, "node_modules"))) {
    process.stderr.write(`browser apps: ${app}: dependencies not installed (test/browser/apps/${app}/node_modules); run: bash scripts/setup.sh\n`);
    failed = true;
    continue;
  }
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const d of DEPLOYS) {
    const out = join(tmp, `deploy-${d}`);
    const started = Date.now();
    log(`${app}: building deployment ${d} (${how.cmd.join(" ")}) ...`);
    const env = { ...process.env, APP_DEPLOY: d, NUXT_TELEMETRY_DISABLED: "1", NEXT_TELEMETRY_DISABLED: "1", ...(how.output ? {} : { APP_OUT_DIR: out }) };
    const r = spawnSync(how.cmd[0], how.cmd.slice(1), { cwd: dir, env, encoding: "utf8" });
    if (r.status !== 0) {
      process.stderr.write(`${r.stdout}\n${r.stderr}\nbrowser apps: ${app}: build of deployment ${d} failed (exit ${r.status})\n`);
      failed = true;
      break;
    }
    if (how.collect) {
      mkdirSync(out, { recursive: true });
      how.collect(dir, out);
    } else if (how.output) {
      mkdirSync(dirname(out), { recursive: true });
      cpSync(join(dir, how.output), out, { recursive: true, dereference: true });
    }
    log(`${app}: deployment ${d} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  if (failed) {
    rmSync(tmp, { recursive: true, force: true });
    continue;
  }
  writeFileSync(join(tmp, "complete"), new Date().toISOString());
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}
if (failed) process.exit(1);
mkdirSync(cacheDir, { recursive: true });
writeFileSync(join(cacheDir, "current.json"), JSON.stringify(current, null, 2) + "\n");
