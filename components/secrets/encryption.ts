/**
 * `StackKey`: the stack's customer-managed KMS key for encryption at rest (Secrets Manager,
 * data stores, backups), symmetric, with automatic rotation of the key material and an alias.
 * Providers: `{ aws }`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseArgs } from "../data/schema";
import { stackKeyArgs, type StackKeyArgs } from "./args";

export type { StackKeyArgs } from "./args";

export class StackKey extends pulumi.ComponentResource {
  public readonly arn: pulumi.Output<string>;
  public readonly keyId: pulumi.Output<string>;
  public readonly aliasName: string;

  constructor(name: string, args: StackKeyArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg = parseArgs("StackKey", name, stackKeyArgs, args);
    super("platform:secrets:StackKey", name, {}, opts);
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `platform ${cfg.stack}: encryption at rest (secrets, data, backups)`,
        keyUsage: "ENCRYPT_DECRYPT",
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        enableKeyRotation: true,
        rotationPeriodInDays: cfg.rotationPeriodInDays,
        deletionWindowInDays: cfg.deletionWindowInDays,
        tags: { "platform:stack": cfg.stack, "platform:purpose": "encryption-at-rest" },
      },
      { parent: this, protect: cfg.protect },
    );
    this.aliasName = `alias/platform/${cfg.stack}`;
    new aws.kms.Alias(`${name}-alias`, { name: this.aliasName, targetKeyId: key.keyId }, { parent: this });
    this.arn = key.arn;
    this.keyId = key.keyId;
    this.registerOutputs({ arn: this.arn, keyId: this.keyId, aliasName: this.aliasName });
  }
}
