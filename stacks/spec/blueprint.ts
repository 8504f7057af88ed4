/**
 * Blueprint schema: the topology of one system (what runs, how it connects), no sizes.
 * `blueprints/<name>.yaml` files are validated against it; `blueprints/blueprint.schema.json`
 * is generated from it (`npm run schema`) so editors validate the YAML as you type.
 */
import { z } from "zod";
import { dnsLabel, imageRef, port, serviceSpec } from "../../components/service/spec";
import { deliverySpec } from "./release";

const cidr = z.string().refine((s) => isCidr(s), { message: "must be an IPv4 or IPv6 CIDR such as `203.0.113.0/24`" });

export function isCidr(s: string): boolean {
  const v4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
  const v6 = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|\d?\d)$/;
  return v4.test(s) || v6.test(s);
}

/** A network outside the platform that services may reach (peer network, SaaS, RPC provider). */
export const externalNetwork = z.strictObject({
  description: z.string().max(200).default(""),
  /** Destination ranges. `0.0.0.0/0` is allowed only for HTTPS (443) SaaS whose addresses are not published. */
  cidrs: z.array(cidr).min(1),
  ports: z.array(port).min(1),
  protocol: z.enum(["TCP", "UDP"]).default("TCP"),
});

const storeName = z.string().regex(/^[a-z][-a-z0-9]{0,30}$/, { message: "must be a short lower-case name such as `main` or `events`" });
/** Where a data store runs when the tier lets the blueprint choose (staging/prod). */
const placement = z.enum(["managed", "in-cluster"]);

export const postgresSpec = z.strictObject({
  name: storeName,
  description: z.string().max(200).default(""),
  version: z.enum(["15", "16", "17"]).default("16"),
  /** Read replicas at full (prod) scale; lower tiers scale this down from the environment matrix. */
  readReplicas: z.int().min(0).max(5).default(0),
  databases: z
    .array(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/))
    .min(1)
    .default(["app"]),
  /** Point-in-time recovery via continuous WAL archiving (where the tier keeps backups). */
  pitr: z.boolean().default(true),
  placement: placement.default("managed"),
  /** Connection pooling in front of the primary (PgBouncer / RDS Proxy). */
  pooling: z.boolean().default(false),
  /**
   * The blueprint object store (its `name`) that receives this database's WAL archive and base
   * backups (in-cluster PostgreSQL, where the tier keeps backups); that store's bucket then gets the
   * backups lifecycle (Glacier, expiry). Omitted = the blueprint's SeaweedFS, else a `db-backups`
   * bucket of the stack.
   */
  backupsTo: storeName.optional(),
});

export const redisSpec = z.strictObject({
  name: storeName,
  description: z.string().max(200).default(""),
  version: z.enum(["7"]).default("7"),
  /** Replicas at full scale (the music platform runs 1 primary + 1 replica). */
  replicas: z.int().min(0).max(5).default(0),
  /** Keep data on disk across restarts (sessions that must survive). */
  persistence: z.boolean().default(true),
  placement: placement.default("managed"),
});

export const objectStoreSpec = z.strictObject({
  name: storeName,
  description: z.string().max(200).default(""),
  /** `s3` (managed) or `seaweedfs` (in-cluster, S3 API). */
  engine: z.enum(["s3", "seaweedfs"]).default("s3"),
  versioning: z.boolean().default(true),
  /** Move noncurrent/backup objects to an archival tier after N days (0 = never). */
  archiveAfterDays: z.int().min(0).max(3650).default(0),
  /** Replicate to the stack's backup region (where the tier allows). */
  crossRegionReplication: z.boolean().default(false),
  /** SeaweedFS volume servers at full scale (≥3 for replication). */
  volumeServers: z.int().min(1).max(20).default(3),
});

export const scyllaSpec = z.strictObject({
  name: storeName,
  description: z.string().max(200).default(""),
  /** Members per rack at full scale. */
  members: z.int().min(1).max(9).default(3),
  keyspaces: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, { message: "keyspace names are lower-case identifiers" }),
        /** `persistent`: RF 3, durable writes; `volatile`: caches that can be rebuilt (RF ≤ 2, no durable writes). */
        durability: z.enum(["persistent", "volatile"]),
      }),
    )
    .min(1),
  /**
   * Where the keyspaces come back from after the whole cluster is lost. No Scylla backups are taken:
   * they need Scylla Manager, whose chart is not in the chart mirror (components/data/README.md).
   * The blueprint must therefore say, in its view's words, that the data can be rebuilt and from what.
   */
  rebuiltFrom: z
    .string()
    .min(20, { message: "say where the keyspaces are rebuilt from (at least a sentence): no Scylla backups are taken" })
    .max(300)
    .optional(),
});

export const ipfsSpec = z.strictObject({
  name: storeName,
  description: z.string().max(200).default(""),
  replicas: z.int().min(1).max(5).default(1),
  storageGi: z.int().min(1).max(10_000).default(50),
});

export const dataStoresSpec = z.strictObject({
  postgres: z.array(postgresSpec).default([]),
  redis: z.array(redisSpec).default([]),
  objectStores: z.array(objectStoreSpec).default([]),
  scylla: z.array(scyllaSpec).default([]),
  ipfs: z.array(ipfsSpec).default([]),
});

export const edgeSpec = z.strictObject({
  /** The web build served: decides hashed-asset conventions. */
  app: z.enum(["flutter-wasm", "nuxt", "next", "vite-spa"]),
  /** Host label under the stack domain (`app` → app.<domain>; `@` = apex). */
  host: z.union([z.literal("@"), dnsLabel]).default("@"),
  /** CDN implementation: the same header and cache rules either way. */
  provider: z.enum(["cloudflare", "cloudfront"]).default("cloudflare"),
  /** COEP mode: `require-corp` (default) or an explicit `credentialless`. */
  coep: z.enum(["require-corp", "credentialless"]).default("require-corp"),
  /** Content-Security-Policy for HTML responses. */
  csp: z
    .string()
    .min(1)
    .default(
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
    ),
  /** WAF rate limit per client IP (requests per 5 minutes); absent = no WAF. */
  rateLimitPer5Min: z.int().min(100).max(2_000_000_000).optional(),
  /**
   * A dynamic origin behind the CDN (e.g. a Next.js server behind the ingress): page routes go to
   * this public service over HTTPS; content-hashed assets are still served from the bucket.
   * Absent: a static SPA (routes fall back to index.html).
   */
  origin: z.strictObject({ service: dnsLabel }).optional(),
});

export const kubernetesTopology = z.strictObject({
  /**
   * Ingress controller of the cluster: Traefik (the default, and the only one). ingress-nginx was
   * retired by its maintainers in March 2026 and gets no security fixes, so `nginx` is refused with
   * the fix named rather than read as an unknown value (docs/design.md, "Ingress controller", maps
   * each nginx setting the platform used to its Traefik equivalent).
   */
  ingressController: z
    .enum(["traefik"], {
      error: (iss) =>
        iss.input === "nginx"
          ? "ingress-nginx was retired by its maintainers in March 2026 and gets no security fixes: set `ingressController: traefik` (or leave it out: traefik is the default); the platform's nginx settings (TLS, HSTS, CORS, rate limits, web-app headers, canary) have their Traefik equivalents (docs/design.md, Ingress controller)"
          : undefined,
    })
    .default("traefik"),
  /** Extra namespaces beyond the role namespaces (ingress, apps, data, monitoring). */
  serviceMesh: z.enum(["none"]).default("none"),
});

export const singleHostTopology = z.strictObject({
  /** The reverse proxy on the host. */
  proxy: z.enum(["caddy"]).default("caddy"),
});

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: "must be a Prometheus metric name such as bridge_transactions_total" });
const viewQuote = z.string().min(3).max(300);

/**
 * A metric the blueprint's alerts and dashboard read, and who produces it: the service's own
 * instrumentation (`source` names the file in the system's repository) or an exporter the
 * platform runs. Histograms are declared by their base name (`_bucket`, `_sum`, `_count` follow).
 */
export const exposedMetric = z.strictObject({
  metric: metricName,
  type: z.enum(["counter", "histogram", "gauge"]),
  /** The blueprint service that exposes it on its `metrics` port. */
  service: dnsLabel,
  /** Where the metric is defined (file in the system's repository, or the exporter). */
  source: z.string().min(3).max(300),
});

/** One alert of the blueprint's own (rendered next to the platform's table in components/monitoring/alerts.ts). */
export const blueprintAlert = z.strictObject({
  alert: z.string().regex(/^[A-Z][A-Za-z0-9]{2,62}$/, { message: "alert names are PascalCase such as BridgeTransferSuccessRateLow" }),
  /** The label Alertmanager routes on (`platform:alerting.routes.critical` / `.warning`). */
  severity: z.enum(["critical", "warning"]),
  /** PromQL of the measured quantity; the rule is `(measure) compare threshold`. */
  measure: z.string().min(1).max(2000),
  compare: z.enum([">", "<", ">=", "<=", "=="]),
  threshold: z.number(),
  for: z.string().regex(/^\d+[smh]$/, { message: "a Prometheus duration such as 5m" }),
  summary: z.string().min(3).max(200),
  /** The words of the reference view this alert answers. */
  view: viewQuote,
});

export const blueprintPanel = z.strictObject({
  title: z.string().min(1).max(100),
  /** Grafana unit: reqps, ops, percentunit, s, short, bytes... */
  unit: z.string().min(1).max(30),
  queries: z.array(z.strictObject({ expr: z.string().min(1).max(2000), legend: z.string().max(100).default("") })).min(1),
});

/** The blueprint's own dashboard: the panels its reference view names. */
export const blueprintDashboard = z.strictObject({
  title: z.string().min(3).max(100),
  view: viewQuote,
  panels: z.array(blueprintPanel).min(1).max(24),
});

export const monitoringSpec = z.strictObject({
  /** Metrics: Prometheus + Grafana + Alertmanager. */
  metrics: z.boolean().default(true),
  /** Structured JSON logs to Loki. */
  logs: z.boolean().default(true),
  /** Distributed tracing backend via an OpenTelemetry Collector. */
  traces: z.enum(["none", "tempo", "jaeger"]).default("tempo"),
  /** Grafana reachable from the internet (then only behind TLS and SSO). Default: private. */
  grafanaPublic: z.boolean().default(false),
  /** Metrics the blueprint's alerts and dashboard read, each with the service that exposes it. */
  exposes: z.array(exposedMetric).default([]),
  /** The blueprint's own alert rules (its view's business signals), on top of the platform's table. */
  alerts: z.array(blueprintAlert).default([]),
  /** The blueprint's own Grafana dashboard. */
  dashboard: blueprintDashboard.optional(),
});

export const secretsSpec = z.strictObject({
  /** Human-provided values (Pulumi config secrets under `platform:secrets.<name>`). */
  external: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][a-zA-Z0-9]*$/, { message: "must be a camelCase config key such as `mailgunApiKey`" }),
        description: z.string().max(200).default(""),
      }),
    )
    .default([]),
  /** Keys the platform generates and rotates (e.g. the relay's signing keys). */
  generated: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][-a-z0-9]*$/),
        description: z.string().max(200).default(""),
        /** Calendar rotation of a plain generated secret; a signing key (`signer` set) rotates only in two phases from stack config. */
        rotationDays: z.int().min(1).max(365).default(30),
        /**
         * A signing key (e.g. a relayer's key: a new key is a new on-chain address). `kms`: an AWS KMS
         * secp256k1 key whose private half never leaves KMS, wherever the services run on Kubernetes in
         * an AWS account (the local tier and a single-host dev stack use a raw key); `raw`: 32 random
         * bytes everywhere. Rotation: `platform:signingKeys.<name>` (issue `next`, promote, retire).
         */
        signer: z.enum(["kms", "raw"]).optional(),
      }),
    )
    .default([]),
});

/**
 * The team's local development setup, run by the `local` tier only (e.g. the bridge's "Local
 * testing via Hardhat node on localhost:8545"): a development chain beside the services, and
 * which env vars of which services point at it.
 */
export const localDevelopmentSpec = z.strictObject({
  chain: z
    .strictObject({
      name: dnsLabel.default("hardhat"),
      description: z.string().max(300).default(""),
      /** A pinned image (a version tag or digest, never `latest`). */
      image: imageRef.refine((s) => !/:latest$/.test(s) && /[:@]/.test(s.split("/").pop()!), {
        message: "pin the dev chain image to a version tag or digest, not latest",
      }),
      args: z.array(z.string()).default([]),
      /** JSON-RPC port (HTTP and WebSocket). */
      port: port.default(8545),
      chainId: z.int().min(1).default(31337),
      /** Per blueprint service: env var → `http` (JSON-RPC URL) or `ws` (subscriptions URL) of the chain. */
      clients: z.record(
        dnsLabel,
        z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: "env names are upper-case identifiers" }), z.enum(["http", "ws"])),
      ),
    })
    .optional(),
});
export type LocalDevelopmentSpec = z.infer<typeof localDevelopmentSpec>;

export const blueprintSpec = z.strictObject({
  /** Must equal the file name without `.yaml`. */
  name: dnsLabel,
  description: z.string().max(500),
  /** Where the system comes from (the reference deployment view). */
  source: z.string().max(200).optional(),
  /** Hosting topologies the system supports; at least one. */
  hosting: z
    .strictObject({
      kubernetes: kubernetesTopology.optional(),
      singleHost: singleHostTopology.optional(),
    })
    .refine((h) => h.kubernetes !== undefined || h.singleHost !== undefined, {
      message: "a blueprint needs at least one hosting topology: add `kubernetes: {}` and/or `singleHost: {}`",
    }),
  edge: edgeSpec.optional(),
  services: z.array(serviceSpec).min(1),
  dataStores: dataStoresSpec.default({ postgres: [], redis: [], objectStores: [], scylla: [], ipfs: [] }),
  externalNetworks: z.record(dnsLabel, externalNetwork).default({}),
  monitoring: monitoringSpec.default({ metrics: true, logs: true, traces: "tempo", grafanaPublic: false, exposes: [], alerts: [] }),
  secrets: secretsSpec.default({ external: [], generated: [] }),
  /** How the services are released: push (default) or GitOps through Argo CD (stacks/spec/release.ts). */
  delivery: deliverySpec.optional(),
  /** The team's local development setup, run on the `local` tier only. */
  localDevelopment: localDevelopmentSpec.optional(),
});

export type BlueprintSpec = z.infer<typeof blueprintSpec>;
export type EdgeSpec = z.infer<typeof edgeSpec>;
export type DataStoresSpec = z.infer<typeof dataStoresSpec>;
export type PostgresSpec = z.infer<typeof postgresSpec>;
export type RedisSpec = z.infer<typeof redisSpec>;
export type ObjectStoreSpec = z.infer<typeof objectStoreSpec>;
export type ScyllaSpec = z.infer<typeof scyllaSpec>;
export type IpfsSpec = z.infer<typeof ipfsSpec>;
export type ExternalNetwork = z.infer<typeof externalNetwork>;
export type MonitoringSpec = z.infer<typeof monitoringSpec>;
export type BlueprintAlert = z.infer<typeof blueprintAlert>;
export type BlueprintDashboard = z.infer<typeof blueprintDashboard>;
export type SecretsSpec = z.infer<typeof secretsSpec>;
