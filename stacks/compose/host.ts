/**
 * Host composer: the single-host ("droplet") topology — the dev tier's default — mapped from
 * the PlatformSpec to components/host. Returns undefined unless the stack's hosting is singleHost.
 *
 *   ctx.kmsKeyArn = composeEncryption(ctx).kmsKeyArn;
 *   ctx.network = composeNetwork(ctx);
 *   const secrets = composeSecrets(ctx);                                  // droplet: no dataStores needed
 *   const host = composeHost(ctx, { resolveSecret: secrets.resolveSecret }); // BetaHost + docker.Provider + HostApp
 *   if (host) ctx.host = host;                                            // HostOutputs: { provider, networkName, publicIp }
 *   composeMonitoring(ctx, { hostContainerName: host?.serviceContainerName });
 *
 * `networkName` is the private network every service container (and Caddy) is on, so host
 * add-ons (monitoring) reach the services; the data stores sit on `dataNetworkName`
 * (`internal: true`) with only the services that `connectsTo` them.
 *
 * The docker.Provider (`ssh://deploy@<private address>`, dialled from the deploy runner in the VPC
 * with the key the deploy job loaded into ssh-agent) is created HERE, once, and passed explicitly.
 * The same ServiceSpec objects the Kubernetes composer deploys are handed to HostApp.
 */
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { backupPolicy } from "../../components/data/backups";
import { APP_HASH_CONVENTIONS } from "../../components/edge";
import { BetaHost, HostApp } from "../../components/host";
import { connectionLimitFor, rateLimitNotes } from "../../components/host/proxy";
import { type SecretsOutputs, withSigningEnv } from "./secrets";
import type { Context, HostOutputs } from "../context";
import { fqdn } from "../spec/platform";
import { dockerProviderAddress, registryFor } from "../spec/registries";
import { RESOURCES } from "../spec/tiers";

export interface HostComposeOutputs extends HostOutputs {
  host: BetaHost;
  app: HostApp;
  /** `ssh://deploy@<eip>`. */
  dockerHost: pulumi.Output<string>;
  backupBucket?: pulumi.Output<string>;
  /** Host names Caddy serves (DNS A records to publicIp; created on Cloudflare when the stack has it). */
  proxyHosts: string[];
  /** The internal data network (PostgreSQL/Redis). */
  dataNetworkName: pulumi.Output<string>;
  /** Docker name of a service replica's container, e.g. for composeMonitoring's `hostContainerName`. */
  serviceContainerName: (service: string, replica: number) => string;
}

const mebibytes = (q: string): number => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`host composer: cannot read memory quantity '${q}'`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
};

export interface HostComposeOptions {
  /**
   * The secrets composer's resolver (`composeSecrets(ctx).resolveSecret`): when given, it supplies
   * `config:`, `generated:` and non-host data-store refs (so rotated keys in Secrets Manager and
   * the containers agree). PostgreSQL/Redis refs of the host's own containers stay the host's.
   */
  resolveSecret?: (service: string, from: string) => pulumi.Output<string> | undefined;
  /** The secrets composer's signing keys (`composeSecrets(ctx).signingKeys`): during a rotation the containers get both keys. */
  signingKeys?: SecretsOutputs["signingKeys"];
}

/** The host's own stores answer these refs; everything else may come from the secrets composer. */
const HOST_OWNED = /^dataStore:(postgres|redis)\//;

export function composeHost(ctx: Context, opts: HostComposeOptions = {}): HostComposeOutputs | undefined {
  const { spec, providers } = ctx;
  if (spec.hosting.mode !== "singleHost") return undefined;
  const hosting = spec.hosting;
  const problems: string[] = [];
  if (!providers.aws)
    problems.push(`tier '${spec.tier}' has no AWS account; the single host runs on EC2: use a dev/staging/prod tier or \`platform:hosting: kubernetes\``);
  if (!ctx.network) problems.push("the single host needs the stack's VPC: call composeNetwork(ctx) and set ctx.network before composeHost(ctx)");
  if (!hosting.sshPublicKey)
    problems.push("platform:host.sshPublicKey is not set: `pulumi config set --path platform:host.sshPublicKey 'ssh-ed25519 AAAA... deploy@laptop'`");
  if (problems.length) throw new Error(`host composer (stack ${spec.stack}):\n  - ${problems.join("\n  - ")}`);
  const network = ctx.network!;
  const bp = spec.blueprint;
  const profile = spec.profile;
  const policy = backupPolicy(profile.backups);

  const host = new BetaHost(
    `${spec.stack}-host`,
    {
      vpcId: network.vpcId,
      subnetId: network.publicSubnetIds[0]!,
      extraSecurityGroupIds: [network.appSecurityGroupId],
      sshAllowList: hosting.sshAllowList,
      // SSH from the deploy runner inside the VPC (docs/delivery.md): no SSH port faces the internet.
      ...(ctx.deployRunner ? { deployRunnerSecurityGroupId: ctx.deployRunner.securityGroupId } : {}),
      sshPublicKey: hosting.sshPublicKey!,
      instanceType: hosting.instanceType,
      ...(ctx.kmsKeyArn ? { kmsKeyArn: ctx.kmsKeyArn } : {}),
      ...(policy.daily ? { backup: { retentionDays: policy.daily.retentionDays } } : {}),
      connectionLimit: connectionLimitFor({ rateLimits: rateLimitNotes(bp.services) }),
      egress: Object.entries(bp.externalNetworks).map(([name, n]) => ({ name, cidrs: n.cidrs, ports: n.ports, protocol: n.protocol })),
      protect: profile.protectState,
    },
    { providers: { aws: providers.aws!, command: new command.Provider(`${spec.stack}-host-command`, {}) } },
  );

  // Private registries the host's service images come from: the provider pulls with their credentials.
  const used = new Map(
    bp.services.flatMap((s) => {
      const r = registryFor(spec.services[s.name]!.image, spec.registries);
      return r ? [[r.name, r] as const] : [];
    }),
  );
  const registryAuth = [...used.values()]
    .filter((r) => ctx.registryPasswords?.[r.name])
    .map((r) => ({ address: dockerProviderAddress(r), username: r.username, password: ctx.registryPasswords![r.name]! }));
  const provider = new docker.Provider(
    `${spec.stack}-host-docker`,
    {
      host: host.dockerHost,
      ...(registryAuth.length ? { registryAuth } : {}),
      // First contact trusts the fresh host's key (TOFU); later changes are refused by ssh.
      sshOpts: ["-o", "StrictHostKeyChecking=accept-new", "-o", "ServerAliveInterval=30"],
    },
    // Connect only once cloud-init has installed Docker and added the deploy user to its group.
    { dependsOn: [host.ready] },
  );

  const externalSecrets: Record<string, pulumi.Output<string>> = {};
  // Signing keys in rotation: `E_NEXT` / `E_RETIRING` beside `E` (components/secrets/signing.ts).
  const services = withSigningEnv(bp.services, opts.signingKeys ?? {});
  for (const svc of services) {
    for (const { from } of svc.secrets) {
      if (HOST_OWNED.test(from) || !opts.resolveSecret) continue;
      const v = opts.resolveSecret(svc.name, from);
      if (v) externalSecrets[from] = v;
    }
  }

  const edge = bp.edge;
  // The web app's origin (`cors: self`): the edge site, or else the first service that serves the app itself.
  const webAppHost = edge?.host ?? bp.services.find((s) => s.servesWebApp && s.routes.length > 0)?.routes[0]?.host;
  const app = new HostApp(
    `${spec.stack}-app`,
    {
      services,
      replicas: Object.fromEntries(Object.entries(spec.services).map(([n, s]) => [n, s.replicas.min])),
      images: Object.fromEntries(Object.entries(spec.services).map(([n, s]) => [n, s.image])),
      domain: spec.domain,
      ...(webAppHost ? { appOrigin: `https://${fqdn(webAppHost, spec.domain)}` } : {}),
      ...(edge ? { headerPolicy: { coep: edge.coep, csp: edge.csp, hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } } } : {}),
      // The builds the servesWebApp services' images serve (platform:webBuilds.services, checked by
      // the spec): the CSP hashes of their inline scripts go into Caddy's script-src.
      appBuilds: spec.webBuilds.services,
      postgres: bp.dataStores.postgres.map((p) => ({ name: p.name, version: p.version, databases: p.databases })),
      redis: bp.dataStores.redis.map((r) => ({ name: r.name, persistence: r.persistence })),
      acme: { ...(spec.certificates ? { email: spec.certificates.email } : {}), staging: profile.certificates !== "letsencrypt" },
      configSecrets: ctx.humanSecrets,
      externalSecrets,
      memoryMb: mebibytes(RESOURCES[profile.resources].limits.memory),
      protect: profile.protectState,
    },
    { providers: { docker: provider, ...(providers.random ? { random: providers.random } : {}) } },
  );

  if (providers.cloudflare && spec.cloudflare) {
    for (const h of app.proxyHosts) {
      new cloudflare.DnsRecord(
        `${spec.stack}-host-dns-${h.replace(/\./g, "-")}`,
        // Not proxied: Caddy terminates TLS with its own ACME certificate and sees client IPs.
        { zoneId: spec.cloudflare.zoneId, name: h, type: "A", content: host.publicIp, ttl: 300, proxied: false, comment: "beta host (Caddy)" },
        { provider: providers.cloudflare, parent: host },
      );
    }
  }

  return {
    provider,
    networkName: app.networkName,
    publicIp: host.publicIp,
    host,
    app,
    dockerHost: host.dockerHost,
    ...(host.backupBucket ? { backupBucket: host.backupBucket } : {}),
    proxyHosts: app.proxyHosts,
    dataNetworkName: app.dataNetworkName,
    serviceContainerName: app.serviceContainerName,
  };
}
