// `npm run plan -- --json FILE`, format 1 (docs/plan-format.md): real runs of scripts/plan on
// nuxt-fastify-beta-droplet × local, each a separate process running the real program under the
// harness. What the file holds, that two runs write the same bytes, and that no secret value the
// run saw (stack config, generated secrets) is anywhere in the text.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planTarget } from "../../scripts/plan-lib";
import {
  FORMAT_VERSION,
  MIN_SCRUB_LENGTH,
  PlanFile,
  SECRET,
  UNKNOWN,
  parsePlanFile,
  planFile,
  recordedConfig,
  renderPlanFile,
  secretValues,
} from "../../scripts/plan-format";
import { runProgram } from "../../tools/harness/run";
import { ROOT, TARGET, plan } from "./cli";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-json-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function planJson(name: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ text: string; file: PlanFile }> {
  const out = path.join(dir, name);
  const r = await plan([...TARGET, ...extra, "--json", out], env);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  const text = fs.readFileSync(out, "utf8");
  return { text, file: JSON.parse(text) as PlanFile };
}

describe("plan --json (format 1) on nuxt-fastify-beta-droplet × local", () => {
  let first: { text: string; file: PlanFile };
  beforeAll(async () => {
    // Both runs of the determinism check run the program (not the plan cache).
    first = await planJson("first.json", [], { PLAN_CACHE: "off" });
  });

  it("holds every resource with type, name, parent, provider, dependencies, options and inputs", () => {
    const { file } = first;
    expect(file.formatVersion).toBe(1);
    expect(Object.keys(file)).toEqual(["formatVersion", "plans"]);
    expect(file.plans).toHaveLength(1);
    const p = file.plans[0]!;
    expect(p.title).toBe("blueprint nuxt-fastify-beta-droplet on local");
    expect(p.status).toBe("ok");
    expect(p.mode).toBe("preview");
    const resources = p.resources!;
    // The counts the file states are the resources it lists (the stack is neither).
    expect(resources.filter((r) => r.custom)).toHaveLength(p.counts!.resources);
    expect(resources.filter((r) => !r.custom)).toHaveLength(p.counts!.components + 1);
    // Sorted by urn.
    const urns = resources.map((r) => r.urn);
    expect(urns).toEqual([...urns].sort((a, b) => (a < b ? -1 : 1)));

    const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(provider.inputs.renderYamlToDirectory).toBe("rendered/local");
    const deployment = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "svc-api-deploy")!;
    expect(
      deployment,
      resources
        .filter((r) => r.type === "kubernetes:apps/v1:Deployment")
        .map((r) => r.name)
        .join(", "),
    ).toBeDefined();
    expect(deployment.provider).toEqual({ urn: provider.urn, type: "pulumi:providers:kubernetes" });
    expect(urns).toContain(deployment.parent);
    expect(deployment.dependencies.length).toBeGreaterThan(0);
    for (const d of deployment.dependencies) expect(urns).toContain(d);
    expect(deployment.options).toMatchObject({ protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], aliases: [] });
    expect((deployment.inputs as { kind: string }).kind).toBe("Deployment");
    const container = (deployment.inputs as any).spec.template.spec.containers[0];
    expect(container.image).toBe("ghcr.io/example/fastify-api:1.0.0");

    // The secrets the program generates are not known in preview: marked, not guessed.
    const secrets = resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.some((r) => r.inputs.stringData === UNKNOWN)).toBe(true);
    expect(first.text).not.toContain("<unknown>");

    // Stack outputs and the policy report, as before.
    expect(p.outputs!.blueprint).toBe("nuxt-fastify-beta-droplet");
    expect(p.policy).toMatchObject({ mandatory: 0, advisory: 0 });
    expect(p.policy!.policiesRun).toBeGreaterThan(20);
  });

  it("docs/plan-format.md's example is a format 1 file whose resource has exactly the fields real resources have", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "plan-format.md"), "utf8");
    const example = /```json\n([\s\S]*?)\n```/.exec(doc)![1]!;
    const parsed = parsePlanFile(example, "docs/plan-format.md");
    const p = parsed.plans[0]!;
    const real = first.file.plans[0]!;
    expect(Object.keys(p).sort()).toEqual(Object.keys(real).sort());
    const documented = p.resources![0]!;
    const same = real.resources!.find((r) => r.urn === documented.urn)!;
    expect(Object.keys(documented)).toEqual(Object.keys(same));
    expect(Object.keys(documented.options)).toEqual(Object.keys(same.options));
    expect(documented.provider).toEqual(same.provider);
    expect(documented.dependencies).toEqual(same.dependencies);
  });

  it("two runs of the same commit write byte-identical files", async () => {
    const second = await planJson("second.json", [], { PLAN_CACHE: "off" });
    expect(second.text.length).toBeGreaterThan(100_000);
    expect(second.text === first.text).toBe(true);
  });

  it("no secret value reaches the file: stack config secrets and generated secrets (update mode, values known)", async () => {
    const FAKE = "FAKE-SECRET-mailgun-7f3a9c1e-do-not-print";
    const config = `platform:secrets=${JSON.stringify({ mailgunApiKey: FAKE })}`;
    const { text, file } = await planJson("secrets.json", ["--update", "--config", config]);
    expect(file.plans[0]!.mode).toBe("update");

    // The same target in-process (the function the CLI calls): every value the run recorded as secret.
    const same = await planTarget(
      { kind: "blueprint", blueprint: "nuxt-fastify-beta-droplet", tier: "local", config: { "platform:secrets": JSON.stringify({ mailgunApiKey: FAKE }) } },
      { preview: false },
    );
    expect(same.status).toBe("ok");
    const values = secretValues(same.inventory!);
    // Not a vacuous scan: the config secret and the generated ones (database password, its URL) are among them.
    expect(values).toContain(FAKE);
    expect(values.filter((v) => v.startsWith("mock-local-")).length).toBeGreaterThan(0);
    expect(values.some((v) => v.startsWith("postgres") && v.includes("mock-"))).toBe(true);
    // Every secret value of 8 characters or more (shorter ones, like the port "5432" inside the database
    // Secret, are masked where they are secret but would match anywhere: docs/plan-format.md).
    for (const v of values.filter((x) => x.length >= MIN_SCRUB_LENGTH)) {
      expect(text.includes(v), `secret value starting ${v.slice(0, 6)} is in the file`).toBe(false);
      expect(text.includes(Buffer.from(v).toString("base64")), `base64 of the secret value starting ${v.slice(0, 6)}`).toBe(false);
    }
    expect(text).not.toContain("FAKE-SECRET");
    expect(text).not.toContain(Buffer.from(FAKE).toString("base64").slice(0, 24));
    // The secrets reach Kubernetes Secrets in plain text in the inventory, masked in the file.
    const masked = file.plans[0]!.resources!.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.stringData === SECRET);
    expect(masked.length).toBeGreaterThan(0);
    // The override itself is recorded, its value masked (a key named like a secret).
    expect(file.plans[0]!.target).toMatchObject({ config: { "platform:secrets": SECRET } });
  });
});

describe("plan --json on a cloud tier: the placeholders that stand in for secure config never reach the file", () => {
  it("stack staging, update mode: human and alerting secrets are placeholders, masked everywhere", async () => {
    const out = path.join(dir, "staging.json");
    const r = await plan(["staging", "--update", "--json", out]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const text = fs.readFileSync(out, "utf8");
    const p = (JSON.parse(text) as PlanFile).plans[0]!;
    expect(p.placeholders).toEqual(expect.arrayContaining(["platform:secrets.mailgunApiKey", "platform:alertingSecrets.teamSlack"]));
    // The run fed those placeholder values to the program (the text report names them) ...
    expect(r.stdout).toContain("placeholders (not in git, not decrypted): platform:secrets.mailgunApiKey");
    // ... and none of them, nor anything built from them, is in the file.
    expect(text).not.toContain("plan-placeholder-");
    expect(text).not.toContain(Buffer.from("plan-placeholder-").toString("base64").slice(0, 20));
    expect(text.split('"[secret]"').length - 1).toBeGreaterThanOrEqual(5);
  });
});

describe("plan file: the second line of defence", () => {
  it("--config values are recorded, except a key listed as secret or named like one", () => {
    expect(
      recordedConfig(
        {
          "platform:domain": "example.org",
          "aws:secretKey": "AKIAFAKE",
          "db:password": "pw",
          "app:apiKey": "k",
          "cloudflare:apiToken": "t",
          "app:dbUrl": "postgres://u:p@h/db",
          "app:privateKey": "-----BEGIN",
        },
        ["app:dbUrl"],
      ),
    ).toEqual({
      "platform:domain": "example.org",
      "aws:secretKey": SECRET,
      "db:password": SECRET,
      "app:apiKey": SECRET,
      "cloudflare:apiToken": SECRET,
      "app:dbUrl": SECRET,
      "app:privateKey": SECRET,
    });
  });

  it("a secret that lost its marker in the program (unsecret into a plain input) is cut out of the whole file", async () => {
    const inv = await runProgram(
      () => {
        const pw = new random.RandomPassword("db-pw", { length: 24 });
        const plain = pulumi.unsecret(pw.result);
        new random.RandomString("label", { length: 8, keepers: { note: pulumi.interpolate`user=app;password=${plain}` } });
        return { pw: pw.result, plainCopy: plain };
      },
      { stack: "unit", allowDefaultProviders: true },
    );
    const label = inv.resources.find((r) => r.name === "label")!;
    const pw = String(inv.outputs.pw);
    expect(pw).toMatch(/^mock-db-pw-/);
    // The leak the program made: the password in a plain input, not marked secret.
    expect((label.inputs.keepers as { note: string }).note).toBe(`user=app;password=${pw}`);
    expect(label.secretPaths).toEqual([]);

    const text = renderPlanFile(
      planFile([{ json: { title: "unit", outputs: inv.outputs, resources: inv.resources.map((r) => ({ urn: r.urn, inputs: r.inputs })) }, inventory: inv }]),
    );
    expect(text).not.toContain(pw);
    expect(text).toContain(`"note": "user=app;password=${SECRET}"`);
    expect(FORMAT_VERSION).toBe(1);
  });
});
