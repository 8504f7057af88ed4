/**
 * `ProgressiveDelivery` (the Argo Rollouts controller) and `GitOps` (Argo CD, its AppProject and
 * the stack's Application). Pure values and objects: plan.ts. Charts: components/charts.ts pins,
 * from `platform:charts.mirror` when set.
 *
 *   new ProgressiveDelivery("prod-rollouts", { charts, replicas: 2 }, { providers: { kubernetes } });
 *   new GitOps("prod-gitops", { charts, project: "music-platform-gitops", repoURL, path, branch: "main",
 *     environment: "production", destinationNamespace: "apps", url: "https://argocd.example.com" }, ...);
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHART_PINS, type ChartMirror, helmChartSource } from "../charts";
import { registerManifest } from "../cluster/register";
import { type SsoSettings, appProject, application, argoCdValues, argoRolloutsValues, defaultSso } from "./plan";

export const ARGOCD_NAMESPACE = "argocd";
export const ROLLOUTS_NAMESPACE = "argo-rollouts";

/** Where the controllers live in the cluster: what their namespaces' NetworkPolicies admit. */
export interface ControllerNetwork {
  /** Where the API server answers (the VPC CIDR on EKS; private ranges for local clusters). */
  apiServerCidrs: string[];
  /** The monitoring namespace (Prometheus scrapes the controllers; the analysis queries Prometheus). */
  monitoringNamespace: string;
}

const nsPeer = (namespace: string, podSelector?: Record<string, string>) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
  ...(podSelector ? { podSelector: { matchLabels: podSelector } } : {}),
});
const tcp = (port: number) => ({ port, protocol: "TCP" });
const PROMETHEUS = { "app.kubernetes.io/name": "prometheus" };

/**
 * A controller's own namespace, declared like the role namespaces: Pod Security `restricted`
 * (the argo charts' pods meet it), default deny in and out, DNS, the API server, metrics to
 * Prometheus, plus what the controller itself needs (`egress`, traffic among its own pods).
 * Without it the chart's `createNamespace` made a namespace nothing enforced and nothing
 * segmented (baseline-pod-security-restricted and seg-namespace-default-deny, mandatory).
 */
function controllerNamespace(
  name: string,
  namespace: string,
  net: ControllerNetwork,
  o: { metricsPorts: number[]; egress: { to: unknown[]; ports: { port: number; protocol: string }[] }[]; internal: boolean },
  parent: pulumi.Resource,
): pulumi.Resource[] {
  const labels = {
    "app.kubernetes.io/managed-by": "pulumi",
    "platform.io/role": "addons",
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
  };
  const ns = registerManifest(`${name}-ns`, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } } as any, { parent });
  const meta = (n: string) => ({ name: n, namespace, labels: { "app.kubernetes.io/managed-by": "pulumi", "platform.io/policy": "segmentation" } });
  const policy = (n: string, spec: Record<string, unknown>) =>
    registerManifest(`${name}-netpol-${n}`, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta(n), spec } as any, {
      parent,
      dependsOn: [ns],
    });
  const self = [nsPeer(namespace)];
  const out: pulumi.Resource[] = [
    ns,
    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] }),
    policy("allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [nsPeer("kube-system", { "k8s-app": "kube-dns" })], ports: [{ port: 53, protocol: "UDP" }, tcp(53)] }],
    }),
    policy("controller", {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        ...(o.metricsPorts.length ? [{ from: [nsPeer(net.monitoringNamespace, PROMETHEUS)], ports: o.metricsPorts.map(tcp) }] : []),
        ...(o.internal ? [{ from: self }] : []),
      ],
      egress: [
        { to: net.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(443), tcp(6443)] },
        ...o.egress,
        ...(o.internal ? [{ to: self }] : []),
      ],
    }),
  ];
  return out;
}

export class ProgressiveDelivery extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;
  constructor(name: string, args: { charts: ChartMirror; replicas: number; network: ControllerNetwork }, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:gitops:ProgressiveDelivery", name, {}, opts);
    // The analysis runs in the controller and queries Prometheus (9090) in the monitoring namespace.
    const nsRes = controllerNamespace(
      name,
      ROLLOUTS_NAMESPACE,
      args.network,
      { metricsPorts: [8090], egress: [{ to: [nsPeer(args.network.monitoringNamespace, PROMETHEUS)], ports: [tcp(9090)] }], internal: false },
      this,
    );
    nsRes.push(
      registerManifest(
        `${name}-netpol-prometheus-from-rollouts`,
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: {
            name: "prometheus-from-argo-rollouts",
            namespace: args.network.monitoringNamespace,
            labels: { "app.kubernetes.io/managed-by": "pulumi", "platform.io/policy": "segmentation" },
          },
          spec: { podSelector: { matchLabels: PROMETHEUS }, policyTypes: ["Ingress"], ingress: [{ from: [nsPeer(ROLLOUTS_NAMESPACE)], ports: [tcp(9090)] }] },
        } as any,
        { parent: this },
      ),
    );
    const outer = (Array.isArray(opts.dependsOn) ? opts.dependsOn : opts.dependsOn ? [opts.dependsOn] : []) as pulumi.Resource[];
    this.release = new k8s.helm.v3.Release(
      `${name}-argo-rollouts`,
      {
        name: "argo-rollouts",
        namespace: ROLLOUTS_NAMESPACE,
        createNamespace: false,
        ...helmChartSource(CHART_PINS.argoRollouts, args.charts),
        values: argoRolloutsValues({ replicas: args.replicas }),
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
      },
      { parent: this, dependsOn: [...outer, ...nsRes] },
    );
    this.registerOutputs({});
  }
}

export interface GitOpsArgs {
  charts: ChartMirror;
  /** AppProject name (the blueprint's name). */
  project: string;
  repoURL: string;
  path: string;
  branch: string;
  /** `staging` | `production`: the Application follows `values-<environment>.yaml`. */
  environment: string;
  /** The apps namespace the Application deploys to (and the only one the project allows). */
  destinationNamespace: string;
  /** Argo CD's external URL (OIDC redirect). */
  url: string;
  replicas: number;
  sso?: SsoSettings;
  /** OIDC client secret (confidential clients; `platform:argocd.sso.clientSecret`): stored in Secret `argocd-oidc`. */
  ssoClientSecret?: pulumi.Input<string>;
  network: ControllerNetwork;
}

/** The Secret holding Argo CD's OIDC client secret, and the reference oidc.config uses. */
export const OIDC_SECRET = { name: "argocd-oidc", key: "clientSecret", ref: "$argocd-oidc:clientSecret" } as const;

export class GitOps extends pulumi.ComponentResource {
  public readonly applicationName: string;
  constructor(name: string, args: GitOpsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:gitops:GitOps", name, {}, opts);
    const base = args.sso ?? defaultSso(args.project);
    if (args.ssoClientSecret !== undefined && !(base.issuer && base.clientId)) {
      throw new Error(
        `GitOps ${name}: an OIDC client secret without an issuer and client id: set platform:argocd.sso.issuer and platform:argocd.sso.clientId, or remove platform:argocd.sso.clientSecret`,
      );
    }
    const sso: SsoSettings = args.ssoClientSecret !== undefined ? { ...base, clientSecretRef: OIDC_SECRET.ref } : base;
    const outer = (Array.isArray(opts.dependsOn) ? opts.dependsOn : opts.dependsOn ? [opts.dependsOn] : []) as pulumi.Resource[];
    // Argo CD's components talk among themselves (server, repo-server, application controller,
    // redis) and fetch the deploy repository over HTTPS or SSH.
    const nsRes = controllerNamespace(
      name,
      ARGOCD_NAMESPACE,
      args.network,
      {
        metricsPorts: [8082, 8083, 8084],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }], ports: [tcp(443), tcp(22)] }],
        internal: true,
      },
      this,
    );
    // Argo CD resolves `$argocd-oidc:clientSecret` only from Secrets labelled part-of argocd.
    if (args.ssoClientSecret !== undefined) {
      nsRes.push(
        new k8s.core.v1.Secret(
          `${name}-oidc`,
          {
            metadata: {
              name: OIDC_SECRET.name,
              namespace: ARGOCD_NAMESPACE,
              labels: { "app.kubernetes.io/part-of": "argocd", "app.kubernetes.io/managed-by": "pulumi" },
            },
            type: "Opaque",
            stringData: { [OIDC_SECRET.key]: pulumi.secret(args.ssoClientSecret) },
          },
          { parent: this, dependsOn: nsRes.slice(0, 1) },
        ),
      );
    }
    const release = new k8s.helm.v3.Release(
      `${name}-argo-cd`,
      {
        name: "argo-cd",
        namespace: ARGOCD_NAMESPACE,
        createNamespace: false,
        ...helmChartSource(CHART_PINS.argoCd, args.charts),
        values: argoCdValues({ project: args.project, url: args.url, sso, replicas: args.replicas }),
        atomic: true,
        cleanupOnFail: true,
        timeout: 900,
      },
      { parent: this, dependsOn: [...outer, ...nsRes] },
    );
    const project = registerManifest(
      `${name}-project`,
      appProject({
        project: args.project,
        namespace: ARGOCD_NAMESPACE,
        repoURL: args.repoURL,
        destinationNamespace: args.destinationNamespace,
        description: `${args.project}: services from ${args.repoURL}`,
        sso,
      }) as any,
      { parent: this, dependsOn: [release] },
    );
    this.applicationName = `${args.project}-${args.environment}`;
    registerManifest(
      `${name}-app-${args.environment}`,
      application({
        name: this.applicationName,
        namespace: ARGOCD_NAMESPACE,
        project: args.project,
        repoURL: args.repoURL,
        path: args.path,
        branch: args.branch,
        environment: args.environment,
        destinationNamespace: args.destinationNamespace,
      }) as any,
      { parent: this, dependsOn: [release, project] },
    );
    this.registerOutputs({ application: this.applicationName });
  }
}
