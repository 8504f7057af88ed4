/**
 * The secrets plan, pure (no Pulumi import): Secrets Manager names, rotation decisions, the
 * IRSA trust policy and the least-privilege access policy of External Secrets Operator, the
 * ClusterSecretStore and the ExternalSecrets. Tests assert these documents directly and on the
 * inventory.
 */

/** Where a secret value comes from (mirrors ServiceSpec `secrets[].from`). */
export type SecretSource = "dataStore" | "config" | "generated" | "platform";

/** How (and whether) an entry rotates — every entry says so explicitly. */
export type RotationPlan =
  | { mode: "lambda"; lambdaArn: string; days: number }
  | { mode: "epoch"; days: number; epoch: number }
  /** A signing key: the two-phase state from `platform:signingKeys.<name>` (components/secrets/signing.ts). */
  | { mode: "two-phase"; phase: "steady" | "issue" | "promote"; current: string; next?: string; retiring?: string }
  | { mode: "none"; reason: string };

/** Secrets Manager name of an entry: `platform/<stack>/<id>` (id like `postgres/main`, `generated/relay-signer`). */
export function secretName(stack: string, id: string): string {
  const name = `platform/${stack}/${id}`;
  if (!/^[\w/+=.@-]{1,512}$/.test(name)) throw new Error(`secret id '${id}' gives an invalid Secrets Manager name '${name}': use letters, digits and /_+=.@-`);
  return name;
}

/** Pulumi-safe resource name for an id (`postgres/main` → `postgres-main`). */
export function resourceId(id: string): string {
  return id.replace(/[^a-zA-Z0-9-]+/g, "-").replace(/^-|-$/g, "");
}

/**
 * The rotation epoch: floor(now / rotationDays). A generated key's RandomBytes keeps the epoch,
 * so the first `pulumi up` after `rotationDays` have elapsed replaces the key and writes a new
 * secret version (Secrets Manager keeps the previous one as AWSPREVIOUS).
 */
export function rotationEpoch(nowMs: number, days: number): number {
  if (!Number.isInteger(days) || days < 1) throw new Error(`rotationDays must be a whole number ≥ 1, got ${days}`);
  return Math.floor(nowMs / (days * 86_400_000));
}

export function planRotation(source: SecretSource, opts: { days?: number; lambdaArn?: string; nowMs: number }): RotationPlan {
  if (opts.lambdaArn) {
    if (!/^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/.test(opts.lambdaArn)) {
      throw new Error(`rotation Lambda ARN '${opts.lambdaArn}' is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)`);
    }
    return { mode: "lambda", lambdaArn: opts.lambdaArn, days: opts.days ?? 30 };
  }
  switch (source) {
    case "generated":
      return { mode: "epoch", days: opts.days ?? 30, epoch: rotationEpoch(opts.nowMs, opts.days ?? 30) };
    case "config":
      return { mode: "none", reason: "human-provided: rotate by setting a new value with `pulumi config set --secret` and running `pulumi up`" };
    case "dataStore":
      return {
        mode: "none",
        reason:
          "the data store owns this credential: give a rotation Lambda ARN (AWS's single-user rotation template reads this secret's JSON) or use RDS-managed master passwords",
      };
    case "platform":
      return { mode: "none", reason: "platform credential: replace by tainting its RandomPassword (`pulumi up --replace`)" };
  }
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: {
    Sid: string;
    Effect: "Allow" | "Deny";
    Action: string[] | string;
    Resource?: string[] | string;
    Principal?: Record<string, string>;
    Condition?: Record<string, Record<string, string | string[]>>;
  }[];
}

/** The ESO controller's service account, the only principal the IRSA role trusts. */
export const ESO = { namespace: "external-secrets", serviceAccount: "external-secrets", release: "external-secrets", store: "platform-secrets" } as const;

/** Trust policy: only `system:serviceaccount:<ns>:<sa>` through this cluster's OIDC provider. */
export function irsaTrustPolicy(
  oidcProviderArn: string,
  oidcIssuer: string,
  namespace: string = ESO.namespace,
  serviceAccount: string = ESO.serviceAccount,
): PolicyDocument {
  if (!/^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(oidcIssuer)) throw new Error(`oidcIssuer must be the cluster's https OIDC issuer URL, got '${oidcIssuer}'`);
  if (!/^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/.+$/.test(oidcProviderArn))
    throw new Error(`oidcProviderArn must be an IAM OIDC provider ARN, got '${oidcProviderArn}'`);
  const host = oidcIssuer.replace(/^https:\/\//, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EsoServiceAccountOnly",
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${host}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`, [`${host}:aud`]: "sts.amazonaws.com" } },
      },
    ],
  };
}

/**
 * Least privilege: read (GetSecretValue, DescribeSecret) exactly this stack's secret ARNs, and
 * decrypt with the stack key only when Secrets Manager in this region asks.
 */
export function esoAccessPolicy(secretArns: string[], kmsKeyArn: string, region: string): PolicyDocument {
  if (secretArns.length === 0) throw new Error("the ESO policy needs at least one secret ARN");
  if (secretArns.some((a) => a.includes("*"))) throw new Error("secret ARNs must be exact (no wildcards)");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadThisStacksSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        Resource: [...secretArns].sort(),
      },
      {
        Sid: "DecryptWithStackKey",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [kmsKeyArn],
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
      },
    ],
  };
}

/** A Kubernetes Secret the platform materialises: name, namespace and key → (entry, JSON property). */
export interface Consumer {
  namespace: string;
  secretName: string;
  data: { key: string; entryId: string; property?: string }[];
}

export function clusterSecretStoreManifest(region: string, namespaces: string[]) {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterSecretStore",
    metadata: { name: ESO.store },
    spec: {
      provider: { aws: { service: "SecretsManager", region } },
      // Only the namespaces that need secrets may use the store.
      conditions: [{ namespaces: [...new Set(namespaces)].sort() }],
    },
  };
}

export function externalSecretManifest(stack: string, c: Consumer, refreshInterval = "1h") {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: c.secretName, namespace: c.namespace, labels: { "app.kubernetes.io/managed-by": "external-secrets", "platform.io/stack": stack } },
    spec: {
      refreshInterval,
      secretStoreRef: { kind: "ClusterSecretStore", name: ESO.store },
      target: { name: c.secretName, creationPolicy: "Owner", deletionPolicy: "Retain" },
      data: c.data.map((d) => ({ secretKey: d.key, remoteRef: { key: secretName(stack, d.entryId), ...(d.property ? { property: d.property } : {}) } })),
    },
  };
}

/**
 * Service secret refs → consumers. `dataStore:postgres/main#password` → entry `postgres/main`,
 * JSON property `password` (default `url`); `config:x` → `config/x`; `generated:x` → `generated/x`.
 */
export function serviceConsumers(namespace: string, services: { name: string; secrets: { env: string; from: string }[] }[]): Consumer[] {
  return services
    .filter((s) => s.secrets.length > 0)
    .map((s) => ({
      namespace,
      secretName: serviceSecretName(s.name),
      data: s.secrets.map((ref) => ({ key: ref.env, ...refToEntry(ref.from) })),
    }));
}

/** Name of the Secret holding a service's secret env vars (components/service references it). */
export function serviceSecretName(service: string): string {
  return `${service}-secrets`;
}

export function refToEntry(from: string): { entryId: string; property?: string } {
  const i = from.indexOf(":");
  const scheme = from.slice(0, i);
  const rest = from.slice(i + 1);
  if (scheme === "dataStore") {
    const [store, prop] = rest.split("#") as [string, string | undefined];
    return { entryId: store, property: prop ?? "url" };
  }
  if (scheme === "config") return { entryId: `config/${rest}` };
  if (scheme === "generated") return { entryId: `generated/${rest}` };
  throw new Error(`unknown secret reference '${from}': expected dataStore:, config: or generated:`);
}

/**
 * The ESO namespace: Pod Security `restricted`, default-deny both ways, then only what the
 * operator needs — DNS, HTTPS out (AWS STS/Secrets Manager/KMS and the Kubernetes API), and the
 * API server calling the validating webhook on 10250 — from the API server's CIDRs only (the
 * webhook decides what objects the cluster admits; nothing else in the cluster may call it).
 */
/** The port of ESO's validating webhook (chart value `webhook.port`, default 10250). */
export const ESO_WEBHOOK_PORT = 10250;

export function esoNamespaceManifests(apiServerCidrs: string[], namespace: string = ESO.namespace) {
  if (apiServerCidrs.length === 0)
    throw new Error("esoNamespaceManifests: apiServerCidrs is empty: give the API server's CIDRs (the VPC CIDR on EKS), or the webhook would admit nobody");
  const labels = {
    "platform.io/role": "secrets",
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  };
  return {
    namespace: { apiVersion: "v1" as const, kind: "Namespace" as const, metadata: { name: namespace, labels } },
    defaultDeny: {
      apiVersion: "networking.k8s.io/v1" as const,
      kind: "NetworkPolicy" as const,
      metadata: { name: "default-deny", namespace },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    allow: {
      apiVersion: "networking.k8s.io/v1" as const,
      kind: "NetworkPolicy" as const,
      metadata: { name: "external-secrets-operator", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [...apiServerCidrs].sort().map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: ESO_WEBHOOK_PORT }] }],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
        ],
      },
    },
  };
}
