/**
 * Ingress manifests of a public service on Traefik (pure). One Ingress per route group, each
 * with its own RateLimit and body-limit (Buffering) Middleware (traefik.io/v1alpha1), and one Headers Middleware for the
 * service (HSTS, CORS, upstream CORS headers removed, the web-app headers), attached through the
 * router annotation; routers only on `websecure`, whose HTTP→HTTPS redirect is on the `web` entry
 * point (addons.ts values). ingress-nginx was retired in March 2026; docs/design.md maps each of
 * its former settings to what is set here.
 * TLS on every Ingress: one entry per host, naming that host's one Secret (`tlsSecretName`). The
 * certificate behind it is one cert-manager `Certificate` per host (`hostCertificates`, created once
 * per namespace by the services composer), not ingress-shim: shim would request one certificate per
 * Ingress, and a service with several route groups (or several services on one host) would ask
 * Let's Encrypt for the same names again and again (5 duplicate certificates per week, then refused).
 * Only `http`/`health` ports are ever backends; `metrics` never is.
 */
import { resolveHeaderPolicy, withScriptHashes } from "../edge/headers";
import type { Manifest, PlanInput } from "./types";
import { DEFAULT_REQUEST_BODY_BYTES } from "./spec";

/**
 * The CORS response headers an upstream may NOT send to the browser: the proxy in front decides
 * CORS from the spec (`cors`), for exactly the spec's origins, and an API's own headers are removed
 * on every response of every runtime. Without that, an API whose framework answers CORS itself
 * (a CORS plugin at its defaults: `Access-Control-Allow-Origin: *`, every preflight allowed) is
 * readable from ANY origin, whatever the spec says, because the proxies set their CORS headers
 * only for an allowed origin and pass the upstream's through otherwise (first seen in the browser
 * on ingress-nginx, before it was retired: a page on a foreign origin read the API):
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
export function webAppHeaders(h: {
  coep: "require-corp" | "credentialless";
  csp?: string | undefined;
  scriptHashes?: string[] | undefined;
}): Record<string, string> {
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
    metadata: {
      name: tlsSecretName(host),
      namespace,
      labels: { "app.kubernetes.io/managed-by": "pulumi", "platform.io/host": host.length <= 63 ? host : host.slice(0, 63).replace(/[-.]+$/, ""), ...labels },
    },
    spec: {
      secretName: tlsSecretName(host),
      dnsNames: [host],
      issuerRef: { kind: "ClusterIssuer", name: clusterIssuer, group: "cert-manager.io" },
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    },
  }));
}

export function ingressManifests(
  a: PlanInput,
  base: string,
  labels: Record<string, string>,
): { manifests: { key: string; manifest: Manifest }[]; hosts: string[] } {
  const s = a.spec;
  const ing = a.ingress!;
  const ns = a.namespace;
  const out: { key: string; manifest: Manifest }[] = [];
  const origins = (s.cors?.allowedOrigins ?? []).map((o) => (o === "self" ? a.selfOrigin! : o));
  const groups = [...new Set(s.routes.map((r) => r.group))].sort();
  const allHosts = new Set<string>();
  const HSTS_SECONDS = 31_536_000;
  // API-only services are marked (the policy pack then knows no page is served); a service serving
  // the web app gets the isolation headers in the headers Middleware.
  const web = s.servesWebApp ? webAppHeaders(a.webHeaders) : undefined;
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

  for (const g of groups) {
    const routes = s.routes.filter((r) => r.group === g);
    const hosts = [...new Set(routes.map((r) => fqdn(r.host, a.domain)))].sort();
    hosts.forEach((h) => allHosts.add(h));
    const limit = s.rateLimits[g];
    const annotations: Record<string, string> = {};
    if (!web) annotations["platform.io/api-only"] = "true";
    // Chain order: the group's RateLimit Middleware first (429 before any other work), then the
    // headers Middleware, then the group's body limit (Buffering, 413), inside headers so that a 413
    // still carries HSTS and, for a listed origin, CORS (a browser can read why it was refused).
    const bodyLimit = s.requestBodyLimits[g] ?? DEFAULT_REQUEST_BODY_BYTES;
    out.push({
      key: `mw-bodylimit-${g}`,
      manifest: {
        apiVersion: "traefik.io/v1alpha1",
        kind: "Middleware",
        metadata: { name: `${base}-bodylimit-${g}`, namespace: ns, labels },
        // Traefik's Buffering reads the whole body before forwarding: up to memRequestBodyBytes in
        // memory, the rest in the pod's /tmp emptyDir; over maxRequestBodyBytes it answers 413
        // without calling the service. It buffers the response as well (no response limit set).
        spec: { buffering: { maxRequestBodyBytes: bodyLimit, memRequestBodyBytes: Math.min(bodyLimit, DEFAULT_REQUEST_BODY_BYTES) } },
      },
    });
    const mws = [`${ns}-${base}-headers@kubernetescrd`, `${ns}-${base}-bodylimit-${g}@kubernetescrd`];
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
    const rules = (service: string) =>
      hosts.map((host) => ({
        host,
        http: {
          paths: routes
            .filter((r) => fqdn(r.host, a.domain) === host)
            .map((r) => ({
              path: r.path,
              pathType: "Prefix",
              backend: { service: { name: service, port: { name: r.port === "health" ? "health" : "http" } } },
            })),
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
  }
  return { manifests: out, hosts: [...allHosts].sort() };
}
