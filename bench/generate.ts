/**
 * Synthetic inputs for the scale benchmark (pure; no I/O):
 *  - `scaleBlueprint(n)`: a blueprint with n public services, each with an ingress route,
 *    autoscaling (→ HPA), replicated (→ PDB), a metrics port (→ ServiceMonitor), calls to its
 *    neighbour and a connection to one in-cluster PostgreSQL (→ NetworkPolicies on both sides);
 *  - `reachabilityManifests(n)`: raw Kubernetes manifests of the same shape for measuring the
 *    reachability evaluator alone: n Deployments in one namespace, one NetworkPolicy per
 *    Deployment plus a default deny, an ingress controller and a data namespace.
 */

export function scaleBlueprintName(n: number): string {
  return `bench-scale-${n}`;
}

export function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, "0")}`;
}

/** Blueprint data (the object the YAML file holds). */
export function scaleBlueprint(n: number): Record<string, unknown> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`scale blueprint needs n ≥ 1 services, got ${n}`);
  const services = Array.from({ length: n }, (_, i) => {
    const name = serviceName(i);
    return {
      name,
      description: `synthetic service ${i} of ${n}`,
      image: `ghcr.io/bench/${name}:1.0.${i}`,
      ports: { http: 8080, metrics: 9090 },
      probes: { liveness: { path: "/health/live" }, readiness: { path: "/health/ready" } },
      exposure: "public",
      routes: [{ host: name, path: "/" }],
      autoscaling: { cpuPercent: 70 },
      replicated: true,
      env: { LOG_FORMAT: "json" },
      connectsTo: ["postgres/main"],
      calls: n > 1 ? [serviceName((i + 1) % n)] : [],
    };
  });
  return {
    name: scaleBlueprintName(n),
    description: `Benchmark: ${n} public services with ingress, HPA, PDB, network policy and ServiceMonitor each.`,
    hosting: { kubernetes: { ingressController: "traefik" } },
    services,
    // In-cluster PostgreSQL archives WAL to an in-cluster SeaweedFS store: data pods in the cluster, so the reachability policy has a data tier to check.
    dataStores: { postgres: [{ name: "main", placement: "in-cluster", databases: ["app"] }], objectStores: [{ name: "wal", engine: "seaweedfs" }] },
    monitoring: { metrics: true, logs: false, traces: "none" },
  };
}

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: unknown };

function deployment(ns: string, name: string, image: string, ports: { name: string; containerPort: number }[]): Manifest {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, tier: ns } }, spec: { containers: [{ name, image, ports }] } },
    },
  };
}

/** n application Deployments + n per-service NetworkPolicies + default denies, ingress and data namespaces. */
export function reachabilityManifests(n: number): Manifest[] {
  const ns = (name: string, role: string): Manifest => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "platform.io/role": role } } });
  const out: Manifest[] = [ns("ingress", "ingress"), ns("apps", "apps"), ns("data", "data")];
  const deny = (namespace: string): Manifest => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  });
  out.push(deny("ingress"), deny("apps"), deny("data"));
  out.push(deployment("ingress", "traefik", "docker.io/traefik:v3.7.11", [{ name: "websecure", containerPort: 8443 }]));
  out.push({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "controller", namespace: "ingress" },
    spec: {
      podSelector: { matchLabels: { app: "traefik" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ ports: [{ port: 8443 }] }],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { "platform.io/role": "apps" } } }], ports: [{ port: 8080 }] }],
    },
  });
  out.push(deployment("data", "postgres", "postgres:16", [{ name: "pg", containerPort: 5432 }]));
  out.push({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "postgres", namespace: "data" },
    spec: {
      podSelector: { matchLabels: { app: "postgres" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "platform.io/role": "apps" } }, podSelector: { matchLabels: { "db.postgres-main": "client" } } }],
          ports: [{ port: 5432 }],
        },
      ],
    },
  });
  for (let i = 0; i < n; i++) {
    const name = serviceName(i);
    const d = deployment("apps", name, `ghcr.io/bench/${name}:1.0.0`, [
      { name: "http", containerPort: 8080 },
      { name: "metrics", containerPort: 9090 },
    ]);
    (d.spec as any).template.metadata.labels["db.postgres-main"] = "client";
    out.push(d);
    const next = serviceName((i + 1) % n);
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name, namespace: "apps" },
      spec: {
        podSelector: { matchLabels: { app: name } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { "platform.io/role": "ingress" } } }], ports: [{ port: "http" }] },
          { from: [{ podSelector: { matchLabels: { app: serviceName((i + n - 1) % n) } } }], ports: [{ port: 8080 }] },
        ],
        egress: [
          { to: [{ podSelector: { matchLabels: { app: next } } }], ports: [{ port: 8080 }] },
          {
            to: [{ namespaceSelector: { matchLabels: { "platform.io/role": "data" } }, podSelector: { matchLabels: { app: "postgres" } } }],
            ports: [{ port: 5432 }],
          },
        ],
      },
    });
  }
  return out;
}
