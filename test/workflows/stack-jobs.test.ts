// The one enumerator of "which job runs which stack with which credentials"
// (components/delivery/stack-jobs.ts), used by preflight, these tests and the delivery docs. The
// expectations are the committed workflows read by hand, written out as literals.
import { describe, expect, it } from "vitest";
import { stackJobs } from "../../components/delivery/stack-jobs";
import { workflow, workflowFiles } from "./workflows";

const DEPLOY = "${{ vars.AWS_DEPLOY_ROLE_ARN }}";
const PREVIEW = "${{ vars.AWS_PREVIEW_ROLE_ARN }}";
const row = (j: ReturnType<typeof stackJobs>[number]) => [
  j.file,
  j.id,
  j.stack,
  j.command,
  j.environment ?? null,
  j.awsRole ?? null,
  j.pulumiLogin,
  j.policyConfig ?? null,
];

describe("stackJobs over the committed workflows", () => {
  it("every Pulumi job, per stack: command, GitHub environment, AWS role, Pulumi login, policy config", () => {
    expect(workflowFiles().flatMap((wf) => stackJobs(wf).map(row))).toEqual([
      ["deploy.yml", "dev", "dev", "up", "dev", DEPLOY, true, "policies/config/dev.json"],
      ["deploy.yml", "staging", "staging", "up", "staging", DEPLOY, true, "policies/config/staging.json"],
      ["deploy.yml", "prod-preview", "prod", "preview", null, PREVIEW, true, "policies/config/prod.json"],
      ["deploy.yml", "prod", "prod", "up", "production", DEPLOY, true, "policies/config/prod.json"],
      ["drift.yml", "detect", "dev", "preview", null, PREVIEW, true, null],
      ["drift.yml", "detect", "staging", "preview", null, PREVIEW, true, null],
      ["drift.yml", "detect", "prod", "preview", null, PREVIEW, true, null],
      ["preview.yml", "preview", "dev", "preview", null, PREVIEW, true, "policies/config/dev.json"],
      ["preview.yml", "preview", "staging", "preview", null, PREVIEW, true, "policies/config/staging.json"],
      ["preview.yml", "preview", "prod", "preview", null, PREVIEW, true, "policies/config/prod.json"],
    ]);
  });

  it("one stack: a matrix expression (preview.yml) may be that stack, a static matrix list (drift.yml) only if it lists it", () => {
    expect(stackJobs(workflow("preview.yml"), ["qa"]).map((j) => [j.id, j.stack, j.runsOn])).toEqual([
      ["preview", "qa", "codebuild-platform-deploy-qa-${{ github.run_id }}-${{ github.run_attempt }}"],
    ]);
    expect(stackJobs(workflow("drift.yml"), ["qa"])).toEqual([]);
    expect(stackJobs(workflow("deploy.yml"), ["staging"]).map((j) => j.id)).toEqual(["staging"]);
  });

  it("credentials are read before the pulumi step only: a login moved after it does not count", () => {
    const wf = structuredClone(workflow("deploy.yml"));
    const steps = wf.doc.jobs.staging!.steps!;
    const aws = steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    const pulumiLogin = steps.findIndex((s) => s.uses?.startsWith("pulumi/auth-actions@"));
    wf.doc.jobs.staging!.steps = [...steps.filter((_, i) => i !== aws && i !== pulumiLogin), steps[aws]!, steps[pulumiLogin]!];
    const [j] = stackJobs(wf, ["staging"]);
    expect([j!.awsLogin, j!.awsRole, j!.pulumiLogin]).toEqual([undefined, undefined, false]);
  });

  it("a runs-on list and an environment object are read as GitHub reads them", () => {
    const wf = structuredClone(workflow("deploy.yml"));
    wf.doc.jobs.dev!["runs-on"] = ["self-hosted", "linux"];
    wf.doc.jobs.dev!.environment = { name: "dev", url: "https://dev.example.com" };
    const [j] = stackJobs(wf, ["dev"]);
    expect([j!.runsOn, j!.environment]).toEqual(['["self-hosted","linux"]', "dev"]);
  });
});
