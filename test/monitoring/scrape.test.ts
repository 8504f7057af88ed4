/**
 * Scraping end to end: the Service component's ServiceMonitors (components/service, read-only
 * here) and this Prometheus's selectors in one program. Emulates the operator's selection: a
 * ServiceMonitor is picked up when its namespace matches serviceMonitorNamespaceSelector and its
 * labels match serviceMonitorSelector; it scrapes the Service port named `metrics` only; and no
 * Ingress routes that port.
 */
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Monitoring } from "../../components/monitoring";
import { Service } from "../../components/service";
import type { ServiceSpecInput } from "../../components/service/spec";
import { RESOURCES } from "../../stacks/spec/tiers";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { getPath, runProgram } from "../../tools/harness/run";

const API: ServiceSpecInput = {
  name: "api",
  image: "ghcr.io/example/api:1.0.0",
  ports: { http: 8080, health: 8081, metrics: 9090 },
  probes: { liveness: { path: "/health/live" }, readiness: { path: "/health/ready" } },
  exposure: "public",
  routes: [{ host: "api", path: "/" }],
};
const WORKER: ServiceSpecInput = {
  name: "worker",
  image: "ghcr.io/example/worker:3.0.0",
  ports: { http: 9000 },
  probes: { liveness: { path: "/healthz" }, readiness: { path: "/healthz" } },
  exposure: "none",
};

async function program(): Promise<Inventory> {
  return runProgram(
    () => {
      const kubernetes = new k8s.Provider("k8s", { renderYamlToDirectory: mkdtempSync(join(tmpdir(), "scrape-")) });
      const rnd = new random.Provider("random", {});
      for (const spec of [API, WORKER]) {
        new Service(
          spec.name,
          {
            spec,
            namespace: "apps",
            replicas: { min: 2, max: 4 },
            resources: RESOURCES.medium,
            autoscaling: false,
            disruptionBudgets: true,
            domain: "example.com",
            ingress: { controller: "traefik", className: "traefik", clusterIssuer: "letsencrypt" },
            serviceMonitor: { enabled: true },
          },
          { providers: { kubernetes } },
        );
      }
      new Monitoring(
        "mon",
        {
          stack: "staging",
          namespace: "monitoring",
          mode: "helm",
          depth: "enhanced",
          metricsRetentionDays: 15,
          logRetentionDays: 30,
          logs: false,
          traces: "none",
          scrapeNamespaces: ["apps"],
          services: [
            { name: "api", namespace: "apps", metrics: true },
            { name: "worker", namespace: "apps", metrics: false },
          ],
        },
        { providers: { kubernetes, random: rnd } },
      );
      return {};
    },
    { stack: "staging" },
  );
}

const ofKind = (inv: Inventory, kind: string) => inv.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: string }).kind === kind);
const md = (r: InventoryResource) => r.inputs.metadata as { name: string; namespace: string; labels?: Record<string, string> };
const matches = (
  sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] },
  labels: Record<string, string>,
) =>
  Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (sel.matchExpressions ?? []).every((e) =>
    e.operator === "In" ? e.values.includes(labels[e.key] ?? "") : e.operator === "NotIn" ? !e.values.includes(labels[e.key] ?? "") : true,
  );

describe("scraping: the services' ServiceMonitors meet this Prometheus", () => {
  it("every service with a metrics port has exactly one ServiceMonitor that Prometheus selects, on the metrics port only", async () => {
    const inv = await program();
    const kps = inv.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kps")!;
    const prom = getPath(kps.inputs, "values.prometheus.prometheusSpec") as Record<string, any>;
    const sms = ofKind(inv, "ServiceMonitor");
    expect(sms.map((r) => md(r).name).sort()).toEqual(["api"]); // the worker has no metrics port
    for (const sm of sms) {
      const { namespace, labels = {} } = md(sm);
      expect(matches(prom.serviceMonitorNamespaceSelector, { "kubernetes.io/metadata.name": namespace }), `namespace ${namespace} selected`).toBe(true);
      expect(matches(prom.serviceMonitorSelector, labels)).toBe(true);
      const endpoints = getPath(sm.inputs, "spec.endpoints") as { port: string; path: string }[];
      expect(endpoints.map((e) => e.port)).toEqual(["metrics"]);
      // The Service it selects exposes `metrics` as the spec's metrics port.
      const sel = getPath(sm.inputs, "spec.selector") as { matchLabels: Record<string, string> };
      const targets = ofKind(inv, "Service").filter((s) => md(s).namespace === namespace && matches(sel, md(s).labels ?? {}));
      expect(targets.length).toBeGreaterThan(0);
      for (const t of targets) {
        const ports = getPath(t.inputs, "spec.ports") as { name: string; port: number; targetPort: number | string }[];
        const m = ports.find((p) => p.name === "metrics");
        expect(m?.port ?? m?.targetPort).toBe(9090);
      }
    }
    // The metrics port never sits behind an Ingress.
    for (const ing of ofKind(inv, "Ingress")) {
      const backends = JSON.stringify(getPath(ing.inputs, "spec.rules"));
      expect(backends).not.toMatch(/"metrics"|9090/);
    }
  });

  it("a namespace Prometheus does not select is not scraped (the selector is a real filter)", async () => {
    const inv = await program();
    const kps = inv.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kps")!;
    const sel = getPath(kps.inputs, "values.prometheus.prometheusSpec.serviceMonitorNamespaceSelector") as Parameters<typeof matches>[0];
    expect(matches(sel, { "kubernetes.io/metadata.name": "kube-public" })).toBe(false);
    expect(matches(sel, { "kubernetes.io/metadata.name": "apps" })).toBe(true);
  });
});
