/**
 * Services composer: one `Service` per blueprint service on the cluster, then every
 * NetworkPolicy of the platform (`ClusterNetworkPolicies`) from the services, the data stores'
 * network contracts and the blueprint's external networks.
 *
 *   const svcs = composeServices(ctx, cluster, {
 *     dataStores: [{ ref: "postgres/main", network: pg.network }],   // from the data composer
 *     resolveSecret: (svc, from) => ...,                               // dataStore:/generated: refs
 *   });
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterNetworkPolicies } from "../../components/cluster";
import type { NetpolStore } from "../../components/cluster/netpol";
import { Service, type ServiceArgs, planService } from "../../components/service";
import { hostCertificates } from "../../components/service/ingress";
import { buildInlineScriptHashes } from "../../components/edge/build";
import { registerManifest } from "../../components/cluster/register";
import { parseServiceArgs } from "../../components/service/args";
import type { NetpolService } from "../../components/cluster/netpol";
import type { ServiceSpec } from "../../components/service/spec";
import type { Context } from "../context";
import { fqdn } from "../spec/platform";
import { dockerConfigJson, pullSecretName, registryFor } from "../spec/registries";
import { RESOURCES } from "../spec/tiers";
import type { KubernetesPlatform } from "./cluster";
import { hpaCustomMetrics } from "./monitoring";
import { ADAPTER_POD_SELECTOR, ADAPTER_PORT } from "../../components/monitoring/adapter";
import { devChainManifests, devChainUrl } from "../../components/service/devchain";

export interface ServiceDeps {
  /** Network contracts of the data stores (`{ ref: "postgres/main", network: <store>.network }`). */
  dataStores?: NetpolStore[];
  /**
   * Values of `dataStore:` and `generated:` secret refs (`config:` refs are read from
   * ctx.humanSecrets here). Return a secret Output, or undefined when `existingSecrets` covers it.
   */
  resolveSecret?: (service: string, from: string) => pulumi.Output<string> | undefined;
  /** Per service: an existing Secret (External Secrets) added with envFrom. */
  existingSecrets?: Record<string, string>;
  /** Per service: its ServiceAccount's annotations (the IRSA role of a service that signs with KMS). */
  serviceAccountAnnotations?: Record<string, Record<string, pulumi.Input<string>>>;
  /** OTLP gRPC endpoint of the collector (composeMonitoring's `otlpEndpoint`): services get OTEL_* env. */
  otlpEndpoint?: string;
  /** ServiceMonitors for the services (composeMonitoring's `serviceMonitors`); default: metrics on and not local. */
  serviceMonitors?: boolean;
  /**
   * Per service rollout knobs (components/service/args.ts `rollout`: controller, blue-green colour,
   * canary weight/image, hold/promote/abort, the analysis' Prometheus). stacks/program.ts fills it
   * from `platform:overrides.services.<name>.rollout` (stacks/spec/release.ts serviceRolloutArgs).
   */
  rollout?: Record<string, NonNullable<ServiceArgs["rollout"]>>;
  /**
   * GitOps tier: the services' objects come from the deploy repository through Argo CD, so they
   * are planned (NetworkPolicies, hosts) but not registered here.
   */
  gitops?: boolean;
}

export interface ServicesOutputs {
  /** The registered Service components (push mode; empty on a GitOps tier). */
  services: Record<string, Service>;
  networkPolicies: ClusterNetworkPolicies;
  /** Public hosts per service. */
  hosts: Record<string, pulumi.Output<string[]>>;
  /** `service: ENV <- from` refs nobody resolved (neither resolveSecret nor an existing Secret). */
  unresolvedSecrets: string[];
}

export function composeServices(ctx: Context, cluster: KubernetesPlatform, deps: ServiceDeps = {}): ServicesOutputs {
  const { spec } = ctx;
  const p = spec.profile;
  const bp = spec.blueprint;
  const k = { providers: { kubernetes: cluster.provider } };
  // CORS `self`: the edge app's origin, or (no edge) the host of the service that serves the app itself.
  const appService = bp.services.find((s) => s.servesWebApp && s.routes.length > 0);
  const selfHost = bp.edge ? fqdn(bp.edge.host, spec.domain) : appService ? fqdn(appService.routes[0]!.host, spec.domain) : undefined;
  const selfOrigin = selfHost ? `https://${selfHost}` : undefined;
  const unresolved: string[] = [];
  const services: Record<string, Service> = {};
  const hosts: Record<string, pulumi.Output<string[]>> = {};
  const netpols: NetpolService[] = [];
  // One kubernetes.io/dockerconfigjson Secret per private registry the namespace's pods pull from
  // (platform:registries, stacks/spec/registries.ts); each such pod names it in imagePullSecrets.
  const pullSecrets = new Set<string>();
  const pullSecretFor = (image: string): string | undefined => {
    const r = registryFor(image, spec.registries);
    const password = r ? ctx.registryPasswords?.[r.name] : undefined;
    if (!r || !password) return undefined;
    const name = pullSecretName(r);
    if (!pullSecrets.has(name)) {
      new k8s.core.v1.Secret(
        `${spec.stack}-${name}`,
        {
          metadata: { name, namespace: cluster.namespaces.apps, labels: { "app.kubernetes.io/managed-by": "pulumi", "platform.io/registry": r.name } },
          type: "kubernetes.io/dockerconfigjson",
          stringData: { ".dockerconfigjson": pulumi.secret(password.apply((p) => dockerConfigJson(r, p))) },
        },
        { provider: cluster.provider, dependsOn: cluster.ready, additionalSecretOutputs: ["data", "stringData"] },
      );
      pullSecrets.add(name);
    }
    return name;
  };
  // The team's local development chain (blueprint `localDevelopment.chain`): the local tier only.
  const chain = p.localDevelopment ? bp.localDevelopment?.chain : undefined;
  const chainAt = chain ? { name: chain.name, namespace: cluster.namespaces.apps, port: chain.port } : undefined;

  for (const blueprintSvc of bp.services as ServiceSpec[]) {
    // A client of the dev chain gets its URLs as env and may call it (the NetworkPolicy flow).
    const chainEnv = chain && chainAt ? chain.clients[blueprintSvc.name] : undefined;
    const svc: ServiceSpec = chainEnv
      ? {
          ...blueprintSvc,
          env: { ...blueprintSvc.env, ...Object.fromEntries(Object.entries(chainEnv).map(([k, scheme]) => [k, devChainUrl(chainAt!, scheme)])) },
          calls: [...blueprintSvc.calls, chain!.name],
        }
      : blueprintSvc;
    const resolved = spec.services[svc.name]!;
    const pullSecret = pullSecretFor(resolved.image);
    const secretEnv: Record<string, pulumi.Output<string>> = {};
    for (const s of svc.secrets) {
      const [scheme, key] = [s.from.slice(0, s.from.indexOf(":")), s.from.slice(s.from.indexOf(":") + 1)];
      const v = scheme === "config" ? ctx.humanSecrets[key] : deps.resolveSecret?.(svc.name, s.from);
      if (v) secretEnv[s.env] = pulumi.secret(v);
      else if (!deps.existingSecrets?.[svc.name]) unresolved.push(`${svc.name}: ${s.env} <- ${s.from}`);
    }
    const existing = deps.existingSecrets?.[svc.name];
    const rollout = deps.rollout?.[svc.name];
    const args: ServiceArgs = {
      spec: svc,
      namespace: cluster.namespaces.apps,
      image: resolved.image,
      replicas: resolved.replicas,
      resources: RESOURCES[p.resources],
      autoscaling: p.autoscaling,
      disruptionBudgets: p.disruptionBudgets,
      domain: spec.domain,
      ingress: {
        controller: cluster.ingress.controller,
        className: cluster.ingress.className,
        ...(cluster.clusterIssuer ? { clusterIssuer: cluster.clusterIssuer } : {}),
      },
      ...(selfOrigin ? { selfOrigin } : {}),
      platformEnv: deps.otlpEndpoint
        ? {
            OTEL_EXPORTER_OTLP_ENDPOINT: /^https?:\/\//.test(deps.otlpEndpoint) ? deps.otlpEndpoint : `http://${deps.otlpEndpoint}`,
            OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
            OTEL_SERVICE_NAME: svc.name,
          }
        : {},
      // A servesWebApp service's CSP allows the inline scripts of the build its image serves
      // (platform:webBuilds.services.<name>, checked by the spec), by hash.
      webHeaders: {
        coep: bp.edge?.coep ?? "require-corp",
        ...(bp.edge?.csp ? { csp: bp.edge.csp } : {}),
        ...(svc.servesWebApp && spec.webBuilds.services[svc.name] ? { scriptHashes: buildInlineScriptHashes(spec.webBuilds.services[svc.name]!) } : {}),
      },
      serviceMonitor: { enabled: deps.serviceMonitors ?? (bp.monitoring.metrics && p.monitoringInstall === "helm"), labels: {} },
      secretEnv,
      ...(existing ? { existingSecretName: existing } : {}),
      ...(deps.serviceAccountAnnotations?.[svc.name] ? { serviceAccountAnnotations: deps.serviceAccountAnnotations[svc.name] } : {}),
      ...(rollout ? { rollout } : {}),
      ...(pullSecret ? { imagePullSecrets: [pullSecret] } : {}),
    };
    if (deps.gitops) {
      // Same planner as push mode (the deploy chart is generated from it: scripts/gitops.ts).
      const a = parseServiceArgs(`svc-${svc.name}`, args);
      const plan = planService({ ...a, secretEnvKeys: Object.keys(a.secretEnv) });
      netpols.push({
        name: svc.name,
        exposure: svc.exposure,
        ports: { ...svc.ports },
        routedPorts: plan.routedPorts,
        connectsTo: [...svc.connectsTo],
        calls: [...svc.calls],
        egress: [...svc.egress],
        podSelector: plan.podSelector,
      });
      hosts[svc.name] = pulumi.output(plan.hosts);
      continue;
    }
    const service = new Service(`svc-${svc.name}`, args, { ...k, dependsOn: cluster.ready });
    services[svc.name] = service;
    netpols.push(service.netpol);
    hosts[svc.name] = service.hosts;
  }
  if (chain && chainAt) {
    const m = devChainManifests({ ...chainAt, image: chain.image, args: chain.args, chainId: chain.chainId, description: chain.description });
    if (!deps.gitops) {
      const dep = registerManifest(`${spec.stack}-devchain-${chain.name}`, m.deployment as any, { provider: cluster.provider, dependsOn: cluster.ready });
      registerManifest(`${spec.stack}-devchain-${chain.name}-svc`, m.service as any, { provider: cluster.provider, dependsOn: [...cluster.ready, dep] });
    }
    netpols.push(m.netpol);
  }
  // One Certificate (one Secret) per public host, shared by every Ingress that serves it
  // (components/service/ingress.ts): never one certificate request per Ingress for the same names.
  if (cluster.clusterIssuer) {
    const publicHosts = bp.services.filter((s) => s.exposure === "public").flatMap((s) => s.routes.map((r) => fqdn(r.host, spec.domain)));
    for (const m of hostCertificates(publicHosts, cluster.namespaces.apps, cluster.clusterIssuer)) {
      registerManifest(`${spec.stack}-cert-${m.metadata.name}`, m as any, { provider: cluster.provider, dependsOn: cluster.ready });
    }
  }
  if (unresolved.length) void pulumi.log.warn(`services: secret env refs not wired yet (pass resolveSecret or existingSecrets): ${unresolved.join("; ")}`);

  const networkPolicies = new ClusterNetworkPolicies(
    `${spec.stack}-netpol`,
    {
      namespaces: cluster.namespaces,
      ingressController: {
        podSelector: cluster.ingress.podSelector,
        ports: cluster.ingress.webPorts,
        metricsPort: cluster.ingress.metricsPort,
      },
      prometheusSelector: { "app.kubernetes.io/name": "prometheus" },
      services: netpols,
      stores: deps.dataStores ?? [],
      externalNetworks: Object.fromEntries(Object.entries(bp.externalNetworks).map(([n, e]) => [n, { cidrs: e.cidrs, ports: e.ports, protocol: e.protocol }])),
      apiServerCidrs: cluster.apiServerCidrs,
      managedStoreCidrs: ctx.network ? [ctx.network.vpcCidr] : [],
      ...(cluster.certManagerNamespace ? { certManagerNamespace: cluster.certManagerNamespace } : {}),
      acmeHttp01: cluster.clusterIssuer === "letsencrypt" || cluster.clusterIssuer === "letsencrypt-staging",
      monitoring: {
        otlpPorts: bp.monitoring.traces !== "none" ? [4317, 4318] : [],
        // prometheus-adapter serves the custom metrics API to the API server when an HPA needs it.
        apiServices: bp.services.some((s) => hpaCustomMetrics(s, spec.services[s.name]?.replicas, p.autoscaling).length > 0)
          ? [{ podSelector: { ...ADAPTER_POD_SELECTOR }, port: ADAPTER_PORT }]
          : [],
        otlpSelector: { "app.kubernetes.io/name": "opentelemetry-collector" },
        ...(bp.monitoring.grafanaPublic && p.monitoringInstall === "helm"
          ? { grafana: { podSelector: { "app.kubernetes.io/name": "grafana" }, port: 3000 } }
          : {}),
        // Alertmanager e-mail (587) and Grafana SSO (443), which run with the chart; never private ranges.
        internetPorts: p.monitoringInstall === "helm" ? [443, 587] : [],
        nodePorts: [10250, 9100],
        ...(ctx.network ? { nodeCidrs: [ctx.network.vpcCidr] } : {}),
        extraScrapeNamespaces: ["cert-manager", "kube-system"],
      },
    },
    { ...k, dependsOn: cluster.ready },
  );
  return { services, networkPolicies, hosts, unresolvedSecrets: unresolved };
}
