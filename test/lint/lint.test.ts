// Lint and format checks inside `npm test`, so the closing "N passed, N failed" line counts them.
//
// ESLint runs the repository's own eslint.config.mjs through its Node API on the whole tree (the
// same as `npm run lint`); every error is listed as file:line rule message. Prettier checks every
// file git knows that .prettierignore does not exclude (the same as `npm run format:check`), and
// lists the files that `npm run format` would change.
//
// The probes below show that each kind of rule fires on a file that breaks it — a layering import,
// a runtime import cycle and a type-only import cycle, a floating promise, a badly formatted file —
// so an empty violation list means the tree is clean, not that the config lost a rule.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ESLint, type Linter } from "eslint";
import * as prettier from "prettier";
import { afterAll, describe, expect, it } from "vitest";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const LONG = 600_000; // the whole tree, type-aware, on a loaded 2-core machine
const rel = (f: string) => path.relative(REPO_ROOT, f);

function describeResults(results: ESLint.LintResult[], base = REPO_ROOT): string[] {
  const out: string[] = [];
  for (const r of results)
    for (const m of r.messages)
      if (m.severity === 2 || m.fatal) out.push(`${path.relative(base, r.filePath)}:${m.line} ${m.ruleId ?? "parse-error"} ${m.message}`);
  return out;
}

/** The repository's config with the type-aware rules off, for snippets that are not in tsconfig.json's program. */
const UNTYPED: Linter.Config[] = [
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { project: null } },
    rules: {
      "@typescript-eslint/no-floating-promises": "off",
      "@typescript-eslint/no-misused-promises": "off",
      "@typescript-eslint/await-thenable": "off",
      "@typescript-eslint/no-for-in-array": "off",
      "@typescript-eslint/no-array-delete": "off",
      "@typescript-eslint/no-implied-eval": "off",
    },
  },
];

describe("ESLint (eslint.config.mjs)", () => {
  it(
    "the whole tree has no violation: no import cycle, no layering breach, no floating promise",
    async () => {
      const eslint = new ESLint({ cwd: REPO_ROOT });
      const violations = describeResults(await eslint.lintFiles(["."]));
      expect(violations, `${violations.length} ESLint violations:\n${violations.join("\n")}`).toEqual([]);
    },
    LONG,
  );

  it("layering: each boundary is refused with a message naming it and the fix", async () => {
    const eslint = new ESLint({ cwd: REPO_ROOT, overrideConfig: UNTYPED });
    const lint = async (file: string, code: string) =>
      (await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) }))[0]!.messages.map((m) => `${m.line} ${m.ruleId}: ${m.message}`);

    const components = await lint(
      "components/data/probe.ts",
      [
        'import "../../stacks/spec/tiers";',
        'import "../../scripts/plan-lib";',
        'import "../../tools/harness/stacks";',
        'import "../../test/harness/planned";',
        'import "../edge/headers";',
      ].join("\n"),
    );
    expect(components).toHaveLength(4);
    expect(components[0]).toMatch(/^1 import-x\/no-restricted-paths: .*components\/ must not import stacks\/ .*pass the value in as an argument/);
    expect(components[1]).toMatch(/^2 .*components\/ must not import scripts\//);
    expect(components[2]).toMatch(/^3 .*components\/ must not import tools\//);
    expect(components[3]).toMatch(/^4 .*components\/ (must not import test\/|is product code and must not import test\/)/);

    const policies = await lint(
      "policies/lib/probe.ts",
      [
        'import "../../components/edge/headers";',
        'import "../../scripts/plan-lib";',
        'import "../../test/harness/planned";',
        'import type { Inventory } from "../../tools/harness/inventory";',
        'import "../../tools/cluster/kube";',
        'import "./util";',
        "export type I = Inventory;",
      ].join("\n"),
    );
    expect(policies.map((m) => m.split(":")[0])).toEqual([
      "1 import-x/no-restricted-paths",
      "2 import-x/no-restricted-paths",
      "3 import-x/no-restricted-paths",
      "5 import-x/no-restricted-paths",
    ]);
    expect(policies[0]).toMatch(/policies\/ must not import components\/: the pack ships on its own/);
    expect(policies[3]).toMatch(/policies\/ may import only tools\/harness\//);

    // every product folder: no test/ import, by import, require or import()
    for (const dir of ["stacks/compose", "scripts", "tools/harness", "bench", "blueprints"]) {
      const up = "../".repeat(dir.split("/").length);
      const found = await lint(
        `${dir}/probe.ts`,
        [
          `import "${up}test/harness/planned";`,
          `const a = require("${up}test/harness/planned");`,
          `const b = import("${up}test/harness/planned");`,
          "export { a, b };",
        ].join("\n"),
      );
      expect(found, dir).toHaveLength(3);
      for (const m of found) expect(m, dir).toMatch(/is product code and must not import test\/: move the piece it needs out of test\//);
    }
    // and test/ may import anything
    expect(
      await lint("test/stacks/probe.ts", 'import "../../components/edge/headers";\nimport "../../scripts/plan-lib";\nimport "../../stacks/spec/tiers";'),
    ).toEqual([]);
  });

  describe("cycles and floating promises, on a scratch project with the same rules", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lint-probe-"));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (files: Record<string, string>) => {
      for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
    };

    it("a runtime cycle (import-x/no-cycle) and a type-only cycle (repo/no-type-import-cycle) are both refused", async () => {
      write({
        "a.ts": 'import { b } from "./b";\nexport const a = () => b();\n',
        "b.ts": 'import { a } from "./a";\nexport const b = () => a();\n',
        "plan.ts": 'import { ingress } from "./ingress";\nexport interface Manifest { kind: string }\nexport const plan = (): Manifest[] => ingress();\n',
        "ingress.ts": 'import type { Manifest } from "./plan";\nexport const ingress = (): Manifest[] => [];\n',
        "leaf.ts": 'import type { Manifest } from "./plan";\nexport type M = Manifest;\n',
      });
      execFileSync("git", ["init", "-q"], { cwd: dir });
      const { importX, createNodeResolver } = await import("eslint-plugin-import-x");
      const repo = ((await import(pathToFileURL(path.join(REPO_ROOT, "tools/lint/type-cycles.mjs")).href)) as { default: ESLint.Plugin }).default;
      const tseslint = (await import("typescript-eslint")).default;
      const eslint = new ESLint({
        cwd: dir,
        overrideConfigFile: true,
        overrideConfig: [
          {
            files: ["**/*.ts"],
            languageOptions: { parser: tseslint.parser },
            plugins: { "import-x": importX as unknown as ESLint.Plugin, repo },
            settings: { "import-x/resolver-next": [createNodeResolver({ extensions: [".ts"] })], "import-x/extensions": [".ts"] },
            rules: { "import-x/no-cycle": "error", "repo/no-type-import-cycle": ["error", { root: dir }] },
          },
        ],
      });
      const found = describeResults(await eslint.lintFiles(["."]), dir);
      expect(found.filter((l) => l.includes("import-x/no-cycle")).map((l) => l.split(" ")[0])).toEqual(["a.ts:1", "b.ts:1"]);
      expect(found.filter((l) => l.includes("repo/no-type-import-cycle"))).toEqual([
        "ingress.ts:1 repo/no-type-import-cycle type-only import closes an import cycle: ingress.ts -> plan.ts -> ingress.ts. Move the shared types into a module both sides import (the lower module's own file, or a types.ts beside them), so the dependency points one way.",
      ]);
    });

    it("a floating promise and an await on a non-promise are refused (type-aware)", async () => {
      write({
        "tsconfig.json": JSON.stringify({
          compilerOptions: { strict: true, target: "ES2022", module: "commonjs", lib: ["ES2022"], types: [] },
          include: ["*.ts"],
        }),
        "async.ts":
          "async function save(): Promise<void> {}\nexport function run(): void {\n  save();\n}\nexport async function twice(): Promise<number> {\n  return await 2;\n}\n",
      });
      const tseslint = (await import("typescript-eslint")).default;
      const eslint = new ESLint({
        cwd: dir,
        overrideConfigFile: true,
        overrideConfig: [
          {
            files: ["async.ts"],
            languageOptions: { parser: tseslint.parser, parserOptions: { project: ["./tsconfig.json"], tsconfigRootDir: dir } },
            plugins: { "@typescript-eslint": tseslint.plugin as unknown as ESLint.Plugin },
            // the same settings as eslint.config.mjs
            rules: Object.fromEntries(
              Object.entries(
                (await new ESLint({ cwd: REPO_ROOT }).calculateConfigForFile(path.join(REPO_ROOT, "index.ts"))).rules as Record<string, unknown>,
              ).filter(([k]) => k === "@typescript-eslint/no-floating-promises" || k === "@typescript-eslint/await-thenable"),
            ) as Linter.RulesRecord,
          },
        ],
      });
      const found = describeResults(await eslint.lintFiles(["async.ts"]), dir).map((l) => l.split(" ").slice(0, 2).join(" "));
      expect(found).toEqual(["async.ts:3 @typescript-eslint/no-floating-promises", "async.ts:6 @typescript-eslint/await-thenable"]);
    });
  });
});

/** Files Prettier would format: every file git knows (tracked, or new and not ignored) that .prettierignore keeps and Prettier has a parser for. */
async function formattable(): Promise<string[]> {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
  const out: string[] = [];
  for (const f of listed.split("\n").filter(Boolean)) {
    const abs = path.join(REPO_ROOT, f);
    if (!fs.existsSync(abs)) continue; // deleted in the work tree
    const info = await prettier.getFileInfo(abs, { ignorePath: [path.join(REPO_ROOT, ".prettierignore"), path.join(REPO_ROOT, ".gitignore")] });
    if (!info.ignored && info.inferredParser) out.push(abs);
  }
  return out;
}

describe("Prettier (.prettierrc.json, .prettierignore)", () => {
  it(
    "every file is formatted (fix: npm run format)",
    async () => {
      const files = await formattable();
      expect(files.length).toBeGreaterThan(300);
      const unformatted: string[] = [];
      for (const abs of files) {
        const options = await prettier.resolveConfig(abs);
        if (!(await prettier.check(fs.readFileSync(abs, "utf8"), { ...options, filepath: abs }))) unformatted.push(rel(abs));
      }
      expect(unformatted, `${unformatted.length} files not formatted; npm run format rewrites them:\n${unformatted.join("\n")}`).toEqual([]);
    },
    LONG,
  );

  it("the config is the repository's: double quotes, semicolons, trailing commas, 160 columns; generated files, Markdown and the blueprints are left alone", async () => {
    const filepath = path.join(REPO_ROOT, "components", "probe.ts");
    const options = { ...(await prettier.resolveConfig(filepath)), filepath };
    expect(options).toMatchObject({ printWidth: 160, trailingComma: "all", semi: true, singleQuote: false });
    expect(await prettier.format("const a = {b: 'c'}\n", options)).toBe('const a = { b: "c" };\n');
    const wide = `call(${Array.from({ length: 20 }, (_, i) => `argument${i}`).join(", ")});\n`;
    expect(wide.length).toBeGreaterThan(160);
    expect((await prettier.format(wide, options)).split("\n").length).toBeGreaterThan(3);
    const files = new Set((await formattable()).map(rel));
    for (const left of [
      "blueprints/blueprint.schema.json",
      "stacks/spec/stack-config.schema.json",
      "bench/results.json",
      "package-lock.json",
      "README.md",
      "docs/design.md",
      "blueprints/bridge-relay.yaml",
    ])
      expect(files.has(left), left).toBe(false);
    for (const written of ["index.ts", "eslint.config.mjs", "tsconfig.json", "package.json", ".github/workflows/deploy.yml", "scripts/test.mjs"])
      expect(files.has(written), written).toBe(true);
  });
});
