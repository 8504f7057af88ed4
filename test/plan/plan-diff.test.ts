// `npm run plan -- --diff A.json B.json [--markdown FILE]`: two real plans of
// nuxt-fastify-beta-droplet × local (separate runs of scripts/plan) that differ by one stack config
// value, diffed by the real CLI; the refusal of files of another format; the renderers on
// hand-written plan files (secrets, long values, violations, added and removed targets).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeLines, diffPlans, renderDiffMarkdown, renderDiffText, show, summaryLine } from "../../scripts/plan-diff";
import { parsePlanFile } from "../../scripts/plan-format";
import type { PlanFile, PlanFilePlan, PlanFileResource, PlanFileViolation } from "../../scripts/plan-format";
import { TARGET, plan } from "./cli";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const A = path.join(dir, "a.json");
const B = path.join(dir, "b.json");

const SUMMARY =
  /^plan diff: \d+ targets \(\d+ added, \d+ removed\); resources: \d+ added, \d+ removed, \d+ changed, \d+ unchanged; policy violations: \d+ added, \d+ removed$/;

describe("plan --diff of two real plans that differ by one stack config value", () => {
  beforeAll(async () => {
    const a = await plan([...TARGET, "--json", A]);
    expect(a.status, a.stderr).toBe(0);
    // The local stack file renders manifests to rendered/local; B renders them elsewhere.
    const b = await plan([...TARGET, "--config", 'platform:cluster={"mode":"existing","renderDir":"rendered/review"}', "--json", B]);
    expect(b.status, b.stderr).toBe(0);
  });

  it("shows exactly that change: one resource, one path, old → new; a stable summary line; exit 0", async () => {
    const md = path.join(dir, "diff.md");
    const r = await plan(["--diff", A, B, "--markdown", md]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      "== blueprint nuxt-fastify-beta-droplet on local ==",
      "~ pulumi:providers:kubernetes local-k8s-k8s  (urn:pulumi:local::platform::platform:cluster:KubernetesCluster$pulumi:providers:kubernetes::local-k8s-k8s)",
      '    inputs.renderYamlToDirectory: "rendered/local" → "rendered/review"',
      "",
      "plan diff: 1 targets (0 added, 0 removed); resources: 0 added, 0 removed, 1 changed, 55 unchanged; policy violations: 0 added, 0 removed",
    ]);
    expect(lines.at(-1)).toMatch(SUMMARY);
    const text = fs.readFileSync(md, "utf8");
    expect(text).toContain("## Offline plan diff");
    expect(text).toContain(
      "`plan diff: 1 targets (0 added, 0 removed); resources: 0 added, 0 removed, 1 changed, 55 unchanged; policy violations: 0 added, 0 removed`",
    );
    expect(text).toContain("### blueprint nuxt-fastify-beta-droplet on local");
    expect(text).toContain('  - `inputs.renderYamlToDirectory: "rendered/local" → "rendered/review"`');
    expect(text).not.toContain("**Added");
    expect(text).not.toContain("**Removed");
    expect(text).not.toContain("Policy violations:");
  });

  it("a plan diffed with itself has no change", async () => {
    const r = await plan(["--diff", A, A]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      "1 target(s) without a change\nplan diff: 1 targets (0 added, 0 removed); resources: 0 added, 0 removed, 0 changed, 56 unchanged; policy violations: 0 added, 0 removed\n",
    );
  });

  it("refuses a file without formatVersion 1, naming the file and the fix (exit 64)", async () => {
    const old = path.join(dir, "old.json");
    fs.writeFileSync(old, JSON.stringify([{ title: "stack local", resources: [] }]));
    const two = path.join(dir, "two.json");
    fs.writeFileSync(two, JSON.stringify({ formatVersion: 2, plans: [] }));
    const none = path.join(dir, "none.json");
    fs.writeFileSync(none, JSON.stringify({ plans: [] }));
    const broken = path.join(dir, "broken.json");
    fs.writeFileSync(broken, "{ not json");

    const r1 = await plan(["--diff", old, B]);
    expect(r1.status).toBe(64);
    expect(r1.stdout).toBe("");
    expect(r1.stderr).toBe(
      `plan --diff: ${old}: no formatVersion (a plan file from before format 1, a bare array of plans); write it again with this repository's plan: npm run plan -- <targets> --json ${old}\n`,
    );
    const r2 = await plan(["--diff", A, two]);
    expect(r2.status).toBe(64);
    expect(r2.stderr).toContain(
      `${two}: formatVersion 2 is not supported (this plan reads format 1); write it again with this repository's plan: npm run plan -- <targets> --json ${two}`,
    );
    // The same reader, in-process: no formatVersion at all, and not JSON.
    expect(() => parsePlanFile(fs.readFileSync(none, "utf8"), none)).toThrow(`${none}: no formatVersion (expected 1)`);
    expect(() => parsePlanFile(fs.readFileSync(broken, "utf8"), broken)).toThrow(`${broken}: not JSON`);
    expect(() => parsePlanFile(JSON.stringify({ formatVersion: 1 }), "x.json")).toThrow("x.json: formatVersion 1 but no plans array");
    expect(parsePlanFile(fs.readFileSync(A, "utf8"), A).plans).toHaveLength(1);
    const r5 = await plan(["--diff", A, path.join(dir, "missing.json")]);
    expect(r5.status).toBe(64);
    expect(r5.stderr).toContain("missing.json: no such file; write it with npm run plan -- <targets> --json");
    const r6 = await plan(["--diff", A]);
    expect(r6.status).toBe(64);
    expect(r6.stderr).toContain("--diff needs a value");
    const r7 = await plan(["local", "--diff", A, B]);
    expect(r7.status).toBe(64);
    expect(r7.stderr).toContain("--diff takes two plan files (and --markdown FILE) only");
  });
});

function resource(name: string, inputs: Record<string, unknown>, extra: Partial<PlanFileResource> = {}): PlanFileResource {
  return {
    urn: `urn:pulumi:t::platform::test:index:Thing::${name}`,
    type: "test:index:Thing",
    name,
    custom: true,
    dependencies: [],
    propertyDependencies: {},
    options: { protect: false, aliases: [] },
    inputs,
    ...extra,
  };
}

function file(plans: PlanFilePlan[]): PlanFile {
  return { formatVersion: 1, plans };
}

function target(title: string, resources: PlanFileResource[], violations: PlanFileViolation[] = [], status = "ok"): PlanFilePlan {
  return { title, target: {}, status, mode: "preview", placeholders: [], resources, policy: { mandatory: 0, advisory: 0, policiesRun: 1, violations } };
}

describe("the diff's content", () => {
  const violation = {
    policyName: "tls-required",
    enforcementLevel: "mandatory",
    urn: "urn:pulumi:t::platform::test:index:Thing::web",
    resourceType: "test:index:Thing",
    resourceName: "web",
    message: "listener on port 80 without TLS",
  };
  const before = file([
    target("stack a", [
      resource("db", { password: "[secret]", size: 20 }),
      resource("web", { port: 443, script: "line 1\nline 2\nline 3", note: "x".repeat(200) }),
      resource("old", { n: 1 }),
      resource("cache", { ttl: "[unknown]" }),
    ]),
    target("stack gone", []),
  ]);
  const after = file([
    target(
      "stack a",
      [
        resource("db", { password: "[secret]", size: 40 }, { options: { protect: true, aliases: [] } }),
        resource("web", { port: 80, script: "line 1\nline two\nline 3", note: "y".repeat(200) }),
        resource("new", { n: 2 }),
        resource("cache", { ttl: "[unknown]" }),
        resource("renamed", { n: 1 }, { options: { protect: false, aliases: ["urn:pulumi:t::platform::test:index:Thing::old"] } }),
      ],
      [violation],
      "policy",
    ),
    target("stack new", [resource("x", {})]),
  ]);
  const d = diffPlans(before, after);

  it("counts added, removed, changed and unchanged resources, targets and violations", () => {
    expect(summaryLine(d)).toBe(
      "plan diff: 3 targets (1 added, 1 removed); resources: 2 added, 0 removed, 3 changed, 1 unchanged; policy violations: 1 added, 0 removed",
    );
    expect(summaryLine(d)).toMatch(SUMMARY);
    // Backwards, the alias (old → renamed) does not apply: "renamed" is removed and "old" added.
    expect(summaryLine(diffPlans(after, before))).toBe(
      "plan diff: 3 targets (1 added, 1 removed); resources: 1 added, 3 removed, 2 changed, 1 unchanged; policy violations: 0 added, 1 removed",
    );
  });

  it("shows each changed path old → new; a secret stays [secret] and an unchanged secret or unknown is no change", () => {
    const text = renderDiffText(d);
    expect(text).toContain("== stack a ==\nstatus: ok → policy\n+ test:index:Thing new  (urn:pulumi:t::platform::test:index:Thing::new)\n");
    expect(text).toContain(
      "~ test:index:Thing db  (urn:pulumi:t::platform::test:index:Thing::db)\n    options.protect: false → true\n    inputs.size: 20 → 40\n",
    );
    expect(text).not.toContain("password");
    expect(text).not.toContain("cache");
    expect(text).toContain(
      '~ test:index:Thing renamed  (urn:pulumi:t::platform::test:index:Thing::renamed) renamed from urn:pulumi:t::platform::test:index:Thing::old\n    urn: "urn:pulumi:t::platform::test:index:Thing::old" → "urn:pulumi:t::platform::test:index:Thing::renamed"\n    options.aliases[0]: + "urn:pulumi:t::platform::test:index:Thing::old"\n',
    );
    expect(text).toContain("    inputs.port: 443 → 80\n");
    expect(text).toContain("  policy violation added: mandatory tls-required on test:index:Thing web: listener on port 80 without TLS\n");
    expect(text).toContain("== stack gone ==\ntarget removed (status ok)\n");
    expect(text).toContain("== stack new ==\ntarget added (status ok)\n+ test:index:Thing x  (urn:pulumi:t::platform::test:index:Thing::x)\n");
  });

  it("shortens long values and shows only the changed lines of multi-line text", () => {
    const note = changeLines({ path: "inputs.note", old: "x".repeat(200), new: "y".repeat(200) });
    expect(note).toEqual([`inputs.note: "${"x".repeat(59)}… (202 chars) → "${"y".repeat(59)}… (202 chars)`]);
    expect(changeLines({ path: "inputs.script", old: "line 1\nline 2\nline 3", new: "line 1\nline two\nline 3" })).toEqual([
      "inputs.script: text changed at line 2 (1 line(s) → 1 line(s))",
      '    - "line 2"',
      '    + "line two"',
    ]);
    expect(show("[secret]")).toBe("[secret]");
    expect(show("[unknown]")).toBe("[unknown]");
  });

  it("Markdown: the summary in code, sections per target, violations, unchanged targets counted", () => {
    const md = renderDiffMarkdown(d);
    expect(md.split("\n").slice(0, 3)).toEqual(["## Offline plan diff", "", "`" + summaryLine(d) + "`"]);
    expect(md).toContain(
      "### stack a\n\nStatus: `ok` → `policy`\n\n**Added (1)**\n\n- `test:index:Thing` **new** (`urn:pulumi:t::platform::test:index:Thing::new`)\n",
    );
    expect(md).toContain("**Changed (3)**");
    expect(md).toContain("  - `inputs.size: 20 → 40`");
    expect(md).toContain("**Policy violations: 1 added, 0 removed**\n\n- added: **mandatory** `tls-required` on `web`: listener on port 80 without TLS");
    expect(md).toContain("### stack gone\n\nTarget removed (status `ok`).");
    // Past the budget, further targets are counted, not shown (the summary line still counts them all).
    const short = renderDiffMarkdown(d, 10);
    expect(short).not.toContain("### stack a");
    expect(short).toContain("… and 3 more changed target(s), left out to keep this under 10 characters: the text output (the step's log) lists every one.");
    expect(short).toContain(summaryLine(d));
    // A value with a backtick stays one code span.
    const tick = renderDiffMarkdown(
      diffPlans(file([target("t", [resource("r", { cmd: "a" })])]), file([target("t", [resource("r", { cmd: "echo `date`" })])])),
    );
    expect(tick).toContain('  - `` inputs.cmd: "a" → "echo `date`" ``');
  });
});
