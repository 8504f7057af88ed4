// The workflows agree with the rest of the repository: the npm scripts they call exist, the
// Pulumi CLI they install matches the pinned SDK, the stacks they deploy exist, and the pin
// table a reviewer reads in docs/delivery.md is the one the workflows use.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLOUD_STACKS } from "../../.github/scripts/affected-stacks.mjs";
import { allSteps, commands, ROOT, workflow, workflowFiles } from "./workflows";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
const files = workflowFiles();

describe("workflows and the repository agree", () => {
  it("every `npm run <script>` in a workflow is a script in package.json", () => {
    const missing: string[] = [];
    for (const wf of files) {
      for (const { job, step } of allSteps(wf)) {
        for (const cmd of step.run === undefined ? [] : commands(step.run)) {
          for (const m of cmd.matchAll(/\bnpm run ([\w:-]+)/g)) {
            if (!(m[1]! in pkg.scripts)) missing.push(`${wf.file} job ${job}: npm run ${m[1]}`);
          }
        }
      }
    }
    expect(missing, "add these scripts to package.json or change the workflow").toEqual([]);
  });

  it("the Pulumi CLI installed by pulumi/actions is the version of the pinned @pulumi/pulumi SDK", () => {
    const versions = new Set<string>();
    for (const wf of files) {
      for (const { step } of allSteps(wf)) {
        if (step.uses?.startsWith("pulumi/actions@")) versions.add(String(step.with?.["pulumi-version"]));
      }
    }
    expect([...versions]).toEqual([pkg.dependencies["@pulumi/pulumi"]]);
  });

  it("every cloud stack the workflows name has its Pulumi.<stack>.yaml", () => {
    const drift = workflow("drift.yml").doc.jobs.detect!.strategy!.matrix!.stack as string[];
    expect(drift).toEqual([...CLOUD_STACKS]);
    for (const stack of CLOUD_STACKS) {
      expect(existsSync(join(ROOT, `Pulumi.${stack}.yaml`)), `Pulumi.${stack}.yaml`).toBe(true);
    }
  });

  it("docs/delivery.md's pin table is exactly the set of pins in the workflows", () => {
    const doc = readFileSync(join(ROOT, "docs", "delivery.md"), "utf8");
    const documented = new Set(
      [...doc.matchAll(/^\| ([\w.-]+\/[\w.-]+) \| (v\d+\.\d+\.\d+) \| `([0-9a-f]{40})` \|$/gm)].map((m) => `${m[1]}@${m[3]} # ${m[2]}`),
    );
    const used = new Set<string>();
    for (const wf of files) {
      for (const line of wf.text.split("\n")) {
        const m = /uses:\s*(\S+@[0-9a-f]{40})\s*#\s*(v\S+)/.exec(line);
        if (m) used.add(`${m[1]} # ${m[2]}`);
      }
    }
    expect([...documented].sort()).toEqual([...used].sort());
  });
});
