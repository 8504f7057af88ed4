// The dynamic hostile-order run (tools/cluster/hostile.ts), on a minimal careless program: the real
// engine and the real Kubernetes provider against the embedded control plane.
//  - directly, the careless program deploys: the provider retries "not found" for ~31 s and an idle
//    API server creates the Namespace and the CRD in milliseconds, so the mistake stays hidden;
//  - through the proxy, which holds every Namespace/CRD create for longer than that retry window,
//    it fails, every time, naming the objects and what they needed;
//  - with the dependencies declared it deploys through the same proxy.
// Binaries come from `npm run engine` (never built here).
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, missingBinaries, startControlPlane } from "../../tools/cluster/controlplane";
import { type HostileProxy, prerequisiteOf, startHostileProxy } from "../../tools/cluster/hostile";
import { ensureEngine, fixturesDir, workspace, type Workspace } from "../engine/engine";

let cp: ControlPlane | undefined;
let proxy: HostileProxy | undefined;
let ws: Workspace | undefined;
let dir: string | undefined;
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    const missing = missingBinaries();
    if (missing.length) throw new Error(`control plane binaries missing: ${missing.join(", ")}: run npm run engine`);
    ws = workspace(ensureEngine().bin);
    dir = mkdtempSync(join(tmpdir(), "hostile-test-"));
    cp = await startControlPlane({ dir });
    proxy = await startHostileProxy(cp);
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
}, 180_000);

afterAll(async () => {
  await proxy?.stop();
  await cp?.stop();
  ws?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function stack(name: string, kubeconfigPath: string, declare: boolean): Promise<[string, string]> {
  if (setupError) throw setupError;
  const project = ws!.project(join(fixturesDir, "careless-order"), name);
  for (const args of [
    ["stack", "init", name, "--secrets-provider", "passphrase"],
    ["config", "set", "kubeconfigPath", kubeconfigPath, "--stack", name],
    ["config", "set", "declareDependencies", String(declare), "--stack", name],
  ]) {
    const r = await ws!.pulumi(args, project);
    expect(r.code, r.output).toBe(0);
  }
  return [project, name];
}

const up = ([project, name]: [string, string]) =>
  ws!.pulumi(["up", "--stack", name, "--yes", "--skip-preview", "--skip-plugin-pre-install"], project, 5 * 60_000);
const destroy = ([project, name]: [string, string]) =>
  ws!.pulumi(["destroy", "--stack", name, "--yes", "--skip-preview", "--skip-plugin-pre-install"], project, 5 * 60_000);

describe("hostile order, for real: prerequisites held back past the provider's retry window", () => {
  it("holds only creates of Namespaces and CRDs, never reads, deletes or dry runs", () => {
    expect(prerequisiteOf("PATCH", "/api/v1/namespaces/team?fieldManager=pulumi&force=true")).toEqual({ kind: "Namespace", name: "team" });
    expect(prerequisiteOf("POST", "/api/v1/namespaces")).toEqual({ kind: "Namespace", name: "(from body)" });
    expect(prerequisiteOf("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")?.kind).toBe("CustomResourceDefinition");
    expect(prerequisiteOf("PATCH", "/api/v1/namespaces/team?dryRun=All&fieldManager=pulumi")).toBeUndefined();
    expect(prerequisiteOf("PATCH", "/api/v1/namespaces/team/configmaps/settings")).toBeUndefined();
    expect(prerequisiteOf("GET", "/api/v1/namespaces/team")).toBeUndefined();
    expect(prerequisiteOf("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")).toBeUndefined();
  });

  it(
    "directly against the API server, the careless program deploys: luck and retries hide the mistake",
    async () => {
      const project = await stack("direct", cp!.kubeconfigPath, false);
      const r = await up(project);
      expect(r.code, r.output).toBe(0);
      const d = await destroy(project);
      expect(d.code, d.output).toBe(0);
    },
    10 * 60_000,
  );

  it(
    "through the proxy, the careless program fails every time, naming each object and what it needed",
    async () => {
      const project = await stack("careless", proxy!.kubeconfigPath, false);
      const before = proxy!.held.length;
      const r = await up(project);
      expect(r.code, r.output).not.toBe(0);
      expect(r.output).toMatch(/kubernetes:core\/v1:ConfigMap[\s\S]*namespaces "team" not found/);
      expect(r.output).toMatch(/no matches for kind "Widget" in version "example.com\/v1"/);
      const held = proxy!.held.slice(before).map((h) => `${h.kind} ${h.name}`);
      expect(held).toEqual(expect.arrayContaining(["Namespace team", "CustomResourceDefinition widgets.example.com"]));
      const d = await destroy(project);
      expect(d.code, d.output).toBe(0);
    },
    10 * 60_000,
  );

  it(
    "with its dependencies declared, the same program deploys through the proxy",
    async () => {
      const project = await stack("declared", proxy!.kubeconfigPath, true);
      const started = Date.now();
      const r = await up(project);
      expect(r.code, r.output).toBe(0);
      // It really waited for the held creates (one hold each for the Namespace and the CRD, in parallel).
      expect(Date.now() - started).toBeGreaterThanOrEqual(proxy!.holdMs);
      const d = await destroy(project);
      expect(d.code, d.output).toBe(0);
    },
    10 * 60_000,
  );
});

/** POST a minimal CRD through a proxy, as Helm's crds/ install does (one create after another). */
function createCrd(url: string, plural: string): Promise<{ status: number; ms: number }> {
  const body = JSON.stringify({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.chain.example.com` },
    spec: {
      group: "chain.example.com",
      scope: "Namespaced",
      names: { plural, singular: plural.replace(/s$/, ""), kind: plural[0]!.toUpperCase() + plural.slice(1, -1) },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  });
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`,
      { method: "POST", ca: cp!.caPem, headers: { authorization: `Bearer ${cp!.adminToken}`, "content-type": "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - t0 }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("hostile order: Helm's sequential CRD install is held once per chain, not once per file", () => {
  it("the first CRD create of a chain is held, the next ones (each right after the previous response) pass, a CRD create after a pause is held again", async () => {
    if (setupError) throw setupError;
    const chain = await startHostileProxy(cp!, { holdMs: 1500, chainGapMs: 400 });
    try {
      const first = await createCrd(chain.url, "alphas");
      const second = await createCrd(chain.url, "betas");
      const third = await createCrd(chain.url, "gammas");
      await new Promise((r) => setTimeout(r, 1200));
      const later = await createCrd(chain.url, "deltas");
      expect([first.status, second.status, third.status, later.status]).toEqual([201, 201, 201, 201]);
      expect(first.ms).toBeGreaterThanOrEqual(1500);
      expect(second.ms).toBeLessThan(1500);
      expect(third.ms).toBeLessThan(1500);
      expect(later.ms).toBeGreaterThanOrEqual(1500);
      expect(chain.held.map((h) => h.name)).toEqual(["alphas.chain.example.com", "deltas.chain.example.com"]);
      expect(chain.chained.map((h) => h.name)).toEqual(["betas.chain.example.com", "gammas.chain.example.com"]);
    } finally {
      await chain.stop();
    }
  }, 60_000);
});
