/** Pure helpers for CNPG backup targets: S3 paths, in-cluster endpoints, the IRSA trust and barman policy. No Pulumi import. */

/** `s3://bucket/some/prefix` → bucket and prefix (no leading slash; "" for the whole bucket). */
export function parseS3Path(path: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(path);
  if (!m) throw new Error(`not an s3:// path: ${path}`);
  return { bucket: m[1], prefix: m[2].replace(/\/?$/, m[2] ? "/" : "") };
}

/** IAM policy for CNPG's barman: list the bucket, read/write/delete under the prefix, use the KMS key. */
export function barmanPolicy(bucketArn: string, prefix: string, kmsKeyArn?: string): string {
  const statements: Record<string, unknown>[] = [
    {
      Sid: "List",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetBucketLocation"],
      Resource: [bucketArn],
      ...(prefix ? { Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } } } : {}),
    },
    { Sid: "Objects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: [`${bucketArn}/${prefix}*`] },
  ];
  if (kmsKeyArn) statements.push({ Sid: "Kms", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], Resource: [kmsKeyArn] });
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** IRSA trust: only the given service account, only for STS. */
export function irsaTrust(oidcProviderArn: string, oidcIssuer: string, namespace: string, serviceAccount: string): string {
  const host = oidcIssuer.replace(/^https:\/\//, "");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${host}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`, [`${host}:aud`]: "sts.amazonaws.com" } },
      },
    ],
  });
}

/** `https://svc.ns.svc[.cluster.local][:port]` → the in-cluster namespace and port; null for external endpoints. */
export function inClusterEndpoint(url: string | undefined): null | { namespace: string; port: number } {
  if (!url) return null;
  const m = /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?(:(\d+))?(\/.*)?$/.exec(url);
  if (!m) return null;
  return { namespace: m[2], port: m[5] ? Number(m[5]) : 443 };
}
