// ESLint for the whole repository (flat config). `npx eslint .` runs it; test/lint/lint.test.ts runs
// the same config through ESLint's Node API inside `npm test`, so every violation is a failed check
// named file:line rule message.
//
// What it holds, and nothing else (formatting is Prettier's, unused names and types are tsc's):
//   1. no import cycle anywhere: import-x/no-cycle for cycles of runtime imports, and
//      repo/no-type-import-cycle (tools/lint/type-cycles.mjs) for cycles closed by an `import type`,
//      which import-x skips by design (a cycle through a type is still two modules that cannot be
//      read or moved apart). Break a cycle by moving the shared piece into a module both sides
//      import; never by disabling the rule.
//   2. the layering, as import-x/no-restricted-paths zones resolved on the real files, each message
//      naming the boundary and the fix (LAYERS below; README "Layers" says the same in prose);
//   3. rules that catch real bugs: promises nobody awaits or handles (type-aware), comparisons that
//      are always true or false, self-comparison, `typeof` typos, unsafe finally/optional chaining,
//      eval in disguise, control characters in a regex.
// Left out on purpose: style rules, and no-base-to-string (its 40 hits were String() over parsed
// YAML/JSON values typed `unknown ?? ""`, a deliberate conversion, not a bug).
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";
import { importX, createNodeResolver } from "eslint-plugin-import-x";
import repo from "./tools/lint/type-cycles.mjs";

/** Repository-relative folders whose files ship or run as the product (everything but test/). */
const PRODUCT = ["components", "stacks", "policies", "scripts", "tools", "bench", "blueprints", "index.ts"];

const zone = (target, from, message) => ({ target: `./${target}`, from: `./${from}`, message });
const notTest = (dir) =>
  zone(
    dir,
    "test",
    `${dir}/ is product code and must not import test/: move the piece it needs out of test/ (shared helpers to tools/harness/, fixtures the product reads to the product folder that owns them).`,
  );

/**
 * The layers, lowest first:
 *   components/  the component library: knows nothing of stacks, scripts, tools, the policy pack, bench or tests;
 *   stacks/      the spec, the tier table and the composers: build on components/ only;
 *   policies/    the CrossGuard pack, shipped on its own (policies/package.json): never imports the program
 *                (components/, stacks/) nor scripts/, bench/, test/; it reads the harness's inventory types
 *                from tools/harness/ (the offline plan runs the pack in-process on that inventory);
 *   tools/       the harness the offline plan runs on, the engine and cluster tooling: may use components/,
 *                stacks/, policies/; never scripts/ (the CLIs on top) or bench/;
 *   scripts/, bench/, index.ts  entry points on top of everything above;
 *   test/        may import anything; nothing imports test/.
 */
const LAYERS = [
  ...["stacks", "scripts", "tools", "policies", "bench"].map((up) =>
    zone(
      "components",
      up,
      `components/ must not import ${up}/ (components are the bottom layer): pass the value in as an argument, or move the shared type or helper into components/.`,
    ),
  ),
  ...["scripts", "tools", "policies", "bench"].map((up) =>
    zone("stacks", up, `stacks/ must not import ${up}/ (stacks build on components/ only): move the shared piece into stacks/ or components/.`),
  ),
  ...["components", "stacks", "scripts", "bench"].map((up) =>
    zone(
      "policies",
      up,
      `policies/ must not import ${up}/: the pack ships on its own and judges resources by their inputs; copy the constant it needs into policies/lib/ or move the shared piece into policies/lib/ and import it from there.`,
    ),
  ),
  ...["tools/engine", "tools/cluster", "tools/conformance", "tools/mockcloud"].map((sub) =>
    zone(
      "policies",
      sub,
      `policies/ may import only tools/harness/ (the inventory types the offline plan hands it), not ${sub}/: move the shared piece into policies/lib/.`,
    ),
  ),
  ...["scripts", "bench"].map((up) =>
    zone("tools", up, `tools/ must not import ${up}/ (the CLIs sit on top of tools/): move the shared piece into tools/harness/.`),
  ),
  ...PRODUCT.map(notTest),
];

export default defineConfig(
  {
    // Generated, vendored or build output: node_modules anywhere (the browser apps under
    // test/browser/apps have their own), the engine build, rendered manifests, bench scratch,
    // the browser apps' build output. Generated docs and schemas are Markdown/JSON, not linted.
    ignores: [
      "**/node_modules/**",
      "**/node_modules_local/**",
      ".engine/**",
      "rendered/**",
      "bench/tmp/**",
      "coverage/**",
      "bin/**",
      ".pulumi-state/**",
      ".local-cluster/**",
      "tmp/**",
      "test/browser/apps/*/{dist,.next,.nuxt,.output,.data,build,out}/**",
    ],
  },
  {
    files: ["**/*.{ts,mts,cts,js,mjs,cjs}"],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: "module" },
    // Some files carry disable comments for rules this config does not enable (written for editors'
    // default rule sets); they are harmless, so unused directives are not reported.
    linterOptions: { reportUnusedDisableDirectives: "off" },
    plugins: { "@typescript-eslint": tseslint.plugin, "import-x": importX, repo },
    settings: {
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json", ".d.ts"] })],
      "import-x/extensions": [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"],
      "import-x/ignore": ["node_modules"],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "repo/no-type-import-cycle": ["error", { root: import.meta.dirname }],
      "import-x/no-self-import": "error",
      "import-x/no-restricted-paths": ["error", { zones: LAYERS }],

      // Bugs, not style: each of these is wrong code whenever it fires.
      "no-constant-binary-expression": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
      "no-self-compare": "error",
      "no-self-assign": "error",
      "no-dupe-else-if": "error",
      "no-duplicate-case": "error",
      "no-unsafe-finally": "error",
      "no-unsafe-optional-chaining": "error",
      "no-unsafe-negation": "error",
      "no-cond-assign": "error",
      "no-compare-neg-zero": "error",
      "use-isnan": "error",
      "valid-typeof": "error",
      "no-async-promise-executor": "error",
      "no-loss-of-precision": "error",
      "no-sparse-arrays": "error",
      "no-empty-pattern": "error",
      "no-unmodified-loop-condition": "error",
      "no-useless-backreference": "error",
      "no-misleading-character-class": "error",
      "no-invalid-regexp": "error",
      "no-import-assign": "error",
      "no-control-regex": "error",
      "@typescript-eslint/no-non-null-asserted-optional-chain": "error",
      "@typescript-eslint/no-extra-non-null-assertion": "error",
      "@typescript-eslint/no-duplicate-enum-values": "error",
      "@typescript-eslint/no-misused-new": "error",
      "@typescript-eslint/no-unsafe-declaration-merging": "error",
      "@typescript-eslint/no-array-delete": "off",
    },
  },
  {
    // Type-aware rules, on the files tsconfig.json compiles (one TypeScript program for all of them).
    files: ["**/*.ts"],
    ignores: ["test/browser/apps/**"],
    languageOptions: { parserOptions: { project: ["./tsconfig.json"], tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-for-in-array": "error",
      "@typescript-eslint/no-array-delete": "error",
      "@typescript-eslint/no-implied-eval": "error",
    },
  },
);
