/**
 * prometheus-adapter: serves the custom metrics API (custom.metrics.k8s.io/v1beta1) from Prometheus,
 * so the `Pods` metrics of the HPAs components/service renders (`autoscaling.custom`) resolve.
 * Pure; no Pulumi import. Installed only when some service scales on a custom metric.
 *
 * The HPA asks for the metric by the name in the service spec; the rule maps it to a series:
 *   <base>_per_second  counter <base>_total   sum(rate(<base>_total{…}[2m])) by (pod)   e.g. http_requests_per_second
 *   <name>_total       counter <name>_total   sum(rate(<name>_total{…}[2m])) by (pod)   (a per-second rate under the counter's name)
 *   anything else      gauge   <name>         sum(<name>{…}) by (pod)                   e.g. queue_length (a pod's series summed)
 * The HPA divides the per-pod values' total by the pod count (`AverageValue` target). Series come
 * from the ServiceMonitors (components/service), whose targets carry `namespace` and `pod` labels;
 * discovery is restricted to the namespaces of the services that use the metric.
 */
import type { MonitoringDepth } from "./plan";
import { endpoints } from "./plan";

/** One service's custom metric: the name its HPA requests, and the namespace the service runs in. */
export interface CustomMetricTarget {
  metric: string;
  namespace: string;
}

/** One rule of the adapter's config (docs/config.md of kubernetes-sigs/prometheus-adapter). */
export interface AdapterRule {
  seriesQuery: string;
  resources: { overrides: { namespace: { resource: "namespace" }; pod: { resource: "pod" } } };
  name: { matches: string; as: string };
  metricsQuery: string;
}

/** Rate window of counter metrics: four samples at the ServiceMonitors' 30 s interval. */
export const RATE_WINDOW = "2m";
/** The adapter's HTTPS port (chart `listenPort`): the API server calls it for the APIService. */
export const ADAPTER_PORT = 6443;
/** The chart's pod labels (release name `prometheus-adapter`), for a NetworkPolicy selector. */
export const ADAPTER_POD_SELECTOR = { "app.kubernetes.io/name": "prometheus-adapter" } as const;
/** Non-root uid/gid the adapter image runs as (the chart's default). */
const ADAPTER_UID = 10001;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * PromQL keywords (operators, modifiers, aggregations, number literals): a series named like one
 * cannot stand bare where the adapter substitutes `<<.Series>>`, so such a metric is refused.
 */
export const PROMQL_KEYWORDS: ReadonlySet<string> = new Set([
  "and",
  "or",
  "unless",
  "atan2",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
  "inf",
  "nan",
  "start",
  "end",
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "count_values",
  "quantile",
  "limitk",
  "limit_ratio",
]);

/** The series behind an HPA metric name and whether it is a counter (rated) or a gauge. */
export function metricSource(metric: string): { series: string; kind: "counter" | "gauge" } {
  if (!METRIC_NAME.test(metric)) throw new Error(`custom metric '${metric}': must be a Prometheus metric name such as queue_length`);
  const perSecond = /^(.+)_per_second$/.exec(metric);
  const source = perSecond
    ? { series: `${perSecond[1]}_total`, kind: "counter" as const }
    : { series: metric, kind: metric.endsWith("_total") ? ("counter" as const) : ("gauge" as const) };
  if (PROMQL_KEYWORDS.has(source.series.toLowerCase()))
    throw new Error(`custom metric '${metric}': series '${source.series}' is a PromQL keyword and cannot be queried by bare name; rename the metric`);
  return source;
}

/** The query template of a metric kind (placeholders filled in by the adapter). */
export function metricsQuery(kind: "counter" | "gauge"): string {
  const selector = "<<.Series>>{<<.LabelMatchers>>}";
  return kind === "counter" ? `sum(rate(${selector}[${RATE_WINDOW}])) by (<<.GroupBy>>)` : `sum(${selector}) by (<<.GroupBy>>)`;
}

/**
 * One rule per distinct HPA metric name, restricted to the namespaces of the services using it;
 * deterministic (sorted by metric name). Throws on an invalid metric or namespace name.
 */
export function adapterRules(targets: CustomMetricTarget[]): AdapterRule[] {
  const byMetric = new Map<string, Set<string>>();
  for (const t of targets) {
    if (!NAMESPACE.test(t.namespace)) throw new Error(`custom metric '${t.metric}': namespace '${t.namespace}' is not a DNS-1123 label`);
    metricSource(t.metric);
    (byMetric.get(t.metric) ?? byMetric.set(t.metric, new Set()).get(t.metric)!).add(t.namespace);
  }
  return [...byMetric.keys()].sort().map((metric) => {
    const { series, kind } = metricSource(metric);
    const nss = [...byMetric.get(metric)!].sort();
    const nsMatcher = nss.length === 1 ? `namespace="${nss[0]}"` : `namespace=~"${nss.join("|")}"`;
    return {
      seriesQuery: `{__name__="${series}",${nsMatcher},pod!=""}`,
      resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
      name: { matches: `^${series}$`, as: metric },
      metricsQuery: metricsQuery(kind),
    };
  });
}

export interface AdapterInput {
  namespace: string;
  depth: MonitoringDepth;
  rules: AdapterRule[];
}

/** Values of the pinned prometheus-adapter chart (CHARTS.prometheusAdapter); image tag = the chart's appVersion. */
export function prometheusAdapterValues(i: AdapterInput) {
  if (i.rules.length === 0) throw new Error("prometheus-adapter: no custom metric rules (install the adapter only when a service scales on a custom metric)");
  const prom = new URL(endpoints(i.namespace).prometheus);
  const replicas = i.depth === "full" ? 2 : 1;
  return {
    prometheus: { url: `${prom.protocol}//${prom.hostname}`, port: Number(prom.port), path: "" },
    replicas,
    ...(replicas > 1 ? { podDisruptionBudget: { enabled: true, maxUnavailable: 1 } } : {}),
    listenPort: ADAPTER_PORT,
    logLevel: 2,
    metricsRelistInterval: "1m",
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: ADAPTER_UID,
      runAsGroup: ADAPTER_UID,
      fsGroup: ADAPTER_UID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: ADAPTER_UID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    service: { type: "ClusterIP" },
    hostNetwork: { enabled: false },
    rules: { default: false, custom: i.rules },
  };
}
