/**
 * Plain Prometheus configuration (prometheus.yml + a rule file) for the two places without the
 * Prometheus Operator: the local tier's rendered manifests and the droplet's Prometheus
 * container. The rules are the same table as the PrometheusRule CRD. Pure; no Pulumi import.
 */
import { stringify } from "yaml";
import type { MonitoringDepth } from "./plan";
import { type PromRuleGroup, renderRuleGroups, selectRules, Target } from "./alerts";

export interface StaticTarget {
  /** Job name and the `service` label. */
  name: string;
  /** host:port on the private network (one per replica). */
  addresses: string[];
  metricsPath: string;
}

export const RULE_FILE = "/etc/prometheus/rules/platform.rules.yml";

/** The platform's rule groups for a depth and target, plus the blueprint's own groups (blueprintRuleGroups). */
export function ruleFileYaml(depth: MonitoringDepth, target: Target, extra: PromRuleGroup[] = []): string {
  return stringify({ groups: [...renderRuleGroups(selectRules(depth, target)), ...extra] });
}

/** The droplet: static targets on the private Docker network (services, node-exporter, cAdvisor). */
export function hostPrometheusConfig(stack: string, targets: StaticTarget[]): string {
  const jobs = targets.map((t) => ({
    job_name: t.name,
    metrics_path: t.metricsPath,
    static_configs: [{ targets: t.addresses, labels: { service: t.name, namespace: "host" } }],
  }));
  return stringify({
    global: { scrape_interval: "30s", evaluation_interval: "30s", external_labels: { stack } },
    rule_files: [RULE_FILE],
    scrape_configs: [{ job_name: "prometheus", static_configs: [{ targets: ["localhost:9090"] }] }, ...jobs],
  });
}

/**
 * In-cluster Prometheus without the operator (local tier): discover Service endpoints whose port
 * is named `metrics` in the given namespaces — the same port the ServiceMonitors select.
 */
export function clusterPrometheusConfig(stack: string, namespaces: string[]): string {
  return stringify({
    global: { scrape_interval: "30s", evaluation_interval: "30s", external_labels: { stack } },
    rule_files: [RULE_FILE],
    scrape_configs: [
      { job_name: "prometheus", static_configs: [{ targets: ["localhost:9090"] }] },
      {
        job_name: "service-metrics",
        kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: [...namespaces].sort() } }],
        relabel_configs: [
          { source_labels: ["__meta_kubernetes_endpoint_port_name"], action: "keep", regex: "metrics" },
          { source_labels: ["__meta_kubernetes_service_annotation_prometheus_io_path"], action: "replace", regex: "(.+)", target_label: "__metrics_path__" },
          { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
          { source_labels: ["__meta_kubernetes_service_name"], target_label: "service" },
          { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
        ],
      },
    ],
  });
}
