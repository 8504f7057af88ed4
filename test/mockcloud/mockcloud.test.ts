// The mock cloud plugins (tools/mockcloud) under the REAL engine: `pulumi preview/up/destroy`
// of test/fixtures/engine/mockcloud (AWS, Random and Cloudflare on explicit providers), with
// `pulumi-resource-{aws,random,cloudflare}` answered by tools/mockcloud/provider.ts.
//
// Needs the engine binaries (pulumi, pulumi-language-nodejs) in .engine/bin, or the directory
// named by PLATFORM_ENGINE_BIN. It never builds them: `npm run engine` does.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_ACCOUNT, computedOutputs } from "../../tools/mockcloud/answers";
import { fixturesDir, repoRoot, workspace, type Run, type Workspace } from "../engine/engine";

const OP_TIMEOUT = 10 * 60_000;
const REGION = "eu-central-1";
const STACK = "test";

let ws: Workspace;
let project: string;

function engineBin(): string {
  const bin = process.env["PLATFORM_ENGINE_BIN"] || join(repoRoot, ".engine", "bin");
  const missing = ["pulumi", "pulumi-language-nodejs"].filter((b) => {
    try {
      accessSync(join(bin, b), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `engine binaries missing in ${bin}: ${missing.join(", ")}. Run \`npm run engine\` (builds .engine/bin), ` +
        "or point PLATFORM_ENGINE_BIN at a directory that has them. This test never builds them.",
    );
  }
  return bin;
}

const pulumi = (args: string[]): Promise<Run> => ws.pulumi([...args, "--stack", STACK], project, OP_TIMEOUT);
const up = (...extra: string[]) => pulumi(["up", "--yes", "--skip-plugin-pre-install", ...extra]);

async function outputs(): Promise<Record<string, unknown>> {
  const r = await pulumi(["stack", "output", "--json", "--show-secrets"]);
  expect(r.code, r.output).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function exportedResources(): Promise<{ type: string; id?: string; outputs?: Record<string, unknown> }[]> {
  const r = await pulumi(["stack", "export"]);
  expect(r.code, r.output).toBe(0);
  return (JSON.parse(r.stdout).deployment?.resources ?? []) as { type: string; id?: string; outputs?: Record<string, unknown> }[];
}

beforeAll(async () => {
  const bin = engineBin();
  ws = workspace(bin);
  // Mock plugins in their own directory, first on PATH, for this test's processes only.
  const mockBin = join(ws.dir, "mockbin");
  const install = spawnSync("bash", [join(repoRoot, "tools", "mockcloud", "install.sh"), mockBin], { encoding: "utf8" });
  expect(install.status, install.stderr).toBe(0);
  ws.env["PATH"] = `${mockBin}:${ws.env["PATH"]}`;
  ws.env["PULUMI_HOME"] = join(ws.dir, "home"); // no plugin cache that could shadow the mocks
  project = ws.project(join(fixturesDir, "mockcloud"));
  const init = await ws.pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"], project);
  expect(init.code, init.output).toBe(0);
  const cfg = await pulumi(["config", "set", "region", REGION]);
  expect(cfg.code, cfg.output).toBe(0);
}, OP_TIMEOUT);

afterAll(() => ws?.cleanup());

const expected = {
  cluster: computedOutputs("aws:eks/cluster:Cluster", "main", {}, REGION),
  db: computedOutputs("aws:rds/instance:Instance", "db", {}, REGION),
};

describe("mock cloud plugins under the real engine", () => {
  it(
    "previews through the mock plugins",
    async () => {
      const r = await pulumi(["preview", "--skip-plugin-pre-install"]);
      expect(r.code, r.output).toBe(0);
      for (const t of ["aws:eks:Cluster", "aws:rds:Instance", "random:index:RandomPassword", "cloudflare:index:R2Bucket", "pulumi:providers:aws"]) {
        expect(r.output).toContain(t);
      }
      expect(r.output).toMatch(/\+ 12 to create/);
      // The engine took the mock launchers (ambient plugins), not anything else.
      for (const pkg of ["aws", "random", "cloudflare"]) {
        expect(r.output).toContain(`using pulumi-resource-${pkg} from $PATH at ${join(ws.dir, "mockbin", `pulumi-resource-${pkg}`)}`);
      }
    },
    OP_TIMEOUT,
  );

  it(
    "creates everything with pulumi up; outputs are the mock's computed values",
    async () => {
      const r = await up();
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/\+ 12 created/);
      const out = await outputs();
      expect(out["clusterEndpoint"]).toBe(expected.cluster.endpoint);
      expect(out["clusterEndpoint"]).toMatch(new RegExp(`^https://[0-9A-F]{8}\\.gr7\\.${REGION}\\.eks\\.amazonaws\\.com$`));
      expect(out["kubeServer"]).toBe(`server: ${expected.cluster.endpoint}`);
      expect(out["rdsAddress"]).toBe(expected.db.address);
      expect(out["rdsEndpoint"]).toBe(`${expected.db.address}:5432`);
      expect(out["accountId"]).toBe(FAKE_ACCOUNT);
      expect(out["availabilityZones"]).toEqual([`${REGION}a`, `${REGION}b`, `${REGION}c`]);
      expect(out["roleArn"]).toMatch(new RegExp(`^arn:aws:iam::${FAKE_ACCOUNT}:role/cluster$`));
      expect(out["vpcId"]).toBe("main-id");
      expect(out["bucketName"]).toBe("assets-fixture");
      expect(out["passwordLength"]).toBe(24);
    },
    OP_TIMEOUT,
  );

  it(
    "keeps secrets secret in the state",
    async () => {
      const pw = computedOutputs("random:index/randomPassword:RandomPassword", "db", { length: 24 }, REGION)["result"] as string;
      const r = await pulumi(["stack", "export"]);
      expect(r.code, r.output).toBe(0);
      expect(r.stdout).not.toContain(pw);
      expect(r.stdout).not.toContain("fake-cloudflare-token");
      const plainOut = await pulumi(["stack", "output", "--json"]);
      expect(JSON.parse(plainOut.stdout)["passwordLength"]).toBe("[secret]");
    },
    OP_TIMEOUT,
  );

  it(
    "reports no changes on a second pulumi up",
    async () => {
      const r = await up("--expect-no-changes");
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/12 unchanged/);
    },
    OP_TIMEOUT,
  );

  it(
    "updates in place for an ordinary input and replaces for a create-only one",
    async () => {
      const before = (await exportedResources()).find((res) => res.type === "aws:rds/instance:Instance");
      // instanceClass: an update. passwordLength: random replaces, and the new password updates the DB.
      const r = await up("--config", "dbInstanceClass=db.t4g.small", "--config", "passwordLength=20", "--diff");
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/~ 1 updated/);
      expect(r.output).toMatch(/\+-1 replaced/);
      expect(r.output).toContain("instanceClass");
      const after = (await exportedResources()).find((res) => res.type === "aws:rds/instance:Instance");
      expect(after?.id).toBe(before?.id);
      expect(after?.outputs?.["instanceClass"]).toBe("db.t4g.small");
      expect((await outputs())["passwordLength"]).toBe(20);
    },
    OP_TIMEOUT,
  );

  it(
    "empties the stack with pulumi destroy",
    async () => {
      const r = await pulumi(["destroy", "--yes", "--skip-plugin-pre-install"]);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/- 12 deleted/);
      expect(await exportedResources()).toEqual([]);
    },
    OP_TIMEOUT,
  );

  it(
    "fails an invoke that has no answer, naming the token and where to add it",
    async () => {
      const r = await pulumi(["preview", "--skip-plugin-pre-install", "--config", "unansweredInvoke=true"]);
      expect(r.code, r.output).not.toBe(0);
      expect(r.output).toContain("aws:ec2/getKeyPair:getKeyPair");
      expect(r.output).toContain("tools/mockcloud/answers.ts");
    },
    OP_TIMEOUT,
  );
});
