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
  | { kind: "blueprint"; name: string; tier: "local" | "dev" | "staging" | "prod"; preview: boolean; policyReps: number }
  | { kind: "reach"; sizes: number[]; reps: number; /** Alternative evaluator module (absolute path), e.g. a proposed patch applied to a copy. */ module?: string };

export interface PolicyTiming {
  importMs: number;
  /** Whole pack (runPolicies with the tier's config), one entry per repetition. */
  allMs: number[];
  /** The stack-level reachability policy alone (seg-reachability-internet-to-data). */
  reachabilityMs: number[];
  policiesRun: number;
  resourcesChecked: number;
  mandatory: number;
  advisory: number;
  /** The first violations (to show the scale blueprint is a realistic, mostly clean stack). */
  sample: string[];
}

export interface ReachTiming {
  size: number;
  pods: number;
  policies: number;
  /** new Reachability(manifests) + flowsInto(data) — what the policy does. */
  intoDataMs: number[];
  /** new Reachability(manifests) + flows() — every allowed flow. */
  allFlowsMs: number[];
  flows: number;
}

export interface OneResult {
  job: Job;
  importMs: number;
  runMs: number;
  totalMs: number;
  rssMB: number;
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
  const top = Object.fromEntries(Object.entries(byPackage).sort((a, b) => b[1] - a[1]).slice(0, 12));
  const providerRoots = PROVIDER_ROOTS.filter((p) => keys.some((k) => k.endsWith(`/node_modules/@pulumi/${p}/index.js`)));
  return { total: keys.length, byPackage: top, providerRoots };
}

const rssMB = (): number => process.resourceUsage().maxRSS / 1024;

async function measure(job: Job): Promise<OneResult> {
  const base = { job, load: loadavg() as [number, number, number] };
  if (job.kind === "reach") return { ...base, importMs: 0, runMs: 0, totalMs: 0, rssMB: 0, resources: 0, reach: await reach(job.sizes, job.reps, job.module) };

  const t0 = performance.now();
  let run: () => Promise<{ resources: unknown[] }>;
  if (job.kind === "empty") {
    const { runProgram } = await import("../test/harness/run");
    run = () => runProgram(() => ({}), { project: "platform", stack: "empty", preview: job.preview });
  } else if (job.kind === "stack") {
    const { runStack } = await import("../test/harness/stacks");
    run = async () => (await runStack(job.stack, { preview: job.preview })).inventory;
  } else {
    const { runBlueprint } = await import("../test/harness/stacks");
    run = async () => (await runBlueprint(job.name, job.tier, { preview: job.preview })).inventory;
  }
  const t1 = performance.now();
  const inv = await run();
  const t2 = performance.now();
  const out: OneResult = { ...base, importMs: t1 - t0, runMs: t2 - t1, totalMs: t2, rssMB: rssMB(), resources: inv.resources.length, modules: moduleCensus() };
  if (job.kind === "blueprint" && job.policyReps > 0) out.policy = await policies(inv as any, job.tier, job.policyReps);
  return out;
}

async function policies(inv: any, tier: "local" | "dev" | "staging" | "prod", reps: number): Promise<PolicyTiming> {
  const t0 = performance.now();
  const { runPolicies } = await import("../policies/lib/runner");
  const { internetToData } = await import("../policies/segmentation");
  const importMs = performance.now() - t0;
  // The pack's tier configs cover dev/staging/prod; local runs the pack's defaults.
  const opts = tier === "local" ? {} : { tier };
  const allMs: number[] = [];
  const reachabilityMs: number[] = [];
  let last: Awaited<ReturnType<typeof runPolicies>> | undefined;
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    last = await runPolicies(inv, opts);
    allMs.push(performance.now() - t);
    t = performance.now();
    await runPolicies(inv, { ...opts, policies: [internetToData] });
    reachabilityMs.push(performance.now() - t);
  }
  return {
    importMs,
    allMs,
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
    let flows = 0;
    for (let i = 0; i < reps; i++) {
      let t = performance.now();
      const r1 = new Reachability(manifests);
      r1.flowsInto((p) => p.namespace === "data");
      intoDataMs.push(performance.now() - t);
      t = performance.now();
      flows = new Reachability(manifests).flows().length;
      allFlowsMs.push(performance.now() - t);
    }
    const model = new Reachability(manifests).model;
    out.push({ size, pods: model.pods.length, policies: model.policies.length, intoDataMs, allFlowsMs, flows });
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
    result = { job, importMs: 0, runMs: 0, totalMs: performance.now(), rssMB: rssMB(), resources: 0, load: loadavg() as [number, number, number], error: (e?.message ?? String(err)).slice(0, 4000) };
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
