/**
 * Typed Helm values for the pinned charts, built from the depth plan. Pure; no Pulumi import.
 * Only the keys we set are typed; every one was checked against the chart's values.yaml at the
 * pinned version (see CHARTS in ./plan.ts).
 */
import { INHIBIT_RULES } from "./alerts";
import { DASHBOARD_LABEL, PROMETHEUS_DS_UID } from "./dashboards";
import { DepthPlan, endpoints } from "./plan";
import { type Alerting, RECEIVER_SECRET, alertmanagerRouting } from "./receivers";

export type TracesBackend = "none" | "tempo" | "jaeger";

/** Grafana exposure: private (ClusterIP only) unless `public: true`, then TLS ingress + SSO. */
export type GrafanaExposure =
  | { public: false }
  | {
      public: true;
      host: string;
      ingressClassName: string;
      clusterIssuer: string;
      sso: {
        /** OpenID Connect issuer, e.g. https://login.example.com. */
        authUrl: string;
        tokenUrl: string;
        apiUrl: string;
        clientId: string;
        /** Kubernetes Secret (monitoring namespace) holding `client-secret`. */
        clientSecretName: string;
        allowedDomains: string[];
      };
    };

export interface KpsInput {
  plan: DepthPlan;
  namespace: string;
  /** Namespaces whose ServiceMonitors/PodMonitors/PrometheusRules Prometheus selects. */
  scrapeNamespaces: string[];
  grafana: GrafanaExposure;
  /** Existing Secret with `admin-user` / `admin-password` keys. */
  grafanaAdminSecret: string;
  logs: boolean;
  traces: TracesBackend;
  /** E-mail delivery of alerts; the SMTP password is read from the mounted Secret SMTP_SECRET. */
  email?: { to: string; smarthost: string; from: string; username: string };
  /** Receivers and severity routes (./receivers.ts); their secrets are read from the mounted Secret RECEIVER_SECRET. Wins over `email`. */
  alerting?: Alerting;
}

/** Secret (monitoring namespace) with the SMTP password, mounted into Alertmanager. */
export const SMTP_SECRET = "alertmanager-smtp";

/** Label our PrometheusRules carry; the Prometheus ruleSelector matches it. */
export const RULE_LABEL = { "platform.io/rules": "true" } as const;

/** Pod security context of the operator-managed Prometheus and Alertmanager pods (restricted profile). */
const POD_SECURITY = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 2000, fsGroup: 2000, seccompProfile: { type: "RuntimeDefault" } };

const nsSelector = (names: string[]) => ({ matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...names].sort() }] });

const pvc = (gi: number) => ({ volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${gi}Gi` } } } } });

export function kubePrometheusStackValues(i: KpsInput) {
  const ep = endpoints(i.namespace);
  const datasources: Record<string, unknown>[] = [];
  if (i.logs) datasources.push({ name: "Loki", type: "loki", uid: "loki", url: ep.loki, access: "proxy" });
  if (i.traces === "tempo") datasources.push({ name: "Tempo", type: "tempo", uid: "tempo", url: ep.tempo, access: "proxy" });
  if (i.traces === "jaeger") datasources.push({ name: "Jaeger", type: "jaeger", uid: "jaeger", url: ep.jaegerQuery, access: "proxy" });

  const receivers: Record<string, unknown>[] = [{ name: "null" }];
  if (i.email) {
    receivers.push({
      name: "platform-email",
      email_configs: [
        {
          to: i.email.to,
          from: i.email.from,
          smarthost: i.email.smarthost,
          auth_username: i.email.username,
          auth_password_file: `/etc/alertmanager/secrets/${SMTP_SECRET}/password`,
          require_tls: true,
          send_resolved: true,
        },
      ],
    });
  }
  const receiver = i.email ? "platform-email" : "null";
  const routed = i.alerting && i.alerting.receivers.length > 0 ? alertmanagerRouting(i.alerting) : undefined;

  const g = i.grafana;
  const grafanaIni: Record<string, Record<string, unknown>> = {
    security: { cookie_secure: true, disable_gravatar: true },
    users: { allow_sign_up: false },
    "auth.anonymous": { enabled: false },
    analytics: { reporting_enabled: false, check_for_updates: false },
  };
  if (g.public) {
    grafanaIni.server = { root_url: `https://${g.host}` };
    // HSTS from Grafana itself (pkg/setting [security] strict_transport_security*): Traefik sets
    // HSTS per headers Middleware, and the chart's Ingress names none (ingress-nginx set it
    // controller-wide). The redirect to HTTPS is Traefik's web entry point.
    grafanaIni.security = {
      ...grafanaIni.security,
      strict_transport_security: true,
      strict_transport_security_max_age_seconds: 31_536_000,
      strict_transport_security_subdomains: true,
      strict_transport_security_preload: false,
    };
    grafanaIni.auth = { disable_login_form: true };
    grafanaIni["auth.generic_oauth"] = {
      enabled: true,
      name: "SSO",
      allow_sign_up: true,
      client_id: g.sso.clientId,
      scopes: "openid profile email",
      auth_url: g.sso.authUrl,
      token_url: g.sso.tokenUrl,
      api_url: g.sso.apiUrl,
      allowed_domains: g.sso.allowedDomains.join(" "),
      use_pkce: true,
    };
  }

  return {
    fullnameOverride: "kps",
    // The cluster installs the operator's CRDs first (prometheus-operator-crds, components/cluster).
    crds: { enabled: false },
    // The chart's rules must carry RULE_LABEL too, or the ruleSelector below skips every one of them.
    defaultRules: { create: i.plan.chartDefaultRules, labels: { ...RULE_LABEL } },
    prometheus: {
      prometheusSpec: {
        replicas: i.plan.prometheus.replicas,
        retention: i.plan.prometheus.retention,
        retentionSize: i.plan.prometheus.retentionSize,
        storageSpec: pvc(i.plan.prometheus.storageGi),
        resources: i.plan.resources,
        // Pick up the ServiceMonitors components/service creates (whatever their labels), but only
        // in the platform's own namespaces.
        serviceMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: {},
        serviceMonitorNamespaceSelector: nsSelector(i.scrapeNamespaces),
        podMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelector: {},
        podMonitorNamespaceSelector: nsSelector(i.scrapeNamespaces),
        ruleSelectorNilUsesHelmValues: false,
        ruleSelector: { matchLabels: { ...RULE_LABEL } },
        ruleNamespaceSelector: nsSelector([i.namespace]),
        securityContext: POD_SECURITY,
      },
    },
    alertmanager: {
      alertmanagerSpec: {
        replicas: i.plan.alertmanager.replicas,
        storage: pvc(i.plan.alertmanager.storageGi),
        securityContext: POD_SECURITY,
        ...(routed ? { secrets: [RECEIVER_SECRET] } : i.email ? { secrets: [SMTP_SECRET] } : {}),
      },
      config: {
        route: routed
          ? routed.route
          : {
              receiver,
              group_by: ["alertname", "namespace", "service"],
              group_wait: "30s",
              group_interval: "5m",
              repeat_interval: "4h",
              routes: [{ receiver: "null", matchers: ['alertname="Watchdog"'] }],
            },
        receivers: routed ? routed.receivers : receivers,
        inhibit_rules: INHIBIT_RULES,
      },
    },
    grafana: {
      admin: { existingSecret: i.grafanaAdminSecret, userKey: "admin-user", passwordKey: "admin-password" },
      service: { type: "ClusterIP" },
      ingress: g.public
        ? {
            enabled: true,
            ingressClassName: g.ingressClassName,
            // Traefik's router annotations: served on websecure with TLS only (plain HTTP is
            // redirected by the web entry point, components/cluster/addons.ts).
            annotations: {
              "cert-manager.io/cluster-issuer": g.clusterIssuer,
              "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
              "traefik.ingress.kubernetes.io/router.tls": "true",
            },
            hosts: [g.host],
            tls: [{ secretName: "grafana-tls", hosts: [g.host] }],
          }
        : { enabled: false },
      ...(g.public ? { envValueFrom: { GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET: { secretKeyRef: { name: g.sso.clientSecretName, key: "client-secret" } } } } : {}),
      "grafana.ini": grafanaIni,
      persistence: { enabled: true, size: `${i.plan.grafana.persistenceGi}Gi` },
      sidecar: {
        dashboards: { enabled: true, label: Object.keys(DASHBOARD_LABEL)[0], labelValue: Object.values(DASHBOARD_LABEL)[0], searchNamespace: i.namespace },
        datasources: { enabled: true, defaultDatasourceEnabled: true, uid: PROMETHEUS_DS_UID },
      },
      additionalDataSources: datasources,
    },
    kubeStateMetrics: { enabled: true },
    nodeExporter: { enabled: true },
    // The chart defaults node-exporter to the node's network and PID namespaces; the platform keeps
    // every pod in its own (seg-no-host-network). Filesystem, CPU and memory still come from the
    // read-only host mounts (disk alerts work); per-node network counters become the pod's own.
    "prometheus-node-exporter": { hostNetwork: false, hostPID: false },
  };
}

export function lokiValues(plan: DepthPlan) {
  return {
    fullnameOverride: "loki",
    deploymentMode: "SingleBinary",
    loki: {
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      storage: { type: "filesystem" },
      schemaConfig: {
        configs: [{ from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "loki_index_", period: "24h" } }],
      },
      limits_config: {
        retention_period: plan.loki.retentionPeriod,
        // Audit logs outlive application logs (music platform: 30 days application, 90 days audit).
        retention_stream: [{ selector: '{log_type="audit"}', priority: 1, period: plan.loki.auditRetentionPeriod }],
        allow_structured_metadata: true,
      },
      compactor: { retention_enabled: true, delete_request_store: "filesystem" },
    },
    singleBinary: { replicas: 1, persistence: { enabled: true, size: `${plan.loki.storageGi}Gi` } },
    backend: { replicas: 0 },
    read: { replicas: 0 },
    write: { replicas: 0 },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    gateway: { enabled: false },
    test: { enabled: false },
    lokiCanary: { enabled: false },
    monitoring: { selfMonitoring: { enabled: false, grafanaAgent: { installOperator: false } } },
  };
}

export function tempoValues(plan: DepthPlan) {
  return {
    fullnameOverride: "tempo",
    tempo: {
      retention: `${plan.traces.retentionHours}h`,
      storage: { trace: { backend: "local", local: { path: "/var/tempo/traces" }, wal: { path: "/var/tempo/wal" } } },
      receivers: { otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } } },
    },
    persistence: { enabled: true, size: `${plan.traces.storageGi}Gi` },
  };
}

/**
 * Jaeger all-in-one with in-memory storage bounded by MEMORY_MAX_TRACES: traces survive neither a
 * restart nor a reschedule. The chart offers no persistent volume for all-in-one, so durable traces
 * are Tempo's job (`traces: tempo`, the default); Jaeger is for teams that want its UI.
 */
export function jaegerValues(plan: DepthPlan) {
  const maxTraces = { basic: 20_000, enhanced: 50_000, full: 100_000 }[plan.depth];
  return {
    fullnameOverride: "jaeger",
    provisionDataStore: { cassandra: false, elasticsearch: false, kafka: false },
    storage: { type: "memory" },
    allInOne: {
      enabled: true,
      extraEnv: [
        { name: "COLLECTOR_OTLP_ENABLED", value: "true" },
        { name: "MEMORY_MAX_TRACES", value: String(maxTraces) },
      ],
      resources: plan.resources,
    },
    agent: { enabled: false },
    collector: { enabled: false },
    query: { enabled: false },
  };
}

/** The collector: OTLP in, traces to the chosen backend; batch and memory limits on. */
export function otelCollectorValues(namespace: string, traces: Exclude<TracesBackend, "none">) {
  const ep = endpoints(namespace);
  return {
    fullnameOverride: "otel-collector",
    mode: "deployment",
    image: { repository: "otel/opentelemetry-collector-contrib" },
    config: {
      receivers: { otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } } },
      processors: { batch: {}, memory_limiter: { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 } },
      exporters: { otlp: { endpoint: traces === "tempo" ? ep.tempoOtlpGrpc : ep.jaegerOtlpGrpc, tls: { insecure: true } } },
      service: { pipelines: { traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["otlp"] } } },
    },
    ports: { "jaeger-compact": { enabled: false }, "jaeger-thrift": { enabled: false }, "jaeger-grpc": { enabled: false }, zipkin: { enabled: false } },
  };
}
