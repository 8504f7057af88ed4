/**
 * `npm run plan -- --diff A.json B.json [--markdown FILE]`: what changed between two plan files
 * (format 1, docs/plan-format.md), target by target and resource by resource, as a reviewer
 * reads it in a pull request: resources added, removed and changed (with each changed path, old →
 * new), policy violations added and removed, and one summary line with a fixed shape for CI.
 *
 * The offline plan does not know whether a change updates a resource in place or replaces it (that
 * is the provider's call in a real preview), so a changed resource is "changed", never "replaced".
 * Secrets stay "[secret]" (a changed secret value is not visible); unknown values are "[unknown]".
 */
import { PlanFile, PlanFilePlan, PlanFileResource, PlanFileViolation, SECRET, UNKNOWN } from "./plan-format";

export interface Change {
  path: string;
  /** absent: the path is new */
  old?: unknown;
  /** absent: the path is gone */
  new?: unknown;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  /** The urn in A when the resource was renamed with an alias. */
  from?: string;
  changes: Change[];
}

export interface TargetDiff {
  title: string;
  /** compared: in both files; added: only in B; removed: only in A */
  presence: "compared" | "added" | "removed";
  status: { old?: string; new?: string };
  added: PlanFileResource[];
  removed: PlanFileResource[];
  changed: ResourceChange[];
  unchanged: number;
  outputs: Change[];
  violationsAdded: PlanFileViolation[];
  violationsRemoved: PlanFileViolation[];
}

export interface PlanDiff {
  targets: TargetDiff[];
  totals: {
    targets: number;
    targetsAdded: number;
    targetsRemoved: number;
    added: number;
    removed: number;
    changed: number;
    unchanged: number;
    violationsAdded: number;
    violationsRemoved: number;
  };
}

const ABSENT = Symbol("absent");

/** Leaf paths of a JSON value (empty objects and arrays are leaves), in the harness's path syntax. */
export function flatten(v: unknown, at = "", out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(v)) {
    if (v.length === 0) out.set(at, []);
    v.forEach((e, i) => flatten(e, `${at}[${i}]`, out));
  } else if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 0) out.set(at, {});
    for (const k of keys) {
      const step = /^[A-Za-z_$][\w$-]*$/.test(k) ? k : JSON.stringify(k);
      flatten((v as Record<string, unknown>)[k], step.startsWith('"') ? `${at}[${step}]` : at ? `${at}.${step}` : step, out);
    }
  } else out.set(at, v);
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The changed leaves between two values, prefixed with `prefix`. */
export function changesBetween(a: unknown, b: unknown, prefix: string): Change[] {
  const fa = flatten(a, prefix);
  const fb = flatten(b, prefix);
  const out: Change[] = [];
  for (const p of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    const x = fa.has(p) ? fa.get(p) : ABSENT;
    const y = fb.has(p) ? fb.get(p) : ABSENT;
    if (x !== ABSENT && y !== ABSENT && same(x, y)) continue;
    // An empty list or object that gained (or lost) entries: the entries are the change.
    const emptied = (v: unknown, other: Map<string, unknown>) =>
      v !== ABSENT &&
      typeof v === "object" &&
      v !== null &&
      Object.keys(v).length === 0 &&
      [...other.keys()].some((k) => k.startsWith(`${p}[`) || k.startsWith(`${p}.`));
    if ((y === ABSENT && emptied(x, fb)) || (x === ABSENT && emptied(y, fa))) continue;
    out.push({ path: p, ...(x !== ABSENT ? { old: x } : {}), ...(y !== ABSENT ? { new: y } : {}) });
  }
  return out;
}

function resourceChanges(a: PlanFileResource, b: PlanFileResource): Change[] {
  const out: Change[] = [];
  if (a.urn !== b.urn) out.push({ path: "urn", old: a.urn, new: b.urn });
  if (a.type !== b.type) out.push({ path: "type", old: a.type, new: b.type });
  if ((a.parent ?? null) !== (b.parent ?? null)) out.push({ path: "parent", ...(a.parent ? { old: a.parent } : {}), ...(b.parent ? { new: b.parent } : {}) });
  if ((a.provider?.urn ?? null) !== (b.provider?.urn ?? null))
    out.push({ path: "provider", ...(a.provider ? { old: a.provider.urn } : {}), ...(b.provider ? { new: b.provider.urn } : {}) });
  const da = new Set(a.dependencies);
  const db = new Set(b.dependencies);
  for (const d of a.dependencies) if (!db.has(d)) out.push({ path: "dependencies", old: d });
  for (const d of b.dependencies) if (!da.has(d)) out.push({ path: "dependencies", new: d });
  out.push(...changesBetween(a.options, b.options, "options"));
  out.push(...changesBetween(a.inputs, b.inputs, "inputs"));
  return out;
}

function violationKey(v: PlanFileViolation): string {
  return `${v.enforcementLevel}\u0000${v.policyName}\u0000${v.urn ?? ""}\u0000${v.message}`;
}

function keyed(plans: PlanFilePlan[]): Map<string, PlanFilePlan> {
  const out = new Map<string, PlanFilePlan>();
  const seen = new Map<string, number>();
  for (const p of plans) {
    const n = (seen.get(p.title) ?? 0) + 1;
    seen.set(p.title, n);
    out.set(n === 1 ? p.title : `${p.title} #${n}`, p);
  }
  return out;
}

function diffTarget(title: string, a: PlanFilePlan | undefined, b: PlanFilePlan | undefined): TargetDiff {
  const ra = new Map((a?.resources ?? []).map((r) => [r.urn, r]));
  const rb = new Map((b?.resources ?? []).map((r) => [r.urn, r]));
  const added = [...rb.values()].filter((r) => !ra.has(r.urn));
  const removed = [...ra.values()].filter((r) => !rb.has(r.urn));
  const changed: ResourceChange[] = [];
  let unchanged = 0;
  for (const [urn, x] of ra) {
    const y = rb.get(urn);
    if (!y) continue;
    const changes = resourceChanges(x, y);
    if (changes.length) changed.push({ urn, type: y.type, name: y.name, changes });
    else unchanged++;
  }
  // A resource renamed with an alias to its old urn is the same resource, changed.
  for (const y of [...added]) {
    const aliases = (y.options.aliases as string[] | undefined) ?? [];
    const x = removed.find((r) => aliases.includes(r.urn));
    if (!x) continue;
    added.splice(added.indexOf(y), 1);
    removed.splice(removed.indexOf(x), 1);
    changed.push({ urn: y.urn, type: y.type, name: y.name, from: x.urn, changes: resourceChanges(x, y) });
  }
  changed.sort((p, q) => (p.urn < q.urn ? -1 : p.urn > q.urn ? 1 : 0));
  const va = new Map((a?.policy?.violations ?? []).map((v) => [violationKey(v), v]));
  const vb = new Map((b?.policy?.violations ?? []).map((v) => [violationKey(v), v]));
  return {
    title,
    presence: a && b ? "compared" : b ? "added" : "removed",
    status: { ...(a ? { old: a.status } : {}), ...(b ? { new: b.status } : {}) },
    added,
    removed,
    changed,
    unchanged,
    outputs: a && b ? changesBetween(a.outputs ?? {}, b.outputs ?? {}, "") : [],
    violationsAdded: [...vb].filter(([k]) => !va.has(k)).map(([, v]) => v),
    violationsRemoved: [...va].filter(([k]) => !vb.has(k)).map(([, v]) => v),
  };
}

/** Compare plan file A (before) with B (after). */
export function diffPlans(a: PlanFile, b: PlanFile): PlanDiff {
  const ka = keyed(a.plans);
  const kb = keyed(b.plans);
  const titles = [...ka.keys(), ...[...kb.keys()].filter((t) => !ka.has(t))];
  const targets = titles.map((t) => diffTarget(t, ka.get(t), kb.get(t)));
  const sum = (f: (t: TargetDiff) => number) => targets.reduce((n, t) => n + f(t), 0);
  return {
    targets,
    totals: {
      targets: targets.length,
      targetsAdded: targets.filter((t) => t.presence === "added").length,
      targetsRemoved: targets.filter((t) => t.presence === "removed").length,
      added: sum((t) => t.added.length),
      removed: sum((t) => t.removed.length),
      changed: sum((t) => t.changed.length),
      unchanged: sum((t) => t.unchanged),
      violationsAdded: sum((t) => t.violationsAdded.length),
      violationsRemoved: sum((t) => t.violationsRemoved.length),
    },
  };
}

/**
 * The one-line summary, fixed shape for CI (docs/plan-format.md):
 * `plan diff: T targets (TA added, TR removed); resources: A added, R removed, C changed, U unchanged; policy violations: VA added, VR removed`
 */
export function summaryLine(d: PlanDiff): string {
  const t = d.totals;
  return `plan diff: ${t.targets} targets (${t.targetsAdded} added, ${t.targetsRemoved} removed); resources: ${t.added} added, ${t.removed} removed, ${t.changed} changed, ${t.unchanged} unchanged; policy violations: ${t.violationsAdded} added, ${t.violationsRemoved} removed`;
}

export const MAX_VALUE = 80;

/** A value as the diff shows it: JSON, markers bare, long values shortened to their start and length. */
export function show(v: unknown): string {
  if (v === SECRET || v === UNKNOWN) return v;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 20)}… (${s.length} chars)` : s;
}

/** A change as one or more lines: `path: old → new`; multi-line strings show only the lines that differ. */
export function changeLines(c: Change): string[] {
  if (!("old" in c)) return [`${c.path}: + ${show(c.new)}`];
  if (!("new" in c)) return [`${c.path}: - ${show(c.old)}`];
  if (typeof c.old === "string" && typeof c.new === "string" && (c.old.includes("\n") || c.new.includes("\n"))) {
    const x = c.old.split("\n");
    const y = c.new.split("\n");
    let head = 0;
    while (head < x.length && head < y.length && x[head] === y[head]) head++;
    let tail = 0;
    while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
    const gone = x.slice(head, x.length - tail);
    const come = y.slice(head, y.length - tail);
    const MAX = 6;
    const out = [`${c.path}: text changed at line ${head + 1} (${gone.length} line(s) → ${come.length} line(s))`];
    for (const l of gone.slice(0, MAX)) out.push(`    - ${show(l)}`);
    if (gone.length > MAX) out.push(`    - … ${gone.length - MAX} more`);
    for (const l of come.slice(0, MAX)) out.push(`    + ${show(l)}`);
    if (come.length > MAX) out.push(`    + … ${come.length - MAX} more`);
    return out;
  }
  return [`${c.path}: ${show(c.old)} → ${show(c.new)}`];
}

function violationLine(v: PlanFileViolation): string {
  return `${v.enforcementLevel} ${v.policyName}${v.resourceName ? ` on ${v.resourceType ?? ""} ${v.resourceName}` : ""}: ${v.message}`;
}

function quiet(t: TargetDiff): boolean {
  return (
    t.presence === "compared" &&
    t.status.old === t.status.new &&
    !t.added.length &&
    !t.removed.length &&
    !t.changed.length &&
    !t.outputs.length &&
    !t.violationsAdded.length &&
    !t.violationsRemoved.length
  );
}

export function renderDiffText(d: PlanDiff): string {
  const out: string[] = [];
  for (const t of d.targets) {
    if (quiet(t)) continue;
    out.push(`== ${t.title} ==`);
    if (t.presence !== "compared") out.push(`target ${t.presence} (status ${t.status.new ?? t.status.old})`);
    else if (t.status.old !== t.status.new) out.push(`status: ${t.status.old} → ${t.status.new}`);
    for (const r of t.added) out.push(`+ ${r.type} ${r.name}  (${r.urn})`);
    for (const r of t.removed) out.push(`- ${r.type} ${r.name}  (${r.urn})`);
    for (const r of t.changed) {
      out.push(`~ ${r.type} ${r.name}  (${r.urn})${r.from ? ` renamed from ${r.from}` : ""}`);
      for (const c of r.changes) for (const l of changeLines(c)) out.push(`    ${l}`);
    }
    for (const c of t.outputs) for (const l of changeLines({ ...c, path: `outputs.${c.path}` })) out.push(`  ${l}`);
    for (const v of t.violationsAdded) out.push(`  policy violation added: ${violationLine(v)}`);
    for (const v of t.violationsRemoved) out.push(`  policy violation removed: ${violationLine(v)}`);
    out.push("");
  }
  const quietCount = d.targets.filter(quiet).length;
  if (quietCount) out.push(`${quietCount} target(s) without a change`);
  out.push(summaryLine(d));
  return out.join("\n") + "\n";
}

/** Inline code that survives any backticks in `s`. */
function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  return longest ? `${fence} ${s} ${fence}` : `${fence}${s}${fence}`;
}

/** Paths shown per changed resource in Markdown before "… and N more" (the text output shows all). */
export const MARKDOWN_PATHS = 25;

/** Markdown stops adding targets past this many characters (a job summary holds 1 MiB, a PR comment 64 KiB of text per call). */
export const MARKDOWN_BUDGET = 900_000;

export function renderDiffMarkdown(d: PlanDiff, budget = MARKDOWN_BUDGET): string {
  const out = ["## Offline plan diff", "", code(summaryLine(d)), ""];
  const size = () => out.reduce((n, l) => n + l.length + 1, 0);
  let left = 0;
  out.push(
    "A changed resource may be updated in place or replaced: the offline plan cannot tell; the cloud preview does. Secrets show as `[secret]` (a changed secret is not visible), values not known before deploy as `[unknown]`.",
    "",
  );
  for (const t of d.targets) {
    if (quiet(t)) continue;
    if (size() > budget) {
      left++;
      continue;
    }
    out.push(`### ${t.title}`, "");
    if (t.presence !== "compared") out.push(`Target ${t.presence} (status ${code(String(t.status.new ?? t.status.old))}).`, "");
    else if (t.status.old !== t.status.new) out.push(`Status: ${code(String(t.status.old))} → ${code(String(t.status.new))}`, "");
    if (t.added.length) {
      out.push(`**Added (${t.added.length})**`, "");
      for (const r of t.added) out.push(`- ${code(r.type)} **${r.name}** (${code(r.urn)})`);
      out.push("");
    }
    if (t.removed.length) {
      out.push(`**Removed (${t.removed.length})**`, "");
      for (const r of t.removed) out.push(`- ${code(r.type)} **${r.name}** (${code(r.urn)})`);
      out.push("");
    }
    if (t.changed.length) {
      out.push(`**Changed (${t.changed.length})**`, "");
      for (const r of t.changed) {
        out.push(`- ${code(r.type)} **${r.name}** (${code(r.urn)})${r.from ? `, renamed from ${code(r.from)}` : ""}`);
        const lines = r.changes.flatMap((c) => changeLines(c).map((l, i) => (i === 0 ? l : l.trim())));
        for (const l of lines.slice(0, MARKDOWN_PATHS)) out.push(`  - ${code(l)}`);
        if (lines.length > MARKDOWN_PATHS) out.push(`  - … and ${lines.length - MARKDOWN_PATHS} more (the text output lists all)`);
      }
      out.push("");
    }
    if (t.outputs.length) {
      out.push(`**Stack outputs changed (${t.outputs.length})**`, "");
      for (const c of t.outputs) for (const l of changeLines(c)) out.push(`- ${code(l)}`);
      out.push("");
    }
    if (t.violationsAdded.length || t.violationsRemoved.length) {
      out.push(`**Policy violations: ${t.violationsAdded.length} added, ${t.violationsRemoved.length} removed**`, "");
      for (const v of t.violationsAdded)
        out.push(
          `- added: ${v.enforcementLevel === "mandatory" ? "**mandatory**" : v.enforcementLevel} ${code(v.policyName)}${v.resourceName ? ` on ${code(v.resourceName)}` : ""}: ${v.message.replace(/\n/g, " ")}`,
        );
      for (const v of t.violationsRemoved)
        out.push(
          `- removed: ${v.enforcementLevel} ${code(v.policyName)}${v.resourceName ? ` on ${code(v.resourceName)}` : ""}: ${v.message.replace(/\n/g, " ")}`,
        );
      out.push("");
    }
  }
  if (left)
    out.push(`… and ${left} more changed target(s), left out to keep this under ${budget} characters: the text output (the step's log) lists every one.`, "");
  const quietCount = d.targets.filter(quiet).length;
  if (quietCount) out.push(`${quietCount} target(s) without a change.`, "");
  return out.join("\n");
}
