// GitOps and progressive delivery, for real where it can be real:
//  1. the generated deploy chart renders with the real `helm template`, and per environment its
//     objects equal the objects push mode registers (same Service planner);
//  2. on the embedded control plane (tools/cluster), the pinned argo-cd and argo-rollouts charts
//     install from the offline mirror with the program's values, their CRDs become Established,
//     and the API server admits the AppProject, the Application and every Rollout /
//     AnalysisTemplate / TraefikService / IngressRoute the program produces (CRD schemas).
// Not proven here: the controllers reconciling. Their images cannot run (no registry; KWOK fakes
// pods); the controllers built from Go modules run as processes against the control plane in
// rollouts.real.test.ts (Argo Rollouts: canary steps, abort, blue-green, analysis on a real
// Prometheus) and argocd.real.test.ts (Argo CD: an Application syncs the generated chart from a
// Git repository on loopback, a release and its git revert).
// Runs inside `unshare -n` (node scripts/test.mjs test/gitops); fails, never skips, without binaries.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_PINS, pinId, readDirectoryMirror } from "../../components/charts";
import { appProject, application, argoCdValues, argoRolloutsValues, defaultSso } from "../../components/gitops/plan";
import { type DeployObject, generateDeployRepo, parseStream, writeRepo } from "../../scripts/gitops-lib";
import { type ControlPlane, defaultBinDir, missingBinaries, startControlPlane } from "../../tools/cluster/controlplane";
import { type KubeClient, waitFor } from "../../tools/cluster/kube";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const BLUEPRINT = "music-platform-gitops";
const MIRROR = CHARTS_MIRROR;
const HELM = join(defaultBinDir(), "helm");
const norm = (o: unknown) => JSON.parse(JSON.stringify(o));
const key = (m: any) => `${m.apiVersion} ${m.kind} ${m.metadata?.namespace ?? ""}/${m.metadata?.name}`;

let repoDir: string;
let objects: Record<string, DeployObject[]>;

beforeAll(async () => {
  repoDir = mkdtempSync(join(tmpdir(), "gitops-repo-"));
  const repo = await generateDeployRepo(BLUEPRINT);
  writeRepo(repoDir, repo);
  objects = repo.objects;
}, 240_000);

afterAll(() => {
  if (repoDir) rmSync(repoDir, { recursive: true, force: true });
});

describe("the generated deploy repository (real helm template)", () => {
  it.each(["staging", "production"])("values-%s.yaml renders exactly the push-mode objects", (env) => {
    const out = execFileSync(
      HELM,
      ["template", "deploy", join(repoDir, "charts/normaldance"), "-f", join(repoDir, "charts/normaldance", `values-${env}.yaml`)],
      { encoding: "utf8" },
    );
    const rendered = parseStream(out).map(norm);
    const push = objects[env]!.map((o) => norm(o.manifest));
    expect(rendered.length).toBeGreaterThan(20);
    expect(rendered.map(key).sort()).toEqual(push.map(key).sort());
    const byKey = new Map(push.map((m) => [key(m), m]));
    for (const m of rendered) expect(m, key(m)).toEqual(byKey.get(key(m)));
  });

  it("a release is an image change in the values file: helm renders the new image into the Rollout only", () => {
    const dir = join(repoDir, "charts/normaldance");
    const bumped = readFileSync(join(dir, "values-production.yaml"), "utf8").replace(
      /^(  web: )ghcr\.io\/normaldance\/web:1\.0\.0$/m,
      "$1ghcr.io/normaldance/web:1.1.0",
    );
    writeFileSync(join(dir, "values-bumped.yaml"), bumped);
    const rendered = parseStream(execFileSync(HELM, ["template", "deploy", dir, "-f", join(dir, "values-bumped.yaml")], { encoding: "utf8" }));
    const images = rendered
      .filter((m) => m.spec?.template?.spec?.containers)
      .map((m) => `${m.kind}/${m.metadata.name}=${m.spec.template.spec.containers[0].image}`);
    expect(images).toContain("Rollout/web=ghcr.io/normaldance/web:1.1.0");
    expect(images).toContain("Rollout/api=ghcr.io/normaldance/api:1.0.0");
  });
});

// ------------------------------------------------------------------ the embedded control plane

let cp: ControlPlane;
let k: KubeClient;
let cpDir: string;
let setupError: Error | undefined;
const need = () => {
  if (setupError) throw setupError;
};

function helm(args: string[]): string {
  return execFileSync(HELM, [...args, "--kubeconfig", cp.kubeconfigPath], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
}

async function create(path: string, body: any): Promise<{ status: number; body: any }> {
  const r = await k.create(path, body);
  return { status: r.status, body: r.body };
}

const plural: Record<string, string> = {
  AppProject: "appprojects",
  Application: "applications",
  Rollout: "rollouts",
  AnalysisTemplate: "analysistemplates",
  TraefikService: "traefikservices",
  IngressRoute: "ingressroutes",
  Middleware: "middlewares",
};

describe("Argo CD and Argo Rollouts on the embedded control plane (CRDs and admission only)", () => {
  beforeAll(async () => {
    const missing = missingBinaries();
    if (missing.length) {
      setupError = new Error(`control plane binaries missing (bin dir ${defaultBinDir()}):\n  ${missing.join("\n  ")}\nbuild them with \`npm run engine\``);
      return;
    }
    cpDir = mkdtempSync(join(tmpdir(), "gitops-cp-"));
    try {
      cp = await startControlPlane({ dir: cpDir });
      k = cp.client;
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  }, 180_000);

  afterAll(async () => {
    await cp?.stop();
    if (cpDir) rmSync(cpDir, { recursive: true, force: true });
  }, 60_000);

  it("installs the pinned charts from the mirror with the program's values; every CRD is Established", async () => {
    need();
    const { mirror, problems } = readDirectoryMirror(MIRROR, [CHART_PINS.argoCd, CHART_PINS.argoRollouts]);
    expect(problems).toEqual([]);
    const archives = (mirror as { archives: Record<string, string> }).archives;
    const values = join(cpDir, "values");
    writeFileSync(`${values}-rollouts.json`, JSON.stringify(argoRolloutsValues({ replicas: 1 })));
    writeFileSync(
      `${values}-argocd.json`,
      JSON.stringify(
        argoCdValues({
          project: BLUEPRINT,
          url: "https://argocd.example.com",
          sso: { ...defaultSso(BLUEPRINT), issuer: "https://sso.example.com", clientId: "argocd" },
          replicas: 1,
        }),
      ),
    );
    helm(["install", "argo-rollouts", archives[pinId(CHART_PINS.argoRollouts)]!, "-n", "argo-rollouts", "--create-namespace", "-f", `${values}-rollouts.json`]);
    helm(["install", "argo-cd", archives[pinId(CHART_PINS.argoCd)]!, "-n", "argocd", "--create-namespace", "-f", `${values}-argocd.json`]);
    const crds = ["rollouts", "analysistemplates", "analysisruns", "applications", "appprojects"].map((n) => `${n}.argoproj.io`);
    for (const name of crds) {
      await waitFor(
        `CRD ${name} Established`,
        async () => {
          const r = await k.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
          return r.status === 200 && (r.body?.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True");
        },
        60_000,
      );
    }
    const cm = await k.get("/api/v1/namespaces/argocd/configmaps/argocd-rbac-cm");
    expect(cm.status).toBe(200);
    expect(cm.body.data["policy.default"]).toBe("");
    const argocdCm = await k.get("/api/v1/namespaces/argocd/configmaps/argocd-cm");
    expect(argocdCm.body.data["admin.enabled"]).toBe("false");
    expect(argocdCm.body.data["oidc.config"]).toContain("enablePKCEAuthentication: true");
  }, 400_000);

  it("the API server admits the AppProject, the Application and every Rollout, AnalysisTemplate and Traefik object of the deploy chart", async () => {
    need();
    // The Traefik CRDs of the pinned traefik chart (the music platform's ingress controller).
    const { mirror } = readDirectoryMirror(MIRROR, [CHART_PINS.traefik]);
    const traefikCrds = execFileSync(HELM, ["show", "crds", (mirror as { archives: Record<string, string> }).archives[pinId(CHART_PINS.traefik)]!], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    for (const crd of parseStream(traefikCrds)) expect((await create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).status).toBe(201);
    for (const n of ["traefikservices", "ingressroutes", "middlewares"]) {
      await waitFor(
        `CRD ${n}.traefik.io`,
        async () =>
          (await k.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}.traefik.io`)).body?.status?.conditions?.some(
            (c: any) => c.type === "Established" && c.status === "True",
          ),
        60_000,
      );
    }
    expect((await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } })).status).toBe(201);

    const sso = defaultSso(BLUEPRINT);
    const platform = [
      appProject({
        project: BLUEPRINT,
        namespace: "argocd",
        repoURL: "https://github.com/normaldance/deploy.git",
        destinationNamespace: "apps",
        description: "test",
        sso,
      }),
      application({
        name: `${BLUEPRINT}-production`,
        namespace: "argocd",
        project: BLUEPRINT,
        repoURL: "https://github.com/normaldance/deploy.git",
        path: "charts/normaldance",
        branch: "main",
        environment: "production",
        destinationNamespace: "apps",
      }),
    ];
    const fromChart = objects["production"]!.map((o) => o.manifest).filter((m) => plural[m.kind]);
    expect(fromChart.map((m) => m.kind).sort()).toEqual(
      expect.arrayContaining(["AnalysisTemplate", "AnalysisTemplate", "IngressRoute", "Rollout", "Rollout", "TraefikService"]),
    );
    const admitted: string[] = [];
    for (const m of [...platform, ...fromChart]) {
      const [group, version] = String(m.apiVersion).split("/");
      const ns = m.metadata.namespace;
      const r = await create(`/apis/${group}/${version}/namespaces/${ns}/${plural[m.kind]}`, m);
      expect(r.status, `${m.kind} ${m.metadata.name}: ${JSON.stringify(r.body).slice(0, 400)}`).toBe(201);
      admitted.push(`${m.kind}/${m.metadata.name}`);
    }
    expect(admitted).toEqual(
      expect.arrayContaining([
        "AppProject/music-platform-gitops",
        "Application/music-platform-gitops-production",
        "Rollout/web",
        "Rollout/api",
        "AnalysisTemplate/web-health",
        "TraefikService/web-weighted",
      ]),
    );
    // The schema rejects a malformed canary step, so admission above is meaningful.
    const bad = structuredClone(fromChart.find((m) => m.kind === "Rollout" && m.metadata.name === "web"))!;
    bad.metadata.name = "web-bad";
    bad.spec.strategy.canary.steps = [{ setWeight: "five percent" }];
    expect((await create("/apis/argoproj.io/v1alpha1/namespaces/apps/rollouts", bad)).status).toBe(422);
  }, 300_000);
});
