import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { supportedTiers } from "../../scripts/plan-lib";
import { availableBlueprints } from "../../stacks/spec/load";
import { ProgramError, getPath, runProgram } from "../../tools/harness/run";
import { UNKNOWN } from "../../tools/harness/inventory";
import * as planCache from "../../tools/harness/plan-cache";
import { planned, plannedTargets, targetTitle } from "./planned";
import { REPO_ROOT, blueprintStackInput, listStacks, readStackFile, runStackInput, withPlaceholderSecrets } from "../../tools/harness/stacks";

class Box extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("platform:test:Box", name, {}, opts);
    const pw = new random.RandomPassword(`${name}-pw`, { length: 24 }, { parent: this });
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { tags: { owner: "test" } }, { parent: this, protect: true });
    new aws.ssm.Parameter(`${name}-param`, { type: "SecureString", value: pw.result, description: bucket.arn }, { parent: this });
    this.bucketName = bucket.bucket;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}

function program() {
  const provider = new aws.Provider("aws", { region: "us-east-1" });
  const rnd = new random.Provider("random", {});
  const box = new Box("box", { providers: { aws: provider, random: rnd } });
  const raw = new random.RandomPassword("raw-pw", { length: 20 }, { provider: rnd });
  return { bucketName: box.bucketName, token: pulumi.secret("s3cr3t-fake"), rawPassword: raw.result };
}

describe("harness", () => {
  it("records type, parent, provider, dependencies, options and secret inputs (update mode)", async () => {
    const inv = await runProgram(program, { stack: "unit" });
    const types = inv.resources.map((r) => r.type);
    expect(types).toContain("pulumi:pulumi:Stack");
    expect(types).toContain("platform:test:Box");
    const box = inv.resources.find((r) => r.type === "platform:test:Box")!;
    const bucket = inv.resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
    const param = inv.resources.find((r) => r.type === "aws:ssm/parameter:Parameter")!;
    expect(bucket.parent).toBe(box.urn);
    expect(bucket.urn).toBe("urn:pulumi:unit::platform::platform:test:Box$aws:s3/bucket:Bucket::box-bucket");
    expect(bucket.provider).toMatch(/^urn:pulumi:unit::platform::pulumi:providers:aws::aws::/);
    expect(bucket.options.protect).toBe(true);
    expect(param.secretPaths).toContain("value");
    expect(param.inputs.value).toMatch(/^mock-box-pw-/);
    expect(param.inputs.description).toBe(`arn:aws:s3:::${bucket.inputs.bucket ?? inv.outputs.bucketName}`);
    expect(param.dependencies).toContain(bucket.urn);
    expect(param.propertyDependencies.description).toContain(bucket.urn);
    expect(inv.outputs.token).toBe("s3cr3t-fake");
    expect(inv.secretOutputPaths).toContain("token");
    // additionalSecretOutputs (RandomPassword.result) are secret, as the engine makes them.
    expect(inv.secretOutputPaths).toContain("rawPassword");
    expect(String(inv.outputs.rawPassword)).toMatch(/^mock-raw-pw-/);
    expect(box.outputs?.bucketName).toBe(inv.outputs.bucketName);
    expect(box.outputSecretPaths).toEqual([]);
  });

  it("leaves computed outputs unknown in preview mode", async () => {
    const inv = await runProgram(program, { stack: "unit", preview: true });
    const param = inv.resources.find((r) => r.type === "aws:ssm/parameter:Parameter")!;
    expect(param.inputs.description).toBe(UNKNOWN);
    expect(param.unknownPaths).toContain("description");
    expect(param.inputs.type).toBe("SecureString");
  });

  it("runs sequentially in one process with independent results", async () => {
    const a = await runProgram(program, { stack: "a" });
    const b = await runProgram(program, { stack: "b" });
    expect(a.resources.length).toBe(b.resources.length);
    expect(b.resources.every((r) => r.urn.startsWith("urn:pulumi:b::"))).toBe(true);
  });

  it("rejects duplicate URNs like the engine does", async () => {
    const err = await runProgram(() => {
      const p = new aws.Provider("aws", { region: "us-east-1" });
      new aws.s3.Bucket("same", {}, { provider: p });
      new aws.s3.Bucket("same", {}, { provider: p });
      return {};
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect((err as ProgramError).errors.join("\n")).toMatch(/duplicate resource URN .*::same/);
  });

  it("rejects custom resources on default providers unless allowed", async () => {
    const body = () => {
      new aws.s3.Bucket("ambient", {});
      return {};
    };
    const err = await runProgram(body).catch((e) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect(String(err.message)).toMatch(/'ambient'.*default provider/);
    const ok = await runProgram(body, { allowDefaultProviders: true });
    expect(ok.resources.some((r) => r.name === "ambient")).toBe(true);
  });

  it("reports a program that throws", async () => {
    const err = await runProgram(() => {
      throw new Error("spec invalid: services[0].ports.http: expected a number");
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect(err.message).toMatch(/services\[0\]\.ports\.http/);
    expect(err.inventory.resources.filter((r: any) => r.custom)).toHaveLength(0);
  });

  it("getPath reads nested inputs", () => {
    expect(getPath({ a: { b: [{ c: 1 }] } }, "a.b[0].c")).toBe(1);
  });
});

describe("plan cache (plan-cache.ts): every stack and blueprint × tier planned once, shared by every file", () => {
  let dir = "";
  const saved = { dir: process.env.PLAN_CACHE_DIR, mode: process.env.PLAN_CACHE, blueprints: process.env.PLATFORM_BLUEPRINTS_DIR };
  const input = (stack: string, extra: Record<string, string> = {}) => ({ stack, config: { "platform:tier": stack, ...extra }, secretKeys: [] });
  beforeAll(() => {
    // A private cache: these tests see their own entries, never the run's shared ones.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cache-test-"));
    process.env.PLAN_CACHE_DIR = dir;
    process.env.PLAN_CACHE = "on";
  });
  afterAll(() => {
    for (const [k, v] of [
      ["PLAN_CACHE_DIR", saved.dir],
      ["PLAN_CACHE", saved.mode],
      ["PLATFORM_BLUEPRINTS_DIR", saved.blueprints],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("an inventory read from the cache is exactly the in-process plan (update and preview)", async () => {
    for (const preview of [false, true]) {
      const before = { ...planCache.stats };
      const first = await planned({ stack: "prod" }, { preview });
      expect(planCache.stats.computed).toBe(before.computed + 1);
      const second = await planned({ stack: "prod" }, { preview });
      expect(planCache.stats.hits).toBe(before.hits + 1);
      expect(second.inventory).not.toBe(first.inventory);
      expect(second.inventory).toStrictEqual(first.inventory);
      expect(second.inventory.preview).toBe(preview);
      expect(second.inventory.resources.filter((r) => r.custom).length).toBeGreaterThan(10);
    }
  });

  it("shares only the repository's own stack and blueprint × tier inputs", async () => {
    const before = { ...planCache.stats };
    const edited = withPlaceholderSecrets(readStackFile("dev"));
    edited.config["platform:domain"] = "edited.example.com";
    const run = await runStackInput(edited);
    expect(run.inventory.resources.length).toBeGreaterThan(1);
    process.env.PLATFORM_BLUEPRINTS_DIR = path.join(REPO_ROOT, "blueprints");
    try {
      await runStackInput(blueprintStackInput("bridge-relay", "local"));
    } finally {
      delete process.env.PLATFORM_BLUEPRINTS_DIR;
    }
    // Neither went through the cache: an edited input, blueprints read from a directory named by the environment.
    expect(planCache.stats).toEqual(before);
    await runStackInput(blueprintStackInput("bridge-relay", "local"));
    expect(planCache.stats.computed).toBe(before.computed + 1);
  });

  it("computes an entry once; what the computation throws is not cached", async () => {
    let calls = 0;
    const compute = async () => ({ n: ++calls, nested: { list: [1, "two", null] } });
    expect(await planCache.cached(input("once"), false, compute)).toEqual({ n: 1, nested: { list: [1, "two", null] } });
    expect(await planCache.cached(input("once"), false, compute)).toEqual({ n: 1, nested: { list: [1, "two", null] } });
    expect(await planCache.cached(input("once"), true, compute)).toEqual({ n: 2, nested: { list: [1, "two", null] } });
    expect(calls).toBe(2);
    let attempts = 0;
    const failing = async (): Promise<number> => {
      attempts += 1;
      throw new Error("engine down");
    };
    await expect(planCache.cached(input("throws"), false, failing)).rejects.toThrow("engine down");
    await expect(planCache.cached(input("throws"), false, failing)).rejects.toThrow("engine down");
    expect(attempts).toBe(2);
    expect(await planCache.cached(input("throws"), false, async () => 7)).toBe(7);
  });

  it("concurrent requests for one entry compute it once; a lock whose owner died is taken over", async () => {
    let calls = 0;
    const slow = async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 150));
      return { value: "shared" };
    };
    const [a, b] = await Promise.all([planCache.cached(input("concurrent"), false, slow), planCache.cached(input("concurrent"), false, slow)]);
    expect(a).toEqual({ value: "shared" });
    expect(b).toEqual({ value: "shared" });
    expect(calls).toBe(1);

    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const lock = path.join(planCache.namespaceDir(), `${planCache.entryKey(input("orphan"), false)}.json.lock`);
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, String(dead));
    const start = Date.now();
    expect(await planCache.cached(input("orphan"), false, async () => "taken over")).toBe("taken over");
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it("the source digest changes with any program source, and only with those", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cache-src-"));
    try {
      const write = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
      };
      write("index.ts", "export * from './stacks/program';\n");
      write("Pulumi.prod.yaml", "config:\n  platform:tier: prod\n");
      write("components/data/plan.ts", "export const replicas = 2;\n");
      write("blueprints/a.yaml", "name: a\n");
      write("docs/notes.md", "notes\n");
      write("components/node_modules/x/index.js", "1\n");
      write("test/harness/harness.test.ts", "// a\n");
      const base = planCache.sourceDigest(root);
      expect(planCache.sourceDigest(root)).toBe(base);
      write("docs/notes.md", "other notes\n");
      write("components/node_modules/x/index.js", "2\n");
      write("test/harness/harness.test.ts", "// b\n");
      expect(planCache.sourceDigest(root), "docs, tests and node_modules are not program sources").toBe(base);
      for (const [rel, text] of [
        ["components/data/plan.ts", "export const replicas = 3;\n"],
        ["Pulumi.prod.yaml", "config:\n  platform:tier: staging\n"],
        ["blueprints/b.yaml", "name: b\n"],
        ["tools/harness/run.ts", "export {};\n"],
      ]) {
        const prev = planCache.sourceDigest(root);
        write(rel!, text!);
        expect(planCache.sourceDigest(root), rel).not.toBe(prev);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("the environment and a charts mirror directory's content are part of the key; config order is not", () => {
    const mirror = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cache-mirror-"));
    try {
      fs.writeFileSync(path.join(mirror, "index.yaml"), "entries: {}\n");
      const env = { PATH: "/usr/bin" } as NodeJS.ProcessEnv;
      const plain = planCache.envDigest(env);
      expect(planCache.envDigest({ ...env, HOME: "/elsewhere" }), "only PLATFORM_* variables count").toBe(plain);
      const withMirror = planCache.envDigest({ ...env, PLATFORM_CHARTS_MIRROR: mirror });
      expect(withMirror).not.toBe(plain);
      fs.writeFileSync(path.join(mirror, "index.yaml"), "entries: { cert-manager: [] }\n");
      expect(planCache.envDigest({ ...env, PLATFORM_CHARTS_MIRROR: mirror }), "the mirror's index changed").not.toBe(withMirror);

      const a = { stack: "prod", config: { "platform:tier": "prod", "platform:domain": "example.com" }, secretKeys: ["b", "a"] };
      const b = { stack: "prod", config: { "platform:domain": "example.com", "platform:tier": "prod" }, secretKeys: ["a", "b"] };
      expect(planCache.entryKey(a, false)).toBe(planCache.entryKey(b, false));
      expect(planCache.entryKey(a, true)).not.toBe(planCache.entryKey(a, false));
      expect(planCache.entryKey({ ...a, config: { ...a.config, "platform:domain": "example.org" } }, false)).not.toBe(planCache.entryKey(a, false));
      const inConfig = (m: string) => ({ ...a, config: { ...a.config, "platform:charts": JSON.stringify({ mirror: m }) } });
      const k1 = planCache.entryKey(inConfig(mirror), false);
      fs.writeFileSync(path.join(mirror, "index.yaml"), "entries: {}\n");
      expect(planCache.entryKey(inConfig(mirror), false), "a mirror named in the stack config is read too").not.toBe(k1);
    } finally {
      fs.rmSync(mirror, { recursive: true, force: true });
    }
  });

  it("plans every stack and every blueprint on each tier it supports", () => {
    const titles = plannedTargets().map(targetTitle);
    expect(titles).toEqual(
      expect.arrayContaining([
        "stack local",
        "stack dev",
        "stack staging",
        "stack prod",
        "blueprint music-platform-gitops on local",
        "blueprint bridge-relay on dev",
      ]),
    );
    expect(titles.length).toBe(listStacks().length + availableBlueprints().reduce((n, b) => n + supportedTiers(b).length, 0));
    expect(new Set(titles).size).toBe(titles.length);
  });
});
