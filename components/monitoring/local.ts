/**
 * The local tier's monitoring: plain manifests, nothing fetched at run time (no Helm, no CRDs).
 * A single Prometheus (pinned image) with service discovery of `metrics` ports in the platform
 * namespaces and the same alert rules as the other tiers; ClusterIP only.
 * Logs: Loki and the Fluent Bit DaemonSet as plain manifests too (./logs.ts), when the blueprint
 * keeps logs. Deliberately skipped here (noted in the component's `note` output): Grafana,
 * Alertmanager and tracing — use `kubectl port-forward svc/prometheus 9090` (and svc/loki 3100).
 * Pure; no Pulumi import.
 */
import type { MonitoringDepth } from "./plan";
import { IMAGES } from "./plan";
import type { PromRuleGroup } from "./alerts";
import { clusterPrometheusConfig, ruleFileYaml } from "./promconfig";

export const LOCAL_NOTE =
  "local tier: plain-manifest Prometheus (service discovery of `metrics` ports + the platform alert rules); Grafana, Alertmanager and tracing are skipped because they need Helm charts fetched at run time";
/** What the local tier does with logs. */
export const localLogsNote = (logs: boolean) =>
  logs ? "logs: Fluent Bit on every node → plain-manifest Loki (the tier's retention)" : "logs: off (blueprint)";

export function localManifests(i: {
  stack: string;
  namespace: string;
  scrapeNamespaces: string[];
  depth: MonitoringDepth;
  retentionDays: number;
  ruleGroups?: PromRuleGroup[];
}) {
  const labels = { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/part-of": "platform-monitoring" };
  const md = (name: string) => ({ name, namespace: i.namespace, labels });
  return {
    serviceAccount: { apiVersion: "v1" as const, kind: "ServiceAccount" as const, metadata: md("prometheus") },
    clusterRole: {
      apiVersion: "rbac.authorization.k8s.io/v1" as const,
      kind: "ClusterRole" as const,
      metadata: { name: `${i.namespace}-prometheus`, labels },
      rules: [{ apiGroups: [""], resources: ["services", "endpoints", "pods"], verbs: ["get", "list", "watch"] }],
    },
    clusterRoleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1" as const,
      kind: "ClusterRoleBinding" as const,
      metadata: { name: `${i.namespace}-prometheus`, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${i.namespace}-prometheus` },
      subjects: [{ kind: "ServiceAccount", name: "prometheus", namespace: i.namespace }],
    },
    configMap: {
      apiVersion: "v1" as const,
      kind: "ConfigMap" as const,
      metadata: md("prometheus-config"),
      data: {
        "prometheus.yml": clusterPrometheusConfig(i.stack, i.scrapeNamespaces),
        "platform.rules.yml": ruleFileYaml(i.depth, "kubernetes", i.ruleGroups ?? []),
      },
    },
    deployment: {
      apiVersion: "apps/v1" as const,
      kind: "Deployment" as const,
      metadata: md("prometheus"),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "prometheus",
            securityContext: { runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "prometheus",
                image: IMAGES.prometheus,
                args: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", `--storage.tsdb.retention.time=${i.retentionDays}d`],
                ports: [{ name: "web", containerPort: 9090 }],
                readinessProbe: { httpGet: { path: "/-/ready", port: "web" }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: "/-/healthy", port: "web" }, periodSeconds: 20 },
                resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [
                  { name: "config", mountPath: "/etc/prometheus/prometheus.yml", subPath: "prometheus.yml" },
                  { name: "config", mountPath: "/etc/prometheus/rules/platform.rules.yml", subPath: "platform.rules.yml" },
                  { name: "data", mountPath: "/prometheus" },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: "prometheus-config" } },
              { name: "data", emptyDir: { sizeLimit: "2Gi" } },
            ],
          },
        },
      },
    },
    service: {
      apiVersion: "v1" as const,
      kind: "Service" as const,
      metadata: md("prometheus"),
      spec: { type: "ClusterIP", selector: labels, ports: [{ name: "web", port: 9090, targetPort: "web" }] },
    },
  };
}
