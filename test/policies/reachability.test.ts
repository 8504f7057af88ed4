import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  Reachability,
  buildModel,
  cidrContains,
  cidrCovers,
  evaluateReachability,
  isInternet,
  namespaceFlows,
  selectorMatches,
  type Flow,
  type Manifest,
} from "../../policies/lib/reachability";

const ns = (name: string, labels: Record<string, string> = {}): Manifest => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels },
});

const deploy = (
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ports: { containerPort: number; name?: string; protocol?: string }[],
): Manifest => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: "x:1", ports }] } } },
});

const denyAll = (namespace: string): Manifest => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "default-deny", namespace },
  spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
});

const np = (namespace: string, name: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});

/** The canonical three-tier layout: ingress → apps:8080 → data:5432, everything else denied. */
function threeTier(): Manifest[] {
  return [
    ns("ingress", { "platform.io/role": "ingress" }),
    ns("apps", { "platform.io/role": "apps" }),
    ns("data", { "platform.io/role": "data" }),
    deploy("ingress", "nginx", { app: "nginx" }, [{ containerPort: 443, name: "https" }]),
    deploy("apps", "api", { app: "api" }, [
      { containerPort: 8080, name: "http" },
      { containerPort: 9090, name: "metrics" },
    ]),
    deploy("data", "pg", { app: "pg" }, [{ containerPort: 5432, name: "pg" }]),
    denyAll("ingress"),
    denyAll("apps"),
    denyAll("data"),
    np("ingress", "from-internet", {
      podSelector: { matchLabels: { app: "nginx" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443 }] }],
    }),
    np("ingress", "to-apps", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { "platform.io/role": "apps" } } }], ports: [{ port: 8080 }] }],
    }),
    np("apps", "from-ingress", {
      podSelector: { matchLabels: { app: "api" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "platform.io/role": "ingress" } } }], ports: [{ port: "http" }] }],
    }),
    np("apps", "to-data", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "data" } }, podSelector: { matchLabels: { app: "pg" } } }],
          ports: [{ port: 5432 }],
        },
      ],
    }),
    np("data", "from-apps", {
      podSelector: { matchLabels: { app: "pg" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "platform.io/role": "apps" } } }], ports: [{ port: 5432, protocol: "TCP" }] }],
    }),
  ];
}

const nsPairs = (flows: Flow[]): string[] =>
  namespaceFlows(flows).map((f) => `${f.from}->${f.to}:${f.protocol}/${f.fromPort === f.toPort ? f.fromPort : `${f.fromPort}-${f.toPort}`}`);

describe("selectorMatches", () => {
  it("treats an absent or empty selector as match-all", () => {
    expect(selectorMatches(undefined, { a: "1" })).toBe(true);
    expect(selectorMatches({}, {})).toBe(true);
  });
  it("implements matchLabels and every matchExpressions operator", () => {
    const labels = { app: "api", tier: "web" };
    expect(selectorMatches({ matchLabels: { app: "api" } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: "db" } }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "tier", operator: "In", values: ["web", "x"] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "missing", operator: "NotIn", values: ["web"] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "app", operator: "Exists" }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "app", operator: "Bogus" }] }, labels)).toBe(false);
  });
});

describe("cidr helpers", () => {
  it("computes IPv4 containment and excepts", () => {
    expect(cidrContains("10.0.0.0/8", "10.1.2.0/24")).toBe(true);
    expect(cidrContains("10.1.2.0/24", "10.0.0.0/8")).toBe(false);
    expect(cidrContains("0.0.0.0/0", "203.0.113.7/32")).toBe(true);
    expect(cidrContains("192.168.0.0/16", "10.0.0.1/32")).toBe(false);
    expect(cidrCovers({ cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }, "10.2.0.0/16")).toBe(false);
    expect(cidrCovers({ cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }, "8.8.8.8/32")).toBe(true);
    expect(cidrContains("::/0", "2001:db8::/32")).toBe(true);
    expect(cidrContains("0.0.0.0/0", "2001:db8::/32")).toBe(false);
  });
});

describe("buildModel", () => {
  it("extracts pod templates from every workload kind, defaulting the namespace", () => {
    const cron: Manifest = {
      kind: "CronJob",
      metadata: { name: "backup", namespace: "data" },
      spec: { jobTemplate: { spec: { template: { metadata: { labels: { job: "backup" } }, spec: { containers: [{ image: "pg:16" }] } } } } },
    };
    const pod: Manifest = {
      kind: "Pod",
      metadata: { name: "p", labels: { a: "b" } },
      spec: { containers: [{ image: "busybox:1", ports: [{ containerPort: 80 }] }] },
    };
    const m = buildModel([cron, pod, { kind: "ConfigMap", metadata: { name: "c" } }]);
    expect(m.pods.map((p) => p.id)).toEqual(["data/CronJob/backup", "default/Pod/p"]);
    expect(m.pods[1]!.ports).toEqual([{ containerPort: 80, name: undefined, protocol: "TCP" }]);
    expect([...m.namespaces.keys()].sort()).toEqual(["data", "default"]);
    expect(m.namespaces.get("data")!.labels["kubernetes.io/metadata.name"]).toBe("data");
  });
});

describe("Reachability", () => {
  it("without any policy, everything reaches everything and the internet reaches every pod", () => {
    const r = new Reachability([deploy("a", "x", { app: "x" }, []), deploy("b", "y", { app: "y" }, [])]);
    const pairs = nsPairs(r.flows());
    expect(pairs).toContain("a->b:TCP/1-65535");
    expect(pairs).toContain("b->a:UDP/1-65535");
    expect(pairs).toContain("internet->a:TCP/1-65535");
    expect(pairs).toContain("a->internet:SCTP/1-65535");
  });

  it("default-deny in both directions leaves no flow at all", () => {
    const flows = evaluateReachability([ns("a"), deploy("a", "x", { app: "x" }, []), deploy("a", "y", { app: "y" }, []), denyAll("a")]);
    expect(flows).toEqual([]);
  });

  it("allows exactly the intended three-tier flows", () => {
    const r = new Reachability(threeTier());
    expect(nsPairs(r.flows())).toEqual(["apps->data:TCP/5432", "ingress->apps:TCP/8080", "internet->ingress:TCP/443"]);
    expect(r.canReach("ingress", "apps", 8080)).toBe(true);
    expect(r.canReach("ingress", "apps", 9090)).toBe(false);
    expect(r.canReach("ingress", "data")).toBe(false);
    expect(r.canReach("apps", "data", 5432)).toBe(true);
    expect(r.canReach("apps", "data", 5432, "UDP")).toBe(false);
    expect(r.isolation("data/Deployment/pg")).toEqual({ ingress: true, egress: true });
    expect(nsPairs(r.flowsInto((p) => p.namespace === "data"))).toEqual(["apps->data:TCP/5432"]);
    expect(r.flowsInto((p) => p.namespace === "data")).toEqual(r.flows().filter((f) => f.to.kind === "pod" && f.to.namespace === "data"));
  });

  it("needs both sides: an ingress allow without the matching egress allow is no flow", () => {
    const m = threeTier().filter((x) => x.metadata?.name !== "to-data");
    expect(new Reachability(m).canReach("apps", "data")).toBe(false);
  });

  it("deleting the data namespace's default deny opens it to the internet and to any non-isolated peer", () => {
    const m = threeTier().filter((x) => !(x.metadata?.namespace === "data" && x.metadata?.name === "default-deny") && x.metadata?.name !== "from-apps");
    const pairs = nsPairs(new Reachability(m).flows());
    expect(pairs).toContain("internet->data:TCP/1-65535");
    // ingress pods are still egress-isolated to apps:8080, so they cannot reach data even now
    expect(new Reachability(m).canReach("ingress", "data")).toBe(false);
  });

  it("a broad egress rule from the ingress namespace lets it reach the data tier directly", () => {
    const m = [
      ...threeTier(),
      np("ingress", "oops", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] }),
      np("data", "oops", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }),
    ];
    const r = new Reachability(m);
    expect(r.canReach("ingress", "data", 5432)).toBe(true);
    expect(nsPairs(r.flows())).toContain("ingress->internet:TCP/1-65535");
  });

  it("resolves named ports on the destination and honours endPort ranges and protocols", () => {
    const m = [
      deploy("a", "src", { app: "src" }, []),
      deploy("b", "dst", { app: "dst" }, [
        { containerPort: 7000, name: "gossip" },
        { containerPort: 53, name: "dns", protocol: "UDP" },
      ]),
      np("b", "in", {
        podSelector: {},
        ingress: [
          { from: [{ namespaceSelector: {} }], ports: [{ port: "gossip" }, { port: "dns", protocol: "UDP" }, { port: 9000, endPort: 9010 }, { port: "nope" }] },
        ],
      }),
    ];
    const pairs = nsPairs(new Reachability(m).flows()).filter((p) => p.startsWith("a->b"));
    expect(pairs).toEqual(["a->b:TCP/7000", "a->b:TCP/9000-9010", "a->b:UDP/53"]);
  });

  it("a rule with ports but no `from` admits every source, including the internet", () => {
    const m = [deploy("a", "x", { app: "x" }, []), deploy("b", "y", { app: "y" }, []), np("b", "p", { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] })];
    const pairs = nsPairs(new Reachability(m).flows()).filter((p) => p.includes("->b"));
    expect(pairs).toEqual(["a->b:TCP/80", "internet->b:TCP/80"]);
  });

  it("reports ipBlock peers as external endpoints and tells the internet apart", () => {
    const m = [
      deploy("relay", "relay", { app: "relay" }, []),
      np("relay", "p", {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ ipBlock: { cidr: "198.51.100.0/24" } }] }],
        egress: [{ to: [{ ipBlock: { cidr: "203.0.113.10/32" } }], ports: [{ port: 443 }] }],
      }),
    ];
    const flows = new Reachability(m).flows();
    expect(nsPairs(flows)).toEqual([
      "ipBlock:198.51.100.0/24->relay:SCTP/1-65535",
      "ipBlock:198.51.100.0/24->relay:TCP/1-65535",
      "ipBlock:198.51.100.0/24->relay:UDP/1-65535",
      "relay->ipBlock:203.0.113.10/32:TCP/443",
    ]);
    expect(flows.some((f) => isInternet(f.from) || isInternet(f.to))).toBe(false);
  });

  it("podSelector peers without namespaceSelector stay inside the policy's namespace", () => {
    const m = [
      deploy("a", "web", { role: "web" }, []),
      deploy("b", "web", { role: "web" }, []),
      deploy("a", "db", { role: "db" }, []),
      np("a", "db-in", { podSelector: { matchLabels: { role: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: "web" } } }] }] }),
    ];
    const r = new Reachability(m);
    const toDb = r.flows().filter((f) => f.to.kind === "pod" && f.to.id === "a/Deployment/db");
    expect(new Set(toDb.map((f) => (f.from.kind === "pod" ? f.from.id : "ext")))).toEqual(new Set(["a/Deployment/web"]));
  });

  it("property: adding a policy never adds a flow between pods that were already both isolated", () => {
    const labelsArb = fc.constantFrom({ app: "a" }, { app: "b" }, { app: "c" });
    const nsArb = fc.constantFrom("n1", "n2", "n3");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(nsArb, labelsArb), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(nsArb, labelsArb, nsArb, fc.integer({ min: 1, max: 3 })), { maxLength: 6 }),
        (pods, allows) => {
          const base: Manifest[] = [...pods.map(([n, l], i) => deploy(n, `w${i}`, l, [])), denyAll("n1"), denyAll("n2"), denyAll("n3")];
          const extra: Manifest[] = allows.map(([n, l, fromNs, port], i) =>
            np(n, `allow${i}`, {
              podSelector: { matchLabels: l },
              ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": fromNs } } }], ports: [{ port }] }],
            }),
          );
          // Every pod is isolated both ways in `base`, so `base` has no flows; ingress-only allows can add none
          // (the sources' egress is still denied).
          expect(evaluateReachability(base)).toEqual([]);
          expect(evaluateReachability([...base, ...extra]).filter((f) => f.from.kind === "pod")).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
