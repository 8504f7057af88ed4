/**
 * `ObjectStore`: S3 (`managed`) or SeaweedFS in-cluster (`seaweedfs`) behind one S3 contract.
 * Providers: `{ aws }` (+ `replicaProvider` arg for cross-region) or `{ kubernetes, random }`.
 */
import * as pulumi from "@pulumi/pulumi";
import { assertNoProblems, type DataNetwork } from "../network";
import { resolveTls } from "../certs";
import { parseArgs } from "../schema";
import { objectStoreArgsSchema, type ObjectStoreArgs, type ObjectStoreConfig } from "./args";
import { planManagedObjectStore, planSeaweed, type ManagedObjectStorePlan, type SeaweedPlan } from "./plan";
import { provisionS3 } from "./s3";
import { provisionSeaweed } from "./seaweed";
import type { ObjectStoreConnection } from "./types";

export type { ObjectStoreArgs, ObjectStoreConfig } from "./args";
export type { ObjectStoreConnection } from "./types";

export class ObjectStore extends pulumi.ComponentResource {
  /** endpoint, region, forcePathStyle, buckets, credentials (SeaweedFS) — secret. */
  public readonly connection: pulumi.Output<ObjectStoreConnection>;
  public readonly endpoint: pulumi.Output<string>;
  /** Logical bucket name → real bucket name. */
  public readonly buckets: pulumi.Output<Record<string, string>>;
  public readonly implementation: ObjectStoreConfig["implementation"];
  /** In-cluster (SeaweedFS): policies to build; managed (S3): `kind: "aws"` on 443 (IAM-controlled, reached through the VPC's S3 endpoint or NAT, no security group). */
  public readonly network: DataNetwork;
  /** SeaweedFS: the S3 endpoint as a plain string (e.g. for CNPG `backupTarget.endpointUrl`). */
  public readonly endpointUrl?: string;
  /** SeaweedFS: the generated S3 credentials (secret Outputs), e.g. for CNPG `backupTarget.credentials`. */
  public readonly s3Credentials?: { accessKeyId: pulumi.Output<string>; secretAccessKey: pulumi.Output<string> };
  /** SeaweedFS with TLS: the Secret/key holding the CA that signed the gateway certificate (for `backupTarget.endpointCA`). */
  public readonly caSecret?: { name: string; key: string };
  /** Managed: IAM policy JSON granting the app role access to the buckets (attach to its IRSA role). */
  public readonly accessPolicyJson?: pulumi.Output<string>;
  public readonly kmsKeyArn?: pulumi.Output<string>;
  /** Managed: logical bucket name → bucket ARN (e.g. for CNPG `backupTarget.irsa.bucketArn`). */
  public readonly bucketArns?: pulumi.Output<Record<string, string>>;
  /** SeaweedFS: Secret (data namespace) holding `s3.json`; the credentials are in `connection`. */
  public readonly credentialsSecretName?: string;

  constructor(name: string, args: ObjectStoreArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const parsed = parseArgs("ObjectStore", name, objectStoreArgsSchema, args);
    const cfg = { ...parsed, tls: resolveTls(name, parsed.tls) } as ObjectStoreConfig;
    const plan: ManagedObjectStorePlan | SeaweedPlan =
      cfg.implementation === "managed"
        ? planManagedObjectStore({
            name,
            buckets: cfg.buckets,
            backup: cfg.backup,
            protect: cfg.protect,
            tls: cfg.tls,
            hasReplicaProvider: cfg.replicaProvider !== undefined,
          })
        : planSeaweed({
            name,
            buckets: cfg.buckets,
            masters: cfg.masters,
            volumeServers: cfg.volumeServers,
            replication: cfg.replication,
            storePeers: cfg.storePeers,
            backup: cfg.backup,
            protect: cfg.protect,
            tls: cfg.tls,
            network: cfg.network,
          });
    assertNoProblems("ObjectStore", name, plan.problems);

    super("platform:data:ObjectStore", name, {}, opts);
    this.implementation = cfg.implementation;
    if (cfg.implementation === "managed") {
      const r = provisionS3(name, this, cfg, plan as ManagedObjectStorePlan);
      this.network = { kind: "aws", ports: [{ name: "https", port: 443, protocol: "TCP" }], allowedSecurityGroupCount: 0 };
      this.buckets = r.buckets;
      this.endpoint = r.region.apply((rg) => `https://s3.${rg}.amazonaws.com`);
      this.accessPolicyJson = r.accessPolicyJson;
      this.kmsKeyArn = r.kmsKeyArn;
      this.bucketArns = r.bucketArns;
      this.connection = pulumi.secret(
        pulumi
          .all([this.endpoint, r.region, r.buckets])
          .apply(([endpoint, region, buckets]) => ({ endpoint, url: endpoint, region, forcePathStyle: false, buckets, tls: true })),
      );
    } else {
      const sp = plan as SeaweedPlan;
      const r = provisionSeaweed(name, this, cfg, sp);
      this.network = sp.network;
      this.buckets = pulumi.output(Object.fromEntries(cfg.buckets.map((b) => [b.name, b.name])));
      this.endpoint = pulumi.output(sp.endpoint);
      this.endpointUrl = sp.endpoint;
      this.s3Credentials = { accessKeyId: pulumi.secret(r.accessKeyId), secretAccessKey: pulumi.secret(r.secretAccessKey) };
      if (sp.tls && cfg.tls.certSecretName) this.caSecret = { name: cfg.tls.certSecretName, key: "ca.crt" };
      this.credentialsSecretName = r.credentialsSecretName;
      this.connection = pulumi.secret(
        pulumi.all([r.accessKeyId, r.secretAccessKey, this.buckets]).apply(([accessKeyId, secretAccessKey, buckets]) => ({
          endpoint: sp.endpoint,
          url: sp.endpoint,
          region: "us-east-1",
          forcePathStyle: true,
          buckets,
          accessKeyId,
          secretAccessKey,
          accessKey: accessKeyId,
          secretKey: secretAccessKey,
          tls: sp.tls,
        })),
      );
    }
    this.registerOutputs({
      connection: this.connection,
      endpoint: this.endpoint,
      buckets: this.buckets,
      implementation: this.implementation,
      network: this.network,
      accessPolicyJson: this.accessPolicyJson,
      kmsKeyArn: this.kmsKeyArn,
      bucketArns: this.bucketArns,
      credentialsSecretName: this.credentialsSecretName,
      endpointUrl: this.endpointUrl,
      caSecret: this.caSecret,
    });
  }
}
