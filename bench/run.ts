/**
 * `npm run bench`: measure synthesis cost, scale, policy cost and the developer loop; write
 * bench/results.json and bench/RESULTS.md.
 *
 *   npm run bench                          # everything: ~15 min of CPU; the 1,000-service runs
 *                                          # dominate (an hour of wall time at load 15 on 2 cores)
 *   npm run bench -- --only synth,scale    # some sections (synth, scale, reach, experiments, loop);
 *                                          # the others keep their last results
 *   npm run bench -- --runs 5 --sizes 10,100,1000 --tsc-runs 5 --no-test
 *   npm run bench -- --render-only         # rewrite RESULTS.md from results.json + FINDINGS.md
 *
 * Profiling a job: `npx tsx bench/profile.ts '<job JSON>'` (node --cpu-prof, self time by package).
 * Every measured run is a fresh node process (bench/one.ts); runs of the things compared are
 * interleaved round by round so the machine's load hits them alike, and ratios are taken inside
 * one bench run.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { controlplane } from "./controlplane";
import { scaleBlueprint, scaleBlueprintName } from "./generate";
import type { Job, OneResult } from "./one";
import {
  growthOf,
  LoopSection,
  Machine,
  ExperimentSection,
  reachGrowth,
  ReachRow,
  ReachSection,
  renderMarkdown,
  Results,
  ScaleRow,
  ScaleSection,
  SynthRow,
  SynthSection,
  summaryOf,
  verdicts,
} from "./report";
import { median, summarize } from "./stats";

const ROOT = path.resolve(__dirname, "..");
const RESULTS_JSON = path.join(ROOT, "bench", "results.json");
const RESULTS_MD = path.join(ROOT, "bench", "RESULTS.md");
/** Hand-written causes and proposed fixes, appended to RESULTS.md. */
const FINDINGS_MD = path.join(ROOT, "bench", "FINDINGS.md");
const SECTIONS = ["synth", "scale", "reach", "experiments", "loop", "controlplane"] as const;
type Section = (typeof SECTIONS)[number];

interface Options {
  only: Set<Section>;
  runs: number;
  sizes: number[];
  reachSizes: number[];
  tscRuns: number;
  test: boolean;
  policyReps: number;
  experimentSize: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    only: new Set(SECTIONS),
    runs: 5,
    sizes: [10, 100, 1000],
    reachSizes: [125, 250, 500, 1000, 2000],
    tscRuns: 5,
    test: true,
    policyReps: 1,
    experimentSize: 100,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const nums = (s: string): number[] => s.split(",").map((x) => Number(x.trim()));
    if (a === "--render-only") o.only = new Set();
    else if (a.startsWith("--only")) {
      const names = val().split(",");
      for (const n of names) if (!(SECTIONS as readonly string[]).includes(n)) throw new Error(`unknown section '${n}' (sections: ${SECTIONS.join(", ")})`);
      o.only = new Set(names as Section[]);
    } else if (a.startsWith("--runs")) o.runs = Number(val());
    else if (a.startsWith("--sizes")) o.sizes = nums(val());
    else if (a.startsWith("--reach-sizes")) o.reachSizes = nums(val());
    else if (a.startsWith("--tsc-runs")) o.tscRuns = Number(val());
    else if (a.startsWith("--policy-reps")) o.policyReps = Number(val());
    else if (a.startsWith("--experiment-size")) o.experimentSize = Number(val());
    else if (a === "--no-test") o.test = false;
    else throw new Error(`unknown option '${a}'`);
  }
  if (!(o.runs >= 1)) throw new Error("--runs must be ≥ 1");
  return o;
}

const log = (s: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${loadavg()[0]!.toFixed(1)}] ${s}\n`);

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
  return (r.stdout ?? "").trim();
}

function machine(): Machine {
  const cpuModel = /model name\s*:\s*(.*)/.exec(existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "")?.[1] ?? cpus()[0]?.model ?? "?";
  const free = sh("free", ["-h"])
    .split("\n")
    .find((l) => l.startsWith("Mem:"));
  return {
    nproc: Number(sh("nproc", [])) || cpus().length,
    cpuModel,
    memory: free ? `free -h: ${free.replace(/\s+/g, " ")} (columns: total used free shared buff/cache available)` : `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    commit: sh("git", ["rev-parse", "--short", "HEAD"]),
    dirtyFiles: sh("git", ["status", "--porcelain"]).split("\n").filter(Boolean).length,
  };
}

/** One fresh-process measurement; wall = spawn → exit. */
async function one(job: Job, env: Record<string, string> = {}): Promise<OneResult & { wallMs: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-one-"));
  const file = path.join(dir, "result.json");
  const t0 = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join("bench", "one.ts"), JSON.stringify(job), file], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err = (err + String(d)).slice(-4000)));
    child.on("exit", (c) => {
      if (c !== 0) log(`child exited ${c}: ${err}`);
      resolve(c ?? 1);
    });
  });
  const wallMs = performance.now() - t0;
  let res: OneResult;
  try {
    res = JSON.parse(readFileSync(file, "utf8")) as OneResult;
  } catch {
    res = {
      job,
      importMs: 0,
      runMs: 0,
      totalMs: 0,
      rssMB: 0,
      resources: 0,
      load: loadavg() as [number, number, number],
      error: `child exited ${code} without a result`,
    };
  }
  rmSync(dir, { recursive: true, force: true });
  if (res.error) log(`${JSON.stringify(job)}: ${res.error.split("\n")[0]}`);
  return { ...res, wallMs };
}

function row(name: string, runs: (OneResult & { wallMs: number })[]): SynthRow {
  const ok = runs.filter((r) => !r.error);
  const use = ok.length ? ok : runs;
  return {
    name,
    wallMs: summaryOf(use, (r) => r.wallMs),
    importMs: summaryOf(use, (r) => r.importMs),
    runMs: summaryOf(use, (r) => r.runMs),
    rssMB: summaryOf(use, (r) => r.rssMB),
    cpuMs: summaryOf(use, (r) => r.cpuMs ?? 0),
    runCpuMs: summaryOf(use, (r) => r.runCpuMs ?? 0),
    resources: use.length ? median(use.map((r) => r.resources)) : 0,
    modules: use.length ? median(use.map((r) => r.modules?.total ?? 0)) : 0,
    load1: summaryOf(runs, (r) => r.load[0]),
    errors: [...new Set(runs.filter((r) => r.error).map((r) => r.error!.split("\n").slice(0, 3).join(" ").slice(0, 300)))],
  };
}

const PROD_PROPOSED = "stack prod, Error.stackTraceLimit = 0 (proposed harness fix)";

async function synth(o: Options): Promise<SynthSection> {
  const kinds: { name: string; job: Job; env?: Record<string, string> }[] = [
    { name: "empty program (floor)", job: { kind: "empty", preview: true } },
    ...["local", "dev", "staging", "prod"].map((s) => ({ name: `stack ${s}`, job: { kind: "stack", stack: s, preview: true } as Job })),
    // The harness change proposed in FINDINGS.md (finding 3), measured beside the shipped settings.
    { name: PROD_PROPOSED, job: { kind: "stack", stack: "prod", preview: true }, env: { BENCH_STACK_LIMIT: "0" } },
  ];
  const runs = new Map<string, (OneResult & { wallMs: number })[]>(kinds.map((k) => [k.name, []]));
  // Warm-up (tsx's transform cache, the page cache): not recorded.
  for (const k of kinds) await one(k.job, k.env);
  const perRound: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    for (const k of kinds) {
      const r = await one(k.job, k.env);
      runs.get(k.name)!.push(r);
      log(`synth ${k.name} #${i + 1}: ${r.wallMs.toFixed(0)} ms, ${r.rssMB.toFixed(0)} MB, ${r.resources} resources`);
    }
    const e = runs.get(kinds[0]!.name)![i]!;
    const p = runs.get("stack prod")![i]!;
    if (!e.error && !p.error) perRound.push(p.wallMs / e.wallMs);
  }
  const rows = kinds.map((k) => row(k.name, runs.get(k.name)!));
  const empty = rows[0]!;
  const prod = rows.find((r) => r.name === "stack prod")!;
  return {
    at: new Date().toISOString(),
    preview: true,
    rows,
    ...(perRound.length
      ? {
          prodOverEmpty: {
            perRound: summarize(perRound),
            ofMedians: prod.wallMs.median / empty.wallMs.median,
            importOfMedians: prod.importMs.median / empty.importMs.median,
            rssOfMedians: prod.rssMB.median / empty.rssMB.median,
          },
        }
      : {}),
  };
}

async function scale(o: Options): Promise<ScaleSection> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-blueprints-"));
  try {
    for (const n of o.sizes) writeFileSync(path.join(dir, `${scaleBlueprintName(n)}.yaml`), stringify(scaleBlueprint(n)));
    const env = { PLATFORM_BLUEPRINTS_DIR: dir };
    const candidate = proposedPolicies(dir);
    if (candidate) log(`policy candidate: ${candidate}`);
    const job = (n: number): Job => ({
      kind: "blueprint",
      name: scaleBlueprintName(n),
      tier: "prod",
      preview: false,
      policyReps: o.policyReps,
      ...(candidate ? { policyCandidate: candidate } : {}),
    });
    await one({ ...(job(o.sizes[0]!) as any), policyReps: 1 }, env); // warm-up
    const runs = new Map<number, (OneResult & { wallMs: number })[]>(o.sizes.map((n) => [n, []]));
    for (let i = 0; i < o.runs; i++) {
      for (const n of o.sizes) {
        const r = await one(job(n), env);
        runs.get(n)!.push(r);
        log(
          `scale ${n} #${i + 1}: ${r.wallMs.toFixed(0)} ms (run ${r.runMs.toFixed(0)}, CPU ${(r.cpuMs ?? 0).toFixed(0)}), ${r.rssMB.toFixed(0)} MB, ${r.resources} resources, policies ${r.policy ? median(r.policy.allMs).toFixed(0) : "-"} ms${r.policy?.candidate ? ` (proposed ${median(r.policy.candidate.allMs).toFixed(0)} ms, same report ${r.policy.candidate.sameReport})` : ""}`,
        );
      }
    }
    const rows: ScaleRow[] = o.sizes.map((n) => {
      const rs = runs.get(n)!;
      const ok = rs.filter((r) => !r.error && r.policy);
      const base = row(`${n} services`, rs);
      const pm = (r: OneResult) => median(r.policy!.allMs);
      const rm = (r: OneResult) => median(r.policy!.reachabilityMs);
      const last = ok[ok.length - 1]?.policy;
      const withCand = ok.filter((r) => r.policy!.candidate);
      const per1000 = (ms: number, r: OneResult) => (ms / Math.max(1, r.policy!.resourcesChecked)) * 1000;
      return {
        ...base,
        services: n,
        policyCpuMsPer1000: summaryOf(ok, (r) => per1000(median(r.policy!.allCpuMs), r)),
        ...(withCand.length
          ? {
              proposed: {
                policyAllMs: summaryOf(withCand, (r) => median(r.policy!.candidate!.allMs)),
                policyMsPer1000: summaryOf(withCand, (r) => per1000(median(r.policy!.candidate!.allMs), r)),
                policyCpuMsPer1000: summaryOf(withCand, (r) => per1000(median(r.policy!.candidate!.allCpuMs), r)),
                sameReport: withCand.every((r) => r.policy!.candidate!.sameReport),
              },
            }
          : {}),
        policyAllMs: summaryOf(ok, pm),
        policyReachMs: summaryOf(ok, rm),
        policyMsPer1000: summaryOf(ok, (r) => (pm(r) / Math.max(1, r.policy!.resourcesChecked)) * 1000),
        reachMsPer1000: summaryOf(ok, (r) => (rm(r) / Math.max(1, r.policy!.resourcesChecked)) * 1000),
        policiesRun: last?.policiesRun ?? 0,
        violations: { mandatory: last?.mandatory ?? 0, advisory: last?.advisory ?? 0, sample: last?.sample ?? [] },
      };
    });
    return { at: new Date().toISOString(), tier: "prod", preview: false, rows, growth: growthOf(rows.filter((r) => r.errors.length === 0)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const REACH_PATCH = path.join(ROOT, "bench", "proposals", "reachability-index.patch");

/** The evaluator with bench/proposals/reachability-index.patch applied, in a temp copy; undefined when it no longer applies (landed or superseded). */
function patchedEvaluator(dir: string): string | undefined {
  if (!existsSync(REACH_PATCH)) return undefined;
  const target = path.join(dir, "reachability.ts");
  writeFileSync(target, readFileSync(path.join(ROOT, "policies", "lib", "reachability.ts")));
  const r = spawnSync("patch", ["-s", "-N", "-r", "-", target, REACH_PATCH], { encoding: "utf8" });
  return r.status === 0 ? target : undefined;
}

/**
 * A temp copy of policies/ with every applicable bench/proposals/*.patch applied (node_modules and
 * test/ linked back), so the proposed runner can run next to the current one; undefined when no
 * patch applies any more (landed or superseded).
 */
function proposedPolicies(tmp: string): string | undefined {
  const dir = path.join(tmp, "proposed");
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, "policies"), path.join(dir, "policies"), { recursive: true, filter: (src) => !src.includes("node_modules") });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  symlinkSync(path.join(ROOT, "test"), path.join(dir, "test"));
  let applied = 0;
  for (const f of readdirSync(path.join(ROOT, "bench", "proposals"))
    .filter((x) => x.endsWith(".patch"))
    .sort()) {
    const r = spawnSync("patch", ["-s", "-N", "-r", "-", "-p1", "-d", dir, "-i", path.join(ROOT, "bench", "proposals", f)], { encoding: "utf8" });
    if (r.status === 0) applied++;
    else log(`proposal ${f} does not apply to the current tree (landed or superseded): ${(r.stdout + r.stderr).trim().split("\n")[0]}`);
  }
  return applied ? path.join(dir, "policies", "lib", "runner.ts") : undefined;
}

async function experiments(o: Options): Promise<ExperimentSection> {
  const n = o.experimentSize;
  const dir = mkdtempSync(path.join(tmpdir(), "bench-exp-"));
  try {
    writeFileSync(path.join(dir, `${scaleBlueprintName(n)}.yaml`), stringify(scaleBlueprint(n)));
    const variants = [
      { name: "as shipped", env: {} as Record<string, string> },
      { name: "no stack capture", env: { BENCH_STACK_LIMIT: "0" } },
      { name: "no stack capture, no source maps", env: { BENCH_STACK_LIMIT: "0", BENCH_SOURCE_MAPS: "off" } },
    ];
    const runs = variants.map(() => [] as (OneResult & { wallMs: number })[]);
    const job: Job = { kind: "blueprint", name: scaleBlueprintName(n), tier: "prod", preview: false, policyReps: 0 };
    for (let i = 0; i < o.runs; i++) {
      for (const [k, v] of variants.entries()) {
        const r = await one(job, { PLATFORM_BLUEPRINTS_DIR: dir, ...v.env });
        runs[k]!.push(r);
        log(`experiment ${v.name} #${i + 1}: run ${r.runMs.toFixed(0)} ms, run CPU ${(r.runCpuMs ?? 0).toFixed(0)} ms, ${r.rssMB.toFixed(0)} MB`);
      }
    }
    return { at: new Date().toISOString(), job: `${n}-service blueprint on prod`, variants: variants.map((v, k) => ({ ...v, row: row(v.name, runs[k]!) })) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reachRows(o: Options, module?: string): Promise<ReachRow[]> {
  const r = await one({ kind: "reach", sizes: o.reachSizes, reps: o.runs, ...(module ? { module } : {}) });
  if (r.error || !r.reach) throw new Error(`reachability run failed: ${r.error}`);
  const rows = r.reach.map((x) => ({
    size: x.size,
    pods: x.pods,
    policies: x.policies,
    flows: x.flows,
    intoDataMs: summarize(x.intoDataMs),
    allFlowsMs: summarize(x.allFlowsMs),
    intoDataCpuMs: summarize(x.intoDataCpuMs),
    allFlowsCpuMs: summarize(x.allFlowsCpuMs),
  }));
  for (const x of rows)
    log(`reach${module ? " (proposed patch)" : ""} ${x.size}: into data ${x.intoDataMs.median.toFixed(1)} ms, all flows ${x.allFlowsMs.median.toFixed(1)} ms`);
  return rows;
}

async function reach(o: Options): Promise<ReachSection> {
  const load1 = loadavg()[0]!;
  const rows = await reachRows(o);
  const section: ReachSection = { at: new Date().toISOString(), load1, rows, ...reachGrowth(rows) };
  const dir = mkdtempSync(path.join(tmpdir(), "bench-reach-"));
  try {
    const patched = patchedEvaluator(dir);
    if (patched) {
      const prow = await reachRows(o, patched);
      section.proposed = { patch: path.relative(ROOT, REACH_PATCH), rows: prow, ...reachGrowth(prow) };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return section;
}

function timed(cmd: string, args: string[]): Promise<{ ms: number; code: number; tail: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let tail = "";
    const keep = (d: Buffer) => (tail = (tail + String(d)).slice(-20000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("exit", (c) => resolve({ ms: performance.now() - t0, code: c ?? 1, tail }));
  });
}

async function loop(o: Options, prev?: LoopSection): Promise<LoopSection> {
  const tsc: number[] = [];
  const loads: number[] = [];
  const codes: number[] = [];
  for (let i = 0; i < o.tscRuns; i++) {
    loads.push(loadavg()[0]!);
    const r = await timed(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "tsconfig.json"]);
    tsc.push(r.ms);
    codes.push(r.code);
    log(`tsc #${i + 1}: ${(r.ms / 1000).toFixed(1)} s, exit ${r.code}`);
  }
  const section: LoopSection =
    tsc.length > 0
      ? { at: new Date().toISOString(), tscMs: summarize(tsc), tscLoad1: summarize(loads), tscExitCodes: codes, ...(prev?.test ? { test: prev.test } : {}) }
      : prev
        ? { ...prev }
        : { at: new Date().toISOString(), tscMs: { n: 0, median: 0, min: 0, max: 0 }, tscLoad1: { n: 0, median: 0, min: 0, max: 0 }, tscExitCodes: [] };
  if (o.test) {
    const load1Before = loadavg()[0]!;
    log("npm test (once) …");
    const r = await timed(process.execPath, [path.join(ROOT, "scripts", "test.mjs")]);
    const lines = r.tail.trim().split("\n");
    const summary = [...lines].reverse().find((l) => /\d+ passed, \d+ failed/.test(l)) ?? lines[lines.length - 1] ?? "";
    section.test = { ms: r.ms, load1Before, load1After: loadavg()[0]!, exitCode: r.code, summary: summary.trim() };
    log(`npm test: ${(r.ms / 1000).toFixed(1)} s, exit ${r.code}: ${summary}`);
  }
  return section;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const prev: Partial<Results> = existsSync(RESULTS_JSON) ? JSON.parse(readFileSync(RESULTS_JSON, "utf8")) : {};
  const results: Results = { ...prev, machine: machine(), updatedAt: new Date().toISOString() } as Results;
  // Sections may be measured by separate bench processes (e.g. the long scale run beside the
  // others): re-read the file and replace only the sections this process measured.
  const mine = new Set<string>();
  const save = (): void => {
    const now: Partial<Results> = existsSync(RESULTS_JSON) ? JSON.parse(readFileSync(RESULTS_JSON, "utf8")) : {};
    const merged: Results = {
      ...now,
      machine: mine.size || !now.machine ? results.machine : now.machine,
      updatedAt: mine.size ? new Date().toISOString() : (now.updatedAt ?? new Date().toISOString()),
    } as Results;
    for (const k of mine) (merged as any)[k] = (results as any)[k];
    writeFileSync(RESULTS_JSON, JSON.stringify(merged, null, 2) + "\n");
    const findings = existsSync(FINDINGS_MD) ? `\n${readFileSync(FINDINGS_MD, "utf8")}` : "";
    writeFileSync(RESULTS_MD, renderMarkdown(merged) + "\n" + findings);
    Object.assign(results, merged);
  };
  if (o.only.has("synth")) {
    log("synthesis cost …");
    mine.add("synth");
    results.synth = await synth(o);
    save();
  }
  if (o.only.has("scale")) {
    log(`scale ${o.sizes.join(", ")} …`);
    mine.add("scale");
    results.scale = await scale(o);
    save();
  }
  if (o.only.has("reach")) {
    log("reachability alone …");
    mine.add("reach");
    results.reach = await reach(o);
    save();
  }
  if (o.only.has("experiments")) {
    log("experiments …");
    mine.add("experiments");
    results.experiments = await experiments(o);
    save();
  }
  if (o.only.has("loop")) {
    log("developer loop …");
    mine.add("loop");
    const fresh: Partial<Results> = existsSync(RESULTS_JSON) ? JSON.parse(readFileSync(RESULTS_JSON, "utf8")) : {};
    results.loop = await loop(o, fresh.loop);
    save();
  }
  if (o.only.has("controlplane")) {
    log("control plane: conformance matrix and npm run local …");
    mine.add("controlplane");
    results.controlplane = controlplane(log);
    save();
  }
  save();
  for (const v of verdicts(results))
    process.stdout.write(`${v.met === undefined ? "  ?" : v.met ? " ok" : "MISS"}  ${v.budget}: ${v.value}${v.note ? ` (${v.note})` : ""}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), RESULTS_JSON)} and ${path.relative(process.cwd(), RESULTS_MD)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${String(err?.stack ?? err)}\n`);
  process.exit(1);
});
