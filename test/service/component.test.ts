/** The Service component through the harness: children named after the component, secrets stay secret. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Service } from "../../components/service";
import { RESOURCES } from "../../stacks/spec/tiers";
import { runProgram } from "../../tools/harness/run";
import { API, RELAY } from "./fixtures";

const base = {
  namespace: "apps",
  replicas: { min: 2, max: 6 },
  resources: RESOURCES.medium,
  autoscaling: true,
  disruptionBudgets: true,
  domain: "example.com",
  ingress: { controller: "traefik" as const, className: "traefik", clusterIssuer: "letsencrypt" },
  selfOrigin: "https://example.com",
};

describe("Service component", () => {
  it("two Services side by side: unique URNs, child names carry the component name, secret env stays secret", async () => {
    const inv = await runProgram(() => {
      const kubernetes = new k8s.Provider("k8s", { renderYamlToDirectory: mkdtempSync(join(tmpdir(), "svc-")) });
      const a = new Service(
        "svc-api",
        { ...base, spec: API, secretEnv: { DATABASE_URL: pulumi.secret("postgres://app:fake-password-for-tests@db/app") } },
        { providers: { kubernetes } },
      );
      new Service("svc-relay", { ...base, spec: RELAY, existingSecretName: "relay-external" }, { providers: { kubernetes } });
      return { hosts: a.hosts, host: a.clusterHost };
    });
    const children = inv.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
    for (const c of children) expect(c.name).toMatch(/^svc-(api|relay)-/);
    const secret = children.find((c) => c.type === "kubernetes:core/v1:Secret")!;
    expect(secret.name).toBe("svc-api-env-secret");
    expect(secret.secretPaths).toContain("stringData");
    expect(JSON.stringify(inv.outputs)).not.toContain("fake-password-for-tests");
    expect(inv.outputs).toMatchObject({ hosts: ["api.example.com"], host: "api.apps.svc.cluster.local" });
    const comps = inv.resources.filter((r) => r.type === "platform:service:Service");
    expect(comps.map((c) => c.name)).toEqual(["svc-api", "svc-relay"]);
  });

  it("rejects bad args with every field path, before any child", async () => {
    await expect(
      runProgram(() => {
        const kubernetes = new k8s.Provider("k8s", { renderYamlToDirectory: mkdtempSync(join(tmpdir(), "svc-")) });
        new Service("bad", { ...base, namespace: "Apps", replicas: { min: 3, max: 2 }, spec: { ...API, image: "api" } } as any, { providers: { kubernetes } });
        return {};
      }),
    ).rejects.toThrow(/spec\.image: must be an image reference[\s\S]*namespace[\s\S]*replicas/);
  });
});
