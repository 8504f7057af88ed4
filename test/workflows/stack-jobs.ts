// The jobs of a workflow that run Pulumi, resolved per stack: a matrix job (`matrix.stack`, a
// list or the affected-stacks output) becomes one concrete job per cloud stack, with
// `${{ matrix.stack }}` substituted in runs-on, env and step inputs. Shared by runners.test.ts and
// policy-config.test.ts.
import { CLOUD_STACKS } from "../../.github/scripts/affected-stacks.mjs";
import type { Job, Step, WorkflowFile } from "./workflows";

export interface StackJob {
  file: string;
  job: string;
  stack: string;
  runsOn: string;
  /** The step that runs pulumi, with matrix.stack substituted. */
  step: Step;
  /** `up`, `preview`, … */
  command: string;
  /** The step runs the policy pack. */
  policyPack: boolean;
  /** The `--policy-pack-config` / `policyPackConfigs` path, if any (resolved for this stack). */
  policyConfig: string | undefined;
}

const MATRIX_STACK = /\$\{\{\s*matrix\.stack\s*\}\}/g;
const sub = (v: unknown, stack: string): unknown =>
  typeof v === "string" ? v.replace(MATRIX_STACK, stack) : Array.isArray(v) ? v.map((x) => sub(x, stack)) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sub(x, stack)])) : v;

/** The stacks a job runs for: its static matrix list, every cloud stack for a dynamic matrix, or none. */
function matrixStacks(job: Job): string[] | undefined {
  const m = job.strategy?.matrix?.stack;
  if (m === undefined) return undefined;
  if (Array.isArray(m)) return m.map(String);
  return [...CLOUD_STACKS]; // `${{ fromJSON(needs.affected.outputs.stacks) }}`: any cloud stack
}

function pulumiOf(step: Step, env: Record<string, string>): { stack: string; command: string; policyPack: boolean; policyConfig: string | undefined } | undefined {
  if (step.uses?.startsWith("pulumi/actions@") && step.with?.command) {
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
  const expand = (s: string) => s.replace(/"?\$\{?(\w+)\}?"?/g, (_, n: string) => env[n] ?? `$${n}`);
  // Expressions left in a value (`${{ vars.PULUMI_ORG }}/dev`) become one token.
  const args = expand(m[2]!).replace(/\$\{\{[^}]*\}\}/g, "EXPR");
  const stack = /(?:-s|--stack)[ =]"?(?:\S*\/)?([\w-]+)"?/.exec(args)?.[1] ?? "";
  return { stack, command: m[1]!, policyPack: /--policy-pack[ =]/.test(args), policyConfig: /--policy-pack-config[ =]"?([^\s"]+)/.exec(args)?.[1] };
}

export function stackJobs(wf: WorkflowFile): StackJob[] {
  const out: StackJob[] = [];
  for (const [id, job] of Object.entries(wf.doc.jobs)) {
    for (const stack of matrixStacks(job) ?? [undefined]) {
      const j = (stack ? sub(job, stack) : job) as Job;
      const env = { ...(j.env ?? {}) } as Record<string, string>;
      for (const step of j.steps ?? []) {
        const hit = pulumiOf(step, { ...env, ...(step.env ?? {}) });
        if (!hit) continue;
        out.push({ file: wf.file, job: id, stack: hit.stack, runsOn: String(j["runs-on"]), step, command: hit.command, policyPack: hit.policyPack, policyConfig: hit.policyConfig });
      }
    }
  }
  return out;
}
