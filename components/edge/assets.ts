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

/** List the build and derive each object's metadata. Throws if the dir lacks the index document. */
export function planAssetObjects(dir: string, table: EdgeRuleTable): AssetObject[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`assets: "${dir}" is not a directory`);
  const keys: string[] = [];
  walk(path.resolve(dir), path.resolve(dir), keys);
  if (!keys.includes(table.spa.indexKey))
    throw new Error(`assets: "${dir}" has no ${table.spa.indexKey}; SPA routes would all be 404`);
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
