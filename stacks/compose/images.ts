/**
 * Images: the platform's ECR registry (`platform:imageRegistry`, components/registry) and image
 * admission (`platform:admission`: Kyverno + ClusterPolicies, components/cluster/admission.ts).
 * Both are opt-in per stack; the spec has already checked them against the images the services run
 * (stacks/spec/images.ts), so nothing here can refuse what the spec accepted.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { KYVERNO_NAMESPACE, kyvernoNetworkPolicies, planImagePolicies, planKyverno } from "../../components/cluster/admission";
import { registerManifest } from "../../components/cluster/register";
import { helmChartSource } from "../../components/charts";
import { releasePushRole } from "../../components/delivery/release-role";
import { ContainerRegistry } from "../../components/registry";
import type { ClusterOutputs, Context } from "../context";
import { admittedRegistries } from "../spec/images";

export interface RegistryOutputs {
  repositoryUrls: Record<string, pulumi.Output<string>>;
}

/** The ECR repositories of the stack's services (AWS tiers with platform:imageRegistry). */
export function composeRegistry(ctx: Context): RegistryOutputs | undefined {
  const { spec } = ctx;
  if (!spec.imageRegistry) return undefined;
  const aws = ctx.providers.aws;
  if (!aws) throw new Error(`stack ${spec.stack}: platform:imageRegistry (ECR) needs the AWS provider: remove it from a stack without an AWS account`);
  // The role release.yml's build-ecr job assumes (scripts/release.ts prints its ARN from the same helper).
  const pushRole = releasePushRole(spec.imageRegistry);
  const reg = new ContainerRegistry(
    `${spec.stack}-registry`,
    {
      blueprint: spec.blueprint.name,
      stack: spec.stack,
      services: Object.keys(spec.services),
      retentionDays: spec.profile.imageRetentionDays,
      ...(ctx.kmsKeyArn ? { kmsKeyArn: ctx.kmsKeyArn } : {}),
      ...(pushRole ? { pushRoleName: pushRole.name } : {}),
    },
    { provider: aws },
  );
  return { repositoryUrls: reg.repositoryUrls };
}

/** Kyverno and the image ClusterPolicies (Kubernetes tiers but local, with platform:admission). */
export function composeAdmission(ctx: Context, cluster: ClusterOutputs): pulumi.Resource[] {
  const { spec } = ctx;
  if (!spec.admission || cluster.rendered) return [];
  const k = { provider: cluster.provider };
  const ns = registerManifest(
    `${spec.stack}-ns-kyverno`,
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: KYVERNO_NAMESPACE,
        labels: {
          "app.kubernetes.io/managed-by": "pulumi",
          "platform.io/role": "addons",
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
        },
      },
    },
    { ...k, dependsOn: cluster.ready ?? [] },
  );
  if (!cluster.apiServerCidrs?.length)
    throw new Error(
      `stack ${spec.stack}: platform:admission needs the API server's CIDRs for Kyverno's webhook NetworkPolicy (the cluster composer gives them)`,
    );
  const netpols = kyvernoNetworkPolicies({ apiServerCidrs: cluster.apiServerCidrs, monitoringNamespace: cluster.namespaces.monitoring }).map((np) =>
    registerManifest(`${spec.stack}-netpol-kyverno-${np.metadata.name}`, np as any, { ...k, dependsOn: [ns] }),
  );
  const plan = planKyverno({
    replicas: Math.min(3, Math.max(1, spec.profile.replicas.min)),
    serviceMonitors: spec.blueprint.monitoring.metrics,
    monitoringNamespace: cluster.namespaces.monitoring,
  });
  const release = new k8s.helm.v3.Release(
    `${spec.stack}-kyverno`,
    {
      name: plan.name,
      ...helmChartSource(plan.pin, spec.charts),
      namespace: plan.namespace,
      createNamespace: false,
      values: plan.values,
      atomic: true,
      cleanupOnFail: true,
      timeout: 600,
    },
    { ...k, dependsOn: [ns, ...netpols, ...(cluster.ready ?? [])] },
  );
  const images = Object.fromEntries(Object.entries(spec.services).map(([n, s]) => [n, s.image]));
  const policies = planImagePolicies({
    namespaces: [cluster.namespaces.apps],
    allowedRegistries: admittedRegistries(spec.admission, images),
    ...(spec.admission.signatures
      ? {
          signatures: {
            cosignPublicKey: spec.admission.signatures.cosignPublicKey,
            ...(spec.admission.signatures.signedRegistries ? { signedRegistries: spec.admission.signatures.signedRegistries } : {}),
          },
        }
      : {}),
  });
  const out: pulumi.Resource[] = [release];
  for (const p of policies) out.push(registerManifest(`${spec.stack}-cpol-${p.metadata.name}`, p as any, { ...k, dependsOn: [release] }));
  return out;
}
