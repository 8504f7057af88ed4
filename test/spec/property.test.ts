/**
 * Property test: fast-check breaks a valid spec in one place — a wrong type, a missing required
 * field, an unknown key, an out-of-range number or a bad name — and every broken spec must be
 * rejected with an issue pointing at (or inside) the broken field, by the real program under the
 * harness, with nothing registered.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { SpecError } from "../../stacks/spec/errors";
import { loadSpec } from "../../stacks/spec/load";
import { ProgramError, runProgram } from "../../tools/harness/run";
import { richBlueprint, richConfig } from "./fixtures";

type Path = (string | number)[];
type Root = { config: any; blueprint: any };
type Mutation = { kind: "wrongType" | "missing" | "unknownKey" | "outOfRange" | "badName"; at: Path; apply: (root: Root) => void };

function walk(node: unknown, at: Path, visit: (value: unknown, at: Path) => void) {
  visit(node, at);
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...at, i], visit));
  else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) walk(v, [...at, k], visit);
}

function setAt(root: any, at: Path, fn: (parent: any, key: string | number) => void) {
  let cur = root;
  for (const k of at.slice(0, -1)) cur = cur[k];
  fn(cur, at[at.length - 1]!);
}

/** Required fields of the schema (present in the rich fixture). */
const REQUIRED: Path[] = [
  ["config", "tier"],
  ["config", "blueprint"],
  ["config", "domain"],
  ["blueprint", "name"],
  ["blueprint", "description"],
  ["blueprint", "hosting"],
  ["blueprint", "services"],
  ["blueprint", "services", 0, "name"],
  ["blueprint", "services", 0, "image"],
  ["blueprint", "services", 0, "ports"],
  ["blueprint", "services", 0, "ports", "http"],
  ["blueprint", "services", 0, "probes"],
  ["blueprint", "services", 0, "probes", "liveness"],
  ["blueprint", "services", 0, "probes", "readiness", "path"],
  ["blueprint", "services", 0, "exposure"],
  ["blueprint", "services", 1, "exposure"],
  ["blueprint", "services", 0, "rateLimits", "api", "requestsPerSecond"],
  ["blueprint", "services", 0, "cors", "allowedOrigins"],
  ["blueprint", "services", 1, "autoscaling", "custom", "metric"],
  ["blueprint", "dataStores", "postgres", 0, "name"],
  ["blueprint", "dataStores", "scylla", 0, "keyspaces"],
  ["blueprint", "dataStores", "scylla", 0, "keyspaces", 1, "durability"],
  ["blueprint", "externalNetworks", "peer", "cidrs"],
  ["blueprint", "externalNetworks", "peer", "ports"],
  ["blueprint", "edge", "app"],
  ["blueprint", "secrets", "external", 0, "name"],
  ["config", "cloudflare", "zoneId"],
  ["config", "certificates", "email"],
];

/** Fields that are names: a bad name must be refused. */
const NAME_KEYS = new Set(["name", "blueprint", "host", "group"]);
const NAME_LISTS = new Set(["connectsTo", "calls", "egress"]);

function candidates(): Mutation[] {
  const base: Root = { config: richConfig(), blueprint: richBlueprint() };
  const out: Mutation[] = [];
  walk(base, [], (value, at) => {
    if (at.length < 2) return;
    const key = at[at.length - 1]!;
    const parentKey = at[at.length - 2];
    // wrong type: swap the JS type of any value
    const wrong = typeof value === "string" ? 12345 : typeof value === "number" ? String(value) : typeof value === "boolean" ? "yes" : "not-a-structure";
    out.push({ kind: "wrongType", at, apply: (r) => setAt(r, at, (p, k) => (p[k] = wrong)) });
    if (typeof value === "number") {
      out.push({ kind: "outOfRange", at, apply: (r) => setAt(r, at, (p, k) => (p[k] = -1)) });
      out.push({ kind: "outOfRange", at, apply: (r) => setAt(r, at, (p, k) => (p[k] = -99999)) });
    }
    if (value && typeof value === "object" && !Array.isArray(value)) {
      out.push({ kind: "unknownKey", at: [...at, "zzUnknownKey"], apply: (r) => setAt(r, [...at, "zzUnknownKey"], (p, k) => (p[k] = {})) });
    }
    if (typeof value === "string" && (NAME_KEYS.has(String(key)) || NAME_LISTS.has(String(parentKey)))) {
      for (const bad of ["Bad_Name!", "", "-leading-dash", "UPPER"]) out.push({ kind: "badName", at, apply: (r) => setAt(r, at, (p, k) => (p[k] = bad)) });
    }
  });
  for (const at of REQUIRED) out.push({ kind: "missing", at, apply: (r) => setAt(r, at, (p, k) => (Array.isArray(p) ? p.splice(Number(k), 1) : delete p[k])) });
  return out;
}

/** `["blueprint","services",0,"ports"]` → file and the path prefix the issue must start with. */
function expectedLocation(at: Path): { file: RegExp; prefix: string } {
  const [root, ...rest] = at;
  if (root === "config") {
    const [key, ...sub] = rest;
    const subPath = sub.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("");
    return { file: /^Pulumi\.prod\.yaml$/, prefix: `platform:${String(key)}${subPath}` };
  }
  const p = rest.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${k}`)).join("");
  return { file: /^blueprints\/|^Pulumi\.prod\.yaml$/, prefix: p };
}

function issueMatches(issues: SpecError["issues"], m: Mutation): boolean {
  const { file, prefix } = expectedLocation(m.at);
  // The issue points at the broken field, at its parent (a missing or unknown key is reported
  // on the object holding it), or, for names referenced elsewhere, at the stack's blueprint key.
  const parent = prefix.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
  return issues.some((i) => {
    const p = i.path.replace(/ \([^)]*\)/g, "");
    if (!file.test(i.file) && !(m.at[0] === "config" && m.at[1] === "blueprint")) return false;
    return p === prefix || p.startsWith(prefix + ".") || p.startsWith(prefix + "[") || p === parent || (m.kind !== "missing" && p.startsWith(parent));
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "broken-blueprints-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("property: broken specs are rejected with a field path and register nothing", () => {
  const all = candidates();

  it("has candidates of every kind", () => {
    const kinds = new Set(all.map((m) => m.kind));
    expect([...kinds].sort()).toEqual(["badName", "missing", "outOfRange", "unknownKey", "wrongType"]);
    expect(all.length).toBeGreaterThan(300);
  });

  it("the location matcher refuses an issue reported elsewhere", () => {
    const m = all.find((x) => x.kind === "outOfRange" && x.at.join(".") === "blueprint.services.0.ports.http")!;
    expect(m).toBeDefined();
    const elsewhere = [{ file: "blueprints/rich.yaml", path: "services[1] (worker).ports.http", message: "x" }];
    const here = [{ file: "blueprints/rich.yaml", path: "services[0] (api).ports.http", message: "x" }];
    expect(issueMatches(elsewhere, m)).toBe(false);
    expect(issueMatches(here, m)).toBe(true);
  });

  it("1,000 generated broken specs are all rejected by the spec with an issue at the broken field", () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: all.length - 1 }), (i) => {
        const m = all[i]!;
        const root: Root = { config: richConfig(), blueprint: richBlueprint() };
        m.apply(root);
        runs++;
        let issues: SpecError["issues"] | undefined;
        try {
          loadSpec({ stack: "prod", config: root.config, blueprint: root.blueprint });
        } catch (err) {
          if (!(err instanceof SpecError)) throw err;
          issues = err.issues;
        }
        if (!issues) throw new Error(`accepted: ${m.kind} at ${m.at.join(".")}`);
        if (!issueMatches(issues, m)) {
          throw new Error(`${m.kind} at ${m.at.join(".")}: no issue at the field; got\n${issues.map((x) => `${x.file}: ${x.path}: ${x.message}`).join("\n")}`);
        }
      }),
      { numRuns: 1000, seed: 20261122 },
    );
    expect(runs).toBeGreaterThanOrEqual(1000);
  });

  it("every candidate mutation, run through the real program under the harness, registers nothing", async () => {
    const { main } = await import("../../stacks/program");
    let checked = 0;
    for (const m of all) {
      const root: Root = { config: richConfig(), blueprint: richBlueprint() };
      m.apply(root);
      const bpName = typeof root.config.blueprint === "string" && /^[a-z][-a-z0-9]*$/.test(root.config.blueprint) ? root.config.blueprint : "rich";
      fs.writeFileSync(path.join(tmp, `${bpName}.yaml`), stringify(root.blueprint));
      const config = Object.fromEntries(Object.entries(root.config).map(([k, v]) => [`platform:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
      process.env.PLATFORM_BLUEPRINTS_DIR = tmp;
      const err = await runProgram(() => main(), { stack: "prod", config }).catch((e) => e);
      delete process.env.PLATFORM_BLUEPRINTS_DIR;
      fs.rmSync(path.join(tmp, `${bpName}.yaml`), { force: true });
      expect(err, `${m.kind} at ${m.at.join(".")}`).toBeInstanceOf(ProgramError);
      expect((err as ProgramError).message).toMatch(/invalid platform spec for stack 'prod'/);
      expect((err as ProgramError).inventory.resources.filter((r) => r.custom)).toEqual([]);
      checked++;
    }
    expect(checked).toBe(all.length);
  });
});
