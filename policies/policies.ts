/**
 * Every policy of the pack, in report order. Import this (not index.ts, which starts the
 * analyzer server the Pulumi CLI talks to) to run the policies in-process.
 */
import type { Policies } from "@pulumi/policy";
import { baselinePolicies } from "./baseline";
import { headerPolicies } from "./headers";
import { segmentationPolicies } from "./segmentation";
import { tlsPolicies } from "./tls";

export { baselinePolicies, headerPolicies, segmentationPolicies, tlsPolicies };

export const PACK_NAME = "platform-policies";

export const allPolicies: Policies = [...tlsPolicies, ...headerPolicies, ...segmentationPolicies, ...baselinePolicies];

/** The concern a policy belongs to, from its name prefix. */
export function concernOf(policyName: string): "tls" | "headers" | "segmentation" | "baseline" {
  if (policyName.startsWith("tls-")) return "tls";
  if (policyName.startsWith("headers-")) return "headers";
  if (policyName.startsWith("seg-")) return "segmentation";
  return "baseline";
}
