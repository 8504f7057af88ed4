/**
 * Types of the NetworkPolicy planner (./netpol.ts): its input (namespaces, services, stores,
 * external networks, monitoring and add-on flows) and the manifests it returns.
 */
import type { DataNetwork } from "../data/network";

export type Labels = Record<string, string>;
export type Role = "ingress" | "apps" | "data" | "monitoring";
/**
 * The role namespaces. `dataPrivileged` exists only when a data store's engine cannot run under
 * Pod Security `restricted` (ScyllaDB runs as root with CAP_SYS_NICE, whether the Scylla Operator
 * or our StatefulSet starts it): it holds only such stores, enforces `privileged`, warns/audits at
 * `restricted`, and gets the same default-deny segmentation as `data`.
 */
export type RoleNamespaces = Record<Role, string> & { dataPrivileged?: string };

export interface NetpolService {
  name: string;
  exposure: "public" | "internal" | "none";
  ports: { http: number; health?: number; metrics?: number };
  /** Ports the ingress routes to (`http`, or `health` when a route says so). */
  routedPorts: ("http" | "health")[];
  connectsTo: string[];
  calls: string[];
  egress: string[];
  /** Pod selector of the service's pods (matchLabels). */
  podSelector: Labels;
}

export interface NetpolStore {
  /** `<kind>/<name>`, as in a service's `connectsTo` (e.g. `postgres/main`). */
  ref: string;
  network: DataNetwork;
}

export interface NetpolExternal {
  cidrs: string[];
  ports: number[];
  protocol: "TCP" | "UDP";
}

export interface NetpolInput {
  namespaces: RoleNamespaces;
  /** The ingress controller's pods and the container ports they listen on (http, https). */
  ingressController: { podSelector: Labels; ports: number[]; metricsPort?: number };
  /** Prometheus pods in the monitoring namespace; absent = every pod of the namespace. */
  prometheusSelector?: Labels;
  services: NetpolService[];
  stores: NetpolStore[];
  externalNetworks: Record<string, NetpolExternal>;
  /** Where the Kubernetes API server answers (VPC CIDR on EKS; private ranges for local clusters). */
  apiServerCidrs: string[];
  /** Where managed (AWS) data stores live, for apps → managed store egress (the VPC CIDR). */
  managedStoreCidrs: string[];
  /** Destination of data stores' `external` egress (backups to S3...). Default: internet on the rule's ports. */
  dataExternalCidrs?: string[];
  /** ACME HTTP-01 solvers in the apps namespace must be reachable from the controller. */
  acmeHttp01: boolean;
  /** What the monitoring stack (components/monitoring) needs beyond scraping the services. */
  monitoring?: MonitoringFlows;
  /** cert-manager's namespace when the cluster installs it: default deny + what it needs. */
  certManagerNamespace?: string;
}

export interface MonitoringFlows {
  /** OTLP ports of the collector (4317 gRPC, 4318 HTTP): every service may send traces there. */
  otlpPorts: number[];
  /** The collector's pods; default every monitoring pod. */
  otlpSelector?: Labels;
  /** Public Grafana: the ingress controller reaches these pods on this port. */
  grafana?: { podSelector: Labels; port: number };
  /** Alertmanager e-mail / Grafana SSO: monitoring pods reach the internet (never private ranges) on these ports. */
  internetPorts: number[];
  /** Node ports Prometheus scrapes (kubelet/cAdvisor 10250, node-exporter 9100). */
  nodePorts: number[];
  /** Where nodes live (the VPC CIDR on EKS); default apiServerCidrs. */
  nodeCidrs?: string[];
  /** Namespaces without our policies that Prometheus scrapes (cert-manager, kube-system). */
  extraScrapeNamespaces: string[];
  /** Aggregated APIs served from monitoring (prometheus-adapter's custom metrics): the API server calls these pods. */
  apiServices?: { podSelector: Labels; port: number }[];
}

export interface NetworkPolicyManifest {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: { name: string; namespace: string; labels: Labels };
  spec: {
    podSelector: { matchLabels?: Labels; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: Rule[];
    egress?: Rule[];
  };
}

export type Peer = {
  podSelector?: { matchLabels?: Labels; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  namespaceSelector?: { matchLabels: Labels };
  ipBlock?: { cidr: string; except?: string[] };
};
export type Port = { port: number; protocol: "TCP" | "UDP" };
export type Rule = { from?: Peer[]; to?: Peer[]; ports?: Port[] };
