/**
 * The composers on a real blueprint (bridge-relay) across tiers: staging/prod get Monitoring (Helm)
 * and Secrets with ESO; dev (droplet) gets HostMonitoring and Secrets Manager only; local gets the
 * plain-manifest Prometheus and ClusterSecrets. Every run is secret-scanned.
 */
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatLeaks, scanForSecretLeaks } from "../../components/secrets/scan";
import { keySetDigest } from "../../components/secrets/signing";
import { composeMonitoring } from "../../stacks/compose/monitoring";
import { composeEncryption, composeSecrets } from "../../stacks/compose/secrets";
import type { Context } from "../../stacks/context";
import { loadSpec } from "../../stacks/spec/load";
import type { Inventory } from "../../tools/harness/inventory";
import { getPath, runProgram } from "../../tools/harness/run";
import { runPolicies } from "../../policies/lib/runner";
import { ISSUER, knownSecrets, NOW, OIDC_ARN } from "./fixtures";

/** Mandatory policy violations on resources of the monitoring and secrets components. */
async function ownViolations(inv: Inventory, tier: "dev" | "staging" | "prod"): Promise<string[]> {
  const report = await runPolicies(inv, { tier });
  return (
    report.violations
      .filter((v) => v.enforcementLevel === "mandatory" && /platform:(monitoring|secrets):/.test(v.urn ?? ""))
      // The monitoring namespace (its labels and NetworkPolicies) belongs to the cluster component, absent here.
      .filter((v) => !/namespace 'monitoring'/.test(v.message))
      .map((v) => `${v.policyName}: ${v.resourceName ?? ""}: ${v.message}`)
  );
}

const API_KEY = "fake-node-provider-key-for-tests";

function context(tier: "local" | "dev" | "staging" | "prod"): Context {
  const config: Record<string, unknown> = {
    tier,
    blueprint: "bridge-relay",
    domain: `${tier}.example.com`,
    secrets: tier === "local" ? {} : { nodeProviderApiKey: API_KEY },
    ...(tier === "local" ? { cluster: { mode: "existing", renderDir: "rendered/local" } } : {}),
    ...(tier === "dev" ? { host: { sshAllowList: ["203.0.113.7/32"] } } : {}),
    ...(tier === "staging" || tier === "prod" ? { certificates: { email: "platform@example.com" }, route53ZoneId: "Z0123456789ABCDEFGHIJ" } : {}),
    alertEmail: "oncall@example.com",
    // staging and prod refuse a stack whose alerts reach nobody (platform:alerting.receivers).
    ...(tier === "staging" || tier === "prod"
      ? {
          alerting: { receivers: [{ name: "oncallHook", type: "webhook" }], routes: { critical: ["oncallHook"], warning: ["oncallHook"] } },
          alertingSecrets: { oncallHook: "https://hooks.example.invalid/fake-test-webhook" },
        }
      : {}),
    ...(tier === "local"
      ? {}
      : {
          delivery: {
            repository: "acme/platform",
            connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/0f1e2d3c-4b5a-4697-8877-665544332211",
          },
        }),
  };
  const spec = loadSpec({ stack: tier, config });
  const rnd = new random.Provider("random", {});
  const providers: Context["providers"] = { random: rnd, ...(tier === "local" ? {} : { aws: new aws.Provider("aws", { region: "us-east-1" }) }) };
  const humanSecrets = {
    nodeProviderApiKey:
      tier === "local" ? new random.RandomPassword("local-key", { length: 32, special: false }, { provider: rnd }).result : pulumi.secret(API_KEY),
  };
  const ctx: Context = { spec, providers, humanSecrets };
  const namespaces = { ingress: "ingress", apps: "apps", data: "data", monitoring: "monitoring" };
  if (tier === "dev") {
    ctx.host = {
      provider: new docker.Provider("droplet", { host: "ssh://deploy@203.0.113.10" }),
      networkName: pulumi.output("relay-edge"),
      publicIp: pulumi.output("203.0.113.10"),
    };
  } else {
    ctx.cluster = {
      provider: new k8s.Provider("k8s", { renderYamlToDirectory: mkdtempSync(join(tmpdir(), "compose-")) }),
      namespaces,
      ...(tier === "local" ? {} : { oidcProviderArn: pulumi.output(OIDC_ARN), oidcIssuer: pulumi.output(ISSUER), apiServerCidrs: ["10.20.0.0/16"] }),
      rendered: true,
    };
  }
  return ctx;
}

async function compose(tier: "local" | "dev" | "staging" | "prod", preview = false): Promise<Inventory> {
  return runProgram(
    () => {
      const ctx = context(tier);
      const enc = composeEncryption(ctx);
      if (enc.kmsKeyArn) ctx.kmsKeyArn = enc.kmsKeyArn;
      const conn = pulumi.secret({
        host: "relay-db.internal",
        readerHost: "relay-db-ro.internal",
        port: 5432,
        database: "relay",
        username: "relay",
        password: "fake-password-for-tests-0001",
        sslmode: "verify-full",
        url: "postgresql://relay:fake-password-for-tests-0001@relay-db.internal:5432/relay?sslmode=verify-full",
      });
      const mon = composeMonitoring(ctx, { hostContainerName: (svc, i) => `relay-app-${svc}-${i}` });
      const sec = composeSecrets(
        ctx,
        { dataStores: { "postgres/relay": conn }, ...(mon.grafanaAdminPassword ? { grafanaAdminPassword: mon.grafanaAdminPassword } : {}) },
        { nowMs: NOW },
      );
      return {
        note: mon.note,
        serviceMonitors: mon.serviceMonitors,
        existingSecrets: sec.existingSecrets,
        rotation: sec.rotation,
        relayKey: sec.resolveSecret("relay", "dataStore:postgres/relay#readerUrl"),
      };
    },
    {
      preview,
      stack: tier,
      // The receiver's secret, as `pulumi config set --secret --path platform:alertingSecrets.oncallHook` gives it.
      ...(tier === "staging" || tier === "prod"
        ? {
            config: { "platform:alertingSecrets": JSON.stringify({ oncallHook: "https://hooks.example.invalid/fake-test-webhook" }) },
            secretKeys: ["platform:alertingSecrets"],
          }
        : {}),
    },
  );
}

const kind = (inv: Inventory, k: string) => inv.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: string }).kind === k);
const known = (inv: Inventory) => [
  ...knownSecrets(inv, {}),
  { label: "config nodeProviderApiKey", value: API_KEY },
  { label: "db password", value: "fake-password-for-tests-0001" },
];

describe("composeMonitoring + composeSecrets (bridge-relay)", () => {
  for (const tier of ["staging", "prod"] as const) {
    it(`${tier}: Helm monitoring at the tier's depth, Secrets Manager + ESO, the relay's ExternalSecret, no leak`, async () => {
      const inv = await compose(tier);
      const releases = inv.resources
        .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
        .map((r) => r.inputs.name)
        .sort();
      expect(releases).toEqual(["external-secrets", "fluent-bit", "kps", "loki"]); // bridge-relay: traces none
      const kps = inv.resources.find((r) => r.inputs.name === "kps")!;
      expect(getPath(kps.inputs, "values.prometheus.prometheusSpec.retention")).toBe(tier === "prod" ? "30d" : "15d");
      expect(getPath(kps.inputs, "values.prometheus.prometheusSpec.replicas")).toBe(tier === "prod" ? 2 : 1);
      expect(inv.outputs.serviceMonitors).toBe(true);
      const names = inv.resources
        .filter((r) => r.type === "aws:secretsmanager/secret:Secret")
        .map((r) => r.inputs.name)
        .sort();
      expect(names).toEqual([
        `platform/${tier}/config/nodeProviderApiKey`,
        `platform/${tier}/generated/relayer-key/1`,
        `platform/${tier}/platform/grafana-admin`,
        `platform/${tier}/postgres/relay`,
      ]);
      const policy = JSON.parse(inv.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && !r.name.endsWith("-signer"))!.inputs.policy as string);
      expect(policy.Statement[0].Resource).toHaveLength(names.length);
      const [es] = kind(inv, "ExternalSecret");
      expect(getPath(es!.inputs, "metadata.namespace")).toBe("apps");
      expect(getPath(es!.inputs, "spec.data")).toEqual([
        { secretKey: "DATABASE_URL", remoteRef: { key: `platform/${tier}/postgres/relay`, property: "url" } },
        { secretKey: "DATABASE_READ_URL", remoteRef: { key: `platform/${tier}/postgres/relay`, property: "readerUrl" } },
        { secretKey: "NODE_PROVIDER_API_KEY", remoteRef: { key: `platform/${tier}/config/nodeProviderApiKey` } },
        // The relayer key's current label (platform:signingKeys.relayer-key; default { current: "1" }).
        { secretKey: "RELAYER_PRIVATE_KEY", remoteRef: { key: `platform/${tier}/generated/relayer-key/1` } },
      ]);
      // The Secret's name carries the key set's digest: a rotation phase gives the relay a new Secret (a restart).
      expect(inv.outputs.existingSecrets).toEqual({ relay: `relay-secrets-${keySetDigest({ "relayer-key": { current: "1" } })}` });
      expect(inv.resources.find((r) => r.type === "aws:kms/key:Key")!.options.protect).toBe(tier === "prod");
      expect(await ownViolations(inv, tier)).toEqual([]);
      expect(formatLeaks(scanForSecretLeaks(inv, { knownSecrets: known(inv) }))).toBe("");
    });
  }

  it("droplet: DATABASE_READ_URL resolves to the stored connection's readerUrl, as a secret", async () => {
    const inv = await compose("dev");
    expect(inv.outputs.relayKey).toBe("postgresql://relay:fake-password-for-tests-0001@relay-db-ro.internal:5432/relay?sslmode=verify-full");
    expect(inv.secretOutputPaths).toContain("relayKey");
  });

  it("Kubernetes: refs of a service with an ExternalSecret are not resolved a second time", async () => {
    const inv = await compose("staging");
    expect(inv.outputs.relayKey).toBeUndefined();
  });

  it("dev (droplet): node-exporter/cAdvisor/Prometheus containers scraping the relay replicas; Secrets Manager without ESO", async () => {
    const inv = await compose("dev");
    const containers = inv.resources
      .filter((r) => r.type === "docker:index/container:Container")
      .map((r) => r.inputs.name)
      .sort();
    // Metrics (cAdvisor, node-exporter, Prometheus) and the host's logs (Fluent Bit → Loki).
    expect(containers).toEqual([
      "dev-monitoring-cadvisor",
      "dev-monitoring-fluent-bit",
      "dev-monitoring-loki",
      "dev-monitoring-node-exporter",
      "dev-monitoring-prometheus",
    ]);
    const prom = inv.resources.find((r) => r.inputs.name === "dev-monitoring-prometheus")!;
    expect(JSON.stringify(prom.inputs.uploads)).toContain("relay-app-relay-0:9090");
    expect(inv.resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release")).toBe(false);
    expect(inv.resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret").length).toBe(3);
    expect(inv.outputs.existingSecrets).toEqual({});
    expect(await ownViolations(inv, "dev")).toEqual([]);
    expect(formatLeaks(scanForSecretLeaks(inv, { knownSecrets: known(inv) }))).toBe("");
  });

  it("local: plain-manifest Prometheus and plain Secrets with the same names, nothing fetched, no cloud", async () => {
    const inv = await compose("local");
    expect(inv.resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release" || r.type.startsWith("aws:"))).toBe(false);
    expect(inv.outputs.note).toMatch(
      /^local tier: plain-manifest Prometheus .*Grafana, Alertmanager and tracing are skipped.*logs: Fluent Bit on every node → plain-manifest Loki/,
    );
    expect(inv.outputs.serviceMonitors).toBe(false);
    const secret = kind(inv, "Secret").find(
      (r) => getPath(r.inputs, "metadata.name") === `relay-secrets-${keySetDigest({ "relayer-key": { current: "1" } })}`,
    )!;
    expect(getPath(secret.inputs, "metadata.namespace")).toBe("apps");
    expect(secret.secretPaths).toContain("stringData");
    expect(await ownViolations(inv, "dev")).toEqual([]);
    expect(formatLeaks(scanForSecretLeaks(inv, { knownSecrets: known(inv) }))).toBe("");
  });

  it("preview mode plans too (unknown ARNs)", async () => {
    const inv = await compose("prod", true);
    expect(inv.resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret").length).toBe(4);
    expect(formatLeaks(scanForSecretLeaks(inv, { knownSecrets: known(inv) }))).toBe("");
  });
});
