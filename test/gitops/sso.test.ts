// Argo CD single sign-on from stack config (issue 17, "SSO-ready config"): `platform:argocd.sso`
// (issuer, clientId, groups) and the client secret from `pulumi config set --secret --path
// platform:argocd.sso.clientSecret`. Before this, components/gitops took SSO settings but nothing
// passed them: Argo CD always ran with the bootstrap admin account and no OIDC. The spec validates
// the keys (each error names the key and the fix); the program puts the client secret into its
// own Secret, referenced from oidc.config, never into the chart's values.
import { describe, expect, it } from "vitest";
import { platformConfigFromRaw, loadSpec } from "../../stacks/spec/load";
import { blueprintStackInput, runStackInput, type StackInput } from "../../tools/harness/stacks";

const BP = "music-platform-gitops";
const SECRET = "fake-client-secret-for-tests";
const SSO = { issuer: "https://login.example.com/realms/platform", clientId: "argocd", deployerGroups: ["music-deployers"] };

function withArgocd(tier: "staging" | "prod", argocd: unknown, blueprint = BP): StackInput {
  const input = blueprintStackInput(blueprint, tier);
  return { ...input, config: { ...input.config, "platform:argocd": JSON.stringify(argocd) }, secretKeys: [...input.secretKeys, "platform:argocd"] };
}

function spec(input: StackInput) {
  return loadSpec({ stack: input.stack, config: platformConfigFromRaw(input.config) });
}

describe("platform:argocd.sso: validated stack keys", () => {
  it("reach the spec: issuer, client id, groups, and whether a client secret is set (never its value)", () => {
    const s = spec(withArgocd("prod", { sso: { ...SSO, clientSecret: SECRET } }));
    expect(s.argocd).toEqual({ sso: { ...SSO, clientSecret: true } });
    expect(JSON.stringify(s)).not.toContain(SECRET);
  });

  it.each([
    [{ sso: { ...SSO, issuer: "http://login.example.com" } }, /platform:argocd\.sso\.issuer[\s\S]*https:\/\//],
    [{ sso: { ...SSO, issuer: "https://login.example.com/?x=1" } }, /platform:argocd\.sso\.issuer/],
    [{ sso: { ...SSO, clientId: "argo cd" } }, /platform:argocd\.sso\.clientId[\s\S]*client id/],
    [{ sso: { ...SSO, clientSecret: "" } }, /platform:argocd\.sso\.clientSecret[\s\S]*pulumi config set --secret --path platform:argocd\.sso\.clientSecret/],
    [{ sso: { ...SSO, deployerGroups: ["a, b"] } }, /platform:argocd\.sso\.deployerGroups\[0\][\s\S]*commas/],
    [{ sso: { issuer: SSO.issuer } }, /platform:argocd\.sso\.clientId/],
    [{ sso: SSO, extra: 1 }, /platform:argocd[\s\S]*extra/],
  ])("refuses %j, naming the key", (argocd, message) => {
    expect(() => spec(withArgocd("prod", argocd))).toThrow(message);
  });

  it("refuses platform:argocd on a stack whose blueprint runs no Argo CD (push mode)", () => {
    expect(() => spec(withArgocd("prod", { sso: SSO }, "nuxt-fastify-beta-droplet"))).toThrow(
      /platform:argocd[\s\S]*GitOps tier[\s\S]*remove `platform:argocd`/,
    );
  });
});

describe("what the program registers (music-platform-gitops × prod, under the harness)", () => {
  it("with a client secret: oidc.config names issuer, client and the Secret reference; the admin account is off; the secret is only in argocd-oidc, as a secret", async () => {
    const run = await runStackInput(withArgocd("prod", { sso: { ...SSO, clientSecret: SECRET } }));
    const res = run.inventory.resources;
    const argo = res.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as { name?: string }).name === "argo-cd")!;
    const cm = (argo.inputs as any).values.configs.cm as Record<string, unknown>;
    expect(cm["admin.enabled"]).toBe(false);
    expect(String(cm["oidc.config"])).toContain(`issuer: ${SSO.issuer}`);
    expect(String(cm["oidc.config"])).toContain("clientID: argocd");
    expect(String(cm["oidc.config"])).toContain("clientSecret: $argocd-oidc:clientSecret");
    expect(String((argo.inputs as any).values.configs.rbac["policy.csv"])).toContain("g, music-deployers, role:music-platform-gitops-deployer");
    const secret = res.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs as any).metadata?.name === "argocd-oidc")!;
    expect((secret.inputs as any).metadata).toMatchObject({ namespace: "argocd", labels: { "app.kubernetes.io/part-of": "argocd" } });
    expect((secret.inputs as any).stringData.clientSecret).toBe(SECRET);
    expect(secret.secretPaths.filter((p) => p === "stringData" || p === "stringData.clientSecret")).not.toEqual([]);
    expect(argo.dependencies).toContain(secret.urn);
    const holders = res.filter((r) => JSON.stringify(r.inputs).includes(SECRET)).map((r) => r.urn);
    expect(holders).toEqual([secret.urn]);
  }, 180_000);

  it("without a client secret (public client, PKCE): no Secret, no clientSecret line", async () => {
    const run = await runStackInput(withArgocd("staging", { sso: SSO }));
    const res = run.inventory.resources;
    const argo = res.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as { name?: string }).name === "argo-cd")!;
    const oidc = String((argo.inputs as any).values.configs.cm["oidc.config"]);
    expect(oidc).toContain("enablePKCEAuthentication: true");
    expect(oidc).not.toContain("clientSecret");
    expect(res.some((r) => (r.inputs as any).metadata?.name === "argocd-oidc")).toBe(false);
  }, 180_000);
});
