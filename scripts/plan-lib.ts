/**
 * The offline plan's engine room: run a target under the harness and render what it would do.
 * Used by scripts/plan.ts, the docs generator and tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { Inventory, InventoryResource } from "../test/harness/inventory";
import { ProgramError, runProgram } from "../test/harness/run";
import { StackInput, blueprintStackInput, readStackFile, runStackInput, withPlaceholderSecrets } from "../test/harness/stacks";
import { readBlueprint } from "../stacks/spec/load";
import { PolicyReport, formatMarkdown as policyMarkdown, formatText as policyText, runPolicies } from "../policies/lib/runner";
import { TIERS, TIER_NAMES, TierName } from "../stacks/spec/tiers";

export type Target =
  | { kind: "stack"; stack: string }
  | { kind: "blueprint"; blueprint: string; tier: TierName }
  | { kind: "program"; file: string; stack: string; config: Record<string, string> };

export interface PlanResult {
  title: string;
  target: Target;
  /** ok | policy (mandatory violation) | invalid (spec rejected) | error (program failed) */
  status: "ok" | "policy" | "invalid" | "error";
  preview: boolean;
  inventory?: Inventory;
  policy?: PolicyReport;
  placeholders: string[];
  error?: string;
  json: Record<string, unknown>;
}

/** Tiers a blueprint plans on: all four (dev falls back to Kubernetes when it has no single host). */
export function supportedTiers(blueprint: string): TierName[] {
  const bp = readBlueprint(blueprint).data as { hosting?: Record<string, unknown> } | undefined;
  if (!bp?.hosting) return [];
  return TIER_NAMES.filter((t) => bp.hosting![TIERS[t].hosting] !== undefined || t !== "local");
}

export function titleOf(t: Target): string {
  if (t.kind === "stack") return `stack ${t.stack}`;
  if (t.kind === "blueprint") return `blueprint ${t.blueprint} on ${t.tier}`;
  return `program ${path.relative(process.cwd(), t.file)} (stack ${t.stack})`;
}

function foreignProgramInput(t: Extract<Target, { kind: "program" }>): { project: string; input: StackInput } {
  const dir = path.dirname(t.file);
  let project = "program";
  const projFile = path.join(dir, "Pulumi.yaml");
  if (fs.existsSync(projFile)) project = String((parse(fs.readFileSync(projFile, "utf8")) as { name?: string })?.name ?? project);
  const stackFile = path.join(dir, `Pulumi.${t.stack}.yaml`);
  const base: StackInput = fs.existsSync(stackFile) ? readStackFile(t.stack, dir) : { stack: t.stack, config: {}, secretKeys: [], placeholders: [] };
  return { project, input: { ...base, config: { ...base.config, ...t.config } } };
}

export async function planTarget(target: Target, opts: { preview: boolean }): Promise<PlanResult> {
  const title = titleOf(target);
  let input: StackInput | undefined;
  try {
    let inventory: Inventory;
    if (target.kind === "program") {
      const f = foreignProgramInput(target);
      input = f.input;
      inventory = await runProgram(
        () => {
          delete require.cache[require.resolve(target.file)];
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const mod = require(target.file);
          return mod && typeof mod === "object" && "default" in mod ? mod.default : mod;
        },
        { project: f.project, stack: target.stack, config: input.config, secretKeys: input.secretKeys, preview: opts.preview, allowDefaultProviders: true },
      );
    } else {
      input = target.kind === "stack" ? withPlaceholderSecrets(readStackFile(target.stack)) : blueprintStackInput(target.blueprint, target.tier);
      inventory = (await runStackInput(input, opts)).inventory;
    }
    const policy = await runPolicies(inventory, { tier: policyTier(input.config["platform:tier"]) });
    const status = policy.mandatory > 0 ? "policy" : "ok";
    const result: PlanResult = { title, target, status, preview: opts.preview, inventory, policy, placeholders: input.placeholders, json: {} };
    result.json = toJson(result);
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const invalid = /invalid platform spec/.test(message);
    const registered = err instanceof ProgramError ? err.inventory.resources.filter((r) => r.custom).length : 0;
    const result: PlanResult = {
      title,
      target,
      status: invalid ? "invalid" : "error",
      preview: opts.preview,
      placeholders: input?.placeholders ?? [],
      error: message + (invalid ? `\n(${registered} resources registered)` : ""),
      json: {},
    };
    result.json = toJson(result);
    return result;
  }
}

/** The pack's tier for a stack's `platform:tier` (the local tier is checked like dev; foreign programs as prod, the strictest). */
export function policyTier(tier: string | undefined): "dev" | "staging" | "prod" {
  if (tier === "local" || tier === "dev") return "dev";
  if (tier === "staging") return "staging";
  return "prod";
}

/** Component resources (not the stack) with every resource below them, by type. */
export function componentSummary(inv: Inventory): { urn: string; type: string; name: string; depth: number; counts: Record<string, number> }[] {
  const byUrn = new Map(inv.resources.map((r) => [r.urn, r]));
  const children = new Map<string, InventoryResource[]>();
  for (const r of inv.resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const depthOf = (r: InventoryResource): number => {
    let d = 0;
    for (let p = r.parent ? byUrn.get(r.parent) : undefined; p && p.type !== "pulumi:pulumi:Stack"; p = p.parent ? byUrn.get(p.parent) : undefined) d++;
    return d;
  };
  const out = [];
  for (const r of inv.resources) {
    if (r.custom || r.type === "pulumi:pulumi:Stack") continue;
    const counts: Record<string, number> = {};
    const stack = [...(children.get(r.urn) ?? [])];
    while (stack.length) {
      const c = stack.pop()!;
      if (c.custom) counts[c.type] = (counts[c.type] ?? 0) + 1;
      stack.push(...(children.get(c.urn) ?? []));
    }
    out.push({ urn: r.urn, type: r.type, name: r.name, depth: depthOf(r), counts });
  }
  return out;
}

export function typeCounts(inv: Inventory): [string, number][] {
  const m = new Map<string, number>();
  for (const r of inv.resources) if (r.custom) m.set(r.type, (m.get(r.type) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Stack outputs with secret values replaced by `[secret]`. */
export function redactedOutputs(inv: Inventory): Record<string, unknown> {
  const secret = new Set(inv.secretOutputPaths);
  const walk = (v: unknown, p: string): unknown => {
    if (secret.has(p)) return "[secret]";
    if (Array.isArray(v)) return v.map((e, i) => walk(e, `${p}[${i}]`));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, p ? `${p}.${k}` : k)]));
    return v;
  };
  return walk(inv.outputs, "") as Record<string, unknown>;
}

function toJson(r: PlanResult): Record<string, unknown> {
  const inv = r.inventory;
  return {
    title: r.title,
    target: r.target,
    status: r.status,
    mode: r.preview ? "preview" : "update",
    placeholders: r.placeholders,
    ...(r.error ? { error: r.error } : {}),
    ...(inv
      ? {
          counts: { resources: inv.resources.filter((x) => x.custom).length, components: inv.resources.filter((x) => !x.custom).length - 1 },
          types: Object.fromEntries(typeCounts(inv)),
          outputs: redactedOutputs(inv),
          resources: inv.resources.map((x) => ({ urn: x.urn, type: x.type, name: x.name, parent: x.parent, protect: x.options.protect })),
        }
      : {}),
    ...(r.policy ? { policy: { mandatory: r.policy.mandatory, advisory: r.policy.advisory, policiesRun: r.policy.policiesRun, violations: r.policy.violations } } : {}),
  };
}

export function renderText(r: PlanResult): string {
  const lines = [`== ${r.title} (${r.preview ? "preview" : "update"}) ==`];
  if (r.placeholders.length) lines.push(`placeholders (not in git, not decrypted): ${r.placeholders.join(", ")}`);
  if (r.error) {
    lines.push(r.status === "invalid" ? "INVALID SPEC" : "PROGRAM FAILED", r.error);
    return lines.join("\n");
  }
  const inv = r.inventory!;
  const custom = inv.resources.filter((x) => x.custom);
  lines.push(`${custom.length} resources in ${inv.resources.length - custom.length - 1} components, ${custom.filter((x) => x.type.startsWith("pulumi:providers:")).length} providers`);
  lines.push("by component:");
  for (const c of componentSummary(inv)) {
    const n = Object.values(c.counts).reduce((a, b) => a + b, 0);
    lines.push(`${"  ".repeat(c.depth + 1)}${c.type} ${c.name}: ${n} resources`);
  }
  lines.push("by type:");
  for (const [t, n] of typeCounts(inv)) lines.push(`  ${String(n).padStart(4)}  ${t}`);
  lines.push("outputs:");
  for (const [k, v] of Object.entries(redactedOutputs(inv))) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  if (r.policy) lines.push(policyText(r.policy).trimEnd());
  return lines.join("\n");
}

export function renderMarkdown(results: PlanResult[]): string {
  const out = ["# Offline plan", "", "| target | status | resources | components | mandatory | advisory |", "| --- | --- | ---: | ---: | ---: | ---: |"];
  for (const r of results) {
    const inv = r.inventory;
    out.push(`| ${r.title} | ${r.status} | ${inv ? inv.resources.filter((x) => x.custom).length : "-"} | ${inv ? inv.resources.filter((x) => !x.custom).length - 1 : "-"} | ${r.policy?.mandatory ?? "-"} | ${r.policy?.advisory ?? "-"} |`);
  }
  for (const r of results) {
    out.push("", `## ${r.title}`, "");
    if (r.placeholders.length) out.push(`Placeholders (not in git, not decrypted): ${r.placeholders.map((p) => `\`${p}\``).join(", ")}`, "");
    if (r.error) {
      out.push("```", r.error, "```");
      continue;
    }
    out.push("<details><summary>resources by type</summary>", "", "| type | count |", "| --- | ---: |");
    for (const [t, n] of typeCounts(r.inventory!)) out.push(`| \`${t}\` | ${n} |`);
    out.push("", "</details>");
    if (r.policy) out.push("", policyMarkdown(r.policy));
  }
  return out.join("\n") + "\n";
}
