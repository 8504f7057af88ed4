import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import { ProgramError, getPath, runProgram } from "./run";
import { UNKNOWN } from "./inventory";

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
