/**
 * Zod building blocks every data store's args share, and the parse-or-throw helper.
 * (The pure network contract and pod security helpers live in ./network.ts.)
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** A DNS-1123 label (Kubernetes object / namespace name). */
export const dnsLabel = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-', starting with a letter, at most 40 chars");

/** A `pulumi.Input<string>`: a non-empty string or an Output (e.g. a VPC id from another component). */
export const inputString = z.custom<pulumi.Input<string>>((v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v) || v instanceof Promise), {
  message: "expected a non-empty string or a pulumi Output<string>",
});

/** A list of `pulumi.Input<string>` given as an array (its length is validated at plan time). */
export const inputStringList = z.array(inputString);

export const labelsSchema = z.record(
  z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, "invalid label key"),
  z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "invalid label value"),
);

/** Managed (AWS) networking: private subnets only, access from the app tier's security groups only. */
export const awsNetworkSchema = z.strictObject({
  vpcId: inputString,
  /** Private subnets (at least two AZs) for the DB/cache subnet group. Never public subnets. */
  subnetIds: inputStringList.min(2, "give at least two private subnets in different AZs"),
  /** The app tier's security groups; the store's SG admits its port from these only. */
  allowedSecurityGroupIds: inputStringList.min(1, "give the app tier's security group id(s); data stores are never opened to CIDRs"),
});

/** In-cluster networking: the data namespace and who may connect. */
export const clusterNetworkSchema = z.strictObject({
  /** The data namespace the store runs in (created by the Kubernetes namespace component). */
  namespace: dnsLabel,
  /** Namespaces whose pods may connect (usually the apps namespace). */
  clientNamespaces: z.array(dnsLabel).min(1, "name the app namespace(s) allowed to connect"),
  /** Optional pod selector narrowing which client pods may connect (matchLabels). */
  clientPodSelector: labelsSchema.optional(),
  /** StorageClass for PVCs; omitted = the cluster default. */
  storageClassName: z.string().min(1).optional(),
  /**
   * Dedicated data nodes (the EKS `data` node group, tainted so nothing else lands there): the
   * store's pods select them (`nodeSelector`) and tolerate their taint. Omitted = any node.
   */
  dedicatedNodes: z
    .strictObject({
      nodeSelector: labelsSchema.refine((l) => Object.keys(l).length > 0, "name at least one node label (e.g. platform.io/workload-class: data)"),
      taint: z.strictObject({
        key: z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, "a taint key such as dedicated"),
        value: z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, "a taint value such as data"),
        effect: z.enum(["NoSchedule", "NoExecute"], "NoSchedule or NoExecute (a PreferNoSchedule taint keeps nothing off the nodes)"),
      }),
    })
    .optional(),
});

export type AwsNetwork = z.infer<typeof awsNetworkSchema>;

/** Kubernetes-style quantity, e.g. `10Gi`. */
export const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|m)?$/, "a Kubernetes quantity such as 10Gi or 500m");

export const resourcesSchema = z.strictObject({
  cpu: quantity.default("250m"),
  memory: quantity.default("512Mi"),
});

/** Client TLS: on by default; `enabled: false` must be spelled out. */
export const tlsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** A kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) in the data namespace that already exists. */
    certSecretName: dnsLabel.optional(),
    /**
     * Or: a cert-manager issuer of an INTERNAL CA (Let's Encrypt cannot sign `*.svc` names); the
     * store then creates its own `Certificate` (secret `<name>-tls`) for its service DNS names.
     */
    issuer: z.strictObject({ name: z.string().min(1), kind: z.enum(["ClusterIssuer", "Issuer"]).default("ClusterIssuer") }).optional(),
  })
  .refine((t) => !(t.certSecretName && t.issuer), { message: "give certSecretName or issuer, not both" })
  .default({ enabled: true });

/** Parse args with a schema; throw one error listing every issue by field path with a hint. */
export function parseArgs<S extends z.ZodType>(component: string, name: string, schema: S, args: unknown): z.output<S> {
  const res = schema.safeParse(args);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `  - ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  throw new Error(`${component} "${name}": invalid args\n${lines.join("\n")}`);
}

const awsCron = z.string().regex(/^cron\(.+\)$/, "an AWS schedule expression cron(...)");
/** The `BackupPolicy` from ./backups.ts, validated (pass `backupPolicy(schedule, {...})`: the stack's tier row has the schedule). */
export const backupPolicySchema = z
  .strictObject({
    enabled: z.boolean(),
    daily: z
      .strictObject({
        awsSchedule: awsCron,
        k8sSchedule: z.string().regex(/^(\S+\s){5}\S+$/, "a six-field cron (with seconds)"),
        window: z.string().regex(/^\d\d:\d\d-\d\d:\d\d$/, "HH:MM-HH:MM"),
        retentionDays: z.int().min(1).max(35),
      })
      .nullable(),
    hourly: z.strictObject({ awsSchedule: awsCron, retentionDays: z.int().min(1).max(35) }).nullable(),
    walArchiving: z.boolean(),
    pitrDays: z.int().min(0).max(35),
    archive: z.strictObject({ transitionAfterDays: z.int().min(1), expireAfterDays: z.int().min(1) }).nullable(),
    crossRegion: z.strictObject({ retentionDays: z.int().min(1) }).nullable(),
  })
  .refine((b) => b.enabled === (b.daily !== null), { message: "enabled must be true exactly when daily is set; build it with backupPolicy(schedule)" });

/**
 * Export the store's metrics and create the Prometheus Operator object that scrapes them
 * (PodMonitor / ServiceMonitor: needs the monitoring stack's CRDs). The store's NetworkPolicy then
 * admits Prometheus on the metrics port (rule purpose `metrics`).
 */
export const metricsSchema = z.boolean().default(false);

/** Either protect flag: pulumi `protect` on stateful children (set true in prod). */
export const protectSchema = z.boolean().default(true);
