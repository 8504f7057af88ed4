/**
 * The repository's GitHub Actions workflow files as data (.github/workflows/*.yml): one model and
 * one reader shared by the preflight's deploy-path checks (stacks/preflight), the generated
 * delivery diagram (scripts/docs/delivery.ts) and the workflow tests (test/workflows). Pure
 * parsing: no validation here, each caller checks what it needs and names the file in its message.
 * Which job runs Pulumi for which stack is stack-jobs.ts, on top of this model.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

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
  /** A label, a list of labels, or `{ group, labels }` (GitHub accepts all three). */
  "runs-on"?: string | string[] | { group?: string; labels?: string | string[] };
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
  /** File name, e.g. `deploy.yml`. */
  file: string;
  path: string;
  text: string;
  doc: Workflow;
}

export const workflowDir = (root: string): string => path.join(root, ".github", "workflows");

/** Every workflow file of the repository at `root`, sorted by file name. */
export function readWorkflowFiles(root: string): WorkflowFile[] {
  const dir = workflowDir(root);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((file) => {
      const p = path.join(dir, file);
      const text = fs.readFileSync(p, "utf8");
      return { file, path: p, text, doc: parse(text) as Workflow };
    });
}

/** Every step of every job, with where it sits. */
export function allSteps(wf: WorkflowFile): Array<{ job: string; index: number; step: Step }> {
  return Object.entries(wf.doc.jobs).flatMap(([job, j]) => (j.steps ?? []).map((step, index) => ({ job, index, step })));
}

/** A workflow's `on:` as an event → filter record (`on: push` and `on: [a, b]` normalised). */
export function triggerMap(doc: Workflow): Record<string, unknown> {
  if (typeof doc.on === "string") return { [doc.on]: {} };
  if (Array.isArray(doc.on)) return Object.fromEntries(doc.on.map((e) => [e, {}]));
  return doc.on;
}

/** The trigger names of a workflow's `on:`. */
export function triggers(doc: Workflow): string[] {
  return Object.keys(triggerMap(doc));
}

/** The commands of a `run:` script: one per non-empty, non-comment line. */
export function commands(run: string): string[] {
  return run
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}
