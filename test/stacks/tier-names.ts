/**
 * Finds tier-specific decisions hidden in code as tier-name comparisons (issue 21: "one tier table
 * holds every tier-dependent value; components receive explicit values, never a tier name").
 * Used by test/stacks/tier-table.test.ts on stacks/ and components/; stacks/spec/tiers.ts, the table
 * itself, is not scanned.
 *
 * What counts as deciding by tier name, on code lines (comment lines are skipped):
 *  - a comparison with a tier name (`=== "prod"`, `"local" !==`), or `case "staging":`;
 *  - a comparison of anything called `tier` (`spec.tier === x`; `typeof x.tier` is fine);
 *  - a list or union of tier names (`["staging", "prod"]`, `"local" | "dev"`) or `.includes(config.tier)`;
 *  - a second table keyed by tier (`Record<TierName, …>`, or an object literal with two tier keys);
 *  - in components/: importing TierName, TIERS or TIER_NAMES (components get explicit values).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TIER_NAMES } from "../../stacks/spec/tiers";

export interface TierNameFinding {
  file: string;
  line: number;
  text: string;
  rule: string;
}

/** Places that truly must name a tier, by file and a piece of the line, each with the reason. */
export const ALLOWED: readonly { file: string; contains: string; reason: string }[] = [
  {
    file: "stacks/spec/release.ts",
    contains: "const branchesSpec = z.strictObject({ staging: branch.optional(), prod: branch.optional() });",
    reason:
      "the blueprint file format: `delivery.branches` is keyed by the tier each branch deploys (a tier with a gitopsEnvironment must be a key here; release.ts checks it at load)",
  },
  {
    file: "stacks/spec/release.ts",
    contains: '.default({ staging: "develop", prod: "main" })',
    reason: "the default of that blueprint field: develop deploys staging, main deploys prod (the music platform's branches)",
  },
];

const FIX =
  "put the decision in the tier table as a named, documented TierProfile field (stacks/spec/tiers.ts; `npm run docs` renders it into docs/environments.md) and read spec.profile.<field> / TIERS[tier].<field>; a component takes the explicit value as an argument. If this place truly must name a tier, add it to ALLOWED in test/stacks/tier-names.ts with the reason";

export function findTierNames(rel: string, source: string): TierNameFinding[] {
  const names = TIER_NAMES.join("|");
  const q = `["'\`]`;
  const rules: [string, RegExp][] = [
    ["comparison with a tier name", new RegExp(`(===|!==|==|!=)\\s*${q}(${names})${q}|${q}(${names})${q}\\s*(===|!==|==|!=)`)],
    ["switch on a tier name", new RegExp(`\\bcase\\s+${q}(${names})${q}\\s*:`)],
    ["comparison of a tier", /\btier\s*(===|!==|==|!=)|(===|!==|==|!=)\s*[\w.]*\btier\b/i],
    ["list of tier names", new RegExp(`\\[\\s*${q}(${names})${q}\\s*[,\\]]|${q}(${names})${q}\\s*\\|\\s*${q}(${names})${q}`)],
    ["membership test of a tier", /\.includes\(\s*[\w.]*\btier\s*\)/i],
    ["second table keyed by tier", new RegExp(`Record<\\s*(Tier|TierName)\\b|\\b(${names})\\s*:\\s*[^,}]+,\\s*(${names})\\s*:`)],
  ];
  if (rel.startsWith("components/")) rules.push(["a component that takes a tier name", /\b(TierName|TIERS|TIER_NAMES)\b[^;]*from\s+["'][^"']*spec\/tiers["']/]);
  const out: TierNameFinding[] = [];
  source.split("\n").forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith("//") || trimmed.startsWith("*") || trimmed.startsWith("/*")) return;
    // `typeof x.tier === "string"` asks for the type, not the tier.
    const text = raw.replace(/\btypeof\s+[\w.]+/g, "typeof_");
    for (const [rule, re] of rules) {
      if (!re.test(text)) continue;
      if (ALLOWED.some((a) => a.file === rel && raw.includes(a.contains))) continue;
      out.push({ file: rel, line: i + 1, text: trimmed, rule });
      break;
    }
  });
  return out;
}

/** Every .ts file under `dirs` of `root` (node_modules excluded), as repository-relative paths. */
export function sourceFiles(root: string, dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(r);
      } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(r);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

/** Findings in stacks/ and components/ of `root` (the tier table itself excluded). */
export function scanTree(root: string): TierNameFinding[] {
  return sourceFiles(root, ["stacks", "components"])
    .filter((f) => f !== "stacks/spec/tiers.ts")
    .flatMap((f) => findTierNames(f, fs.readFileSync(path.join(root, f), "utf8")));
}

/** One line per finding: where, what, and the fix. */
export function describeFindings(findings: TierNameFinding[]): string {
  if (findings.length === 0) return "";
  return `${findings.length} tier-specific decision(s) made by tier name instead of in the tier table:\n${findings.map((f) => `  ${f.file}:${f.line}: ${f.rule}: ${f.text}`).join("\n")}\nFix: ${FIX}`;
}
