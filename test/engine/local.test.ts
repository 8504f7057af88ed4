// `npm run local` for real: the repo's program (Pulumi.yaml, stack `local`) through the real
// engine with the repo's policy pack (scripts/local.sh → scripts/local.ts, Automation API).
//  - default: deployed to the embedded control plane (tools/cluster) in its own loopback-only
//    network namespace, waited for until every workload is ready; a second run changes nothing;
//    `--down` destroys the stack and stops the control plane;
//  - `--render`: manifests rendered and validated against the Kubernetes OpenAPI schemas.
// State, output and the cluster go to a temp dir. The engine is built beforehand (npm run engine).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateManifestDir } from "../../tools/engine/validate-manifests.mjs";
import { repoRoot } from "./engine";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const dir = mkdtempSync(join(tmpdir(), "engine-local-"));
const env = {
  ...process.env,
  ENGINE_NO_BUILD: "1",
  // The run takes its charts from the offline mirror (no chart repository is reachable here).
  PLATFORM_CHARTS_MIRROR: process.env["PLATFORM_CHARTS_MIRROR"] ?? CHARTS_MIRROR,
  LOCAL_STATE_DIR: join(dir, "state"),
  LOCAL_RENDER_DIR: join(dir, "rendered"),
  LOCAL_CLUSTER_DIR: join(dir, "cluster"),
  NO_COLOR: "1",
};
afterAll(async () => {
  await local(["--down"]);
  rmSync(dir, { recursive: true, force: true });
});

function local(args: string[]): Promise<{ code: number; output: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      "bash",
      [join(repoRoot, "scripts", "local.sh"), ...args],
      { cwd: repoRoot, env, timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, output: `${stdout}\n${stderr}`, seconds: (Date.now() - t0) / 1000 }),
    );
  });
}

describe("npm run local (real engine, real policy pack)", () => {
  it(
    "deploys the local stack to the embedded control plane and waits until every workload is ready",
    async () => {
      const r = await local([]);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/platform-policies@v[\d.]+/);
      expect(r.output).toContain("every workload ready");
      expect(r.output).toMatch(/== workloads\n[\s\S]*Deployment apps\/\S+ +ready (\d+)\/\1/);
      expect(r.output).toMatch(/kubectl: +nsenter --net=\/proc\/\d+\/ns\/net \S+\/kubectl --kubeconfig \S+/);
      const state = JSON.parse(readFileSync(join(dir, "cluster", "state.json"), "utf8"));
      expect(state.phase).toBe("ready");
    },
    15 * 60_000,
  );

  it(
    "a second run reuses the control plane and changes nothing",
    async () => {
      const r = await local([]);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain("reusing the embedded control plane");
      expect(r.output).toMatch(/pulumi up: succeeded .*"same":\d+\}/);
      expect(r.output).not.toMatch(/"(create|update|delete|replace)":/);
    },
    15 * 60_000,
  );

  it(
    "--render writes manifests that validate against the Kubernetes schemas",
    async () => {
      const r = await local(["--render"]);
      expect(r.code, r.output).toBe(0);
      const { objects } = validateManifestDir(join(dir, "rendered"));
      expect(objects.length).toBeGreaterThan(0);
      expect(objects.filter((o) => o.status === "invalid")).toEqual([]);
    },
    15 * 60_000,
  );

  it(
    "--down destroys the stack and stops the control plane",
    async () => {
      const r = await local(["--down"]);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain("destroyed");
      const state = JSON.parse(readFileSync(join(dir, "cluster", "state.json"), "utf8"));
      expect(state.phase).toBe("stopped");
      expect(existsSync(join(dir, "cluster"))).toBe(true);
    },
    10 * 60_000,
  );
});
