/**
 * The plain manifests this area renders (the local tier's Prometheus, the ESO namespace and its
 * NetworkPolicies, the dashboard ConfigMap shape) are valid against the upstream Kubernetes
 * OpenAPI schemas (kubernetes-models, offline). CRD instances (PrometheusRule, ClusterSecretStore,
 * ExternalSecret) have no schema there: their required fields are asserted by hand.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { prometheusRuleManifest } from "../../components/monitoring/alerts";
import { localManifests } from "../../components/monitoring/local";
import { clusterSecretStoreManifest, esoNamespaceManifests, externalSecretManifest } from "../../components/secrets/plan";

const req = createRequire(__filename);
function validate(m: any): void {
  const [g, v] = String(m.apiVersion).split("/");
  const mod = req(`kubernetes-models/${v ? `${g}/${v}` : g}/${m.kind}`);
  const Model = mod[m.kind] ?? mod.default;
  new Model(m).validate();
}

describe("rendered manifests match the Kubernetes OpenAPI schemas", () => {
  it("local-tier Prometheus and the ESO namespace + NetworkPolicies", () => {
    const local = localManifests({ stack: "local", namespace: "monitoring", scrapeNamespaces: ["apps", "monitoring"], depth: "basic", retentionDays: 1 });
    const eso = esoNamespaceManifests(["10.0.0.0/16"]);
    const all = [...Object.values(local), ...Object.values(eso)];
    expect(all.map((m) => m.kind).sort()).toEqual([
      "ClusterRole",
      "ClusterRoleBinding",
      "ConfigMap",
      "Deployment",
      "Namespace",
      "NetworkPolicy",
      "NetworkPolicy",
      "Service",
      "ServiceAccount",
    ]);
    for (const m of all) expect(() => validate(m), `${m.kind} ${m.metadata.name}`).not.toThrow();
  });

  it("a broken manifest is rejected (the validator is real)", () => {
    const local = localManifests({ stack: "local", namespace: "monitoring", scrapeNamespaces: ["apps"], depth: "basic", retentionDays: 1 });
    const broken = JSON.parse(JSON.stringify(local.deployment));
    broken.spec.replicas = "one";
    expect(() => validate(broken)).toThrow();
  });

  it("CRD instances carry the fields their operators require", () => {
    const rule = prometheusRuleManifest("platform-alerts", "monitoring", "full", { "platform.io/rules": "true" });
    for (const g of rule.spec.groups) for (const r of g.rules) expect(Object.keys(r).sort()).toEqual(["alert", "annotations", "expr", "for", "labels"]);
    const store = clusterSecretStoreManifest("us-east-1", ["apps"]);
    expect(store.metadata).toEqual({ name: "platform-secrets" });
    const es = externalSecretManifest("prod", { namespace: "apps", secretName: "api-secrets", data: [{ key: "K", entryId: "config/x" }] });
    expect(es.spec.target.creationPolicy).toBe("Owner");
    expect(es.spec.data[0]!.remoteRef.key).toBe("platform/prod/config/x");
  });
});
