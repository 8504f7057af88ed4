/**
 * `Ipfs`: kubo StatefulSet with PVCs; RPC API 5001 and gateway 8080 on a ClusterIP Service
 * only (never a LoadBalancer/NodePort/Ingress), API guarded by a generated bearer token,
 * swarm 4001 outbound. Providers: `{ kubernetes, random }`.
 *
 * kubo's RPC API has no TLS of its own: `connection.tls` is false; confidentiality relies on
 * the NetworkPolicy (clients only) and the bearer token, or a mesh adding mTLS.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { generatePassword } from "../../secrets/generate";
import { assertNoProblems, dataClaimTemplate, dataNodePlacement, type DataNetwork } from "../network";
import { parseArgs } from "../schema";
import { ipfsArgsSchema, type IpfsArgs } from "./args";
import { IPFS_PORTS, planIpfs } from "./plan";

export type { IpfsArgs, IpfsConfig } from "./args";

export interface IpfsConnection {
  apiUrl: string;
  /** Same as apiUrl (every store's connection has a `url`). */
  url: string;
  gatewayUrl?: string;
  /** Send as `Authorization: Bearer <apiToken>` to the RPC API. */
  apiToken: string;
  /** Same as apiToken (refs allow `#url|readerUrl|host|password`). */
  password: string;
  host: string;
  tls: false;
}

export class Ipfs extends pulumi.ComponentResource {
  public readonly connection: pulumi.Output<IpfsConnection>;
  public readonly implementation = "statefulset" as const;
  public readonly apiUrl: pulumi.Output<string>;
  public readonly port: number;
  public readonly network: DataNetwork;
  public readonly credentialsSecretName: string;

  constructor(name: string, args: IpfsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg = parseArgs("Ipfs", name, ipfsArgsSchema, args);
    const plan = planIpfs({ name, replicas: cfg.replicas, gateway: cfg.gateway, publicSwarm: cfg.publicSwarm, protect: cfg.protect, network: cfg.network });
    assertNoProblems("Ipfs", name, plan.problems);
    super("platform:data:Ipfs", name, {}, opts);
    const ns = cfg.network.namespace;
    this.port = IPFS_PORTS.api;
    this.network = plan.network;
    this.credentialsSecretName = plan.names.secret;

    const token = generatePassword(`${name}-api-token`, { length: 48, special: false }, { parent: this });
    const secret = new k8s.core.v1.Secret(
      `${name}-api-token`,
      { metadata: { name: plan.names.secret, namespace: ns, labels: plan.labels }, type: "Opaque", stringData: { token: token } },
      { parent: this },
    );
    const init = new k8s.core.v1.ConfigMap(
      `${name}-init`,
      { metadata: { name: plan.names.config, namespace: ns, labels: plan.labels }, data: { "001-platform.sh": plan.initScript } },
      { parent: this },
    );
    const ports = plan.servicePorts.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: p.protocol }));
    new k8s.core.v1.Service(
      `${name}-svc`,
      { metadata: { name: plan.names.service, namespace: ns, labels: plan.labels }, spec: { type: "ClusterIP", selector: plan.podLabels, ports } },
      { parent: this },
    );
    new k8s.core.v1.Service(
      `${name}-headless`,
      { metadata: { name: plan.names.headless, namespace: ns, labels: plan.labels }, spec: { clusterIP: "None", selector: plan.podLabels, ports } },
      { parent: this },
    );
    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: { name: plan.names.statefulSet, namespace: ns, labels: plan.labels },
        spec: {
          serviceName: plan.names.headless,
          replicas: cfg.replicas,
          selector: { matchLabels: plan.podLabels },
          template: {
            metadata: { labels: { ...plan.labels, ...plan.podLabels } },
            spec: {
              securityContext: plan.podSecurity,
              automountServiceAccountToken: false,
              ...dataNodePlacement(cfg.network),
              containers: [
                {
                  name: "kubo",
                  image: cfg.image,
                  env: [
                    { name: "IPFS_PROFILE", value: "server" },
                    { name: "IPFS_PATH", value: "/data/ipfs" },
                    { name: "IPFS_API_TOKEN", valueFrom: { secretKeyRef: { name: plan.names.secret, key: "token" } } },
                  ],
                  ports: [
                    { name: "swarm", containerPort: IPFS_PORTS.swarm, protocol: "TCP" },
                    { name: "swarm-quic", containerPort: IPFS_PORTS.swarm, protocol: "UDP" },
                    ...ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
                  ],
                  securityContext: plan.containerSecurity,
                  resources: { requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory }, limits: { memory: cfg.resources.memory } },
                  readinessProbe: { tcpSocket: { port: IPFS_PORTS.api }, periodSeconds: 10 },
                  livenessProbe: { tcpSocket: { port: IPFS_PORTS.swarm }, initialDelaySeconds: 30, periodSeconds: 20 },
                  volumeMounts: [
                    { name: "data", mountPath: "/data/ipfs" },
                    { name: "init", mountPath: "/container-init.d", readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "init", configMap: { name: plan.names.config, defaultMode: 0o555 } },
                { name: "tmp", emptyDir: {} },
              ],
            },
          },
          volumeClaimTemplates: [dataClaimTemplate(plan.labels, cfg.storageGb, cfg.network.storageClassName)],
        },
      },
      { parent: this, protect: plan.protect, dependsOn: [secret, init] },
    );

    this.apiUrl = pulumi.output(plan.apiUrl);
    this.connection = pulumi.secret(
      token.apply((t) => ({
        apiUrl: plan.apiUrl,
        url: plan.apiUrl,
        ...(plan.gatewayUrl ? { gatewayUrl: plan.gatewayUrl } : {}),
        apiToken: t,
        password: t,
        host: plan.host,
        tls: false as const,
      })),
    );
    this.registerOutputs({
      connection: this.connection,
      implementation: this.implementation,
      apiUrl: this.apiUrl,
      port: this.port,
      network: this.network,
      credentialsSecretName: this.credentialsSecretName,
    });
  }
}
