/**
 * TLS everywhere: ingresses, CloudFront, Cloudflare zones, load-balancer listeners, RDS,
 * ElastiCache, S3 bucket policies and the Docker host's reverse proxy.
 * Mandatory in every tier.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { envConfigs, proxyConfigKind, proxyConfigProblems } from "./lib/proxyconf";
import { asArray, depsOf, forTypes, isSet, K8S, ofTypes, peek, resourcePolicy, schema, stackPolicy, truthy, UNKNOWN, unknownInPreview } from "./lib/util";

const hostCovered = (host: string, tlsHosts: string[]): boolean =>
  tlsHosts.some((t) => t === host || (t.startsWith("*.") && host.endsWith(t.slice(1)) && !host.slice(0, -(t.length - 1)).includes(".")));

/**
 * Where the Traefik chart reads the web→websecure redirect, by chart major (each shape was renamed,
 * and the chart's values schema refuses the old key, or older charts ignore the new one):
 * < 34 `ports.web.redirectTo`, 34–38 `ports.web.redirections.entryPoint`, 39+ (41.x is pinned)
 * `ports.web.http.redirections.entryPoint`. An unknown version is read as current. A web entrypoint
 * that is not exposed (`expose.default: false`, 39+) serves nothing to redirect. Null = redirected.
 */
export function traefikRedirectProblem(web: any, version: unknown): string | null {
  const major = Number(/^v?(\d+)\./.exec(String(version ?? ""))?.[1] ?? NaN);
  const shape = Number.isNaN(major) || major >= 39 ? "http" : major >= 34 ? "redirections" : "redirectTo";
  const key = {
    http: "ports.web.http.redirections.entryPoint.to",
    redirections: "ports.web.redirections.entryPoint.to",
    redirectTo: "ports.web.redirectTo.port",
  }[shape];
  const at = version ? `chart ${String(version)}` : "the chart (no version: read as current)";
  if (shape === "http" && (web.http?.redirections?.entryPoint?.to || web.expose?.default === false)) return null;
  if (shape === "redirections" && (web.redirections?.entryPoint?.to || web.expose?.default === false || web.expose === false)) return null;
  if (shape === "redirectTo" && (web.redirectTo || web.expose === false)) return null;
  const old = web.redirectTo !== undefined ? "ports.web.redirectTo" : web.redirections !== undefined && shape === "http" ? "ports.web.redirections" : undefined;
  return old
    ? `Traefik values set ${old}, which ${at} does not read (renamed; the chart's values schema refuses it): HTTP is not redirected. Set ${key}: websecure`
    : `Traefik values do not redirect the 'web' entrypoint to 'websecure' for ${at}: set ${key}: websecure`;
}

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
      if (rules.length === 0 && spec.defaultBackend)
        report("the Ingress routes a default backend without a host, so it cannot have TLS; add a rule with a host and a tls entry");
      for (const r of rules) {
        if (!r?.host) report("a rule has no host, so it is served without a certificate; give every rule a host covered by spec.tls");
        else if (!hostCovered(r.host, tlsHosts)) report(`host '${r.host}' is not covered by spec.tls[].hosts; add it to a tls entry with a secretName`);
      }
      const a: Record<string, string> = props.metadata?.annotations ?? {};
      if (a["nginx.ingress.kubernetes.io/ssl-redirect"] === "false" && a["nginx.ingress.kubernetes.io/force-ssl-redirect"] !== "true") {
        report('annotation nginx.ingress.kubernetes.io/ssl-redirect: "false" serves the site over plain HTTP; remove it');
      }
      const entry = a["traefik.ingress.kubernetes.io/router.entrypoints"];
      if (entry && /(^|,)\s*web\s*(,|$)/.test(entry) && !/redirect/i.test(a["traefik.ingress.kubernetes.io/router.middlewares"] ?? "")) {
        report("Traefik router listens on the plain 'web' entrypoint without a redirect middleware; use 'websecure' and redirect web→websecure");
      }
      if (a["traefik.ingress.kubernetes.io/router.tls"] === "false") report('annotation traefik.ingress.kubernetes.io/router.tls: "false" disables TLS');
    }),
    forTypes([K8S.helmRelease], (props, _args, report) => {
      const chart = String(props.chart ?? "");
      const v = props.values ?? {};
      if (/ingress-nginx/.test(chart) && String(v?.controller?.config?.["ssl-redirect"]) === "false")
        report("ingress-nginx values set controller.config.ssl-redirect=false; HTTP would not be redirected to HTTPS");
      if (/traefik/.test(chart)) {
        const problem = traefikRedirectProblem(v?.ports?.web ?? {}, props.version);
        if (problem) report(problem);
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
  description:
    "CloudFront distributions serve HTTPS only (every behaviour redirect-to-https or https-only), with a TLS ≥ 1.2 viewer certificate and HTTPS to custom origins.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes(["aws:cloudfront/distribution:Distribution"], (props, _args, report) => {
    for (const { path, b } of behaviorsOf(props)) {
      const vpp = b?.viewerProtocolPolicy;
      if (vpp !== "redirect-to-https" && vpp !== "https-only")
        report(`cache behaviour '${path}' has viewerProtocolPolicy '${vpp}'; use 'redirect-to-https' or 'https-only'`);
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

const ZONE_TYPES = [
  "cloudflare:index/zoneSetting:ZoneSetting",
  "cloudflare:index/workersRoute:WorkersRoute",
  "cloudflare:index/dnsRecord:DnsRecord",
  "cloudflare:index/record:Record",
  "cloudflare:index/ruleset:Ruleset",
  "cloudflare:index/workersCustomDomain:WorkersCustomDomain",
];

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
      for (const m of members)
        if (m.type === "cloudflare:index/zoneSetting:ZoneSetting") settings.set(String(m.props.settingId), { value: m.props.value, r: m });
      // A zone we only see through unproxied DNS records is not served by Cloudflare's edge.
      const served =
        zone ||
        members.some((m) => m.type !== "cloudflare:index/dnsRecord:DnsRecord" && m.type !== "cloudflare:index/record:Record") ||
        members.some((m) => truthy(m.props.proxied));
      if (!served) continue;
      const where = zone?.urn ?? members[0]?.urn;
      const label = zone ? `zone '${zone.props.name ?? zone.name}'` : `zone ${key.replace(/^id:/, "")}`;
      const ssl = settings.get("ssl");
      if (ssl?.value !== "strict")
        report(`${label}: SSL mode is '${ssl?.value ?? "unset (flexible/full)"}'; set ZoneSetting ssl = "strict" (Full strict)`, ssl?.r.urn ?? where);
      const https = settings.get("always_use_https");
      if (https?.value !== "on") report(`${label}: always_use_https is '${https?.value ?? "unset"}'; set it to "on"`, https?.r.urn ?? where);
      const tls = settings.get("min_tls_version");
      if (tls?.value !== "1.2" && tls?.value !== "1.3")
        report(`${label}: min_tls_version is '${tls?.value ?? "unset (1.0)"}'; set it to "1.2"`, tls?.r.urn ?? where);
    }
  },
});

/** Listener type tokens across provider versions (aws 2.x-7.x). */
const LISTENER_TYPES = [
  "aws:lb/listener:Listener",
  "aws:alb/listener:Listener",
  "aws:applicationloadbalancing/listener:Listener",
  "aws:elasticloadbalancingv2/listener:Listener",
];

const GOOD_ELB_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2|TLS13-1-2-FIPS|TLS13-1-3-FIPS)/;

export const listenerTls: ResourceValidationPolicy = resourcePolicy({
  name: "tls-lb-listener-https",
  description: "Load-balancer listeners (ALB/NLB and classic ELB) are HTTPS/TLS with a TLS 1.2+ security policy; an HTTP listener may only redirect to HTTPS.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: schema({ allowPassthroughPorts: { type: "array", items: { type: "number" }, default: [] } as any }),
  validateResource: [
    forTypes(["aws:elb/loadBalancer:LoadBalancer", "aws:elasticloadbalancing/loadBalancer:LoadBalancer"], (props, args, report) => {
      // A classic ELB cannot redirect: an HTTP listener serves plain HTTP.
      const allowed = args.getConfig<{ allowPassthroughPorts?: number[] }>().allowPassthroughPorts ?? [];
      for (const l of asArray<any>(props.listeners)) {
        const proto = String(l?.lbProtocol ?? "").toUpperCase();
        if (proto === "HTTP")
          report(
            `classic load balancer listener on port ${l?.lbPort} uses lbProtocol 'http', and a classic ELB cannot redirect to HTTPS; use lbProtocol 'https' with an sslCertificateId (or an ALB with an HTTPS listener and an HTTP→HTTPS redirect)`,
          );
        else if (proto === "TCP" && !allowed.includes(l?.lbPort))
          report(
            `classic load balancer listener on port ${l?.lbPort} uses lbProtocol 'tcp' without TLS; use 'ssl'/'https', or list the port in allowPassthroughPorts if the backend speaks TLS itself`,
          );
      }
    }),
    forTypes(LISTENER_TYPES, (props, args, report) => {
      const protocol = String(props.protocol ?? "HTTP").toUpperCase();
      if (protocol === "HTTPS" || protocol === "TLS") {
        if (!GOOD_ELB_POLICY.test(String(props.sslPolicy ?? "")))
          report(`sslPolicy '${props.sslPolicy ?? "(default ELBSecurityPolicy-2016-08, TLS 1.0)"}' allows TLS < 1.2; use ELBSecurityPolicy-TLS13-1-2-2021-06`);
        return;
      }
      if (protocol === "HTTP") {
        const actions = asArray<any>(props.defaultActions);
        const ok = actions.length > 0 && actions.every((a) => a?.type === "redirect" && String(a?.redirect?.protocol ?? "").toUpperCase() === "HTTPS");
        if (!ok)
          report(
            `HTTP listener on port ${props.port ?? 80} does not only redirect to HTTPS; its default action must be {type: "redirect", redirect: {protocol: "HTTPS", port: "443", statusCode: "HTTP_301"}}`,
          );
        return;
      }
      const allowed = args.getConfig<{ allowPassthroughPorts?: number[] }>().allowPassthroughPorts ?? [];
      if (!allowed.includes(props.port))
        report(
          `${protocol} listener on port ${props.port} carries traffic without TLS termination; use TLS, or list the port in allowPassthroughPorts if the backend speaks TLS itself`,
        );
    }),
  ],
});

const str = (o: unknown, k: string): string => {
  const v = peek(o, k);
  return typeof v === "string" ? v : "";
};
const paramsOf = (pg: PolicyResource): Record<string, string> =>
  Object.fromEntries(asArray<any>(pg.props.parameters).map((p) => [String(p?.name), String(p?.value)]));

/**
 * Engine versions whose default parameter group already rejects plaintext (AWS RDS user guide:
 * "PostgreSQL 15 and higher" default rds.force_ssl=1; MySQL 9.7 defaults require_secure_transport
 * to ON, 8.4 and lower OFF; MariaDB 11.8 and higher ON, 11.4 and lower OFF). Aurora keeps 0/OFF.
 */
export function tlsByDefault(engine: string, version: string): boolean {
  const [major = 0, minor = 0] = (/^(\d+)(?:\.(\d+))?/.exec(version) ?? []).slice(1).map((x) => Number(x ?? 0));
  const atLeast = (M: number, m: number): boolean => major > M || (major === M && minor >= m);
  if (engine === "postgres") return major >= 15;
  if (engine === "mysql") return atLeast(9, 7);
  if (engine === "mariadb") return atLeast(11, 8);
  return false;
}

export const rdsForceSsl: StackValidationPolicy = stackPolicy({
  name: "tls-rds-force-ssl",
  description:
    "RDS instances and clusters reject unencrypted connections (rds.force_ssl=1 / require_secure_transport=ON, unless the engine version defaults to it); Redshift clusters set require_ssl=true in their parameter group.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const check = (r: PolicyResource, pgProp: string, pgType: string, engine: string, version: string): void => {
      const key = /mysql|mariadb/.test(engine) ? "require_secure_transport" : /postgres|sqlserver/.test(engine) ? "rds.force_ssl" : undefined;
      if (!key) return; // oracle/db2: TLS is configured through option groups, not checked here
      const groups = depsOf(r, pgProp, pgType);
      const values = groups.map((g) => paramsOf(g)[key]).filter((v): v is string => v !== undefined);
      if (values.some((v) => !truthy(v))) {
        report(
          `${r.type.split(":")[2]} '${r.name}': its parameter group sets ${key}=${values.find((v) => !truthy(v))}; set it to ${key === "rds.force_ssl" ? "1" : "ON"}`,
          r.urn,
        );
        return;
      }
      if (values.some(truthy)) return;
      if (tlsByDefault(engine, version)) return;
      report(
        `${r.type.split(":")[2]} '${r.name}' (${engine} ${version || "default version"}) does not force TLS; attach a parameter group with ${key}=${key === "rds.force_ssl" ? "1" : "ON"}`,
        r.urn,
      );
    };
    for (const r of ofTypes(args.resources, "aws:rds/instance:Instance")) {
      if (isSet(r.props, "replicateSourceDb") && !isSet(r.props, "parameterGroupName")) continue; // replicas inherit the source's settings
      check(r, "parameterGroupName", "aws:rds/parameterGroup:ParameterGroup", str(r.props, "engine"), str(r.props, "engineVersion"));
    }
    for (const r of ofTypes(args.resources, "aws:rds/cluster:Cluster")) {
      check(r, "dbClusterParameterGroupName", "aws:rds/clusterParameterGroup:ClusterParameterGroup", str(r.props, "engine"), str(r.props, "engineVersion"));
    }
    // Redshift: the default parameter group has require_ssl=false.
    for (const r of ofTypes(args.resources, "aws:redshift/cluster:Cluster")) {
      const groups = depsOf(r, "clusterParameterGroupName", "aws:redshift/parameterGroup:ParameterGroup");
      const values = groups.map((g) => paramsOf(g)["require_ssl"]).filter((v): v is string => v !== undefined);
      if (values.some(truthy) && !values.some((v) => !truthy(v))) continue;
      const why = values.length
        ? `its parameter group sets require_ssl=${values.find((v) => !truthy(v))}`
        : groups.length
          ? "its parameter group does not set require_ssl"
          : "it uses the default parameter group (require_ssl=false)";
      report(
        `Redshift cluster '${r.name}' accepts unencrypted connections: ${why}; attach an aws.redshift.ParameterGroup with parameter require_ssl=true (clusterParameterGroupName)`,
        r.urn,
      );
    }
    for (const g of ofTypes(args.resources, "aws:redshift/parameterGroup:ParameterGroup")) {
      const v = paramsOf(g)["require_ssl"];
      if (v !== undefined && !truthy(v)) report(`Redshift parameter group '${g.name}' sets require_ssl=${v}; set it to true`, g.urn);
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
    const unknown: string[] = [];
    for (const b of ofTypes(args.resources, ...BUCKET_TYPES)) {
      const mine = policies.filter(
        (p) =>
          depsOf(p, "bucket").some((d) => d.urn === b.urn) ||
          (typeof peek(p.props, "bucket") === "string" && (peek(p.props, "bucket") === peek(b.props, "bucket") || p.props.bucket === b.name)),
      );
      if (mine.some((p) => deniesInsecureTransport(peek(p.props, "policy")))) continue;
      // A document computed from other resources (pulumi.jsonStringify, .apply) is unknown in
      // preview: not judged, and never silently passed either (reported as not inspected below).
      if (mine.some((p) => peek(p.props, "policy") === UNKNOWN)) {
        unknown.push(
          `bucket '${b.name}' (policy ${mine
            .filter((p) => peek(p.props, "policy") === UNKNOWN)
            .map((p) => `'${p.name}'`)
            .join(", ")})`,
        );
        continue;
      }
      report(
        `bucket '${b.name}' has no bucket policy denying non-TLS access; add a Deny on s3:* for Principal * with Condition {Bool: {"aws:SecureTransport": "false"}}`,
        b.urn,
      );
    }
    if (unknown.length)
      throw unknownInPreview(
        `the bucket policy document is computed and unknown in preview for ${unknown.join(", ")}; run with --update (mocked outputs) or pulumi preview after the first deploy`,
      );
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
      .map((u) => ({
        file: String(u?.file ?? ""),
        content:
          typeof u?.content === "string" ? u.content : typeof u?.contentBase64 === "string" ? Buffer.from(u.contentBase64, "base64").toString("utf8") : "",
      }))
      .map((u) => ({ ...u, kind: proxyConfigKind(u.file, u.content) }))
      .filter((u) => u.kind);
    const img = peek(props, "image");
    const image = typeof img === "string" ? img : "";
    const envs = peek(props, "envs");
    if (Array.isArray(envs)) configs.push(...envConfigs(envs));
    if (configs.length === 0) {
      if (PROXY_IMAGE.test(image) && asArray<any>(props.ports).length > 0)
        report(`proxy container (${image}) publishes ports but no Caddyfile/nginx config is uploaded; its default config serves plain HTTP`);
      return;
    }
    for (const c of configs) for (const p of proxyConfigProblems(c.kind!, c.content)) report(`${c.file}: ${p}`);
  }),
});

const TLS_PORTS = new Set([443, 8443, 6443, 9443]);
const isTlsPortName = (n: unknown): boolean => typeof n === "string" && /https|tls|ssl/i.test(n);
const isHttpPort = (p: any): boolean => [80, 8080, 8000, 3000, 5000].includes(p?.port) || (typeof p?.name === "string" && /^http$|^web$|http-/i.test(p.name));

/** Ports of a LoadBalancer Service whose TLS the cloud load balancer terminates (AWS annotations). */
function lbTerminatedPorts(annotations: Record<string, string>, ports: any[]): Set<number> {
  const out = new Set<number>();
  if (!annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"]) return out;
  const list = (annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-ports"] ?? "*").split(",").map((x) => x.trim());
  for (const p of ports) if (list.includes("*") || list.includes(String(p?.port)) || (p?.name && list.includes(p.name))) out.add(p?.port);
  return out;
}

export const serviceTls: ResourceValidationPolicy = resourcePolicy({
  name: "tls-k8s-service-https",
  description:
    "Kubernetes LoadBalancer and NodePort Services expose only TLS ports (443, a port named https/tls, or TLS terminated by the cloud load balancer's certificate annotation); plain HTTP only next to a TLS port (a redirect), other plaintext ports only when listed in allowPassthroughPorts.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: schema({ allowPassthroughPorts: { type: "array", items: { type: "number" }, default: [] } as any }),
  validateResource: forTypes([K8S.service], (props, args, report) => {
    const type = props.spec?.type;
    if (type !== "LoadBalancer" && type !== "NodePort") return;
    const ports = asArray<any>(props.spec?.ports);
    const name = props.metadata?.name ?? args.name;
    const terminated = lbTerminatedPorts(props.metadata?.annotations ?? {}, ports);
    const isTls = (p: any): boolean => TLS_PORTS.has(p?.port) || isTlsPortName(p?.name) || terminated.has(p?.port);
    const hasTls = ports.some(isTls);
    const allowed = args.getConfig<{ allowPassthroughPorts?: number[] }>().allowPassthroughPorts ?? [];
    for (const p of ports) {
      if (isTls(p) || allowed.includes(p?.port)) continue;
      if (isHttpPort(p)) {
        if (hasTls && p?.port === 80) continue; // an ingress controller's port 80, next to 443, redirects
        report(
          `Service '${name}' (${type}) serves plain HTTP on port ${p?.port}${p?.name ? ` (${p.name})` : ""} to outside the cluster; terminate TLS: put it behind an Ingress with spec.tls, or on AWS set annotation service.beta.kubernetes.io/aws-load-balancer-ssl-cert (and aws-load-balancer-ssl-ports) and serve 443`,
        );
      } else {
        report(
          `Service '${name}' (${type}) exposes port ${p?.port}${p?.name ? ` (${p.name})` : ""} without TLS to outside the cluster; terminate TLS at the load balancer (certificate annotation) or list the port in allowPassthroughPorts if the backend speaks TLS itself`,
        );
      }
    }
  }),
});

export const SG = "aws:ec2/securityGroup:SecurityGroup";
const SG_RULES = ["aws:ec2/securityGroupRule:SecurityGroupRule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"];
const WORLD_RE = /^(0\.0\.0\.0|::)\/0$/;

/** World-open tcp port ranges of a security group: inline ingress plus separate rule resources. */
export function worldOpenRanges(sg: PolicyResource, all: PolicyResource[]): [number, number][] {
  const out: [number, number][] = [];
  const add = (proto: unknown, from: unknown, to: unknown, cidrs: unknown[]): void => {
    if (!cidrs.some((c) => typeof c === "string" && WORLD_RE.test(c.trim()))) return;
    const pr = String(proto).toLowerCase();
    if (pr !== "tcp" && pr !== "6") return; // all-traffic rules are seg-security-group-ingress's finding
    out.push([typeof from === "number" ? from : 0, typeof to === "number" ? to : 65535]);
  };
  for (const i of asArray<any>(peek(sg.props, "ingress") as any))
    add(i?.protocol, i?.fromPort, i?.toPort, [...asArray<any>(i?.cidrBlocks), ...asArray<any>(i?.ipv6CidrBlocks)]);
  for (const r of ofTypes(all, ...SG_RULES)) {
    if (!depsOf(r, "securityGroupId").some((d) => d.urn === sg.urn)) continue;
    if (r.type === SG_RULES[0]) {
      if (r.props.type === "ingress")
        add(r.props.protocol, r.props.fromPort, r.props.toPort, [...asArray<any>(r.props.cidrBlocks), ...asArray<any>(r.props.ipv6CidrBlocks)]);
    } else add(r.props.ipProtocol, r.props.fromPort, r.props.toPort, [r.props.cidrIpv4, r.props.cidrIpv6]);
  }
  return out;
}

/** Where an instance, launch template or launch configuration names its security groups. */
export const INSTANCE_SG_PROPS: Record<string, string[]> = {
  "aws:ec2/instance:Instance": ["vpcSecurityGroupIds", "securityGroups"],
  "aws:ec2/launchTemplate:LaunchTemplate": ["vpcSecurityGroupIds", "securityGroupNames", "networkInterfaces"],
  "aws:ec2/launchConfiguration:LaunchConfiguration": ["securityGroups"],
};

export const ec2WebTls: StackValidationPolicy = stackPolicy({
  name: "tls-ec2-web-https",
  description:
    "EC2 instances (and launch templates/configurations) that take web traffic straight from the internet serve HTTPS: a security group opening tcp 80 to 0.0.0.0/0 or ::/0 must also open 443 (port 80 then only redirects).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    for (const i of ofTypes(args.resources, ...Object.keys(INSTANCE_SG_PROPS))) {
      // Without a public address the instance is not reachable from the internet at all.
      if (
        peek(i.props, "associatePublicIpAddress") === false ||
        asArray<any>(peek(i.props, "networkInterfaces") as any).some((n) => n?.associatePublicIpAddress === false || n?.associatePublicIpAddress === "false")
      )
        continue;
      const sgs = [...new Map(INSTANCE_SG_PROPS[i.type]!.flatMap((k) => depsOf(i, k, SG)).map((g) => [g.urn, g])).values()];
      const ranges = sgs.flatMap((g) => worldOpenRanges(g, args.resources).map((r) => ({ g, r })));
      const narrow = ranges.filter(({ r }) => r[1] - r[0] < 1024);
      const http = narrow.filter(({ r }) => (r[0] <= 80 && 80 <= r[1]) || (r[0] <= 8080 && 8080 <= r[1]));
      if (http.length === 0) continue;
      if (narrow.some(({ r }) => r[0] <= 443 && 443 <= r[1])) continue;
      const kind = i.type.split(":")[2];
      report(
        `${kind} '${i.name}' serves plain HTTP to the internet: security group '${http[0]!.g.name}' opens tcp ${http[0]!.r[0]}${http[0]!.r[1] !== http[0]!.r[0] ? `-${http[0]!.r[1]}` : ""} to the world and no HTTPS port; terminate TLS (serve 443 on the instance and redirect 80, or put it behind an HTTPS load balancer or CloudFront and open the instance only to that)`,
        i.urn,
      );
    }
  },
});

export const tlsPolicies = [
  ingressTls,
  cloudfrontTls,
  cloudflareTls,
  listenerTls,
  serviceTls,
  ec2WebTls,
  rdsForceSsl,
  elasticacheTransit,
  s3DenyInsecure,
  proxyHttpsOnly,
];
