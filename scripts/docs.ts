/**
 * Generated architecture docs, from the harness inventory (never by hand):
 *   docs/blueprints/<name>.md   one Mermaid deployment diagram per tier the blueprint supports
 *   docs/blueprints/README.md   index
 *   docs/environments.md        the environment matrix (stacks/spec/tiers.ts) as Markdown
 *   docs/delivery-flow.md       every workflow's jobs, runners, environments and arrows (.github/workflows)
 *
 *   npm run docs               write them
 *   npm run docs -- --check    exit 1 (and name the files) when any is missing or stale
 *
 * Output is deterministic (no timestamps, no run ids, stable order), so the check is exact.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { blueprintSpec } from "../stacks/spec/blueprint";
import { availableBlueprints, readBlueprint } from "../stacks/spec/load";
import { TIERS, type TierName } from "../stacks/spec/tiers";
import { runStackInput, blueprintStackInput, REPO_ROOT } from "../tools/harness/stacks";
import { blueprintIndex, blueprintPage, environmentsPage, type TierSection } from "./docs/render";
import { topologyOf } from "./docs/topology";
import { deliveryPage, readWorkflows } from "./docs/delivery";
import { supportedTiers } from "./plan-lib";

export interface DocFile {
  /** Path relative to the repository root. */
  file: string;
  content: string;
}

async function tierSection(name: string, bp: ReturnType<typeof blueprintSpec.parse>, tier: TierName): Promise<TierSection> {
  const input = blueprintStackInput(name, tier);
  const hosting = (input.config["platform:hosting"] as "kubernetes" | "singleHost" | undefined) ?? TIERS[tier].hosting;
  try {
    const { inventory } = await runStackInput(input, { preview: false });
    return { tier, status: "ok", topology: topologyOf(inventory, bp, tier, hosting) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { tier, status: /invalid platform spec/.test(message) ? "invalid" : "error", error: message };
  }
}

/** Every generated file with its content. */
export async function generateDocs(root = REPO_ROOT): Promise<DocFile[]> {
  const files: DocFile[] = [];
  const rows: { name: string; description: string; tiers: TierSection[] }[] = [];
  for (const name of availableBlueprints()) {
    const bp = blueprintSpec.parse(readBlueprint(name).data);
    const sections: TierSection[] = [];
    for (const tier of supportedTiers(name)) sections.push(await tierSection(name, bp, tier));
    files.push({ file: `docs/blueprints/${name}.md`, content: blueprintPage(bp, sections) });
    rows.push({ name, description: bp.description, tiers: sections });
  }
  files.push({ file: "docs/blueprints/README.md", content: blueprintIndex(rows) });
  files.push({ file: "docs/environments.md", content: environmentsPage(fs.readFileSync(path.join(root, "stacks/spec/tiers.ts"), "utf8")) });
  files.push({ file: "docs/delivery-flow.md", content: deliveryPage(readWorkflows(root)) });
  return files;
}

/** Files whose content on disk differs from `files` (missing ones included), plus generated files no blueprint produces any more. */
export function staleFiles(files: DocFile[], root = REPO_ROOT): string[] {
  const stale = files
    .filter((f) => {
      const p = path.join(root, f.file);
      return !fs.existsSync(p) || fs.readFileSync(p, "utf8") !== f.content;
    })
    .map((f) => f.file);
  const dir = path.join(root, "docs/blueprints");
  const expected = new Set(files.map((f) => f.file));
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir).sort())
      if (f.endsWith(".md") && !expected.has(`docs/blueprints/${f}`)) stale.push(`docs/blueprints/${f} (no such blueprint any more)`);
  }
  return stale;
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes("--check");
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length) {
    process.stderr.write(`docs: unknown argument(s) ${unknown.join(" ")}\nusage: npm run docs [-- --check]\n`);
    return 64;
  }
  const files = await generateDocs();
  if (check) {
    const stale = staleFiles(files);
    if (stale.length) {
      process.stderr.write(`docs: ${stale.length} generated file(s) are stale; run \`npm run docs\` and commit:\n${stale.map((s) => `  - ${s}`).join("\n")}\n`);
      return 1;
    }
    process.stdout.write(`docs: ${files.length} generated files are current\n`);
    return 0;
  }
  for (const f of files) {
    const p = path.join(REPO_ROOT, f.file);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (!fs.existsSync(p) || fs.readFileSync(p, "utf8") !== f.content) fs.writeFileSync(p, f.content);
  }
  for (const s of staleFiles(files)) {
    const extra = /^(docs\/blueprints\/[^ ]+) \(no such blueprint any more\)$/.exec(s)?.[1];
    if (extra) fs.rmSync(path.join(REPO_ROOT, extra));
  }
  process.stdout.write(`docs: wrote ${files.map((f) => f.file).join(", ")}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`docs: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(2);
    },
  );
}
