/** Resources for `Redis` from its plans: ElastiCache replication group, or a redis StatefulSet. */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { generatePassword } from "../../secrets/generate";
import { dataSecurityGroup, kmsKey } from "../awsCommon";
import { serviceDnsNames, storeCertificate } from "../certs";
import { awsTags, dataClaimTemplate, dataNodePlacement } from "../network";
import type { ManagedRedisConfig, StatefulsetRedisConfig } from "./args";
import type { ClusterRedisPlan, ManagedRedisPlan } from "./plan";
import type { RedisConnection } from "./types";

function connectionOf(
  host: pulumi.Input<string>,
  readerHost: pulumi.Input<string>,
  port: number,
  tls: boolean,
  password: pulumi.Output<string>,
): pulumi.Output<RedisConnection> {
  return pulumi.secret(
    pulumi.all([host, readerHost, password]).apply(([h, r, pw]) => ({
      host: h,
      readerHost: r,
      port,
      password: pw,
      tls,
      url: `${tls ? "rediss" : "redis"}://:${encodeURIComponent(pw)}@${h}:${port}`,
    })),
  );
}

export function provisionManagedRedis(name: string, parent: pulumi.Resource, cfg: ManagedRedisConfig, plan: ManagedRedisPlan) {
  const tags = awsTags(name, "redis", cfg.labels);
  const keyArn = kmsKey(name, parent, cfg.kmsKeyArn, `${name} Redis at-rest encryption`, tags);
  const subnets = new aws.elasticache.SubnetGroup(
    `${name}-subnets`,
    { subnetIds: cfg.network.subnetIds, description: `${name}: private subnets`, tags },
    { parent },
  );
  const sg = dataSecurityGroup(name, parent, cfg.network.vpcId, cfg.network.allowedSecurityGroupIds, plan.port, tags);
  // ElastiCache AUTH tokens: 16-128 printable chars; alphanumerics avoid the forbidden ones.
  const token = generatePassword(`${name}-auth-token`, { length: 64, special: false }, { parent });
  const group = new aws.elasticache.ReplicationGroup(
    name,
    {
      description: `${name} Redis (TLS, AUTH, KMS)`,
      engine: "redis",
      engineVersion: plan.engineVersion,
      parameterGroupName: plan.parameterGroupName,
      nodeType: cfg.nodeType,
      port: plan.port,
      numCacheClusters: plan.numCacheClusters,
      automaticFailoverEnabled: plan.automaticFailover,
      multiAzEnabled: plan.multiAz,
      subnetGroupName: subnets.name,
      securityGroupIds: [sg.id],
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      authToken: token,
      atRestEncryptionEnabled: true,
      kmsKeyId: keyArn,
      snapshotRetentionLimit: plan.snapshotRetentionLimit,
      snapshotWindow: plan.snapshotWindow,
      finalSnapshotIdentifier: plan.finalSnapshotIdentifier,
      autoMinorVersionUpgrade: true,
      applyImmediately: false,
      maintenanceWindow: "sun:05:00-sun:06:00",
      tags,
    },
    { parent, protect: plan.protect },
  );
  const host = group.primaryEndpointAddress;
  const readerHost = plan.numCacheClusters > 1 ? group.readerEndpointAddress : group.primaryEndpointAddress;
  return { connection: connectionOf(host, readerHost, plan.port, true, token), host, readerHost, securityGroupId: sg.id };
}

export function provisionClusterRedis(name: string, parent: pulumi.Resource, cfg: StatefulsetRedisConfig, plan: ClusterRedisPlan) {
  const ns = cfg.network.namespace;
  const password = generatePassword(`${name}-password`, { length: 48, special: false }, { parent });
  const secret = new k8s.core.v1.Secret(
    `${name}-auth`,
    { metadata: { name: plan.names.secret, namespace: ns, labels: plan.labels }, type: "Opaque", stringData: { password: password } },
    { parent },
  );
  const config = new k8s.core.v1.ConfigMap(
    `${name}-config`,
    { metadata: { name: `${name}-config`, namespace: ns, labels: plan.labels }, data: { "redis.conf": plan.configFile, "start.sh": plan.startScript } },
    { parent },
  );
  const cert = storeCertificate(name, parent, ns, cfg.tls, serviceDnsNames(ns, [plan.names.primary, plan.names.reader], [plan.names.headless]), plan.labels);
  const svcPort = [{ name: "redis", port: plan.port, targetPort: plan.port, protocol: "TCP" }];
  new k8s.core.v1.Service(
    `${name}-headless`,
    {
      metadata: { name: plan.names.headless, namespace: ns, labels: plan.labels },
      spec: { clusterIP: "None", selector: plan.podLabels, ports: svcPort, publishNotReadyAddresses: true },
    },
    { parent },
  );
  new k8s.core.v1.Service(
    `${name}-primary`,
    {
      metadata: { name: plan.names.primary, namespace: ns, labels: plan.labels },
      spec: { type: "ClusterIP", selector: { ...plan.podLabels, "statefulset.kubernetes.io/pod-name": `${plan.names.statefulSet}-0` }, ports: svcPort },
    },
    { parent },
  );
  if (plan.pods > 1) {
    new k8s.core.v1.Service(
      `${name}-ro`,
      { metadata: { name: plan.names.reader, namespace: ns, labels: plan.labels }, spec: { type: "ClusterIP", selector: plan.podLabels, ports: svcPort } },
      { parent },
    );
  }
  const volumes: k8s.types.input.core.v1.Volume[] = [
    { name: "config", configMap: { name: `${name}-config`, defaultMode: 0o444 } },
    { name: "tmp", emptyDir: { medium: "Memory" } },
  ];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [
    { name: "config", mountPath: "/etc/redis", readOnly: true },
    { name: "tmp", mountPath: "/tmp" },
    { name: "data", mountPath: "/data" },
  ];
  if (!plan.pvc) volumes.push({ name: "data", emptyDir: {} });
  if (plan.tls) {
    volumes.push({ name: "tls", secret: { secretName: cfg.tls.certSecretName, defaultMode: 0o440 } });
    mounts.push({ name: "tls", mountPath: "/tls", readOnly: true });
  }
  const probe = plan.tls
    ? ["sh", "-c", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --tls --cacert /tls/ca.crt -h 127.0.0.1 ping']
    : ["sh", "-c", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 ping'];
  new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: { name: plan.names.statefulSet, namespace: ns, labels: plan.labels },
      spec: {
        serviceName: plan.names.headless,
        replicas: plan.pods,
        selector: { matchLabels: plan.podLabels },
        template: {
          metadata: { labels: { ...plan.labels, ...plan.podLabels } },
          spec: {
            securityContext: plan.podSecurity,
            automountServiceAccountToken: false,
            ...dataNodePlacement(cfg.network),
            containers: [
              {
                name: "redis",
                image: cfg.image,
                command: ["sh", "/etc/redis/start.sh"],
                env: [{ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: plan.names.secret, key: "password" } } }],
                ports: [{ name: "redis", containerPort: plan.port, protocol: "TCP" }],
                securityContext: plan.containerSecurity,
                resources: { requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory }, limits: { memory: cfg.resources.memory } },
                readinessProbe: { exec: { command: probe }, periodSeconds: 10 },
                livenessProbe: { tcpSocket: { port: plan.port }, initialDelaySeconds: 15, periodSeconds: 20 },
                volumeMounts: mounts,
              },
              ...(plan.exporter
                ? [
                    {
                      name: "exporter",
                      image: cfg.exporterImage,
                      env: [...plan.exporter.env, { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: plan.names.secret, key: "password" } } }],
                      ports: [{ name: "metrics", containerPort: plan.exporter.port, protocol: "TCP" }],
                      securityContext: plan.containerSecurity,
                      resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                      readinessProbe: { tcpSocket: { port: plan.exporter.port }, periodSeconds: 15 },
                      // The pack's baseline-resources-probes wants both on every container: a hung exporter is restarted.
                      livenessProbe: { tcpSocket: { port: plan.exporter.port }, initialDelaySeconds: 15, periodSeconds: 30 },
                    },
                  ]
                : []),
            ],
            volumes,
          },
        },
        volumeClaimTemplates: plan.pvc ? [dataClaimTemplate(plan.labels, cfg.storageGb, cfg.network.storageClassName)] : [],
      },
    },
    { parent, protect: plan.protect, dependsOn: [secret, config, ...(cert ? [cert] : [])] },
  );
  if (plan.exporter) {
    new k8s.apiextensions.CustomResource(
      `${name}-podmonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: plan.exporter.podMonitor.name, namespace: ns, labels: plan.labels },
        spec: { selector: { matchLabels: plan.exporter.podMonitor.selector }, podMetricsEndpoints: [{ port: "metrics" }] },
      },
      { parent },
    );
  }
  return { connection: connectionOf(plan.host, plan.readerHost, plan.port, plan.tls, password), credentialsSecretName: plan.names.secret };
}
