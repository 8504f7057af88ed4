/**
 * The plan cache: this repository's program planned once per source state for every stack and
 * blueprint × tier, and shared by every test file that needs the same inventory (see planned.ts;
 * the vitest globalSetup, global-setup.ts, starts a planner that fills it on the otherwise idle core).
 *
 * - Namespace: a digest of everything a plan depends on: the program's sources (index.ts, the
 *   Pulumi*.yaml files, stacks/, components/, blueprints/, policies/, the mocked cloud's answers,
 *   the harness' recording code, the lockfiles) and the PLATFORM_* environment, with the content
 *   of any file or directory it names. A changed source is a different namespace, so a stale
 *   inventory is never read; old namespaces are pruned by the globalSetup. The UTC date is part of
 *   it too: secret rotation epochs are computed from the clock (components/secrets/plan.ts), so a
 *   plan holds for the day it was made.
 * - Entry: one JSON file per exact input (stack, config, secret keys; the content of a charts
 *   mirror directory it names) and mode (preview or update). The value is whatever `compute`
 *   returned (plain data: stacks.ts stores the inventory, or the ProgramError's message, errors
 *   and partial inventory, so a failed plan fails the same way from the cache).
 * - One planner per entry: whoever first creates `<entry>.lock` (exclusive create, holding its
 *   pid) computes it and writes the entry atomically; everyone else waits for the entry, and takes
 *   over when the lock's owner is gone. An entry is written only when the sources are still the
 *   ones this process loaded.
 * - Used under vitest (or with PLAN_CACHE=on); PLAN_CACHE=off disables it; PLAN_CACHE_DIR moves it
 *   (default node_modules/.cache/platform-plans). Any problem with the cache directory falls back
 *   to computing in-process, as without a cache.
 *
 * No Pulumi import here: the globalSetup loads this module in vitest's main process.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..");
/** Bump when the entry format or the harness' recording changes in a way the sources do not show. */
const FORMAT = "1";
/** What a plan depends on, relative to the repository root (directories are read recursively, without node_modules). */
export const SOURCE_ROOTS = [
  "index.ts",
  "Pulumi.yaml",
  "package.json",
  "package-lock.json",
  "node_modules/.package-lock.json",
  "tsconfig.json",
  "stacks",
  "components",
  "blueprints",
  "policies",
  "tools/mockcloud/answers.ts",
  // The harness' recording (not its tests, the planner or the helpers around it).
  "tools/harness/run.ts",
  "tools/harness/stacks.ts",
  "tools/harness/inventory.ts",
  "tools/harness/plan-cache.ts",
];
/** Longest wait for an entry another process is computing before computing it here instead. */
const MAX_WAIT_MS = 180_000;

export interface CacheInput {
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
}

export function enabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.PLAN_CACHE === "off") return false;
  return env.PLAN_CACHE === "on" || env.VITEST !== undefined;
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLAN_CACHE_DIR ? path.resolve(env.PLAN_CACHE_DIR) : path.join(REPO, "node_modules", ".cache", "platform-plans");
}

function hashTree(abs: string, rel: string, h: crypto.Hash, depth = 0): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    h.update(`${rel}\0absent\0`);
    return;
  }
  if (st.isDirectory()) {
    if (depth > 12) return;
    for (const name of fs.readdirSync(abs).sort()) {
      if (name === "node_modules" || name === ".git") continue;
      hashTree(path.join(abs, name), `${rel}/${name}`, h, depth + 1);
    }
  } else if (st.isFile()) {
    h.update(`${rel}\0${st.size}\0`);
    h.update(fs.readFileSync(abs));
  }
}

/** Digest of the program's sources as they are on disk now. */
export function sourceDigest(root = REPO): string {
  const h = crypto.createHash("sha256");
  const stackFiles = fs
    .readdirSync(root)
    .filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f))
    .sort();
  for (const rel of [...SOURCE_ROOTS, ...stackFiles]) hashTree(path.join(root, rel), rel, h);
  return h.digest("hex");
}

/**
 * A value that may name a file or directory (a charts mirror, a kubeconfig): its content for a
 * file; for a directory every YAML file's content and every other file's name, size and mtime.
 */
function pathDigest(value: string | undefined, h: crypto.Hash): void {
  if (!value || /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value === "official") return;
  const abs = path.resolve(REPO, value);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    h.update("\0absent\0");
    return;
  }
  if (st.isFile()) {
    h.update(st.size < 16 * 1024 * 1024 ? fs.readFileSync(abs) : `${st.size}:${st.mtimeMs}`);
    return;
  }
  const walk = (dir: string, rel: string, depth: number) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const s = fs.statSync(p);
      if (s.isDirectory()) {
        if (depth < 3) walk(p, `${rel}/${name}`, depth + 1);
      } else if (/\.ya?ml$/.test(name)) h.update(`${rel}/${name}\0`).update(fs.readFileSync(p));
      else h.update(`${rel}/${name}\0${s.size}\0${s.mtimeMs}\0`);
    }
  };
  if (st.isDirectory()) walk(abs, "", 0);
}

/** Digest of the PLATFORM_* environment (the program reads PLATFORM_CHARTS_MIRROR, PLATFORM_KUBECONFIG, ...). */
export function envDigest(env: NodeJS.ProcessEnv = process.env): string {
  const h = crypto.createHash("sha256");
  for (const k of Object.keys(env)
    .filter((k) => k.startsWith("PLATFORM_"))
    .sort()) {
    h.update(`${k}=${env[k]}\0`);
    pathDigest(env[k], h);
  }
  return h.digest("hex");
}

let loaded: string | undefined;
/**
 * The source digest of the program this process runs, taken once, before the program is loaded
 * (stacks.ts and the planner import this module first): entries are read and written under it,
 * and one is written only while the sources still have it. So an edit while the program loads or
 * runs leaves no entry behind (taken after loading, an edit in between would be cached as the
 * new sources' plan).
 */
export function loadedSourceDigest(): string {
  return (loaded ??= sourceDigest());
}
if (enabled()) loadedSourceDigest();

/** The namespace directory for the sources this process loaded and the current environment. */
export function namespaceDir(env: NodeJS.ProcessEnv = process.env): string {
  const day = new Date().toISOString().slice(0, 10);
  const ns = crypto
    .createHash("sha256")
    .update(`${FORMAT}\0${day}\0${loadedSourceDigest()}\0${envDigest(env)}`)
    .digest("hex")
    .slice(0, 24);
  return path.join(cacheRoot(env), ns);
}

/** The entry name of an input in a mode. */
export function entryKey(input: CacheInput, preview: boolean): string {
  const h = crypto.createHash("sha256");
  const config = Object.keys(input.config)
    .sort()
    .map((k) => [k, input.config[k]]);
  h.update(JSON.stringify({ stack: input.stack, config, secretKeys: [...input.secretKeys].sort(), preview }));
  const charts = input.config["platform:charts"];
  if (charts) {
    try {
      pathDigest((JSON.parse(charts) as { mirror?: string }).mirror, h);
    } catch {
      // not JSON: the spec rejects it, the key above covers it
    }
  }
  return `${input.stack}-${preview ? "preview" : "update"}-${h.digest("hex").slice(0, 20)}`;
}

function readEntry<T>(file: string): { value: T } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    return { value: (JSON.parse(text) as { value: T }).value };
  } catch {
    return undefined; // a torn or foreign file: compute instead
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Locks this process holds (removed when it is terminated). */
const held = new Set<string>();
let exitHook = false;
function releaseHeldOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const l of held) fs.rmSync(l, { force: true });
  });
}

/** Take the lock, or report who holds it. A lock whose owner is gone is removed (the caller retries). */
function tryLock(lock: string): boolean {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  try {
    const fd = fs.openSync(lock, "wx");
    fs.writeSync(fd, String(process.pid));
    fs.closeSync(fd);
    held.add(lock);
    releaseHeldOnExit();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  try {
    const owner = Number(fs.readFileSync(lock, "utf8"));
    const age = Date.now() - fs.statSync(lock).mtimeMs;
    if ((owner > 0 && !alive(owner)) || (!(owner > 0) && age > 5_000)) fs.rmSync(lock, { force: true });
  } catch {
    // released meanwhile
  }
  return false;
}

export interface CacheStats {
  hits: number;
  computed: number;
  waitedMs: number;
}
/** What this process got from the cache (for tests and the planner's log). */
export const stats: CacheStats = { hits: 0, computed: 0, waitedMs: 0 };

/**
 * The cached value of `input` in this mode, else `compute()` (once across every process sharing
 * the cache), stored for the others. `compute` must return plain JSON data; what it throws is
 * not cached.
 */
export async function cached<T>(input: CacheInput, preview: boolean, compute: () => Promise<T>): Promise<T> {
  let dir: string;
  try {
    dir = namespaceDir();
  } catch {
    return compute();
  }
  const file = path.join(dir, `${entryKey(input, preview)}.json`);
  const lock = `${file}.lock`;
  const start = Date.now();
  for (;;) {
    const hit = readEntry<T>(file);
    if (hit) {
      stats.hits += 1;
      stats.waitedMs += Date.now() - start;
      return hit.value;
    }
    let mine: boolean;
    try {
      mine = tryLock(lock);
    } catch {
      return compute(); // no usable cache directory
    }
    if (mine) {
      try {
        const again = readEntry<T>(file);
        if (again) {
          stats.hits += 1;
          return again.value;
        }
        stats.waitedMs += Date.now() - start;
        const value = await compute();
        stats.computed += 1;
        // Only for the sources this process loaded: an edit during the run must not be cached as them.
        if (sourceDigest() === loadedSourceDigest()) {
          const tmp = `${file}.${process.pid}.tmp`;
          try {
            fs.writeFileSync(tmp, JSON.stringify({ stack: input.stack, preview, value }));
            fs.renameSync(tmp, file);
          } catch {
            fs.rmSync(tmp, { force: true });
          }
        }
        return value;
      } finally {
        fs.rmSync(lock, { force: true });
        held.delete(lock);
      }
    }
    if (Date.now() - start > MAX_WAIT_MS) {
      stats.computed += 1;
      return compute();
    }
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Marks a namespace as fully planned (every target, both modes): the globalSetup then starts no planner. */
export const COMPLETE = "complete.json";

/** Remove all but the `keep` most recently used namespaces (and the current one). */
export function prune(keep = 4, env: NodeJS.ProcessEnv = process.env): void {
  const root = cacheRoot(env);
  if (!fs.existsSync(root)) return;
  const current = path.basename(namespaceDir(env));
  const dirs = fs
    .readdirSync(root)
    .filter((d) => /^[0-9a-f]{24}$/.test(d) && d !== current)
    .map((d) => ({ d, t: fs.statSync(path.join(root, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { d } of dirs.slice(Math.max(0, keep - 1))) fs.rmSync(path.join(root, d), { recursive: true, force: true });
}
