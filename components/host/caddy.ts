/**
 * Caddy JSON config from a ProxyPlan. Pure: the same function renders the production config
 * (ACME certificates, ports 80/443) and the test config (internal CA, loopback, free ports),
 * and the tests run the real Caddy binary from Debian against it.
 *
 * Why Caddy: automatic ACME certificates (obtain + renew, TLS-ALPN/HTTP challenges) with no
 * certbot cron, a JSON config that can be generated exactly (ordered routes, explicit error
 * routes) and RE2 path regexes that the edge rule table is written for.
 * Why JSON rather than a Caddyfile: the Caddyfile re-orders directives by its own rules; the
 * edge table is first-match-wins, which JSON route `group`s express literally.
 *
 * Only directives present in Caddy 2.6 (Debian bookworm) are used, so the Debian binary the
 * tests run and the pinned container image interpret the config the same way.
 */
import type { EdgeRuleTable } from "../edge/headers";
import { UPSTREAM_CORS_HEADERS } from "../service/ingress";
import type { CorsPlan, ProxyPlan, ProxyRoute, ProxySite } from "./proxy";

export interface CaddyRenderOptions {
  /** `acme`: Let's Encrypt (staging directory when `staging`); `internal`: Caddy's own CA (tests). */
  tls: { issuer: "acme"; email: string; staging: boolean } | { issuer: "internal" };
  /** Bind address ("" = all interfaces) and ports. */
  listen: { address: string; httpPort: number; httpsPort: number };
  /** Certificate/ACME storage directory (a named volume in production). */
  storageRoot: string;
}

export const LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
export const LETSENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

type Json = Record<string, unknown>;

/** Response headers the upstream may not set: the proxy decides CORS, and `Server` is not disclosed. */
const STRIPPED_UPSTREAM_HEADERS = [...UPSTREAM_CORS_HEADERS, "Server"];

const headerMap = (h: Record<string, string>): Record<string, string[]> => Object.fromEntries(Object.entries(h).map(([k, v]) => [canonical(k), [v]]));

/** `cross-origin-embedder-policy` → `Cross-Origin-Embedder-Policy` (HTTP is case-insensitive; Caddy canonicalises anyway). */
export const canonical = (name: string): string => name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());

/** The headers every API (non-web-app) response carries. */
function apiCommon(table: EdgeRuleTable): Record<string, string> {
  return { "strict-transport-security": table.common["strict-transport-security"]!, "x-content-type-options": "nosniff" };
}

const setHeaders = (h: Record<string, string>, extra: Json = {}): Json => ({
  handler: "headers",
  response: { set: headerMap(h), deferred: true, ...extra },
});

const extOf = (key: string): string | undefined => {
  const slash = key.lastIndexOf("/");
  const dot = key.lastIndexOf(".");
  return dot > slash ? key.slice(dot + 1).toLowerCase() : undefined;
};

/** Content-Type by extension, first match wins (same map the edge uses). */
function contentTypeRoutes(table: EdgeRuleTable): Json[] {
  return Object.entries(table.contentTypes).map(([ext, type]) => ({
    group: "content-type",
    match: [{ path: [`*.${ext}`] }],
    handle: [setHeaders({ "content-type": type })],
  }));
}

/** Class headers (cache-control) for each edge rule, first match wins; `extra` adds the rule's serving handlers. */
function classRoutes(table: EdgeRuleTable, group: string, extra: (rule: EdgeRuleTable["rules"][number]) => Json[]): Json[] {
  return table.rules.map((rule, i) => {
    const headers = { ...rule.headers };
    if (rule.serve === "index") {
      const t = table.contentTypes[extOf(table.spa.indexKey) ?? ""];
      if (t) headers["content-type"] = t;
    }
    return {
      group,
      match: [{ path_regexp: { name: `edge${i}`, pattern: rule.pattern } }],
      handle: [setHeaders(headers), ...extra(rule)],
    };
  });
}

function corsRoutes(cors: CorsPlan, table: EdgeRuleTable): Json[] {
  const allow: Record<string, string> = {
    "access-control-allow-origin": "{http.request.header.Origin}",
    ...(cors.credentials ? { "access-control-allow-credentials": "true" } : {}),
  };
  return [
    {
      // Preflight from an allowed origin: answered by the proxy, never reaches the upstream.
      match: [{ method: ["OPTIONS"], header: { Origin: cors.origins, "Access-Control-Request-Method": ["*"] } }],
      handle: [
        {
          handler: "static_response",
          status_code: 204,
          headers: headerMap({
            ...apiCommon(table),
            ...allow,
            "access-control-allow-methods": cors.methods.join(", "),
            // Exactly the spec's list, as the ingress controllers answer (not an echo of what was asked).
            "access-control-allow-headers": cors.headers.join(", "),
            "access-control-max-age": String(cors.maxAgeSeconds),
            vary: "Origin",
          }),
        },
      ],
      terminal: true,
    },
    // Every response of the route varies by Origin (with an allowed one, another or none): a
    // response cached without the CORS headers must not be reused for the app's fetch. Added to
    // the upstream's own Vary (Accept-Encoding...), never replacing it.
    { handle: [{ handler: "headers", response: { add: { Vary: ["Origin"] }, deferred: true } }] },
    {
      match: [{ header: { Origin: cors.origins } }],
      handle: [setHeaders({ ...allow, ...(cors.exposeHeaders.length ? { "access-control-expose-headers": cors.exposeHeaders.join(", ") } : {}) })],
    },
  ];
}

function reverseProxy(r: ProxyRoute): Json {
  return {
    handler: "reverse_proxy",
    upstreams: r.upstreams.map((dial) => ({ dial })),
    ...(r.upstreams.length > 1 ? { load_balancing: { selection_policy: { policy: "round_robin" } } } : {}),
    health_checks: {
      active: {
        uri: r.healthCheck.path,
        ...(r.healthCheck.port !== r.port ? { port: r.healthCheck.port } : {}),
        interval: `${r.healthCheck.intervalSeconds}s`,
        timeout: "5s",
      },
      passive: { fail_duration: "30s", max_fails: r.healthCheck.failures },
    },
    headers: { response: { delete: STRIPPED_UPSTREAM_HEADERS } },
  };
}

function proxiedRoute(r: ProxyRoute, table: EdgeRuleTable): Json {
  const handlers: Json[] = [];
  if (r.cors) handlers.push(...corsRoutes(r.cors, table));
  // An app server that serves the web app gets the table's common headers (CSP, COOP, COEP, ...)
  // and keeps its own Content-Type and Cache-Control (headers.ts: responses of an application
  // origin): the table's file classes are for files the proxy serves itself. Applying them here
  // relabelled the app's JSON API responses text/html + no-cache (every extension-less path is an
  // SPA route) and served Vite's hashed /assets/* max-age=0 (found by test/browser).
  if (r.webAppHeaders) handlers.push({ handle: [setHeaders(table.common)] });
  // The route group's body limit, as on Traefik (components/service/ingress.ts): Caddy's
  // request_body handler (Caddy ≥ 2.0; max_size in bytes) caps the body the proxy reads; over it
  // the client gets 413 (test/host/caddy.real.test.ts, Debian's Caddy 2.6.2).
  handlers.push({ handle: [{ handler: "request_body", max_size: r.maxRequestBodyBytes }, reverseProxy(r)] });
  return {
    ...(r.pathPrefix === "/" ? {} : { match: [{ path: [r.pathPrefix, `${r.pathPrefix}/*`] }] }),
    handle: [{ handler: "subroute", routes: handlers }],
    terminal: true,
  };
}

function spaRoutes(root: string, table: EdgeRuleTable): Json[] {
  const fileServer = { handler: "file_server", root, index_names: [] as string[] };
  return [
    { handle: [setHeaders(table.common)] },
    ...contentTypeRoutes(table),
    ...classRoutes(table, "spa-class", (rule) => (rule.serve === "index" ? [{ handler: "rewrite", uri: `/${table.spa.indexKey}` }, fileServer] : [fileServer])),
  ];
}

function siteRoute(s: ProxySite, table: EdgeRuleTable): Json {
  // Caddy adds `Server: Caddy` before any handler; the site's outermost headers handler removes it.
  const routes: Json[] = [
    { handle: [setHeaders(s.spa ? table.common : apiCommon(table), { delete: ["Server"] })] },
    ...s.routes.map((r) => proxiedRoute(r, table)),
  ];
  if (s.spa) routes.push(...spaRoutes(s.spa.root, table));
  return { match: [{ host: [s.host] }], handle: [{ handler: "subroute", routes }], terminal: true };
}

/**
 * Errors (a missing SPA asset, an upstream down): a real status with no-store, never index.html.
 * A body over the route's `request_body` limit is 413, as on Traefik: Caddy 2.6 (Debian's 2.6.2)
 * reports the reverse proxy's read error as 502, its message carrying Go's MaxBytesReader error
 * ("http: request body too large"); later Caddy answers 413 itself, which this route keeps.
 */
function errorRoutes(s: ProxySite, table: EdgeRuleTable): Json[] {
  const headers = s.spa ? { ...table.common, ...table.notFound.headers } : { ...apiCommon(table), ...table.notFound.headers };
  const answer = (status: string | number, body: string) => [
    { handler: "headers", response: { delete: ["Server"] } },
    { handler: "static_response", status_code: status, headers: headerMap(headers), body },
  ];
  return [
    {
      match: [{ host: [s.host], vars_regexp: { "{http.error.message}": { pattern: "request body too large" } } }],
      handle: answer(413, "Request Entity Too Large"),
      terminal: true,
    },
    { match: [{ host: [s.host] }], handle: answer("{http.error.status_code}", "{http.error.status_text}"), terminal: true },
  ];
}

const bind = (address: string, port: number) => `${address}:${port}`;

/** The whole Caddy config (an object; `JSON.stringify` it for `caddy run --config`). */
export function renderCaddyConfig(plan: ProxyPlan, opts: CaddyRenderOptions): Json {
  const { table } = plan;
  const hosts = plan.sites.map((s) => s.host);
  if (hosts.length === 0) throw new Error("host proxy: no public host to serve (no public service routes and no web app)");
  const { address, httpPort, httpsPort } = opts.listen;
  const portSuffix = httpsPort === 443 ? "" : `:${httpsPort}`;
  const notFound = { handle: [{ handler: "static_response", status_code: 404, body: table.notFound.body }] };
  const issuer =
    opts.tls.issuer === "internal"
      ? { module: "internal" }
      : { module: "acme", email: opts.tls.email, ca: opts.tls.staging ? LETSENCRYPT_STAGING : LETSENCRYPT };
  return {
    admin: { disabled: true, config: { persist: false } },
    storage: { module: "file_system", root: opts.storageRoot },
    apps: {
      http: {
        http_port: httpPort,
        https_port: httpsPort,
        servers: {
          https: {
            listen: [bind(address, httpsPort)],
            protocols: ["h1", "h2"],
            routes: [...plan.sites.map((s) => siteRoute(s, table)), notFound],
            errors: { routes: plan.sites.flatMap((s) => errorRoutes(s, table)) },
            tls_connection_policies: [{ protocol_min: "tls1.2" }],
            logs: {},
          },
          http: {
            listen: [bind(address, httpPort)],
            protocols: ["h1"],
            routes: [
              {
                match: [{ host: hosts }],
                handle: [
                  {
                    handler: "static_response",
                    status_code: 308,
                    headers: { Location: [`https://{http.request.host}${portSuffix}{http.request.uri}`] },
                  },
                ],
                terminal: true,
              },
              notFound,
            ],
          },
        },
      },
      tls: { automation: { policies: [{ subjects: hosts, issuers: [issuer] }] } },
      ...(opts.tls.issuer === "internal" ? { pki: { certificate_authorities: { local: { install_trust: false } } } } : {}),
    },
  };
}

/** Every `dial` address in a rendered config (for tests and policy checks). */
export function dialsOf(config: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "dial" && typeof x === "string") out.push(x);
        else walk(x);
      }
    }
  };
  walk(config);
  return out;
}
