/**
 * Results → budgets → Markdown. Pure (data in, text out); bench/run.ts writes the files.
 */
import { CONTROLPLANE_BUDGETS, type ControlPlaneSection, renderControlPlane } from "./controlplane";
import { fitExponent, fmt, fmtSummary, pairExponent, ratio, Summary, summarize } from "./stats";

export const BUDGETS = {
  /** prod synthesis wall time ≤ 2 × the empty program's (fresh process each). */
  prodOverEmpty: 2,
  /** 1,000 generated services on prod. */
  scale1000Seconds: 15,
  scale1000GiB: 2,
  growthExponent: 1.1,
  /** In-process policy evaluation, ms per 1,000 resources. */
  policyMsPer1000: 100,
  /** Reachability alone: growth in services (pods × policies per namespace would be 2). */
  reachabilityExponent: 1.1,
  /** Whole `npm test`. */
  testSeconds: 90,
} as const;

export interface Machine {
  nproc: number;
  cpuModel: string;
  memory: string;
  node: string;
  platform: string;
  commit: string;
  dirtyFiles: number;
}

export interface SynthRow {
  name: string;
  wallMs: Summary;
  importMs: Summary;
  runMs: Summary;
  rssMB: Summary;
  /** CPU time (user + system) of the whole process and of the run phase: what the figures would be on an idle machine, roughly. */
  cpuMs: Summary;
  runCpuMs: Summary;
  resources: number;
  /** CommonJS modules loaded (median). */
  modules: number;
  load1: Summary;
  errors: string[];
}

export interface SynthSection {
  at: string;
  preview: boolean;
  rows: SynthRow[];
  /** prod ÷ empty, per round (the two ran back to back) and of the medians. */
  prodOverEmpty?: { perRound: Summary; ofMedians: number; importOfMedians: number; rssOfMedians: number };
}

export interface ScaleRow extends SynthRow {
  services: number;
  policyAllMs: Summary;
  policyReachMs: Summary;
  policyMsPer1000: Summary;
  policyCpuMsPer1000: Summary;
  reachMsPer1000: Summary;
  /** With the proposed runner/reachability patches applied to a temp copy of policies/ (same inventory, same process). */
  proposed?: { policyAllMs: Summary; policyCpuMsPer1000: Summary; policyMsPer1000: Summary; sameReport: boolean };
  policiesRun: number;
  violations: { mandatory: number; advisory: number; sample: string[] };
}

export interface ScaleSection {
  at: string;
  tier: string;
  preview: boolean;
  rows: ScaleRow[];
  /** Growth exponents of time vs services. */
  growth?: {
    wallFit: number;
    wallR2: number;
    runFit: number;
    runR2: number;
    wall100to1000?: number;
    run100to1000?: number;
    rss100to1000?: number;
    runCpuFit?: number;
    runCpu100to1000?: number;
  };
}

export interface ReachRow {
  size: number;
  pods: number;
  policies: number;
  flows: number;
  intoDataMs: Summary;
  allFlowsMs: Summary;
  intoDataCpuMs?: Summary;
  allFlowsCpuMs?: Summary;
}

export interface ReachSection {
  at: string;
  load1: number;
  rows: ReachRow[];
  intoDataExponent?: number;
  allFlowsExponent?: number;
  intoDataLastPair?: number;
  /** The same measurement with a proposed patch applied to a temp copy of the evaluator (before/after). */
  proposed?: { patch: string; rows: ReachRow[]; intoDataExponent?: number; allFlowsExponent?: number; intoDataLastPair?: number };
}

/** Same job, different runtime settings, interleaved round by round. */
export interface ExperimentSection {
  at: string;
  job: string;
  variants: { name: string; env: Record<string, string>; row: SynthRow }[];
}

export interface LoopSection {
  at: string;
  tscMs: Summary;
  tscLoad1: Summary;
  tscExitCodes: number[];
  test?: { ms: number; load1Before: number; load1After: number; exitCode: number; summary: string };
}

export interface Results {
  machine: Machine;
  updatedAt: string;
  controlplane?: ControlPlaneSection;
  synth?: SynthSection;
  scale?: ScaleSection;
  reach?: ReachSection;
  experiments?: ExperimentSection;
  loop?: LoopSection;
}

export type Verdict = { budget: string; value: string; met: boolean | undefined; note?: string };

export function growthOf(rows: { services: number; wallMs: Summary; runMs: Summary; rssMB: Summary; runCpuMs?: Summary }[]): ScaleSection["growth"] {
  const ok = rows.filter((r) => r.runMs.median > 0);
  if (ok.length < 2) return undefined;
  const wall = fitExponent(ok.map((r) => ({ x: r.services, y: r.wallMs.median })));
  const run = fitExponent(ok.map((r) => ({ x: r.services, y: r.runMs.median })));
  const r100 = ok.find((r) => r.services === 100);
  const r1000 = ok.find((r) => r.services === 1000);
  const cpu = ok.every((r) => (r.runCpuMs?.median ?? 0) > 0) ? fitExponent(ok.map((r) => ({ x: r.services, y: r.runCpuMs!.median }))) : undefined;
  return {
    ...(cpu ? { runCpuFit: cpu.exponent } : {}),
    ...(cpu && r100 && r1000 ? { runCpu100to1000: pairExponent({ x: 100, y: r100.runCpuMs!.median }, { x: 1000, y: r1000.runCpuMs!.median }) } : {}),
    wallFit: wall.exponent,
    wallR2: wall.r2,
    runFit: run.exponent,
    runR2: run.r2,
    ...(r100 && r1000
      ? {
          wall100to1000: pairExponent({ x: 100, y: r100.wallMs.median }, { x: 1000, y: r1000.wallMs.median }),
          run100to1000: pairExponent({ x: 100, y: r100.runMs.median }, { x: 1000, y: r1000.runMs.median }),
          rss100to1000: pairExponent({ x: 100, y: r100.rssMB.median }, { x: 1000, y: r1000.rssMB.median }),
        }
      : {}),
  };
}

/** Exponents of reachability time vs services, on CPU time when measured (robust to the machine's load), else wall time. */
export function reachGrowth(rows: ReachRow[]): Pick<ReachSection, "intoDataExponent" | "allFlowsExponent" | "intoDataLastPair"> {
  if (rows.length < 2) return {};
  const into = (r: ReachRow) => (r.intoDataCpuMs ?? r.intoDataMs).median;
  const all = (r: ReachRow) => (r.allFlowsCpuMs ?? r.allFlowsMs).median;
  const a = rows[rows.length - 2]!;
  const b = rows[rows.length - 1]!;
  return {
    intoDataExponent: fitExponent(rows.map((r) => ({ x: r.size, y: into(r) }))).exponent,
    allFlowsExponent: fitExponent(rows.map((r) => ({ x: r.size, y: all(r) }))).exponent,
    intoDataLastPair: pairExponent({ x: a.size, y: into(a) }, { x: b.size, y: into(b) }),
  };
}

/** Which budgets are met, from whatever sections are present. */
export function verdicts(r: Results): Verdict[] {
  const out: Verdict[] = [];
  const cp = r.controlplane;
  out.push(
    cp?.matrix
      ? {
          budget: `conformance matrix ≤ ${CONTROLPLANE_BUDGETS.matrixSeconds / 60} min (built binaries)`,
          value: `${(cp.matrix.seconds / 60).toFixed(1)} min for ${cp.matrix.targets.length} targets, ${cp.matrix.targets.filter((t) => t.ok).length} passing, at load ${cp.load1.toFixed(1)}`,
          met: cp.matrix.seconds <= CONTROLPLANE_BUDGETS.matrixSeconds,
        }
      : { budget: "conformance matrix ≤ 20 min", value: "not measured", met: undefined },
    cp?.local
      ? {
          budget: `npm run local ≤ ${CONTROLPLANE_BUDGETS.localSeconds} s to ready (warm machine)`,
          value: `first ${cp.local.firstSeconds.toFixed(0)} s, second ${cp.local.secondSeconds.toFixed(0)} s`,
          met: cp.local.firstOk && cp.local.firstSeconds <= CONTROLPLANE_BUDGETS.localSeconds,
        }
      : { budget: "npm run local ≤ 3 min to ready", value: "not measured", met: undefined },
  );
  const pe = r.synth?.prodOverEmpty;
  const cpuRatio = synthCpuRatio(r);
  out.push(
    pe
      ? {
          budget: `prod synthesis ≤ ${BUDGETS.prodOverEmpty}× empty program (wall, fresh process)`,
          value: `${fmt(pe.ofMedians)}× (per round ${fmtSummary(pe.perRound)})${cpuRatio !== undefined ? `; CPU time ${fmt(cpuRatio)}×` : ""}`,
          met: pe.ofMedians <= BUDGETS.prodOverEmpty,
          ...(proposedRatio(r)
            ? { note: `with the proposed harness fix (Error.stackTraceLimit = 0): wall ${fmt(proposedRatio(r)!.wall)}×, CPU ${fmt(proposedRatio(r)!.cpu)}×` }
            : {}),
        }
      : { budget: "prod ≤ 2× empty", value: "not measured", met: undefined },
  );
  const big = r.scale?.rows.find((x) => x.services === 1000);
  if (big && big.errors.length === 0) {
    out.push({
      budget: `1,000 services < ${BUDGETS.scale1000Seconds} s`,
      value: `${fmt(big.wallMs.median / 1000, "s")} wall at load ${fmt(big.load1.median)} (CPU ${fmt((big.cpuMs?.median ?? 0) / 1000, "s")}; ${big.resources} resources)`,
      met: big.wallMs.median < BUDGETS.scale1000Seconds * 1000,
    });
    out.push({
      budget: `1,000 services < ${BUDGETS.scale1000GiB} GiB`,
      value: `${fmt(big.rssMB.median / 1024, "GiB")} peak RSS`,
      met: big.rssMB.median < BUDGETS.scale1000GiB * 1024,
    });
  } else out.push({ budget: "1,000 services < 15 s and 2 GiB", value: big ? `failed: ${big.errors[0]}` : "not measured", met: big ? false : undefined });
  const g = r.scale?.growth;
  if (g) {
    const worst = Math.max(g.runFit, g.run100to1000 ?? -Infinity, g.runCpuFit ?? -Infinity, g.runCpu100to1000 ?? -Infinity);
    out.push({
      budget: `growth exponent ≤ ${BUDGETS.growthExponent} (synthesis run time, module loading excluded)`,
      value: `wall: fit 10–1,000 ${fmt(g.runFit)}, 100→1,000 ${g.run100to1000 !== undefined ? fmt(g.run100to1000) : "n/a"}; CPU: fit ${g.runCpuFit !== undefined ? fmt(g.runCpuFit) : "n/a"}, 100→1,000 ${g.runCpu100to1000 !== undefined ? fmt(g.runCpu100to1000) : "n/a"} (whole process wall: ${fmt(g.wallFit)} / ${g.wall100to1000 !== undefined ? fmt(g.wall100to1000) : "n/a"})`,
      met: worst <= BUDGETS.growthExponent,
    });
  }
  const measured = (r.scale?.rows ?? []).filter((x) => x.errors.length === 0 && x.policyAllMs.n > 0);
  if (measured.length) {
    // Per-1,000 rates of tiny inventories are dominated by fixed per-policy overhead; the budget is about large stacks.
    const largest = measured.reduce((a, b) => (b.resources > a.resources ? b : a));
    const v = largest.policyMsPer1000.median;
    out.push({
      budget: `policies < ${BUDGETS.policyMsPer1000} ms per 1,000 resources (whole pack incl. reachability)`,
      value: `${fmt(v, "ms")} / 1,000 resources wall (CPU ${fmt(largest.policyCpuMsPer1000?.median ?? 0, "ms")}) on the largest inventory (${largest.resources} resources: ${fmt(largest.policyAllMs.median, "ms")} in all, reachability policy ${fmt(largest.policyReachMs.median, "ms")})`,
      met: largest.resources >= 1000 ? v < BUDGETS.policyMsPer1000 : undefined,
      ...(largest.resources < 1000
        ? { note: "inventory under 1,000 resources: not conclusive" }
        : largest.proposed
          ? {
              note: `with bench/proposals/*.patch: ${fmt(largest.proposed.policyMsPer1000.median, "ms")} wall, CPU ${fmt(largest.proposed.policyCpuMsPer1000.median, "ms")} per 1,000 (same report: ${largest.proposed.sameReport})`,
            }
          : {}),
    });
  }
  if (r.reach?.intoDataExponent !== undefined) {
    out.push({
      budget: `reachability not quadratic (exponent ≤ ${BUDGETS.reachabilityExponent} in services)`,
      value: `flowsInto(data): fit ${fmt(r.reach.intoDataExponent)}, last pair ${fmt(r.reach.intoDataLastPair!)}; all flows: ${fmt(r.reach.allFlowsExponent!)}`,
      met: Math.max(r.reach.intoDataExponent, r.reach.intoDataLastPair!) <= BUDGETS.reachabilityExponent,
      ...(r.reach.proposed?.intoDataExponent !== undefined
        ? { note: `with ${r.reach.proposed.patch}: fit ${fmt(r.reach.proposed.intoDataExponent)}, last pair ${fmt(r.reach.proposed.intoDataLastPair!)}` }
        : {}),
    });
  }
  if (r.loop?.test) {
    out.push({
      budget: `npm test < ${BUDGETS.testSeconds} s`,
      value: `${fmt(r.loop.test.ms / 1000, "s")} (load ${fmt(r.loop.test.load1Before)}→${fmt(r.loop.test.load1After)}; ${r.loop.test.summary})`,
      met: r.loop.test.ms < BUDGETS.testSeconds * 1000,
    });
  } else out.push({ budget: "npm test < 90 s", value: "not measured", met: undefined });
  return out;
}

/** The prod stack with the proposed stack-limit setting ÷ the empty program (medians). */
export function proposedRatio(r: Results): { wall: number; cpu: number } | undefined {
  const e = r.synth?.rows.find((x) => x.name.startsWith("empty"));
  const p = r.synth?.rows.find((x) => x.name.startsWith("stack prod, "));
  if (!e || !p || !e.wallMs.median || !p.wallMs.median) return undefined;
  return { wall: p.wallMs.median / e.wallMs.median, cpu: (p.cpuMs?.median ?? 0) / (e.cpuMs?.median || 1) };
}

/** prod ÷ empty on the medians of CPU time (load-independent). */
export function synthCpuRatio(r: Results): number | undefined {
  const e = r.synth?.rows.find((x) => x.name.startsWith("empty"));
  const p = r.synth?.rows.find((x) => x.name === "stack prod");
  return e?.cpuMs?.median && p?.cpuMs?.median ? p.cpuMs.median / e.cpuMs.median : undefined;
}

const mark = (m: boolean | undefined): string => (m === undefined ? "—" : m ? "✅ met" : "❌ missed");

export function renderMarkdown(r: Results): string {
  const L: string[] = [];
  const m = r.machine;
  L.push("# Benchmark results", "");
  L.push(
    "Generated by `npm run bench` (bench/run.ts). Each figure: median (min–max) over the runs shown; wall times are from spawn to exit of a fresh `node --import tsx` process, so module loading counts as it does for `pulumi preview`. `load` is the 1-minute load average when the runs started (shared machine: other agents were working).",
    "",
  );
  L.push("## Machine", "");
  L.push(
    `- CPU: ${m.cpuModel}, nproc ${m.nproc}`,
    `- Memory: ${m.memory}`,
    `- Node ${m.node} on ${m.platform}`,
    `- Commit ${m.commit}${m.dirtyFiles ? ` (+${m.dirtyFiles} uncommitted files of work in progress in the tree)` : ""}`,
    `- Updated ${r.updatedAt}`,
    "",
  );
  L.push("## Budgets", "", "| Budget | Measured | Verdict |", "| --- | --- | --- |");
  for (const v of verdicts(r)) L.push(`| ${v.budget} | ${v.value}${v.note ? ` — ${v.note}` : ""} | ${mark(v.met)} |`);
  L.push("");
  if (r.controlplane) L.push(...renderControlPlane(r.controlplane));
  if (r.synth) {
    L.push(`## Synthesis cost (${r.synth.preview ? "preview" : "update"} mode, measured ${r.synth.at})`, "");
    L.push(
      "| Program | Resources | Modules | Wall ms | CPU ms | Module load ms | Run ms | Peak RSS MB | Load (1 min) |",
      "| --- | ---: | ---: | --- | --- | --- | --- | --- | --- |",
    );
    for (const x of r.synth.rows) {
      L.push(
        `| ${x.name} | ${x.resources} | ${x.modules} | ${fmtSummary(x.wallMs)} | ${fmtSummary(x.cpuMs)} | ${fmtSummary(x.importMs)} | ${fmtSummary(x.runMs)} | ${fmtSummary(x.rssMB)} | ${fmtSummary(x.load1)} |${x.errors.length ? ` ⚠ ${x.errors[0]}` : ""}`,
      );
    }
    const pe = r.synth.prodOverEmpty;
    if (pe)
      L.push(
        "",
        `prod ÷ empty: wall ${fmt(pe.ofMedians)}× (per back-to-back round ${fmtSummary(pe.perRound)}), CPU ${synthCpuRatio(r) !== undefined ? fmt(synthCpuRatio(r)!) : "—"}×, module loading ${fmt(pe.importOfMedians)}×, peak RSS ${fmt(pe.rssOfMedians)}×.`,
      );
    L.push("");
  }
  if (r.scale) {
    L.push(`## Scale: generated blueprint on ${r.scale.tier} (${r.scale.preview ? "preview" : "update"} mode, measured ${r.scale.at})`, "");
    L.push("| Services | Resources | Wall ms | CPU ms | Run ms | Run CPU ms | Peak RSS MB | Load |", "| ---: | ---: | --- | --- | --- | --- | --- | --- |");
    for (const x of r.scale.rows) {
      L.push(
        `| ${x.services} | ${x.resources} | ${fmtSummary(x.wallMs)} | ${fmtSummary(x.cpuMs)} | ${fmtSummary(x.runMs)} | ${fmtSummary(x.runCpuMs)} | ${fmtSummary(x.rssMB)} | ${fmtSummary(x.load1)} |${x.errors.length ? ` ⚠ ${x.errors[0]}` : ""}`,
      );
    }
    L.push(
      "",
      'Policy cost on the same inventories (in-process `runPolicies(inventory, { tier: "prod" })`, whole pack; the reachability policy alone as well):',
      "",
    );
    L.push(
      "| Services | Resources | Pack ms | Pack ms / 1,000 res. | Pack CPU ms / 1,000 res. | Reachability policy ms | Proposed patches: pack ms | ms / 1,000 | CPU ms / 1,000 | same report |",
      "| ---: | ---: | --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const x of r.scale.rows) {
      const p = x.proposed;
      L.push(
        `| ${x.services} | ${x.resources} | ${fmtSummary(x.policyAllMs)} | ${fmtSummary(x.policyMsPer1000)} | ${fmtSummary(x.policyCpuMsPer1000)} | ${fmtSummary(x.policyReachMs)} | ${p ? fmtSummary(p.policyAllMs) : "—"} | ${p ? fmtSummary(p.policyMsPer1000) : "—"} | ${p ? fmtSummary(p.policyCpuMsPer1000) : "—"} | ${p ? String(p.sameReport) : "—"} |`,
      );
    }
    const g = r.scale.growth;
    if (g) {
      L.push(
        "",
        `Growth exponent (log-log least squares of time vs services): run time ${fmt(g.runFit)} (r² ${fmt(g.runR2)}), run CPU time ${g.runCpuFit !== undefined ? fmt(g.runCpuFit) : "n/a"}, whole process ${fmt(g.wallFit)} (r² ${fmt(g.wallR2)}). Load during these runs: ${fmt(Math.min(...r.scale.rows.map((x) => x.load1.min)))}–${fmt(Math.max(...r.scale.rows.map((x) => x.load1.max)))}; the CPU exponent is the load-independent one.`,
      );
      if (g.runCpu100to1000 !== undefined) L.push(`100 → 1,000 services, run CPU time: ${fmt(g.runCpu100to1000)}.`);
      if (g.run100to1000 !== undefined)
        L.push(`100 → 1,000 services: run time ${fmt(g.run100to1000)}, whole process ${fmt(g.wall100to1000!)}, peak RSS ${fmt(g.rss100to1000!)}.`);
    }
    const withV = r.scale.rows.find((x) => x.violations.sample.length);
    L.push(
      "",
      `Policy runs: ${r.scale.rows[0]?.policiesRun ?? 0} policies per run; violations per size: ${r.scale.rows.map((x) => `${x.services}: ${x.violations.mandatory} mandatory / ${x.violations.advisory} advisory`).join("; ")}.`,
    );
    if (withV) L.push("", "Sample violations (largest inventory with any):", "", ...withV.violations.sample.map((s) => `- ${s.replace(/\|/g, "\\|")}`));
    L.push("");
  }
  if (r.reach) {
    L.push(`## Reachability evaluator alone (synthetic manifests, load ${fmt(r.reach.load1)}, measured ${r.reach.at})`, "");
    L.push(
      "One namespace with n Deployments, one NetworkPolicy per Deployment (from the ingress namespace, from its neighbour; to its neighbour and PostgreSQL) plus default denies: pods × policies in that namespace is n².",
      "",
    );
    L.push(
      "| Services n | Pods | Policies | Flows | Reachability + flowsInto(data) ms | CPU ms | Reachability + all flows ms | CPU ms |",
      "| ---: | ---: | ---: | ---: | --- | --- | --- | --- |",
    );
    for (const x of r.reach.rows)
      L.push(
        `| ${x.size} | ${x.pods} | ${x.policies} | ${x.flows} | ${fmtSummary(x.intoDataMs)} | ${fmtSummary(x.intoDataCpuMs)} | ${fmtSummary(x.allFlowsMs)} | ${fmtSummary(x.allFlowsCpuMs)} |`,
      );
    if (r.reach.intoDataExponent !== undefined)
      L.push(
        "",
        `Growth exponent (on CPU time): flowsInto(data) ${fmt(r.reach.intoDataExponent)} (last pair ${fmt(r.reach.intoDataLastPair!)}), all flows ${fmt(r.reach.allFlowsExponent!)}.`,
      );
    const p = r.reach.proposed;
    if (p) {
      L.push("", `With the proposed \`${p.patch}\` applied to a temp copy (same process, same inputs; label index for policy and peer selectors):`, "");
      L.push(
        "| Services n | Flows | flowsInto(data) ms | CPU ms | all flows ms | CPU ms | speed-up (flowsInto, CPU) |",
        "| ---: | ---: | --- | --- | --- | --- | ---: |",
      );
      for (const x of p.rows) {
        const before = r.reach.rows.find((b) => b.size === x.size);
        const cpu = (y: ReachRow) => (y.intoDataCpuMs ?? y.intoDataMs).median;
        L.push(
          `| ${x.size} | ${x.flows} | ${fmtSummary(x.intoDataMs)} | ${fmtSummary(x.intoDataCpuMs)} | ${fmtSummary(x.allFlowsMs)} | ${fmtSummary(x.allFlowsCpuMs)} | ${before ? `${fmt(cpu(before) / cpu(x))}×` : ""} |`,
        );
      }
      if (p.intoDataExponent !== undefined)
        L.push(
          "",
          `Growth exponent with the patch: flowsInto(data) ${fmt(p.intoDataExponent)} (last pair ${fmt(p.intoDataLastPair!)}), all flows ${fmt(p.allFlowsExponent!)}.`,
        );
    }
    L.push("");
  }
  if (r.experiments) {
    const e = r.experiments;
    L.push(`## Experiment: where the synthesis time goes (${e.job}, measured ${e.at})`, "");
    L.push("| Variant | Settings | Wall ms | Run ms | Run CPU ms | Peak RSS MB | Load |", "| --- | --- | --- | --- | --- | --- | --- |");
    for (const v of e.variants)
      L.push(
        `| ${v.name} | ${
          Object.entries(v.env)
            .map(([k, x]) => `\`${k}=${x}\``)
            .join(" ") || "as shipped"
        } | ${fmtSummary(v.row.wallMs)} | ${fmtSummary(v.row.runMs)} | ${fmtSummary(v.row.runCpuMs)} | ${fmtSummary(v.row.rssMB)} | ${fmtSummary(v.row.load1)} |`,
      );
    const base = e.variants[0]?.row;
    if (base)
      for (const v of e.variants.slice(1))
        L.push(
          "",
          `${v.name}: run CPU ${fmt(v.row.runCpuMs.median / base.runCpuMs.median)}× of as-shipped, peak RSS ${fmt(v.row.rssMB.median / base.rssMB.median)}×.`,
        );
    L.push("");
  }
  if (r.loop) {
    L.push(`## Developer loop (measured ${r.loop.at})`, "");
    L.push(
      `- \`tsc --noEmit -p tsconfig.json\`: ${fmtSummary(r.loop.tscMs, 1 / 1000, "s")} over ${r.loop.tscMs.n} runs, load ${fmtSummary(r.loop.tscLoad1)}; exit codes ${r.loop.tscExitCodes.join(",")} (non-zero = type errors in work in progress; the time is what counts here).`,
    );
    if (r.loop.test)
      L.push(
        `- \`npm test\` (once, as briefed: tsc + every vitest file): ${fmt(r.loop.test.ms / 1000, "s")}, load ${fmt(r.loop.test.load1Before)} before / ${fmt(r.loop.test.load1After)} after, exit ${r.loop.test.exitCode}, \`${r.loop.test.summary}\`.`,
      );
    L.push("");
  }
  return L.join("\n");
}

/** Summaries of the i-th field over runs. */
export function summaryOf<T>(runs: T[], f: (t: T) => number): Summary {
  return runs.length ? summarize(runs.map(f)) : { n: 0, median: 0, min: 0, max: 0 };
}

export { ratio };
