// No workflow prints a secret (issue 17's workflow tests): a value that is a credential — a
// variable bound to `secrets.*` or the job's token, or read from Secrets Manager — never reaches
// the log, a step output, the job summary or $GITHUB_ENV. Checked on every `run:` script and on
// the .github/scripts/*.sh files the workflows call; the checker is proven on bad examples first.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, workflowFiles, type Step, type WorkflowFile } from "./workflows";

const SECRET_NAME = /TOKEN|PASSWORD|PASSPHRASE|PRIVATE_KEY|CLIENT_SECRET|API_KEY/;
const SECRET_VALUE = /\bsecrets\s*[.[]|\bgithub\.token\b/;

/** Env names that hold a credential in this job/step: bound to a secret expression, or named like one. */
function secretVars(...envs: (Record<string, unknown> | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const e of envs) for (const [k, v] of Object.entries(e ?? {})) if (SECRET_NAME.test(k) || SECRET_VALUE.test(String(v))) out.add(k);
  return out;
}

/** Problems in one script, given the credential-holding variable names. */
export function secretLeaks(script: string, vars: Set<string>): string[] {
  const out: string[] = [];
  const lines = script.split("\n").map((l) => l.replace(/^\s*#.*$/, ""));
  lines.forEach((line, i) => {
    const at = `line ${i + 1}: ${line.trim()}`;
    if (/\bset\s+(-[a-z]*x|-o\s+xtrace)\b|\bbash\s+-[a-z]*x\b/.test(line)) out.push(`${at} (xtrace prints every expanded command)`);
    const used = [...vars].filter((v) => new RegExp(`\\$\\{?${v}\\b`).test(line));
    if (used.length && /\b(echo|printf|cat|tee)\b|GITHUB_(OUTPUT|ENV|STEP_SUMMARY)/.test(line)) out.push(`${at} (prints ${used.join(", ")})`);
    if (/secretsmanager\s+get-secret-value/.test(line) && !/\|\s*ssh-add\s+-/.test(line))
      out.push(`${at} (a secret's value must go straight into ssh-add, never to stdout)`);
    if (/secretsmanager\s+get-secret-value/.test(line) && /\|\s*tee\b/.test(line)) out.push(`${at} (tee copies the secret to the log)`);
  });
  return out;
}

function scriptsOf(wf: WorkflowFile): { where: string; script: string; vars: Set<string> }[] {
  const out: { where: string; script: string; vars: Set<string> }[] = [];
  for (const [id, job] of Object.entries(wf.doc.jobs)) {
    (job.steps ?? []).forEach((step: Step) => {
      if (!step.run) return;
      const vars = secretVars((wf.doc as { env?: Record<string, unknown> }).env, job.env, step.env);
      out.push({ where: `${wf.file} job ${id} step "${step.name}"`, script: step.run, vars });
      for (const m of step.run.matchAll(/\bbash (\.github\/scripts\/[\w.-]+\.sh)/g)) {
        out.push({ where: `${m[1]} (from ${wf.file} job ${id})`, script: readFileSync(join(ROOT, m[1]!), "utf8"), vars });
      }
    });
  }
  return out;
}

describe("no workflow prints or echoes a secret", () => {
  it("the checker catches xtrace, echoing a token, a secret read to stdout, and tee", () => {
    const vars = new Set(["REGISTRY_TOKEN"]);
    expect(secretLeaks("set -x\ndocker login", vars)).toHaveLength(1);
    expect(secretLeaks('echo "token: $REGISTRY_TOKEN"', vars)).toHaveLength(1);
    expect(secretLeaks('echo "t=${REGISTRY_TOKEN}" >> "$GITHUB_OUTPUT"', vars)).toHaveLength(1);
    expect(secretLeaks("aws secretsmanager get-secret-value --secret-id x --query SecretString --output text", vars)).toHaveLength(1);
    expect(secretLeaks("aws secretsmanager get-secret-value --secret-id x | tee k | ssh-add -", vars)).toHaveLength(1);
    expect(secretLeaks('docker login ghcr.io --password-stdin <<< "$REGISTRY_TOKEN"', vars)).toEqual([]);
    expect(secretVars({ A: "${{ github.token }}", B: "${{ secrets.X }}", GH_TOKEN: "x", PLAIN: "${{ vars.Y }}" })).toEqual(new Set(["A", "B", "GH_TOKEN"]));
  });

  for (const wf of workflowFiles()) {
    it(`${wf.file}: no run script (or script it calls) prints a credential`, () => {
      const leaks = scriptsOf(wf).flatMap((s) => secretLeaks(s.script, s.vars).map((l) => `${s.where}: ${l}`));
      expect(leaks).toEqual([]);
    });
  }

  it("the scripts that hold credentials are among those checked (release.yml's token and key, deploy.yml's host key)", () => {
    const all = workflowFiles().flatMap(scriptsOf);
    expect(all.some((s) => s.vars.has("REGISTRY_TOKEN") && s.script.includes("--password-stdin"))).toBe(true);
    expect(all.filter((s) => /secretsmanager\s+get-secret-value/.test(s.script)).map((s) => s.where.split(" ")[0])).toEqual(
      expect.arrayContaining(["deploy.yml", ".github/scripts/deploy-repo-key.sh"]),
    );
  });
});
