// The untrusted workflow's plan diff (scripts/plan-review.sh, after the plan step): wired in the
// job without any credential, and run for real in bash on a throw-away git repository made of this
// working tree: a base commit, then a head commit that changes one value in Pulumi.local.yaml. The
// script plans the base commit in a worktree (the real program under the harness) and diffs it
// with the head's plan, as the job does with the merge commit's first parent.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../plan/cli";
import { ROOT, workflow } from "./workflows";

const job = workflow("untrusted.yml").doc.jobs.check!;
const steps = job.steps ?? [];

describe("untrusted.yml: the base commit's plan diffed with the pull request's", () => {
  it("checks out the merge commit with its parents, plans the base after the head plan, and publishes the diff before the report", () => {
    const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout@"))!;
    expect(checkout.with).toEqual({ "persist-credentials": false, "fetch-depth": 2 });
    const runs = steps.map((s) => s.run?.trim());
    const plan = runs.findIndex((r) => r?.startsWith("npm run plan -- --all --json"));
    const review = runs.indexOf("bash scripts/plan-review.sh HEAD^1");
    const diffSummary = runs.findIndex((r) => r?.includes('"$PLAN_DIR/diff.md"') && r.includes('>> "$GITHUB_STEP_SUMMARY"'));
    const reportSummary = runs.findIndex((r) => r?.includes('"$PLAN_DIR/plan.md"') && r.includes('>> "$GITHUB_STEP_SUMMARY"'));
    expect(plan).toBeGreaterThan(0);
    expect(review).toBe(plan + 1);
    expect(diffSummary).toBe(review + 1);
    expect(reportSummary).toBe(diffSummary + 1);
    // The same job, the same rules: nothing more than contents: read, no secret, no OIDC.
    expect(job.permissions).toEqual({ contents: "read" });
    expect(JSON.stringify(job)).not.toMatch(/secrets\.|id-token/);
  });
});

describe("scripts/plan-review.sh in bash on a real repository", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-review-"));
  const repo = path.join(tmp, "repo");
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.test", "-c", "commit.gpgsign=false", ...args], { cwd: repo, encoding: "utf8" });
  const env = { ...process.env, PLAN_DIR: "tmp/plan-review", PLAN_TARGETS: "local", NODE_OPTIONS: "" };
  // The script and the plans run asynchronously: a worker blocked for seconds in spawnSync cannot answer vitest.
  const review = (ref: string) => run("bash", ["scripts/plan-review.sh", ref], { cwd: repo, env });

  beforeAll(async () => {
    fs.mkdirSync(repo);
    // This working tree's files (tracked and new, not ignored), as three commits: one whose plan
    // predates format 1 (no scripts/plan-format.ts), the base, and the head with one config change.
    const copy = await run(
      "bash",
      [
        "-c",
        `git -C "${ROOT}" ls-files -z --cached --others --exclude-standard | tar -C "${ROOT}" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "${repo}" -xf -`,
      ],
      { cwd: tmp },
    );
    expect(copy.status, copy.stderr).toBe(0);
    git("init", "-q", "-b", "main");
    // This tree's packages, not committed (.gitignore's `node_modules/` does not match a symlink).
    fs.appendFileSync(path.join(repo, ".git", "info", "exclude"), "/node_modules\n");
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(repo, "node_modules"));
    fs.renameSync(path.join(repo, "scripts", "plan-format.ts"), path.join(tmp, "plan-format.ts"));
    git("add", "-A");
    git("commit", "-q", "-m", "before format 1");
    fs.renameSync(path.join(tmp, "plan-format.ts"), path.join(repo, "scripts", "plan-format.ts"));
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    const local = path.join(repo, "Pulumi.local.yaml");
    const text = fs.readFileSync(local, "utf8");
    expect(text).toContain("renderDir: rendered/local");
    fs.writeFileSync(local, text.replace("renderDir: rendered/local", "renderDir: rendered/review"));
    git("commit", "-q", "-am", "head: render the local manifests elsewhere");
  });

  it("refuses to run before the head plan exists, naming the step", async () => {
    const r = await review("HEAD^1");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("plan-review: tmp/plan-review/plan.json is missing: run npm run plan -- local --json tmp/plan-review/plan.json first");
  });

  it("plans the base commit in a worktree and diffs it with the head: exactly the changed value", async () => {
    fs.mkdirSync(path.join(repo, "tmp", "plan-review"), { recursive: true });
    const head = await run(
      process.execPath,
      [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/plan.ts", "local", "--json", "tmp/plan-review/plan.json"],
      { cwd: repo, env },
    );
    expect(head.status, head.stderr).toBe(0);
    const r = await review("HEAD^1");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("plan-review: base commit ");
    expect(r.stdout).toContain(" base\n");
    expect(r.stdout).toContain("~ pulumi:providers:kubernetes local-k8s-k8s");
    expect(r.stdout).toContain('    inputs.renderYamlToDirectory: "rendered/local" → "rendered/review"\n');
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(
      "plan diff: 1 targets (0 added, 0 removed); resources: 0 added, 0 removed, 1 changed, 55 unchanged; policy violations: 0 added, 0 removed",
    );
    const md = fs.readFileSync(path.join(repo, "tmp", "plan-review", "diff.md"), "utf8");
    expect(md).toContain("### stack local");
    expect(md).toContain('`inputs.renderYamlToDirectory: "rendered/local" → "rendered/review"`');
    const base = JSON.parse(fs.readFileSync(path.join(repo, "tmp", "plan-review", "base.json"), "utf8"));
    expect(base.formatVersion).toBe(1);
    expect(base.plans.map((p: { title: string }) => p.title)).toEqual(["stack local"]);
    // The base worktree used this checkout's packages through a link, never writing into them.
    expect(fs.existsSync(path.join(ROOT, "node_modules", "node_modules"))).toBe(false);
    // The worktree is gone; the checkout is untouched.
    expect(git("worktree", "list").trim().split("\n")).toHaveLength(1);
    expect(git("status", "--porcelain", "--untracked-files=no")).toBe("");
  });

  it("a base commit whose plan predates format 1: says so in diff.md and exits 0", async () => {
    const headPlan = path.join(repo, "tmp", "plan-review", "plan.json");
    if (!fs.existsSync(headPlan)) fs.writeFileSync(headPlan, "{}"); // only its presence is checked before the base is looked at
    const r = await review("HEAD~2");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const md = fs.readFileSync(path.join(repo, "tmp", "plan-review", "diff.md"), "utf8");
    expect(md).toMatch(
      /^## Offline plan diff\n\nThe base commit [0-9a-f]{12} writes no plan file of format 1 \(docs\/plan-format.md\), so there is nothing to diff with; the next pull request will have a diff.\n$/,
    );
    expect(fs.existsSync(path.join(repo, "tmp", "plan-review", "base.json"))).toBe(false);
  });

  it("a base that is not a commit of this clone: exit 1, naming the checkout depth", async () => {
    const r = await review("no-such-ref");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("plan-review: no commit 'no-such-ref' in this clone (in CI, check out the merge commit with fetch-depth: 2)");
  });
});
