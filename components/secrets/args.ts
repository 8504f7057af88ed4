/**
 * Args of the secrets components.
 * - `StackKey`: the stack's KMS key (symmetric, yearly automatic rotation). Providers `{ aws }`.
 * - `Secrets`: Secrets Manager entries (+ rotation), generated keys, and — on Kubernetes — External
 *   Secrets Operator, its IRSA role, the ClusterSecretStore and ExternalSecrets. Providers `{ aws, random, kubernetes? }`.
 * - `ClusterSecrets`: the local tier's equivalent (no cloud): plain Kubernetes Secrets with the same
 *   names and keys the ExternalSecrets would materialise. Providers `{ kubernetes }`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { OFFICIAL_REPOSITORIES, chartMirror } from "../charts";
import { liveLabels, signingEntryId, signingKeyRotation, validateRotation } from "./signing";

const dnsLabel = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label");
const envKey = z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be a valid Secret key (letters, digits, -._)");
export const entryId = z
  .string()
  .regex(
    /^[a-z][a-zA-Z0-9-]*\/[a-zA-Z][-a-zA-Z0-9]*(\/[a-z0-9][-a-z0-9]{0,15})?$/,
    "must be `<kind>/<name>` such as `postgres/main`, `config/mailgunApiKey` or `generated/relay-signer`, or `generated/<name>/<label>` for one key of a signing key",
  );

const secretOutput = z.custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v), "must be a pulumi Output<string> (wrap it with pulumi.secret)");
const inputString = z.custom<pulumi.Input<string>>(
  (v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v)),
  "expected a non-empty string or an Output<string>",
);

export const stackKeyArgs = z.strictObject({
  stack: z.string().min(1),
  /** Days before a deleted key is gone (7–30). */
  deletionWindowInDays: z.int().min(7).max(30).default(30),
  /** Automatic rotation period of the key material (90–2560 days; AWS default 365). */
  rotationPeriodInDays: z.int().min(90).max(2560).default(365),
  protect: z.boolean().default(true),
});
export type StackKeyArgs = z.input<typeof stackKeyArgs>;

export const providedEntry = z.strictObject({
  id: entryId,
  source: z.enum(["dataStore", "config", "platform"]),
  description: z.string().max(200).default(""),
  /** The value, secret (a JSON object string for data-store connections). */
  value: secretOutput,
});

export const generatedEntry = z.strictObject({
  name: z.string().regex(/^[a-z][-a-z0-9]*$/, "generated key names are lower-case with '-'"),
  description: z.string().max(200).default(""),
  /** Calendar rotation of a plain generated secret (`signing` absent); a signing key never rotates by the calendar. */
  rotationDays: z.int().min(1).max(365).default(30),
  /**
   * A signing key (a relayer's key: a new key is a new on-chain address). Rotation is the two-phase
   * state in `rotation` (./signing.ts), from stack config. `signer: kms`: one AWS KMS key per label
   * (ECC_SECG_P256K1, SIGN_VERIFY) whose private half never leaves KMS, the consumers get its
   * `awskms:///<ARN>` and sign with kms:Sign; `raw`: 32 random bytes per label (hex), secret (local/dev).
   */
  signing: z
    .strictObject({
      signer: z.enum(["kms", "raw"]),
      rotation: signingKeyRotation.default({ current: "1" }),
    })
    .optional(),
});

/** A service account that signs with KMS signing keys: its IRSA role may kms:Sign / kms:GetPublicKey on exactly their live keys. */
export const signerAccount = z.strictObject({
  namespace: dnsLabel,
  serviceAccount: dnsLabel,
  /** Names of `generated` signing keys with `signer: kms`. */
  keys: z.array(z.string()).min(1),
});

export const consumer = z.strictObject({
  namespace: dnsLabel,
  secretName: dnsLabel,
  data: z
    .array(
      z.strictObject({
        key: envKey,
        entryId,
        property: z
          .string()
          .regex(/^[a-zA-Z][\w]*$/)
          .optional(),
      }),
    )
    .min(1),
});

export const secretsArgs = z.strictObject({
  stack: z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, "stack names are letters, digits, '.', '_' and '-'"),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as us-east-1"),
  kmsKeyArn: inputString,
  entries: z.array(providedEntry).default([]),
  generated: z.array(generatedEntry).default([]),
  /** Rotation Lambdas (ARNs from config) per source; absent = the rotation mode the plan documents. */
  rotationLambdaArns: z.strictObject({ dataStore: z.string().optional(), generated: z.string().optional() }).default({}),
  /** Clock for rotation epochs (ms since epoch); tests pin it. */
  nowMs: z
    .number()
    .int()
    .nonnegative()
    .default(() => Date.now()),
  /** Days a deleted secret can be restored (7–30). */
  recoveryWindowInDays: z.int().min(7).max(30).default(30),
  protect: z.boolean().default(false),
  /** Kubernetes: install ESO with IRSA and materialise `consumers`. Absent = Secrets Manager only (droplet tier). */
  cluster: z
    .strictObject({
      oidcProviderArn: inputString,
      oidcIssuer: inputString,
      consumers: z.array(consumer).default([]),
      /** Service accounts that sign with KMS signing keys (one IRSA role each). */
      signers: z.array(signerAccount).default([]),
      /** Where the API server calls admission webhooks from (the VPC CIDR on EKS): the only source admitted to ESO's webhook port. */
      apiServerCidrs: z
        .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "a CIDR such as 10.0.0.0/16"))
        .min(1, "cluster.apiServerCidrs: give the API server's CIDRs (the VPC CIDR on EKS); the ESO webhook admits only them"),
      /** Where the ESO chart (pinned in components/charts.ts) comes from; default its official repository. */
      charts: chartMirror.default(OFFICIAL_REPOSITORIES),
    })
    .optional(),
});
export type SecretsArgs = z.input<typeof secretsArgs>;
export type SecretsConfig = z.output<typeof secretsArgs>;

export const clusterSecretsArgs = z.strictObject({
  entries: z.array(providedEntry.extend({ source: z.enum(["dataStore", "config", "platform", "generated"]) })).default([]),
  /** Generated keys (random, secret) when there is no cloud to keep them; a signing key's signer must be `raw` here. */
  generated: z.array(generatedEntry).default([]),
  consumers: z.array(consumer).default([]),
});
export type ClusterSecretsArgs = z.input<typeof clusterSecretsArgs>;

/** Every consumer key must name an entry that exists. Returns problems (field path + message). */
export function checkConsumers(consumers: z.output<typeof consumer>[], ids: Set<string>): string[] {
  const out: string[] = [];
  consumers.forEach((c, i) =>
    c.data.forEach((d, j) => {
      if (!ids.has(d.entryId))
        out.push(`cluster.consumers.${i}.data.${j}.entryId: no secret entry '${d.entryId}' (entries: ${[...ids].sort().join(", ") || "none"})`);
    }),
  );
  return out;
}

/** The entry ids a generated entry provides: `generated/<name>`, or one `generated/<name>/<label>` per live key of a signing key. */
export function generatedIds(g: z.output<typeof generatedEntry>): string[] {
  return g.signing ? liveLabels(g.signing.rotation).map((l) => signingEntryId(g.name, l)) : [`generated/${g.name}`];
}

/** Each signing key's rotation state is valid on its own (the ledger checks the step from the last deployment). */
export function checkSigning(generated: z.output<typeof generatedEntry>[], at: (name: string) => string): string[] {
  return generated.flatMap((g) => (g.signing ? validateRotation(at(g.name), g.signing.rotation) : []));
}
