/**
 * Which job of a GitHub workflow runs Pulumi for which stack, with which credentials: the one
 * enumerator, used by the preflight's deploy-path checks (stacks/preflight), the workflow tests
 * (test/workflows, test/preflight) and the delivery docs (scripts/docs/delivery.ts).
 *
 * Resolved the way GitHub runs the jobs: a job with a matrix over `stack` becomes one concrete job
 * per stack, with `${{ matrix.stack }}` substituted everywhere (runs-on, env, step inputs); a static
 * list gives its stacks, an expression (preview.yml's `fromJSON(needs.affected.outputs.stacks)`)
 * may be any cloud stack (.github/scripts/affected-stacks.mjs CLOUD_STACKS). A `run:` step's
 * `$VARS` are expanded from the job's and the step's `env`. Pure: parsed workflows in, jobs out.
 */
import { CLOUD_STACKS } from "../../.github/scripts/affected-stacks.mjs";
import type { Job, Step, WorkflowFile } from "./workflows";

/** What one step asks of Pulumi. */
export interface PulumiCall {
  /** The stack (last path segment of `org/stack`). */
  stack: string;
  /** `up`, `preview`, `refresh`, `destroy`. */
  command: string;
  /** The step runs the policy pack (`policyPacks` / `--policy-pack`). */
  policyPack: boolean;
  /** Its `policyPackConfigs` / `--policy-pack-config`, if any. */
  policyConfig: string | undefined;
}

export interface StackJob extends PulumiCall {
  /** The workflow file as the caller named it (e.g. `deploy.yml` or `.github/workflows/deploy.yml`). */
  file: string;
  /** Job id in the workflow. */
  id: string;
  /** The job with `matrix.stack` substituted. */
  job: Job;
  /** `runs-on` as text (a list or object is JSON). */
  runsOn: string;
  /** Index of the step that runs pulumi in `job.steps`. */
  step: number;
  /** The job's GitHub environment, if any (its name). */
  environment: string | undefined;
  /** The AWS login (aws-actions/configure-aws-credentials) that runs before the pulumi step, if any. */
  awsLogin: Step | undefined;
  /** That login's `role-to-assume`, as written (e.g. `${{ vars.AWS_DEPLOY_ROLE_ARN }}`). */
  awsRole: string | undefined;
  /** A Pulumi Cloud login (pulumi/auth-actions) runs before the pulumi step. */
  pulumiLogin: boolean;
}

const AWS_LOGIN = /^aws-actions\/configure-aws-credentials@/;
const PULUMI_LOGIN = /^pulumi\/auth-actions@/;
const MATRIX_STACK = /\$\{\{\s*matrix\.stack\s*\}\}/g;

const sub = (v: unknown, stack: string): unknown =>
  typeof v === "string"
    ? v.replace(MATRIX_STACK, stack)
    : Array.isArray(v)
      ? v.map((x) => sub(x, stack))
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sub(x, stack)]))
        : v;

/** The pulumi call of a step, if any (`pulumi/actions` with a command, or a `pulumi up|preview|refresh|destroy` script). */
export function pulumiCall(step: Step, env: Record<string, unknown> = {}): PulumiCall | undefined {
  if (step.uses && /^pulumi\/actions@/.test(step.uses)) {
    if (step.with?.command === undefined) return undefined; // installs the CLI only
    const name = String(step.with["stack-name"] ?? "");
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

/**
 * The stacks a job is instantiated for: its static `matrix.stack` list, the candidates for a matrix
 * expression, or `[undefined]` (no matrix over stacks: its steps name the stack).
 */
function instances(job: Job, only: readonly string[] | undefined): Array<string | undefined> {
  const m = job.strategy?.matrix?.stack;
  if (m === undefined) return [undefined];
  if (Array.isArray(m)) return m.map(String).filter((s) => !only || only.includes(s));
  return [...(only ?? CLOUD_STACKS)];
}

/**
 * Every job of `wf` that runs pulumi, one entry per pulumi step and stack, in the file's job order.
 * `only`: just these stacks (a matrix expression may then be any of them); default every stack the
 * workflow can run for.
 */
export function stackJobs(wf: Pick<WorkflowFile, "file" | "doc">, only?: readonly string[]): StackJob[] {
  const out: StackJob[] = [];
  for (const [id, raw] of Object.entries(wf.doc.jobs ?? {})) {
    for (const stack of instances(raw, only)) {
      const job = (stack === undefined ? raw : sub(raw, stack)) as Job;
      const steps = job.steps ?? [];
      steps.forEach((s, i) => {
        const hit = pulumiCall(s, { ...(job.env ?? {}), ...(s.env ?? {}) });
        if (!hit || (only && !only.includes(hit.stack))) return;
        const before = steps.slice(0, i);
        const awsLogin = before.find((b) => b.uses !== undefined && AWS_LOGIN.test(b.uses));
        const r = job["runs-on"];
        out.push({
          ...hit,
          file: wf.file,
          id,
          job,
          runsOn: typeof r === "string" ? r : r === undefined ? "" : JSON.stringify(r),
          step: i,
          environment: typeof job.environment === "string" ? job.environment : job.environment?.name,
          awsLogin,
          awsRole: awsLogin?.with?.["role-to-assume"] === undefined ? undefined : String(awsLogin.with["role-to-assume"]),
          pulumiLogin: before.some((b) => b.uses !== undefined && PULUMI_LOGIN.test(b.uses)),
        });
      });
    }
  }
  return out;
}
