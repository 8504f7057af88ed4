/**
 * Shared fixture programs for the secrets tests: the stack key, Secrets with ESO on a cluster,
 * and the known secret values of a run (configured values and the mocked generator results).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StackKey } from "../../components/secrets/encryption";
import { Secrets, type SecretsArgs } from "../../components/secrets";
import type { KnownSecret } from "../../components/secrets/scan";
import type { Inventory } from "../../tools/harness/inventory";
import { knownSecretsOf } from "./known";

export const OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123";
export const ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123";
/** The VPC CIDR the EKS API server calls webhooks from. */
export const API_SERVER_CIDR = "10.20.0.0/16";
export const MAILGUN = "fake-mailgun-key-for-tests-0001";
export const LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:SecretsManagerRDSPostgreSQLRotationSingleUser";
/** 2026-11-22T00:00:00Z: pinned clock for rotation epochs. */
export const NOW = Date.UTC(2026, 10, 22);

export function providers() {
  return {
    aws: new aws.Provider("aws", { region: "us-east-1" }),
    random: new random.Provider("random", {}),
    kubernetes: new k8s.Provider("k8s", { renderYamlToDirectory: mkdtempSync(join(tmpdir(), "sec-")) }),
  };
}

/** A realistic Secrets setup: a Postgres connection, a config secret, a generated key and a KMS signing key. */
export function secretsProgram(overrides: Partial<SecretsArgs> = {}, p: ReturnType<typeof providers> = providers()) {
  const key = new StackKey("kms", { stack: "test", protect: false }, { providers: { aws: p.aws } });
  const dbPassword = new random.RandomPassword("db-password", { length: 40, special: false }, { provider: p.random });
  const conn = pulumi.secret(
    dbPassword.result.apply((pw) =>
      JSON.stringify({
        host: "db.internal",
        readerHost: "db-ro.internal",
        port: 5432,
        database: "app",
        username: "app",
        password: pw,
        url: `postgresql://app:${pw}@db.internal:5432/app`,
      }),
    ),
  );
  const mailgun = new pulumi.Config("platform").requireSecret("mailgun");
  const s = new Secrets(
    "sec",
    {
      stack: "test",
      region: "us-east-1",
      kmsKeyArn: key.arn,
      nowMs: NOW,
      entries: [
        { id: "postgres/main", source: "dataStore", value: conn },
        { id: "config/mailgunApiKey", source: "config", value: mailgun },
      ],
      generated: [
        { name: "app-key", rotationDays: 30 },
        { name: "relay-signer", signing: { signer: "kms", rotation: { current: "1" } } },
      ],
      rotationLambdaArns: { dataStore: LAMBDA },
      cluster: {
        oidcProviderArn: OIDC_ARN,
        oidcIssuer: ISSUER,
        apiServerCidrs: [API_SERVER_CIDR],
        consumers: [
          {
            namespace: "apps",
            secretName: "api-secrets",
            data: [
              { key: "DATABASE_URL", entryId: "postgres/main", property: "url" },
              { key: "MAILGUN_KEY", entryId: "config/mailgunApiKey" },
              { key: "APP_KEY", entryId: "generated/app-key" },
            ],
          },
        ],
      },
      ...overrides,
    },
    { providers: p },
  );
  return { keyArn: key.arn, esoRoleArn: s.esoRoleArn, secretArns: s.secretArns, rotation: s.rotation };
}

export const runOpts = (preview = false) => ({ preview, stack: "test", config: { "platform:mailgun": MAILGUN }, secretKeys: ["platform:mailgun"] });

/** Configured secret values and every random generator's mocked result (update mode). */
export function knownSecrets(inv: Inventory, config: Record<string, string> = { "platform:mailgun": MAILGUN }): KnownSecret[] {
  return knownSecretsOf(inv, config);
}
