/** The contract every `ObjectStore` implementation exports. */
export interface ObjectStoreConnection {
  /** S3 API endpoint (`https://s3.<region>.amazonaws.com` or the in-cluster gateway). */
  endpoint: string;
  /** Same as `endpoint` (every store's connection has a `url`, the default `dataStore:` ref property). */
  url: string;
  region: string;
  /** SeaweedFS needs path-style addressing. */
  forcePathStyle: boolean;
  /** Logical bucket name → real bucket name. */
  buckets: Record<string, string>;
  /** Static credentials (SeaweedFS only; S3 uses IAM roles / IRSA — attach `accessPolicyJson`). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Aliases of accessKeyId / secretAccessKey (blueprint refs `#accessKey`, `#secretKey`). */
  accessKey?: string;
  secretKey?: string;
  tls: boolean;
}
