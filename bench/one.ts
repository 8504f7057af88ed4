/**
 * One measured run, in a fresh node process started by bench/run.ts:
 *
 *   node --import tsx bench/one.ts '<job JSON>' <result file>
 *
 * Module loading happens inside the measurement (dynamic imports after the clock starts), as a
 * `pulumi preview` pays it. Writes one JSON object to <result file>:
 *   importMs   time to load the harness (and, for stacks, the whole program's modules)
 *   runMs      time of the run under the harness (registrations drained)
 *   totalMs    performance.now() at the end: process start → result (excludes process exit)
 *   rssMB      peak RSS of the process after the run (process.resourceUsage().maxRSS)
 *   resources  registered resources
 *   policy     (blueprint jobs with `policies`) in-process policy-run times
 *   reach      (reach jobs) reachability evaluator times per size
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";

export type Job =
  | { kind: "empty"; preview: boolean }
  | { kind: "stack"; stack: string; preview: boolean }
  | {
      kind: "blueprint";
      name: string;
      tier: "local" | "dev" | "staging" | "prod";
      preview: boolean;
      policyReps: number;
      /** Alternative runner module (absolute path): a proposed patch applied to a copy of policies/. */ policyCandidate?: string;
    }
  /** n Service components straight under the harness (no composition): the component's own cost, used before the program wires services. */
  | { kind: "components"; services: number; preview: boolean; policyReps: number; policyCandidate?: string }
  | {
      kind: "reach";
      sizes: number[];
      reps: number;
      /** Alternative evaluator module (absolute path), e.g. a proposed patch applied to a copy. */ module?: string;
    };

export interface PolicyTiming {
  importMs: number;
  /** Whole pack (runPolicies with the tier's config), one entry per repetition. */
  allMs: number[];
  /** CPU time of the same runs (load-independent). */
  allCpuMs: number[];
  /** The stack-level reachability policy alone (seg-reachability-internet-to-data). */
  reachabilityMs: number[];
  policiesRun: number;
  resourcesChecked: number;
  mandatory: number;
  advisory: number;
  /** The first violations (to show the scale blueprint is a realistic, mostly clean stack). */
  sample: string[];
  /** The same runs with the candidate runner, and whether its report equals the current one. */
  candidate?: { module: string; allMs: number[]; allCpuMs: number[]; sameReport: boolean };
}

export interface ReachTiming {
  size: number;
  pods: number;
  policies: number;
  /** new Reachability(manifests) + flowsInto(data) — what the policy does. */
  intoDataMs: number[];
  /** new Reachability(manifests) + flows() — every allowed flow. */
  allFlowsMs: number[];
  /** CPU time of the same (load-independent). */
  intoDataCpuMs: number[];
  allFlowsCpuMs: number[];
  flows: number;
}

export interface OneResult {
  job: Job;
  importMs: number;
  runMs: number;
  totalMs: number;
  rssMB: number;
  /** CPU time (user + system) of the whole process, and of the run phase: load-independent. */
  cpuMs?: number;
  runCpuMs?: number;
  resources: number;
  load: [number, number, number];
  /** CommonJS modules loaded by the end of the run, and the packages that loaded the most. */
  modules?: { total: number; byPackage: Record<string, number>; providerRoots: string[] };
  policy?: PolicyTiming;
  reach?: ReachTiming[];
  error?: string;
}

const PROVIDER_ROOTS = ["aws", "kubernetes", "cloudflare", "random", "docker", "command"];

/** Loaded modules by package (node_modules/<pkg>) or repository top directory. */
function moduleCensus(): NonNullable<OneResult["modules"]> {
  const keys = Object.keys(require.cache);
  const byPackage: Record<string, number> = {};
  for (const k of keys) {
    const nm = k.lastIndexOf("/node_modules/");
    let b: string;
    if (nm >= 0) {
      const rest = k.slice(nm + 14).split("/");
      b = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
    } else b = `repo:${k.split("/").slice(-2, -1)[0] ?? "?"}`;
    byPackage[b] = (byPackage[b] ?? 0) + 1;
  }
  const top = Object.fromEntries(
    Object.entries(byPackage)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12),
  );
  const providerRoots = PROVIDER_ROOTS.filter((p) => keys.some((k) => k.endsWith(`/node_modules/@pulumi/${p}/index.js`)));
  return { total: keys.length, byPackage: top, providerRoots };
}

const rssMB = (): number => process.resourceUsage().maxRSS / 1024;

async function measure(job: Job): Promise<OneResult> {
  const base = { job, load: loadavg() as [number, number, number] };
  if (job.kind === "reach") return { ...base, importMs: 0, runMs: 0, totalMs: 0, rssMB: 0, resources: 0, reach: await reach(job.sizes, job.reps, job.module) };

  // Experiments (recorded in the result's job env): source-mapped stack traces off, and the
  // stack depth the SDK's debuggablePromise captures for every Output (Resource.callsites raises
  // the limit itself, so source positions are unaffected).
  if (process.env.BENCH_SOURCE_MAPS === "off") process.setSourceMapsEnabled(false);
  if (process.env.BENCH_STACK_LIMIT !== undefined) Error.stackTraceLimit = Number(process.env.BENCH_STACK_LIMIT);
  const t0 = performance.now();
  let run: () => Promise<{ resources: unknown[] }>;
  if (job.kind === "empty") {
    const { runProgram } = await import("../tools/harness/run");
    run = () => runProgram(() => ({}), { project: "platform", stack: "empty", preview: job.preview });
  } else if (job.kind === "stack") {
    const { runStack } = await import("../tools/harness/stacks");
    run = async () => (await runStack(job.stack, { preview: job.preview })).inventory;
  } else if (job.kind === "components") {
    const [{ runProgram }, k8s, { Service }, { RESOURCES }, { scaleBlueprint }] = await Promise.all([
      import("../tools/harness/run"),
      import("@pulumi/kubernetes"),
      import("../components/service"),
      import("../stacks/spec/tiers"),
      import("./generate"),
    ]);
    const { serviceSpec } = await import("../components/service/spec");
    const specs = (scaleBlueprint(job.services).services as unknown[]).map((x) => serviceSpec.parse(x));
    run = () =>
      runProgram(
        () => {
          const kubernetes = new k8s.Provider("k8s", { renderYamlToDirectory: "/tmp/bench-render-unused" });
          for (const spec of specs) {
            new Service(
              `svc-${spec.name}`,
              {
                spec,
                namespace: "apps",
                replicas: { min: 3, max: 10 },
                resources: RESOURCES.full,
                autoscaling: true,
                disruptionBudgets: true,
                domain: "example.com",
                ingress: { controller: "traefik", className: "traefik", clusterIssuer: "letsencrypt" },
                serviceMonitor: { enabled: true, labels: {} },
              } as any,
              { providers: { kubernetes } },
            );
          }
          return {};
        },
        { project: "platform", stack: "prod", preview: job.preview },
      );
  } else {
    const { runBlueprint } = await import("../tools/harness/stacks");
    run = async () => (await runBlueprint(job.name, job.tier, { preview: job.preview })).inventory;
  }
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const inv = await run();
  const t2 = performance.now();
  const c2 = process.cpuUsage(c1);
  const all = process.cpuUsage();
  const out: OneResult = {
    ...base,
    importMs: t1 - t0,
    runMs: t2 - t1,
    totalMs: t2,
    rssMB: rssMB(),
    cpuMs: (all.user + all.system) / 1000,
    runCpuMs: (c2.user + c2.system) / 1000,
    resources: inv.resources.length,
    modules: moduleCensus(),
  };
  if (job.kind === "blueprint" && job.policyReps > 0) out.policy = await policies(inv as any, job.tier, job.policyReps, job.policyCandidate);
  if (job.kind === "components" && job.policyReps > 0) out.policy = await policies(inv as any, "prod", job.policyReps, job.policyCandidate);
  return out;
}

async function policies(inv: any, tier: "local" | "dev" | "staging" | "prod", reps: number, candidate?: string): Promise<PolicyTiming> {
  const t0 = performance.now();
  const { runPolicies } = await import("../policies/lib/runner");
  const { internetToData } = await import("../policies/segmentation");
  const importMs = performance.now() - t0;
  // The pack's tier configs cover dev/staging/prod; local runs the pack's defaults.
  const opts = tier === "local" ? {} : { tier };
  const allMs: number[] = [];
  const allCpuMs: number[] = [];
  const reachabilityMs: number[] = [];
  let last: Awaited<ReturnType<typeof runPolicies>> | undefined;
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    const c = process.cpuUsage();
    last = await runPolicies(inv, opts);
    allMs.push(performance.now() - t);
    const dc = process.cpuUsage(c);
    allCpuMs.push((dc.user + dc.system) / 1000);
    t = performance.now();
    await runPolicies(inv, { ...opts, policies: [internetToData] });
    reachabilityMs.push(performance.now() - t);
  }
  let cand: PolicyTiming["candidate"];
  if (candidate) {
    const alt = (await import(candidate)) as typeof import("../policies/lib/runner");
    const norm = (r: Awaited<ReturnType<typeof runPolicies>>) => JSON.stringify({ ...r, violations: r.violations.map((v) => JSON.stringify(v)).sort() });
    const cAll: number[] = [];
    const cCpu: number[] = [];
    let rep: Awaited<ReturnType<typeof runPolicies>> | undefined;
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      const c = process.cpuUsage();
      rep = await alt.runPolicies(inv, opts);
      cAll.push(performance.now() - t);
      const dc = process.cpuUsage(c);
      cCpu.push((dc.user + dc.system) / 1000);
    }
    cand = { module: candidate, allMs: cAll, allCpuMs: cCpu, sameReport: norm(rep!) === norm(last!) };
  }
  return {
    ...(cand ? { candidate: cand } : {}),
    importMs,
    allMs,
    allCpuMs,
    reachabilityMs,
    policiesRun: last!.policiesRun,
    resourcesChecked: last!.resourcesChecked,
    mandatory: last!.mandatory,
    advisory: last!.advisory,
    sample: last!.violations.slice(0, 5).map((v) => `[${v.enforcementLevel}] ${v.policyName}: ${v.message.slice(0, 160)}`),
  };
}

async function reach(sizes: number[], reps: number, module?: string): Promise<ReachTiming[]> {
  const { Reachability } = (await import(module ?? "../policies/lib/reachability")) as typeof import("../policies/lib/reachability");
  const { reachabilityManifests } = await import("./generate");
  const out: ReachTiming[] = [];
  // Warm the JIT on a small input so the first size does not pay for compilation.
  new Reachability(reachabilityManifests(20) as any).flows();
  for (const size of sizes) {
    const manifests = reachabilityManifests(size) as any[];
    const intoDataMs: number[] = [];
    const allFlowsMs: number[] = [];
    const intoDataCpuMs: number[] = [];
    const allFlowsCpuMs: number[] = [];
    let flows = 0;
    for (let i = 0; i < reps; i++) {
      let t = performance.now();
      let c = process.cpuUsage();
      const r1 = new Reachability(manifests);
      r1.flowsInto((p) => p.namespace === "data");
      intoDataMs.push(performance.now() - t);
      let dc = process.cpuUsage(c);
      intoDataCpuMs.push((dc.user + dc.system) / 1000);
      t = performance.now();
      c = process.cpuUsage();
      flows = new Reachability(manifests).flows().length;
      allFlowsMs.push(performance.now() - t);
      dc = process.cpuUsage(c);
      allFlowsCpuMs.push((dc.user + dc.system) / 1000);
    }
    const model = new Reachability(manifests).model;
    out.push({ size, pods: model.pods.length, policies: model.policies.length, intoDataMs, allFlowsMs, intoDataCpuMs, allFlowsCpuMs, flows });
  }
  return out;
}

async function cli(): Promise<void> {
  const [jobArg, file] = process.argv.slice(2);
  if (!jobArg || !file) throw new Error("usage: node --import tsx bench/one.ts '<job JSON>' <result file>");
  const job = JSON.parse(jobArg) as Job;
  let result: OneResult;
  try {
    result = await measure(job);
  } catch (err) {
    const e = err as Error;
    result = {
      job,
      importMs: 0,
      runMs: 0,
      totalMs: performance.now(),
      rssMB: rssMB(),
      resources: 0,
      load: loadavg() as [number, number, number],
      error: (e?.message ?? String(err)).slice(0, 4000),
    };
  }
  writeFileSync(file, JSON.stringify(result));
  // Pulumi's runtime may keep handles open; the measurement is done.
  process.exit(0);
}

if (require.main === module) {
  cli().catch((err) => {
    process.stderr.write(`${String(err?.stack ?? err)}\n`);
    process.exit(1);
  });
}
