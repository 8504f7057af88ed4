/**
 * The corpus check of `npm run plan -- --program` (issue 20): public Pulumi TypeScript programs
 * written by other people, listed with where each came from and the findings a reader expects in
 * test/foreign/corpus.json; their code stays out of this repository.
 *
 *   npm run corpus -- [--list test/foreign/corpus.json] [--mirrors /work/.mirror] [--work DIR]
 *                     [--only ID[,ID...]] [--install-only] [--update] [--timeout SECONDS]
 *                     [--out test/foreign/CORPUS-RESULTS.md] [--json FILE]
 *
 * For each entry it
 *  1. materialises the program from a local git mirror (`<mirrors>/<owner>+<name>/repo`, as the
 *     `fetch` tool leaves them, or `<mirrors>/<owner>+<name>` as a bare repository):
 *     `git --git-dir M archive <commit> <path> | tar -x` into `<work>/<id>/`;
 *  2. installs its dependencies as its author would, without running their scripts:
 *     `npm install --ignore-scripts` (npm cache under `<work>/.npm-cache`), once (kept for reruns);
 *  3. runs the offline plan on it exactly as a user would (scripts/plan-lib.ts planTarget with a
 *     program target, the tier from the list's `tier`), one program at a time, and records: a report
 *     produced or not, the exit code, the time, whether it hung (did not end within its deadline
 *     plus the runner's kill margin), and the mandatory findings against the expected ones;
 *  4. writes the metrics (report rate, hangs, precision and recall per concern) to --out.
 *
 * It needs the mirrors and the npm registry, so it is not part of `npm test`;
 * test/foreign/corpus.test.ts checks the list's format and that every expected finding names a
 * real policy.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allPolicies, concernOf } from "../../policies/policies";
import { exitCodeFor, planTarget, type PlanResult } from "../plan-lib";

export interface CorpusEntry {
  id: string;
  repo: string;
  commit: string;
  path: string;
  /** What the program deploys, in a few words. */
  deploys: string;
  /** Policies a reader of the code expects to report a mandatory violation at the list's tier. */
  expected: string[];
  /** Why, where not obvious. */
  why?: string;
  /** When and why the expectation was changed after seeing a run (kept visible, never silent). */
  corrected?: string;
}

export interface CorpusList {
  description: string;
  /** The tier every program is judged on (passed as --tier). */
  tier: "dev" | "staging" | "prod";
  programs: CorpusEntry[];
}

export const CONCERNS = ["tls", "headers", "segmentation", "baseline"] as const;

/** Problems with the list's format, empty when it is well-formed. */
export function corpusListProblems(list: CorpusList): string[] {
  const out: string[] = [];
  const names = new Set(allPolicies.map((p) => p.name));
  if (!["dev", "staging", "prod"].includes(list.tier)) out.push(`tier '${list.tier}' is not dev, staging or prod`);
  const ids = new Set<string>();
  for (const [i, e] of (list.programs ?? []).entries()) {
    const at = `programs[${i}] (${e.id ?? "no id"})`;
    if (!e.id || !/^[a-z0-9][a-z0-9._-]*$/.test(e.id)) out.push(`${at}: id must be lower-case letters, digits, '.', '_' or '-'`);
    if (ids.has(e.id)) out.push(`${at}: duplicate id`);
    ids.add(e.id);
    if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(e.repo ?? "")) out.push(`${at}: repo must be owner/name`);
    if (/^pulumi\/examples$/i.test(e.repo ?? "")) out.push(`${at}: pulumi/examples is kept as the independent check; take programs from other repositories`);
    if (!/^[0-9a-f]{40}$/.test(e.commit ?? "")) out.push(`${at}: commit must be a full 40-hex commit id`);
    if (typeof e.path !== "string" || e.path.startsWith("/") || e.path.includes("..")) out.push(`${at}: path must be relative inside the repository`);
    if (!e.deploys) out.push(`${at}: deploys (what it deploys) is missing`);
    if (!Array.isArray(e.expected)) out.push(`${at}: expected must be a list of policy names`);
    else for (const p of e.expected) if (!names.has(p)) out.push(`${at}: expected finding '${p}' is not a policy of the pack`);
  }
  return out;
}

interface Args {
  list: string;
  mirrors: string;
  work: string;
  only?: string[];
  installOnly: boolean;
  preview: boolean;
  timeoutS: number;
  out: string;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const root = path.resolve(__dirname, "..", "..");
  const a: Args = { list: path.join(root, "test/foreign/corpus.json"), mirrors: "/work/.mirror", work: path.join(os.tmpdir(), "plan-corpus"), installOnly: false, preview: true, timeoutS: 120, out: path.join(root, "test/foreign/CORPUS-RESULTS.md") };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === "--list") a.list = path.resolve(v());
    else if (k === "--mirrors") a.mirrors = path.resolve(v());
    else if (k === "--work") a.work = path.resolve(v());
    else if (k === "--only") a.only = v().split(",");
    else if (k === "--install-only") a.installOnly = true;
    else if (k === "--update") a.preview = false;
    else if (k === "--timeout") a.timeoutS = Number(v());
    else if (k === "--out") a.out = path.resolve(v());
    else if (k === "--json") a.json = path.resolve(v());
    else throw new Error(`unknown option ${k} (see the header of scripts/foreign/corpus.ts)`);
  }
  return a;
}

function mirrorOf(mirrors: string, repo: string): string {
  const base = path.join(mirrors, repo.replace("/", "+"));
  for (const c of [path.join(base, "repo"), base]) if (fs.existsSync(path.join(c, "HEAD"))) return c;
  throw new Error(`no git mirror of ${repo} under ${mirrors} (fetch it first: the fetch tool with github:${repo})`);
}

/** The program's project directory in the work folder, extracted from the mirror on first use. */
function materialise(e: CorpusEntry, a: Args): string {
  const dir = path.join(a.work, e.id);
  const project = path.join(dir, e.path);
  if (fs.existsSync(path.join(project, "Pulumi.yaml")) || fs.existsSync(path.join(project, "Pulumi.yml"))) return project;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const git = mirrorOf(a.mirrors, e.repo);
  const r = spawnSync("bash", ["-c", `git --git-dir "$1" archive "$2" "$3" | tar -x -C "$4"`, "_", git, e.commit, e.path, dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git archive ${e.repo}@${e.commit.slice(0, 12)} ${e.path}: ${r.stderr.trim()}`);
  return project;
}

/**
 * `npm install --ignore-scripts` once; the marker file keeps the outcome for reruns. When the
 * program's lock file pins versions the registry no longer serves (E404/ETARGET), the install is
 * retried from package.json's ranges with `--no-package-lock`, and that is recorded.
 */
function install(project: string, a: Args): { ok: boolean; seconds: number; log: string; lockIgnored?: boolean } {
  const marker = path.join(project, ".corpus-install.json");
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, "utf8"));
  const t0 = Date.now();
  const npm = (extra: string[]) =>
    spawnSync("nice", ["-n", "10", "npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", "--cache", path.join(a.work, ".npm-cache"), ...extra], {
      cwd: project,
      encoding: "utf8",
      timeout: 15 * 60_000,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: path.join(a.work, ".home"), npm_config_update_notifier: "false" },
    });
  const logOf = (r: ReturnType<typeof npm>) => `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim().split("\n").slice(-8).join("\n");
  let r = npm([]);
  let lockIgnored = false;
  if (r.status !== 0 && /E404|ETARGET|notarget/i.test(logOf(r))) {
    lockIgnored = true;
    r = npm(["--no-package-lock"]);
  }
  const out = { ok: r.status === 0, seconds: Math.round((Date.now() - t0) / 1000), log: logOf(r), ...(lockIgnored ? { lockIgnored } : {}) };
  fs.writeFileSync(marker, JSON.stringify(out));
  return out;
}

export interface CorpusRun {
  id: string;
  repo: string;
  path: string;
  installed: boolean;
  installLog?: string;
  /** The lock file pinned versions the registry no longer serves: installed from package.json's ranges. */
  lockIgnored?: boolean;
  report: boolean;
  status: string;
  exit: number;
  seconds: number;
  hang: boolean;
  found: string[];
  expected: string[];
  notInspected: number;
  error?: string;
}

async function runOne(e: CorpusEntry, list: CorpusList, a: Args): Promise<CorpusRun> {
  const base = { id: e.id, repo: e.repo, path: e.path, expected: [...e.expected].sort() };
  let project: string;
  try {
    project = materialise(e, a);
  } catch (err) {
    return { ...base, installed: false, report: false, status: "not materialised", exit: -1, seconds: 0, hang: false, found: [], notInspected: 0, error: String((err as Error).message) };
  }
  const inst = install(project, a);
  if (a.installOnly) return { ...base, installed: inst.ok, ...(inst.ok ? {} : { installLog: inst.log }), report: false, status: "installed only", exit: -1, seconds: inst.seconds, hang: false, found: [], notInspected: 0 };
  const t0 = Date.now();
  // The runner kills its child at the deadline plus its margin; anything past that is a hang.
  const limitMs = a.timeoutS * 1000 + 90_000;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hang">((resolve) => (timer = setTimeout(() => resolve("hang"), limitMs)));
  const r = await Promise.race([planTarget({ kind: "program", file: project, config: {}, tier: list.tier, timeoutMs: a.timeoutS * 1000 }, { preview: a.preview }), hung]);
  clearTimeout(timer);
  const seconds = Math.round((Date.now() - t0) / 100) / 10;
  if (r === "hang") return { ...base, installed: inst.ok, report: false, status: "hang", exit: -1, seconds, hang: true, found: [], notInspected: 0 };
  const pr = r as PlanResult;
  const found = [...new Set((pr.policy?.violations ?? []).filter((v) => v.enforcementLevel === "mandatory" && !v.unknown).map((v) => v.policyName))].sort();
  return {
    ...base,
    installed: inst.ok,
    ...(inst.ok ? {} : { installLog: inst.log }),
    ...(inst.lockIgnored ? { lockIgnored: true } : {}),
    report: !!pr.policy,
    status: pr.status,
    exit: exitCodeFor([pr]),
    seconds,
    hang: false,
    found,
    notInspected: pr.notInspected?.length ?? 0,
    ...(pr.error ? { error: pr.error.split("\n").slice(0, 4).join(" ").slice(0, 400) } : {}),
  };
}

export interface ConcernScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

/** Precision and recall per concern over (program, policy) pairs of the programs that produced a report. */
export function scores(runs: CorpusRun[]): Record<(typeof CONCERNS)[number], ConcernScore> {
  const out = {} as Record<(typeof CONCERNS)[number], ConcernScore>;
  for (const c of CONCERNS) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const r of runs.filter((x) => x.report)) {
      const f = new Set(r.found.filter((p) => concernOf(p) === c));
      const e = new Set(r.expected.filter((p) => concernOf(p) === c));
      for (const p of f) (e.has(p) ? tp++ : fp++);
      for (const p of e) if (!f.has(p)) fn++;
    }
    out[c] = { tp, fp, fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
  }
  return out;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function renderResults(list: CorpusList, runs: CorpusRun[], a: { preview: boolean; timeoutS: number }): string {
  const reports = runs.filter((r) => r.report).length;
  const hangs = runs.filter((r) => r.hang).length;
  const s = scores(runs);
  const lines = [
    "# Corpus results: `npm run plan -- --program` on programs it has never seen",
    "",
    `Generated by \`npm run corpus\` (scripts/foreign/corpus.ts) from test/foreign/corpus.json: ${runs.length} public Pulumi TypeScript programs by other authors (not pulumi/examples), each installed with \`npm install --ignore-scripts\` and planned in ${a.preview ? "preview (the default)" : "update (--update)"} mode, tier ${list.tier}, deadline ${a.timeoutS} s.`,
    "",
    "| measure | result | target |",
    "| --- | --- | --- |",
    `| report produced | ${reports}/${runs.length} (${pct(reports / Math.max(1, runs.length))}) | ≥ 90% |`,
    `| hangs | ${hangs} | 0 |`,
    `| lock file ignored (pinned versions gone from the registry) | ${runs.filter((r) => r.lockIgnored).length} | - |`,
    ...CONCERNS.map((c) => `| ${c}: precision / recall | ${pct(s[c].precision)} / ${pct(s[c].recall)} (TP ${s[c].tp}, FP ${s[c].fp}, FN ${s[c].fn}) | ≥ 90% each |`),
    "",
    "Findings are the policies with a mandatory violation; expected findings are what a reader of each program's code listed in corpus.json. Precision and recall count (program, policy) pairs over the programs that produced a report.",
    "",
    "| program | exit | status | s | not inspected | false positives | missed |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of runs) {
    const fp = r.found.filter((p) => !r.expected.includes(p));
    const fn = r.expected.filter((p) => !r.found.includes(p));
    lines.push(`| ${r.repo} \`${r.path}\` | ${r.exit} | ${r.status}${r.installed ? "" : " (install failed)"}${r.lockIgnored ? " (lock ignored)" : ""} | ${r.seconds} | ${r.notInspected} | ${fp.join(", ") || "-"} | ${fn.join(", ") || "-"} |`);
  }
  const corrected = list.programs.filter((e) => e.corrected && runs.some((r) => r.id === e.id));
  if (corrected.length) {
    lines.push("", `## Expectations corrected after a run (${corrected.length})`, "");
    for (const e of corrected) lines.push(`- ${e.id}: ${e.corrected}`);
  }
  const errs = runs.filter((r) => r.error || r.installLog);
  if (errs.length) {
    lines.push("", "## Errors", "");
    for (const r of errs) lines.push(`- ${r.id}: ${(r.error ?? r.installLog ?? "").replace(/\s+/g, " ").slice(0, 400)}`);
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const list = JSON.parse(fs.readFileSync(a.list, "utf8")) as CorpusList;
  const problems = corpusListProblems(list);
  if (problems.length) throw new Error(`${a.list}:\n  ${problems.join("\n  ")}`);
  fs.mkdirSync(a.work, { recursive: true });
  const entries = list.programs.filter((e) => !a.only || a.only.includes(e.id));
  const runs: CorpusRun[] = [];
  for (const [i, e] of entries.entries()) {
    const r = await runOne(e, list, a);
    runs.push(r);
    process.stdout.write(`[${i + 1}/${entries.length}] ${e.id}: ${r.status} exit ${r.exit} ${r.seconds}s found [${r.found.join(", ")}] expected [${r.expected.join(", ")}]${r.error ? ` — ${r.error.slice(0, 200)}` : ""}\n`);
  }
  if (a.installOnly) return;
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(runs, null, 1) + "\n");
  if (!a.only) fs.writeFileSync(a.out, renderResults(list, runs, a));
  const s = scores(runs);
  process.stdout.write(`reports ${runs.filter((r) => r.report).length}/${runs.length}, hangs ${runs.filter((r) => r.hang).length}; ${CONCERNS.map((c) => `${c} P ${pct(s[c].precision)} R ${pct(s[c].recall)}`).join("; ")}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`corpus: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
