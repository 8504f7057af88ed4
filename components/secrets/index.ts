/**
 * `Secrets`: one Secrets Manager entry (encrypted with the stack key) per credential — data-store
 * connections, human config secrets, platform credentials (Grafana admin) and generated keys — each
 * with an explicit rotation plan (./plan.ts). On Kubernetes it also installs External Secrets
 * Operator with an IRSA role scoped to exactly these secret ARNs and materialises the consumers'
 * Secrets through ExternalSecrets (./eso.ts). Providers: `{ aws, random, kubernetes? }`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { generateKey } from "./generate";
import { parseArgs } from "../data/schema";
import { checkConsumers, checkSigning, generatedIds, secretsArgs, type SecretsArgs, type SecretsConfig } from "./args";
import { SigningKeyLedger } from "./ledger";
import { irsaTrustPolicy } from "./plan";
import { KMS_SIGNER, kmsKeyRef, liveLabels, rotationPhase, signerPolicy, signingEntryId, type RotationPhase, type Signer } from "./signing";
import { provisionEso } from "./eso";
import { planRotation, resourceId, RotationPlan, secretName } from "./plan";

export type { SecretsArgs } from "./args";

export class Secrets extends pulumi.ComponentResource {
  /** Secrets Manager ARN per entry id (`postgres/main`, `config/x`, `generated/y`, `platform/grafana-admin`). */
  public readonly secretArns: Record<string, pulumi.Output<string>>;
  /** Secrets Manager name per entry id. */
  public readonly secretNames: Record<string, string>;
  /** The rotation plan per entry id (mode, days / reason) — reviewable in the plan. */
  public readonly rotation: Record<string, RotationPlan>;
  /** Signing keys: signer, rotation phase and, per live label, its role and (KMS) key ARN. */
  public readonly signingKeys: Record<
    string,
    { signer: Signer; phase: RotationPhase; keys: Record<string, { role: "current" | "next" | "retiring"; kmsKeyArn?: pulumi.Output<string> }> }
  >;
  /** IRSA role ARN per `<namespace>/<serviceAccount>` that signs with KMS keys (annotate the service account with it). */
  public readonly signerRoleArns: Record<string, pulumi.Output<string>>;
  /** Secret value per entry id (secret Outputs; for the droplet's container env). Not registered as outputs. */
  public readonly values: Record<string, pulumi.Output<string>>;
  /** IRSA role of the ESO controller (Kubernetes only). */
  public readonly esoRoleArn?: pulumi.Output<string>;
  /** ClusterSecretStore name (Kubernetes only). */
  public readonly storeName?: string;

  constructor(name: string, args: SecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg: SecretsConfig = parseArgs("Secrets", name, secretsArgs, args);
    const allIds = [...cfg.entries.map((e) => e.id), ...cfg.generated.flatMap(generatedIds)];
    const ids = new Set(allIds);
    const problems: string[] = [];
    if (ids.size !== allIds.length) problems.push("entries/generated: duplicate entry ids");
    problems.push(...checkSigning(cfg.generated, (n) => `generated.${n}.signing.rotation`));
    if (cfg.cluster) problems.push(...checkConsumers(cfg.cluster.consumers, ids));
    for (const [i, s] of (cfg.cluster?.signers ?? []).entries()) {
      for (const k of s.keys) {
        const g = cfg.generated.find((x) => x.name === k);
        if (g?.signing?.signer !== "kms")
          problems.push(
            `cluster.signers.${i}.keys: '${k}' is not a generated signing key with signer kms (${
              cfg.generated
                .filter((x) => x.signing?.signer === "kms")
                .map((x) => x.name)
                .join(", ") || "none"
            })`,
          );
      }
    }
    const rotation: Record<string, RotationPlan> = {};
    try {
      for (const e of cfg.entries)
        rotation[e.id] = planRotation(e.source, {
          nowMs: cfg.nowMs,
          ...(e.source === "dataStore" && cfg.rotationLambdaArns.dataStore ? { lambdaArn: cfg.rotationLambdaArns.dataStore } : {}),
        });
      for (const g of cfg.generated) {
        rotation[`generated/${g.name}`] = g.signing
          ? { mode: "two-phase", phase: rotationPhase(g.signing.rotation), ...g.signing.rotation }
          : planRotation("generated", {
              nowMs: cfg.nowMs,
              days: g.rotationDays,
              ...(cfg.rotationLambdaArns.generated ? { lambdaArn: cfg.rotationLambdaArns.generated } : {}),
            });
      }
    } catch (err) {
      problems.push(`rotationLambdaArns: ${(err as Error).message}`);
    }
    if (problems.length) throw new Error(`Secrets "${name}": invalid args\n${problems.map((p) => `  - ${p}`).join("\n")}`);

    super("platform:secrets:Secrets", name, {}, opts);
    this.rotation = rotation;
    this.secretArns = {};
    this.secretNames = {};
    this.signingKeys = {};
    this.signerRoleArns = {};
    this.values = {};
    const parent = { parent: this };
    const tags = { "platform:stack": cfg.stack };

    const store = (id: string, description: string, value: pulumi.Output<string>) => {
      const rid = resourceId(id);
      const sm = new aws.secretsmanager.Secret(
        `${name}-${rid}`,
        {
          name: secretName(cfg.stack, id),
          description: description || id,
          kmsKeyId: cfg.kmsKeyArn,
          recoveryWindowInDays: cfg.recoveryWindowInDays,
          tags: { ...tags, "platform:entry": id },
        },
        { ...parent, protect: cfg.protect },
      );
      new aws.secretsmanager.SecretVersion(`${name}-${rid}`, { secretId: sm.id, secretString: pulumi.secret(value) }, parent);
      const r = rotation[id];
      if (r?.mode === "lambda") {
        new aws.secretsmanager.SecretRotation(
          `${name}-${rid}`,
          { secretId: sm.id, rotationLambdaArn: r.lambdaArn, rotationRules: { automaticallyAfterDays: r.days } },
          parent,
        );
      }
      this.secretArns[id] = sm.arn;
      this.values[id] = pulumi.secret(value);
      this.secretNames[id] = secretName(cfg.stack, id);
    };

    for (const e of cfg.entries) store(e.id, e.description, e.value);
    const kmsArns: Record<string, pulumi.Output<string>[]> = {};
    for (const g of cfg.generated) {
      const id = `generated/${g.name}`;
      if (!g.signing) {
        const r = rotation[id] as Extract<RotationPlan, { mode: "epoch" | "lambda" }>;
        const epoch = r.mode === "epoch" ? r.epoch : 0;
        // 32 random bytes as 64 hex characters: a 256-bit key. `hex` is secret from birth; the epoch keeper replaces it on rotation.
        const key = generateKey(`${name}-${g.name}`, { length: 32, keepers: { epoch: String(epoch) } }, parent);
        store(id, g.description, pulumi.secret(key.hex));
        continue;
      }
      const { signer, rotation: r } = g.signing;
      // The step from the last deployment is checked before any key is created or deleted.
      const ledger = new SigningKeyLedger(`${name}-${g.name}-rotation`, { at: `platform:signingKeys.${g.name}`, ...r }, parent);
      const roles = {
        [r.current]: "current" as const,
        ...(r.next ? { [r.next]: "next" as const } : {}),
        ...(r.retiring ? { [r.retiring]: "retiring" as const } : {}),
      };
      const keys: (typeof this.signingKeys)[string]["keys"] = {};
      kmsArns[g.name] = [];
      for (const label of liveLabels(r)) {
        const role = roles[label]!;
        const what = `${g.description || g.name}: key '${label}'`;
        if (signer === "raw") {
          // Key material in state (secret, encrypted by the stack's secrets provider) and in Secrets Manager: local/dev only.
          const key = generateKey(`${name}-${g.name}-${label}`, { length: 32, keepers: { label } }, { ...parent, dependsOn: [ledger] });
          store(signingEntryId(g.name, label), what, pulumi.secret(key.hex));
          keys[label] = { role };
        } else {
          // The private half never leaves KMS: state holds the key's ARN and metadata only.
          const key = new aws.kms.Key(
            `${name}-${g.name}-${label}`,
            {
              description: `platform ${cfg.stack}: ${g.name} signing key '${label}' (secp256k1; two-phase rotation from platform:signingKeys.${g.name})`,
              ...KMS_SIGNER,
              deletionWindowInDays: 30,
              tags: { ...tags, "platform:entry": id, "platform:key-label": label },
            },
            { ...parent, dependsOn: [ledger] },
          );
          new aws.kms.Alias(`${name}-${g.name}-${label}`, { name: `alias/platform/${cfg.stack}/${g.name}/${label}`, targetKeyId: key.keyId }, parent);
          store(signingEntryId(g.name, label), what, key.arn.apply(kmsKeyRef));
          keys[label] = { role, kmsKeyArn: key.arn };
          kmsArns[g.name]!.push(key.arn);
        }
      }
      this.signingKeys[g.name] = { signer, phase: rotationPhase(r), keys };
    }

    for (const s of cfg.cluster?.signers ?? []) {
      const c = cfg.cluster!;
      const rid = resourceId(`${s.namespace}-${s.serviceAccount}`);
      const role = new aws.iam.Role(
        `${name}-${rid}-signer`,
        {
          description: `platform ${cfg.stack}: ${s.namespace}/${s.serviceAccount} signs with ${s.keys.join(", ")} (KMS)`,
          assumeRolePolicy: pulumi
            .all([c.oidcProviderArn, c.oidcIssuer])
            .apply(([arn, iss]) => JSON.stringify(irsaTrustPolicy(arn, iss, s.namespace, s.serviceAccount))),
          tags,
        },
        parent,
      );
      new aws.iam.RolePolicy(
        `${name}-${rid}-signer`,
        {
          role: role.id,
          policy: pulumi.all(s.keys.flatMap((k) => kmsArns[k] ?? [])).apply((arns) => JSON.stringify(signerPolicy(arns))),
        },
        parent,
      );
      this.signerRoleArns[`${s.namespace}/${s.serviceAccount}`] = role.arn;
    }

    if (cfg.cluster) {
      const eso = provisionEso(name, this, cfg, cfg.cluster, this.secretArns);
      this.esoRoleArn = eso.roleArn;
      this.storeName = eso.storeName;
    }
    this.registerOutputs({
      secretArns: this.secretArns,
      secretNames: this.secretNames,
      rotation: this.rotation,
      signingKeys: this.signingKeys,
      signerRoleArns: this.signerRoleArns,
      esoRoleArn: this.esoRoleArn,
      storeName: this.storeName,
    });
  }
}
