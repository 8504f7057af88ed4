/**
 * `Scylla`: a ScyllaCluster (Scylla Operator) with password auth and client TLS, plus a Job
 * creating the keyspaces with their replication settings. Providers: `{ kubernetes, random }`.
 *
 * Note: Scylla pods are configured by the operator and do not meet Pod Security `restricted`;
 * run them in a namespace labelled `baseline` (the keyspace Job itself is `restricted`).
 */
import * as k8s from "@pulumi/kubernetes";
import { provisionOperator } from "../operator-namespace";
import * as pulumi from "@pulumi/pulumi";
import { generatePassword } from "../../secrets/generate";
import { assertNoProblems, type DataNetwork } from "../network";
import { resolveTls, serviceDnsNames, storeCertificate } from "../certs";
import { parseArgs } from "../schema";
import { scyllaArgsSchema, type ScyllaArgs } from "./args";
import { SCYLLA_OPERATOR_CHART, planScylla } from "./plan";
import type { ScyllaConnection } from "./types";

export type { ScyllaArgs, ScyllaConfig } from "./args";
export type { ScyllaConnection } from "./types";

export class Scylla extends pulumi.ComponentResource {
  public readonly connection: pulumi.Output<ScyllaConnection>;
  public readonly implementation = "operator" as const;
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
    const plan = planScylla({ name, ...cfg });
    assertNoProblems("Scylla", name, plan.problems);
    super("platform:data:Scylla", name, {}, opts);
    const ns = cfg.network.namespace;
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
      { metadata: { name: plan.names.config, namespace: ns, labels: plan.labels }, data: { "scylla.yaml": plan.scyllaYaml, "keyspaces.cql": plan.keyspaceCql } },
      { parent: this },
    );
    const cert = storeCertificate(name, this, ns, cfg.tls, [...serviceDnsNames(ns, [plan.names.clientService]), `*.${ns}.svc.cluster.local`], plan.labels);
    const deps: pulumi.Resource[] = [config, ...(cert ? [cert] : [])];
    if (cfg.installOperator) {
      deps.push(
        provisionOperator(`${name}-scylla`, {
          namespace: cfg.operatorNamespace,
          operator: "scylla-operator",
          apiServerCidrs: cfg.apiServerCidrs,
          webhookPorts: [5000],
          managed: { namespace: ns, ports: [10000, 10001] },
          release: "scylla-operator",
          chart: SCYLLA_OPERATOR_CHART,
          charts: cfg.charts,
        }, this),
      );
    }

    const tlsVolume = plan.tls ? { volumes: [{ name: "client-tls", secret: { secretName: cfg.tls.certSecretName } }], volumeMounts: [{ name: "client-tls", mountPath: "/var/lib/scylla-client-tls", readOnly: true }] } : {};
    const cluster = new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: "scylla.scylladb.com/v1",
        kind: "ScyllaCluster",
        metadata: { name: plan.names.cluster, namespace: ns, labels: plan.labels },
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
              resources: { requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory }, limits: { cpu: cfg.resources.cpu, memory: cfg.resources.memory } },
              ...tlsVolume,
            })),
          },
          ...(plan.backupTasks.length ? { backups: plan.backupTasks } : {}),
        },
      },
      { parent: this, protect: plan.protect, dependsOn: deps },
    );

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
    this.registerOutputs({ connection: this.connection, implementation: this.implementation, caSecretName: this.caSecretName, host: this.host, port: this.port, network: this.network, credentialsSecretName: this.credentialsSecretName });
  }
}
