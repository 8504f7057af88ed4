/**
 * The generated docs: `npm run docs -- --check` (the CI gate) finds nothing stale, and the
 * renderers are deterministic and complete.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateDocs, staleFiles } from "../../scripts/docs";
import { environmentsPage, mermaid, tierFieldDocs } from "../../scripts/docs/render";
import { topologyOf } from "../../scripts/docs/topology";
import { blueprintSpec } from "../../stacks/spec/blueprint";
import { readBlueprint, availableBlueprints } from "../../stacks/spec/load";
import { TIERS, TIER_NAMES } from "../../stacks/spec/tiers";
import { REPO_ROOT } from "../../tools/harness/stacks";
import type { Inventory } from "../../tools/harness/inventory";

/** Mermaid's own parser (it sanitises labels with DOMPurify, so it needs a DOM: jsdom). */
async function mermaidParser(): Promise<(src: string) => Promise<unknown>> {
  // jsdom ships no type declarations; only its constructor is used here.
  const { JSDOM } = (await import("jsdom" as string)) as { JSDOM: new (html: string) => { window: { document: unknown } } };
  const dom = new JSDOM("<!doctype html><html><body></body></html>");
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  const mermaid = (await import("mermaid")).default;
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  return (src) => mermaid.parse(src);
}
afterAll(() => {
  delete (globalThis as Record<string, unknown>).window;
  delete (globalThis as Record<string, unknown>).document;
});

const EMPTY: Inventory = { project: "platform", stack: "t", preview: false, resources: [], outputs: {}, secretOutputPaths: [] };

describe("generated docs", () => {
  it("are current: every blueprint × tier diagram and the environment matrix match `npm run docs` (else run it and commit)", async () => {
    const files = await generateDocs();
    expect(files.map((f) => f.file)).toEqual([
      ...availableBlueprints().map((b) => `docs/blueprints/${b}.md`),
      "docs/blueprints/README.md",
      "docs/environments.md",
      "docs/delivery-flow.md",
    ]);
    expect(staleFiles(files)).toEqual([]);
    for (const f of files) expect(f.content).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  }, 300_000);

  it("every committed diagram parses with the real Mermaid parser (and a broken one does not)", async () => {
    const parse = await mermaidParser();
    const dir = path.join(REPO_ROOT, "docs/blueprints");
    let n = 0;
    for (const f of fs
      .readdirSync(dir)
      .filter((x) => x.endsWith(".md"))
      .sort()) {
      for (const m of fs.readFileSync(path.join(dir, f), "utf8").matchAll(/```mermaid\n([\s\S]*?)```/g)) {
        await expect(parse(m[1]!), f).resolves.toMatchObject({ diagramType: "flowchart-v2" });
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(availableBlueprints().length);
    await expect(parse('flowchart LR\n  a["x"] --> b(\n')).rejects.toThrow(/Parse error/);
  }, 60_000);

  it("the check names a changed, a missing and an orphaned file", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "docs-check-"));
    try {
      fs.mkdirSync(path.join(root, "docs/blueprints"), { recursive: true });
      fs.writeFileSync(path.join(root, "docs/blueprints/a.md"), "old\n");
      fs.writeFileSync(path.join(root, "docs/blueprints/gone.md"), "x\n");
      const files = [
        { file: "docs/blueprints/a.md", content: "new\n" },
        { file: "docs/environments.md", content: "m\n" },
      ];
      expect(staleFiles(files, root)).toEqual(["docs/blueprints/a.md", "docs/environments.md", "docs/blueprints/gone.md (no such blueprint any more)"]);
      fs.writeFileSync(path.join(root, "docs/blueprints/a.md"), "new\n");
      fs.writeFileSync(path.join(root, "docs/environments.md"), "m\n");
      fs.rmSync(path.join(root, "docs/blueprints/gone.md"));
      expect(staleFiles(files, root)).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("the environment matrix renders every TierProfile field for every tier, with its meaning", () => {
    const src = fs.readFileSync(path.join(REPO_ROOT, "stacks/spec/tiers.ts"), "utf8");
    const page = environmentsPage(src);
    expect(page).toContain(`| setting | ${TIER_NAMES.join(" | ")} | meaning |`);
    for (const key of Object.keys(TIERS.prod)) {
      const row = page.split("\n").find((l) => l.startsWith(`| \`${key}\` |`));
      expect(row, key).toBeDefined();
      expect(row!.split(" | ").at(-1)!.replace(/ \|$/, "").trim().length, `meaning of ${key}`).toBeGreaterThan(0);
    }
    expect(tierFieldDocs(src).replicas).toMatch(/Replicas of a replicated service/);
    expect(page).toContain("| Backup | none | daily | daily | hourly+daily |");
  });

  it("a diagram shows every declared node and flow, dashing what the inventory does not provision", () => {
    const bp = blueprintSpec.parse(readBlueprint("music-platform-gitops").data);
    const m = mermaid(topologyOf(EMPTY, bp, "prod", "kubernetes"));
    expect(m.startsWith("flowchart LR\n")).toBe(true);
    for (const id of [
      "n_edge",
      "n_entry",
      "svc_web",
      "svc_api",
      "svc_worker",
      "svc_solana_rpc",
      "ds_postgres_main",
      "ds_redis_cache",
      "ds_ipfs_media",
      "ds_objectStore_backups",
      "n_monitoring",
      "ext_solana_mainnet",
    ]) {
      expect(m, id).toMatch(new RegExp(`^\\s+${id}[\\[(]`, "m"));
    }
    expect(m).toContain('svc_solana_rpc -->|"443/TCP"| ext_solana_mainnet');
    expect(m).toContain('svc_api -->|"SQL/TLS :5432"| ds_postgres_main');
    expect(m).toContain('n_entry -->|"api"| svc_api');
    expect(m).toMatch(/^\s+class .*svc_api.* missing$/m);
    expect(mermaid(topologyOf(EMPTY, bp, "prod", "kubernetes"))).toBe(m);
  });
});
