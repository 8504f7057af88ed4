// The pack under the REAL engine: `pulumi preview --policy-pack policies --policy-pack-config
// policies/config/<tier>.json` on a raw-Kubernetes program (rendered to a directory, no cluster),
// and the in-process runner on the same program must report the same policies.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPolicies } from "../../policies/lib/runner";
import { ensureEngine, repoRoot, workspace, type Workspace } from "../engine/engine";
import { runProgram } from "../../tools/harness/run";

const ENGINE_BUILD_TIMEOUT = 80 * 60_000;
const OP_TIMEOUT = 10 * 60_000;
const FIXTURE = join(repoRoot, "test", "fixtures", "policies", "engine-k8s");
// headers-origin-coop-coep (d1a17c3): the LoadBalancer Service web-lb serves the pods directly, with no edge adding COOP/COEP.
const EXPECTED = ["tls-ingress-https", "headers-ingress-coop-coep", "headers-origin-coop-coep", "seg-service-exposure"];

let ws: Workspace;
let pack: string;

beforeAll(() => {
  const { bin } = ensureEngine();
  ws = workspace(bin);
  pack = ws.project(join(repoRoot, "policies"));
}, ENGINE_BUILD_TIMEOUT);

afterAll(() => ws?.cleanup());

describe("the policy pack under the real engine", () => {
  it(
    "loads from policies/ with the tier config and reports the same violations as the in-process runner",
    async () => {
      const dir = ws.project(FIXTURE);
      const init = await ws.pulumi(["stack", "init", "prod", "--secrets-provider", "passphrase"], dir);
      expect(init.output).toContain("Created stack 'prod'");
      const cfg = await ws.pulumi(["config", "set", "renderDir", mkdtempSync(join(tmpdir(), "pack-render-")), "--stack", "prod"], dir);
      expect(cfg.code, cfg.output).toBe(0);
      const run = await ws.pulumi(["preview", "--stack", "prod", "--policy-pack", pack, "--policy-pack-config", join(pack, "config", "prod.json")], dir);
      process.stdout.write(
        run.output
          .split("\n")
          .filter((l) => /platform-policies|mandatory|advisory/.test(l))
          .join("\n") + "\n",
      );
      expect(run.code, run.output).not.toBe(0); // mandatory violations fail the preview
      expect(run.output).toContain("platform-policies");
      const reported = EXPECTED.filter((p) => run.output.includes(p));
      expect(reported, run.output).toEqual(EXPECTED);
      expect(run.output).toMatch(/mandatory/);
      expect(run.output).not.toMatch(/seg-namespace-default-deny|baseline-pod-security-restricted|baseline-resources-probes/);

      // Same program, in-process.
      const inv = await runProgram(() => require(join(FIXTURE, "index.ts")), {
        stack: "prod",
        project: "policy-pack-engine-fixture",
        config: { "policy-pack-engine-fixture:renderDir": mkdtempSync(join(tmpdir(), "pack-render-")) },
      });
      const report = await runPolicies(inv, { tier: "prod" });
      expect([...new Set(report.violations.map((v) => v.policyName))].sort()).toEqual([...EXPECTED].sort());
    },
    OP_TIMEOUT,
  );
});
