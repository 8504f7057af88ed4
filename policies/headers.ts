/**
 * Cross-origin isolation on every edge site: COOP same-origin and COEP require-corp (or an
 * explicit credentialless), and `.wasm` served as application/wasm. Mandatory in every tier.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { cspValuesInJson, cspValuesInText, INLINE_SCRIPT_FIX, inlineScriptProblem } from "./lib/csp";
import { envConfigs, proxyConfigKind, staticSitesWithoutIsolationHeaders } from "./lib/proxyconf";
import { cloudflareZones, INSTANCE_SG_PROPS, SG, worldOpenRanges } from "./tls";
import {
  asArray,
  depsOf,
  forTypes,
  headerMapProblems,
  headerTextProblems,
  isSet,
  isUnknownValue,
  K8S,
  peek,
  ofTypes,
  raw,
  resourcePolicy,
  schema,
  stackPolicy,
  truthy,
  UNKNOWN,
  unknownInPreview,
  WASM_TYPE_RE,
} from "./lib/util";

const RHP = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy";
const CF_FUNCTION = "aws:cloudfront/function:Function";

export function rhpProblems(props: any): string[] {
  const items = asArray<any>(props?.customHeadersConfig?.items);
  const map: Record<string, string> = {};
  for (const i of items) if (i?.header) map[String(i.header)] = String(i.value ?? "");
  return headerMapProblems(map);
}

/**
 * Path patterns of cache behaviours that serve no HTML documents: APIs, build assets and media.
 * COOP and COEP act on documents (and workers' scripts, which sit under the default behaviour or a
 * path that is not excluded here), so these behaviours need neither.
 */
const NON_DOCUMENT_PATTERN =
  /^\/?(api|graphql|_next|static\/media|images?|img|media|fonts?|favicon)(\/|\*|\.|$)|\.(png|jpe?g|gif|webp|avif|svg|ico|css|woff2?|ttf|otf|eot|mp4|webm|mp3|json|map|txt|xml)$/i;
export const servesNoDocuments = (pathPattern: string): boolean => NON_DOCUMENT_PATTERN.test(pathPattern.trim());

export const cloudfrontHeaders: StackValidationPolicy = stackPolicy({
  name: "headers-cloudfront-coop-coep",
  description:
    "Every CloudFront cache behaviour that can serve documents adds COOP same-origin and COEP require-corp/credentialless, through a response headers policy or a viewer-response CloudFront Function (behaviours for APIs, _next/*, images, fonts and styles are exempt).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    for (const d of ofTypes(args.resources, "aws:cloudfront/distribution:Distribution")) {
      const behaviors: { key: string; path: string; b: any }[] = [
        { key: "defaultCacheBehavior", path: "default", b: d.props.defaultCacheBehavior },
        ...asArray<any>(d.props.orderedCacheBehaviors).map((b) => ({ key: "orderedCacheBehaviors", path: String(b?.pathPattern ?? "?"), b })),
      ];
      for (const { key, path, b } of behaviors) {
        if (key === "orderedCacheBehaviors" && servesNoDocuments(path)) continue;
        const rhps = depsOf(d, key, RHP);
        const fns = depsOf(d, key, CF_FUNCTION);
        const rhpOk = isSet(b, "responseHeadersPolicyId") && rhps.length > 0 && rhps.every((r) => rhpProblems(r.props).length === 0);
        const viewerResponse = asArray<any>(b?.functionAssociations).some((f) => f?.eventType === "viewer-response");
        const fnOk = viewerResponse && fns.some((f) => typeof f.props.code === "string" && headerTextProblems(f.props.code).length === 0);
        if (rhpOk || fnOk) continue;
        const why = isSet(b, "responseHeadersPolicyId")
          ? rhps.length === 0
            ? "uses a response headers policy this stack does not define (a managed policy sets neither header)"
            : `its response headers policy lacks ${rhps.flatMap((r) => rhpProblems(r.props)).join(" and ")}`
          : "has no response headers policy and no viewer-response function that sets the headers";
        report(`distribution '${d.name}', behaviour '${path}' ${why}`, d.urn);
      }
    }
    // A response headers policy that sets the headers to weaker values is wrong wherever it is used.
    for (const r of ofTypes(args.resources, RHP)) {
      const items = asArray<any>(r.props.customHeadersConfig?.items);
      const bad = items.filter((i) => {
        const h = String(i?.header).toLowerCase();
        const v = String(i?.value).trim().toLowerCase();
        return (
          (h === "cross-origin-opener-policy" && v !== "same-origin") ||
          (h === "cross-origin-embedder-policy" && v !== "require-corp" && v !== "credentialless")
        );
      });
      for (const i of bad) report(`response headers policy '${r.name}' sets ${i.header}: ${i.value}`, r.urn);
    }
  },
});

export function rulesetHeaderMap(r: PolicyResource): Record<string, string> {
  const map: Record<string, string> = {};
  if (r.props.phase !== "http_response_headers_transform") return map;
  for (const rule of asArray<any>(r.props.rules)) {
    if (rule?.enabled === false || rule?.action !== "rewrite") continue;
    for (const [name, h] of Object.entries<any>(rule?.actionParameters?.headers ?? {})) {
      if ((h?.operation === "set" || h?.operation === "add") && typeof h?.value === "string") map[name] = h.value;
    }
  }
  return map;
}

const WORKER_SCRIPT_TYPES = ["cloudflare:index/workersScript:WorkersScript", "cloudflare:index/workerScript:WorkerScript"];

export const cloudflareHeaders: StackValidationPolicy = stackPolicy({
  name: "headers-cloudflare-coop-coep",
  description:
    "Cloudflare Workers that serve a site set COOP/COEP (in their code or static-asset _headers), or their zone sets both with a response-header transform ruleset.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const zones = cloudflareZones(args.resources);
    const zoneOk = new Map<string, boolean>();
    for (const [key, z] of zones) {
      const merged = Object.assign({}, ...z.members.filter((m) => m.type === "cloudflare:index/ruleset:Ruleset").map(rulesetHeaderMap));
      zoneOk.set(key, headerMapProblems(merged).length === 0);
    }
    const routes = ofTypes(args.resources, "cloudflare:index/workersRoute:WorkersRoute", "cloudflare:index/workersCustomDomain:WorkersCustomDomain");
    for (const w of ofTypes(args.resources, ...WORKER_SCRIPT_TYPES)) {
      const texts = [w.props.content, w.props.assets?.config?.headers].filter((t): t is string => typeof t === "string");
      if (texts.some((t) => headerTextProblems(t).length === 0)) continue;
      const scriptName = w.props.scriptName ?? w.props.name;
      const myRoutes = routes.filter(
        (r) =>
          depsOf(r, r.type.endsWith("WorkersRoute") ? "script" : "service").some((d) => d.urn === w.urn) ||
          (scriptName && (r.props.script === scriptName || r.props.service === scriptName)),
      );
      const zoneKeys = [...zones].filter(([, z]) => z.members.some((m) => myRoutes.includes(m))).map(([k]) => k);
      if (zoneKeys.length > 0 && zoneKeys.every((k) => zoneOk.get(k))) continue;
      const missing = [...new Set(texts.flatMap(headerTextProblems))];
      report(
        `worker '${scriptName ?? w.name}' does not set ${missing.length ? missing.join(" and ") : "COOP/COEP"} and no response-header transform ruleset on its zone does`,
        w.urn,
      );
    }
  },
});

/** An Ingress that serves a site root ("/" or a catch-all) and is not marked API-only. */
export function isSiteIngress(props: any): boolean {
  if (props?.metadata?.annotations?.["platform.io/api-only"] === "true") return false;
  // "/*" is the AWS Load Balancer Controller's catch-all, "/.*" and "/(.*)" regex catch-alls: all serve the root.
  return asArray<any>(props?.spec?.rules).some((r) => asArray<any>(r?.http?.paths).some((p) => ["/", "/*", "/.*", "/(.*)"].includes(String(p?.path ?? "/"))));
}

export const ingressHeaders: StackValidationPolicy = stackPolicy({
  name: "headers-ingress-coop-coep",
  description:
    'Every Ingress that serves a site root sets COOP/COEP (ingress-nginx snippet, custom-headers ConfigMap or controller add-headers; Traefik headers middleware). Mark API-only ingresses with annotation platform.io/api-only: "true".',
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const configMaps = ofTypes(args.resources, K8S.configMap);
    const cmHeaders = (ref: string, defaultNs: string): Record<string, string> | undefined => {
      const [ns, name] = ref.includes("/") ? ref.split("/", 2) : [defaultNs, ref];
      return configMaps.find((c) => (c.props.metadata?.name ?? c.name) === name && (c.props.metadata?.namespace ?? "default") === ns)?.props.data;
    };
    const nginxGlobalOk = ofTypes(args.resources, K8S.helmRelease).some(
      (r) => /ingress-nginx/.test(String(r.props.chart ?? "")) && headerMapProblems(r.props.values?.controller?.addHeaders ?? {}).length === 0,
    );
    const middlewares = ofTypes(args.resources, K8S.traefikMiddleware, K8S.traefikMiddlewareLegacy);
    for (const ing of ofTypes(args.resources, K8S.ingress)) {
      if (!isSiteIngress(ing.props)) continue;
      const a: Record<string, string> = ing.props.metadata?.annotations ?? {};
      const ns = ing.props.metadata?.namespace ?? "default";
      const snippet = [a["nginx.ingress.kubernetes.io/configuration-snippet"], a["nginx.ingress.kubernetes.io/server-snippet"]].filter(Boolean).join("\n");
      if (snippet && headerTextProblems(snippet).length === 0) continue;
      const custom = a["nginx.ingress.kubernetes.io/custom-headers"];
      if (custom && headerMapProblems(cmHeaders(custom, ns) ?? {}).length === 0) continue;
      const isTraefik = ing.props.spec?.ingressClassName === "traefik" || Object.keys(a).some((k) => k.startsWith("traefik."));
      if (!isTraefik && nginxGlobalOk) continue;
      const mwRefs = (a["traefik.ingress.kubernetes.io/router.middlewares"] ?? "")
        .split(",")
        .map((s) => s.trim().replace(/@kubernetescrd$/, ""))
        .filter(Boolean);
      const mwOk = mwRefs.some((ref) =>
        middlewares.some((m) => {
          const mns = m.props.metadata?.namespace ?? "default";
          const mname = m.props.metadata?.name ?? m.name;
          return (ref === `${mns}-${mname}` || ref === mname) && headerMapProblems(m.props.spec?.headers?.customResponseHeaders ?? {}).length === 0;
        }),
      );
      if (mwOk) continue;
      report(
        `Ingress '${ing.props.metadata?.name ?? ing.name}' serves a site root without COOP same-origin / COEP require-corp; add them (or annotate platform.io/api-only: "true" if it serves no pages)`,
        ing.urn,
      );
    }
  },
});

export const proxyHeaders: ResourceValidationPolicy = resourcePolicy({
  name: "headers-proxy-coop-coep",
  description: "A Caddy/nginx reverse proxy on a Docker host that serves static files (an SPA) sets COOP/COEP on those sites.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes(["docker:index/container:Container"], (props, _args, report) => {
    const configs = asArray<any>(props.uploads).map((u) => ({ file: String(u?.file ?? ""), content: typeof u?.content === "string" ? u.content : "" }));
    const envs = peek(props, "envs");
    const all = [...configs.map((c) => ({ ...c, kind: proxyConfigKind(c.file, c.content) })), ...(Array.isArray(envs) ? envConfigs(envs) : [])];
    for (const c of all) {
      if (!c.kind) continue;
      for (const site of staticSitesWithoutIsolationHeaders(c.kind, c.content))
        report(`${c.file}: site '${site}' serves files without Cross-Origin-Opener-Policy same-origin / Cross-Origin-Embedder-Policy require-corp`);
    }
  }),
});

export const wasmContentType: ResourceValidationPolicy = resourcePolicy({
  name: "headers-wasm-content-type",
  description:
    "WebAssembly is served as application/wasm: S3 objects with a .wasm key carry that content type, and Workers that mention .wasm map it to application/wasm.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: [
    forTypes(["aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject"], (props, _args, report) => {
      if (/\.wasm$/i.test(String(props.key ?? "")) && props.contentType !== "application/wasm")
        report(
          `object '${props.key}' has contentType '${props.contentType ?? "(unset: binary/octet-stream)"}'; set application/wasm or browsers refuse streaming compilation`,
        );
    }),
    forTypes(WORKER_SCRIPT_TYPES, (props, _args, report) => {
      const code = typeof props.content === "string" ? props.content : "";
      if (/\.wasm\b/.test(code) && !WASM_TYPE_RE.test(code)) report("the worker serves .wasm files but never maps them to application/wasm");
    }),
    forTypes(["docker:index/container:Container"], (props, _args, report) => {
      for (const u of asArray<any>(props.uploads)) {
        const c = typeof u?.content === "string" ? u.content : "";
        // Caddy's and nginx's built-in MIME tables know .wasm; an override to anything else is a bug.
        const m = /\.wasm[^\n]*?content-type\s*["']?([\w/+.-]+)/i.exec(c);
        if (m && m[1]!.toLowerCase() !== "application/wasm") report(`${u.file}: .wasm is served as ${m[1]}`);
      }
    }),
  ],
});

const LB_TYPES = [
  "aws:lb/loadBalancer:LoadBalancer",
  "aws:alb/loadBalancer:LoadBalancer",
  "aws:applicationloadbalancing/loadBalancer:LoadBalancer",
  "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer",
  "aws:elb/loadBalancer:LoadBalancer",
  "aws:elasticloadbalancing/loadBalancer:LoadBalancer",
];
const LISTENER_TYPES = [
  "aws:lb/listener:Listener",
  "aws:alb/listener:Listener",
  "aws:applicationloadbalancing/listener:Listener",
  "aws:elasticloadbalancingv2/listener:Listener",
];
const WEB_PORTS = [80, 443, 8080];
const WEBSITE_TYPES = ["aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2", "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration"];
const apiOnlyTag = (props: any): boolean => String(peek(props, "tags", "platform.io/api-only") ?? "") === "true";
const DEFAULT_INGRESS_NS = ["ingress-nginx", "ingress", "traefik"];
const INGRESS_CONTROLLER_RE = /ingress|traefik|haproxy|contour|envoy|istio|kong|gateway/i;

const INSTANCE = "aws:ec2/instance:Instance";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const ASG = "aws:autoscaling/group:Group";
const SUBNET = "aws:ec2/subnet:Subnet";
const EIP = "aws:ec2/eip:Eip";
const EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation";
const isTrue = (v: unknown): boolean => v === true || v === "true";
const isFalse = (v: unknown): boolean => v === false || v === "false";

/** Auto Scaling groups that launch from this launch template or launch configuration. */
function groupsOf(i: PolicyResource, all: PolicyResource[]): PolicyResource[] {
  if (i.type === INSTANCE) return [];
  const prop = i.type === LAUNCH_TEMPLATE ? "launchTemplate" : "launchConfiguration";
  return ofTypes(all, ASG).filter((g) => [...depsOf(g, prop), ...depsOf(g, "mixedInstancesPolicy")].some((d) => d.urn === i.urn));
}

/** Elastic IPs attached to an instance. */
function eipsOf(i: PolicyResource, all: PolicyResource[]): PolicyResource[] {
  if (i.type !== INSTANCE) return [];
  return ofTypes(all, EIP, EIP_ASSOCIATION).filter((e) => depsOf(e, e.type === EIP ? "instance" : "instanceId").some((d) => d.urn === i.urn));
}

/**
 * Whether what the resource launches gets a public address: an Elastic IP; else an explicit
 * associatePublicIpAddress (instance, launch configuration, launch template network interface);
 * else its subnets when this stack declares them (mapPublicIpOnLaunch; a new subnet maps none by
 * default); else yes — no subnet means the default VPC, whose subnets give public addresses, and a
 * subnet from outside the stack cannot be read.
 */
function getsPublicAddress(i: PolicyResource, all: PolicyResource[]): boolean {
  if (eipsOf(i, all).length) return true;
  const explicit = [
    peek(i.props, "associatePublicIpAddress"),
    ...asArray<any>(peek(i.props, "networkInterfaces") as any).map((n) => peek(n, "associatePublicIpAddress")),
  ].filter((v) => v !== undefined && v !== UNKNOWN);
  if (explicit.some(isFalse)) return false;
  if (explicit.some(isTrue)) return true;
  const subnets = [
    ...depsOf(i, "subnetId", SUBNET),
    ...depsOf(i, "networkInterfaces", SUBNET),
    ...groupsOf(i, all).flatMap((g) => depsOf(g, "vpcZoneIdentifiers", SUBNET)),
  ];
  if (subnets.length) return subnets.some((s) => peek(s.props, "mapPublicIpOnLaunch") === UNKNOWN || truthy(peek(s.props, "mapPublicIpOnLaunch")));
  return true;
}

/** Tag platform.io/api-only on the resource, its launch template's tag specifications or its Auto Scaling group. */
function apiOnlyCompute(i: PolicyResource, all: PolicyResource[]): boolean {
  if (apiOnlyTag(i.props)) return true;
  if (asArray<any>(peek(i.props, "tagSpecifications") as any).some((t) => String(peek(t, "tags", "platform.io/api-only") ?? "") === "true")) return true;
  return groupsOf(i, all).some((g) => asArray<any>(peek(g.props, "tags") as any).some((t) => t?.key === "platform.io/api-only" && String(t?.value) === "true"));
}

/** The user data a resource boots with, as text (launch templates take it base64-encoded), or UNKNOWN. */
function userDataText(i: PolicyResource): string | typeof UNKNOWN | undefined {
  const plain = peek(i.props, "userData");
  const b64 = i.type === LAUNCH_TEMPLATE ? plain : peek(i.props, "userDataBase64");
  if ((i.type !== LAUNCH_TEMPLATE && plain === UNKNOWN) || b64 === UNKNOWN) return UNKNOWN;
  const parts: string[] = [];
  if (i.type !== LAUNCH_TEMPLATE && typeof plain === "string") parts.push(plain);
  if (typeof b64 === "string") parts.push(/^[A-Za-z0-9+/=\s]+$/.test(b64) ? Buffer.from(b64, "base64").toString("utf8") : b64);
  return parts.length ? parts.join("\n") : undefined;
}

/**
 * Instances that a Docker provider reaches (its `host` is computed from the instance's address) and
 * on which a reverse proxy runs whose configuration the pack reads (an uploaded Caddyfile, Caddy
 * JSON or nginx config, or one in an env var): that proxy's headers are headers-proxy-coop-coep's
 * to judge. `unknown`: a container there whose uploads or env are not known (preview).
 */
function instancesWithReadableProxy(all: PolicyResource[]): { proxied: Set<string>; unknown: Set<string> } {
  const proxied = new Set<string>();
  const unknown = new Set<string>();
  const byUrn = new Map(all.map((r) => [r.urn, r] as const));
  for (const c of ofTypes(all, "docker:index/container:Container")) {
    const p = c.provider ? byUrn.get(c.provider.urn) : undefined;
    const hosts = p ? [...depsOf(p, "host"), ...p.dependencies].filter((d) => d.type === INSTANCE) : [];
    if (hosts.length === 0) continue;
    const uploads = peek(c.props, "uploads");
    const envs = peek(c.props, "envs");
    const opaque = (v: unknown): boolean =>
      v === UNKNOWN || (Array.isArray(v) && v.some((e) => isUnknownValue(e) || isUnknownValue(e?.content) || isUnknownValue(e?.file)));
    const readable =
      asArray<any>(Array.isArray(uploads) ? uploads : []).some(
        (u) => typeof u?.file === "string" && typeof u?.content === "string" && proxyConfigKind(u.file, u.content) !== undefined,
      ) ||
      (Array.isArray(envs) && envConfigs(envs).length > 0);
    for (const h of hosts) {
      if (readable) proxied.add(h.urn);
      else if (opaque(uploads) || opaque(envs)) unknown.add(h.urn);
    }
  }
  return { proxied, unknown };
}

export const originHeaders: StackValidationPolicy = stackPolicy({
  name: "headers-origin-coop-coep",
  description:
    'Web front ends served straight from an origin that cannot add response headers set COOP/COEP another way: an S3 website endpoint or an internet-facing load balancer not fronted by CloudFront, an EC2 web server (instance, launch template or configuration) open to the world on 80/443/8080 with a public address whose user data does not set both headers, or a Kubernetes LoadBalancer/NodePort Service serving HTTP from application pods (not an ingress controller). Put CloudFront (response headers policy) or an Ingress that sets the headers in front; mark API-only origins with tag/annotation platform.io/api-only: "true".',
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: schema({ ingressNamespaces: { type: "array", items: { type: "string" }, default: DEFAULT_INGRESS_NS } as any }),
  validateStack: (args, report) => {
    const dists = ofTypes(args.resources, "aws:cloudfront/distribution:Distribution");
    const fronted = (urns: string[]): boolean => dists.some((d) => depsOf(d, "origins").some((o) => urns.includes(o.urn)));
    // S3 website hosting: the website endpoint serves over HTTP with S3's own headers only.
    const websites = ofTypes(args.resources, ...WEBSITE_TYPES);
    for (const b of ofTypes(args.resources, "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")) {
      const configs = websites.filter((w) => depsOf(w, "bucket").some((d) => d.urn === b.urn));
      const hosted = isSet(b.props, "website", "indexDocument") || isSet(b.props, "websites", 0) || configs.length > 0;
      if (!hosted || apiOnlyTag(b.props)) continue;
      if (fronted([b.urn, ...configs.map((c) => c.urn)])) continue;
      report(
        `bucket '${b.name}' serves a website from its S3 website endpoint, which cannot add Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy; serve it through CloudFront with a response headers policy that sets COOP same-origin and COEP require-corp`,
        b.urn,
      );
    }
    // Internet-facing load balancers: an ALB/ELB cannot add COOP/COEP; the pack cannot see the application set them.
    for (const lb of ofTypes(args.resources, ...LB_TYPES)) {
      if (truthy(peek(lb.props, "internal")) || apiOnlyTag(lb.props)) continue;
      const type = String(peek(lb.props, "loadBalancerType") ?? "application");
      if (type === "gateway") continue;
      // A network load balancer is a web front end when it listens on a web port.
      if (
        type === "network" &&
        !ofTypes(args.resources, ...LISTENER_TYPES).some(
          (l) => depsOf(l, "loadBalancerArn").some((d) => d.urn === lb.urn) && WEB_PORTS.includes(Number(peek(l.props, "port"))),
        )
      )
        continue;
      if (fronted([lb.urn])) continue;
      report(
        `load balancer '${lb.name}' serves the internet directly, and a load balancer cannot add Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy: put CloudFront with a response headers policy in front (origin = this load balancer), or tag it platform.io/api-only: "true" if it serves no pages`,
        lb.urn,
      );
    }
    // EC2 web servers: an instance (or what a launch template/configuration launches) that takes
    // web traffic straight from the internet — a security group opening tcp 80, 443 or 8080 (a
    // narrow range, as a web server's group does; all-traffic rules are seg-security-group-ingress's)
    // to 0.0.0.0/0 or ::/0, and a public address. As for a load balancer, the pack cannot read the
    // server's responses: it is taken to serve pages unless tagged API-only, fronted by CloudFront,
    // its user data configures both headers (e.g. an nginx add_header written at boot), or a Docker
    // reverse proxy the pack reads runs on it (headers-proxy-coop-coep judges that one).
    const unknownUserData: { what: string; urn: string }[] = [];
    const proxies = instancesWithReadableProxy(args.resources);
    for (const i of ofTypes(args.resources, ...Object.keys(INSTANCE_SG_PROPS))) {
      const sgs = [...new Map(INSTANCE_SG_PROPS[i.type]!.flatMap((k) => depsOf(i, k, SG)).map((g) => [g.urn, g])).values()];
      const open = sgs.flatMap((g) =>
        worldOpenRanges(g, args.resources)
          .filter((r) => r[1] - r[0] < 1024)
          .map((r) => ({ g, r })),
      );
      const web = open.filter(({ r }) => WEB_PORTS.some((p) => r[0] <= p && p <= r[1]));
      if (web.length === 0 || !getsPublicAddress(i, args.resources) || apiOnlyCompute(i, args.resources)) continue;
      if (fronted([i.urn, ...eipsOf(i, args.resources).map((e) => e.urn)])) continue;
      if (proxies.proxied.has(i.urn)) continue; // headers-proxy-coop-coep reads that proxy's headers
      const kind = i.type.split(":")[2];
      const ud = userDataText(i);
      if (ud === UNKNOWN || proxies.unknown.has(i.urn)) {
        unknownUserData.push({ what: `${kind} '${i.name}'`, urn: i.urn });
        continue;
      }
      if (ud !== undefined && headerTextProblems(ud).length === 0) continue;
      const ports = [...new Set(web.map(({ r }) => WEB_PORTS.filter((p) => r[0] <= p && p <= r[1])).flat())].sort((a, b) => a - b);
      report(
        `${kind} '${i.name}' serves the internet directly on port ${ports.join(", ")} (security group '${web[0]!.g.name}' opens it to the world and it has a public address), and the pack cannot see its server add Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy: put CloudFront with a response headers policy in front (origin = this server), set both headers in the web server's configuration in its user data, or tag it platform.io/api-only: "true" if it serves no pages`,
        i.urn,
      );
    }
    // Kubernetes Services exposed straight from application pods.
    const ingressNs = new Set(args.getConfig<{ ingressNamespaces?: string[] }>().ingressNamespaces ?? DEFAULT_INGRESS_NS);
    for (const n of ofTypes(args.resources, K8S.namespace))
      if (n.props.metadata?.labels?.["platform.io/role"] === "ingress") ingressNs.add(n.props.metadata?.name ?? n.name);
    for (const svc of ofTypes(args.resources, K8S.service)) {
      const spec = svc.props.spec ?? {};
      if (spec.type !== "LoadBalancer" && spec.type !== "NodePort") continue;
      const md = svc.props.metadata ?? {};
      if (md.annotations?.["platform.io/api-only"] === "true") continue;
      const ns = md.namespace ?? "default";
      const name = md.name ?? svc.name;
      if (ingressNs.has(ns) || INGRESS_CONTROLLER_RE.test(name) || Object.values(spec.selector ?? {}).some((v) => INGRESS_CONTROLLER_RE.test(String(v))))
        continue;
      const web = asArray<any>(spec.ports).filter((p) => [80, 443, 8080, 8000, 3000].includes(p?.port) || /^https?$|^web$/i.test(String(p?.name ?? "")));
      if (web.length === 0) continue;
      report(
        `Service '${name}' (${spec.type}) in namespace '${ns}' serves HTTP (port ${web.map((p) => p.port).join(", ")}) straight from its pods, with nothing in front to add Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy; route it through an Ingress that sets them, or annotate the Service platform.io/api-only: "true" if it serves no pages`,
        svc.urn,
      );
    }
    if (unknownUserData.length)
      throw unknownInPreview(
        `the user data (or the Docker proxy running on it) of ${unknownUserData.map((u) => u.what).join(", ")} (a web server open to the internet) is not known, so whether it sets COOP/COEP was not judged`,
        unknownUserData.map((u) => u.urn),
      );
  },
});

/**
 * Inline scripts: every Content-Security-Policy the pack can read where it already reads a page's
 * response headers (CloudFront response headers policies, Cloudflare response-header rulesets and
 * Workers' static-asset _headers, ingress-nginx snippets / custom-headers ConfigMaps / chart
 * add-headers, Traefik headers Middlewares, Caddyfile / Caddy JSON / nginx on a Docker host) must
 * not let inline scripts run (lib/csp.ts). A value not known in preview is not judged, never passed.
 */
const PROXY_CONTAINER_RE = /caddy|nginx|openresty|traefik|proxy/i;

export const cspNoInlineScript: StackValidationPolicy = stackPolicy({
  name: "headers-csp-no-inline-script",
  description:
    "Every Content-Security-Policy the pack reads (CloudFront response headers policy, Cloudflare ruleset/_headers, ingress-nginx snippet/custom-headers/add-headers, Traefik Middleware, Docker-host Caddy/nginx) keeps inline scripts from running: its script-src (or default-src) has no 'unsafe-inline' without a nonce or hash source, no '*', no 'data:'.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const unknown: { what: string; urn: string }[] = [];
    const judge = (where: string, csp: unknown, urn: string) => {
      if (csp === UNKNOWN || isUnknownValue(csp)) return void unknown.push({ what: where, urn });
      if (typeof csp !== "string") return;
      const why = inlineScriptProblem(csp);
      if (why) report(`${where}: Content-Security-Policy "${csp}" ${why}, so inline scripts may run; ${INLINE_SCRIPT_FIX}`, urn);
    };
    const judgeMap = (where: string, map: unknown, urn: string) => {
      if (map === UNKNOWN || isUnknownValue(map)) return void unknown.push({ what: where, urn });
      for (const [k, v] of Object.entries<unknown>((raw(map) as Record<string, unknown> | null) ?? {}))
        if (k.toLowerCase() === "content-security-policy") judge(where, isUnknownValue(v) ? UNKNOWN : v, urn);
    };
    const judgeText = (where: string, text: unknown, urn: string) => {
      if (text === UNKNOWN || isUnknownValue(text)) return void unknown.push({ what: where, urn });
      if (typeof text === "string") for (const v of cspValuesInText(text)) judge(where, v, urn);
    };
    // CloudFront response headers policies.
    for (const r of ofTypes(args.resources, RHP)) {
      const where = `response headers policy '${r.name}' (securityHeadersConfig.contentSecurityPolicy)`;
      judge(where, peek(r.props, "securityHeadersConfig", "contentSecurityPolicy", "contentSecurityPolicy"), r.urn);
      const items = peek(r.props, "customHeadersConfig", "items");
      if (items === UNKNOWN) unknown.push({ what: `response headers policy '${r.name}' custom headers`, urn: r.urn });
      else
        for (const i of asArray<any>(items))
          if (String(peek(i, "header") ?? "").toLowerCase() === "content-security-policy")
            judge(`response headers policy '${r.name}' (customHeadersConfig)`, peek(i, "value"), r.urn);
    }
    // Cloudflare: response-header transform rulesets and Workers' static-asset _headers.
    for (const r of ofTypes(args.resources, "cloudflare:index/ruleset:Ruleset")) judgeMap(`ruleset '${r.name}'`, rulesetHeaderMap(r), r.urn);
    for (const w of ofTypes(args.resources, ...WORKER_SCRIPT_TYPES)) {
      judgeText(`worker '${w.name}' code`, peek(w.props, "content"), w.urn);
      judgeText(`worker '${w.name}' assets _headers`, peek(w.props, "assets", "config", "headers"), w.urn);
    }
    // Kubernetes: ingress-nginx snippets, custom-headers ConfigMaps, chart add-headers; Traefik Middlewares.
    const configMaps = ofTypes(args.resources, K8S.configMap);
    for (const ing of ofTypes(args.resources, K8S.ingress)) {
      const a = peek(ing.props, "metadata", "annotations");
      const name = ing.props.metadata?.name ?? ing.name;
      if (a === UNKNOWN) {
        unknown.push({ what: `Ingress '${name}' annotations`, urn: ing.urn });
        continue;
      }
      for (const k of ["nginx.ingress.kubernetes.io/configuration-snippet", "nginx.ingress.kubernetes.io/server-snippet"])
        judgeText(`Ingress '${name}' annotation ${k}`, peek(a, k), ing.urn);
      const ref = peek(a, "nginx.ingress.kubernetes.io/custom-headers");
      if (typeof ref !== "string") continue;
      const ns = ing.props.metadata?.namespace ?? "default";
      const [cns, cname] = ref.includes("/") ? ref.split("/", 2) : [ns, ref];
      const cm = configMaps.find((c) => (c.props.metadata?.name ?? c.name) === cname && (c.props.metadata?.namespace ?? "default") === cns);
      if (cm) judgeMap(`ConfigMap '${cns}/${cname}' (custom-headers of Ingress '${name}')`, peek(cm.props, "data"), cm.urn);
    }
    for (const r of ofTypes(args.resources, K8S.helmRelease)) {
      if (!/ingress-nginx/.test(String(peek(r.props, "chart") ?? ""))) continue;
      judgeMap(`Helm release '${r.name}' values.controller.addHeaders`, peek(r.props, "values", "controller", "addHeaders") ?? {}, r.urn);
    }
    for (const m of ofTypes(args.resources, K8S.traefikMiddleware, K8S.traefikMiddlewareLegacy)) {
      const where = `Traefik Middleware '${m.props.metadata?.name ?? m.name}'`;
      judge(`${where} spec.headers.contentSecurityPolicy`, peek(m.props, "spec", "headers", "contentSecurityPolicy"), m.urn);
      judgeMap(`${where} spec.headers.customResponseHeaders`, peek(m.props, "spec", "headers", "customResponseHeaders") ?? {}, m.urn);
    }
    // Docker-host reverse proxies (the configs headers-proxy-coop-coep reads).
    for (const c of ofTypes(args.resources, "docker:index/container:Container")) {
      const uploads = peek(c.props, "uploads");
      const envs = peek(c.props, "envs");
      if (uploads === UNKNOWN) unknown.push({ what: `container '${c.name}' uploads`, urn: c.urn });
      // An env list (or entry) not known in preview hides the names too: it is not judged on a
      // container that looks like a proxy (name or image), and ignored on others (a database password).
      const proxyLike = PROXY_CONTAINER_RE.test(`${String(peek(c.props, "name") ?? c.name)} ${String(peek(c.props, "image") ?? "")}`);
      if (envs === UNKNOWN && proxyLike) unknown.push({ what: `container '${c.name}' envs`, urn: c.urn });
      const configs: { file: string; content: unknown; kind: string | undefined }[] = [];
      for (const u of asArray<any>(uploads === UNKNOWN ? [] : uploads)) {
        const file = String(peek(u, "file") ?? "");
        const content = peek(u, "content");
        const kind = proxyConfigKind(file, typeof content === "string" ? content : "");
        if (content === UNKNOWN && /caddy|nginx|\.conf$/i.test(file)) unknown.push({ what: `container '${c.name}' ${file}`, urn: c.urn });
        else if (kind) configs.push({ file, content, kind });
      }
      if (Array.isArray(envs)) {
        if (proxyLike && envs.some((e) => isUnknownValue(e) || e === UNKNOWN)) unknown.push({ what: `container '${c.name}' envs`, urn: c.urn });
        configs.push(...envConfigs(envs));
      }
      for (const cfg of configs) {
        const where = `container '${c.name}' ${cfg.file}`;
        if (cfg.kind !== "caddy-json") {
          judgeText(where, cfg.content, c.urn);
          continue;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(cfg.content));
        } catch {
          continue; // tls-proxy-https-only reports a Caddy JSON config that does not parse
        }
        for (const v of cspValuesInJson(parsed)) judge(where, v, c.urn);
      }
    }
    if (unknown.length)
      throw unknownInPreview(
        `the Content-Security-Policy of ${unknown.map((u) => u.what).join(", ")} is not known, so whether it lets inline scripts run was not judged`,
        unknown.map((u) => u.urn),
      );
  },
});

export const headerPolicies = [cloudfrontHeaders, cloudflareHeaders, ingressHeaders, originHeaders, proxyHeaders, cspNoInlineScript, wasmContentType];
