/**
 * The secret scan: every resource input and every stack output of an inventory is searched for
 * secret values (plain, base64, URL-encoded) outside a secret path. Clean programs must pass; each
 * fixture leak must be caught, and reports never contain the value.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { describe, expect, it } from "vitest";
import { Monitoring } from "../../components/monitoring";
import { ClusterSecrets } from "../../components/secrets/cluster";
import { formatLeaks, scanForSecretLeaks, type ScannableInventory } from "../../components/secrets/scan";
import type { Inventory } from "../../tools/harness/inventory";
import { runProgram } from "../../tools/harness/run";
import { knownSecrets, MAILGUN, providers, runOpts, secretsProgram } from "./fixtures";

const scan = (inv: Inventory, config?: Record<string, string>) => scanForSecretLeaks(inv, { knownSecrets: knownSecrets(inv, config) });

function cleanProgram() {
  const p = providers();
  const out = secretsProgram({}, p);
  const mon = new Monitoring(
    "mon",
    {
      stack: "test",
      namespace: "monitoring",
      mode: "helm",
      depth: "full",
      metricsRetentionDays: 30,
      logRetentionDays: 30,
      logs: true,
      traces: "tempo",
      scrapeNamespaces: ["apps"],
      services: [{ name: "api", namespace: "apps", metrics: true }],
    },
    { providers: { kubernetes: p.kubernetes, random: p.random } },
  );
  const local = new ClusterSecrets(
    "local",
    {
      entries: [{ id: "config/mailgunApiKey", source: "config", value: new pulumi.Config("platform").requireSecret("mailgun") }],
      generated: [{ name: "app-key" }],
      consumers: [
        {
          namespace: "apps",
          secretName: "api-secrets",
          data: [
            { key: "MAILGUN_KEY", entryId: "config/mailgunApiKey" },
            { key: "APP_KEY", entryId: "generated/app-key" },
          ],
        },
      ],
    },
    { providers: { kubernetes: p.kubernetes, random: p.random } },
  );
  return { ...out, grafanaAdmin: mon.grafanaAdminPassword, secretsWritten: local.secretNames };
}

describe("secret scan over real components", () => {
  for (const preview of [false, true]) {
    it(`Secrets + Monitoring + ClusterSecrets leak nothing (${preview ? "preview" : "update"})`, async () => {
      const inv = await runProgram(cleanProgram, runOpts(preview));
      const leaks = scan(inv);
      expect(formatLeaks(leaks)).toBe("");
      if (!preview) {
        // The scan had something to look for: generated and configured values sit at secret paths.
        expect(inv.resources.filter((r) => r.secretPaths.length > 0).length).toBeGreaterThan(5);
        expect(inv.secretOutputPaths).toContain("grafanaAdmin");
      }
    });
  }
});

describe("secret scan catches fixture leaks", () => {
  const leakyProgram = (leak: (pw: pulumi.Output<string>, cfg: pulumi.Output<string>, k: k8s.Provider) => unknown) => () => {
    const p = providers();
    const pw = new random.RandomPassword("db-password", { length: 40, special: false }, { provider: p.random }).result;
    // A proper secret use, so the value is also seen at a secret path.
    new k8s.core.v1.Secret("db", { metadata: { name: "db", namespace: "data" }, stringData: { password: pw } }, { provider: p.kubernetes });
    const cfg = new pulumi.Config("platform").requireSecret("mailgun");
    return leak(pw, cfg, p.kubernetes) ?? {};
  };

  it("a generated password copied into a ConfigMap (plain)", async () => {
    const inv = await runProgram(
      leakyProgram((pw, _c, k) => {
        new k8s.core.v1.ConfigMap("leak", { metadata: { name: "app-config", namespace: "apps" }, data: { DB_PASSWORD: pulumi.unsecret(pw) } }, { provider: k });
      }),
      runOpts(),
    );
    const leaks = scan(inv);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatchObject({ where: "input", path: "data.DB_PASSWORD", encoding: "plain" });
    expect(leaks[0]!.at).toMatch(/ConfigMap::leak$/);
  });

  it("base64-encoded into a ConfigMap's binaryData", async () => {
    const inv = await runProgram(
      leakyProgram((pw, _c, k) => {
        new k8s.core.v1.ConfigMap(
          "leak",
          { metadata: { name: "b", namespace: "apps" }, binaryData: { pw: pulumi.unsecret(pw).apply((v) => Buffer.from(v).toString("base64")) } },
          { provider: k },
        );
      }),
      runOpts(),
    );
    expect(scan(inv).map((l) => [l.path, l.encoding])).toEqual([["binaryData.pw", "base64"]]);
  });

  it("URL-encoded inside a connection string in an env var", async () => {
    const special = "fake p@ss/word-for-tests";
    const inv = await runProgram(
      leakyProgram((_pw, cfg, k) => {
        new k8s.core.v1.ConfigMap(
          "leak",
          {
            metadata: { name: "u", namespace: "apps" },
            data: { URL: pulumi.unsecret(cfg).apply((v) => `postgresql://app:${encodeURIComponent(v)}@db:5432/app`) },
          },
          { provider: k },
        );
      }),
      { ...runOpts(), config: { "platform:mailgun": special } },
    );
    const leaks = scan(inv, { "platform:mailgun": special });
    expect(leaks.map((l) => [l.path, l.encoding])).toEqual([["data.URL", "url"]]);
    expect(formatLeaks(leaks)).not.toContain(special);
    expect(formatLeaks(leaks)).not.toContain(encodeURIComponent(special));
  });

  it("a configured secret copied into a plain tag (never seen at a secret path; known from config)", async () => {
    const inv = await runProgram(
      leakyProgram((_pw, cfg, k) => {
        new k8s.core.v1.ConfigMap("leak", { metadata: { name: "t", namespace: "apps", annotations: { note: pulumi.unsecret(cfg) } } }, { provider: k });
      }),
      runOpts(),
    );
    const leaks = scan(inv);
    expect(leaks.map((l) => [l.path, l.secretFrom])).toEqual([["metadata.annotations.note", "config platform:mailgun"]]);
    expect(MAILGUN.length).toBeGreaterThan(0);
  });

  it("a stack output carrying a secret unwrapped", async () => {
    // (Under the SDK's mocks a RandomPassword's `result` is not marked secret — the engine applies
    // additionalSecretOutputs — so the proper output wraps it explicitly, as components do.)
    const inv = await runProgram(
      leakyProgram((pw) => ({ debug: pulumi.unsecret(pw), fine: pulumi.secret(pw) })),
      runOpts(),
    );
    expect(inv.secretOutputPaths).toEqual(["fine"]);
    const leaks = scan(inv);
    expect(leaks.map((l) => [l.where, l.path])).toEqual([["output", "debug"]]);
  });
});

describe("scanner unit behaviour", () => {
  const inv = (resources: ScannableInventory["resources"], outputs: Record<string, unknown> = {}, secretOutputPaths: string[] = []): ScannableInventory => ({
    resources,
    outputs,
    secretOutputPaths,
  });
  it("respects nested secret paths, quoted keys and ignores short constants", () => {
    const r = {
      urn: "u1",
      type: "t",
      inputs: { stringData: { "admin-user": "admin", "admin-password": "fake-password-for-tests", "a.b": "fake-other-secret-value" }, other: "admin" },
      secretPaths: ["stringData.admin-password", 'stringData["a.b"]'],
    };
    const leakFree = inv([r, { urn: "u2", type: "t", inputs: { note: "admin" }, secretPaths: [] }]);
    expect(scanForSecretLeaks(leakFree)).toEqual([]);
    const leaky = inv([r, { urn: "u2", type: "t", inputs: { list: [{ v: "x fake-password-for-tests y" }] }, secretPaths: [] }]);
    expect(scanForSecretLeaks(leaky)).toEqual([{ where: "input", at: "u2", path: "list[0].v", encoding: "plain", secretFrom: "u1#stringData.admin-password" }]);
    const quoted = inv([r, { urn: "u3", type: "t", inputs: { y: "fake-other-secret-value" }, secretPaths: [] }]);
    expect(scanForSecretLeaks(quoted).map((l) => l.secretFrom)).toEqual(['u1#stringData["a.b"]']);
  });
  it("a reviewed notSecret value under a secret path is not a needle", () => {
    const r = {
      urn: "u1",
      type: "t",
      inputs: { stringData: { username: "platform_app_user", password: "fake-password-for-tests" } },
      secretPaths: ["stringData"],
    };
    const other = { urn: "u2", type: "t", inputs: { env: "platform_app_user" }, secretPaths: [] };
    expect(scanForSecretLeaks(inv([r, other])).map((l) => l.path)).toEqual(["env"]);
    expect(scanForSecretLeaks(inv([r, other]), { notSecret: ["platform_app_user"] })).toEqual([]);
  });

  it("an IPv4 address inside a secret connection object is not a needle (shorter than 16)", () => {
    const r = {
      urn: "u1",
      type: "t",
      inputs: { connection: { host: "203.0.113.200", privateKey: "fake-private-key-for-tests-0001" } },
      secretPaths: ["connection"],
    };
    const dns = { urn: "u2", type: "t", inputs: { content: "203.0.113.200", key: "fake-private-key-for-tests-0001" }, secretPaths: [] };
    expect(scanForSecretLeaks(inv([r, dns])).map((l) => l.path)).toEqual(["key"]);
  });

  it("ignores the preview unknown sentinel", () => {
    const r = { urn: "u1", type: "t", inputs: { password: "<unknown>" }, secretPaths: ["password"] };
    expect(scanForSecretLeaks(inv([r, { urn: "u2", type: "t", inputs: { x: "<unknown>" }, secretPaths: [] }]), { minLength: 1 })).toEqual([]);
  });
});
