/**
 * Args of the `Postgres` component: one contract, three implementations.
 *
 * - `managed`     RDS for PostgreSQL (primary + read replicas) in private subnets.
 * - `operator`    CloudNativePG `Cluster` (1 primary + N replicas, TLS, WAL archiving, ScheduledBackup).
 * - `statefulset` one plain postgres StatefulSet for the `local` tier (nothing fetched at run time).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { OFFICIAL_REPOSITORIES, VERSION_PINS, chartMirror } from "../../charts";
import { DEFAULT_API_SERVER_CIDRS } from "../operator-namespace";
import {
  awsNetworkSchema,
  backupPolicySchema,
  clusterNetworkSchema,
  dnsLabel,
  inputString,
  labelsSchema,
  metricsSchema,
  protectSchema,
  resourcesSchema,
  tlsSchema,
} from "../schema";

const pgIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "a lowercase SQL identifier (letters, digits, _)");

const common = {
  /** Major version. */
  version: z.enum(["14", "15", "16", "17"]).default("16"),
  /** Application database and its owner (password generated, never typed). */
  database: pgIdentifier.default("app"),
  username: pgIdentifier.refine((u) => u !== "postgres" && u !== "rdsadmin", "pick an application user, not a superuser name").default("app"),
  /** Read replicas besides the primary (reference systems: 1 or 2). */
  replicas: z.int().min(0).max(5).default(0),
  storageGb: z.int().min(5).max(65536).default(20),
  /** Connection pooling in front of the primary: RDS Proxy (managed) or a CNPG PgBouncer `Pooler` (operator). */
  pooling: z.boolean().default(false),
  /** From `backupPolicy(schedule, { crossRegion })` in components/data/backups.ts. */
  backup: backupPolicySchema,
  /** Pulumi `protect` on the stateful children (true in prod). */
  protect: protectSchema,
  tls: tlsSchema,
  labels: labelsSchema.default({}),
};

export const managedPostgresSchema = z.strictObject({
  implementation: z.literal("managed"),
  ...common,
  /**
   * `rds`: RDS for PostgreSQL (a primary + read replica instances). `aurora`: Aurora PostgreSQL (a
   * writer + Aurora Replicas), the managed engine whose reads can be spread and pooled: its reader
   * endpoint balances connections across every replica, and an RDS Proxy read-only endpoint (which
   * exists for Aurora clusters only) pools them. Pick `aurora` when replicas are read.
   */
  engine: z.enum(["rds", "aurora"]).default("rds"),
  network: awsNetworkSchema,
  instanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "an RDS instance class such as db.t4g.medium")
    .default("db.t4g.medium"),
  /** Storage autoscaling ceiling; omitted = 2× storageGb. */
  maxStorageGb: z.int().min(5).optional(),
  multiAz: z.boolean().default(true),
  deletionProtection: z.boolean().default(true),
  /** Take a final snapshot on delete. Turning it off must be explicit. */
  finalSnapshot: z.boolean().default(true),
  /** Customer-managed KMS key ARN; omitted = the component creates one (rotation on). */
  kmsKeyArn: inputString.optional(),
  performanceInsights: z.boolean().default(true),
  /** IAM database authentication, in addition to the password. */
  iamAuth: z.boolean().default(false),
  /** Provider for the second region that receives AWS Backup copies (needed when backup.crossRegion is set). */
  secondaryRegionProvider: z.custom<aws.Provider>((v) => v instanceof aws.Provider, "an aws.Provider for the backup-copy region").optional(),
});

const objectStoreTarget = z
  .strictObject({
    /** `s3://bucket/prefix` where barman writes base backups and WAL. */
    destinationPath: z.union([
      z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, "an s3://bucket/prefix URL"),
      // a generated bucket's name is known only at deploy time
      z.custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v), "an s3://bucket/prefix URL"),
    ]),
    /** For S3-compatible stores (SeaweedFS): `https://...`. Omitted = AWS S3. */
    endpointUrl: z
      .string()
      .regex(/^https:\/\//, "must be https:// (TLS to the object store)")
      .optional(),
    /** Static credentials (e.g. SeaweedFS outputs); omitted = inherit from the pod's IAM role (IRSA). */
    credentials: z.strictObject({ accessKeyId: inputString, secretAccessKey: inputString }).optional(),
    /** ConfigMap/Secret holding the CA bundle of a private endpoint: `{ name, key }`. */
    endpointCA: z.strictObject({ name: dnsLabel, key: z.string().min(1) }).optional(),
    /**
     * AWS S3 through IRSA (no static keys): the component creates an IAM role trusted by the
     * cluster's OIDC provider for the CNPG service account, allowed on this bucket prefix only,
     * and annotates the service account. Needs an `aws` provider in the component's providers.
     */
    irsa: z.strictObject({ oidcProviderArn: inputString, oidcIssuer: inputString, bucketArn: inputString, kmsKeyArn: inputString.optional() }).optional(),
  })
  .refine((t) => !(t.credentials && t.irsa), { message: "give credentials or irsa, not both" });

export const operatorPostgresSchema = z.strictObject({
  implementation: z.literal("operator"),
  ...common,
  network: clusterNetworkSchema,
  resources: resourcesSchema.default({ cpu: "500m", memory: "1Gi" }),
  /** Operand image; omitted = the pinned CloudNativePG image for `version`. */
  image: z.string().min(1).optional(),
  /** Install the CloudNativePG operator from its pinned Helm chart (once per cluster). */
  installOperator: z.boolean().default(false),
  /** Where the operator chart comes from (components/charts.ts); default its official repository. */
  charts: chartMirror.default(OFFICIAL_REPOSITORIES),
  operatorNamespace: dnsLabel.default("cnpg-system"),
  /** Where the Kubernetes API server lives (its webhook calls and the operator's API traffic); EKS: the VPC CIDR. */
  apiServerCidrs: z
    .array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, "a CIDR"))
    .min(1)
    .default(DEFAULT_API_SERVER_CIDRS),
  /** Where WAL and base backups go; required when backup.enabled. */
  backupTarget: objectStoreTarget.optional(),
  /** PodMonitors for the instances' and poolers' exporters (needs the Prometheus Operator CRDs). */
  metrics: metricsSchema,
});

export const statefulsetPostgresSchema = z.strictObject({
  implementation: z.literal("statefulset"),
  ...common,
  network: clusterNetworkSchema,
  resources: resourcesSchema.default({ cpu: "250m", memory: "512Mi" }),
  image: z.string().min(1).default(VERSION_PINS.postgres16.value),
});

export const postgresArgsSchema = z.discriminatedUnion("implementation", [managedPostgresSchema, operatorPostgresSchema, statefulsetPostgresSchema]);

export type PostgresArgs = z.input<typeof postgresArgsSchema>;
export type PostgresConfig = z.output<typeof postgresArgsSchema>;
export type ManagedPostgresConfig = z.output<typeof managedPostgresSchema>;
export type OperatorPostgresConfig = z.output<typeof operatorPostgresSchema>;
export type StatefulsetPostgresConfig = z.output<typeof statefulsetPostgresSchema>;
