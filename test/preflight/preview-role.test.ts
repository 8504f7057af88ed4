// The preview role's read access (issue 16): preview.yml, drift.yml and deploy.yml's prod preview
// assume the read-only role vars.AWS_PREVIEW_ROLE_ARN; the stack file names that role
// (platform:delivery.previewRoleArn) and the EKS cluster gives it an access entry with the view
// policy at cluster scope. Before this, no access entry existed: every Kubernetes read of a preview
// was refused and drift's refresh failed (docs/delivery.md called it a known gap). Read from the
// program's planned resources (the real program under mocks), next to the workflows' role.
import { describe, expect, it } from "vitest";
import { READ_ONLY_ACCESS_POLICY } from "../../components/cluster/eks";
import { stackJobs } from "../../components/delivery/stack-jobs";
import { PREVIEW_ROLE_VARIABLE } from "../../stacks/preflight/deploy-path";
import { readAllStacks, readWorkflows } from "../../stacks/preflight/run";
import { readStackFile } from "../../stacks/preflight/stack-file";
import { PROJECT_DIR } from "../../stacks/spec/load";
import { planned } from "../harness/planned";

const roleOf = (stack: string) => (readStackFile(stack).platform.delivery as { previewRoleArn?: string }).previewRoleArn;

describe("the preview role's EKS access entry", () => {
  for (const stack of ["staging", "prod"] as const) {
    it(`${stack}: one access entry for platform:delivery.previewRoleArn, with ${READ_ONLY_ACCESS_POLICY.split("/").pop()} at cluster scope, and nothing broader`, async () => {
      const { inventory } = await planned({ stack });
      const role = roleOf(stack);
      expect(role).toMatch(/^arn:aws:iam::\d{12}:role\//);
      const entries = inventory.resources.filter((r) => r.type === "aws:eks/accessEntry:AccessEntry");
      expect(entries.map((e) => [e.inputs.principalArn, e.inputs.type])).toEqual([[role, "STANDARD"]]);
      const assoc = inventory.resources.filter((r) => r.type === "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
      expect(assoc.map((a) => [a.inputs.principalArn, a.inputs.policyArn, a.inputs.accessScope])).toEqual([
        [role, READ_ONLY_ACCESS_POLICY, { type: "cluster" }],
      ]);
      // The association waits for its entry (EKS refuses an association without one).
      expect(assoc[0]!.dependencies ?? []).toContain(entries[0]!.urn);
    });
  }

  it("dev (single host) has no cluster and no access entry", async () => {
    const { inventory } = await planned({ stack: "dev" });
    expect(inventory.resources.filter((r) => r.type.startsWith("aws:eks/"))).toEqual([]);
  });

  it("every job that previews a cloud stack assumes the repository variable whose role the clusters grant, and every EKS stack names the same role", () => {
    const workflows = readWorkflows(PROJECT_DIR);
    const stacks = readAllStacks(PROJECT_DIR).filter((s) => s.platform.tier !== "local");
    for (const s of stacks) {
      for (const wf of workflows) {
        for (const j of stackJobs(wf, [s.stack]).filter((x) => x.command === "preview")) {
          expect(j.awsRole, `${wf.file} ${j.id} (${s.stack})`).toBe(`\${{ vars.${PREVIEW_ROLE_VARIABLE} }}`);
          // No GitHub environment: the variable is the repository's, one value for every stack.
          expect(j.job.environment, `${wf.file} ${j.id}`).toBeUndefined();
        }
      }
    }
    const eksRoles = new Set(stacks.filter((s) => s.platform.tier !== "dev").map((s) => roleOf(s.stack)));
    expect([...eksRoles]).toEqual(["arn:aws:iam::123456789012:role/platform-preview"]);
  });
});
