/**
 * Regressions for what the real `helm template` found in our values (test/charts/render.test.ts
 * proves each against the chart; these pin the fix in the plan, fast and without helm), and the
 * "key the chart does not have" detector itself, on the real chart archives of the shared mirror.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CHART_PINS, helmChartSource, readDirectoryMirror } from "../../components/charts";
import { planAddons } from "../../components/cluster/addons";
import { depthPlan } from "../../components/monitoring/plan";
import { RULE_LABEL, kubePrometheusStackValues } from "../../components/monitoring/values";
import { readChart, unknownValueKeys } from "./helm";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const SHARED = CHARTS_MIRROR;
const mirror = readDirectoryMirror(SHARED).mirror!;
const archive = (pin: (typeof CHART_PINS)[keyof typeof CHART_PINS]) => helmChartSource(pin, mirror).chart;
const addons = (replicas: number, serviceMonitors = true) =>
  planAddons({
    controller: "traefik",
    namespaces: { ingress: "ingress", monitoring: "monitoring" },
    replicas,
    serviceMonitors,
    eks: { clusterName: "c", region: "us-east-1", autoscalerRoleArn: "arn:aws:iam::123456789012:role/ca" },
  });
const values = (key: string, replicas = 3, sm = true) => addons(replicas, sm).find((r) => r.key === key)!.values as any;

describe("findings of the real render, fixed in the plan", () => {
  it("traefik: the PDB is the chart's `podDisruptionBudget` (on only when replicated) and replicas spread over zones; no key the chart lacks", () => {
    const chart = readChart(archive(CHART_PINS.traefik));
    for (const replicas of [1, 2, 3]) {
      const v = values("traefik", replicas);
      expect(v.deployment.replicas).toBe(replicas);
      expect(v.podDisruptionBudget).toEqual(replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false });
      expect(v.topologySpreadConstraints.map((c: any) => c.topologyKey)).toEqual(replicas > 1 ? ["topology.kubernetes.io/zone"] : []);
      expect(unknownValueKeys(v, chart)).toEqual([]);
    }
  });

  it("metrics-server: `metrics.enabled` goes with `serviceMonitor.enabled` (the chart renders the ServiceMonitor only with both)", () => {
    expect(values("metrics-server", 3, true)).toMatchObject({ metrics: { enabled: true }, serviceMonitor: { enabled: true } });
    expect(values("metrics-server", 1, false)).toMatchObject({ metrics: { enabled: false }, serviceMonitor: { enabled: false } });
  });

  it("kube-prometheus-stack: the chart's default rules carry the label our ruleSelector matches", () => {
    for (const depth of ["basic", "enhanced", "full"] as const) {
      const v = kubePrometheusStackValues({
        plan: depthPlan(depth, 15, 30),
        namespace: "monitoring",
        scrapeNamespaces: ["apps", "monitoring"],
        grafana: { public: false },
        grafanaAdminSecret: "grafana-admin",
        logs: true,
        traces: "tempo",
      });
      expect(v.defaultRules.labels).toEqual(RULE_LABEL);
      expect(v.prometheus.prometheusSpec.ruleSelector).toEqual({ matchLabels: RULE_LABEL });
      expect(v.defaultRules.create).toBe(depth !== "basic");
    }
  });
});

describe("the unknown-key detector, on the real charts", () => {
  it("flags a key ingress-nginx does not have, not the keys it has or passes through (its last release, kept in the mirror as a fixture)", () => {
    const chart = readChart(path.join(SHARED, "ingress-nginx-4.15.1.tgz"));
    expect(chart.name).toBe("ingress-nginx");
    expect(
      unknownValueKeys(
        {
          controller: {
            podDisruptionBudget: { enabled: true },
            minAvailable: 1,
            config: { "any-nginx-key": "x" },
            resources: { requests: { cpu: "1" } },
            metrics: { serviceMonitor: { enabled: true } },
          },
        },
        chart,
      ),
    ).toEqual(["controller.podDisruptionBudget"]);
    expect(unknownValueKeys({ controller: { metrics: { bogus: true } }, bogusTop: 1 }, chart)).toEqual(["controller.metrics.bogus", "bogusTop"]);
  });

  it("walks into the entries a ranged map defines (traefik ports.web): a key the chart dropped is flagged, new entry names are not", () => {
    const traefik = readChart(archive(CHART_PINS.traefik));
    expect(traefik.name).toBe("traefik");
    // ports.web.redirectTo: removed in chart 34 (now ports.web.http.redirections.entryPoint).
    expect(unknownValueKeys({ ports: { web: { port: 8000, redirectTo: { port: "websecure" } } } }, traefik)).toEqual(["ports.web.redirectTo"]);
    expect(
      unknownValueKeys(
        {
          ports: {
            web: { port: 8000, http: { redirections: { entryPoint: { to: "websecure" } } } },
            metrics: { port: 9100 },
            custom: { port: 9000, anything: true },
          },
        },
        traefik,
      ),
    ).toEqual([]);
  });

  it("reads subchart defaults under their key (kube-prometheus-stack → grafana), and free-form config maps", () => {
    const kps = readChart(archive(CHART_PINS.kubePrometheusStack));
    expect(
      unknownValueKeys(
        { grafana: { sidecar: { dashboards: { enabled: true } }, "grafana.ini": { anything: { x: 1 } } }, "prometheus-node-exporter": { hostNetwork: false } },
        kps,
      ),
    ).toEqual([]);
    expect(unknownValueKeys({ grafana: { sidecar: { dashbords: {} } } }, kps)).toEqual(["grafana.sidecar.dashbords"]);
    const otel = readChart(archive(CHART_PINS.otelCollector));
    expect(unknownValueKeys({ config: { exporters: { otlp: { endpoint: "x" } } } }, otel)).toEqual([]);
  });

  it("knows which charts reference remote schemas (offline they need --skip-schema-validation)", () => {
    for (const pin of Object.values(CHART_PINS)) expect(readChart(archive(pin)).remoteSchemaRefs, pin.chart).toEqual([]);
    expect(readChart(path.join(SHARED, "nginx-ingress-2.6.4.tgz")).remoteSchemaRefs.length).toBeGreaterThan(0);
  });
});
