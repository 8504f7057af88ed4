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
import { loadSpec, readBlueprint } from "../../stacks/spec/load";
import type { PlatformSpec } from "../../stacks/spec/platform";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";

// The zone plan as the committed stack files declare it (the gateway blueprint's edge WAF needs Pro).
const CF = { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210", plan: "pro" };

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

/** A spec for `tier`: `blueprint` is a blueprint object, a file name under blueprints/, or the Nuxt/Fastify default. */
export function specFor(tier: "local" | "staging" | "prod" | "dev", blueprint?: unknown, extra: Record<string, unknown> = {}): PlatformSpec {
  const fromFile = typeof blueprint === "string" || blueprint === undefined;
  const bpName = typeof blueprint === "string" ? blueprint : ((blueprint as { name?: string })?.name ?? "nuxt-fastify-beta-droplet");
  const data = (fromFile ? readBlueprint(bpName).data : blueprint) as { secrets?: { external?: { name: string }[] } };
  const config: Record<string, unknown> = { tier, blueprint: bpName, domain: "example.com" };
  if (tier === "local") config.cluster = { renderDir: mkdtempSync(join(tmpdir(), "k8s-render-")) };
  else {
    config.certificates = { email: "platform@example.com" };
    config.cloudflare = CF;
    config.delivery = {
      repository: "acme/platform",
      connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/0f1e2d3c-4b5a-4697-8877-665544332211",
    };
    if ((data as any)?.edge?.provider === "cloudfront") config.route53ZoneId = "Z0123456789ABCDEFGHIJ";
    // staging and prod refuse a stack whose alerts reach nobody: one webhook receiver, a fake secret.
    if (tier !== "dev") {
      config.alerting = { receivers: [{ name: "oncallHook", type: "webhook" }], routes: { critical: ["oncallHook"], warning: ["oncallHook"] } };
      config.alertingSecrets = { oncallHook: "https://hooks.example.invalid/fake-test-webhook" };
    }
    const external = data?.secrets?.external ?? [];
    if (external.length) config.secrets = Object.fromEntries(external.map((e) => [e.name, "fake-password-for-tests"]));
  }
  if (tier === "dev") config.hosting = "kubernetes";
  return loadSpec({ stack: tier, config: { ...config, ...extra }, ...(fromFile ? {} : { blueprint }) });
}

/** The program body: network → cluster → services, with data-store network contracts faked per the data contract. */
export function k8sProgram(spec: PlatformSpec, env: Record<string, string> = {}) {
  return () => {
    const providers = buildProviders(spec);
    const ctx: Context = {
      spec,
      providers,
      humanSecrets: Object.fromEntries(spec.blueprint.secrets.external.map((s) => [s.name, pulumi.secret("fake-password-for-tests")])),
    };
    const network = composeNetwork(ctx);
    if (network) ctx.network = network;
    const cluster = composeCluster(ctx, env)!;
    ctx.cluster = cluster;
    const stores = fakeStores(spec, cluster.namespaces);
    const out = composeServices(ctx, cluster, {
      dataStores: stores,
      resolveSecret: (_svc, from) => pulumi.secret(`fake-password-for-tests-${from}`),
      ...(spec.blueprint.monitoring.traces !== "none" ? { otlpEndpoint: `otel-collector.${cluster.namespaces.monitoring}.svc.cluster.local:4317` } : {}),
    });
    return { hosts: out.hosts, kubeconfig: cluster.kubeconfig, unresolved: out.unresolvedSecrets };
  };
}

/** Data-store network contracts as components/data hands them over (managed → `aws`, in-cluster → `kubernetes`). */
export function fakeStores(spec: PlatformSpec, ns: { apps: string; data: string }): NetpolStore[] {
  const ds = spec.blueprint.dataStores;
  const local = spec.profile.dataPlacement === "statefulset";
  const inCluster = (kind: string, name: string, port: number): NetpolStore => {
    const sel = { "app.kubernetes.io/name": kind, "app.kubernetes.io/instance": name };
    return {
      ref: `${kind}/${name}`,
      network: {
        kind: "kubernetes",
        namespace: ns.data,
        ports: [tcp(kind, port)],
        ingress: [{ purpose: "clients", podSelector: sel, ports: [tcp(kind, port)], from: { namespaces: [ns.apps] } }],
        egress: [],
      },
    };
  };
  const managed = (ref: string, port: number, sgs: number): NetpolStore => ({
    ref,
    network: { kind: "aws", ports: [tcp("client", port)], allowedSecurityGroupCount: sgs },
  });
  return [
    ...ds.postgres.map((p) => (!local && p.placement === "managed" ? managed(`postgres/${p.name}`, 5432, 1) : inCluster("postgres", p.name, 5432))),
    ...ds.redis.map((r) => (!local && r.placement === "managed" ? managed(`redis/${r.name}`, 6379, 1) : inCluster("redis", r.name, 6379))),
    ...ds.objectStores.map((o) => (!local && o.engine === "s3" ? managed(`objectStore/${o.name}`, 443, 0) : inCluster("objectStore", o.name, 8333))),
    ...ds.scylla.map((c) => inCluster("scylla", c.name, 9042)),
    ...ds.ipfs.map((c) => inCluster("ipfs", c.name, 5001)),
  ];
}

export const k8s = (inv: Inventory, kind: string): InventoryResource[] =>
  inv.resources.filter((r) => r.type.startsWith("kubernetes:") && ((r.inputs as any).kind === kind || r.type.endsWith(`:${kind}`)));
export const ofType = (inv: Inventory, type: string) => inv.resources.filter((r) => r.type === type);
export const podSpecOf = (r: InventoryResource): any => (r.inputs as any).spec?.template?.spec;
