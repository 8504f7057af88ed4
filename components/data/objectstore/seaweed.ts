/**
 * SeaweedFS in-cluster from a `SeaweedPlan`, as plain manifests (no Helm): master
 * StatefulSet (1/3/5 raft peers), ≥3 volume servers, one filer with the embedded S3 gateway
 * (TLS from a cert Secret, identities from a generated s3.json), and a Job creating buckets.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { generatePassword } from "../../secrets/generate";
import { serviceDnsNames, storeCertificate } from "../certs";
import { dataClaimTemplate, dataNodePlacement } from "../network";
import type { SeaweedObjectStoreConfig } from "./args";
import { SEAWEED_PORTS as P, type SeaweedPlan } from "./plan";

type Port = { name: string; port: number };

export function provisionSeaweed(name: string, parent: pulumi.Resource, cfg: SeaweedObjectStoreConfig, plan: SeaweedPlan) {
  const ns = cfg.network.namespace;
  const accessKey = generatePassword(`${name}-s3-access-key`, { length: 20, special: false, lower: false }, { parent });
  const secretKey = generatePassword(`${name}-s3-secret-key`, { length: 40, special: false }, { parent });
  const bucketNames = cfg.buckets.map((b) => b.name);
  const s3json = pulumi.secret(
    pulumi.all([accessKey, secretKey]).apply(([ak, sk]) =>
      JSON.stringify({
        identities: [
          {
            name: "app",
            credentials: [{ accessKey: ak, secretKey: sk }],
            actions: bucketNames.flatMap((b) => ["Read", "Write", "List", "Tagging"].map((a) => `${a}:${b}`)),
          },
        ],
      }),
    ),
  );
  const s3Config = new k8s.core.v1.Secret(
    `${name}-s3-config`,
    { metadata: { name: plan.names.s3Config, namespace: ns, labels: plan.labels }, type: "Opaque", stringData: { "s3.json": s3json } },
    { parent },
  );

  const service = (rn: string, svcName: string, selector: Record<string, string>, ports: Port[], headless: boolean) =>
    new k8s.core.v1.Service(
      rn,
      {
        metadata: { name: svcName, namespace: ns, labels: plan.labels },
        spec: {
          type: "ClusterIP",
          ...(headless ? { clusterIP: "None", publishNotReadyAddresses: true } : {}),
          selector,
          ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: "TCP" })),
        },
      },
      { parent },
    );

  const statefulSet = (
    rn: string,
    setName: string,
    replicas: number,
    podLabels: Record<string, string>,
    args: string[],
    ports: Port[],
    storageGb: number,
    extra: { volumes?: k8s.types.input.core.v1.Volume[]; mounts?: k8s.types.input.core.v1.VolumeMount[]; deps?: pulumi.Resource[] } = {},
  ) =>
    new k8s.apps.v1.StatefulSet(
      rn,
      {
        metadata: { name: setName, namespace: ns, labels: plan.labels },
        spec: {
          serviceName: setName,
          replicas,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: podLabels },
          template: {
            metadata: { labels: { ...plan.labels, ...podLabels } },
            spec: {
              securityContext: plan.podSecurity,
              automountServiceAccountToken: false,
              ...dataNodePlacement(cfg.network),
              containers: [
                {
                  name: "seaweedfs",
                  image: cfg.image,
                  command: ["weed"],
                  args,
                  env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
                  ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
                  securityContext: plan.containerSecurity,
                  resources: { requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory }, limits: { memory: cfg.resources.memory } },
                  readinessProbe: { tcpSocket: { port: ports[0].port }, periodSeconds: 10 },
                  livenessProbe: { tcpSocket: { port: ports[0].port }, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 6 },
                  volumeMounts: [{ name: "data", mountPath: "/data" }, { name: "tmp", mountPath: "/tmp" }, ...(extra.mounts ?? [])],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: {} }, ...(extra.volumes ?? [])],
            },
          },
          volumeClaimTemplates: [dataClaimTemplate(plan.labels, storageGb, cfg.network.storageClassName)],
        },
      },
      { parent, protect: plan.protect, dependsOn: extra.deps ?? [] },
    );

  const masterPorts = [
    { name: "http", port: P.masterHttp },
    { name: "grpc", port: P.masterGrpc },
  ];
  const volumePorts = [
    { name: "http", port: P.volumeHttp },
    { name: "grpc", port: P.volumeGrpc },
  ];
  const filerPorts = [
    { name: "s3", port: P.s3 },
    { name: "http", port: P.filerHttp },
    { name: "grpc", port: P.filerGrpc },
  ];

  service(`${name}-master`, plan.names.master, plan.podLabels.master, masterPorts, true);
  service(`${name}-volume`, plan.names.volume, plan.podLabels.volume, volumePorts, true);
  service(`${name}-filer`, plan.names.filer, plan.podLabels.filer, filerPorts, true);
  service(`${name}-s3`, plan.names.s3, plan.podLabels.filer, [{ name: "s3", port: P.s3 }], false);

  const master = statefulSet(`${name}-master`, plan.names.master, plan.counts.masters, plan.podLabels.master, plan.masterArgs, masterPorts, 1);
  const volume = statefulSet(
    `${name}-volume`,
    plan.names.volume,
    plan.counts.volumeServers,
    plan.podLabels.volume,
    plan.volumeArgs,
    volumePorts,
    cfg.volumeStorageGb,
    { deps: [master] },
  );
  const cert = storeCertificate(name, parent, ns, cfg.tls, serviceDnsNames(ns, [plan.names.s3], [plan.names.filer]), plan.labels);
  const filerVolumes: k8s.types.input.core.v1.Volume[] = [{ name: "s3-config", secret: { secretName: plan.names.s3Config, defaultMode: 0o440 } }];
  const filerMounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: "s3-config", mountPath: "/etc/seaweedfs", readOnly: true }];
  if (plan.tls) {
    filerVolumes.push({ name: "tls", secret: { secretName: cfg.tls.certSecretName, defaultMode: 0o440 } });
    filerMounts.push({ name: "tls", mountPath: "/tls", readOnly: true });
  }
  const filer = statefulSet(`${name}-filer`, plan.names.filer, plan.counts.filers, plan.podLabels.filer, plan.filerArgs, filerPorts, cfg.filerStorageGb, {
    volumes: filerVolumes,
    mounts: filerMounts,
    deps: [master, s3Config, ...(cert ? [cert] : [])],
  });

  new k8s.batch.v1.Job(
    `${name}-buckets`,
    {
      metadata: { name: plan.names.bucketJob, namespace: ns, labels: plan.labels },
      spec: {
        backoffLimit: 10,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels: { ...plan.labels, ...plan.podLabels.filer, "app.kubernetes.io/component": "bucket-job" } },
          spec: {
            restartPolicy: "OnFailure",
            securityContext: plan.podSecurity,
            automountServiceAccountToken: false,
            containers: [
              {
                name: "create-buckets",
                image: cfg.image,
                command: ["sh", "-c", plan.bucketScript],
                securityContext: plan.containerSecurity,
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: {} }],
          },
        },
      },
    },
    { parent, dependsOn: [filer, volume] },
  );

  return {
    accessKeyId: accessKey,
    secretAccessKey: secretKey,
    credentialsSecretName: plan.names.s3Config,
  };
}
