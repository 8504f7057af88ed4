import { describe, expect, it } from "vitest";
import { backupPolicy } from "../../components/data/backups";
import { ObjectStore } from "../../components/data/objectstore";
import { lifecycleFor, planSeaweed, tlsOnlyPolicy } from "../../components/data/objectstore/plan";
import { runProgram } from "../../tools/harness/run";
import { awsProviders, byType, k8sKind, k8sNet, k8sProviders, one, openCidrs, plainSecrets, secondaryAws, failure } from "./helpers";
import { TIERS } from "../../stacks/spec/tiers";

const seaweedBase = {
  name: "files",
  buckets: [{ name: "files", purpose: "data" as const }],
  masters: 1,
  volumeServers: 3,
  protect: false,
  tls: { enabled: true, certSecretName: "files-tls" },
  network: k8sNet,
};

describe("ObjectStore plan (pure)", () => {
  it("backups buckets go to Glacier and expire in prod; data buckets keep noncurrent versions per policy", () => {
    const prod = backupPolicy(TIERS.prod.backups);
    expect(lifecycleFor("backups", prod)[0]).toMatchObject({
      transitions: [{ days: 30, storageClass: "GLACIER" }],
      expiration: { days: 365 },
      noncurrentVersionExpiration: { noncurrentDays: 35 },
    });
    expect(lifecycleFor("data", prod)[0].transitions).toBeUndefined();
    expect(lifecycleFor("data", backupPolicy(TIERS.dev.backups))[0].noncurrentVersionExpiration.noncurrentDays).toBe(7);
    expect(lifecycleFor("backups", backupPolicy(TIERS.staging.backups))[0].expiration).toBeUndefined();
  });

  it("the bucket policy denies plain HTTP and TLS < 1.2", () => {
    const p = JSON.parse(tlsOnlyPolicy("arn:aws:s3:::b"));
    expect(p.Statement[0]).toMatchObject({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
      Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    });
    expect(p.Statement[1].Condition).toEqual({ NumericLessThan: { "s3:TlsVersion": "1.2" } });
  });

  it("SeaweedFS: replication 001 = 2 copies on ≥3 volume servers; 010 puts each server in its own rack", () => {
    const p = planSeaweed({ ...seaweedBase, replication: "001", backup: backupPolicy(TIERS.staging.backups) });
    expect(p.problems).toEqual([]);
    expect(p.copies).toBe(2);
    expect(p.counts.volumeServers).toBe(3);
    expect(p.masterArgs).toContain("-defaultReplication=001");
    expect(p.volumeArgs).toContain("-rack=rack1");
    expect(p.filerArgs).toEqual(expect.arrayContaining(["-s3", "-s3.port=8333", "-s3.cert.file=/tls/tls.crt"]));
    expect(p.endpoint).toBe("https://files-s3.data.svc.cluster.local:8333");
    const racks = planSeaweed({ ...seaweedBase, replication: "010", backup: backupPolicy(TIERS.staging.backups) });
    expect(racks.volumeArgs).toContain("-rack=$(POD_NAME)");
  });

  it("SeaweedFS refuses too few servers for the copies, multi-DC replication, missing TLS cert and cross-region", () => {
    const p = planSeaweed({
      ...seaweedBase,
      volumeServers: 3,
      replication: "102",
      tls: { enabled: true },
      backup: backupPolicy(TIERS.prod.backups, { crossRegion: true }),
    });
    const all = p.problems.join("\n");
    expect(all).toMatch(/other data centers/);
    expect(all).toMatch(/keeps 4 copies; run at least 4/);
    expect(all).toMatch(/tls.certSecretName/);
    expect(all).toMatch(/backup.crossRegion/);
  });

  it("SeaweedFS with 3 masters forms a raft quorum", () => {
    const p = planSeaweed({ ...seaweedBase, masters: 3, replication: "001", backup: backupPolicy(TIERS.prod.backups) });
    const peers = p.masterArgs.find((a) => a.startsWith("-peers="))!;
    expect(peers.split(",")).toHaveLength(3);
    expect(p.volumeArgs.find((a) => a.startsWith("-mserver="))).toBe(`-mserver=${peers.slice("-peers=".length)}`);
  });
});

describe("ObjectStore managed (S3) through the harness", () => {
  it("prod with cross-region: PAB, SSE-KMS, versioning, lifecycle, TLS-only policy, replication on the replica provider", async () => {
    const inv = await runProgram(() => {
      const s = new ObjectStore(
        "store",
        {
          implementation: "managed",
          buckets: [{ name: "files" }, { name: "backups", purpose: "backups" }],
          backup: backupPolicy(TIERS.prod.backups, { crossRegion: true }),
          replicaProvider: secondaryAws(),
        },
        { providers: awsProviders() },
      );
      return { connection: s.connection, policy: s.accessPolicyJson };
    });
    const buckets = byType(inv, "aws:s3/bucket:Bucket");
    expect(buckets).toHaveLength(4); // 2 sources + 2 replicas
    for (const b of buckets) {
      expect(b.options.protect).toBe(true);
      expect(b.inputs.forceDestroy).toBe(false);
      const sameBucket = (t: string) => byType(inv, t).filter((r) => r.name === b.name);
      expect(sameBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0].inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      const sse = sameBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0];
      expect((sse.inputs.rules as any)[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
      expect(sameBucket("aws:s3/bucketVersioning:BucketVersioning")[0].inputs.versioningConfiguration).toEqual({ status: "Enabled" });
      const policy = JSON.parse(sameBucket("aws:s3/bucketPolicy:BucketPolicy")[0].inputs.policy as string);
      expect(policy.Statement[0].Condition.Bool["aws:SecureTransport"]).toBe("false");
      expect(sameBucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls")[0].inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    }
    const replicas = buckets.filter((b) => b.name.endsWith("-replica"));
    for (const r of replicas) expect(r.provider).toMatch(/::aws-backup-region::/);
    const lc = byType(inv, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").find((r) => r.name === "store-backups")!;
    expect((lc.inputs.rules as any)[0].transitions).toEqual([{ days: 30, storageClass: "GLACIER" }]);
    const repl = byType(inv, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
    expect(repl).toHaveLength(2);
    const rule = (repl[0].inputs.rules as any)[0];
    expect(rule).toMatchObject({
      status: "Enabled",
      deleteMarkerReplication: { status: "Enabled" },
      sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
    });
    const replicaKey = byType(inv, "aws:kms/key:Key").find((k) => k.name === "store-replica-kms")!;
    expect(replicaKey.provider).toMatch(/::aws-backup-region::/);
    expect(repl[0].propertyDependencies.rules).toContain(replicaKey.urn);
    const versioningUrns = byType(inv, "aws:s3/bucketVersioning:BucketVersioning").map((v) => v.urn);
    expect(repl[0].dependencies.filter((d) => versioningUrns.includes(d))).toHaveLength(2);
    expect(openCidrs(inv)).toEqual([]);
    const conn = inv.outputs.connection as any;
    expect(conn.endpoint).toBe("https://s3.us-east-1.amazonaws.com");
    expect(Object.keys(conn.buckets).sort()).toEqual(["backups", "files"]);
    expect(JSON.parse(inv.outputs.policy as string).Statement.map((s: any) => s.Sid)).toEqual(["List", "Objects", "Kms"]);
  });

  it("dev: no replication, buckets not protected when protect=false", async () => {
    const inv = await runProgram(() => {
      new ObjectStore(
        "store",
        { implementation: "managed", buckets: [{ name: "files" }], backup: backupPolicy(TIERS.dev.backups), protect: false },
        { providers: awsProviders() },
      );
      return {};
    });
    expect(byType(inv, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")).toHaveLength(0);
    expect(one(inv, "aws:s3/bucket:Bucket").options.protect).toBe(false);
  });

  it("cross-region without a replica provider, duplicate buckets: refused with field paths", async () => {
    const err = await failure(() => {
      new ObjectStore(
        "store",
        { implementation: "managed", buckets: [{ name: "a" }, { name: "a" }], backup: backupPolicy(TIERS.prod.backups, { crossRegion: true }) } as never,
        { providers: awsProviders() },
      );
      return {};
    });
    expect(err.message).toMatch(/buckets: bucket names must be unique/);
  });
});

describe("ObjectStore SeaweedFS through the harness", () => {
  it("master + 3 volume servers + filer/S3 gateway with TLS, generated S3 credentials kept secret, no Helm", async () => {
    const inv = await runProgram(() => {
      const s = new ObjectStore(
        "files",
        {
          implementation: "seaweedfs",
          network: { ...k8sNet, namespace: "storage" },
          buckets: [{ name: "files" }, { name: "pg-backups", purpose: "backups" }],
          backup: backupPolicy(TIERS.staging.backups),
          tls: { certSecretName: "files-tls" },
          protect: true,
        },
        { providers: k8sProviders() },
      );
      return { connection: s.connection };
    });
    const sets = Object.fromEntries(k8sKind(inv, "StatefulSet").map((s) => [(s.inputs.metadata as any).name, s.inputs.spec as any]));
    expect(sets["files-master"].replicas).toBe(1);
    expect(sets["files-volume"].replicas).toBeGreaterThanOrEqual(3);
    expect(sets["files-filer"].replicas).toBe(1);
    for (const s of k8sKind(inv, "StatefulSet")) expect(s.options.protect).toBe(true);
    const filer = sets["files-filer"].template.spec;
    expect(filer.containers[0].args).toContain("-s3.config=/etc/seaweedfs/s3.json");
    expect(filer.volumes.find((v: any) => v.name === "tls").secret.secretName).toBe("files-tls");
    expect(filer.securityContext.runAsNonRoot).toBe(true);
    const s3svc = k8sKind(inv, "Service").find((s) => (s.inputs.metadata as any).name === "files-s3")!;
    expect((s3svc.inputs.spec as any).type).toBe("ClusterIP");
    const secret = one(inv, "kubernetes:core/v1:Secret");
    expect(secret.secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
    const job = k8sKind(inv, "Job")[0];
    expect((job.inputs.spec as any).template.spec.containers[0].command[2]).toContain("s3.bucket.create -name pg-backups");
    expect(inv.resources.some((r) => r.type.includes("helm"))).toBe(false);
    expect(plainSecrets(inv)).toEqual([]);
    expect(openCidrs(inv)).toEqual([]);
    expect(inv.secretOutputPaths).toContain("connection");
    expect(inv.outputs.connection as any).toMatchObject({ endpoint: "https://files-s3.storage.svc.cluster.local:8333", forcePathStyle: true, tls: true });
  });

  it("fewer than 3 volume servers is a schema error", async () => {
    const err = await failure(() => {
      new ObjectStore(
        "files",
        { implementation: "seaweedfs", network: k8sNet, buckets: [{ name: "files" }], backup: backupPolicy(TIERS.dev.backups), volumeServers: 2 },
        { providers: k8sProviders() },
      );
      return {};
    });
    expect(err.message).toMatch(/volumeServers: SeaweedFS needs at least 3 volume servers/);
  });
});

describe("ObjectStore archive override", () => {
  it("an explicit archiveAfterDays moves data to Glacier in every tier; backups keep ≥ 90 days after the move", () => {
    expect(lifecycleFor("data", backupPolicy(TIERS.staging.backups), 30)[0].transitions).toEqual([{ days: 30, storageClass: "GLACIER" }]);
    expect(lifecycleFor("backups", backupPolicy(TIERS.dev.backups), 30)[0].transitions).toEqual([{ days: 30, storageClass: "GLACIER" }]);
    const prod = lifecycleFor("backups", backupPolicy(TIERS.prod.backups), 300)[0];
    expect(prod.transitions).toEqual([{ days: 300, storageClass: "GLACIER" }]);
    expect(prod.expiration).toEqual({ days: 390 });
  });
});

describe("ObjectStore managed outputs for IRSA wiring", () => {
  it("exposes bucket ARNs by logical name", async () => {
    const inv = await runProgram(() => {
      const s = new ObjectStore(
        "store",
        { implementation: "managed", buckets: [{ name: "backups", purpose: "backups" }], backup: backupPolicy(TIERS.staging.backups), protect: false },
        { providers: awsProviders() },
      );
      return { arns: s.bucketArns!, key: s.kmsKeyArn! };
    });
    expect((inv.outputs.arns as Record<string, string>).backups).toMatch(/^arn:aws:s3:::store-backups-/);
    expect(inv.outputs.key).toMatch(/^arn:aws:kms:/);
  });
});
