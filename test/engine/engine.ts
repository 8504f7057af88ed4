// Helpers for the real-engine tests: find the engine that `npm run engine` built (never build it
// here: scripts/engine.sh runs with ENGINE_NO_BUILD=1 and fails naming the fix), copy a
// fixture project to a temp dir (node_modules symlinked to the repo's), and run the real
// `pulumi` CLI against a throw-away file backend with a fake passphrase.
import { execFile, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(__dirname, "..", "..");
export const fixturesDir = join(repoRoot, "test", "fixtures", "engine");

/**
 * The engine's bin dir, built beforehand by `npm run engine` (npm test's preflight runs it). Never
 * builds: a missing or stale binary fails here with the command that builds it.
 */
export function ensureEngine(): { bin: string; seconds: number } {
  const start = Date.now();
  const r = spawnSync("bash", [join(repoRoot, "scripts", "engine.sh")], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, ENGINE_QUIET: "1", ENGINE_NO_BUILD: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`scripts/engine.sh failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  }
  return { bin: r.stdout.trim().split("\n").pop() as string, seconds: (Date.now() - start) / 1000 };
}

export interface Workspace {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Copy a fixture (or any directory) into the workspace, node_modules linked; returns its path. */
  project(srcDir: string, name?: string): string;
  pulumi(args: string[], cwd: string, timeoutMs?: number): Promise<Run>;
  cleanup(): void;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

export function workspace(bin: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "engine-test-"));
  const state = join(dir, "state");
  mkdirSync(state);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env["PATH"] ?? ""}`,
    PULUMI_HOME: join(repoRoot, ".engine", "home"),
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "fake-passphrase-for-tests",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    NO_COLOR: "1",
  };
  return {
    dir,
    env,
    project(srcDir, name) {
      const dest = join(dir, name ?? srcDir.split("/").pop()!);
      cpSync(srcDir, dest, { recursive: true, filter: (p) => !p.includes("node_modules") });
      symlinkSync(join(repoRoot, "node_modules"), join(dest, "node_modules"), "dir");
      return dest;
    },
    pulumi(args, cwd, timeoutMs = 600_000) {
      return new Promise((resolvePromise) => {
        execFile(
          join(bin, "pulumi"),
          [...args, "--non-interactive", "--color", "never"],
          { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
            resolvePromise({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
          },
        );
      });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
