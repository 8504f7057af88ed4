/**
 * Spec errors: every problem at once, each with the file, the field path and how to fix it.
 */
import type { z } from "zod";

export interface SpecIssue {
  /** The file the field lives in: `Pulumi.prod.yaml` or `blueprints/relay.yaml`. */
  file: string;
  /** Field path in that file: `platform:host.sshAllowList[0]` or `services[1] (worker).ports.metrics`. */
  path: string;
  message: string;
}

export class SpecError extends Error {
  constructor(
    readonly stackName: string,
    readonly issues: SpecIssue[],
  ) {
    super(formatIssues(stackName, issues));
    this.name = "SpecError";
  }
}

export function formatIssues(stack: string, issues: SpecIssue[]): string {
  const n = issues.length;
  const lines = issues.map((i) => `  - ${i.file}: ${i.path || "(top level)"}: ${i.message}`);
  return `invalid platform spec for stack '${stack}' (${n} problem${n === 1 ? "" : "s"}); nothing was registered:\n${lines.join("\n")}`;
}

/** `["services", 0, "ports"]` → `services[0] (api).ports`, naming list items where the data has a name. */
export function renderPath(path: readonly PropertyKey[], data: unknown): string {
  let out = "";
  let cur: any = data;
  for (const key of path) {
    if (typeof key === "number") {
      out += `[${key}]`;
      cur = Array.isArray(cur) ? cur[key] : undefined;
      if (cur && typeof cur === "object" && typeof cur.name === "string") out += ` (${cur.name})`;
    } else {
      const k = String(key);
      out += out ? (/^[\w$-]+$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`) : k;
      cur = cur && typeof cur === "object" ? cur[k] : undefined;
    }
  }
  return out;
}

/** A message with the fix, for each kind of zod issue. Values of secrets are never echoed. */
export function describeZodIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}: remove ${issue.keys.length > 1 ? "them" : "it"} or fix the spelling`;
    case "invalid_type":
      return issue.input === undefined ? `required: add this field (${issue.expected})` : `expected ${issue.expected}, got ${describeType(issue.input)}`;
    case "invalid_value":
      // A schema's own message (e.g. why a once-valid value is refused now) is kept.
      if (!/^Invalid (input|option)/.test(issue.message)) return issue.message;
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      if (!/^Too small/.test(issue.message)) return issue.message;
      if (issue.origin === "array" || issue.origin === "set") return `needs at least ${issue.minimum} item${Number(issue.minimum) === 1 ? "" : "s"}`;
      return issue.origin === "string" ? "must not be empty" : `must be ≥ ${issue.minimum}`;
    case "too_big":
      if (!/^Too big/.test(issue.message)) return issue.message;
      return issue.origin === "array" ? `at most ${issue.maximum} items` : `must be ≤ ${issue.maximum}`;
    case "invalid_format":
      return issue.message;
    case "invalid_union":
      return issue.message && !issue.message.startsWith("Invalid input") ? issue.message : "does not match any allowed form";
    default:
      return issue.message;
  }
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "number" && !Number.isInteger(v)) return "a fractional number";
  return typeof v;
}
