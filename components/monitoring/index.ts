/**
 * `Monitoring` (Kubernetes tiers): kube-prometheus-stack (Prometheus, Alertmanager, Grafana),
 * Loki, an OpenTelemetry Collector forwarding traces to Tempo or Jaeger — each a pinned Helm
 * release with typed values (./values.ts) — plus the platform's alert rules (PrometheusRule from
 * the table in ./alerts.ts) and dashboards (ConfigMaps for the Grafana sidecar).
 * `mode: "manifests"` (local tier) renders a plain-manifest Prometheus instead: no Helm.
 * Providers: `{ kubernetes, random }`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ChartPin, helmChartSource } from "../charts";
import { generatePassword } from "../secrets/generate";
import { parseArgs } from "../data/schema";
import { adapterRules, prometheusAdapterValues } from "./adapter";
import { blueprintRuleGroups, blueprintRuleManifest, prometheusRuleManifest } from "./alerts";
import { monitoringArgs, type MonitoringArgs, type MonitoringConfig } from "./args";
import { blueprintDashboard, DASHBOARD_LABEL, overviewDashboard, serviceDashboard } from "./dashboards";
import { LOCAL_NOTE, localLogsNote, localManifests } from "./local";
import { fluentBitValues, localLogManifests } from "./logs";
import { CHARTS, depthPlan, endpoints } from "./plan";
import { RECEIVER_SECRET } from "./receivers";
import { jaegerValues, kubePrometheusStackValues, lokiValues, otelCollectorValues, RULE_LABEL, SMTP_SECRET, tempoValues } from "./values";

export type { MonitoringArgs } from "./args";

export const GRAFANA_ADMIN_SECRET = "grafana-admin";

export class Monitoring extends pulumi.ComponentResource {
  /** In-cluster Prometheus URL (for other components, e.g. an HPA metrics adapter). */
  public readonly prometheusUrl: string;
  /** OTLP gRPC endpoint services send traces to; undefined when tracing is off. */
  public readonly otlpEndpoint?: string;
  /** Loki push URL; undefined when logs are off. */
  public readonly lokiPushUrl?: string;
  /** Grafana admin password (secret), for the Secrets component's break-glass entry; undefined in manifests mode. */
  public readonly grafanaAdminPassword?: pulumi.Output<string>;
  /** Whether the ServiceMonitor / PrometheusRule CRDs exist (false in manifests mode: services must not create ServiceMonitors). */
  public readonly serviceMonitorsSupported: boolean;
  /** Whether prometheus-adapter serves the custom metrics API (some service scales on a custom metric; helm mode). */
  public readonly customMetricsAdapter: boolean;
  /** Human-readable note on what this tier skips. */
  public readonly note: string;

  constructor(name: string, args: MonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg: MonitoringConfig = parseArgs("Monitoring", name, monitoringArgs, args);
    const plan = depthPlan(cfg.depth, cfg.metricsRetentionDays, cfg.logRetentionDays);
    const scrapeNamespaces = [...new Set([...cfg.scrapeNamespaces, cfg.namespace])];
    // Pure and validated before any child resource: a bad metric name fails here.
    const rules = adapterRules(cfg.services.flatMap((s) => s.customMetrics.map((metric) => ({ metric, namespace: s.namespace }))));
    super("platform:monitoring:Monitoring", name, {}, opts);
    const ep = endpoints(cfg.namespace);

    if (cfg.mode === "manifests") {
      this.prometheusUrl = `http://prometheus.${cfg.namespace}.svc.cluster.local:9090`;
      this.serviceMonitorsSupported = false;
      this.customMetricsAdapter = false;
      this.note = `${LOCAL_NOTE}; ${localLogsNote(cfg.logs)}${rules.length ? `; custom HPA metrics (${rules.map((r) => r.name.as).join(", ")}) are not served (no metrics adapter in manifests mode)` : ""}`;
      if (cfg.logs) this.lokiPushUrl = ep.lokiPush;
      this.provisionManifests(name, cfg, scrapeNamespaces, plan);
    } else {
      this.prometheusUrl = ep.prometheus;
      this.serviceMonitorsSupported = true;
      this.customMetricsAdapter = rules.length > 0;
      const delivery = cfg.alerting?.receivers.length
        ? `alerts to ${cfg.alerting.receivers.map((r) => `${r.name} (${r.type})`).join(", ")} by severity`
        : cfg.alertEmail && cfg.smtp
          ? `alerts e-mailed to ${cfg.alertEmail}`
          : cfg.alertEmail
            ? "alertEmail set but no SMTP relay given: alerts are visible in Alertmanager/Grafana only"
            : "no alert receiver: alerts are visible in Alertmanager/Grafana only";
      this.note = `kube-prometheus-stack ${CHARTS.kubePrometheusStack.version} (${cfg.depth}), logs: ${cfg.logs ? "fluent-bit → loki" : "off"}, traces: ${cfg.traces}${rules.length ? `, custom metrics API: prometheus-adapter ${CHARTS.prometheusAdapter.version} (${rules.map((r) => r.name.as).join(", ")})` : ""}; ${delivery}`;
      if (cfg.logs) this.lokiPushUrl = ep.lokiPush;
      if (cfg.traces !== "none") this.otlpEndpoint = ep.otlpGrpc;
      this.grafanaAdminPassword = this.provisionHelm(name, cfg, plan, scrapeNamespaces, rules);
    }
    this.registerOutputs({
      prometheusUrl: this.prometheusUrl,
      otlpEndpoint: this.otlpEndpoint,
      lokiPushUrl: this.lokiPushUrl,
      grafanaAdminPassword: this.grafanaAdminPassword,
      serviceMonitorsSupported: this.serviceMonitorsSupported,
      customMetricsAdapter: this.customMetricsAdapter,
      note: this.note,
    });
  }

  private provisionHelm(
    name: string,
    cfg: MonitoringConfig,
    plan: ReturnType<typeof depthPlan>,
    scrapeNamespaces: string[],
    rules: ReturnType<typeof adapterRules>,
  ): pulumi.Output<string> {
    const parent = { parent: this };
    const ns = cfg.namespace;
    const password = generatePassword(`${name}-grafana-admin`, { length: 32, special: false }, parent);
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: GRAFANA_ADMIN_SECRET, namespace: ns, labels: { "app.kubernetes.io/part-of": "platform-monitoring" } },
        type: "Opaque",
        stringData: { "admin-user": "admin", "admin-password": pulumi.secret(password) },
      },
      parent,
    );

    const receivers = cfg.alerting?.receivers ?? [];
    const missing = receivers.filter((r) => !cfg.receiverSecrets[r.name]).map((r) => r.name);
    if (missing.length)
      throw new Error(
        `Monitoring ${name}: receivers ${missing.join(", ")} have no secret: pass receiverSecrets.<name> (stack config \`pulumi config set --secret --path platform:alertingSecrets.<name> <value>\`)`,
      );
    const receiverSecret = receivers.length
      ? [
          new k8s.core.v1.Secret(
            `${name}-receivers`,
            {
              metadata: { name: RECEIVER_SECRET, namespace: ns, labels: { "app.kubernetes.io/part-of": "platform-monitoring" } },
              type: "Opaque",
              stringData: Object.fromEntries(receivers.map((r) => [r.name, pulumi.secret(cfg.receiverSecrets[r.name]!)])),
            },
            parent,
          ),
        ]
      : [];
    const smtpSecret =
      cfg.alertEmail && cfg.smtp
        ? [
            new k8s.core.v1.Secret(
              `${name}-smtp`,
              { metadata: { name: SMTP_SECRET, namespace: ns }, type: "Opaque", stringData: { password: pulumi.secret(cfg.smtp.password) } },
              parent,
            ),
          ]
        : [];
    const release = (id: string, pin: ChartPin, values: Record<string, unknown>, deps: pulumi.Resource[] = []) =>
      new k8s.helm.v3.Release(
        `${name}-${id}`,
        {
          name: id,
          namespace: ns,
          ...helmChartSource(pin, cfg.charts),
          values,
          createNamespace: false,
          atomic: true,
          cleanupOnFail: true,
          timeout: 900,
        },
        { ...parent, dependsOn: deps },
      );

    const kps = release(
      "kps",
      CHARTS.kubePrometheusStack,
      kubePrometheusStackValues({
        plan,
        namespace: ns,
        scrapeNamespaces,
        grafana: cfg.grafana,
        grafanaAdminSecret: GRAFANA_ADMIN_SECRET,
        logs: cfg.logs,
        traces: cfg.traces,
        ...(cfg.alertEmail && cfg.smtp
          ? { email: { to: cfg.alertEmail, smarthost: cfg.smtp.smarthost, from: cfg.smtp.from, username: cfg.smtp.username } }
          : {}),
        ...(cfg.alerting ? { alerting: cfg.alerting } : {}),
      }),
      [adminSecret, ...smtpSecret, ...receiverSecret],
    );
    if (cfg.logs) {
      // Loki keeps the tier's retention; Fluent Bit on every node ships every namespace's container logs to it.
      const loki = release("loki", CHARTS.loki, lokiValues(plan));
      release("fluent-bit", CHARTS.fluentBit, fluentBitValues({ namespace: ns, stack: cfg.stack, serviceMonitor: true }), [loki]);
    }
    if (cfg.traces !== "none") {
      const backend = cfg.traces === "tempo" ? release("tempo", CHARTS.tempo, tempoValues(plan)) : release("jaeger", CHARTS.jaeger, jaegerValues(plan));
      release("otel-collector", CHARTS.otelCollector, otelCollectorValues(ns, cfg.traces), [backend]);
    }
    // The custom metrics API for HPAs' `Pods` metrics, reading from the kps Prometheus.
    if (rules.length) release("prometheus-adapter", CHARTS.prometheusAdapter, prometheusAdapterValues({ namespace: ns, depth: cfg.depth, rules }), [kps]);

    const rule = prometheusRuleManifest("platform-alerts", ns, cfg.depth, { ...RULE_LABEL });
    new k8s.apiextensions.CustomResource(
      `${name}-alerts`,
      { apiVersion: rule.apiVersion, kind: rule.kind, metadata: rule.metadata, spec: rule.spec },
      { ...parent, dependsOn: [kps] },
    );
    // The blueprint's own rules (its view's business signals), routed by the same severity labels.
    const bp = cfg.blueprint;
    if (bp && blueprintRuleGroups(bp.name, cfg.depth, bp.alerts).length) {
      const r = blueprintRuleManifest(bp.name, ns, cfg.depth, bp.alerts, { ...RULE_LABEL });
      new k8s.apiextensions.CustomResource(
        `${name}-${bp.name}-alerts`,
        { apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata, spec: r.spec },
        { ...parent, dependsOn: [kps] },
      );
    }
    const dashboards = [
      { id: "overview", json: overviewDashboard(cfg.stack, scrapeNamespaces) },
      ...cfg.services.map((s) => ({ id: `svc-${s.name}`, json: serviceDashboard(s) })),
      ...(bp?.dashboard ? [{ id: bp.name, json: blueprintDashboard(bp.name, cfg.stack, bp.dashboard) }] : []),
    ];
    for (const d of dashboards) {
      new k8s.core.v1.ConfigMap(
        `${name}-dashboard-${d.id}`,
        {
          metadata: { name: `dashboard-${d.id}`, namespace: ns, labels: { ...DASHBOARD_LABEL, "app.kubernetes.io/part-of": "platform-monitoring" } },
          data: { [`${d.id}.json`]: JSON.stringify(d.json) },
        },
        parent,
      );
    }
    return pulumi.secret(password);
  }

  private provisionManifests(name: string, cfg: MonitoringConfig, scrapeNamespaces: string[], plan: ReturnType<typeof depthPlan>): void {
    const parent = { parent: this };
    const m = localManifests({
      stack: cfg.stack,
      namespace: cfg.namespace,
      scrapeNamespaces,
      depth: cfg.depth,
      retentionDays: cfg.metricsRetentionDays,
      ruleGroups: cfg.blueprint ? blueprintRuleGroups(cfg.blueprint.name, cfg.depth, cfg.blueprint.alerts) : [],
    });
    const sa = new k8s.core.v1.ServiceAccount(`${name}-prometheus`, m.serviceAccount, parent);
    const role = new k8s.rbac.v1.ClusterRole(`${name}-prometheus`, m.clusterRole, parent);
    new k8s.rbac.v1.ClusterRoleBinding(`${name}-prometheus`, m.clusterRoleBinding, { ...parent, dependsOn: [sa, role] });
    const cm = new k8s.core.v1.ConfigMap(`${name}-prometheus-config`, m.configMap, parent);
    new k8s.apps.v1.Deployment(`${name}-prometheus`, m.deployment, { ...parent, dependsOn: [cm, sa] });
    new k8s.core.v1.Service(`${name}-prometheus`, m.service, parent);
    if (!cfg.logs) return;
    // Logs: Loki and the Fluent Bit DaemonSet as plain manifests (same collector configuration as the chart's).
    const l = localLogManifests({ stack: cfg.stack, namespace: cfg.namespace, plan });
    const lokiCm = new k8s.core.v1.ConfigMap(`${name}-loki-config`, l.lokiConfig, parent);
    const loki = new k8s.apps.v1.Deployment(`${name}-loki`, l.lokiDeployment, { ...parent, dependsOn: [lokiCm] });
    const lokiSvc = new k8s.core.v1.Service(`${name}-loki`, l.lokiService, { ...parent, dependsOn: [loki] });
    const fbSa = new k8s.core.v1.ServiceAccount(`${name}-fluent-bit`, l.collectorServiceAccount, parent);
    const fbRole = new k8s.rbac.v1.ClusterRole(`${name}-fluent-bit`, l.collectorClusterRole, parent);
    const fbBinding = new k8s.rbac.v1.ClusterRoleBinding(`${name}-fluent-bit`, l.collectorClusterRoleBinding, { ...parent, dependsOn: [fbSa, fbRole] });
    const fbCm = new k8s.core.v1.ConfigMap(`${name}-fluent-bit-config`, l.collectorConfig, parent);
    new k8s.apps.v1.DaemonSet(`${name}-fluent-bit`, l.collectorDaemonSet, { ...parent, dependsOn: [fbCm, fbBinding, lokiSvc] });
  }
}
