/**
 * docs/delivery-flow.md: how a release travels, drawn from the workflow files themselves
 * (.github/workflows/*.yml), so the diagram cannot drift from what CI runs. Pure: parsed
 * workflows in, Markdown out. For each workflow: its trigger, each job with where it runs (the
 * stack's in-VPC CodeBuild runner or a GitHub-hosted runner), its GitHub environment (a
 * `production` environment is the manual approval), and what it does (pulumi up/preview of a
 * stack with the policy config it passes, an image build, a values-file bump); `needs` are the
 * arrows.
 */
import { pulumiCall } from "../../components/delivery/stack-jobs";
import { type Job, type WorkflowFile, readWorkflowFiles, triggerMap } from "../../components/delivery/workflows";

export interface WorkflowDoc {
  file: string;
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** Reading order of the diagram: pull request → merge → release → nightly. */
const ORDER = ["untrusted.yml", "policy.yml", "preview.yml", "deploy.yml", "release.yml", "drift.yml"];

export function readWorkflows(root: string): WorkflowDoc[] {
  const rank = (f: string) => ORDER.indexOf(f) + 1 || 99;
  return readWorkflowFiles(root)
    .sort((a: WorkflowFile, b: WorkflowFile) => rank(a.file) - rank(b.file) || a.file.localeCompare(b.file))
    .map(({ file, doc }) => ({ file, name: String(doc.name ?? file), on: triggerMap(doc), jobs: doc.jobs }));
}

function trigger(w: WorkflowDoc): string {
  return Object.entries(w.on)
    .map(([event, v]) => {
      const branches = (v as { branches?: string[] } | null)?.branches;
      if (event === "schedule") return `schedule (${((v as { cron: string }[]) ?? []).map((c) => c.cron).join(", ")} UTC)`;
      return branches ? `${event} to ${branches.join(", ")}` : event;
    })
    .join(" · ");
}

const envName = (j: Job) => (typeof j.environment === "string" ? j.environment : j.environment?.name);

/** Where a job runs, in words. */
export function runsOn(j: Job): string {
  const r = String(j["runs-on"] ?? "");
  const m = /^codebuild-platform-deploy-(.+?)-\$\{\{ github\.run_id \}\}/.exec(r);
  if (m) return m[1] === "${{ matrix.stack }}" ? "in-VPC runner of each stack" : `in-VPC runner of ${m[1]}`;
  return `GitHub-hosted ${r}`;
}

/** What a job does, one short line per Pulumi/release step. */
export function actions(j: Job): string[] {
  const out: string[] = [];
  for (const s of j.steps ?? []) {
    // The job as written (`${{ matrix.stack }}` kept): the diagram shows one node per job, not per stack.
    const call = pulumiCall(s, { ...(j.env ?? {}), ...(s.env ?? {}) });
    if (call && s.uses) {
      const stack = call.stack.replace("${{ matrix.stack }}", "‹stack›");
      const cfg = call.policyConfig ? ` + ${call.policyConfig.replace("${{ matrix.stack }}", "‹tier›")}` : "";
      out.push(`pulumi ${call.command} ${stack}${call.policyPack ? ` · policy pack${cfg}` : ""}`);
    } else if (call && s.run) {
      out.push(`pulumi ${call.command}${/--refresh/.test(s.run) ? " --refresh" : ""}${/--expect-no-changes/.test(s.run) ? " --expect-no-changes" : ""}`);
    } else if (s.run && /\bnpm run plan\b/.test(s.run)) {
      out.push("offline plan + policy report, every stack and blueprint × tier");
    } else if (s.run && /^npm test$/m.test(s.run)) {
      out.push("npm test");
    } else if (s.run && /scripts\/release\.ts plan/.test(s.run)) {
      out.push("release plan: branch → environment");
    } else if (s.run && /docker push/.test(s.run)) {
      out.push("docker build + push (tag = commit SHA)");
    } else if (s.run && /bump-deploy-repo\.sh/.test(s.run)) {
      out.push("set images in the deploy repo's values file, push");
    } else if (s.uses?.startsWith("actions/github-script@") && /drift-issue/.test(String(s.with?.script ?? ""))) {
      out.push("open / update / close the drift issue");
    }
  }
  return out;
}

const esc = (s: string) =>
  s
    .replace(/\s*&&\s*/g, " and ")
    .replace(/"/g, "#quot;")
    .replace(/\$\{\{\s*|\s*\}\}/g, "");

export function deliveryMermaid(w: WorkflowDoc): string {
  const id = (job: string) => `${w.file.replace(/\W/g, "_")}__${job.replace(/\W/g, "_")}`;
  const lines = ["flowchart LR", `  ${w.file.replace(/\W/g, "_")}__trigger(["${esc(trigger(w))}"])`];
  for (const [name, j] of Object.entries(w.jobs)) {
    const env = envName(j);
    const label = [
      `<b>${esc(name)}</b>`,
      esc(runsOn(j)),
      ...(env ? [`environment: ${env}${env === "production" ? " (approval)" : ""}`] : []),
      ...actions(j).map(esc),
    ].join("<br/>");
    lines.push(`  ${id(name)}["${label}"]`);
  }
  for (const [name, j] of Object.entries(w.jobs)) {
    const needs = j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs];
    if (needs.length === 0) lines.push(`  ${w.file.replace(/\W/g, "_")}__trigger --> ${id(name)}`);
    for (const n of needs) lines.push(`  ${id(n)} -->${j.if ? `|"${esc(j.if.replace(/needs\.\w+\.outputs\./g, ""))}"|` : ""} ${id(name)}`);
  }
  for (const [name, j] of Object.entries(w.jobs)) {
    if (envName(j) === "production") lines.push(`  style ${id(name)} stroke-width:3px`);
  }
  return lines.join("\n");
}

export function deliveryPage(workflows: WorkflowDoc[]): string {
  const out = [
    "<!-- Generated by `npm run docs` from .github/workflows/*.yml (scripts/docs/delivery.ts). Do not edit. -->",
    "# Delivery flow (generated)",
    "",
    "What each workflow runs, where, and behind which GitHub environment, read from the workflow files.",
    "The narrative, the approval and the one-time setup are in [delivery.md](delivery.md).",
    "",
    "| workflow | trigger | job | runs on | environment | does |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const w of workflows) {
    for (const [name, j] of Object.entries(w.jobs)) {
      out.push(
        `| \`${w.file}\` | ${trigger(w)} | \`${name}\` | ${runsOn(j)} | ${envName(j) ? `\`${envName(j)}\`` : "-"} | ${actions(j).join("; ").replace(/\|/g, "\\|") || "-"} |`,
      );
    }
  }
  for (const w of workflows) {
    out.push("", `## ${w.name} (\`${w.file}\`)`, "", "```mermaid", deliveryMermaid(w), "```");
  }
  return out.join("\n") + "\n";
}
