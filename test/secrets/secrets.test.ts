import { describe, expect, it } from "vitest";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { getPath, runProgram } from "../../tools/harness/run";
import { API_SERVER_CIDR, ISSUER, LAMBDA, NOW, OIDC_ARN, runOpts, secretsProgram } from "./fixtures";

const byType = (inv: Inventory, t: string) => inv.resources.filter((r) => r.type === t);
const crs = (inv: Inventory, kind: string) => inv.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: string }).kind === kind);
const one = (list: InventoryResource[]) => {
  expect(list).toHaveLength(1);
  return list[0]!;
};

describe("Secrets (AWS + Kubernetes)", () => {
  it("least privilege: ESO reads exactly this stack's secret ARNs and decrypts with the stack key only via Secrets Manager", async () => {
    const inv = await runProgram(() => secretsProgram(), runOpts());
    const secrets = byType(inv, "aws:secretsmanager/secret:Secret");
    expect(secrets.map((s) => s.inputs.name).sort()).toEqual([
      "platform/test/config/mailgunApiKey",
      "platform/test/generated/app-key",
      "platform/test/generated/relay-signer/1",
      "platform/test/postgres/main",
    ]);
    const policy = JSON.parse(one(byType(inv, "aws:iam/rolePolicy:RolePolicy")).inputs.policy as string);
    expect(policy.Statement).toHaveLength(2);
    const [read, decrypt] = policy.Statement;
    expect(read.Action).toEqual(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]);
    expect(read.Resource).toHaveLength(secrets.length);
    for (const s of secrets)
      expect(read.Resource.filter((a: string) => a.startsWith(`arn:aws:secretsmanager:us-east-1:123456789012:secret:${s.inputs.name}-`))).toHaveLength(1);
    expect(JSON.stringify(policy)).not.toContain("*");
    const stackKey = inv.resources.find((r) => r.type === "aws:kms/key:Key" && r.name === "kms-key")!;
    expect(decrypt).toEqual({
      Sid: "DecryptWithStackKey",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [expect.stringMatching(/^arn:aws:kms:us-east-1:123456789012:key\//)],
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
    });
    expect(inv.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy")!.dependencies).toContain(stackKey.urn);
  });

  it("IRSA: the role trusts only the ESO service account; the chart's service account carries the role", async () => {
    const inv = await runProgram(() => secretsProgram(), runOpts());
    const role = one(byType(inv, "aws:iam/role:Role"));
    const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
    expect(trust.Statement).toEqual([
      {
        Sid: "EsoServiceAccountOnly",
        Effect: "Allow",
        Principal: { Federated: OIDC_ARN },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${ISSUER.slice(8)}:sub`]: "system:serviceaccount:external-secrets:external-secrets",
            [`${ISSUER.slice(8)}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ]);
    const eso = one(byType(inv, "kubernetes:helm.sh/v3:Release"));
    expect(eso.inputs.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(getPath(eso.inputs, "values.serviceAccount.name")).toBe("external-secrets");
    expect((getPath(eso.inputs, "values.serviceAccount.annotations") as Record<string, string>)["eks.amazonaws.com/role-arn"]).toBe(
      `arn:aws:iam::123456789012:role/${role.inputs.name}`,
    );
  });

  it("every entry is encrypted with the stack key, its value secret; rotation where AWS supports it", async () => {
    const inv = await runProgram(() => secretsProgram(), runOpts());
    for (const s of byType(inv, "aws:secretsmanager/secret:Secret")) expect(s.inputs.kmsKeyId).toMatch(/^arn:aws:kms:/);
    for (const v of byType(inv, "aws:secretsmanager/secretVersion:SecretVersion")) expect(v.secretPaths).toContain("secretString");
    const rot = one(byType(inv, "aws:secretsmanager/secretRotation:SecretRotation"));
    expect(rot.inputs.rotationLambdaArn).toBe(LAMBDA);
    expect(rot.inputs.rotationRules).toEqual({ automaticallyAfterDays: 30 });
    const appKey = inv.resources.find((r) => r.type === "random:index/randomBytes:RandomBytes" && r.name === "sec-app-key")!;
    expect(appKey.inputs.keepers).toEqual({ epoch: String(Math.floor(NOW / (30 * 86_400_000))) });
    const rotation = inv.outputs as { rotation: Record<string, { mode: string }> };
    expect(rotation.rotation["config/mailgunApiKey"]!.mode).toBe("none");
    expect(rotation.rotation["generated/app-key"]!.mode).toBe("epoch");
    expect(rotation.rotation["postgres/main"]!.mode).toBe("lambda");
  });

  it("the relay's signing key: secp256k1 in KMS (private half never leaves), one key per live label, aliases, the signer's own role", async () => {
    const inv = await runProgram(
      () =>
        secretsProgram({
          generated: [
            { name: "app-key", rotationDays: 30 },
            { name: "relay-signer", signing: { signer: "kms", rotation: { current: "1", next: "2" } } },
          ],
          cluster: {
            oidcProviderArn: OIDC_ARN,
            oidcIssuer: ISSUER,
            apiServerCidrs: [API_SERVER_CIDR],
            consumers: [
              {
                namespace: "apps",
                secretName: "relay-secrets",
                data: [
                  { key: "SIGNER", entryId: "generated/relay-signer/1" },
                  { key: "SIGNER_NEXT", entryId: "generated/relay-signer/2" },
                ],
              },
            ],
            signers: [{ namespace: "apps", serviceAccount: "relay", keys: ["relay-signer"] }],
          },
        }),
      runOpts(),
    );
    const signing = byType(inv, "aws:kms/key:Key").filter((k) => k.inputs.keyUsage === "SIGN_VERIFY");
    expect(signing.map((k) => k.name).sort()).toEqual(["sec-relay-signer-1", "sec-relay-signer-2"]);
    for (const k of signing) expect(k.inputs.customerMasterKeySpec).toBe("ECC_SECG_P256K1");
    expect(
      byType(inv, "aws:kms/alias:Alias")
        .map((a) => a.inputs.name)
        .sort(),
    ).toEqual(["alias/platform/test", "alias/platform/test/relay-signer/1", "alias/platform/test/relay-signer/2"]);
    const stackKey = inv.resources.find((r) => r.name === "kms-key")!;
    expect(stackKey.inputs.enableKeyRotation).toBe(true);
    const role = inv.resources.find((r) => r.type === "aws:iam/role:Role" && r.name === "sec-apps-relay-signer")!;
    expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Condition.StringEquals[`${ISSUER.slice(8)}:sub`]).toBe(
      "system:serviceaccount:apps:relay",
    );
    const rotation = (inv.outputs as { rotation: Record<string, unknown> }).rotation;
    expect(rotation["generated/relay-signer"]).toEqual({ mode: "two-phase", phase: "issue", current: "1", next: "2" });
    // A signer naming a key that is not a KMS signing key is refused.
    const err = await runProgram(
      () =>
        secretsProgram({
          cluster: {
            oidcProviderArn: OIDC_ARN,
            oidcIssuer: ISSUER,
            apiServerCidrs: [API_SERVER_CIDR],
            signers: [{ namespace: "apps", serviceAccount: "relay", keys: ["app-key"] }],
          },
        }),
      runOpts(),
    ).catch((e: Error) => e);
    expect(String(err)).toMatch(/cluster\.signers\.0\.keys: 'app-key' is not a generated signing key with signer kms \(relay-signer\)/);
  });

  it("ExternalSecrets materialise the consumers' Secrets through a store restricted to their namespaces", async () => {
    const inv = await runProgram(() => secretsProgram(), runOpts());
    const store = one(crs(inv, "ClusterSecretStore"));
    expect(getPath(store.inputs, "spec.provider.aws")).toEqual({ service: "SecretsManager", region: "us-east-1" });
    expect(getPath(store.inputs, "spec.conditions")).toEqual([{ namespaces: ["apps"] }]);
    const es = one(crs(inv, "ExternalSecret"));
    expect(getPath(es.inputs, "metadata.namespace")).toBe("apps");
    expect(getPath(es.inputs, "spec.target.name")).toBe("api-secrets");
    expect((getPath(es.inputs, "spec.data") as { secretKey: string }[]).map((d) => d.secretKey)).toEqual(["DATABASE_URL", "MAILGUN_KEY", "APP_KEY"]);
    expect(es.dependencies).toContain(store.urn);
    // external-secrets 2.x serves and stores v1 only (v1beta1 is served only with crds.unsafeServeV1Beta1).
    expect(getPath(store.inputs, "apiVersion")).toBe("external-secrets.io/v1");
    expect(getPath(es.inputs, "apiVersion")).toBe("external-secrets.io/v1");
    const release = one(byType(inv, "kubernetes:helm.sh/v3:Release"));
    expect(getPath(release.inputs, "values.crds")).toBeUndefined();
  });

  it("the ESO admission webhook admits only the API server (its CIDRs, on the webhook port); nothing else reaches the namespace", async () => {
    const inv = await runProgram(() => secretsProgram(), runOpts());
    const pols = byType(inv, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.inputs as any);
    const allow = pols.find((p) => p.metadata.name === "external-secrets-operator");
    expect(allow.spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: API_SERVER_CIDR } }], ports: [{ protocol: "TCP", port: 10250 }] }]);
    expect(pols.find((p) => p.metadata.name === "default-deny").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const err = await runProgram(
      () => secretsProgram({ cluster: { oidcProviderArn: OIDC_ARN, oidcIssuer: ISSUER, apiServerCidrs: [], consumers: [] } }),
      runOpts(),
    ).catch((e: Error) => e);
    expect(String(err)).toMatch(/cluster\.apiServerCidrs: give the API server's CIDRs/);
  });

  it("a consumer naming an unknown entry fails before any child is registered", async () => {
    const err = await runProgram(
      () =>
        secretsProgram({
          cluster: {
            oidcProviderArn: OIDC_ARN,
            oidcIssuer: ISSUER,
            apiServerCidrs: [API_SERVER_CIDR],
            consumers: [{ namespace: "apps", secretName: "x", data: [{ key: "K", entryId: "postgres/nope" }] }],
          },
        }),
      runOpts(),
    ).catch((e: Error & { inventory: Inventory }) => e);
    expect(String(err)).toMatch(/cluster\.consumers\.0\.data\.0\.entryId: no secret entry 'postgres\/nope'/);
    expect((err as { inventory: Inventory }).inventory.resources.some((r) => r.type.startsWith("aws:secretsmanager"))).toBe(false);
  });
});
