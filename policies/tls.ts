/**
 * TLS everywhere: ingresses, CloudFront, Cloudflare zones, load-balancer listeners, RDS,
 * ElastiCache, S3 bucket policies and the Docker host's reverse proxy.
 * Mandatory in every tier.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { envConfigs, proxyConfigKind, proxyConfigProblems } from "./lib/proxyconf";
import { asArray, depsOf, forTypes, isSet, K8S, ofTypes, peek, resourcePolicy, schema, stackPolicy, truthy, UNKNOWN } from "./lib/util";

const hostCovered = (host: string, tlsHosts: string[]): boolean =>
  tlsHosts.some((t) => t === host || (t.startsWith("*.") && host.endsWith(t.slice(1)) && !host.slice(0, -(t.length - 1)).includes(".")));

export const ingressTls: ResourceValidationPolicy = resourcePolicy({
  name: "tls-ingress-https",
  description: "Kubernetes Ingresses terminate TLS for every host and redirect HTTP to HTTPS.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: [
    forTypes([K8S.ingress], (props, _args, report) => {
      const spec = props.spec ?? {};
      const tlsHosts: string[] = asArray(spec.tls).flatMap((t: any) => asArray(t?.hosts));
      const rules = asArray<any>(spec.rules);
      if (rules.length === 0 && spec.defaultBackend) report("the Ingress routes a default backend without a host, so it cannot have TLS; add a rule with a host and a tls entry");
      for (const r of rules) {
        if (!r?.host) report("a rule has no host, so it is served without a certificate; give every rule a host covered by spec.tls");
        else if (!hostCovered(r.host, tlsHosts)) report(`host '${r.host}' is not covered by spec.tls[].hosts; add it to a tls entry with a secretName`);
      }
      const a: Record<string, string> = props.metadata?.annotations ?? {};
      if (a["nginx.ingress.kubernetes.io/ssl-redirect"] === "false" && a["nginx.ingress.kubernetes.io/force-ssl-redirect"] !== "true") {
        report("annotation nginx.ingress.kubernetes.io/ssl-redirect: \"false\" serves the site over plain HTTP; remove it");
      }
      const entry = a["traefik.ingress.kubernetes.io/router.entrypoints"];
      if (entry && /(^|,)\s*web\s*(,|$)/.test(entry) && !/redirect/i.test(a["traefik.ingress.kubernetes.io/router.middlewares"] ?? "")) {
        report("Traefik router listens on the plain 'web' entrypoint without a redirect middleware; use 'websecure' and redirect web→websecure");
      }
      if (a["traefik.ingress.kubernetes.io/router.tls"] === "false") report("annotation traefik.ingress.kubernetes.io/router.tls: \"false\" disables TLS");
    }),
    forTypes([K8S.helmRelease], (props, _args, report) => {
      const chart = String(props.chart ?? "");
      const v = props.values ?? {};
      if (/ingress-nginx/.test(chart) && String(v?.controller?.config?.["ssl-redirect"]) === "false") report("ingress-nginx values set controller.config.ssl-redirect=false; HTTP would not be redirected to HTTPS");
      if (/traefik/.test(chart)) {
        const web = v?.ports?.web ?? {};
        const redirected = web.redirectTo || web.redirections?.entryPoint?.to || web.http?.redirections?.entryPoint?.to || web.expose === false || web.expose?.default === false;
        if (!redirected) report("Traefik values do not redirect the 'web' entrypoint to 'websecure' (ports.web.redirections.entryPoint.to: websecure)");
      }
    }),
  ],
});

const GOOD_CF_TLS = /^TLSv1\.(2|3)_/;
const behaviorsOf = (props: any): { path: string; b: any }[] => [
  { path: "default", b: props.defaultCacheBehavior },
  ...asArray<any>(props.orderedCacheBehaviors).map((b) => ({ path: String(b?.pathPattern ?? "?"), b })),
];

export const cloudfrontTls: ResourceValidationPolicy = resourcePolicy({
  name: "tls-cloudfront-https-only",
  description: "CloudFront distributions serve HTTPS only (every behaviour redirect-to-https or https-only), with a TLS ≥ 1.2 viewer certificate and HTTPS to custom origins.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes(["aws:cloudfront/distribution:Distribution"], (props, _args, report) => {
    for (const { path, b } of behaviorsOf(props)) {
      const vpp = b?.viewerProtocolPolicy;
      if (vpp !== "redirect-to-https" && vpp !== "https-only") report(`cache behaviour '${path}' has viewerProtocolPolicy '${vpp}'; use 'redirect-to-https' or 'https-only'`);
    }
    const vc = props.viewerCertificate ?? {};
    if (truthy(vc.cloudfrontDefaultCertificate) || (!isSet(vc, "acmCertificateArn") && !isSet(vc, "iamCertificateId"))) {
      report("the default *.cloudfront.net certificate allows TLS 1.0; use an ACM certificate (us-east-1) with minimumProtocolVersion TLSv1.2_2021");
    } else if (!GOOD_CF_TLS.test(String(vc.minimumProtocolVersion ?? ""))) {
      report(`viewerCertificate.minimumProtocolVersion '${vc.minimumProtocolVersion ?? "(default TLSv1)"}' is below TLS 1.2; use TLSv1.2_2021`);
    }
    for (const o of asArray<any>(props.origins)) {
      const c = o?.customOriginConfig;
      if (!c) continue;
      if (c.originProtocolPolicy !== "https-only") report(`origin '${o.originId}' uses originProtocolPolicy '${c.originProtocolPolicy}'; use 'https-only'`);
      const weak = asArray<string>(c.originSslProtocols).filter((p) => p !== "TLSv1.2" && p !== "TLSv1.3");
      if (weak.length) report(`origin '${o.originId}' allows ${weak.join(", ")}; allow only TLSv1.2`);
    }
  }),
});

const ZONE_TYPES = ["cloudflare:index/zoneSetting:ZoneSetting", "cloudflare:index/workersRoute:WorkersRoute", "cloudflare:index/dnsRecord:DnsRecord", "cloudflare:index/record:Record", "cloudflare:index/ruleset:Ruleset", "cloudflare:index/workersCustomDomain:WorkersCustomDomain"];

/** Groups Cloudflare resources by zone: the Zone resource's URN when linked, else the literal zone ID. */
export function cloudflareZones(resources: PolicyResource[]): Map<string, { zone?: PolicyResource; members: PolicyResource[] }> {
  const zones = new Map<string, { zone?: PolicyResource; members: PolicyResource[] }>();
  for (const z of ofTypes(resources, "cloudflare:index/zone:Zone")) zones.set(z.urn, { zone: z, members: [] });
  for (const r of ofTypes(resources, ...ZONE_TYPES)) {
    const dep = depsOf(r, "zoneId", "cloudflare:index/zone:Zone")[0];
    const key = dep?.urn ?? (typeof r.props.zoneId === "string" ? `id:${r.props.zoneId}` : undefined);
    if (!key) continue;
    if (!zones.has(key)) zones.set(key, { members: [] });
    zones.get(key)!.members.push(r);
  }
  return zones;
}

export const cloudflareTls: StackValidationPolicy = stackPolicy({
  name: "tls-cloudflare-zone-strict",
  description: "Cloudflare zones use SSL mode Full (strict), Always Use HTTPS and a minimum TLS version of 1.2.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    for (const [key, { zone, members }] of cloudflareZones(args.resources)) {
      const settings = new Map<string, { value: unknown; r: PolicyResource }>();
      for (const m of members) if (m.type === "cloudflare:index/zoneSetting:ZoneSetting") settings.set(String(m.props.settingId), { value: m.props.value, r: m });
      // A zone we only see through unproxied DNS records is not served by Cloudflare's edge.
      const served = zone || members.some((m) => m.type !== "cloudflare:index/dnsRecord:DnsRecord" && m.type !== "cloudflare:index/record:Record") || members.some((m) => truthy(m.props.proxied));
      if (!served) continue;
      const where = zone?.urn ?? members[0]?.urn;
      const label = zone ? `zone '${zone.props.name ?? zone.name}'` : `zone ${key.replace(/^id:/, "")}`;
      const ssl = settings.get("ssl");
      if (ssl?.value !== "strict") report(`${label}: SSL mode is '${ssl?.value ?? "unset (flexible/full)"}'; set ZoneSetting ssl = "strict" (Full strict)`, ssl?.r.urn ?? where);
      const https = settings.get("always_use_https");
      if (https?.value !== "on") report(`${label}: always_use_https is '${https?.value ?? "unset"}'; set it to "on"`, https?.r.urn ?? where);
      const tls = settings.get("min_tls_version");
      if (tls?.value !== "1.2" && tls?.value !== "1.3") report(`${label}: min_tls_version is '${tls?.value ?? "unset (1.0)"}'; set it to "1.2"`, tls?.r.urn ?? where);
    }
  },
});

const GOOD_ELB_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2|TLS13-1-2-FIPS|TLS13-1-3-FIPS)/;

export const listenerTls: ResourceValidationPolicy = resourcePolicy({
  name: "tls-lb-listener-https",
  description: "Load-balancer listeners are HTTPS/TLS with a TLS 1.2+ security policy; an HTTP listener may only redirect to HTTPS.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: schema({ allowPassthroughPorts: { type: "array", items: { type: "number" }, default: [] } as any }),
  validateResource: forTypes(["aws:lb/listener:Listener", "aws:alb/listener:Listener"], (props, args, report) => {
    const protocol = String(props.protocol ?? "HTTP").toUpperCase();
    if (protocol === "HTTPS" || protocol === "TLS") {
      if (!GOOD_ELB_POLICY.test(String(props.sslPolicy ?? ""))) report(`sslPolicy '${props.sslPolicy ?? "(default ELBSecurityPolicy-2016-08, TLS 1.0)"}' allows TLS < 1.2; use ELBSecurityPolicy-TLS13-1-2-2021-06`);
      return;
    }
    if (protocol === "HTTP") {
      const actions = asArray<any>(props.defaultActions);
      const ok = actions.length > 0 && actions.every((a) => a?.type === "redirect" && String(a?.redirect?.protocol ?? "").toUpperCase() === "HTTPS");
      if (!ok) report(`HTTP listener on port ${props.port ?? 80} does not only redirect to HTTPS; its default action must be {type: "redirect", redirect: {protocol: "HTTPS", port: "443", statusCode: "HTTP_301"}}`);
      return;
    }
    const allowed = args.getConfig<{ allowPassthroughPorts?: number[] }>().allowPassthroughPorts ?? [];
    if (!allowed.includes(props.port)) report(`${protocol} listener on port ${props.port} carries traffic without TLS termination; use TLS, or list the port in allowPassthroughPorts if the backend speaks TLS itself`);
  }),
});

const str = (o: unknown, k: string): string => {
  const v = peek(o, k);
  return typeof v === "string" ? v : "";
};
const paramsOf = (pg: PolicyResource): Record<string, string> =>
  Object.fromEntries(asArray<any>(pg.props.parameters).map((p) => [String(p?.name), String(p?.value)]));

export const rdsForceSsl: StackValidationPolicy = stackPolicy({
  name: "tls-rds-force-ssl",
  description: "RDS instances and clusters reject unencrypted connections (rds.force_ssl=1 / require_secure_transport=ON).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const check = (r: PolicyResource, pgProp: string, pgType: string, engine: string, version: string): void => {
      const key = /mysql|mariadb/.test(engine) ? "require_secure_transport" : /postgres|sqlserver/.test(engine) ? "rds.force_ssl" : undefined;
      if (!key) return; // oracle/db2: TLS is configured through option groups, not checked here
      const groups = depsOf(r, pgProp, pgType);
      const values = groups.map((g) => paramsOf(g)[key]).filter((v): v is string => v !== undefined);
      if (values.some((v) => !truthy(v))) {
        report(`${r.type.split(":")[2]} '${r.name}': its parameter group sets ${key}=${values.find((v) => !truthy(v))}; set it to ${key === "rds.force_ssl" ? "1" : "ON"}`, r.urn);
        return;
      }
      if (values.some(truthy)) return;
      const major = Number(/^(\d+)/.exec(version)?.[1] ?? 0);
      if (engine === "postgres" && major >= 15) return; // RDS PostgreSQL 15+ defaults rds.force_ssl to 1
      report(`${r.type.split(":")[2]} '${r.name}' (${engine} ${version || "default version"}) does not force TLS; attach a parameter group with ${key}=${key === "rds.force_ssl" ? "1" : "ON"}`, r.urn);
    };
    for (const r of ofTypes(args.resources, "aws:rds/instance:Instance")) {
      if (isSet(r.props, "replicateSourceDb") && !isSet(r.props, "parameterGroupName")) continue; // replicas inherit the source's settings
      check(r, "parameterGroupName", "aws:rds/parameterGroup:ParameterGroup", str(r.props, "engine"), str(r.props, "engineVersion"));
    }
    for (const r of ofTypes(args.resources, "aws:rds/cluster:Cluster")) {
      check(r, "dbClusterParameterGroupName", "aws:rds/clusterParameterGroup:ClusterParameterGroup", str(r.props, "engine"), str(r.props, "engineVersion"));
    }
    // A parameter group that turns TLS off is wrong even before anything uses it.
    for (const g of ofTypes(args.resources, "aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup")) {
      const p = paramsOf(g);
      for (const key of ["rds.force_ssl", "require_secure_transport"]) {
        if (p[key] !== undefined && !truthy(p[key])) report(`parameter group '${g.name}' sets ${key}=${p[key]}`, g.urn);
      }
    }
  },
});

export const elasticacheTransit: ResourceValidationPolicy = resourcePolicy({
  name: "tls-elasticache-transit",
  description: "ElastiCache replication groups and clusters encrypt in transit (TLS required, not 'preferred').",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes(["aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster"], (props, args, report) => {
    if (args.type === "aws:elasticache/cluster:Cluster" && isSet(props, "replicationGroupId")) return; // member of a group
    if (!truthy(props.transitEncryptionEnabled)) report("transitEncryptionEnabled is not true; clients could connect without TLS");
    else if (props.transitEncryptionMode === "preferred") report("transitEncryptionMode 'preferred' still accepts plaintext; use 'required'");
  }),
});

const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

/** True if a bucket policy document denies every request made without TLS. */
export function deniesInsecureTransport(policy: unknown): boolean {
  let doc: any = policy;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return false;
    }
  }
  return asArray<any>(doc?.Statement).some((s) => {
    if (s?.Effect !== "Deny") return false;
    const actions = asArray<string>(s.Action);
    if (!actions.some((a) => a === "s3:*" || a === "*")) return false;
    const principal = s.Principal;
    if (!(principal === "*" || asArray(principal?.AWS).includes("*"))) return false;
    const cond = s.Condition ?? {};
    const v = cond.Bool?.["aws:SecureTransport"] ?? cond.BoolIfExists?.["aws:SecureTransport"];
    return asArray(v).some((x) => String(x) === "false");
  });
}

export const s3DenyInsecure: StackValidationPolicy = stackPolicy({
  name: "tls-s3-deny-insecure-transport",
  description: "Every S3 bucket has a bucket policy that denies requests without TLS (aws:SecureTransport=false).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const policies = ofTypes(args.resources, "aws:s3/bucketPolicy:BucketPolicy");
    for (const b of ofTypes(args.resources, ...BUCKET_TYPES)) {
      const mine = policies.filter((p) => depsOf(p, "bucket").some((d) => d.urn === b.urn) || (typeof peek(p.props, "bucket") === "string" && (peek(p.props, "bucket") === peek(b.props, "bucket") || p.props.bucket === b.name)));
      if (mine.some((p) => peek(p.props, "policy") === UNKNOWN)) continue; // computed during preview: checked on update
      if (!mine.some((p) => deniesInsecureTransport(p.props.policy))) {
        report(`bucket '${b.name}' has no bucket policy denying non-TLS access; add a Deny on s3:* for Principal * with Condition {Bool: {"aws:SecureTransport": "false"}}`, b.urn);
      }
    }
  },
});

const PROXY_IMAGE = /(^|\/)(caddy|nginx|openresty|nginxinc\/nginx-unprivileged)([:@]|$)/i;

export const proxyHttpsOnly: ResourceValidationPolicy = resourcePolicy({
  name: "tls-proxy-https-only",
  description: "A reverse proxy on a Docker host (Caddy or nginx, config uploaded into the container) serves HTTPS only; plain HTTP may only redirect.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes(["docker:index/container:Container"], (props, _args, report) => {
    const uploads = asArray<any>(props.uploads);
    const configs = uploads
      .map((u) => ({ file: String(u?.file ?? ""), content: typeof u?.content === "string" ? u.content : typeof u?.contentBase64 === "string" ? Buffer.from(u.contentBase64, "base64").toString("utf8") : "" }))
      .map((u) => ({ ...u, kind: proxyConfigKind(u.file, u.content) }))
      .filter((u) => u.kind);
    const img = peek(props, "image");
    const image = typeof img === "string" ? img : "";
    const envs = peek(props, "envs");
    if (Array.isArray(envs)) configs.push(...envConfigs(envs));
    if (configs.length === 0) {
      if (PROXY_IMAGE.test(image) && asArray<any>(props.ports).length > 0) report(`proxy container (${image}) publishes ports but no Caddyfile/nginx config is uploaded; its default config serves plain HTTP`);
      return;
    }
    for (const c of configs) for (const p of proxyConfigProblems(c.kind!, c.content)) report(`${c.file}: ${p}`);
  }),
});

export const tlsPolicies = [ingressTls, cloudfrontTls, cloudflareTls, listenerTls, rdsForceSsl, elasticacheTransit, s3DenyInsecure, proxyHttpsOnly];
