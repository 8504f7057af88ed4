// `npm run local` for real: the repo's program (Pulumi.yaml, stack `local`) previewed and
// updated through the real engine with the repo's policy pack, manifests rendered and
// validated against the Kubernetes OpenAPI schemas. State and output go to a temp dir.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateManifestDir } from "../../tools/engine/validate-manifests.mjs";
import { repoRoot } from "./engine";

const dir = mkdtempSync(join(tmpdir(), "engine-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function local(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      [join(repoRoot, "scripts", "local.sh"), ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, ENGINE_NO_BUILD: "1", LOCAL_STATE_DIR: join(dir, "state"), LOCAL_RENDER_DIR: join(dir, "rendered"), NO_COLOR: "1" },
        timeout: 15 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

describe("npm run local (real engine, real policy pack)", () => {
  it("previews the local stack with the policy pack passing", async () => {
    const r = await local(["--preview"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/platform-policies@v[\d.]+/);
    expect(r.output).not.toContain("mandatory");
  }, 15 * 60_000);

  it("renders the local stack to manifests that validate against the Kubernetes schemas", async () => {
    const r = await local([]);
    expect(r.code, r.output).toBe(0);
    const { objects } = validateManifestDir(join(dir, "rendered"));
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.filter((o) => o.status === "invalid")).toEqual([]);
  }, 30 * 60_000);
});
