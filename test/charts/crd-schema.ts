/**
 * A custom resource checked against its CRD's openAPIV3Schema as the API server applies it:
 * unknown fields are pruned (so refused here) unless the schema preserves them, and patterns are
 * Go (RE2) regular expressions. ajv as kubernetes-models' validator ships it (no extra dependency).
 * Shared by the chart render test (every CRD a stack installs) and the admission test (Kyverno's
 * ClusterPolicy).
 */
import { createRequire } from "node:module";

const ajvRequire = createRequire(require.resolve("@kubernetes-models/validate"));
const Ajv = ajvRequire("ajv").default ?? ajvRequire("ajv");

/** A CRD version schema as the API server applies it: unknown fields are pruned unless preserved. */
function structural(schema: any): any {
  if (Array.isArray(schema)) return schema.map(structural);
  if (!schema || typeof schema !== "object") return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === "enum" || k === "default" || k === "example" ? v : structural(v);
  if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
  return out;
}

/**
 * A compiler of CRD version schemas into validators (one ajv for all of them). Some Go patterns
 * use inline flags such as `(?i)` that JavaScript rejects: a leading `(?i)` (and `(?i)` groups)
 * becomes the `i` flag; a pattern that still does not compile is handed to `uncompiled` and not
 * enforced, never skipped silently.
 */
export function crdSchemaCompiler(uncompiled: (pattern: string) => void): (openAPIV3Schema: any) => (obj: unknown) => string[] {
  const goRegExp = (pattern: string, u: string): { test: (s: string) => boolean } => {
    try {
      return new RegExp(pattern, u);
    } catch {
      try {
        return new RegExp(pattern.replace(/\(\?i\)/g, ""), `${u}i`);
      } catch {
        uncompiled(pattern);
        return { test: () => true };
      }
    }
  };
  goRegExp.code = "goRegExp";
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp: goRegExp } });
  return (openAPIV3Schema) => {
    const s = structural(openAPIV3Schema);
    s.properties = { ...(s.properties ?? {}), apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" } };
    const validate = ajv.compile(s);
    return (obj) =>
      validate(obj)
        ? []
        : (validate.errors ?? []).map(
            (e: any) => `${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` '${e.params.additionalProperty}'` : ""}`,
          );
  };
}
