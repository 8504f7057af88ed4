// The "Flutter web --wasm" stand-in's build: CanvasKit (canvaskit-wasm from npm, its real
// canvaskit.js + canvaskit.wasm) plus the bootstrap in src/, through Flutter's asset-versioning
// step as this platform's edge expects it (components/edge/headers.ts, convention "dotted-hex"):
// every versioned file is renamed name.<16 hex of its sha256>.ext, and asset_versions.json
// (logical name -> versioned name, always no-cache) lets the bootstrap find them. index.html,
// version.json and the manifest keep their names and are revalidated.
//   APP_DEPLOY=<label> APP_OUT_DIR=<dir> node build.mjs
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.env.APP_OUT_DIR ?? join(here, "dist");
const deploy = process.env.APP_DEPLOY ?? "1";
const ck = join(here, "node_modules", "canvaskit-wasm", "bin");

rmSync(out, { recursive: true, force: true });
const versions = {};
function emit(logical, body) {
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const dot = logical.lastIndexOf(".");
  const versioned = `${logical.slice(0, dot)}.${hash}${logical.slice(dot)}`;
  mkdirSync(dirname(join(out, versioned)), { recursive: true });
  writeFileSync(join(out, versioned), body);
  versions[logical] = versioned;
  return versioned;
}

emit("canvaskit/canvaskit.js", readFileSync(join(ck, "canvaskit.js")));
emit("canvaskit/canvaskit.wasm", readFileSync(join(ck, "canvaskit.wasm")));
emit("sab-worker.js", readFileSync(join(here, "src", "sab-worker.js")));
const main = emit("main.js", readFileSync(join(here, "src", "main.js"), "utf8").replace("__APP_DEPLOY__", deploy));
writeFileSync(join(out, "asset_versions.json"), JSON.stringify(versions, null, 2) + "\n");
writeFileSync(join(out, "version.json"), JSON.stringify({ app_name: "flutter_wasm_fixture", version: "1.0.0", build_number: deploy }) + "\n");
writeFileSync(join(out, "index.html"), readFileSync(join(here, "src", "index.html"), "utf8").replace('src="main.js"', `src="${main}"`));
process.stdout.write(`flutter-wasm: ${Object.keys(versions).length} versioned files -> ${out}\n`);
