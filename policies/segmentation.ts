/**
 * Network segmentation: private data stores, tight security groups, default-deny namespaces,
 * controlled exposure, no host networking, private metrics, and a reachability check between
 * the internet-facing tier and the data tier. Mandatory in every tier.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { k8sManifests } from "./lib/k8smodel";
import { Reachability, isInternet, type Manifest } from "./lib/reachability";
import {
  asArray,
  containersOf,
  DATA_IMAGE_RE,
  depsOf,
  forTypes,
  isMetricsPortName,
  isSet,
  peek,
  raw,
  isWorld,
  K8S,
  METRICS_PORTS,
  nsOf,
  ofTypes,
  podSpecOf,
  resourcePolicy,
  ROLE_LABEL,
  schema,
  sgPortRange,
  stackPolicy,
  truthy,
  WORKLOAD_TYPES,
} from "./lib/util";

/** "Allow" statements of a bucket policy that grant to everyone without a restricting condition. */
export function publicStatements(policy: unknown): string[] {
  let doc: any = policy;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return [];
    }
  }
  const out: string[] = [];
  for (const st of asArray<any>(doc?.Statement)) {
    if (st?.Effect !== "Allow") continue;
    const p = st.Principal;
    const everyone = p === "*" || asArray(p?.AWS).includes("*");
    if (!everyone) continue;
    if (st.Condition && Object.keys(st.Condition).length > 0) continue; // source VPC/account/ARN conditions narrow it
    out.push(asArray<string>(st.Action).join(", ") || "every action");
  }
  return out;
}

const isLoopback = (ip: unknown): boolean => typeof ip === "string" && /^(127\.|::1$|localhost$)/.test(ip);

export const datastoreNotPublic: ResourceValidationPolicy = resourcePolicy({
  name: "seg-datastore-not-public",
  description:
    "No data store is publicly accessible: RDS/Redshift not publicly accessible, S3 public access fully blocked, no public ACL on buckets or objects, no bucket policy granting everyone, data containers on a Docker host publish ports on loopback only.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: [
    forTypes(["aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance", "aws:redshift/cluster:Cluster"], (props, _a, report) => {
      if (truthy(props.publiclyAccessible)) report("publiclyAccessible is true; data stores must only be reachable from inside the VPC");
    }),
    forTypes(["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"], (props, _a, report) => {
      const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((k) => props[k] !== true);
      if (off.length) report(`public access block leaves ${off.join(", ")} off; set all four to true`);
    }),
    forTypes(["aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl"], (props, _a, report) => {
      if (/public-read|authenticated-read/.test(String(props.acl ?? "")))
        report(`bucket ACL '${props.acl}' makes objects public; serve through CloudFront with origin access control instead`);
    }),
    forTypes(["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"], (props, args, report) => {
      if (/public-read|authenticated-read/.test(String(peek(props, "acl") ?? "")))
        report(
          `bucket '${args.name}' sets acl '${props.acl}', so its objects are public; drop the ACL and serve through CloudFront with origin access control`,
        );
    }),
    forTypes(["aws:s3/bucketObject:BucketObject", "aws:s3/bucketObjectv2:BucketObjectv2"], (props, args, report) => {
      if (/public-read|authenticated-read/.test(String(peek(props, "acl") ?? "")))
        report(
          `object '${props.key ?? args.name}' sets acl '${props.acl}', so it is public; drop the ACL and serve through CloudFront with origin access control`,
        );
    }),
    forTypes(["aws:s3/bucketPolicy:BucketPolicy"], (props, args, report) => {
      // Read through the SDK's proxy: a document unknown in preview makes this check "not run", never a pass.
      const open = publicStatements(props.policy);
      if (open.length)
        report(
          `bucket policy '${args.name}' grants ${open.join("; ")} to everyone (Principal "*") with no condition, so the bucket is public; serve it through CloudFront with origin access control (Principal cloudfront.amazonaws.com with an aws:SourceArn condition) and keep a public access block with all four settings on`,
        );
    }),
    forTypes(["aws:redshiftserverless/workgroup:Workgroup"], (props, _a, report) => {
      if (truthy(props.publiclyAccessible)) report("publiclyAccessible is true; data stores must only be reachable from inside the VPC");
    }),
    forTypes(["docker:index/container:Container"], (props, _a, report) => {
      const image = [peek(props, "image"), peek(props, "name")].filter((x) => typeof x === "string").join(" ");
      if (!DATA_IMAGE_RE.test(image)) return;
      if (truthy(props.publishAllPorts)) report("a data-store container publishes all its ports; publish none, or bind to 127.0.0.1");
      for (const p of asArray<any>(props.ports)) {
        if (p?.external !== undefined && !isLoopback(p?.ip))
          report(
            `data-store container publishes port ${p.internal} on ${p.ip ?? "0.0.0.0"}:${p.external}; bind it to 127.0.0.1 or use a private Docker network only`,
          );
      }
    }),
  ],
});

const SUBNET = "aws:ec2/subnet:Subnet";
const IGW = "aws:ec2/internetGateway:InternetGateway";

/** URNs of subnets that are public: they auto-assign public IPs or route 0.0.0.0/0 to an internet gateway. */
export function publicSubnets(resources: PolicyResource[]): Set<string> {
  const publicTables = new Set<string>();
  for (const rt of ofTypes(resources, "aws:ec2/routeTable:RouteTable")) {
    const viaIgw = depsOf(rt, "routes", IGW).length > 0;
    if (asArray<any>(rt.props.routes).some((r) => isWorld(r?.cidrBlock ?? r?.ipv6CidrBlock) && (viaIgw || /^igw-/.test(String(r?.gatewayId)))))
      publicTables.add(rt.urn);
  }
  for (const r of ofTypes(resources, "aws:ec2/route:Route")) {
    const world = isWorld(r.props.destinationCidrBlock) || isWorld(r.props.destinationIpv6CidrBlock);
    if (world && (depsOf(r, "gatewayId", IGW).length > 0 || /^igw-/.test(String(r.props.gatewayId))))
      for (const t of depsOf(r, "routeTableId")) publicTables.add(t.urn);
  }
  const out = new Set<string>();
  for (const s of ofTypes(resources, SUBNET)) if (truthy(s.props.mapPublicIpOnLaunch)) out.add(s.urn);
  for (const a of ofTypes(resources, "aws:ec2/routeTableAssociation:RouteTableAssociation")) {
    if (depsOf(a, "routeTableId").some((t) => publicTables.has(t.urn))) for (const s of depsOf(a, "subnetId", SUBNET)) out.add(s.urn);
  }
  return out;
}

export const datastorePrivateSubnet: StackValidationPolicy = stackPolicy({
  name: "seg-datastore-private-subnet",
  description:
    "Data stores live in private subnets: their subnet groups contain no public subnet (public IP on launch or a 0.0.0.0/0 route to an internet gateway), and none falls back to the default VPC.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const pub = publicSubnets(args.resources);
    for (const g of ofTypes(
      args.resources,
      "aws:rds/subnetGroup:SubnetGroup",
      "aws:elasticache/subnetGroup:SubnetGroup",
      "aws:redshift/subnetGroup:SubnetGroup",
    )) {
      const bad = depsOf(g, "subnetIds", SUBNET).filter((s) => pub.has(s.urn));
      if (bad.length) report(`subnet group '${g.name}' includes public subnet(s) ${bad.map((s) => s.name).join(", ")}; use private subnets only`, g.urn);
    }
    // An autonamed subnet group's name is an output; mocked runs (not the engine) may lose it, so a
    // subnet group created next to the store (same parent component) also counts as its subnet group.
    // Only inside a component: at the top of a program a subnet group next to the store is not evidence it is used.
    const siblingGroup = (r: PolicyResource, type: string): boolean =>
      !!r.parent && r.parent.type !== "pulumi:pulumi:Stack" && ofTypes(args.resources, type).some((g) => g.parent?.urn === r.parent!.urn);
    for (const r of ofTypes(args.resources, "aws:rds/instance:Instance", "aws:rds/cluster:Cluster")) {
      if (
        isSet(r.props, "dbSubnetGroupName") ||
        isSet(r.props, "replicateSourceDb") ||
        depsOf(r, "dbSubnetGroupName").length ||
        siblingGroup(r, "aws:rds/subnetGroup:SubnetGroup")
      )
        continue;
      report(`${r.type.split(":")[2]} '${r.name}' has no dbSubnetGroupName, so it lands in the default VPC's public subnets`, r.urn);
    }
    for (const r of ofTypes(args.resources, "aws:elasticache/replicationGroup:ReplicationGroup")) {
      if (isSet(r.props, "subnetGroupName") || depsOf(r, "subnetGroupName").length || siblingGroup(r, "aws:elasticache/subnetGroup:SubnetGroup")) continue;
      report(`replication group '${r.name}' has no subnetGroupName, so it lands in the default VPC`, r.urn);
    }
  },
});

interface SgRule {
  protocol: unknown;
  from: unknown;
  to: unknown;
  cidrs: string[];
}

export interface SshConfig {
  /** "allow-list" (default): SSH only from narrow CIDRs (an operator allow-list); "never": no SSH ingress from any CIDR. */
  ssh?: "allow-list" | "never";
  /** Narrowest-allowed prefix lengths for SSH sources in allow-list mode. */
  sshMinPrefixV4?: number;
  sshMinPrefixV6?: number;
}

const prefixOf = (cidr: string): number => Number(cidr.split("/")[1] ?? (cidr.includes(":") ? 128 : 32));

function sgRuleProblems(rule: SgRule, cfg: SshConfig): string[] {
  const out: string[] = [];
  const [f, t] = sgPortRange(rule.protocol, rule.from, rule.to);
  const proto = String(rule.protocol).toLowerCase();
  const all = proto === "-1" || proto === "all";
  const tcp = proto === "tcp" || proto === "6";
  const world = rule.cidrs.filter(isWorld);
  const covers22 = (tcp || all) && f <= 22 && 22 <= t;
  if (world.length) {
    const webOnly = f === t && (f === 80 || f === 443) && tcp;
    if (!webOnly)
      out.push(
        `opens ${all ? "all traffic" : `${proto} ${f}${t !== f ? `-${t}` : ""}`} to ${world.join(", ")}${covers22 ? ", SSH included" : ""}; only tcp 80/443 may be open to the internet`,
      );
    return out;
  }
  // SSH from a CIDR: never in "never" mode; otherwise only an explicit tcp/22 rule from narrow sources.
  if (rule.cidrs.length && tcp && covers22) {
    const v4 = cfg.sshMinPrefixV4 ?? 24;
    const v6 = cfg.sshMinPrefixV6 ?? 56;
    const broad = rule.cidrs.filter((c) => prefixOf(c) < (c.includes(":") ? v6 : v4));
    if (cfg.ssh === "never") out.push(`allows SSH (port 22) from ${rule.cidrs.join(", ")}; this stack forbids SSH ingress (use SSM Session Manager or a VPN)`);
    else if (broad.length)
      out.push(
        `allows SSH (port 22) from the broad range(s) ${broad.join(", ")}; allow SSH only from an operator allow-list (IPv4 /${v4} or narrower, IPv6 /${v6} or narrower) or use SSM Session Manager`,
      );
    else if (t - f > 0) out.push(`allows ports ${f}-${t} (SSH included) from ${rule.cidrs.join(", ")}; open SSH as its own tcp/22 rule`);
  }
  return out;
}

export const securityGroupIngress: ResourceValidationPolicy = resourcePolicy({
  name: "seg-security-group-ingress",
  description:
    'Security groups open nothing but tcp 80/443 to 0.0.0.0/0 or ::/0 — never SSH to the internet; SSH only as a tcp/22 rule from a narrow operator allow-list (config ssh: "never" forbids it entirely).',
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: schema({
    ssh: { type: "string", enum: ["allow-list", "never"], default: "allow-list" } as any,
    sshMinPrefixV4: { type: "number", default: 24 } as any,
    sshMinPrefixV6: { type: "number", default: 56 } as any,
  }),
  validateResource: [
    forTypes(["aws:ec2/securityGroup:SecurityGroup"], (props, a, report) => {
      for (const i of asArray<any>(props.ingress)) {
        for (const p of sgRuleProblems(
          { protocol: i?.protocol, from: i?.fromPort, to: i?.toPort, cidrs: [...asArray<string>(i?.cidrBlocks), ...asArray<string>(i?.ipv6CidrBlocks)] },
          a.getConfig<SshConfig>(),
        ))
          report(`ingress rule ${p}`);
      }
    }),
    forTypes(["aws:ec2/securityGroupRule:SecurityGroupRule"], (props, a, report) => {
      if (props.type !== "ingress") return;
      for (const p of sgRuleProblems(
        {
          protocol: props.protocol,
          from: props.fromPort,
          to: props.toPort,
          cidrs: [...asArray<string>(props.cidrBlocks), ...asArray<string>(props.ipv6CidrBlocks)],
        },
        a.getConfig<SshConfig>(),
      ))
        report(`rule ${p}`);
    }),
    forTypes(["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"], (props, a, report) => {
      const cidrs = [props.cidrIpv4, props.cidrIpv6].filter((c): c is string => typeof c === "string");
      for (const p of sgRuleProblems({ protocol: props.ipProtocol, from: props.fromPort, to: props.toPort, cidrs }, a.getConfig<SshConfig>()))
        report(`rule ${p}`);
    }),
  ],
});

/** Namespaces that run pods: workloads' namespaces plus Helm releases' target namespaces. */
export function podNamespaces(resources: PolicyResource[]): Map<string, PolicyResource[]> {
  const out = new Map<string, PolicyResource[]>();
  const add = (ns: string, r: PolicyResource): void => void (out.get(ns) ?? out.set(ns, []).get(ns)!).push(r);
  for (const r of ofTypes(resources, ...WORKLOAD_TYPES)) add(nsOf(r.props), r);
  for (const r of ofTypes(resources, K8S.helmRelease)) add(String(r.props.namespace ?? "default"), r);
  return out;
}

const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"];
const emptySelector = (s: any): boolean => !s || (Object.keys(s.matchLabels ?? {}).length === 0 && asArray(s.matchExpressions).length === 0);

export const namespaceDefaultDeny: StackValidationPolicy = stackPolicy({
  name: "seg-namespace-default-deny",
  description: "Every namespace that runs pods has a default-deny NetworkPolicy for both ingress and egress (podSelector {} with no rules).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: schema({ exemptNamespaces: { type: "array", items: { type: "string" }, default: SYSTEM_NAMESPACES } as any }),
  validateStack: (args, report) => {
    const exempt = args.getConfig<{ exemptNamespaces?: string[] }>().exemptNamespaces ?? SYSTEM_NAMESPACES;
    const nps = ofTypes(args.resources, K8S.networkPolicy);
    for (const [ns, workloads] of podNamespaces(args.resources)) {
      if (exempt.includes(ns)) continue;
      const mine = nps.filter((p) => nsOf(p.props) === ns && emptySelector(p.props.spec?.podSelector));
      const types = (p: PolicyResource): string[] => p.props.spec?.policyTypes ?? (p.props.spec?.egress ? ["Ingress", "Egress"] : ["Ingress"]);
      const denyIn = mine.some((p) => types(p).includes("Ingress") && asArray(p.props.spec?.ingress).length === 0);
      const denyOut = mine.some((p) => types(p).includes("Egress") && asArray(p.props.spec?.egress).length === 0);
      const missing = [!denyIn && "ingress", !denyOut && "egress"].filter(Boolean);
      if (missing.length)
        report(
          `namespace '${ns}' runs pods (${workloads
            .map((w) => w.name)
            .slice(0, 3)
            .join(", ")}) without a default-deny ${missing.join(" and ")} NetworkPolicy`,
          workloads[0]!.urn,
        );
    }
  },
});

export interface TierConfig {
  ingressNamespaces?: string[];
  dataNamespaces?: string[];
}
const DEFAULT_INGRESS_NS = ["ingress-nginx", "ingress", "traefik"];

function namespaceLabels(resources: PolicyResource[]): Map<string, Record<string, string>> {
  const m = new Map<string, Record<string, string>>();
  for (const n of ofTypes(resources, K8S.namespace)) m.set(n.props.metadata?.name ?? n.name, n.props.metadata?.labels ?? {});
  return m;
}

function ingressNamespaces(args: StackValidationArgs): Set<string> {
  const cfg = args.getConfig<TierConfig>();
  const out = new Set(cfg.ingressNamespaces ?? DEFAULT_INGRESS_NS);
  for (const [ns, labels] of namespaceLabels(args.resources)) if (labels[ROLE_LABEL] === "ingress") out.add(ns);
  return out;
}

function exposedServiceValues(v: unknown, path = "values"): string[] {
  if (!v || typeof v !== "object") return [];
  const out: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === "type" && (x === "LoadBalancer" || x === "NodePort") && /service/i.test(path)) out.push(`${path}.type=${x}`);
    else out.push(...exposedServiceValues(x, `${path}.${k}`));
  }
  return out;
}

export const serviceExposure: StackValidationPolicy = stackPolicy({
  name: "seg-service-exposure",
  description: "Only the ingress namespace (label platform.io/role=ingress, or config ingressNamespaces) has LoadBalancer or NodePort Services.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: schema({ ingressNamespaces: { type: "array", items: { type: "string" }, default: DEFAULT_INGRESS_NS } as any }),
  validateStack: (args, report) => {
    const allowed = ingressNamespaces(args);
    // Helm charts expose Services through values (`service.type`, `controller.service.type`, ...).
    for (const h of ofTypes(args.resources, K8S.helmRelease)) {
      const ns = String(peek(h.props, "namespace") ?? "default");
      if (allowed.has(ns)) continue;
      for (const p of exposedServiceValues(raw(h.props).values))
        report(`Helm release '${h.name}' in namespace '${ns}' sets ${p}; only the ingress namespace may expose Services outside the cluster`, h.urn);
    }
    for (const s of ofTypes(args.resources, K8S.service)) {
      const type = s.props.spec?.type;
      if ((type === "LoadBalancer" || type === "NodePort") && !allowed.has(nsOf(s.props))) {
        report(
          `Service '${s.props.metadata?.name ?? s.name}' in namespace '${nsOf(s.props)}' is of type ${type}; only the ingress namespace may expose Services outside the cluster`,
          s.urn,
        );
      }
    }
  },
});

function valuesHostNetwork(v: unknown, path = "values"): string[] {
  if (!v || typeof v !== "object") return [];
  const out: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if ((k === "hostNetwork" || k === "hostPID" || k === "hostIPC") && x === true) out.push(`${path}.${k}`);
    else if (k === "hostPort" && typeof x === "number") out.push(`${path}.${k}`);
    else out.push(...valuesHostNetwork(x, `${path}.${k}`));
  }
  return out;
}

export const noHostNetwork: ResourceValidationPolicy = resourcePolicy({
  name: "seg-no-host-network",
  description: "No pod uses hostNetwork, hostPID, hostIPC or hostPort (workloads and Helm values); no container uses Docker host networking.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: [
    forTypes(WORKLOAD_TYPES, (props, args, report) => {
      const spec = podSpecOf(args.type, props) ?? {};
      for (const k of ["hostNetwork", "hostPID", "hostIPC"])
        if (spec[k] === true) report(`pod spec sets ${k}: true; pods must stay in their own network/process namespaces`);
      for (const c of containersOf(spec))
        for (const p of asArray<any>(c?.ports))
          if (p?.hostPort) report(`container '${c.name}' binds hostPort ${p.hostPort}; expose it through a Service instead`);
    }),
    forTypes([K8S.helmRelease], (props, _a, report) => {
      for (const p of valuesHostNetwork(raw(props).values)) report(`Helm values set ${p}; pods must not share the node's network or process namespaces`);
    }),
    forTypes(["docker:index/container:Container"], (props, _a, report) => {
      if (props.networkMode === "host") report("container uses networkMode 'host'; use a bridge network and publish only what the proxy needs");
    }),
  ],
});

export const metricsNotPublic: StackValidationPolicy = stackPolicy({
  name: "seg-metrics-not-public",
  description:
    "Metrics ports (named *metrics*/*prom*, or well-known exporter ports) and /metrics paths are never routed by a public Ingress, exposed by a LoadBalancer/NodePort Service or published by a Docker container on a public address.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const services = ofTypes(args.resources, K8S.service);
    const svc = (ns: string, name: string): PolicyResource | undefined =>
      services.find((s) => nsOf(s.props) === ns && (s.props.metadata?.name ?? s.name) === name);
    const isMetricsSvcPort = (p: any): boolean =>
      isMetricsPortName(p?.name) || METRICS_PORTS.has(p?.port) || isMetricsPortName(p?.targetPort) || METRICS_PORTS.has(p?.targetPort);
    for (const ing of ofTypes(args.resources, K8S.ingress)) {
      const ns = nsOf(ing.props);
      const backends = [
        ...(ing.props.spec?.defaultBackend ? [{ path: "(default)", backend: ing.props.spec.defaultBackend }] : []),
        ...asArray<any>(ing.props.spec?.rules).flatMap((r) =>
          asArray<any>(r?.http?.paths).map((p) => ({ path: `${r?.host ?? "*"}${p?.path ?? "/"}`, backend: p?.backend })),
        ),
      ];
      for (const { path, backend } of backends) {
        const port = backend?.service?.port ?? {};
        const target = backend?.service?.name ? svc(ns, backend.service.name) : undefined;
        const svcPort = target
          ? asArray<any>(target.props.spec?.ports).find((p) => (port.name && p?.name === port.name) || (port.number && p?.port === port.number))
          : undefined;
        const bad = /(^|\/)metrics\/?$/.test(path) || isMetricsPortName(port.name) || METRICS_PORTS.has(port.number) || (svcPort && isMetricsSvcPort(svcPort));
        if (bad)
          report(
            `Ingress '${ing.props.metadata?.name ?? ing.name}' routes ${path} to ${backend?.service?.name}:${port.name ?? port.number}, a metrics endpoint; scrape it inside the cluster instead`,
            ing.urn,
          );
      }
    }
    for (const s of services) {
      if (s.props.spec?.type !== "LoadBalancer" && s.props.spec?.type !== "NodePort") continue;
      for (const p of asArray<any>(s.props.spec?.ports))
        if (isMetricsSvcPort(p)) report(`Service '${s.props.metadata?.name ?? s.name}' (${s.props.spec.type}) exposes metrics port ${p.name ?? p.port}`, s.urn);
    }
    for (const c of ofTypes(args.resources, "docker:index/container:Container")) {
      for (const p of asArray<any>(c.props.ports)) {
        if (p?.external !== undefined && !isLoopback(p?.ip) && (METRICS_PORTS.has(p.internal) || METRICS_PORTS.has(p.external)))
          report(`container '${c.name}' publishes metrics port ${p.internal} on ${p.ip ?? "0.0.0.0"}:${p.external}`, c.urn);
      }
    }
  },
});

const DEFAULT_DATA_NS = /^(data|db|database|databases|storage|postgres|redis|scylla)(-|$)/;

export const internetToData: StackValidationPolicy = stackPolicy({
  name: "seg-reachability-internet-to-data",
  description:
    "Computed from all NetworkPolicies: neither the internet nor the internet-facing tier (ingress namespaces, namespaces with LoadBalancer/NodePort Services) can reach the data tier (label platform.io/role=data or data-privileged, config dataNamespaces, data-like names or data-store images) directly; data-store pods never share a namespace with the internet-facing tier.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: schema({
    ingressNamespaces: { type: "array", items: { type: "string" }, default: DEFAULT_INGRESS_NS } as any,
    dataNamespaces: { type: "array", items: { type: "string" } } as any,
  }),
  validateStack: (args, report) => {
    const manifests: Manifest[] = k8sManifests(args.resources);
    if (!manifests.some((m) => m.kind !== "Namespace" && m.kind !== "NetworkPolicy")) return;
    const reach = new Reachability(manifests);
    const cfg = args.getConfig<TierConfig>();
    const labels = namespaceLabels(args.resources);
    const facing = ingressNamespaces(args);
    for (const s of ofTypes(args.resources, K8S.service))
      if (s.props.spec?.type === "LoadBalancer" || s.props.spec?.type === "NodePort") facing.add(nsOf(s.props));
    const data = new Set<string>(cfg.dataNamespaces ?? []);
    for (const ns of reach.model.namespaces.keys()) {
      if (labels.get(ns)?.[ROLE_LABEL] === "data" || labels.get(ns)?.[ROLE_LABEL] === "data-privileged" || (!cfg.dataNamespaces && DEFAULT_DATA_NS.test(ns)))
        data.add(ns);
    }
    if (!cfg.dataNamespaces)
      for (const p of reach.model.pods) if (p.images.some((i) => DATA_IMAGE_RE.test(i)) && !facing.has(p.namespace)) data.add(p.namespace);
    const urnOfNs = (ns: string): string | undefined => ofTypes(args.resources, K8S.namespace).find((n) => (n.props.metadata?.name ?? n.name) === ns)?.urn;
    // One message per (source, data workload), listing the reachable protocols/ports.
    const found = new Map<string, { src: string; ns: string; workload: string; ports: string[] }>();
    for (const f of reach.flowsInto((p) => data.has(p.namespace))) {
      if (f.to.kind !== "pod") continue;
      let src: string | undefined;
      if (f.from.kind === "external" && isInternet(f.from)) src = "the internet";
      else if (f.from.kind === "pod" && facing.has(f.from.namespace) && f.from.id !== f.to.id)
        src = `internet-facing namespace '${f.from.namespace}' (${f.from.workload})`;
      if (!src) continue;
      const key = `${src}|${f.to.id}`;
      const entry = found.get(key) ?? found.set(key, { src, ns: f.to.namespace, workload: f.to.workload, ports: [] }).get(key)!;
      entry.ports.push(
        f.fromPort === 1 && f.toPort === 65535
          ? `${f.protocol} any port`
          : `${f.protocol} ${f.fromPort === f.toPort ? f.fromPort : `${f.fromPort}-${f.toPort}`}`,
      );
    }
    // Data-store pods inside an internet-facing namespace: no namespace boundary between them and the internet tier.
    const shared = new Map<string, string[]>();
    for (const p of reach.model.pods) {
      if (!facing.has(p.namespace) || !p.images.some((i) => DATA_IMAGE_RE.test(i))) continue;
      if (cfg.dataNamespaces?.includes(p.namespace)) continue;
      const list = shared.get(p.namespace) ?? shared.set(p.namespace, []).get(p.namespace)!;
      if (!list.includes(p.name)) list.push(p.name);
    }
    for (const [ns, workloads] of shared) {
      const w = ofTypes(args.resources, ...WORKLOAD_TYPES).find((r) => nsOf(r.props) === ns && workloads.some((x) => x === (r.props.metadata?.name ?? r.name)));
      report(
        `data-store workload(s) ${workloads.join(", ")} run in internet-facing namespace '${ns}' (it has a LoadBalancer/NodePort Service or is an ingress namespace); move them to a data namespace of their own with a default-deny NetworkPolicy that admits only the application tier`,
        w?.urn ?? urnOfNs(ns),
      );
    }
    for (const e of found.values()) {
      const ports = e.ports.length === 3 && e.ports.every((p) => p.endsWith("any port")) ? "any protocol and port" : [...new Set(e.ports)].join(", ");
      report(
        `${e.src} can reach data-tier ${e.ns}/${e.workload} on ${ports} directly; route through the application tier and tighten the NetworkPolicies`,
        urnOfNs(e.ns),
      );
    }
  },
});

export const segmentationPolicies = [
  datastoreNotPublic,
  datastorePrivateSubnet,
  securityGroupIngress,
  namespaceDefaultDeny,
  serviceExposure,
  noHostNetwork,
  metricsNotPublic,
  internetToData,
];
