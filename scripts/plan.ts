/**
 * The offline plan: run the program under mocks (no credentials, no secret decryption) and
 * print what it would register, its outputs and the policy report.
 *
 *   npm run plan -- <stack>                      e.g. local, prod
 *   npm run plan -- --blueprint <name> --tier <tier>
 *   npm run plan -- --all                        every stack and every blueprint × tier
 *   npm run plan -- --program <dir or index.ts> [--stack name] [--tier dev|staging|prod] [--config ns:key=value ...] [--timeout SECONDS]
 *   options: --json FILE  --markdown FILE  --update (mocked outputs known; default is preview)
 *
 * --program runs any other Pulumi TypeScript program as the Pulumi CLI would (its project
 * directory, Pulumi.yaml, stack file and its own installed packages) in an isolated child process
 * (scripts/foreign/). Its tier is --tier, else the stack name's (docs/delivery.md).
 *
 * Exit status: 0 clean; 1 a mandatory policy violation; 2 an invalid spec or a failing program;
 * 3 incomplete (a program's run hit its deadline, or something was not inspected, or nothing was);
 * 64 bad command-line usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ProgramError } from "../tools/harness/run";
import { ForeignUsageError } from "./foreign/run";
import { SpecError } from "../stacks/spec/errors";
import { availableBlueprints } from "../stacks/spec/load";
import { TIER_NAMES, TierName } from "../stacks/spec/tiers";
import { PlanResult, Target, exitCodeFor, planTarget, renderMarkdown, renderText, supportedTiers } from "./plan-lib";

interface Args {
  targets: Target[];
  json?: string;
  markdown?: string;
  preview: boolean;
}

function usage(msg: string): never {
  process.stderr.write(`plan: ${msg}\nusage: npm run plan -- <stack> | --blueprint <name> --tier <tier> | --all | --program <dir|file> [--stack <name>] [--tier <tier>] [--config ns:key=value]... [--timeout SECONDS] [--json FILE] [--markdown FILE] [--update]\n`);
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
      case "--blueprint": blueprint = next(); break;
      case "--tier": tier = next(); break;
      case "--program": program = next(); break;
      case "--stack": stack = next(); break;
      case "--timeout": {
        timeout = Number(next());
        if (!Number.isFinite(timeout) || timeout <= 0) usage("--timeout takes a number of seconds");
        break;
      }
      case "--json": out.json = next(); break;
      case "--markdown": out.markdown = next(); break;
      case "--update": out.preview = false; break;
      case "--preview": out.preview = true; break;
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
  if (program) {
    if (blueprint) usage("--program and --blueprint exclude each other");
    if (tier && !["local", "dev", "staging", "prod"].includes(tier)) usage("--tier must be one of local, dev, staging, prod");
    out.targets.push({ kind: "program", file: path.resolve(program), ...(stack ? { stack } : {}), config, ...(tier ? { tier } : {}), ...(timeout ? { timeoutMs: timeout * 1000 } : {}) });
  } else if (blueprint || tier) {
    if (!blueprint || !tier) usage("--blueprint and --tier go together");
    if (!(TIER_NAMES as readonly string[]).includes(tier)) usage(`--tier must be one of ${TIER_NAMES.join(", ")}`);
    out.targets.push({ kind: "blueprint", blueprint, tier: tier as TierName });
  }
  if (out.targets.length === 0) usage("name a stack, a blueprint and tier, --all, or --program");
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const results: PlanResult[] = [];
  for (const target of args.targets) {
    const result = await planTarget(target, { preview: args.preview, echo: (s) => process.stderr.write(s) });
    results.push(result);
    process.stdout.write(renderText(result) + "\n");
  }
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(results.map((r) => r.json), null, 2) + "\n");
  if (args.markdown) fs.writeFileSync(args.markdown, renderMarkdown(results));
  const failed = results.filter((r) => r.status !== "ok");
  if (results.length > 1) {
    process.stdout.write(`\n${results.length - failed.length} of ${results.length} plans clean${failed.length ? `; failing: ${failed.map((r) => r.title).join(", ")}` : ""}\n`);
  }
  process.exit(exitCodeFor(results));
}

main().catch((err) => {
  if (err instanceof ForeignUsageError) usage(err.message);
  const msg = err instanceof SpecError || err instanceof ProgramError ? err.message : (err?.stack ?? String(err));
  process.stderr.write(`plan: ${msg}\n`);
  process.exit(2);
});
