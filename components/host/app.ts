/**
 * `HostApp`: the app stack on the beta host through @pulumi/docker over SSH — the compose file
 * of the reference systems as resources. Type token `platform:host:HostApp`.
 * Providers: `{ docker, random }` (the docker.Provider is created ONCE by the composer with
 * `host: ssh://deploy@<address>` and passed explicitly).
 *
 * Everything is derived by the pure planners (plan.ts, proxy.ts, caddy.ts); this class only
 * creates the networks, volumes, images, passwords and containers they describe.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { generatePassword } from "../secrets/generate";
import { hostAppArgsSchema, parseArgs, type HostAppArgs } from "./args";
import { renderCaddyConfig } from "./caddy";
import { CADDY_CONFIG_ENV, CADDY_STORAGE, planHostApp, serviceContainerName, SPA_ROOT, type ContainerPlan, type HostAppPlan, type SecretSource } from "./plan";
import { planProxy, type ProxyPlan } from "./proxy";

export class HostApp extends pulumi.ComponentResource {
  /**
   * Name of the private network EVERY service container and Caddy share (nothing on it is
   * published but Caddy's 80/443): where host add-ons such as monitoring attach to reach services.
   */
  public readonly networkName: pulumi.Output<string>;
  /** Name of the internal data network (PostgreSQL, Redis and only the services that use them; no route out). */
  public readonly dataNetworkName: pulumi.Output<string>;
  /** Docker name of a service replica's container (reachable on `networkName`). */
  public readonly serviceContainerName: (service: string, replica: number) => string;
  /** The Caddy JSON config (no secrets in it). */
  public readonly caddyConfig: string;
  /** Host names Caddy answers (each needs a DNS record to the host's IP). */
  public readonly proxyHosts: string[];
  /** Per-route-group rate limits Caddy cannot enforce without a plugin (see proxy.ts). */
  public readonly unenforcedRateLimits: ProxyPlan["rateLimits"];
  public readonly plan: HostAppPlan;
  /** Connection details of the host's data stores (secret: they contain passwords). */
  public readonly connections: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: HostAppArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg = parseArgs("HostApp", name, hostAppArgsSchema, args);
    const services = cfg.services.map((s) => ({ ...s, image: cfg.images[s.name] ?? s.image }));
    const plan = planHostApp({
      name,
      services,
      replicas: cfg.replicas,
      postgres: cfg.postgres,
      redis: cfg.redis,
      images: cfg.imagesPinned,
      serviceUser: cfg.serviceUser,
      ...(cfg.memoryMb !== undefined ? { memoryMb: cfg.memoryMb } : {}),
      ...(cfg.webApp ? { webAppDir: cfg.webApp.hostDir } : {}),
    });
    const proxy = planProxy({
      services,
      domain: cfg.domain,
      replicas: cfg.replicas,
      ...(cfg.appOrigin ? { appOrigin: cfg.appOrigin.replace(/\/$/, "") } : {}),
      ...(cfg.webApp ? { webApp: { host: cfg.webApp.host, root: SPA_ROOT, ...(cfg.webApp.build ? { build: cfg.webApp.build } : {}) } } : {}),
      ...(cfg.headerPolicy ? { headerPolicy: cfg.headerPolicy } : {}),
      appBuilds: cfg.appBuilds,
      dial: (svc, i, port) => `${serviceContainerName(name, svc, i)}:${port}`,
    });
    const caddyConfig = JSON.stringify(
      renderCaddyConfig(proxy, {
        tls: { issuer: "acme", email: cfg.acme.email ?? "", staging: cfg.acme.staging },
        listen: { address: "", httpPort: 80, httpsPort: 443 },
        storageRoot: CADDY_STORAGE,
      }),
      null,
      1, // one JSON member per line: line-oriented config checks (policies) see each rule on its own
    );
    // Every secret reference must resolve before any child exists.
    const missing: string[] = [];
    for (const c of plan.containers) {
      for (const { env, source, from } of c.secretEnv) {
        if (from !== undefined && cfg.externalSecrets[from] !== undefined) continue;
        if (source.kind === "config" && cfg.configSecrets[source.key] === undefined) missing.push(`configSecrets.${source.key} (for ${c.key} ${env})`);
        if (source.kind === "external")
          missing.push(`externalSecrets["${source.from}"] (for ${c.key} ${env}): the single host cannot produce it; pass its value`);
      }
    }
    if (missing.length) throw new Error(`HostApp "${name}": unresolved secrets\n  - ${[...new Set(missing)].join("\n  - ")}`);

    super("platform:host:HostApp", name, {}, opts);
    const p = { parent: this };
    this.plan = plan;
    this.caddyConfig = caddyConfig;
    this.proxyHosts = proxy.sites.map((s) => s.host);
    this.unenforcedRateLimits = proxy.rateLimits;
    if (proxy.rateLimits.length) {
      void pulumi.log.warn(
        `per-route-group rate limits (${proxy.rateLimits.map((r) => `${r.service}/${r.group} ${r.requestsPerSecond}/s`).join(", ")}) are not enforced by Caddy on the single host (no rate-limit handler without a plugin); the host applies a per-IP connection limit on 80/443 instead`,
        this,
      );
    }

    if (proxy.unhashedWebApps.length) {
      void pulumi.log.warn(
        `the CSP on the single host allows no inline script of ${proxy.unhashedWebApps.join(", ")}: give appBuilds.<service> (the local directory of the build its image serves; in a stack: platform:webBuilds.services.<service>) so the hashes of its inline scripts are computed; a build with an inline script (Nuxt's window.__NUXT__) does not boot without them`,
        this,
      );
    }

    const networks = Object.fromEntries(
      plan.networks.map((n) => [
        n.key,
        new docker.Network(`${name}-net-${n.key}`, { name: n.name, driver: "bridge", internal: n.internal, attachable: false }, p),
      ]),
    ) as Record<"edge" | "data", docker.Network>;
    const volumes = Object.fromEntries(
      plan.volumes.map((v) => [
        v.key,
        new docker.Volume(`${name}-vol-${v.key}`, { name: v.name }, { parent: this, protect: v.stateful && cfg.protect, retainOnDelete: v.stateful }),
      ]),
    ) as Record<string, docker.Volume>;
    const images = new Map<string, docker.RemoteImage>();
    const imageFor = (ref: string) => {
      let img = images.get(ref);
      if (!img) images.set(ref, (img = new docker.RemoteImage(`${name}-image-${ref.replace(/[^a-z0-9]+/g, "-")}`, { name: ref, keepLocally: true }, p)));
      return img;
    };
    const password = (key: string) => generatePassword(`${name}-${key}-password`, { length: 40, special: false }, p);
    const pgPw = Object.fromEntries(cfg.postgres.map((s) => [s.name, password(`pg-${s.name}`)]));
    const redisPw = Object.fromEntries(cfg.redis.map((s) => [s.name, password(`redis-${s.name}`)]));
    const generated = new Map<string, pulumi.Output<string>>();
    const resolve = (src: SecretSource): pulumi.Input<string> => {
      switch (src.kind) {
        case "postgres": {
          const s = plan.stores.postgres[src.store]!;
          const pw = pgPw[src.store]!;
          if (src.part === "host") return s.host;
          if (src.part === "password") return pw;
          return pulumi.interpolate`postgresql://${s.user}:${pw}@${s.host}:${s.port}/${s.database}`;
        }
        case "redis": {
          const s = plan.stores.redis[src.store]!;
          const pw = redisPw[src.store]!;
          if (src.part === "host") return s.host;
          if (src.part === "password") return pw;
          return pulumi.interpolate`redis://:${pw}@${s.host}:${s.port}/0`;
        }
        case "config":
          return cfg.configSecrets[src.key]!;
        case "external":
          return cfg.externalSecrets[src.from]!;
        case "generated": {
          let g = generated.get(src.name);
          if (!g) generated.set(src.name, (g = password(`generated-${src.name}`)));
          return g;
        }
      }
    };

    const created = new Map<string, docker.Container>();
    for (const c of plan.containers) {
      const env: Record<string, pulumi.Input<string>> = { ...c.env, ...(c.role === "proxy" ? { [CADDY_CONFIG_ENV]: caddyConfig } : {}) };
      // A value passed in `externalSecrets` for the exact reference wins (e.g. the secrets composer's rotated keys).
      for (const s of c.secretEnv) env[s.env] = (s.from !== undefined ? cfg.externalSecrets[s.from] : undefined) ?? resolve(s.source);
      const envs = pulumi.all(env).apply((e) => Object.entries(e).map(([k, v]) => `${k}=${v}`));
      created.set(c.key, this.container(name, c, c.secretEnv.length ? pulumi.secret(envs) : envs, imageFor(c.image), networks, volumes, created));
    }

    this.networkName = networks.edge.name;
    this.dataNetworkName = networks.data.name;
    this.serviceContainerName = (svc, i) => serviceContainerName(name, svc, i);
    const conn: Record<string, pulumi.Input<string>> = {};
    for (const s of cfg.postgres) conn[`postgres/${s.name}`] = resolve({ kind: "postgres", store: s.name, part: "url" });
    for (const s of cfg.redis) conn[`redis/${s.name}`] = resolve({ kind: "redis", store: s.name, part: "url" });
    this.connections = pulumi.secret(pulumi.all(conn));
    this.registerOutputs({
      networkName: this.networkName,
      dataNetworkName: this.dataNetworkName,
      proxyHosts: this.proxyHosts,
      unenforcedRateLimits: this.unenforcedRateLimits,
      connections: this.connections,
    });
  }

  private container(
    name: string,
    c: ContainerPlan,
    envs: pulumi.Input<string[]>,
    image: docker.RemoteImage,
    networks: Record<"edge" | "data", docker.Network>,
    volumes: Record<string, docker.Volume>,
    created: Map<string, docker.Container>,
  ): docker.Container {
    const hc = c.healthcheck;
    return new docker.Container(
      `${name}-${c.key}`,
      {
        name: c.containerName,
        image: image.imageId,
        envs,
        ...(c.command ? { command: c.command } : {}),
        networksAdvanced: c.networks.map((k) => ({ name: networks[k].name, aliases: [c.containerName, ...c.aliases] })),
        ports: c.ports.map((port) => ({ internal: port.internal, external: port.external, protocol: port.protocol })),
        ...(hc ? { healthcheck: { tests: hc.tests, interval: hc.interval, timeout: hc.timeout, retries: hc.retries, startPeriod: hc.startPeriod } } : {}),
        restart: "unless-stopped",
        privileged: false,
        readOnly: c.readOnly,
        ...(c.user ? { user: c.user } : {}),
        capabilities: { drops: ["ALL"], adds: c.capAdd },
        securityOpts: ["no-new-privileges:true"],
        tmpfs: c.tmpfs,
        volumes: c.volumes.map((v) => ({ volumeName: volumes[v.volume]!.name, containerPath: v.target })),
        mounts: c.binds.map((b) => ({ type: "bind", source: b.hostPath, target: b.target, readOnly: b.readOnly })),
        labels: Object.entries({ ...c.labels, "platform.role": c.role }).map(([label, value]) => ({ label, value })),
        ...(c.memoryMb !== undefined ? { memory: c.memoryMb } : {}),
        // compose `depends_on: condition: service_healthy`: wait until healthy before dependants start.
        wait: c.healthcheck !== undefined && c.role !== "proxy",
        waitTimeout: 180,
        destroyGraceSeconds: c.role === "postgres" ? 60 : 20,
      },
      { parent: this, dependsOn: c.dependsOn.map((k) => created.get(k)!).filter(Boolean) },
    );
  }
}
