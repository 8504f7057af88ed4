/**
 * The corpus check of `npm run plan -- --program` (issue 20): public Pulumi TypeScript programs
 * written by other people, listed with where each came from and the findings a reader expects in
 * test/foreign/corpus.json; their code stays out of this repository.
 *
 *   npm run corpus -- [--list test/foreign/corpus.json] [--mirrors /work/.mirror] [--work DIR]
 *                     [--only ID[,ID...]] [--install-only] [--update] [--both] [--timeout SECONDS]
 *                     [--out test/foreign/CORPUS-RESULTS.md] [--json FILE] [--from-json FILE]
 *
 * For each entry it
 *  1. materialises the program from a local git mirror (`<mirrors>/<owner>+<name>/repo`, as the
 *     `fetch` tool leaves them, or `<mirrors>/<owner>+<name>` as a bare repository):
 *     `git --git-dir M archive <commit> <path> | tar -x` into `<work>/<id>/`; when its sources
 *     import from outside that folder (`../common/output`), the whole repository at that commit;
 *  2. installs its dependencies as its author would, without running their scripts:
 *     `npm install --ignore-scripts` (npm cache under `<work>/.npm-cache`), once (kept for reruns);
 *     on ERESOLVE again with `--legacy-peer-deps`, on a lock file the registry cannot serve again
 *     from package.json's ranges; then only the install scripts of INSTALL_SCRIPTS_ALLOWED packages
 *     the program depends on directly (`npm rebuild <name>`); each step is recorded in the results;
 *  3. runs the offline plan on it exactly as a user would (scripts/plan-lib.ts planTarget with a
 *     program target, the tier from the list's `tier`, the entry's `config` as --config), one
 *     program at a time, and records: a report produced or not, the exit code, the time, whether it
 *     hung (did not end within its deadline plus the runner's kill margin), the mandatory findings
 *     against the expected ones, and what was not inspected; with --both, in the other mode too;
 *  4. writes the metrics (report rate, hangs, precision and recall per concern), why each program
 *     without a report has none, and the comparison of the modes to --out.
 *
 * The same script runs the independent check: `--list test/foreign/examples.json --out
 * test/foreign/EXAMPLES-RESULTS.md` (programs from pulumi/examples, `check: "independent"`).
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
  /**
   * A defect of the program itself that keeps it from running anywhere (an import it does not
   * declare, an API its declared version does not have, a build output not in the repository),
   * found by reading its code: the results name it instead of dropping the program.
   */
  defect?: string;
  /** Config the program's README tells its user to set (`pulumi config set k v`), passed as --config. */
  config?: Record<string, string>;
}

export interface CorpusList {
  description: string;
  /** The tier every program is judged on (passed as --tier). */
  tier: "dev" | "staging" | "prod";
  /**
   * "independent": the independent check, programs from pulumi/examples only, with expectations
   * written by someone who did not write the pack (test/foreign/examples.json). Absent: the corpus,
   * which must not take programs from pulumi/examples.
   */
  check?: "independent";
  programs: CorpusEntry[];
}

export const CONCERNS = ["tls", "headers", "segmentation", "baseline"] as const;

/** Problems with the list's format, empty when it is well-formed. */
export function corpusListProblems(list: CorpusList): string[] {
  const out: string[] = [];
  const names = new Set(allPolicies.map((p) => p.name));
  if (!["dev", "staging", "prod"].includes(list.tier)) out.push(`tier '${list.tier}' is not dev, staging or prod`);
  if (list.check !== undefined && list.check !== "independent") out.push(`check '${String(list.check)}' is not "independent" (leave it out for the corpus)`);
  const ids = new Set<string>();
  for (const [i, e] of (list.programs ?? []).entries()) {
    const at = `programs[${i}] (${e.id ?? "no id"})`;
    if (!e.id || !/^[a-z0-9][a-z0-9._-]*$/.test(e.id)) out.push(`${at}: id must be lower-case letters, digits, '.', '_' or '-'`);
    if (ids.has(e.id)) out.push(`${at}: duplicate id`);
    ids.add(e.id);
    if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(e.repo ?? "")) out.push(`${at}: repo must be owner/name`);
    if (list.check === "independent") {
      if (!/^pulumi\/examples$/i.test(e.repo ?? ""))
        out.push(`${at}: the independent check takes programs from pulumi/examples only; put ${e.repo} in the corpus (test/foreign/corpus.json)`);
    } else if (/^pulumi\/examples$/i.test(e.repo ?? ""))
      out.push(`${at}: pulumi/examples is kept as the independent check; take programs from other repositories`);
    if (e.config !== undefined && (typeof e.config !== "object" || Array.isArray(e.config) || Object.values(e.config).some((v) => typeof v !== "string")))
      out.push(`${at}: config must map keys to string values, as \`pulumi config set\` takes them`);
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
  /** Run every program in both modes (--both): the primary mode, then the other. */
  both: boolean;
  timeoutS: number;
  out: string;
  json?: string;
  /** Re-render --out from a --json file of an earlier run, running nothing. */
  fromJson?: string;
}

function parseArgs(argv: string[]): Args {
  const root = path.resolve(__dirname, "..", "..");
  const a: Args = {
    list: path.join(root, "test/foreign/corpus.json"),
    mirrors: "/work/.mirror",
    work: path.join(os.tmpdir(), "plan-corpus"),
    installOnly: false,
    preview: true,
    both: false,
    timeoutS: 120,
    out: path.join(root, "test/foreign/CORPUS-RESULTS.md"),
  };
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
    else if (k === "--both") a.both = true;
    else if (k === "--timeout") a.timeoutS = Number(v());
    else if (k === "--out") a.out = path.resolve(v());
    else if (k === "--json") a.json = path.resolve(v());
    else if (k === "--from-json") a.fromJson = path.resolve(v());
    else throw new Error(`unknown option ${k} (see the header of scripts/foreign/corpus.ts)`);
  }
  return a;
}

function mirrorOf(mirrors: string, repo: string): string {
  const base = path.join(mirrors, repo.replace("/", "+"));
  for (const c of [path.join(base, "repo"), base]) if (fs.existsSync(path.join(c, "HEAD"))) return c;
  throw new Error(`no git mirror of ${repo} under ${mirrors} (fetch it first: the fetch tool with github:${repo})`);
}

/** Relative imports (`from "../x"`, `require("../x")`) in the program's own sources that leave its folder. */
export function importsOutside(project: string): string[] {
  const out = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (/\.(ts|tsx|js|mjs|cjs|mts)$/.test(e.name) && !e.name.endsWith(".d.ts")) {
        const text = fs.readFileSync(f, "utf8");
        for (const m of text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)["'](\.{1,2}\/[^"']*)["']/g)) {
          const target = path.resolve(path.dirname(f), m[1]!);
          if (path.relative(project, target).startsWith("..")) out.add(path.relative(project, target));
        }
      }
    }
  };
  walk(project);
  return [...out].sort();
}

/**
 * The program's project directory in the work folder, extracted from the mirror on first use: its
 * own folder, or the whole repository at that commit when its sources import from outside the
 * folder (`../common/output`), as a checkout would have it.
 */
function materialise(e: CorpusEntry, a: Args): { project: string; wholeRepo: boolean } {
  const dir = path.join(a.work, e.id);
  const project = path.join(dir, e.path);
  const wholeMarker = path.join(dir, ".corpus-whole-repo");
  if (fs.existsSync(path.join(project, "Pulumi.yaml")) || fs.existsSync(path.join(project, "Pulumi.yml")))
    return { project, wholeRepo: fs.existsSync(wholeMarker) };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const git = mirrorOf(a.mirrors, e.repo);
  const archive = (paths: string[]) => {
    const r = spawnSync("bash", ["-c", `git --git-dir "$1" archive "$2" "\${@:4}" | tar -x -C "$3"`, "_", git, e.commit, dir, ...paths], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git archive ${e.repo}@${e.commit.slice(0, 12)} ${paths.join(" ")}: ${r.stderr.trim()}`);
  };
  archive([e.path]);
  const outside = importsOutside(project);
  if (outside.length) {
    archive([]);
    fs.writeFileSync(wholeMarker, outside.join("\n") + "\n");
  }
  return { project, wholeRepo: outside.length > 0 };
}

/**
 * Packages whose install script the corpus lets run, because the program cannot load without it and
 * the script only fetches or builds the package's own native binary. Each is run on its own with
 * `npm rebuild <name>` after the `--ignore-scripts` install, only when the program itself depends on
 * it, with the same scrubbed environment; every other package's scripts stay off.
 */
export const INSTALL_SCRIPTS_ALLOWED: Record<string, string> = {
  sharp: "native image library: its install script downloads (or compiles) libvips and the sharp binding, nothing else",
};

export interface InstallOutcome {
  ok: boolean;
  seconds: number;
  log: string;
  /** The lock file pinned versions the registry no longer serves: installed from package.json's ranges. */
  lockIgnored?: boolean;
  /** npm refused the tree on peer dependencies (ERESOLVE): installed again with --legacy-peer-deps. */
  legacyPeerDeps?: boolean;
  /** Allowed install scripts that were run (INSTALL_SCRIPTS_ALLOWED), with their outcome. */
  scripts?: { name: string; ok: boolean; log?: string }[];
}

/** The install flags to retry with after a failed `npm install`, or undefined when a retry would not help. */
export function retryFlags(log: string, tried: string[]): string | undefined {
  if (/ERESOLVE/.test(log) && !tried.includes("--legacy-peer-deps")) return "--legacy-peer-deps";
  if (/E404|ETARGET|notarget/i.test(log) && !tried.includes("--no-package-lock")) return "--no-package-lock";
  return undefined;
}

/**
 * `npm install --ignore-scripts` once; the marker file keeps the outcome for reruns. Retries, each
 * recorded in the outcome: when npm refuses the tree on peer dependencies (ERESOLVE, typical of
 * programs on `@pulumi/pulumi` 2 with packages declaring a peer of 3), with `--legacy-peer-deps`,
 * the resolution npm 6 used when those programs were written; when the lock file pins versions the
 * registry no longer serves (E404/ETARGET), from package.json's ranges with `--no-package-lock`.
 */
function install(project: string, a: Args): InstallOutcome {
  const marker = path.join(project, ".corpus-install.json");
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, "utf8")) as InstallOutcome;
  const t0 = Date.now();
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: path.join(a.work, ".home"), npm_config_update_notifier: "false" };
  const common = ["--no-audit", "--no-fund", "--loglevel=error", "--cache", path.join(a.work, ".npm-cache")];
  const npm = (args: string[]) => spawnSync("nice", ["-n", "19", "npm", ...args, ...common], { cwd: project, encoding: "utf8", timeout: 15 * 60_000, env });
  const fullLog = (r: ReturnType<typeof npm>) => `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim();
  const logOf = (r: ReturnType<typeof npm>) => fullLog(r).split("\n").slice(-8).join("\n");
  const flags: string[] = [];
  let r = npm(["install", "--ignore-scripts"]);
  // The decision reads npm's whole output: its ERESOLVE code is at the top, above the tail kept in the log.
  for (let next = r.status === 0 ? undefined : retryFlags(fullLog(r), flags); next; next = r.status === 0 ? undefined : retryFlags(fullLog(r), flags)) {
    flags.push(next);
    r = npm(["install", "--ignore-scripts", ...flags]);
  }
  const out: InstallOutcome = { ok: r.status === 0, seconds: 0, log: logOf(r) };
  if (flags.includes("--no-package-lock")) out.lockIgnored = true;
  if (flags.includes("--legacy-peer-deps")) out.legacyPeerDeps = true;
  if (out.ok) {
    const pkg = JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const direct = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
    for (const name of Object.keys(INSTALL_SCRIPTS_ALLOWED).filter((n) => direct.has(n) && fs.existsSync(path.join(project, "node_modules", n)))) {
      const s = npm(["rebuild", name, ...flags.filter((f) => f === "--legacy-peer-deps")]);
      (out.scripts ??= []).push({ name, ok: s.status === 0, ...(s.status === 0 ? {} : { log: logOf(s) }) });
    }
  }
  out.seconds = Math.round((Date.now() - t0) / 1000);
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
  /** Installed with --legacy-peer-deps after npm refused the tree (ERESOLVE). */
  legacyPeerDeps?: boolean;
  /** The whole repository was extracted: the program imports from outside its folder. */
  wholeRepo?: boolean;
  /** Allowed install scripts run (INSTALL_SCRIPTS_ALLOWED) and their outcome. */
  scripts?: { name: string; ok: boolean; log?: string }[];
  report: boolean;
  status: string;
  exit: number;
  seconds: number;
  hang: boolean;
  found: string[];
  expected: string[];
  notInspected: number;
  /** Not-inspected items as "type: what" with the policies that could not run (for the preview/update comparison). */
  notInspectedItems?: string[];
  /** Findings that could not be judged because a value was unknown (preview). */
  unknownFindings?: string[];
  error?: string;
  /** The corpus list's note on a defect of the program itself (CorpusEntry.defect). */
  defect?: string;
}

async function runOne(e: CorpusEntry, list: CorpusList, a: Args): Promise<CorpusRun> {
  const base = { id: e.id, repo: e.repo, path: e.path, expected: [...e.expected].sort(), ...(e.defect ? { defect: e.defect } : {}) };
  let project: string;
  let wholeRepo: boolean;
  try {
    ({ project, wholeRepo } = materialise(e, a));
  } catch (err) {
    return {
      ...base,
      installed: false,
      report: false,
      status: "not materialised",
      exit: -1,
      seconds: 0,
      hang: false,
      found: [],
      notInspected: 0,
      error: String((err as Error).message),
    };
  }
  const inst = install(project, a);
  const how = {
    ...(inst.lockIgnored ? { lockIgnored: true } : {}),
    ...(inst.legacyPeerDeps ? { legacyPeerDeps: true } : {}),
    ...(wholeRepo ? { wholeRepo: true } : {}),
    ...(inst.scripts ? { scripts: inst.scripts } : {}),
  };
  if (a.installOnly)
    return {
      ...base,
      ...how,
      installed: inst.ok,
      ...(inst.ok ? {} : { installLog: inst.log }),
      report: false,
      status: "installed only",
      exit: -1,
      seconds: inst.seconds,
      hang: false,
      found: [],
      notInspected: 0,
    };
  const t0 = Date.now();
  // The runner kills its child at the deadline plus its margin; anything past that is a hang.
  const limitMs = a.timeoutS * 1000 + 90_000;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hang">((resolve) => (timer = setTimeout(() => resolve("hang"), limitMs)));
  const r = await Promise.race([
    planTarget({ kind: "program", file: project, config: e.config ?? {}, tier: list.tier, timeoutMs: a.timeoutS * 1000 }, { preview: a.preview }),
    hung,
  ]);
  clearTimeout(timer);
  const seconds = Math.round((Date.now() - t0) / 100) / 10;
  if (r === "hang") return { ...base, ...how, installed: inst.ok, report: false, status: "hang", exit: -1, seconds, hang: true, found: [], notInspected: 0 };
  const pr = r as PlanResult;
  const found = [...new Set((pr.policy?.violations ?? []).filter((v) => v.enforcementLevel === "mandatory" && !v.unknown).map((v) => v.policyName))].sort();
  return {
    ...base,
    installed: inst.ok,
    ...how,
    ...(inst.ok ? {} : { installLog: inst.log }),
    report: !!pr.policy,
    status: pr.status,
    exit: exitCodeFor([pr]),
    seconds,
    hang: false,
    found,
    notInspected: pr.notInspected?.length ?? 0,
    notInspectedItems: (pr.notInspected ?? []).map((n) => `${n.type ? `${n.type} ` : ""}${n.what} [${n.policies.join(", ")}]`),
    unknownFindings: [...new Set((pr.policy?.violations ?? []).filter((v) => v.unknown).map((v) => v.policyName))].sort(),
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
      for (const p of f) e.has(p) ? tp++ : fp++;
      for (const p of e) if (!f.has(p)) fn++;
    }
    out[c] = { tp, fp, fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
  }
  return out;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** Why a program produced no report, in one line: the registry, the program's own defect, an install script, or the runner. */
export function whyNoReport(r: CorpusRun): string {
  if (r.report) return "";
  if (r.hang) return "hang: the runner did not end within its deadline and kill margin";
  if (!r.installed) {
    const log = r.installLog ?? "";
    const pkg = /(?:404 Not Found - GET https?:\/\/[^/\s]+\/(\S+)|No matching version found for (\S+))/i.exec(log);
    const name = pkg ? decodeURIComponent(pkg[1] ?? pkg[2] ?? "").replace(/\.$/, "") : "";
    if (/E404|ETARGET|notarget/i.test(log))
      return `registry: ${name || "a dependency"} is not served by the npm registry this machine reaches (nothing in the declared range)`;
    if (/ERESOLVE|--legacy-peer-deps to accept/.test(log)) return "install: npm cannot resolve the peer dependencies, even with --legacy-peer-deps";
    return `install failed: ${log.split("\n").slice(-1)[0]?.slice(0, 160) ?? ""}`;
  }
  const failedScript = r.scripts?.find((x) => !x.ok);
  if (failedScript)
    return `install script: ${failedScript.name}'s install script (allowed) failed here: ${(failedScript.log ?? "").replace(/\s+/g, " ").slice(0, 200)}`;
  if (r.defect) return `defect in the program: ${r.defect}`;
  return `program or runner failed (exit ${r.exit}): ${(r.error ?? "").slice(0, 200)}`;
}

function howInstalled(r: CorpusRun): string {
  return [
    r.installed ? "" : "install failed",
    r.lockIgnored ? "lock ignored" : "",
    r.legacyPeerDeps ? "--legacy-peer-deps" : "",
    r.wholeRepo ? "whole repo" : "",
    ...(r.scripts ?? []).map((x) => `${x.name} script ${x.ok ? "ran" : "failed"}`),
  ]
    .filter(Boolean)
    .join(", ");
}

function summary(runs: CorpusRun[]): string[] {
  const reports = runs.filter((r) => r.report).length;
  const s = scores(runs);
  return [
    `| report produced | ${reports}/${runs.length} (${pct(reports / Math.max(1, runs.length))}) | ≥ 90% |`,
    `| hangs | ${runs.filter((r) => r.hang).length} | 0 |`,
    `| mandatory findings (program, policy pairs) | ${runs.reduce((n, r) => n + r.found.length, 0)} | - |`,
    `| "not inspected" items (programs with any) | ${runs.reduce((n, r) => n + r.notInspected, 0)} (${runs.filter((r) => r.notInspected > 0).length}) | - |`,
    ...CONCERNS.map(
      (c) => `| ${c}: precision / recall | ${pct(s[c].precision)} / ${pct(s[c].recall)} (TP ${s[c].tp}, FP ${s[c].fp}, FN ${s[c].fn}) | ≥ 90% each |`,
    ),
  ];
}

/**
 * The results file. `runs` is the primary mode (a.preview says which); `other`, when given, is the
 * same programs in the other mode, shown next to it with the differences per program.
 */
export function renderResults(list: CorpusList, runs: CorpusRun[], a: { preview: boolean; timeoutS: number }, other?: CorpusRun[]): string {
  const mode = (preview: boolean) => (preview ? "preview (the default)" : "update (--update)");
  const independent = list.check === "independent";
  const lines = [
    independent
      ? "# Independent check: `npm run plan -- --program` on pulumi/examples"
      : "# Corpus results: `npm run plan -- --program` on programs it has never seen",
    "",
    `Generated by \`npm run corpus\` (scripts/foreign/corpus.ts) from ${independent ? "test/foreign/examples.json" : "test/foreign/corpus.json"}: ${runs.length} public Pulumi TypeScript programs ${independent ? "from pulumi/examples, with expectations written before the first run by someone who did not write the pack" : "by other authors (not pulumi/examples)"}, each installed with \`npm install --ignore-scripts\` (retried with \`--legacy-peer-deps\` on ERESOLVE, and from package.json's ranges when the lock file pins versions the registry does not serve; allowed install scripts only: ${Object.keys(INSTALL_SCRIPTS_ALLOWED).join(", ")}) and planned in ${mode(a.preview)} mode${other ? ` and again in ${mode(!a.preview)} mode` : ""}, tier ${list.tier}, deadline ${a.timeoutS} s.`,
    "",
    `| measure (${a.preview ? "preview" : "update"}) | result | target |`,
    "| --- | --- | --- |",
    ...summary(runs),
    ...(() => {
      // Not a replacement for the line above: the same rate without the programs that cannot run here or anywhere.
      const blocked = runs.filter((r) => !r.report && /^(registry|install script|defect in the program):/.test(whyNoReport(r)));
      const rest = runs.length - blocked.length;
      const ok = runs.filter((r) => r.report).length;
      return [
        `| report produced, leaving out the ${blocked.length} the registry, a blocked install script or the program's own defect stop | ${ok}/${rest} (${pct(ok / Math.max(1, rest))}) | - |`,
      ];
    })(),
    `| lock file ignored (pinned versions gone from the registry) | ${runs.filter((r) => r.lockIgnored).length} | - |`,
    `| installed with --legacy-peer-deps | ${runs.filter((r) => r.legacyPeerDeps).length} | - |`,
    `| whole repository extracted (imports outside the folder) | ${runs.filter((r) => r.wholeRepo).length} | - |`,
    "",
    "Findings are the policies with a mandatory violation; expected findings are what a reader of each program listed in the list file. Precision and recall count (program, policy) pairs over the programs that produced a report.",
    "",
    "| program | exit | status | install | s | not inspected | false positives | missed |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of runs) {
    const fp = r.found.filter((p) => !r.expected.includes(p));
    const fn = r.expected.filter((p) => !r.found.includes(p));
    lines.push(
      `| ${r.repo} \`${r.path}\` | ${r.exit} | ${r.status} | ${howInstalled(r) || "-"} | ${r.seconds} | ${r.notInspected} | ${fp.join(", ") || "-"} | ${fn.join(", ") || "-"} |`,
    );
  }
  const none = runs.filter((r) => !r.report);
  if (none.length) {
    lines.push("", `## Why ${none.length} produced no report`, "");
    for (const r of none) lines.push(`- ${r.id}: ${whyNoReport(r)}`);
  }
  if (other) {
    const byId = new Map(other.map((r) => [r.id, r]));
    lines.push(
      "",
      `## ${mode(!a.preview)} mode, next to ${mode(a.preview)}`,
      "",
      `| measure (${a.preview ? "update" : "preview"}) | result | target |`,
      "| --- | --- | --- |",
      ...summary(other),
      "",
      `Programs whose result differs between the modes (findings only in one mode; "unknown" = a policy that could not judge a value unknown in preview):`,
      "",
      `| program | exit ${a.preview ? "preview / update" : "update / preview"} | not inspected | only in ${a.preview ? "preview" : "update"} | only in ${a.preview ? "update" : "preview"} | unknown in preview |`,
      "| --- | --- | --- | --- | --- | --- |",
    );
    let same = 0;
    for (const r of runs) {
      const o = byId.get(r.id);
      if (!o) continue;
      const onlyHere = r.found.filter((p) => !o.found.includes(p));
      const onlyThere = o.found.filter((p) => !r.found.includes(p));
      const unknown = (a.preview ? r : o).unknownFindings ?? [];
      if (!onlyHere.length && !onlyThere.length && r.exit === o.exit && r.notInspected === o.notInspected && !unknown.length) {
        same++;
        continue;
      }
      lines.push(
        `| ${r.id} | ${r.exit} / ${o.exit} | ${r.notInspected} / ${o.notInspected} | ${onlyHere.join(", ") || "-"} | ${onlyThere.join(", ") || "-"} | ${unknown.join(", ") || "-"} |`,
      );
    }
    lines.push("", `${same} programs gave the same exit code, findings and not-inspected count in both modes.`);
  }
  const corrected = list.programs.filter((e) => e.corrected && runs.some((r) => r.id === e.id));
  if (corrected.length) {
    lines.push("", `## Expectations corrected after a run (${corrected.length})`, "");
    for (const e of corrected) lines.push(`- ${e.id}: ${e.corrected}`);
  }
  const withItems = runs.filter((r) => r.notInspectedItems?.length);
  if (withItems.length) {
    lines.push("", "## Not inspected", "");
    for (const r of withItems) lines.push(`- ${r.id}: ${r.notInspectedItems!.join("; ").slice(0, 500)}`);
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
  if (a.fromJson) {
    const saved = JSON.parse(fs.readFileSync(a.fromJson, "utf8")) as { primary: CorpusRun[]; other?: CorpusRun[] };
    fs.writeFileSync(a.out, renderResults(list, saved.primary, a, saved.other));
    return;
  }
  fs.mkdirSync(a.work, { recursive: true });
  const entries = list.programs.filter((e) => !a.only || a.only.includes(e.id));
  const runs: CorpusRun[] = [];
  const others: CorpusRun[] = [];
  for (const [i, e] of entries.entries()) {
    const r = await runOne(e, list, a);
    runs.push(r);
    process.stdout.write(
      `[${i + 1}/${entries.length}] ${e.id}: ${r.status} exit ${r.exit} ${r.seconds}s found [${r.found.join(", ")}] expected [${r.expected.join(", ")}]${r.error ? ` — ${r.error.slice(0, 200)}` : ""}\n`,
    );
    if (a.both && !a.installOnly) {
      const o = await runOne(e, list, { ...a, preview: !a.preview });
      others.push(o);
      process.stdout.write(`      ${a.preview ? "update" : "preview"}: ${o.status} exit ${o.exit} ${o.seconds}s found [${o.found.join(", ")}]\n`);
    }
  }
  if (a.installOnly) return;
  if (a.json) fs.writeFileSync(a.json, JSON.stringify({ primary: runs, other: a.both ? others : undefined }, null, 1) + "\n");
  if (!a.only) fs.writeFileSync(a.out, renderResults(list, runs, a, a.both ? others : undefined));
  const s = scores(runs);
  process.stdout.write(
    `reports ${runs.filter((r) => r.report).length}/${runs.length}, hangs ${runs.filter((r) => r.hang).length}; ${CONCERNS.map((c) => `${c} P ${pct(s[c].precision)} R ${pct(s[c].recall)}`).join("; ")}\n`,
  );
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`corpus: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
