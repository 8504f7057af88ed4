/**
 * Pure planners of the single host: containers/networks (plan.ts), proxy routes (proxy.ts),
 * firewall and AMI (vm-plan.ts). No Pulumi.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CADDY_CONFIG_ENV, planHostApp, secretSource, type HostAppPlanInput } from "../../components/host/plan";
import { connectionLimitFor, planProxy } from "../../components/host/proxy";
import { amiQuery, planFirewall } from "../../components/host/vm-plan";
import { serviceSpec, type ServiceSpecInput } from "../../components/service/spec";

const svc = (o: Partial<ServiceSpecInput> & { name: string }) =>
  serviceSpec.parse({
    image: `ghcr.io/example/${o.name}:1.0.0`,
    ports: { http: 8080, metrics: 9090 },
    probes: { liveness: { path: "/healthz" }, readiness: { path: "/ready" } },
    exposure: "internal",
    ...o,
  });
const images: HostAppPlanInput["images"] = {
  caddy: "caddy:2.8.4-alpine",
  postgres: { "15": "postgres:15.10-bookworm", "16": "postgres:16.6-bookworm", "17": "postgres:17.2-bookworm" },
  redis: "redis:7.4.2-bookworm",
};
const base = (o: Partial<HostAppPlanInput> = {}): HostAppPlanInput => ({
  name: "t",
  services: [],
  postgres: [],
  redis: [],
  images,
  serviceUser: "10001:10001",
  ...o,
});
const dial = (s: string, i: number, p: number) => `t-${s}-${i}:${p}`;

describe("planHostApp", () => {
  it("for any mix of stores and services: only the proxy publishes ports, data containers sit only on the internal network", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.record({ replicas: fc.integer({ min: 1, max: 3 }), usesPg: fc.boolean(), usesRedis: fc.boolean(), public: fc.boolean() }), {
          minLength: 1,
          maxLength: 4,
        }),
        (pgCount, redisCount, specs) => {
          const pg = Array.from({ length: pgCount }, (_, i) => ({ name: `pg${i}`, version: "16" as const, databases: ["app"] }));
          const redis = Array.from({ length: redisCount }, (_, i) => ({ name: `r${i}`, persistence: i % 2 === 0 }));
          const services = specs.map((s, i) =>
            svc({
              name: `s${i}`,
              exposure: s.public ? "public" : "internal",
              routes: s.public ? [{ host: `h${i}` }] : [],
              connectsTo: [...(s.usesPg && pgCount ? ["postgres/pg0"] : []), ...(s.usesRedis && redisCount ? ["redis/r0"] : [])],
            }),
          );
          const plan = planHostApp(base({ services, postgres: pg, redis, replicas: Object.fromEntries(specs.map((s, i) => [`s${i}`, s.replicas])) }));
          const internal = new Set(plan.networks.filter((n) => n.internal).map((n) => n.key));
          for (const c of plan.containers) {
            if (c.role !== "proxy") expect(c.ports).toEqual([]);
            if (c.role === "postgres" || c.role === "redis") expect(c.networks.every((n) => internal.has(n))).toBe(true);
            if (c.role === "service" && c.dependsOn.length === 0) expect(c.networks).toEqual(["edge"]);
            expect(c.readOnly).toBe(true);
            // Caddy keeps root inside its container (its volumes are root-owned) with only NET_BIND_SERVICE; everything else is non-root.
            if (c.role === "proxy") expect(c.capAdd).toEqual(["NET_BIND_SERVICE"]);
            else expect(c.user ?? "root").not.toMatch(/^(0|root)(:|$)/);
          }
          expect(plan.containers.filter((c) => c.role === "proxy").flatMap((c) => c.ports.map((p) => p.external))).toEqual([80, 443]);
          expect(plan.containers.filter((c) => c.role === "service")).toHaveLength(specs.reduce((a, s) => a + s.replicas, 0));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("labels PostgreSQL for the backup timer, keeps Redis without persistence off disk, and maps the health check from the probes", () => {
    const plan = planHostApp(
      base({
        services: [
          svc({
            name: "api",
            ports: { http: 3000, health: 3001 },
            probes: {
              liveness: { path: "/live", periodSeconds: 7, failureThreshold: 4 },
              readiness: { path: "/ready" },
              startup: { path: "/live", periodSeconds: 5, failureThreshold: 12 },
            },
            connectsTo: ["postgres/main"],
          }),
        ],
        postgres: [{ name: "main", version: "17", databases: ["orders"] }],
        redis: [{ name: "cache", persistence: false }],
      }),
    );
    const pg = plan.containers.find((c) => c.role === "postgres")!;
    expect(pg.image).toBe("postgres:17.2-bookworm");
    expect(pg.labels).toMatchObject({ "platform.backup": "pg_dump", "platform.backup.databases": "orders", "platform.backup.user": "app" });
    expect(plan.volumes.map((v) => v.key)).not.toContain("redis-cache");
    const api = plan.containers.find((c) => c.key === "api-0")!;
    expect(api.healthcheck).toEqual({
      tests: expect.arrayContaining([expect.stringContaining("http://127.0.0.1:3001/live")]),
      interval: "7s",
      timeout: "5s",
      retries: 4,
      startPeriod: "60s",
    });
    expect(api.dependsOn).toEqual(["pg-main"]);
  });

  it("rejects what one host cannot run, listing every problem", () => {
    expect(() =>
      planHostApp(
        base({
          services: [svc({ name: "api", connectsTo: ["postgres/nope"], secrets: [{ env: "REDIS_URL", from: "dataStore:redis/missing" }] })],
          postgres: [{ name: "main", version: "16", databases: ["a", "b"] }],
        }),
      ),
    ).toThrow(/postgres\.main\.databases[\s\S]*connectsTo: no PostgreSQL 'nope'[\s\S]*REDIS_URL: no redis 'missing'/);
  });

  it("the Caddy entry command writes the env var's config byte-exact (quotes, backslashes, newlines) before exec", () => {
    const caddy = planHostApp(base()).containers.find((c) => c.role === "proxy")!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "host-caddy-cmd-"));
    try {
      const [shell, flag, script] = caddy.command! as [string, string, string];
      expect(script).toContain("exec caddy run --config /run/caddy/caddy.json");
      const config = JSON.stringify({ pattern: "\\.wasm$", quote: 'it\'s "x"', pct: "100%s", dollar: "$HOME" }, null, 1);
      const testScript = script.replace(/\/run\/caddy/g, dir).replace(/exec caddy run .*$/, "true");
      execFileSync(shell, [flag, testScript], { env: { [CADDY_CONFIG_ENV]: config, PATH: process.env.PATH ?? "/usr/bin:/bin" } });
      expect(fs.readFileSync(path.join(dir, "caddy.json"), "utf8")).toBe(config);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("parses secret references", () => {
    expect(secretSource("dataStore:postgres/main")).toEqual({ kind: "postgres", store: "main", part: "url" });
    expect(secretSource("dataStore:redis/cache#password")).toEqual({ kind: "redis", store: "cache", part: "password" });
    expect(secretSource("config:mailgunApiKey")).toEqual({ kind: "config", key: "mailgunApiKey" });
    expect(secretSource("generated:signing-key")).toEqual({ kind: "generated", name: "signing-key" });
    expect(secretSource("dataStore:objectStore/media#accessKey")).toEqual({ kind: "external", from: "dataStore:objectStore/media#accessKey" });
  });
});

describe("planProxy", () => {
  it("orders routes most specific first, load-balances replicas and health-checks the readiness path on the health port", () => {
    const plan = planProxy({
      services: [
        svc({ name: "web", exposure: "public", routes: [{ host: "@" }], servesWebApp: true }),
        svc({ name: "api", exposure: "public", ports: { http: 3000, health: 3001 }, routes: [{ host: "@", path: "/api/" }] }),
      ],
      domain: "example.com",
      replicas: { api: 2 },
      dial,
    });
    expect(plan.sites).toHaveLength(1);
    const [api, web] = plan.sites[0]!.routes;
    expect(api).toMatchObject({ service: "api", pathPrefix: "/api", upstreams: ["t-api-0:3000", "t-api-1:3000"], healthCheck: { path: "/ready", port: 3001 } });
    expect(web).toMatchObject({ service: "web", pathPrefix: "/", webAppHeaders: true });
  });

  it("refuses the metrics port, `self` CORS without an app origin, and two services on one host/path", () => {
    const bad = [
      {
        ...svc({ name: "a", exposure: "public", routes: [{ host: "x" }] }),
        routes: [{ host: "x", path: "/", group: "default", port: "metrics" as const, tls: true }],
      },
      svc({ name: "b", exposure: "public", routes: [{ host: "y" }], cors: { allowedOrigins: ["self"] } }),
      svc({ name: "c", exposure: "public", routes: [{ host: "y" }] }),
    ];
    expect(() => planProxy({ services: bad, domain: "example.com", dial })).toThrow(
      /metrics port is never routed[\s\S]*'self' needs the app origin[\s\S]*served by two services/,
    );
  });

  it("appBuilds: a servesWebApp service's inline-script hashes come from the build its image serves; a build that cannot give them is refused naming the field", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "host-appbuilds-"));
    try {
      const script = "window.__NUXT__={};window.__NUXT__.config={public:{}}";
      fs.mkdirSync(path.join(tmp, "dist", "_nuxt"), { recursive: true });
      fs.writeFileSync(
        path.join(tmp, "dist", "index.html"),
        `<!doctype html><html><head><script>${script}</script><script type="module" src="/_nuxt/e.js"></script></head><body></body></html>`,
      );
      fs.writeFileSync(path.join(tmp, "dist", "_nuxt", "e.js"), "export {}");
      const services = [
        svc({ name: "web", exposure: "public", routes: [{ host: "@" }], servesWebApp: true }),
        svc({ name: "api", exposure: "public", routes: [{ host: "api" }] }),
      ];
      const hash = `sha256-${createHash("sha256").update(script).digest("base64")}`;
      const plan = planProxy({ services, domain: "example.com", appBuilds: { web: path.join(tmp, "dist") }, dial });
      expect(plan.unhashedWebApps).toEqual([]);
      expect(plan.table.common["content-security-policy"]).toMatch(new RegExp(`script-src [^;]*'${hash.replace(/[+/]/g, "\\$&")}'`));
      expect(plan.table.common["content-security-policy"]!.split(";").find((d) => d.trim().startsWith("script-src"))).not.toContain("'unsafe-inline'");
      // no build and no hashes: reported (HostApp warns); hashes given in the policy count as given
      expect(planProxy({ services, domain: "example.com", dial }).unhashedWebApps).toEqual(["web"]);
      expect(planProxy({ services, domain: "example.com", headerPolicy: { scriptHashes: [hash] }, dial }).unhashedWebApps).toEqual([]);
      expect(() => planProxy({ services, domain: "example.com", appBuilds: { web: path.join(tmp, "missing") }, dial })).toThrow(
        /appBuilds\.web: '.*missing' is not a directory/,
      );
      expect(() => planProxy({ services, domain: "example.com", appBuilds: { web: path.join(tmp, "dist", "_nuxt") }, dial })).toThrow(
        /appBuilds\.web: '.*_nuxt' has no HTML document, so the CSP hashes of its inline scripts cannot be computed/,
      );
      expect(() => planProxy({ services, domain: "example.com", appBuilds: { api: path.join(tmp, "dist") }, dial })).toThrow(
        /appBuilds\.api: 'api' is not a public service with servesWebApp: true/,
      );
      expect(() => planProxy({ services, domain: "example.com", appBuilds: { www: path.join(tmp, "dist") }, dial })).toThrow(
        /appBuilds\.www: no service 'www' in the blueprint; name the service whose image serves the web app \(servesWebApp services: web\)/,
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("derives the host's connection limit from the most generous rate-limit group", () => {
    const plan = planProxy({
      services: [
        svc({ name: "a", exposure: "public", routes: [{ host: "a", group: "g1" }], rateLimits: { g1: { requestsPerSecond: 20, burst: 40 } } }),
        svc({ name: "b", exposure: "public", routes: [{ host: "b", group: "g2" }], rateLimits: { g2: { requestsPerSecond: 100, burst: 0 } } }),
      ],
      domain: "example.com",
      dial,
    });
    expect(plan.rateLimits.map((r) => r.enforcedBy)).toEqual(["none-on-single-host", "none-on-single-host"]);
    expect(connectionLimitFor(plan)).toEqual({ perSecond: 100, burst: 100 });
    expect(connectionLimitFor({ rateLimits: [] })).toEqual({ perSecond: 50, burst: 100 });
  });
});

describe("planFirewall and amiQuery", () => {
  it("opens 80/443 to the world, SSH only to the allow-list (v4 and v6 split), never to everyone", () => {
    const fw = planFirewall({
      sshAllowList: ["203.0.113.7/32", "2001:db8::/64"],
      egress: [
        { name: "mailgun", cidrs: ["0.0.0.0/0"], ports: [443], protocol: "TCP" },
        { name: "rpc", cidrs: ["198.51.100.0/24"], ports: [8545], protocol: "TCP" },
      ],
    });
    const ssh = fw.ingress.find((r) => r.fromPort === 22)!;
    expect(ssh).toMatchObject({ cidrBlocks: ["203.0.113.7/32"], ipv6CidrBlocks: ["2001:db8::/64"] });
    expect(fw.egress.map((r) => r.fromPort)).toEqual([80, 443, 8545]);
    expect(() => planFirewall({ sshAllowList: ["0.0.0.0/0"] })).toThrow(/never be open/);
    expect(() => planFirewall({ sshAllowList: ["::/0"] })).toThrow(/never be open/);
    // No CIDR at all is the default: the deploy runner is admitted by security group (vm.ts).
    expect(planFirewall({ sshAllowList: [] }).ingress.map((r) => r.fromPort)).toEqual([80, 443]);
  });

  it("picks Debian 12 for the instance type's architecture", () => {
    expect(amiQuery("t3.small")).toEqual({ owner: "136693071363", namePattern: "debian-12-amd64-*", architecture: "x86_64" });
    for (const t of ["t4g.small", "m7g.large", "c7gn.xlarge", "m6gd.large"]) expect(amiQuery(t).architecture, t).toBe("arm64");
    for (const t of ["m7i.large", "g5.xlarge", "m7a.large"]) expect(amiQuery(t).architecture, t).toBe("x86_64");
  });
});
