// Turns the drift workflow's per-stack results into GitHub issues. Called from
// .github/workflows/drift.yml by actions/github-script, in a job that holds `issues: write`
// and no cloud credential:
//
//   const drift = require('./.github/scripts/drift-issue.cjs');
//   await drift.run({ github, context, core, dir: 'drift' });
//
// `dir` holds, per stack, `<stack>.outcome` (success | failure | skipped | cancelled, the
// outcome of `pulumi preview --refresh --expect-no-changes`) and `<stack>.txt` (its output).
// A stack that drifted (or whose check could not run) gets one open issue labelled `drift`:
// created the first time, commented on while it stays drifted, closed once a run is clean.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const LABEL = "drift";
// GitHub rejects issue bodies over 65,536 characters; keep the output well inside that.
const MAX_OUTPUT = 50_000;

/** @param {string} stack */
function issueTitle(stack) {
  return `Drift detected in stack ${stack}`;
}

/** Removes ANSI colour codes and keeps the end of long output (the summary is at the end). */
function cleanOutput(text) {
  // eslint-disable-next-line no-control-regex
  const plain = String(text).replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
  if (plain.length <= MAX_OUTPUT) return plain;
  return `… (${plain.length - MAX_OUTPUT} characters cut, the full log is in the run)\n` + plain.slice(-MAX_OUTPUT);
}

/** A code fence longer than any run of backticks in the text, so the output cannot close it. */
function fence(text) {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  return "`".repeat(longest + 1);
}

/**
 * @param {{ stack: string, outcome: string, output: string, runUrl: string, sha: string }} r
 * @returns {string}
 */
function issueBody(r) {
  const output = cleanOutput(r.output || "(no output was recorded)");
  const f = fence(output);
  const what =
    r.outcome === "failure"
      ? "`pulumi preview --refresh --expect-no-changes` reported changes (or failed) for this stack:"
      : `The drift check did not run to completion (step outcome: \`${r.outcome}\`).`;
  return [
    `**Stack:** \`${r.stack}\`  `,
    `**Commit:** \`${r.sha}\`  `,
    `**Run:** ${r.runUrl}`,
    "",
    what,
    "the live cloud no longer matches the state of the last deployment, or `main` holds changes that were never deployed.",
    "",
    "What to do: read the diff below. If the cloud was changed by hand, either revert that change or bring the",
    "code in line and deploy it through a pull request; never `pulumi refresh` a change away without review.",
    "This issue is closed automatically by the first clean drift run.",
    "",
    "<details><summary>Preview output</summary>",
    "",
    `${f}text`,
    output,
    f,
    "",
    "</details>",
  ].join("\n");
}

/**
 * Reads `dir` and returns one result per stack found there, sorted by stack name.
 * @param {string} dir
 */
function readResults(dir) {
  if (!fs.existsSync(dir)) return [];
  const stacks = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".outcome"))
    .map((f) => f.slice(0, -".outcome".length))
    .sort();
  return stacks.map((stack) => {
    const outcome = fs.readFileSync(path.join(dir, `${stack}.outcome`), "utf8").trim();
    const txt = path.join(dir, `${stack}.txt`);
    const output = fs.existsSync(txt) ? fs.readFileSync(txt, "utf8") : "";
    return { stack, outcome, output };
  });
}

/**
 * @param {{ github: any, context: any, core: any, dir: string }} args
 * @returns {Promise<{ opened: string[], commented: string[], closed: string[], drifted: string[] }>}
 */
async function run({ github, context, core, dir }) {
  const { owner, repo } = context.repo;
  const runUrl = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
  const results = readResults(dir);
  if (results.length === 0) {
    core.setFailed(`no drift results found in ${dir}: the detect jobs did not run`);
    return { opened: [], commented: [], closed: [], drifted: [] };
  }
  const open = await github.paginate(github.rest.issues.listForRepo, {
    owner,
    repo,
    state: "open",
    labels: LABEL,
    per_page: 100,
  });
  const summary = { opened: [], commented: [], closed: [], drifted: [] };
  for (const r of results) {
    const title = issueTitle(r.stack);
    const existing = open.find((i) => i.title === title && !i.pull_request);
    if (r.outcome === "success") {
      if (existing) {
        await github.rest.issues.createComment({
          owner,
          repo,
          issue_number: existing.number,
          body: `No drift in \`${r.stack}\` as of ${runUrl} (commit \`${context.sha}\`). Closing.`,
        });
        await github.rest.issues.update({ owner, repo, issue_number: existing.number, state: "closed" });
        summary.closed.push(r.stack);
      }
      continue;
    }
    summary.drifted.push(r.stack);
    const body = issueBody({ ...r, runUrl, sha: context.sha });
    if (existing) {
      await github.rest.issues.createComment({ owner, repo, issue_number: existing.number, body });
      summary.commented.push(r.stack);
    } else {
      await github.rest.issues.create({ owner, repo, title, body, labels: [LABEL] });
      summary.opened.push(r.stack);
    }
  }
  if (summary.drifted.length > 0) {
    core.setFailed(`drift in: ${summary.drifted.join(", ")} (see the issues labelled '${LABEL}')`);
  } else {
    core.info(`no drift in: ${results.map((r) => r.stack).join(", ")}`);
  }
  return summary;
}

module.exports = { run, issueBody, issueTitle, readResults, cleanOutput, LABEL, MAX_OUTPUT };
