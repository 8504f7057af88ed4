/**
 * Upload plan for a local front-end build: every file under `dir` becomes one object whose key,
 * Content-Type and Cache-Control come from the rule table (so what the origin stores agrees with
 * what the edge sends). Pure apart from reading the directory listing.
 */
import * as fs from "fs";
import * as path from "path";
import { decide, EdgeRuleTable } from "./headers";

export interface AssetObject {
  /** Object key: the path relative to the build directory, "/"-separated, no leading "/". */
  key: string;
  /** Absolute path of the local file. */
  file: string;
  /** Content-Type by the table (application/octet-stream when the extension is unknown). */
  contentType: string;
  /** Cache-Control of the class the key falls into when requested directly. */
  cacheControl: string;
  class: string;
}

function walk(dir: string, base: string, out: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, base, out);
    else if (entry.isFile()) out.push(path.relative(base, full).split(path.sep).join("/"));
  }
}

/**
 * List the build and derive each object's metadata. A static site (no `bucketPathPatterns`) must
 * contain the index document. With a dynamic origin the pages come from the origin: the build is
 * only what the bucket serves (e.g. Next.js's `.next/static` placed as `_next/static`), needs no
 * index document, and a file outside the bucket path patterns is refused (no request reaches it).
 */
export function planAssetObjects(dir: string, table: EdgeRuleTable, bucketPathPatterns?: string[]): AssetObject[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`assets: "${dir}" is not a directory`);
  const keys: string[] = [];
  walk(path.resolve(dir), path.resolve(dir), keys);
  if (bucketPathPatterns) {
    const prefixes = bucketPathPatterns.map((g) => g.replace(/\*$/, "").replace(/^\//, ""));
    const stray = keys.filter((k) => !prefixes.some((p) => k.startsWith(p)));
    if (stray.length)
      throw new Error(
        `assets: "${dir}" has files no request reaches with a dynamic origin (only ${bucketPathPatterns.join(", ")} come from the bucket): ${stray.slice(0, 5).join(", ")}${stray.length > 5 ? ", ..." : ""}; upload only the static build (e.g. Next.js's .next/static as _next/static)`,
      );
  } else if (!keys.includes(table.spa.indexKey)) throw new Error(`assets: "${dir}" has no ${table.spa.indexKey}; SPA routes would all be 404`);
  return keys.map((key) => {
    const d = decide(table, "/" + key.split("/").map(encodeURIComponent).join("/"));
    const base = key.slice(key.lastIndexOf("/") + 1);
    const ext = base.includes(".") ? base.slice(base.lastIndexOf(".") + 1).toLowerCase() : "";
    // A file without an extension is unreachable at the edge (its path is an SPA route).
    return {
      key,
      file: path.join(path.resolve(dir), ...key.split("/")),
      contentType: table.contentTypes[ext] ?? "application/octet-stream",
      cacheControl: d.serve === "index" ? "no-store" : d.headers["cache-control"]!,
      class: d.serve === "index" ? "unreachable" : d.class,
    };
  });
}
