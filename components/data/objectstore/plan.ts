/** Pure planning for `ObjectStore`: lifecycle rules, bucket policies, SeaweedFS topology. No Pulumi import. */
import type { BackupPolicy } from "../backups";
import { clientRule, restrictedContainerSecurity, restrictedPodSecurity, selfRule, storeLabels, tcp, k8sNameProblems } from "../network";
import type { ClusterNetwork, DataNetwork, PortSpec } from "../network";

export interface BucketSpec {
  name: string;
  purpose: "data" | "backups";
  archiveAfterDays?: number;
}

// ------------------------------------------------------------------ managed (S3)

export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: Record<string, never>;
  abortIncompleteMultipartUpload: { daysAfterInitiation: number };
  noncurrentVersionExpiration: { noncurrentDays: number };
  transitions?: { days: number; storageClass: "GLACIER" }[];
  expiration?: { days: number };
}

export interface ManagedBucketPlan {
  logicalName: string;
  /** Prefix for the globally unique S3 name (Pulumi adds a suffix). */
  bucketPrefix: string;
  lifecycle: LifecycleRule[];
  replicate: boolean;
}

export interface ManagedObjectStorePlan {
  problems: string[];
  buckets: ManagedBucketPlan[];
  protect: boolean;
}

/** Lifecycle per bucket purpose and backup policy (an explicit `archiveAfterDays` wins for the Glacier transition). */
export function lifecycleFor(purpose: BucketSpec["purpose"], b: BackupPolicy, archiveAfterDays?: number): LifecycleRule[] {
  const keepNoncurrent = Math.max(7, b.daily?.retentionDays ?? 0, b.pitrDays);
  const rule: LifecycleRule = {
    id: purpose === "backups" ? "backups-retention" : "data-retention",
    status: "Enabled",
    filter: {},
    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    noncurrentVersionExpiration: { noncurrentDays: keepNoncurrent },
  };
  if (purpose === "backups" && b.archive) {
    rule.transitions = [{ days: archiveAfterDays ?? b.archive.transitionAfterDays, storageClass: "GLACIER" }];
    rule.expiration = { days: Math.max(b.archive.expireAfterDays, (archiveAfterDays ?? 0) + 90) };
  } else if (archiveAfterDays) {
    rule.transitions = [{ days: archiveAfterDays, storageClass: "GLACIER" }];
  }
  return [rule];
}

export function planManagedObjectStore(i: {
  name: string;
  buckets: BucketSpec[];
  backup: BackupPolicy;
  protect: boolean;
  tls: { enabled: boolean };
  hasReplicaProvider: boolean;
}): ManagedObjectStorePlan {
  const problems: string[] = [];
  if (!i.tls.enabled) problems.push("tls.enabled: S3 buckets here always deny non-TLS requests; remove tls.enabled=false");
  if (i.backup.crossRegion && !i.hasReplicaProvider) problems.push("replicaProvider: backup.crossRegion is set; pass an aws.Provider for the replica region");
  return {
    problems,
    buckets: i.buckets.map((b) => ({
      logicalName: b.name,
      bucketPrefix:
        `${i.name}-${b.name}`
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, "-")
          .slice(0, 36)
          .replace(/-+$/, "") + "-",
      lifecycle: lifecycleFor(b.purpose, i.backup, b.archiveAfterDays),
      replicate: i.backup.crossRegion !== null,
    })),
    protect: i.protect,
  };
}

/** Bucket policy: deny any request without TLS, or with TLS older than 1.2. */
export function tlsOnlyPolicy(bucketArn: string): string {
  const res = [bucketArn, `${bucketArn}/*`];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: res, Condition: { Bool: { "aws:SecureTransport": "false" } } },
      { Sid: "DenyOldTls", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: res, Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } },
    ],
  });
}

/** IAM policy an app role needs to use the buckets (attach to the app's IRSA role). */
export function accessPolicy(bucketArns: string[], kmsKeyArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "List", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArns },
      {
        Sid: "Objects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        Resource: bucketArns.map((a) => `${a}/*`),
      },
      { Sid: "Kms", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [kmsKeyArn] },
    ],
  });
}

/** IAM policy for the S3 replication role. */
export function replicationPolicy(sourceArn: string, destArn: string, sourceKey: string, destKey: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: [sourceArn] },
      { Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], Resource: [`${sourceArn}/*`] },
      { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: [`${destArn}/*`] },
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [sourceKey] },
      { Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: [destKey] },
    ],
  });
}

// ------------------------------------------------------------------ SeaweedFS

export const SEAWEED_PORTS = {
  masterHttp: 9333,
  masterGrpc: 19333,
  volumeHttp: 8080,
  volumeGrpc: 18080,
  filerHttp: 8888,
  filerGrpc: 18888,
  s3: 8333,
} as const;

export interface SeaweedPlanInput {
  name: string;
  buckets: BucketSpec[];
  masters: number;
  volumeServers: number;
  replication: string;
  storePeers?: Record<string, string>[];
  backup: BackupPolicy;
  protect: boolean;
  tls: { enabled: boolean; certSecretName?: string };
  network: ClusterNetwork;
}

export interface SeaweedPlan {
  problems: string[];
  names: { master: string; volume: string; filer: string; s3: string; s3Config: string; bucketJob: string };
  counts: { masters: number; volumeServers: number; filers: number };
  /** Copies of each object = 1 + x + y + z. */
  copies: number;
  labels: Record<string, string>;
  podLabels: { master: Record<string, string>; volume: Record<string, string>; filer: Record<string, string> };
  masterArgs: string[];
  volumeArgs: string[];
  filerArgs: string[];
  bucketScript: string;
  endpoint: string;
  tls: boolean;
  podSecurity: Record<string, unknown>;
  containerSecurity: Record<string, unknown>;
  protect: boolean;
  network: DataNetwork;
}

export function planSeaweed(i: SeaweedPlanInput): SeaweedPlan {
  const problems: string[] = [...k8sNameProblems(i.name)];
  const [x, y, z] = i.replication.split("").map(Number);
  const copies = 1 + x + y + z;
  if (x > 0) problems.push("replication: copies in other data centers (first digit > 0) need a multi-DC layout; use 00y/0y0 in one cluster");
  if (y > 0 && z > 0) problems.push("replication: each volume server is its own rack when racks are used; use 0y0 or 00z, not both");
  if (i.volumeServers < 3) problems.push("volumeServers: SeaweedFS needs at least 3 volume servers");
  if (i.volumeServers < copies) problems.push(`volumeServers: replication ${i.replication} keeps ${copies} copies; run at least ${copies} volume servers`);
  if (i.tls.enabled && !i.tls.certSecretName) {
    problems.push("tls.certSecretName: the S3 gateway needs a kubernetes.io/tls Secret for client TLS; give one, or set tls.enabled=false explicitly");
  }
  if (i.backup.crossRegion) problems.push("backup.crossRegion: SeaweedFS in-cluster has no cross-region copy; use implementation managed (S3) for that");

  const ns = i.network.namespace;
  const names = {
    master: `${i.name}-master`,
    volume: `${i.name}-volume`,
    filer: `${i.name}-filer`,
    s3: `${i.name}-s3`,
    s3Config: `${i.name}-s3-config`,
    bucketJob: `${i.name}-buckets`,
  };
  const P = SEAWEED_PORTS;
  const fqdn = (set: string, k: number) => `${set}-${k}.${set}.${ns}.svc.cluster.local`;
  const masterList = Array.from({ length: i.masters }, (_, k) => `${fqdn(names.master, k)}:${P.masterHttp}`).join(",");
  const selfIp = (set: string) => `-ip=$(POD_NAME).${set}.${ns}.svc.cluster.local`;
  const tls = i.tls.enabled;

  const masterArgs = [
    "master",
    "-mdir=/data",
    `-port=${P.masterHttp}`,
    `-defaultReplication=${i.replication}`,
    "-volumeSizeLimitMB=1024",
    selfIp(names.master),
    "-ip.bind=0.0.0.0",
  ];
  if (i.masters > 1) masterArgs.push(`-peers=${masterList}`);
  const volumeArgs = [
    "volume",
    "-dir=/data",
    "-max=0",
    `-mserver=${masterList}`,
    `-port=${P.volumeHttp}`,
    selfIp(names.volume),
    "-ip.bind=0.0.0.0",
    "-dataCenter=dc1",
    y > 0 ? "-rack=$(POD_NAME)" : "-rack=rack1",
  ];
  const filerArgs = [
    "filer",
    `-master=${masterList}`,
    `-port=${P.filerHttp}`,
    "-defaultStoreDir=/data",
    selfIp(names.filer),
    "-ip.bind=0.0.0.0",
    "-s3",
    `-s3.port=${P.s3}`,
    "-s3.config=/etc/seaweedfs/s3.json",
    ...(tls ? ["-s3.cert.file=/tls/tls.crt", "-s3.key.file=/tls/tls.key"] : []),
  ];
  const bucketScript = [
    "set -eu",
    ...i.buckets.map(
      (b) => `echo "s3.bucket.create -name ${b.name}" | weed shell -master=${masterList.split(",")[0]} -filer=${fqdn(names.filer, 0)}:${P.filerHttp} || true`,
    ),
    `echo "s3.bucket.list" | weed shell -master=${masterList.split(",")[0]} -filer=${fqdn(names.filer, 0)}:${P.filerHttp}`,
  ].join("\n");

  const pl = (role: string) => ({ "app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/instance": i.name, "app.kubernetes.io/component": role });
  const all = { "app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/instance": i.name };
  const s3 = tcp("s3", P.s3);
  const internal: PortSpec[] = [
    tcp("master-http", P.masterHttp),
    tcp("master-grpc", P.masterGrpc),
    tcp("volume-http", P.volumeHttp),
    tcp("volume-grpc", P.volumeGrpc),
    tcp("filer-http", P.filerHttp),
    tcp("filer-grpc", P.filerGrpc),
  ];
  return {
    problems,
    names,
    counts: { masters: i.masters, volumeServers: i.volumeServers, filers: 1 },
    copies,
    labels: storeLabels(i.name, "seaweedfs"),
    podLabels: { master: pl("master"), volume: pl("volume"), filer: pl("filer") },
    masterArgs,
    volumeArgs,
    filerArgs,
    bucketScript,
    endpoint: `${tls ? "https" : "http"}://${names.s3}.${ns}.svc.cluster.local:${P.s3}`,
    tls,
    podSecurity: restrictedPodSecurity(1000),
    containerSecurity: restrictedContainerSecurity(true),
    protect: i.protect,
    network: {
      kind: "kubernetes",
      namespace: ns,
      ports: [s3],
      ingress: [
        clientRule(pl("filer"), [s3], i.network),
        selfRule("cluster", all, [...internal, s3], ns),
        ...(i.storePeers ?? []).map((sel) => ({
          purpose: "store-peers",
          podSelector: pl("filer"),
          ports: [s3],
          from: { namespaces: [ns], podSelector: { ...sel } },
        })),
      ],
      egress: [{ purpose: "cluster", podSelector: all, ports: [...internal, s3], to: { kind: "peers", peers: { namespaces: [ns], podSelector: all } } }],
    },
  };
}
