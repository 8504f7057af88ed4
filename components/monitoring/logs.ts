/**
 * Logs to Loki: the collector (Fluent Bit) and, where no chart is installed, Loki itself.
 * Pure; no Pulumi import.
 *
 * Why Fluent Bit (of the three collectors in the chart mirror: Grafana Alloy, Fluent Bit, the
 * OpenTelemetry collector's logs pipeline):
 *  - it runs on EVERY node (a DaemonSet) and on the droplet: a C binary that tails files in tens
 *    of MiB of memory, where Alloy and the OTel collector (Go, with a full pipeline runtime) need
 *    several times that on the same 2-core nodes;
 *  - its `loki` output writes Loki streams natively, with labels taken from the record: the
 *    `log_type` field of a JSON line becomes the stream label Loki's per-stream retention matches
 *    (audit 90 days). The OTel route (OTLP into Loki) puts record fields into structured
 *    metadata, which `retention_stream` cannot select;
 *  - the kubernetes filter parses JSON log lines into fields (`Merge_Log`) and adds namespace,
 *    pod and container; the same tail input reads Docker's json-file logs on the droplet, so one
 *    configuration language and one pinned image serve both;
 *  - its chart installs no CRDs (Alloy's installs PodLogs), so nothing to order before it.
 *
 * Where logs go: Loki's push API. Labels: `job`, `stack`, `namespace`, `pod`, `container`,
 * `app` (app.kubernetes.io/name), `level` and `log_type` when the JSON line carries them.
 * Retention is Loki's, per tier (plan.ts: logRetentionDays; audit streams at least 90 days).
 */
import { stringify } from "yaml";
import type { DepthPlan } from "./plan";
import { VERSION_PINS } from "../charts";

/** Pinned images: the appVersions of the pinned fluent-bit and loki charts (components/charts.ts). */
export const LOG_IMAGES = {
  fluentBit: VERSION_PINS.fluentBit.value,
  loki: VERSION_PINS.loki.value,
} as const;

/** The collector's HTTP port (health and Prometheus metrics at /api/v2/metrics/prometheus). */
export const FLUENT_BIT_METRICS_PORT = 2020;
/** Where the tail input keeps its file offsets (a host path: survives a collector restart). */
export const FLUENT_BIT_STATE_DIR = "/var/lib/fluent-bit";

export type LogSource =
  /** Kubernetes nodes: /var/log/containers/*.log (CRI or Docker format), enriched by the API server. */
  | { kind: "kubernetes" }
  /** A Docker host with the json-file log driver and `tag: {{.Name}}` (components/host cloud-init). */
  | { kind: "docker"; containersDir: string };

export interface FluentBitInput {
  source: LogSource;
  /** Loki host name and port (its push API is /loki/api/v1/push). */
  lokiHost: string;
  lokiPort: number;
  /** Stack name, a constant label on every stream. */
  stack: string;
}

/** The four sections of a Fluent Bit classic configuration, plus its custom parsers. */
export interface FluentBitConfig {
  service: string;
  inputs: string;
  filters: string;
  outputs: string;
  customParsers: string;
}

const section = (name: string, kv: [string, string | number][]) => `[${name}]\n${kv.map(([k, v]) => `    ${k} ${v}`).join("\n")}\n`;

export function fluentBitConfig(i: FluentBitInput): FluentBitConfig {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(i.lokiHost))
    throw new Error(`fluentBitConfig: lokiHost '${i.lokiHost}' must be a host name such as loki.monitoring.svc.cluster.local`);
  if (!/^[\w.-]+$/.test(i.stack))
    throw new Error(`fluentBitConfig: stack '${i.stack}' must be letters, digits, '.', '_' or '-' (it becomes a Loki label value)`);
  const service = section("SERVICE", [
    ["Daemon", "Off"],
    ["Flush", 1],
    ["Log_Level", "info"],
    ["Parsers_File", "/fluent-bit/etc/parsers.conf"],
    ["Parsers_File", "/fluent-bit/etc/conf/custom_parsers.conf"],
    ["HTTP_Server", "On"],
    ["HTTP_Listen", "0.0.0.0"],
    ["HTTP_Port", FLUENT_BIT_METRICS_PORT],
    ["Health_Check", "On"],
  ]);
  const src = i.source;
  const k8s = src.kind === "kubernetes";
  const inputs =
    src.kind === "kubernetes"
      ? section("INPUT", [
          ["Name", "tail"],
          ["Path", "/var/log/containers/*.log"],
          ["multiline.parser", "cri, docker"],
          ["Tag", "kube.*"],
          ["DB", `${FLUENT_BIT_STATE_DIR}/kube.db`],
          ["DB.locking", "true"],
          ["Mem_Buf_Limit", "16MB"],
          ["Skip_Long_Lines", "On"],
          ["Refresh_Interval", 10],
        ])
      : section("INPUT", [
          ["Name", "tail"],
          ["Path", `${src.containersDir}/*/*-json.log`],
          ["Parser", "docker_json"],
          ["Tag", "docker.*"],
          ["DB", `${FLUENT_BIT_STATE_DIR}/docker.db`],
          ["DB.locking", "true"],
          ["Mem_Buf_Limit", "16MB"],
          ["Skip_Long_Lines", "On"],
          ["Refresh_Interval", 10],
        ]);
  // JSON lines become fields of the record: the kubernetes filter's Merge_Log on Kubernetes, a
  // parser filter on the `log` field on Docker (a line that is not JSON is kept as it is).
  const filters = k8s
    ? section("FILTER", [
        ["Name", "kubernetes"],
        ["Match", "kube.*"],
        ["Merge_Log", "On"],
        ["Keep_Log", "Off"],
        ["Labels", "On"],
        ["Annotations", "Off"],
        ["K8S-Logging.Parser", "On"],
        ["K8S-Logging.Exclude", "On"],
      ])
    : [
        section("FILTER", [
          ["Name", "parser"],
          ["Match", "docker.*"],
          ["Key_Name", "log"],
          ["Parser", "json_line"],
          ["Reserve_Data", "On"],
          ["Preserve_Key", "Off"],
        ]),
        // json-file's `attrs.tag` is the container name (daemon.json log-opts tag "{{.Name}}").
        section("FILTER", [
          ["Name", "nest"],
          ["Match", "docker.*"],
          ["Operation", "lift"],
          ["Nested_under", "attrs"],
          ["Add_prefix", "docker_"],
        ]),
      ].join("\n");
  const labels = k8s
    ? [
        "job=fluent-bit",
        `stack=${i.stack}`,
        "namespace=$kubernetes['namespace_name']",
        "pod=$kubernetes['pod_name']",
        "container=$kubernetes['container_name']",
        "app=$kubernetes['labels']['app.kubernetes.io/name']",
        "level=$level",
        "log_type=$log_type",
      ]
    : ["job=fluent-bit", `stack=${i.stack}`, "container=$docker_tag", "level=$level", "log_type=$log_type"];
  const outputs = section("OUTPUT", [
    ["Name", "loki"],
    ["Match", k8s ? "kube.*" : "docker.*"],
    ["Host", i.lokiHost],
    ["Port", i.lokiPort],
    ["Labels", labels.join(", ")],
    ["Remove_Keys", k8s ? "kubernetes, stream" : "docker_tag, stream"],
    ["Line_Format", "json"],
    ["Retry_Limit", "False"],
  ]);
  const customParsers = [
    section("PARSER", [
      ["Name", "docker_json"],
      ["Format", "json"],
      ["Time_Key", "time"],
      ["Time_Format", "%Y-%m-%dT%H:%M:%S.%L%z"],
      ["Time_Keep", "Off"],
    ]),
    section("PARSER", [
      ["Name", "json_line"],
      ["Format", "json"],
    ]),
  ].join("\n");
  return { service, inputs, filters, outputs, customParsers };
}

/** The whole fluent-bit.conf (manifests and the droplet, where no chart assembles it). */
export function fluentBitConfFile(c: FluentBitConfig): string {
  return [c.service, c.inputs, c.filters, c.outputs].join("\n");
}

const RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };

/**
 * Values of the fluent-bit chart (pinned in components/charts.ts): a DaemonSet on every node,
 * tainted ones included (the prod `data` node group), reading /var/log read-only, its offsets in
 * a host directory, scraped by Prometheus (ServiceMonitor).
 */
export function fluentBitValues(i: { namespace: string; stack: string; serviceMonitor: boolean }) {
  const cfg = fluentBitConfig({ source: { kind: "kubernetes" }, lokiHost: `loki.${i.namespace}.svc.cluster.local`, lokiPort: 3100, stack: i.stack });
  return {
    fullnameOverride: "fluent-bit",
    kind: "DaemonSet",
    testFramework: { enabled: false },
    rbac: { create: true },
    // Every node, whatever its taints: logs of the data node group too.
    tolerations: [{ operator: "Exists" }],
    resources: RESOURCES,
    // Root (the node's log files are root-owned, mode 0640) but no capabilities and a read-only root.
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
    serviceMonitor: { enabled: i.serviceMonitor },
    config: { service: cfg.service, inputs: cfg.inputs, filters: cfg.filters, outputs: cfg.outputs, customParsers: cfg.customParsers },
    daemonSetVolumes: [
      { name: "varlog", hostPath: { path: "/var/log" } },
      { name: "state", hostPath: { path: FLUENT_BIT_STATE_DIR, type: "DirectoryOrCreate" } },
    ],
    daemonSetVolumeMounts: [
      { name: "varlog", mountPath: "/var/log", readOnly: true },
      { name: "state", mountPath: FLUENT_BIT_STATE_DIR },
    ],
  };
}

/** Loki's own configuration file where no chart writes it (local manifests, the droplet). */
export function lokiConfigFile(plan: Pick<DepthPlan, "loki">): string {
  return stringify({
    auth_enabled: false,
    server: { http_listen_port: 3100, grpc_listen_port: 9095, log_level: "warn" },
    common: {
      path_prefix: "/loki",
      instance_addr: "127.0.0.1",
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
      storage: { filesystem: { chunks_directory: "/loki/chunks", rules_directory: "/loki/rules" } },
    },
    schema_config: {
      configs: [{ from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "loki_index_", period: "24h" } }],
    },
    limits_config: {
      retention_period: plan.loki.retentionPeriod,
      retention_stream: [{ selector: '{log_type="audit"}', priority: 1, period: plan.loki.auditRetentionPeriod }],
      allow_structured_metadata: true,
    },
    compactor: { working_directory: "/loki/compactor", retention_enabled: true, delete_request_store: "filesystem" },
    analytics: { reporting_enabled: false },
  });
}

/**
 * The local tier (manifests mode, no Helm): Loki (single binary, emptyDir bounded to 2 Gi, the
 * tier's retention) and the Fluent Bit DaemonSet, as plain manifests.
 */
export function localLogManifests(i: { stack: string; namespace: string; plan: Pick<DepthPlan, "loki"> }) {
  const lokiLabels = { "app.kubernetes.io/name": "loki", "app.kubernetes.io/part-of": "platform-monitoring" };
  const fbLabels = { "app.kubernetes.io/name": "fluent-bit", "app.kubernetes.io/part-of": "platform-monitoring" };
  const md = (name: string, labels: Record<string, string>) => ({ name, namespace: i.namespace, labels });
  const cfg = fluentBitConfig({ source: { kind: "kubernetes" }, lokiHost: `loki.${i.namespace}.svc.cluster.local`, lokiPort: 3100, stack: i.stack });
  const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
  return {
    lokiConfig: {
      apiVersion: "v1" as const,
      kind: "ConfigMap" as const,
      metadata: md("loki-config", lokiLabels),
      data: { "loki.yaml": lokiConfigFile(i.plan) },
    },
    lokiDeployment: {
      apiVersion: "apps/v1" as const,
      kind: "Deployment" as const,
      metadata: md("loki", lokiLabels),
      spec: {
        replicas: 1,
        strategy: { type: "Recreate" },
        selector: { matchLabels: lokiLabels },
        template: {
          metadata: { labels: lokiLabels },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "loki",
                image: LOG_IMAGES.loki,
                args: ["-config.file=/etc/loki/loki.yaml", "-target=all"],
                ports: [
                  { name: "http", containerPort: 3100 },
                  { name: "grpc", containerPort: 9095 },
                ],
                readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 10 },
                // The baseline policy wants both probes on long-running containers (found by `npm run local`).
                livenessProbe: { httpGet: { path: "/ready", port: "http" }, initialDelaySeconds: 45, periodSeconds: 20, failureThreshold: 6 },
                resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                securityContext: restricted,
                volumeMounts: [
                  { name: "config", mountPath: "/etc/loki" },
                  { name: "data", mountPath: "/loki" },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: "loki-config" } },
              { name: "data", emptyDir: { sizeLimit: "2Gi" } },
            ],
          },
        },
      },
    },
    lokiService: {
      apiVersion: "v1" as const,
      kind: "Service" as const,
      metadata: md("loki", lokiLabels),
      spec: { type: "ClusterIP", selector: lokiLabels, ports: [{ name: "http", port: 3100, targetPort: "http" }] },
    },
    collectorServiceAccount: { apiVersion: "v1" as const, kind: "ServiceAccount" as const, metadata: md("fluent-bit", fbLabels) },
    collectorClusterRole: {
      apiVersion: "rbac.authorization.k8s.io/v1" as const,
      kind: "ClusterRole" as const,
      metadata: { name: `${i.namespace}-fluent-bit`, labels: fbLabels },
      // The kubernetes filter reads pod metadata (namespace, labels) from the API server.
      rules: [{ apiGroups: [""], resources: ["namespaces", "pods"], verbs: ["get", "list", "watch"] }],
    },
    collectorClusterRoleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1" as const,
      kind: "ClusterRoleBinding" as const,
      metadata: { name: `${i.namespace}-fluent-bit`, labels: fbLabels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${i.namespace}-fluent-bit` },
      subjects: [{ kind: "ServiceAccount", name: "fluent-bit", namespace: i.namespace }],
    },
    collectorConfig: {
      apiVersion: "v1" as const,
      kind: "ConfigMap" as const,
      metadata: md("fluent-bit", fbLabels),
      data: { "fluent-bit.conf": fluentBitConfFile(cfg), "custom_parsers.conf": cfg.customParsers },
    },
    collectorDaemonSet: {
      apiVersion: "apps/v1" as const,
      kind: "DaemonSet" as const,
      metadata: md("fluent-bit", fbLabels),
      spec: {
        selector: { matchLabels: fbLabels },
        template: {
          metadata: { labels: fbLabels },
          spec: {
            serviceAccountName: "fluent-bit",
            tolerations: [{ operator: "Exists" }],
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "fluent-bit",
                image: LOG_IMAGES.fluentBit,
                command: ["/fluent-bit/bin/fluent-bit"],
                args: ["--workdir=/fluent-bit/etc", "--config=/fluent-bit/etc/conf/fluent-bit.conf"],
                ports: [{ name: "http", containerPort: FLUENT_BIT_METRICS_PORT }],
                readinessProbe: { httpGet: { path: "/api/v2/health", port: "http" }, periodSeconds: 10 },
                // As the fluent-bit chart does: the HTTP server answering at all is liveness.
                livenessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 20 },
                resources: RESOURCES,
                securityContext: restricted,
                volumeMounts: [
                  { name: "config", mountPath: "/fluent-bit/etc/conf" },
                  { name: "varlog", mountPath: "/var/log", readOnly: true },
                  { name: "state", mountPath: FLUENT_BIT_STATE_DIR },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: "fluent-bit" } },
              { name: "varlog", hostPath: { path: "/var/log" } },
              { name: "state", hostPath: { path: FLUENT_BIT_STATE_DIR, type: "DirectoryOrCreate" } },
            ],
          },
        },
      },
    },
  };
}
