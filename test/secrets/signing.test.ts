/**
 * The bridge's signing key, in the words of its view (shared/reference-systems/bridge-relay.md,
 * "Secret Management"): "Private Keys: Encrypted storage with key rotation". A relayer key is an
 * on-chain address, so a rotation is an explicit two-phase operation from stack config
 * (`platform:signingKeys.relayer-key`): the next key is issued while the current one keeps signing,
 * promoted, then retired; the relay gets both addresses during the overlap and restarts at each
 * phase; on Kubernetes in AWS the key is a KMS secp256k1 key and no private key is in state.
 * The whole program runs under the harness's mocks (the AWS shapes are the provider's); the
 * ledger's check is the real provider code the engine calls.
 */
import { describe, expect, it } from "vitest";
import { ledgerProvider } from "../../components/secrets/ledger";
import { checkTransition, keySetDigest, signerPolicy, signingEnv, validateRotation, type SigningKeyRotation } from "../../components/secrets/signing";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { getPath, ProgramError } from "../../tools/harness/run";
import { blueprintStackInput, runStackInput } from "../../tools/harness/stacks";
import { computedOutputs } from "../../tools/mockcloud/answers";

const AT = "platform:signingKeys.relayer-key";
const steady: SigningKeyRotation = { current: "1" };
const issue: SigningKeyRotation = { current: "1", next: "2" };
const promote: SigningKeyRotation = { current: "2", retiring: "1" };
const retired: SigningKeyRotation = { current: "2" };

async function bridge(tier: "dev" | "prod" | "local", rotation?: SigningKeyRotation): Promise<Inventory> {
  const input = blueprintStackInput("bridge-relay", tier);
  const config = rotation ? { ...input.config, "platform:signingKeys": JSON.stringify({ "relayer-key": rotation }) } : input.config;
  return (await runStackInput({ ...input, config })).inventory;
}
const crs = (inv: Inventory, kind: string) => inv.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: string }).kind === kind);
const named = (list: InventoryResource[], name: string) => list.filter((r) => getPath(r.inputs, "metadata.name") === name);
const relaySecret = (inv: Inventory) => crs(inv, "ExternalSecret").find((r) => String(getPath(r.inputs, "metadata.name")).startsWith("relay-secrets"))!;
const relayEnv = (inv: Inventory) =>
  Object.fromEntries(
    (getPath(relaySecret(inv).inputs, "spec.data") as { secretKey: string; remoteRef: { key: string } }[]).map((d) => [d.secretKey, d.remoteRef.key]),
  );
const relayDeploymentSecret = (inv: Inventory) => {
  const dep = crs(inv, "Deployment").find((r) => getPath(r.inputs, "metadata.name") === "relay")!;
  const envFrom = getPath(dep.inputs, "spec.template.spec.containers.0.envFrom") as { secretRef?: { name: string } }[];
  return envFrom.flatMap((e) => (e.secretRef ? [e.secretRef.name] : []));
};

/** Every input and (mocked) output leaf shaped like a secp256k1 private key (32 bytes hex) or a PEM private key. */
function privateKeyShapedLeaves(inv: Inventory): string[] {
  const hits: string[] = [];
  const walk = (v: unknown, where: string) => {
    if (typeof v === "string") {
      if (/^(0x)?[0-9a-fA-F]{64}$/.test(v) || /PRIVATE KEY/.test(v)) hits.push(where);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}[${i}]`));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
  };
  for (const r of inv.resources) {
    walk(r.inputs, `${r.type} ${r.name} inputs`);
    walk(computedOutputs(r.type, r.name, r.inputs as Record<string, unknown>, "us-east-1"), `${r.type} ${r.name} outputs`);
  }
  walk(inv.outputs, "stack outputs");
  return hits;
}

describe("Private Keys: key rotation is explicit and two-phase (platform:signingKeys)", () => {
  it("the next key is issued while the current keeps signing, then promoted, then retired: each step is one `pulumi up`", () => {
    const seq = [steady, issue, promote, retired];
    for (const s of seq) expect(validateRotation(AT, s)).toEqual([]);
    expect(checkTransition(AT, undefined, steady)).toEqual([]);
    for (let i = 1; i < seq.length; i++) expect(checkTransition(AT, seq[i - 1], seq[i]!)).toEqual([]);
    // Abandoning an issued key that never signed, and rolling back a promotion, are single steps too.
    expect(checkTransition(AT, issue, steady)).toEqual([]);
    expect(checkTransition(AT, promote, issue)).toEqual([]);
    // What the relay is handed in each phase: the signing key, and the other key during the overlap.
    expect(signingEnv("RELAYER_PRIVATE_KEY", steady)).toEqual([{ env: "RELAYER_PRIVATE_KEY", role: "current", label: "1" }]);
    expect(signingEnv("RELAYER_PRIVATE_KEY", issue).map((e) => [e.env, e.label])).toEqual([
      ["RELAYER_PRIVATE_KEY", "1"],
      ["RELAYER_PRIVATE_KEY_NEXT", "2"],
    ]);
    expect(signingEnv("RELAYER_PRIVATE_KEY", promote).map((e) => [e.env, e.label])).toEqual([
      ["RELAYER_PRIVATE_KEY", "2"],
      ["RELAYER_PRIVATE_KEY_RETIRING", "1"],
    ]);
    // Each phase is a different key set, so a different Secret name for the relay (a restart).
    expect(new Set(seq.map((s) => keySetDigest({ "relayer-key": s }))).size).toBe(4);
    expect(keySetDigest({ "relayer-key": { current: "1" } })).toBe(keySetDigest({ "relayer-key": steady }));
  });

  it("bad sequences are refused, naming the field and the fix", () => {
    expect(validateRotation(AT, { current: "1", retiring: "1" })).toEqual([
      expect.stringMatching(
        /^platform:signingKeys\.relayer-key\.retiring: '1' is the current key, the only one that signs: retiring it would leave no signing key\. Issue a new key first with `platform:signingKeys\.relayer-key\.next`/,
      ),
    ]);
    expect(validateRotation(AT, { current: "1", next: "1" })).toEqual([
      expect.stringMatching(/^platform:signingKeys\.relayer-key\.next: '1' is already the current key/),
    ]);
    expect(validateRotation(AT, { current: "2", next: "3", retiring: "1" })).toEqual([
      expect.stringMatching(
        /^platform:signingKeys\.relayer-key: 'next' and 'retiring' at once skips a phase: finish the running rotation first \(remove `retiring`/,
      ),
    ]);
    // The calendar-style replacement the platform used to do: a new address with no overlap.
    expect(checkTransition(AT, steady, retired)).toEqual([
      expect.stringMatching(
        /^platform:signingKeys\.relayer-key: replacing the signing key '1' by '2' in one step leaves no overlap .* Set `platform:signingKeys\.relayer-key\.next: 2` first/,
      ),
    ]);
    expect(checkTransition(AT, steady, promote)).toEqual([
      expect.stringMatching(
        /promoting '2' skips the issue phase: it was never the next key, so its address was never handed out\. Set `platform:signingKeys\.relayer-key\.next: 2` first/,
      ),
    ]);
    expect(checkTransition(AT, issue, retired)).toEqual([
      expect.stringMatching(
        /deleting '1' in the same step that '2' starts signing skips the promote phase: set `platform:signingKeys\.relayer-key\.current: 2` and `platform:signingKeys\.relayer-key\.retiring: 1` first/,
      ),
    ]);
    expect(checkTransition(AT, promote, { current: "2", next: "3" })).toEqual([
      expect.stringMatching(/a new rotation before '1' is retired skips a phase: remove `platform:signingKeys\.relayer-key\.retiring` first/),
    ]);
    expect(checkTransition(AT, undefined, promote)).toEqual([expect.stringMatching(/\.retiring: '1' was never deployed in this stack/)]);
    // Every refusal lists the steps that are allowed from where the stack is.
    expect(checkTransition(AT, issue, retired)[0]).toContain(`{"current":"2","retiring":"1"} (promote '2')`);
  });

  it("the ledger refuses a skipped phase against the last deployment's state (the engine's check of the real provider)", async () => {
    const bad = await ledgerProvider.check!({ at: AT, current: "1" }, { at: AT, current: "2" });
    expect(bad.failures).toEqual([
      {
        property: "current",
        reason: expect.stringMatching(/^platform:signingKeys\.relayer-key: replacing the signing key '1' by '2' in one step leaves no overlap/),
      },
    ]);
    const ok = await ledgerProvider.check!({ at: AT, current: "1" }, { at: AT, current: "1", next: "2" });
    expect(ok.failures).toEqual([]);
    const fresh = await ledgerProvider.check!({}, { at: AT, current: "1" });
    expect(fresh.failures).toEqual([]);
    const diff = await ledgerProvider.diff!("x", { at: AT, current: "1" }, { at: AT, current: "1", next: "2" });
    expect(diff.changes).toBe(true);
  });

  it("the signer may only sign (ECDSA_SHA_256) and read the public keys of exactly the live keys", () => {
    const a = "arn:aws:kms:us-east-1:123456789012:key/1111-aaaa";
    const b = "arn:aws:kms:us-east-1:123456789012:key/2222-bbbb";
    expect(signerPolicy([b, a])).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "SignWithTheRelayerKeys",
          Effect: "Allow",
          Action: ["kms:Sign"],
          Resource: [a, b],
          Condition: { StringEquals: { "kms:SigningAlgorithm": "ECDSA_SHA_256" } },
        },
        { Sid: "ReadTheirAddresses", Effect: "Allow", Action: ["kms:GetPublicKey"], Resource: [a, b] },
      ],
    });
    expect(() => signerPolicy(["arn:aws:kms:us-east-1:123456789012:key/*"])).toThrow(/exact KMS key ARN/);
    expect(() => signerPolicy([])).toThrow(/no KMS key ARN/);
  });
});

describe("bridge-relay x prod: the KMS signer (Kubernetes in AWS)", () => {
  it("the relayer key is a secp256k1 KMS key, the relay gets its awskms:/// reference, and no private key is anywhere in the plan's state", async () => {
    const inv = await bridge("prod");
    const keys = inv.resources.filter((r) => r.type === "aws:kms/key:Key" && r.inputs.keyUsage === "SIGN_VERIFY");
    expect(keys.map((k) => [k.name, k.inputs.customerMasterKeySpec, k.inputs.keyUsage, k.inputs.deletionWindowInDays])).toEqual([
      ["prod-secrets-relayer-key-1", "ECC_SECG_P256K1", "SIGN_VERIFY", 30],
    ]);
    // No generator of key material for the relayer key.
    expect(inv.resources.filter((r) => /RandomBytes|GeneratedSecret/.test(r.type) && r.name.includes("relayer-key"))).toEqual([]);
    const versions = inv.resources.filter((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion" && r.name.includes("relayer-key"));
    expect(versions.map((v) => v.inputs.secretString)).toEqual([expect.stringMatching(/^awskms:\/\/\/arn:aws:kms:us-east-1:\d{12}:/)]);
    expect(privateKeyShapedLeaves(inv)).toEqual([]);
    expect(relayEnv(inv)).toEqual(expect.objectContaining({ RELAYER_PRIVATE_KEY: "platform/prod/generated/relayer-key/1" }));
    expect(Object.keys(relayEnv(inv)).filter((k) => k.startsWith("RELAYER_"))).toEqual(["RELAYER_PRIVATE_KEY"]);
  });

  it("the relay signs through its own IRSA role: kms:Sign and kms:GetPublicKey on its keys only", async () => {
    const inv = await bridge("prod");
    const role = inv.resources.find((r) => r.type === "aws:iam/role:Role" && r.name.endsWith("-relay-signer"))!;
    const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
    expect(trust.Statement).toHaveLength(1);
    expect(Object.values(trust.Statement[0].Condition.StringEquals)).toContain("system:serviceaccount:apps:relay");
    const policy = JSON.parse(
      inv.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.endsWith("-relay-signer"))!.inputs.policy as string,
    );
    expect(policy.Statement.map((s: { Action: string[] }) => s.Action)).toEqual([["kms:Sign"], ["kms:GetPublicKey"]]);
    for (const s of policy.Statement) expect(s.Resource).toEqual([expect.stringMatching(/^arn:aws:kms:us-east-1:\d{12}:key\//)]);
    const sa = named(crs(inv, "ServiceAccount"), "relay")[0]!;
    expect(getPath(sa.inputs, "metadata.annotations")).toEqual({ "eks.amazonaws.com/role-arn": expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) });
    expect(getPath(sa.inputs, "automountServiceAccountToken")).toBe(false);
  });

  it("during the overlap the relay gets both addresses, and every phase restarts it with a new Secret", async () => {
    const [s0, s1, s2] = [await bridge("prod"), await bridge("prod", issue), await bridge("prod", promote)];
    expect(relayEnv(s1)).toEqual(
      expect.objectContaining({
        RELAYER_PRIVATE_KEY: "platform/prod/generated/relayer-key/1",
        RELAYER_PRIVATE_KEY_NEXT: "platform/prod/generated/relayer-key/2",
      }),
    );
    expect(relayEnv(s2)).toEqual(
      expect.objectContaining({
        RELAYER_PRIVATE_KEY: "platform/prod/generated/relayer-key/2",
        RELAYER_PRIVATE_KEY_RETIRING: "platform/prod/generated/relayer-key/1",
      }),
    );
    expect(
      s1.resources
        .filter((r) => r.type === "aws:kms/key:Key" && r.inputs.keyUsage === "SIGN_VERIFY")
        .map((k) => k.name)
        .sort(),
    ).toEqual(["prod-secrets-relayer-key-1", "prod-secrets-relayer-key-2"]);
    const policy = JSON.parse(
      s1.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.endsWith("-relay-signer"))!.inputs.policy as string,
    );
    expect(policy.Statement[0].Resource).toHaveLength(2);
    // The Deployment reads the Secret its ExternalSecret writes; the name changes with each phase (a new pod template).
    const names = [s0, s1, s2].map((inv) => String(getPath(relaySecret(inv).inputs, "spec.target.name")));
    expect(new Set(names).size).toBe(3);
    for (const [i, inv] of [s0, s1, s2].entries()) expect(relayDeploymentSecret(inv)).toContain(names[i]);
    for (const n of names) expect(n).toMatch(/^relay-secrets-[0-9a-f]{8}$/);
    // The ledger records labels only.
    const ledger = s1.resources.find((r) => r.type.endsWith(":SigningKeyLedger"))!;
    expect(ledger.inputs).toEqual(expect.objectContaining({ at: AT, current: "1", next: "2" }));
  });

  it("a stack config that retires the only key fails the plan, naming the field and the fix", async () => {
    const err = await bridge("prod", { current: "1", retiring: "1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect(String((err as ProgramError).message) + (err as ProgramError).errors.join("\n")).toMatch(
      /signingKeys.*relayer-key.*retiring: '1' is the current key, the only one that signs/s,
    );
  });
});

describe("bridge-relay x dev and local: the raw key stays for development, marked secret", () => {
  it("dev (single host): 32 random bytes per key label, secret in state and in Secrets Manager; the container gets both keys during the overlap", async () => {
    const inv = await bridge("dev", issue);
    const gens = inv.resources.filter((r) => r.type === "random:index/randomBytes:RandomBytes" && r.name.includes("relayer-key"));
    expect(gens.map((g) => [g.name, g.inputs.length, g.inputs.keepers])).toEqual([
      ["dev-secrets-relayer-key-1", 32, { label: "1" }],
      ["dev-secrets-relayer-key-2", 32, { label: "2" }],
    ]);
    const versions = inv.resources.filter((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion" && r.name.includes("relayer-key"));
    expect(versions).toHaveLength(2);
    for (const v of versions) expect(v.secretPaths).toContain("secretString");
    expect(inv.resources.some((r) => r.type === "aws:kms/key:Key" && r.inputs.keyUsage === "SIGN_VERIFY")).toBe(false);
    // The scan that finds nothing on the KMS path finds the raw keys here (it would catch a leak).
    expect(privateKeyShapedLeaves(inv).some((p) => p.includes("dev-secrets-relayer-key-1 outputs.hex"))).toBe(true);
    const relay = inv.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "dev-app-relay-0")!;
    const env = Object.fromEntries((relay.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    // The container gets both keys during the overlap (the current one signs), as the mocked generators produced them.
    const hex = (label: string) =>
      String(computedOutputs("random:index/randomBytes:RandomBytes", `dev-secrets-relayer-key-${label}`, { length: 32 }, "us-east-1").hex);
    expect(env.RELAYER_PRIVATE_KEY).toBe(hex("1"));
    expect(env.RELAYER_PRIVATE_KEY_NEXT).toBe(hex("2"));
    expect(env.RELAYER_PRIVATE_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(relay.secretPaths).toContain("envs");
  });

  it("local: the same two phases with raw keys, written as the relay's Secret directly", async () => {
    const inv = await bridge("local", promote);
    const secret = crs(inv, "Secret").find((r) => String(getPath(r.inputs, "metadata.name")).startsWith("relay-secrets-"))!;
    expect(Object.keys(getPath(secret.inputs, "stringData") as object)).toEqual(
      expect.arrayContaining(["RELAYER_PRIVATE_KEY", "RELAYER_PRIVATE_KEY_RETIRING"]),
    );
    expect(secret.secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
  });
});
