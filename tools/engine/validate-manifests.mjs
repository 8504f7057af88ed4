#!/usr/bin/env node
// Offline validation of rendered Kubernetes manifests against the Kubernetes OpenAPI schemas
// shipped in the npm package kubernetes-models (4.x: JSON schemas compiled from the upstream
// OpenAPI spec, validated with ajv). No network, no cluster.
//
//   node tools/engine/validate-manifests.mjs rendered/local      # exit 1 on any invalid object
//
// Objects whose apiVersion/kind has no schema in the package (CRD instances, e.g.
// cert-manager or CloudNativePG kinds) are listed as `unchecked`, never silently passed.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);

/** Every *.yaml / *.yml / *.json file under dir, sorted. */
export function manifestFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ya?ml|json)$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The kubernetes-models module path for an apiVersion/kind, e.g. apps/v1 Deployment. */
export function modelPath(apiVersion, kind) {
  const [groupOrVersion, version] = String(apiVersion).split("/");
  const path = version ? `${groupOrVersion}/${version}/${kind}` : `${groupOrVersion}/${kind}`;
  return `kubernetes-models/${path}`;
}

function loadModel(apiVersion, kind) {
  try {
    const mod = require(modelPath(apiVersion, kind));
    return mod[kind] ?? mod.default ?? null;
  } catch {
    return null;
  }
}

/**
 * Validate every object in the files under dir.
 * @returns {{ files: number, objects: Array<{file: string, apiVersion: string, kind: string, name: string,
 *   status: "valid" | "invalid" | "unchecked", error?: string}> }}
 */
export function validateManifestDir(dir) {
  const files = manifestFiles(dir);
  const objects = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) {
        objects.push({ file, apiVersion: "?", kind: "?", name: "?", status: "invalid", error: doc.errors[0].message });
        continue;
      }
      const obj = doc.toJS();
      if (obj == null) continue;
      const entry = {
        file: relative(dir, file),
        apiVersion: obj.apiVersion ?? "?",
        kind: obj.kind ?? "?",
        name: obj.metadata?.namespace ? `${obj.metadata.namespace}/${obj.metadata?.name}` : String(obj.metadata?.name),
      };
      if (!obj.apiVersion || !obj.kind) {
        objects.push({ ...entry, status: "invalid", error: "missing apiVersion or kind" });
        continue;
      }
      const Model = loadModel(obj.apiVersion, obj.kind);
      if (!Model) {
        objects.push({ ...entry, status: "unchecked", error: "no schema for this apiVersion/kind" });
        continue;
      }
      try {
        new Model(obj).validate();
        objects.push({ ...entry, status: "valid" });
      } catch (err) {
        objects.push({ ...entry, status: "invalid", error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return { files: files.length, objects };
}

function main() {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: validate-manifests.mjs <dir>\n");
    process.exit(2);
  }
  const { files, objects } = validateManifestDir(dir);
  const count = (s) => objects.filter((o) => o.status === s).length;
  for (const o of objects) {
    if (o.status !== "valid") {
      process.stdout.write(`  ${o.status.padEnd(9)} ${o.apiVersion} ${o.kind} ${o.name} (${o.file}): ${o.error}\n`);
    }
  }
  process.stdout.write(
    `manifests: ${files} files, ${objects.length} objects: ${count("valid")} valid, ` +
      `${count("invalid")} invalid, ${count("unchecked")} unchecked (no schema in kubernetes-models)\n`,
  );
  process.exit(count("invalid") > 0 || objects.length === 0 ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
