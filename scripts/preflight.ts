/**
 * Preflight: what a first `pulumi up` needs that mocks cannot show, checked offline from the
 * committed files (stacks/preflight). No credentials, nothing decrypted, no network.
 *
 *   npm run preflight -- <stack> [<stack> ...]     e.g. prod; no stack = every stack file
 *   options: --strict              a secret value missing from the stack file is a finding (the deploy job's mode)
 *            --today YYYY-MM-DD    check support dates for another day
 *            --markdown FILE       write the prerequisites per stack (docs/first-deploy.md)
 *            --root DIR            another project directory (its Pulumi.<stack>.yaml and .github/workflows)
 *
 * Exit status: 0 no finding; 1 findings (each printed with file, setting and fix); 64 bad usage.
 */
import * as fs from "node:fs";
import { formatReport } from "../stacks/preflight";
import { firstDeployMarkdown, runPreflight } from "../stacks/preflight/run";

function usage(msg: string): never {
  process.stderr.write(`preflight: ${msg}\nusage: npm run preflight -- [<stack> ...] [--strict] [--today YYYY-MM-DD] [--markdown FILE] [--root DIR]\n`);
  process.exit(64);
}

const argv = process.argv.slice(2);
const stacks: string[] = [];
let strict = false;
let today: string | undefined;
let markdown: string | undefined;
let root: string | undefined;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === "--strict") strict = true;
  else if (a === "--today") {
    today = argv[++i];
    if (!today || !/^\d{4}-\d{2}-\d{2}$/.test(today)) usage("--today needs a date YYYY-MM-DD");
  } else if (a === "--markdown") {
    markdown = argv[++i];
    if (!markdown) usage("--markdown needs a file");
  } else if (a === "--root") {
    root = argv[++i];
    if (!root || !fs.existsSync(root)) usage("--root needs the project directory (Pulumi.<stack>.yaml, .github/workflows)");
  } else if (a.startsWith("-")) usage(`unknown option ${a}`);
  else stacks.push(a);
}

let reports;
try {
  reports = runPreflight(stacks, { strict, ...(today ? { today } : {}), ...(root ? { root } : {}) });
} catch (e) {
  usage((e as Error).message);
}
for (const r of reports) console.log(formatReport(r));
if (markdown) {
  fs.writeFileSync(markdown, firstDeployMarkdown(reports));
  console.log(`wrote ${markdown}`);
}
const failed = reports.filter((r) => r.findings.length > 0);
console.log(
  failed.length
    ? `\npreflight: ${failed.length} of ${reports.length} stack(s) have findings: ${failed.map((r) => r.stack).join(", ")}`
    : `\npreflight: ${reports.length} stack(s) ok`,
);
process.exit(failed.length ? 1 : 0);
