/**
 * Cluster composer: maps the PlatformSpec to a `KubernetesCluster` (EKS on AWS tiers, an existing
 * cluster or rendered manifests for `local`). Returns undefined unless the stack is hosted on
 * Kubernetes.
 *
 *   const cluster = composeCluster(ctx);   // KubernetesPlatform | undefined
 *   ctx.cluster = cluster;                 // it is a ClusterOutputs
 *   ...data stores...
 *   composeServices(ctx, cluster!, { dataStores });
 */
import type * as pulumi from "@pulumi/pulumi";
import type { IngressControllerInfo } from "../../components/cluster/addons";
import { KubernetesCluster } from "../../components/cluster";
import { DATA_NODES } from "../../components/cluster/args";
import type { ClusterOutputs, Context } from "../context";
import type { PlatformSpec } from "../spec/platform";

/** What the services composer needs beyond ClusterOutputs. */
export interface KubernetesPlatform extends ClusterOutputs {
  component: KubernetesCluster;
  ingress: IngressControllerInfo;
  /** ClusterIssuer name for Ingress certificates; undefined in the local tier (no cert-manager). */
  clusterIssuer?: string;
  apiServerCidrs: string[];
  /** cert-manager's namespace when the cluster installs it. */
  certManagerNamespace?: string;
  /** Workloads wait for these (namespaces, add-ons). */
  ready: pulumi.Resource[];
  kubeconfig?: pulumi.Output<string>;
  clusterName?: pulumi.Output<string>;
}

/** EKS cluster name: `<blueprint>-<stack>`, at most 40 characters. */
export function clusterNameFor(spec: PlatformSpec): string {
  return `${spec.blueprint.name}-${spec.stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 40)
    .replace(/-+$/, "");
}

/** Stores that run inside the cluster in this tier (then a `data` node group is created). */
export function hasInClusterData(spec: PlatformSpec): boolean {
  const ds = spec.blueprint.dataStores;
  if (spec.profile.dataPlacement === "statefulset") return true;
  return (
    ds.scylla.length > 0 ||
    ds.ipfs.length > 0 ||
    ds.objectStores.some((o) => o.engine === "seaweedfs") ||
    ds.postgres.some((p) => p.placement === "in-cluster") ||
    ds.redis.some((r) => r.placement === "in-cluster")
  );
}

/**
 * `env` (default process.env) lets `npm run local` (scripts/local.sh) steer an existing-mode stack
 * without editing its stack file: PLATFORM_KUBECONFIG (deploy to that cluster) wins over
 * PLATFORM_RENDER_DIR (absolute render directory) wins over the stack's own kubeconfig/renderDir.
 */
export function composeCluster(ctx: Context, env: Record<string, string | undefined> = process.env): KubernetesPlatform | undefined {
  const { spec } = ctx;
  if (spec.hosting.mode !== "kubernetes") return undefined;
  const h = { ...spec.hosting };
  if (h.cluster === "existing" && env["PLATFORM_KUBECONFIG"]) {
    h.kubeconfig = env["PLATFORM_KUBECONFIG"];
    delete h.renderDir;
  } else if (h.cluster === "existing" && env["PLATFORM_RENDER_DIR"] && !h.kubeconfig) {
    h.renderDir = env["PLATFORM_RENDER_DIR"];
  }
  const p = spec.profile;
  const issuer = spec.certificates?.corporateCaSecret ? "corporate-ca" : p.certificates;
  const certificates = {
    issuer,
    ...(spec.certificates?.email ? { email: spec.certificates.email } : {}),
    ...(spec.certificates?.corporateCaSecret ? { caSecretName: spec.certificates.corporateCaSecret } : {}),
  } as const;
  const common = {
    ingressController: h.ingressController,
    certificates,
    serviceMonitors: spec.blueprint.monitoring.metrics && p.monitoringInstall === "helm",
    controllerReplicas: Math.min(3, Math.max(1, p.replicas.min)),
    charts: spec.charts,
    // ScyllaDB runs as root with CAP_SYS_NICE: it gets its own `privileged` data namespace, and
    // only blueprints that have it get that namespace (components/cluster/namespaces.ts).
    privilegedDataNamespace: spec.blueprint.dataStores.scylla.length > 0,
    // The local tier installs only the ingress controller (from the chart mirror when one is set):
    // without it the Traefik blueprints' Middlewares had no CRD and the first deploy to a real
    // cluster failed (found by the conformance run). Rendered manifests carry no Helm release.
    ...(p.clusterAddons === "ingress" ? { addons: "ingress" as const } : {}),
  };
  let c: KubernetesCluster;
  if (h.cluster === "eks") {
    const aws = ctx.providers.aws;
    const net = ctx.network;
    if (!aws || !net) throw new Error(`stack ${spec.stack}: an EKS cluster needs the AWS provider and the network (call composeNetwork first)`);
    const n = p.nodes;
    const nodeGroups: { name: string; instanceTypes: string[]; min: number; desired: number; max: number; taints?: (typeof DATA_NODES.eksTaint)[] }[] = [
      { name: "general", instanceTypes: [p.nodeInstanceTypes.general], min: n.min, desired: n.desired, max: n.max },
    ];
    if (hasInClusterData(spec)) {
      const size = p.multiAz ? 3 : 1;
      // Tainted: only the data stores (which select and tolerate it) land on the data nodes.
      nodeGroups.push({
        name: "data",
        instanceTypes: [p.nodeInstanceTypes.data],
        min: size,
        desired: size,
        max: Math.max(size, Math.ceil(n.max / 2)),
        taints: [DATA_NODES.eksTaint],
      });
    }
    c = new KubernetesCluster(
      `${spec.stack}-k8s`,
      {
        mode: "eks",
        ...common,
        eks: {
          clusterName: clusterNameFor(spec),
          version: h.version,
          region: spec.regions.primary,
          vpcId: net.vpcId,
          vpcCidr: net.vpcCidr,
          privateSubnetIds: net.privateSubnetIds,
          appSecurityGroupId: net.appSecurityGroupId,
          publicAccessCidrs: h.publicAccessCidrs,
          // The deploy runner (stacks/compose/delivery.ts) is the private endpoint's client.
          ...(ctx.deployRunner ? { apiClientSecurityGroupIds: [ctx.deployRunner.securityGroupId] } : {}),
          ...(ctx.kmsKeyArn ? { kmsKeyArn: ctx.kmsKeyArn } : {}),
          // The preview/drift workflows' read-only role reads the cluster (docs/delivery.md).
          readOnlyRoleArns: spec.delivery?.previewRoleArn ? [spec.delivery.previewRoleArn] : [],
          nodeGroups,
          logRetentionDays: p.logRetentionDays,
          protect: p.protectState,
        },
      },
      { providers: { aws } },
    );
  } else {
    c = new KubernetesCluster(`${spec.stack}-k8s`, {
      mode: "existing",
      ...common,
      existing: {
        ...(h.kubeconfig ? { kubeconfig: h.kubeconfig } : {}),
        ...(h.context ? { context: h.context } : {}),
        ...(h.renderDir ? { renderDir: h.renderDir } : {}),
      },
    });
  }
  return {
    component: c,
    provider: c.provider,
    namespaces: c.namespaces,
    ...(c.oidcProviderArn ? { oidcProviderArn: c.oidcProviderArn } : {}),
    ...(c.oidcIssuer ? { oidcIssuer: c.oidcIssuer } : {}),
    rendered: c.rendered,
    ingress: c.ingress,
    ...(c.clusterIssuer ? { clusterIssuer: c.clusterIssuer } : {}),
    ...(c.certManagerNamespace ? { certManagerNamespace: c.certManagerNamespace } : {}),
    apiServerCidrs: c.apiServerCidrs,
    ready: c.ready,
    ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
    ...(c.clusterName ? { clusterName: c.clusterName } : {}),
    ...(h.cluster === "eks" && hasInClusterData(spec) ? { dataNodes: { nodeSelector: { ...DATA_NODES.nodeSelector }, taint: { ...DATA_NODES.taint } } } : {}),
  };
}
