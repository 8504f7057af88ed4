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
import { DEPLOY_WORKFLOW_NAME, RUNNER_WORKFLOW_NAMES, deployRunnerLabel } from "../../components/delivery";
import { stackJobs, type StackJob } from "../../components/delivery/stack-jobs";
import type { Step, WorkflowFile } from "../../components/delivery/workflows";
import type { PlatformSpec } from "../spec/platform";

export interface Finding {
  /** Which check (e.g. `deploy-path/runner`). */
  check: string;
  /** The setting at fault: a stack-file key or a workflow location. */
  setting: string;
  problem: string;
  fix: string;
}

const GITHUB_HOSTED = /^(ubuntu|windows|macos)-/;

/** A workflow as preflight reads it: `file` is its repository path for messages (`.github/workflows/deploy.yml`). */
export type WorkflowAt = Pick<WorkflowFile, "file" | "doc">;

/** The GitHub variables naming the roles the jobs assume (docs/delivery.md, "One-time setup"). */
export const DEPLOY_ROLE_VARIABLE = "AWS_DEPLOY_ROLE_ARN";
export const PREVIEW_ROLE_VARIABLE = "AWS_PREVIEW_ROLE_ARN";

/** The workflows that run Pulumi for a cloud stack, what each must do, and where it lives. */
export const STACK_WORKFLOWS = {
  deploy: { file: ".github/workflows/deploy.yml", command: "up", why: "nothing runs `pulumi up` for this stack" },
  preview: { file: ".github/workflows/preview.yml", command: "preview", why: "pull requests get no cloud preview of this stack (diff and policy report)" },
  drift: { file: ".github/workflows/drift.yml", command: "preview", why: "nobody learns when the live cloud drifts from main" },
} as const;
export type StackWorkflowKind = keyof typeof STACK_WORKFLOWS;

/** `npm run preflight -- [--strict] <stack>` (or `npx tsx scripts/preflight.ts …`) in a `run:` script. */
function runsPreflight(step: Step, env: Record<string, unknown>, stack: string, strict: boolean): boolean {
  if (!step.run) return false;
  const vars: Record<string, unknown> = { ...env, ...(step.env ?? {}) };
  const run = step.run.replace(/"?\$\{?(\w+)\}?"?/g, (m, n: string) => (vars[n] === undefined ? m : String(vars[n])));
  for (const line of run.split("\n")) {
    const m = /(?:npm run preflight\s+--|tsx\s+scripts\/preflight\.ts)((?:\s+\S+)*)/.exec(line);
    if (!m) continue;
    const args = m[1]!.trim().split(/\s+/);
    if (args.includes(stack) && (!strict || args.includes("--strict"))) return true;
  }
  return false;
}

export interface JobCheckOptions {
  /** Whether a repository-relative file exists (the policy config); default: not checked. */
  exists?: (rel: string) => boolean;
}

/**
 * One job that runs pulumi for the stack: runner, AWS login with the right role, Pulumi Cloud login,
 * the tier's policy config, preflight before an `up`, the single host's deploy key, no second
 * Cloudflare credential.
 */
export function checkStackJob(spec: PlatformSpec, file: string, j: StackJob, opts: JobCheckOptions = {}): Finding[] {
  const out: Finding[] = [];
  const at = (what: string) => `${file}: jobs.${j.id}${what}`;
  const label = deployRunnerLabel(spec.stack);
  const eks = spec.hosting.mode === "kubernetes" && spec.hosting.cluster === "eks" ? spec.hosting : undefined;
  const writes = j.command === "up" || j.command === "destroy" || j.command === "refresh";
  if (j.runsOn !== label) {
    const why = eks
      ? eks.publicAccessCidrs.length === 0
        ? "the EKS API endpoint is private (platform:cluster.publicAccessCidrs is empty): only the runner inside the VPC reaches it, every Kubernetes call from elsewhere times out"
        : `the EKS endpoint is public only to ${eks.publicAccessCidrs.join(", ")}; ${GITHUB_HOSTED.test(j.runsOn) ? "GitHub-hosted runners leave from no fixed address, so no allow-list covers them" : "the job must run where that allow-list or the private endpoint covers it"}`
      : spec.hosting.mode === "singleHost"
        ? "the host admits SSH only from the deploy runner's security group (Docker over SSH and the readiness check dial its private address)"
        : "the stack's private endpoints answer only inside its VPC";
    out.push({
      check: "deploy-path/runner",
      setting: at(".runs-on"),
      problem: `runs on '${j.runsOn}', but ${why}`,
      fix: `set \`runs-on: ${label}\` (the stack's CodeBuild runner, platform:delivery)`,
    });
  }
  const steps = j.job.steps ?? [];
  const before = steps.slice(0, j.step);
  if (!j.awsLogin) {
    out.push({
      check: "deploy-path/credentials",
      setting: at(".steps"),
      problem: `pulumi ${j.command} runs without an AWS session: the AWS provider${spec.cloudflare ? ", the Cloudflare token (Secrets Manager)" : ""}${spec.hosting.mode === "singleHost" ? " and the host's deploy key (Secrets Manager)" : ""} need it`,
      fix: `add the aws-actions/configure-aws-credentials step (OIDC, role from vars.${writes ? DEPLOY_ROLE_VARIABLE : PREVIEW_ROLE_VARIABLE}) before the pulumi step`,
    });
  } else {
    const want = writes ? DEPLOY_ROLE_VARIABLE : PREVIEW_ROLE_VARIABLE;
    const role = j.awsRole ?? "";
    if (!new RegExp(`^\\$\\{\\{\\s*vars\\.${want}\\s*\\}\\}$`).test(role)) {
      out.push({
        check: "deploy-path/role",
        setting: at(".steps.aws-login.role-to-assume"),
        problem: writes
          ? `pulumi ${j.command} assumes '${role}', not the environment's deploy role (vars.${DEPLOY_ROLE_VARIABLE}, the only role the deploy environment's trust policy and the cluster's creator entry cover)`
          : `pulumi ${j.command} assumes '${role}', not the read-only role (vars.${PREVIEW_ROLE_VARIABLE}): that is the role platform:delivery.previewRoleArn names and the EKS cluster gives its read-only access entry`,
        fix: `set \`role-to-assume: \${{ vars.${want} }}\``,
      });
    }
  }
  if (!j.pulumiLogin) {
    out.push({
      check: "deploy-path/pulumi-login",
      setting: at(".steps"),
      problem: `pulumi ${j.command} runs without a Pulumi Cloud token: the stack's state and secrets live there`,
      fix: "add the pulumi/auth-actions step (OIDC, organization token) before the pulumi step",
    });
  }
  if (j.command === "up" || j.policyPack) {
    const want = `policies/config/${spec.tier}.json`;
    if (!j.policyPack || j.policyConfig !== want) {
      out.push({
        check: "deploy-path/policy-config",
        setting: at(".steps.pulumi"),
        problem: !j.policyPack
          ? `pulumi ${j.command} runs without the policy pack: nothing enforces the ${spec.tier} tier's policies on this stack`
          : `the policy pack runs with ${j.policyConfig === undefined ? "no config (every policy at its default level)" : `'${j.policyConfig}'`}, not the ${spec.tier} tier's ${want} (what the offline plan and the conformance run enforce)`,
        fix: `set \`policyPacks: policies\` and \`policyPackConfigs: ${want}\` on the pulumi step (or --policy-pack policies --policy-pack-config ${want})`,
      });
    } else if (opts.exists && !opts.exists(want)) {
      out.push({
        check: "deploy-path/policy-config",
        setting: at(".steps.pulumi"),
        problem: `${want} does not exist`,
        fix: `generate it: npx tsx policies/config/generate.ts`,
      });
    }
  }
  if (j.command === "up" && !before.some((s) => runsPreflight(s, j.job.env ?? {}, spec.stack, true))) {
    out.push({
      check: "deploy-path/preflight",
      setting: at(".steps"),
      problem: `pulumi up runs without \`npm run preflight -- --strict ${spec.stack}\` first: a missing secret value, an EKS version out of support or an exhausted quota surfaces half-way through the update instead of before it`,
      fix: `add a step \`run: npm run preflight -- --strict ${spec.stack}\` after the install and before the pulumi step`,
    });
  }
  if (spec.hosting.mode === "singleHost" && j.command === "up") {
    const secret = spec.hosting.sshKeySecret;
    const loads = before.some(
      (s) =>
        s.run &&
        /\bssh-add\b/.test(s.run) &&
        /SSH_AUTH_SOCK=.*GITHUB_ENV|GITHUB_ENV/.test(s.run) &&
        /SSH_AUTH_SOCK/.test(s.run) &&
        (Object.values(s.env ?? {}).includes(secret) || s.run.includes(secret)),
    );
    if (!loads) {
      out.push({
        check: "deploy-path/host-key",
        setting: at(".steps"),
        problem: `no step before pulumi loads the host's deploy key from Secrets Manager '${secret}' (platform:host.sshKeySecret) into ssh-agent, so the SSH connection to the host has no key`,
        fix: `add a step after the AWS login: \`aws secretsmanager get-secret-value --secret-id ${secret} --query SecretString --output text | ssh-add -\` and export SSH_AUTH_SOCK to $GITHUB_ENV`,
      });
    }
  }
  const envs = [j.job.env ?? {}, ...steps.map((s) => s.env ?? {})];
  if (envs.some((e) => Object.keys(e).includes("CLOUDFLARE_API_TOKEN"))) {
    out.push({
      check: "deploy-path/credentials",
      setting: at(".env.CLOUDFLARE_API_TOKEN"),
      problem:
        "the job passes CLOUDFLARE_API_TOKEN, but the program's explicit Cloudflare provider takes its token from Secrets Manager (platform:cloudflare.apiTokenSecret); a second source would disagree silently",
      fix: "remove CLOUDFLARE_API_TOKEN from the workflow",
    });
  }
  return out;
}

/**
 * The deploy workflow (`name: deploy`) against one stack. `file` is the workflow's path for messages.
 * A tier without a cloud account (local) has no deploy path and gets no findings.
 */
export function checkDeployPath(spec: PlatformSpec, deploy: WorkflowAt, opts: JobCheckOptions = {}): Finding[] {
  if (!spec.profile.cloudAccount) return [];
  const out: Finding[] = [];
  if (deploy.doc.name !== DEPLOY_WORKFLOW_NAME) {
    out.push({
      check: "deploy-path/workflow",
      setting: `${deploy.file}: name`,
      problem: `the workflow is named '${String(deploy.doc.name)}', but the runner's webhook queues jobs of the workflow named '${DEPLOY_WORKFLOW_NAME}' only`,
      fix: `keep \`name: ${DEPLOY_WORKFLOW_NAME}\` (components/delivery DEPLOY_WORKFLOW_NAME)`,
    });
  }
  const jobs = stackJobs(deploy, [spec.stack]);
  if (!jobs.some((j) => j.command === "up")) {
    out.push({
      check: "deploy-path/job",
      setting: deploy.file,
      problem: `no job runs \`pulumi up\` for stack '${spec.stack}'`,
      fix: `add a job with the pulumi/actions step (command: up, stack-name: \${{ vars.PULUMI_ORG }}/${spec.stack}) on \`runs-on: ${deployRunnerLabel(spec.stack)}\``,
    });
  }
  for (const j of jobs) out.push(...checkStackJob(spec, deploy.file, j, opts));
  return out;
}

/**
 * preview.yml or drift.yml against one stack: a job previews it (drift: `--refresh`), on its in-VPC
 * runner, with the read-only role and the checks of `checkStackJob`; the preview runs the policy pack
 * with the tier's config (it posts the policy report). Missing workflow = finding.
 */
export function checkReadOnlyWorkflow(spec: PlatformSpec, kind: "preview" | "drift", wf: WorkflowAt | undefined, opts: JobCheckOptions = {}): Finding[] {
  if (!spec.profile.cloudAccount) return [];
  const meta = STACK_WORKFLOWS[kind];
  if (!wf)
    return [{ check: `${kind}/workflow`, setting: meta.file, problem: `no ${kind} workflow: ${meta.why}`, fix: `restore ${meta.file} (docs/delivery.md)` }];
  const out: Finding[] = [];
  if (!RUNNER_WORKFLOW_NAMES.includes(String(wf.doc.name)) || wf.doc.name !== kind) {
    out.push({
      check: `${kind}/workflow`,
      setting: `${wf.file}: name`,
      problem: `the workflow is named '${String(wf.doc.name)}', but the runner's webhook queues only the workflows named ${RUNNER_WORKFLOW_NAMES.join(", ")}`,
      fix: `keep \`name: ${kind}\``,
    });
  }
  const jobs = stackJobs(wf, [spec.stack]).filter((j) => j.command === "preview");
  if (!jobs.length) {
    out.push({
      check: `${kind}/job`,
      setting: wf.file,
      problem: `no job runs \`pulumi preview${kind === "drift" ? " --refresh" : ""}\` for stack '${spec.stack}': ${meta.why}`,
      fix:
        kind === "drift"
          ? `add '${spec.stack}' to jobs.detect.strategy.matrix.stack`
          : `let the affected-stacks matrix include '${spec.stack}' (.github/scripts/affected-stacks.mjs CLOUD_STACKS)`,
    });
  }
  for (const j of jobs) {
    out.push(...checkStackJob(spec, wf.file, j, opts));
    if (kind === "preview" && !j.policyPack) {
      // checkStackJob reports a pack without the tier's config; a preview without the pack at all is reported here.
      out.push({
        check: "deploy-path/policy-config",
        setting: `${wf.file}: jobs.${j.id}.steps.pulumi`,
        problem: "the pull-request preview runs without the policy pack: the comment shows no policy report, and a violation is first seen at deploy",
        fix: `set \`policyPacks: policies\` and \`policyPackConfigs: policies/config/${spec.tier}.json\``,
      });
    }
    if (kind === "drift" && !/--refresh\b/.test(String((j.job.steps ?? [])[j.step]?.run ?? "")) && (j.job.steps ?? [])[j.step]?.with?.refresh !== true) {
      out.push({
        check: "drift/refresh",
        setting: `${wf.file}: jobs.${j.id}.steps`,
        problem: "the drift preview does not refresh: it compares the program with the last state, not with the live cloud",
        fix: "run `pulumi preview --refresh --expect-no-changes`",
      });
    }
  }
  return out;
}
