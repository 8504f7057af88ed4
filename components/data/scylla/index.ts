/**
 * `Scylla`: a ScyllaCluster (Scylla Operator) with password auth and client TLS, plus a Job
 * creating the keyspaces with their replication settings. Providers: `{ kubernetes, random }`.
 *
 * `implementation: "statefulset"` runs one developer-mode node from a plain StatefulSet instead
 * (throw-away tiers that install no operator); the client Service, credentials, keyspace Job and
 * connection are the same, so clients cannot tell the two apart.
 *
 * ScyllaDB runs as root with CAP_SYS_NICE either way (the operator sets exactly that, and
 * non-root is scylla-operator#1210, open), which Pod Security `restricted` and `baseline` refuse:
 * run it in a namespace enforcing `privileged` (the cluster's `data-privileged` namespace). The
 * keyspace Job itself meets `restricted`.
 */
import * as k8s from "@pulumi/kubernetes";
import { provisionOperator } from "../operator-namespace";
import * as pulumi from "@pulumi/pulumi";
import { generatePassword } from "../../secrets/generate";
import { assertNoProblems, dataClaimTemplate, dataNodePlacement, type DataNetwork } from "../network";
import { resolveTls, serviceDnsNames, storeCertificate } from "../certs";
import { parseArgs } from "../schema";
import { scyllaArgsSchema, type ScyllaArgs } from "./args";
import { SCYLLA_OPERATOR_CHART, planScylla, scyllaMemoryArg, type ScyllaPlan } from "./plan";
import type { ScyllaConfig } from "./args";
import type { ScyllaConnection } from "./types";

export type { ScyllaArgs, ScyllaConfig } from "./args";
export type { ScyllaConnection } from "./types";

export class Scylla extends pulumi.ComponentResource {
  public readonly connection: pulumi.Output<ScyllaConnection>;
  public readonly implementation: "operator" | "statefulset";
  /** Secret with the server CA (`ca.crt`) clients use to verify the CQL TLS certificate. */
  public readonly caSecretName?: string;
  public readonly host: pulumi.Output<string>;
  public readonly port: number;
  public readonly network: DataNetwork;
  /** Secret (data namespace) with `username`, `password` (app role) and `admin-password`. */
  public readonly credentialsSecretName: string;

  constructor(name: string, args: ScyllaArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const parsed = parseArgs("Scylla", name, scyllaArgsSchema, args);
    const cfg = { ...parsed, tls: resolveTls(name, parsed.tls) };
    const plan = planScylla({ name, ...cfg, metrics: cfg.metrics && cfg.implementation === "operator" });
    assertNoProblems("Scylla", name, plan.problems);
    super("platform:data:Scylla", name, {}, opts);
    const ns = cfg.network.namespace;
    this.implementation = cfg.implementation;
    this.port = plan.port;
    this.network = plan.network;
    this.credentialsSecretName = plan.names.secret;
    if (plan.tls) this.caSecretName = cfg.tls.certSecretName;

    const appPassword = generatePassword(`${name}-password`, { length: 40, special: false }, { parent: this });
    const adminPassword = generatePassword(`${name}-admin-password`, { length: 40, special: false }, { parent: this });
    const secret = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: plan.names.secret, namespace: ns, labels: plan.labels },
        type: "Opaque",
        stringData: { username: cfg.username, password: appPassword, "admin-password": adminPassword },
      },
      { parent: this },
    );
    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: { name: plan.names.config, namespace: ns, labels: plan.labels },
        data: { "scylla.yaml": plan.scyllaYaml, "keyspaces.cql": plan.keyspaceCql },
      },
      { parent: this },
    );
    const cert = storeCertificate(name, this, ns, cfg.tls, [...serviceDnsNames(ns, [plan.names.clientService]), `*.${ns}.svc.cluster.local`], plan.labels);
    const deps: pulumi.Resource[] = [config, ...(cert ? [cert] : [])];
    if (cfg.installOperator) {
      deps.push(
        provisionOperator(
          `${name}-scylla`,
          {
            namespace: cfg.operatorNamespace,
            operator: "scylla-operator",
            apiServerCidrs: cfg.apiServerCidrs,
            webhookPorts: [5000],
            managed: { namespace: ns, ports: [10000, 10001] },
            release: "scylla-operator",
            chart: SCYLLA_OPERATOR_CHART,
            charts: cfg.charts,
            // The pinned chart (and the mirror's newest release alike) sets no container securityContext and offers no
            // value for it, so its operator and webhook pods cannot meet `restricted` (found by the
            // conformance run: every pod FailedCreate). Baseline, with what the pod level can give.
            podSecurity: "baseline",
            values: { securityContext: { seccompProfile: { type: "RuntimeDefault" } } },
          },
          this,
        ),
      );
    }

    const tlsVolume = plan.tls
      ? {
          volumes: [{ name: "client-tls", secret: { secretName: cfg.tls.certSecretName } }],
          volumeMounts: [{ name: "client-tls", mountPath: "/var/lib/scylla-client-tls", readOnly: true }],
        }
      : {};
    const cluster =
      cfg.implementation === "statefulset"
        ? provisionStatefulsetScylla(name, this, cfg, plan, deps)
        : new k8s.apiextensions.CustomResource(
            name,
            {
              apiVersion: "scylla.scylladb.com/v1",
              kind: "ScyllaCluster",
              metadata: {
                name: plan.names.cluster,
                namespace: ns,
                labels: plan.labels,
                ...(cfg.rebuiltFrom && !cfg.backup.enabled ? { annotations: { "platform.io/restore": `no backups; rebuilt from ${cfg.rebuiltFrom}` } } : {}),
              },
              spec: {
                version: cfg.version,
                agentVersion: cfg.agentVersion,
                developerMode: cfg.developerMode,
                automaticOrphanedNodeCleanup: true,
                datacenter: {
                  name: cfg.datacenter,
                  racks: plan.racks.map((r) => ({
                    name: r.name,
                    members: r.members,
                    scyllaConfig: plan.names.config,
                    storage: { capacity: `${cfg.storageGb}Gi`, ...(cfg.network.storageClassName ? { storageClassName: cfg.network.storageClassName } : {}) },
                    resources: {
                      requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory },
                      limits: { cpu: cfg.resources.cpu, memory: cfg.resources.memory },
                    },
                    ...tlsVolume,
                    ...scyllaPlacement(cfg.network),
                  })),
                },
                ...(plan.backupTasks.length ? { backups: plan.backupTasks } : {}),
              },
            },
            { parent: this, protect: plan.protect, dependsOn: deps },
          );

    if (plan.serviceMonitor) {
      new k8s.apiextensions.CustomResource(
        `${name}-servicemonitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "ServiceMonitor",
          metadata: { name: plan.serviceMonitor.name, namespace: ns, labels: plan.labels },
          spec: { selector: { matchLabels: plan.serviceMonitor.selector }, endpoints: [{ port: plan.serviceMonitor.port }] },
        },
        { parent: this, dependsOn: [cluster] },
      );
    }

    const jobVolumes: k8s.types.input.core.v1.Volume[] = [
      { name: "tmp", emptyDir: {} },
      { name: "cql", configMap: { name: plan.names.config, items: [{ key: "keyspaces.cql", path: "keyspaces.cql" }] } },
    ];
    const jobMounts: k8s.types.input.core.v1.VolumeMount[] = [
      { name: "tmp", mountPath: "/tmp" },
      { name: "cql", mountPath: "/etc/scylla-keyspaces", readOnly: true },
    ];
    if (plan.tls) {
      jobVolumes.push({ name: "tls", secret: { secretName: cfg.tls.certSecretName, items: [{ key: "ca.crt", path: "ca.crt" }] } });
      jobMounts.push({ name: "tls", mountPath: "/tls", readOnly: true });
    }
    const fromSecret = (key: string) => ({ secretKeyRef: { name: plan.names.secret, key } });
    new k8s.batch.v1.Job(
      `${name}-keyspaces`,
      {
        metadata: { name: plan.names.job, namespace: ns, labels: plan.labels },
        spec: {
          backoffLimit: 20,
          ttlSecondsAfterFinished: 3600,
          template: {
            metadata: { labels: { ...plan.labels, ...plan.jobLabels } },
            spec: {
              restartPolicy: "OnFailure",
              securityContext: plan.jobPodSecurity,
              automountServiceAccountToken: false,
              containers: [
                {
                  name: "cqlsh",
                  image: `scylladb/scylla:${cfg.version}`,
                  command: ["sh", "-c", plan.jobScript],
                  env: [
                    { name: "APP_PASSWORD", valueFrom: fromSecret("password") },
                    { name: "ADMIN_PASSWORD", valueFrom: fromSecret("admin-password") },
                  ],
                  securityContext: plan.jobContainerSecurity,
                  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
                  volumeMounts: jobMounts,
                },
              ],
              volumes: jobVolumes,
            },
          },
        },
      },
      { parent: this, dependsOn: [cluster, secret] },
    );

    this.host = pulumi.output(plan.host);
    this.connection = pulumi.secret(
      appPassword.apply((pw) => ({
        host: plan.host,
        port: plan.port,
        url: `${plan.host}:${plan.port}`,
        datacenter: cfg.datacenter,
        username: cfg.username,
        password: pw,
        keyspaces: cfg.keyspaces.map((k) => k.name),
        tls: plan.tls,
      })),
    );
    this.registerOutputs({
      connection: this.connection,
      implementation: this.implementation,
      caSecretName: this.caSecretName,
      host: this.host,
      port: this.port,
      network: this.network,
      credentialsSecretName: this.credentialsSecretName,
    });
  }
}

/**
 * A rack's `placement` (ScyllaCluster `spec.datacenter.racks[].placement`: nodeAffinity and
 * tolerations, which the operator copies into the member pods) on the dedicated data nodes; `{}`
 * without them. The rack placement has no plain nodeSelector: the node labels become a required
 * node affinity.
 */
export function scyllaPlacement(net: ScyllaConfig["network"]): { placement?: Record<string, unknown> } {
  const p = dataNodePlacement(net);
  if (!p.nodeSelector) return {};
  const matchExpressions = Object.entries(p.nodeSelector).map(([key, value]) => ({ key, operator: "In", values: [value] }));
  return {
    placement: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } }, tolerations: p.tolerations },
  };
}

/**
 * One developer-mode ScyllaDB node (the image's own entrypoint), with the same client Service,
 * labels and scylla.yaml settings (password auth, CassandraAuthorizer) as the operator path, and
 * the datacenter the keyspaces replicate to (GossipingPropertyFileSnitch + cassandra-rackdc).
 */
function provisionStatefulsetScylla(
  name: string,
  parent: pulumi.Resource,
  cfg: ScyllaConfig,
  plan: ScyllaPlan,
  deps: pulumi.Resource[],
): k8s.apps.v1.StatefulSet {
  const ns = cfg.network.namespace;
  const rackdc = new k8s.core.v1.ConfigMap(
    `${name}-rackdc`,
    {
      metadata: { name: `${plan.names.cluster}-rackdc`, namespace: ns, labels: plan.labels },
      data: { "cassandra-rackdc.properties": `dc=${cfg.datacenter}\nrack=${plan.racks[0]!.name}\n` },
    },
    { parent },
  );
  const cql = plan.network.kind === "kubernetes" ? plan.network.ports : [];
  new k8s.core.v1.Service(
    `${name}-client`,
    {
      metadata: { name: plan.names.clientService, namespace: ns, labels: plan.labels },
      spec: { type: "ClusterIP", selector: plan.podLabels, ports: cql.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: "TCP" })) },
    },
    { parent },
  );
  return new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: { name: plan.names.cluster, namespace: ns, labels: plan.labels },
      spec: {
        serviceName: plan.names.clientService,
        replicas: 1,
        selector: { matchLabels: plan.podLabels },
        template: {
          metadata: { labels: { ...plan.labels, ...plan.podLabels } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            ...dataNodePlacement(cfg.network),
            containers: [
              {
                name: "scylla",
                image: `scylladb/scylla:${cfg.version}`,
                args: [
                  "--developer-mode=1",
                  "--smp=1",
                  `--memory=${scyllaMemoryArg(cfg.resources.memory)}`,
                  "--overprovisioned=1",
                  "--authenticator=PasswordAuthenticator",
                  "--authorizer=CassandraAuthorizer",
                  "--endpoint-snitch=GossipingPropertyFileSnitch",
                ],
                ports: cql.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
                // What the Scylla Operator gives its own ScyllaDB container: root, plus CAP_SYS_NICE.
                securityContext: { runAsUser: 0, runAsGroup: 0, capabilities: { add: ["SYS_NICE"] } },
                resources: {
                  requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory },
                  limits: { cpu: cfg.resources.cpu, memory: cfg.resources.memory },
                },
                readinessProbe: { tcpSocket: { port: plan.port }, initialDelaySeconds: 15, periodSeconds: 10 },
                // Bootstrapping a fresh node takes a while: restart only after ~3 minutes of silence.
                livenessProbe: { tcpSocket: { port: plan.port }, initialDelaySeconds: 60, periodSeconds: 20, failureThreshold: 6 },
                volumeMounts: [
                  { name: "data", mountPath: "/var/lib/scylla" },
                  { name: "rackdc", mountPath: "/etc/scylla/cassandra-rackdc.properties", subPath: "cassandra-rackdc.properties", readOnly: true },
                ],
              },
            ],
            volumes: [{ name: "rackdc", configMap: { name: `${plan.names.cluster}-rackdc` } }],
          },
        },
        volumeClaimTemplates: [dataClaimTemplate(plan.labels, cfg.storageGb, cfg.network.storageClassName)],
      },
    },
    { parent, protect: plan.protect, dependsOn: [...deps, rackdc] },
  );
}
