/**
 * music-platform-gitops (shared/reference-systems/music-platform-gitops.md): Next.js web, API and
 * queue workers on Kubernetes behind Traefik and CloudFront; PostgreSQL 1 primary + 2 replicas,
 * Redis 1 + 1, IPFS, a Solana RPC proxy with egress to Solana mainnet; HPA on CPU, memory and
 * queue length; network policies; Vault/KMS-backed secrets; backups hourly + daily with
 * cross-region copies; Prometheus/Grafana/Loki/OTel; blue-green (API) and canary (web).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { supportedTiers } from "../../scripts/plan-lib";
import { TIERS, dataReplicas } from "../../stacks/spec/tiers";
import { pushModeObjects } from "../../scripts/gitops-lib";
import type { Inventory } from "../../tools/harness/inventory";
import {
  T,
  Runs,
  egressRules,
  helmChart,
  hpaFor,
  hpaMetrics,
  ingressesOf,
  inventoryOf,
  meta,
  ofType,
  runTiers,
  spec,
  storeComponent,
  within,
  workload,
  workloads,
} from "./helpers";

const NAME = "music-platform-gitops";
let runs: Runs;
/** GitOps tiers: the objects Argo CD syncs from the deploy repository (scripts/gitops-lib.ts), as an inventory. */
const deployed: Partial<Record<string, Inventory>> = {};
beforeAll(async () => {
  runs = await runTiers(NAME, supportedTiers(NAME));
  for (const tier of ["staging", "prod"] as const) {
    const objs = await pushModeObjects(NAME, tier);
    const resources = objs.map((o) => {
      const [group, version] = String(o.manifest["apiVersion"]).includes("/")
        ? String(o.manifest["apiVersion"]).split("/")
        : ["core", String(o.manifest["apiVersion"])];
      return {
        urn: `deploy::${o.manifest["kind"]}::${o.manifest["metadata"].name}`,
        type: `kubernetes:${group}/${version}:${o.manifest["kind"]}`,
        name: o.manifest["metadata"].name,
        custom: true,
        dependencies: [],
        propertyDependencies: {},
        inputs: o.manifest,
        secretPaths: [],
        unknownPaths: [],
        options: {},
      };
    });
    deployed[tier] = { ...inventoryOf(runs, tier), resources: [...inventoryOf(runs, tier).resources, ...resources] } as Inventory;
  }
}, 300_000);
const ARGO = (tier: string) => tier === "staging" || tier === "prod";

const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

describe(`${NAME}: tiers`, () => {
  it.each(["local", "dev", "staging", "prod"] as const)("plans on %s, hosted on Kubernetes", (tier) => {
    expect(inventoryOf(runs, tier).outputs.hosting).toBe("kubernetes");
  });
});

describe.each(["staging", "prod"] as const)(`${NAME} on %s: GitOps`, (tier) => {
  const inv = () => inventoryOf(runs, tier);
  it("Pulumi installs Argo CD and Argo Rollouts (pinned charts), the AppProject and this environment's Application; it registers no service workload", () => {
    expect(helmChart(inv(), "argo-cd")).toBeDefined();
    expect(helmChart(inv(), "argo-rollouts")).toBeDefined();
    const [project] = ofType(inv(), "kubernetes:argoproj.io/v1alpha1:AppProject");
    expect(spec(project!).sourceRepos).toEqual(["https://github.com/normaldance/deploy.git"]);
    expect(spec(project!).clusterResourceWhitelist).toEqual([]);
    const apps = ofType(inv(), "kubernetes:argoproj.io/v1alpha1:Application");
    expect(apps).toHaveLength(1);
    const env = tier === "prod" ? "production" : "staging";
    expect(spec(apps[0]!).source).toEqual({
      repoURL: "https://github.com/normaldance/deploy.git",
      targetRevision: tier === "prod" ? "main" : "develop",
      path: "charts/normaldance",
      helm: { valueFiles: [`values-${env}.yaml`] },
    });
    expect(workloads(inv(), "web")).toEqual([]);
    expect(ofType(inv(), T.rollout)).toEqual([]);
  });
});

describe.each(["local", "dev", "staging", "prod"] as const)(`${NAME} on %s: workloads and segmentation`, (tier) => {
  // GitOps tiers: Pulumi's platform objects plus what Argo CD syncs from the deploy repository.
  const inv = () => deployed[tier] ?? inventoryOf(runs, tier);

  it("Argo Rollouts on staging/prod: web a 5 % Traefik-weighted canary, API blue-green with preview; workers and the RPC proxy Deployments", () => {
    if (!ARGO(tier)) {
      expect(ofType(inv(), T.rollout)).toEqual([]);
      return;
    }
    const web = spec(workload(inv(), "web")).strategy.canary;
    expect(web.trafficRouting).toEqual({ traefik: { weightedTraefikServiceName: "web-weighted" } });
    expect(web.steps.filter((x: any) => x.setWeight).map((x: any) => x.setWeight)).toEqual([5, 25, 50]);
    const api = spec(workload(inv(), "api")).strategy.blueGreen;
    expect(api).toMatchObject({ activeService: "api", previewService: "api-preview", autoPromotionEnabled: false, scaleDownDelaySeconds: 600 });
    expect(workload(inv(), "worker").type).toBe(T.deployment);
    expect(workload(inv(), "solana-rpc").type).toBe(T.deployment);
  });

  it("web (stable + canary), API (blue + green), workers and the Solana RPC proxy run as Deployments (local/dev) or Rollouts (staging/prod)", () => {
    if (ARGO(tier)) {
      expect(workload(inv(), "web").type).toBe(T.rollout);
      expect(workload(inv(), "api").type).toBe(T.rollout);
      expect(workloads(inv(), "worker")).toHaveLength(1);
      expect(workloads(inv(), "solana-rpc")).toHaveLength(1);
      return;
    }
    expect(workload(inv(), "web").type).toBe(T.deployment);
    expect(workload(inv(), "web", "canary").type).toBe(T.deployment);
    expect(workload(inv(), "api", "blue").type).toBe(T.deployment);
    expect(workload(inv(), "api", "green").type).toBe(T.deployment);
    expect(workloads(inv(), "worker")).toHaveLength(1);
    expect(workloads(inv(), "solana-rpc")).toHaveLength(1);
  });

  it("Traefik routes the web and the API with TLS and a rate-limit Middleware per route group; workers and the RPC proxy have no Ingress", () => {
    if (ARGO(tier)) {
      // The web canary: an IngressRoute to the weighted TraefikService (Traefik's Ingress provider cannot route to one).
      const routes = ofType(inv(), T.ingressRoute).filter((r) => meta(r).name === "web-web");
      expect(routes).toHaveLength(1);
      expect(spec(routes[0]!).tls.secretName).toMatch(/^tls-app\./); // the host's one Secret (one Certificate per host)
      expect(spec(routes[0]!).routes[0].services).toEqual([{ name: "web-weighted", namespace: "apps", kind: "TraefikService" }]);
      expect(spec(routes[0]!).routes[0].middlewares.map((m: any) => m.name)).toEqual(["web-ratelimit-web", "web-headers", "web-bodylimit-web"]);
    }
    for (const svc of ARGO(tier) ? ["api"] : ["web", "api"]) {
      const ings = ingressesOf(inv(), svc);
      expect(ings.length, `${svc} Ingress`).toBeGreaterThan(0);
      for (const i of ings) {
        expect(spec(i).ingressClassName).toBe("traefik");
        expect(meta(i).annotations?.["traefik.ingress.kubernetes.io/router.tls"]).toBe("true");
      }
    }
    expect([...ingressesOf(inv(), "worker"), ...ingressesOf(inv(), "solana-rpc")]).toEqual([]);
    const limits = Object.fromEntries(
      ofType(inv(), T.middleware)
        .filter((m) => spec(m).rateLimit)
        .map((m) => [meta(m).name, spec(m).rateLimit.average]),
    );
    expect(limits).toEqual({ "api-ratelimit-api": 30, "web-ratelimit-web": 50 });
  });

  it("blue-green API: the Service routes the active colour, a preview Service the idle one", () => {
    if (ARGO(tier)) {
      // Argo Rollouts adds the pod-template hash of the active / preview ReplicaSet to these selectors.
      const sel = Object.fromEntries(
        ofType(inv(), T.service)
          .filter((s) => /^api(-preview)?$/.test(String(meta(s).name)))
          .map((s) => [meta(s).name, spec(s).selector]),
      );
      expect(Object.keys(sel).sort()).toEqual(["api", "api-preview"]);
      return;
    }
    const svcs = Object.fromEntries(
      ofType(inv(), T.service)
        .filter((s) => /^api(-preview)?$/.test(String(meta(s).name)))
        .map((s) => [meta(s).name, spec(s).selector?.["platform.io/track"]]),
    );
    expect(svcs).toEqual({ api: "blue", "api-preview": "green" });
  });

  it("IPFS node as a StatefulSet with persistent storage", () => {
    const ipfs = storeComponent(inv(), "platform:data:Ipfs", "media");
    const [sts] = within(inv(), ipfs, T.statefulSet);
    expect(sts, "IPFS StatefulSet").toBeDefined();
    expect(spec(sts!).replicas).toBeGreaterThanOrEqual(1);
    const storage = spec(sts!).volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
    expect(storage).toMatch(/^\d+Gi$/);
    if (tier === "prod") expect(storage).toBe("200Gi");
  });

  it("the Solana RPC proxy egresses to Solana mainnet RPC (the blueprint's CIDR, 443 only, never private ranges)", () => {
    const rules = egressRules(inv(), "solana-rpc").filter((r) => r.cidrs.includes("0.0.0.0/0"));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.ports).toEqual([{ port: 443, protocol: "TCP" }]);
    expect(rules[0]!.except).toEqual(expect.arrayContaining(PRIVATE));
  });

  it("internet access only for the RPC proxy: web, API and workers have no internet egress", () => {
    for (const svc of ["web", "api", "worker"]) {
      expect(
        egressRules(inv(), svc).filter((r) => r.cidrs.includes("0.0.0.0/0")),
        svc,
      ).toEqual([]);
    }
  });

  it("database pods only accessible by backend services (API and workers)", () => {
    // Egress side: only the API and the workers may open PostgreSQL connections.
    const pgClients = ["web", "api", "worker", "solana-rpc"].filter((svc) => egressRules(inv(), svc).some((r) => r.ports.some((p) => p.port === 5432)));
    expect(pgClients).toEqual(["api", "worker"]);
    // Ingress side, where PostgreSQL runs in the cluster: its client rule admits exactly those pods.
    const pg = storeComponent(inv(), "platform:data:Postgres", "main");
    if (within(inv(), pg, T.rds).length === 0) {
      const clientPolicies = ofType(inv(), T.netpol).filter((p) => /^store-postgres-main-in-clients/.test(String(meta(p).name)));
      expect(clientPolicies.length, "PostgreSQL client NetworkPolicy").toBeGreaterThan(0);
      const from = clientPolicies
        .flatMap((p) => (spec(p).ingress as any[]).flatMap((r) => r.from.map((f: any) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"])))
        .sort();
      expect(from).toEqual(["api", "worker"]);
    }
  });
});

describe.each(["staging", "prod"] as const)(`${NAME} on %s: scaling, data, monitoring, secrets, edge`, (tier) => {
  // Platform objects from Pulumi, the services' objects (HPAs) from the deploy repository.
  const inv = () => deployed[tier] ?? inventoryOf(runs, tier);

  it("Traefik is installed (Helm) behind the cloud load balancer", () => {
    expect((helmChart(inv(), "traefik")?.inputs.values as any)?.service?.type).toBe("LoadBalancer");
  });

  it("HPA: API on CPU, memory and request rate (active colour); workers on CPU, memory and queue length; web on CPU and memory", () => {
    const api = hpaFor(inv(), workload(inv(), "api", ARGO(tier) ? "stable" : "blue"));
    const worker = hpaFor(inv(), workload(inv(), "worker"));
    const web = hpaFor(inv(), workload(inv(), "web"));
    expect(hpaMetrics(api!)).toEqual(["cpu", "http_requests_per_second", "memory"]);
    expect(hpaMetrics(worker!)).toEqual(["cpu", "memory", "queue_length"]);
    expect(hpaMetrics(web!)).toEqual(["cpu", "memory"]);
    for (const h of [api!, worker!, web!]) expect(spec(h).minReplicas).toBe(TIERS[tier].replicas.min);
  });

  it("custom HPA metrics (queue length, request rate) are served by a metrics adapter", () => {
    const adapter = helmChart(inv(), "prometheus-adapter") ?? helmChart(inv(), "keda");
    expect(adapter, "prometheus-adapter or KEDA Helm release").toBeDefined();
  });

  it("PostgreSQL StatefulSet cluster: 1 primary + 2 replicas in prod (1 in staging), WAL archiving and daily base backups", () => {
    const pg = storeComponent(inv(), "platform:data:Postgres", "main");
    const [cluster] = within(inv(), pg, T.cnpgCluster);
    expect(spec(cluster!).instances).toBe(1 + dataReplicas(TIERS[tier], 2));
    if (tier === "prod") expect(spec(cluster!).instances).toBe(3);
    expect(spec(cluster!).backup?.barmanObjectStore?.wal).toBeDefined();
    expect(within(inv(), pg, "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup")).toHaveLength(1);
  });

  it("Redis StatefulSet: 1 primary + 1 replica, persistent", () => {
    const redis = storeComponent(inv(), "platform:data:Redis", "cache");
    const [sts] = within(inv(), redis, T.statefulSet);
    expect(spec(sts!).replicas).toBe(1 + dataReplicas(TIERS[tier], 1));
    expect(spec(sts!).replicas).toBe(2);
    expect(spec(sts!).volumeClaimTemplates?.length).toBeGreaterThan(0);
  });

  it("backups bucket: S3 with versioning", () => {
    const b = storeComponent(inv(), "platform:data:ObjectStore", "backups");
    expect(within(inv(), b, "aws:s3/bucketVersioning:BucketVersioning")[0]?.inputs.versioningConfiguration).toMatchObject({ status: "Enabled" });
  });

  it("backups bucket: Glacier for long-term archival after 30 days (archiveAfterDays)", () => {
    const b = storeComponent(inv(), "platform:data:ObjectStore", "backups");
    const rules = (within(inv(), b, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0]?.inputs.rules ?? []) as any[];
    const transitions = rules.flatMap((r) => [...(r.transitions ?? []), ...(r.noncurrentVersionTransitions ?? [])]);
    expect(
      transitions.some((t) => /GLACIER/.test(t.storageClass) && (t.days ?? t.noncurrentDays) === 30),
      JSON.stringify(rules),
    ).toBe(true);
  });

  it("backups bucket: copies in the backup region in prod only (cross-region replication)", () => {
    const b = storeComponent(inv(), "platform:data:ObjectStore", "backups");
    expect(within(inv(), b, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")).toHaveLength(tier === "prod" ? 1 : 0);
  });

  it("Prometheus/Grafana, Loki and an OpenTelemetry Collector with Tempo", () => {
    for (const c of ["kube-prometheus-stack", "loki", "opentelemetry-collector", "tempo"]) expect(helmChart(inv(), c), c).toBeDefined();
  });

  it("Vault/KMS-backed secrets: Secrets Manager entries under the stack KMS key, delivered by External Secrets", () => {
    const sm = ofType(inv(), "aws:secretsmanager/secret:Secret");
    expect(sm.length).toBeGreaterThan(0);
    for (const s of sm) expect(s.inputs.kmsKeyId, String(s.inputs.name)).toBeTruthy();
    expect(ofType(inv(), "kubernetes:external-secrets.io/v1:ExternalSecret").length).toBeGreaterThan(0);
  });

  it("CloudFront edge: COOP same-origin and COEP credentialless on every response, a WAF rate limit", () => {
    const [policy] = ofType(inv(), T.cfHeadersPolicy);
    expect(policy, "CloudFront ResponseHeadersPolicy").toBeDefined();
    const headers = Object.fromEntries(((policy!.inputs.customHeadersConfig as any)?.items ?? []).map((h: any) => [String(h.header).toLowerCase(), h.value]));
    expect(headers).toMatchObject({ "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "credentialless" });
    expect(ofType(inv(), T.cfDistribution)[0]?.inputs.webAclId).toBeTruthy();
  });

  it("CloudFront sits in front of the Traefik ingress (an HTTPS custom origin), as the view's load balancer", () => {
    const origins = ofType(inv(), T.cfDistribution).flatMap((d) => (d.inputs.origins ?? []) as any[]);
    expect(
      origins.some((o) => o.customOriginConfig?.originProtocolPolicy === "https-only"),
      "a custom https-only origin",
    ).toBe(true);
  });
});
