/**
 * Writes policies/config/<tier>.json, the files passed to the CLI:
 *   pulumi preview -s prod --policy-pack policies --policy-pack-config policies/config/prod.json
 * Regenerate after adding a policy: `npx tsx policies/config/generate.ts` (a test checks they are current).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { packConfigForTier } from "../lib/config";
import { TIERS } from "../lib/util";

export function renderTierConfig(tier: (typeof TIERS)[number]): string {
  return JSON.stringify(packConfigForTier(tier), null, 2) + "\n";
}

if (require.main === module) {
  for (const tier of TIERS) writeFileSync(join(__dirname, `${tier}.json`), renderTierConfig(tier));
}
