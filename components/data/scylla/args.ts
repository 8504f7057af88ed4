/**
 * Args of the `Scylla` component: a Scylla Operator `ScyllaCluster` (scylla.scylladb.com/v1)
 * with client TLS and password auth, plus a Job that creates the keyspaces (e.g. the
 * gateway's persistent and volatile keyspaces) with their replication settings.
 */
import { z } from "zod";
import { OFFICIAL_REPOSITORIES, chartMirror } from "../../charts";
import { DEFAULT_API_SERVER_CIDRS } from "../operator-namespace";
import { backupPolicySchema, clusterNetworkSchema, dnsLabel, labelsSchema, metricsSchema, protectSchema, quantity, tlsSchema } from "../schema";
import { VERSION_PINS } from "../../charts";

const cqlIdentifier = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, "a lowercase CQL identifier (letters, digits, _)");

export const keyspaceSchema = z.strictObject({
  name: cqlIdentifier,
  /** NetworkTopologyStrategy replication factor in the datacenter. */
  replicationFactor: z.int().min(1).max(7),
  /** false = skip the commit log (volatile caches that can be rebuilt). */
  durableWrites: z.boolean().default(true),
});

export const scyllaArgsSchema = z
  .strictObject({
    /**
     * `operator`: a ScyllaCluster reconciled by the Scylla Operator (racks, Scylla Manager backups).
     * `statefulset`: one developer-mode node from a plain StatefulSet, for throw-away tiers (local)
     * that install no operator; one member, no backups, no client TLS.
     */
    implementation: z.enum(["operator", "statefulset"]).default("operator"),
    network: clusterNetworkSchema,
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, "a ScyllaDB version such as 6.2.2")
      .default(VERSION_PINS.scylla.value),
    agentVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/)
      .default("3.4.1"),
    datacenter: dnsLabel.default("dc1"),
    racks: z.int().min(1).max(5).default(1),
    membersPerRack: z.int().min(1).max(50).default(3),
    storageGb: z.int().min(10).max(65536).default(50),
    resources: z.strictObject({ cpu: quantity.default("1"), memory: quantity.default("4Gi") }).default({ cpu: "1", memory: "4Gi" }),
    /** Relaxed resource checks for local/dev clusters. */
    developerMode: z.boolean().default(false),
    keyspaces: z
      .array(keyspaceSchema)
      .min(1, "declare the keyspaces (e.g. persistent and volatile)")
      .refine((ks) => new Set(ks.map((k) => k.name)).size === ks.length, "keyspace names must be unique"),
    /** Application role (password generated). */
    username: cqlIdentifier.refine((u) => u !== "cassandra", "pick an application role, not the default superuser").default("app"),
    /** From `backupPolicy(schedule)`; backups run through Scylla Manager into `backupLocation`. */
    backup: backupPolicySchema,
    /**
     * Without backups: where the keyspaces are rebuilt from after a total loss (the blueprint's
     * statement), recorded on the ScyllaCluster as the annotation `platform.io/restore`.
     */
    rebuiltFrom: z.string().min(1).max(300).optional(),
    /** Scylla Manager location, e.g. `s3:scylla-backups` (required when backup.enabled). */
    backupLocation: z
      .string()
      .regex(/^(s3|gcs|azure):[a-z0-9][a-z0-9.-]+$/, "a Scylla Manager location such as s3:bucket")
      .optional(),
    /**
     * A ServiceMonitor on the operator's member Services, port `prometheus` (ScyllaDB's own metrics
     * on 9180), operator implementation only (needs the Prometheus Operator CRDs).
     */
    metrics: metricsSchema,
    installOperator: z.boolean().default(false),
    /** Where the operator chart comes from (components/charts.ts); default its official repository. */
    charts: chartMirror.default(OFFICIAL_REPOSITORIES),
    operatorNamespace: dnsLabel.default("scylla-operator"),
    managerNamespace: dnsLabel.default("scylla-manager"),
    /** Where the Kubernetes API server lives (its webhook calls and the operator's API traffic); EKS: the VPC CIDR. */
    apiServerCidrs: z
      .array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, "a CIDR"))
      .min(1)
      .default(DEFAULT_API_SERVER_CIDRS),
    protect: protectSchema,
    tls: tlsSchema,
    labels: labelsSchema.default({}),
  })
  .superRefine((a, ctx) => {
    if (a.implementation !== "statefulset") return;
    const fix = "or use implementation: operator";
    if (a.racks * a.membersPerRack !== 1)
      ctx.addIssue({
        code: "custom",
        path: ["membersPerRack"],
        message: `the statefulset implementation runs exactly one node: set racks: 1 and membersPerRack: 1, ${fix}`,
      });
    if (a.installOperator)
      ctx.addIssue({ code: "custom", path: ["installOperator"], message: `the statefulset implementation needs no operator: remove installOperator, ${fix}` });
    if (a.backup.enabled)
      ctx.addIssue({
        code: "custom",
        path: ["backup"],
        message: `the statefulset implementation has no Scylla Manager to back up through: pass noBackups(), ${fix}`,
      });
    if (!/^\d+(\.\d+)?(Mi|Gi)$/.test(a.resources.memory))
      ctx.addIssue({
        code: "custom",
        path: ["resources", "memory"],
        message: `the statefulset implementation sizes ScyllaDB from its memory limit: give it in Mi or Gi (e.g. 1Gi)`,
      });
    if (a.tls.enabled)
      ctx.addIssue({
        code: "custom",
        path: ["tls", "enabled"],
        message: `the statefulset implementation serves CQL without client TLS: set tls.enabled=false explicitly, ${fix}`,
      });
  });

export type ScyllaArgs = z.input<typeof scyllaArgsSchema>;
export type ScyllaConfig = z.output<typeof scyllaArgsSchema>;
