/**
 * `KubernetesCluster`: the cluster (EKS, or an existing one / rendered manifests), its
 * `k8s.Provider`, the role namespaces (Pod Security labels) and the add-ons (pinned Helm
 * releases + ClusterIssuer). NetworkPolicies come from `ClusterNetworkPolicies`
 * (./policies.ts), created once services and data stores are known.
 *
 * Usage (EKS):
 *   const c = new KubernetesCluster("prod", { mode: "eks", ingressController: "traefik",
 *     certificates: { issuer: "letsencrypt", email: "ops@example.com" },
 *     eks: { version: "1.36", region: "us-east-1", vpcId, vpcCidr: "10.0.0.0/16", privateSubnetIds,
 *            appSecurityGroupId, nodeGroups: [{ name: "general", instanceTypes: ["m6i.large"], min: 3, desired: 3, max: 12 }] } },
 *     { providers: { aws } });
 *   new Service("api", {...}, { providers: { kubernetes: c.provider } });
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHART_PINS, helmChartSource } from "../charts";
import { IngressControllerInfo, ingressControllerInfo, planAddons, planClusterIssuer } from "./addons";
import { ClusterArgs, parseClusterArgs } from "./args";
import { provisionEks } from "./eks";
import { planNamespaces, roleNamespaceNames } from "./namespaces";
import type { RoleNamespaces } from "./netpol";
import { registerManifest } from "./register";

/** RFC 1918 ranges: where a local cluster's API server answers (node addresses). */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

export class KubernetesCluster extends pulumi.ComponentResource {
  public readonly provider: k8s.Provider;
  public readonly namespaces: RoleNamespaces;
  /** Kubeconfig, always a secret (EKS: exec plugin `aws eks get-token`, no static token). */
  public readonly kubeconfig?: pulumi.Output<string>;
  public readonly clusterName?: pulumi.Output<string>;
  public readonly oidcProviderArn?: pulumi.Output<string>;
  public readonly oidcIssuer?: pulumi.Output<string>;
  public readonly rendered: boolean;
  public readonly ingress: IngressControllerInfo;
  /** ClusterIssuer for Ingress certificates; undefined when cert-manager is not installed. */
  public readonly clusterIssuer?: string;
  /** Where the API server answers, for NetworkPolicy egress. */
  public readonly apiServerCidrs: string[];
  /** Resources that workloads should wait for (namespaces, add-ons). */
  public readonly ready: pulumi.Resource[];
  /** cert-manager's namespace when installed here (it gets PSS labels and NetworkPolicies too). */
  public readonly certManagerNamespace?: string;

  constructor(name: string, args: ClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:cluster:KubernetesCluster", name, {}, opts);
    const a = parseClusterArgs(name, args);
    this.namespaces = roleNamespaceNames(a.namespacePrefix, { privilegedData: a.privilegedDataNamespace });
    this.ingress = ingressControllerInfo(a.ingressController);
    const nsPlan = planNamespaces(this.namespaces);

    let waitFor: pulumi.Resource[] = [];
    let autoscalerRoleArn: pulumi.Output<string> | undefined;
    if (a.mode === "eks") {
      const eks = provisionEks(name, a.eks!, this);
      this.kubeconfig = eks.kubeconfig;
      this.clusterName = eks.clusterName;
      this.oidcProviderArn = eks.oidcProviderArn;
      this.oidcIssuer = eks.oidcIssuer;
      autoscalerRoleArn = eks.autoscalerRoleArn;
      waitFor = eks.ready;
      this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: eks.kubeconfig, enableServerSideApply: true }, { parent: this });
      this.rendered = false;
      this.apiServerCidrs = [a.eks!.vpcCidr];
    } else {
      const ex = a.existing!;
      this.rendered = ex.renderDir !== undefined && ex.kubeconfig === undefined;
      this.provider = this.rendered
        ? new k8s.Provider(`${name}-k8s`, { renderYamlToDirectory: ex.renderDir! }, { parent: this })
        : new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: ex.kubeconfig!, ...(ex.context ? { context: ex.context } : {}), enableServerSideApply: true },
            { parent: this },
          );
      if (ex.kubeconfig) this.kubeconfig = pulumi.secret(ex.kubeconfig);
      this.apiServerCidrs = PRIVATE_RANGES;
    }
    const k = { parent: this, provider: this.provider };

    const nsRes = nsPlan.map((n) =>
      registerManifest(
        `${name}-ns-${n.role}`,
        { apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels } },
        { ...k, dependsOn: waitFor },
      ),
    );
    const ready: pulumi.Resource[] = [...nsRes];

    if (a.mode === "eks") {
      // Encrypted gp3 as the default StorageClass (the EBS CSI add-on provides the driver).
      ready.push(
        new k8s.storage.v1.StorageClass(
          `${name}-gp3`,
          {
            metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
            volumeBindingMode: "WaitForFirstConsumer",
            reclaimPolicy: a.eks!.protect ? "Retain" : "Delete",
            allowVolumeExpansion: true,
          },
          { ...k, dependsOn: waitFor },
        ),
      );
    }

    const addons = this.rendered ? false : (a.addons ?? true);
    if (addons === "ingress") {
      // Only the ingress controller (the local tier): its chart installs the IngressClass and the
      // CRDs of the Middlewares the services create.
      const [controller] = planAddons({
        controller: a.ingressController,
        namespaces: this.namespaces,
        replicas: a.controllerReplicas,
        serviceMonitors: false,
      }).filter((r) => r.key === "traefik");
      ready.push(
        new k8s.helm.v3.Release(
          `${name}-${controller!.key}`,
          {
            name: controller!.name,
            ...helmChartSource(controller!.pin, a.charts),
            namespace: controller!.namespace,
            createNamespace: false,
            values: controller!.values,
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
          },
          { ...k, dependsOn: [...nsRes, ...waitFor] },
        ),
      );
    } else if (addons) {
      // cert-manager's own namespace, labelled like the role namespaces (its pods meet `restricted`).
      this.certManagerNamespace = "cert-manager";
      nsRes.push(
        registerManifest(
          `${name}-ns-cert-manager`,
          {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: this.certManagerNamespace, labels: { ...nsPlan.find((n) => n.role === "apps")!.labels, "platform.io/role": "addons" } },
          },
          { ...k, dependsOn: waitFor },
        ),
      );
      const releases = planAddons({
        controller: a.ingressController,
        namespaces: this.namespaces,
        replicas: a.controllerReplicas,
        serviceMonitors: a.serviceMonitors,
        ...(a.mode === "eks" ? { eks: { clusterName: a.eks!.clusterName ?? name, region: a.eks!.region, autoscalerRoleArn } } : {}),
      });
      // The Prometheus Operator's CRDs come first, on their own: the add-on charts below render
      // ServiceMonitors (serviceMonitors on), and so do kube-prometheus-stack and every service.
      // Installed later by kube-prometheus-stack, they did not exist yet when the add-ons were
      // created: the first real deploy of every non-local tier failed with "no matches for kind
      // ServiceMonitor" (found by the control-plane conformance run). kube-prometheus-stack then
      // runs with crds.enabled=false, so one release owns them.
      const operatorCrds = new k8s.helm.v3.Release(
        `${name}-prometheus-operator-crds`,
        {
          name: "prometheus-operator-crds",
          ...helmChartSource(CHART_PINS.prometheusOperatorCrds, a.charts),
          namespace: this.namespaces.monitoring,
          createNamespace: false,
          values: {},
          atomic: true,
          cleanupOnFail: true,
          timeout: 600,
        },
        { ...k, dependsOn: [...nsRes, ...waitFor] },
      );
      ready.push(operatorCrds);
      const byKey = new Map<string, k8s.helm.v3.Release>();
      for (const r of releases) {
        byKey.set(
          r.key,
          new k8s.helm.v3.Release(
            `${name}-${r.key}`,
            {
              name: r.name,
              ...helmChartSource(r.pin, a.charts),
              namespace: r.namespace,
              createNamespace: false,
              values: r.values,
              atomic: true,
              cleanupOnFail: true,
              timeout: 600,
            },
            { ...k, dependsOn: [...nsRes, ...waitFor, operatorCrds] },
          ),
        );
      }
      const issuer = planClusterIssuer(a.certificates.issuer, {
        ...(a.certificates.email ? { email: a.certificates.email } : {}),
        ...(a.certificates.caSecretName ? { caSecretName: a.certificates.caSecretName } : {}),
        ingressClass: this.ingress.className,
      });
      registerManifest(`${name}-cluster-issuer`, issuer.manifest as any, { ...k, dependsOn: [byKey.get("cert-manager")!] });
      this.clusterIssuer = issuer.name;
      ready.push(...byKey.values());
    }
    this.ready = ready;

    this.registerOutputs({
      namespaces: this.namespaces,
      rendered: this.rendered,
      kubeconfig: this.kubeconfig,
      clusterName: this.clusterName,
      oidcProviderArn: this.oidcProviderArn,
      clusterIssuer: this.clusterIssuer,
    });
  }
}

export { ClusterNetworkPolicies } from "./policies";
export type { ClusterArgs } from "./args";
