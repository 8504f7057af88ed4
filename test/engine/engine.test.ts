// The real Pulumi engine (CLI + language host + Kubernetes provider built from Go modules by
// scripts/engine.sh) running fixture programs with a real policy pack. The engine is built before
// the tests (npm test's preflight, or `npm run engine`); a test never builds it.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateManifestDir } from "../../tools/engine/validate-manifests.mjs";
import { ensureEngine, fixturesDir, workspace, type Workspace } from "./engine";

const ENGINE_CHECK_TIMEOUT = 2 * 60_000; // stamp check and launcher scripts only
const OP_TIMEOUT = 10 * 60_000;

let ws: Workspace;
let policyPack: string;

beforeAll(() => {
  const { bin, seconds } = ensureEngine();
  process.stdout.write(`engine ready in ${seconds.toFixed(0)}s: ${bin}\n`);
  ws = workspace(bin);
  policyPack = ws.project(join(fixturesDir, "policy-pack"));
}, ENGINE_CHECK_TIMEOUT);

afterAll(() => ws?.cleanup());

async function newStack(fixture: string): Promise<string> {
  const dir = ws.project(join(fixturesDir, fixture));
  const init = await ws.pulumi(["stack", "init", "test", "--secrets-provider", "passphrase"], dir);
  expect(init.output, init.output).toContain("Created stack 'test'");
  return dir;
}

describe("real engine", () => {
  it(
    "previews a program through the nodejs language host with the policy pack loaded",
    async () => {
      const dir = await newStack("basic");
      const run = await ws.pulumi(["preview", "--stack", "test", "--policy-pack", policyPack], dir);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain("platform:fixture:Greeting");
      expect(run.output).toContain("engine-fixture-policies");
    },
    OP_TIMEOUT,
  );

  it(
    "renders Kubernetes manifests with the real provider, and they validate against the OpenAPI schemas",
    async () => {
      const dir = await newStack("k8s-render");
      const renderDir = join(ws.dir, "rendered-k8s");
      const cfg = await ws.pulumi(["config", "set", "renderDir", renderDir, "--stack", "test"], dir);
      expect(cfg.code, cfg.output).toBe(0);
      const up = await ws.pulumi(["up", "--stack", "test", "--yes", "--skip-plugin-pre-install", "--policy-pack", policyPack], dir);
      expect(up.code, up.output).toBe(0);
      expect(up.output).toContain("engine-fixture-policies");

      const { objects } = validateManifestDir(renderDir);
      const kinds = objects.map((o) => `${o.apiVersion}/${o.kind}`).sort();
      expect(kinds).toEqual(["apps/v1/Deployment", "v1/ConfigMap", "v1/Namespace", "v1/Service"]);
      expect(objects.filter((o) => o.status !== "valid")).toEqual([]);
    },
    OP_TIMEOUT,
  );

  it(
    "blocks a program that violates a mandatory policy, naming the policy",
    async () => {
      const dir = await newStack("violation");
      const cfg = await ws.pulumi(["config", "set", "renderDir", join(ws.dir, "rendered-violation"), "--stack", "test"], dir);
      expect(cfg.code, cfg.output).toBe(0);
      const run = await ws.pulumi(["preview", "--stack", "test", "--skip-plugin-pre-install", "--policy-pack", policyPack], dir);
      expect(run.code, run.output).not.toBe(0);
      expect(run.output).toContain("fixture-require-owner-label");
      expect(run.output).toMatch(/mandatory/);
      expect(existsSync(join(ws.dir, "rendered-violation"))).toBe(false);
    },
    OP_TIMEOUT,
  );

  it(
    "runs a dynamic provider through the bundled pulumi-nodejs plugin, keeping its result secret",
    async () => {
      const dir = await newStack("dynamic");
      const up = await ws.pulumi(["up", "--stack", "test", "--yes", "--skip-plugin-pre-install", "--policy-pack", policyPack], dir);
      expect(up.code, up.output).toBe(0);
      expect(up.output).toContain("pulumi-nodejs:dynamic:Resource");
      const out = await ws.pulumi(["stack", "output", "--stack", "test", "--json", "--show-secrets"], dir);
      expect(out.code, out.output).toBe(0);
      const outputs = JSON.parse(out.stdout) as { password: string; passwordLength: number };
      expect(outputs.password).toMatch(/^[A-Za-z0-9]{24}$/);
      expect(outputs.passwordLength).toBe(24);
      const plain = await ws.pulumi(["stack", "output", "--stack", "test", "--json"], dir);
      expect(JSON.parse(plain.stdout)).toEqual({ password: "[secret]", passwordLength: "[secret]" });
      const exported = await ws.pulumi(["stack", "export", "--stack", "test"], dir);
      expect(exported.code, exported.output).toBe(0);
      expect(exported.stdout).not.toContain(outputs.password);
    },
    OP_TIMEOUT,
  );

  it(
    "rejects two resources with the same type and name",
    async () => {
      const dir = await newStack("duplicate");
      const run = await ws.pulumi(["preview", "--stack", "test", "--policy-pack", policyPack], dir);
      expect(run.code, run.output).not.toBe(0);
      expect(run.output).toMatch(/Duplicate resource URN 'urn:pulumi:test::engine-fixture-duplicate::platform:fixture:Box::same-name'/);
    },
    OP_TIMEOUT,
  );
});

describe("manifest validation (kubernetes-models schemas)", () => {
  it("flags a manifest that breaks the schema and lists kinds it has no schema for", () => {
    const dir = join(ws.dir, "manifests-bad");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "deploy.yaml"),
      [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: { name: web }",
        "spec:",
        "  replicas: two",
        "  selector: { matchLabels: { app: web } }",
        "  template: { metadata: { labels: { app: web } }, spec: { containers: [{ name: web, image: web:1 }] } }",
        "---",
        "apiVersion: example.com/v1",
        "kind: Widget",
        "metadata: { name: w }",
      ].join("\n"),
    );
    const { objects } = validateManifestDir(dir);
    expect(objects.map((o) => [o.kind, o.status])).toEqual([
      ["Deployment", "invalid"],
      ["Widget", "unchecked"],
    ]);
    expect(objects[0]?.error).toContain("replicas");
  });
});
