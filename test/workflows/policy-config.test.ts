// Every workflow step that runs the policy pack passes the tier's config (issue 16): before this,
// deploy.yml and preview.yml ran `--policy-pack policies` alone, so a real deploy enforced every
// policy at the pack's default level, unlike the offline plan and the conformance run
// (tools/conformance/run.ts), which use policies/config/<tier>.json. The tier comes from the stack
// file (`platform:tier` of Pulumi.<stack>.yaml), and the file must exist.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../../stacks/preflight/stack-file";
import { stackJobs } from "../../components/delivery/stack-jobs";
import { ROOT, workflow, workflowFiles } from "./workflows";

const tierOf = (stack: string) => String(readStackFile(stack).platform.tier);

describe("the policy pack always runs with the tier's policy config", () => {
  const all = workflowFiles().flatMap((wf) => stackJobs(wf));

  it("the workflows run the pack in deploy.yml and preview.yml (the check sees them)", () => {
    const files = new Set(all.filter((j) => j.policyPack).map((j) => j.file));
    expect(files).toEqual(new Set(["deploy.yml", "preview.yml"]));
  });

  for (const j of all.filter((x) => x.policyPack)) {
    it(`${j.file} job ${j.id} (${j.stack}, pulumi ${j.command}): policies/config/<tier of ${j.stack}>.json, and it exists`, () => {
      const tier = tierOf(j.stack);
      expect(j.policyConfig, "set policyPackConfigs (or --policy-pack-config) next to the policy pack").toBe(`policies/config/${tier}.json`);
      expect(existsSync(join(ROOT, j.policyConfig!)), j.policyConfig).toBe(true);
    });
  }

  it("a policy pack step without its config is caught (the check bites)", () => {
    const wf = structuredClone(workflow("deploy.yml"));
    delete wf.doc.jobs.prod!.steps!.find((s) => s.uses?.startsWith("pulumi/actions@"))!.with!.policyPackConfigs;
    const prod = stackJobs(wf).find((j) => j.id === "prod")!;
    expect(prod.policyPack).toBe(true);
    expect(prod.policyConfig).toBeUndefined();
  });

  it("a CLI step is read too: --policy-pack without --policy-pack-config is seen, with it the path resolves through env", () => {
    const wf = structuredClone(workflow("drift.yml"));
    const step = wf.doc.jobs.detect!.steps!.find((s) => s.id === "drift")!;
    step.run = 'pulumi preview --stack "$PULUMI_STACK" --policy-pack policies --policy-pack-config "policies/config/$STACK.json"';
    const jobs = stackJobs(wf);
    expect(jobs.map((j) => [j.stack, j.policyConfig])).toEqual([
      ["dev", "policies/config/dev.json"],
      ["staging", "policies/config/staging.json"],
      ["prod", "policies/config/prod.json"],
    ]);
  });
});
