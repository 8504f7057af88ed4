/**
 * `ClusterSecrets` (local tier, no cloud account): the Kubernetes Secrets the ExternalSecrets would
 * materialise — same names, same keys — written directly from the (secret) values. Generated keys
 * are 32 random bytes (hex) kept in Pulumi state, encrypted by the stack's secrets provider. Providers: `{ kubernetes, random }`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { generateKey } from "./generate";
import { parseArgs } from "../data/schema";
import { checkConsumers, checkSigning, clusterSecretsArgs, generatedIds, type ClusterSecretsArgs } from "./args";
import { SigningKeyLedger } from "./ledger";
import { liveLabels, signingEntryId } from "./signing";

export type { ClusterSecretsArgs } from "./args";

/** Pick a JSON property from a connection object string, or the whole value. Pure. */
export function pick(value: string, property: string | undefined): string {
  if (!property) return value;
  let obj: unknown;
  try {
    obj = JSON.parse(value);
  } catch {
    throw new Error(`secret property '${property}' requested but the entry is not a JSON object`);
  }
  const v = (obj as Record<string, unknown>)[property];
  if (v === undefined) throw new Error(`secret entry has no property '${property}' (has: ${Object.keys(obj as object).join(", ")})`);
  return String(v);
}

export class ClusterSecrets extends pulumi.ComponentResource {
  /** `<namespace>/<name>` of every Secret written. */
  public readonly secretNames: string[];
  /** Secret value per entry id (secret Outputs). Not registered as outputs. */
  public readonly values: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: ClusterSecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg = parseArgs("ClusterSecrets", name, clusterSecretsArgs, args);
    const ids = new Set([...cfg.entries.map((e) => e.id), ...cfg.generated.flatMap(generatedIds)]);
    const problems = [...checkSigning(cfg.generated, (n) => `generated.${n}.signing.rotation`), ...checkConsumers(cfg.consumers, ids)];
    cfg.generated.forEach((g, i) => {
      if (g.signing?.signer === "kms")
        problems.push(
          `generated.${i}.signing.signer: '${g.name}' asks for a KMS signer, and this stack has no cloud account: use signer raw here (the local tier)`,
        );
    });
    if (problems.length) throw new Error(`ClusterSecrets "${name}": invalid args\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    super("platform:secrets:ClusterSecrets", name, {}, opts);
    const parent = { parent: this };
    const values = new Map<string, pulumi.Output<string>>(cfg.entries.map((e) => [e.id, e.value]));
    for (const g of cfg.generated) {
      if (!g.signing) {
        const key = generateKey(`${name}-${g.name}`, { length: 32 }, parent);
        values.set(`generated/${g.name}`, pulumi.secret(key.hex));
        continue;
      }
      // A raw signing key: one key per live label, the same two-phase rotation as in the cloud tiers.
      const ledger = new SigningKeyLedger(`${name}-${g.name}-rotation`, { at: `platform:signingKeys.${g.name}`, ...g.signing.rotation }, parent);
      for (const label of liveLabels(g.signing.rotation)) {
        const key = generateKey(`${name}-${g.name}-${label}`, { length: 32, keepers: { label } }, { ...parent, dependsOn: [ledger] });
        values.set(signingEntryId(g.name, label), pulumi.secret(key.hex));
      }
    }
    this.values = Object.fromEntries(values);
    this.secretNames = [];
    for (const c of cfg.consumers) {
      const data = pulumi.secret(
        pulumi.all(c.data.map((d) => values.get(d.entryId)!.apply((v) => [d.key, pick(v, d.property)] as const))).apply((pairs) => Object.fromEntries(pairs)),
      );
      new k8s.core.v1.Secret(
        `${name}-${c.namespace}-${c.secretName}`,
        {
          metadata: { name: c.secretName, namespace: c.namespace, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
          type: "Opaque",
          stringData: data,
        },
        parent,
      );
      this.secretNames.push(`${c.namespace}/${c.secretName}`);
    }
    this.registerOutputs({ secretNames: this.secretNames });
  }
}
