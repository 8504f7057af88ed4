/**
 * Every Helm chart the program installs, in one table, and the one function every Helm release
 * takes its chart source from.
 *
 *   CHART_PINS          chart name, official repository URL, pinned version, date the pin was checked
 *   helmChartSource()   pin + mirror → the `chart` / `version` / `repositoryOpts` of a helm.v3.Release
 *   parseMirrorSetting  `platform:charts.mirror` (or PLATFORM_CHARTS_MIRROR) → what kind of mirror
 *   readDirectoryMirror a directory chart repository → the archive of every pin, or the problems
 *
 * Nothing else in the program names a chart version or a chart repository URL
 * (test/charts/pins.test.ts asserts it, and that every pin exists in the shared offline mirror).
 * Bump a pin here, deliberately, after reading the chart's changelog; then run
 * `npx vitest run test/charts` (the real `helm template` of every release with our values) and
 * update `checked`.
 *
 * Sources (stacks/spec: `platform:charts.mirror`, else PLATFORM_CHARTS_MIRROR, else official):
 *   official              chart name + version + repositoryOpts.repo = the chart's own repository
 *   repository (https://) chart name + version + repositoryOpts.repo = the mirror URL
 *   directory             chart = the absolute path of the archive the mirror's index.yaml lists
 *                         for the pinned version (version kept for the record), no repositoryOpts
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";

export interface ChartPin {
  /** Chart name in its repository. */
  readonly chart: string;
  /** The chart's official repository (a Helm chart repository URL with an index.yaml). */
  readonly repo: string;
  /** Exact chart version (no ranges). */
  readonly version: string;
  /** When the pin was last checked: exists upstream and in the mirror, renders with our values (YYYY-MM-DD). */
  readonly checked: string;
}

export const CHART_PINS = {
  // components/cluster (add-ons)
  // The only ingress controller (ingress-nginx was retired in March 2026; docs/design.md).
  traefik: { chart: "traefik", repo: "https://traefik.github.io/charts", version: "41.3.0", checked: "2026-12-03" },
  certManager: { chart: "cert-manager", repo: "https://charts.jetstack.io", version: "v1.21.1", checked: "2026-12-03" },
  metricsServer: { chart: "metrics-server", repo: "https://kubernetes-sigs.github.io/metrics-server/", version: "3.13.1", checked: "2026-12-03" },
  clusterAutoscaler: { chart: "cluster-autoscaler", repo: "https://kubernetes.github.io/autoscaler", version: "9.59.0", checked: "2026-12-03" },
  // Image admission (components/cluster/admission.ts): allowed registries and cosign verification; Kyverno v1.19.0.
  kyverno: { chart: "kyverno", repo: "https://kyverno.github.io/kyverno/", version: "3.9.0", checked: "2026-12-03" },
  // The Prometheus Operator CRDs, installed by the cluster before any chart that renders a
  // ServiceMonitor. Must carry the same operator version as kubePrometheusStack (31.0.1 and 88.5.3
  // are both operator v0.93.1: test/charts/pins.test.ts compares their CRDs).
  prometheusOperatorCrds: {
    chart: "prometheus-operator-crds",
    repo: "https://prometheus-community.github.io/helm-charts",
    version: "31.0.1",
    checked: "2026-12-03",
  },
  // components/monitoring
  kubePrometheusStack: { chart: "kube-prometheus-stack", repo: "https://prometheus-community.github.io/helm-charts", version: "88.5.3", checked: "2026-12-03" },
  loki: { chart: "loki", repo: "https://grafana.github.io/helm-charts", version: "7.3.0", checked: "2026-12-03" },
  // The log collector on every node (components/monitoring/logs.ts says why Fluent Bit); image = appVersion 5.1.1.
  fluentBit: { chart: "fluent-bit", repo: "https://fluent.github.io/helm-charts", version: "0.58.1", checked: "2026-12-02" },
  otelCollector: {
    chart: "opentelemetry-collector",
    repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
    version: "0.170.0",
    checked: "2026-12-03",
  },
  // The tempo chart moved to grafana-community (the grafana repository stops at 1.24.4).
  tempo: { chart: "tempo", repo: "https://grafana-community.github.io/helm-charts", version: "2.2.4", checked: "2026-12-03" },
  jaeger: { chart: "jaeger", repo: "https://jaegertracing.github.io/helm-charts", version: "3.3.1", checked: "2026-12-02" },
  // The adapter's image tag is the chart's appVersion: pinned by this version.
  prometheusAdapter: { chart: "prometheus-adapter", repo: "https://prometheus-community.github.io/helm-charts", version: "5.3.0", checked: "2026-12-03" },
  // components/secrets (External Secrets Operator, EKS tiers)
  externalSecrets: { chart: "external-secrets", repo: "https://charts.external-secrets.io", version: "2.9.0", checked: "2026-12-03" },
  // components/data operators (CloudNativePG 0.29.0 = operator 1.30.0: the Cluster CRD still has
  // barmanObjectStore, deprecated for the Barman Cloud plugin; test/charts validates our Cluster against it)
  cloudnativePg: { chart: "cloudnative-pg", repo: "https://cloudnative-pg.github.io/charts", version: "0.29.0", checked: "2026-12-03" },
  scyllaOperator: { chart: "scylla-operator", repo: "https://scylla-operator-charts.storage.googleapis.com/stable", version: "v1.21.1", checked: "2026-12-03" },
  // components/gitops: Argo CD (app v3.4.4) for `delivery.mode: gitops`, Argo Rollouts (controller
  // v1.9.0) for blue-green/canary services on staging and prod.
  argoCd: { chart: "argo-cd", repo: "https://argoproj.github.io/argo-helm", version: "10.1.1", checked: "2026-12-02" },
  argoRollouts: { chart: "argo-rollouts", repo: "https://argoproj.github.io/argo-helm", version: "2.41.0", checked: "2026-12-02" },
} as const satisfies Record<string, ChartPin>;

export type ChartKey = keyof typeof CHART_PINS;

/**
 * Every other pinned version the program deploys, in the same table: EKS managed add-ons, container
 * images the program names itself (not charts' own images), and managed database engine versions.
 * `evidence` says how the pin was checked on `checked`: `verified: <how>` or `unverified: <why not>`
 * (no guessing: a pin nobody could check says so). Nothing else in the program names one of these
 * values (test/charts/pins.test.ts), and no two rows pin the same thing.
 */
export interface VersionPin {
  readonly kind: "eks-addon" | "image" | "engine";
  /** The exact value the program deploys (add-on version, image reference, engine version). */
  readonly value: string;
  /** YYYY-MM-DD the row was last reviewed. */
  readonly checked: string;
  readonly evidence: `verified: ${string}` | `unverified: ${string}`;
}

export const VERSION_PINS = {
  // EKS managed add-ons (components/cluster/eks.ts), for the cluster version of stacks/preflight/eks-support.ts.
  vpcCniAddon: {
    kind: "eks-addon",
    value: "v1.22.3-eksbuild.1",
    checked: "2026-12-03",
    evidence:
      "unverified: for Kubernetes 1.36 no page naming a vpc-cni build was found (searched the AWS user guide's 'Amazon VPC CNI versions' table: only <= 1.32 in the corpus; public PRs). v1.22.3-eksbuild.1 is offered for 1.33 (https://github.com/ministryofjustice/cloud-platform-infrastructure/pull/4678, 2026-07-08) and vpc-cni builds are usually offered across all supported versions, but run `aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name vpc-cni` before the first deploy (the old v1.19.0-eksbuild.1 is from 2024)",
  },
  ebsCsiAddon: {
    kind: "eks-addon",
    value: "v1.66.0-eksbuild.1",
    checked: "2026-12-03",
    evidence:
      "verified: https://github.com/mitodl/ol-infrastructure/pull/5959 (2026-09-21) names v1.66.0-eksbuild.1 as the aws-ebs-csi-driver version AWS marks defaultVersion for Kubernetes 1.36 (nothing removed or renamed since v1.65; the gp3 StorageClass needs no IAM change)",
  },
  // The deploy runner (components/delivery): CodeBuild's curated image.
  codebuildRunner: {
    kind: "image",
    value: "aws/codebuild/standard:7.0",
    checked: "2026-12-03",
    evidence:
      "unverified: kept; searched the docs/issues corpora for a newer curated image (aws/codebuild/standard:8.0, Ubuntu 24.04) and for standard:7.0's deprecation and found neither; check https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-available.html before the first deploy",
  },
  // The ingress controller (components/cluster/addons.ts): Traefik Proxy, newer than the traefik chart 41.3.0's appVersion
  // (v3.7.11), the version whose code the tests run (tools/engine/traefik builds traefik-crd on github.com/traefik/traefik/v3 v3.7.13).
  traefik: {
    kind: "image",
    value: "docker.io/traefik:v3.7.13",
    checked: "2026-12-03",
    evidence:
      "verified: https://github.com/docker-library/official-images/pull/22206 (2026-09-04, merged) bumps the official traefik image to v3.7.13; the Go module proxy serves github.com/traefik/traefik/v3 v3.7.13",
  },
  // Logs (components/monitoring/logs.ts): the appVersions of the pinned fluent-bit and loki charts.
  fluentBit: {
    kind: "image",
    value: "cr.fluentbit.io/fluent/fluent-bit:5.1.1",
    checked: "2026-12-03",
    evidence: "verified: the appVersion of the pinned fluent-bit chart in the mirror (test/charts/pins.test.ts)",
  },
  loki: {
    kind: "image",
    value: "grafana/loki:3.6.12",
    checked: "2026-12-03",
    evidence: "verified: the appVersion of the pinned loki chart in the mirror (test/charts/pins.test.ts)",
  },
  // Plain-manifest (local tier) and single-host monitoring (components/monitoring/plan.ts).
  // Prometheus 3 (2.x left support with the 2.53 LTS on 2025-07-31): the same version kube-prometheus-stack
  // runs on the EKS tiers, so one rule table is evaluated by one engine everywhere. Our use is v3-safe:
  // only --config.file/--storage.tsdb.path/--storage.tsdb.retention.time, static and endpoints SD, no
  // feature flags, no Alertmanager v1, no le/quantile matchers.
  prometheus: {
    kind: "image",
    value: "quay.io/prometheus/prometheus:v3.14.0",
    checked: "2026-12-03",
    evidence:
      "verified: the pinned kube-prometheus-stack chart in the mirror sets prometheus.prometheusSpec.image to quay.io/prometheus/prometheus:v3.14.0-distroless (test/charts/pins.test.ts); the plain v3.14.0 tag: https://github.com/fabio-garavini/hassio-addons/pull/872 (2026-08-19) lists prom/prometheus v3.14.0, released 2026-08-17",
  },
  nodeExporter: {
    kind: "image",
    value: "quay.io/prometheus/node-exporter:v1.12.1",
    checked: "2026-12-03",
    evidence:
      "verified: the appVersion (1.12.1, image quay.io/prometheus/node-exporter, tag v<appVersion>) of the prometheus-node-exporter chart inside the pinned kube-prometheus-stack in the mirror (test/charts/pins.test.ts); that chart's own DaemonSet still passes --path.rootfs and --collector.filesystem.mount-points-exclude, the two flags the droplet uses",
  },
  // cAdvisor images moved from gcr.io/cadvisor to ghcr.io/google/cadvisor with v0.54.0 (Dec 2025).
  cadvisor: {
    kind: "image",
    value: "ghcr.io/google/cadvisor:v0.60.6",
    checked: "2026-12-03",
    evidence:
      "unverified: the release is evidenced (https://github.com/aminvakil/aur/pull/827, 2026-09-19, packages upstream cAdvisor 0.60.6; https://github.com/google/cadvisor/pull/3806, 2025-12-24: images from v0.54.0 on are pushed to ghcr.io, not gcr.io) and the exact tag ghcr.io/google/cadvisor:v0.60.6 appears pinned in public repositories (code search), but no citable page lists that tag; our --disable_metrics values were not re-checked against 0.60's flag list",
  },
  otelCollector: {
    kind: "image",
    value: "otel/opentelemetry-collector-contrib:0.158.0",
    checked: "2026-12-03",
    evidence:
      "verified: the appVersion (0.158.0) of the pinned opentelemetry-collector chart in the mirror, whose default image is otel/opentelemetry-collector-contrib:<appVersion> (test/charts/pins.test.ts); the chart rewrites our deprecated `otlp` exporter name to `otlp_grpc` (rewriteDeprecatedComponentNames: true)",
  },
  // Single host (components/host) and in-cluster data stores (components/data): one row per image, shared.
  // Caddy 2.11 reads our JSON config as 2.8 did (only Caddy 2.6 features are generated; components/host/README.md).
  caddy: {
    kind: "image",
    value: "caddy:2.11.4-alpine",
    checked: "2026-12-03",
    evidence:
      "verified: https://github.com/docker-library/official-images/pull/21589 (2026-06-03) releases caddy v2.11.4 to the official image (its Linux tags are Alpine-based: 2.11.4-alpine, pinned by digest in public repositories); the newest caddy official-images release found (searched v2.11.5 and v2.12: none)",
  },
  postgres15: {
    kind: "image",
    value: "postgres:15.19-bookworm",
    checked: "2026-12-03",
    evidence:
      "verified: https://github.com/docker-library/official-images/pull/22048 (2026-08-13) lists 'Update 15 to 15.19, trixie 15.19-1.pgdg13+2, bookworm 15.19-1.pgdg12+2' (tag 15.19-bookworm); no later postgres update found (searched 15.20/16.16/17.12)",
  },
  postgres16: {
    kind: "image",
    value: "postgres:16.15-bookworm",
    checked: "2026-12-03",
    evidence:
      "verified: https://github.com/docker-library/official-images/pull/22048 (2026-08-13) lists 'Update 16 to 16.15, trixie 16.15-1.pgdg13+2, bookworm 16.15-1.pgdg12+2' (tag 16.15-bookworm); no later postgres update found (searched 15.20/16.16/17.12)",
  },
  postgres17: {
    kind: "image",
    value: "postgres:17.11-bookworm",
    checked: "2026-12-03",
    evidence:
      "verified: https://github.com/docker-library/official-images/pull/22048 (2026-08-13) lists 'Update 17 to 17.11, trixie 17.11-1.pgdg13+2, bookworm 17.11-1.pgdg12+2' (tag 17.11-bookworm); no later postgres update found (searched 15.20/16.16/17.12)",
  },
  // Redis stays on 7.4 (supported with security fixes, redis/redis SECURITY.md): 8.x changes the licence
  // (AGPLv3 option) and bundles modules; a move is the user's decision, not a pin refresh.
  redis: {
    kind: "image",
    value: "redis:7.4.11-bookworm",
    checked: "2026-12-03",
    evidence:
      "unverified: https://github.com/docker-library/official-images/pull/21927 (2026-07-25) lists redis 7.4.10; https://github.com/docker-library/official-images/pull/22078 (2026-08-18) is a later security release 'across all supported versions' whose version list was not readable here; 7.4.11 (-bookworm, -alpine) is pinned by digest in public repositories (code search), but no citable page naming redis:7.4.11-bookworm was found. Fall back to redis:7.4.10-bookworm if the registry lacks it",
  },
  // SeaweedFS numbers releases continuously (3.99 → 4.00 was not a format break); the master/volume/filer
  // flags we pass (-mdir -defaultReplication -volumeSizeLimitMB -ip -ip.bind -s3.config) are the ones the
  // seaweedfs 4.44 chart in the mirror still passes.
  seaweedfs: {
    kind: "image",
    value: "chrislusf/seaweedfs:4.47",
    checked: "2026-12-03",
    evidence:
      "verified: https://github.com/shaman007/home-k3s/pull/769 (2026-09-15) lists the Docker Hub tag chrislusf/seaweedfs 4.46 → 4.47 (release https://github.com/seaweedfs/seaweedfs/releases/tag/4.47); newer not found",
  },
  redisExporter: {
    kind: "image",
    value: "oliver006/redis_exporter:v1.90.0",
    checked: "2026-12-03",
    evidence:
      "verified: https://github.com/shaman007/home-k3s/pull/676 (2026-08-27) lists the Docker Hub tag oliver006/redis_exporter v1.89.0 → v1.90.0; v1.91.1 is released (https://github.com/voxpupuli/puppet-prometheus/pull/1082, 2026-08-21, dependency bumps only) but no page naming its image tag was found; REDIS_ADDR/REDIS_PASSWORD/REDIS_EXPORTER_SKIP_TLS_VERIFICATION unchanged",
  },
  kubo: {
    kind: "image",
    value: "ipfs/kubo:v0.43.1",
    checked: "2026-12-03",
    evidence:
      "unverified: Kubo v0.43.1 is released (https://github.com/ipfs/kubo/pull/11456, 2026-09-08, 'Release v0.43.1') and ipfs/kubo:v0.43.1 is used in public repositories (code search), but no citable page lists the image tag; the config keys our init script sets (Addresses.API/Gateway, API.Authorizations, Swarm.DisableNatPortMap, Discovery.MDNS.Enabled, Routing.Type none) were not re-checked against the 0.33–0.43 changelogs",
  },
  // CloudNativePG operand images per PostgreSQL major (components/data/postgres/plan.ts).
  // PostgreSQL 14 reached end of life in November 2026 (final minor 14.24 here): keep for existing clusters, plan the major upgrade.
  cnpgPostgres14: {
    kind: "image",
    value: "ghcr.io/cloudnative-pg/postgresql:14.24",
    checked: "2026-12-03",
    evidence:
      "unverified: the plain <major>.<minor> tags are CloudNativePG's legacy 'system' images (bookworm, with barman-cloud, which our in-tree barmanObjectStore backups need; the standard/minimal images lack it); PostgreSQL 14.24 is the 2026-08-13 minor release (https://github.com/docker-library/official-images/pull/22048) and ghcr.io/cloudnative-pg/postgresql:14.24 is pinned by digest in public repositories (code search), but no citable page (the artifacts catalog was not in the corpus) lists that tag",
  },
  cnpgPostgres15: {
    kind: "image",
    value: "ghcr.io/cloudnative-pg/postgresql:15.19",
    checked: "2026-12-03",
    evidence:
      "unverified: the plain <major>.<minor> tags are CloudNativePG's legacy 'system' images (bookworm, with barman-cloud, which our in-tree barmanObjectStore backups need; the standard/minimal images lack it); PostgreSQL 15.19 is the 2026-08-13 minor release (https://github.com/docker-library/official-images/pull/22048) and ghcr.io/cloudnative-pg/postgresql:15.19 is pinned by digest in public repositories (code search), but no citable page (the artifacts catalog was not in the corpus) lists that tag",
  },
  cnpgPostgres16: {
    kind: "image",
    value: "ghcr.io/cloudnative-pg/postgresql:16.15",
    checked: "2026-12-03",
    evidence:
      "unverified: the plain <major>.<minor> tags are CloudNativePG's legacy 'system' images (bookworm, with barman-cloud, which our in-tree barmanObjectStore backups need; the standard/minimal images lack it); PostgreSQL 16.15 is the 2026-08-13 minor release (https://github.com/docker-library/official-images/pull/22048) and ghcr.io/cloudnative-pg/postgresql:16.15 is pinned by digest in public repositories (code search), but no citable page (the artifacts catalog was not in the corpus) lists that tag",
  },
  cnpgPostgres17: {
    kind: "image",
    value: "ghcr.io/cloudnative-pg/postgresql:17.11",
    checked: "2026-12-03",
    evidence:
      "unverified: the plain <major>.<minor> tags are CloudNativePG's legacy 'system' images (bookworm, with barman-cloud, which our in-tree barmanObjectStore backups need; the standard/minimal images lack it); PostgreSQL 17.11 is the 2026-08-13 minor release (https://github.com/docker-library/official-images/pull/22048) and ghcr.io/cloudnative-pg/postgresql:17.11 is pinned by digest in public repositories (code search), but no citable page (the artifacts catalog was not in the corpus) lists that tag",
  },
  // ScyllaDB (components/data/scylla): the default version of the ScyllaCluster.
  // ScyllaDB Open Source 6.2 is no longer on ScyllaDB's supported list; the supported releases (2025.1 LTS,
  // 2025.3+, 2026.x) are source-available under a different licence: a product decision, not a pin refresh.
  scylla: {
    kind: "engine",
    value: "6.2.2",
    checked: "2026-12-03",
    evidence:
      "unverified: kept, and out of support: https://docs.scylladb.com/stable/versioning/version-support.html lists ScyllaDB 2025.1 (LTS), 2025.3, 2025.4 as supported and not Open Source 6.2; moving to 2025.x/2026.x changes the licence and must be checked against scylla-operator v1.21's supported versions (the chart in the mirror names none). No newer 6.2.x patch was searched out",
  },
  // Managed engines: Aurora PostgreSQL per major (components/data/postgres/plan.ts, the `aurora` engine).
  auroraPostgres15: {
    kind: "engine",
    value: "15.10",
    checked: "2026-12-03",
    evidence:
      "unverified: kept; no AWS access offline, and Aurora minors are region-dependent and retired on AWS's calendar, so a stale minor can fail to create. Evidence found: the Aurora user guide's upgrade-target table (https://docs.aws.amazon.com/zh_cn/AmazonRDS/latest/AuroraUserGuide/USER_UpgradeDBInstance.PostgreSQL.UpgradeVersion.html, undated) lists up to 17.6/16.10; public CDK code from 2026 pins 17.9 and 17.10 (code search, no citable page). Run `aws rds describe-db-engine-versions --engine aurora-postgresql --query 'DBEngineVersions[].EngineVersion'` in the target region and pin the newest minor per major",
  },
  auroraPostgres16: {
    kind: "engine",
    value: "16.6",
    checked: "2026-12-03",
    evidence:
      "unverified: kept; no AWS access offline, and Aurora minors are region-dependent and retired on AWS's calendar, so a stale minor can fail to create. Evidence found: the Aurora user guide's upgrade-target table (https://docs.aws.amazon.com/zh_cn/AmazonRDS/latest/AuroraUserGuide/USER_UpgradeDBInstance.PostgreSQL.UpgradeVersion.html, undated) lists up to 17.6/16.10; public CDK code from 2026 pins 17.9 and 17.10 (code search, no citable page). Run `aws rds describe-db-engine-versions --engine aurora-postgresql --query 'DBEngineVersions[].EngineVersion'` in the target region and pin the newest minor per major",
  },
  auroraPostgres17: {
    kind: "engine",
    value: "17.4",
    checked: "2026-12-03",
    evidence:
      "unverified: kept; no AWS access offline, and Aurora minors are region-dependent and retired on AWS's calendar, so a stale minor can fail to create. Evidence found: the Aurora user guide's upgrade-target table (https://docs.aws.amazon.com/zh_cn/AmazonRDS/latest/AuroraUserGuide/USER_UpgradeDBInstance.PostgreSQL.UpgradeVersion.html, undated) lists up to 17.6/16.10; public CDK code from 2026 pins 17.9 and 17.10 (code search, no citable page). Run `aws rds describe-db-engine-versions --engine aurora-postgresql --query 'DBEngineVersions[].EngineVersion'` in the target region and pin the newest minor per major",
  },
  // Managed engines: ElastiCache Redis (components/data/redis/plan.ts).
  // The last Redis OSS engine ElastiCache offers; AWS's path forward is Valkey (7.2 … 9.1), a separate engine choice.
  elasticacheRedis: {
    kind: "engine",
    value: "7.1",
    checked: "2026-12-03",
    evidence:
      "verified: https://docs.amazonaws.cn/en_us/AmazonElastiCache/latest/dg/supported-engine-versions.html (read 2026-12-03; the page is undated) lists ElastiCache for Redis OSS 7.1 as the newest Redis OSS version ('all Redis OSS 7.1 and earlier'); newer engines there are Valkey only",
  },
} as const satisfies Record<string, VersionPin>;

export type VersionKey = keyof typeof VERSION_PINS;

/** `traefik@41.3.0`: how a pin is named in messages and in a directory mirror's archive map. */
export function pinId(pin: Pick<ChartPin, "chart" | "version">): string {
  return `${pin.chart}@${pin.version}`;
}

/** Where Helm releases take their charts from (resolved: a directory mirror carries the archive of every pin). */
export const chartMirror = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("official") }),
  z.strictObject({ kind: z.literal("repository"), url: z.string().regex(/^https?:\/\/\S+$/) }),
  z.strictObject({
    kind: z.literal("directory"),
    /** Absolute path of the mirror directory. */
    dir: z.string().refine((d) => path.isAbsolute(d), "must be an absolute path"),
    /** `chart@version` → absolute path of its archive, as the mirror's index.yaml lists it. */
    archives: z.record(z.string(), z.string()),
  }),
]);
export type ChartMirror = z.infer<typeof chartMirror>;
export const OFFICIAL_REPOSITORIES: ChartMirror = { kind: "official" };

/** What a helm.v3.Release needs to find its chart. */
export interface HelmChartSource {
  chart: string;
  version: string;
  repositoryOpts?: { repo: string };
}

/** The one place a Helm release's chart source is decided. */
export function helmChartSource(pin: ChartPin, mirror: ChartMirror = OFFICIAL_REPOSITORIES): HelmChartSource {
  switch (mirror.kind) {
    case "official":
      return { chart: pin.chart, version: pin.version, repositoryOpts: { repo: pin.repo } };
    case "repository":
      return { chart: pin.chart, version: pin.version, repositoryOpts: { repo: mirror.url } };
    case "directory": {
      const archive = mirror.archives[pinId(pin)];
      // The spec validated the mirror against every pin before anything was registered; reaching
      // this means a component was handed a mirror that was not read with readDirectoryMirror.
      if (!archive)
        throw new Error(`platform:charts.mirror: the directory mirror ${mirror.dir} has no ${pin.chart} ${pin.version}: ${addChartFix(pin, mirror.dir)}`);
      return { chart: archive, version: pin.version };
    }
  }
}

/** The chart name of a release's `chart` input, whichever source it came from (a directory mirror gives an archive path). */
export function chartNameOf(chart: string, version?: string): string {
  const base = chart.replace(/^.*\//, "");
  if (!/\.tgz$/.test(base)) return base;
  const stem = base.slice(0, -4);
  if (version && stem.endsWith(`-${version}`)) return stem.slice(0, -(version.length + 1));
  return stem.replace(/-v?\d+\.\d+\.\d+([-+][\w.+-]*)?$/, "");
}

// ------------------------------------------------------------------ the mirror setting

export type MirrorSetting =
  { kind: "official" } | { kind: "repository"; url: string } | { kind: "directory"; path: string } | { kind: "invalid"; message: string };

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Classify a mirror setting (pure; nothing is read). `official` (or empty) = the charts' own
 * repositories; `https://…` (or loopback `http://127.0.0.1|localhost`) = a chart repository URL;
 * anything without a scheme = a directory path.
 */
export function parseMirrorSetting(raw: string): MirrorSetting {
  const value = raw.trim();
  if (value === "" || value === "official") return { kind: "official" };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "directory", path: value };
  if (scheme !== "https" && scheme !== "http") {
    return {
      kind: "invalid",
      message: `'${scheme}://' is not a chart repository this program can use: give an https:// chart repository URL (one that serves index.yaml), or a directory path holding index.yaml and the chart archives${scheme === "file" ? " (write the path without file://)" : ""}`,
    };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { kind: "invalid", message: `'${value}' is not a valid URL: give a chart repository URL such as https://charts.example.com/helm` };
  }
  if (url.username || url.password) {
    return {
      kind: "invalid",
      message:
        "the URL carries credentials: they would end up in the stack file and in every release's state; use a mirror that needs none (or a directory mirror)",
    };
  }
  if (scheme === "http" && !LOOPBACK.has(url.hostname)) {
    return {
      kind: "invalid",
      message: `plain http:// is accepted on loopback only (127.0.0.1 or localhost): charts fetched over plain HTTP can be swapped in transit; use https://${url.host}${url.pathname === "/" ? "" : url.pathname} or a directory mirror`,
    };
  }
  return { kind: "repository", url: value.replace(/\/+$/, "") };
}

// ------------------------------------------------------------------ directory mirrors

interface IndexEntry {
  version?: unknown;
  urls?: unknown;
}

/** The fix for a pin the mirror lacks: fetch it from the official repository and re-index. */
export function addChartFix(pin: ChartPin, dir: string): string {
  return `add it to the mirror (\`helm pull ${pin.chart} --repo ${pin.repo} --version ${pin.version} -d ${dir} && helm repo index ${dir}\`) or point platform:charts.mirror at a mirror that has it`;
}

/**
 * Read a directory chart repository: index.yaml must list every pin, with an archive that exists.
 * Returns the archive (absolute path) of each pin, and every problem (each message names the
 * chart and the fix); `mirror` only when there is no problem.
 */
export function readDirectoryMirror(dir: string, pins: readonly ChartPin[] = Object.values(CHART_PINS)): { mirror?: ChartMirror; problems: string[] } {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) {
    return {
      problems: [
        `directory ${abs} does not exist: create the mirror there (chart archives + \`helm repo index ${abs}\`), fix the path (relative paths are resolved against the project directory), or remove the setting to use the official repositories`,
      ],
    };
  }
  if (!fs.statSync(abs).isDirectory()) return { problems: [`${abs} is not a directory: give the directory that holds index.yaml and the chart archives`] };
  const indexFile = path.join(abs, "index.yaml");
  if (!fs.existsSync(indexFile))
    return { problems: [`${abs} has no index.yaml, so it is not a chart repository: copy the chart archives into it and run \`helm repo index ${abs}\``] };
  let index: { entries?: Record<string, IndexEntry[]> };
  try {
    index = (parse(fs.readFileSync(indexFile, "utf8")) ?? {}) as typeof index;
  } catch (err) {
    return { problems: [`${indexFile} is not valid YAML (${(err as Error).message.split("\n")[0]}): regenerate it with \`helm repo index ${abs}\``] };
  }
  if (!index || typeof index !== "object" || typeof index.entries !== "object" || index.entries === null) {
    return { problems: [`${indexFile} has no \`entries\`, so it is not a Helm repository index: regenerate it with \`helm repo index ${abs}\``] };
  }
  const problems: string[] = [];
  const archives: Record<string, string> = {};
  const bare = (v: string) => v.replace(/^v/, "");
  for (const pin of pins) {
    const versions = Array.isArray(index.entries[pin.chart]) ? index.entries[pin.chart]! : [];
    const entry = versions.find((e) => String(e?.version) === pin.version) ?? versions.find((e) => bare(String(e?.version)) === bare(pin.version));
    if (!entry) {
      const have = versions.map((e) => String(e?.version)).filter((v) => v !== "undefined");
      problems.push(
        `the mirror ${abs} lacks chart ${pin.chart} version ${pin.version}${have.length ? ` (it has ${have.join(", ")})` : ""}: ${addChartFix(pin, abs)}`,
      );
      continue;
    }
    const url = Array.isArray(entry.urls) && typeof entry.urls[0] === "string" ? entry.urls[0] : undefined;
    if (!url) {
      problems.push(`${indexFile} lists ${pin.chart} ${pin.version} without a URL: regenerate it with \`helm repo index ${abs}\``);
      continue;
    }
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url) && !url.startsWith("file://")) {
      problems.push(
        `${indexFile} lists ${pin.chart} ${pin.version} at ${url}, which is not in the directory: a directory mirror needs relative URLs; regenerate the index with \`helm repo index ${abs}\` (no --url)`,
      );
      continue;
    }
    const file = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : path.resolve(abs, decodeURIComponent(url));
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      problems.push(
        `${indexFile} lists ${pin.chart} ${pin.version} as ${url}, but ${file} does not exist: copy the archive there or regenerate the index with \`helm repo index ${abs}\``,
      );
      continue;
    }
    archives[pinId(pin)] = file;
  }
  return problems.length ? { problems } : { mirror: { kind: "directory", dir: abs, archives }, problems };
}
