/**
 * Args of the `ObjectStore` component: `managed` (S3 buckets with SSE-KMS, versioning,
 * lifecycle, TLS-only policy, optional cross-region replication) or `seaweedfs` (in-cluster
 * S3 API: master(s), ≥3 volume servers, filer + S3 gateway, replication setting).
 */
import * as aws from "@pulumi/aws";
import { z } from "zod";
import { backupPolicySchema, clusterNetworkSchema, dnsLabel, inputString, labelsSchema, protectSchema, resourcesSchema, tlsSchema } from "../schema";
import { VERSION_PINS } from "../../charts";

export const bucketSpecSchema = z.strictObject({
  /** Logical bucket name (also the SeaweedFS bucket name); S3 names get a unique suffix. */
  name: dnsLabel,
  /** `backups` buckets get the tier's archive lifecycle (Glacier, then expiry). */
  purpose: z.enum(["data", "backups"]).default("data"),
  /** Move current objects to Glacier after N days (blueprint `archiveAfterDays`); omitted = the tier's policy for `backups` buckets, never for `data`. */
  archiveAfterDays: z.int().min(1).max(3650).optional(),
});

const common = {
  buckets: z
    .array(bucketSpecSchema)
    .min(1, "declare at least one bucket")
    .refine((bs) => new Set(bs.map((b) => b.name)).size === bs.length, "bucket names must be unique"),
  /** From `backupPolicy(schedule, { crossRegion })`: noncurrent-version retention, archive lifecycle, cross-region copy. */
  backup: backupPolicySchema,
  protect: protectSchema,
  tls: tlsSchema,
  labels: labelsSchema.default({}),
};

export const managedObjectStoreSchema = z.strictObject({
  implementation: z.literal("managed"),
  ...common,
  kmsKeyArn: inputString.optional(),
  /** Provider for the replica region (required when backup.crossRegion is set). */
  replicaProvider: z.custom<aws.Provider>((v) => v instanceof aws.Provider, "an aws.Provider for the replica region").optional(),
});

export const seaweedObjectStoreSchema = z.strictObject({
  implementation: z.literal("seaweedfs"),
  ...common,
  network: clusterNetworkSchema,
  image: z.string().min(1).default(VERSION_PINS.seaweedfs.value),
  /** Raft masters: 1 (dev) or 3/5 (HA). */
  masters: z.union([z.literal(1), z.literal(3), z.literal(5)]).default(1),
  volumeServers: z.int().min(3, "SeaweedFS needs at least 3 volume servers").max(50).default(3),
  /** SeaweedFS replication `xyz`: x other data centers, y other racks, z other servers in the same rack. */
  replication: z
    .string()
    .regex(/^[0-2]{3}$/, "three digits 0-2, e.g. 001 or 010")
    .default("001"),
  /** Pods of other stores in the data namespace that may use the S3 API (e.g. `postgresPodSelector("db")` for CNPG backups). */
  storePeers: z.array(labelsSchema).default([]),
  volumeStorageGb: z.int().min(1).max(16384).default(20),
  filerStorageGb: z.int().min(1).max(16384).default(5),
  resources: resourcesSchema.default({ cpu: "250m", memory: "512Mi" }),
});

export const objectStoreArgsSchema = z.discriminatedUnion("implementation", [managedObjectStoreSchema, seaweedObjectStoreSchema]);
export type ObjectStoreArgs = z.input<typeof objectStoreArgsSchema>;
export type ObjectStoreConfig = z.output<typeof objectStoreArgsSchema>;
export type ManagedObjectStoreConfig = z.output<typeof managedObjectStoreSchema>;
export type SeaweedObjectStoreConfig = z.output<typeof seaweedObjectStoreSchema>;
