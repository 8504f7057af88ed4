/**
 * The app stack of the single host as data: networks, volumes and containers (the shape of a
 * docker-compose file) derived from the same ServiceSpec the Kubernetes workloads come from.
 * Pure (no Pulumi import); the HostApp class only turns this plan into @pulumi/docker resources.
 *
 * Networks:
 *   `<name>-edge`  bridge; Caddy and the service containers (services reach the internet for SaaS egress).
 *   `<name>-data`  bridge with `internal: true` (no route out, nothing published): PostgreSQL, Redis,
 *                  and only the services that `connectsTo` a store.
 * Only the Caddy container publishes ports (80, 443). Data containers publish none.
 *
 * Containers run with restart `unless-stopped`, a health check from the spec's liveness probe,
 * no privileges, all capabilities dropped (Caddy keeps NET_BIND_SERVICE), no-new-privileges,
 * a read-only root filesystem with tmpfs scratch space, and a non-root user (PostgreSQL and
 * Redis as their images' uid 999; services as 10001 unless the spec'd image needs another).
 */
import type { ServiceSpec } from "../service/spec";
import { BACKUP_DATABASES_LABEL, BACKUP_LABEL, BACKUP_USER_LABEL } from "./cloudinit";

export type NetworkKey = "edge" | "data";

export type SecretSource =
  | { kind: "postgres"; store: string; part: "url" | "readerUrl" | "host" | "password" }
  | { kind: "redis"; store: string; part: "url" | "readerUrl" | "host" | "password" }
  | { kind: "config"; key: string }
  | { kind: "generated"; name: string }
  /** Resolved by the caller (e.g. an S3 object store's keys): the raw `from` string. */
  | { kind: "external"; from: string };

export interface ContainerPlan {
  /** Resource-name suffix and role. */
  key: string;
  role: "service" | "postgres" | "redis" | "proxy";
  /** Docker container name (also its DNS name on the networks). */
  containerName: string;
  /** Extra DNS names on its networks: a service's replicas share `<service>` (as a Kubernetes Service name would). */
  aliases: string[];
  image: string;
  networks: NetworkKey[];
  /** Published ports: ONLY the proxy has any. */
  ports: { internal: number; external: number; protocol: "tcp" }[];
  env: Record<string, string>;
  /** `from` is the spec's reference string (`dataStore:postgres/main`, `config:key`, ...). */
  secretEnv: { env: string; source: SecretSource; from?: string }[];
  command?: string[];
  healthcheck?: { tests: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
  user?: string;
  readOnly: boolean;
  tmpfs: Record<string, string>;
  capAdd: string[];
  volumes: { volume: string; target: string }[];
  binds: { hostPath: string; target: string; readOnly: true }[];
  labels: Record<string, string>;
  /** Keys of containers that must be healthy first (compose `depends_on: service_healthy`). */
  dependsOn: string[];
  memoryMb?: number;
}

export interface HostAppPlan {
  networks: { key: NetworkKey; name: string; internal: boolean }[];
  volumes: { key: string; name: string; stateful: boolean }[];
  containers: ContainerPlan[];
  /** DNS name and port of each data store on the data network. */
  stores: { postgres: Record<string, { host: string; port: number; user: string; database: string }>; redis: Record<string, { host: string; port: number }> };
}

export interface HostAppPlanInput {
  name: string;
  services: ServiceSpec[];
  replicas?: Record<string, number>;
  postgres: { name: string; version: "15" | "16" | "17"; databases: string[] }[];
  redis: { name: string; persistence: boolean }[];
  images: { caddy: string; postgres: Record<"15" | "16" | "17", string>; redis: string };
  serviceUser: string;
  memoryMb?: number;
  /** Host directory with the built SPA, mounted read-only into Caddy at SPA_ROOT. */
  webAppDir?: string;
}

export const SPA_ROOT = "/srv/site";
export const CADDY_STORAGE = "/data/caddy";
export const CADDY_CONFIG_ENV = "CADDY_CONFIG_JSON";
export const PG_USER = "app";

const SCRATCH = "rw,noexec,nosuid,size=64m";
export const serviceContainerName = (name: string, svc: string, i: number) => `${name}-${svc}-${i}`;

function httpCheck(port: number, path: string): string[] {
  const url = `http://127.0.0.1:${port}${path}`;
  return ["CMD-SHELL", `curl -fsS -o /dev/null ${url} || wget -q -O /dev/null ${url} || exit 1`];
}

/** `dataStore:postgres/main#password` → a SecretSource; throws on an unsupported scheme. */
export function secretSource(from: string): SecretSource {
  const [scheme, rest] = [from.slice(0, from.indexOf(":")), from.slice(from.indexOf(":") + 1)];
  if (scheme === "config") return { kind: "config", key: rest };
  if (scheme === "generated") return { kind: "generated", name: rest };
  const [ref, part = "url"] = rest.split("#") as [string, string?];
  const [kind, store] = ref.split("/") as [string, string];
  if ((kind === "postgres" || kind === "redis") && ["url", "readerUrl", "host", "password"].includes(part)) {
    return { kind, store, part: part as "url" };
  }
  return { kind: "external", from };
}

export function planHostApp(input: HostAppPlanInput): HostAppPlan {
  const n = input.name;
  const errors: string[] = [];
  const networks: HostAppPlan["networks"] = [
    { key: "edge", name: `${n}-edge`, internal: false },
    { key: "data", name: `${n}-data`, internal: true },
  ];
  const volumes: HostAppPlan["volumes"] = [
    { key: "caddy-data", name: `${n}-caddy-data`, stateful: true },
    { key: "caddy-config", name: `${n}-caddy-config`, stateful: false },
  ];
  const containers: ContainerPlan[] = [];
  const stores: HostAppPlan["stores"] = { postgres: {}, redis: {} };
  const base: Pick<ContainerPlan, "ports" | "env" | "secretEnv" | "binds" | "labels" | "dependsOn" | "capAdd" | "readOnly" | "aliases"> = {
    aliases: [],
    ports: [],
    env: {},
    secretEnv: [],
    binds: [],
    labels: {},
    dependsOn: [],
    capAdd: [],
    readOnly: true,
  };
  const mem = input.memoryMb !== undefined ? { memoryMb: input.memoryMb } : {};

  for (const pg of input.postgres) {
    const key = `pg-${pg.name}`;
    const host = `${n}-${key}`;
    const database = pg.databases[0]!;
    stores.postgres[pg.name] = { host, port: 5432, user: PG_USER, database };
    volumes.push({ key, name: host, stateful: true });
    containers.push({
      ...base,
      key,
      role: "postgres",
      containerName: host,
      image: input.images.postgres[pg.version],
      networks: ["data"],
      env: { POSTGRES_USER: PG_USER, POSTGRES_DB: database },
      secretEnv: [{ env: "POSTGRES_PASSWORD", source: { kind: "postgres", store: pg.name, part: "password" } }],
      healthcheck: { tests: ["CMD", "pg_isready", "-U", PG_USER, "-d", database], interval: "10s", timeout: "5s", retries: 5, startPeriod: "30s" },
      user: "999:999",
      tmpfs: { "/var/run/postgresql": "rw,nosuid,size=16m", "/tmp": SCRATCH },
      volumes: [{ volume: key, target: "/var/lib/postgresql/data" }],
      labels: { [BACKUP_LABEL]: "pg_dump", [BACKUP_USER_LABEL]: PG_USER, [BACKUP_DATABASES_LABEL]: database },
      ...mem,
    });
    if (pg.databases.length > 1)
      errors.push(
        `postgres.${pg.name}.databases: the single host creates one database per PostgreSQL container (${database}); list one, or run ${pg.databases.slice(1).join(", ")} as separate stores`,
      );
  }
  for (const r of input.redis) {
    const key = `redis-${r.name}`;
    const host = `${n}-${key}`;
    stores.redis[r.name] = { host, port: 6379 };
    if (r.persistence) volumes.push({ key, name: host, stateful: true });
    containers.push({
      ...base,
      key,
      role: "redis",
      containerName: host,
      image: input.images.redis,
      networks: ["data"],
      secretEnv: [{ env: "REDIS_PASSWORD", source: { kind: "redis", store: r.name, part: "password" } }],
      command: ["sh", "-c", `exec redis-server --requirepass "$REDIS_PASSWORD" ${r.persistence ? "--appendonly yes" : "--save '' --appendonly no"}`],
      healthcheck: {
        tests: ["CMD-SHELL", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG'],
        interval: "10s",
        timeout: "5s",
        retries: 5,
        startPeriod: "10s",
      },
      user: "999:999",
      tmpfs: { "/tmp": SCRATCH },
      volumes: r.persistence ? [{ volume: key, target: "/data" }] : [],
      ...mem,
    });
  }

  for (const svc of input.services) {
    const count = input.replicas?.[svc.name] ?? 1;
    const usesData = svc.connectsTo.some((c) => c.startsWith("postgres/") || c.startsWith("redis/"));
    const deps = svc.connectsTo.flatMap((c) => {
      const [kind, store] = c.split("/") as [string, string];
      if (kind === "postgres")
        return stores.postgres[store] ? [`pg-${store}`] : (errors.push(`services.${svc.name}.connectsTo: no PostgreSQL '${store}' on this host`), []);
      if (kind === "redis")
        return stores.redis[store] ? [`redis-${store}`] : (errors.push(`services.${svc.name}.connectsTo: no Redis '${store}' on this host`), []);
      return [];
    });
    const live = svc.probes.liveness;
    const startup = svc.probes.startup;
    const healthPort = svc.ports.health ?? svc.ports.http;
    const secretEnv = svc.secrets.map((s) => ({ env: s.env, source: secretSource(s.from), from: s.from }));
    for (const s of secretEnv) {
      const src = s.source;
      if ((src.kind === "postgres" && !stores.postgres[src.store]) || (src.kind === "redis" && !stores.redis[src.store])) {
        errors.push(`services.${svc.name}.secrets.${s.env}: no ${src.kind} '${src.store}' on this host`);
      }
    }
    for (let i = 0; i < count; i++) {
      const key = `${svc.name}-${i}`;
      containers.push({
        ...base,
        key,
        role: "service",
        containerName: serviceContainerName(n, svc.name, i),
        aliases: [svc.name],
        image: svc.image,
        networks: usesData ? ["edge", "data"] : ["edge"],
        env: { ...svc.env },
        secretEnv,
        healthcheck: {
          tests: httpCheck(healthPort, live.path),
          interval: `${live.periodSeconds}s`,
          timeout: "5s",
          retries: live.failureThreshold,
          startPeriod: `${startup ? startup.periodSeconds * startup.failureThreshold : 0}s`,
        },
        user: input.serviceUser,
        tmpfs: { "/tmp": SCRATCH },
        volumes: [],
        labels: { "platform.service": svc.name, "platform.replica": String(i) },
        dependsOn: deps,
        ...mem,
      });
    }
  }

  containers.push({
    ...base,
    key: "caddy",
    role: "proxy",
    containerName: `${n}-caddy`,
    image: input.images.caddy,
    networks: ["edge"],
    ports: [
      { internal: 80, external: 80, protocol: "tcp" },
      { internal: 443, external: 443, protocol: "tcp" },
    ],
    // The config arrives in an env var and is written to tmpfs, so the root filesystem stays read-only.
    command: ["sh", "-c", `printf '%s' "$${CADDY_CONFIG_ENV}" > /run/caddy/caddy.json && exec caddy run --config /run/caddy/caddy.json`],
    healthcheck: { tests: ["CMD-SHELL", "nc -z 127.0.0.1 443 || exit 1"], interval: "30s", timeout: "5s", retries: 3, startPeriod: "20s" },
    tmpfs: { "/run/caddy": "rw,nosuid,size=4m", "/tmp": SCRATCH },
    capAdd: ["NET_BIND_SERVICE"],
    volumes: [
      { volume: "caddy-data", target: "/data" },
      { volume: "caddy-config", target: "/config" },
    ],
    binds: input.webAppDir ? [{ hostPath: input.webAppDir, target: SPA_ROOT, readOnly: true }] : [],
    // No dependency on the services: the SPA and the redirect stay up while an API is unhealthy (Caddy answers 502/503).
    ...mem,
  });

  if (errors.length) throw new Error(`host app plan: invalid input\n  - ${errors.join("\n  - ")}`);
  return { networks, volumes, containers, stores };
}
