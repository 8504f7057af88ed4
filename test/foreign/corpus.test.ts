/**
 * The corpus list of `npm run corpus` (scripts/foreign/corpus.ts): public programs by other authors,
 * with where each came from and the findings a reader expects. The corpus run itself needs the git
 * mirrors and the npm registry, so it is not part of `npm test`; this checks the list and the
 * scoring the results file is written with.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { allPolicies } from "../../policies/policies";
import {
  corpusListProblems,
  importsOutside,
  renderResults,
  retryFlags,
  scores,
  whyNoReport,
  type CorpusList,
  type CorpusRun,
} from "../../scripts/foreign/corpus";

const list = JSON.parse(fs.readFileSync(path.join(__dirname, "corpus.json"), "utf8")) as CorpusList;
const examples = JSON.parse(fs.readFileSync(path.join(__dirname, "examples.json"), "utf8")) as CorpusList;

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

describe("the independent check's list (pulumi/examples)", () => {
  it("is well-formed, takes pulumi/examples only, and its expected findings name real policies", () => {
    expect(corpusListProblems(examples)).toEqual([]);
    expect(examples.check).toBe("independent");
    expect(examples.programs.length).toBeGreaterThanOrEqual(10);
    expect(new Set(examples.programs.map((e) => e.repo))).toEqual(new Set(["pulumi/examples"]));
    // No program is in both lists.
    const corpusKeys = new Set(list.programs.map((e) => `${e.repo}:${e.path}`));
    for (const e of examples.programs) expect(corpusKeys.has(`${e.repo}:${e.path}`), e.id).toBe(false);
  });

  it("refuses other repositories and config that is not strings, naming the entry", () => {
    const bad: CorpusList = {
      ...examples,
      programs: [{ id: "x", repo: "someone/repo", commit: "0".repeat(40), path: "p", deploys: "d", expected: [], config: { n: 3 as unknown as string } }],
    };
    const problems = corpusListProblems(bad).join("\n");
    expect(problems).toMatch(/programs\[0\] \(x\): the independent check takes programs from pulumi\/examples only; put someone\/repo in the corpus/);
    expect(problems).toMatch(/programs\[0\] \(x\): config must map keys to string values/);
    expect(corpusListProblems({ ...examples, check: "other" as "independent" }).join("\n")).toMatch(/check 'other' is not "independent"/);
  });
});

describe("installing and extracting a program", () => {
  it("retries an ERESOLVE install with --legacy-peer-deps and a lock file the registry cannot serve without it, each once", () => {
    const eresolve =
      'npm error code ERESOLVE\nnpm error ERESOLVE unable to resolve dependency tree\nnpm error peer @pulumi/pulumi@"^3.0.0" from @pulumi/kubernetesx@0.1.6';
    expect(retryFlags(eresolve, [])).toBe("--legacy-peer-deps");
    expect(retryFlags(eresolve, ["--legacy-peer-deps"])).toBeUndefined();
    expect(retryFlags("npm error code ETARGET\nnpm error notarget No matching version found for @pulumi/eks@^0.37.1.", [])).toBe("--no-package-lock");
    expect(retryFlags("npm error code ETARGET", ["--no-package-lock"])).toBeUndefined();
    expect(retryFlags("npm error code EACCES", [])).toBeUndefined();
  });

  it("finds relative imports that leave the program's folder (then the whole repository is extracted)", () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "corpus-imports-"));
    try {
      const app = path.join(repo, "aks", "ts", "application");
      fs.mkdirSync(path.join(app, "lib"), { recursive: true });
      fs.mkdirSync(path.join(app, "node_modules", "x"), { recursive: true });
      fs.writeFileSync(path.join(app, "index.ts"), 'import * as k8s from "@pulumi/kubernetes";\nimport { ns } from "./lib/ns";\nimport "./config";\n');
      fs.writeFileSync(path.join(app, "config.ts"), 'import {getValue} from "../common/output";\nconst b = require("../../shared/bits.js");\n');
      fs.writeFileSync(path.join(app, "lib", "ns.ts"), 'export { x } from "../util";\n');
      fs.writeFileSync(path.join(app, "util.ts"), "export const x = 1;\n");
      fs.writeFileSync(path.join(app, "node_modules", "x", "index.js"), 'require("../../../outside")\n');
      expect(importsOutside(app)).toEqual(["../../shared/bits.js", "../common/output"]);
      fs.writeFileSync(path.join(app, "config.ts"), "export const c = 1;\n");
      expect(importsOutside(app)).toEqual([]);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe("scoring", () => {
  const run = (id: string, expected: string[], found: string[], report = true): CorpusRun => ({
    id,
    repo: "o/r",
    path: id,
    installed: true,
    report,
    status: report ? "policy" : "error",
    exit: report ? 1 : 2,
    seconds: 1,
    hang: false,
    found,
    expected,
    notInspected: 0,
  });
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
    const text = renderResults(list, [run("a", ["tls-lb-listener-https"], ["tls-lb-listener-https"]), run("c", [], [], false)], {
      preview: false,
      timeoutS: 120,
    });
    expect(text).toContain("| report produced | 1/2 (50.0%) | ≥ 90% |");
    expect(text).toContain("| hangs | 0 | 0 |");
  });

  it("says why each program produced no report: the registry, an install script, the program's own defect, or the runner", () => {
    const none = (x: Partial<CorpusRun>): CorpusRun => ({ ...run("p", [], [], false), ...x });
    expect(
      whyNoReport(
        none({ installed: false, installLog: "npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/@pulumi%2fcloudinit - Not found" }),
      ),
    ).toBe("registry: @pulumi/cloudinit is not served by the npm registry this machine reaches (nothing in the declared range)");
    expect(
      whyNoReport(none({ installed: false, installLog: "npm error code ETARGET\nnpm error notarget No matching version found for @pulumi/eks@^0.37.1." })),
    ).toMatch(/^registry: @pulumi\/eks@\^0\.37\.1 is not served/);
    expect(whyNoReport(none({ scripts: [{ name: "sharp", ok: false, log: "prebuild-install warn install getaddrinfo EAI_AGAIN github.com" }] }))).toMatch(
      /^install script: sharp's install script \(allowed\) failed here: .*github\.com/,
    );
    expect(whyNoReport(none({ defect: "imports @pulumi/awsx without declaring it", error: "Cannot find module '@pulumi/awsx'" }))).toBe(
      "defect in the program: imports @pulumi/awsx without declaring it",
    );
    expect(whyNoReport(none({ error: "boom" }))).toBe("program or runner failed (exit 2): boom");
    expect(whyNoReport(run("q", [], []))).toBe("");
  });

  it("puts the other mode next to the primary one: its numbers, and per program what only one mode found or could not judge", () => {
    const upd = [
      run("a", ["tls-s3-deny-insecure-transport", "seg-datastore-not-public"], ["tls-s3-deny-insecure-transport", "seg-datastore-not-public"]),
      run("b", [], []),
    ];
    const pre = [
      {
        ...run("a", ["tls-s3-deny-insecure-transport", "seg-datastore-not-public"], ["tls-s3-deny-insecure-transport"]),
        notInspected: 1,
        unknownFindings: ["seg-datastore-not-public"],
      },
      run("b", [], []),
    ];
    const text = renderResults(list, upd, { preview: false, timeoutS: 120 }, pre);
    expect(text).toContain("## preview (the default) mode, next to update (--update)");
    expect(text).toContain("| segmentation: precision / recall | 100.0% / 0.0% (TP 0, FP 0, FN 1) | ≥ 90% each |");
    expect(text).toContain("| a | 1 / 1 | 0 / 1 | seg-datastore-not-public | - | seg-datastore-not-public |");
    expect(text).toContain("1 programs gave the same exit code, findings and not-inspected count in both modes.");
  });
});
