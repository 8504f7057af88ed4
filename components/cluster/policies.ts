/**
 * `ClusterNetworkPolicies`: registers every NetworkPolicy the pure planner (./netpol.ts) returns.
 * Created after the services and data stores, from their plain network descriptions.
 */
import * as pulumi from "@pulumi/pulumi";
import { NetpolInput, NetworkPolicyManifest, planNetworkPolicies } from "./netpol";
import { registerManifest } from "./register";

export class ClusterNetworkPolicies extends pulumi.ComponentResource {
  /** The planned manifests (plain data), e.g. for a reachability report. */
  public readonly manifests: NetworkPolicyManifest[];

  constructor(name: string, args: NetpolInput, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:cluster:NetworkPolicies", name, {}, opts);
    this.manifests = planNetworkPolicies(args);
    for (const m of this.manifests) {
      registerManifest(`${name}-${m.metadata.namespace}-${m.metadata.name}`, m as any, {
        parent: this,
        ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}),
      });
    }
    this.registerOutputs({ count: this.manifests.length });
  }
}
