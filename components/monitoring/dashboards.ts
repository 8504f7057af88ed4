/**
 * Dashboards as code: one Grafana dashboard per service (the four golden signals: rate, errors,
 * duration, saturation) and one platform overview. Plain Grafana dashboard JSON (schemaVersion
 * 39), shipped in ConfigMaps labelled for the Grafana sidecar (`grafana_dashboard: "1"`), or as
 * provisioning files on the droplet. Pure; no Pulumi import.
 */

export interface DashboardTarget {
  expr: string;
  legendFormat: string;
  refId: string;
}

export interface DashboardPanel {
  id: number;
  type: "timeseries" | "stat";
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: "prometheus"; uid: string };
  fieldConfig: { defaults: { unit: string }; overrides: [] };
  targets: DashboardTarget[];
}

export interface Dashboard {
  uid: string;
  title: string;
  /** The reference view's words (blueprint dashboards). */
  description?: string;
  tags: string[];
  schemaVersion: number;
  timezone: "utc";
  refresh: string;
  time: { from: string; to: string };
  panels: DashboardPanel[];
}

/** The Prometheus datasource uid Grafana is provisioned with (kube-prometheus-stack default). */
export const PROMETHEUS_DS_UID = "prometheus";
/** Label the kube-prometheus-stack Grafana sidecar watches for dashboards. */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** Where a service's metrics live: its namespace and the `service` label Prometheus attaches. */
export interface ServiceSelector {
  name: string;
  namespace: string;
  /** Has a metrics port: without it only saturation (cAdvisor) panels have data. */
  metrics: boolean;
  /** Connects to a database (adds the DB latency panel). */
  database: boolean;
}

function panel(id: number, title: string, unit: string, y: number, x: number, targets: Omit<DashboardTarget, "refId">[]): DashboardPanel {
  return {
    id,
    type: "timeseries",
    title,
    gridPos: { x, y, w: 12, h: 8 },
    datasource: { type: "prometheus", uid: PROMETHEUS_DS_UID },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: targets.map((t, i) => ({ ...t, refId: String.fromCharCode(65 + i) })),
  };
}

function shell(uid: string, title: string, tags: string[], panels: DashboardPanel[]): Dashboard {
  return { uid, title, tags, schemaVersion: 39, timezone: "utc", refresh: "30s", time: { from: "now-6h", to: "now" }, panels };
}

/** Grafana uids are at most 40 characters. */
function uidOf(prefix: string, name: string): string {
  return `${prefix}-${name}`.slice(0, 40);
}

export function serviceDashboard(s: ServiceSelector): Dashboard {
  const sel = `namespace="${s.namespace}", service="${s.name}"`;
  const pods = `namespace="${s.namespace}", pod=~"${s.name}-.*", container!="", container!="POD"`;
  const panels: DashboardPanel[] = [
    panel(1, "Rate (requests/s)", "reqps", 0, 0, [{ expr: `sum by (code) (rate(http_requests_total{${sel}}[5m]))`, legendFormat: "{{code}}" }]),
    panel(2, "Errors (5xx ratio)", "percentunit", 0, 12, [
      { expr: `sum(rate(http_requests_total{${sel}, code=~"5.."}[5m])) / sum(rate(http_requests_total{${sel}}[5m]))`, legendFormat: "5xx ratio" },
    ]),
    panel(
      3,
      "Duration (seconds)",
      "s",
      8,
      0,
      [0.5, 0.95, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[5m])))`,
        legendFormat: `p${Math.round(q * 100)}`,
      })),
    ),
    panel(4, "Saturation (CPU cores, memory bytes)", "short", 8, 12, [
      { expr: `sum(rate(container_cpu_usage_seconds_total{${pods}}[5m]))`, legendFormat: "cpu cores" },
      { expr: `sum(container_memory_working_set_bytes{${pods}})`, legendFormat: "memory" },
    ]),
  ];
  if (s.database) {
    panels.push(
      panel(5, "Database query latency p95 (seconds)", "s", 16, 0, [
        { expr: `histogram_quantile(0.95, sum by (le) (rate(db_query_duration_seconds_bucket{${sel}}[5m])))`, legendFormat: "p95" },
      ]),
    );
  }
  return shell(uidOf("svc", s.name), `Service: ${s.name}`, ["platform", "service", s.name], panels);
}

export function overviewDashboard(stack: string, namespaces: string[]): Dashboard {
  const ns = `namespace=~"${namespaces.join("|")}"`;
  return shell(
    uidOf("platform", stack),
    `Platform overview (${stack})`,
    ["platform", "overview"],
    [
      panel(1, "Requests/s by service", "reqps", 0, 0, [{ expr: `sum by (service) (rate(http_requests_total{${ns}}[5m]))`, legendFormat: "{{service}}" }]),
      panel(2, "5xx ratio by service", "percentunit", 0, 12, [
        {
          expr: `sum by (service) (rate(http_requests_total{${ns}, code=~"5.."}[5m])) / sum by (service) (rate(http_requests_total{${ns}}[5m]))`,
          legendFormat: "{{service}}",
        },
      ]),
      panel(3, "Targets up", "short", 8, 0, [{ expr: "sum by (job) (up)", legendFormat: "{{job}}" }]),
      panel(4, "Firing alerts", "short", 8, 12, [
        { expr: 'sum by (alertname, severity) (ALERTS{alertstate="firing"})', legendFormat: "{{alertname}} ({{severity}})" },
      ]),
      panel(5, "Node CPU busy", "percentunit", 16, 0, [
        { expr: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', legendFormat: "{{instance}}" },
      ]),
      panel(6, "Disk used", "percentunit", 16, 12, [
        {
          expr: '1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"}',
          legendFormat: "{{instance}} {{mountpoint}}",
        },
      ]),
    ],
  );
}

/** Every PromQL expression in a dashboard (for tests and review). */
export function dashboardExprs(d: Dashboard): string[] {
  return d.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

/** A blueprint's own dashboard (`monitoring.dashboard` in the blueprint file): the panels its view names. */
export interface BlueprintDashboardSpec {
  title: string;
  view: string;
  panels: { title: string; unit: string; queries: { expr: string; legend: string }[] }[];
}

/** Two panels per row, 12 columns wide, in the order the blueprint lists them. */
export function blueprintDashboard(blueprint: string, stack: string, d: BlueprintDashboardSpec): Dashboard {
  const panels = d.panels.map((p, i) =>
    panel(
      i + 1,
      p.title,
      p.unit,
      Math.floor(i / 2) * 8,
      (i % 2) * 12,
      p.queries.map((q) => ({ expr: q.expr, legendFormat: q.legend })),
    ),
  );
  const out = shell(uidOf("bp", `${blueprint}-${stack}`), `${d.title} (${stack})`, ["platform", "blueprint", blueprint], panels);
  return { ...out, description: `${blueprint}: "${d.view}"` };
}
