/**
 * Mutation testing for the policy pack: take a compliant inventory, apply each insecure
 * mutation that is relevant to it (one mutant per target resource), run the pack on every
 * mutant, and count a mutant as killed when the report gains a violation the unmutated
 * inventory did not have. The kill rate must be 100%.
 *
 *   const report = await mutationReport(inventory, packConfigForTier("prod"));
 *   console.log(formatMutationReport(report));   // kill rate and any survivors
 */
import type { PolicyPackConfig } from "@pulumi/policy";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { DEFAULT_ROLE_LEVELS } from "../baseline";
import { isSiteIngress, servesNoDocuments } from "../headers";
import { deniesInsecureTransport } from "../tls";
import { k8sManifests } from "./k8smodel";
import { envConfigs } from "./proxyconf";
import { Reachability, selectorMatches } from "./reachability";
import { runPolicies, type PolicyReport, type RunOptions } from "./runner";
import { asArray, K8S, podSpecOf, resolveTier, type Tier, WORKLOAD_TYPES } from "./util";

export interface MutationContext {
  tier: Tier;
  packConfig: PolicyPackConfig;
}

export interface Mutation {
  id: string;
  description: string;
  /** Only meaningful in these tiers (default: all). */
  tiers?: Tier[];
  /** Resources this mutation can be applied to (ctx: the tier and pack config the report runs with). */
  targets(inv: Inventory, ctx: MutationContext): InventoryResource[];
  /** Mutates `target` (a resource of the cloned inventory) and/or the inventory in place. */
  apply(inv: Inventory, target: InventoryResource): void;
}

const of = (inv: Inventory, ...types: string[]): InventoryResource[] => inv.resources.filter((r) => types.includes(r.type));
const I = (r: InventoryResource): any => r.inputs;

/**
 * Whether a CloudFront response headers policy is used by a behaviour that can serve documents:
 * a distribution's default behaviour, or its ordered behaviours when one of them is not exempt
 * (`servesNoDocuments`, the rule of the headers-cloudfront-coop-coep policy). A policy no
 * distribution references counts as reaching documents.
 */
function reachesDocuments(inv: Inventory, rhp: InventoryResource): boolean {
  const users = of(inv, "aws:cloudfront/distribution:Distribution").filter((d) => Object.values(d.propertyDependencies).some((urns) => urns.includes(rhp.urn)));
  if (users.length === 0) return true;
  return users.some(
    (d) =>
      (d.propertyDependencies.defaultCacheBehavior ?? []).includes(rhp.urn) ||
      ((d.propertyDependencies.orderedCacheBehaviors ?? []).includes(rhp.urn) &&
        asArray<any>(I(d).orderedCacheBehaviors).some((b) => !servesNoDocuments(String(b?.pathPattern ?? "")))),
  );
}

/** Removes a resource as if the program had never created it. */
export function removeResource(inv: Inventory, urn: string): void {
  inv.resources = inv.resources.filter((r) => r.urn !== urn);
  for (const r of inv.resources) {
    r.dependencies = r.dependencies.filter((d) => d !== urn);
    for (const k of Object.keys(r.propertyDependencies)) r.propertyDependencies[k] = r.propertyDependencies[k]!.filter((d) => d !== urn);
  }
}

const typed = (inv: Inventory) => inv.resources.map((r) => ({ type: r.type, props: r.inputs, name: r.name }));
/** Namespaces that run pods (workloads and Helm releases). */
const podNamespacesOf = (inv: Inventory): Set<string> => new Set(new Reachability(k8sManifests(typed(inv))).model.pods.map((p) => p.namespace));
/** NetworkPolicies that select at least one pod of the inventory. */
function selectsPods(inv: Inventory, np: InventoryResource): boolean {
  const ns = I(np).metadata?.namespace ?? "default";
  return new Reachability(k8sManifests(typed(inv))).model.pods.some((p) => p.namespace === ns && selectorMatches(I(np).spec?.podSelector ?? {}, p.labels));
}
const isDefaultDeny = (r: InventoryResource): boolean => {
  const s = I(r).spec ?? {};
  const sel = s.podSelector ?? {};
  return (
    Object.keys(sel.matchLabels ?? {}).length === 0 &&
    asArray(sel.matchExpressions).length === 0 &&
    asArray(s.ingress).length === 0 &&
    asArray(s.egress).length === 0
  );
};
const containers = (r: InventoryResource): any[] => asArray<any>(podSpecOf(r.type, I(r))?.containers);
const isLongRunning = (r: InventoryResource): boolean => r.type !== K8S.job && r.type !== K8S.cronJob;
const caddyUploads = (r: InventoryResource): any[] => asArray<any>(I(r).uploads).filter((u) => /caddyfile$/i.test(String(u?.file)));
/** Renames the isolation headers wherever they are set (keeps JSON and code syntactically valid). */
const stripIsolation = (text: string): string =>
  text.replace(/cross-origin-opener-policy/gi, "x-coop-removed").replace(/cross-origin-embedder-policy/gi, "x-coep-removed");
const caddyEnvIndex = (r: InventoryResource): number =>
  asArray<any>(I(r).envs).findIndex((e) => typeof e === "string" && envConfigs([e]).some((c) => c.kind === "caddy-json"));
const proxyContainers = (inv: Inventory): InventoryResource[] =>
  of(inv, "docker:index/container:Container").filter((r) => caddyUploads(r).length > 0 || caddyEnvIndex(r) >= 0);
function editCaddyJson(r: InventoryResource, edit: (cfg: any) => void): void {
  const i = caddyEnvIndex(r);
  const e: string = I(r).envs[i];
  const eq = e.indexOf("=");
  const cfg = JSON.parse(e.slice(eq + 1));
  edit(cfg);
  I(r).envs[i] = `${e.slice(0, eq)}=${JSON.stringify(cfg)}`;
}
/** Workloads/namespaces whose namespace must not run privileged pods (per the pod-security policy's roleLevels). */
function pssLevelOf(inv: Inventory, ns: string, ctx: MutationContext): string {
  const cfg = ctx.packConfig["baseline-pod-security-restricted"];
  const roleLevels: Record<string, string> = (typeof cfg === "object" && (cfg as any).roleLevels) || DEFAULT_ROLE_LEVELS;
  const nsRes = of(inv, K8S.namespace).find((n) => (I(n).metadata?.name ?? n.name) === ns);
  return roleLevels[I(nsRes ?? ({ inputs: {} } as any)).metadata?.labels?.["platform.io/role"] ?? ""] ?? "restricted";
}
const siteIngress = (r: InventoryResource): boolean => isSiteIngress(I(r));

export const MUTATIONS: Mutation[] = [
  // --- TLS
  {
    id: "ingress-drop-tls",
    description: "drop spec.tls from an Ingress",
    targets: (inv) => of(inv, K8S.ingress).filter((r) => asArray(I(r).spec?.tls).length > 0),
    apply: (_i, r) => void delete I(r).spec.tls,
  },
  {
    id: "ingress-http-no-redirect",
    description: 'set nginx ssl-redirect "false" on an Ingress',
    targets: (inv) => of(inv, K8S.ingress),
    apply: (_i, r) => {
      const m = (I(r).metadata ??= {});
      m.annotations = { ...(m.annotations ?? {}), "nginx.ingress.kubernetes.io/ssl-redirect": "false" };
      delete m.annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"];
    },
  },
  {
    id: "cloudfront-allow-http",
    description: "viewer protocol allow-all on the default behaviour",
    targets: (inv) => of(inv, "aws:cloudfront/distribution:Distribution"),
    apply: (_i, r) => void (I(r).defaultCacheBehavior.viewerProtocolPolicy = "allow-all"),
  },
  {
    id: "cloudfront-tls1",
    description: "viewer certificate minimum protocol TLSv1",
    targets: (inv) => of(inv, "aws:cloudfront/distribution:Distribution"),
    apply: (_i, r) => void (I(r).viewerCertificate = { ...(I(r).viewerCertificate ?? {}), minimumProtocolVersion: "TLSv1" }),
  },
  {
    id: "cloudfront-origin-http",
    description: "custom origin over plain HTTP",
    targets: (inv) => of(inv, "aws:cloudfront/distribution:Distribution").filter((r) => asArray<any>(I(r).origins).some((o) => o?.customOriginConfig)),
    apply: (_i, r) => void (asArray<any>(I(r).origins).find((o) => o?.customOriginConfig).customOriginConfig.originProtocolPolicy = "http-only"),
  },
  ...(
    [
      ["ssl", "flexible"],
      ["always_use_https", "off"],
      ["min_tls_version", "1.0"],
    ] as const
  ).map(([setting, value]) => ({
    id: `cloudflare-${setting}-${value}`,
    description: `Cloudflare zone setting ${setting} = ${value}`,
    targets: (inv: Inventory) => of(inv, "cloudflare:index/zoneSetting:ZoneSetting").filter((r) => I(r).settingId === setting),
    apply: (_i: Inventory, r: InventoryResource) => void (I(r).value = value),
  })),
  {
    id: "lb-http-forward",
    description: "HTTP listener forwards instead of redirecting",
    targets: (inv) => of(inv, "aws:lb/listener:Listener", "aws:alb/listener:Listener").filter((r) => String(I(r).protocol).toUpperCase() === "HTTP"),
    apply: (_i, r) => void (I(r).defaultActions = [{ type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x" }]),
  },
  {
    id: "lb-weak-tls-policy",
    description: "HTTPS listener with ELBSecurityPolicy-2016-08",
    targets: (inv) => of(inv, "aws:lb/listener:Listener", "aws:alb/listener:Listener").filter((r) => /HTTPS|TLS/.test(String(I(r).protocol))),
    apply: (_i, r) => void (I(r).sslPolicy = "ELBSecurityPolicy-2016-08"),
  },
  {
    id: "rds-force-ssl-off",
    description: "parameter group rds.force_ssl=0 / require_secure_transport=OFF",
    targets: (inv) =>
      of(inv, "aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup").filter((r) =>
        asArray<any>(I(r).parameters).some((p) => /^(rds\.force_ssl|require_secure_transport)$/.test(p?.name)),
      ),
    apply: (_i, r) => {
      for (const p of asArray<any>(I(r).parameters))
        if (/^(rds\.force_ssl|require_secure_transport)$/.test(p?.name)) p.value = p.name === "rds.force_ssl" ? "0" : "OFF";
    },
  },
  {
    id: "elasticache-no-transit",
    description: "ElastiCache without transit encryption",
    targets: (inv) => of(inv, "aws:elasticache/replicationGroup:ReplicationGroup"),
    apply: (_i, r) => void (I(r).transitEncryptionEnabled = false),
  },
  {
    id: "s3-drop-tls-deny",
    description: "remove the aws:SecureTransport deny from a bucket policy",
    targets: (inv) => of(inv, "aws:s3/bucketPolicy:BucketPolicy").filter((r) => deniesInsecureTransport(I(r).policy)),
    apply: (_i, r) => {
      const doc = typeof I(r).policy === "string" ? JSON.parse(I(r).policy) : I(r).policy;
      doc.Statement = asArray<any>(doc.Statement).filter((s) => !deniesInsecureTransport({ Statement: [s] }));
      I(r).policy = JSON.stringify(doc);
    },
  },
  {
    id: "proxy-serve-plain-http",
    description: "the reverse proxy serves the API over plain HTTP (Caddyfile site or JSON route on the HTTP port)",
    targets: proxyContainers,
    apply: (_i, r) => {
      if (caddyUploads(r).length) caddyUploads(r)[0].content += "\nhttp://plain.example.com {\n  reverse_proxy api:8080\n}\n";
      else
        editCaddyJson(r, (cfg) => {
          const http = cfg.apps.http;
          const plain = Object.values<any>(http.servers).find((s) => (s.listen ?? []).some((l: string) => l.endsWith(`:${http.http_port ?? 80}`)));
          const route = { handle: [{ handler: "reverse_proxy", upstreams: [{ dial: "api:3000" }] }] };
          if (plain) plain.routes = [route, ...(plain.routes ?? [])];
          else http.servers.plain = { listen: [`:${http.http_port ?? 80}`], routes: [route] };
        });
    },
  },
  // --- Headers
  {
    id: "rhp-drop-coop-coep",
    description: "remove COOP/COEP from a CloudFront response headers policy",
    // Only a policy that reaches documents: one attached solely to behaviours the headers policy
    // exempts (`/_next/static/*` of a dynamic origin, APIs, images) may lack COOP/COEP by design.
    targets: (inv) =>
      of(inv, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").filter(
        (r) => asArray(I(r).customHeadersConfig?.items).length > 0 && reachesDocuments(inv, r),
      ),
    apply: (_i, r) =>
      void (I(r).customHeadersConfig.items = asArray<any>(I(r).customHeadersConfig.items).filter(
        (x) => !/^cross-origin-(opener|embedder)-policy$/i.test(x?.header),
      )),
  },
  {
    id: "cloudfront-detach-headers",
    description: "detach the response headers policy and viewer-response functions from the default behaviour",
    targets: (inv) => of(inv, "aws:cloudfront/distribution:Distribution"),
    apply: (_i, r) => {
      delete I(r).defaultCacheBehavior.responseHeadersPolicyId;
      I(r).defaultCacheBehavior.functionAssociations = asArray<any>(I(r).defaultCacheBehavior.functionAssociations).filter(
        (f) => f?.eventType !== "viewer-response",
      );
    },
  },
  {
    id: "cloudflare-drop-headers",
    description: "strip COOP/COEP from a Worker and from every response-header ruleset",
    targets: (inv) => of(inv, "cloudflare:index/workersScript:WorkersScript", "cloudflare:index/workerScript:WorkerScript"),
    apply: (inv, r) => {
      if (typeof I(r).content === "string") I(r).content = stripIsolation(I(r).content);
      if (typeof I(r).assets?.config?.headers === "string") I(r).assets.config.headers = stripIsolation(I(r).assets.config.headers);
      for (const rs of of(inv, "cloudflare:index/ruleset:Ruleset"))
        for (const rule of asArray<any>(I(rs).rules)) if (rule?.actionParameters?.headers) rule.actionParameters.headers = {};
    },
  },
  {
    id: "ingress-drop-headers",
    description: "remove the header annotations from a site Ingress",
    targets: (inv) => of(inv, K8S.ingress).filter(siteIngress),
    apply: (inv, r) => {
      const a = I(r).metadata?.annotations ?? {};
      for (const k of [
        "nginx.ingress.kubernetes.io/configuration-snippet",
        "nginx.ingress.kubernetes.io/server-snippet",
        "nginx.ingress.kubernetes.io/custom-headers",
        "traefik.ingress.kubernetes.io/router.middlewares",
      ])
        delete a[k];
      for (const h of of(inv, K8S.helmRelease)) if (I(h).values?.controller?.addHeaders) I(h).values.controller.addHeaders = {};
    },
  },
  {
    id: "caddy-drop-headers",
    description: "remove COOP/COEP from a Caddy static site",
    targets: (inv) => proxyContainers(inv).filter((r) => /file_server/.test(JSON.stringify(I(r).uploads ?? []) + JSON.stringify(I(r).envs ?? []))),
    apply: (_i, r) => {
      for (const u of caddyUploads(r)) u.content = stripIsolation(String(u.content));
      if (caddyEnvIndex(r) >= 0) I(r).envs = asArray<string>(I(r).envs).map(stripIsolation);
    },
  },
  {
    id: "wasm-wrong-type",
    description: ".wasm object served as application/octet-stream",
    targets: (inv) => of(inv, "aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject").filter((r) => /\.wasm$/.test(String(I(r).key))),
    apply: (_i, r) => void (I(r).contentType = "application/octet-stream"),
  },
  // --- Segmentation
  {
    id: "db-public",
    description: "make a database publicly accessible",
    targets: (inv) => of(inv, "aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"),
    apply: (_i, r) => void (I(r).publiclyAccessible = true),
  },
  ...(
    [
      [22, "SSH"],
      [5432, "PostgreSQL"],
    ] as const
  ).map(([port, what]) => ({
    id: `sg-open-${port}`,
    description: `open ${what} (${port}) to 0.0.0.0/0`,
    targets: (inv: Inventory) => of(inv, "aws:ec2/securityGroup:SecurityGroup", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
    apply: (_i: Inventory, r: InventoryResource) => {
      if (r.type === "aws:ec2/securityGroup:SecurityGroup")
        I(r).ingress = [...asArray(I(r).ingress), { protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: ["0.0.0.0/0"] }];
      else Object.assign(I(r), { ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: "0.0.0.0/0" });
    },
  })),
  {
    id: "subnet-public",
    description: "a data subnet auto-assigns public IPs",
    targets: (inv) => {
      const urns = new Set(
        of(inv, "aws:rds/subnetGroup:SubnetGroup", "aws:elasticache/subnetGroup:SubnetGroup").flatMap((g) => g.propertyDependencies.subnetIds ?? []),
      );
      return of(inv, "aws:ec2/subnet:Subnet").filter((s) => urns.has(s.urn));
    },
    apply: (_i, r) => void (I(r).mapPublicIpOnLaunch = true),
  },
  {
    id: "s3-public-access-block-off",
    description: "turn restrictPublicBuckets off",
    targets: (inv) => of(inv, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
    apply: (_i, r) => void (I(r).restrictPublicBuckets = false),
  },
  {
    id: "docker-db-public",
    description: "publish a data-store container's port on 0.0.0.0",
    targets: (inv) => of(inv, "docker:index/container:Container").filter((r) => asArray<any>(I(r).ports).some((p) => /^127\./.test(String(p?.ip)))),
    apply: (_i, r) => {
      for (const p of asArray<any>(I(r).ports)) delete p.ip;
    },
  },
  {
    id: "docker-host-network",
    description: "a container on the host network",
    targets: (inv) => of(inv, "docker:index/container:Container"),
    apply: (_i, r) => void (I(r).networkMode = "host"),
  },
  {
    id: "delete-default-deny",
    description: "delete a default-deny NetworkPolicy of a namespace that runs pods",
    targets: (inv) => of(inv, K8S.networkPolicy).filter((r) => isDefaultDeny(r) && podNamespacesOf(inv).has(I(r).metadata?.namespace ?? "default")),
    apply: (inv, r) => removeResource(inv, r.urn),
  },
  {
    id: "netpol-open-data",
    description: "a data-namespace NetworkPolicy admits every source",
    targets: (inv) =>
      of(inv, K8S.networkPolicy).filter(
        (r) => asArray(I(r).spec?.ingress).length > 0 && /data|db/.test(String(I(r).metadata?.namespace)) && selectsPods(inv, r),
      ),
    apply: (_i, r) => {
      for (const rule of asArray<any>(I(r).spec.ingress)) delete rule.from;
    },
  },
  {
    id: "netpol-ingress-egress-anywhere",
    description: "the internet-facing namespace may send anywhere (egress allow-all) and the data tier admits every namespace",
    targets: (inv) =>
      of(inv, K8S.networkPolicy).filter(
        (r) =>
          asArray(I(r).spec?.egress).length > 0 &&
          /ingress|traefik|edge/.test(String(I(r).metadata?.namespace)) &&
          selectsPods(inv, r) &&
          of(inv, K8S.networkPolicy).some(
            (d) => /data|db/.test(String(I(d).metadata?.namespace)) && asArray(I(d).spec?.ingress).length > 0 && selectsPods(inv, d),
          ),
      ),
    apply: (inv, r) => {
      I(r).spec.egress = [{}];
      for (const np of of(inv, K8S.networkPolicy))
        if (/data|db/.test(String(I(np).metadata?.namespace))) for (const rule of asArray<any>(I(np).spec?.ingress)) rule.from = [{ namespaceSelector: {} }];
    },
  },
  {
    id: "service-loadbalancer",
    description: "expose an application Service as LoadBalancer",
    targets: (inv) => of(inv, K8S.service).filter((r) => (I(r).spec?.type ?? "ClusterIP") === "ClusterIP"),
    apply: (_i, r) => void (I(r).spec = { ...(I(r).spec ?? {}), type: "LoadBalancer" }),
  },
  {
    id: "host-network",
    description: "hostNetwork: true on a workload",
    targets: (inv) => of(inv, ...WORKLOAD_TYPES),
    apply: (_i, r) => void (podSpecOf(r.type, I(r)).hostNetwork = true),
  },
  {
    id: "host-port",
    description: "hostPort on a container",
    targets: (inv) => of(inv, ...WORKLOAD_TYPES).filter((r) => containers(r).length > 0),
    apply: (_i, r) => {
      const c = containers(r)[0];
      c.ports = [...asArray(c.ports), { containerPort: 8081, hostPort: 8081 }];
    },
  },
  {
    id: "metrics-on-ingress",
    description: "route a public Ingress path to a metrics port",
    targets: (inv) => of(inv, K8S.ingress).filter((r) => asArray<any>(I(r).spec?.rules).some((x) => asArray(x?.http?.paths).length > 0)),
    apply: (_i, r) => {
      const path = asArray<any>(I(r).spec.rules).find((x) => asArray(x?.http?.paths).length > 0).http.paths[0];
      path.backend = { service: { name: path.backend?.service?.name ?? "app", port: { name: "metrics" } } };
    },
  },
  // --- Baseline
  {
    id: "image-latest",
    description: "a container image moved to :latest",
    tiers: ["staging", "prod"],
    targets: (inv) => [...of(inv, ...WORKLOAD_TYPES).filter((r) => containers(r).length > 0), ...of(inv, "docker:index/remoteImage:RemoteImage")],
    apply: (_i, r) => {
      if (r.type === "docker:index/remoteImage:RemoteImage") I(r).name = String(I(r).name).replace(/[:@].*$/, "") + ":latest";
      else containers(r)[0].image = String(containers(r)[0].image).split(/[:@]/)[0] + ":latest";
    },
  },
  {
    id: "privileged-container",
    description: "a privileged container that may run as root (in a namespace that may not run privileged pods)",
    targets: (inv, ctx) =>
      of(inv, ...WORKLOAD_TYPES).filter((r) => containers(r).length > 0 && pssLevelOf(inv, I(r).metadata?.namespace ?? "default", ctx) !== "privileged"),
    apply: (_i, r) => {
      const c = containers(r)[0];
      c.securityContext = { privileged: true };
    },
  },
  {
    id: "no-probes",
    description: "remove readiness and liveness probes",
    targets: (inv) => of(inv, ...WORKLOAD_TYPES).filter((r) => isLongRunning(r) && containers(r).length > 0),
    apply: (_i, r) => {
      for (const c of containers(r)) (delete c.readinessProbe, delete c.livenessProbe);
    },
  },
  {
    id: "no-resources",
    description: "remove resource requests and limits",
    targets: (inv) => of(inv, ...WORKLOAD_TYPES).filter((r) => containers(r).length > 0),
    apply: (_i, r) => void containers(r).forEach((c) => delete c.resources),
  },
  {
    id: "namespace-pss-privileged",
    description: "namespace enforces the privileged profile",
    targets: (inv, ctx) =>
      of(inv, K8S.namespace).filter(
        (r) => I(r).metadata?.labels?.["pod-security.kubernetes.io/enforce"] && pssLevelOf(inv, I(r).metadata?.name ?? r.name, ctx) !== "privileged",
      ),
    apply: (_i, r) => void (I(r).metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged"),
  },
  {
    id: "db-unencrypted",
    description: "database storage unencrypted",
    targets: (inv) => of(inv, "aws:rds/instance:Instance", "aws:rds/cluster:Cluster").filter((r) => !I(r).replicateSourceDb),
    apply: (_i, r) => void (I(r).storageEncrypted = false),
  },
  {
    id: "cache-unencrypted",
    description: "ElastiCache without at-rest encryption",
    targets: (inv) => of(inv, "aws:elasticache/replicationGroup:ReplicationGroup"),
    apply: (_i, r) => void (I(r).atRestEncryptionEnabled = false),
  },
  {
    id: "db-no-backups",
    description: "database without backups or deletion protection",
    tiers: ["prod"],
    targets: (inv) => of(inv, "aws:rds/instance:Instance", "aws:rds/cluster:Cluster").filter((r) => !I(r).replicateSourceDb),
    apply: (_i, r) => Object.assign(I(r), { backupRetentionPeriod: 0, deletionProtection: false }),
  },
  {
    id: "unprotect-stateful",
    description: "drop `protect` from a stateful resource",
    tiers: ["prod"],
    targets: (inv) =>
      inv.resources.filter(
        (r) =>
          r.options.protect &&
          /rds\/(instance|cluster):|elasticache\/replicationGroup|s3\/bucket(V2)?:|efs\/fileSystem|ebs\/volume|dynamodb\/table|StatefulSet|PersistentVolumeClaim/.test(
            r.type,
          ),
      ),
    apply: (_i, r) => void (r.options.protect = false),
  },
  {
    id: "imdsv1",
    description: "instance metadata without IMDSv2",
    targets: (inv) => of(inv, "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"),
    apply: (_i, r) => void (I(r).metadataOptions = { ...(I(r).metadataOptions ?? {}), httpTokens: "optional" }),
  },
  {
    id: "eks-public-endpoint",
    description: "EKS API endpoint public to the internet",
    targets: (inv) => of(inv, "aws:eks/cluster:Cluster"),
    apply: (_i, r) => void (I(r).vpcConfig = { ...(I(r).vpcConfig ?? {}), endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }),
  },
  {
    id: "eks-no-secrets-encryption",
    description: "EKS without secrets envelope encryption",
    targets: (inv) => of(inv, "aws:eks/cluster:Cluster"),
    apply: (_i, r) => void delete I(r).encryptionConfig,
  },
];

export interface MutantResult {
  mutation: string;
  description: string;
  target: string;
  killed: boolean;
  /** Policies that reported something new, with the level they reported at. */
  killedBy: { policyName: string; enforcementLevel: string; message: string }[];
}

export interface MutationReport {
  stack: string;
  tier: Tier;
  baseline: PolicyReport;
  /** Mutations with no target in this inventory (not relevant to it). */
  notApplicable: string[];
  results: MutantResult[];
  total: number;
  killed: number;
  /** killed / total (1 when there is no mutant). */
  killRate: number;
  survivors: MutantResult[];
}

const key = (v: { policyName: string; urn?: string; message: string }): string => `${v.policyName}|${v.urn ?? ""}|${v.message}`;

function tierOf(inv: Inventory, cfg: PolicyPackConfig | undefined, tier: Tier | undefined): Tier {
  if (tier) return tier;
  for (const c of Object.values(cfg ?? {})) if (c && typeof c === "object" && typeof (c as any).tier === "string") return (c as any).tier as Tier;
  return resolveTier({}, undefined, `urn:pulumi:${inv.stack}::x`);
}

export interface MutationOptions extends Omit<RunOptions, "packConfig"> {
  mutations?: Mutation[];
  /** Cap mutants per mutation (default: every target). */
  maxTargetsPerMutation?: number;
}

/**
 * Runs every relevant mutation on `inventory` (which should be compliant) and reports the kill rate.
 * `packConfig` is the same object as `--policy-pack-config` (e.g. packConfigForTier("prod")).
 */
export async function mutationReport(inventory: Inventory, packConfig?: PolicyPackConfig, opts: MutationOptions = {}): Promise<MutationReport> {
  const tier = tierOf(inventory, packConfig, opts.tier);
  const runOpts: RunOptions = { ...opts, packConfig, ...(opts.tier ? { tier: opts.tier } : {}) };
  const baseline = await runPolicies(inventory, runOpts);
  const before = new Set(baseline.violations.filter((v) => !v.unknown).map(key));
  const results: MutantResult[] = [];
  const notApplicable: string[] = [];
  for (const m of opts.mutations ?? MUTATIONS) {
    if (m.tiers && !m.tiers.includes(tier)) {
      notApplicable.push(`${m.id} (tier ${tier})`);
      continue;
    }
    const targets = m.targets(inventory, { tier, packConfig: packConfig ?? {} }).slice(0, opts.maxTargetsPerMutation ?? Infinity);
    if (targets.length === 0) notApplicable.push(m.id);
    for (const t of targets) {
      const clone: Inventory = structuredClone(inventory);
      const target = clone.resources.find((r) => r.urn === t.urn)!;
      m.apply(clone, target);
      const r = await runPolicies(clone, runOpts);
      const fresh = r.violations.filter((v) => !v.unknown && !before.has(key(v)));
      results.push({
        mutation: m.id,
        description: m.description,
        target: t.urn,
        killed: fresh.length > 0,
        killedBy: fresh.map((v) => ({ policyName: v.policyName, enforcementLevel: v.enforcementLevel, message: v.message })),
      });
    }
  }
  const killed = results.filter((r) => r.killed).length;
  return {
    stack: inventory.stack,
    tier,
    baseline,
    notApplicable,
    results,
    total: results.length,
    killed,
    killRate: results.length ? killed / results.length : 1,
    survivors: results.filter((r) => !r.killed),
  };
}

export function formatMutationReport(r: MutationReport): string {
  const lines = [`Mutation test on ${r.stack} (tier ${r.tier}): ${r.killed}/${r.total} mutants killed, kill rate ${(r.killRate * 100).toFixed(1)}%`];
  const byMutation = new Map<string, MutantResult[]>();
  for (const x of r.results) (byMutation.get(x.mutation) ?? byMutation.set(x.mutation, []).get(x.mutation)!).push(x);
  for (const [id, xs] of byMutation) {
    const policies = [...new Set(xs.flatMap((x) => x.killedBy.map((k) => k.policyName)))];
    lines.push(`  ${xs.every((x) => x.killed) ? "killed  " : "SURVIVED"} ${id} (${xs.length})  ${policies.join(", ")}`);
  }
  for (const s of r.survivors) lines.push(`  survivor: ${s.mutation} on ${s.target}`);
  if (r.notApplicable.length) lines.push(`  not applicable here: ${r.notApplicable.join(", ")}`);
  return lines.join("\n") + "\n";
}
