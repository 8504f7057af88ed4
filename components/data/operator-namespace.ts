/**
 * The namespace an operator (CloudNativePG, Scylla Operator) is installed into, segmented like
 * every other namespace that runs pods: Pod Security `restricted`, default-deny ingress and
 * egress, and explicit allows only — DNS, the Kubernetes API (the operator's control loop), the
 * API server calling the operator's admission webhook, and the operator reaching the pods it
 * manages in the data namespace on their management ports.
 *
 * The Helm release then installs into it with `createNamespace: false`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ChartMirror, type ChartPin, helmChartSource } from "../charts";

/** Where the API server may call from when the caller does not say (private ranges). */
export const DEFAULT_API_SERVER_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

export interface OperatorNamespaceInput {
  namespace: string;
  /** Operator name for labels (`cnpg`, `scylla-operator`). */
  operator: string;
  /** Where the Kubernetes API server lives (EKS: the VPC CIDR). */
  apiServerCidrs: string[];
  /** Ports of the operator's admission webhook server. */
  webhookPorts: number[];
  /** The data namespace and the management ports of the pods the operator drives there. */
  managed: { namespace: string; ports: number[] };
  /**
   * Pod Security level the namespace enforces (default `restricted`). `baseline` only for a chart
   * whose pods cannot meet `restricted` (scylla-operator: no container securityContext values, so
   * allowPrivilegeEscalation and capabilities.drop cannot be set); labelled role
   * `operator-baseline` so the policy pack allows exactly that level there. Warn/audit stay `restricted`.
   */
  podSecurity?: "restricted" | "baseline";
}

/** The platform.io/role of an operator namespace that enforces `baseline` (policies/baseline.ts DEFAULT_ROLE_LEVELS). */
export const OPERATOR_BASELINE_ROLE = "operator-baseline";

const tcp = (port: number) => ({ protocol: "TCP", port });

/** Pure: the Namespace and NetworkPolicy manifests. */
export function planOperatorNamespace(i: OperatorNamespaceInput) {
  const labels = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "platform-data", "platform.io/operator": i.operator };
  const meta = (name: string) => ({ name, namespace: i.namespace, labels });
  const ipBlocks = i.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } }));
  return {
    namespace: {
      metadata: {
        name: i.namespace,
        labels: {
          ...labels,
          ...(i.podSecurity === "baseline" ? { "platform.io/role": OPERATOR_BASELINE_ROLE } : {}),
          "pod-security.kubernetes.io/enforce": i.podSecurity ?? "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    },
    policies: [
      { metadata: meta("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
      {
        metadata: meta("allow-dns"),
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                },
              ],
              ports: [{ protocol: "UDP", port: 53 }, tcp(53)],
            },
          ],
        },
      },
      { metadata: meta("allow-api-server"), spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: ipBlocks, ports: [tcp(443), tcp(6443)] }] } },
      { metadata: meta("allow-webhook"), spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: ipBlocks, ports: i.webhookPorts.map(tcp) }] } },
      {
        metadata: meta("allow-managed-pods"),
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": i.managed.namespace } } }], ports: i.managed.ports.map(tcp) }],
        },
      },
    ],
  };
}

/** Creates the namespace and its policies; returns the Namespace for the release to depend on. */
export function provisionOperatorNamespace(name: string, i: OperatorNamespaceInput, parent: pulumi.Resource): k8s.core.v1.Namespace {
  const plan = planOperatorNamespace(i);
  const ns = new k8s.core.v1.Namespace(`${name}-ns`, plan.namespace, { parent });
  for (const p of plan.policies) {
    new k8s.networking.v1.NetworkPolicy(`${name}-${p.metadata.name}`, p, { parent, dependsOn: [ns] });
  }
  return ns;
}

export interface OperatorInstall extends OperatorNamespaceInput {
  /** Helm release name and its pinned chart (components/charts.ts). */
  release: string;
  chart: ChartPin;
  /** Where the chart comes from (official repository or a mirror). */
  charts: ChartMirror;
  values?: Record<string, unknown>;
}

/**
 * An operator installed once per cluster: its segmented namespace, then the pinned Helm release
 * into it (`createNamespace: false`). `name` prefixes the child resources (`<name>-ns`, ...).
 */
export function provisionOperator(name: string, i: OperatorInstall, parent: pulumi.Resource): k8s.helm.v3.Release {
  const ns = provisionOperatorNamespace(name, i, parent);
  return new k8s.helm.v3.Release(
    `${name}-operator`,
    {
      name: i.release,
      ...helmChartSource(i.chart, i.charts),
      namespace: i.namespace,
      createNamespace: false,
      ...(i.values ? { values: i.values } : {}),
    },
    { parent, dependsOn: [ns] },
  );
}
