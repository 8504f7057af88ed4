/**
 * Every blueprint that supports the single-host topology composes on the dev tier through
 * composeHost, and keeps the host's invariants: only Caddy publishes ports, data stores sit only
 * on the internal network, the metrics port is never an upstream, every secret env is secret.
 * (SeaweedFS object stores become S3 here, as the spec requires for the single host; object-store
 * refs are supplied by a resolver, as the secrets composer would.)
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../tools/harness/run";
import { composeHost } from "../../stacks/compose/host";
import type { Context } from "../../stacks/context";
import { availableBlueprints, loadSpec, readBlueprint } from "../../stacks/spec/load";

type Bp = {
  hosting: { singleHost?: unknown };
  dataStores?: { objectStores?: { engine?: string }[] };
  secrets?: { external?: { name: string }[] };
  services: { ports: { metrics?: number } }[];
};
const singleHost = availableBlueprints().filter((n) => (readBlueprint(n).data as Bp | undefined)?.hosting?.singleHost !== undefined);

describe("composeHost across blueprints (dev tier)", () => {
  it("finds the single-host blueprints", () => {
    expect(singleHost).toEqual(expect.arrayContaining(["nuxt-fastify-beta-droplet", "axum-requirements-app", "bridge-relay"]));
  });

  for (const name of singleHost) {
    it(`${name}: composes and keeps the host invariants`, async () => {
      const blueprint = structuredClone(readBlueprint(name).data) as Bp;
      for (const o of blueprint.dataStores?.objectStores ?? []) o.engine = "s3";
      const external = (blueprint.secrets?.external ?? []).map((s) => s.name);
      const metricsPorts = blueprint.services.flatMap((s) => (s.ports.metrics ? [s.ports.metrics] : []));
      const inv = await runProgram(
        async () => {
          const spec = loadSpec({
            stack: "dev",
            blueprint,
            config: {
              tier: "dev",
              blueprint: name,
              domain: "example.com",
              host: { sshAllowList: ["203.0.113.7/32"], sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly deploy@example" },
              cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" },
              certificates: { email: "platform@example.com" },
              secrets: Object.fromEntries(external.map((n) => [n, "fake-secret-for-tests"])),
              delivery: {
                repository: "acme/platform",
                connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/0f1e2d3c-4b5a-4697-8877-665544332211",
              },
            },
          });
          const ctx: Context = {
            spec,
            providers: { random: new random.Provider("random", {}), aws: new aws.Provider("aws-primary", { region: "us-east-1" }) },
            humanSecrets: Object.fromEntries(external.map((n) => [n, pulumi.secret("fake-secret-for-tests")])),
            network: {
              vpcId: pulumi.output("vpc-1"),
              vpcCidr: "10.0.0.0/16",
              publicSubnetIds: [pulumi.output("subnet-pub-1")],
              privateSubnetIds: [],
              appSecurityGroupId: pulumi.output("sg-app"),
            },
          };
          composeHost(ctx, { resolveSecret: (_svc, from) => (from.startsWith("dataStore:objectStore/") ? pulumi.secret(`fake-${from}`) : undefined) });
        },
        { stack: "dev" },
      );
      const containers = inv.resources.filter((r) => r.type === "docker:index/container:Container");
      const nets = Object.fromEntries(
        inv.resources.filter((r) => r.type === "docker:index/network:Network").map((n) => [n.inputs.name as string, n.inputs.internal as boolean]),
      );
      for (const c of containers) {
        const i = c.inputs as {
          name: string;
          ports?: unknown[];
          networksAdvanced: { name: string }[];
          envs: string[];
          labels: { label: string; value: string }[];
        };
        const role = i.labels.find((l) => l.label === "platform.role")?.value;
        if (role !== "proxy") expect(i.ports ?? [], c.name).toEqual([]);
        if (role === "postgres" || role === "redis")
          expect(
            i.networksAdvanced.every((n) => nets[n.name] === true),
            c.name,
          ).toBe(true);
        if (i.envs.some((e) => /^(DATABASE|REDIS|POSTGRES_PASSWORD|S3_|.*KEY)/.test(e))) expect(c.secretPaths, c.name).toContain("envs");
        for (const e of i.envs) expect(e, c.name).not.toMatch(/=$/);
        if (role === "proxy") {
          const cfg = i.envs.find((e) => e.startsWith("CADDY_CONFIG_JSON="))!;
          for (const p of metricsPorts) expect(cfg).not.toContain(`:${p}"`);
        }
      }
      expect(containers.filter((c) => ((c.inputs as { ports?: unknown[] }).ports ?? []).length > 0).map((c) => c.name)).toEqual(["dev-app-caddy"]);
    });
  }
});
