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
import { checkConsumers, secretsArgs, type SecretsArgs, type SecretsConfig } from "./args";
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
  /** KMS signing keys (kind `kms-secp256k1`): current and previous epoch key ARNs. */
  public readonly signingKeys: Record<string, { current: pulumi.Output<string>; previous: pulumi.Output<string> }>;
  /** Secret value per entry id (secret Outputs; for the droplet's container env). Not registered as outputs. */
  public readonly values: Record<string, pulumi.Output<string>>;
  /** IRSA role of the ESO controller (Kubernetes only). */
  public readonly esoRoleArn?: pulumi.Output<string>;
  /** ClusterSecretStore name (Kubernetes only). */
  public readonly storeName?: string;

  constructor(name: string, args: SecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg: SecretsConfig = parseArgs("Secrets", name, secretsArgs, args);
    const ids = new Set([...cfg.entries.map((e) => e.id), ...cfg.generated.map((g) => `generated/${g.name}`)]);
    const problems: string[] = [];
    if (ids.size !== cfg.entries.length + cfg.generated.length) problems.push("entries/generated: duplicate entry ids");
    if (cfg.cluster) problems.push(...checkConsumers(cfg.cluster.consumers, ids));
    const rotation: Record<string, RotationPlan> = {};
    try {
      for (const e of cfg.entries) rotation[e.id] = planRotation(e.source, { nowMs: cfg.nowMs, ...(e.source === "dataStore" && cfg.rotationLambdaArns.dataStore ? { lambdaArn: cfg.rotationLambdaArns.dataStore } : {}) });
      for (const g of cfg.generated) {
        rotation[`generated/${g.name}`] = planRotation("generated", { nowMs: cfg.nowMs, days: g.rotationDays, ...(g.kind === "secret" && cfg.rotationLambdaArns.generated ? { lambdaArn: cfg.rotationLambdaArns.generated } : {}) });
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
    this.values = {};
    const parent = { parent: this };
    const tags = { "platform:stack": cfg.stack };

    const store = (id: string, description: string, value: pulumi.Output<string>) => {
      const rid = resourceId(id);
      const sm = new aws.secretsmanager.Secret(`${name}-${rid}`, {
        name: secretName(cfg.stack, id),
        description: description || id,
        kmsKeyId: cfg.kmsKeyArn,
        recoveryWindowInDays: cfg.recoveryWindowInDays,
        tags: { ...tags, "platform:entry": id },
      }, { ...parent, protect: cfg.protect });
      new aws.secretsmanager.SecretVersion(`${name}-${rid}`, { secretId: sm.id, secretString: pulumi.secret(value) }, parent);
      const r = rotation[id];
      if (r?.mode === "lambda") {
        new aws.secretsmanager.SecretRotation(`${name}-${rid}`, { secretId: sm.id, rotationLambdaArn: r.lambdaArn, rotationRules: { automaticallyAfterDays: r.days } }, parent);
      }
      this.secretArns[id] = sm.arn;
      this.values[id] = pulumi.secret(value);
      this.secretNames[id] = secretName(cfg.stack, id);
    };

    for (const e of cfg.entries) store(e.id, e.description, e.value);
    for (const g of cfg.generated) {
      const id = `generated/${g.name}`;
      const r = rotation[id] as Extract<RotationPlan, { mode: "epoch" | "lambda" }>;
      const epoch = r.mode === "epoch" ? r.epoch : 0;
      if (g.kind === "secret") {
        // 32 random bytes as 64 hex characters: a 256-bit key, and (with overwhelming probability) a valid
        // secp256k1 private key for a relayer. `hex` is secret from birth; the epoch keeper replaces it on rotation.
        const key = generateKey(`${name}-${g.name}`, { length: 32, keepers: { epoch: String(epoch) } }, parent);
        store(id, g.description, pulumi.secret(key.hex));
      } else {
        const key = (ep: number) =>
          new aws.kms.Key(`${name}-${g.name}-e${ep}`, {
            description: `platform ${cfg.stack}: ${g.name} signing key, rotation epoch ${ep} (${g.rotationDays} days)`,
            keyUsage: "SIGN_VERIFY",
            customerMasterKeySpec: "ECC_SECG_P256K1",
            deletionWindowInDays: 30,
            tags: { ...tags, "platform:entry": id, "platform:epoch": String(ep) },
          }, parent);
        const current = key(epoch);
        const previous = key(epoch - 1);
        new aws.kms.Alias(`${name}-${g.name}-current`, { name: `alias/platform/${cfg.stack}/${g.name}`, targetKeyId: current.keyId }, parent);
        new aws.kms.Alias(`${name}-${g.name}-previous`, { name: `alias/platform/${cfg.stack}/${g.name}-previous`, targetKeyId: previous.keyId }, parent);
        this.signingKeys[g.name] = { current: current.arn, previous: previous.arn };
        // The entry holds the current key's ARN only (no key material), so `generated:<name>` still resolves for services.
        store(id, g.description, current.arn);
      }
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
      esoRoleArn: this.esoRoleArn,
      storeName: this.storeName,
    });
  }
}
