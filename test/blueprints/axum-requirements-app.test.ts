/**
 * axum-requirements-app (shared/reference-systems/axum-requirements-app.md): the facts of its
 * deployment view, on the inventory of every tier the blueprint supports.
 *  7.1 Kubernetes: the view's "nginx Ingress" role (TLS termination, rate limiting) served by Traefik
 *      (ingress-nginx is retired) + cert-manager TLS, Axum API 2+ replicas with HPA and
 *      liveness/readiness probes, PostgreSQL primary + replica with WAL archiving, Redis,
 *      SeaweedFS (master + ≥3 volume servers), Prometheus, OTel Collector, JSON logs to Loki.
 *  7.2 single host: app + postgres + redis on one host behind a reverse proxy, Postgres/Redis not
 *      exposed, pg_dump backups.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { supportedTiers } from "../../scripts/plan-lib";
import { TIERS, dataReplicas } from "../../stacks/spec/tiers";
import {
  T,
  Runs,
  containersByRole,
  containerPorts,
  dockerLabels,
  egressRules,
  envOf,
  helmChart,
  hpaFor,
  hpaMetrics,
  ingressBackendPorts,
  ingressesOf,
  inventoryOf,
  rateLimitsOf,
  traefikRoutes,
  mainContainer,
  meta,
  ofType,
  runTiers,
  spec,
  storeComponent,
  within,
  workload,
} from "./helpers";

const NAME = "axum-requirements-app";
let runs: Runs;
beforeAll(async () => {
  runs = await runTiers(NAME, supportedTiers(NAME));
}, 300_000);

describe(`${NAME}: tiers`, () => {
  it("supports every tier (Kubernetes for local/staging/prod, the single host for dev)", () => {
    expect(supportedTiers(NAME)).toEqual(["local", "dev", "staging", "prod"]);
  });
  it.each(["local", "dev", "staging", "prod"] as const)("plans on %s", (tier) => {
    expect(inventoryOf(runs, tier).outputs.blueprint).toBe(NAME);
  });
});

describe.each(["staging", "prod"] as const)(`${NAME} on %s (7.1 Kubernetes)`, (tier) => {
  const inv = () => inventoryOf(runs, tier);
  const domain = tier === "prod" ? "example.com" : "staging.example.com";

  it("the ingress controller (Traefik, Helm, ≥2 replicas; no ingress-nginx) and cert-manager with a Let's Encrypt ClusterIssuer", () => {
    const traefik = helmChart(inv(), "traefik");
    expect(traefik, "traefik Helm release").toBeDefined();
    expect((traefik!.inputs.values as any).deployment.replicas).toBeGreaterThanOrEqual(2);
    expect(helmChart(inv(), "ingress-nginx")).toBeUndefined();
    expect(helmChart(inv(), "cert-manager"), "cert-manager Helm release").toBeDefined();
    const issuers = ofType(inv(), T.clusterIssuer);
    expect(issuers.map((i) => spec(i)?.acme?.server)).toContain("https://acme-v02.api.letsencrypt.org/directory");
  });

  it("the API (REST + SPA) is routed by Traefik Ingresses on websecure with TLS from cert-manager; /metrics is never routed", () => {
    const ings = ingressesOf(inv(), "api");
    expect(ings.length).toBeGreaterThan(0);
    // Both route groups (api, web) serve the apex: one Certificate for it, its Secret named by both Ingresses.
    const certs = inv().resources.filter(
      (r) => r.type === "kubernetes:cert-manager.io/v1:Certificate" && (r.inputs.spec as any).secretName === `tls-${domain}`,
    );
    expect(certs.map((c) => (c.inputs.spec as any).issuerRef.name)).toEqual(["letsencrypt"]);
    for (const i of ings) {
      expect(spec(i).ingressClassName).toBe("traefik");
      expect(meta(i).annotations).toMatchObject({
        "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
        "traefik.ingress.kubernetes.io/router.tls": "true",
      });
      expect(spec(i).tls).toEqual([{ hosts: [domain], secretName: `tls-${domain}` }]);
      expect(meta(i).annotations?.["cert-manager.io/cluster-issuer"]).toBeUndefined();
    }
    const paths = ings.flatMap((i) => (spec(i).rules as any[]).flatMap((r) => r.http.paths.map((p: any) => p.path))).sort();
    expect(paths).toEqual(["/", "/api"]);
    expect(ingressBackendPorts(inv()).filter((b) => b.port === "metrics" || b.port === 9464)).toEqual([]);
  });

  it("rate limits per route group at the ingress (api stricter than the SPA)", () => {
    expect(rateLimitsOf(inv(), "api")).toEqual({ api: 30, web: 100 });
    // Each group's Ingress goes through its own RateLimit Middleware, the headers Middleware, then its body limit.
    expect(traefikRoutes(inv(), "api").map((r) => [r.group, r.middlewares])).toEqual([
      ["api", ["api-ratelimit-api", "api-headers", "api-bodylimit-api"]],
      ["web", ["api-ratelimit-web", "api-headers", "api-bodylimit-web"]],
    ]);
  });

  it("Axum API: Deployment with ≥2 replicas through an HPA on CPU and memory", () => {
    const w = workload(inv(), "api");
    expect(w.type).toBe(T.deployment);
    const hpa = hpaFor(inv(), w);
    expect(hpa, "HPA for the api Deployment").toBeDefined();
    expect(spec(hpa!).minReplicas).toBe(TIERS[tier].replicas.min);
    expect(spec(hpa!).minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpaMetrics(hpa!)).toEqual(["cpu", "memory"]);
  });

  it("liveness on /health/live and readiness on /health/ready, on the app port 8080", () => {
    const c = mainContainer(workload(inv(), "api"));
    expect(containerPorts(workload(inv(), "api"))).toMatchObject({ http: 8080, metrics: 9464 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: "/health/live", port: "http" });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/health/ready", port: "http" });
  });

  it("structured JSON logs, shipped to Loki", () => {
    expect(envOf(workload(inv(), "api")).LOG_FORMAT).toBe("json");
    expect(helmChart(inv(), "loki"), "Loki Helm release").toBeDefined();
  });

  it("OpenTelemetry: a collector, and the API is told where to send traces", () => {
    expect(helmChart(inv(), "opentelemetry-collector"), "OTel Collector Helm release").toBeDefined();
    expect(helmChart(inv(), "tempo"), "Tempo (trace backend)").toBeDefined();
    expect(envOf(workload(inv(), "api")).OTEL_EXPORTER_OTLP_ENDPOINT).toMatch(/otel-collector\.[a-z0-9-]+\.svc\.cluster\.local:4317/);
    // ...and its NetworkPolicy lets the spans out (OTLP gRPC to the collector).
    expect(egressRules(inv(), "api").some((r) => r.ports.some((p) => p.port === 4317))).toBe(true);
  });

  it("Prometheus scrapes /metrics (kube-prometheus-stack + a ServiceMonitor on the metrics port)", () => {
    expect(helmChart(inv(), "kube-prometheus-stack")).toBeDefined();
    const sm = ofType(inv(), T.serviceMonitor).find((s) => meta(s).name === "api");
    expect(spec(sm!).endpoints[0]).toMatchObject({ port: "metrics", path: "/metrics" });
  });

  it("PostgreSQL 16 in-cluster: primary + streaming replica (CloudNativePG) with WAL archiving to object storage", () => {
    const pg = storeComponent(inv(), "platform:data:Postgres", "main");
    const [cluster] = within(inv(), pg, T.cnpgCluster);
    expect(cluster, "CloudNativePG Cluster").toBeDefined();
    expect(spec(cluster!).instances).toBe(1 + dataReplicas(TIERS[tier], 1));
    expect(spec(cluster!).instances).toBeGreaterThanOrEqual(2);
    expect(spec(cluster!).imageName).toMatch(/postgresql:16\./);
    expect(spec(cluster!).backup?.barmanObjectStore?.destinationPath).toMatch(/^s3:\/\//);
    expect(spec(cluster!).backup?.barmanObjectStore?.wal).toBeDefined();
  });

  it("Redis 7 for sessions, persistent", () => {
    const redis = storeComponent(inv(), "platform:data:Redis", "sessions");
    const [sts] = within(inv(), redis, T.statefulSet);
    expect(sts, "Redis StatefulSet").toBeDefined();
    expect(spec(sts!).volumeClaimTemplates?.length).toBeGreaterThan(0);
    expect(mainContainer(sts!).image).toMatch(/redis:7/);
  });

  it("SeaweedFS: master + volume servers (≥3 in prod) + filer with the S3 API", () => {
    const s3 = storeComponent(inv(), "platform:data:ObjectStore", "files");
    const sets = within(inv(), s3, T.statefulSet).map((s) => ({ name: String(meta(s).name), replicas: spec(s).replicas as number }));
    const volume = sets.find((s) => /volume/.test(s.name));
    expect(sets.some((s) => /master/.test(s.name))).toBe(true);
    expect(sets.some((s) => /filer/.test(s.name))).toBe(true);
    expect(volume?.replicas).toBeGreaterThanOrEqual(tier === "prod" ? 3 : 1);
  });

  it('SeaweedFS "StatefulSet 3+: master + volume servers" "with replication": 3 Raft masters in prod, every volume kept twice (-defaultReplication=001)', () => {
    const s3 = storeComponent(inv(), "platform:data:ObjectStore", "files");
    const master = within(inv(), s3, T.statefulSet).find((s) => /master/.test(String(meta(s).name)))!;
    const args: string[] = mainContainer(master).args ?? mainContainer(master).command ?? [];
    const flat = args.join(" ");
    expect(spec(master).replicas).toBe(tier === "prod" ? 3 : 1);
    expect(flat).toContain("-defaultReplication=001");
    if (tier === "prod") expect((flat.match(/-peers=(\S+)/)?.[1] ?? "").split(",")).toHaveLength(3);
    const volume = within(inv(), s3, T.statefulSet).find((s) => /volume/.test(String(meta(s).name)))!;
    expect(spec(volume).replicas).toBeGreaterThanOrEqual(2); // 001 keeps a second copy on another volume server
  });

  it("the API connects only to its stores: egress to PostgreSQL, Redis and SeaweedFS, nothing on the internet", () => {
    const pol = ofType(inv(), T.netpol).find((p) => spec(p).podSelector?.matchLabels?.["app.kubernetes.io/name"] === "api");
    expect(pol, "NetworkPolicy for the api pods").toBeDefined();
    const ports = (spec(pol!).egress as any[]).flatMap((r) => (r.ports ?? []).map((p: any) => p.port)).sort((a: number, b: number) => a - b);
    expect(ports).toEqual(expect.arrayContaining([5432, 6379]));
    expect((spec(pol!).egress as any[]).flatMap((r) => (r.to ?? []).map((t: any) => t.ipBlock?.cidr)).filter(Boolean)).not.toContain("0.0.0.0/0");
  });
});

describe(`${NAME} on local (rendered manifests, nothing fetched at run time)`, () => {
  const inv = () => inventoryOf(runs, "local");
  it("no Helm releases; the API Deployment runs 1 replica with both probes", () => {
    expect(ofType(inv(), T.helm)).toEqual([]);
    const w = workload(inv(), "api");
    expect(spec(w).replicas).toBe(1);
    expect(mainContainer(w).livenessProbe.httpGet.path).toBe("/health/live");
    expect(mainContainer(w).readinessProbe.httpGet.path).toBe("/health/ready");
  });
  it("PostgreSQL, Redis and SeaweedFS run in-cluster as plain StatefulSets", () => {
    for (const [type, name] of [
      ["platform:data:Postgres", "main"],
      ["platform:data:Redis", "sessions"],
      ["platform:data:ObjectStore", "files"],
    ] as const) {
      expect(within(inv(), storeComponent(inv(), type, name), T.statefulSet).length, `${type} ${name}`).toBeGreaterThan(0);
    }
  });
  it("an Ingress for the API and a plain-manifest Prometheus", () => {
    expect(ingressesOf(inv(), "api").length).toBeGreaterThan(0);
    expect(ofType(inv(), T.deployment).some((d) => /prometheus/.test(String(meta(d).name)))).toBe(true);
  });
});

describe(`${NAME} on dev (7.2 single host: app + postgres + redis, host reverse proxy)`, () => {
  const inv = () => inventoryOf(runs, "dev");
  it("one EC2 host; only the reverse proxy publishes ports (80/443)", () => {
    expect(ofType(inv(), T.ec2)).toHaveLength(1);
    const published = ofType(inv(), T.container).filter((c) => ((c.inputs.ports as any[]) ?? []).length > 0);
    expect(published.map((c) => dockerLabels(c)["platform.role"])).toEqual(["proxy"]);
    expect(((published[0]!.inputs.ports as any[]) ?? []).map((p) => p.external).sort()).toEqual([443, 80].sort());
  });
  it("the app container is health-checked on /health/live (port 8080)", () => {
    const [app] = ofType(inv(), T.container).filter((c) => dockerLabels(c)["platform.service"] === "api");
    expect(app, "api container").toBeDefined();
    expect(JSON.stringify((app!.inputs.healthcheck as any).tests)).toMatch(/8080.*\/health\/live|\/health\/live.*8080/);
  });
  it("postgres and redis containers on the internal network, postgres backed up with pg_dump", () => {
    expect(containersByRole(inv(), "postgres")).toHaveLength(1);
    expect(containersByRole(inv(), "redis")).toHaveLength(1);
    expect(dockerLabels(containersByRole(inv(), "postgres")[0]!)).toMatchObject({ "platform.backup": "pg_dump" });
  });
});
