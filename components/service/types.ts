/**
 * The two types the Service planner (plan.ts) and its parts (ingress.ts, rollouts.ts) share. They
 * live here, below all three, so every import points one way (plan.ts imports ingress.ts and
 * rollouts.ts; none of them imports plan.ts). plan.ts re-exports them.
 */
import type { ParsedServiceArgs } from "./args";

/** A planned Kubernetes object: what the component registers and the GitOps chart writes. */
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [k: string]: any;
};
/** The planner's input: the parsed Service args, with the names of its secret env vars instead of their values. */
export type PlanInput = Omit<ParsedServiceArgs, "secretEnv"> & { secretEnvKeys: string[] };
