/**
 * Preflight: what a first `pulumi up` of a stack needs and the offline plan cannot show, checked
 * from the committed files alone (no credentials, no network, nothing decrypted). Pure apart from
 * reading the blueprint the stack selects; `scripts/preflight.ts` reads the files and prints.
 *
 * Findings fail the check (exit 1); each names the file, the setting and the fix:
 *  - spec: the stack's spec is valid (every rule of stacks/spec, incl. a staging/prod stack without
 *    an alert receiver) — missing secret VALUES aside, see below;
 *  - secrets: every secret the spec needs (the blueprint's `platform:secrets.<name>`, one
 *    `platform:alertingSecrets.<receiver>` per alert receiver, one `platform:registryPasswords.<name>`
 *    per private registry) is a `secure:` value, never plain text;
 *  - eks-version: the pinned EKS version is in standard support today (eks-support.ts);
 *  - deploy-path: the deploy workflow runs the stack where its endpoints answer, with the
 *    credentials its providers need (deploy-path.ts);
 *  - quotas: Elastic IPs, NAT gateways per AZ and VPCs of every stack file in the same AWS
 *    account and region add up within the quota (quotas.ts);
 *  - cloudflare/plan: stacks on one Cloudflare zone name the same plan (plan-dependent rulesets);
 *  - dns/zone, dns/host-collision: every public host is in the zone platform:dnsZone names (dns.ts);
 *  - workflows: deploy.yml, preview.yml and drift.yml run the stack on its runner with the right role
 *    (deploy-path.ts); delivery/preview-role: the read-only role has the cluster's access entry;
 *  - release/push-role: a GitOps stack with its own ECR registry names the role release.yml pushes
 *    with (platform:imageRegistry.pushRoleName); the role itself, with its OIDC trust policy, is a
 *    prerequisite (components/delivery/release-role.ts). A push-mode stack with ECR gets a warning:
 *    no workflow pushes its images.
 *
 * Prerequisites are what must exist outside git before the first deploy and cannot be seen from
 * it: Secrets Manager secrets, the CodeConnections approval, the release push role, the GitHub environment's variables,
 * and secret values not yet set in the stack file. In this repository the stack files carry no
 * encrypted values (each team sets them with `pulumi config set --secret`, which writes them into
 * the file), so a missing secret value is a prerequisite by default and a finding with `strict`
 * (what the deploy job runs: by then the file must hold it). docs/first-deploy.md lists them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SpecError } from "../spec/errors";
import { loadSpec, readBlueprint } from "../spec/load";
import type { PlatformSpec } from "../spec/platform";
import { stackConfig } from "../spec/stack-config";
import { TIERS, type TierName } from "../spec/tiers";
import { RELEASE_ECR_JOB, RELEASE_WORKFLOW_FILE, releasePushRole, releasePushTrustPolicy } from "../../components/delivery/release-role";
import { stackJobs } from "../../components/delivery/stack-jobs";
import { gitopsTier } from "../spec/release";
import { PREVIEW_ROLE_VARIABLE, checkDeployPath, checkReadOnlyWorkflow, type Finding, type StackWorkflowKind, type WorkflowAt } from "./deploy-path";
import { CHECKED as EKS_CHECKED, WARN_DAYS, eksSupportOn, standardVersionsOn } from "./eks-support";
import { checkDnsZones } from "./dns";
import { checkQuotas, quotaPrerequisites, type QuotaStack } from "./quotas";
import { SECRET_MARK, type StackFile } from "./stack-file";

export type { Finding } from "./deploy-path";

export interface Prerequisite {
  /** Which area (secrets-manager, config-secret, connection, iam, github, quota). */
  kind: string;
  /** The setting it belongs to, e.g. `Pulumi.prod.yaml: platform:cloudflare.apiTokenSecret`. */
  setting: string;
  what: string;
  /** The command or console step that does it. */
  how: string;
  /** Already satisfied in the stack file (secret values only). */
  done?: boolean;
}

export interface PreflightReport {
  stack: string;
  file: string;
  tier?: TierName;
  findings: Finding[];
  warnings: Finding[];
  prerequisites: Prerequisite[];
}

export interface PreflightOptions {
  /** The day the check is for (YYYY-MM-DD). */
  today: string;
  /** Missing secret values are findings, not prerequisites (the deploy job's mode). */
  strict?: boolean;
  /** Every stack file of the project (quotas add up across them); must include the one checked. */
  stacks: StackFile[];
  /** The repository's workflows (.github/workflows/*.yml). */
  workflows: WorkflowAt[];
  blueprintsDir?: string;
  projectDir?: string;
}

export const DEPLOY_WORKFLOW_FILE = ".github/workflows/deploy.yml";

/** Where a secret value lives in the stack file, and what it is. */
export interface SecretSlot {
  /** e.g. `platform:alertingSecrets.teamSlack` */
  key: string;
  /** `secrets` | `alertingSecrets` | `registryPasswords` */
  group: "secrets" | "alertingSecrets" | "registryPasswords";
  name: string;
  what: string;
  /** Placeholder of the value in the command, e.g. `Slack incoming-webhook URL`. */
  value: string;
}

/** Secret values the stack's spec needs (none on a tier without a cloud account: local), from the raw stack file and its blueprint. */
export function requiredSecrets(file: StackFile, blueprintsDir?: string): SecretSlot[] {
  const p = file.platform;
  if (typeof p.tier === "string" && p.tier in TIERS && !TIERS[p.tier as TierName].cloudAccount) return [];
  const out: SecretSlot[] = [];
  const bp =
    typeof p.blueprint === "string"
      ? (readBlueprint(p.blueprint, blueprintsDir).data as { secrets?: { external?: { name?: unknown; description?: unknown }[] } } | undefined)
      : undefined;
  for (const s of bp?.secrets?.external ?? []) {
    if (typeof s.name === "string")
      out.push({
        key: `platform:secrets.${s.name}`,
        group: "secrets",
        name: s.name,
        what: typeof s.description === "string" ? s.description : `the blueprint's secret '${s.name}'`,
        value: s.name,
      });
  }
  const receivers = ((p.alerting as { receivers?: { name?: unknown; type?: unknown }[] } | undefined)?.receivers ?? []).filter(
    (r) => typeof r.name === "string",
  );
  for (const r of receivers) {
    const what =
      { slack: "Slack incoming-webhook URL", pagerduty: "PagerDuty Events v2 routing key", email: "SMTP password", webhook: "webhook URL" }[String(r.type)] ??
      "receiver secret";
    out.push({
      key: `platform:alertingSecrets.${String(r.name)}`,
      group: "alertingSecrets",
      name: String(r.name),
      what: `${what} of alert receiver '${String(r.name)}'`,
      value: what,
    });
  }
  const regs = ((p.registries as { name?: unknown; host?: unknown }[] | undefined) ?? []).filter((r) => typeof r.name === "string");
  for (const r of regs) {
    out.push({
      key: `platform:registryPasswords.${String(r.name)}`,
      group: "registryPasswords",
      name: String(r.name),
      what: `password or token of registry '${String(r.name)}' (${String(r.host)})`,
      value: "registry token",
    });
  }
  return out;
}

const setSecretCmd = (stack: string, key: string, value: string) => `pulumi config set --secret --path ${key} "<${value}>" -s ${stack}`;

function groupOf(platform: Record<string, unknown>, group: string): Record<string, unknown> {
  const v = platform[group];
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * The stack's spec with stand-ins for secret values the file does not hold yet (their absence is
 * reported by `preflightStack` itself), or the spec's own problems.
 */
export function specOfStackFile(file: StackFile, opts: { blueprintsDir?: string; projectDir?: string } = {}): { spec?: PlatformSpec; error?: SpecError } {
  const platform = structuredClone(file.platform);
  for (const slot of requiredSecrets(file, opts.blueprintsDir)) {
    const g = { ...groupOf(platform, slot.group) };
    if (g[slot.name] === undefined) g[slot.name] = "preflight-stand-in";
    platform[slot.group] = g;
  }
  try {
    // The deploy job has no PLATFORM_CHARTS_MIRROR: only the stack file decides where charts come from.
    return {
      spec: loadSpec({
        stack: file.stack,
        config: platform,
        env: {},
        ...(opts.blueprintsDir ? { blueprintsDir: opts.blueprintsDir } : {}),
        ...(opts.projectDir ? { projectDir: opts.projectDir } : {}),
      }),
    };
  } catch (e) {
    if (e instanceof SpecError) return { error: e };
    throw e;
  }
}

export function preflightStack(file: StackFile, opts: PreflightOptions): PreflightReport {
  const rel = path.basename(file.file);
  const report: PreflightReport = { stack: file.stack, file: rel, findings: [], warnings: [], prerequisites: [] };
  const at = (key: string) => `${rel}: ${key}`;
  const tier = typeof file.platform.tier === "string" && file.platform.tier in TIERS ? (file.platform.tier as TierName) : undefined;
  if (tier) report.tier = tier;

  // Secret values: secure, and (strict) present.
  const slots = requiredSecrets(file, opts.blueprintsDir);
  for (const group of ["secrets", "alertingSecrets", "registryPasswords"] as const) {
    for (const [name, v] of Object.entries(groupOf(file.platform, group))) {
      if (v !== SECRET_MARK) {
        report.findings.push({
          check: "secrets/plain-text",
          setting: at(`platform:${group}.${name}`),
          problem: "a secret value is committed in plain text (every clone and CI log can read it)",
          fix: `rotate it, then \`pulumi config rm --path platform:${group}.${name} -s ${file.stack}\` and \`pulumi config set --secret --path platform:${group}.${name} <value> -s ${file.stack}\``,
        });
      }
    }
  }
  for (const slot of slots) {
    const set = groupOf(file.platform, slot.group)[slot.name] !== undefined;
    if (!set && opts.strict) {
      report.findings.push({
        check: "secrets/missing",
        setting: at(slot.key),
        problem: `not set: the ${slot.what}`,
        fix: setSecretCmd(file.stack, slot.key, slot.value),
      });
    }
    report.prerequisites.push({
      kind: "config-secret",
      setting: at(slot.key),
      what: `the ${slot.what}`,
      how: setSecretCmd(file.stack, slot.key, slot.value),
      done: set,
    });
  }

  const { spec, error } = specOfStackFile(file, opts);
  if (!spec) {
    for (const i of error!.issues) report.findings.push({ check: "spec", setting: `${i.file}: ${i.path}`, problem: i.message, fix: "" });
    return report;
  }
  if (!spec.profile.cloudAccount) return report;

  // EKS version in standard support today.
  if (spec.hosting.mode === "kubernetes" && spec.hosting.cluster === "eks") {
    const v = spec.hosting.version;
    const s = eksSupportOn(v, opts.today);
    const use = standardVersionsOn(opts.today);
    const fix = use.length
      ? `set \`platform:cluster.version: "${use[0]}"\` (in standard support until ${eksSupportOn(use[0]!, opts.today).state === "standard" ? (eksSupportOn(use[0]!, opts.today) as { ends: string }).ends : "?"}) and move every add-on pin to builds for it`
      : `no version in stacks/preflight/eks-support.ts is in standard support on ${opts.today}: re-read the EKS release calendar and update the table (checked ${EKS_CHECKED})`;
    const setting = at("platform:cluster.version");
    if (s.state === "standard" && s.daysLeft < WARN_DAYS) {
      report.warnings.push({ check: "eks-version", setting, problem: `EKS ${v} leaves standard support on ${s.ends} (${s.daysLeft} days)`, fix });
    } else if (s.state === "extended") {
      report.findings.push({
        check: "eks-version",
        setting,
        problem: `EKS ${v} left standard support on ${s.standardEnded}: extended support costs 6× the cluster fee and ends ${s.ends}`,
        fix,
      });
    } else if (s.state === "ended") {
      report.findings.push({
        check: "eks-version",
        setting,
        problem: `EKS ${v} left extended support on ${s.ended}: AWS upgrades such clusters on its own schedule`,
        fix,
      });
    } else if (s.state === "unreleased") {
      report.findings.push({ check: "eks-version", setting, problem: `EKS ${v} is not available until ${s.released}`, fix });
    } else if (s.state === "unknown") {
      report.findings.push({
        check: "eks-version",
        setting,
        problem: `EKS ${v} is not in the support table (stacks/preflight/eks-support.ts, checked ${EKS_CHECKED})`,
        fix,
      });
    }
  }

  // Deploy path: deploy.yml (up), preview.yml (pull-request previews) and drift.yml (refreshed preview).
  const wf = (kind: StackWorkflowKind) => opts.workflows.find((w) => w.file.endsWith(`/${kind}.yml`) || w.file === `${kind}.yml`);
  const projectDir = opts.projectDir;
  const jobOpts = projectDir ? { exists: (rel: string) => fs.existsSync(path.join(projectDir, rel)) } : {};
  const deploy = wf("deploy");
  if (!deploy) {
    report.findings.push({
      check: "deploy-path/workflow",
      setting: DEPLOY_WORKFLOW_FILE,
      problem: "no deploy workflow: nothing runs `pulumi up` for this stack from its in-VPC runner",
      fix: "restore .github/workflows/deploy.yml (docs/delivery.md)",
    });
  } else {
    report.findings.push(...checkDeployPath(spec, deploy, jobOpts));
  }
  report.findings.push(...checkReadOnlyWorkflow(spec, "preview", wf("preview"), jobOpts));
  report.findings.push(...checkReadOnlyWorkflow(spec, "drift", wf("drift"), jobOpts));

  // Quotas over every stack of the same account and region.
  const others: QuotaStack[] = [];
  for (const f of opts.stacks) {
    if (f.stack === file.stack) continue;
    const o = specOfStackFile(f, opts).spec;
    if (o) others.push({ file: path.basename(f.file), spec: o, quotas: quotasOf(f) });
  }
  const self: QuotaStack = { file: rel, spec, quotas: quotasOf(file) };
  report.findings.push(...checkQuotas(self, others));

  // The read-only role of preview.yml/drift.yml must be able to read the cluster: the program gives
  // platform:delivery.previewRoleArn an EKS access entry (components/cluster/eks.ts). The jobs read
  // the repository variable AWS_PREVIEW_ROLE_ARN (no GitHub environment), one value for every stack,
  // so every stack names the same role.
  if (spec.hosting.mode === "kubernetes" && spec.hosting.cluster === "eks" && !spec.delivery?.previewRoleArn) {
    report.findings.push({
      check: "delivery/preview-role",
      setting: at("platform:delivery.previewRoleArn"),
      problem: `not set: the preview and drift jobs assume the read-only role vars.${PREVIEW_ROLE_VARIABLE}, and without this key the EKS cluster has no access entry for it, so every Kubernetes read of a preview is refused and drift's refresh fails`,
      fix: `\`pulumi config set --path platform:delivery.previewRoleArn <the ARN in vars.${PREVIEW_ROLE_VARIABLE}> -s ${file.stack}\` (the cluster then grants it AmazonEKSAdminViewPolicy)`,
    });
  }
  if (spec.delivery?.previewRoleArn) {
    for (const o of others) {
      const theirs = o.spec.delivery?.previewRoleArn;
      if (theirs && theirs !== spec.delivery.previewRoleArn) {
        report.findings.push({
          check: "delivery/preview-role",
          setting: at("platform:delivery.previewRoleArn"),
          problem: `'${spec.delivery.previewRoleArn}' here but '${theirs}' in ${o.file}: the preview and drift jobs of every stack assume the one repository variable ${PREVIEW_ROLE_VARIABLE}, so one of the two clusters grants its read-only entry to a role no job assumes`,
          fix: `name the role that vars.${PREVIEW_ROLE_VARIABLE} holds in both files`,
        });
      }
    }
  }

  // DNS zone ownership: every public host under the zone the stack's DNS config names (dns.ts).
  report.findings.push(...checkDnsZones({ file: rel, spec }, others));

  // Plan-dependent features: a zone has one plan, so every stack on it must name the same one (the
  // spec refuses a WAF the named plan lacks, stacks/spec/platform.ts).
  if (spec.cloudflare) {
    for (const o of others) {
      if (o.spec.cloudflare?.zoneId === spec.cloudflare.zoneId && o.spec.cloudflare.plan !== spec.cloudflare.plan) {
        report.findings.push({
          check: "cloudflare/plan",
          setting: at("platform:cloudflare.plan"),
          problem: `zone ${spec.cloudflare.zoneId} is on the '${spec.cloudflare.plan}' plan here but on '${o.spec.cloudflare.plan}' in ${o.file}: a zone has one plan, so one of them plans rulesets the zone cannot have`,
          fix: `set \`platform:cloudflare.plan\` to the zone's real plan (dashboard → the zone → Overview → Plan) in both files`,
        });
      }
    }
  }

  // The stack's own ECR registry: who pushes into it. On a GitOps tier release.yml's build-ecr job
  // does, with the push role (one helper names it for the program, the release plan and this list).
  let pushRolePrerequisite: Prerequisite | undefined;
  if (spec.imageRegistry) {
    const role = releasePushRole(spec.imageRegistry);
    if (gitopsTier(spec.blueprint, spec.tier)) {
      const branch = spec.blueprint.delivery!.branches[spec.tier]!;
      if (!role) {
        report.findings.push({
          check: "release/push-role",
          setting: at("platform:imageRegistry.pushRoleName"),
          problem: `not set: the workloads of ${spec.tier} run images from this stack's ECR registry, and ${RELEASE_WORKFLOW_FILE} (job ${RELEASE_ECR_JOB}, on pushes to ${branch}) pushes them with this role; without it nothing may push, the release plan refuses, and the first release has no image to run`,
          fix: `\`pulumi config set --path platform:imageRegistry.pushRoleName <role name> -s ${file.stack}\` (the program attaches the push-only policy to it; create the role as the prerequisite list then says)`,
        });
      } else {
        const repository = spec.delivery?.repository ?? "<owner>/<repo>";
        const trust = JSON.stringify(releasePushTrustPolicy({ accountId: spec.imageRegistry.accountId, repository, branches: [branch] }));
        pushRolePrerequisite = {
          kind: "iam",
          setting: at("platform:imageRegistry.pushRoleName"),
          what: `the IAM role '${role.name}' (${role.arn}, path /) that ${RELEASE_WORKFLOW_FILE}'s ${RELEASE_ECR_JOB} job assumes by GitHub OIDC on pushes to ${branch}; it must exist before \`pulumi up\`, which attaches the push-only policy on this stack's repositories to it (another stack's branch sharing the role: add its subject to the same trust policy)`,
          how: `aws iam create-role --role-name ${role.name} --assume-role-policy-document '${trust}'`,
        };
      }
    } else {
      report.warnings.push({
        check: "release/push-mode-ecr",
        setting: at("platform:imageRegistry"),
        problem: `the workloads run ${spec.blueprint.services.length ? Object.values(spec.services)[0]!.image : "images"}${spec.blueprint.services.length > 1 ? " and the other services' images" : ""} from this stack's ECR registry, but blueprint '${spec.blueprint.name}' is not released by GitOps on ${spec.tier}: no workflow pushes into these repositories (release.yml builds for GitOps tiers only), so \`pulumi up\` rolls out images nobody pushed`,
        fix: `push every service's image with the tag the stack names into its repository before deploying, or remove platform:imageRegistry`,
      });
    }
  }

  // Outside git: what must exist before the first deploy.
  report.prerequisites.push(...quotaPrerequisites(self));
  if (pushRolePrerequisite) report.prerequisites.push(pushRolePrerequisite);
  if (spec.delivery) {
    report.prerequisites.push({
      kind: "connection",
      setting: at("platform:delivery.connectionArn"),
      what: `the AWS CodeConnections connection to GitHub (${spec.delivery.repository}) is AVAILABLE`,
      how: `aws codeconnections get-connection --connection-arn ${spec.delivery.connectionArn} --query Connection.ConnectionStatus   # AVAILABLE; if PENDING: console → Developer Tools → Settings → Connections → Update pending connection`,
    });
  }
  if (spec.cloudflare) {
    report.prerequisites.push({
      kind: "secrets-manager",
      setting: at("platform:cloudflare.apiTokenSecret"),
      what: `the Secrets Manager secret '${spec.cloudflare.apiTokenSecret}' in ${spec.regions.primary}: a Cloudflare API token scoped to zone ${spec.cloudflare.zoneId} (Zone DNS Edit, Workers/Pages as the edge needs)`,
      how: `aws secretsmanager create-secret --region ${spec.regions.primary} --name ${spec.cloudflare.apiTokenSecret} --secret-string '<token>'`,
    });
  }
  if (spec.cloudflare && spec.webBuilds.edge && spec.blueprint.edge?.provider === "cloudflare") {
    report.prerequisites.push({
      kind: "secrets-manager",
      setting: at("platform:cloudflare.r2SecretKeySecret"),
      what: `the Secrets Manager secret '${spec.cloudflare.r2SecretKeySecret}' in ${spec.regions.primary}: the Secret Access Key of the R2 API token ${spec.cloudflare.r2AccessKeyId ?? "(platform:cloudflare.r2AccessKeyId)"} (Object Read & Write on the edge's bucket), which uploads platform:webBuilds.edge`,
      how: `aws secretsmanager create-secret --region ${spec.regions.primary} --name ${spec.cloudflare.r2SecretKeySecret} --secret-string '<R2 Secret Access Key>'`,
    });
  }
  if (spec.hosting.mode === "singleHost") {
    report.prerequisites.push({
      kind: "secrets-manager",
      setting: at("platform:host.sshKeySecret"),
      what: `the Secrets Manager secret '${spec.hosting.sshKeySecret}' in ${spec.regions.primary}: the deploy user's OpenSSH private key (the half of platform:host.sshPublicKey)`,
      how: `ssh-keygen -t ed25519 -N '' -f deploy-key && aws secretsmanager create-secret --region ${spec.regions.primary} --name ${spec.hosting.sshKeySecret} --secret-string file://deploy-key && pulumi config set --path platform:host.sshPublicKey "$(cat deploy-key.pub)" -s ${spec.stack}`,
    });
  }
  // GitHub variables the stack's jobs read (deploy, preview, drift): environment-scoped where the job
  // runs in a GitHub environment, else repository-wide.
  const vars = new Map<string, { file: string; env?: string }>();
  for (const kind of ["deploy", "preview", "drift"] as const) {
    const w = wf(kind);
    if (!w) continue;
    for (const j of stackJobs(w, [spec.stack])) {
      const env = j.environment;
      for (const m of JSON.stringify(j.job).matchAll(/\$\{\{\s*vars\.([A-Z0-9_]+)/g)) {
        const key = env ? `${m[1]!}@${env}` : m[1]!;
        if (!vars.has(key)) vars.set(key, { file: w.file, ...(env ? { env } : {}) });
      }
    }
  }
  for (const [key, v] of [...vars.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const name = key.split("@")[0]!;
    // A repository variable is visible to jobs in an environment too: list it once.
    if (v.env && vars.has(name)) continue;
    const value = name === PREVIEW_ROLE_VARIABLE && spec.delivery?.previewRoleArn ? spec.delivery.previewRoleArn : "<value>";
    report.prerequisites.push({
      kind: "github",
      setting: `${v.file}: vars.${name}`,
      what: v.env
        ? `the GitHub variable ${name} of environment '${v.env}'`
        : `the repository variable ${name}${name === PREVIEW_ROLE_VARIABLE && spec.delivery?.previewRoleArn ? " (the read-only role the cluster's access entry names: platform:delivery.previewRoleArn)" : ""}`,
      how: v.env ? `gh variable set ${name} --env ${v.env} --body '${value}'` : `gh variable set ${name} --body '${value}'`,
    });
  }
  // In the order a first deploy needs them.
  report.prerequisites.sort((a, b) => PREREQUISITE_ORDER.indexOf(a.kind) - PREREQUISITE_ORDER.indexOf(b.kind));
  return report;
}

/** Quotas first (AWS takes days), then the connection the runner registers with, the release push role, the secrets the program reads, the stack's secret values, the workflow's variables. */
export const PREREQUISITE_ORDER = ["quota", "connection", "iam", "secrets-manager", "config-secret", "github"];

function quotasOf(f: StackFile): QuotaStack["quotas"] {
  const parsed = stackConfig.shape.quotas.safeParse(f.platform.quotas);
  return parsed.success && parsed.data ? parsed.data : {};
}

/** Text report: findings (with the fix), warnings, then the prerequisites still open. */
export function formatReport(r: PreflightReport): string {
  const lines: string[] = [];
  const status = r.findings.length ? `FAIL (${r.findings.length} finding${r.findings.length === 1 ? "" : "s"})` : "ok";
  lines.push(`preflight ${r.stack}${r.tier ? ` (${r.tier})` : ""}: ${status}`);
  for (const f of r.findings) lines.push(`  ✗ ${f.setting}: ${f.problem}${f.fix ? `\n      fix: ${f.fix}` : ""}`);
  for (const w of r.warnings) lines.push(`  ! ${w.setting}: ${w.problem}${w.fix ? `\n      fix: ${w.fix}` : ""}`);
  const open = r.prerequisites.filter((p) => !p.done);
  if (open.length) {
    lines.push(`  before the first deploy (outside git; not checkable offline):`);
    open.forEach((p, i) => lines.push(`    ${i + 1}. ${p.what}\n       ${p.how}`));
  }
  return lines.join("\n");
}
