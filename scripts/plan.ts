/**
 * The offline plan: run the program under mocks (no credentials, no secret decryption) and
 * print what it would register, its outputs and the policy report.
 *
 *   npm run plan -- <stack>                      e.g. local, prod
 *   npm run plan -- --blueprint <name> --tier <tier>
 *   npm run plan -- --all                        every stack and every blueprint × tier
 *   npm run plan -- --program <dir or index.ts> [--stack name] [--tier dev|staging|prod] [--config ns:key=value ...] [--timeout SECONDS]
 *   npm run plan -- --diff A.json B.json [--markdown FILE]   what changed from plan file A to B
 *   options: --json FILE (format 1, docs/plan-format.md)  --markdown FILE  --update (mocked outputs known; default is preview)
 *            --config ns:key=value on a stack or blueprint replaces that key's value in the stack file
 *
 * --program runs any other Pulumi TypeScript program as the Pulumi CLI would (its project
 * directory, Pulumi.yaml, stack file and its own installed packages) in an isolated child process
 * (scripts/foreign/). Its tier is --tier, else the stack name's (docs/delivery.md).
 *
 * Exit status: 0 clean; 1 a mandatory policy violation; 2 an invalid spec or a failing program;
 * 3 incomplete (a program's run hit its deadline, or something was not inspected, or nothing was);
 * 64 bad command-line usage, or a --diff input that is not a plan file of format 1.
 * --diff exits 0 whatever changed; its last line is the summary (scripts/plan-diff.ts summaryLine).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ProgramError } from "../tools/harness/run";
import { ForeignUsageError } from "./foreign/run";
import { SpecError } from "../stacks/spec/errors";
import { availableBlueprints } from "../stacks/spec/load";
import { TIER_NAMES, TierName } from "../stacks/spec/tiers";
import { PlanResult, Target, exitCodeFor, planTarget, renderMarkdown, renderText, supportedTiers } from "./plan-lib";
import { PlanFileError, parsePlanFile, planFile, renderPlanFile } from "./plan-format";
import { diffPlans, renderDiffMarkdown, renderDiffText } from "./plan-diff";

interface Args {
  targets: Target[];
  json?: string;
  markdown?: string;
  preview: boolean;
  diff?: [string, string];
}

function usage(msg: string): never {
  process.stderr.write(
    `plan: ${msg}\nusage: npm run plan -- <stack> | --blueprint <name> --tier <tier> | --all | --program <dir|file> [--stack <name>] [--tier <tier>] [--config ns:key=value]... [--timeout SECONDS] [--json FILE] [--markdown FILE] [--update]\n       npm run plan -- --diff A.json B.json [--markdown FILE]\n`,
  );
  process.exit(64);
}

function parseArgs(argv: string[]): Args {
  const out: Args = { targets: [], preview: true };
  let blueprint: string | undefined;
  let tier: string | undefined;
  let program: string | undefined;
  let stack: string | undefined;
  let timeout: number | undefined;
  const config: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? usage(`${a} needs a value`);
    switch (a) {
      case "--blueprint":
        blueprint = next();
        break;
      case "--tier":
        tier = next();
        break;
      case "--program":
        program = next();
        break;
      case "--stack":
        stack = next();
        break;
      case "--timeout": {
        timeout = Number(next());
        if (!Number.isFinite(timeout) || timeout <= 0) usage("--timeout takes a number of seconds");
        break;
      }
      case "--json":
        out.json = next();
        break;
      case "--diff":
        out.diff = [next(), next()];
        break;
      case "--markdown":
        out.markdown = next();
        break;
      case "--update":
        out.preview = false;
        break;
      case "--preview":
        out.preview = true;
        break;
      case "--config": {
        const kv = next();
        const eq = kv.indexOf("=");
        if (eq < 1) usage(`--config takes ns:key=value, got '${kv}'`);
        config[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case "--all":
        for (const s of ["local", "dev", "staging", "prod"]) out.targets.push({ kind: "stack", stack: s });
        for (const bp of availableBlueprints()) for (const t of supportedTiers(bp)) out.targets.push({ kind: "blueprint", blueprint: bp, tier: t });
        break;
      default:
        if (a.startsWith("-")) usage(`unknown option ${a}`);
        out.targets.push({ kind: "stack", stack: a });
    }
  }
  if (out.diff) {
    if (out.targets.length || program || blueprint || tier || stack || out.json || Object.keys(config).length)
      usage("--diff takes two plan files (and --markdown FILE) only");
    return out;
  }
  if (program) {
    if (blueprint) usage("--program and --blueprint exclude each other");
    if (tier && !["local", "dev", "staging", "prod"].includes(tier)) usage("--tier must be one of local, dev, staging, prod");
    out.targets.push({
      kind: "program",
      file: path.resolve(program),
      ...(stack ? { stack } : {}),
      config,
      ...(tier ? { tier } : {}),
      ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
    });
  } else if (blueprint || tier) {
    if (!blueprint || !tier) usage("--blueprint and --tier go together");
    if (!(TIER_NAMES as readonly string[]).includes(tier)) usage(`--tier must be one of ${TIER_NAMES.join(", ")}`);
    out.targets.push({ kind: "blueprint", blueprint, tier: tier as TierName });
  }
  if (Object.keys(config).length) {
    // On a stack or a blueprint, --config replaces keys of the stack file (e.g. to plan a change before committing it).
    for (const t of out.targets) if (t.kind !== "program") t.config = { ...config };
  }
  if (out.targets.length === 0) usage("name a stack, a blueprint and tier, --all, or --program");
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.diff) return diffMain(args.diff, args.markdown);
  const results: PlanResult[] = [];
  for (const target of args.targets) {
    const result = await planTarget(target, { preview: args.preview, echo: (s) => process.stderr.write(s) });
    results.push(result);
    process.stdout.write(renderText(result) + "\n");
  }
  if (args.json) fs.writeFileSync(args.json, renderPlanFile(planFile(results)));
  if (args.markdown) fs.writeFileSync(args.markdown, renderMarkdown(results));
  const failed = results.filter((r) => r.status !== "ok");
  if (results.length > 1) {
    process.stdout.write(
      `\n${results.length - failed.length} of ${results.length} plans clean${failed.length ? `; failing: ${failed.map((r) => r.title).join(", ")}` : ""}\n`,
    );
  }
  process.exit(exitCodeFor(results));
}

/** --diff: read both files (refusing any other format, exit 64), print the diff, write --markdown; exit 0. */
function diffMain([a, b]: [string, string], markdown: string | undefined): never {
  const read = (f: string) => {
    if (!fs.existsSync(f)) throw new PlanFileError(`${f}: no such file; write it with npm run plan -- <targets> --json ${f}`);
    return parsePlanFile(fs.readFileSync(f, "utf8"), f);
  };
  let d;
  try {
    d = diffPlans(read(a), read(b));
  } catch (err) {
    if (!(err instanceof PlanFileError)) throw err;
    process.stderr.write(`plan --diff: ${err.message}\n`);
    process.exit(64);
  }
  process.stdout.write(renderDiffText(d));
  if (markdown) fs.writeFileSync(markdown, renderDiffMarkdown(d));
  process.exit(0);
}

main().catch((err) => {
  if (err instanceof ForeignUsageError) usage(err.message);
  const msg = err instanceof SpecError || err instanceof ProgramError ? err.message : (err?.stack ?? String(err));
  process.stderr.write(`plan: ${msg}\n`);
  process.exit(2);
});
