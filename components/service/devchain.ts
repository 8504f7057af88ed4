/**
 * A local development chain beside the services (the `local` tier only): the bridge view's
 * "Local testing via Hardhat node on localhost:8545". One pinned node, a ClusterIP Service on its
 * JSON-RPC port, restricted Pod Security, TCP probes (JSON-RPC answers POST only, so an HTTP GET
 * probe would fail), and the NetworkPolicy flow its clients need (it joins the services' flows as
 * an `internal` service that the clients `call`). Pure: manifests in, no Pulumi import.
 */
import type { NetpolService } from "../cluster/netpol";

export interface DevChainInput {
  name: string;
  namespace: string;
  image: string;
  args: string[];
  port: number;
  chainId: number;
  /** Why it exists (the view's words), as an annotation. */
  description: string;
}

export const DEVCHAIN_PART_OF = "platform-devchain";

export function devChainLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "dev-chain", "app.kubernetes.io/part-of": DEVCHAIN_PART_OF };
}

/** The in-cluster URL a client is given (`http://` for JSON-RPC, `ws://` for subscriptions). */
export function devChainUrl(i: Pick<DevChainInput, "name" | "namespace" | "port">, scheme: "http" | "ws"): string {
  return `${scheme}://${i.name}.${i.namespace}.svc.cluster.local:${i.port}`;
}

export function devChainManifests(i: DevChainInput) {
  const labels = devChainLabels(i.name);
  const selector = { "app.kubernetes.io/name": i.name, "app.kubernetes.io/component": "dev-chain" };
  const probe = { tcpSocket: { port: "rpc" }, periodSeconds: 10, timeoutSeconds: 2 };
  const deployment = {
    apiVersion: "apps/v1" as const,
    kind: "Deployment" as const,
    metadata: { name: i.name, namespace: i.namespace, labels, annotations: { "platform.io/purpose": i.description } },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      strategy: { type: "Recreate" },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "node",
              image: i.image,
              args: i.args,
              // Read-only root: the node's state and cache go to the emptyDir.
              env: [{ name: "HOME", value: "/tmp" }],
              ports: [{ name: "rpc", containerPort: i.port, protocol: "TCP" }],
              readinessProbe: probe,
              livenessProbe: { ...probe, initialDelaySeconds: 5 },
              resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }],
        },
      },
    },
  };
  const service = {
    apiVersion: "v1" as const,
    kind: "Service" as const,
    metadata: { name: i.name, namespace: i.namespace, labels },
    spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: i.port, targetPort: "rpc", protocol: "TCP" }] },
  };
  /** Its place in the services' NetworkPolicies: internal, reachable on its port by the services that call it. */
  const netpol: NetpolService = {
    name: i.name,
    exposure: "internal",
    ports: { http: i.port },
    routedPorts: [],
    connectsTo: [],
    calls: [],
    egress: [],
    podSelector: selector,
  };
  return { deployment, service, netpol };
}
