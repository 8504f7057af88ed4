/**
 * S3 buckets from a `ManagedObjectStorePlan`: public access blocked, bucket-owner-enforced
 * ownership, SSE-KMS (bucket key), versioning, lifecycle, TLS-only policy, and when the
 * backup policy asks for it, replication to a bucket in a second region (explicit provider).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { kmsKey } from "../awsCommon";
import { awsTags } from "../network";
import type { ManagedObjectStoreConfig } from "./args";
import { accessPolicy, replicationPolicy, tlsOnlyPolicy, type LifecycleRule, type ManagedObjectStorePlan } from "./plan";

interface SecuredBucket {
  bucket: aws.s3.Bucket;
  versioning: aws.s3.BucketVersioning;
}

function securedBucket(
  name: string,
  parent: pulumi.Resource,
  prefix: string,
  keyArn: pulumi.Input<string>,
  lifecycle: LifecycleRule[],
  protect: boolean,
  tags: Record<string, string>,
  provider?: aws.Provider,
): SecuredBucket {
  const o = { parent, ...(provider ? { provider } : {}) };
  const bucket = new aws.s3.Bucket(name, { bucketPrefix: prefix, forceDestroy: false, tags }, { ...o, protect });
  const pab = new aws.s3.BucketPublicAccessBlock(
    name,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    o,
  );
  new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, o);
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn }, bucketKeyEnabled: true }] },
    o,
  );
  const versioning = new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, o);
  new aws.s3.BucketLifecycleConfiguration(name, { bucket: bucket.id, rules: lifecycle }, { ...o, dependsOn: [versioning] });
  new aws.s3.BucketPolicy(name, { bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyPolicy) }, { ...o, dependsOn: [pab] });
  return { bucket, versioning };
}

export function provisionS3(name: string, parent: pulumi.Resource, cfg: ManagedObjectStoreConfig, plan: ManagedObjectStorePlan) {
  const tags = awsTags(name, "objectstore", cfg.labels);
  const keyArn = kmsKey(name, parent, cfg.kmsKeyArn, `${name} object storage SSE-KMS`, tags);
  const replicaKey =
    plan.buckets.some((b) => b.replicate) && cfg.replicaProvider
      ? kmsKey(`${name}-replica`, parent, undefined, `${name} replica buckets SSE-KMS`, tags, { provider: cfg.replicaProvider })
      : undefined;

  const buckets: Record<string, pulumi.Output<string>> = {};
  const bucketArns: Record<string, pulumi.Output<string>> = {};
  const arns: pulumi.Output<string>[] = [];
  for (const b of plan.buckets) {
    const rn = `${name}-${b.logicalName}`;
    const src = securedBucket(rn, parent, b.bucketPrefix, keyArn, b.lifecycle, plan.protect, tags);
    buckets[b.logicalName] = src.bucket.bucket;
    bucketArns[b.logicalName] = src.bucket.arn;
    arns.push(src.bucket.arn);
    if (b.replicate && cfg.replicaProvider && replicaKey) {
      const dst = securedBucket(
        `${rn}-replica`,
        parent,
        `${b.bucketPrefix.slice(0, 28)}replica-`,
        replicaKey,
        b.lifecycle,
        plan.protect,
        tags,
        cfg.replicaProvider,
      );
      const role = new aws.iam.Role(
        `${rn}-replication`,
        {
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }],
          }),
          tags,
        },
        { parent },
      );
      new aws.iam.RolePolicy(
        `${rn}-replication`,
        { role: role.id, policy: pulumi.all([src.bucket.arn, dst.bucket.arn, keyArn, replicaKey]).apply(([s, d, k1, k2]) => replicationPolicy(s, d, k1, k2)) },
        { parent },
      );
      new aws.s3.BucketReplicationConfig(
        `${rn}-replication`,
        {
          bucket: src.bucket.id,
          role: role.arn,
          rules: [
            {
              id: "cross-region",
              status: "Enabled",
              filter: {},
              deleteMarkerReplication: { status: "Enabled" },
              sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
              destination: { bucket: dst.bucket.arn, storageClass: "STANDARD_IA", encryptionConfiguration: { replicaKmsKeyId: replicaKey } },
            },
          ],
        },
        { parent, dependsOn: [src.versioning, dst.versioning] },
      );
    }
  }
  const region = aws.getRegionOutput({}, { parent }).region;
  const policyJson = pulumi.all([pulumi.all(arns), keyArn]).apply(([a, k]) => accessPolicy(a, k));
  return { buckets: pulumi.output(buckets), bucketArns: pulumi.output(bucketArns), region, accessPolicyJson: policyJson, kmsKeyArn: keyArn };
}
