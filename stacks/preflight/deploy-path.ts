/**
 * Deploy-path checks: does the workflow job that deploys a stack run where the program's
 * endpoints answer, and does it hold every credential the stack's providers need? Pure: a resolved
 * PlatformSpec and parsed workflow documents in, findings out (each naming the setting and the fix).
 * Used by `npm run preflight` (scripts/preflight.ts) and test/workflows/deploy-path.test.ts.
 *
 * The design (docs/delivery.md, "Where the deploy runs"): every cloud stack's jobs run on the
 * stack's CodeBuild-hosted runner inside its VPC (components/delivery); the EKS API endpoint is
 * private and the single host admits SSH from that runner's security group only. Credentials: AWS by
 * OIDC (configure-aws-credentials); the Cloudflare token and the host's deploy key are read from
 * Secrets Manager with that AWS session, so the job must log in to AWS before pulumi runs, and a
 * single-host stack's job must load the deploy key into ssh-agent.
 */
import { DEPLOY_WORKFLOW_NAME, deployRunnerLabel } from "../../components/delivery";
import type { PlatformSpec } from "../spec/platform";

export interface Finding {
  /** Which check (e.g. `deploy-path/runner`). */
  check: string;
  /** The setting at fault: a stack-file key or a workflow location. */
  setting: string;
  problem: string;
  fix: string;
}

export interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, unknown>;
  with?: Record<string, unknown>;
}

export interface WorkflowJob {
  name?: string;
  "runs-on"?: unknown;
  env?: Record<string, unknown>;
  steps?: WorkflowStep[];
}

export interface WorkflowDoc {
  name?: string;
  jobs?: Record<string, WorkflowJob>;
}

const PULUMI_ACTION = /^pulumi\/actions@/;
const AWS_LOGIN = /^aws-actions\/configure-aws-credentials@/;

/** Whether a step runs pulumi against `stack` (the pulumi/actions step, or a `pulumi … -s <stack>` script). */
export function runsPulumiFor(step: WorkflowStep, stack: string): { command: string } | undefined {
  if (step.uses && PULUMI_ACTION.test(step.uses)) {
    const name = String(step.with?.["stack-name"] ?? "");
    if (name === stack || name.endsWith(`/${stack}`)) return { command: String(step.with?.command ?? "") };
    return undefined;
  }
  const m = step.run ? new RegExp(`\\bpulumi\\s+(up|preview|refresh|destroy)\\b[^\\n]*(?:-s|--stack)[ =](?:\\S*/)?${stack}(?:\\s|$)`).exec(step.run) : null;
  return m ? { command: m[1]! } : undefined;
}

/** Jobs of a workflow that run pulumi for the stack, with the index of that step. */
export function jobsFor(doc: WorkflowDoc, stack: string): { id: string; job: WorkflowJob; step: number; command: string }[] {
  const out: { id: string; job: WorkflowJob; step: number; command: string }[] = [];
  for (const [id, job] of Object.entries(doc.jobs ?? {})) {
    (job.steps ?? []).forEach((s, i) => {
      const hit = runsPulumiFor(s, stack);
      if (hit) out.push({ id, job, step: i, command: hit.command });
    });
  }
  return out;
}

const GITHUB_HOSTED = /^(ubuntu|windows|macos)-/;

/**
 * The deploy workflow (`name: deploy`) against one stack. `file` is the workflow's path for messages.
 * The local tier has no deploy path (nothing in the cloud) and gets no findings.
 */
export function checkDeployPath(spec: PlatformSpec, deploy: { file: string; doc: WorkflowDoc }): Finding[] {
  if (spec.tier === "local") return [];
  const out: Finding[] = [];
  const at = (job: string, what: string) => `${deploy.file}: jobs.${job}${what}`;
  if (deploy.doc.name !== DEPLOY_WORKFLOW_NAME) {
    out.push({
      check: "deploy-path/workflow",
      setting: `${deploy.file}: name`,
      problem: `the workflow is named '${String(deploy.doc.name)}', but the runner's webhook queues jobs of the workflow named '${DEPLOY_WORKFLOW_NAME}' only`,
      fix: `keep \`name: ${DEPLOY_WORKFLOW_NAME}\` (components/delivery DEPLOY_WORKFLOW_NAME)`,
    });
  }
  const jobs = jobsFor(deploy.doc, spec.stack);
  if (!jobs.some((j) => j.command === "up")) {
    out.push({
      check: "deploy-path/job",
      setting: deploy.file,
      problem: `no job runs \`pulumi up\` for stack '${spec.stack}'`,
      fix: `add a job with the pulumi/actions step (command: up, stack-name: \${{ vars.PULUMI_ORG }}/${spec.stack}) on \`runs-on: ${deployRunnerLabel(spec.stack)}\``,
    });
  }
  const label = deployRunnerLabel(spec.stack);
  const eks = spec.hosting.mode === "kubernetes" && spec.hosting.cluster === "eks" ? spec.hosting : undefined;
  for (const j of jobs) {
    const runsOn = typeof j.job["runs-on"] === "string" ? j.job["runs-on"] : JSON.stringify(j.job["runs-on"]);
    if (runsOn !== label) {
      const why = eks
        ? eks.publicAccessCidrs.length === 0
          ? "the EKS API endpoint is private (platform:cluster.publicAccessCidrs is empty): only the runner inside the VPC reaches it, every Kubernetes call from elsewhere times out"
          : `the EKS endpoint is public only to ${eks.publicAccessCidrs.join(", ")}; ${GITHUB_HOSTED.test(runsOn) ? "GitHub-hosted runners leave from no fixed address, so no allow-list covers them" : "the job must run where that allow-list or the private endpoint covers it"}`
        : spec.hosting.mode === "singleHost"
          ? "the host admits SSH only from the deploy runner's security group (Docker over SSH and the readiness check dial its private address)"
          : "the stack's private endpoints answer only inside its VPC";
      out.push({ check: "deploy-path/runner", setting: at(j.id, ".runs-on"), problem: `runs on '${runsOn}', but ${why}`, fix: `set \`runs-on: ${label}\` (the stack's CodeBuild runner, platform:delivery)` });
    }
    const steps = j.job.steps ?? [];
    const before = steps.slice(0, j.step);
    if (!before.some((s) => s.uses && AWS_LOGIN.test(s.uses))) {
      out.push({
        check: "deploy-path/credentials",
        setting: at(j.id, ".steps"),
        problem: `pulumi ${j.command} runs without an AWS session: the AWS provider${spec.cloudflare ? ", the Cloudflare token (Secrets Manager)" : ""}${spec.hosting.mode === "singleHost" ? " and the host's deploy key (Secrets Manager)" : ""} need it`,
        fix: "add the aws-actions/configure-aws-credentials step (OIDC, role from the environment's AWS_DEPLOY_ROLE_ARN) before the pulumi step",
      });
    }
    if (spec.hosting.mode === "singleHost" && j.command === "up") {
      const secret = spec.hosting.sshKeySecret;
      const loads = before.some((s) => s.run && /\bssh-add\b/.test(s.run) && /SSH_AUTH_SOCK=.*GITHUB_ENV|GITHUB_ENV/.test(s.run) && /SSH_AUTH_SOCK/.test(s.run) && (Object.values(s.env ?? {}).includes(secret) || s.run.includes(secret)));
      if (!loads) {
        out.push({
          check: "deploy-path/host-key",
          setting: at(j.id, ".steps"),
          problem: `no step before pulumi loads the host's deploy key from Secrets Manager '${secret}' (platform:host.sshKeySecret) into ssh-agent, so the SSH connection to the host has no key`,
          fix: `add a step after the AWS login: \`aws secretsmanager get-secret-value --secret-id ${secret} --query SecretString --output text | ssh-add -\` and export SSH_AUTH_SOCK to $GITHUB_ENV`,
        });
      }
    }
    const envs = [j.job.env ?? {}, ...steps.map((s) => s.env ?? {})];
    if (envs.some((e) => Object.keys(e).includes("CLOUDFLARE_API_TOKEN"))) {
      out.push({
        check: "deploy-path/credentials",
        setting: at(j.id, ".env.CLOUDFLARE_API_TOKEN"),
        problem: "the job passes CLOUDFLARE_API_TOKEN, but the program's explicit Cloudflare provider takes its token from Secrets Manager (platform:cloudflare.apiTokenSecret); a second source would disagree silently",
        fix: "remove CLOUDFLARE_API_TOKEN from the workflow",
      });
    }
  }
  return out;
}
