import { describe, expect, it } from "vitest";
import { backupPolicy, noBackups } from "../../components/data/backups";
import { Redis } from "../../components/data/redis";
import { planClusterRedis, planManagedRedis } from "../../components/data/redis/plan";
import { runProgram } from "../../tools/harness/run";
import { APP_SG, awsNet, awsProviders, byType, k8sKind, k8sNet, k8sProviders, one, openCidrs, plainSecrets, failure } from "./helpers";
import { TIERS, type TierName as Tier } from "../../stacks/spec/tiers";

const RG = "aws:elasticache/replicationGroup:ReplicationGroup";

describe("Redis plan (pure)", () => {
  const base = { name: "cache", version: "7", finalSnapshot: true, protect: true, tls: { enabled: true }, subnetCount: 2, allowedSecurityGroupCount: 1 };
  it("prod 1+1: two nodes, automatic failover, multi-AZ, daily snapshots kept 35 days", () => {
    const p = planManagedRedis({ ...base, replicas: 1, multiAz: true, backup: backupPolicy(TIERS.prod.backups) });
    expect(p).toMatchObject({
      numCacheClusters: 2,
      automaticFailover: true,
      multiAz: true,
      snapshotRetentionLimit: 35,
      finalSnapshotIdentifier: "cache-final",
      port: 6379,
    });
  });
  it("multi-AZ without a replica, or TLS off, is refused", () => {
    const p = planManagedRedis({ ...base, replicas: 0, multiAz: true, tls: { enabled: false }, backup: backupPolicy(TIERS.dev.backups) });
    expect(p.problems.join("\n")).toMatch(/tls.enabled[\s\S]*multiAz/);
  });
  it("a pure cache keeps no snapshots and no final snapshot", () => {
    const p = planManagedRedis({ ...base, replicas: 0, multiAz: false, backup: noBackups() });
    expect(p.snapshotRetentionLimit).toBe(0);
    expect(p.finalSnapshotIdentifier).toBeUndefined();
  });
  it("in-cluster: pod 0 primary, replicas follow it; password only from the env var; TLS-only port", () => {
    const p = planClusterRedis({
      name: "cache",
      replicas: 1,
      persistence: "aof",
      protect: false,
      tls: { enabled: true, certSecretName: "redis-tls" },
      network: k8sNet,
    });
    expect(p.pods).toBe(2);
    expect(p.configFile).toContain("port 0\ntls-port 6379");
    expect(p.configFile).toContain("appendonly yes");
    expect(p.configFile).not.toMatch(/requirepass/);
    expect(p.startScript).toContain('"$REDIS_PASSWORD"');
    expect(p.startScript).toContain("replicaof %s %s\\n' cache-0.cache-headless.data.svc.cluster.local 6379");
    expect(p.readerHost).toBe("cache-ro.data.svc.cluster.local");
  });
});

describe("Redis managed (ElastiCache) through the harness", () => {
  for (const tier of ["dev", "staging", "prod"] as Exclude<Tier, "local">[]) {
    it(`${tier}: TLS in transit, AUTH token secret, KMS at rest, SG from the app tier only`, async () => {
      const prod = tier === "prod";
      const inv = await runProgram(() => {
        const r = new Redis(
          "cache",
          {
            implementation: "managed",
            network: awsNet,
            replicas: prod ? 1 : 0,
            multiAz: prod,
            finalSnapshot: prod,
            protect: prod,
            backup: backupPolicy(TIERS[tier].backups),
          },
          { providers: awsProviders() },
        );
        return { connection: r.connection };
      });
      const rg = one(inv, RG);
      expect(rg.inputs).toMatchObject({
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        atRestEncryptionEnabled: true,
        engine: "redis",
        port: 6379,
      });
      expect(rg.secretPaths).toContain("authToken");
      expect(rg.propertyDependencies.kmsKeyId).toContain(one(inv, "aws:kms/key:Key").urn);
      expect(rg.inputs.numCacheClusters).toBe(prod ? 2 : 1);
      expect(rg.inputs.automaticFailoverEnabled).toBe(prod);
      expect(rg.inputs.multiAzEnabled).toBe(prod);
      expect(rg.inputs.snapshotRetentionLimit).toBe({ dev: 3, staging: 7, prod: 35 }[tier]);
      expect(rg.options.protect).toBe(prod);
      const rules = byType(inv, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
      expect(rules.map((r) => r.inputs.referencedSecurityGroupId)).toEqual([APP_SG]);
      expect(rules[0].inputs).toMatchObject({ fromPort: 6379, toPort: 6379 });
      expect(openCidrs(inv)).toEqual([]);
      expect(plainSecrets(inv)).toEqual([]);
      expect(inv.secretOutputPaths).toContain("connection");
      expect((inv.outputs.connection as { url: string }).url).toMatch(/^rediss:\/\//);
    });
  }

  it("refuses multiAz with no replica before registering anything", async () => {
    const err = await failure(() => {
      new Redis("cache", { implementation: "managed", network: awsNet, backup: backupPolicy(TIERS.prod.backups) }, { providers: awsProviders() });
      return {};
    });
    expect(err.message).toMatch(/multiAz: Multi-AZ with automatic failover needs replicas/);
    expect(err.inventory.resources.filter((r) => r.type.startsWith("aws:") || r.type.startsWith("platform:"))).toEqual([]);
  });
});

describe("Redis in-cluster through the harness", () => {
  it("1 primary + 1 replica, requirepass from a Secret, AOF on a PVC, TLS, ClusterIP services only", async () => {
    const inv = await runProgram(() => {
      const r = new Redis(
        "cache",
        {
          implementation: "statefulset",
          network: k8sNet,
          replicas: 1,
          protect: true,
          backup: backupPolicy(TIERS.prod.backups),
          tls: { certSecretName: "redis-tls" },
        },
        { providers: k8sProviders() },
      );
      return { connection: r.connection };
    });
    const sts = k8sKind(inv, "StatefulSet")[0];
    const spec = sts.inputs.spec as any;
    expect(spec.replicas).toBe(2);
    expect(spec.volumeClaimTemplates).toHaveLength(1);
    expect(sts.options.protect).toBe(true);
    const c = spec.template.spec.containers[0];
    expect(c.env).toEqual([{ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "cache-auth", key: "password" } } }]);
    expect(JSON.stringify(c)).not.toMatch(/mock-cache-password/);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const services = k8sKind(inv, "Service");
    expect(services.map((s) => (s.inputs.metadata as any).name).sort()).toEqual(["cache", "cache-headless", "cache-ro"]);
    for (const s of services) expect(["ClusterIP", undefined]).toContain((s.inputs.spec as any).type);
    const primary = services.find((s) => (s.inputs.metadata as any).name === "cache")!;
    expect((primary.inputs.spec as any).selector["statefulset.kubernetes.io/pod-name"]).toBe("cache-0");
    expect(one(inv, "kubernetes:core/v1:Secret").secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
    expect(plainSecrets(inv)).toEqual([]);
    expect(openCidrs(inv)).toEqual([]);
    expect((inv.outputs.connection as any).tls).toBe(true);
  });

  it("persistence none: no PVC (pure cache)", async () => {
    const inv = await runProgram(() => {
      new Redis(
        "cache",
        { implementation: "statefulset", network: k8sNet, persistence: "none", protect: false, backup: noBackups(), tls: { enabled: false } },
        { providers: k8sProviders() },
      );
      return {};
    });
    const spec = k8sKind(inv, "StatefulSet")[0].inputs.spec as any;
    expect(spec.volumeClaimTemplates).toEqual([]);
    expect(spec.template.spec.volumes.map((v: any) => v.name)).toContain("data");
  });
});
