/**
 * The composition: read the stack's config, validate the whole spec before a single resource
 * is registered, build the explicit providers, then hand a Context to each area's composer in
 * dependency order. Returns the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { registerKubernetesPrerequisites } from "../components/cluster/prerequisites";
import { generatePassword } from "../components/secrets/generate";
import type { Context } from "./context";
import { composeCluster } from "./compose/cluster";
import { composeData } from "./compose/data";
import { composeDelivery } from "./compose/delivery";
import { IngressDnsOutputs, composeIngressDns } from "./compose/dns";
import { composeEdge } from "./compose/edge";
import { ReleaseOutputs, composeRelease } from "./compose/gitops";
import { HostComposeOutputs, composeHost } from "./compose/host";
import { composeAdmission, composeRegistry } from "./compose/images";
import { MonitoringOutputs, composeMonitoring } from "./compose/monitoring";
import { composeNetwork } from "./compose/network";
import { SecretsOutputs, composeEncryption, composeSecrets } from "./compose/secrets";
import { ServicesOutputs, composeServices } from "./compose/services";
import { buildProviders } from "./providers";
import { loadSpec, platformConfigFromRaw } from "./spec/load";
import type { PlatformSpec } from "./spec/platform";

/** Validate the stack's spec. Throws a SpecError listing every problem; registers nothing. */
export function readSpec(): PlatformSpec {
  return loadSpec({ stack: pulumi.getStack(), config: platformConfigFromRaw(pulumi.runtime.allConfig()) });
}

/**
 * Human-provided secrets as secret Outputs. Outside `local`, the spec has already rejected a
 * missing one; in `local` a missing one is generated, since nothing real is sent there.
 */
function humanSecrets(spec: PlatformSpec, providers: Context["providers"]): Record<string, pulumi.Output<string>> {
  const cfg = new pulumi.Config("platform");
  const provided = cfg.getSecretObject<Record<string, string>>("secrets");
  const out: Record<string, pulumi.Output<string>> = {};
  for (const { name } of spec.blueprint.secrets.external) {
    if (provided && spec.providedSecrets.includes(name)) {
      out[name] = pulumi.secret(provided.apply((o) => o[name]!));
    } else {
      out[name] = generatePassword(`local-${name}`, { length: 32 }, providers.random ? { provider: providers.random } : {});
    }
  }
  return out;
}

/** Registry passwords as secret Outputs (the spec has already refused a missing one outside `local`). */
function registryPasswords(spec: PlatformSpec): Record<string, pulumi.Output<string>> {
  const provided = new pulumi.Config("platform").getSecretObject<Record<string, string>>("registryPasswords");
  const out: Record<string, pulumi.Output<string>> = {};
  if (!provided) return out;
  for (const r of spec.registries) out[r.name] = pulumi.secret(provided.apply((o) => o[r.name] ?? ""));
  return out;
}

export function main(): Record<string, unknown> {
  const spec = readSpec();
  // Every Kubernetes object waits for its Namespace and for the release serving its API group.
  registerKubernetesPrerequisites();
  const providers = buildProviders(spec);
  const ctx: Context = { spec, providers, humanSecrets: humanSecrets(spec, providers), registryPasswords: registryPasswords(spec) };

  // Encryption and network first: every managed store, the cluster and the host use them.
  const encryption = composeEncryption(ctx);
  if (encryption.kmsKeyArn) ctx.kmsKeyArn = encryption.kmsKeyArn;
  const network = composeNetwork(ctx);
  if (network) ctx.network = network;
  // Where `pulumi up` runs: a runner inside the VPC, the only client of the private endpoints.
  const deployRunner = composeDelivery(ctx);
  if (deployRunner) ctx.deployRunner = deployRunner;
  // The platform's ECR repositories (platform:imageRegistry): the services' images come from them.
  const registry = composeRegistry(ctx);

  // Where the services run: a Kubernetes cluster, or the single host.
  const cluster = composeCluster(ctx);
  if (cluster) ctx.cluster = cluster;
  const data = composeData(ctx);

  let monitoring: MonitoringOutputs | undefined;
  let secrets: SecretsOutputs;
  let services: ServicesOutputs | undefined;
  let release: ReleaseOutputs | undefined;
  let host: HostComposeOutputs | undefined;
  let dns: IngressDnsOutputs | undefined;
  if (cluster) {
    // Image admission (platform:admission): Kyverno and the allowed-registry / signature policies.
    composeAdmission(ctx, cluster);
    monitoring = composeMonitoring(ctx, {
      ingress: { className: cluster.ingress.className, ...(cluster.clusterIssuer ? { clusterIssuer: cluster.clusterIssuer } : {}) },
      dependsOn: cluster.ready,
    });
    secrets = composeSecrets(ctx, {
      dataStores: data.connections,
      ...(monitoring.grafanaAdminPassword ? { grafanaAdminPassword: monitoring.grafanaAdminPassword } : {}),
    });
    // Argo Rollouts (staging/prod) and, on a GitOps tier, Argo CD; every rollout knob from the stack file.
    release = composeRelease(ctx, cluster, { ...(monitoring.prometheusUrl ? { prometheusUrl: monitoring.prometheusUrl } : {}) });
    services = composeServices(ctx, cluster, {
      rollout: release.rollout,
      gitops: release.gitops,
      dataStores: data.netpolStores,
      resolveSecret: secrets.resolveSecret,
      existingSecrets: secrets.existingSecrets,
      serviceAccountAnnotations: secrets.serviceAccountAnnotations,
      serviceMonitors: monitoring.serviceMonitors,
      ...(monitoring.otlpEndpoint ? { otlpEndpoint: monitoring.otlpEndpoint } : {}),
    });
    // Every public host an Ingress serves gets its record at the ingress load balancer.
    dns = composeIngressDns(ctx, cluster);
  } else {
    secrets = composeSecrets(ctx, { dataStores: data.connections });
    host = composeHost(ctx, { resolveSecret: secrets.resolveSecret, signingKeys: secrets.signingKeys });
    if (host) ctx.host = host;
    monitoring = composeMonitoring(ctx, host ? { hostContainerName: host.serviceContainerName } : {});
  }
  const edge = composeEdge(ctx);

  return {
    tier: spec.tier,
    blueprint: spec.blueprint.name,
    hosting: spec.hosting.mode,
    domain: spec.domain,
    edge: edge.url ?? { skipped: edge.skipped },
    services: Object.fromEntries(Object.entries(spec.services).map(([n, s]) => [n, { image: s.image, replicas: s.replicas }])),
    ...(services ? { publicHosts: services.hosts } : {}),
    ...(dns ? { dnsRecords: dns.records } : {}),
    ...(release?.gitops ? { delivery: { mode: "gitops", application: release.application } } : {}),
    dataStores: Object.fromEntries(Object.values(data.stores).map((s) => [s.ref, s.implementation])),
    ...(data.hostOwned.length ? { hostDataStores: data.hostOwned } : {}),
    ...(cluster
      ? {
          cluster: {
            namespaces: cluster.namespaces,
            rendered: cluster.rendered,
            ...(cluster.clusterName ? { name: cluster.clusterName } : {}),
          },
          ...(cluster.kubeconfig ? { kubeconfig: pulumi.secret(cluster.kubeconfig) } : {}),
        }
      : {}),
    ...(host
      ? { publicIp: host.publicIp, dockerHost: host.dockerHost, proxyHosts: host.proxyHosts, ...(host.backupBucket ? { backupBucket: host.backupBucket } : {}) }
      : {}),
    ...(registry ? { imageRepositories: registry.repositoryUrls } : {}),
    ...(deployRunner ? { deployRunner: { project: deployRunner.projectName, runsOn: deployRunner.label } } : {}),
    monitoring: monitoring.note,
    secretsProvided: Object.keys(ctx.humanSecrets),
    ...(secrets.esoRoleArn ? { externalSecretsRoleArn: secrets.esoRoleArn } : {}),
  };
}
