/**
 * The offline plan's engine room: run a target under the harness and render what it would do.
 * Used by scripts/plan.ts, the docs generator and tests.
 */
import * as path from "node:path";
import type { Inventory, InventoryResource } from "../tools/harness/inventory";
import { ProgramError } from "../tools/harness/run";
import { StackInput, blueprintStackInput, readStackFile, runStackInput, withPlaceholderSecrets } from "../tools/harness/stacks";
import { readBlueprint } from "../stacks/spec/load";
import { PolicyReport, formatMarkdown as policyMarkdown, formatText as policyText, runPolicies } from "../policies/lib/runner";
import { TIERS, TIER_NAMES, TierName } from "../stacks/spec/tiers";
import { NotInspected, inspectedCount, maskPlaceholders, notInspected, policiesForType, tierForStack } from "./foreign/report";
import { runForeign } from "./foreign/run";
import { planFileOutputs, planFileResources, recordedConfig } from "./plan-format";

export type Target =
  | { kind: "stack"; stack: string; config?: Record<string, string> }
  | { kind: "blueprint"; blueprint: string; tier: TierName; config?: Record<string, string> }
  | { kind: "program"; file: string; stack?: string; config: Record<string, string>; tier?: string; timeoutMs?: number };

export interface PlanResult {
  title: string;
  target: Target;
  /**
   * ok | policy (mandatory violation) | invalid (spec rejected) | error (program failed) |
   * incomplete (a foreign program: something was not inspected, nothing was, or the run hit its deadline)
   */
  status: "ok" | "policy" | "invalid" | "error" | "incomplete";
  preview: boolean;
  inventory?: Inventory;
  policy?: PolicyReport;
  placeholders: string[];
  error?: string;
  /** Foreign programs: what the plan could not see, with the policies that could not run on it. */
  notInspected?: NotInspected[];
  /** Foreign programs: invokes answered with a generic guess built from their inputs. */
  guessed?: string[];
  /** Foreign programs: where the tier came from. */
  tierFrom?: string;
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
  return `program ${path.relative(process.cwd(), t.file) || "."}${t.stack ? ` (stack ${t.stack})` : ""}`;
}

/**
 * A program this repository has never seen, run as the Pulumi CLI would in an isolated child
 * process (scripts/foreign/run.ts) and judged by the pack on the tier from --tier or its stack name.
 */
async function planForeign(target: Extract<Target, { kind: "program" }>, opts: { preview: boolean; echo?: (s: string) => void }): Promise<PlanResult> {
  const run = await runForeign({
    program: target.file,
    stack: target.stack,
    config: target.config,
    preview: opts.preview,
    timeoutMs: target.timeoutMs,
    echo: opts.echo,
  });
  const { project, result } = run;
  const title = `program ${path.relative(process.cwd(), project.projectDir) || "."} (project ${project.project}, stack ${project.stack})`;
  const placeholders = [...project.placeholders, ...new Set(result.placeholders)];
  const guessed = result.invokes.filter((i) => i.kind === "generic").map((i) => `${i.token} (×${i.count})`);
  const { tier, from } = tierForStack(project.stack, target.tier);
  const base = { title, target, preview: opts.preview, placeholders, guessed, tierFrom: `${tier} (from ${from})` };
  if (!result.timedOut && (result.errors.length > 0 || result.missingInstall)) {
    const pending = result.pending.length ? `\nin flight: ${result.pending.join(", ")}` : "";
    const r: PlanResult = {
      ...base,
      status: "error",
      error: `the program failed (its @pulumi/pulumi ${result.pulumiVersion || "not found"}):\n  - ${result.errors.join("\n  - ")}${pending}`,
      json: {},
    };
    r.json = toJson(r);
    return r;
  }
  // Our placeholders are not the program's values: the pack sees them as not known (report.ts).
  const masked = maskPlaceholders(result.resources, placeholders);
  const inventory: Inventory = {
    project: project.project,
    stack: project.stack,
    preview: opts.preview,
    resources: masked.resources,
    outputs: result.outputs,
    secretOutputPaths: result.secretOutputPaths,
  };
  const policy = await runPolicies(inventory, { tier });
  const gaps = notInspected(
    result,
    policy.violations.filter((v) => v.unknown),
    { preview: opts.preview, placeholders: masked.uses },
  );
  if (inspectedCount(result) === 0)
    gaps.push({ what: "(the whole program)", reason: "no resource was registered that the pack could inspect", policies: policiesForType("") });
  const status: PlanResult["status"] = result.timedOut ? "incomplete" : policy.mandatory > 0 ? "policy" : gaps.length > 0 ? "incomplete" : "ok";
  const r: PlanResult = { ...base, status, inventory, policy, notInspected: gaps, ...(result.timedOut ? { error: result.errors.join("\n") } : {}), json: {} };
  r.json = toJson(r);
  return r;
}

export async function planTarget(target: Target, opts: { preview: boolean; echo?: (s: string) => void }): Promise<PlanResult> {
  const title = titleOf(target);
  let input: StackInput | undefined;
  if (target.kind === "program") return planForeign(target, opts);
  try {
    input = target.kind === "stack" ? withPlaceholderSecrets(readStackFile(target.stack)) : blueprintStackInput(target.blueprint, target.tier);
    if (target.config && Object.keys(target.config).length) {
      // --config on a stack or blueprint: the value replaces the stack file's (a secure key stays secret);
      // the plan file records the value of a secret key, or of a key named like one, as [secret].
      const secretKeys = input.secretKeys;
      input = { ...input, config: { ...input.config, ...target.config } };
      target = { ...target, config: recordedConfig(target.config, secretKeys) };
    }
    const inventory: Inventory = (await runStackInput(input, { preview: opts.preview })).inventory;
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

/** Exit status of a plan run: 2 a failed program or invalid spec, 1 a mandatory violation, 3 incomplete, 0 clean. */
export function exitCodeFor(results: PlanResult[]): 0 | 1 | 2 | 3 {
  const has = (...s: PlanResult["status"][]) => results.some((r) => s.includes(r.status));
  return has("invalid", "error") ? 2 : has("policy") ? 1 : has("incomplete") ? 3 : 0;
}

/** The pack's tier for a stack's `platform:tier` (the local tier is checked like dev). Foreign programs: scripts/foreign/report.ts (tierForStack). */
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

/** One plan as the `--json` file holds it (format 1, docs/plan-format.md; scripts/plan-format.ts masks, sorts and scrubs). */
function toJson(r: PlanResult): Record<string, unknown> {
  const inv = r.inventory;
  const key = (v: { policyName: string; urn?: string; message: string }) => `${v.policyName}\u0000${v.urn ?? ""}\u0000${v.message}`;
  return {
    title: r.title,
    // A program's --config values: a key named like a secret is recorded as [secret] (stack and blueprint targets: planTarget).
    target: r.target.kind === "program" ? { ...r.target, config: recordedConfig(r.target.config) } : r.target,
    status: r.status,
    mode: r.preview ? "preview" : "update",
    placeholders: r.placeholders,
    ...(r.tierFrom ? { tier: r.tierFrom } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.notInspected ? { notInspected: r.notInspected } : {}),
    ...(r.guessed?.length ? { guessedInvokes: r.guessed } : {}),
    ...(inv
      ? {
          counts: { resources: inv.resources.filter((x) => x.custom).length, components: inv.resources.filter((x) => !x.custom).length - 1 },
          types: Object.fromEntries(typeCounts(inv)),
          outputs: planFileOutputs(inv),
          resources: planFileResources(inv),
        }
      : {}),
    ...(r.policy
      ? {
          policy: {
            mandatory: r.policy.mandatory,
            advisory: r.policy.advisory,
            policiesRun: r.policy.policiesRun,
            violations: [...r.policy.violations].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
          },
        }
      : {}),
  };
}

export function renderText(r: PlanResult): string {
  const lines = [`== ${r.title} (${r.preview ? "preview" : "update"}) ==`];
  if (r.placeholders.length) lines.push(`placeholders (not in git, not decrypted): ${r.placeholders.join(", ")}`);
  if (r.tierFrom) lines.push(`tier: ${r.tierFrom}`);
  if (r.guessed?.length) lines.push(`invokes answered with a guess from their inputs: ${r.guessed.join(", ")}`);
  if (r.error && !r.inventory) {
    lines.push(r.status === "invalid" ? "INVALID SPEC" : "PROGRAM FAILED", r.error);
    return lines.join("\n");
  }
  if (r.error) lines.push(`INCOMPLETE: ${r.error}`);
  const inv = r.inventory!;
  const custom = inv.resources.filter((x) => x.custom);
  lines.push(
    `${custom.length} resources in ${Math.max(0, inv.resources.length - custom.length - 1)} components, ${custom.filter((x) => x.type.startsWith("pulumi:providers:")).length} providers`,
  );
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
  if (r.notInspected?.length) {
    lines.push(`NOT INSPECTED (${r.notInspected.length}): the report does not cover these; status incomplete unless a mandatory violation was found`);
    for (const n of r.notInspected)
      lines.push(
        `  ${n.type ? `${n.type} ` : ""}${n.what}`,
        `      ${n.reason}`,
        `      policies that could not run: ${n.policies.length ? n.policies.join(", ") : "none specific"}`,
      );
  }
  if (r.status === "incomplete") lines.push("status: INCOMPLETE (not clean)");
  return lines.join("\n");
}

export function renderMarkdown(results: PlanResult[]): string {
  const out = ["# Offline plan", "", "| target | status | resources | components | mandatory | advisory |", "| --- | --- | ---: | ---: | ---: | ---: |"];
  for (const r of results) {
    const inv = r.inventory;
    out.push(
      `| ${r.title} | ${r.status} | ${inv ? inv.resources.filter((x) => x.custom).length : "-"} | ${inv ? inv.resources.filter((x) => !x.custom).length - 1 : "-"} | ${r.policy?.mandatory ?? "-"} | ${r.policy?.advisory ?? "-"} |`,
    );
  }
  for (const r of results) {
    out.push("", `## ${r.title}`, "");
    if (r.placeholders.length) out.push(`Placeholders (not in git, not decrypted): ${r.placeholders.map((p) => `\`${p}\``).join(", ")}`, "");
    if (r.tierFrom) out.push(`Tier: ${r.tierFrom}`, "");
    if (r.error) {
      out.push("```", r.error, "```");
      if (!r.inventory) continue;
    }
    out.push("<details><summary>resources by type</summary>", "", "| type | count |", "| --- | ---: |");
    for (const [t, n] of typeCounts(r.inventory!)) out.push(`| \`${t}\` | ${n} |`);
    out.push("", "</details>");
    if (r.policy) out.push("", policyMarkdown(r.policy));
    if (r.notInspected?.length) {
      out.push(
        "",
        `**Not inspected (${r.notInspected.length})** — not covered by this report:`,
        "",
        "| what | why | policies that could not run |",
        "| --- | --- | --- |",
      );
      for (const n of r.notInspected)
        out.push(
          `| ${`${n.type ? `\`${n.type}\` ` : ""}${n.what}`.replace(/\|/g, "\\|")} | ${n.reason.replace(/\|/g, "\\|")} | ${n.policies.join(", ") || "-"} |`,
        );
    }
  }
  return out.join("\n") + "\n";
}
