/** Kubernetes-stack fixtures: specs per tier, and a program that runs the network/cluster/services composers. */
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tcp } from "../../components/data/network";
import type { NetpolStore } from "../../components/cluster/netpol";
import type { Context } from "../../stacks/context";
import { composeCluster } from "../../stacks/compose/cluster";
import { composeNetwork } from "../../stacks/compose/network";
import { composeServices } from "../../stacks/compose/services";
import { buildProviders } from "../../stacks/providers";
import { loadSpec } from "../../stacks/spec/load";
import type { PlatformSpec } from "../../stacks/spec/platform";
import type { Inventory, InventoryResource } from "../harness/inventory";

const CF = { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" };

/** A music-platform-like blueprint: Traefik, Next.js web, API (canary), queue worker (custom metric HPA). */
export const TRAEFIK_BLUEPRINT = {
  name: "music-test",
  description: "Traefik, web + api + queue workers",
  hosting: { kubernetes: { ingressController: "traefik" } },
  services: [
    {
      name: "web",
      image: "ghcr.io/example/web:1.0.0",
      ports: { http: 3000, metrics: 9464 },
      probes: { liveness: { path: "/api/health" }, readiness: { path: "/api/health" } },
      exposure: "public",
      routes: [{ host: "@", group: "web" }],
      rateLimits: { web: { requestsPerSecond: 50, burst: 100 } },
      autoscaling: { cpuPercent: 70, memoryPercent: 80 },
      strategy: "blueGreen",
      servesWebApp: true,
      calls: ["api"],
    },
    {
      name: "api",
      image: "ghcr.io/example/api:1.0.0",
      ports: { http: 8080, health: 8081, metrics: 9090 },
      probes: { liveness: { path: "/live" }, readiness: { path: "/ready" } },
      exposure: "public",
      routes: [{ host: "api", group: "api" }],
      rateLimits: { api: { requestsPerSecond: 20, burst: 40 } },
      cors: { allowedOrigins: ["https://example.com"] },
      autoscaling: { cpuPercent: 70 },
      strategy: "canary",
      connectsTo: ["redis/queue"],
      egress: ["solana"],
    },
    {
      name: "worker",
      image: "ghcr.io/example/worker:1.0.0",
      ports: { http: 8000, metrics: 9100 },
      probes: { liveness: { path: "/healthz" }, readiness: { path: "/healthz" } },
      exposure: "none",
      autoscaling: { cpuPercent: 70, custom: { metric: "queue_length", targetAverageValue: 100 } },
      connectsTo: ["redis/queue"],
    },
  ],
  dataStores: { redis: [{ name: "queue", replicas: 1, placement: "in-cluster" }] },
  externalNetworks: { solana: { cidrs: ["203.0.113.0/24"], ports: [443, 8900] } },
};

export function specFor(tier: "local" | "staging" | "prod" | "dev", blueprint?: unknown, extra: Record<string, unknown> = {}): PlatformSpec {
  const config: Record<string, unknown> = { tier, blueprint: (blueprint as { name?: string })?.name ?? "nuxt-fastify-beta-droplet", domain: "example.com" };
  if (tier === "local") config.cluster = { renderDir: mkdtempSync(join(tmpdir(), "k8s-render-")) };
  else {
    config.certificates = { email: "platform@example.com" };
    config.cloudflare = CF;
    if (!blueprint) config.secrets = { mailgunApiKey: "fake-password-for-tests" };
  }
  if (tier === "dev") config.hosting = "kubernetes";
  return loadSpec({ stack: tier, config: { ...config, ...extra }, ...(blueprint ? { blueprint } : {}) });
}

/** The program body: network → cluster → services, with data-store network contracts faked per the data contract. */
export function k8sProgram(spec: PlatformSpec, env: Record<string, string> = {}) {
  return () => {
    const providers = buildProviders(spec);
    const ctx: Context = { spec, providers, humanSecrets: Object.fromEntries(spec.blueprint.secrets.external.map((s) => [s.name, pulumi.secret("fake-password-for-tests")])) };
    const network = composeNetwork(ctx);
    if (network) ctx.network = network;
    const cluster = composeCluster(ctx, env)!;
    ctx.cluster = cluster;
    const stores: NetpolStore[] = [];
    for (const pg of spec.blueprint.dataStores.postgres) stores.push({ ref: `postgres/${pg.name}`, network: { kind: "aws", ports: [tcp("postgres", 5432)], allowedSecurityGroupCount: 1 } });
    for (const r of spec.blueprint.dataStores.redis) {
      const sel = { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": r.name };
      stores.push({ ref: `redis/${r.name}`, network: { kind: "kubernetes", namespace: cluster.namespaces.data, ports: [tcp("redis", 6379)], ingress: [{ purpose: "clients", podSelector: sel, ports: [tcp("redis", 6379)], from: { namespaces: [cluster.namespaces.apps] } }], egress: [] } });
    }
    const out = composeServices(ctx, cluster, { dataStores: stores, resolveSecret: (_svc, from) => pulumi.secret(`fake-password-for-tests-${from}`) });
    return { hosts: out.hosts, kubeconfig: cluster.kubeconfig, unresolved: out.unresolvedSecrets };
  };
}

export const k8s = (inv: Inventory, kind: string): InventoryResource[] => inv.resources.filter((r) => r.type.startsWith("kubernetes:") && ((r.inputs as any).kind === kind || r.type.endsWith(`:${kind}`)));
export const ofType = (inv: Inventory, type: string) => inv.resources.filter((r) => r.type === type);
export const podSpecOf = (r: InventoryResource): any => (r.inputs as any).spec?.template?.spec;
