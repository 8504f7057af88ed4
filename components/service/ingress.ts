/**
 * Ingress manifests of a public service (pure). One Ingress per route group, because the
 * rate limit is per Ingress in both controllers:
 *  - ingress-nginx: `limit-rps` / `limit-burst-multiplier`, CORS annotations with the exact
 *    origins, forced HTTP→HTTPS redirect; HSTS is set controller-wide (addons.ts values).
 *  - Traefik: `Middleware` CRDs (traefik.io/v1alpha1) — a RateLimit per group and one Headers
 *    middleware (HSTS + CORS) — attached through the router annotation; HTTP→HTTPS redirect is on
 *    the `web` entry point (addons.ts values).
 * TLS on every Ingress, certificates from the cert-manager ClusterIssuer (ingress-shim).
 * Only `http`/`health` ports are ever backends; `metrics` never is.
 */
import type { Manifest, PlanInput } from "./plan";

const fqdn = (label: string, domain: string) => (label === "@" ? domain : `${label}.${domain}`);

export function ingressManifests(a: PlanInput, base: string, labels: Record<string, string>, canary: boolean): { manifests: { key: string; manifest: Manifest }[]; hosts: string[] } {
  const s = a.spec;
  const ing = a.ingress!;
  const ns = a.namespace;
  const out: { key: string; manifest: Manifest }[] = [];
  const origins = (s.cors?.allowedOrigins ?? []).map((o) => (o === "self" ? a.selfOrigin! : o));
  const groups = [...new Set(s.routes.map((r) => r.group))].sort();
  const allHosts = new Set<string>();
  const HSTS_SECONDS = 31_536_000;

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
            ...(s.cors
              ? {
                  accessControlAllowOriginList: origins,
                  accessControlAllowMethods: s.cors.allowedMethods,
                  accessControlAllowCredentials: s.cors.allowCredentials,
                  accessControlMaxAge: s.cors.maxAgeSeconds,
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
    if (ing.clusterIssuer) annotations["cert-manager.io/cluster-issuer"] = ing.clusterIssuer;
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
        annotations["nginx.ingress.kubernetes.io/cors-allow-credentials"] = String(s.cors.allowCredentials);
        annotations["nginx.ingress.kubernetes.io/cors-max-age"] = String(s.cors.maxAgeSeconds);
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
    const tls = [{ hosts, secretName: `${base}-${g}-tls` }];
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
      // Same hosts/paths; nginx sends `canary-weight`% to the canary Service. No issuer annotation:
      // the certificate belongs to the main Ingress (same secret).
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
