/**
 * The host composer under the harness, with the real dev spec (loadSpec + the
 * nuxt-fastify-beta-droplet blueprint): the VM, the Docker-over-SSH provider, the containers
 * and the proxy, in update and preview mode, on explicit providers only.
 */
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import type { InventoryResource, Inventory } from "../../tools/harness/inventory";
import { ProgramError, runProgram } from "../../tools/harness/run";
import { BetaHost } from "../../components/host";
import { composeHost } from "../../stacks/compose/host";
import { composeMonitoring } from "../../stacks/compose/monitoring";
import { composeNetwork } from "../../stacks/compose/network";
import { composeEncryption, composeSecrets } from "../../stacks/compose/secrets";
import type { Context } from "../../stacks/context";
import { loadSpec } from "../../stacks/spec/load";
import { caddyJsonProblems } from "../../policies/lib/proxyconf";
import { runPolicies } from "../../policies/lib/runner";

const MAILGUN = "fake-mailgun-key-for-tests";
const devConfig = {
  tier: "dev",
  blueprint: "nuxt-fastify-beta-droplet",
  domain: "example.com",
  host: { sshAllowList: ["203.0.113.7/32"], sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly deploy@example" },
  cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" },
  certificates: { email: "platform@example.com" },
  secrets: { mailgunApiKey: MAILGUN },
  delivery: { repository: "acme/platform", connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/0f1e2d3c-4b5a-4697-8877-665544332211" },
};

function context(overrides: Partial<Context> = {}): Context {
  const spec = loadSpec({ stack: "dev", config: devConfig });
  return {
    spec,
    providers: {
      random: new random.Provider("random", {}),
      aws: new aws.Provider("aws-primary", { region: "us-east-1" }),
      cloudflare: new cloudflare.Provider("cloudflare", { apiToken: "fake-cloudflare-token-for-tests-0000000000" }),
    },
    humanSecrets: { mailgunApiKey: pulumi.secret(MAILGUN) },
    network: {
      vpcId: pulumi.output("vpc-0fake000000000001"),
      vpcCidr: "10.0.0.0/16",
      publicSubnetIds: [pulumi.output("subnet-0pub000000000001")],
      privateSubnetIds: [pulumi.output("subnet-0priv00000000001")],
      appSecurityGroupId: pulumi.output("sg-0app000000000001"),
    },
    ...overrides,
  };
}

const run = (preview = false) =>
  runProgram(
    async () => {
      const out = composeHost(context())!;
      return {
        publicIp: out.publicIp,
        networkName: out.networkName,
        dataNetworkName: out.dataNetworkName,
        dockerHost: out.dockerHost,
        proxyHosts: out.proxyHosts,
        apiContainer: out.serviceContainerName("api", 0),
      };
    },
    { stack: "dev", preview },
  );

const ofType = (inv: Inventory, t: string) => inv.resources.filter((r) => r.type === t);
const named = (inv: Inventory, t: string, name: string): InventoryResource => {
  const r = inv.resources.find((x) => x.type === t && x.name === name);
  if (!r)
    throw new Error(
      `no ${t} named ${name}; have ${ofType(inv, t)
        .map((x) => x.name)
        .join(", ")}`,
    );
  return r;
};
type Container = {
  name: string;
  ports?: unknown[];
  networksAdvanced: { name: string; aliases: string[] }[];
  envs: string[];
  restart: string;
  privileged: boolean;
  readOnly: boolean;
  user?: string;
  healthcheck?: { tests: string[] };
  capabilities: { drops: string[]; adds: string[] };
};
const inputs = <T>(r: InventoryResource) => r.inputs as T;

describe("composeHost (dev tier, nuxt-fastify-beta-droplet)", () => {
  it("creates the VM, the Docker provider over SSH and the app stack on explicit providers", async () => {
    const inv = await run();
    expect(ofType(inv, "platform:host:BetaHost")).toHaveLength(1);
    expect(ofType(inv, "platform:host:HostApp")).toHaveLength(1);
    const dockerProvider = named(inv, "pulumi:providers:docker", "dev-host-docker");
    expect(dockerProvider.inputs.host).toBe("ssh://deploy@203.0.113.10");
    expect(inv.outputs.dockerHost).toBe("ssh://deploy@203.0.113.10");
    for (const c of ofType(inv, "docker:index/container:Container")) expect(c.provider).toContain("dev-host-docker");
    // The Docker provider connects only after the host reports cloud-init done and Docker up.
    const ready = named(inv, "command:remote:Command", "dev-host-ready");
    expect(ready.provider).toContain("dev-host-command");
    expect(ready.inputs.connection).toMatchObject({ host: "203.0.113.10", user: "deploy" });
    expect(String(ready.inputs.create)).toContain("cloud-init status --wait");
    expect(dockerProvider.dependencies).toContain(ready.urn);
    expect(
      ofType(inv, "docker:index/container:Container")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["dev-app-api-0", "dev-app-caddy", "dev-app-pg-main"]);
    // Every service is on networkName (monitoring attaches there); the data stores are on the internal one.
    expect(inv.outputs.networkName).toBe("dev-app-edge");
    expect(inv.outputs.dataNetworkName).toBe("dev-app-data");
    expect(inv.outputs.apiContainer).toBe("dev-app-api-0");
    expect(inv.outputs.proxyHosts).toEqual(["api.example.com"]);
    const dns = named(inv, "cloudflare:index/dnsRecord:DnsRecord", "dev-host-dns-api-example-com");
    expect(dns.inputs).toMatchObject({ name: "api.example.com", type: "A", content: "203.0.113.10", proxied: false });
  });

  it("EC2 with IMDSv2 (hop limit 1), an encrypted root volume, its launch-assigned public address (no Elastic IP), and SSH only from the allow-list", async () => {
    const inv = await run();
    const vm = named(inv, "aws:ec2/instance:Instance", "dev-host-vm");
    expect(vm.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
    expect(vm.inputs.rootBlockDevice).toMatchObject({ encrypted: true, volumeType: "gp3" });
    expect(vm.inputs.vpcSecurityGroupIds).toContain("sg-0app000000000001");
    expect(String(vm.inputs.userData)).toContain("docker.io");
    expect(String(vm.inputs.userData)).toContain("PermitRootLogin no");
    expect(vm.inputs.associatePublicIpAddress).toBe(true);
    expect(inv.resources.filter((r) => r.type === "aws:ec2/eip:Eip")).toEqual([]);
    const sg = named(inv, "aws:ec2/securityGroup:SecurityGroup", "dev-host-sg").inputs as {
      ingress: { fromPort: number; cidrBlocks?: string[]; ipv6CidrBlocks?: string[] }[];
    };
    const ssh = sg.ingress.filter((r) => r.fromPort === 22);
    expect(ssh).toEqual([expect.objectContaining({ cidrBlocks: ["203.0.113.7/32"] })]);
    expect(ssh[0]!.ipv6CidrBlocks).toBeUndefined();
    expect(sg.ingress.map((r) => r.fromPort).sort()).toEqual([22, 443, 80]);
  });

  it("backs up to a private, encrypted S3 bucket with the dev retention, written by the instance role without delete rights", async () => {
    const inv = await run();
    const lc = ofType(inv, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0]!;
    expect(lc.inputs.rules).toEqual([expect.objectContaining({ status: "Enabled", expiration: { days: 3 }, filter: { prefix: "postgres/" } })]);
    expect(ofType(inv, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]!.inputs).toMatchObject({
      blockPublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = JSON.parse(String(named(inv, "aws:iam/rolePolicy:RolePolicy", "dev-host-backup-access").inputs.policy)) as {
      Statement: { Action: string | string[] }[];
    };
    const actions = policy.Statement.flatMap((s) => s.Action);
    expect(actions).toContain("s3:PutObject");
    expect(actions.some((a) => /Delete/.test(a))).toBe(false);
    expect(String(named(inv, "aws:ec2/instance:Instance", "dev-host-vm").inputs.userData)).toMatch(/OnCalendar=\*-\*-\* 03:00:00 UTC/);
  });

  it("data containers publish no ports and sit only on the internal data network; only Caddy publishes 80/443", async () => {
    const inv = await run();
    const nets = Object.fromEntries(ofType(inv, "docker:index/network:Network").map((n) => [n.inputs.name as string, n.inputs.internal]));
    expect(nets).toEqual({ "dev-app-edge": false, "dev-app-data": true });
    const pg = inputs<Container>(named(inv, "docker:index/container:Container", "dev-app-pg-main"));
    expect(pg.ports ?? []).toEqual([]);
    expect(pg.networksAdvanced.map((n) => n.name)).toEqual(["dev-app-data"]);
    expect(pg.user).toBe("999:999");
    for (const c of ofType(inv, "docker:index/container:Container")) {
      const ci = inputs<Container>(c);
      if (ci.name !== "dev-app-caddy") expect(ci.ports ?? [], c.name).toEqual([]);
      expect(ci.restart).toBe("unless-stopped");
      expect(ci.privileged).toBe(false);
      expect(ci.readOnly).toBe(true);
      expect(ci.capabilities.drops).toEqual(["ALL"]);
    }
    const caddy = inputs<Container>(named(inv, "docker:index/container:Container", "dev-app-caddy"));
    expect(caddy.ports).toEqual([expect.objectContaining({ internal: 80, external: 80 }), expect.objectContaining({ internal: 443, external: 443 })]);
    expect(caddy.networksAdvanced.map((n) => n.name)).toEqual(["dev-app-edge"]);
    expect(caddy.capabilities.adds).toEqual(["NET_BIND_SERVICE"]);
  });

  it("runs the API from the ServiceSpec: liveness health check, non-root, both networks, secrets as secret env", async () => {
    const inv = await run();
    const r = named(inv, "docker:index/container:Container", "dev-app-api-0");
    const api = inputs<Container>(r);
    expect(api.healthcheck!.tests.join(" ")).toContain("http://127.0.0.1:3000/health/live");
    expect(api.user).toBe("10001:10001");
    expect(api.networksAdvanced.map((n) => n.name)).toEqual(["dev-app-edge", "dev-app-data"]);
    expect(api.networksAdvanced[0]!.aliases).toEqual(["dev-app-api-0", "api"]);
    const env = Object.fromEntries(api.envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    expect(env.DATABASE_URL).toMatch(/^postgresql:\/\/app:.+@dev-app-pg-main:5432\/app$/);
    expect(env.MAILGUN_API_KEY).toBe(MAILGUN);
    expect(r.secretPaths).toContain("envs");
    expect(named(inv, "docker:index/container:Container", "dev-app-pg-main").secretPaths).toContain("envs");
    // No generated password or human secret anywhere outside a secret input.
    const pw = inv.resources.filter((x) => x.type === "random:index/randomPassword:RandomPassword").map((x) => `mock-${x.name}-`);
    for (const res of inv.resources) {
      const text = JSON.stringify(res.inputs);
      if ((pw.some((m) => text.includes(m)) || text.includes(MAILGUN)) && !res.type.startsWith("random:")) {
        expect(res.secretPaths.length, `${res.type} ${res.name}`).toBeGreaterThan(0);
      }
    }
  });

  it("configures Caddy from the same spec: the production ACME CA for dev (browsers call it), api host to the API's http port, never the metrics port", async () => {
    const inv = await run();
    const caddy = inputs<Container>(named(inv, "docker:index/container:Container", "dev-app-caddy"));
    const json = caddy.envs.find((e) => e.startsWith("CADDY_CONFIG_JSON="))!.slice("CADDY_CONFIG_JSON=".length);
    const cfg = JSON.parse(json);
    expect(JSON.stringify(cfg)).toContain('"dial":"dev-app-api-0:3000"');
    expect(JSON.stringify(cfg)).not.toContain(":9464");
    expect(cfg.apps.tls.automation.policies[0]).toMatchObject({
      subjects: ["api.example.com"],
      issuers: [{ module: "acme", email: "platform@example.com", ca: "https://acme-v02.api.letsencrypt.org/directory" }],
    });
    expect(cfg.apps.http.servers.https.listen).toEqual([":443"]);
    expect(json.length).toBeLessThan(100_000); // fits one environment variable (Linux MAX_ARG_STRLEN 128 KiB)
    // What the policy pack's proxy check demands of a Caddy JSON config: HTTPS only, :80 only redirects.
    expect(caddyJsonProblems(json)).toEqual([]);
    const wasm = /\.wasm[^\n]*?content-type\s*["']?([\w/+.-]+)/i.exec(json);
    expect(wasm?.[1]?.toLowerCase() ?? "application/wasm").toBe("application/wasm");
  });

  it("passes the policy pack for the dev tier, except SSH ingress from the allow-list (open conflict, see components/host/README.md)", async () => {
    const inv = await runProgram(
      async () => {
        const ctx = context({ network: undefined });
        ctx.network = composeNetwork(ctx);
        composeHost(ctx);
      },
      { stack: "dev" },
    );
    const report = await runPolicies(inv, { tier: "dev" });
    const ssh = (v: { policyName: string; message: string }) =>
      v.policyName === "seg-security-group-ingress" && /allows SSH \(port 22\) from 203\.0\.113\.7\/32;/.test(v.message);
    expect(report.violations.filter((v) => !ssh(v))).toEqual([]);
  });

  it("works in preview (unknown IPs and ids) too", async () => {
    const inv = await run(true);
    expect(ofType(inv, "docker:index/container:Container")).toHaveLength(3);
    expect(named(inv, "pulumi:providers:docker", "dev-host-docker").unknownPaths).toContain("host");
  });

  it("composes with the real network composer (public subnet, app-tier security group) without URN clashes", async () => {
    const inv = await runProgram(
      async () => {
        const ctx = context({ network: undefined });
        ctx.network = composeNetwork(ctx);
        const out = composeHost(ctx)!;
        return { publicIp: out.publicIp };
      },
      { stack: "dev" },
    );
    const vm = named(inv, "aws:ec2/instance:Instance", "dev-host-vm");
    const subnet = inv.resources.find((r) => r.type === "aws:ec2/subnet:Subnet" && r.name.endsWith("-public-0"))!;
    expect(vm.inputs.subnetId).toBe(`${subnet.name}-id`);
    expect(vm.inputs.associatePublicIpAddress).toBe(true);
    expect(inv.outputs.publicIp).toBe("203.0.113.10");
  });

  it("hands the monitoring composer a network and container names that reach the API's metrics port", async () => {
    const inv = await runProgram(
      async () => {
        const ctx = context();
        const host = composeHost(ctx)!;
        ctx.host = host;
        composeMonitoring(ctx, { hostContainerName: host.serviceContainerName });
      },
      { stack: "dev" },
    );
    const containers = ofType(inv, "docker:index/container:Container").map((r) => inputs<Container & { uploads?: { content: string }[] }>(r));
    const prom = containers.find((c) => c.name.endsWith("-prometheus"))!;
    const api = containers.find((c) => c.name === "dev-app-api-0")!;
    expect(api.networksAdvanced.map((n) => n.name)).toContain(prom.networksAdvanced[0]!.name);
    expect(prom.uploads!.map((u) => u.content).join("\n")).toContain("dev-app-api-0:9464");
  });

  it("takes config/generated secrets from the secrets composer when given its resolver (Secrets Manager and containers agree)", async () => {
    const asked: string[] = [];
    const inv = await runProgram(
      async () => {
        const ctx = context();
        ctx.kmsKeyArn = composeEncryption(ctx).kmsKeyArn!;
        const secrets = composeSecrets(ctx);
        composeHost(ctx, { resolveSecret: (svc, from) => (asked.push(`${svc} ${from}`), secrets.resolveSecret(svc, from)) });
      },
      { stack: "dev" },
    );
    const api = named(inv, "docker:index/container:Container", "dev-app-api-0");
    const env = inputs<Container>(api).envs;
    expect(env).toContain(`MAILGUN_API_KEY=${MAILGUN}`);
    expect(env.find((e) => e.startsWith("DATABASE_URL="))).toMatch(/@dev-app-pg-main:5432\/app$/);
    // Only refs the host does not own are asked for; the host's PostgreSQL URL stays the host's.
    expect(asked).toEqual(["api config:mailgunApiKey"]);
    expect(ofType(inv, "aws:secretsmanager/secret:Secret").map((r) => r.name)).toContain("dev-secrets-config-mailgunApiKey");
    expect(api.secretPaths).toContain("envs");
  });

  it("refuses to run without the VPC, naming the fix, and registers nothing", async () => {
    const err = await runProgram(async () => composeHost(context({ network: undefined })), { stack: "dev" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect((err as ProgramError).message).toMatch(/composeNetwork\(ctx\)/);
    expect((err as ProgramError).inventory.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))).toEqual([]);
  });

  it("BetaHost rejects an open SSH CIDR and a bad key with every field named, before any child", async () => {
    const err = await runProgram(
      async () => {
        const awsP = new aws.Provider("aws", { region: "us-east-1" });
        new BetaHost("bad", { vpcId: "vpc-1", subnetId: "subnet-1", sshAllowList: ["0.0.0.0/0"], sshPublicKey: "nope" }, { providers: { aws: awsP } });
      },
      { stack: "dev" },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/sshAllowList\.0: SSH must never be open[\s\S]*sshPublicKey/);
    expect((err as ProgramError).inventory.resources.some((r) => r.type.startsWith("aws:"))).toBe(false);
  });
});
