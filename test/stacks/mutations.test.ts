/**
 * Mutation test over every stack and every blueprint × tier: take the compliant inventory (update
 * mode, as the real program produced it), apply each relevant insecure mutation (drop TLS, open a
 * port, remove a header, make a database public, delete a NetworkPolicy, ...), and require that
 * the policy pack catches every one. The kill rate is printed and must be 100%.
 *
 * Each mutation is applied to one of its targets per inventory, to keep the run bounded;
 * test/policies/mutations.test.ts applies every mutation to every target of the full fixture.
 * The compliant inventories are the shared plans (test/harness/planned.ts), not planned again here.
 */
import { describe, expect, it } from "vitest";
import { packConfigForTier } from "../../policies/lib/config";
import { formatMutationReport, mutationReport } from "../../policies/lib/mutations";
import { policyTier } from "../../scripts/plan-lib";
import { planned, plannedTargets, targetTitle } from "../harness/planned";

const targets = plannedTargets();

describe("mutation test: every insecure mutation of every stack is caught", () => {
  const rates: string[] = [];
  for (const target of targets) {
    it(`${targetTitle(target)}: kill rate 100%`, async () => {
      // A target that does not plan fails here with the program's own error.
      const { inventory } = await planned(target, { preview: false });
      const tierName = "tier" in target ? target.tier : target.stack;
      const tier = policyTier(tierName);
      const r = await mutationReport(inventory, packConfigForTier(tier), { maxTargetsPerMutation: 1 });
      rates.push(`${targetTitle(target)}: ${r.killed}/${r.total} (${(r.killRate * 100).toFixed(1)}%)`);
      process.stdout.write(formatMutationReport(r));
      expect(r.total).toBeGreaterThan(0);
      expect(r.survivors.map((s) => `${s.mutation} on ${s.target}`)).toEqual([]);
      expect(r.killRate).toBe(1);
    }, 300_000);
  }
  it("prints the kill rates", () => {
    process.stdout.write(`mutation kill rates:\n  ${rates.join("\n  ")}\n`);
    expect(rates.length).toBe(targets.length);
  });
});
