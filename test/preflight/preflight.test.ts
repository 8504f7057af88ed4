// `npm run preflight`: passes for the committed dev, staging and prod stacks, and fails — naming
// the stack file, the setting and the fix — on a broken copy of each (written to a temp directory
// with the repository's workflows), several findings at once. The CLI is run for real.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { formatReport } from "../../stacks/preflight";
import { EKS_SUPPORT, eksSupportOn, standardVersionsOn } from "../../stacks/preflight/eks-support";
import { firstDeployMarkdown, runPreflight } from "../../stacks/preflight/run";
import { PROJECT_DIR } from "../../stacks/spec/load";

const CLOUD = ["dev", "staging", "prod"] as const;
const TODAY = new Date().toISOString().slice(0, 10);
const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

type Config = Record<string, any>;

/** A temp project: every committed stack file and workflow, with `edit` applied to the stack files' `config`. */
function project(
  edit: (stack: string, config: Config) => void = () => {},
  extra: Record<string, Config> = {},
  editDeploy?: (doc: any) => void,
  editWorkflows: Record<string, ((doc: any) => void) | null> = {},
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
  temps.push(dir);
  for (const f of fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f))) {
    const stack = /^Pulumi\.([\w-]+)\.yaml$/.exec(f)![1]!;
    const doc = parse(fs.readFileSync(path.join(PROJECT_DIR, f), "utf8")) as { config: Config };
    edit(stack, doc.config);
    fs.writeFileSync(path.join(dir, f), stringify(doc));
  }
  for (const [stack, config] of Object.entries(extra)) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
  fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
  // The tiers' policy configs the workflows name (preflight checks they exist).
  fs.mkdirSync(path.join(dir, "policies", "config"), { recursive: true });
  for (const f of fs.readdirSync(path.join(PROJECT_DIR, "policies", "config")).filter((f) => f.endsWith(".json")))
    fs.copyFileSync(path.join(PROJECT_DIR, "policies", "config", f), path.join(dir, "policies", "config", f));
  for (const f of fs.readdirSync(path.join(PROJECT_DIR, ".github", "workflows"))) {
    let text = fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", f), "utf8");
    if (f === "deploy.yml" && editDeploy) {
      const doc = parse(text);
      editDeploy(doc);
      text = stringify(doc);
    }
    if (editWorkflows[f] === null) continue; // the workflow is gone
    if (editWorkflows[f]) {
      const doc = parse(text);
      editWorkflows[f]!(doc);
      text = stringify(doc);
    }
    fs.writeFileSync(path.join(dir, ".github", "workflows", f), text);
  }
  return dir;
}

/** The real CLI, asynchronously (a blocking spawn starves the test worker on a loaded machine). */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(PROJECT_DIR, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/preflight.ts", ...args], {
      cwd: PROJECT_DIR,
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const committed = (stack: string) => (parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { config: Config }).config;
const settings = (r: { findings: { setting: string }[] }) => r.findings.map((f) => f.setting);

describe("preflight: the committed stacks", () => {
  it(`dev, staging and prod pass today (${TODAY}), with their prerequisites listed in order`, () => {
    const reports = runPreflight([...CLOUD]);
    for (const r of reports) {
      expect(r.findings, formatReport(r)).toEqual([]);
      const kinds = r.prerequisites.map((p) => p.kind);
      expect(kinds.indexOf("connection")).toBeLessThan(kinds.indexOf("secrets-manager"));
      expect(kinds).toContain("config-secret");
    }
    // Every receiver's secret value and the Cloudflare token secret are named.
    const prod = reports.find((r) => r.stack === "prod")!;
    expect(prod.prerequisites.map((p) => p.setting)).toEqual(
      expect.arrayContaining([
        "Pulumi.prod.yaml: platform:alertingSecrets.oncallPager",
        "Pulumi.prod.yaml: platform:alertingSecrets.teamSlack",
        "Pulumi.prod.yaml: platform:alertingSecrets.oncallEmail",
        "Pulumi.prod.yaml: platform:secrets.mailgunApiKey",
        "Pulumi.prod.yaml: platform:cloudflare.apiTokenSecret",
      ]),
    );
    expect(reports.find((r) => r.stack === "dev")!.prerequisites.map((p) => p.setting)).toContain("Pulumi.dev.yaml: platform:host.sshKeySecret");
  });

  it("the CLI with no stack (what CI's untrusted job runs) checks every stack file, local included, and exits 0", async () => {
    const run = await cli();
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    for (const s of [...CLOUD, "local"]) expect(out).toContain(`preflight ${s} (${s}): ok`);
    expect(out).toContain("4 stack(s) ok");
  }, 300_000);

  it("--strict: the committed files hold no secret values yet, so each one is a finding; `secure:` values satisfy it", () => {
    const strict = runPreflight(["prod"], { strict: true })[0]!;
    expect(strict.findings.map((f) => `${f.check} ${f.setting}`)).toEqual([
      "secrets/missing Pulumi.prod.yaml: platform:secrets.mailgunApiKey",
      "secrets/missing Pulumi.prod.yaml: platform:alertingSecrets.oncallPager",
      "secrets/missing Pulumi.prod.yaml: platform:alertingSecrets.teamSlack",
      "secrets/missing Pulumi.prod.yaml: platform:alertingSecrets.oncallEmail",
    ]);
    expect(strict.findings[1]!.fix).toBe('pulumi config set --secret --path platform:alertingSecrets.oncallPager "<PagerDuty Events v2 routing key>" -s prod');
    const secure = { secure: "v1:ZmFrZS1ub25jZQ==:ZmFrZS1jaXBoZXJ0ZXh0LWZvci10ZXN0cw==" };
    const root = project((stack, c) => {
      if (stack !== "prod") return;
      c["platform:secrets"] = { mailgunApiKey: secure };
      c["platform:alertingSecrets"] = { oncallPager: secure, teamSlack: secure, oncallEmail: secure };
    });
    expect(runPreflight(["prod"], { root, strict: true })[0]!.findings).toEqual([]);
  });
});

describe("preflight: a broken copy of each stack file fails, naming the file, the setting and the fix", () => {
  it("dev: a secret in plain text and SSH open to the internet, both listed", () => {
    const root = project((stack, c) => {
      if (stack !== "dev") return;
      c["platform:secrets"] = { mailgunApiKey: "key-fake-plaintext-0000" };
      c["platform:host"] = { ...c["platform:host"], sshAllowList: ["0.0.0.0/0"] };
    });
    const r = runPreflight(["dev"], { root })[0]!;
    expect(settings(r)).toEqual(["Pulumi.dev.yaml: platform:secrets.mailgunApiKey", "Pulumi.dev.yaml: platform:host.sshAllowList[0]"]);
    expect(r.findings[0]!.fix).toContain("pulumi config set --secret --path platform:secrets.mailgunApiKey");
    expect(r.findings[1]!.problem).toMatch(/never be open to 0\.0\.0\.0\/0/);
  });

  it("staging: no alert receiver, and the EKS version out of standard support", () => {
    const root = project((stack, c) => {
      if (stack !== "staging") return;
      delete c["platform:alerting"];
    });
    const r = runPreflight(["staging"], { root })[0]!;
    expect(settings(r)).toEqual(["Pulumi.staging.yaml: platform:alerting.receivers"]);
    expect(r.findings[0]!.problem).toMatch(/needs at least one alert receiver[\s\S]*pulumi config set --secret/);
    // The same committed 1.35 pin on the day after its standard support ends (the spec's regex still accepts it).
    const day = new Date(Date.parse(`${EKS_SUPPORT["1.35"]!.standardEnds}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const old = project((stack, c) => {
      if (stack === "staging") c["platform:cluster"] = { ...c["platform:cluster"], version: "1.35" };
    });
    const v = runPreflight(["staging"], { root: old, today: day })[0]!;
    expect(v.findings.map((f) => `${f.check} ${f.setting}`)).toEqual(["eks-version Pulumi.staging.yaml: platform:cluster.version"]);
    expect(v.findings[0]!.problem).toContain("left standard support");
    expect(v.findings[0]!.fix).toContain('platform:cluster.version: "1.36"');
  });

  it("prod: the deploy job on a GitHub-hosted runner (private endpoint) and a fourth stack in the account over the Elastic IP quota", () => {
    const qa: Config = { ...committed("prod"), "platform:domain": "qa.example.com" };
    const root = project(undefined, { qa }, (doc) => (doc.jobs.prod["runs-on"] = "ubuntu-24.04"));
    const r = runPreflight(["prod"], { root })[0]!;
    expect(settings(r)).toEqual([".github/workflows/deploy.yml: jobs.prod.runs-on", "Pulumi.prod.yaml: platform:quotas.elasticIps"]);
    expect(r.findings[0]!.fix).toContain("codebuild-platform-deploy-prod-");
    const eip = r.findings[1]!;
    expect(eip.problem).toContain("account 123456789012, us-east-1, need 8 × EC2-VPC Elastic IPs (prod: 3, dev: 1, qa: 3, staging: 1)");
    expect(eip.fix).toContain("--quota-code L-0263D0A3 --desired-value 8");
    expect(eip.fix).toContain("pulumi config set --path platform:quotas.elasticIps 8 -s prod");
    // Declaring the granted increase clears it, and asks to check the grant first.
    const raised = project((stack, c) => stack === "prod" && (c["platform:quotas"] = { elasticIps: 10 }), { qa });
    const ok = runPreflight(["prod"], { root: raised })[0]!;
    expect(ok.findings).toEqual([]);
    expect(ok.prerequisites[0]).toMatchObject({ kind: "quota", setting: "Pulumi.prod.yaml: platform:quotas.elasticIps" });
    // A stack in another account does not count.
    const elsewhere = {
      ...qa,
      "platform:delivery": { ...qa["platform:delivery"], connectionArn: qa["platform:delivery"].connectionArn.replace("123456789012", "210987654321") },
    };
    expect(runPreflight(["prod"], { root: project(undefined, { qa: elsewhere }) })[0]!.findings).toEqual([]);
  });

  it("the CLI prints every finding with its fix and exits 1", async () => {
    const root = project((stack, c) => {
      if (stack === "staging") delete c["platform:alerting"];
      if (stack === "dev") c["platform:secrets"] = { mailgunApiKey: "key-fake-plaintext-0000" };
    });
    const run = await cli("--root", root, "dev", "staging", "prod");
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("preflight dev (dev): FAIL (1 finding)");
    expect(run.stdout).toContain("✗ Pulumi.dev.yaml: platform:secrets.mailgunApiKey: a secret value is committed in plain text");
    expect(run.stdout).toMatch(/fix: rotate it, then `pulumi config rm --path platform:secrets\.mailgunApiKey -s dev`/);
    expect(run.stdout).toContain("✗ Pulumi.staging.yaml: platform:alerting.receivers:");
    expect(run.stdout).toContain("preflight prod (prod): ok");
    expect(run.stdout).toContain("2 of 3 stack(s) have findings: dev, staging");
    const bad = await cli("nosuch");
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain("no stack 'nosuch'");
  }, 400_000);
});

describe("EKS support table", () => {
  it("1.31 is out of extended support today; the committed pin is in standard support", () => {
    expect(eksSupportOn("1.31", TODAY).state).toBe("ended");
    expect(eksSupportOn(committed("prod")["platform:cluster"].version, TODAY).state).toBe("standard");
    expect(standardVersionsOn("2026-12-03")).toEqual(["1.36", "1.35"]);
  });
});

describe("docs/first-deploy.md", () => {
  it("is generated from the same checks and is current", () => {
    const md = firstDeployMarkdown(runPreflight(undefined));
    expect(fs.readFileSync(path.join(PROJECT_DIR, "docs", "first-deploy.md"), "utf8")).toBe(md);
    expect(md).toContain("## prod (prod, Pulumi.prod.yaml)");
    expect(md).not.toContain("## local");
  });
});

// The workflows that run Pulumi for a cloud stack — deploy.yml, preview.yml and drift.yml — are
// checked against each stack (stacks/preflight/deploy-path.ts). Each case breaks one thing in a copy
// of the committed workflows or stack files; before these checks preflight read deploy.yml only and
// had no preflight-step, role, policy-config or preview-role check (all four committed stacks passed
// with the preview on a hosted runner, drift without a refresh, and no access entry for the preview role).
describe("preflight: the preview and drift workflows, and the deploy job's own preflight step", () => {
  const f = (r: { findings: { check: string; setting: string }[] }) => r.findings.map((x) => `${x.check} ${x.setting}`);
  const pulumiStep = (job: any) => job.steps.find((s: any) => /^pulumi\/actions@/.test(s.uses ?? "") && s.with?.command);

  it("preview.yml on a GitHub-hosted runner: every cloud stack's preview is refused, naming runs-on and the runner label", () => {
    const root = project(undefined, {}, undefined, { "preview.yml": (d) => (d.jobs.preview["runs-on"] = "ubuntu-24.04") });
    for (const r of runPreflight([...CLOUD], { root })) {
      expect(f(r), r.stack).toEqual([`deploy-path/runner .github/workflows/preview.yml: jobs.preview.runs-on`]);
      expect(r.findings[0]!.fix).toContain(`codebuild-platform-deploy-${r.stack}-`);
    }
  });

  it("preview.yml assuming the deploy role, or without the tier's policy config: refused with the fix", () => {
    const root = project(undefined, {}, undefined, {
      "preview.yml": (d) => {
        d.jobs.preview.steps.find((s: any) => /configure-aws-credentials/.test(s.uses ?? "")).with["role-to-assume"] = "${{ vars.AWS_DEPLOY_ROLE_ARN }}";
        delete pulumiStep(d.jobs.preview).with.policyPackConfigs;
      },
    });
    const r = runPreflight(["staging"], { root })[0]!;
    expect(f(r)).toEqual([
      "deploy-path/role .github/workflows/preview.yml: jobs.preview.steps.aws-login.role-to-assume",
      "deploy-path/policy-config .github/workflows/preview.yml: jobs.preview.steps.pulumi",
    ]);
    expect(r.findings[0]!.fix).toBe("set `role-to-assume: ${{ vars.AWS_PREVIEW_ROLE_ARN }}`");
    expect(r.findings[1]!.fix).toContain("policyPackConfigs: policies/config/staging.json");
  });

  it("drift.yml without prod in its matrix, or previewing without --refresh, or without the AWS login", () => {
    const root = project(undefined, {}, undefined, { "drift.yml": (d) => (d.jobs.detect.strategy.matrix.stack = ["dev", "staging"]) });
    expect(f(runPreflight(["prod"], { root })[0]!)).toEqual(["drift/job .github/workflows/drift.yml"]);
    expect(runPreflight(["prod"], { root })[0]!.findings[0]!.fix).toBe("add 'prod' to jobs.detect.strategy.matrix.stack");
    expect(runPreflight(["staging"], { root })[0]!.findings).toEqual([]);
    const stale = project(undefined, {}, undefined, {
      "drift.yml": (d) => {
        const step = d.jobs.detect.steps.find((s: any) => s.id === "drift");
        step.run = step.run.replace("--refresh ", "");
        d.jobs.detect.steps = d.jobs.detect.steps.filter((s: any) => !/configure-aws-credentials/.test(s.uses ?? ""));
      },
    });
    expect(f(runPreflight(["dev"], { root: stale })[0]!)).toEqual([
      "deploy-path/credentials .github/workflows/drift.yml: jobs.detect.steps",
      "drift/refresh .github/workflows/drift.yml: jobs.detect.steps",
    ]);
  });

  it("a missing preview.yml is a finding for every cloud stack, not for local", () => {
    const root = project(undefined, {}, undefined, { "preview.yml": null });
    for (const r of runPreflight([...CLOUD, "local"], { root })) {
      expect(f(r), r.stack).toEqual(r.stack === "local" ? [] : ["preview/workflow .github/workflows/preview.yml"]);
    }
  });

  it("deploy.yml: `pulumi up` without `npm run preflight -- --strict <stack>` first, or without the Pulumi Cloud login", () => {
    const root = project(undefined, {}, (d) => {
      d.jobs.prod.steps = d.jobs.prod.steps.filter((s: any) => !/npm run preflight/.test(s.run ?? ""));
      d.jobs.dev.steps = d.jobs.dev.steps.filter((s: any) => !/^pulumi\/auth-actions@/.test(s.uses ?? ""));
    });
    const [dev, prod] = runPreflight(["dev", "prod"], { root });
    expect(f(prod!)).toEqual(["deploy-path/preflight .github/workflows/deploy.yml: jobs.prod.steps"]);
    expect(prod!.findings[0]!.fix).toBe("add a step `run: npm run preflight -- --strict prod` after the install and before the pulumi step");
    expect(f(dev!)).toEqual(["deploy-path/pulumi-login .github/workflows/deploy.yml: jobs.dev.steps"]);
    // A non-strict preflight does not count: the deploy must see missing secret values.
    const lax = project(undefined, {}, (d) => {
      const step = d.jobs.staging.steps.find((s: any) => /npm run preflight/.test(s.run ?? ""));
      step.run = "npm run preflight -- staging";
    });
    expect(f(runPreflight(["staging"], { root: lax })[0]!)).toEqual(["deploy-path/preflight .github/workflows/deploy.yml: jobs.staging.steps"]);
  });

  it("an EKS stack without platform:delivery.previewRoleArn, or two stacks naming different preview roles", () => {
    const root = project((stack, c) => stack === "prod" && delete c["platform:delivery"].previewRoleArn);
    const r = runPreflight(["prod"], { root })[0]!;
    expect(f(r)).toEqual(["delivery/preview-role Pulumi.prod.yaml: platform:delivery.previewRoleArn"]);
    expect(r.findings[0]!.fix).toContain("pulumi config set --path platform:delivery.previewRoleArn");
    // dev has no cluster: nothing to grant, no finding.
    expect(runPreflight(["dev"], { root })[0]!.findings).toEqual([]);
    const split = project((stack, c) => stack === "staging" && (c["platform:delivery"].previewRoleArn = "arn:aws:iam::123456789012:role/staging-preview"));
    const s = runPreflight(["staging"], { root: split })[0]!;
    expect(f(s)).toEqual(["delivery/preview-role Pulumi.staging.yaml: platform:delivery.previewRoleArn"]);
    expect(s.findings[0]!.problem).toContain("in Pulumi.prod.yaml");
  });

  it("the repository variable the preview jobs read is listed with the role the cluster's access entry names", () => {
    const prod = runPreflight(["prod"])[0]!;
    const v = prod.prerequisites.find((p) => p.setting.endsWith("vars.AWS_PREVIEW_ROLE_ARN"))!;
    expect(v.how).toBe(`gh variable set AWS_PREVIEW_ROLE_ARN --body '${committed("prod")["platform:delivery"].previewRoleArn}'`);
    const deployRole = prod.prerequisites.find((p) => p.setting === ".github/workflows/deploy.yml: vars.AWS_DEPLOY_ROLE_ARN")!;
    expect(deployRole.how).toBe("gh variable set AWS_DEPLOY_ROLE_ARN --env production --body '<value>'");
  });
});

// DNS zone ownership (stacks/preflight/dns.ts): the stack files named their zone by id only, so nothing
// showed that the hosts they serve could be published there. Before platform:dnsZone, preflight of
// the committed dev, staging and prod reported nothing about DNS; with the check and without the key
// each fails with dns/zone.
describe("preflight: every public host is in the stack's DNS zone", () => {
  const f = (r: { findings: { check: string; setting: string }[] }) => r.findings.map((x) => `${x.check} ${x.setting}`);

  it("no platform:dnsZone: the zone id says no domain, the fix names the key", () => {
    const root = project((stack, c) => stack === "staging" && delete c["platform:dnsZone"]);
    const r = runPreflight(["staging"], { root })[0]!;
    expect(f(r)).toEqual(["dns/zone Pulumi.staging.yaml: platform:dnsZone"]);
    expect(r.findings[0]!.problem).toContain("api.staging.example.com, staging.example.com");
    expect(r.findings[0]!.fix).toContain("pulumi config set platform:dnsZone");
  });

  it("a host outside the zone is named with the fix; a zone named twice differently is refused", () => {
    const root = project((stack, c) => stack === "prod" && (c["platform:domain"] = "example.org"));
    const r = runPreflight(["prod"], { root })[0]!;
    expect(r.findings.filter((x) => x.check === "dns/zone").map((x) => x.problem.split(" (")[0])).toEqual([
      "host api.example.org is not in zone example.com",
      "host example.org is not in zone example.com",
    ]);
    expect(r.findings[0]!.fix).toContain("set `platform:domain` to example.com or a name under it");
    const two = project((stack, c) => stack === "dev" && (c["platform:dnsZone"] = "dev.example.com"));
    expect(f(runPreflight(["dev"], { root: two })[0]!)).toEqual(["dns/zone Pulumi.dev.yaml: platform:dnsZone", "dns/zone Pulumi.dev.yaml: platform:dnsZone"]);
  });

  it("two stacks on one zone serving the same host collide", () => {
    const root = project((stack, c) => stack === "staging" && (c["platform:domain"] = "example.com"));
    const r = runPreflight(["staging"], { root })[0]!;
    expect(r.findings.filter((x) => x.check === "dns/host-collision").map((x) => x.problem.split(" is served")[0])).toEqual([
      "host api.example.com",
      "host example.com",
    ]);
    expect(r.findings.find((x) => x.check === "dns/host-collision")!.problem).toContain("Pulumi.prod.yaml");
  });
});
