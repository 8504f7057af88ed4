// Traefik v3.7.13's own Kubernetes providers reading the objects our services composer plans, on
// the embedded control plane (tools/cluster).
//
// What is real: kube-apiserver/controller-manager/scheduler; the pinned traefik chart 41.3.0 from
// the mirror: its CRDs (`helm show crds`), and, rendered by the real helm with the program's values
// (components/cluster/addons.ts planAddons), its ServiceAccount, ClusterRole, ClusterRoleBinding and
// IngressClass, with the providers run under that ServiceAccount's token (so the chart's RBAC is
// what lets them read); the provider options are the chart's rendered container args
// (--providers.kubernetescrd.*, --providers.kubernetesingress.*); the Kubernetes CRD provider and
// the Kubernetes Ingress provider themselves (pkg/provider/kubernetes/crd and .../ingress, their own
// Init/Provide and client), in .engine/bin/traefik-crd (tools/engine/traefik; the full traefik
// binary cannot be built here: tools/engine/README.md, "Traefik"); the objects: exactly what the
// program plans for each blueprint whose spec picks the Traefik controller, on staging and prod
// (the services composer's objects through the real program, a GitOps blueprint in push mode as
// scripts/gitops-lib pushModeObjects plans it: Services, Ingresses, Middlewares, IngressRoutes,
// TraefikServices).
// What stands in: the TLS Secrets cert-manager would issue for each host (`tls-<host>`, a
// self-signed certificate for that host made here), and one EndpointSlice per Service with a ready
// address per port, as the EndpointSlice controller writes for running pods (no pods run here).
// What is not run: Traefik's server, which turns this configuration into routers (and drops a
// router whose middleware or service is missing): the test checks those references itself.
//
// Shown: every planned router exists with its rule, entry points, TLS certificate and middleware
// chain, every middleware it names exists, every service has its servers, and the providers log no
// error; and one negative case per class the providers catch: a cross-namespace middleware, a
// missing TLS Secret, a Service port that does not exist.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_PINS, pinId, readDirectoryMirror } from "../../components/charts";
import { planAddons } from "../../components/cluster/addons";
import { DEFAULT_POD_SECURITY, planNamespaces, roleNamespaceNames } from "../../components/cluster/namespaces";
import { parseStream, pushModeObjects, SERVICE_TYPE } from "../../scripts/gitops-lib";
import type { InventoryResource } from "../../tools/harness/inventory";
import { blueprintStackInput, runStackInput } from "../../tools/harness/stacks";
import { blueprintsDir } from "../../stacks/spec/load";
import { type ControlPlane, defaultBinDir, missingBinaries, startControlPlane } from "../../tools/cluster/controlplane";
import { type KubeClient, waitFor } from "../../tools/cluster/kube";
import { CHARTS_MIRROR } from "../../tools/harness/shared";
import * as http from "node:http";
import {
  logLines,
  providerFlagsFromChartArgs,
  type ProviderRun,
  runProviders,
  type ServeConfig,
  startTraefikServe,
  TRAEFIK_CRD,
  traefikMissing,
} from "./traefik";

const BIN = defaultBinDir();
const HELM = join(BIN, "helm");
const NS = "apps";
const TRAEFIK_NS = "traefik";
/** Warnings the chart's defaults make the providers log, each with why it is accepted. */
const ACCEPTED_WARNINGS: { re: RegExp; why: string }[] = [
  // The chart renders --providers.kubernetescrd.safeNaming=true only when its value is true
  // (default false), so SafeNaming is unset and the provider warns that it keeps the legacy names.
  { re: /SafeNaming is not explicitly set/, why: "chart 41.3.0 renders no safeNaming flag at its default (false): legacy router names, as documented" },
];

/** Blueprints whose spec picks the Traefik ingress controller (read from the committed or current blueprint files). */
function traefikBlueprints(): string[] {
  const dir = blueprintsDir();
  return ["music-platform-gitops", "gateway-flutter-wasm", "nuxt-fastify-beta-droplet", "axum-requirements-app", "bridge-relay"].filter((b) => {
    const f = join(dir, `${b}.yaml`);
    return existsSync(f) && (parse(readFileSync(f, "utf8")) as any)?.hosting?.kubernetes?.ingressController === "traefik";
  });
}

/**
 * The Kubernetes objects the services composer registers for `blueprint` on prod, through the real
 * program (tools/harness/stacks, mocks for the clouds): every custom resource whose parent is a
 * platform:service:Service component. Secrets are left out: their values are the program's, and
 * the providers only read the TLS Secrets (made below).
 */
/** Every (blueprint, tier) read here: each Traefik blueprint on the two tiers that run Kubernetes for all of them. */
const TIERS = ["staging", "prod"] as const;
const targets = (): string[] => traefikBlueprints().flatMap((b) => TIERS.map((t) => `${b} x ${t}`));
const MUSIC = "music-platform-gitops x prod";

async function plannedObjects(target: string): Promise<Record<string, any>[]> {
  const [blueprint, tier] = target.split(" x ") as [string, (typeof TIERS)[number]];
  // A GitOps blueprint's Service components register no objects (they go to the deploy
  // repository): the same blueprint in push mode registers exactly those (scripts/gitops-lib).
  const raw = parse(readFileSync(join(blueprintsDir(), `${blueprint}.yaml`), "utf8")) as any;
  if (raw?.delivery?.mode === "gitops") return (await pushModeObjects(blueprint, tier)).map((o) => o.manifest as Record<string, any>);
  const run = await runStackInput(blueprintStackInput(blueprint, tier));
  const res = run.inventory.resources as InventoryResource[];
  const services = new Set(res.filter((r) => r.type === SERVICE_TYPE).map((r) => r.urn));
  const out = res
    .filter((r) => r.parent && services.has(r.parent) && r.custom)
    .map((r) => r.inputs as Record<string, any>)
    .filter((m) => m["kind"] && m["kind"] !== "Secret");
  if (!out.some((m) => m["kind"] === "Ingress" || m["kind"] === "IngressRoute"))
    throw new Error(`${blueprint} on ${tier}: the services composer planned no Ingress or IngressRoute`);
  return out;
}

let cp: ControlPlane | undefined;
let k: KubeClient;
let dir = "";
let setupError: Error | undefined;
let kubeconfig = "";
let flags: string[] = [];
/** Entry points the chart's rendered container args define (--entryPoints.<name>.address). */
let chartEntryPoints: string[] = [];
/** The rendered Traefik Deployment's pod template (helm template of the pinned chart with the program's values). */
let traefikPod: any;
const planned = new Map<string, Record<string, any>[]>();
const runs = new Map<string, ProviderRun>();
/** PEM of each TLS Secret made for a blueprint's hosts, by Secret name. */
const pems = new Map<string, Map<string, string>>();
/** Provider runs of the negative cases, by namespace. */
const negatives = new Map<string, ProviderRun>();
const need = () => {
  if (setupError) throw setupError;
};

const plural = (kind: string) => `${kind.toLowerCase()}${kind.endsWith("s") ? "es" : "s"}`;
const base = (apiVersion: string) => (apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
const objPath = (o: Record<string, any>) => `${base(o["apiVersion"])}/namespaces/${o["metadata"].namespace}/${plural(o["kind"])}`;

async function create(o: Record<string, any>): Promise<void> {
  const r = await k.create(objPath(o), o);
  if (r.status !== 201)
    throw new Error(`creating ${o["kind"]} ${o["metadata"].namespace}/${o["metadata"].name}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
}
async function remove(o: Record<string, any>): Promise<void> {
  const r = await k.delete(`${objPath(o)}/${o["metadata"].name}`);
  if (r.status !== 200 && r.status !== 202 && r.status !== 404) throw new Error(`deleting ${o["kind"]} ${o["metadata"].name}: HTTP ${r.status}`);
}

/** A self-signed certificate for `host` as the kubernetes.io/tls Secret cert-manager would write. */
function tlsSecret(ns: string, name: string, host: string): Record<string, any> {
  const d = mkdtempSync(join(dir, "cert-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${host}`,
      "-addext",
      `subjectAltName=DNS:${host}`,
      "-keyout",
      join(d, "tls.key"),
      "-out",
      join(d, "tls.crt"),
    ],
    { stdio: "pipe" },
  );
  const b64 = (f: string) => readFileSync(join(d, f)).toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: { name, namespace: ns },
    data: { "tls.crt": b64("tls.crt"), "tls.key": b64("tls.key") },
  };
}

/** The container port a Service's named targetPort resolves to, from the planned workloads. */
function targetPort(objs: Record<string, any>[], svc: Record<string, any>, port: Record<string, any>): number {
  if (typeof port["targetPort"] === "number") return port["targetPort"];
  const selector = svc["spec"].selector ?? {};
  for (const w of objs.filter((o) => ["Deployment", "Rollout", "StatefulSet"].includes(o["kind"]))) {
    const labels = w["spec"]?.template?.metadata?.labels ?? {};
    if (!Object.entries(selector).every(([k2, v]) => labels[k2] === v)) continue;
    for (const c of w["spec"].template.spec.containers ?? []) {
      const p = (c.ports ?? []).find((x: any) => x.name === (port["targetPort"] ?? port["name"]));
      if (p) return p.containerPort;
    }
  }
  return port["port"];
}

/** One EndpointSlice per Service with one ready address, as the EndpointSlice controller writes for a running pod. */
function endpointSlice(objs: Record<string, any>[], svc: Record<string, any>, ip: string): Record<string, any> {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${svc["metadata"].name}-test`,
      namespace: svc["metadata"].namespace,
      labels: { "kubernetes.io/service-name": svc["metadata"].name, "endpointslice.kubernetes.io/managed-by": "platform-test" },
    },
    addressType: "IPv4",
    endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } }],
    ports: (svc["spec"].ports as any[]).map((p) => ({ name: p.name, port: targetPort(objs, svc, p), protocol: "TCP" })),
  };
}

/** [TLS Secret name, host] of each TLS entry of an Ingress or IngressRoute. */
const hostsOf = (o: Record<string, any>): [string, string][] =>
  o["kind"] === "Ingress"
    ? (o["spec"].tls ?? []).map((t: any) => [t.secretName, t.hosts[0]])
    : o["spec"].tls
      ? [[o["spec"].tls.secretName, /Host\(`([^`]+)`\)/.exec(o["spec"].routes[0].match)?.[1] ?? ""]]
      : [];

/** Applies the objects of one blueprint: Services (+ EndpointSlices), TLS Secrets, Traefik CRDs, Ingresses. */
async function applyPlanned(objs: Record<string, any>[], pem: Map<string, string> = new Map()): Promise<Record<string, any>[]> {
  const created: Record<string, any>[] = [];
  const add = async (o: Record<string, any>) => (await create(o), created.push(o));
  let n = 10;
  for (const svc of objs.filter((o) => o["kind"] === "Service")) {
    await add(svc);
    await add(endpointSlice(objs, svc, `10.244.1.${n++}`));
  }
  const secrets = new Map<string, string>();
  for (const o of objs.filter((x) => x["kind"] === "Ingress" || x["kind"] === "IngressRoute")) for (const [s, h] of hostsOf(o)) secrets.set(s, h);
  for (const [name, host] of secrets) {
    const secret = tlsSecret(NS, name, host);
    pem.set(name, Buffer.from(secret["data"]["tls.crt"], "base64").toString("utf8"));
    await add(secret);
  }
  for (const kind of ["Middleware", "TraefikService", "IngressRoute", "Ingress"]) for (const o of objs.filter((x) => x["kind"] === kind)) await add(o);
  return created;
}

beforeAll(async () => {
  const missing = [...missingBinaries(), ...(existsSync(HELM) ? [] : [HELM]), ...[traefikMissing()].filter((m): m is string => !!m)];
  if (missing.length) {
    setupError = new Error(`binaries missing (bin dir ${BIN}):\n  ${missing.join("\n  ")}\nbuild them with \`npm run engine\``);
    return;
  }
  dir = mkdtempSync(join(tmpdir(), "traefik-providers-"));
  try {
    if (!targets().includes(MUSIC)) throw new Error("music-platform-gitops no longer picks the Traefik controller: this test has nothing to read");
    for (const t of targets()) planned.set(t, await plannedObjects(t));
    cp = await startControlPlane({ dir: join(dir, "cp") });
    k = cp.client;
    const helm = (args: string[]) => execFileSync(HELM, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000, maxBuffer: 64 << 20 });

    // The pinned chart: CRDs, then its RBAC and IngressClass rendered with the program's values.
    const { mirror, problems } = readDirectoryMirror(CHARTS_MIRROR, [CHART_PINS.traefik]);
    if (problems.length) throw new Error(`chart mirror: ${problems.join("; ")}`);
    const archive = (mirror as { archives: Record<string, string> }).archives[pinId(CHART_PINS.traefik)]!;
    for (const crd of parseStream(helm(["show", "crds", archive]))) await k.must("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    for (const name of ["ingressroutes.traefik.io", "middlewares.traefik.io", "traefikservices.traefik.io", "tlsoptions.traefik.io"]) {
      await waitFor(
        `CRD ${name} Established`,
        async () => {
          const r = await k.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
          return r.status === 200 && (r.body?.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True");
        },
        60_000,
      );
    }
    const release = planAddons({
      controller: "traefik",
      namespaces: { ingress: TRAEFIK_NS, monitoring: "monitoring" },
      replicas: 1,
      serviceMonitors: false,
    }).find((r) => r.key === "traefik");
    if (!release) throw new Error("planAddons planned no traefik release for the Traefik controller");
    const values = join(dir, "values-traefik.json");
    writeFileSync(values, JSON.stringify(release.values));
    const rendered = parseStream(helm(["template", "traefik", archive, "-n", TRAEFIK_NS, "-f", values])) as Record<string, any>[];
    // The namespace carries the program's labels for the ingress role, Pod Security level included.
    const ingressNs = planNamespaces({ ...roleNamespaceNames(), ingress: TRAEFIK_NS }).find((n) => n.role === "ingress")!;
    await k.must("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: TRAEFIK_NS, labels: ingressNs.labels } });
    for (const kind of ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "IngressClass", "TLSOption"]) {
      const of = rendered.filter((x) => x["kind"] === kind);
      if (!of.length) throw new Error(`helm template of the traefik chart with the program's values rendered no ${kind}`);
      for (const o of of) {
        const path =
          kind === "ServiceAccount"
            ? `/api/v1/namespaces/${TRAEFIK_NS}/serviceaccounts`
            : kind === "IngressClass"
              ? "/apis/networking.k8s.io/v1/ingressclasses"
              : kind === "TLSOption"
                ? `/apis/traefik.io/v1alpha1/namespaces/${TRAEFIK_NS}/tlsoptions`
                : `/apis/rbac.authorization.k8s.io/v1/${plural(kind)}`;
        await k.must("POST", path, o);
      }
    }
    const dep = rendered.find((x) => x["kind"] === "Deployment");
    traefikPod = dep?.["spec"].template;
    const container = dep?.["spec"].template.spec.containers.find((c: any) => c.name === "traefik");
    if (!container) throw new Error("helm template of the traefik chart rendered no traefik container");
    flags = providerFlagsFromChartArgs(container.args as string[]);
    chartEntryPoints = (container.args as string[]).map((a) => /^--entryPoints\.([A-Za-z0-9_-]+)\.address=/.exec(a)?.[1]).filter((x): x is string => !!x);
    const sa = dep!["spec"].template.spec.serviceAccountName as string;
    const tr = await k.must("POST", `/api/v1/namespaces/${TRAEFIK_NS}/serviceaccounts/${sa}/token`, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    });
    kubeconfig = join(dir, "traefik.kubeconfig");
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "cp", cluster: { server: cp.url, "certificate-authority-data": Buffer.from(cp.caPem).toString("base64") } }],
        users: [{ name: sa, user: { token: tr.status.token } }],
        contexts: [{ name: "cp", context: { cluster: "cp", user: sa } }],
        "current-context": "cp",
      }),
      { mode: 0o600 },
    );

    // One blueprint at a time in the namespace the program plans (`apps`): apply, read, remove.
    await k.must("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    for (const [b, objs] of planned) {
      const pem = new Map<string, string>();
      pems.set(b, pem);
      const created = await applyPlanned(objs, pem);
      runs.set(b, await runProviders(kubeconfig, flags));
      for (const o of created.reverse()) await remove(o);
    }

    // Negative cases, each in its own namespace with its own provider run (watching only that
    // namespace), made from music-platform-gitops's planned objects with one thing broken.
    const music = planned.get(MUSIC)!;
    const pick = (kind: string, name: string) => {
      const o = music.find((x) => x["kind"] === kind && x["metadata"].name === name);
      if (!o) throw new Error(`${MUSIC}: no planned ${kind} ${name} (got ${music.map((x) => `${x["kind"]}/${x["metadata"].name}`).join(", ")})`);
      return structuredClone(o);
    };
    const moveTo = (o: Record<string, any>, ns: string) =>
      JSON.parse(JSON.stringify(o).split(`"namespace":"${NS}"`).join(`"namespace":"${ns}"`)) as Record<string, any>;
    const negative = async (ns: string, objs: Record<string, any>[]) => {
      await k.must("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
      for (const o of objs) await create(o);
      negatives.set(ns, await runProviders(kubeconfig, [...flags, `--namespaces=${ns}`]));
    };
    const withSlice = (svc: Record<string, any>, ip: string) => [svc, endpointSlice(music, svc, ip)];
    // (a) the web IngressRoute in another namespace, still naming its middlewares in `apps`.
    {
      const ir = moveTo(pick("IngressRoute", "web-web"), "neg-cross");
      for (const r of ir["spec"].routes) for (const m of r.middlewares ?? []) m.namespace = NS;
      const ts = moveTo(pick("TraefikService", "web-weighted"), "neg-cross");
      await negative("neg-cross", [
        ...withSlice(moveTo(pick("Service", "web"), "neg-cross"), "10.244.2.1"),
        ...withSlice(moveTo(pick("Service", "web-canary"), "neg-cross"), "10.244.2.2"),
        ts,
        tlsSecret("neg-cross", ir["spec"].tls.secretName, "app.example.com"),
        ir,
      ]);
    }
    // (b) the api Ingress without its TLS Secret.
    {
      const ing = moveTo(pick("Ingress", "api-api"), "neg-tls");
      await negative("neg-tls", [...withSlice(moveTo(pick("Service", "api"), "neg-tls"), "10.244.3.1"), ing]);
    }
    // (c) Service ports the routes cannot resolve: the api Service's `http` port renamed, and the
    //     web Services' port 3000 moved to 3001 under the weighted TraefikService.
    {
      const api = moveTo(pick("Service", "api"), "neg-port");
      for (const p of api["spec"].ports) if (p.name === "http") p.name = "web";
      const ing = moveTo(pick("Ingress", "api-api"), "neg-port");
      const web = ["web", "web-canary"].map((n) => moveTo(pick("Service", n), "neg-port"));
      for (const w of web) for (const p of w["spec"].ports) if (p.port === 3000) p.port = 3001;
      const ir = moveTo(pick("IngressRoute", "web-web"), "neg-port");
      for (const r of ir["spec"].routes) delete r.middlewares;
      await negative("neg-port", [
        ...withSlice(api, "10.244.4.1"),
        ...withSlice(web[0]!, "10.244.4.2"),
        ...withSlice(web[1]!, "10.244.4.3"),
        tlsSecret("neg-port", "tls-api.example.com", "api.example.com"),
        tlsSecret("neg-port", "tls-app.example.com", "app.example.com"),
        moveTo(pick("TraefikService", "web-weighted"), "neg-port"),
        ir,
        ing,
      ]);
    }
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
}, 900_000);

afterAll(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

/** The rule has `name(value)`, quoted as Traefik writes it (the Ingress provider uses "", IngressRoutes ``). */
const matcher = (rule: string, name: string, value: string) => rule.includes(`${name}("${value}")`) || rule.includes(`${name}(\`${value}\`)`);

/** The PEM of a planned TLS Secret's certificate, as Traefik put it into its TLS configuration. */
const certOf = (run: ProviderRun, provider: string): string[] =>
  ((run.configurations[provider]?.tls?.certificates ?? []) as any[]).map((c) => String(c.certFile));

describe("the traefik chart's pod in the ingress namespace (Pod Security admission of the embedded API server)", () => {
  it("the rendered Traefik pod (the program's values) is admitted where the ingress namespace enforces its level, restricted; a root variant of it is refused there", async () => {
    if (setupError) throw setupError;
    expect(DEFAULT_POD_SECURITY.ingress).toBe("restricted");
    const ns = (await k.get(`/api/v1/namespaces/${TRAEFIK_NS}`)).body;
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const pod = (spec: any) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "traefik-psa", namespace: TRAEFIK_NS, labels: traefikPod.metadata?.labels ?? {} },
      spec,
    });
    const ok = await k.request("POST", `/api/v1/namespaces/${TRAEFIK_NS}/pods?dryRun=All`, pod(traefikPod.spec));
    expect(ok.status, JSON.stringify(ok.body?.message ?? "")).toBe(201);
    // The check is real: the same pod as root with its capabilities kept is refused by name.
    const root = structuredClone(traefikPod.spec);
    root.securityContext = { ...root.securityContext, runAsNonRoot: false, runAsUser: 0 };
    for (const c of root.containers) c.securityContext = { ...c.securityContext, capabilities: { add: ["NET_ADMIN"] } };
    const bad = await k.request("POST", `/api/v1/namespaces/${TRAEFIK_NS}/pods?dryRun=All`, pod(root));
    expect(bad.status).toBe(403);
    expect(bad.body.message).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(bad.body.message).toMatch(/runAsNonRoot != true|runAsUser=0/);
    // A dry run creates nothing.
    expect((await k.get(`/api/v1/namespaces/${TRAEFIK_NS}/pods`)).body.items).toEqual([]);
  });
});

describe("the traefik chart's provider options", () => {
  it("are read from its rendered container args: both providers, empty services allowed, no cross-namespace references", () => {
    need();
    expect(flags).toEqual(["--providers=kubernetescrd,kubernetes", "--allow-empty-services=true"]);
    expect(existsSync(TRAEFIK_CRD)).toBe(true);
  });

  it("a provider flag the mapping does not know fails by name (a new chart default cannot slip past unread)", () => {
    expect(() => providerFlagsFromChartArgs(["--providers.kubernetescrd", "--providers.kubernetescrd.nativeLBByDefault=true"])).toThrow(
      "chart args: --providers.kubernetescrd.nativeLBByDefault=true is not mapped to a traefik-crd option (test/traefik/traefik.ts providerFlagsFromChartArgs)",
    );
  });
});

describe.each(targets())("Traefik v3.7.13's providers x %s", (b) => {
  const run = () => runs.get(b)!;
  const objs = () => planned.get(b)!;

  it("the chart's default TLSOption from the program's values (TLS 1.2+, strict SNI) is the CRD provider's default TLS options", () => {
    need();
    expect(run().configurations["kubernetescrd"].tls?.options?.["default"]).toMatchObject({ minVersion: "VersionTLS12", sniStrict: true });
  });

  it("log no error, and no warning but the accepted ones", () => {
    need();
    expect(logLines(run(), "error", "fatal", "panic")).toEqual([]);
    const warnings = logLines(run(), "warn").filter((l) => !ACCEPTED_WARNINGS.some((a) => a.re.test(l)));
    expect(warnings).toEqual([]);
    // The accepted warning is really logged (the capture works, and the chart default is as described).
    expect(logLines(run(), "warn").filter((l) => ACCEPTED_WARNINGS[0]!.re.test(l)).length).toBeGreaterThan(0);
  });

  it("every planned IngressRoute route is a router with its rule, entry points, TLS certificate and middleware chain; every middleware and service it names exists", () => {
    need();
    const crd = run().configurations["kubernetescrd"];
    const routers = Object.values(crd.http?.routers ?? {}) as any[];
    const checked: string[] = [];
    for (const ir of objs().filter((o) => o["kind"] === "IngressRoute")) {
      for (const route of ir["spec"].routes as any[]) {
        const r = routers.find((x) => x.rule === route.match);
        expect(r, `router for IngressRoute ${ir["metadata"].name} rule ${route.match}`).toBeDefined();
        expect(r.entryPoints).toEqual(ir["spec"].entryPoints);
        for (const ep of r.entryPoints) expect(chartEntryPoints, `entry point ${ep} defined by the chart's args`).toContain(ep);
        expect(r.middlewares).toEqual((route.middlewares ?? []).map((m: any) => `${m.namespace ?? NS}-${m.name}`));
        for (const m of r.middlewares) expect(crd.http.middlewares?.[m], `middleware ${m}`).toBeDefined();
        expect(crd.http.services?.[r.service], `service ${r.service}`).toBeDefined();
        if (ir["spec"].tls) {
          expect(r.tls).toBeDefined();
          const secret = ir["spec"].tls.secretName as string;
          expect(pems.get(b)!.get(secret), `Secret ${secret} made for the test`).toBeDefined();
          expect(certOf(run(), "kubernetescrd"), `certificate of Secret ${secret}`).toContain(pems.get(b)!.get(secret));
        }
        checked.push(r.rule);
      }
    }
    // Weighted TraefikServices: every member is a Kubernetes Service with its EndpointSlice's server.
    for (const ts of objs().filter((o) => o["kind"] === "TraefikService")) {
      const svc = crd.http.services[`${NS}-${ts["metadata"].name}`];
      expect(
        svc?.weighted?.services?.map((s: any) => s.weight),
        `TraefikService ${ts["metadata"].name}`,
      ).toEqual(ts["spec"].weighted.services.map((s: any) => s.weight));
      for (const member of svc.weighted.services) {
        const lb = crd.http.services[member.name];
        expect(lb?.loadBalancer?.servers?.length, `servers of ${member.name}`).toBeGreaterThan(0);
      }
    }
    // No router the plan does not have (each planned route checked above, none dropped).
    const plannedRoutes = objs()
      .filter((o) => o["kind"] === "IngressRoute")
      .reduce((n, o) => n + o["spec"].routes.length, 0);
    expect({ checked: checked.length, routers: routers.length }).toEqual({ checked: plannedRoutes, routers: plannedRoutes });
  });

  it("every planned Ingress path is a router with its rule, entry points, TLS certificate and middleware chain; each @kubernetescrd middleware exists in the CRD provider's configuration", () => {
    need();
    const ing = run().configurations["kubernetes"];
    const crd = run().configurations["kubernetescrd"];
    const routers = Object.values(ing.http?.routers ?? {}) as any[];
    const ingresses = objs().filter((o) => o["kind"] === "Ingress" && o["spec"].ingressClassName === "traefik");
    let paths = 0;
    for (const i of ingresses) {
      const a = i["metadata"].annotations ?? {};
      for (const rule of i["spec"].rules as any[]) {
        for (const p of rule.http.paths as any[]) {
          paths++;
          const r = routers.find((x) => matcher(x.rule, "Host", rule.host) && matcher(x.rule, "PathPrefix", p.path));
          expect(r, `router for Ingress ${i["metadata"].name} ${rule.host}${p.path} among ${JSON.stringify(ing.http?.routers)}`).toBeDefined();
          expect(r.entryPoints).toEqual(String(a["traefik.ingress.kubernetes.io/router.entrypoints"]).split(","));
          for (const ep of r.entryPoints) expect(chartEntryPoints, `entry point ${ep} defined by the chart's args`).toContain(ep);
          expect(r.middlewares).toEqual(String(a["traefik.ingress.kubernetes.io/router.middlewares"]).split(","));
          for (const m of r.middlewares as string[]) {
            expect(m.endsWith("@kubernetescrd"), `${m} names the CRD provider`).toBe(true);
            expect(crd.http?.middlewares?.[m.replace(/@kubernetescrd$/, "")], `middleware ${m} in the CRD provider's configuration`).toBeDefined();
          }
          expect(r.tls).toBeDefined();
          const lb = ing.http.services?.[r.service]?.loadBalancer;
          expect(lb?.servers?.length, `servers of ${r.service}`).toBeGreaterThan(0);
        }
      }
      for (const t of i["spec"].tls ?? [])
        expect(certOf(run(), "kubernetes"), `certificate of Secret ${t.secretName}`).toContain(pems.get(b)!.get(t.secretName));
    }
    expect(routers.length).toBe(paths);
  });
});

/** GET http://<address><path> with Host `host` and the given headers. */
function get(address: string, host: string, path: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  const [h, p] = address.split(":");
  return new Promise((resolve, reject) =>
    http.get({ host: h, port: Number(p), path, headers: { host, ...headers } }, (res) => (res.resume(), resolve(res))).on("error", reject),
  );
}

describe.each(targets())("Traefik's own middlewares built from what its provider emitted x %s", (b) => {
  it("every router's headers middlewares (the CRD provider's dynamic configuration) build with Traefik's constructor and answer: HSTS, the API's own ACAO removed, ACAO only for a planned origin", async () => {
    need();
    const conf = runs.get(b)!.configurations;
    const mws = (conf["kubernetescrd"].http?.middlewares ?? {}) as Record<string, any>;
    const routers = [...Object.values(conf["kubernetescrd"].http?.routers ?? {}), ...Object.values(conf["kubernetes"].http?.routers ?? {})] as any[];
    const upstream = http.createServer((_req, res) => (res.setHeader("Access-Control-Allow-Origin", "*"), res.end("ok")));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const backend = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const routes = routers.map((r) => {
      const host = /Host\(["`]([^"`]+)["`]\)/.exec(r.rule)?.[1];
      if (!host) throw new Error(`router rule without a Host: ${r.rule}`);
      const prefix = /PathPrefix\(["`]([^"`]+)["`]\)/.exec(r.rule)?.[1] ?? "/";
      const chain = (r.middlewares as string[]).map((m) => m.replace(/@kubernetescrd$/, "")).filter((m) => mws[m]?.headers || mws[m]?.redirectScheme);
      return { entryPoints: ["web"], host, pathPrefix: prefix, middlewares: chain, backend };
    });
    expect(
      routes.every((r) => r.middlewares.length > 0),
      "every router has a headers middleware",
    ).toBe(true);
    const used = [...new Set(routes.flatMap((r) => r.middlewares))];
    const cfg: ServeConfig = {
      entryPoints: { web: { address: "127.0.0.1:0", tls: false } },
      certFile: "",
      keyFile: "",
      middlewares: Object.fromEntries(used.map((m) => [m, mws[m]])),
      routes,
    };
    const file = join(dir, `serve-${b}.json`);
    writeFileSync(file, JSON.stringify(cfg));
    const serve = await startTraefikServe(file);
    try {
      for (const r of routes) {
        const headers = mws[r.middlewares.find((m) => mws[m].headers)!].headers;
        const allowed: string[] = headers.accessControlAllowOriginList ?? [];
        const plain = await get(serve.entryPoints["web"]!, r.host, r.pathPrefix);
        expect({ host: r.host, sts: plain.headers["strict-transport-security"] }).toEqual({ host: r.host, sts: "max-age=31536000; includeSubDomains" });
        expect(plain.headers["access-control-allow-origin"], `${r.host}: the API's own ACAO * is removed`).toBeUndefined();
        const foreign = await get(serve.entryPoints["web"]!, r.host, r.pathPrefix, { origin: "https://evil.example" });
        expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
        for (const origin of allowed) {
          const ok = await get(serve.entryPoints["web"]!, r.host, r.pathPrefix, { origin });
          expect({ host: r.host, acao: ok.headers["access-control-allow-origin"] }).toEqual({ host: r.host, acao: origin });
        }
      }
    } finally {
      await serve.stop();
      await new Promise((r) => upstream.close(r));
    }
  });
});

describe("Traefik v3.7.13's providers catch what would break a planned route (one case per class)", () => {
  const neg = (ns: string) => negatives.get(ns)!;

  it("a cross-namespace middleware reference (allowCrossNamespace=false, the chart's and our default): an error, and no router", () => {
    need();
    const errors = logLines(neg("neg-cross"), "error");
    expect(errors.join("\n")).toMatch(/Failed to create middleware keys.*(cross-namespace|not in the IngressRoute namespace|namespace)/i);
    expect(Object.keys(neg("neg-cross").configurations["kubernetescrd"].http?.routers ?? {})).toEqual([]);
  });

  it("a missing TLS Secret: an error naming the Secret, and no certificate for the router (Traefik would serve its default one)", () => {
    need();
    const errors = logLines(neg("neg-tls"), "error");
    expect(errors.join("\n")).toMatch(/Error configuring TLS.*secret neg-tls\/tls-api\.example\.com does not exist/);
    expect(neg("neg-tls").configurations["kubernetes"].tls?.certificates ?? []).toEqual([]);
  });

  it("a Service port that does not exist, by name (Ingress) and by number (TraefikService): errors, and neither the router nor the weighted service", () => {
    need();
    const run = neg("neg-port");
    const errors = logLines(run, "error").join("\n");
    expect(errors).toMatch(/kubernetes .*api-api.*port/i);
    expect(errors).toMatch(/kubernetes neg-port\/api-api: Cannot create service: service port not found/);
    expect(errors).toMatch(/kubernetescrd .*Error while building TraefikService: service port not found: 3000/);
    expect(Object.keys(run.configurations["kubernetes"].http?.routers ?? {})).toEqual([]);
    // The IngressRoute's router stays, naming a weighted service that was not built: Traefik's
    // server (not linked here) reports such a router as an error and does not serve it.
    const crd = run.configurations["kubernetescrd"].http;
    const routers = Object.values(crd?.routers ?? {}) as any[];
    expect(routers.map((r) => r.service)).toEqual(["neg-port-web-weighted"]);
    expect(crd?.services?.["neg-port-web-weighted"]).toBeUndefined();
  });
});
