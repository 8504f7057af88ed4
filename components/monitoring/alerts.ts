/**
 * Alert rules as code: ONE typed table (thresholds from the music platform's alerting rules and
 * the issue), rendered to a PrometheusRule custom resource (kube-prometheus-stack) and to a plain
 * Prometheus rule file (the local tier's manifests and the droplet's Prometheus container).
 *
 * Metric conventions the services follow (documented in docs and the service spec):
 *   http_requests_total{code}                       — every HTTP service (status code label `code`)
 *   db_query_duration_seconds_bucket                — services that talk to a database (histogram)
 * Infrastructure metrics come from node-exporter, kube-state-metrics, kubelet and cert-manager.
 *
 * Pure: data in, data out; no Pulumi import.
 */
import type { MonitoringDepth } from "./plan";

export type Severity = "critical" | "warning";
/** Where a rule applies: Kubernetes tiers, the droplet's Prometheus, or both. */
export type Target = "kubernetes" | "host";

/** One alert threshold row. `expr` is built from the row so the threshold is visible as data. */
export interface AlertRow {
  /** Alert name; critical and warning variants share it so Alertmanager can inhibit the warning. */
  alert: string;
  severity: Severity;
  /** Group in the rule file. */
  group: "api" | "database" | "capacity" | "availability" | "scaling" | "certificates";
  /** The threshold, in the unit of `compare` (ratio, seconds, days...). */
  threshold: number;
  /** How long the condition must hold before the alert fires. */
  for: string;
  /** PromQL of the measured quantity (left-hand side of the comparison). */
  measure: string;
  compare: ">" | "<" | "==" | ">=";
  /** Shallowest monitoring depth that evaluates the rule (basic < enhanced < full). */
  minDepth: MonitoringDepth;
  targets: Target[];
  summary: string;
  /** Where the threshold comes from. */
  source: string;
}

const ERROR_RATIO = 'sum by (namespace, service) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (namespace, service) (rate(http_requests_total[5m]))';
const DB_P95 = "histogram_quantile(0.95, sum by (le, namespace, service) (rate(db_query_duration_seconds_bucket[5m])))";
const DISK_FREE =
  'node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs",mountpoint!~"/run.*"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs",mountpoint!~"/run.*"}';
const VOLUME_FREE = "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes";
const MUSIC = "music-platform-gitops.md (Alerting Rules)";

/** The table. Every rule the platform ships comes from here. */
export const ALERT_TABLE: readonly AlertRow[] = [
  {
    alert: "ApiHighErrorRate",
    severity: "critical",
    group: "api",
    threshold: 0.05,
    for: "5m",
    measure: ERROR_RATIO,
    compare: ">",
    minDepth: "basic",
    targets: ["kubernetes", "host"],
    summary: "API 5xx ratio above 5%",
    source: MUSIC,
  },
  {
    alert: "ApiHighErrorRate",
    severity: "warning",
    group: "api",
    threshold: 0.01,
    for: "10m",
    measure: ERROR_RATIO,
    compare: ">",
    minDepth: "enhanced",
    targets: ["kubernetes", "host"],
    summary: "API 5xx ratio above 1%",
    source: MUSIC,
  },
  {
    alert: "DatabaseQueryLatencyHigh",
    severity: "critical",
    group: "database",
    threshold: 1,
    for: "5m",
    measure: DB_P95,
    compare: ">",
    minDepth: "basic",
    targets: ["kubernetes", "host"],
    summary: "p95 database query latency above 1 s",
    source: MUSIC,
  },
  {
    alert: "DatabaseQueryLatencyHigh",
    severity: "warning",
    group: "database",
    threshold: 0.5,
    for: "10m",
    measure: DB_P95,
    compare: ">",
    minDepth: "enhanced",
    targets: ["kubernetes", "host"],
    summary: "p95 database query latency above 500 ms",
    source: MUSIC,
  },
  {
    alert: "NodeDiskSpaceLow",
    severity: "critical",
    group: "capacity",
    threshold: 0.1,
    for: "5m",
    measure: DISK_FREE,
    compare: "<",
    minDepth: "basic",
    targets: ["kubernetes", "host"],
    summary: "less than 10% disk space free",
    source: MUSIC,
  },
  {
    alert: "NodeDiskSpaceLow",
    severity: "warning",
    group: "capacity",
    threshold: 0.2,
    for: "15m",
    measure: DISK_FREE,
    compare: "<",
    minDepth: "enhanced",
    targets: ["kubernetes", "host"],
    summary: "disk usage above 80%",
    source: MUSIC,
  },
  {
    alert: "VolumeSpaceLow",
    severity: "critical",
    group: "capacity",
    threshold: 0.1,
    for: "5m",
    measure: VOLUME_FREE,
    compare: "<",
    minDepth: "basic",
    targets: ["kubernetes"],
    summary: "persistent volume less than 10% free",
    source: MUSIC,
  },
  {
    alert: "VolumeSpaceLow",
    severity: "warning",
    group: "capacity",
    threshold: 0.2,
    for: "15m",
    measure: VOLUME_FREE,
    compare: "<",
    minDepth: "enhanced",
    targets: ["kubernetes"],
    summary: "persistent volume usage above 80%",
    source: MUSIC,
  },
  {
    alert: "ServiceDown",
    severity: "critical",
    group: "availability",
    threshold: 0,
    for: "2m",
    measure: "up",
    compare: "==",
    minDepth: "basic",
    targets: ["kubernetes", "host"],
    summary: "a scrape target (service) is down",
    source: MUSIC,
  },
  {
    alert: "HpaAtMaxReplicas",
    severity: "warning",
    group: "scaling",
    threshold: 0,
    for: "15m",
    // current - max ≥ 0, only for HPAs that can actually scale (max > min).
    measure:
      "kube_horizontalpodautoscaler_status_current_replicas - on (namespace, horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_max_replicas and on (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas > kube_horizontalpodautoscaler_spec_min_replicas)",
    compare: ">=",
    minDepth: "enhanced",
    targets: ["kubernetes"],
    summary: "HorizontalPodAutoscaler has been at its maximum replicas for 15 minutes",
    source: "issue 7",
  },
  {
    alert: "CertificateExpiringSoon",
    severity: "warning",
    group: "certificates",
    threshold: 14,
    for: "1h",
    measure: "(certmanager_certificate_expiration_timestamp_seconds - time()) / 86400",
    compare: "<",
    minDepth: "basic",
    targets: ["kubernetes"],
    summary: "a TLS certificate expires within 14 days",
    source: "issue 7",
  },
];

const DEPTH_ORDER: Record<MonitoringDepth, number> = { basic: 0, enhanced: 1, full: 2 };

/** A rule in Prometheus' rule-file shape. */
export interface PromRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; source: string };
}

export interface PromRuleGroup {
  name: string;
  rules: PromRule[];
}

/** The PromQL of one row: the measure compared with its threshold. */
export function ruleExpr(row: AlertRow): string {
  return `(${row.measure}) ${row.compare} ${row.threshold}`;
}

/** Rows a depth and target evaluate. */
export function selectRules(depth: MonitoringDepth, target: Target, table: readonly AlertRow[] = ALERT_TABLE): AlertRow[] {
  return table.filter((r) => DEPTH_ORDER[r.minDepth] <= DEPTH_ORDER[depth] && r.targets.includes(target));
}

export function renderRuleGroups(rows: readonly AlertRow[]): PromRuleGroup[] {
  const groups = new Map<string, PromRule[]>();
  for (const row of rows) {
    const list = groups.get(row.group) ?? [];
    list.push({
      alert: row.alert,
      expr: ruleExpr(row),
      for: row.for,
      labels: { severity: row.severity },
      annotations: {
        summary: row.summary,
        description: `${row.summary} ({{ $labels.namespace }}/{{ $labels.service }}{{ $labels.instance }}: value {{ $value }})`,
        source: row.source,
      },
    });
    groups.set(row.group, list);
  }
  return [...groups].map(([g, rules]) => ({ name: `platform.${g}`, rules }));
}

/** The PrometheusRule custom resource (monitoring.coreos.com/v1) for kube-prometheus-stack. */
export function prometheusRuleManifest(name: string, namespace: string, depth: MonitoringDepth, labels: Record<string, string>) {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name, namespace, labels },
    spec: { groups: renderRuleGroups(selectRules(depth, "kubernetes")) },
  };
}

/**
 * A blueprint's own alert (its reference view's business signals, from `monitoring.alerts` in the
 * blueprint file). Same depth rule as the table: criticals from `basic`, warnings from `enhanced`.
 */
export interface BlueprintAlertRow {
  alert: string;
  severity: Severity;
  measure: string;
  compare: ">" | "<" | ">=" | "<=" | "==";
  threshold: number;
  for: string;
  summary: string;
  /** The view's words the alert answers. */
  view: string;
}

/** The blueprint's alerts a depth evaluates, as one rule group `<blueprint>.business`. Empty when none apply. */
export function blueprintRuleGroups(blueprint: string, depth: MonitoringDepth, alerts: readonly BlueprintAlertRow[]): PromRuleGroup[] {
  const rules = alerts
    .filter((a) => a.severity === "critical" || DEPTH_ORDER[depth] >= DEPTH_ORDER.enhanced)
    .map((a) => ({
      alert: a.alert,
      expr: `(${a.measure}) ${a.compare} ${a.threshold}`,
      for: a.for,
      labels: { severity: a.severity },
      annotations: {
        summary: a.summary,
        description: `${a.summary} ({{ $labels.namespace }}/{{ $labels.service }}{{ $labels.instance }}: value {{ $value }})`,
        source: `${blueprint}: "${a.view}"`,
      },
    }));
  return rules.length ? [{ name: `${blueprint}.business`, rules }] : [];
}

/** The blueprint's PrometheusRule (same rule label as the platform's, so the ruleSelector loads it). */
export function blueprintRuleManifest(
  blueprint: string,
  namespace: string,
  depth: MonitoringDepth,
  alerts: readonly BlueprintAlertRow[],
  labels: Record<string, string>,
) {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: `${blueprint}-alerts`, namespace, labels: { ...labels, "platform.io/blueprint": blueprint } },
    spec: { groups: blueprintRuleGroups(blueprint, depth, alerts) },
  };
}

/** Alertmanager inhibition: a firing critical silences the warning of the same alert and target. */
export const INHIBIT_RULES = [
  { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "namespace", "service", "instance"] },
];
