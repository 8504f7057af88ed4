import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  clusterSecretStoreManifest,
  esoAccessPolicy,
  externalSecretManifest,
  irsaTrustPolicy,
  planRotation,
  refToEntry,
  rotationEpoch,
  secretName,
  serviceConsumers,
} from "../../components/secrets/plan";
import { connectionDocument } from "../../stacks/compose/secrets";

const OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123";
const ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123";

describe("IRSA trust policy", () => {
  it("trusts only the ESO controller's service account through this cluster's OIDC provider", () => {
    const doc = irsaTrustPolicy(OIDC_ARN, ISSUER);
    expect(doc.Statement).toHaveLength(1);
    const s = doc.Statement[0]!;
    expect(s.Principal).toEqual({ Federated: OIDC_ARN });
    expect(s.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(s.Condition).toEqual({
      StringEquals: {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub": "system:serviceaccount:external-secrets:external-secrets",
        "oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud": "sts.amazonaws.com",
      },
    });
  });
  it("rejects a non-https issuer or a non-OIDC principal", () => {
    expect(() => irsaTrustPolicy(OIDC_ARN, "http://oidc.example")).toThrow(/https OIDC issuer/);
    expect(() => irsaTrustPolicy("arn:aws:iam::123456789012:root", ISSUER)).toThrow(/OIDC provider ARN/);
  });
});

describe("ESO access policy (least privilege)", () => {
  const arns = [
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/prod/postgres/main-abc123",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/prod/config/mailgunApiKey-def456",
  ];
  const key = "arn:aws:kms:us-east-1:123456789012:key/1234";
  it("reads exactly the given secrets and decrypts with the stack key via Secrets Manager only", () => {
    const doc = esoAccessPolicy(arns, key, "us-east-1");
    expect(doc.Statement).toEqual([
      { Sid: "ReadThisStacksSecrets", Effect: "Allow", Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], Resource: [...arns].sort() },
      {
        Sid: "DecryptWithStackKey",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [key],
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
      },
    ]);
  });
  it("refuses wildcards and empty lists", () => {
    expect(() => esoAccessPolicy(["arn:aws:secretsmanager:us-east-1:123456789012:secret:*"], key, "us-east-1")).toThrow(/no wildcards/);
    expect(() => esoAccessPolicy([], key, "us-east-1")).toThrow(/at least one/);
  });
});

describe("rotation plans", () => {
  it("generated keys rotate by epoch; the epoch changes exactly every rotationDays", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 365 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (days, now) => {
        const e = rotationEpoch(now, days);
        expect(rotationEpoch(now + days * 86_400_000, days)).toBe(e + 1);
        expect(planRotation("generated", { nowMs: now, days })).toEqual({ mode: "epoch", days, epoch: e });
      }),
    );
  });
  it("a Lambda ARN turns on Secrets Manager rotation; a bad one is refused", () => {
    const lambdaArn = "arn:aws:lambda:us-east-1:123456789012:function:SecretsManagerRDSPostgreSQLRotationSingleUser";
    expect(planRotation("dataStore", { nowMs: 0, lambdaArn, days: 30 })).toEqual({ mode: "lambda", lambdaArn, days: 30 });
    expect(() => planRotation("dataStore", { nowMs: 0, lambdaArn: "arn:aws:iam::123456789012:role/x" })).toThrow(/Lambda function ARN/);
  });
  it("every non-rotated entry says why", () => {
    for (const src of ["config", "dataStore", "platform"] as const) {
      const r = planRotation(src, { nowMs: 0 });
      expect(r.mode).toBe("none");
      expect(r.mode === "none" && r.reason.length).toBeGreaterThan(20);
    }
  });
});

describe("ExternalSecrets from service secret refs", () => {
  it("maps refs to entries and JSON properties", () => {
    expect(refToEntry("dataStore:postgres/main")).toEqual({ entryId: "postgres/main", property: "url" });
    expect(refToEntry("dataStore:redis/cache#password")).toEqual({ entryId: "redis/cache", property: "password" });
    expect(refToEntry("config:mailgunApiKey")).toEqual({ entryId: "config/mailgunApiKey" });
    expect(refToEntry("generated:relay-signer")).toEqual({ entryId: "generated/relay-signer" });
  });
  it("one ExternalSecret per service with secrets, named <service>-secrets, keys = env names, via the ClusterSecretStore", () => {
    const consumers = serviceConsumers("apps", [
      {
        name: "api",
        secrets: [
          { env: "DATABASE_URL", from: "dataStore:postgres/main" },
          { env: "MAILGUN_KEY", from: "config:mailgunApiKey" },
        ],
      },
      { name: "web", secrets: [] },
    ]);
    expect(consumers).toHaveLength(1);
    const m = externalSecretManifest("prod", consumers[0]!);
    expect(m.metadata).toMatchObject({ name: "api-secrets", namespace: "apps" });
    expect(m.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "platform-secrets" });
    expect(m.spec.data).toEqual([
      { secretKey: "DATABASE_URL", remoteRef: { key: "platform/prod/postgres/main", property: "url" } },
      { secretKey: "MAILGUN_KEY", remoteRef: { key: "platform/prod/config/mailgunApiKey" } },
    ]);
    expect(clusterSecretStoreManifest("us-east-1", ["apps", "apps"]).spec.conditions).toEqual([{ namespaces: ["apps"] }]);
  });
  it("secret names are valid Secrets Manager names", () => {
    expect(secretName("prod", "postgres/main")).toBe("platform/prod/postgres/main");
    expect(() => secretName("prod", "bad id!")).toThrow(/invalid Secrets Manager name/);
  });
  it("the stored connection document adds readerUrl and the rotation template's fields", () => {
    const doc = connectionDocument("postgres", {
      host: "w.example",
      readerHost: "r.example",
      port: 5432,
      database: "app",
      username: "app",
      password: "fake-password-for-tests",
      url: "postgresql://app:fake-password-for-tests@w.example:5432/app",
    });
    expect(doc).toMatchObject({ engine: "postgres", dbname: "app", readerUrl: "postgresql://app:fake-password-for-tests@r.example:5432/app" });
  });
});
