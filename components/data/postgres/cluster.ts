/**
 * In-cluster PostgreSQL from a `ClusterPlan`:
 * - `operator`: a CloudNativePG `Cluster` (TLS always on, plain-text clients rejected in
 *   pg_hba, WAL archiving + daily `ScheduledBackup` to object storage through barman).
 * - `statefulset`: one postgres StatefulSet with a PVC for the `local` tier (no Helm, no
 *   operator, nothing fetched at run time besides the image); TLS from a given cert Secret.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { provisionOperator } from "../operator-namespace";
import * as pulumi from "@pulumi/pulumi";
import { generatePassword } from "../../secrets/generate";
import { serviceDnsNames, storeCertificate } from "../certs";
import { dataClaimTemplate, dataNodePlacement } from "../network";
import type { OperatorPostgresConfig, StatefulsetPostgresConfig } from "./args";
import { CNPG_CHART, CNPG_IMAGES, barmanPolicy, irsaTrust, parseS3Path, type ClusterPlan } from "./plan";
import type { PostgresConnection } from "./types";

export interface ClusterPostgresResult {
  connection: pulumi.Output<PostgresConnection>;
  credentialsSecretName: string;
  /** Secret holding the server CA (`ca.crt`) clients use for sslmode=verify-full; undefined for statefulset. */
  caSecretName?: string;
}

function connectionOf(plan: ClusterPlan, cfg: { database: string; username: string }, password: pulumi.Output<string>): pulumi.Output<PostgresConnection> {
  return pulumi.secret(
    password.apply((pw) => ({
      host: plan.host,
      primaryHost: plan.primaryHost,
      readerHost: plan.readerHost,
      port: plan.port,
      database: cfg.database,
      username: cfg.username,
      password: pw,
      sslmode: plan.sslmode,
      url: `postgresql://${cfg.username}:${encodeURIComponent(pw)}@${plan.host}:${plan.port}/${cfg.database}?sslmode=${plan.sslmode}`,
    })),
  );
}

function appSecret(
  name: string,
  parent: pulumi.Resource,
  plan: ClusterPlan,
  ns: string,
  username: string,
  password: pulumi.Output<string>,
  extra: Record<string, pulumi.Input<string>> = {},
) {
  return new k8s.core.v1.Secret(
    `${name}-app-credentials`,
    {
      metadata: { name: plan.names.appSecret, namespace: ns, labels: plan.labels },
      type: "kubernetes.io/basic-auth",
      stringData: { username, password, ...extra },
    },
    { parent },
  );
}

export function provisionOperatorPostgres(name: string, parent: pulumi.Resource, cfg: OperatorPostgresConfig, plan: ClusterPlan): ClusterPostgresResult {
  const ns = cfg.network.namespace;
  const password = generatePassword(`${name}-password`, { length: 40, special: false }, { parent });
  const secret = appSecret(name, parent, plan, ns, cfg.username, password);

  const deps: pulumi.Resource[] = [secret];
  if (cfg.installOperator) {
    deps.push(
      provisionOperator(
        `${name}-cnpg`,
        {
          namespace: cfg.operatorNamespace,
          operator: "cnpg",
          apiServerCidrs: cfg.apiServerCidrs,
          webhookPorts: [9443],
          managed: { namespace: ns, ports: [8000] },
          release: "cnpg",
          chart: CNPG_CHART,
          charts: cfg.charts,
          values: { crds: { create: true }, config: { clusterWide: true } },
        },
        parent,
      ),
    );
  }

  let barman: Record<string, unknown> | undefined;
  let serviceAccountTemplate: Record<string, unknown> | undefined;
  if (plan.walArchiving && cfg.backupTarget) {
    const t = cfg.backupTarget;
    let s3Credentials: Record<string, unknown> = { inheritFromIAMRole: true };
    if (t.credentials) {
      const creds = t.credentials;
      deps.push(
        new k8s.core.v1.Secret(
          `${name}-backup-credentials`,
          {
            metadata: { name: plan.names.backupSecret, namespace: ns, labels: plan.labels },
            type: "Opaque",
            stringData: { ACCESS_KEY_ID: pulumi.secret(creds.accessKeyId), ACCESS_SECRET_KEY: pulumi.secret(creds.secretAccessKey) },
          },
          { parent },
        ),
      );
      s3Credentials = {
        accessKeyId: { name: plan.names.backupSecret, key: "ACCESS_KEY_ID" },
        secretAccessKey: { name: plan.names.backupSecret, key: "ACCESS_SECRET_KEY" },
      };
    }
    if (t.irsa) {
      // CNPG runs the instances under a service account named after the cluster.
      const irsa = t.irsa;
      const role = new aws.iam.Role(
        `${name}-backup`,
        {
          assumeRolePolicy: pulumi.all([irsa.oidcProviderArn, irsa.oidcIssuer]).apply(([arn, iss]) => irsaTrust(arn, iss, ns, plan.names.cluster)),
          tags: { "platform:component": "postgres", Name: name },
        },
        { parent },
      );
      new aws.iam.RolePolicy(
        `${name}-backup`,
        {
          role: role.id,
          policy: pulumi
            .all([irsa.bucketArn, irsa.kmsKeyArn, pulumi.output(t.destinationPath)])
            .apply(([b, k, d]) => barmanPolicy(b, parseS3Path(d).prefix, k)),
        },
        { parent },
      );
      serviceAccountTemplate = { metadata: { annotations: { "eks.amazonaws.com/role-arn": role.arn } } };
    }
    barman = {
      destinationPath: t.destinationPath,
      ...(t.endpointUrl ? { endpointURL: t.endpointUrl } : {}),
      ...(t.endpointCA ? { endpointCA: t.endpointCA } : {}),
      s3Credentials,
      wal: { compression: "gzip", maxParallel: 2 },
      data: { compression: "gzip" },
    };
  }

  const cluster = new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Cluster",
      metadata: { name: plan.names.cluster, namespace: ns, labels: plan.labels },
      spec: {
        instances: plan.instances,
        imageName: cfg.image ?? CNPG_IMAGES[cfg.version],
        primaryUpdateStrategy: "unsupervised",
        enableSuperuserAccess: false,
        storage: { size: `${cfg.storageGb}Gi`, ...(cfg.network.storageClassName ? { storageClass: cfg.network.storageClassName } : {}) },
        resources: { requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory }, limits: { memory: cfg.resources.memory } },
        // On the dedicated data nodes when the cluster has them (CNPG's affinity.nodeSelector/tolerations).
        affinity: {
          podAntiAffinityType: plan.instances > 1 ? "required" : "preferred",
          topologyKey: "kubernetes.io/hostname",
          ...dataNodePlacement(cfg.network),
        },
        bootstrap: { initdb: { database: cfg.database, owner: cfg.username, secret: { name: plan.names.appSecret } } },
        postgresql: {
          parameters: {
            archive_timeout: "5min",
            password_encryption: "scram-sha-256",
            ssl_min_protocol_version: "TLSv1.2",
            log_min_duration_statement: "1000",
          },
          pg_hba: plan.pgHba,
        },
        ...(barman ? { backup: { retentionPolicy: plan.scheduledBackup?.retention ?? "7d", barmanObjectStore: barman } } : {}),
        inheritedMetadata: { labels: plan.labels },
        ...(serviceAccountTemplate ? { serviceAccountTemplate } : {}),
      },
    },
    { parent, protect: plan.protect, dependsOn: deps },
  );

  // PgBouncer for writes (`rw`: the primary) and, where replicas are read, for reads (`ro`: the
  // `-ro` service, i.e. every replica; DATABASE_READ_URL).
  const pooler = (resourceName: string, poolerName: string, instances: number, type: "rw" | "ro") =>
    new k8s.apiextensions.CustomResource(
      resourceName,
      {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Pooler",
        metadata: { name: poolerName, namespace: ns, labels: plan.labels },
        spec: {
          cluster: { name: plan.names.cluster },
          instances,
          type,
          pgbouncer: { poolMode: "transaction", parameters: { max_client_conn: "1000", default_pool_size: "20" } },
        },
      },
      { parent, dependsOn: [cluster] },
    );
  if (plan.pooler) pooler(`${name}-pooler`, plan.names.pooler, plan.pooler.instances, "rw");
  if (plan.readerPooler) pooler(`${name}-pooler-ro`, plan.readerPooler.name, plan.readerPooler.instances, "ro");

  for (const m of plan.podMonitors) {
    new k8s.apiextensions.CustomResource(
      `${name}-podmonitor-${m.name}`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: m.name, namespace: ns, labels: plan.labels },
        spec: { selector: { matchLabels: m.selector }, podMetricsEndpoints: [{ port: "metrics" }] },
      },
      { parent, dependsOn: [cluster] },
    );
  }

  if (plan.scheduledBackup && barman) {
    new k8s.apiextensions.CustomResource(
      `${name}-daily`,
      {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "ScheduledBackup",
        metadata: { name: plan.names.scheduledBackup, namespace: ns, labels: plan.labels },
        spec: {
          schedule: plan.scheduledBackup.schedule,
          immediate: true,
          backupOwnerReference: "self",
          method: "barmanObjectStore",
          cluster: { name: plan.names.cluster },
        },
      },
      { parent, dependsOn: [cluster] },
    );
  }

  return { connection: connectionOf(plan, cfg, password), credentialsSecretName: plan.names.appSecret, caSecretName: `${plan.names.cluster}-ca` };
}

export function provisionStatefulsetPostgres(name: string, parent: pulumi.Resource, cfg: StatefulsetPostgresConfig, plan: ClusterPlan): ClusterPostgresResult {
  const ns = cfg.network.namespace;
  const password = generatePassword(`${name}-password`, { length: 40, special: false }, { parent });
  const secret = appSecret(name, parent, plan, ns, cfg.username, password, { database: cfg.database });
  const tlsOn = cfg.tls.enabled && !!cfg.tls.certSecretName;
  const cert = storeCertificate(name, parent, ns, cfg.tls, serviceDnsNames(ns, [plan.names.service]), plan.labels);

  const hba = ["# local socket inside the pod only (emptyDir), used by the image's init scripts", "local all all trust", ...plan.pgHba].join("\n") + "\n";
  const config = new k8s.core.v1.ConfigMap(
    `${name}-config`,
    { metadata: { name: plan.names.configMap, namespace: ns, labels: plan.labels }, data: { "pg_hba.conf": hba } },
    { parent },
  );

  new k8s.core.v1.Service(
    `${name}-svc`,
    {
      metadata: { name: plan.names.service, namespace: ns, labels: plan.labels },
      spec: { type: "ClusterIP", selector: plan.podLabels, ports: [{ name: "postgres", port: plan.port, targetPort: plan.port, protocol: "TCP" }] },
    },
    { parent },
  );

  const args = ["-c", "hba_file=/etc/postgresql/pg_hba.conf", "-c", "password_encryption=scram-sha-256"];
  if (tlsOn) args.push("-c", "ssl=on", "-c", "ssl_cert_file=/tls/tls.crt", "-c", "ssl_key_file=/tls/tls.key", "-c", "ssl_min_protocol_version=TLSv1.2");
  const volumes: k8s.types.input.core.v1.Volume[] = [
    { name: "config", configMap: { name: plan.names.configMap } },
    { name: "run", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
  ];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [
    { name: "data", mountPath: "/var/lib/postgresql/data" },
    { name: "config", mountPath: "/etc/postgresql", readOnly: true },
    { name: "run", mountPath: "/var/run/postgresql" },
    { name: "tmp", mountPath: "/tmp" },
  ];
  if (tlsOn) {
    volumes.push({ name: "tls", secret: { secretName: cfg.tls.certSecretName, defaultMode: 0o640 } });
    mounts.push({ name: "tls", mountPath: "/tls", readOnly: true });
  }
  const fromSecret = (key: string) => ({ secretKeyRef: { name: plan.names.appSecret, key } });

  new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: { name: plan.names.cluster, namespace: ns, labels: plan.labels },
      spec: {
        serviceName: plan.names.service,
        replicas: 1,
        selector: { matchLabels: plan.podLabels },
        template: {
          metadata: { labels: { ...plan.labels, ...plan.podLabels } },
          spec: {
            securityContext: plan.podSecurity,
            automountServiceAccountToken: false,
            ...dataNodePlacement(cfg.network),
            containers: [
              {
                name: "postgres",
                image: cfg.image,
                args,
                env: [
                  { name: "POSTGRES_USER", valueFrom: fromSecret("username") },
                  { name: "POSTGRES_PASSWORD", valueFrom: fromSecret("password") },
                  { name: "POSTGRES_DB", valueFrom: fromSecret("database") },
                  { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
                ],
                ports: [{ name: "postgres", containerPort: plan.port, protocol: "TCP" }],
                securityContext: plan.containerSecurity,
                resources: { requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory }, limits: { memory: cfg.resources.memory } },
                readinessProbe: { exec: { command: ["sh", "-c", 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'] }, periodSeconds: 10 },
                livenessProbe: { tcpSocket: { port: plan.port }, initialDelaySeconds: 30, periodSeconds: 20 },
                volumeMounts: mounts,
              },
            ],
            volumes,
          },
        },
        volumeClaimTemplates: [dataClaimTemplate(plan.labels, cfg.storageGb, cfg.network.storageClassName)],
      },
    },
    { parent, protect: plan.protect, dependsOn: [secret, config, ...(cert ? [cert] : [])] },
  );

  return {
    connection: connectionOf(plan, cfg, password),
    credentialsSecretName: plan.names.appSecret,
    ...(cfg.tls.certSecretName && tlsOn ? { caSecretName: cfg.tls.certSecretName } : {}),
  };
}
