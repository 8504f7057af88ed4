/**
 * Known secret values of a harness run, for the secret scan (components/secrets/scan.ts):
 * the configured secret values (`secretKeys` of the run) and, in update mode, the mocked results
 * of every random generator (RandomPassword/RandomString), recomputed with the harness's own
 * mocks. These catch a leak even when the value never reached a secret path.
 * (RandomBytes has no mocked result in tools/mockcloud/answers.ts yet, so its values are not known here.)
 */
import type { KnownSecret } from "../../components/secrets/scan";
import type { Inventory } from "../../tools/harness/inventory";
import { computedOutputs } from "../../tools/mockcloud/answers";

export function knownSecretsOf(inv: Inventory, configSecrets: Record<string, string> = {}, region = "us-east-1"): KnownSecret[] {
  const out: KnownSecret[] = Object.entries(configSecrets).map(([k, v]) => ({ label: `config ${k}`, value: v }));
  if (inv.preview) return out;
  for (const r of inv.resources) {
    if (
      r.type === "random:index/randomPassword:RandomPassword" ||
      r.type === "random:index/randomString:RandomString" ||
      r.type === "pulumi-nodejs:dynamic/platform:GeneratedSecret"
    ) {
      const v = computedOutputs(r.type, r.name, r.inputs as Record<string, unknown>, region).result;
      if (typeof v === "string") out.push({ label: `${r.type} ${r.name}`, value: v });
    }
  }
  return out;
}
