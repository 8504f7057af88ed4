/**
 * Cluster add-ons as pinned Helm releases with reviewed values (pure: data in, data out).
 *
 * Every chart is pinned to an exact version in components/charts.ts (CHART_PINS: traefik,
 * cert-manager, metrics-server, cluster-autoscaler); values are typed objects reviewed
 * here, not pasted YAML, and test/charts renders each with the real `helm template`.
 * Where the chart is fetched from (official repository or a mirror) is the release's business
 * (helmChartSource), not the plan's.
 *
 * Cluster Autoscaler, not Karpenter: we already want one managed node group per workload class;
 * the autoscaler scales exactly those (auto-discovered by the tags EKS puts on their ASGs) with one
 * chart and one IRSA role scoped to tagged groups. Karpenter would replace the node groups with
 * NodePools and needs an SQS interruption queue, EventBridge rules, an instance profile and its
 * CRDs — more moving parts than these stacks need at 3–12 nodes.
 *
 * The `local` tier installs none of these: it renders manifests for the engine to apply offline and
 * nothing may be fetched at run time (a Helm release needs the chart repository and a live cluster).
 * A kind/k3d cluster brings its own ingress (k3d: Traefik; kind: install Traefik once); without
 * cert-manager, local Ingresses fall back to the controller's default (self-signed) certificate.
 */

import { CHART_PINS, VERSION_PINS, type ChartPin } from "../charts";

export interface HelmReleasePlan {
  key: string;
  name: string;
  /** The pinned chart (components/charts.ts). */
  pin: ChartPin;
  namespace: string;
  values: Record<string, unknown>;
}

/** The cluster's ingress controller: Traefik (ingress-nginx was retired in March 2026; docs/design.md). */
export interface IngressControllerInfo {
  controller: "traefik";
  className: string;
  /** Labels of the controller pods (NetworkPolicy selector). */
  podSelector: Record<string, string>;
  /** Container ports receiving internet traffic (web, websecure). Traefik runs no admission webhook. */
  webPorts: number[];
  metricsPort: number;
}

export const EBS_CSI_ADDON_VERSION = VERSION_PINS.ebsCsiAddon.value;

/** The traefik chart's `image` values for VERSION_PINS.traefik (`<registry>/<repository>:<tag>`). */
export function traefikImage(): { registry: string; repository: string; tag: string } {
  const m = /^([^/]+)\/([^:]+):(v\d+\.\d+\.\d+)$/.exec(VERSION_PINS.traefik.value);
  if (!m) throw new Error(`components/charts.ts VERSION_PINS.traefik: '${VERSION_PINS.traefik.value}' is not <registry>/<repository>:v<major>.<minor>.<patch>`);
  return { registry: m[1]!, repository: m[2]!, tag: m[3]! };
}

/**
 * The VPC CNI as a managed add-on with `enableNetworkPolicy`: without it EKS does NOT enforce
 * NetworkPolicies at all. Caveat (stated, not hidden): its policy agent has ignored ipBlock
 * `except` (aws/aws-network-policy-agent#92), so "internet except private ranges" egress may also
 * reach private addresses on the allowed port there; destination-side ingress policies still deny.
 */
export const VPC_CNI_ADDON_VERSION = VERSION_PINS.vpcCniAddon.value;

export function ingressControllerInfo(controller: "traefik"): IngressControllerInfo {
  return { controller, className: "traefik", podSelector: { "app.kubernetes.io/name": "traefik" }, webPorts: [8000, 8443], metricsPort: 9100 };
}

export interface AddonsInput {
  /** Traefik: ingress-nginx was retired in March 2026 (docs/design.md maps its former values). */
  controller: "traefik";
  namespaces: { ingress: string; monitoring: string };
  /** Controller replicas (≥2 where the tier runs PDBs). */
  replicas: number;
  /** Create ServiceMonitors for the add-ons (Prometheus operator present). */
  serviceMonitors: boolean;
  /** EKS: public NLB with client IP preserved (rate limits per client IP need it). */
  eks?: { clusterName: string; region: string; autoscalerRoleArn: unknown };
}

const restrictedish = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

export function planAddons(i: AddonsInput): HelmReleasePlan[] {
  const out: HelmReleasePlan[] = [];
  const lbAnnotations = i.eks
    ? { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb", "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" }
    : {};
  const pdb = i.replicas > 1;
  out.push({
    key: "traefik",
    name: "traefik",
    pin: CHART_PINS.traefik,
    namespace: i.namespaces.ingress,
    values: {
      // The pinned Traefik Proxy (VERSION_PINS.traefik: the patch release the tests run, past the chart's appVersion).
      image: traefikImage(),
      deployment: { replicas: i.replicas },
      ingressClass: { enabled: true, isDefaultClass: false, name: "traefik" },
      providers: { kubernetesCRD: { enabled: true, allowCrossNamespace: false }, kubernetesIngress: { enabled: true } },
      ports: {
        // Chart 34+: `redirectTo` became upstream's `redirections.entryPoint`; 39+ nests HTTP options under `http`.
        web: { port: 8000, exposedPort: 80, http: { redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true } } } },
        websecure: { port: 8443, exposedPort: 443, http: { tls: { enabled: true } } },
        metrics: { port: 9100, expose: { default: false } },
      },
      tlsOptions: { default: { minVersion: "VersionTLS12", sniStrict: true } },
      service: { type: "LoadBalancer", spec: { externalTrafficPolicy: "Local" }, annotations: lbAnnotations },
      metrics: { prometheus: { serviceMonitor: { enabled: i.serviceMonitors } } },
      podDisruptionBudget: pdb ? { enabled: true, minAvailable: 1 } : { enabled: false },
      // Replicas spread over zones (as the ingress-nginx values did): one zone lost keeps the ingress up.
      topologySpreadConstraints: pdb
        ? [
            {
              maxSkew: 1,
              topologyKey: "topology.kubernetes.io/zone",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } },
            },
          ]
        : [],
      securityContext: restrictedish,
      podSecurityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
      // Chart 41: `logs.general` → `log`, `logs.access` → `accessLog` (Changelog "41.0.0").
      log: { format: "json" },
      accessLog: { enabled: true, format: "json" },
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    },
  });
  out.push({
    key: "cert-manager",
    name: "cert-manager",
    pin: CHART_PINS.certManager,
    namespace: "cert-manager",
    values: {
      crds: { enabled: true, keep: true },
      replicaCount: Math.min(i.replicas, 2),
      podDisruptionBudget: { enabled: pdb, minAvailable: 1 },
      global: { leaderElection: { namespace: "cert-manager" } },
      prometheus: { enabled: true, servicemonitor: { enabled: i.serviceMonitors } },
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containerSecurityContext: restrictedish,
    },
  });
  out.push({
    key: "metrics-server",
    name: "metrics-server",
    pin: CHART_PINS.metricsServer,
    namespace: "kube-system",
    values: {
      replicas: pdb ? 2 : 1,
      podDisruptionBudget: { enabled: pdb, minAvailable: 1 },
      args: ["--kubelet-preferred-address-types=InternalIP"],
      // The chart renders the ServiceMonitor only with `metrics.enabled` (which also lets the
      // scraper read /metrics without a token): without it `serviceMonitor.enabled` does nothing.
      metrics: { enabled: i.serviceMonitors },
      serviceMonitor: { enabled: i.serviceMonitors },
    },
  });
  if (i.eks) {
    out.push({
      key: "cluster-autoscaler",
      name: "cluster-autoscaler",
      pin: CHART_PINS.clusterAutoscaler,
      namespace: "kube-system",
      values: {
        cloudProvider: "aws",
        awsRegion: i.eks.region,
        autoDiscovery: { clusterName: i.eks.clusterName },
        rbac: { serviceAccount: { create: true, name: "cluster-autoscaler", annotations: { "eks.amazonaws.com/role-arn": i.eks.autoscalerRoleArn } } },
        extraArgs: { "balance-similar-node-groups": true, expander: "least-waste", "skip-nodes-with-local-storage": false, "scale-down-unneeded-time": "10m" },
        serviceMonitor: { enabled: i.serviceMonitors, namespace: i.namespaces.monitoring },
        containerSecurityContext: restrictedish,
      },
    });
  }
  return out;
}

export type IssuerKind = "self-signed" | "letsencrypt-staging" | "letsencrypt" | "corporate-ca";

/** The ClusterIssuer for ingress certificates. */
export function planClusterIssuer(
  kind: IssuerKind,
  opts: { email?: string; caSecretName?: string; ingressClass: string },
): { name: string; manifest: Record<string, any> } {
  const meta = (name: string) => ({ name, labels: { "app.kubernetes.io/managed-by": "pulumi" } });
  if (kind === "self-signed")
    return {
      name: "self-signed",
      manifest: { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: meta("self-signed"), spec: { selfSigned: {} } },
    };
  if (kind === "corporate-ca") {
    if (!opts.caSecretName)
      throw new Error("certificates.corporateCaSecret: name the Secret (in the cert-manager namespace) holding the corporate CA's tls.crt/tls.key");
    return {
      name: "corporate-ca",
      manifest: { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: meta("corporate-ca"), spec: { ca: { secretName: opts.caSecretName } } },
    };
  }
  if (!opts.email) throw new Error("certificates.email: Let's Encrypt needs an ACME account e-mail");
  const server = kind === "letsencrypt" ? "https://acme-v02.api.letsencrypt.org/directory" : "https://acme-staging-v02.api.letsencrypt.org/directory";
  return {
    name: kind,
    manifest: {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: meta(kind),
      spec: {
        acme: {
          server,
          email: opts.email,
          privateKeySecretRef: { name: `${kind}-account-key` },
          solvers: [{ http01: { ingress: { ingressClassName: opts.ingressClass } } }],
        },
      },
    },
  };
}
