// Admission, in the music platform view's words ("Image Signing — Cosign for image signature
// verification; Admission controllers to enforce signed images") and the ("admission that
// only admits images from allowed registries"). Before this, any Pod with any image was admitted
// in every tier. The ClusterPolicies are checked here against the ClusterPolicy CRD schema of the
// pinned Kyverno chart (read from the mirror archive, unknown fields refused as the API server
// prunes them), Kyverno's values against the chart's values.yaml, and the chart rendered by the
// real helm; test/registry/admission.real.test.ts applies them to a real API server.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { CHART_PINS } from "../../components/charts";
import { imageAllowed, planImagePolicies, planKyverno, registryPattern } from "../../components/cluster/admission";
import { runPolicies } from "../../policies/lib/runner";
import { blueprintStackInput, runStackInput, specErrors, withConfig } from "../../tools/harness/stacks";
import { KUBE_VERSION, helmBinary, helmEnv, readChart, run, tmpHome, unknownValueKeys } from "../charts/helm";
import { crdSchemaCompiler } from "../charts/crd-schema";
import { COSIGN_PUB, KYVERNO_ARCHIVE, kyvernoCrds } from "./fixtures";

/** CRD patterns are Go regular expressions; the few JavaScript cannot compile are reported, not skipped silently. */
const uncompiled: string[] = [];
let cachedValidator: ((o: unknown) => string[]) | undefined;
function clusterPolicyValidator(): (o: unknown) => string[] {
  return (cachedValidator ??= compileClusterPolicyValidator());
}
function compileClusterPolicyValidator(): (o: unknown) => string[] {
  const crd = kyvernoCrds().find((c) => c.metadata.name === "clusterpolicies.kyverno.io");
  if (!crd) throw new Error(`no clusterpolicies.kyverno.io CRD in ${KYVERNO_ARCHIVE}`);
  const v = crd.spec.versions.find((x: any) => x.name === "v1" && x.served && x.storage);
  return crdSchemaCompiler((p) => uncompiled.push(p))(v.schema.openAPIV3Schema);
}

const ECR_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

describe("admission plan: ClusterPolicies from the allowed registries", () => {
  it("admits Pods in the services' namespaces only with images under an allowed registry (every container kind)", () => {
    const [cpol] = planImagePolicies({ namespaces: ["apps"], allowedRegistries: ["ghcr.io/acme", `${ECR_HOST}/shop`] });
    expect(cpol!.metadata.name).toBe("restrict-image-registries");
    const rule = cpol!.spec.rules[0];
    expect(rule.match).toEqual({ any: [{ resources: { kinds: ["Pod"], namespaces: ["apps"] } }] });
    expect(rule.validate.failureAction).toBe("Enforce");
    const image = `${ECR_HOST}/shop/* | ghcr.io/acme/*`;
    expect(rule.validate.pattern).toEqual({ spec: { "=(ephemeralContainers)": [{ image }], "=(initContainers)": [{ image }], containers: [{ image }] } });
    expect(cpol!.spec.webhookConfiguration).toEqual({ failurePolicy: "Fail", timeoutSeconds: 10 });
    // The same prefix rule the spec checks with: a registry is itself and what is under it, not a look-alike.
    expect(registryPattern("ghcr.io/acme")).toBe("ghcr.io/acme/*");
    expect(imageAllowed("ghcr.io/acme/api:1", ["ghcr.io/acme"])).toBe(true);
    expect(imageAllowed("ghcr.io/acme-evil/api:1", ["ghcr.io/acme"])).toBe(false);
    expect(imageAllowed("docker.io/library/nginx:1.27", ["ghcr.io/acme"])).toBe(false);
  });

  it("with a cosign key, a second policy verifies signatures of the signed registries, pins the digest, fails closed", () => {
    const policies = planImagePolicies({
      namespaces: ["apps"],
      allowedRegistries: ["ghcr.io/acme", ECR_HOST],
      signatures: { cosignPublicKey: COSIGN_PUB, signedRegistries: [ECR_HOST] },
    });
    expect(policies.map((p) => p.metadata.name)).toEqual(["restrict-image-registries", "verify-image-signatures"]);
    const v = policies[1]!.spec.rules[0].verifyImages[0];
    expect(v).toEqual({
      imageReferences: [`${ECR_HOST}/*`],
      type: "Cosign",
      failureAction: "Enforce",
      required: true,
      mutateDigest: true,
      verifyDigest: true,
      attestors: [{ count: 1, entries: [{ keys: { publicKeys: COSIGN_PUB } }] }],
    });
    expect(policies[1]!.spec.webhookConfiguration).toEqual({ failurePolicy: "Fail", timeoutSeconds: 30 });
  });

  it("every generated ClusterPolicy is valid against the pinned chart's ClusterPolicy CRD (no unknown or misspelled field)", () => {
    const validate = clusterPolicyValidator();
    const all = [
      ...planImagePolicies({ namespaces: ["apps"], allowedRegistries: ["ghcr.io/acme"] }),
      ...planImagePolicies({ namespaces: ["apps", "web"], allowedRegistries: ["ghcr.io/acme", ECR_HOST], signatures: { cosignPublicKey: COSIGN_PUB } }),
    ];
    for (const p of all) expect(validate(p), p.metadata.name).toEqual([]);
    expect(uncompiled, "CRD patterns JavaScript could not compile").toEqual([]);
    // The validator is not blind: a misspelled field and a wrong enum are refused.
    const bad = structuredClone(all[0]!);
    bad.spec.rules[0].validate.failureActon = "Enforce";
    bad.spec.rules[0].validate.failureAction = "Block";
    expect(validate(bad).join("; ")).toMatch(/failureActon.*|must be equal to one of the allowed values/);
    expect(validate(bad).length).toBeGreaterThanOrEqual(2);
  });

  it("refuses what would silently admit everything or nothing", () => {
    expect(() => planImagePolicies({ namespaces: ["apps"], allowedRegistries: [] })).toThrow(/name at least one registry/);
    expect(() => planImagePolicies({ namespaces: ["apps"], allowedRegistries: ["ghcr.io/*"] })).toThrow(/'ghcr.io\/\*' is not a registry host or host\/path/);
    expect(() => planImagePolicies({ namespaces: ["apps"], allowedRegistries: ["https://ghcr.io"] })).toThrow(/no scheme/);
    expect(() => planImagePolicies({ namespaces: ["apps"], allowedRegistries: ["ghcr.io"], signatures: { cosignPublicKey: "not a key" } })).toThrow(
      /cosign.pub/,
    );
    expect(() =>
      planImagePolicies({ namespaces: ["apps"], allowedRegistries: ["ghcr.io"], signatures: { cosignPublicKey: COSIGN_PUB, signedRegistries: ["quay.io"] } }),
    ).toThrow(/'quay.io' is not among admission.allowedRegistries/);
  });
});

describe("admission: the Kyverno chart", () => {
  it("is pinned to the mirror's 3.9.0 (Kyverno v1.19.0) and our values name only keys the chart reads", () => {
    expect(CHART_PINS.kyverno).toMatchObject({ chart: "kyverno", version: "3.9.0", repo: "https://kyverno.github.io/kyverno/" });
    const chart = readChart(KYVERNO_ARCHIVE);
    expect(chart.version).toBe("3.9.0");
    for (const replicas of [1, 3]) {
      const plan = planKyverno({ replicas, serviceMonitors: true, monitoringNamespace: "monitoring" });
      expect(unknownValueKeys(plan.values, chart)).toEqual([]);
    }
    expect(planKyverno({ replicas: 3, serviceMonitors: false, monitoringNamespace: "monitoring" }).values).toMatchObject({
      admissionController: { replicas: 3 },
      cleanupController: { enabled: false },
      features: { policyExceptions: { enabled: false } },
    });
  });

  it("renders with the real helm: the admission controller's Deployment with our replicas, no cleanup controller, the ClusterPolicy CRD", async () => {
    const helm = helmBinary();
    expect(helm.error, helm.error).toBeUndefined();
    const home = tmpHome("kyverno-render-");
    const plan = planKyverno({ replicas: 3, serviceMonitors: false, monitoringNamespace: "monitoring" });
    const values = path.join(home, "values.json");
    fs.writeFileSync(values, JSON.stringify(plan.values));
    const r = await run(
      helm.bin!,
      ["template", plan.name, KYVERNO_ARCHIVE, "--namespace", plan.namespace, "--kube-version", KUBE_VERSION, "--include-crds", "-f", values],
      helmEnv(home),
      300_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const objs = parseAllDocuments(r.stdout)
      .map((d) => d.toJS())
      .filter(Boolean) as Record<string, any>[];
    const deploys = objs.filter((o) => o.kind === "Deployment").map((o) => [o.metadata.name, o.spec.replicas]);
    expect(deploys).toContainEqual(["kyverno-admission-controller", 3]);
    expect(deploys.map((d) => d[0])).not.toContain("kyverno-cleanup-controller");
    expect(objs.some((o) => o.kind === "CustomResourceDefinition" && o.metadata.name === "clusterpolicies.kyverno.io")).toBe(true);
    expect(objs.some((o) => o.kind === "PodDisruptionBudget" && /admission-controller/.test(o.metadata.name))).toBe(true);
  }, 400_000);
});

describe("admission spec: clear errors before anything is registered", () => {
  it("refuses admission on local and on the single host, an image no allowed registry covers, a signed registry that is not allowed, a bad key", () => {
    expect(specErrors(withConfig(blueprintStackInput("nuxt-fastify-beta-droplet", "local"), { "platform:admission": {} }))).toContainEqual({
      path: "platform:admission",
      message: "the local tier installs no Helm charts (nothing may be fetched): remove platform:admission from this stack",
    });
    expect(specErrors(withConfig(blueprintStackInput("nuxt-fastify-beta-droplet", "dev"), { "platform:admission": {} }))).toContainEqual({
      path: "platform:admission",
      message: "admission policies run in a Kubernetes cluster; this stack runs on the single host: remove platform:admission",
    });
    const staging = blueprintStackInput("nuxt-fastify-beta-droplet", "staging");
    expect(specErrors(withConfig(staging, { "platform:admission": { allowedRegistries: ["quay.io/acme"] } }))).toEqual([
      {
        path: "platform:admission.allowedRegistries",
        message:
          "service 'api' runs ghcr.io/example/fastify-api:1.0.0, which no allowed registry covers (quay.io/acme): add ghcr.io/example or change the image",
      },
    ]);
    expect(
      specErrors(withConfig(staging, { "platform:admission": { signatures: { cosignPublicKey: COSIGN_PUB, signedRegistries: ["quay.io/acme"] } } })),
    ).toEqual([
      {
        path: "platform:admission.signatures.signedRegistries[0]",
        message: "'quay.io/acme' is not an allowed registry (ghcr.io/example): add it to platform:admission.allowedRegistries or remove it here",
      },
    ]);
    expect(specErrors(withConfig(staging, { "platform:admission": { signatures: { cosignPublicKey: "ssh-ed25519 AAAA" } } }))[0]).toMatchObject({
      path: "platform:admission.signatures.cosignPublicKey",
    });
    expect(specErrors(withConfig(staging, { "platform:admission": { allowedRegistries: ["ghcr.io/"] } }))[0]).toMatchObject({
      path: "platform:admission.allowedRegistries[0]",
    });
    expect(specErrors(withConfig(staging, { "platform:admission": {} }))).toEqual([]);
  });
});

describe("admission: what the program registers", () => {
  it("gateway-flutter-wasm × prod with the platform's ECR and a cosign key: Kyverno from the pinned chart, both ClusterPolicies on the apps namespace, after the release", async () => {
    const input = withConfig(blueprintStackInput("gateway-flutter-wasm", "prod"), {
      "platform:imageRegistry": { kind: "ecr", accountId: "123456789012" },
      "platform:admission": { signatures: { cosignPublicKey: COSIGN_PUB } },
    });
    const { inventory } = await runStackInput(input);
    const release = inventory.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kyverno");
    expect(release, "the kyverno release").toBeDefined();
    expect(release!.inputs.namespace).toBe("kyverno");
    expect(String(release!.inputs.chart)).toMatch(/kyverno/);
    expect(release!.inputs.version).toBe("3.9.0");
    const ns = inventory.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs.metadata as any).name === "kyverno");
    expect((ns!.inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const cpols = inventory.resources.filter((r) => r.type === "kubernetes:kyverno.io/v1:ClusterPolicy");
    expect(cpols.map((c) => (c.inputs.metadata as any).name).sort()).toEqual(["restrict-image-registries", "verify-image-signatures"]);
    const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    const restrict = cpols.find((c) => (c.inputs.metadata as any).name === "restrict-image-registries")!;
    const rule = (restrict.inputs.spec as any).rules[0];
    expect(rule.validate.pattern.spec.containers).toEqual([{ image: `${host}/gateway-flutter-wasm/prod/*` }]);
    expect(rule.match.any[0].resources.namespaces).toHaveLength(1);
    const verify = cpols.find((c) => (c.inputs.metadata as any).name === "verify-image-signatures")!;
    expect((verify.inputs.spec as any).rules[0].verifyImages[0].imageReferences).toEqual([`${host}/gateway-flutter-wasm/prod/*`]);
    for (const c of cpols) expect(c.dependencies ?? [], "each policy waits for the chart that serves its CRD").toContain(release!.urn);
    const validate = clusterPolicyValidator();
    for (const c of cpols)
      expect(validate({ apiVersion: "kyverno.io/v1", kind: "ClusterPolicy", metadata: c.inputs.metadata, spec: c.inputs.spec })).toEqual([]);
    // Kyverno's namespace is closed both ways; only the API server reaches the webhook (9443).
    const netpols = inventory.resources.filter(
      (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && (r.inputs.metadata as any).namespace === "kyverno",
    );
    expect(netpols.map((n) => (n.inputs.metadata as any).name).sort()).toEqual(["default-deny", "kyverno"]);
    const allow = netpols.find((n) => (n.inputs.metadata as any).name === "kyverno")!.inputs.spec as any;
    expect(allow.ingress[0].ports).toEqual([{ protocol: "TCP", port: 9443 }]);
    expect(allow.ingress[0].from.every((f: any) => typeof f.ipBlock?.cidr === "string" && f.ipBlock.cidr !== "0.0.0.0/0")).toBe(true);
    for (const n of netpols) expect(release!.dependencies).toContain(n.urn);
    // The policy pack with prod's config: what Kyverno and the registry add breaks no mandatory policy.
    const report = await runPolicies(inventory, { tier: "prod" });
    expect(
      report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName}: ${v.urn ?? ""} ${v.message}`.slice(0, 300)),
    ).toEqual([]);
  });

  it("without platform:admission no Kyverno and no ClusterPolicy", async () => {
    const { inventory } = await runStackInput(blueprintStackInput("gateway-flutter-wasm", "prod"));
    expect(
      inventory.resources.filter(
        (r) => r.type === "kubernetes:kyverno.io/v1:ClusterPolicy" || (r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kyverno"),
      ),
    ).toEqual([]);
  });
});
