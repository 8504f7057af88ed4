/**
 * The in-process runner calls policies with exactly the arguments and semantics of the engine's
 * analyzer (@pulumi/policy 1.21.0 server.js), including the SDK's own typed helpers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  validateResourceOfType,
  validateStackResourcesOfType,
  type PolicyResource,
  type ResourceValidationArgs,
  type StackValidationArgs,
} from "@pulumi/policy";
import { enforcementFor, packConfigForTier } from "../../policies/lib/config";
import { formatMarkdown, formatReport, formatText, hasMandatory, runPolicies } from "../../policies/lib/runner";
import { resolveTier, TIERS } from "../../policies/lib/util";
import { allPolicies } from "../../policies/policies";
import { renderTierConfig } from "../../policies/config/generate";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";

const urn = (type: string, name: string, parentType?: string) => `urn:pulumi:prod::proj::${parentType ? `${parentType}$` : ""}${type}::${name}`;
function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<InventoryResource> = {}): InventoryResource {
  return {
    urn: urn(type, name),
    type,
    name,
    custom: !type.startsWith("platform:"),
    dependencies: [],
    propertyDependencies: {},
    inputs,
    secretPaths: [],
    unknownPaths: [],
    options: {
      protect: false,
      retainOnDelete: false,
      deleteBeforeReplace: false,
      ignoreChanges: [],
      additionalSecretOutputs: [],
      aliases: [],
      replaceOnChanges: [],
    },
    ...extra,
  };
}

const provider = res("pulumi:providers:aws", "east", { region: "us-east-1" });
const comp = res("platform:data:Store", "store", {});
const sg = res("aws:ec2/securityGroup:SecurityGroup", "sg", { ingress: [] });
const bucket = res(
  "aws:s3/bucket:Bucket",
  "b",
  { bucket: "b" },
  {
    parent: comp.urn,
    provider: `${provider.urn}::prov-id`,
    dependencies: [sg.urn],
    propertyDependencies: { tags: [sg.urn] },
    options: { ...sg.options, protect: true, customTimeouts: { create: "5m", delete: "1h30m" } },
  },
);
const inv: Inventory = { project: "proj", stack: "prod", preview: false, resources: [provider, comp, sg, bucket], outputs: {}, secretOutputPaths: [] };

class FakeBucket {
  static __pulumiType = "aws:s3/bucket:Bucket";
}

describe("runner: engine semantics", () => {
  it("passes ResourceValidationArgs like the engine, with the typed SDK helper's fast path", async () => {
    const seen: ResourceValidationArgs[] = [];
    const r = await runPolicies(inv, {
      stackTags: { "platform:tier": "prod" },
      policies: [
        {
          name: "probe",
          description: "d",
          enforcementLevel: "advisory",
          validateResource: validateResourceOfType(FakeBucket as any, (props: any, args, report) => {
            seen.push(args);
            expect(props.bucket).toBe("b");
            report(`saw ${args.name}`);
          }),
        },
      ],
    });
    expect(seen).toHaveLength(1);
    const a = seen[0]!;
    expect({ type: a.type, urn: a.urn, name: a.name }).toEqual({ type: bucket.type, urn: bucket.urn, name: "b" });
    expect(a.opts).toEqual({
      protect: true,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 300, updateSeconds: 0, deleteSeconds: 5400 },
      additionalSecretOutputs: [],
      parent: comp.urn,
    });
    expect(a.provider).toMatchObject({ type: "pulumi:providers:aws", urn: provider.urn, name: "east" });
    expect(a.provider!.props.region).toBe("us-east-1");
    expect(a.stackTags.get("platform:tier")).toBe("prod");
    expect(a.isType(FakeBucket as any)).toBe(true);
    expect(a.asType(FakeBucket as any)).toBe(a.props);
    expect(r.violations).toEqual([
      expect.objectContaining({ policyName: "probe", enforcementLevel: "advisory", urn: bucket.urn, resourceName: "b", message: "saw b" }),
    ]);
  });

  it("links PolicyResource parent, dependencies and propertyDependencies for stack policies", async () => {
    let args: StackValidationArgs | undefined;
    const r = await runPolicies(inv, {
      policies: [
        {
          name: "stack",
          description: "d",
          validateStack: validateStackResourcesOfType(FakeBucket as any, (buckets, a, report) => {
            args = a;
            expect(buckets).toHaveLength(1);
            report("stack-wide");
            report("on sg", sg.urn);
          }),
        },
      ],
    });
    const b = args!.resources[0] as PolicyResource;
    expect(b.urn).toBe(bucket.urn);
    expect(b.parent?.urn).toBe(comp.urn);
    expect(b.dependencies.map((d) => d.name)).toEqual(["sg"]);
    expect(b.propertyDependencies.tags![0]!.type).toBe(sg.type);
    expect(b.parent!.type).toBe("platform:data:Store");
    expect(r.violations.map((v) => [v.enforcementLevel, v.urn, v.message])).toEqual([
      ["mandatory", undefined, "stack-wide"],
      ["mandatory", sg.urn, "on sg"],
    ]);
  });

  it("applies pack config: levels (own > all > policy > pack), disabled, remediate, properties with schema defaults", async () => {
    const got: Record<string, unknown>[] = [];
    const mk = (name: string, level?: any) => ({
      name,
      description: name,
      ...(level ? { enforcementLevel: level } : {}),
      configSchema: { properties: { limit: { type: "number" as const, default: 3 }, tier: { type: "string" as const } } },
      validateResource: (a: ResourceValidationArgs, report: (m: string) => void) => {
        if (a.type !== sg.type) return;
        got.push({ name, ...a.getConfig() });
        report("x");
      },
    });
    const r = await runPolicies(inv, {
      policies: [mk("a", "advisory"), mk("b", "advisory"), mk("c"), mk("d", "mandatory"), mk("e", "remediate")],
      packConfig: { all: "advisory", a: { enforcementLevel: "mandatory", limit: 7 }, b: "disabled" },
      packEnforcementLevel: "mandatory",
    });
    const levels = Object.fromEntries(r.violations.map((v) => [v.policyName, v.enforcementLevel]));
    expect(levels).toEqual({ a: "mandatory", c: "advisory", d: "advisory", e: "advisory" });
    expect(got[0]).toEqual({ name: "a", limit: 7 });
    expect(got[1]).toEqual({ name: "c", limit: 3 });
    expect(r.policiesRun).toBe(4);
    const r2 = await runPolicies(inv, { policies: [mk("e", "remediate")] });
    expect(r2.violations[0]!.enforcementLevel).toBe("mandatory");
  });

  it("records notApplicable and turns unknown values into advisory preview diagnostics", async () => {
    const unknownInv: Inventory = {
      ...inv,
      preview: true,
      resources: [res("aws:s3/bucket:Bucket", "u", { bucket: "<unknown>", acl: "private" }, { unknownPaths: ["bucket"] })],
    };
    const r = await runPolicies(unknownInv, {
      policies: [
        { name: "na", description: "d", validateResource: (a) => a.notApplicable("not here") },
        {
          name: "reads-unknown",
          description: "d",
          enforcementLevel: "mandatory",
          validateResource: (a, report) => void (a.props.bucket === "x" && report("never")),
        },
        { name: "reads-known", description: "d", validateResource: (a, report) => void (a.props.acl === "private" && report("acl ok")) },
      ],
    });
    expect(r.notApplicable).toEqual([{ policyName: "na", reason: "not here", urn: unknownInv.resources[0]!.urn }]);
    const u = r.violations.find((v) => v.policyName === "reads-unknown")!;
    expect(u.enforcementLevel).toBe("advisory");
    expect(u.unknown).toBe(true);
    expect(u.message).toMatch(/can't run policy 'reads-unknown' during preview: string value at \.bucket/);
    expect(r.violations.find((v) => v.policyName === "reads-known")!.message).toBe("acl ok");
  });

  it("fails loudly when a policy throws", async () => {
    await expect(
      runPolicies(inv, {
        policies: [
          {
            name: "boom",
            description: "d",
            validateStack: () => {
              throw new Error("bug");
            },
          },
        ],
      }),
    ).rejects.toThrow(/policy 'boom' threw.*bug/s);
  });
});

describe("pack config and tiers", () => {
  it("baseline is advisory in dev and mandatory elsewhere; TLS, headers and segmentation are always mandatory", () => {
    for (const tier of TIERS) {
      const cfg = packConfigForTier(tier);
      expect(Object.keys(cfg)).toEqual(allPolicies.map((p) => p.name));
      for (const p of allPolicies) {
        const expected = p.name.startsWith("baseline-") && tier === "dev" ? "advisory" : "mandatory";
        expect(cfg[p.name]).toMatchObject({ enforcementLevel: expected, tier });
        expect(enforcementFor(p.name, tier)).toBe(expected);
      }
    }
    expect(packConfigForTier("dev", { "baseline-imdsv2": "disabled", "seg-service-exposure": { ingressNamespaces: ["edge"] } })).toMatchObject({
      "baseline-imdsv2": { enforcementLevel: "disabled", tier: "dev" },
      "seg-service-exposure": { enforcementLevel: "mandatory", tier: "dev", ingressNamespaces: ["edge"] },
    });
  });

  it("policies/config/<tier>.json are current (regenerate with npx tsx policies/config/generate.ts)", () => {
    for (const tier of TIERS) expect(readFileSync(join(__dirname, "../../policies/config", `${tier}.json`), "utf8")).toBe(renderTierConfig(tier));
  });

  it("every policy has a unique name, a description, a level and accepts `tier` in its config", () => {
    expect(new Set(allPolicies.map((p) => p.name)).size).toBe(allPolicies.length);
    for (const p of allPolicies) {
      expect(p.name).toMatch(/^(tls|headers|seg|baseline)-[a-z0-9-]+$/);
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.enforcementLevel).toBe("mandatory");
      expect(p.configSchema?.properties.tier).toBeDefined();
      expect(p.configSchema?.properties).not.toHaveProperty("enforcementLevel");
    }
  });

  it("resolves the tier from config, then stack tag, then stack name, defaulting to prod", () => {
    const tags = new Map([["platform:tier", "staging"]]);
    expect(resolveTier({ tier: "dev" }, tags, "urn:pulumi:prod::p::t::n")).toBe("dev");
    expect(resolveTier({}, tags, "urn:pulumi:prod::p::t::n")).toBe("staging");
    expect(resolveTier({}, undefined, "urn:pulumi:acme-prod-eu::p::t::n")).toBe("prod");
    expect(resolveTier({}, undefined, "urn:pulumi:staging::p::t::n")).toBe("staging");
    expect(resolveTier({}, undefined, "urn:pulumi:local::p::t::n")).toBe("dev");
    expect(resolveTier({}, undefined, "urn:pulumi:dev::p::t::n")).toBe("dev");
    expect(resolveTier({}, undefined, "urn:pulumi:feature-x::p::t::n")).toBe("prod");
  });
});

describe("policy config reaches the policies", () => {
  it('seg-security-group-ingress: an allow-listed /32 SSH rule passes by default and fails with ssh: "never"', async () => {
    const one = {
      ...inv,
      resources: [
        res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh", { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "203.0.113.7/32" }),
      ],
    };
    expect((await runPolicies(one, { tier: "prod" })).violations).toEqual([]);
    const strict = await runPolicies(one, { tier: "prod", packConfig: { "seg-security-group-ingress": { ssh: "never" } } });
    expect(strict.violations.map((v) => v.message)).toEqual([expect.stringMatching(/this stack forbids SSH ingress/)]);
  });
});

describe("formatters", () => {
  it("prints text and Markdown reports with levels, policies, resources and messages", async () => {
    const r = await runPolicies(
      {
        ...inv,
        resources: [
          res("aws:ec2/securityGroup:SecurityGroup", "open", { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] }),
        ],
      },
      { tier: "prod" },
    );
    expect(hasMandatory(r)).toBe(true);
    const text = formatText(r);
    expect(text).toContain(`platform-policies on proj/prod (tier prod): ${allPolicies.length} policies, 1 resources, 1 mandatory`);
    expect(text).toContain("[mandatory] seg-security-group-ingress  aws:ec2/securityGroup:SecurityGroup 'open'");
    expect(text).toMatch(/opens tcp 22 to 0\.0\.0\.0\/0, SSH included/);
    const md = formatMarkdown(r);
    expect(md).toMatch(/^### ❌ Policy report: `proj\/prod`/);
    expect(md).toContain("| mandatory | `seg-security-group-ingress` |");
    expect(formatReport(r, "markdown")).toBe(md);
    const clean = await runPolicies({ ...inv, resources: [] }, { tier: "dev" });
    expect(formatText(clean)).toMatch(/no violations/);
    expect(formatMarkdown(clean)).toMatch(/✅/);
  });
});
