/**
 * Run a Pulumi TypeScript program this repository has never seen, the way the Pulumi CLI would,
 * credential-free and under mocks, in an isolated child process (scripts/foreign/child.ts):
 *
 *  - the project directory is the nearest one with a Pulumi.yaml; its `main`, `runtime.options`
 *    (typescript, nodeargs) and project `config:` defaults are honoured, then the stack file
 *    (`Pulumi.<stack>.yaml`, in `stackConfigDir` if set) and `--config` on top;
 *  - the program's OWN installed packages are used: the mocks attach to the @pulumi/pulumi its
 *    project resolves; with none installed the run stops with the install step to take;
 *  - the child gets a scrubbed environment (PATH, a temporary HOME/TMPDIR/PULUMI_HOME, nothing
 *    else: no credentials, no cloud configuration) and runs in a temporary working copy of the
 *    project directory (node_modules linked, not copied), so relative reads work and relative
 *    writes land in the copy;
 *  - the run is bounded: at the deadline the child writes what it has with what was in flight,
 *    and a hard kill follows if it does not.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { placeholderValue, type ChildJob, type ChildResult } from "./types";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TSX_CLI = path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const CHILD = path.join(__dirname, "child.ts");
/** After the child's own deadline (it then writes what it has), the hard kill; a loaded machine starts Node slowly. */
const HARD_MARGIN_MS = 60_000;

export interface ForeignOptions {
  /** A program file (index.ts) or its project directory. */
  program: string;
  stack?: string;
  config?: Record<string, string>;
  preview: boolean;
  timeoutMs?: number;
  region?: string;
  /** Where the program's own console output goes (default: discarded). */
  echo?: (chunk: string) => void;
}

export interface ForeignProject {
  projectDir: string;
  entry: string;
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  /** Secure values replaced by placeholders. */
  placeholders: string[];
  installHint: string;
  nodeArgs: string[];
}

export class ForeignUsageError extends Error {}

interface ProjectFile {
  name?: string;
  main?: string;
  runtime?: string | { name?: string; options?: { typescript?: boolean; nodeargs?: string; packagemanager?: string } };
  config?: Record<string, unknown>;
  stackConfigDir?: string;
}

function findProjectDir(start: string): string | undefined {
  for (let d = start; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "Pulumi.yaml")) || fs.existsSync(path.join(d, "Pulumi.yml"))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

function entryOf(dir: string, typescript: boolean): string | undefined {
  const pkgFile = path.join(dir, "package.json");
  if (fs.existsSync(pkgFile)) {
    const main = (JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { main?: string }).main;
    if (main) {
      const m = path.resolve(dir, main);
      for (const c of [m, `${m}.ts`, `${m}.js`, path.join(m, "index.ts"), path.join(m, "index.js")]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
      // A compiled `main` (bin/index.js) with its TypeScript source next to the project: the CLI compiles first.
      if (typescript) {
        const src = path.join(dir, path.basename(m).replace(/\.js$/, ".ts"));
        if (fs.existsSync(src)) return src;
      }
    }
  }
  for (const c of ["index.ts", "index.js", "index.mts", "index.mjs"]) if (fs.existsSync(path.join(dir, c))) return path.join(dir, c);
  return undefined;
}

const encode = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

const placeholderFor = placeholderValue;

function stripSecure(value: unknown, at: string, found: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => stripSecure(v, `${at}[${i}]`, found));
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === "string") {
      found.push(at);
      return placeholderFor(at);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, stripSecure(v, `${at}.${k}`, found)]));
  }
  return value;
}

/** The install command for a project, from its lock file. */
export function installHintFor(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "pnpm-lock.yaml"))) return "pnpm install --frozen-lockfile";
    if (fs.existsSync(path.join(d, "yarn.lock"))) return "yarn install --frozen-lockfile";
    if (fs.existsSync(path.join(d, "package-lock.json"))) return "npm ci";
    if (fs.existsSync(path.join(d, "package.json")) || path.dirname(d) === d) break;
  }
  return "npm install";
}

/** Read the project and stack the way the CLI does: project config defaults, then the stack file, then --config. */
export function readForeignProject(program: string, stackArg: string | undefined, extra: Record<string, string> = {}): ForeignProject {
  const given = path.resolve(program);
  if (!fs.existsSync(given)) throw new ForeignUsageError(`--program ${program}: no such file or directory`);
  const isDir = fs.statSync(given).isDirectory();
  const projectDir = findProjectDir(isDir ? given : path.dirname(given));
  if (!projectDir)
    throw new ForeignUsageError(
      `--program ${program}: no Pulumi.yaml in ${isDir ? given : path.dirname(given)} or above; a Pulumi program is a project directory with a Pulumi.yaml`,
    );
  const projFile = fs.existsSync(path.join(projectDir, "Pulumi.yaml")) ? path.join(projectDir, "Pulumi.yaml") : path.join(projectDir, "Pulumi.yml");
  const proj = (parse(fs.readFileSync(projFile, "utf8")) ?? {}) as ProjectFile;
  const project = String(proj.name ?? path.basename(projectDir));
  const runtime = typeof proj.runtime === "string" ? { name: proj.runtime } : (proj.runtime ?? {});
  if (runtime.name && runtime.name !== "nodejs")
    throw new ForeignUsageError(`${projFile}: runtime '${runtime.name}' is not a Node.js program; the offline plan runs TypeScript/JavaScript programs`);
  const typescript = runtime.options?.typescript !== false;
  const mainDir = proj.main ? path.resolve(projectDir, proj.main) : projectDir;
  let entry: string | undefined;
  if (proj.main && fs.existsSync(mainDir) && fs.statSync(mainDir).isFile()) entry = mainDir;
  else if (!isDir && !proj.main) entry = given;
  else entry = entryOf(mainDir, typescript);
  if (!entry) throw new ForeignUsageError(`${projFile}: no program entry in ${mainDir} (looked for package.json "main", index.ts, index.js)`);

  // The stack: --stack, or the project's only stack file, or dev.
  const stackDir = proj.stackConfigDir ? path.resolve(projectDir, proj.stackConfigDir) : projectDir;
  const stackFiles = fs.existsSync(stackDir)
    ? fs
        .readdirSync(stackDir)
        .map((f) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
    : [];
  const stack = stackArg ?? (stackFiles.length === 1 ? stackFiles[0]! : "dev");

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const placeholders: string[] = [];
  const qualify = (k: string) => (k.includes(":") ? k : `${project}:${k}`);
  for (const [k, raw] of Object.entries(proj.config ?? {})) {
    // `key: value`, or `key: { type, default | value, secret }`
    let v: unknown = raw;
    if (raw && typeof raw === "object" && !Array.isArray(raw) && ("default" in raw || "value" in raw || "type" in raw)) {
      const o = raw as { default?: unknown; value?: unknown };
      v = o.value ?? o.default;
    }
    if (v === undefined || v === null) continue;
    config[qualify(k)] = encode(v);
  }
  for (const ext of ["yaml", "yml"]) {
    const file = path.join(stackDir, `Pulumi.${stack}.${ext}`);
    if (!fs.existsSync(file)) continue;
    const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    for (const [k, raw] of Object.entries(doc.config ?? {})) {
      const key = qualify(k);
      const found: string[] = [];
      const v = stripSecure(raw, key, found);
      if (found.length) secretKeys.push(key);
      placeholders.push(...found);
      config[key] = encode(v);
    }
    break;
  }
  for (const [k, v] of Object.entries(extra)) config[qualify(k)] = v;
  const nodeArgs = (runtime.options?.nodeargs ?? "").split(/\s+/).filter(Boolean);
  return { projectDir, entry, project, stack, config, secretKeys, placeholders, installHint: installHintFor(projectDir), nodeArgs };
}

/**
 * The `helm` the program finds on its PATH. Programs on @pulumi/kubernetes before 3.x (helm.v2 and
 * their helm.v3.Chart) shell out to the helm CLI: `helm fetch` the chart from its repository, then
 * `helm template` it. Offline there is no repository to fetch from, and a real helm would reach for
 * the network; this stand-in creates an empty chart folder for `fetch`, renders nothing for
 * `template`, and logs both, so the chart is reported as not inspected instead of failing the run.
 * Every other helm command fails with a message naming the offline plan.
 */
export const HELM_STANDIN = `#!/bin/sh
log="\${PLAN_HELM_LOG:-/dev/null}"
cmd="$1"
case "$cmd" in
  version) echo "v3.0.0+offline-plan"; exit 0 ;;
  fetch|pull)
    chart="$2"; dest=.
    while [ $# -gt 0 ]; do
      case "$1" in --destination|-d) dest="$2"; shift ;; --destination=*) dest="\${1#--destination=}" ;; esac
      shift
    done
    name=$(basename "$chart")
    mkdir -p "$dest/$name" && : > "$dest/$name/values.yaml" && echo "fetch $chart" >> "$log"
    exit 0 ;;
  template)
    echo "template $(basename "$2")" >> "$log"
    exit 0 ;;
  *) echo "helm $cmd: the offline plan runs no helm CLI (charts are not rendered offline)" >&2; exit 1 ;;
esac
`;

/** Charts the program asked the helm stand-in to render, with how often. */
export function helmRenders(log: string): { chart: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const line of log.split("\n")) {
    const m = /^template (.+)$/.exec(line.trim());
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  }
  return [...counts].map(([chart, count]) => ({ chart, count }));
}

const SKIP = new Set(["node_modules", ".git", ".pulumi"]);

function copyTree(src: string, dst: string, budget: { bytes: number }): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) copyTree(s, d, budget);
    else if (e.isFile()) {
      const size = fs.statSync(s).size;
      if (budget.bytes - size < 0) continue; // very large trees: the rest is not copied
      budget.bytes -= size;
      fs.copyFileSync(s, d);
    } else if (e.isSymbolicLink()) {
      try {
        fs.symlinkSync(fs.readlinkSync(s), d);
      } catch {
        /* a dangling link is left out */
      }
    }
  }
}

/** A working copy of the project directory in `tmp`: files copied, node_modules and the parent's other entries linked. */
function workingCopy(projectDir: string, tmp: string): string {
  const parent = path.join(tmp, "work");
  const copy = path.join(parent, path.basename(projectDir));
  copyTree(projectDir, copy, { bytes: 200 * 1024 * 1024 });
  const own = path.join(projectDir, "node_modules");
  if (fs.existsSync(own)) fs.symlinkSync(own, path.join(copy, "node_modules"));
  // Siblings (a monorepo's shared folders and hoisted node_modules), read through links.
  const up = path.dirname(projectDir);
  if (up !== projectDir) {
    for (const e of fs.readdirSync(up)) {
      if (e === path.basename(projectDir) || e === ".git") continue;
      try {
        fs.symlinkSync(path.join(up, e), path.join(parent, e));
      } catch {
        /* ignore */
      }
    }
  }
  return copy;
}

/** node_modules folders above the project (workspaces hoist there): NODE_PATH for the child. */
function ancestorNodeModules(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "node_modules"))) out.push(path.join(d, "node_modules"));
    if (path.dirname(d) === d) break;
  }
  return out;
}

export interface ForeignRun {
  project: ForeignProject;
  result: ChildResult;
  /** The child's exit code (or signal) and the tail of its output. */
  exit: string;
  output: string;
  killed: boolean;
}

export async function runForeign(opts: ForeignOptions): Promise<ForeignRun> {
  const project = readForeignProject(opts.program, opts.stack, opts.config ?? {});
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-program-"));
  try {
    const home = path.join(tmp, "home");
    const tmpdir = path.join(tmp, "tmp");
    fs.mkdirSync(path.join(home, ".pulumi"), { recursive: true });
    fs.mkdirSync(tmpdir, { recursive: true });
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "helm"), HELM_STANDIN, { mode: 0o755 });
    const helmLog = path.join(tmp, "helm.log");
    const cwd = workingCopy(project.projectDir, tmp);
    const entry = path.join(cwd, path.relative(project.projectDir, project.entry));
    const out = path.join(tmp, "result.json");
    const job: ChildJob = {
      entry,
      cwd,
      projectDir: project.projectDir,
      installHint: project.installHint,
      project: project.project,
      stack: project.stack,
      config: project.config,
      secretKeys: project.secretKeys,
      preview: opts.preview,
      region: opts.region ?? project.config["aws:region"] ?? "us-east-1",
      timeoutMs,
      out,
    };
    const jobFile = path.join(tmp, "job.json");
    fs.writeFileSync(jobFile, JSON.stringify(job));
    // Nothing of this process's environment but PATH: no credentials, no cloud or kube config.
    const env: Record<string, string> = {
      // The helm stand-in first: no real helm (and its network) is reachable from the program.
      PATH: [bin, process.env.PATH ?? "/usr/bin:/bin"].join(path.delimiter),
      PLAN_HELM_LOG: helmLog,
      HOME: home,
      USERPROFILE: home,
      TMPDIR: tmpdir,
      PULUMI_HOME: path.join(home, ".pulumi"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_CONFIG: JSON.stringify(project.config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(project.secretKeys),
      PULUMI_NODEJS_PROJECT: project.project,
      PULUMI_NODEJS_STACK: project.stack,
      PULUMI_DRY_RUN: String(opts.preview),
      AWS_EC2_METADATA_DISABLED: "true",
      LANG: "C.UTF-8",
      NODE_PATH: ancestorNodeModules(project.projectDir).join(path.delimiter),
    };
    const child = spawn(process.execPath, [...project.nodeArgs, TSX_CLI, CHILD, jobFile], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    const onData = (b: Buffer) => {
      const s = b.toString();
      output = (output + s).slice(-16_000);
      opts.echo?.(s);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    let killed = false;
    const hard = setTimeout(() => {
      killed = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, timeoutMs + HARD_MARGIN_MS);
    const exit: string = await new Promise((resolve) => child.on("close", (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));
    clearTimeout(hard);
    // Whatever the program left running in its process group goes too.
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* none left */
    }
    let result: ChildResult;
    if (fs.existsSync(out)) result = JSON.parse(fs.readFileSync(out, "utf8")) as ChildResult;
    else {
      const lastLines = output.trim().split("\n").slice(-15).join("\n");
      result = {
        ok: false,
        resources: [],
        outputs: {},
        secretOutputPaths: [],
        remote: [],
        invokes: [],
        placeholders: [],
        errors: [
          killed
            ? `the program's process did not end within ${Math.round((timeoutMs + HARD_MARGIN_MS) / 1000)} s and was killed`
            : `the program's process ended (${exit}) without a result:\n${lastLines}`,
        ],
        pending: [],
        timedOut: killed,
        pulumiVersion: "",
      };
    }
    if (fs.existsSync(helmLog))
      for (const h of helmRenders(fs.readFileSync(helmLog, "utf8")))
        result.invokes.push({ token: `helm template ${h.chart}`, kind: "unrendered-cli", count: h.count });
    return { project, result, exit, output, killed };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
