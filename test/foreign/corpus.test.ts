/**
 * The corpus list of `npm run corpus` (scripts/foreign/corpus.ts): public programs by other authors,
 * with where each came from and the findings a reader expects. The corpus run itself needs the git
 * mirrors and the npm registry, so it is not part of `npm test`; this checks the list and the
 * scoring the results file is written with.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { allPolicies } from "../../policies/policies";
import { corpusListProblems, renderResults, scores, type CorpusList, type CorpusRun } from "../../scripts/foreign/corpus";

const list = JSON.parse(fs.readFileSync(path.join(__dirname, "corpus.json"), "utf8")) as CorpusList;

describe("the corpus list", () => {
  it("is well-formed: at least 40 programs, full commits, relative paths, no pulumi/examples, expected findings name real policies", () => {
    expect(corpusListProblems(list)).toEqual([]);
    expect(list.programs.length).toBeGreaterThanOrEqual(40);
    const names = new Set(allPolicies.map((p) => p.name));
    for (const e of list.programs) for (const p of e.expected) expect(names.has(p), `${e.id}: ${p}`).toBe(true);
    // Several authors, not one repository.
    expect(new Set(list.programs.map((e) => e.repo.split("/")[0])).size).toBeGreaterThanOrEqual(5);
  });

  it("the format check names the entry, the field and the fix", () => {
    const bad: CorpusList = {
      description: "x",
      tier: "prod",
      programs: [
        { id: "a", repo: "pulumi/examples", commit: "abc", path: "../x", deploys: "", expected: ["tls-no-such-policy"] },
        { id: "a", repo: "someone/repo", commit: "0".repeat(40), path: "p", deploys: "d", expected: [] },
      ],
    };
    const problems = corpusListProblems(bad).join("\n");
    expect(problems).toMatch(/programs\[0\] \(a\): pulumi\/examples is kept as the independent check/);
    expect(problems).toMatch(/programs\[0\] \(a\): commit must be a full 40-hex commit id/);
    expect(problems).toMatch(/programs\[0\] \(a\): path must be relative/);
    expect(problems).toMatch(/programs\[0\] \(a\): deploys/);
    expect(problems).toMatch(/expected finding 'tls-no-such-policy' is not a policy of the pack/);
    expect(problems).toMatch(/programs\[1\] \(a\): duplicate id/);
  });
});

describe("scoring", () => {
  const run = (id: string, expected: string[], found: string[], report = true): CorpusRun => ({ id, repo: "o/r", path: id, installed: true, report, status: report ? "policy" : "error", exit: report ? 1 : 2, seconds: 1, hang: false, found, expected, notInspected: 0 });
  it("counts (program, policy) pairs per concern over the programs that produced a report", () => {
    const s = scores([
      run("a", ["tls-lb-listener-https", "seg-security-group-ingress"], ["tls-lb-listener-https", "baseline-imdsv2"]),
      run("b", ["tls-rds-force-ssl"], []),
      run("c", ["headers-origin-coop-coep"], [], false),
    ]);
    expect(s.tls).toMatchObject({ tp: 1, fp: 0, fn: 1, precision: 1, recall: 0.5 });
    expect(s.segmentation).toMatchObject({ tp: 0, fp: 0, fn: 1, recall: 0 });
    expect(s.baseline).toMatchObject({ tp: 0, fp: 1, fn: 0, precision: 0 });
    expect(s.headers).toMatchObject({ tp: 0, fp: 0, fn: 0, precision: 1, recall: 1 });
    const text = renderResults(list, [run("a", ["tls-lb-listener-https"], ["tls-lb-listener-https"]), run("c", [], [], false)], { preview: false, timeoutS: 120 });
    expect(text).toContain("| report produced | 1/2 (50.0%) | ≥ 90% |");
    expect(text).toContain("| hangs | 0 | 0 |");
  });
});
