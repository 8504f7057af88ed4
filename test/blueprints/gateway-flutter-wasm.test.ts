/**
 * gateway-flutter-wasm (shared/reference-systems/gateway-flutter-wasm.md): cat-gateway and a
 * metrics exporter on Kubernetes; PostgreSQL event DB with PITR; Scylla with persistent and
 * volatile keyspaces; Flutter web (WASM) on a CDN with COOP/COEP and application/wasm; public
 * HTTPS API with restrictive CORS and per-route-group rate limits; TLS to the data stores; a
 * separate metrics port; N2N egress to the Cardano peer network; canary deployments.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { supportedTiers } from "../../scripts/plan-lib";
import { TIERS } from "../../stacks/spec/tiers";
import {
  T,
  Runs,
  containerPorts,
  egressRules,
  helmChart,
  hpaFor,
  hpaMetrics,
  ingressBackendPorts,
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
  workloads,
} from "./helpers";

const NAME = "gateway-flutter-wasm";
const DOMAIN = { local: "platform.example.test", dev: "dev.example.com", staging: "staging.example.com", prod: "example.com" } as const;
let runs: Runs;
beforeAll(async () => {
  runs = await runTiers(NAME, supportedTiers(NAME));
}, 300_000);

describe(`${NAME}: tiers`, () => {
  it("runs on Kubernetes in every tier (Scylla needs it; dev falls back from the single host)", () => {
    expect(supportedTiers(NAME)).toEqual(["local", "dev", "staging", "prod"]);
  });
  it.each(["local", "dev", "staging", "prod"] as const)("plans on %s, hosted on Kubernetes", (tier) => {
    expect(inventoryOf(runs, tier).outputs.hosting).toBe("kubernetes");
  });
});

describe.each(["dev", "staging", "prod"] as const)(`${NAME} on %s: the Flutter web (WASM) edge`, (tier) => {
  const inv = () => inventoryOf(runs, tier);
  /** The header/cache rule table the Worker serves by (components/edge/worker/render.ts embeds it as RULE_TABLE). */
  const table = () => {
    const [w] = ofType(inv(), T.workersScript);
    if (!w) throw new Error("no Cloudflare WorkersScript");
    const m = /const RULE_TABLE = (\{.*?\});\n/.exec(String(w.inputs.content));
    if (!m) throw new Error("the Worker embeds no RULE_TABLE");
    return JSON.parse(m[1]!) as {
      common: Record<string, string>;
      rules: { class: string; headers: Record<string, string> }[];
      contentTypes: Record<string, string>;
    };
  };
  it("COOP same-origin and COEP require-corp on every response; WASM served as application/wasm; hashed assets immutable", () => {
    expect(table().common).toMatchObject({ "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
    expect(table().contentTypes.wasm).toBe("application/wasm");
    expect(table().rules.find((r) => r.class === "hashed")?.headers["cache-control"]).toMatch(/immutable/);
  });
  it("the CSP lets the app compile WASM and call its API (connect-src names https://api.<domain>)", () => {
    const csp = table().common["content-security-policy"]!;
    expect(csp).toContain("'wasm-unsafe-eval'");
    expect(/connect-src ([^;]*)/.exec(csp)?.[1]?.split(" ")).toContain(`https://api.${DOMAIN[tier]}`);
  });
  it("a WAF rate limit per client IP", () => {
    expect(ofType(inv(), "cloudflare:index/ruleset:Ruleset").some((r) => /rate limit/.test(String(r.inputs.name)))).toBe(true);
  });
});

describe.each(["local", "dev", "staging", "prod"] as const)(`${NAME} on %s: gateway, data stores, network`, (tier) => {
  const inv = () => inventoryOf(runs, tier);

  it("cat-gateway exposes its HTTP API (3030) and a separate metrics port (9091); probes on the API's health endpoints", () => {
    const w = workload(inv(), "cat-gateway");
    expect(containerPorts(w)).toEqual({ http: 3030, metrics: 9091 });
    const c = mainContainer(w);
    expect(c.livenessProbe.httpGet.path).toBe("/api/v1/health/live");
    expect(c.readinessProbe.httpGet.path).toBe("/api/v1/health/ready");
    expect(c.startupProbe.httpGet.path).toBe("/api/v1/health/started");
  });

  it("the metrics port is never on an Ingress; the metrics exporter has no Ingress at all", () => {
    const backends = ingressBackendPorts(inv());
    expect(backends.length).toBeGreaterThan(0);
    expect(backends.filter((b) => b.port === "metrics" || b.port === 9091 || b.port === 9100)).toEqual([]);
    expect(backends.filter((b) => String(b.service).startsWith("metrics-exporter"))).toEqual([]);
    expect(workloads(inv(), "metrics-exporter")).toHaveLength(1);
  });

  it("public HTTPS API: one TLS route per route group with its own rate limit; CORS restricted to the app origin", () => {
    // Traefik: an Ingress per group, or (canary under Argo Rollouts, staging/prod) an IngressRoute per group.
    const routes = traefikRoutes(inv(), "cat-gateway");
    expect(routes.map((r) => r.kind)).toEqual(Array(4).fill(tier === "staging" || tier === "prod" ? "IngressRoute" : "Ingress"));
    expect(rateLimitsOf(inv(), "cat-gateway")).toEqual({ chain: 50, registration: 5, documents: 20, general: 20 });
    for (const r of routes) {
      expect(r.hosts).toEqual([`api.${DOMAIN[tier]}`]);
      expect(r.secrets).toEqual([`tls-api.${DOMAIN[tier]}`]);
      expect(r.entryPoints).toEqual(["websecure"]);
      // then the group's body limit: 1 MiB on every group (the view names no larger upload).
      expect(r.middlewares).toEqual([`cat-gateway-ratelimit-${r.group}`, "cat-gateway-headers", `cat-gateway-bodylimit-${r.group}`]);
    }
    const headers = ofType(inv(), T.middleware).find((m) => meta(m).name === "cat-gateway-headers")!;
    expect(spec(headers).headers).toMatchObject({
      accessControlAllowOriginList: [`https://${DOMAIN[tier]}`],
      accessControlAllowCredentials: false,
      addVaryHeader: true,
    });
  });

  it("egress to the Cardano peer network over N2N: the blueprint's relay CIDR on 3001/TCP only", () => {
    const n2n = egressRules(inv(), "cat-gateway").filter((r) => r.cidrs.includes("198.51.100.0/24"));
    expect(n2n).toHaveLength(1);
    expect(n2n[0]!.ports).toEqual([{ port: 3001, protocol: "TCP" }]);
    // 3001 is open to the peers only, never to the whole internet.
    expect(egressRules(inv(), "cat-gateway").filter((r) => r.cidrs.includes("0.0.0.0/0") && r.ports.some((p) => p.port === 3001))).toEqual([]);
  });

  it("Scylla: persistent keyspace (durable writes) and volatile keyspace (no durable writes), password auth and client TLS", () => {
    const sc = storeComponent(inv(), "platform:data:Scylla", "chain");
    // local installs no operator: one developer-mode node from a StatefulSet; every other tier a ScyllaCluster.
    if (tier === "local") {
      expect(within(inv(), sc, T.scyllaCluster)).toHaveLength(0);
      const [sts] = within(inv(), sc, T.statefulSet);
      expect(spec(sts!).replicas).toBe(1);
      expect(spec(sts!).template.spec.containers[0].args).toEqual(
        expect.arrayContaining(["--developer-mode=1", "--authenticator=PasswordAuthenticator", "--endpoint-snitch=GossipingPropertyFileSnitch"]),
      );
    } else {
      expect(within(inv(), sc, T.scyllaCluster)).toHaveLength(1);
      expect(within(inv(), sc, T.statefulSet)).toHaveLength(0);
    }
    const cfg = within(inv(), sc, T.configMap)
      .map((c) => c.inputs.data as Record<string, string>)
      .find((d) => d?.["keyspaces.cql"]);
    expect(cfg?.["keyspaces.cql"]).toMatch(/CREATE KEYSPACE IF NOT EXISTS chain_persistent WITH replication = \{[^}]+\} AND durable_writes = true;/);
    expect(cfg?.["keyspaces.cql"]).toMatch(/CREATE KEYSPACE IF NOT EXISTS chain_volatile WITH replication = \{[^}]+\} AND durable_writes = false;/);
    expect(cfg?.["scylla.yaml"]).toContain("authenticator: PasswordAuthenticator");
    if (tier !== "local") expect(cfg?.["scylla.yaml"]).toMatch(/client_encryption_options:\n\s+enabled: true/);
  });

  it("ScyllaDB runs as root with CAP_SYS_NICE, so it lives alone in the data-privileged namespace (Pod Security privileged); the data namespace stays restricted", () => {
    const nss = ofType(inv(), "kubernetes:core/v1:Namespace").map((n) => meta(n));
    const level = (name: string) => nss.find((m) => m.name === name)?.labels?.["pod-security.kubernetes.io/enforce"];
    expect(level("data-privileged")).toBe("privileged");
    expect(level("data")).toBe("restricted");
    const sc = storeComponent(inv(), "platform:data:Scylla", "chain");
    const scylla = [...within(inv(), sc, T.scyllaCluster), ...within(inv(), sc, T.statefulSet)];
    expect(scylla.map((r) => meta(r).namespace)).toEqual(["data-privileged"]);
    // The namespace gets the same default deny as every role namespace.
    const denies = ofType(inv(), "kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .filter((p) => meta(p).name === "default-deny")
      .map((p) => meta(p).namespace);
    expect(denies).toContain("data-privileged");
  });

  it("the gateway reaches PostgreSQL and Scylla only (data-tier egress by port)", () => {
    const ports = egressRules(inv(), "cat-gateway").flatMap((r) => r.ports.map((p) => p.port));
    expect(ports).toEqual(expect.arrayContaining([5432, 9042]));
  });
});

describe.each(["staging", "prod"] as const)(`${NAME} on %s: production rollout and data`, (tier) => {
  const inv = () => inventoryOf(runs, tier);

  it("canary before the fleet upgrade: an Argo Rollout at 5 % of requests (a weighted TraefikService), stepped up with analysis (HPA on CPU and memory)", () => {
    const w = workload(inv(), "cat-gateway");
    expect(w.type).toBe(T.rollout);
    const c = spec(w).strategy.canary;
    expect(c.stableService).toBe("cat-gateway");
    expect(c.canaryService).toBe("cat-gateway-canary");
    // A real percentage of requests, whatever the replica count: the controller sets the weights of
    // the TraefikService every route group's IngressRoute sends to.
    expect(c.trafficRouting).toEqual({ traefik: { weightedTraefikServiceName: "cat-gateway-weighted" } });
    const weighted = ofType(inv(), "kubernetes:traefik.io/v1alpha1:TraefikService").find((t) => meta(t).name === "cat-gateway-weighted")!;
    expect(spec(weighted).weighted.services.map((s: any) => [s.name, s.weight])).toEqual([
      ["cat-gateway", 100],
      ["cat-gateway-canary", 0],
    ]);
    expect(
      new Set(
        ofType(inv(), T.ingressRoute)
          .filter((r) => String(meta(r).name).startsWith("cat-gateway-"))
          .flatMap((r) => (spec(r).routes as any[]).flatMap((x) => x.services.map((s: any) => s.name))),
      ),
    ).toEqual(new Set(["cat-gateway-weighted"]));
    expect(c.steps[0]).toEqual({ setWeight: 5 });
    expect(c.steps.filter((s: any) => s.setWeight).map((s: any) => s.setWeight)).toEqual([5, 25, 50]);
    expect(c.analysis.templates[0].templateName).toBe("cat-gateway-health");
    expect(ofType(inv(), "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate").map((a) => meta(a).name)).toContain("cat-gateway-health");
    expect(helmChart(inv(), "argo-rollouts")).toBeDefined();
    const hpa = hpaFor(inv(), workload(inv(), "cat-gateway"));
    expect(spec(hpa!).minReplicas).toBe(TIERS[tier].replicas.min);
    expect(hpaMetrics(hpa!)).toEqual(["cpu", "memory"]);
  });

  it("PostgreSQL event DB: managed, PITR (automated backups), TLS forced, no read replicas", () => {
    const pg = storeComponent(inv(), "platform:data:Postgres", "events");
    const rds = within(inv(), pg, T.rds);
    expect(rds).toHaveLength(1);
    expect(rds[0]!.inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(1);
    expect(rds[0]!.inputs.multiAz).toBe(tier === "prod");
    const params = within(inv(), pg, "aws:rds/parameterGroup:ParameterGroup")[0]?.inputs.parameters as any[];
    expect(params?.find((p) => p.name === "rds.force_ssl")?.value).toBe("1");
  });

  it("Scylla at full scale in prod: 3 members, the persistent keyspace at RF 3", () => {
    const sc = storeComponent(inv(), "platform:data:Scylla", "chain");
    const [cluster] = within(inv(), sc, T.scyllaCluster);
    const members = (spec(cluster!).datacenter.racks as any[]).reduce((a, r) => a + r.members, 0);
    if (tier === "prod") {
      expect(members).toBe(3);
      const cql = within(inv(), sc, T.configMap)
        .map((c) => (c.inputs.data as any)?.["keyspaces.cql"])
        .find(Boolean);
      expect(cql).toMatch(/chain_persistent WITH replication = \{'class': 'NetworkTopologyStrategy', '[\w-]+': 3\}/);
    } else expect(members).toBeGreaterThanOrEqual(1);
  });

  it("Prometheus scrapes both the gateway and the metrics exporter on their metrics ports", () => {
    const sms = Object.fromEntries(ofType(inv(), T.serviceMonitor).map((s) => [meta(s).name, spec(s).endpoints[0].port]));
    expect(sms).toMatchObject({ "cat-gateway": "metrics", "metrics-exporter": "metrics" });
  });
});
