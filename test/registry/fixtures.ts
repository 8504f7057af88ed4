// Shared by test/registry: the pinned Kyverno chart's archive and CRDs, and a cosign public key.
import { generateKeyPairSync } from "node:crypto";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { CHART_PINS } from "../../components/charts";
import { untgz } from "../charts/helm";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

export const KYVERNO_ARCHIVE = path.join(CHARTS_MIRROR, `kyverno-${CHART_PINS.kyverno.version}.tgz`);
export const COSIGN_PUB = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString().trim();

/** The CRDs the pinned chart installs, from its archive (their Helm `if` wrappers and label includes dropped). */
export function kyvernoCrds(): Record<string, any>[] {
  const files = untgz(KYVERNO_ARCHIVE);
  const out: Record<string, any>[] = [];
  for (const [name, buf] of files) {
    if (!/\/charts\/(crds|kyverno-api)\/templates\/.*\.yaml$/.test(name)) continue;
    const text = buf
      .toString("utf8")
      .split("\n")
      .filter((l) => !/^\s*\{\{.*\}\}\s*$/.test(l))
      .join("\n");
    for (const d of parseAllDocuments(text)) {
      const o = d.toJS();
      if (o?.kind === "CustomResourceDefinition") out.push(o);
    }
  }
  return out;
}
