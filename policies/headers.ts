/**
 * Cross-origin isolation on every edge site: COOP same-origin and COEP require-corp (or an
 * explicit credentialless), and `.wasm` served as application/wasm. Mandatory in every tier.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { envConfigs, proxyConfigKind, staticSitesWithoutIsolationHeaders } from "./lib/proxyconf";
import { cloudflareZones } from "./tls";
import { asArray, depsOf, forTypes, headerMapProblems, headerTextProblems, isSet, K8S, peek, ofTypes, resourcePolicy, stackPolicy, WASM_TYPE_RE } from "./lib/util";

const RHP = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy";
const CF_FUNCTION = "aws:cloudfront/function:Function";

export function rhpProblems(props: any): string[] {
  const items = asArray<any>(props?.customHeadersConfig?.items);
  const map: Record<string, string> = {};
  for (const i of items) if (i?.header) map[String(i.header)] = String(i.value ?? "");
  return headerMapProblems(map);
}

export const cloudfrontHeaders: StackValidationPolicy = stackPolicy({
  name: "headers-cloudfront-coop-coep",
  description: "Every CloudFront cache behaviour adds COOP same-origin and COEP require-corp/credentialless, through a response headers policy or a viewer-response CloudFront Function.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    for (const d of ofTypes(args.resources, "aws:cloudfront/distribution:Distribution")) {
      const behaviors: { key: string; path: string; b: any }[] = [
        { key: "defaultCacheBehavior", path: "default", b: d.props.defaultCacheBehavior },
        ...asArray<any>(d.props.orderedCacheBehaviors).map((b) => ({ key: "orderedCacheBehaviors", path: String(b?.pathPattern ?? "?"), b })),
      ];
      for (const { key, path, b } of behaviors) {
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
        return (h === "cross-origin-opener-policy" && v !== "same-origin") || (h === "cross-origin-embedder-policy" && v !== "require-corp" && v !== "credentialless");
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
  description: "Cloudflare Workers that serve a site set COOP/COEP (in their code or static-asset _headers), or their zone sets both with a response-header transform ruleset.",
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
      const myRoutes = routes.filter((r) => depsOf(r, r.type.endsWith("WorkersRoute") ? "script" : "service").some((d) => d.urn === w.urn) || (scriptName && (r.props.script === scriptName || r.props.service === scriptName)));
      const zoneKeys = [...zones].filter(([, z]) => z.members.some((m) => myRoutes.includes(m))).map(([k]) => k);
      if (zoneKeys.length > 0 && zoneKeys.every((k) => zoneOk.get(k))) continue;
      const missing = [...new Set(texts.flatMap(headerTextProblems))];
      report(`worker '${scriptName ?? w.name}' does not set ${missing.length ? missing.join(" and ") : "COOP/COEP"} and no response-header transform ruleset on its zone does`, w.urn);
    }
  },
});

/** An Ingress that serves a site root ("/") and is not marked API-only. */
export function isSiteIngress(props: any): boolean {
  if (props?.metadata?.annotations?.["platform.io/api-only"] === "true") return false;
  return asArray<any>(props?.spec?.rules).some((r) => asArray<any>(r?.http?.paths).some((p) => (p?.path ?? "/") === "/"));
}

export const ingressHeaders: StackValidationPolicy = stackPolicy({
  name: "headers-ingress-coop-coep",
  description: "Every Ingress that serves a site root sets COOP/COEP (ingress-nginx snippet, custom-headers ConfigMap or controller add-headers; Traefik headers middleware). Mark API-only ingresses with annotation platform.io/api-only: \"true\".",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const configMaps = ofTypes(args.resources, K8S.configMap);
    const cmHeaders = (ref: string, defaultNs: string): Record<string, string> | undefined => {
      const [ns, name] = ref.includes("/") ? ref.split("/", 2) : [defaultNs, ref];
      return configMaps.find((c) => (c.props.metadata?.name ?? c.name) === name && (c.props.metadata?.namespace ?? "default") === ns)?.props.data;
    };
    const nginxGlobalOk = ofTypes(args.resources, K8S.helmRelease).some((r) => /ingress-nginx/.test(String(r.props.chart ?? "")) && headerMapProblems(r.props.values?.controller?.addHeaders ?? {}).length === 0);
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
      const mwRefs = (a["traefik.ingress.kubernetes.io/router.middlewares"] ?? "").split(",").map((s) => s.trim().replace(/@kubernetescrd$/, "")).filter(Boolean);
      const mwOk = mwRefs.some((ref) =>
        middlewares.some((m) => {
          const mns = m.props.metadata?.namespace ?? "default";
          const mname = m.props.metadata?.name ?? m.name;
          return (ref === `${mns}-${mname}` || ref === mname) && headerMapProblems(m.props.spec?.headers?.customResponseHeaders ?? {}).length === 0;
        }),
      );
      if (mwOk) continue;
      report(`Ingress '${ing.props.metadata?.name ?? ing.name}' serves a site root without COOP same-origin / COEP require-corp; add them (or annotate platform.io/api-only: "true" if it serves no pages)`, ing.urn);
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
      for (const site of staticSitesWithoutIsolationHeaders(c.kind, c.content)) report(`${c.file}: site '${site}' serves files without Cross-Origin-Opener-Policy same-origin / Cross-Origin-Embedder-Policy require-corp`);
    }
  }),
});

export const wasmContentType: ResourceValidationPolicy = resourcePolicy({
  name: "headers-wasm-content-type",
  description: "WebAssembly is served as application/wasm: S3 objects with a .wasm key carry that content type, and Workers that mention .wasm map it to application/wasm.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: [
    forTypes(["aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject"], (props, _args, report) => {
      if (/\.wasm$/i.test(String(props.key ?? "")) && props.contentType !== "application/wasm") report(`object '${props.key}' has contentType '${props.contentType ?? "(unset: binary/octet-stream)"}'; set application/wasm or browsers refuse streaming compilation`);
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

export const headerPolicies = [cloudfrontHeaders, cloudflareHeaders, ingressHeaders, proxyHeaders, wasmContentType];
