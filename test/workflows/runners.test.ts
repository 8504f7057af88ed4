// Where each workflow runs (issue 16): every job that runs Pulumi against a cloud stack — deploy's
// up, preview's pull-request preview, drift's refreshed preview — runs on that stack's CodeBuild
// runner inside its VPC, because the EKS API endpoint is private and the Kubernetes provider reads
// the cluster even in a preview (discovery and OpenAPI schemas in Configure/Check, the live object
// in Read during --refresh; pulumi-kubernetes provider/pkg/provider/provider.go). The runner's
// webhook queues exactly those workflows. The credential-free untrusted check and the GitOps image
// release stay on GitHub-hosted runners: they need no cluster, and the untrusted check must never
// sit inside a VPC next to the private endpoints.
import { describe, expect, it } from "vitest";
import { CLOUD_STACKS } from "../../.github/scripts/affected-stacks.mjs";
import { RUNNER_WORKFLOW_NAMES, deployRunnerLabel, runnerWorkflowPattern } from "../../components/delivery";
import { stackJobs } from "../../components/delivery/stack-jobs";
import { workflow, workflowFiles } from "./workflows";

const HOSTED = /^ubuntu-\d+\.\d+$/;
const runner = (stack: string) => deployRunnerLabel(stack);

describe("jobs that run Pulumi for a cloud stack run on that stack's in-VPC runner", () => {
  for (const file of ["deploy.yml", "preview.yml", "drift.yml"]) {
    const wf = workflow(file);
    const jobs = stackJobs(wf);

    it(`${file}: every cloud stack has its Pulumi job(s), each on codebuild-platform-deploy-<stack>`, () => {
      expect(new Set(jobs.map((j) => j.stack))).toEqual(new Set(CLOUD_STACKS));
      for (const j of jobs) expect(j.runsOn, `${file} job ${j.id} (${j.stack})`).toBe(runner(j.stack));
    });

    it(`${file}: its name is one the runner's webhook queues`, () => {
      expect(RUNNER_WORKFLOW_NAMES).toContain(wf.doc.name);
      expect(new RegExp(runnerWorkflowPattern()).test(String(wf.doc.name))).toBe(true);
    });
  }

  it("a preview job moved back to a hosted runner is caught (the check bites)", () => {
    const wf = structuredClone(workflow("preview.yml"));
    wf.doc.jobs.preview!["runs-on"] = "ubuntu-24.04";
    const wrong = stackJobs(wf).filter((j) => j.runsOn !== runner(j.stack));
    expect(wrong.map((j) => j.stack)).toEqual([...CLOUD_STACKS]);
  });
});

describe("what stays on GitHub-hosted runners, and why the webhook refuses it", () => {
  it("untrusted.yml (fork pull requests, no credential) runs hosted and its name is not queued by any in-VPC runner", () => {
    const wf = workflow("untrusted.yml");
    for (const [name, job] of Object.entries(wf.doc.jobs)) expect(job["runs-on"], name).toMatch(HOSTED);
    expect(new RegExp(runnerWorkflowPattern()).test(String(wf.doc.name))).toBe(false);
  });

  it("every job not listed above runs hosted, and no other workflow's name matches the webhook", () => {
    for (const wf of workflowFiles()) {
      if (RUNNER_WORKFLOW_NAMES.includes(String(wf.doc.name))) continue;
      for (const [name, job] of Object.entries(wf.doc.jobs)) expect(job["runs-on"], `${wf.file} job ${name}`).toMatch(HOSTED);
      expect(new RegExp(runnerWorkflowPattern()).test(String(wf.doc.name)), wf.file).toBe(false);
    }
  });

  it("the pattern is anchored: a workflow named 'deploy-evil' or 'my-preview' is not queued", () => {
    const re = new RegExp(runnerWorkflowPattern());
    for (const n of ["deploy-evil", "my-preview", "drift2", "untrusted", "release"]) expect(re.test(n), n).toBe(false);
    for (const n of ["deploy", "preview", "drift"]) expect(re.test(n), n).toBe(true);
  });
});
