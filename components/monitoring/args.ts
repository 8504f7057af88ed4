/**
 * Args of the `Monitoring` component (Kubernetes tiers). Providers: `{ kubernetes, random }`.
 * Secure by default: Grafana is ClusterIP-only; `grafana.public: true` must be spelled out and
 * then requires a TLS host and SSO settings.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { OFFICIAL_REPOSITORIES, chartMirror } from "../charts";
import { alerting } from "./receivers";

const dnsLabel = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label (lower-case letters, digits, '-')");
const hostname = z.string().regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/, "must be a fully qualified host name such as grafana.example.com");
const httpsUrl = z.url({ protocol: /^https$/, message: "must be an https URL" });

export const grafanaArgs = z.discriminatedUnion("public", [
  z.strictObject({ public: z.literal(false) }),
  z.strictObject({
    public: z.literal(true),
    host: hostname,
    ingressClassName: z.string().min(1),
    /** cert-manager ClusterIssuer for the ingress certificate. */
    clusterIssuer: z.string().min(1),
    sso: z.strictObject(
      {
        authUrl: httpsUrl,
        tokenUrl: httpsUrl,
        apiUrl: httpsUrl,
        clientId: z.string().min(1),
        clientSecretName: dnsLabel,
        allowedDomains: z.array(z.string().min(1)).min(1, "list the e-mail domains allowed to sign in"),
      },
      { error: "a public Grafana needs SSO settings (`sso: { authUrl, tokenUrl, apiUrl, clientId, clientSecretName, allowedDomains }`)" },
    ),
  }),
]);

export const serviceTarget = z.strictObject({
  name: dnsLabel,
  /** Namespace the service runs in. */
  namespace: dnsLabel,
  /** Declares a metrics port (its ServiceMonitor is created by components/service). */
  metrics: z.boolean(),
  /** Connects to a database (adds the DB latency panel to its dashboard). */
  database: z.boolean().default(false),
  /**
   * Custom per-pod metrics its HPA scales on (components/service `autoscaling.custom.metric`), only
   * when the tier autoscales. Any entry installs prometheus-adapter (./adapter.ts; helm mode only).
   */
  customMetrics: z.array(z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name such as queue_length")).default([]),
});

/** The blueprint's own alerts and dashboard (blueprint `monitoring.alerts` / `monitoring.dashboard`). */
export const blueprintSignals = z.strictObject({
  /** Blueprint name (rule and dashboard names, the `platform.io/blueprint` label). */
  name: dnsLabel,
  alerts: z
    .array(
      z.strictObject({
        alert: z.string().regex(/^[A-Z][A-Za-z0-9]{2,62}$/, "alert names are PascalCase"),
        severity: z.enum(["critical", "warning"]),
        measure: z.string().min(1),
        compare: z.enum([">", "<", ">=", "<=", "=="]),
        threshold: z.number(),
        for: z.string().regex(/^\d+[smh]$/, "a Prometheus duration such as 5m"),
        summary: z.string().min(1),
        view: z.string().min(1),
      }),
    )
    .default([]),
  dashboard: z
    .strictObject({
      title: z.string().min(1),
      view: z.string().min(1),
      panels: z
        .array(
          z.strictObject({
            title: z.string().min(1),
            unit: z.string().min(1),
            queries: z.array(z.strictObject({ expr: z.string().min(1), legend: z.string() })).min(1),
          }),
        )
        .min(1),
    })
    .optional(),
});

export const monitoringArgs = z.strictObject({
  /** Stack name (dashboard titles, external labels). */
  stack: z.string().min(1),
  /** The monitoring namespace (created by the cluster component). */
  namespace: dnsLabel,
  /** `helm`: pinned charts (cloud tiers). `manifests`: plain manifests, nothing fetched at run time (local tier). */
  mode: z.enum(["helm", "manifests"]),
  depth: z.enum(["basic", "enhanced", "full"]),
  metricsRetentionDays: z.int().min(1).max(400),
  logRetentionDays: z.int().min(1).max(400),
  logs: z.boolean(),
  traces: z.enum(["none", "tempo", "jaeger"]),
  /** Namespaces Prometheus scrapes (ServiceMonitors, PodMonitors); the monitoring namespace is always added. */
  scrapeNamespaces: z.array(dnsLabel).min(1, "name the namespaces whose services are scraped (e.g. the apps namespace)"),
  services: z.array(serviceTarget).default([]),
  /** The blueprint's own alert rules and dashboard, next to the platform's. */
  blueprint: blueprintSignals.optional(),
  grafana: grafanaArgs.default({ public: false }),
  /** Alertmanager e-mail receiver; needs `smtp` too, else alerts stay visible in Alertmanager/Grafana only. */
  alertEmail: z.email().optional(),
  /** SMTP relay for alert e-mail. The password (a secret Output) goes into a Secret mounted into Alertmanager, never into Helm values. */
  smtp: z
    .strictObject({
      smarthost: z.string().regex(/^[a-z0-9.-]+:\d{2,5}$/, "must be host:port, e.g. email-smtp.us-east-1.amazonaws.com:587"),
      from: z.email(),
      username: z.string().min(1),
      password: z.custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v), "must be a secret pulumi Output<string>"),
    })
    .optional(),
  /** Alert receivers (Slack, PagerDuty, e-mail, webhook) and severity routes; wins over alertEmail/smtp. */
  alerting: alerting.optional(),
  /** Each receiver's secret (a secret Output), by receiver name: mounted into Alertmanager from a Secret, never in Helm values. */
  receiverSecrets: z
    .record(
      z.string(),
      z.custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v), "must be a secret pulumi Output<string>"),
    )
    .default({}),
  /** Where the charts come from (components/charts.ts); default their official repositories. */
  charts: chartMirror.default(OFFICIAL_REPOSITORIES),
});

export type MonitoringArgs = z.input<typeof monitoringArgs>;
export type MonitoringConfig = z.output<typeof monitoringArgs>;
