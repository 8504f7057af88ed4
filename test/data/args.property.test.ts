/**
 * Property: every broken args object (unknown key, wrong type, out-of-range number, missing
 * required field) is rejected by the store's schema with an error naming the field path.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backupPolicy } from "../../components/data/backups";
import { ipfsArgsSchema } from "../../components/data/ipfs/args";
import { objectStoreArgsSchema } from "../../components/data/objectstore/args";
import { postgresArgsSchema } from "../../components/data/postgres/args";
import { redisArgsSchema } from "../../components/data/redis/args";
import { parseArgs } from "../../components/data/schema";
import { scyllaArgsSchema } from "../../components/data/scylla/args";
import { awsNet, k8sNet } from "./helpers";
import { TIERS } from "../../stacks/spec/tiers";

const valid: Record<string, { schema: Parameters<typeof parseArgs>[2]; args: Record<string, unknown>; required: string[]; numbers: string[] }> = {
  "postgres managed": {
    schema: postgresArgsSchema,
    args: { implementation: "managed", network: awsNet, replicas: 2, backup: backupPolicy(TIERS.prod.backups) },
    required: ["network", "backup"],
    numbers: ["replicas", "storageGb"],
  },
  "postgres operator": {
    schema: postgresArgsSchema,
    args: { implementation: "operator", network: k8sNet, replicas: 1, backup: backupPolicy(TIERS.local.backups) },
    required: ["network", "backup"],
    numbers: ["replicas", "storageGb"],
  },
  "redis managed": {
    schema: redisArgsSchema,
    args: { implementation: "managed", network: awsNet, replicas: 1, backup: backupPolicy(TIERS.prod.backups) },
    required: ["network", "backup"],
    numbers: ["replicas"],
  },
  "redis statefulset": {
    schema: redisArgsSchema,
    args: { implementation: "statefulset", network: k8sNet, backup: backupPolicy(TIERS.dev.backups), storageGb: 5 },
    required: ["network", "backup"],
    numbers: ["replicas", "storageGb"],
  },
  "objectstore seaweedfs": {
    schema: objectStoreArgsSchema,
    args: { implementation: "seaweedfs", network: k8sNet, buckets: [{ name: "files" }], backup: backupPolicy(TIERS.dev.backups) },
    required: ["network", "backup", "buckets"],
    numbers: ["volumeServers", "volumeStorageGb"],
  },
  scylla: {
    schema: scyllaArgsSchema,
    args: { network: k8sNet, keyspaces: [{ name: "p", replicationFactor: 1 }], backup: backupPolicy(TIERS.local.backups) },
    required: ["network", "backup", "keyspaces"],
    numbers: ["racks", "membersPerRack", "storageGb"],
  },
  ipfs: { schema: ipfsArgsSchema, args: { network: k8sNet }, required: ["network"], numbers: ["replicas", "storageGb"] },
};

type Mutation =
  | { kind: "unknown"; key: string }
  | { kind: "wrongType"; key: string; value: unknown }
  | { kind: "range"; key: string; value: number }
  | { kind: "missing"; key: string };

function mutate(args: Record<string, unknown>, m: Mutation): Record<string, unknown> {
  const out = { ...args };
  if (m.kind === "unknown") out[m.key] = true;
  else if (m.kind === "wrongType") out[m.key] = m.value;
  else if (m.kind === "range") out[m.key] = m.value;
  else delete out[m.key];
  return out;
}

describe("broken store args are always rejected with the field path", () => {
  for (const [label, v] of Object.entries(valid)) {
    it(`${label}: valid args parse, and 300 broken variants are refused`, () => {
      expect(() => parseArgs("X", "x", v.schema, v.args)).not.toThrow();
      const known = new Set([...Object.keys(v.args), ...v.numbers, "protect", "labels", "tls", "version"]);
      const mutation: fc.Arbitrary<Mutation> = fc.oneof(
        fc
          .string({ minLength: 1, maxLength: 12 })
          .filter((k) => /^[a-zA-Z]+$/.test(k) && !known.has(k) && !["implementation"].includes(k))
          .map((key) => ({ kind: "unknown" as const, key })),
        fc.record({
          kind: fc.constant("wrongType" as const),
          key: fc.constantFrom(...v.numbers, "protect", "labels"),
          value: fc.constantFrom("x", [], { a: 1 }, -1.5),
        }),
        fc.record({
          kind: fc.constant("range" as const),
          key: fc.constantFrom(...v.numbers),
          value: fc.oneof(fc.integer({ min: -1000, max: -1 }), fc.integer({ min: 100_000, max: 1_000_000 }), fc.double({ min: 0.1, max: 0.9, noNaN: true })),
        }),
        fc.record({ kind: fc.constant("missing" as const), key: fc.constantFrom(...v.required) }),
      );
      fc.assert(
        fc.property(mutation, (m) => {
          let message = "";
          try {
            parseArgs("X", "x", v.schema, mutate(v.args, m));
          } catch (e) {
            message = (e as Error).message;
          }
          expect(message, JSON.stringify(m)).toMatch(/invalid args/);
          if (m.kind === "unknown") expect(message).toContain(m.key);
          else expect(message).toMatch(new RegExp(`- ${m.key}[.:]`));
        }),
        { numRuns: 300, seed: 4242 },
      );
    });
  }
});
