/**
 * Ingress manifests of a public service (pure). One Ingress per route group, because the
 * rate limit is per Ingress in both controllers:
 *  - ingress-nginx: `limit-rps` / `limit-burst-multiplier`, CORS annotations with the exact
 *    origins, forced HTTP→HTTPS redirect; HSTS and the removal of upstream CORS headers
 *    (`hide-headers`, UPSTREAM_CORS_HEADERS) are set controller-wide (addons.ts values).
 *  - Traefik: `Middleware` CRDs (traefik.io/v1alpha1) — a RateLimit per group and one Headers
 *    middleware (HSTS + CORS, upstream CORS headers removed) — attached through the router annotation; HTTP→HTTPS redirect is on
 *    the `web` entry point (addons.ts values).
 * TLS on every Ingress: one entry per host, naming that host's one Secret (`tlsSecretName`). The
 * certificate behind it is one cert-manager `Certificate` per host (`hostCertificates`, created once
 * per namespace by the services composer), not ingress-shim: shim would request one certificate per
 * Ingress, and a service with several route groups (or several services on one host) would ask
 * Let's Encrypt for the same names again and again (5 duplicate certificates per week, then refused).
 * Only `http`/`health` ports are ever backends; `metrics` never is.
 */
import { resolveHeaderPolicy, withScriptHashes } from "../edge/headers";
import type { Manifest, PlanInput } from "./plan";

/**
 * The CORS response headers an upstream may NOT send to the browser: the proxy in front decides
 * CORS from the spec (`cors`), for exactly the spec's origins, and an API's own headers are removed
 * on every response of every runtime. Without that, an API whose framework answers CORS itself
 * (a CORS plugin at its defaults: `Access-Control-Allow-Origin: *`, every preflight allowed) is
 * readable from ANY origin, whatever the spec says, because both ingress controllers set their
 * CORS headers only for an allowed origin and pass the upstream's through otherwise:
 *  - ingress-nginx (controller v1.15 nginx.tmpl, template "CORS"): `more_set_headers
 *    'Access-Control-Allow-Origin: $http_origin'` only inside `if ($cors = "true")`, i.e. when the
 *    Origin matches the `cors-allow-origin` regex; a preflight from any other origin is proxied to
 *    the upstream. Found in the browser (the former test/browser/ingress-nginx-api.test.ts): a page on a
 *    foreign origin read the API. There is no per-Ingress way to hide an upstream header without
 *    snippet annotations (off: `allowSnippetAnnotations: false`), so the controller's ConfigMap
 *    option `hide-headers` does it for every Ingress (http-level `proxy_hide_header`, which the
 *    CORS block's `more_set_headers` still overrides for an allowed origin): components/cluster/addons.ts.
 *  - Traefik (v3 pkg/middlewares/headers/header.go, `PostRequestModifyResponseHeaders`): sets
 *    `Access-Control-Allow-Origin` only when `matchOrigin` finds the request's Origin in
 *    `accessControlAllowOriginList`, and leaves the upstream's header untouched otherwise; it
 *    answers every preflight itself when CORS is configured (200, ACAO only for a listed origin).
 *    The same function first applies `customResponseHeaders`, deleting a header whose value is ""
 *    (`res.Header.Del`), so the headers Middleware lists these with "" (before its own ACAO is set).
 *  - Caddy (single host): the reverse proxy deletes them (components/host/caddy.ts).
 */
export const UPSTREAM_CORS_HEADERS = [
  "Access-Control-Allow-Origin",
  "Access-Control-Allow-Credentials",
  "Access-Control-Allow-Methods",
  "Access-Control-Allow-Headers",
  "Access-Control-Expose-Headers",
  "Access-Control-Max-Age",
] as const;

/**
 * Response headers of a service that serves the web app itself (Axum with ServeDir...): the same
 * cross-origin isolation set as the edge (components/edge/headers.ts), so WASM apps keep working,
 * and the same CSP: the edge's policy with the hashes of the served build's inline scripts added to
 * script-src by the edge's own `withScriptHashes` (resolveHeaderPolicy refuses hashes next to
 * 'unsafe-inline', which would switch them off).
 */
export function webAppHeaders(h: { coep: "require-corp" | "credentialless"; csp?: string | undefined; scriptHashes?: string[] | undefined }): Record<string, string> {
  const p = resolveHeaderPolicy({ coep: h.coep, ...(h.csp ? { csp: h.csp } : {}), ...(h.scriptHashes?.length ? { scriptHashes: h.scriptHashes } : {}) });
  return {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": p.coep,
    "Cross-Origin-Resource-Policy": p.corp,
    "Content-Security-Policy": withScriptHashes(p.csp, p.scriptHashes),
    "Referrer-Policy": p.referrerPolicy,
    "X-Content-Type-Options": "nosniff",
  };
}

const fqdn = (label: string, domain: string) => (label === "@" ? domain : `${label}.${domain}`);

/** The one TLS Secret (and Certificate) of a public host in its namespace, shared by every Ingress that serves it. */
export function tlsSecretName(host: string): string {
  return `tls-${host}`;
}

/**
 * One cert-manager Certificate per host (sorted, deduplicated): its Secret is `tlsSecretName(host)`.
 * Pure; the services composer registers them once for every host the namespace's Ingresses serve.
 */
export function hostCertificates(hosts: readonly string[], namespace: string, clusterIssuer: string, labels: Record<string, string> = {}): Manifest[] {
  return [...new Set(hosts)].sort().map((host) => ({
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: tlsSecretName(host), namespace, labels: { "app.kubernetes.io/managed-by": "pulumi", "platform.io/host": host.length <= 63 ? host : host.slice(0, 63).replace(/[-.]+$/, ""), ...labels } },
    spec: { secretName: tlsSecretName(host), dnsNames: [host], issuerRef: { kind: "ClusterIssuer", name: clusterIssuer, group: "cert-manager.io" }, privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" } },
  }));
}

export function ingressManifests(a: PlanInput, base: string, labels: Record<string, string>, canary: boolean): { manifests: { key: string; manifest: Manifest }[]; hosts: string[] } {
  const s = a.spec;
  const ing = a.ingress!;
  const ns = a.namespace;
  const out: { key: string; manifest: Manifest }[] = [];
  const origins = (s.cors?.allowedOrigins ?? []).map((o) => (o === "self" ? a.selfOrigin! : o));
  const groups = [...new Set(s.routes.map((r) => r.group))].sort();
  const allHosts = new Set<string>();
  const HSTS_SECONDS = 31_536_000;
  // API-only services are marked (the policy pack then knows no page is served); a service serving
  // the web app gets the isolation headers: nginx via a per-Ingress custom-headers ConfigMap,
  // Traefik via the headers Middleware.
  const web = s.servesWebApp ? webAppHeaders(a.webHeaders) : undefined;
  const headersCm = `${base}-response-headers`;
  if (web && ing.controller === "nginx") {
    out.push({ key: "response-headers", manifest: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: headersCm, namespace: ns, labels }, data: web } });
  }

  if (ing.controller === "traefik") {
    out.push({
      key: "mw-headers",
      manifest: {
        apiVersion: "traefik.io/v1alpha1",
        kind: "Middleware",
        metadata: { name: `${base}-headers`, namespace: ns, labels },
        spec: {
          headers: {
            stsSeconds: HSTS_SECONDS,
            stsIncludeSubdomains: true,
            forceSTSHeader: true,
            contentTypeNosniff: true,
            // Upstream CORS headers removed ("" deletes), then set by the CORS options below only
            // for a listed origin (UPSTREAM_CORS_HEADERS).
            customResponseHeaders: { ...(web ?? {}), ...Object.fromEntries(UPSTREAM_CORS_HEADERS.map((h) => [h, ""])) },
            ...(s.cors
              ? {
                  accessControlAllowOriginList: origins,
                  accessControlAllowMethods: s.cors.allowedMethods,
                  accessControlAllowHeaders: s.cors.allowedHeaders,
                  accessControlAllowCredentials: s.cors.allowCredentials,
                  accessControlMaxAge: s.cors.maxAgeSeconds,
                  ...(s.cors.exposedHeaders.length ? { accessControlExposeHeaders: s.cors.exposedHeaders } : {}),
                  addVaryHeader: true,
                }
              : {}),
          },
        },
      },
    });
  }

  for (const g of groups) {
    const routes = s.routes.filter((r) => r.group === g);
    const hosts = [...new Set(routes.map((r) => fqdn(r.host, a.domain)))].sort();
    hosts.forEach((h) => allHosts.add(h));
    const limit = s.rateLimits[g];
    const annotations: Record<string, string> = {};
    if (!web) annotations["platform.io/api-only"] = "true";
    else if (ing.controller === "nginx") annotations["nginx.ingress.kubernetes.io/custom-headers"] = `${ns}/${headersCm}`;
    if (ing.controller === "nginx") {
      annotations["nginx.ingress.kubernetes.io/ssl-redirect"] = "true";
      annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] = "true";
      annotations["nginx.ingress.kubernetes.io/backend-protocol"] = "HTTP";
      if (limit) {
        annotations["nginx.ingress.kubernetes.io/limit-rps"] = String(limit.requestsPerSecond);
        annotations["nginx.ingress.kubernetes.io/limit-burst-multiplier"] = String(Math.max(1, Math.ceil(limit.burst / limit.requestsPerSecond)));
      }
      if (s.cors) {
        annotations["nginx.ingress.kubernetes.io/enable-cors"] = "true";
        annotations["nginx.ingress.kubernetes.io/cors-allow-origin"] = origins.join(", ");
        annotations["nginx.ingress.kubernetes.io/cors-allow-methods"] = s.cors.allowedMethods.join(", ");
        annotations["nginx.ingress.kubernetes.io/cors-allow-headers"] = s.cors.allowedHeaders.join(","); // as ingress-nginx writes its default
        annotations["nginx.ingress.kubernetes.io/cors-allow-credentials"] = String(s.cors.allowCredentials);
        annotations["nginx.ingress.kubernetes.io/cors-max-age"] = String(s.cors.maxAgeSeconds);
        if (s.cors.exposedHeaders.length) annotations["nginx.ingress.kubernetes.io/cors-expose-headers"] = s.cors.exposedHeaders.join(", ");
      }
    } else {
      const mws = [`${ns}-${base}-headers@kubernetescrd`];
      if (limit) {
        out.push({
          key: `mw-ratelimit-${g}`,
          manifest: {
            apiVersion: "traefik.io/v1alpha1",
            kind: "Middleware",
            metadata: { name: `${base}-ratelimit-${g}`, namespace: ns, labels },
            spec: { rateLimit: { average: limit.requestsPerSecond, period: "1s", burst: Math.max(1, limit.burst) } },
          },
        });
        mws.unshift(`${ns}-${base}-ratelimit-${g}@kubernetescrd`);
      }
      annotations["traefik.ingress.kubernetes.io/router.entrypoints"] = "websecure";
      annotations["traefik.ingress.kubernetes.io/router.tls"] = "true";
      annotations["traefik.ingress.kubernetes.io/router.middlewares"] = mws.join(",");
    }
    const rules = (service: string) =>
      hosts.map((host) => ({
        host,
        http: {
          paths: routes
            .filter((r) => fqdn(r.host, a.domain) === host)
            .map((r) => ({ path: r.path, pathType: "Prefix", backend: { service: { name: service, port: { name: r.port === "health" ? "health" : "http" } } } })),
        },
      }));
    // One entry per host, each naming the host's shared Secret (hostCertificates).
    const tls = hosts.map((h) => ({ hosts: [h], secretName: tlsSecretName(h) }));
    out.push({
      key: `ingress-${g}`,
      manifest: {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: `${base}-${g}`, namespace: ns, labels: { ...labels, "platform.io/route-group": g }, annotations },
        spec: { ingressClassName: ing.className, tls, rules: rules(base) },
      },
    });
    if (canary && ing.controller === "nginx") {
      // Same hosts/paths; nginx sends `canary-weight`% to the canary Service, with the same per-host secrets.
      out.push({
        key: `ingress-${g}-canary`,
        manifest: {
          apiVersion: "networking.k8s.io/v1",
          kind: "Ingress",
          metadata: {
            name: `${base}-${g}-canary`,
            namespace: ns,
            labels: { ...labels, "platform.io/route-group": g, "platform.io/track": "canary" },
            annotations: {
              "nginx.ingress.kubernetes.io/canary": "true",
              "nginx.ingress.kubernetes.io/canary-weight": String(a.rollout.canaryWeight),
              "nginx.ingress.kubernetes.io/ssl-redirect": "true",
              "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
            },
          },
          spec: { ingressClassName: ing.className, tls, rules: rules(`${base}-canary`) },
        },
      });
    }
  }
  return { manifests: out, hosts: [...allHosts].sort() };
}
