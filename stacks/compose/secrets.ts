/**
 * Secrets composers.
 *
 *   const enc = composeEncryption(ctx);          // first: the stack KMS key (AWS tiers)
 *   ctx.kmsKeyArn = enc.kmsKeyArn;
 *   ...network, cluster/host, data stores, monitoring...
 *   const secrets = composeSecrets(ctx, {
 *     dataStores: { "postgres/main": pg.connection, "redis/cache": redis.connection },
 *     grafanaAdminPassword: monitoring.grafanaAdminPassword,
 *   });
 *   composeServices(ctx, cluster, { existingSecrets: secrets.existingSecrets, resolveSecret: secrets.resolveSecret });
 *
 * AWS + Kubernetes: Secrets Manager entries + ESO (IRSA) + ExternalSecrets `<service>-secrets` in the
 * apps namespace. AWS + droplet: Secrets Manager entries; containers get values via `resolveSecret`.
 * Local (no cloud): plain Kubernetes Secrets with the same names and keys (ClusterSecrets).
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSecrets } from "../../components/secrets/cluster";
import { StackKey } from "../../components/secrets/encryption";
import { Secrets } from "../../components/secrets";
import { refToEntry, RotationPlan, serviceConsumers, serviceSecretName } from "../../components/secrets/plan";
import type { Context } from "../context";

export interface EncryptionOutputs {
  key?: StackKey;
  /** Put it on the context: `ctx.kmsKeyArn = enc.kmsKeyArn`. */
  kmsKeyArn?: pulumi.Output<string>;
  skipped?: string;
}

export function composeEncryption(ctx: Context): EncryptionOutputs {
  const aws = ctx.providers.aws;
  if (!aws) return { skipped: "no AWS account in this tier: encryption at rest is the cluster's (and Pulumi's secrets provider for state)" };
  const key = new StackKey(`${ctx.spec.stack}-kms`, { stack: ctx.spec.stack, protect: ctx.spec.profile.protectState }, { providers: { aws } });
  return { key, kmsKeyArn: key.arn };
}

/** Connection objects (the data components' `connection` Outputs) keyed by `<kind>/<name>`. */
export interface CredentialInputs {
  dataStores?: Record<string, pulumi.Output<object>>;
  /** Monitoring's generated Grafana admin password (kept as a break-glass entry). */
  grafanaAdminPassword?: pulumi.Output<string>;
}

export interface SecretsComposeOptions {
  /** Rotation Lambda ARNs (from config) for data-store credentials and generated keys. */
  rotationLambdaArns?: { dataStore?: string; generated?: string };
  /** Generated keys to create as KMS secp256k1 signing keys instead of stored secrets. */
  kmsSigningKeys?: string[];
  /** Clock for rotation epochs (tests pin it). */
  nowMs?: number;
}

export interface SecretsOutputs {
  component?: Secrets | ClusterSecrets;
  /** Per service with secrets: the Secret (same keys as the env names) — composeServices `existingSecrets`. */
  existingSecrets: Record<string, string>;
  /**
   * Value of a `dataStore:`/`config:`/`generated:` ref as a secret Output, for services whose refs are
   * not materialised as `<service>-secrets` (the droplet's containers); undefined for services in `existingSecrets`.
   */
  resolveSecret: (service: string, from: string) => pulumi.Output<string> | undefined;
  secretArns: Record<string, pulumi.Output<string>>;
  rotation: Record<string, RotationPlan>;
  esoRoleArn?: pulumi.Output<string>;
}

/** The Secrets Manager JSON of a connection: the contract plus `readerUrl` and the fields AWS's rotation templates read. */
export function connectionDocument(kind: string, conn: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...conn };
  if (typeof conn.url === "string" && typeof conn.host === "string" && typeof conn.readerHost === "string") {
    out.readerUrl = conn.url.replace(`@${conn.host}:`, `@${conn.readerHost}:`);
  }
  if (kind === "postgres") {
    out.engine = "postgres";
    if (conn.database !== undefined) out.dbname = conn.database;
  }
  return out;
}

export function composeSecrets(ctx: Context, creds: CredentialInputs = {}, opts: SecretsComposeOptions = {}): SecretsOutputs {
  const { spec, providers } = ctx;
  const bp = spec.blueprint;
  const entries: { id: string; source: "dataStore" | "config" | "platform"; description: string; value: pulumi.Output<string> }[] = [];
  for (const [ref, conn] of Object.entries(creds.dataStores ?? {})) {
    const kind = ref.split("/")[0]!;
    entries.push({ id: ref, source: "dataStore", description: `${ref} connection (${spec.stack})`, value: pulumi.secret(conn.apply((c) => JSON.stringify(connectionDocument(kind, c as Record<string, unknown>)))) });
  }
  for (const s of bp.secrets.external) {
    const v = ctx.humanSecrets[s.name];
    if (v) entries.push({ id: `config/${s.name}`, source: "config", description: s.description || `platform:secrets.${s.name}`, value: pulumi.secret(v) });
  }
  if (creds.grafanaAdminPassword) entries.push({ id: "platform/grafana-admin", source: "platform", description: "Grafana admin password (break-glass; SSO is the normal sign-in)", value: creds.grafanaAdminPassword });
  const signing = new Set(opts.kmsSigningKeys ?? []);
  const generated = bp.secrets.generated.map((g) => ({ ...g, kind: signing.has(g.name) ? ("kms-secp256k1" as const) : ("secret" as const) }));

  const withSecrets = bp.services.filter((s) => s.secrets.length > 0);
  const existingSecrets = Object.fromEntries(withSecrets.map((s) => [s.name, serviceSecretName(s.name)]));
  const stack = spec.stack;

  let component: Secrets | ClusterSecrets;
  let secretArns: Record<string, pulumi.Output<string>> = {};
  let rotation: Record<string, RotationPlan> = {};
  let esoRoleArn: pulumi.Output<string> | undefined;
  if (!providers.aws) {
    if (!ctx.cluster) throw new Error(`stack ${stack}: secrets without an AWS account need a cluster (local tier): call composeCluster first`);
    component = new ClusterSecrets(`${stack}-secrets`, {
      entries,
      generated: generated.map(({ kind: _k, ...g }) => g),
      consumers: serviceConsumers(ctx.cluster.namespaces.apps, withSecrets),
    }, { providers: { kubernetes: ctx.cluster.provider, ...(providers.random ? { random: providers.random } : {}) } });
  } else {
    if (!ctx.kmsKeyArn) throw new Error(`stack ${stack}: Secrets Manager entries are encrypted with the stack key: call composeEncryption first and set ctx.kmsKeyArn`);
    const k8s = spec.hosting.mode === "kubernetes" ? ctx.cluster : undefined;
    if (spec.hosting.mode === "kubernetes" && (!k8s?.oidcProviderArn || !k8s.oidcIssuer)) {
      throw new Error(`stack ${stack}: External Secrets Operator authenticates with IRSA: the cluster must expose oidcProviderArn and oidcIssuer (EKS), call composeCluster first`);
    }
    const s = new Secrets(`${stack}-secrets`, {
      stack,
      region: spec.regions.primary,
      kmsKeyArn: ctx.kmsKeyArn,
      entries,
      generated,
      ...(opts.rotationLambdaArns ? { rotationLambdaArns: opts.rotationLambdaArns } : {}),
      ...(opts.nowMs !== undefined ? { nowMs: opts.nowMs } : {}),
      recoveryWindowInDays: spec.profile.protectState ? 30 : 7,
      protect: spec.profile.protectState,
      ...(k8s ? { cluster: { oidcProviderArn: k8s.oidcProviderArn!, oidcIssuer: k8s.oidcIssuer!, apiServerCidrs: k8s.apiServerCidrs ?? [], consumers: serviceConsumers(k8s.namespaces.apps, withSecrets), charts: spec.charts } } : {}),
    }, { providers: { aws: providers.aws, ...(providers.random ? { random: providers.random } : {}), ...(k8s ? { kubernetes: k8s.provider } : {}) } });
    component = s;
    secretArns = s.secretArns;
    rotation = s.rotation;
    esoRoleArn = s.esoRoleArn;
  }

  const values = component.values;
  const materialised = spec.hosting.mode === "kubernetes" ? existingSecrets : {};
  const resolveSecret = (service: string, from: string): pulumi.Output<string> | undefined => {
    // On Kubernetes the service's refs are already in `<service>-secrets` (ExternalSecret or
    // ClusterSecrets): returning the value again would copy it into a second Secret.
    if (materialised[service]) return undefined;
    const { entryId, property } = refToEntry(from);
    const v = values[entryId];
    if (!v) return undefined;
    return property ? pulumi.secret(v.apply((json) => String((JSON.parse(json) as Record<string, unknown>)[property] ?? ""))) : v;
  };
  return {
    component,
    existingSecrets: materialised,
    resolveSecret,
    secretArns,
    rotation,
    ...(esoRoleArn ? { esoRoleArn } : {}),
  };
}
