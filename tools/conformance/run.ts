/**
 * The control-plane conformance run: every blueprint × Kubernetes tier deployed by the real engine
 * and the real Kubernetes provider onto a fresh embedded control plane (tools/cluster), with the
 * policy pack enforced and Helm releases from the chart mirror. The cloud side (AWS, Cloudflare) is
 * answered by tools/mockcloud; the Kubernetes provider is pointed at the embedded cluster instead
 * of EKS (tools/conformance/entry.ts). Pass means all of:
 *
 *  1. `pulumi up` succeeds with the policy pack;
 *  2. every Deployment/StatefulSet/DaemonSet ready, every Job complete, every Pod admitted, every
 *     claim bound, every Helm release `deployed` (cluster-checks.ts);
 *  3. a second run shows no changes (`pulumi preview --expect-no-changes`);
 *  4. no object can be created before its Namespace or its CRD in the most hostile order the
 *     declared dependencies allow (order.ts, on the dependency graph the engine recorded); with
 *     `--hostile` also for real: the engine talks to the cluster through tools/cluster/hostile.ts,
 *     which holds every Namespace/CRD create past the provider's ~31 s retry window, so an object
 *     that only names its prerequisite fails `pulumi up` every time;
 *  5. `pulumi destroy` succeeds and leaves nothing of ours behind (CRDs from charts' crds/ folders
 *     and volumes a `Retain` StorageClass keeps are listed as kept by design, not as leftovers).
 *
 *   npx tsx tools/conformance/run.ts --all                     the whole matrix
 *   npx tsx tools/conformance/run.ts --blueprint bridge-relay --tier prod
 *   ... --json results.json --keep (leave the working directory for inspection)
 *   ... --hostile (up, preview and destroy through the hostile-order proxy)
 *
 * Must run inside a loopback-only network namespace (npm test's workers are; by hand:
 * `unshare -n sh -c 'ip link set lo up && exec npx tsx tools/conformance/run.ts --all'`).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { blueprintStackInput, runStackInput } from "../harness/stacks";
import { loadSpec, platformConfigFromRaw } from "../../stacks/spec/load";
import { TIER_NAMES, type TierName } from "../../stacks/spec/tiers";
import { type ControlPlane, type NodeSpec, type Taint, defaultBinDir, missingBinaries, startControlPlane } from "../cluster/controlplane";
import { type HeldRequest, type HostileProxy, startHostileProxy } from "../cluster/hostile";
import { type ReleaseInputs, factsOf, renderRelease } from "./charts";
import { type Problem, helmProblems, inventory, readinessProblems } from "./cluster-checks";
import { operatorPodProblems } from "./operator-pods";
import { type ChartFacts, type GraphResource, type OrderViolation, orderViolations, shortUrn } from "./order";

export const REPO = resolve(__dirname, "..", "..");
export const BLUEPRINTS = ["nuxt-fastify-beta-droplet", "bridge-relay", "gateway-flutter-wasm", "music-platform-gitops", "axum-requirements-app"];
const PASSPHRASE = "conformance-fake-passphrase";

export interface Target {
  blueprint: string;
  tier: TierName;
}

/** Every blueprint × tier that the program hosts on Kubernetes (dev only where a blueprint runs dev on Kubernetes). */
export function kubernetesTargets(blueprints = BLUEPRINTS, tiers: readonly TierName[] = TIER_NAMES): Target[] {
  const out: Target[] = [];
  for (const blueprint of blueprints) {
    for (const tier of tiers) {
      const input = blueprintStackInput(blueprint, tier);
      const spec = loadSpec({ stack: input.stack, config: platformConfigFromRaw(input.config) });
      if (spec.hosting.mode === "kubernetes") out.push({ blueprint, tier });
    }
  }
  return out;
}

export interface Phase {
  name: string;
  ok: boolean;
  seconds: number;
  detail?: string;
}

export interface TargetResult {
  target: Target;
  ok: boolean;
  seconds: number;
  phases: Phase[];
  problems: Problem[];
  order: OrderViolation[];
  leftovers: string[];
  keptByDesign: string[];
  releases: string[];
  kubernetesObjects: number;
  dir: string;
  /** With `hostile`: how long each prerequisite create was held, and which were held. */
  hostile?: { holdMs: number; held: HeldRequest[]; chained: HeldRequest[] };
}

export interface RunOptions {
  /** Engine and control-plane binaries (default .engine/bin). */
  bin?: string;
  /** Chart repository directory (default ../shared/charts next to the repo, or PLATFORM_CHARTS_MIRROR). */
  chartsMirror?: string;
  log?: (line: string) => void;
  keep?: boolean;
  /** Program entry (default tools/conformance/entry.ts); regression cases pass their own. */
  entry?: string;
  /** Extra stack config (`platform:...` → value), e.g. for regression cases. */
  config?: Record<string, unknown>;
  /** Per-Kubernetes-object timeout for the engine (default 3m). */
  objectTimeout?: string;
  /**
   * The most hostile order for real: the engine (up, the second preview, destroy) reaches the
   * cluster only through tools/cluster/hostile.ts, which holds every Namespace/CRD create for
   * `holdMs` (default 45 s, past the provider's ~31 s create retries). The run's own checks read
   * the cluster directly. `true` = default hold.
   */
  hostile?: boolean | { holdMs?: number };
}

export function defaultChartsMirror(): string {
  return process.env["PLATFORM_CHARTS_MIRROR"] ?? resolve(REPO, "..", "shared", "charts");
}

/** The fake nodes a tier's node groups would have (labels as EKS managed node groups set them). */
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const EKS_TAINT_EFFECTS: Record<string, Taint["effect"]> = { NO_SCHEDULE: "NoSchedule", PREFER_NO_SCHEDULE: "PreferNoSchedule", NO_EXECUTE: "NoExecute" };

/**
 * KWOK nodes as the target's cloud would give them: one per zone for every EKS managed node group
 * the program plans, with the labels EKS puts on its nodes (`eks.amazonaws.com/nodegroup` = the
 * node group's name, the instance type, the zone) plus the group's own `labels` and `taints`
 * (EKS effect names mapped to Kubernetes'), so a nodeSelector, affinity or toleration that does not
 * match the real node groups leaves its pod Pending here too. A tier without EKS (local) gets
 * three untainted nodes, like a kind/k3d cluster.
 */
export function nodesFromPlan(resources: { type: string; name: string; inputs: Record<string, unknown> }[]): NodeSpec[] {
  const groups = resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
  if (groups.length === 0) {
    return ZONES.map((zone, i) => ({ name: `node-${i}`, labels: { "topology.kubernetes.io/zone": zone, "node.kubernetes.io/instance-type": "local" } }));
  }
  const nodes: NodeSpec[] = [];
  for (const g of groups) {
    const inputs = g.inputs as {
      nodeGroupName?: string;
      instanceTypes?: string[];
      labels?: Record<string, string>;
      taints?: { key: string; value?: string; effect: string }[];
    };
    const groupName = inputs.nodeGroupName ?? g.name;
    const taints = (inputs.taints ?? []).map((t): Taint => {
      const effect = EKS_TAINT_EFFECTS[t.effect];
      if (!effect)
        throw new Error(
          `node group ${groupName}: taint ${t.key} has effect '${t.effect}', which EKS does not accept (NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE)`,
        );
      return { key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect };
    });
    for (const [i, zone] of ZONES.entries()) {
      nodes.push({
        name: `${groupName}-${i}`.slice(-63).replace(/^-+/, ""),
        labels: {
          ...(inputs.labels ?? {}),
          "eks.amazonaws.com/nodegroup": groupName,
          "topology.kubernetes.io/zone": zone,
          "node.kubernetes.io/instance-type": inputs.instanceTypes?.[0] ?? "unknown",
        },
        ...(taints.length ? { taints } : {}),
      });
    }
  }
  return nodes;
}

/** The target's KWOK nodes, from its own plan (update mode, under the mocks). */
export async function nodesFor(t: Target): Promise<NodeSpec[]> {
  const run = await runStackInput(blueprintStackInput(t.blueprint, t.tier), { preview: false });
  return nodesFromPlan(run.inventory.resources as { type: string; name: string; inputs: Record<string, unknown> }[]);
}

interface Exec {
  code: number;
  output: string;
}

function pulumi(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: (l: string) => void, timeoutMs: number): Promise<Exec> {
  return new Promise((resolvePromise) => {
    const p = spawn(join(bin, "pulumi"), [...args, "--non-interactive", "--color", "never"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let partial = "";
    const onData = (d: Buffer) => {
      const text = d.toString();
      output += text;
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) log(`  | ${l}`);
    };
    p.stdout.on("data", onData);
    p.stderr.on("data", onData);
    const timer = setTimeout(() => p.kill("SIGTERM"), timeoutMs);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? 1, output });
    });
  });
}

function execText(bin: string, args: string[]): Promise<Exec> {
  return new Promise((r) => execFile(bin, args, { maxBuffer: 256 << 20 }, (err, stdout, stderr) => r({ code: err ? 1 : 0, output: `${stdout}${stderr}` })));
}

/** Write the throw-away project: the repo's program through entry.ts, the target's stack config. */
function writeProject(dir: string, t: Target, entry: string, extra: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    stringify({ name: "platform", runtime: { name: "nodejs", options: { typescript: true, tsconfig: "tsconfig.json" } }, main: "index.ts" }),
  );
  writeFileSync(join(dir, "index.ts"), `import out = require(${JSON.stringify(entry.replace(/\.ts$/, ""))});\nexport = out;\n`);
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"), "dir");
  symlinkSync(join(REPO, "tsconfig.json"), join(dir, "tsconfig.json"));
  symlinkSync(join(REPO, "package.json"), join(dir, "package.json"));
  const input = blueprintStackInput(t.blueprint, t.tier);
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input.config)) {
    config[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  Object.assign(config, extra);
  writeFileSync(join(dir, `Pulumi.${input.stack}.yaml`), stringify({ config }));
  return input.stack;
}

/** Deploy one target onto a fresh control plane and check everything; never throws. */
export async function runTarget(t: Target, o: RunOptions = {}): Promise<TargetResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const bin = o.bin ?? defaultBinDir();
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `conformance-${t.blueprint}-${t.tier}-`));
  const result: TargetResult = {
    target: t,
    ok: false,
    seconds: 0,
    phases: [],
    problems: [],
    order: [],
    leftovers: [],
    keptByDesign: [],
    releases: [],
    kubernetesObjects: 0,
    dir,
  };
  const phase = async (name: string, fn: () => Promise<string | undefined | void>): Promise<boolean> => {
    const s = Date.now();
    log(`[${t.blueprint} × ${t.tier}] ${name} ...`);
    try {
      const detail = (await fn()) ?? undefined;
      result.phases.push({ name, ok: true, seconds: (Date.now() - s) / 1000, ...(detail ? { detail } : {}) });
      log(`[${t.blueprint} × ${t.tier}] ${name}: ok (${((Date.now() - s) / 1000).toFixed(1)}s)${detail ? ` ${detail}` : ""}`);
      return true;
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      result.phases.push({ name, ok: false, seconds: (Date.now() - s) / 1000, detail });
      log(`[${t.blueprint} × ${t.tier}] ${name}: FAILED\n${detail}`);
      return false;
    }
  };

  let cp: ControlPlane | undefined;
  let proxy: HostileProxy | undefined;
  try {
    const missing = missingBinaries(bin);
    if (missing.length) throw new Error(`missing binaries: ${missing.join(", ")}: run npm run engine`);
    const mirror = o.chartsMirror ?? defaultChartsMirror();
    if (!existsSync(join(mirror, "index.yaml"))) throw new Error(`no chart repository at ${mirror} (index.yaml): set PLATFORM_CHARTS_MIRROR`);

    const mockBin = join(dir, "mockcloud-bin");
    const inst = await execText("bash", [join(REPO, "tools", "mockcloud", "install.sh"), mockBin]);
    if (inst.code !== 0) throw new Error(`tools/mockcloud/install.sh: ${inst.output}`);

    const ok1 = await phase("control plane", async () => {
      const nodes = await nodesFor(t);
      cp = await startControlPlane({ dir: join(dir, "cluster"), bin, nodes, log: (l) => log(`  ~ ${l}`) });
      return `${cp.url} in ${(cp.startupMs / 1000).toFixed(1)}s, ${nodes.length} nodes (${[...new Set(nodes.map((n) => n.labels?.["eks.amazonaws.com/nodegroup"] ?? "local"))].join(", ")})`;
    });
    if (!ok1 || !cp) return await finish();
    const c = cp;
    const before = await inventory(c);
    if (o.hostile) {
      const holdMs = typeof o.hostile === "object" ? o.hostile.holdMs : undefined;
      proxy = await startHostileProxy(c, { ...(holdMs !== undefined ? { holdMs } : {}), log: (l) => log(`  ~ hostile: ${l}`) });
      result.hostile = { holdMs: proxy.holdMs, held: proxy.held, chained: proxy.chained };
      log(
        `[${t.blueprint} × ${t.tier}] hostile order: the engine reaches the cluster through ${proxy.url}, every Namespace/CRD create held ${proxy.holdMs / 1000}s`,
      );
    }
    // What the engine (and Helm inside the provider) talks to; the run's checks use the cluster directly.
    const engineKubeconfig = proxy?.kubeconfigPath ?? c.kubeconfigPath;

    const project = join(dir, "project");
    const stack = writeProject(project, t, o.entry ?? join(REPO, "tools", "conformance", "entry.ts"), o.config ?? {});
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${mockBin}:${bin}:${process.env["PATH"] ?? ""}`,
      PULUMI_HOME: join(REPO, ".engine", "home"),
      PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      CONFORMANCE_KUBECONFIG: engineKubeconfig,
      CONFORMANCE_TIMEOUT: o.objectTimeout ?? "3m",
      PLATFORM_KUBECONFIG: engineKubeconfig,
      PLATFORM_CHARTS_MIRROR: mirror,
      KUBECONFIG: engineKubeconfig,
      NO_COLOR: "1",
    };
    delete env["PLATFORM_RENDER_DIR"];
    // The Kubernetes provider writes the kubeconfig it is given to a temp file on every Configure
    // (pkg/provider/util.go writeKubeconfigToFile, for Helm) and never removes it: ~6 files with
    // the cluster's client key per target were left in /tmp. Its temp dir is the run's, removed with it.
    env["TMPDIR"] = join(dir, "tmp");
    mkdirSync(env["TMPDIR"]);
    mkdirSync(join(dir, "state"));
    const init = await pulumi(bin, ["stack", "init", stack, "--secrets-provider", "passphrase"], project, env, log, 120_000);
    if (init.code !== 0) throw new Error(`pulumi stack init: ${init.output}`);

    // As the pipeline runs it: the pack with the tier's own config (policies/config/<tier>.json;
    // local is checked like dev), so the enforcement levels are the ones the offline plan reports.
    const policy = [
      "--policy-pack",
      join(REPO, "policies"),
      "--policy-pack-config",
      join(REPO, "policies", "config", `${t.tier === "local" ? "dev" : t.tier}.json`),
    ];
    const upOk = await phase(proxy ? "pulumi up (policy pack enforced, hostile order for real)" : "pulumi up (policy pack enforced)", async () => {
      const up = await pulumi(bin, ["up", "--stack", stack, "--yes", "--skip-preview", "--skip-plugin-pre-install", ...policy], project, env, log, 30 * 60_000);
      if (up.code !== 0) throw new Error(summarizeEngineFailure(up.output));
      return proxy
        ? `${proxy.held.length} Namespace/CRD create(s) held ${proxy.holdMs / 1000}s each, ${proxy.chained.length} CRD create(s) passed as the next file of a held chain (Helm crds/)`
        : undefined;
    });

    await phase("ready: workloads, jobs, pods, claims, releases", async () => {
      const problems = await readinessProblems(c);
      // Pods operators would create for our custom resources (their code does not run under KWOK).
      const operatorPods = await operatorPodProblems(c);
      problems.push(...operatorPods.problems);
      const helm = await helmProblems(c, join(bin, "helm"));
      result.releases = helm.releases;
      problems.push(...helm.problems);
      result.problems.push(...problems);
      if (problems.length) throw new Error(problems.map((p) => `${p.object}: ${p.message}\n    fix: ${p.fix}`).join("\n"));
      return `${helm.releases.length} Helm releases deployed; operator pods admitted for ${operatorPods.checked.length} custom resource(s)`;
    });

    if (upOk) {
      await phase("second run shows no changes", async () => {
        const again = await pulumi(
          bin,
          ["preview", "--stack", stack, "--expect-no-changes", "--diff", "--skip-plugin-pre-install"],
          project,
          env,
          log,
          15 * 60_000,
        );
        if (again.code !== 0) throw new Error(`changes on a second run:\n${tail(again.output, 60)}`);
      });
    }

    await phase("hostile order: every prerequisite is a declared dependency", async () => {
      const exp = await pulumi(bin, ["stack", "export", "--stack", stack, "--show-secrets"], project, env, () => undefined, 120_000);
      if (exp.code !== 0) throw new Error(`pulumi stack export: ${exp.output}`);
      const json = JSON.parse(exp.output.slice(exp.output.indexOf("{")));
      const resources: GraphResource[] = (json.deployment?.resources ?? []).map((r: any) => ({
        urn: r.urn,
        type: r.type,
        dependencies: r.dependencies ?? [],
        propertyDependencies: r.propertyDependencies ?? {},
        inputs: r.inputs ?? {},
      }));
      result.kubernetesObjects = resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:")).length;
      const apiVersions = (await c.kubectl(["api-versions"])).stdout.split("\n").filter(Boolean);
      const charts = new Map<string, ChartFacts>();
      for (const r of resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release")) {
        charts.set(r.urn, factsOf(await renderRelease(join(bin, "helm"), r.inputs as unknown as ReleaseInputs, apiVersions)));
      }
      result.order = orderViolations(resources, charts);
      if (result.order.length)
        throw new Error(result.order.map((v) => `${shortUrn(v.urn)} can be created before ${shortUrn(v.needs)} (${v.because}): ${v.message}`).join("\n"));
      return `${resources.length} resources, ${charts.size} charts rendered`;
    });

    await phase("pulumi destroy leaves nothing behind", async () => {
      // Prod protects its data stores, cluster and secrets; tearing down is a deliberate unprotect.
      const unprotect = await pulumi(bin, ["state", "unprotect", "--all", "--yes", "--stack", stack], project, env, log, 120_000);
      if (unprotect.code !== 0) throw new Error(`pulumi state unprotect --all: ${unprotect.output}`);
      const down = await pulumi(bin, ["destroy", "--stack", stack, "--yes", "--skip-preview", "--skip-plugin-pre-install"], project, env, log, 20 * 60_000);
      if (down.code !== 0) throw new Error(summarizeEngineFailure(down.output));
      const after = await waitForSettled(c, before);
      const left = [...after].filter((x) => !before.has(x));
      result.keptByDesign = left.filter((x) => x.startsWith("CustomResourceDefinition ") || x.startsWith("PersistentVolume "));
      result.leftovers = left.filter((x) => !result.keptByDesign.includes(x));
      if (result.leftovers.length) throw new Error(`left behind:\n${result.leftovers.map((x) => `  ${x}`).join("\n")}`);
      return result.keptByDesign.length ? `kept by design: ${result.keptByDesign.length} (CRDs Helm never deletes, Retain volumes)` : undefined;
    });
    return await finish();
  } catch (err) {
    result.phases.push({ name: "setup", ok: false, seconds: 0, detail: err instanceof Error ? err.message : String(err) });
    return await finish();
  }

  async function finish(): Promise<TargetResult> {
    await proxy?.stop().catch(() => undefined);
    await cp?.stop().catch(() => undefined);
    result.ok = result.phases.length > 0 && result.phases.every((p) => p.ok);
    result.seconds = (Date.now() - started) / 1000;
    return result;
  }
}

/** Namespaces take a moment to empty after destroy; wait until nothing of ours is terminating. */
async function waitForSettled(cp: ControlPlane, before: Set<string>): Promise<Set<string>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const now = await inventory(cp);
    const left = [...now].filter((x) => !before.has(x) && !x.startsWith("CustomResourceDefinition ") && !x.startsWith("PersistentVolume "));
    if (left.length === 0 || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function tail(s: string, lines: number): string {
  return s.split("\n").slice(-lines).join("\n");
}

/** The engine's diagnostics: the failing resources and their messages, not the whole log. */
export function summarizeEngineFailure(output: string): string {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => /^Diagnostics:/.test(l.trim()));
  const diag = start >= 0 ? lines.slice(start, start + 80) : lines.slice(-60);
  return diag.join("\n");
}

export function formatResults(results: TargetResult[]): string {
  const rows = results.map((r) => {
    const failed = r.phases.filter((p) => !p.ok).map((p) => p.name);
    const mode = r.hostile ? ` (hostile: ${r.hostile.held.length} held ${r.hostile.holdMs / 1000}s)` : "";
    return `| ${r.target.blueprint} | ${r.target.tier} | ${r.ok ? "pass" : `FAIL (${failed.join("; ")})`}${mode} | ${r.kubernetesObjects} | ${r.releases.length} | ${r.seconds.toFixed(0)} s |`;
  });
  return ["| blueprint | tier | result | Kubernetes objects | Helm releases | time |", "| --- | --- | --- | --- | --- | --- |", ...rows].join("\n");
}

async function cli(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  let targets: Target[];
  if (argv.includes("--all")) targets = kubernetesTargets();
  else {
    const blueprint = arg("--blueprint");
    const tier = arg("--tier") as TierName | undefined;
    if (!blueprint || !tier) {
      process.stderr.write("usage: run.ts --all | --blueprint NAME --tier local|dev|staging|prod [--hostile] [--json FILE] [--keep]\n");
      return 2;
    }
    targets = kubernetesTargets([blueprint], [tier]);
    if (targets.length === 0) {
      process.stderr.write(`${blueprint} on ${tier} is not hosted on Kubernetes: nothing to deploy to a control plane\n`);
      return 2;
    }
  }
  const results: TargetResult[] = [];
  for (const t of targets) {
    const r = await runTarget(t, { keep: argv.includes("--keep"), hostile: argv.includes("--hostile") });
    results.push(r);
    if (!argv.includes("--keep")) rmSync(r.dir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${formatResults(results)}\n`);
  const json = arg("--json");
  if (json) writeFileSync(json, JSON.stringify(results, null, 2));
  return results.every((r) => r.ok) ? 0 : 1;
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(2);
    },
  );
}
