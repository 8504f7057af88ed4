/**
 * The CrossGuard policy pack, as the Pulumi CLI runs it:
 *
 *   pulumi preview -s prod --policy-pack policies --policy-pack-config policies/config/prod.json
 *
 * The tier reaches the pack through the pack config (`tier` in every policy's config, written
 * by lib/config.ts into policies/config/<tier>.json); without a config file, tier-dependent
 * checks use the stack tag `platform:tier` or the stack name, and every policy keeps its
 * default level (mandatory). For in-process runs import ./policies and ./lib/runner instead:
 * constructing a PolicyPack starts the analyzer's gRPC server.
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies, PACK_NAME } from "./policies";

new PolicyPack(PACK_NAME, {
  description: "TLS everywhere, COOP/COEP on the edge, network segmentation and a security baseline.",
  enforcementLevel: "mandatory",
  policies: allPolicies,
});
