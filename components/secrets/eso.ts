/**
 * External Secrets Operator on Kubernetes: the IRSA role (trust: only the ESO controller's service
 * account through this cluster's OIDC provider; access: only this stack's secret ARNs and the stack
 * key via Secrets Manager), the pinned Helm release, the ClusterSecretStore (usable only from the
 * consumer namespaces) and one ExternalSecret per consumer.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHART_PINS, helmChartSource } from "../charts";
import type { SecretsConfig } from "./args";
import { clusterSecretStoreManifest, esoAccessPolicy, ESO, esoNamespaceManifests, externalSecretManifest, irsaTrustPolicy } from "./plan";

/** The ESO chart, pinned in components/charts.ts. */
export const ESO_CHART = CHART_PINS.externalSecrets;

export function provisionEso(
  name: string,
  parent: pulumi.ComponentResource,
  cfg: SecretsConfig,
  cluster: NonNullable<SecretsConfig["cluster"]>,
  secretArns: Record<string, pulumi.Output<string>>,
): { roleArn: pulumi.Output<string>; storeName: string } {
  const opts = { parent };
  const role = new aws.iam.Role(
    `${name}-eso`,
    {
      name: `platform-${cfg.stack}-external-secrets`.slice(0, 64),
      description: `External Secrets Operator (${cfg.stack}): read this stack's secrets only`,
      assumeRolePolicy: pulumi.all([cluster.oidcProviderArn, cluster.oidcIssuer]).apply(([arn, issuer]) => JSON.stringify(irsaTrustPolicy(arn, issuer))),
      maxSessionDuration: 3600,
      tags: { "platform:stack": cfg.stack },
    },
    opts,
  );
  const ids = Object.keys(secretArns).sort();
  const policy = new aws.iam.RolePolicy(
    `${name}-eso-read`,
    {
      role: role.id,
      policy: pulumi
        .all([pulumi.all(ids.map((id) => secretArns[id]!)), cfg.kmsKeyArn])
        .apply(([arns, key]) => JSON.stringify(esoAccessPolicy(arns, key, cfg.region))),
    },
    opts,
  );

  const nsm = esoNamespaceManifests(cluster.apiServerCidrs);
  const ns = new k8s.core.v1.Namespace(`${name}-eso-ns`, nsm.namespace, opts);
  const deny = new k8s.networking.v1.NetworkPolicy(`${name}-eso-default-deny`, nsm.defaultDeny, { ...opts, dependsOn: [ns] });
  const allow = new k8s.networking.v1.NetworkPolicy(`${name}-eso-allow`, nsm.allow, { ...opts, dependsOn: [ns] });

  const release = new k8s.helm.v3.Release(
    `${name}-eso`,
    {
      name: ESO.release,
      namespace: ESO.namespace,
      createNamespace: false,
      ...helmChartSource(ESO_CHART, cluster.charts),
      atomic: true,
      cleanupOnFail: true,
      timeout: 600,
      values: {
        installCRDs: true,
        serviceAccount: { create: true, name: ESO.serviceAccount, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
        securityContext: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        },
        resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
        webhook: { resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } } },
        certController: { resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } } },
        // Only the ClusterSecretStore this stack defines is served; namespaced SecretStores are not needed.
        processClusterExternalSecret: false,
        processPushSecret: false,
        // Chart 2.x refuses PushSecret off with ClusterPushSecret on (its reconciler sanity check).
        processClusterPushSecret: false,
      },
    },
    { ...opts, dependsOn: [policy, ns, deny, allow] },
  );

  const namespaces = cluster.consumers.map((c) => c.namespace);
  const storeManifest = clusterSecretStoreManifest(cfg.region, namespaces.length ? namespaces : [ESO.namespace]);
  const store = new k8s.apiextensions.CustomResource(
    `${name}-store`,
    { apiVersion: storeManifest.apiVersion, kind: storeManifest.kind, metadata: storeManifest.metadata, spec: storeManifest.spec },
    { ...opts, dependsOn: [release] },
  );
  for (const c of cluster.consumers) {
    const m = externalSecretManifest(cfg.stack, c);
    new k8s.apiextensions.CustomResource(
      `${name}-${c.namespace}-${c.secretName}`,
      { apiVersion: m.apiVersion, kind: m.kind, metadata: m.metadata, spec: m.spec },
      { ...opts, dependsOn: [store] },
    );
  }
  return { roleArn: role.arn, storeName: ESO.store };
}
