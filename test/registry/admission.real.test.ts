// Image admission on a real API server: the pinned Kyverno chart (3.9.0, Kyverno v1.19.0) from
// the mirror, installed by the real helm with the program's values into the embedded control plane
// (tools/cluster: kube-apiserver v1.36.3, KWOK nodes), in a namespace labelled Pod Security
// `restricted` as the program creates it; then the ClusterPolicies exactly as the program plans them
// (gateway-flutter-wasm × prod with the platform's ECR registry and a cosign key) sent to that API
// server with `fieldValidation=Strict`: first as a server-side dry run, then created and read back.
//
// What this proves: the chart installs with our values on Kubernetes 1.36, its pods meet
// `restricted`, and the generated policies are valid ClusterPolicies by the CRD the chart installs
// (the API server's structural schema, unknown fields refused instead of pruned).
// What it does not: KWOK pods run no container, so Kyverno's admission logic (refusing a Pod from
// a foreign registry, checking a cosign signature) is not executed here; tools/cluster/README.md,
// "Admission webhooks". Runs inside `unshare -n` (node scripts/test.mjs test/registry/admission.real.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_PINS, pinId, readDirectoryMirror } from "../../components/charts";
import { KYVERNO_NAMESPACE, planKyverno } from "../../components/cluster/admission";
import { type ControlPlane, defaultBinDir, missingBinaries, startControlPlane } from "../../tools/cluster/controlplane";
import { type KubeClient, waitFor } from "../../tools/cluster/kube";
import { blueprintStackInput, runStackInput, withConfig } from "../../tools/harness/stacks";
import { COSIGN_PUB } from "./fixtures";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const MIRROR = CHARTS_MIRROR;
const BIN = defaultBinDir();
const HELM = join(BIN, "helm");
const CPOL = "/apis/kyverno.io/v1/clusterpolicies";

let dir: string | undefined;
let cp: ControlPlane | undefined;
let k: KubeClient;
let setupError: Error | undefined;
let policies: Record<string, any>[] = [];
let namespaceLabels: Record<string, string> = {};
let netpols: Record<string, any>[] = [];
const need = () => {
  if (setupError) throw setupError;
};

beforeAll(async () => {
  const missing = [...missingBinaries(), ...[HELM].filter((b) => !existsSync(b))];
  if (missing.length) {
    setupError = new Error(`binaries missing (bin dir ${BIN}):\n  ${missing.join("\n  ")}\nbuild them with \`npm run engine\``);
    return;
  }
  try {
    // The objects as the program plans them (the real program under mocks).
    const { inventory } = await runStackInput(
      withConfig(blueprintStackInput("gateway-flutter-wasm", "prod"), {
        "platform:imageRegistry": { kind: "ecr", accountId: "123456789012" },
        "platform:admission": { signatures: { cosignPublicKey: COSIGN_PUB } },
      }),
    );
    policies = inventory.resources
      .filter((r) => r.type === "kubernetes:kyverno.io/v1:ClusterPolicy")
      .map((r) => ({ apiVersion: "kyverno.io/v1", kind: "ClusterPolicy", metadata: r.inputs.metadata, spec: r.inputs.spec }));
    const ns = inventory.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs.metadata as any).name === KYVERNO_NAMESPACE);
    if (!ns || policies.length !== 2)
      throw new Error(`the program planned ${policies.length} ClusterPolicies and ${ns ? "a" : "no"} kyverno Namespace for gateway-flutter-wasm × prod`);
    namespaceLabels = (ns.inputs.metadata as any).labels;
    netpols = inventory.resources
      .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && (r.inputs.metadata as any).namespace === KYVERNO_NAMESPACE)
      .map((r) => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: r.inputs.metadata, spec: r.inputs.spec }));

    dir = mkdtempSync(join(tmpdir(), "admission-real-"));
    cp = await startControlPlane({ dir: join(dir, "cp") });
    k = cp.client;
    const { mirror, problems } = readDirectoryMirror(MIRROR, [CHART_PINS.kyverno]);
    if (problems.length) throw new Error(`chart mirror: ${problems.join("; ")}`);
    const archive = (mirror as { archives: Record<string, string> }).archives[pinId(CHART_PINS.kyverno)]!;
    await k.must("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: KYVERNO_NAMESPACE, labels: namespaceLabels } });
    for (const np of netpols) await k.must("POST", `/apis/networking.k8s.io/v1/namespaces/${KYVERNO_NAMESPACE}/networkpolicies?fieldValidation=Strict`, np);
    // prod's values; ServiceMonitors off: this control plane has no Prometheus Operator CRDs (the program installs them first).
    const plan = planKyverno({ replicas: 3, serviceMonitors: false, monitoringNamespace: "monitoring" });
    const values = join(dir, "values.json");
    writeFileSync(values, JSON.stringify(plan.values));
    execFileSync(HELM, ["install", plan.name, archive, "-n", plan.namespace, "-f", values, "--kubeconfig", cp.kubeconfigPath, "--timeout", "5m"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 400_000,
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
    if (cp) setupError.message += `\ncontrol plane logs:\n${cp.logs().slice(-3000)}`;
  }
}, 900_000);

afterAll(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("Kyverno on a real API server", () => {
  it("the pinned chart installs with the program's prod values: CRDs Established, 3 admission-controller pods admitted under Pod Security `restricted` and Ready", async () => {
    need();
    expect(namespaceLabels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(netpols.map((n) => n.metadata.name).sort()).toEqual(["default-deny", "kyverno"]);
    await waitFor(
      "clusterpolicies.kyverno.io Established",
      async () => {
        const r = await k.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterpolicies.kyverno.io");
        return r.status === 200 && (r.body?.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True");
      },
      60_000,
    );
    const dep = await waitFor(
      "kyverno-admission-controller 3/3 ready",
      async () => {
        const d = (await k.must("GET", `/apis/apps/v1/namespaces/${KYVERNO_NAMESPACE}/deployments/kyverno-admission-controller`)) as any;
        return d.status?.readyReplicas === 3 ? d : undefined;
      },
      180_000,
    );
    expect(dep.spec.replicas).toBe(3);
    const deployments = ((await k.must("GET", `/apis/apps/v1/namespaces/${KYVERNO_NAMESPACE}/deployments`)) as any).items
      .map((d: any) => d.metadata.name)
      .sort();
    expect(deployments).not.toContain("kyverno-cleanup-controller");
    // Every pod of the release exists (Pod Security admission refused none of them).
    const events = ((await k.must("GET", `/api/v1/namespaces/${KYVERNO_NAMESPACE}/events`)) as any).items.filter((e: any) =>
      /forbidden|violates PodSecurity/i.test(e.message ?? ""),
    );
    expect(events.map((e: any) => e.message)).toEqual([]);
  }, 300_000);

  it("the planned ClusterPolicies pass the API server's schema with fieldValidation=Strict (server-side dry run), are created, and read back unchanged", async () => {
    need();
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(["restrict-image-registries", "verify-image-signatures"]);
    for (const p of policies) {
      const dry = await k.request("POST", `${CPOL}?dryRun=All&fieldValidation=Strict`, p);
      expect(dry.status, `${p.metadata.name}: ${JSON.stringify(dry.body).slice(0, 800)}`).toBe(201);
      const made = await k.request("POST", `${CPOL}?fieldValidation=Strict`, p);
      expect(made.status, `${p.metadata.name}: ${JSON.stringify(made.body).slice(0, 800)}`).toBe(201);
      const back = (await k.must("GET", `${CPOL}/${p.metadata.name}`)) as any;
      // Nothing pruned: every field the program wrote is stored as written (the server may add defaults).
      expect(back.spec).toMatchObject(p.spec);
    }
  }, 120_000);

  it("the same API server refuses a misspelled field and a wrong enum in a ClusterPolicy (the check is not blind)", async () => {
    need();
    const bad = structuredClone(policies.find((p) => p.metadata.name === "restrict-image-registries")!);
    bad.metadata = { name: "misspelled" };
    bad.spec.rules[0].validate.failureActon = "Enforce";
    const r1 = await k.request("POST", `${CPOL}?dryRun=All&fieldValidation=Strict`, bad);
    expect(r1.status).toBe(400);
    expect(JSON.stringify(r1.body)).toMatch(/unknown field .*failureActon/);
    delete bad.spec.rules[0].validate.failureActon;
    bad.spec.rules[0].validate.failureAction = "Block";
    const r2 = await k.request("POST", `${CPOL}?dryRun=All&fieldValidation=Strict`, bad);
    expect(r2.status).toBe(422);
    // The Status message itself (JSON.stringify would escape its quotes).
    expect(String((r2.body as { message?: unknown }).message)).toMatch(
      /spec\.rules\[0\]\.validate\.failureAction: Unsupported value: "Block": supported values: "Audit", "Enforce"/,
    );
  }, 60_000);
});
