/**
 * Args of the `Ipfs` component: kubo nodes as a StatefulSet with PVCs. The RPC API (5001)
 * and the gateway (8080) are ClusterIP-only and reachable from the client namespaces only;
 * the RPC API additionally requires a generated bearer token (kubo `API.Authorizations`).
 */
import { z } from "zod";
import { clusterNetworkSchema, labelsSchema, protectSchema, resourcesSchema } from "../schema";
import { VERSION_PINS } from "../../charts";

export const ipfsArgsSchema = z.strictObject({
  implementation: z.literal("statefulset").default("statefulset"),
  network: clusterNetworkSchema,
  image: z.string().min(1).default(VERSION_PINS.kubo.value),
  /** Independent kubo nodes (each with its own repo and PVC). */
  replicas: z.int().min(1).max(10).default(1),
  storageGb: z.int().min(1).max(65536).default(50),
  resources: resourcesSchema.default({ cpu: "500m", memory: "1Gi" }),
  /** Serve the read-only HTTP gateway (8080, in-cluster only). */
  gateway: z.boolean().default(true),
  /** Join the public IPFS swarm (outbound 4001); false = no swarm egress (private content only). */
  publicSwarm: z.boolean().default(true),
  protect: protectSchema,
  labels: labelsSchema.default({}),
});

export type IpfsArgs = z.input<typeof ipfsArgsSchema>;
export type IpfsConfig = z.output<typeof ipfsArgsSchema>;
