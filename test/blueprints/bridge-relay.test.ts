/**
 * bridge-relay (shared/reference-systems/bridge-relay.md): Go relay behind a load balancer with
 * API 8080 / health 8081 / metrics 9090; PostgreSQL primary + read replicas with connection
 * pooling; Prometheus + Grafana (private); public / internal / external segmentation; relayer
 * private keys stored encrypted and rotated; egress to blockchain node providers over HTTPS/WSS.
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
  helmChart,
  hpaFor,
  hpaMetrics,
  ingressBackendPorts,
  ingressesOf,
  inventoryOf,
  mainContainer,
  meta,
  ofType,
  plainOccurrences,
  runTiers,
  spec,
  storeComponent,
  within,
  workload,
} from "./helpers";

const NAME = "bridge-relay";
let runs: Runs;
beforeAll(async () => {
  runs = await runTiers(NAME, supportedTiers(NAME));
}, 300_000);

describe(`${NAME}: tiers`, () => {
  it.each(["local", "dev", "staging", "prod"] as const)("plans on %s", (tier) => {
    expect(inventoryOf(runs, tier).outputs.blueprint).toBe(NAME);
  });
});

describe.each(["local", "staging", "prod"] as const)(`${NAME} on %s (Kubernetes)`, (tier) => {
  const inv = () => inventoryOf(runs, tier);

  it("relay container ports: API 8080, health 8081, metrics 9090; both probes on the health port", () => {
    const w = workload(inv(), "relay");
    expect(containerPorts(w)).toEqual({ http: 8080, health: 8081, metrics: 9090 });
    const c = mainContainer(w);
    expect(c.livenessProbe.httpGet).toMatchObject({ port: "health", path: "/health/live" });
    expect(c.readinessProbe.httpGet).toMatchObject({ port: "health", path: "/health/ready" });
  });

  it("public: only the API port is routed by the ingress (TLS); health and metrics stay internal", () => {
    const ings = ingressesOf(inv(), "relay");
    expect(ings.length).toBeGreaterThan(0);
    for (const i of ings) expect(spec(i).tls?.[0]?.hosts?.[0]).toMatch(/^relay\./);
    expect(
      ingressBackendPorts(inv())
        .filter((b) => b.service === "relay")
        .map((b) => b.port),
    ).toEqual(["http"]);
  });

  it("segmentation: the relay admits the ingress controller on 8080 and Prometheus on 9090, nothing else", () => {
    const pol = ofType(inv(), T.netpol).find((p) => spec(p).podSelector?.matchLabels?.["app.kubernetes.io/name"] === "relay");
    expect(pol, "NetworkPolicy for the relay pods").toBeDefined();
    const ports = (spec(pol!).ingress as any[]).flatMap((r) => (r.ports ?? []).map((p: any) => p.port)).sort();
    expect(ports).toEqual([8080, 9090]);
  });

  it("external: egress to the node providers on 443 only, never into private ranges", () => {
    const rules = egressRules(inv(), "relay").filter((r) => r.cidrs.includes("0.0.0.0/0"));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.ports).toEqual([{ port: 443, protocol: "TCP" }]);
    expect(rules[0]!.except).toEqual(expect.arrayContaining(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]));
  });

  it("Prometheus scrapes the relay's metrics port", () => {
    const sm = ofType(inv(), T.serviceMonitor).find((s) => meta(s).name === "relay");
    const promDeploy = ofType(inv(), T.deployment).some((d) => /prometheus/.test(String(meta(d).name)));
    expect(sm !== undefined || (tier === "local" && promDeploy), "ServiceMonitor (or the local plain Prometheus)").toBe(true);
    if (sm) expect(spec(sm).endpoints[0]).toMatchObject({ port: "metrics", path: "/metrics" });
  });
});

describe.each(["staging", "prod"] as const)(`${NAME} on %s (production deployment)`, (tier) => {
  const inv = () => inventoryOf(runs, tier);

  it("load balancer: Traefik behind a cloud LoadBalancer (NLB), horizontally scaled relays with an HPA", () => {
    const traefik = helmChart(inv(), "traefik");
    expect((traefik?.inputs.values as any)?.service).toMatchObject({
      type: "LoadBalancer",
      annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" },
    });
    expect(helmChart(inv(), "ingress-nginx")).toBeUndefined();
    const hpa = hpaFor(inv(), workload(inv(), "relay"));
    expect(spec(hpa!).minReplicas).toBe(TIERS[tier].replicas.min);
    expect(hpaMetrics(hpa!)).toEqual(["cpu", "memory"]);
  });

  it("PostgreSQL: primary for writes + read replicas (2 in prod, 1 in staging), TLS enforced", () => {
    // A managed PostgreSQL with read replicas is Aurora PostgreSQL (components/data/README.md, "Reads"):
    // one cluster, its writer (promotion tier 0) and one Aurora Replica per replica; TLS forced by the
    // cluster parameter group (rds.force_ssl).
    const pg = storeComponent(inv(), "platform:data:Postgres", "relay");
    expect(within(inv(), pg, T.rds)).toEqual([]);
    const cluster = within(inv(), pg, "aws:rds/cluster:Cluster");
    expect(cluster).toHaveLength(1);
    const instances = within(inv(), pg, "aws:rds/clusterInstance:ClusterInstance");
    const writers = instances.filter((i) => i.inputs.promotionTier === 0);
    expect(writers).toHaveLength(1);
    expect(instances.length - 1).toBe(dataReplicas(TIERS[tier], 2));
    expect(cluster[0]!.inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(1);
    expect(within(inv(), pg, "aws:rds/clusterParameterGroup:ClusterParameterGroup")[0]!.inputs.parameters).toContainEqual(
      expect.objectContaining({ name: "rds.force_ssl", value: "1" }),
    );
  });

  it("connection pooling in front of the primary (RDS Proxy)", () => {
    const pg = storeComponent(inv(), "platform:data:Postgres", "relay");
    const proxies = [...within(inv(), pg, T.rdsProxy), ...ofType(inv(), T.rdsProxy)];
    expect(proxies.length, "an aws:rds/proxy:Proxy for postgres/relay").toBeGreaterThan(0);
    expect(proxies[0]!.inputs.requireTls).toBe(true);
  });

  it("Prometheus + Grafana (kube-prometheus-stack); Grafana is not public", () => {
    const kps = helmChart(inv(), "kube-prometheus-stack");
    expect(kps).toBeDefined();
    expect((kps!.inputs.values as any).grafana?.ingress?.enabled ?? false).toBe(false);
  });

  it("relayer private key: generated, encrypted with the stack's KMS key, rotated every 30 days", () => {
    // Since 563a146 the key is a secp256k1 KMS key on these tiers (no key material anywhere in state)
    // and rotation is explicit and two-phase (platform:signingKeys; test/secrets/signing.test.ts), not
    // a calendar swap: a new on-chain address needs an overlap the calendar cannot give. The view's
    // 30 days remain the deletion window of a retired key.
    const keys = ofType(inv(), "aws:kms/key:Key").filter((k) => k.inputs.keyUsage === "SIGN_VERIFY");
    expect(keys.map((k) => [k.inputs.customerMasterKeySpec, k.inputs.deletionWindowInDays])).toEqual([["ECC_SECG_P256K1", 30]]);
    // Its Secrets Manager entry (the relay's awskms:/// reference, never key material) is encrypted with the stack's KMS key.
    const entries = ofType(inv(), "aws:secretsmanager/secret:Secret").filter((s) =>
      /relayer-key/.test(String((s.inputs.tags as any)?.["platform:entry"] ?? "")),
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e.inputs.kmsKeyId).toBeTruthy();
  });

  it("the node-provider API key is a human secret in Secrets Manager, and a secret wherever it appears", () => {
    const sm = ofType(inv(), "aws:secretsmanager/secret:Secret").find((s) => (s.inputs.tags as any)?.["platform:entry"] === "config/nodeProviderApiKey");
    expect(sm, "Secrets Manager entry config/nodeProviderApiKey").toBeDefined();
    // The value the harness supplied (a placeholder: the real key is never in git) is the needle.
    const version = ofType(inv(), "aws:secretsmanager/secretVersion:SecretVersion").find((v) => /config-nodeProviderApiKey$/.test(v.name));
    expect(version?.secretPaths).toContain("secretString");
    const value = String(version!.inputs.secretString);
    expect(value.length).toBeGreaterThanOrEqual(16);
    expect(inv().resources.flatMap((r) => plainOccurrences(r, value).map((p) => `${r.type} ${r.name}: ${p}`))).toEqual([]);
  });
});

describe(`${NAME} on dev (the relay as a Docker container next to its PostgreSQL)`, () => {
  const inv = () => inventoryOf(runs, "dev");
  it("relay container health-checked on 8081; nothing but the proxy publishes ports", () => {
    const [relay] = ofType(inv(), T.container).filter((c) => dockerLabels(c)["platform.service"] === "relay");
    expect(relay, "relay container").toBeDefined();
    expect(JSON.stringify((relay!.inputs.healthcheck as any).tests)).toContain("127.0.0.1:8081/health/live");
    const published = ofType(inv(), T.container).filter((c) => ((c.inputs.ports as any[]) ?? []).length > 0);
    expect(published.map((c) => dockerLabels(c)["platform.role"])).toEqual(["proxy"]);
  });
  it("PostgreSQL container on the internal network; the host firewall opens 80/443 (and SSH from the allow-list) only", () => {
    expect(containersByRole(inv(), "postgres")).toHaveLength(1);
    const [sg] = ofType(inv(), T.securityGroup).filter((s) => /Beta host/.test(String(s.inputs.description)));
    expect(((sg!.inputs.ingress as any[]) ?? []).map((r) => r.fromPort).sort((a, b) => a - b)).toEqual([22, 80, 443]);
  });
  it("Prometheus on the host scrapes the relay's metrics port 9090", () => {
    const prom = ofType(inv(), T.container).find((c) => /prometheus/.test(String(c.inputs.name)));
    expect(prom, "Prometheus container").toBeDefined();
    const mon = ofType(inv(), "platform:monitoring:HostMonitoring")[0];
    expect(String(mon?.outputs?.prometheusConfig ?? "")).toMatch(/relay[-\w]*:9090/);
  });
});
