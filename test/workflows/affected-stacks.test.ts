// The preview workflow's matrix: which cloud stacks a pull request can change.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { affectedStacks, CLOUD_STACKS, explainAffected, summaryMarkdown } from "../../.github/scripts/affected-stacks.mjs";
import { ROOT } from "./workflows";

describe("affectedStacks", () => {
  it("the cloud stacks, in promotion order; local is never previewed in the cloud", () => {
    expect(CLOUD_STACKS).toEqual(["dev", "staging", "prod"]);
    expect(affectedStacks(["Pulumi.local.yaml"])).toEqual([]);
  });

  it.each([
    ["stacks/config.ts"],
    ["components/edge/site.ts"],
    ["blueprints/gateway-flutter-wasm.yaml"],
    ["policies/tls.ts"],
    ["package.json"],
    ["package-lock.json"],
    ["Pulumi.yaml"],
    ["index.ts"],
    ["tsconfig.json"],
    [".github/workflows/preview.yml"],
  ])("a change to %s affects every stack", (path) => {
    expect(affectedStacks(["README.md", path])).toEqual(["dev", "staging", "prod"]);
  });

  it("a stack file affects that stack only", () => {
    expect(affectedStacks(["Pulumi.prod.yaml"])).toEqual(["prod"]);
    expect(affectedStacks(["Pulumi.prod.yaml", "Pulumi.dev.yaml"])).toEqual(["dev", "prod"]);
  });

  it("docs, tests and other workflows affect none", () => {
    expect(
      affectedStacks([
        "README.md",
        "docs/delivery.md",
        "test/stacks/x.test.ts",
        ".github/workflows/untrusted.yml",
        "scripts/untrusted-check.sh",
        "vitest.config.ts",
        "",
      ]),
    ).toEqual([]);
  });

  it("does not mistake look-alike paths for the real ones", () => {
    expect(affectedStacks(["docs/stacks/overview.md", "test/components/x.test.ts", "Pulumi.prod.yaml.bak"])).toEqual([]);
    expect(affectedStacks(["stacks"])).toEqual([]); // a file named `stacks`, not the folder
  });
});

describe("the reviewer's explanation", () => {
  it("names the path that put each stack in the preview", () => {
    const r = explainAffected(["README.md", "Pulumi.staging.yaml"]);
    expect(r).toEqual({ stacks: ["staging"], because: { staging: "Pulumi.staging.yaml" } });
    const md = summaryMarkdown(r, 2);
    expect(md).toContain("| `staging` | `Pulumi.staging.yaml` |");
    expect(md).not.toContain("`dev`");
  });

  it("says why nothing is previewed", () => {
    const md = summaryMarkdown(explainAffected(["docs/delivery.md"]), 1);
    expect(md).toContain("None of the 1 changed file(s) can change a cloud stack");
  });
});

describe("affected-stacks.mjs on a real git history", () => {
  const dir = mkdtempSync(join(tmpdir(), "affected-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      encoding: "utf8",
    }).trim();
  const script = join(ROOT, ".github", "scripts", "affected-stacks.mjs");

  it("diffs the pull request against its merge base and prints a $GITHUB_OUTPUT line", () => {
    git("init", "-q", "-b", "main");
    writeFileSync(join(dir, "README.md"), "x\n");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    const base = git("rev-parse", "HEAD");
    git("checkout", "-q", "-b", "pr");
    writeFileSync(join(dir, "Pulumi.staging.yaml"), "config: {}\n");
    git("add", ".");
    git("commit", "-q", "-m", "pr");
    const head = git("rev-parse", "HEAD");
    // main moves on with a change that would affect everything: not this PR's doing.
    git("checkout", "-q", "main");
    mkdirSync(join(dir, "components"));
    writeFileSync(join(dir, "components", "a.ts"), "export {};\n");
    git("add", ".");
    git("commit", "-q", "-m", "main moves");
    const mainHead = git("rev-parse", "HEAD");

    const summary = join(dir, "summary.md");
    const r = spawnSync("node", [script, "--base", mainHead, "--head", head], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, GITHUB_STEP_SUMMARY: summary },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('stacks=["staging"]\n');
    expect(r.stderr).toContain("affected stacks: staging");
    expect(readFileSync(summary, "utf8")).toContain("| `staging` | `Pulumi.staging.yaml` |");

    const none = spawnSync("node", [script, "--base", base, "--head", base], { cwd: dir, encoding: "utf8" });
    expect(none.stdout).toBe("stacks=[]\n");
  });

  it("refuses anything but commit SHAs (the values come from the event payload)", () => {
    const r = spawnSync("node", [script, "--base", "main; rm -rf /", "--head", "abc1234"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--base must be a commit SHA");
    expect(r.stdout).toBe("");
  });
});
