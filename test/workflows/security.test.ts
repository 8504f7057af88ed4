// The security properties of the delivery workflows, asserted on the parsed YAML (and, for
// pin comments, on the raw lines). A change that weakens one of them fails here.
import { describe, expect, it } from "vitest";
import { allSteps, triggers, workflow, workflowFiles, type Job, type WorkflowFile } from "./workflows";

const files = workflowFiles();
const SHA_PIN = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_./-]+)?)@([0-9a-f]{40})$/;
const VERSION_COMMENT = /^v\d+\.\d+\.\d+$/;

/** The least privilege each job needs, written down once. Anything else is a failure. */
const EXPECTED_PERMISSIONS: Record<string, Record<string, Record<string, string>>> = {
  "untrusted.yml": { check: { contents: "read" } },
  "policy.yml": { policy: { contents: "read" } },
  "preview.yml": {
    affected: { contents: "read" },
    preview: { contents: "read", "id-token": "write", "pull-requests": "write" },
  },
  "deploy.yml": {
    dev: { contents: "read", "id-token": "write" },
    staging: { contents: "read", "id-token": "write" },
    "prod-preview": { contents: "read", "id-token": "write" },
    prod: { contents: "read", "id-token": "write" },
  },
  "drift.yml": {
    detect: { contents: "read", "id-token": "write" },
    report: { contents: "read", issues: "write" },
  },
  "release.yml": {
    plan: { contents: "read" },
    build: { contents: "read", packages: "write" },
    "build-ecr": { contents: "read", "id-token": "write" },
    staging: { contents: "read", "id-token": "write" },
    production: { contents: "read", "id-token": "write" },
  },
};

/** Actions that consume the OIDC token: the only reason for `id-token: write`. */
const OIDC_ACTIONS = ["aws-actions/configure-aws-credentials", "pulumi/auth-actions"];

function actionName(uses: string): string {
  return uses.split("@")[0]!;
}

function usesLines(wf: WorkflowFile): Array<{ line: number; uses: string; comment: string | undefined }> {
  return wf.text.split("\n").flatMap((raw, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(.*?))?\s*$/.exec(raw);
    return m ? [{ line: i + 1, uses: m[1]!, comment: m[2] }] : [];
  });
}

describe("every action is pinned to a full commit SHA", () => {
  for (const wf of files) {
    it(`${wf.file}: uses owner/repo@<40-hex sha> # vX.Y.Z`, () => {
      const lines = usesLines(wf);
      expect(lines.length).toBeGreaterThan(0);
      for (const { line, uses, comment } of lines) {
        const where = `${wf.file}:${line} ${uses}`;
        expect(uses.startsWith("./") || SHA_PIN.test(uses), `${where} is not pinned to a 40-hex SHA`).toBe(true);
        if (!uses.startsWith("./")) {
          expect(comment, `${where} needs a # vX.Y.Z comment`).toMatch(VERSION_COMMENT);
        }
      }
      // The raw-line scan and the YAML agree on how many `uses:` there are (no pin hides in flow style).
      const parsed = allSteps(wf).filter((s) => s.step.uses).length + Object.values(wf.doc.jobs).filter((j) => j.uses).length;
      expect(lines.length).toBe(parsed);
    });
  }

  it("one action, one pin, one version, across all workflows", () => {
    const seen = new Map<string, string>();
    for (const wf of files) {
      for (const { uses, comment } of usesLines(wf)) {
        const key = actionName(uses);
        const pin = `${uses} # ${comment}`;
        expect(seen.get(key) ?? pin, `${key} is pinned differently in ${wf.file}`).toBe(pin);
        seen.set(key, pin);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(7);
  });
});

describe("permissions are declared and minimal", () => {
  for (const wf of files) {
    it(`${wf.file}: workflow level grants nothing`, () => {
      expect(wf.doc.permissions).toEqual({});
    });

    it(`${wf.file}: every job declares exactly the permissions it needs`, () => {
      const expected = EXPECTED_PERMISSIONS[wf.file];
      expect(expected, `add ${wf.file} to EXPECTED_PERMISSIONS`).toBeDefined();
      expect(Object.keys(wf.doc.jobs).sort()).toEqual(Object.keys(expected!).sort());
      for (const [name, job] of Object.entries(wf.doc.jobs)) {
        expect(job.permissions, `${wf.file} job ${name}`).toEqual(expected![name]);
      }
    });

    it(`${wf.file}: id-token: write only where an OIDC action runs`, () => {
      for (const [name, job] of Object.entries(wf.doc.jobs)) {
        const perms = job.permissions as Record<string, string>;
        const usesOidc = (job.steps ?? []).some((s) => s.uses && OIDC_ACTIONS.includes(actionName(s.uses)));
        expect(perms["id-token"] === "write", `${wf.file} job ${name}`).toBe(usesOidc);
      }
    });
  }

  it("issues: write exists only in the drift report job, which holds no cloud credential", () => {
    for (const wf of files) {
      for (const [name, job] of Object.entries(wf.doc.jobs)) {
        const perms = job.permissions as Record<string, string>;
        if (perms.issues === "write") {
          expect(`${wf.file}:${name}`).toBe("drift.yml:report");
          expect(perms["id-token"]).toBeUndefined();
          expect((job.steps ?? []).some((s) => s.uses && OIDC_ACTIONS.includes(actionName(s.uses)))).toBe(false);
        }
      }
    }
  });
});

describe("checkout never leaves the token behind", () => {
  for (const wf of files) {
    it(`${wf.file}: persist-credentials: false on every checkout`, () => {
      const checkouts = allSteps(wf).filter((s) => s.step.uses?.startsWith("actions/checkout@"));
      expect(checkouts.length).toBeGreaterThan(0);
      for (const { job, step } of checkouts) {
        expect(step.with?.["persist-credentials"], `${wf.file} job ${job}`).toBe(false);
      }
    });
  }
});

describe("no untrusted interpolation into scripts", () => {
  for (const wf of files) {
    it(`${wf.file}: no \${{ }} inside run: or github-script code (values go through env:)`, () => {
      for (const { job, step } of allSteps(wf)) {
        if (step.run !== undefined) {
          expect(step.run, `${wf.file} job ${job} step "${step.name}"`).not.toContain("${{");
        }
        const script = step.with?.script;
        if (typeof script === "string") expect(script, `${wf.file} job ${job}`).not.toContain("${{");
      }
    });
  }

  it("no workflow uses pull_request_target or workflow_run (the events that run with secrets next to PR code)", () => {
    for (const wf of files) {
      expect(triggers(wf.doc), wf.file).not.toContain("pull_request_target");
      expect(triggers(wf.doc), wf.file).not.toContain("workflow_run");
    }
  });
});

describe("the untrusted workflow holds nothing worth stealing", () => {
  const wf = workflow("untrusted.yml");
  const job = wf.doc.jobs.check as Job;

  it("runs on pull_request only", () => {
    expect(triggers(wf.doc)).toEqual(["pull_request"]);
  });

  it("references no secret, no OIDC, no pull_request_target anywhere in the file", () => {
    // Comments included: the file explains these words, so it may only do so in negative terms.
    const code = wf.text
      .split("\n")
      .filter((l) => !l.trim().startsWith("#"))
      .join("\n");
    expect(code).not.toMatch(/secrets\s*[.[]/);
    expect(code).not.toContain("id-token");
    expect(code).not.toContain("pull_request_target");
    expect(code).not.toContain("github.token");
    expect(code).not.toMatch(/GITHUB_TOKEN/);
  });

  it("has one job, contents: read only, no environment, no cloud or Pulumi login action", () => {
    expect(Object.keys(wf.doc.jobs)).toEqual(["check"]);
    expect(job.permissions).toEqual({ contents: "read" });
    expect(job.environment).toBeUndefined();
    const actions = (job.steps ?? []).flatMap((s) => (s.uses ? [actionName(s.uses)] : []));
    expect(actions).toEqual(["actions/checkout", "actions/setup-node", "actions/setup-go", "actions/upload-artifact"]);
  });

  it("runs install, type-check, tests, docs check and the offline plan for every stack", () => {
    const runs = (job.steps ?? []).flatMap((s) => (s.run ? [s.run.trim()] : []));
    expect(runs[0]).toBe("npm ci --no-audit --no-fund");
    expect(runs).toContain("npm run typecheck");
    expect(runs).toContain("npm run engine");
    expect(runs).toContain("npm test");
    expect(runs).toContain("npm run docs -- --check");
    expect(runs).toContain("npm run schema -- --check");
    expect(runs.some((r) => /^npm run plan -- --all --json \S+ --markdown \S+$/.test(r))).toBe(true);
    expect(runs.some((r) => r.includes('>> "$GITHUB_STEP_SUMMARY"'))).toBe(true);
  });

  it("uploads the JSON plan as an artifact", () => {
    const upload = (job.steps ?? []).find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.with?.path).toBe("tmp/untrusted/plan.json");
    expect(job.env?.PLAN_DIR).toBe("tmp/untrusted");
  });
});

describe("preview: same-repository pull requests only, per affected stack, with the policy pack", () => {
  const wf = workflow("preview.yml");

  it("skips forks and builds its matrix from the affected stacks", () => {
    expect(triggers(wf.doc)).toEqual(["pull_request"]);
    expect(wf.doc.jobs.affected!.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    const preview = wf.doc.jobs.preview!;
    expect(preview.needs).toBe("affected");
    expect(preview.strategy?.matrix?.stack).toBe("${{ fromJSON(needs.affected.outputs.stacks) }}");
  });

  it("one concurrency group per stack and pull request", () => {
    const c = wf.doc.jobs.preview!.concurrency as { group: string; "cancel-in-progress": boolean };
    expect(c.group).toContain("${{ matrix.stack }}");
    expect(c.group).toContain("github.event.pull_request.number");
  });

  it("runs pulumi preview with the policy pack, a diff and a PR comment, logged in by OIDC", () => {
    const steps = wf.doc.jobs.preview!.steps ?? [];
    const pulumi = steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).toMatchObject({
      command: "preview",
      policyPacks: "policies",
      diff: true,
      "comment-on-pr": true,
    });
    const aws = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(aws?.with?.["role-to-assume"]).toMatch(/^\$\{\{ vars\.[A-Z_]+ \}\}$/);
    expect(aws?.with).not.toHaveProperty("aws-access-key-id");
    expect(aws?.with).not.toHaveProperty("aws-secret-access-key");
    expect(steps.some((s) => s.uses?.startsWith("pulumi/auth-actions@"))).toBe(true);
  });
});

describe("no long-lived credential anywhere", () => {
  it("no workflow references a secret (OIDC and variables only)", () => {
    for (const wf of files) {
      const code = wf.text
        .split("\n")
        .filter((l) => !l.trim().startsWith("#"))
        .join("\n");
      expect(code, wf.file).not.toMatch(/secrets\s*[.[]/);
      expect(code, wf.file).not.toMatch(/aws-(access-key-id|secret-access-key)/);
      expect(code, wf.file).not.toMatch(/PULUMI_ACCESS_TOKEN/);
    }
  });
});

describe("deploy: dev -> staging -> prod, prod behind the production environment", () => {
  const wf = workflow("deploy.yml");
  const jobs = wf.doc.jobs;
  const envName = (j: Job) => (typeof j.environment === "string" ? j.environment : j.environment?.name);
  const pulumiStep = (j: Job) => (j.steps ?? []).find((s) => s.uses?.startsWith("pulumi/actions@"));

  it("runs on push to main only", () => {
    expect(triggers(wf.doc)).toEqual(["push"]);
    expect((wf.doc.on as { push: { branches: string[] } }).push.branches).toEqual(["main"]);
  });

  it("each job needs the previous one", () => {
    expect(jobs.dev!.needs).toBeUndefined();
    expect(jobs.staging!.needs).toBe("dev");
    expect(jobs["prod-preview"]!.needs).toBe("staging");
    expect(jobs.prod!.needs).toBe("prod-preview");
  });

  it("prod's pulumi up runs in the production environment (required reviewers), and only there", () => {
    expect(envName(jobs.prod!)).toBe("production");
    for (const [name, job] of Object.entries(jobs)) {
      const step = pulumiStep(job);
      if (step?.with?.command === "up" && String(step.with["stack-name"]).endsWith("/prod")) {
        expect(envName(job), `job ${name} deploys prod`).toBe("production");
      }
    }
    expect(envName(jobs.dev!)).toBe("dev");
    expect(envName(jobs.staging!)).toBe("staging");
  });

  it("every up uses the policy pack, its own stack and a never-cancelled per-stack concurrency group", () => {
    for (const [name, stack] of [
      ["dev", "dev"],
      ["staging", "staging"],
      ["prod", "prod"],
    ] as const) {
      const step = pulumiStep(jobs[name]!);
      expect(step?.with).toMatchObject({ command: "up", policyPacks: "policies" });
      expect(step?.with?.["stack-name"]).toBe(`\${{ vars.PULUMI_ORG }}/${stack}`);
      expect(jobs[name]!.concurrency).toEqual({ group: `pulumi-${stack}`, "cancel-in-progress": false });
    }
  });

  it("the approver gets a prod preview with the policy pack before the gate", () => {
    const step = pulumiStep(jobs["prod-preview"]!);
    expect(step?.with).toMatchObject({ command: "preview", policyPacks: "policies", "comment-on-summary": true });
    expect(envName(jobs["prod-preview"]!)).toBeUndefined();
  });
});

describe("drift: scheduled, per stack, issue on drift", () => {
  const wf = workflow("drift.yml");

  it("runs on a schedule (and by hand) over every cloud stack", () => {
    expect(triggers(wf.doc).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.doc.jobs.detect!.strategy?.matrix?.stack).toEqual(["dev", "staging", "prod"]);
  });

  it("previews with --refresh --expect-no-changes and reports even when that fails", () => {
    const steps = wf.doc.jobs.detect!.steps ?? [];
    const drift = steps.find((s) => s.id === "drift");
    expect(drift?.run).toMatch(/pulumi preview .*--refresh --expect-no-changes/);
    expect(drift?.["continue-on-error"]).toBe(true);
    const report = wf.doc.jobs.report!;
    expect(report.needs).toBe("detect");
    expect(report.if).toBe("${{ !cancelled() }}");
    const script = (report.steps ?? []).find((s) => s.uses?.startsWith("actions/github-script@"));
    expect(String(script?.with?.script)).toContain("require('./.github/scripts/drift-issue.cjs')");
  });
});

describe("every job is bounded", () => {
  for (const wf of files) {
    it(`${wf.file}: timeout-minutes on every job`, () => {
      for (const [name, job] of Object.entries(wf.doc.jobs)) {
        expect(job["timeout-minutes"], `${wf.file} job ${name}`).toBeGreaterThan(0);
      }
    });
  }
});
