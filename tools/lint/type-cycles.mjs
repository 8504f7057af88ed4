// ESLint rule `repo/no-type-import-cycle`: an `import type` (or an import whose every specifier is
// a type) that closes an import cycle. import-x/no-cycle skips type-only imports by design, since
// they vanish at run time; but two modules that need each other's declarations still cannot be read,
// tested or moved apart, so the repository refuses those cycles too.
//
// The graph: every .ts/.mts/.cts/.js/.mjs/.cjs file git knows (tracked or not ignored) under the
// repository root, with each relative import (type, value, require, import()) resolved by
// TypeScript's own module resolution. Computed once per process; the strongly connected components
// are the cycles. The rule reports each type-only import whose target lies in the importer's cycle,
// with one path that closes the cycle; runtime cycles are import-x/no-cycle's to report.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import ts from "typescript";

const EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;
const OPTIONS = { moduleResolution: ts.ModuleResolutionKind.Node10, allowJs: true, resolveJsonModule: true };
const cache = new Map();

function repoGraph(root) {
  let g = cache.get(root);
  if (g) return g;
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  const files = listed
    .split("\n")
    .filter((f) => EXT.test(f) && !f.split("/").includes("node_modules"))
    .map((f) => resolve(root, f));
  const known = new Set(files);
  const edges = new Map();
  for (const f of files) {
    let text;
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue; // listed by git but deleted in the work tree
    }
    const out = new Set();
    for (const i of ts.preProcessFile(text, true, true).importedFiles) {
      if (!i.fileName.startsWith(".")) continue;
      const r = ts.resolveModuleName(i.fileName, f, OPTIONS, ts.sys).resolvedModule;
      if (r && known.has(r.resolvedFileName)) out.add(r.resolvedFileName);
    }
    edges.set(f, [...out]);
  }
  // Tarjan's strongly connected components, iteratively (no recursion limit on deep chains).
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const component = new Map();
  let next = 0;
  for (const start of edges.keys()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1];
      const [v, i] = top;
      const ws = edges.get(v) ?? [];
      if (i < ws.length) {
        top[1]++;
        const w = ws[i];
        if (!edges.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) === index.get(v)) {
        const members = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          members.push(w);
        } while (w !== v);
        if (members.length > 1) {
          const set = new Set(members);
          for (const m of members) component.set(m, set);
        }
      }
    }
  }
  g = { edges, component };
  cache.set(root, g);
  return g;
}

/** A shortest import path from `from` to `to` inside one cycle. */
function pathWithin(g, from, to, members) {
  const prev = new Map([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const v = queue.shift();
    if (v === to) break;
    for (const w of g.edges.get(v) ?? []) {
      if (!members.has(w) || prev.has(w)) continue;
      prev.set(w, v);
      queue.push(w);
    }
  }
  const path = [];
  for (let v = to; v; v = prev.get(v)) path.unshift(v);
  return path;
}

const typeOnly = (node) =>
  node.importKind === "type" || (node.specifiers.length > 0 && node.specifiers.every((s) => s.type === "ImportSpecifier" && s.importKind === "type"));

export const noTypeImportCycle = {
  meta: {
    type: "problem",
    docs: { description: "A type-only import must not close an import cycle" },
    schema: [{ type: "object", properties: { root: { type: "string" } }, required: ["root"], additionalProperties: false }],
    messages: {
      cycle:
        "type-only import closes an import cycle: {{path}}. Move the shared types into a module both sides import (the lower module's own file, or a types.ts beside them), so the dependency points one way.",
    },
  },
  create(context) {
    const root = context.options[0].root;
    const file = context.filename;
    return {
      ImportDeclaration(node) {
        if (!typeOnly(node) || !String(node.source.value).startsWith(".")) return;
        const g = repoGraph(root);
        const members = g.component.get(file);
        if (!members) return;
        const target = ts.resolveModuleName(node.source.value, file, OPTIONS, ts.sys).resolvedModule?.resolvedFileName;
        if (!target || !members.has(target)) return;
        const back = pathWithin(g, target, file, members);
        const path = [file, ...back].map((f) => relative(root, f)).join(" -> ");
        context.report({ node, messageId: "cycle", data: { path } });
      },
    };
  },
};

export default { rules: { "no-type-import-cycle": noTypeImportCycle } };
