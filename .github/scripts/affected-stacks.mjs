#!/usr/bin/env node
// Which cloud stacks does a pull request affect? Used by .github/workflows/preview.yml to
// build its matrix, so a docs-only change previews nothing and a change to one stack file
// previews only that stack.
//
//   node .github/scripts/affected-stacks.mjs --base <sha> --head <sha>
//     prints `stacks=["dev","prod"]` (a line for $GITHUB_OUTPUT) and a human line on stderr;
//     inside a GitHub job it also tells the reviewer why, in the job summary.
//
// Plain Node (no dependency, no TypeScript) on purpose: it runs before `npm ci`.
import { execFileSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** The stacks that live in the cloud, in promotion order. `local` is offline and never previewed here. */
export const CLOUD_STACKS = Object.freeze(["dev", "staging", "prod"]);

/** Paths whose change can alter every stack's resources. A prefix ends with `/`. */
export const AFFECTS_ALL = Object.freeze([
  "stacks/",
  "components/",
  "blueprints/",
  "policies/",
  "package.json",
  "package-lock.json",
  "Pulumi.yaml",
  "tsconfig.json",
  ".github/workflows/preview.yml",
  ".github/scripts/affected-stacks.mjs",
]);

/**
 * @param {readonly string[]} changedPaths repository-relative paths, `/`-separated
 * @param {readonly string[]} [stacks] the candidate stacks (default CLOUD_STACKS)
 * @returns {string[]} the affected stacks, in the order of `stacks`
 */
export function affectedStacks(changedPaths, stacks = CLOUD_STACKS) {
  return explainAffected(changedPaths, stacks).stacks;
}

/**
 * The affected stacks and, for each, the first changed path that makes it affected.
 * @param {readonly string[]} changedPaths
 * @param {readonly string[]} [stacks]
 * @returns {{ stacks: string[], because: Record<string, string> }}
 */
export function explainAffected(changedPaths, stacks = CLOUD_STACKS) {
  /** @type {Record<string, string>} */
  const because = {};
  for (const raw of changedPaths) {
    const path = raw.trim().replace(/^\.\//, "");
    if (path === "") continue;
    if (affectsAll(path)) {
      for (const s of stacks) because[s] = path;
      break;
    }
    const m = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(path);
    if (m && stacks.includes(m[1]) && !(m[1] in because)) because[m[1]] = path;
  }
  return { stacks: stacks.filter((s) => s in because), because };
}

/**
 * The reviewer-facing explanation written to the job summary.
 * @param {{ stacks: string[], because: Record<string, string> }} r
 * @param {number} changedCount
 */
export function summaryMarkdown(r, changedCount) {
  const lines = ["### Cloud preview: affected stacks", ""];
  if (r.stacks.length === 0) {
    lines.push(
      `None of the ${changedCount} changed file(s) can change a cloud stack (only \`stacks/\`, \`components/\`,`,
      "`blueprints/`, `policies/`, the program entry, package files and `Pulumi.<stack>.yaml` can), so no preview runs.",
      "The offline plan in the *untrusted* check still covers every stack.",
    );
  } else {
    lines.push("| stack | previewed because of |", "| --- | --- |");
    for (const s of r.stacks) lines.push(`| \`${s}\` | \`${r.because[s]}\` |`);
  }
  return lines.join("\n") + "\n";
}

/** @param {string} path */
function affectsAll(path) {
  // The program entry point (index.ts and any other top-level TypeScript module).
  if (!path.includes("/") && path.endsWith(".ts") && path !== "vitest.config.ts") return true;
  return AFFECTS_ALL.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p));
}

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith("--") || value === undefined) {
      throw new Error(`usage: affected-stacks.mjs --base <sha> --head <sha> (bad argument ${key ?? ""})`);
    }
    out[key.slice(2)] = value;
  }
  if (!out.base || !out.head) throw new Error("usage: affected-stacks.mjs --base <sha> --head <sha>");
  for (const k of ["base", "head"]) {
    if (!/^[0-9a-f]{7,40}$/.test(out[k])) throw new Error(`--${k} must be a commit SHA, got ${JSON.stringify(out[k])}`);
  }
  return out;
}

function main() {
  const { base, head } = parseArgs(process.argv.slice(2));
  // Three dots: what the PR changed since it branched off, not what main changed since.
  const diff = execFileSync("git", ["diff", "--name-only", `${base}...${head}`], { encoding: "utf8" });
  const changed = diff.split("\n").filter((l) => l.trim() !== "");
  const r = explainAffected(changed);
  process.stderr.write(`affected stacks: ${r.stacks.length ? r.stacks.join(", ") : "none"}\n`);
  process.stdout.write(`stacks=${JSON.stringify(r.stacks)}\n`);
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) appendFileSync(summary, summaryMarkdown(r, changed.length));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
