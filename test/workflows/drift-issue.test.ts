// The drift report: one issue per drifted stack, updated while the drift lasts, closed on
// the first clean run. Exercised against an in-memory stand-in for the GitHub REST client.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as drift from "../../.github/scripts/drift-issue.cjs";

interface Issue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  comments: string[];
}

function fakeGitHub(issues: Issue[] = []) {
  const calls: string[] = [];
  const byNumber = (n: number) => {
    const i = issues.find((x) => x.number === n);
    if (!i) throw new Error(`no issue #${n}`);
    return i;
  };
  const rest = {
    issues: {
      listForRepo: async (p: { state: string; labels: string }) => ({
        data: issues.filter((i) => i.state === p.state && i.labels.includes(p.labels)),
      }),
      create: async (p: { title: string; body: string; labels: string[] }) => {
        calls.push(`create ${p.title}`);
        const issue: Issue = { number: issues.length + 1, title: p.title, body: p.body, labels: p.labels, state: "open", comments: [] };
        issues.push(issue);
        return { data: issue };
      },
      createComment: async (p: { issue_number: number; body: string }) => {
        calls.push(`comment #${p.issue_number}`);
        byNumber(p.issue_number).comments.push(p.body);
        return { data: {} };
      },
      update: async (p: { issue_number: number; state: "open" | "closed" }) => {
        calls.push(`update #${p.issue_number} ${p.state}`);
        byNumber(p.issue_number).state = p.state;
        return { data: {} };
      },
    },
  };
  const github = {
    rest,
    paginate: async (fn: (p: unknown) => Promise<{ data: unknown[] }>, params: unknown) => (await fn(params)).data,
  };
  return { github, issues, calls };
}

function fakeCore() {
  const failed: string[] = [];
  return { core: { setFailed: (m: string) => failed.push(m), info: () => undefined }, failed };
}

const context = { repo: { owner: "acme", repo: "platform" }, serverUrl: "https://github.com", runId: 42, sha: "0123abc" };

describe("drift report", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  function results(r: Record<string, [string, string?]>): string {
    const dir = mkdtempSync(join(tmpdir(), "drift-"));
    dirs.push(dir);
    for (const [stack, [outcome, output]] of Object.entries(r)) {
      writeFileSync(join(dir, `${stack}.outcome`), `${outcome}\n`);
      if (output !== undefined) writeFileSync(join(dir, `${stack}.txt`), output);
    }
    return dir;
  }

  it("opens one labelled issue per drifted stack and fails the run", async () => {
    const { github, issues } = fakeGitHub();
    const { core, failed } = fakeCore();
    const dir = results({
      dev: ["success", "no changes"],
      prod: ["failure", "\u001b[32m~ aws:s3:Bucket assets update [diff: ~tags]\u001b[0m\nResources: 1 to update"],
      staging: ["skipped"],
    });
    const s = await drift.run({ github, context, core, dir });
    expect(s.opened).toEqual(["prod", "staging"]);
    expect(issues.map((i) => i.title)).toEqual(["Drift detected in stack prod", "Drift detected in stack staging"]);
    expect(issues[0]!.labels).toEqual(["drift"]);
    expect(issues[0]!.body).toContain("~ aws:s3:Bucket assets update [diff: ~tags]");
    expect(issues[0]!.body).not.toContain("\u001b[");
    expect(issues[0]!.body).toContain("https://github.com/acme/platform/actions/runs/42");
    expect(issues[1]!.body).toContain("did not run to completion (step outcome: `skipped`)");
    expect(failed).toEqual(["drift in: prod, staging (see the issues labelled 'drift')"]);
  });

  it("comments on the open issue while the drift lasts, closes it on the first clean run", async () => {
    const { github, issues, calls } = fakeGitHub([
      { number: 1, title: "Drift detected in stack prod", body: "", labels: ["drift"], state: "open", comments: [] },
    ]);
    let { core, failed } = fakeCore();
    await drift.run({ github, context, core, dir: results({ prod: ["failure", "changes"] }) });
    expect(calls).toEqual(["comment #1"]);
    expect(issues).toHaveLength(1);
    expect(failed).toHaveLength(1);

    ({ core, failed } = fakeCore());
    const s = await drift.run({ github, context, core, dir: results({ prod: ["success", ""] }) });
    expect(s.closed).toEqual(["prod"]);
    expect(calls.slice(1)).toEqual(["comment #1", "update #1 closed"]);
    expect(issues[0]!.state).toBe("closed");
    expect(issues[0]!.comments[1]).toContain("No drift in `prod`");
    expect(failed).toEqual([]);
  });

  it("fails loudly when no stack reported at all", async () => {
    const { github, calls } = fakeGitHub();
    const { core, failed } = fakeCore();
    await drift.run({ github, context, core, dir: join(tmpdir(), "drift-does-not-exist") });
    expect(calls).toEqual([]);
    expect(failed[0]).toMatch(/no drift results/);
  });

  it("keeps the issue body under GitHub's limit and the output inside its code fence", () => {
    const long = "x".repeat(200_000) + "\n```\nescape attempt\n```";
    const body = drift.issueBody({ stack: "dev", outcome: "failure", output: long, runUrl: "u", sha: "s" });
    expect(body.length).toBeLessThan(65_536);
    expect(body).toContain("characters cut");
    // The fence is longer than the longest backtick run in the output, so the output cannot end it.
    expect(body).toMatch(/\n````text\n/);
    expect(body.trimEnd().endsWith("</details>")).toBe(true);
  });
});
