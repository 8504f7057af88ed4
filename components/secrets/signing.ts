/**
 * Signing keys (the bridge relay's relayer key): two-phase rotation driven from stack config, pure
 * (no Pulumi import). The view asks for "Private Keys: Encrypted storage with key rotation"; for a
 * relayer a new key is a new on-chain address, so a rotation is never a calendar event:
 *
 *   steady   { current: A }                 one key, A signs
 *   issue    { current: A, next: B }        B exists beside A; the relay gets both addresses; A keeps signing
 *   promote  { current: B, retiring: A }    B signs; A stays (drain in-flight work, sweep its funds)
 *   retire   { current: B }                 A is deleted (KMS: scheduled, 30-day window)
 *
 * `platform:signingKeys.<name>` holds the state; each `pulumi up` moves at most one step, checked
 * against the previous deployment's state by the ledger (./ledger.ts). Labels are the team's own
 * (a date such as `2026-12`, or `1`, `2`, ...).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { PolicyDocument } from "./plan";
import { ROTATION_STEPS, showRotation } from "./transition";

export const keyLabel = z.string().regex(/^[a-z0-9][-a-z0-9]{0,15}$/, "a key label is 1–16 lower-case letters, digits and '-', such as `2026-12` or `2`");

/** The state of one signing key's rotation (`platform:signingKeys.<name>`). */
export const signingKeyRotation = z.strictObject({
  /** The key that signs. */
  current: keyLabel.default("1"),
  /** Phase 1 (issue): a new key created beside `current`, handed to the relay, not signing yet. */
  next: keyLabel.optional(),
  /** Phase 2 (promote): the previous key, kept (not signing) until this field is removed (retire). */
  retiring: keyLabel.optional(),
});
export type SigningKeyRotation = z.output<typeof signingKeyRotation>;
export type RotationPhase = "steady" | "issue" | "promote";

/** Where the private half lives: `kms` (AWS KMS ECC_SECG_P256K1, never leaves KMS) or `raw` (32 random bytes, secret; local/dev). */
export type Signer = "kms" | "raw";

/** The AWS KMS key spec and usage of a KMS signer (an Ethereum-compatible secp256k1 key that signs). */
export const KMS_SIGNER = { customerMasterKeySpec: "ECC_SECG_P256K1", keyUsage: "SIGN_VERIFY" } as const;

export function rotationPhase(r: SigningKeyRotation): RotationPhase {
  return r.next ? "issue" : r.retiring ? "promote" : "steady";
}

/** The labels of the keys that exist in this state: the current one first. */
export function liveLabels(r: SigningKeyRotation): string[] {
  return [r.current, ...(r.next ? [r.next] : []), ...(r.retiring ? [r.retiring] : [])];
}

/** A single state's problems, each naming the field (`<at>.<field>`) and the fix. */
export function validateRotation(at: string, r: SigningKeyRotation): string[] {
  const out: string[] = [];
  if (r.next !== undefined && r.next === r.current)
    out.push(`${at}.next: '${r.next}' is already the current key: the next key needs a new label (${ROTATION_STEPS})`);
  if (r.retiring !== undefined && r.retiring === r.current) {
    out.push(
      `${at}.retiring: '${r.retiring}' is the current key, the only one that signs: retiring it would leave no signing key. Issue a new key first with \`${at}.next\`, then promote it (${ROTATION_STEPS})`,
    );
  }
  if (r.next !== undefined && r.retiring !== undefined) {
    out.push(
      `${at}: 'next' and 'retiring' at once skips a phase: finish the running rotation first (remove \`retiring\` to delete '${r.retiring}'), then issue '${r.next}' in a later \`pulumi up\``,
    );
  }
  return out;
}

/** The one-step rule (./transition.ts: no imports, so the ledger's serialized provider stays small). */
export { checkTransition, ROTATION_STEPS } from "./transition";

/** The env vars a consumer of signing key ref `env` gets in this state: `E` (current), `E_NEXT` (issue), `E_RETIRING` (promote). */
export function signingEnv(env: string, r: SigningKeyRotation): { env: string; role: "current" | "next" | "retiring"; label: string }[] {
  return [
    { env, role: "current" as const, label: r.current },
    ...(r.next ? [{ env: `${env}_NEXT`, role: "next" as const, label: r.next }] : []),
    ...(r.retiring ? [{ env: `${env}_RETIRING`, role: "retiring" as const, label: r.retiring }] : []),
  ];
}

/** Entry id of one key of a signing key: `generated/<name>/<label>`. */
export function signingEntryId(name: string, label: string): string {
  return `generated/${name}/${label}`;
}

/**
 * A short digest of the key set (names and labels by role) a service's Secret carries: part of the
 * Secret's name, so every phase change gives the pods a new Secret name, a new pod template, and
 * a rolling restart; the new pods start only once that Secret exists with the new keys.
 */
export function keySetDigest(keys: Record<string, SigningKeyRotation>): string {
  const canonical = Object.keys(keys)
    .sort()
    .map((n) => `${n}=${showRotation(keys[n]!)}`)
    .join(";");
  return createHash("sha256").update(canonical).digest("hex").slice(0, 8);
}

/** How a KMS key is referenced in the relay's env: the KMS URI form (`awskms:///<key ARN>`), never key material. */
export function kmsKeyRef(arn: string): string {
  return `awskms:///${arn}`;
}

/**
 * The signer's IAM policy: kms:Sign (ECDSA_SHA_256 only) and kms:GetPublicKey (the address) on
 * exactly the live keys, nothing else.
 */
export function signerPolicy(keyArns: string[]): PolicyDocument {
  if (keyArns.length === 0) throw new Error("signerPolicy: no KMS key ARN");
  if (keyArns.some((a) => !/^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(a)))
    throw new Error(`signerPolicy: every resource must be an exact KMS key ARN, got ${keyArns.join(", ")}`);
  const keys = [...new Set(keyArns)].sort();
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "SignWithTheRelayerKeys",
        Effect: "Allow",
        Action: ["kms:Sign"],
        Resource: keys,
        Condition: { StringEquals: { "kms:SigningAlgorithm": "ECDSA_SHA_256" } },
      },
      { Sid: "ReadTheirAddresses", Effect: "Allow", Action: ["kms:GetPublicKey"], Resource: keys },
    ],
  };
}
