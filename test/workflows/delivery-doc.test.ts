// docs/delivery-flow.md is generated from the workflow files (scripts/docs/delivery.ts, run by
// `npm run docs`; `npm run docs -- --check` fails when it is stale). Here: the generator reads
// what the workflows say — every job appears with its runner, environment and Pulumi command —
// and the committed page is the generator's output for today's workflows.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { actions, deliveryMermaid, deliveryPage, readWorkflows, runsOn } from "../../scripts/docs/delivery";
import { ROOT } from "./workflows";

const workflows = readWorkflows(ROOT);

describe("the generated delivery flow", () => {
  it("lists every job of every workflow, pull request → merge → release → nightly", () => {
    expect(workflows.map((w) => w.file)).toEqual(["untrusted.yml", "policy.yml", "preview.yml", "deploy.yml", "release.yml", "drift.yml"]);
    const page = deliveryPage(workflows);
    const rows = page.split("\n").filter((l) => l.startsWith("| `"));
    const listed = rows.map((l) => l.split(" | ").map((c) => c.replace(/^\| /, "")));
    const expected = workflows.flatMap((w) => Object.keys(w.jobs).map((job) => [`\`${w.file}\``, `\`${job}\``]));
    expect(listed.map((c) => [c[0], c[2]])).toEqual(expected);
  });

  it("says where each job runs, and draws production as the approval", () => {
    const deploy = workflows.find((w) => w.file === "deploy.yml")!;
    expect(runsOn(deploy.jobs.prod!)).toBe("in-VPC runner of prod");
    expect(runsOn(workflows.find((w) => w.file === "preview.yml")!.jobs.preview!)).toBe("in-VPC runner of each stack");
    expect(runsOn(workflows.find((w) => w.file === "untrusted.yml")!.jobs.check!)).toBe("GitHub-hosted ubuntu-24.04");
    expect(actions(deploy.jobs.prod!)).toEqual(["pulumi up prod · policy pack + policies/config/prod.json"]);
    const release = deliveryMermaid(workflows.find((w) => w.file === "release.yml")!);
    expect(release).toContain("environment: production (approval)");
    // Either build job (ghcr.io or the stack's ECR) leads to production, gated on the plan's environment.
    expect(release).toMatch(/release_yml__build -->\|"[^"]*environment == 'production'[^"]*"\| release_yml__production/);
    expect(release).toMatch(/release_yml__build_ecr -->\|"[^"]*environment == 'production'[^"]*"\| release_yml__production/);
    expect(release).not.toMatch(/pulumi/);
  });

  it("docs/delivery-flow.md is current (regenerate with npm run docs)", () => {
    expect(readFileSync(join(ROOT, "docs", "delivery-flow.md"), "utf8")).toBe(deliveryPage(workflows));
  });
});
