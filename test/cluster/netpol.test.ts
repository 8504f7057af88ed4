/**
 * The NetworkPolicy planner, judged by the shared reachability evaluator
 * (policies/lib/reachability.ts): the generated policies allow EXACTLY the intended flows.
 */
import { describe, expect, it } from "vitest";
import { ingressControllerInfo } from "../../components/cluster/addons";
import { planNamespaces, roleNamespaceNames } from "../../components/cluster/namespaces";
import { NetpolInput, checkNetpolInput, planNetworkPolicies } from "../../components/cluster/netpol";
import { clientRule, selfRule, tcp } from "../../components/data/network";
import { Flow, Reachability } from "../../policies/lib/reachability";
import { API, RELAY, WORKER, planFor } from "../service/fixtures";

const NS = roleNamespaceNames();
const VPC = "10.0.0.0/16";
const net = { namespace: "data", clientNamespaces: ["apps"] };
const pgLabels = { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": "main" };
const auditLabels = { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": "audit" };
const redisLabels = { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "cache" };
const traefik = ingressControllerInfo("traefik");

const plans = [planFor(API), planFor(RELAY), planFor(WORKER)];
const netpolService = (spec: any, p = planFor(spec)) => ({
  name: spec.name,
  exposure: spec.exposure,
  ports: spec.ports,
  routedPorts: p.routedPorts,
  connectsTo: spec.connectsTo ?? [],
  calls: spec.calls ?? [],
  egress: spec.egress ?? [],
  podSelector: p.podSelector,
});

function input(over: Partial<NetpolInput> = {}): NetpolInput {
  return {
    namespaces: NS,
    ingressController: { podSelector: traefik.podSelector, ports: traefik.webPorts, metricsPort: traefik.metricsPort },
    prometheusSelector: { "app.kubernetes.io/name": "prometheus" },
    services: [netpolService(API), netpolService(RELAY), netpolService(WORKER)],
    stores: [
      {
        ref: "postgres/main",
        network: {
          kind: "kubernetes",
          namespace: "data",
          ports: [tcp("postgres", 5432)],
          ingress: [clientRule(pgLabels, [tcp("postgres", 5432)], net)],
          egress: [],
        },
      },
      {
        ref: "postgres/audit",
        network: {
          kind: "kubernetes",
          namespace: "data",
          ports: [tcp("postgres", 5432)],
          ingress: [clientRule(auditLabels, [tcp("postgres", 5432)], net)],
          egress: [],
        },
      },
      {
        ref: "redis/cache",
        network: {
          kind: "kubernetes",
          namespace: "data",
          ports: [tcp("redis", 6379)],
          ingress: [clientRule(redisLabels, [tcp("redis", 6379)], net), selfRule("replication", redisLabels, [tcp("redis", 6379)], "data")],
          egress: [
            {
              purpose: "replication",
              podSelector: redisLabels,
              ports: [tcp("redis", 6379)],
              to: { kind: "peers", peers: { namespaces: ["data"], podSelector: redisLabels } },
            },
          ],
        },
      },
      { ref: "postgres/rds", network: { kind: "aws", ports: [tcp("postgres", 5432)], allowedSecurityGroupCount: 1 } },
    ],
    externalNetworks: {
      peer: { cidrs: ["198.51.100.0/24"], ports: [3001], protocol: "TCP" },
      mailgun: { cidrs: ["0.0.0.0/0"], ports: [443], protocol: "TCP" },
    },
    apiServerCidrs: [VPC],
    managedStoreCidrs: [VPC],
    acmeHttp01: true,
    monitoring: {
      otlpPorts: [4317, 4318],
      otlpSelector: { "app.kubernetes.io/name": "opentelemetry-collector" },
      grafana: { podSelector: { "app.kubernetes.io/name": "grafana" }, port: 3000 },
      internetPorts: [587],
      nodePorts: [10250],
      extraScrapeNamespaces: ["kube-system"],
    },
    ...over,
  };
}

const pod = (ns: string, name: string, labels: Record<string, string>, ports: [string, number, string?][]) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: {
    template: {
      metadata: { labels },
      spec: { containers: [{ name, image: "x:1", ports: ports.map(([n, p, proto]) => ({ name: n, containerPort: p, protocol: proto ?? "TCP" })) }] },
    },
  },
});

function world(policies: unknown[]) {
  return [
    ...planNamespaces(NS).map((n) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels } })),
    ...plans.flatMap((p) => p.manifests.map((m) => m.manifest)).filter((m) => m.kind === "Deployment"),
    pod("ingress", "controller", { ...traefik.podSelector, "app.kubernetes.io/instance": "traefik-ingress" }, [
      ["web", 8000],
      ["websecure", 8443],
      ["metrics", 9100],
    ]),
    pod("apps", "acme-solver", { "acme.cert-manager.io/http01-solver": "true" }, [["http", 8089]]),
    pod("monitoring", "prometheus", { "app.kubernetes.io/name": "prometheus" }, [["web", 9090]]),
    pod("monitoring", "collector", { "app.kubernetes.io/name": "opentelemetry-collector" }, [
      ["otlp-grpc", 4317],
      ["otlp-http", 4318],
    ]),
    pod("monitoring", "grafana", { "app.kubernetes.io/name": "grafana" }, [["http", 3000]]),
    pod("data", "postgres-main", pgLabels, [["postgres", 5432]]),
    pod("data", "postgres-audit", auditLabels, [["postgres", 5432]]),
    pod("data", "redis-cache", redisLabels, [["redis", 6379]]),
    pod("kube-system", "coredns", { "k8s-app": "kube-dns" }, [
      ["dns", 53, "UDP"],
      ["dns-tcp", 53],
    ]),
    ...policies,
  ];
}

const ep = (e: Flow["from"]) =>
  e.kind === "pod" ? `${e.namespace}/${e.workload.split("/")[1]}` : `ext:${e.cidr}${e.except.length ? `-${e.except.length}` : ""}`;
const fmt = (f: Flow) => `${ep(f.from)} -> ${ep(f.to)} ${f.protocol}:${f.fromPort === f.toPort ? f.fromPort : `${f.fromPort}-${f.toPort}`}`;

describe("NetworkPolicy planner × reachability evaluator", () => {
  const policies = planNetworkPolicies(input());
  const flows = new Reachability(world(policies) as any).flows();
  // kube-system is not ours (no policies there): leave out flows that start there or come from outside to it.
  const kubeSystem = (e: Flow["from"]) => e.kind === "pod" && e.namespace === "kube-system";
  const ours = [...new Set(flows.filter((f) => !kubeSystem(f.from) && !(f.from.kind === "external" && kubeSystem(f.to))).map(fmt))].sort();

  it("allows exactly the intended flows", () => {
    const monPods = ["monitoring/prometheus", "monitoring/collector", "monitoring/grafana"];
    const appPods = ["apps/api", "apps/relay", "apps/worker", "apps/acme-solver"];
    const ourPods = ["ingress/controller", ...appPods, ...monPods, "data/postgres-main", "data/postgres-audit", "data/redis-cache"];
    const monInternal = monPods.flatMap((a) => monPods.filter((b) => b !== a).flatMap((b) => ["SCTP", "TCP", "UDP"].map((p) => `${a} -> ${b} ${p}:1-65535`)));
    const monitoring = [
      ...monInternal,
      ...appPods.filter((p) => p !== "apps/acme-solver").map((p) => `${p} -> monitoring/collector TCP:4317-4318`),
      // Prometheus scrapes kube-system (no policies of ours there): its egress is the gate.
      ...["SCTP", "TCP", "UDP"].map((p) => `monitoring/prometheus -> kube-system/coredns ${p}:1-65535`),
      ...monPods.flatMap((p) => [`${p} -> ext:${VPC} TCP:443`, `${p} -> ext:${VPC} TCP:6443`, `${p} -> ext:0.0.0.0/0-3 TCP:587`]),
      `monitoring/prometheus -> ext:${VPC} TCP:10250`,
      "ingress/controller -> monitoring/grafana TCP:3000",
    ];
    const dns = ourPods
      .filter((p) => p !== "monitoring/prometheus")
      .flatMap((p) => [`${p} -> kube-system/coredns TCP:53`, `${p} -> kube-system/coredns UDP:53`]);
    const expected = [
      ...dns,
      ...monitoring,
      // internet → the ingress controller only (Traefik's web and websecure; no admission webhook)
      "ext:0.0.0.0/0 -> ingress/controller TCP:8000",
      "ext:0.0.0.0/0 -> ingress/controller TCP:8443",
      // ingress → public services' routed ports (never metrics), ACME solver
      "ingress/controller -> apps/api TCP:8080",
      "ingress/controller -> apps/acme-solver TCP:8089",
      `ingress/controller -> ext:${VPC} TCP:443`,
      `ingress/controller -> ext:${VPC} TCP:6443`,
      // apps → apps for `calls`
      "apps/api -> apps/relay TCP:7000",
      // apps → data for `connectsTo` only
      "apps/api -> data/postgres-main TCP:5432",
      `apps/api -> ext:${VPC} TCP:5432`,
      "apps/relay -> data/redis-cache TCP:6379",
      "apps/worker -> data/redis-cache TCP:6379",
      // named external egress
      "apps/relay -> ext:198.51.100.0/24 TCP:3001",
      "apps/worker -> ext:0.0.0.0/0-3 TCP:443",
      // monitoring → metrics ports
      "monitoring/prometheus -> apps/api TCP:9090",
      "monitoring/prometheus -> apps/relay TCP:9464",
      "monitoring/prometheus -> ingress/controller TCP:9100",
    ].sort();
    expect(ours).toEqual(expected);
  });

  it("never lets the internet or the ingress namespace reach data, nor anything reach a store nobody connects to", () => {
    const bad = flows.filter((f) => f.to.kind === "pod" && f.to.namespace === "data" && (f.from.kind === "external" || f.from.namespace === "ingress"));
    expect(bad).toEqual([]);
    expect(flows.filter((f) => f.to.kind === "pod" && f.to.workload === "Deployment/postgres-audit")).toEqual([]);
    const r = new Reachability(world(policies) as any);
    expect(r.canReach("ingress", "data")).toBe(false);
    expect(r.canReach("apps", "data", 5432)).toBe(true);
    expect(r.canReach("apps", "apps", 9090)).toBe(false);
  });

  it("metrics ports are reachable from monitoring only", () => {
    const metrics = flows.filter((f) => f.to.kind === "pod" && f.to.namespace === "apps" && [9090, 9464].some((p) => f.fromPort <= p && p <= f.toPort));
    expect(new Set(metrics.map((f) => ep(f.from)))).toEqual(new Set(["monitoring/prometheus"]));
  });

  it("gives every role namespace a default deny for ingress and egress, and DNS", () => {
    for (const ns of Object.values(NS)) {
      const deny = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === "default-deny")!;
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });
      expect(policies.some((p) => p.metadata.namespace === ns && p.metadata.name === "allow-dns")).toBe(true);
    }
    const names = policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it("without ACME solvers no solver policy; the controller's ingress is its web ports from anywhere and its metrics from Prometheus, nothing from the API server (no webhook)", () => {
    const ps = planNetworkPolicies(input({ acmeHttp01: false }));
    const ctl = ps.find((p) => p.metadata.name === "ingress-controller")!;
    expect(ctl.spec.ingress!.map((r) => r.ports)).toEqual([
      [
        { port: 8000, protocol: "TCP" },
        { port: 8443, protocol: "TCP" },
      ],
      [{ port: 9100, protocol: "TCP" }],
    ]);
    expect(JSON.stringify(ctl.spec.ingress)).not.toContain(VPC);
    expect(ps.some((p) => p.metadata.name === "acme-http01-solver")).toBe(false);
  });

  it("a store in the data-privileged namespace (ScyllaDB) gets that namespace's default deny, its own client rule, and Prometheus may scrape there; other namespaces are refused", () => {
    const scyllaLabels = { "scylla/cluster": "chain" };
    const scylla = {
      ref: "scylla/chain",
      network: {
        kind: "kubernetes" as const,
        namespace: "data-privileged",
        ports: [tcp("cql", 9042)],
        ingress: [clientRule(scyllaLabels, [tcp("cql", 9042)], { namespace: "data-privileged", clientNamespaces: ["apps"] })],
        egress: [],
      },
    };
    const base = input();
    const withScylla = input({
      namespaces: { ...NS, dataPrivileged: "data-privileged" },
      stores: [...base.stores, scylla],
      services: [{ ...netpolService(API), connectsTo: [...netpolService(API).connectsTo, "scylla/chain"] }, netpolService(RELAY), netpolService(WORKER)],
    });
    const ps = planNetworkPolicies(withScylla);
    expect(ps.filter((p) => p.metadata.namespace === "data-privileged").map((p) => p.metadata.name)).toEqual([
      "default-deny",
      "allow-dns",
      "store-scylla-chain-in-clients-0",
    ]);
    const api = ps.find((p) => p.metadata.name === "svc-api")!;
    expect(
      api.spec.egress!.some(
        (r) =>
          r.to?.some((t: any) => t.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "data-privileged") &&
          r.ports?.some((p) => p.port === 9042),
      ),
    ).toBe(true);
    const prom = ps.find((p) => p.metadata.name === "prometheus")!;
    expect(prom.spec.egress!.some((r) => r.to?.some((t: any) => t.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "data-privileged"))).toBe(
      true,
    );
    // Without the namespace, the same store is an input error naming both data namespaces' absence.
    expect(checkNetpolInput(input({ stores: [...base.stores, scylla] }))).toEqual([
      "stores.scylla/chain: runs in namespace 'data-privileged', expected a data namespace ('data')",
    ]);
  });

  it("rejects unknown refs with the field and the fix", () => {
    const bad = input({ services: [{ ...netpolService(API), calls: ["ghost"], connectsTo: ["postgres/nope"], egress: ["nowhere"] }] });
    const problems = checkNetpolInput(bad);
    expect(problems).toEqual([
      "services.api.calls: no service 'ghost'",
      "services.api.connectsTo: no data store 'postgres/nope' was given to the planner (pass its DataNetwork)",
      "services.api.egress: no external network 'nowhere'",
    ]);
    expect(() => planNetworkPolicies(bad)).toThrow(/services\.api\.calls/);
  });
});

describe("cert-manager namespace", () => {
  it("only the API server (webhook) and Prometheus (metrics) reach it; it reaches the API and ACME over the internet", () => {
    const policies = planNetworkPolicies(input({ certManagerNamespace: "cert-manager" }));
    const ws = [
      ...world(policies),
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "cert-manager" } },
      pod("cert-manager", "webhook", { "app.kubernetes.io/name": "webhook" }, [
        ["https", 10250],
        ["metrics", 9402],
      ]),
    ];
    const flows = new Reachability(ws as any).flows().filter((f) => f.to.kind === "pod" && f.to.namespace === "cert-manager");
    expect([...new Set(flows.map(fmt))].sort()).toEqual([
      `ext:${VPC} -> cert-manager/webhook TCP:10250`,
      "monitoring/prometheus -> cert-manager/webhook TCP:9402",
    ]);
    const out = new Reachability(ws as any).flows().filter((f) => f.from.kind === "pod" && f.from.namespace === "cert-manager" && f.to.kind === "external");
    expect([...new Set(out.map(fmt))].sort()).toEqual([
      "cert-manager/webhook -> ext:0.0.0.0/0-3 TCP:443",
      "cert-manager/webhook -> ext:0.0.0.0/0-3 TCP:80",
      `cert-manager/webhook -> ext:${VPC} TCP:443`,
      `cert-manager/webhook -> ext:${VPC} TCP:6443`,
    ]);
  });
});
