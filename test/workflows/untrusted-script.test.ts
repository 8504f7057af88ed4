// scripts/untrusted-check.sh is the untrusted workflow's job, runnable on a laptop. These
// tests keep the two from drifting apart (same commands, same order, same env) and check
// that the script really runs them, with the workflow's failure rules.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commands, ROOT, workflow } from "./workflows";

const SCRIPT = join(ROOT, "scripts", "untrusted-check.sh");
const scriptText = readFileSync(SCRIPT, "utf8");
const job = workflow("untrusted.yml").doc.jobs.check!;
const steps = job.steps ?? [];

/** The script's STEPS heredoc, one command a line. */
function scriptCommands(): string[] {
  const m = /STEPS=\$\(cat <<'STEPS'\n([\s\S]*?)\nSTEPS\n\)/.exec(scriptText);
  if (!m) throw new Error("scripts/untrusted-check.sh has no STEPS heredoc");
  return commands(m[1]!);
}

function workflowCommands(): string[] {
  return steps.flatMap((s) => (s.run === undefined ? [] : commands(s.run)));
}

describe("scripts/untrusted-check.sh mirrors .github/workflows/untrusted.yml", () => {
  it("lists the workflow's run: commands, all of them, in the same order", () => {
    expect(workflowCommands().length).toBeGreaterThanOrEqual(6);
    expect(scriptCommands()).toEqual(workflowCommands());
  });

  it("every run: step is a single command (so the line-by-line mirror is exact)", () => {
    for (const s of steps) if (s.run !== undefined) expect(commands(s.run), s.name).toHaveLength(1);
  });

  it("exports the job's env: with the same values", () => {
    const env = job.env ?? {};
    expect(Object.keys(env).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(env)) {
      expect(scriptText, `export ${k}`).toContain(`export ${k}="${v}"`);
    }
  });

  it("has the workflow's failure rules: install first and fatal, every later check runs regardless", () => {
    const runSteps = steps.filter((s) => s.run !== undefined);
    expect(runSteps[0]!.id).toBe("install");
    expect(runSteps[0]!.if).toBeUndefined();
    for (const s of runSteps.slice(1)) {
      expect(s.if, s.name).toBe("${{ !cancelled() && steps.install.outcome == 'success' }}");
    }
    // GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
    expect(workflow("untrusted.yml").doc.defaults?.run?.shell).toBe("bash");
    expect(scriptText).toContain('bash -eo pipefail -c "$cmd"');
  });
});

// Run the real script against a stand-in `npm` that records its calls: proves the script
// executes the list in order, continues after a failed check, stops after a failed install,
// and strips credentials from the environment.
describe("scripts/untrusted-check.sh runs the steps", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function sandbox(failOn: string) {
    const dir = mkdtempSync(join(tmpdir(), "untrusted-check-"));
    dirs.push(dir);
    mkdirSync(join(dir, "scripts"));
    mkdirSync(join(dir, "bin"));
    copyFileSync(SCRIPT, join(dir, "scripts", "untrusted-check.sh"));
    const log = join(dir, "npm.log");
    writeFileSync(
      join(dir, "bin", "npm"),
      [
        "#!/usr/bin/env bash",
        `echo "npm $* | token=\${FAKE_CLOUD_TOKEN:-unset} aws=\${AWS_SECRET_ACCESS_KEY:-unset} plan_dir=$PLAN_DIR" >> "${log}"`,
        // The plan writes its reports where it was told to.
        'if [ "$1 $2" = "run plan" ]; then echo "# plan report" > "$PLAN_DIR/plan.md"; echo "{}" > "$PLAN_DIR/plan.json"; fi',
        `if [ -n "${failOn}" ] && [ "$*" = "${failOn}" ]; then exit 3; fi`,
        "exit 0",
      ].join("\n"),
    );
    chmodSync(join(dir, "bin", "npm"), 0o755);
    // The plan diff against the base commit (scripts/plan-review.sh, run for real by
    // test/workflows/plan-review.test.ts) stands in here too: it records its call and writes diff.md.
    writeFileSync(
      join(dir, "scripts", "plan-review.sh"),
      [
        `echo "plan-review.sh $* | token=\${FAKE_CLOUD_TOKEN:-unset} aws=\${AWS_SECRET_ACCESS_KEY:-unset} plan_dir=$PLAN_DIR" >> "${log}"`,
        'echo "# plan diff" > "$PLAN_DIR/diff.md"',
      ].join("\n"),
    );
    const r = spawnSync("bash", [join(dir, "scripts", "untrusted-check.sh")], {
      cwd: dir,
      encoding: "utf8",
      env: {
        PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
        HOME: dir,
        FAKE_CLOUD_TOKEN: "fake-token-for-tests",
        AWS_SECRET_ACCESS_KEY: "fake-password-for-tests",
      },
    });
    const calls = readFileSync(log, "utf8").trim().split("\n");
    return { dir, r, calls };
  }

  it("all green: every command in order, no credential visible, report in the local summary", () => {
    const { dir, r, calls } = sandbox("");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(calls.map((c) => c.split(" | ")[0])).toEqual([
      "npm ci --no-audit --no-fund",
      "npm run typecheck",
      "npm run engine",
      "npm test",
      "npm run docs -- --check",
      "npm run schema -- --check",
      "npm run preflight",
      "npm run plan -- --all --json tmp/untrusted/plan.json --markdown tmp/untrusted/plan.md",
      "plan-review.sh HEAD^1",
    ]);
    for (const c of calls) expect(c).toContain("token=unset aws=unset plan_dir=tmp/untrusted");
    // The diff heads the summary, the full report follows.
    expect(readFileSync(join(dir, "tmp", "untrusted-summary.md"), "utf8")).toBe("# plan diff\n# plan report\n");
    expect(r.stdout).toContain("untrusted check: all 12 steps ok");
  });

  it("a failed check does not hide the others, and the run fails", () => {
    const { r, calls } = sandbox("run typecheck");
    expect(r.status).toBe(1);
    expect(calls).toHaveLength(9);
    expect(r.stdout).toMatch(/FAIL {2}npm run typecheck {2}\(exit 3\)/);
    expect(r.stdout).toContain("untrusted check: 1 of 12 steps failed");
  });

  it("a failed install stops everything", () => {
    const { r, calls } = sandbox("ci --no-audit --no-fund");
    expect(r.status).toBe(3);
    expect(calls).toHaveLength(1);
    expect(r.stderr).toContain("the install failed");
  });
});
