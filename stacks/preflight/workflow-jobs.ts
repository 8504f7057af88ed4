/**
 * The jobs of a GitHub workflow that run Pulumi for one stack, resolved the way GitHub runs them:
 * a matrix job over `stack` (a static list, or an expression such as the preview's
 * `fromJSON(needs.affected.outputs.stacks)`, which may be any stack) becomes the concrete job for
 * that stack, with `${{ matrix.stack }}` substituted everywhere; a `run:` step's `$VARS` are
 * expanded from the job's and the step's `env`. Pure; used by the preflight's workflow checks
 * (deploy-path.ts, workflows.ts).
 */
import type { WorkflowDoc, WorkflowJob, WorkflowStep } from "./deploy-path";

export interface StackJob {
  /** Job id in the workflow. */
  id: string;
  /** The job with `matrix.stack` substituted. */
  job: WorkflowJob;
  /** `runs-on` as text (an object/list is JSON). */
  runsOn: string;
  /** Index of the step that runs pulumi. */
  step: number;
  /** `up`, `preview`, `refresh`, `destroy`. */
  command: string;
  /** The step runs the policy pack (`policyPacks` / `--policy-pack`). */
  policyPack: boolean;
  /** Its `policyPackConfigs` / `--policy-pack-config`, resolved for this stack. */
  policyConfig: string | undefined;
}

const MATRIX_STACK = /\$\{\{\s*matrix\.stack\s*\}\}/g;
const sub = (v: unknown, stack: string): unknown =>
  typeof v === "string"
    ? v.replace(MATRIX_STACK, stack)
    : Array.isArray(v)
      ? v.map((x) => sub(x, stack))
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sub(x, stack)]))
        : v;

/** Whether the job runs for `stack`: no matrix over stacks (yes, its steps name the stack), a static list that holds it, or an expression (any stack). */
function runsFor(job: WorkflowJob, stack: string): boolean {
  const m = job.strategy?.matrix?.stack;
  if (m === undefined) return true;
  if (Array.isArray(m)) return m.map(String).includes(stack);
  return true;
}

/** The pulumi call of a step, if any: its stack (last path segment), command and policy pack settings. */
export function pulumiCall(step: WorkflowStep, env: Record<string, unknown>): { stack: string; command: string; policyPack: boolean; policyConfig: string | undefined } | undefined {
  if (step.uses && /^pulumi\/actions@/.test(step.uses)) {
    if (step.with?.command === undefined) return undefined; // installs the CLI only
    const name = String(step.with?.["stack-name"] ?? "");
    return {
      stack: name.split("/").pop()!,
      command: String(step.with.command),
      policyPack: step.with.policyPacks !== undefined,
      policyConfig: step.with.policyPackConfigs === undefined ? undefined : String(step.with.policyPackConfigs),
    };
  }
  const m = step.run ? /\bpulumi\s+(up|preview|refresh|destroy)\b([^\n]*)/.exec(step.run) : null;
  if (!m) return undefined;
  const expand = (s: string) => s.replace(/"?\$\{?(\w+)\}?"?/g, (_, n: string) => (env[n] === undefined ? `$${n}` : String(env[n])));
  // Expressions left in a value (`${{ vars.PULUMI_ORG }}/dev`) become one token.
  const args = expand(m[2]!).replace(/\$\{\{[^}]*\}\}/g, "EXPR");
  const stack = /(?:-s|--stack)[ =]"?(?:\S*\/)?([\w-]+)"?/.exec(args)?.[1] ?? "";
  return { stack, command: m[1]!, policyPack: /--policy-pack[ =]/.test(args), policyConfig: /--policy-pack-config[ =]"?([^\s"]+)/.exec(args)?.[1] };
}

/** Every job of `doc` that runs pulumi for `stack`, one entry per pulumi step. */
export function stackJobs(doc: WorkflowDoc, stack: string): StackJob[] {
  const out: StackJob[] = [];
  for (const [id, raw] of Object.entries(doc.jobs ?? {})) {
    if (!runsFor(raw, stack)) continue;
    const job = sub(raw, stack) as WorkflowJob;
    (job.steps ?? []).forEach((s, i) => {
      const hit = pulumiCall(s, { ...(job.env ?? {}), ...(s.env ?? {}) });
      if (!hit || hit.stack !== stack) return;
      const runsOn = typeof job["runs-on"] === "string" ? job["runs-on"] : JSON.stringify(job["runs-on"]);
      out.push({ id, job, runsOn, step: i, command: hit.command, policyPack: hit.policyPack, policyConfig: hit.policyConfig });
    });
  }
  return out;
}
