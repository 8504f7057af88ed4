/**
 * The one way tests get an inventory of this repository's program for a stack or a blueprint ×
 * tier: `planned(target, { preview })`. Every such plan is made once per run and source state and
 * shared by every test file through the plan cache (plan-cache.ts): the vitest globalSetup
 * (global-setup.ts) starts a planner that fills it, and a file run alone, or a target the planner
 * has not reached yet, is planned in-process and stored for the others. A plan that fails throws
 * the same ProgramError from the cache as it did in-process.
 *
 * `runStack`, `runBlueprint` and `runStackInput` (stacks.ts, also used by scripts/plan-lib.ts and
 * scripts/docs.ts) go through the same cache, so they never re-plan a target either.
 */
import { availableBlueprints } from "../../stacks/spec/load";
import type { TierName } from "../../stacks/spec/tiers";
import { supportedTiers } from "../../scripts/plan-lib";
import { StackRun, listStacks, runBlueprint, runStack } from "../../tools/harness/stacks";

export type PlanTarget = { stack: string } | { blueprint: string; tier: TierName };

/** The inventory of `target` (update mode unless `preview`), planned once per run. */
export function planned(target: PlanTarget, opts: { preview?: boolean } = {}): Promise<StackRun> {
  return "stack" in target ? runStack(target.stack, opts) : runBlueprint(target.blueprint, target.tier, opts);
}

/** Every stack (`Pulumi.<stack>.yaml`) and every blueprint on each tier it supports: what the cache holds. */
export function plannedTargets(): PlanTarget[] {
  return [
    ...listStacks().map((stack): PlanTarget => ({ stack })),
    ...availableBlueprints().flatMap((blueprint) => supportedTiers(blueprint).map((tier): PlanTarget => ({ blueprint, tier }))),
  ];
}

/** `stack prod`, `blueprint bridge-relay on staging` (the offline plan's titles). */
export function targetTitle(t: PlanTarget): string {
  return "stack" in t ? `stack ${t.stack}` : `blueprint ${t.blueprint} on ${t.tier}`;
}
