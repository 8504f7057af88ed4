/** Shared fixtures for the Kubernetes tests: service specs and a parse-then-plan helper. */
import { serviceArgs } from "../../components/service/args";
import { planService, type ServicePlan } from "../../components/service/plan";
import type { ServiceSpecInput } from "../../components/service/spec";
import { RESOURCES } from "../../stacks/spec/tiers";

export const API: ServiceSpecInput = {
  name: "api",
  image: "ghcr.io/example/api:1.0.0",
  ports: { http: 8080, health: 8081, metrics: 9090 },
  probes: { liveness: { path: "/health/live" }, readiness: { path: "/health/ready" } },
  exposure: "public",
  routes: [
    { host: "api", path: "/", group: "api" },
    { host: "api", path: "/auth", group: "auth" },
  ],
  rateLimits: { api: { requestsPerSecond: 20, burst: 40 }, auth: { requestsPerSecond: 2, burst: 0 } },
  cors: { allowedOrigins: ["self", "https://admin.example.com"] },
  autoscaling: { cpuPercent: 70, memoryPercent: 80 },
  connectsTo: ["postgres/main", "postgres/rds"],
  calls: ["relay"],
};

export const RELAY: ServiceSpecInput = {
  name: "relay",
  image: "ghcr.io/example/relay:2.0.0",
  ports: { http: 7000, metrics: 9464 },
  probes: { liveness: { path: "/healthz" }, readiness: { path: "/readyz" } },
  exposure: "internal",
  connectsTo: ["redis/cache"],
  egress: ["peer"],
};

export const WORKER: ServiceSpecInput = {
  name: "worker",
  image: "ghcr.io/example/worker:3.0.0",
  ports: { http: 9000 },
  probes: { liveness: { path: "/healthz" }, readiness: { path: "/healthz" } },
  exposure: "none",
  autoscaling: { cpuPercent: 60, custom: { metric: "queue_depth", targetAverageValue: 30 } },
  connectsTo: ["redis/cache"],
  egress: ["mailgun"],
};

export function planFor(spec: ServiceSpecInput, over: Record<string, unknown> = {}): ServicePlan {
  const a = serviceArgs.parse({
    spec,
    namespace: "apps",
    replicas: { min: 3, max: 20 },
    resources: RESOURCES.full,
    autoscaling: true,
    disruptionBudgets: true,
    domain: "example.com",
    ingress: { controller: "traefik", className: "traefik", clusterIssuer: "letsencrypt" },
    selfOrigin: "https://example.com",
    serviceMonitor: { enabled: true },
    ...over,
  });
  const { secretEnv, ...rest } = a;
  return planService({ ...rest, secretEnvKeys: Object.keys(secretEnv) });
}

export const kinds = (p: ServicePlan, kind: string): any[] => p.manifests.filter((m) => m.manifest.kind === kind).map((m) => m.manifest);
