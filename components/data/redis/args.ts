/**
 * Args of the `Redis` component: `managed` (ElastiCache replication group) or `statefulset`
 * (redis:7 StatefulSet, pod 0 primary, the rest replicas). Same connection contract.
 */
import { z } from "zod";
import {
  awsNetworkSchema,
  backupPolicySchema,
  clusterNetworkSchema,
  inputString,
  labelsSchema,
  metricsSchema,
  protectSchema,
  resourcesSchema,
  tlsSchema,
} from "../schema";
import { VERSION_PINS } from "../../charts";

const common = {
  version: z.enum(["7"]).default("7"),
  /** Replicas besides the primary (reference systems: 1). */
  replicas: z.int().min(0).max(5).default(0),
  /** From `backupPolicy(schedule)` (or `noBackups()` for a pure cache): daily snapshots and their retention. */
  backup: backupPolicySchema,
  protect: protectSchema,
  tls: tlsSchema,
  labels: labelsSchema.default({}),
};

export const managedRedisSchema = z.strictObject({
  implementation: z.literal("managed"),
  ...common,
  network: awsNetworkSchema,
  nodeType: z
    .string()
    .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, "an ElastiCache node type such as cache.t4g.small")
    .default("cache.t4g.small"),
  /** Multi-AZ with automatic failover (needs replicas ≥ 1). */
  multiAz: z.boolean().default(true),
  finalSnapshot: z.boolean().default(true),
  kmsKeyArn: inputString.optional(),
});

export const statefulsetRedisSchema = z.strictObject({
  implementation: z.literal("statefulset"),
  ...common,
  network: clusterNetworkSchema,
  image: z.string().min(1).default(VERSION_PINS.redis.value),
  resources: resourcesSchema.default({ cpu: "100m", memory: "256Mi" }),
  /** `aof` (append-only file, fsync every second), `rdb` (snapshots), or `none` (pure cache, no PVC). */
  persistence: z.enum(["aof", "rdb", "none"]).default("aof"),
  storageGb: z.int().min(1).max(1024).default(5),
  /** A redis_exporter sidecar on every pod (:9121) and the PodMonitor that scrapes it (needs the Prometheus Operator CRDs). */
  metrics: metricsSchema,
  exporterImage: z.string().min(1).default(VERSION_PINS.redisExporter.value),
});

export const redisArgsSchema = z.discriminatedUnion("implementation", [managedRedisSchema, statefulsetRedisSchema]);
export type RedisArgs = z.input<typeof redisArgsSchema>;
export type RedisConfig = z.output<typeof redisArgsSchema>;
export type ManagedRedisConfig = z.output<typeof managedRedisSchema>;
export type StatefulsetRedisConfig = z.output<typeof statefulsetRedisSchema>;
