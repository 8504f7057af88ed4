/**
 * Every manifest the Kubernetes planners produce is valid against the upstream OpenAPI schemas
 * (kubernetes-models, offline). CRD instances (Middleware, ServiceMonitor) have no schema there
 * and are listed, never silently passed.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { ingressControllerInfo } from "../../components/cluster/addons";
import { planNamespaces, roleNamespaceNames } from "../../components/cluster/namespaces";
import { planNetworkPolicies } from "../../components/cluster/netpol";
import { API, RELAY, WORKER, planFor } from "./fixtures";

const req = createRequire(__filename);
function validate(m: any): "valid" | "unchecked" {
  const [g, v] = String(m.apiVersion).split("/");
  let Model: any;
  try {
    const mod = req(`kubernetes-models/${v ? `${g}/${v}` : g}/${m.kind}`);
    Model = mod[m.kind] ?? mod.default;
  } catch {
    return "unchecked";
  }
  new Model(m).validate();
  return "valid";
}

describe("planned manifests match the Kubernetes OpenAPI schemas", () => {
  const plans = [
    planFor(API),
    planFor(RELAY),
    planFor(WORKER),
    planFor({ ...API, strategy: "blueGreen" }),
    planFor({ ...API, strategy: "canary" }),
    planFor(API, { ingress: { controller: "traefik", className: "traefik", clusterIssuer: "letsencrypt" } }),
    planFor({ ...RELAY, workload: "statefulset" }),
    planFor({ ...API, servesWebApp: true }),
  ];
  const traefik = ingressControllerInfo("traefik");
  const ns = roleNamespaceNames();
  const manifests = [
    ...plans.flatMap((p) => p.manifests.map((m) => m.manifest)),
    ...planNamespaces(ns).map((n) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels } })),
    ...planNetworkPolicies({
      namespaces: ns,
      ingressController: { podSelector: traefik.podSelector, ports: traefik.webPorts, metricsPort: traefik.metricsPort },
      services: [],
      stores: [],
      externalNetworks: {},
      apiServerCidrs: ["10.0.0.0/16"],
      managedStoreCidrs: [],
      acmeHttp01: true,
    }),
  ];

  it("validates every built-in kind and lists the CRD kinds it cannot check", () => {
    const unchecked = new Set<string>();
    const checked = new Set<string>();
    for (const m of manifests) {
      const r = validate(m);
      (r === "valid" ? checked : unchecked).add(m.kind);
    }
    expect([...unchecked].sort()).toEqual(["Middleware", "ServiceMonitor"]);
    expect([...checked].sort()).toEqual([
      "Deployment",
      "HorizontalPodAutoscaler",
      "Ingress",
      "Namespace",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "Service",
      "ServiceAccount",
      "StatefulSet",
    ]);
  });
});
