/** Pure planning for `Ipfs` (kubo). No Pulumi import. */
import { clientRule, restrictedContainerSecurity, restrictedPodSecurity, storeLabels, tcp, k8sNameProblems } from "../network";
import type { ClusterNetwork, DataNetwork, PortSpec } from "../network";

export const IPFS_PORTS = { api: 5001, gateway: 8080, swarm: 4001 } as const;

export interface IpfsPlanInput {
  name: string;
  replicas: number;
  gateway: boolean;
  publicSwarm: boolean;
  protect: boolean;
  network: ClusterNetwork;
}

export interface IpfsPlan {
  problems: string[];
  names: { statefulSet: string; service: string; headless: string; secret: string; config: string };
  apiUrl: string;
  host: string;
  gatewayUrl?: string;
  labels: Record<string, string>;
  podLabels: Record<string, string>;
  /** Script run by kubo's /container-init.d before the daemon starts (token from env, never a literal). */
  initScript: string;
  servicePorts: PortSpec[];
  podSecurity: Record<string, unknown>;
  containerSecurity: Record<string, unknown>;
  protect: boolean;
  network: DataNetwork;
}

export function planIpfs(i: IpfsPlanInput): IpfsPlan {
  const problems = k8sNameProblems(i.name);
  const ns = i.network.namespace;
  const names = { statefulSet: i.name, service: i.name, headless: `${i.name}-headless`, secret: `${i.name}-api-token`, config: `${i.name}-init` };
  const api = tcp("api", IPFS_PORTS.api);
  const gw = tcp("gateway", IPFS_PORTS.gateway);
  const servicePorts = i.gateway ? [api, gw] : [api];
  const initScript = [
    "#!/bin/sh",
    "set -eu",
    "ipfs config Addresses.API /ip4/0.0.0.0/tcp/5001",
    i.gateway ? "ipfs config Addresses.Gateway /ip4/0.0.0.0/tcp/8080" : "ipfs config --json Addresses.Gateway '[]'",
    // The RPC API accepts only the generated bearer token (kubo API.Authorizations).
    `ipfs config --json API.Authorizations "{\\"app\\": {\\"AuthSecret\\": \\"bearer:$IPFS_API_TOKEN\\", \\"AllowedPaths\\": [\\"/api/v0\\"]}}"`,
    "ipfs config --json Swarm.DisableNatPortMap true",
    "ipfs config --json Discovery.MDNS.Enabled false",
    ...(i.publicSwarm ? [] : ["ipfs bootstrap rm --all", "ipfs config --json Routing.Type '\"none\"'"]),
    "",
  ].join("\n");
  const podLabels = { "app.kubernetes.io/name": "ipfs", "app.kubernetes.io/instance": i.name };
  const egress: Extract<DataNetwork, { kind: "kubernetes" }>["egress"] = i.publicSwarm
    ? [
        {
          purpose: "swarm",
          podSelector: podLabels,
          ports: [tcp("swarm", IPFS_PORTS.swarm), { name: "swarm-quic", port: IPFS_PORTS.swarm, protocol: "UDP" }, tcp("https", 443)],
          to: { kind: "external", description: "public IPFS peers (libp2p TCP/QUIC 4001, secure websockets 443)" },
        },
      ]
    : [];
  return {
    problems,
    names,
    apiUrl: `http://${names.service}.${ns}.svc.cluster.local:${IPFS_PORTS.api}`,
    host: `${names.service}.${ns}.svc.cluster.local`,
    ...(i.gateway ? { gatewayUrl: `http://${names.service}.${ns}.svc.cluster.local:${IPFS_PORTS.gateway}` } : {}),
    labels: storeLabels(i.name, "ipfs"),
    podLabels,
    initScript,
    servicePorts,
    podSecurity: restrictedPodSecurity(1000),
    containerSecurity: restrictedContainerSecurity(true),
    protect: i.protect,
    network: { kind: "kubernetes", namespace: ns, ports: servicePorts, ingress: [clientRule(podLabels, servicePorts, i.network)], egress },
  };
}
