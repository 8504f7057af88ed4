/**
 * Monitoring composer: the tier's monitoring depth on the stack's hosting.
 *
 *   const mon = composeMonitoring(ctx, { ingress: { className: cluster.ingress.className, clusterIssuer: cluster.clusterIssuer }, dependsOn: cluster.ready });
 *   // Kubernetes: Service args `serviceMonitor.enabled = mon.serviceMonitors`; secrets get mon.grafanaAdminPassword.
 *   // Droplet:    composeMonitoring(ctx, { hostContainerName: (svc, i) => serviceContainerName(appName, svc, i) })
 *
 * Kubernetes (staging/prod): `Monitoring` with pinned Helm releases. Local: `Monitoring` in
 * manifests mode (plain Prometheus, nothing fetched). Droplet: `HostMonitoring` containers.
 */
import * as pulumi from "@pulumi/pulumi";
import { HostMonitoring } from "../../components/monitoring/host";
import { Monitoring } from "../../components/monitoring";
import type { GrafanaExposure } from "../../components/monitoring/values";
import type { Context } from "../context";
import { fqdn } from "../spec/platform";

export interface MonitoringComposeOptions {
  /** Ingress class and cert-manager issuer (a public Grafana only). */
  ingress?: { className: string; clusterIssuer?: string };
  /** SSO for a public Grafana (required when the blueprint sets `monitoring.grafanaPublic`). */
  grafanaSso?: Extract<GrafanaExposure, { public: true }>["sso"];
  /** Droplet: the Docker container name of replica `i` of a service (components/host's serviceContainerName). */
  hostContainerName?: (service: string, replica: number) => string;
  /** SMTP relay for alert e-mail to spec.alertEmail (password: a secret Output, e.g. a config secret). */
  smtp?: { smarthost: string; from: string; username: string; password: pulumi.Output<string> };
  /** Resources the releases wait for (namespaces, add-ons: KubernetesPlatform.ready). */
  dependsOn?: pulumi.Resource[];
}

export interface MonitoringOutputs {
  component?: Monitoring | HostMonitoring;
  /** Create ServiceMonitors for services (the operator CRDs exist). */
  serviceMonitors: boolean;
  grafanaAdminPassword?: pulumi.Output<string>;
  prometheusUrl?: string;
  otlpEndpoint?: string;
  lokiPushUrl?: string;
  note: string;
}

export function composeMonitoring(ctx: Context, opts: MonitoringComposeOptions = {}): MonitoringOutputs {
  const { spec } = ctx;
  const m = spec.blueprint.monitoring;
  const p = spec.profile;
  if (!m.metrics && !m.logs && m.traces === "none") return { serviceMonitors: false, note: "monitoring disabled by the blueprint" };
  const withMetrics = spec.blueprint.services.filter((s) => s.ports.metrics !== undefined);
  // The blueprint's own alerts and dashboard (its view's business signals).
  const signals =
    m.metrics && (m.alerts.length > 0 || m.dashboard)
      ? { blueprint: { name: spec.blueprint.name, alerts: m.alerts, ...(m.dashboard ? { dashboard: m.dashboard } : {}) } }
      : {};

  if (spec.hosting.mode === "singleHost") {
    if (!ctx.host) throw new Error(`stack ${spec.stack}: droplet monitoring runs on the host's Docker: call the host composer first and set ctx.host`);
    if (withMetrics.length > 0 && !opts.hostContainerName) {
      throw new Error(
        `stack ${spec.stack}: services ${withMetrics.map((s) => s.name).join(", ")} expose metrics: pass hostContainerName (components/host serviceContainerName) so Prometheus can reach their containers`,
      );
    }
    const hm = new HostMonitoring(
      `${spec.stack}-monitoring`,
      {
        stack: spec.stack,
        networkName: ctx.host.networkName,
        depth: p.monitoring,
        retentionDays: p.metricsRetentionDays,
        ...(m.logs ? { logs: { retentionDays: p.logRetentionDays } } : {}),
        ...signals,
        services: withMetrics.map((s) => ({
          name: s.name,
          hosts: Array.from({ length: spec.services[s.name]?.replicas.min ?? 1 }, (_, i) => opts.hostContainerName!(s.name, i)),
          port: s.ports.metrics!,
          metricsPath: s.metricsPath,
        })),
      },
      { providers: { docker: ctx.host.provider } },
    );
    const logs = m.logs ? `every container's logs → Fluent Bit → Loki (${p.logRetentionDays}d)` : "logs stay in Docker's json-file logs";
    return {
      component: hm,
      serviceMonitors: false,
      note: `droplet: node-exporter + cAdvisor + Prometheus (${p.metricsRetentionDays}d local retention), ${logs}, no published ports; traces are not collected`,
    };
  }

  const cluster = ctx.cluster;
  if (!cluster) throw new Error(`stack ${spec.stack}: Kubernetes monitoring needs the cluster: call composeCluster first and set ctx.cluster`);
  let grafana: GrafanaExposure = { public: false };
  // Grafana exists only where kube-prometheus-stack runs (monitoringInstall helm).
  if (m.grafanaPublic && p.monitoringInstall === "helm") {
    if (!opts.grafanaSso || !opts.ingress?.clusterIssuer) {
      throw new Error(
        `stack ${spec.stack}: the blueprint makes Grafana public, which needs SSO settings and a TLS issuer: pass grafanaSso (from stack config) and ingress.clusterIssuer, or set monitoring.grafanaPublic: false`,
      );
    }
    grafana = {
      public: true,
      host: fqdn("grafana", spec.domain),
      ingressClassName: opts.ingress.className,
      clusterIssuer: opts.ingress.clusterIssuer,
      sso: opts.grafanaSso,
    };
  }
  const ns = cluster.namespaces;
  const mon = new Monitoring(
    `${spec.stack}-monitoring`,
    {
      stack: spec.stack,
      namespace: ns.monitoring,
      mode: p.monitoringInstall,
      depth: p.monitoring,
      metricsRetentionDays: p.metricsRetentionDays,
      logRetentionDays: p.logRetentionDays,
      logs: m.logs,
      traces: m.traces,
      // The add-ons' ServiceMonitors live in the ingress, cert-manager and kube-system namespaces
      // (cert-manager's expiry metric feeds CertificateExpiringSoon); the ScyllaDB ServiceMonitor
      // lives in the privileged data namespace.
      scrapeNamespaces: [ns.apps, ns.data, ...(ns.dataPrivileged ? [ns.dataPrivileged] : []), ns.ingress, "cert-manager", "kube-system"],
      services: spec.blueprint.services.map((s) => ({
        name: s.name,
        namespace: ns.apps,
        metrics: s.ports.metrics !== undefined,
        database: s.connectsTo.some((c) => c.startsWith("postgres/") || c.startsWith("scylla/")),
        customMetrics: hpaCustomMetrics(s, spec.services[s.name]?.replicas, p.autoscaling),
      })),
      grafana,
      ...signals,
      ...(spec.alertEmail ? { alertEmail: spec.alertEmail } : {}),
      ...(opts.smtp ? { smtp: opts.smtp } : {}),
      ...(spec.alerting ? { alerting: spec.alerting, receiverSecrets: receiverSecrets(spec.alerting.receivers.map((r) => r.name)) } : {}),
      charts: spec.charts,
    },
    {
      providers: { kubernetes: cluster.provider, ...(ctx.providers.random ? { random: ctx.providers.random } : {}) },
      ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}),
    },
  );
  return {
    component: mon,
    serviceMonitors: mon.serviceMonitorsSupported,
    ...(mon.grafanaAdminPassword ? { grafanaAdminPassword: mon.grafanaAdminPassword } : {}),
    prometheusUrl: mon.prometheusUrl,
    ...(mon.otlpEndpoint ? { otlpEndpoint: mon.otlpEndpoint } : {}),
    ...(mon.lokiPushUrl ? { lokiPushUrl: mon.lokiPushUrl } : {}),
    note: mon.note,
  };
}

/**
 * The custom metrics a service's HPA requests: exactly when components/service renders the HPA
 * (the tier autoscales, the service declares autoscaling, max > min replicas) with a `Pods` metric.
 * Any entry makes Monitoring install prometheus-adapter.
 */
export function hpaCustomMetrics(
  s: { autoscaling?: { custom?: { metric: string } } },
  replicas: { min: number; max: number } | undefined,
  tierAutoscaling: boolean,
): string[] {
  const hpa = tierAutoscaling && !!s.autoscaling && !!replicas && replicas.max > replicas.min;
  return hpa && s.autoscaling?.custom ? [s.autoscaling.custom.metric] : [];
}

/**
 * Each alert receiver's secret, as a secret Output, from `platform:alertingSecrets.<name>` (set
 * with `pulumi config set --secret`; the spec has already refused a missing one outside local).
 */
function receiverSecrets(names: string[]): Record<string, pulumi.Output<string>> {
  const all = new pulumi.Config("platform").getSecretObject<Record<string, string>>("alertingSecrets");
  const out: Record<string, pulumi.Output<string>> = {};
  if (!all) return out;
  for (const n of names) out[n] = pulumi.secret(all.apply((o) => o[n] ?? ""));
  return out;
}
