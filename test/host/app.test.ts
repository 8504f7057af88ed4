/**
 * HostApp on its own under the harness: secret resolution (generated, external, overrides),
 * the host-served SPA (read-only bind mount + the edge table in Caddy), replicas and arg errors.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import { ProgramError, runProgram } from "../../tools/harness/run";
import { HostApp, type HostAppArgs } from "../../components/host";
import { serviceSpec } from "../../components/service/spec";

const worker = serviceSpec.parse({
  name: "worker",
  image: "ghcr.io/example/worker:2.0.0",
  ports: { http: 8080 },
  probes: { liveness: { path: "/healthz" }, readiness: { path: "/healthz" } },
  exposure: "none",
  secrets: [
    { env: "SIGNING_KEY", from: "generated:signing-key" },
    { env: "S3_ACCESS_KEY", from: "dataStore:objectStore/media#accessKey" },
    { env: "CACHE_URL", from: "dataStore:redis/cache" },
  ],
  connectsTo: ["redis/cache"],
});
const web = serviceSpec.parse({
  name: "web",
  image: "ghcr.io/example/web:2.0.0",
  ports: { http: 8080, metrics: 9100 },
  probes: { liveness: { path: "/healthz" }, readiness: { path: "/ready" } },
  exposure: "public",
  routes: [{ host: "@", path: "/api" }],
});

const args = (o: Partial<HostAppArgs> = {}): HostAppArgs => ({
  services: [worker, web],
  domain: "example.org",
  redis: [{ name: "cache" }],
  acme: { email: "ops@example.org", staging: false },
  externalSecrets: { "dataStore:objectStore/media#accessKey": pulumi.secret("fake-access-key-for-tests") },
  replicas: { web: 2 },
  webApp: { host: "@", hostDir: "/srv/webapp/current" },
  protect: false,
  ...o,
});

const run = (o: Partial<HostAppArgs> = {}) =>
  runProgram(
    async () => {
      const providers = { docker: new docker.Provider("host-docker", { host: "ssh://deploy@203.0.113.9" }), random: new random.Provider("random", {}) };
      const app = new HostApp("beta", args(o), { providers });
      return { caddy: app.caddyConfig, hosts: app.proxyHosts };
    },
    { stack: "test" },
  );

type C = { name: string; envs: string[]; mounts: { source: string; target: string; readOnly: boolean }[] };
const container = (inv: Awaited<ReturnType<typeof run>>, name: string) =>
  inv.resources.find((r) => r.type === "docker:index/container:Container" && r.name === name)!;

describe("HostApp", () => {
  it("resolves generated keys (RandomPassword), external refs and host-owned Redis, all as secret env", async () => {
    const inv = await run();
    const w = container(inv, "beta-worker-0");
    const env = (w.inputs as C).envs;
    expect(env).toContain("S3_ACCESS_KEY=fake-access-key-for-tests");
    expect(env.find((e) => e.startsWith("CACHE_URL="))).toMatch(/^CACHE_URL=redis:\/\/:.+@beta-redis-cache:6379\/0$/);
    expect(inv.resources.some((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name === "beta-generated-signing-key-password")).toBe(true);
    expect(w.secretPaths).toContain("envs");
    expect((w.inputs as { networksAdvanced: { name: string }[] }).networksAdvanced.map((n) => n.name)).toEqual(["beta-edge", "beta-data"]);
  });

  it("lets externalSecrets override a generated key", async () => {
    const inv = await run({
      externalSecrets: { "dataStore:objectStore/media#accessKey": "fake-a", "generated:signing-key": pulumi.secret("fake-rotated-key") },
    });
    expect((container(inv, "beta-worker-0").inputs as C).envs).toContain("SIGNING_KEY=fake-rotated-key");
    expect(inv.resources.some((r) => r.name === "beta-generated-signing-key-password")).toBe(false);
  });

  it("serves the SPA from a read-only bind mount with the API under /api, two API replicas behind Caddy", async () => {
    const inv = await run();
    const caddy = container(inv, "beta-caddy").inputs as C;
    expect(caddy.mounts).toEqual([expect.objectContaining({ source: "/srv/webapp/current", target: "/srv/site", readOnly: true })]);
    const cfg = String(inv.outputs.caddy);
    expect(cfg).toContain('"root": "/srv/site"');
    expect(cfg).toContain('"dial": "beta-web-0:8080"');
    expect(cfg).toContain('"dial": "beta-web-1:8080"');
    expect(cfg).not.toContain(":9100");
    expect(cfg).toContain('"Cross-Origin-Embedder-Policy"');
    expect(inv.outputs.hosts).toEqual(["example.org"]);
    expect(
      inv.resources
        .filter((r) => r.type === "docker:index/container:Container")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["beta-caddy", "beta-redis-cache", "beta-web-0", "beta-web-1", "beta-worker-0"]);
  });

  it("refuses an unresolvable ref and a root service user, naming the fields, before any child", async () => {
    const err = await run({ externalSecrets: {}, serviceUser: "0:0" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect((err as Error).message).toMatch(/serviceUser/);
    const err2 = (await run({ externalSecrets: {} }).catch((e: unknown) => e)) as ProgramError;
    expect(err2.message).toMatch(/externalSecrets\["dataStore:objectStore\/media#accessKey"\][\s\S]*cannot produce it/);
    expect(err2.inventory.resources.some((r) => r.type.startsWith("docker:"))).toBe(false);
  });
});
