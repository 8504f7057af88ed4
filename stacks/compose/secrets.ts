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
import { Consumer, refToEntry, RotationPlan, serviceConsumers, serviceSecretName } from "../../components/secrets/plan";
import { keySetDigest, signingEntryId, signingEnv, type SigningKeyRotation } from "../../components/secrets/signing";
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
  /** Per service that signs with a KMS signing key: its service account's annotations (the IRSA role). */
  serviceAccountAnnotations: Record<string, Record<string, pulumi.Input<string>>>;
  /** Per signing key: the signer this stack uses and the rotation state (`withSigningEnv(services, signingKeys)` on the single host). */
  signingKeys: Record<string, { signer: "kms" | "raw"; rotation: SigningKeyRotation }>;
}

/**
 * Which signer a signing key gets in this stack: the blueprint's `kms` where the services run on
 * Kubernetes in an AWS account (they sign through their IRSA role); `raw` on the local tier and a
 * single-host dev stack (the spec refuses kms on a single-host staging/prod stack).
 */
export function signerOf(declared: "kms" | "raw", hasAws: boolean, hosting: "kubernetes" | "singleHost"): "kms" | "raw" {
  return declared === "kms" && hasAws && hosting === "kubernetes" ? "kms" : "raw";
}

/**
 * The single host's services with signing keys expanded: `E <- generated:<key>` gains
 * `E_NEXT <- generated:<key>--next` (issue) or `E_RETIRING <- generated:<key>--retiring` (promote),
 * which `resolveSecret` answers with that key; a phase change changes the container's env (a restart).
 */
export function withSigningEnv<S extends { secrets: { env: string; from: string }[] }>(
  services: S[],
  signing: Record<string, { rotation: SigningKeyRotation }>,
): S[] {
  return services.map((svc) => ({
    ...svc,
    secrets: svc.secrets.flatMap((ref) => {
      const key = ref.from.startsWith("generated:") ? ref.from.slice("generated:".length) : undefined;
      const k = key ? signing[key] : undefined;
      if (!k) return [ref];
      return signingEnv(ref.env, k.rotation).map((e) => (e.role === "current" ? ref : { ...ref, env: e.env, from: `generated:${key}--${e.role}` }));
    }),
  }));
}

/**
 * The consumers of the services' secrets, with signing keys expanded: `E <- generated:<key>` becomes
 * `E` (current key), `E_NEXT` (issue phase) and `E_RETIRING` (promote phase); a service that reads a
 * signing key gets its Secret under a name carrying the key set's digest, so a phase change restarts it.
 */
export function signingConsumers(
  namespace: string,
  services: { name: string; secrets: { env: string; from: string }[] }[],
  signing: Record<string, SigningKeyRotation>,
): { consumers: Consumer[]; secretNames: Record<string, string> } {
  const secretNames: Record<string, string> = {};
  const consumers = serviceConsumers(namespace, services).map((c, i) => {
    const svc = services.filter((s) => s.secrets.length > 0)[i]!;
    const used: Record<string, SigningKeyRotation> = {};
    const data = svc.secrets.flatMap((ref) => {
      const key = ref.from.startsWith("generated:") ? ref.from.slice("generated:".length) : undefined;
      const r = key ? signing[key] : undefined;
      if (!key || !r) return [{ key: ref.env, ...refToEntry(ref.from) }];
      used[key] = r;
      return signingEnv(ref.env, r).map((e) => ({ key: e.env, entryId: signingEntryId(key, e.label) }));
    });
    const secretName = Object.keys(used).length ? `${c.secretName}-${keySetDigest(used)}` : c.secretName;
    secretNames[svc.name] = secretName;
    return { ...c, secretName, data };
  });
  return { consumers, secretNames };
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
    entries.push({
      id: ref,
      source: "dataStore",
      description: `${ref} connection (${spec.stack})`,
      value: pulumi.secret(conn.apply((c) => JSON.stringify(connectionDocument(kind, c as Record<string, unknown>)))),
    });
  }
  for (const s of bp.secrets.external) {
    const v = ctx.humanSecrets[s.name];
    if (v) entries.push({ id: `config/${s.name}`, source: "config", description: s.description || `platform:secrets.${s.name}`, value: pulumi.secret(v) });
  }
  if (creds.grafanaAdminPassword)
    entries.push({
      id: "platform/grafana-admin",
      source: "platform",
      description: "Grafana admin password (break-glass; SSO is the normal sign-in)",
      value: creds.grafanaAdminPassword,
    });
  const signingKeys: SecretsOutputs["signingKeys"] = {};
  const generated = bp.secrets.generated.map(({ signer, ...g }) => {
    if (!signer) return g;
    const rotation = spec.signingKeys[g.name] ?? { current: "1" };
    signingKeys[g.name] = { signer: signerOf(signer, providers.aws !== undefined, spec.hosting.mode), rotation };
    return { ...g, signing: { signer: signingKeys[g.name]!.signer, rotation } };
  });
  const rotations = Object.fromEntries(Object.entries(signingKeys).map(([n, k]) => [n, k.rotation]));

  const withSecrets = bp.services.filter((s) => s.secrets.length > 0);
  const stack = spec.stack;
  const namespace = ctx.cluster?.namespaces.apps ?? "apps";
  const { consumers, secretNames } = signingConsumers(namespace, withSecrets, rotations);
  const existingSecrets = Object.fromEntries(withSecrets.map((s) => [s.name, secretNames[s.name] ?? serviceSecretName(s.name)]));
  // Services that sign with a KMS key: their service account (named as the service) gets an IRSA role.
  const kmsKeys = new Set(
    Object.entries(signingKeys)
      .filter(([, k]) => k.signer === "kms")
      .map(([n]) => n),
  );
  const signers =
    spec.hosting.mode === "kubernetes" && ctx.cluster
      ? withSecrets.flatMap((s) => {
          const keys = [...new Set(s.secrets.flatMap((r) => (r.from.startsWith("generated:") && kmsKeys.has(r.from.slice(10)) ? [r.from.slice(10)] : [])))];
          return keys.length ? [{ namespace: ctx.cluster!.namespaces.apps, serviceAccount: s.name, keys }] : [];
        })
      : [];

  let component: Secrets | ClusterSecrets;
  let secretArns: Record<string, pulumi.Output<string>> = {};
  let rotation: Record<string, RotationPlan> = {};
  let esoRoleArn: pulumi.Output<string> | undefined;
  const serviceAccountAnnotations: SecretsOutputs["serviceAccountAnnotations"] = {};
  if (!providers.aws) {
    if (!ctx.cluster) throw new Error(`stack ${stack}: secrets without an AWS account need a cluster (local tier): call composeCluster first`);
    component = new ClusterSecrets(
      `${stack}-secrets`,
      {
        entries,
        generated,
        consumers,
      },
      { providers: { kubernetes: ctx.cluster.provider, ...(providers.random ? { random: providers.random } : {}) } },
    );
  } else {
    if (!ctx.kmsKeyArn)
      throw new Error(`stack ${stack}: Secrets Manager entries are encrypted with the stack key: call composeEncryption first and set ctx.kmsKeyArn`);
    const k8s = spec.hosting.mode === "kubernetes" ? ctx.cluster : undefined;
    if (spec.hosting.mode === "kubernetes" && (!k8s?.oidcProviderArn || !k8s.oidcIssuer)) {
      throw new Error(
        `stack ${stack}: External Secrets Operator authenticates with IRSA: the cluster must expose oidcProviderArn and oidcIssuer (EKS), call composeCluster first`,
      );
    }
    const s = new Secrets(
      `${stack}-secrets`,
      {
        stack,
        region: spec.regions.primary,
        kmsKeyArn: ctx.kmsKeyArn,
        entries,
        generated,
        ...(opts.rotationLambdaArns ? { rotationLambdaArns: opts.rotationLambdaArns } : {}),
        ...(opts.nowMs !== undefined ? { nowMs: opts.nowMs } : {}),
        recoveryWindowInDays: spec.profile.protectState ? 30 : 7,
        protect: spec.profile.protectState,
        ...(k8s
          ? {
              cluster: {
                oidcProviderArn: k8s.oidcProviderArn!,
                oidcIssuer: k8s.oidcIssuer!,
                apiServerCidrs: k8s.apiServerCidrs ?? [],
                consumers,
                signers,
                charts: spec.charts,
              },
            }
          : {}),
      },
      { providers: { aws: providers.aws, ...(providers.random ? { random: providers.random } : {}), ...(k8s ? { kubernetes: k8s.provider } : {}) } },
    );
    component = s;
    secretArns = s.secretArns;
    rotation = s.rotation;
    esoRoleArn = s.esoRoleArn;
    for (const sg of signers)
      serviceAccountAnnotations[sg.serviceAccount] = { "eks.amazonaws.com/role-arn": s.signerRoleArns[`${sg.namespace}/${sg.serviceAccount}`]! };
  }

  const values = component.values;
  const materialised = spec.hosting.mode === "kubernetes" ? existingSecrets : {};
  const resolveSecret = (service: string, from: string): pulumi.Output<string> | undefined => {
    // On Kubernetes the service's refs are already in `<service>-secrets` (ExternalSecret or
    // ClusterSecrets): returning the value again would copy it into a second Secret.
    if (materialised[service]) return undefined;
    // A signing key outside Kubernetes (the single host): `generated:<key>` is the current key,
    // `generated:<key>--next` / `--retiring` the other one during a rotation (withSigningEnv).
    const m = /^generated:([a-z][-a-z0-9]*?)(?:--(next|retiring))?$/.exec(from);
    const k = m ? signingKeys[m[1]!] : undefined;
    const label = k ? (m![2] === "next" ? k.rotation.next : m![2] === "retiring" ? k.rotation.retiring : k.rotation.current) : undefined;
    if (k && !label) return undefined;
    const { entryId, property } = k ? { entryId: signingEntryId(m![1]!, label!), property: undefined } : refToEntry(from);
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
    serviceAccountAnnotations,
    signingKeys,
  };
}
