/**
 * Args of `KubernetesCluster`: `eks` builds the cluster in the given VPC; `existing` uses a
 * kubeconfig/context (kind, k3d, Docker Desktop) or renders manifests to a directory.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { OFFICIAL_REPOSITORIES, chartMirror } from "../charts";

const dnsLabel = z.string().regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, { message: "a DNS-1123 label such as `prod-platform`" });
const inputString = z.custom<pulumi.Input<string>>((v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v) || v instanceof Promise), {
  message: "a non-empty string or a pulumi Output<string>",
});
const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(3[0-2]|[12]?\d)$/, { message: "an IPv4 CIDR such as 203.0.113.7/32" });

export const nodeGroupSchema = z.strictObject({
  /** Workload class: nodes get the label `platform.io/workload-class=<name>`. */
  name: dnsLabel,
  instanceTypes: z.array(z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, { message: "an EC2 instance type such as m6i.large" })).min(1),
  min: z.int().min(0).max(100),
  desired: z.int().min(0).max(100),
  max: z.int().min(1).max(200),
  diskGb: z.int().min(20).max(1000).default(50),
  /** Node taints as EKS spells them (effect NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE). */
  taints: z
    .array(
      z.strictObject({
        key: z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { message: "a taint key such as dedicated" }),
        value: z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { message: "a taint value such as data" }),
        effect: z.enum(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], { message: "an EKS taint effect: NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE" }),
      }),
    )
    .max(50)
    .default([]),
});

/**
 * The `data` node group (staging/prod when a store runs in the cluster): nodes labelled
 * `platform.io/workload-class=data` and tainted `dedicated=data:NoSchedule`, so only the data
 * stores, which select the label and tolerate the taint (components/data `dedicatedNodes`), and
 * DaemonSets that tolerate every taint (log shipping, node metrics, the CNI) run there.
 */
export const DATA_NODES = {
  nodeSelector: { "platform.io/workload-class": "data" },
  taint: { key: "dedicated", value: "data", effect: "NoSchedule" as const },
  /** The same taint in the EKS API's spelling (aws.eks.NodeGroup `taints`). */
  eksTaint: { key: "dedicated", value: "data", effect: "NO_SCHEDULE" as const },
};

export const eksSchema = z.strictObject({
  /** EKS cluster name; default `<component name>`. */
  clusterName: dnsLabel.optional(),
  version: z.string().regex(/^1\.3[56]$/, { message: "an EKS version in standard support: 1.35 or 1.36" }),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/),
  vpcId: inputString,
  vpcCidr: cidr,
  /** Private subnets (nodes, control-plane ENIs). Never public subnets. */
  privateSubnetIds: z.array(inputString).min(2, { message: "give the private subnets of at least two AZs" }),
  /** The app-tier security group: attached to every node, so data stores can admit it. */
  appSecurityGroupId: inputString,
  /** CIDRs allowed to the public API endpoint. Empty = private endpoint only (reach it through the VPC). */
  publicAccessCidrs: z
    .array(cidr)
    .default([])
    .refine((cs) => !cs.includes("0.0.0.0/0"), { message: "the API must never be public to 0.0.0.0/0: list specific CIDRs or none (private)" }),
  /**
   * Security groups whose members reach the private API endpoint (tcp 443 on the cluster security
   * group): the stack's deploy runner. With no public CIDRs this is the only way in; leave it empty
   * only when something else (a VPN, a peered network) is given access outside this component.
   */
  apiClientSecurityGroupIds: z.array(inputString).default([]),
  /**
   * IAM roles that may READ the cluster (the CI preview/drift role, docs/delivery.md): each gets an
   * EKS access entry with the AWS-managed `AmazonEKSAdminViewPolicy` at cluster scope (every object,
   * Secrets included: Helm keeps its release state in Secrets, and drift's refresh reads them).
   */
  readOnlyRoleArns: z
    .array(
      z
        .string()
        .regex(/^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, { message: "an IAM role ARN such as arn:aws:iam::123456789012:role/platform-preview" }),
    )
    .default([]),
  /** Customer-managed KMS key for secrets envelope encryption; absent = the component creates one (rotation on). */
  kmsKeyArn: inputString.optional(),
  nodeGroups: z.array(nodeGroupSchema).min(1),
  /** Control-plane log retention, days. */
  logRetentionDays: z.int().min(1).max(3653).default(30),
  /** Pulumi `protect` on the cluster and its key (prod). */
  protect: z.boolean().default(false),
});

export const existingSchema = z
  .strictObject({
    /** Kubeconfig file path or contents. */
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    /** Render manifests here instead of applying them (nothing contacts a cluster). */
    renderDir: z.string().min(1).optional(),
  })
  .refine((e) => e.kubeconfig !== undefined || e.renderDir !== undefined, {
    message: "give `kubeconfig` (apply to a cluster) or `renderDir` (render manifests only)",
  });

export const clusterArgs = z
  .strictObject({
    mode: z.enum(["eks", "existing"]),
    eks: eksSchema.optional(),
    existing: existingSchema.optional(),
    /** `<prefix>-apps` etc.; absent = plain role names (ingress, apps, data, monitoring). */
    namespacePrefix: dnsLabel.optional(),
    /** Traefik (ingress-nginx was retired in March 2026; the spec refuses it with the fix). */
    ingressController: z.enum(["traefik"]),
    /**
     * Install the Helm add-ons: true (all), "ingress" (only the ingress controller: the Ingresses and
     * the controller's own custom resources, e.g. Traefik Middlewares, need it), false (none).
     * Default: true unless manifests are rendered (no Helm release can be rendered to files).
     */
    addons: z.union([z.boolean(), z.literal("ingress")]).optional(),
    certificates: z.strictObject({
      issuer: z.enum(["self-signed", "letsencrypt-staging", "letsencrypt", "corporate-ca"]),
      email: z.email().optional(),
      caSecretName: dnsLabel.optional(),
    }),
    /**
     * Create the `data-privileged` namespace (Pod Security `privileged`) for data stores whose
     * engine must run as root (ScyllaDB). Default false: no namespace admits root pods without need.
     */
    privilegedDataNamespace: z.boolean().default(false),
    /** Add-on ServiceMonitors (the Prometheus operator is installed by the monitoring stack). */
    serviceMonitors: z.boolean().default(false),
    /** Ingress controller replicas. */
    controllerReplicas: z.int().min(1).max(10).default(1),
    /** Where the add-on charts come from (components/charts.ts); default their official repositories. */
    charts: chartMirror.default(OFFICIAL_REPOSITORIES),
  })
  .superRefine((a, ctx) => {
    if (a.mode === "eks" && !a.eks) ctx.addIssue({ code: "custom", path: ["eks"], message: "mode eks needs the `eks` settings (VPC, subnets, node groups)" });
    if (a.mode === "existing" && !a.existing)
      ctx.addIssue({ code: "custom", path: ["existing"], message: "mode existing needs `existing.kubeconfig` or `existing.renderDir`" });
    if (a.mode === "existing" && a.existing?.renderDir && a.addons === true) {
      ctx.addIssue({
        code: "custom",
        path: ["addons"],
        message: "rendered manifests cannot carry Helm releases (a release needs the chart repository and a live cluster): remove addons or give a kubeconfig",
      });
    }
    if (a.certificates.issuer.startsWith("letsencrypt") && !a.certificates.email)
      ctx.addIssue({ code: "custom", path: ["certificates", "email"], message: "Let's Encrypt needs an ACME account e-mail" });
    if (a.certificates.issuer === "corporate-ca" && !a.certificates.caSecretName)
      ctx.addIssue({ code: "custom", path: ["certificates", "caSecretName"], message: "name the Secret holding the corporate CA" });
  });

export type ClusterArgs = z.input<typeof clusterArgs>;
export type ParsedClusterArgs = z.output<typeof clusterArgs>;

export function parseClusterArgs(name: string, args: unknown): ParsedClusterArgs {
  const res = clusterArgs.safeParse(args);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `  - ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  throw new Error(`KubernetesCluster "${name}": invalid args\n${lines.join("\n")}`);
}
