/**
 * The reverse-proxy plan of the single host: which hosts Caddy answers, which routes go to which
 * containers, which CORS and header rules apply. Pure (no Pulumi import): data in, data out.
 *
 * Derived from the SAME ServiceSpec the Kubernetes ingress is built from:
 *   - only `exposure: public` services get routes; `routes[].host` is a label under the domain;
 *   - the upstream port is the route's named port (`http` or `health`); the metrics port is
 *     NEVER an upstream (the spec rejects such routes; this module refuses them again);
 *   - the readiness probe becomes Caddy's active health check, so an unready container is
 *     taken out of rotation like an unready pod;
 *   - `servesWebApp` services get the edge rule table's headers on their responses, and a web
 *     app served by the host itself (static files) gets the table's full behaviour (SPA fallback,
 *     real 404, WASM content type, cache classes) — from components/edge/headers.ts, never re-derived;
 *   - the CSP stays strict for such a web app: the CSP hashes of the inline scripts of the build
 *     being deployed (`webApp.build`, read at deploy time, as the EdgeSite does for its upload)
 *     are added to script-src — a Nuxt build's `window.__NUXT__` config script is otherwise
 *     blocked and the app never boots (found by test/browser/host-caddy.test.ts). The same for a
 *     proxied `servesWebApp` service: `appBuilds.<service>` is the local directory of the build
 *     its image serves (the CI job that builds the image has it), and its hashes are computed
 *     here, never given by hand. A build that cannot give them (missing, or no HTML document: the
 *     pages are rendered per request) is an error naming the field; a servesWebApp service with
 *     no build and no `headerPolicy.scriptHashes` is reported in `unhashedWebApps` (the app boots
 *     only if its HTML has no inline script, as Vite's has none).
 *
 * Rate limits: Caddy's standard distribution (Debian's package and the official image) has no
 * rate-limit handler — it needs the third-party caddy-ratelimit plugin and a custom build. The
 * per-group limits are therefore carried here as data (`rateLimits`) and reported as not enforced
 * by the proxy; the host applies a coarse per-source-IP new-connection limit on 80/443 instead
 * (see `connectionLimitFor` and cloudinit.ts). The edge/Kubernetes ingress enforce the real limits.
 */
import { DEFAULT_REQUEST_BODY_BYTES } from "../service/spec";
import { buildRuleTable, type EdgeRuleTable, type HeaderPolicyInput } from "../edge/headers";
import { buildInlineScriptHashes, webAppServiceProblem, webBuildProblem } from "../edge/build";
import type { ServiceSpec } from "../service/spec";

export interface CorsPlan {
  origins: string[];
  methods: string[];
  /** Request headers a preflight may ask for (Access-Control-Allow-Headers). */
  headers: string[];
  /** Response headers the app's script may read (Access-Control-Expose-Headers). */
  exposeHeaders: string[];
  credentials: boolean;
  maxAgeSeconds: number;
}

export interface ProxyRoute {
  service: string;
  /** Fully-qualified host name. */
  host: string;
  /** Path prefix (`/` = everything). */
  pathPrefix: string;
  group: string;
  /** `host:port` per replica container. */
  upstreams: string[];
  /** Port the upstream listens on (http, or health when the route says so). */
  port: number;
  /** Active health check from the readiness probe. */
  healthCheck: { path: string; port: number; intervalSeconds: number; failures: number };
  cors?: CorsPlan;
  /** The service serves the web app: the edge table's headers apply to its responses. */
  webAppHeaders: boolean;
  /** Largest request body (bytes) of the route's group: the same limit the Traefik path enforces (413). */
  maxRequestBodyBytes: number;
}

export interface ProxySite {
  host: string;
  /** Proxied routes, most specific path first. */
  routes: ProxyRoute[];
  /** Static SPA served by the proxy itself (after the proxied routes). `root` is the path inside the proxy. */
  spa?: { root: string };
}

export interface RateLimitNote {
  service: string;
  group: string;
  requestsPerSecond: number;
  burst: number;
  enforcedBy: "none-on-single-host";
}

export interface ProxyPlan {
  sites: ProxySite[];
  /** The edge rule table (headers, cache classes, SPA fallback, 404). */
  table: EdgeRuleTable;
  /** Per-group limits the proxy does not enforce (see module comment). */
  rateLimits: RateLimitNote[];
  /**
   * Proxied `servesWebApp` services whose inline scripts the CSP cannot allow: no `appBuilds`
   * entry and no `headerPolicy.scriptHashes` (see module comment).
   */
  unhashedWebApps: string[];
}

export interface ProxyPlanInput {
  services: ServiceSpec[];
  /** Stack domain: route host labels live under it. */
  domain: string;
  /** Replica count per service (default 1). */
  replicas?: Record<string, number>;
  /** `https://…` origin that `cors.allowedOrigins: [self]` stands for (the web app's origin). */
  appOrigin?: string;
  /**
   * The host serves the SPA itself: host label and the directory (inside the proxy container).
   * `build`: the local directory of the build being deployed there (the same files); the CSP
   * hashes of its HTML documents' inline scripts are added to script-src.
   */
  webApp?: { host: string; root: string; build?: string };
  /**
   * Per proxied `servesWebApp` service: the local directory of the build its image serves. The
   * CSP hashes of its HTML documents' inline scripts are added to script-src.
   */
  appBuilds?: Record<string, string>;
  /** Header policy for the edge table (same input the EdgeSite takes). */
  headerPolicy?: HeaderPolicyInput;
  /** How a replica is dialled: `(service, replicaIndex, port) => "host:port"`. */
  dial: (service: string, replica: number, port: number) => string;
}

export const fqdnOf = (label: string, domain: string): string => (label === "@" ? domain : `${label}.${domain}`);

/** Build the proxy plan. Throws an Error naming the service and field on anything unroutable. */
export function planProxy(input: ProxyPlanInput): ProxyPlan {
  const table = buildRuleTable(webAppPolicy(input));
  const sites = new Map<string, ProxySite>();
  const site = (host: string) => {
    let s = sites.get(host);
    if (!s) sites.set(host, (s = { host, routes: [] }));
    return s;
  };
  const rateLimits: RateLimitNote[] = [];
  const errors: string[] = [];
  for (const svc of input.services) {
    if (svc.exposure !== "public") continue;
    const replicas = input.replicas?.[svc.name] ?? 1;
    for (const [i, r] of svc.routes.entries()) {
      if (r.port === "metrics") {
        errors.push(`services.${svc.name}.routes[${i}].port: the metrics port is never routed by the proxy`);
        continue;
      }
      if (!r.tls) errors.push(`services.${svc.name}.routes[${i}].tls: public routes always terminate TLS`);
      const port = r.port === "health" ? svc.ports.health : svc.ports.http;
      if (port === undefined) {
        errors.push(`services.${svc.name}.routes[${i}].port: no ${r.port} port declared`);
        continue;
      }
      if (svc.ports.metrics !== undefined && port === svc.ports.metrics) {
        errors.push(`services.${svc.name}.ports.metrics: equals the routed ${r.port} port; metrics must stay unrouted`);
        continue;
      }
      const healthPort = svc.ports.health ?? svc.ports.http;
      let cors: CorsPlan | undefined;
      if (svc.cors) {
        const origins = svc.cors.allowedOrigins.map((o) => (o === "self" ? input.appOrigin : o.replace(/\/$/, "")));
        if (origins.some((o) => o === undefined)) {
          errors.push(`services.${svc.name}.cors.allowedOrigins: 'self' needs the app origin (the stack has no web app host)`);
        }
        cors = {
          origins: [...new Set(origins.filter((o): o is string => !!o))],
          methods: svc.cors.allowedMethods,
          headers: svc.cors.allowedHeaders,
          exposeHeaders: svc.cors.exposedHeaders,
          credentials: svc.cors.allowCredentials,
          maxAgeSeconds: svc.cors.maxAgeSeconds,
        };
      }
      site(fqdnOf(r.host, input.domain)).routes.push({
        service: svc.name,
        host: fqdnOf(r.host, input.domain),
        pathPrefix: r.path.length > 1 ? r.path.replace(/\/+$/, "") : "/",
        group: r.group,
        upstreams: Array.from({ length: replicas }, (_, k) => input.dial(svc.name, k, port)),
        port,
        healthCheck: {
          path: svc.probes.readiness.path,
          port: healthPort,
          intervalSeconds: svc.probes.readiness.periodSeconds,
          failures: svc.probes.readiness.failureThreshold,
        },
        ...(cors ? { cors } : {}),
        webAppHeaders: svc.servesWebApp,
        maxRequestBodyBytes: svc.requestBodyLimits[r.group] ?? DEFAULT_REQUEST_BODY_BYTES,
      });
    }
    rateLimits.push(...rateLimitNotes([svc]));
  }
  if (input.webApp) site(fqdnOf(input.webApp.host, input.domain)).spa = { root: input.webApp.root };
  for (const s of sites.values()) {
    s.routes.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
    const seen = new Set<string>();
    for (const r of s.routes) {
      if (seen.has(r.pathPrefix)) errors.push(`route ${s.host}${r.pathPrefix} is served by two services: give each a distinct host or path`);
      seen.add(r.pathPrefix);
    }
  }
  if (errors.length) throw new Error(`host proxy plan: invalid routes\n  - ${[...new Set(errors)].join("\n  - ")}`);
  const unhashedWebApps =
    input.headerPolicy?.scriptHashes !== undefined
      ? []
      : input.services
          .filter((s) => s.exposure === "public" && s.servesWebApp && s.routes.length > 0 && input.appBuilds?.[s.name] === undefined)
          .map((s) => s.name);
  return { sites: [...sites.values()].sort((a, b) => a.host.localeCompare(b.host)), table, rateLimits, unhashedWebApps };
}

/**
 * The header policy of the host's web app: the given policy plus the CSP hashes of the inline
 * scripts of the builds being deployed — the SPA the proxy serves (`webApp.build`) and the builds
 * the `servesWebApp` services' images serve (`appBuilds`). Throws naming the field when a build
 * cannot give them: not a directory (a typo would silently deploy a CSP that blocks the app), or,
 * for a service's build, no HTML document in it (pages rendered per request have per-response
 * inline scripts that no deploy-time hash allows), or a key that is no public servesWebApp service.
 */
export function webAppPolicy(
  input: Pick<ProxyPlanInput, "headerPolicy" | "webApp" | "appBuilds"> & { services?: Pick<ServiceSpec, "name" | "exposure" | "servesWebApp">[] },
): HeaderPolicyInput {
  const policy = input.headerPolicy ?? {};
  const errors: string[] = [];
  const hashes: string[] = [];
  const build = input.webApp?.build;
  if (build !== undefined) {
    const problem = webBuildProblem(build, "the build being deployed", false);
    if (problem) errors.push(`webApp.build: ${problem}`);
    else hashes.push(...buildInlineScriptHashes(build));
  }
  for (const [svc, dir] of Object.entries(input.appBuilds ?? {})) {
    const problem =
      webAppServiceProblem(input.services ?? [], svc) ?? webBuildProblem(dir, `the build ${svc}'s image serves (e.g. the dist/ the image copies)`, true);
    if (problem) errors.push(`appBuilds.${svc}: ${problem}`);
    else hashes.push(...buildInlineScriptHashes(dir));
  }
  if (errors.length) throw new Error(`host proxy plan: invalid web app builds\n  - ${errors.join("\n  - ")}`);
  if (hashes.length === 0) return policy;
  return { ...policy, scriptHashes: [...new Set([...(policy.scriptHashes ?? []), ...hashes])] };
}

/** The services' per-group rate limits, as notes of what the proxy does not enforce. */
export function rateLimitNotes(services: Pick<ServiceSpec, "name" | "exposure" | "rateLimits">[]): RateLimitNote[] {
  return services
    .filter((s) => s.exposure === "public")
    .flatMap((s) =>
      Object.entries(s.rateLimits).map(([group, rl]) => ({
        service: s.name,
        group,
        requestsPerSecond: rl.requestsPerSecond,
        burst: rl.burst,
        enforcedBy: "none-on-single-host" as const,
      })),
    );
}

/**
 * The coarse per-source-IP new-connection limit on 80/443 that stands in for the proxy's missing
 * rate limiter: the most generous group (so no group is throttled below its own limit, since one
 * keep-alive connection carries many requests), or 50/s with burst 100 when no group is declared.
 */
export function connectionLimitFor(plan: Pick<ProxyPlan, "rateLimits">): { perSecond: number; burst: number } {
  if (plan.rateLimits.length === 0) return { perSecond: 50, burst: 100 };
  const perSecond = Math.max(...plan.rateLimits.map((r) => r.requestsPerSecond));
  const burst = Math.max(...plan.rateLimits.map((r) => r.requestsPerSecond + r.burst));
  return { perSecond, burst: Math.max(burst, perSecond) };
}
