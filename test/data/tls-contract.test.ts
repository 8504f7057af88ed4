import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { backupPolicy, noBackups } from "../../components/data/backups";
import { resolveTls, serviceDnsNames } from "../../components/data/certs";
import { Ipfs } from "../../components/data/ipfs";
import { ObjectStore } from "../../components/data/objectstore";
import { Postgres } from "../../components/data/postgres";
import { Redis } from "../../components/data/redis";
import { Scylla } from "../../components/data/scylla";
import { runProgram } from "../../tools/harness/run";
import { failure, k8sKind, k8sNet, k8sProviders, plainSecrets } from "./helpers";
import { TIERS } from "../../stacks/spec/tiers";

const issuer = { name: "platform-internal-ca" };

describe("TLS from an internal cert-manager issuer", () => {
  it("resolveTls / serviceDnsNames are pure and exact", () => {
    expect(resolveTls("db", { enabled: true, issuer: { name: "ca", kind: "ClusterIssuer" as const } }).certSecretName).toBe("db-tls");
    expect(resolveTls("db", { enabled: false, issuer: { name: "ca", kind: "ClusterIssuer" as const } }).certSecretName).toBeUndefined();
    expect(serviceDnsNames("data", ["cache"], ["cache-headless"])).toEqual([
      "cache",
      "cache.data",
      "cache.data.svc",
      "cache.data.svc.cluster.local",
      "*.cache-headless.data.svc.cluster.local",
    ]);
  });

  it("each in-cluster store requests its own Certificate and mounts <name>-tls", async () => {
    const inv = await runProgram(() => {
      const providers = k8sProviders();
      new Postgres(
        "db",
        { implementation: "statefulset", network: k8sNet, backup: backupPolicy(TIERS.local.backups), protect: false, tls: { issuer } },
        { providers },
      );
      new Redis("cache", { implementation: "statefulset", network: k8sNet, backup: noBackups(), protect: false, tls: { issuer } }, { providers });
      new ObjectStore(
        "files",
        {
          implementation: "seaweedfs",
          network: k8sNet,
          buckets: [{ name: "files" }],
          backup: backupPolicy(TIERS.local.backups),
          protect: false,
          tls: { issuer },
        },
        { providers },
      );
      new Scylla(
        "chain",
        { network: k8sNet, membersPerRack: 1, keyspaces: [{ name: "p", replicationFactor: 1 }], backup: noBackups(), protect: false, tls: { issuer } },
        { providers },
      );
      return {};
    });
    const certs = k8sKind(inv, "Certificate");
    expect(certs.map((c) => (c.inputs.spec as any).secretName).sort()).toEqual(["cache-tls", "chain-tls", "db-tls", "files-tls"]);
    for (const c of certs) {
      const spec = c.inputs.spec as any;
      expect(spec.issuerRef).toEqual({ name: "platform-internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
      expect(spec.privateKey.rotationPolicy).toBe("Always");
      expect(spec.usages).toContain("server auth");
    }
    const dbCert = certs.find((c) => (c.inputs.spec as any).secretName === "db-tls")!;
    expect((dbCert.inputs.spec as any).dnsNames).toContain("db.data.svc.cluster.local");
    const sts = k8sKind(inv, "StatefulSet");
    const pg = sts.find((s) => (s.inputs.metadata as any).name === "db")!;
    expect((pg.inputs.spec as any).template.spec.volumes.find((v: any) => v.name === "tls").secret.secretName).toBe("db-tls");
    expect(pg.dependencies).toContain(dbCert.urn);
    const filer = sts.find((s) => (s.inputs.metadata as any).name === "files-filer")!;
    expect((filer.inputs.spec as any).template.spec.containers[0].args).toContain("-s3.cert.file=/tls/tls.crt");
  });

  it("certSecretName and issuer together are refused", async () => {
    const err = await failure(() => {
      new Redis(
        "cache",
        { implementation: "statefulset", network: k8sNet, backup: noBackups(), tls: { issuer, certSecretName: "x" } },
        { providers: k8sProviders() },
      );
    });
    expect(err.message).toMatch(/tls: give certSecretName or issuer, not both/);
  });

  it("a component name that cannot name Kubernetes objects is refused", async () => {
    const err = await failure(() => {
      new Ipfs("Media_Store", { network: k8sNet }, { providers: k8sProviders() });
    });
    expect(err.message).toMatch(/name: "Media_Store" names Kubernetes objects/);
  });
});

describe("the same contract for every store", () => {
  it("SeaweedFS hands CNPG a plain endpoint, secret credentials and its CA secret", async () => {
    const inv = await runProgram(() => {
      const providers = k8sProviders();
      const files = new ObjectStore(
        "files",
        {
          implementation: "seaweedfs",
          network: k8sNet,
          buckets: [{ name: "pg-backups", purpose: "backups" }],
          backup: backupPolicy(TIERS.staging.backups),
          protect: false,
          tls: { issuer },
          storePeers: [{ "cnpg.io/cluster": "db" }],
        },
        { providers },
      );
      expect(files.endpointUrl).toBe("https://files-s3.data.svc.cluster.local:8333");
      expect(files.caSecret).toEqual({ name: "files-tls", key: "ca.crt" });
      const pg = new Postgres(
        "db",
        {
          implementation: "operator",
          network: k8sNet,
          backup: backupPolicy(TIERS.staging.backups),
          protect: false,
          backupTarget: {
            destinationPath: "s3://pg-backups/db",
            endpointUrl: files.endpointUrl!,
            credentials: files.s3Credentials!,
            endpointCA: files.caSecret!,
          },
        },
        { providers },
      );
      return { pg: pg.connection, creds: files.s3Credentials!.secretAccessKey };
    });
    const cluster = k8sKind(inv, "Cluster")[0];
    const barman = (cluster.inputs.spec as any).backup.barmanObjectStore;
    expect(barman.endpointURL).toBe("https://files-s3.data.svc.cluster.local:8333");
    expect(barman.endpointCA).toEqual({ name: "files-tls", key: "ca.crt" });
    expect(inv.secretOutputPaths).toContain("creds");
    expect(plainSecrets(inv)).toEqual([]);
  });

  it("every store exposes implementation, a secret connection and a network contract", async () => {
    const seen: Record<string, { implementation: string; network: string }> = {};
    const inv = await runProgram(() => {
      const k = k8sProviders();
      const stores = {
        s3: new ObjectStore(
          "bucket",
          { implementation: "managed", buckets: [{ name: "b" }], backup: backupPolicy(TIERS.dev.backups), protect: false },
          { providers: { aws: new aws.Provider("aws", { region: "us-east-1" }) } },
        ),
        ipfs: new Ipfs("ipfs", { network: k8sNet, protect: false }, { providers: k }),
        scylla: new Scylla(
          "chain",
          {
            network: k8sNet,
            membersPerRack: 1,
            keyspaces: [{ name: "p", replicationFactor: 1 }],
            backup: noBackups(),
            tls: { enabled: false },
            protect: false,
          },
          { providers: k },
        ),
      };
      const out: Record<string, pulumi.Output<unknown>> = {};
      for (const [key, s] of Object.entries(stores)) {
        seen[key] = { implementation: s.implementation, network: s.network.kind };
        out[key] = s.connection;
      }
      return out;
    });
    expect(seen).toEqual({
      s3: { implementation: "managed", network: "aws" },
      ipfs: { implementation: "statefulset", network: "kubernetes" },
      scylla: { implementation: "operator", network: "kubernetes" },
    });
    expect(inv.secretOutputPaths.sort()).toEqual(["ipfs", "s3", "scylla"]);
  });
});

describe("every connection carries `url` (the default dataStore: ref property)", () => {
  it("S3, SeaweedFS (with accessKey/secretKey), Scylla and IPFS", async () => {
    const inv = await runProgram(() => {
      const k = k8sProviders();
      return {
        s3: new ObjectStore(
          "bucket",
          { implementation: "managed", buckets: [{ name: "b" }], backup: backupPolicy(TIERS.dev.backups), protect: false },
          { providers: { aws: new aws.Provider("aws", { region: "us-east-1" }) } },
        ).connection,
        sw: new ObjectStore(
          "files",
          {
            implementation: "seaweedfs",
            network: k8sNet,
            buckets: [{ name: "f" }],
            backup: backupPolicy(TIERS.dev.backups),
            tls: { enabled: false },
            protect: false,
          },
          { providers: k },
        ).connection,
        scylla: new Scylla(
          "chain",
          {
            network: k8sNet,
            membersPerRack: 1,
            keyspaces: [{ name: "p", replicationFactor: 1 }],
            backup: noBackups(),
            tls: { enabled: false },
            protect: false,
          },
          { providers: k },
        ).connection,
        ipfs: new Ipfs("ipfs", { network: k8sNet, protect: false }, { providers: k }).connection,
      };
    });
    const o = inv.outputs as Record<string, Record<string, unknown>>;
    expect(o.s3.url).toBe("https://s3.us-east-1.amazonaws.com");
    expect(o.sw.url).toBe("http://files-s3.data.svc.cluster.local:8333");
    expect(o.sw.accessKey).toBe(o.sw.accessKeyId);
    expect(o.sw.secretKey).toBe(o.sw.secretAccessKey);
    expect(o.scylla.url).toBe("chain-client.data.svc.cluster.local:9042");
    expect(o.ipfs.url).toBe("http://ipfs.data.svc.cluster.local:5001");
    expect(o.ipfs.password).toBe(o.ipfs.apiToken);
    expect(o.ipfs.host).toBe("ipfs.data.svc.cluster.local");
  });
});

describe("preview mode (computed values unknown)", () => {
  it("every store plans in preview with Outputs from other components as inputs", async () => {
    const inv = await runProgram(
      () => {
        const k = { ...k8sProviders(), aws: new aws.Provider("aws", { region: "us-east-1" }) };
        const unknown = (s: string) => pulumi.output(s).apply((v) => v);
        const files = new ObjectStore(
          "files",
          {
            implementation: "seaweedfs",
            network: k8sNet,
            buckets: [{ name: "pg-backups" }],
            backup: backupPolicy(TIERS.prod.backups),
            tls: { issuer },
            storePeers: [{ "cnpg.io/cluster": "db" }],
          },
          { providers: k },
        );
        new Postgres(
          "db",
          {
            implementation: "operator",
            network: k8sNet,
            replicas: 2,
            pooling: true,
            backup: backupPolicy(TIERS.prod.backups),
            backupTarget: {
              destinationPath: "s3://pg-backups/db",
              endpointUrl: files.endpointUrl!,
              credentials: files.s3Credentials!,
              endpointCA: files.caSecret!,
            },
          },
          { providers: k },
        );
        new Postgres(
          "rds",
          {
            implementation: "managed",
            network: { vpcId: unknown("vpc-1"), subnetIds: [unknown("s-1"), unknown("s-2")], allowedSecurityGroupIds: [unknown("sg-1")] },
            replicas: 1,
            pooling: true,
            backup: backupPolicy(TIERS.prod.backups),
            kmsKeyArn: unknown("arn:aws:kms:us-east-1:123456789012:key/k"),
          },
          { providers: k },
        );
        new Redis(
          "cache",
          { implementation: "statefulset", network: k8sNet, replicas: 1, backup: backupPolicy(TIERS.prod.backups), tls: { issuer } },
          { providers: k },
        );
        new Scylla("chain", { network: k8sNet, keyspaces: [{ name: "p", replicationFactor: 3 }], backup: noBackups(), tls: { issuer } }, { providers: k });
        new Ipfs("media", { network: k8sNet }, { providers: k });
        return {};
      },
      { preview: true },
    );
    const components = inv.resources
      .filter((r) => r.type.startsWith("platform:data:"))
      .map((r) => r.type)
      .sort();
    expect(components).toEqual([
      "platform:data:Ipfs",
      "platform:data:ObjectStore",
      "platform:data:Postgres",
      "platform:data:Postgres",
      "platform:data:Redis",
      "platform:data:Scylla",
    ]);
    expect(plainSecrets(inv)).toEqual([]);
    // Stateful children are protected by default (secure default; the lead turns it off below prod).
    for (const r of inv.resources.filter((x) => ["kubernetes:apps/v1:StatefulSet", "aws:rds/instance:Instance"].includes(x.type)))
      expect(r.options.protect, r.name).toBe(true);
  });
});
