/**
 * The monitoring plan: what the tier's monitoring depth means in replicas, storage and
 * retention, and which pinned charts it installs. Pure; no Pulumi import.
 *
 *   basic    (dev/local)  1 Prometheus, 1 Alertmanager, critical alerts only, small volumes
 *   enhanced (staging)    + warning alerts, the chart's default rules, bigger volumes, 2 Alertmanagers
 *   full     (prod)       2 Prometheus replicas, 3 Alertmanagers, largest volumes
 * Retention comes from the tier row (metricsRetentionDays, logRetentionDays).
 */
import { CHART_PINS, VERSION_PINS } from "../charts";

/** How much monitoring runs (the stack's tier row picks one: stacks/spec/tiers.ts `monitoring`). */
export type MonitoringDepth = "basic" | "enhanced" | "full";

/** The charts this component installs (pins live in components/charts.ts, the one table). */
export const CHARTS = {
  kubePrometheusStack: CHART_PINS.kubePrometheusStack,
  loki: CHART_PINS.loki,
  fluentBit: CHART_PINS.fluentBit,
  otelCollector: CHART_PINS.otelCollector,
  tempo: CHART_PINS.tempo,
  jaeger: CHART_PINS.jaeger,
  prometheusAdapter: CHART_PINS.prometheusAdapter,
} as const;

/** Images pinned for the plain-manifest (local) and droplet equivalents. */
export const IMAGES = {
  prometheus: VERSION_PINS.prometheus.value,
  nodeExporter: VERSION_PINS.nodeExporter.value,
  cadvisor: VERSION_PINS.cadvisor.value,
  otelCollector: VERSION_PINS.otelCollector.value,
} as const;

export interface DepthPlan {
  depth: MonitoringDepth;
  prometheus: { replicas: number; storageGi: number; retention: string; retentionSize: string };
  alertmanager: { replicas: number; storageGi: number };
  grafana: { persistenceGi: number };
  /** Application logs keep `retentionPeriod`; streams labelled log_type="audit" keep `auditRetentionPeriod` (music platform: 30 / 90 days). */
  loki: { storageGi: number; retentionPeriod: string; auditRetentionPeriod: string };
  traces: { storageGi: number; retentionHours: number };
  /** The chart's built-in rule set (kubernetes-mixin) on top of ours. */
  chartDefaultRules: boolean;
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
}

const DEPTHS: Record<MonitoringDepth, Omit<DepthPlan, "depth" | "prometheus" | "loki"> & { promReplicas: number; promGi: number; lokiGi: number }> = {
  basic: {
    promReplicas: 1,
    promGi: 10,
    alertmanager: { replicas: 1, storageGi: 1 },
    grafana: { persistenceGi: 1 },
    lokiGi: 10,
    traces: { storageGi: 5, retentionHours: 72 },
    chartDefaultRules: false,
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "1Gi" } },
  },
  enhanced: {
    promReplicas: 1,
    promGi: 50,
    alertmanager: { replicas: 2, storageGi: 2 },
    grafana: { persistenceGi: 5 },
    lokiGi: 50,
    traces: { storageGi: 20, retentionHours: 168 },
    chartDefaultRules: true,
    resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
  },
  full: {
    promReplicas: 2,
    promGi: 100,
    alertmanager: { replicas: 3, storageGi: 5 },
    grafana: { persistenceGi: 10 },
    lokiGi: 100,
    traces: { storageGi: 50, retentionHours: 336 },
    chartDefaultRules: true,
    resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
  },
};

export function depthPlan(depth: MonitoringDepth, metricsRetentionDays: number, logRetentionDays: number): DepthPlan {
  if (!Number.isInteger(metricsRetentionDays) || metricsRetentionDays < 1)
    throw new Error(`metricsRetentionDays must be a whole number of days ≥ 1, got ${metricsRetentionDays}`);
  if (!Number.isInteger(logRetentionDays) || logRetentionDays < 1)
    throw new Error(`logRetentionDays must be a whole number of days ≥ 1, got ${logRetentionDays}`);
  const d = DEPTHS[depth];
  return {
    depth,
    // retentionSize keeps Prometheus from filling its volume before the time limit: 80% of it.
    prometheus: { replicas: d.promReplicas, storageGi: d.promGi, retention: `${metricsRetentionDays}d`, retentionSize: `${Math.floor(d.promGi * 0.8)}GB` },
    alertmanager: d.alertmanager,
    grafana: d.grafana,
    loki: { storageGi: d.lokiGi, retentionPeriod: `${logRetentionDays * 24}h`, auditRetentionPeriod: `${Math.max(90, logRetentionDays) * 24}h` },
    traces: d.traces,
    chartDefaultRules: d.chartDefaultRules,
    resources: d.resources,
  };
}

/** In-cluster service names the releases create (fullnameOverride keeps them stable). */
export function endpoints(namespace: string) {
  const svc = (n: string, port: number) => `http://${n}.${namespace}.svc.cluster.local:${port}`;
  return {
    prometheus: svc("kps-prometheus", 9090),
    alertmanager: svc("kps-alertmanager", 9093),
    grafana: svc("kps-grafana", 80),
    lokiPush: `${svc("loki", 3100)}/loki/api/v1/push`,
    loki: svc("loki", 3100),
    tempo: svc("tempo", 3100),
    tempoOtlpGrpc: `tempo.${namespace}.svc.cluster.local:4317`,
    jaegerQuery: svc("jaeger-query", 16686),
    jaegerOtlpGrpc: `jaeger-collector.${namespace}.svc.cluster.local:4317`,
    otlpGrpc: `otel-collector.${namespace}.svc.cluster.local:4317`,
    otlpHttp: svc("otel-collector", 4318),
  };
}
