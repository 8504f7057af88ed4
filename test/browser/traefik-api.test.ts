/**
 * API origins behind the Kubernetes ingress the blueprints ship (Traefik), in the browser, through
 * Traefik v3.7.13's own Headers middleware.
 *
 * gateway-flutter-wasm: the Flutter-WASM page on its edge (the EdgeSite Worker in workerd, the
 * blueprint's provider) calls the cat-gateway API on api.<domain> across origins, as the app does
 * (a JSON POST with a bearer token, so with a CORS preflight). The API's origin is the Traefik
 * ingress: the objects the services composer plans for cat-gateway on the Traefik controller (its
 * IngressRoute or Ingress and its headers Middleware), served by `.engine/bin/traefik-crd serve`
 * (./harness.ts startTraefik): each Middleware built by Traefik's own constructor (CORS preflight
 * answers, allowed origins, Vary, expose headers, the upstream's CORS headers removed), in front of
 * our loopback TLS listener, Host/PathPrefix routing and reverse proxy to an API server that does
 * CORS itself, permissively (`Access-Control-Allow-Origin: *`, every preflight allowed). The full
 * traefik binary cannot be built here (tools/engine/README.md, "Traefik"); its providers'
 * translation of the same objects runs for real in test/traefik/providers.real.test.ts.
 * Opened in Debian's Chromium.
 */
import * as https from "node:https";
import * as http from "node:http";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_HASH_CONVENTIONS } from "../../components/edge/plan";
import { withApiOrigins } from "../../stacks/compose/edge";
import {
  API_CACHE_CONTROL,
  API_CONTENT_TYPE,
  blueprint,
  builtApp,
  closeServer,
  edgePlanFor,
  freePort,
  launchChromium,
  openTab,
  plannedTraefik,
  startApi,
  startTraefik,
  startWorker,
  type EdgeRuntime,
  type TraefikRun,
  type Visit,
} from "./harness";

type Res = { status: number; headers: Record<string, string | string[] | undefined> };

/** A request to the ingress from Node (trusting its self-signed certificate), as a browser would send it. */
function ingressRequest(run: TraefikRun, method: string, p: string, headers: Record<string, string>): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: run.httpsPort,
        servername: "api.localhost",
        path: p,
        method,
        ca: run.cert,
        headers: { host: `api.localhost:${run.httpsPort}`, ...headers },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
const list = (v: string | string[] | undefined) =>
  String(v ?? "")
    .split(/\s*,\s*/)
    .filter(Boolean);

describe("Worker (workerd) x gateway-flutter-wasm: the page calls cat-gateway through Traefik's Headers middleware (CORS)", () => {
  let browser: Browser | undefined;
  let runtime: EdgeRuntime | undefined;
  let traefik: TraefikRun | undefined;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  let origin = "";
  let apiOrigin = "";
  let tab: Awaited<ReturnType<typeof openTab>>;
  let first: Visit;
  const bp = blueprint("gateway-flutter-wasm");
  const gateway = bp.services.find((s) => s.name === "cat-gateway")!;

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    // The API does CORS itself, permissively (ACAO *, every preflight allowed), as a framework's
    // CORS plugin at its defaults does: the ingress must keep that from any origin the spec does
    // not allow (the foreign-origin test below).
    api = await startApi({ prefix: "/api/", readiness: gateway.probes.readiness.path });
    traefik = await startTraefik(plannedTraefik(gateway, origin), `127.0.0.1:${api.port}`);
    apiOrigin = `https://api.localhost:${traefik.httpsPort}`;
    const edge = bp.edge!;
    const plan = edgePlanFor(
      "cloudflare",
      { coep: edge.coep, csp: withApiOrigins(edge.csp, [apiOrigin]), hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } },
      builtApp("flutter-wasm", "1"),
    );
    runtime = await startWorker(plan, port);
    browser = await launchChromium({ trustSpki: traefik.spki });
    tab = await openTab(browser);
    first = await tab.load(`${origin}/?api=${encodeURIComponent(apiOrigin)}`);
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await traefik?.stop();
    await closeServer(api?.server);
  });

  it("the route's chain is the planned one: Traefik's headers and buffering (body limit) middlewares built, only the rate limit left out (not linked)", () => {
    const cfg = JSON.parse(traefik!.config);
    const route = cfg.routes.find((r: any) => r.entryPoints.includes("websecure"));
    expect(route.middlewares[0]).toBe("apps-cat-gateway-headers");
    expect(route.middlewares[1]).toMatch(/^apps-cat-gateway-bodylimit-[a-z]+$/);
    expect(route.middlewares).toHaveLength(2);
    expect(Object.keys(cfg.middlewares["apps-cat-gateway-headers"])).toEqual(["headers"]);
    expect(cfg.middlewares[route.middlewares[1]]).toEqual({ buffering: { maxRequestBodyBytes: 1_048_576, memRequestBodyBytes: 1_048_576 } });
    expect(traefik!.notLinked.every((n) => /ratelimit/.test(n))).toBe(true);
  });

  it("the preflighted JSON POST with a bearer token succeeds from the app's origin, cross-origin isolated, zero CSP violations", () => {
    expect({ violations: first.violations, errors: first.errors }).toEqual({ violations: [], errors: [] });
    expect(first.crossOriginIsolated).toBe(true);
    expect(first.result.error).toBeNull();
    expect(first.result.apiError).toBeUndefined();
    expect(first.result.api).toMatchObject({ status: 200, body: { items: ["a", "b"], path: "/api/v1/document" } });
    // the preflight is answered by Traefik's Headers middleware; only the POST reaches the API
    expect(api!.hits.filter((h) => h.endsWith(" /api/v1/document"))).toEqual(["POST /api/v1/document"]);
  });

  it("API responses keep the app's own Content-Type and Cache-Control, with CORS for exactly the app's origin", () => {
    expect(first.result.api).toMatchObject({ contentType: API_CONTENT_TYPE, cacheControl: API_CACHE_CONTROL });
    const res = first.responses.find((r) => r.url.startsWith(apiOrigin) && r.status === 200)!;
    expect(res.headers["access-control-allow-origin"]).toBe(origin);
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined(); // allowCredentials: false
  });

  it("every API response says it varies by Origin (allowed, foreign or none), next to the API's own Vary", async () => {
    const foreign = origin.replace("localhost", "127.0.0.1");
    for (const [what, headers] of [
      ["app's origin", { origin }],
      ["foreign origin", { origin: foreign }],
      ["no Origin", {}],
    ] as const) {
      const r = await ingressRequest(traefik!, "GET", "/api/v1/items", headers);
      const vary = list(r.headers.vary).map((v) => v.toLowerCase());
      expect({ what, status: r.status, vary }).toEqual({ what, status: 200, vary: expect.arrayContaining(["origin", "accept-encoding"]) });
    }
  });

  it("the preflight allows exactly the blueprint's methods and headers, for 600 s, answered by Traefik (200), never by the API", async () => {
    const before = api!.hits.length;
    const pre = await ingressRequest(traefik!, "OPTIONS", "/api/v1/document", {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    });
    expect(pre.status).toBe(200);
    expect(pre.headers["access-control-allow-origin"]).toBe(origin);
    expect(list(pre.headers["access-control-allow-methods"])).toEqual(gateway.cors!.allowedMethods);
    expect(list(pre.headers["access-control-allow-headers"])).toEqual(gateway.cors!.allowedHeaders);
    expect(list(pre.headers["access-control-allow-headers"]).map((h) => h.toLowerCase())).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(pre.headers["access-control-max-age"]).toBe("600");
    expect(pre.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(api!.hits.length).toBe(before);
  });

  it("the same page on a foreign origin is refused although the API answers ACAO *: no CORS header for it, the POST never reaches the API", async () => {
    const foreign = origin.replace("localhost", "127.0.0.1");
    const before = api!.hits.filter((h) => h.startsWith("POST")).length;
    const v = await tab.load(`${foreign}/?api=${encodeURIComponent(apiOrigin)}`);
    expect(v.result.api ?? null).toBeNull();
    expect(v.result.apiError).toMatch(/Failed to fetch/);
    expect(api!.hits.filter((h) => h.startsWith("POST")).length).toBe(before);
    const pre = await ingressRequest(traefik!, "OPTIONS", "/api/v1/document", {
      origin: foreign,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    });
    expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
    const get = await ingressRequest(traefik!, "GET", "/api/v1/cardano/tip", { origin: foreign });
    expect(get.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("HSTS and nosniff on every response; plain HTTP on the web entry point is redirected to https by Traefik's RedirectScheme", async () => {
    const r = await ingressRequest(traefik!, "GET", "/api/v1/items", { origin });
    expect(r.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    const redirect = await new Promise<Res>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: traefik!.httpPort, path: "/api/v1/items?x=1", headers: { host: "api.localhost" } }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://api.localhost:${traefik!.httpsPort}/api/v1/items?x=1`);
  });
});

/**
 * nuxt-fastify-beta-droplet on Kubernetes (staging/prod): the real Nuxt 3 build on its edge (the
 * Worker) calls the Fastify API through the API's planned Traefik objects (the droplet's Caddy path
 * is in edge-worker/edge-cloudfront and host-caddy).
 */
describe("Worker (workerd) x nuxt-fastify-beta-droplet on Kubernetes: the Nuxt build calls its API through Traefik's Headers middleware (CORS)", () => {
  let browser: Browser | undefined;
  let runtime: EdgeRuntime | undefined;
  let traefik: TraefikRun | undefined;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  let origin = "";
  let apiOrigin = "";
  let tab: Awaited<ReturnType<typeof openTab>>;
  let first: Visit;
  const bp = blueprint("nuxt-fastify-beta-droplet");
  const svc = bp.services.find((s) => s.name === "api")!;

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    api = await startApi({ prefix: "/v1/", readiness: svc.probes.readiness.path });
    traefik = await startTraefik(plannedTraefik(svc, origin), `127.0.0.1:${api.port}`);
    apiOrigin = `https://api.localhost:${traefik.httpsPort}`;
    const edge = bp.edge!;
    const plan = edgePlanFor(
      "cloudflare",
      { coep: edge.coep, csp: withApiOrigins(edge.csp, [apiOrigin]), hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } },
      builtApp("nuxt3", "1"),
    );
    runtime = await startWorker(plan, port);
    browser = await launchChromium({ trustSpki: traefik.spki });
    tab = await openTab(browser);
    first = await tab.load(`${origin}/?api=${encodeURIComponent(apiOrigin)}`);
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await traefik?.stop();
    await closeServer(api?.server);
  });

  it("boots with zero CSP violations and calls its API across origins: ACAO exactly the app's origin, the API's own Content-Type and Cache-Control", () => {
    expect({ violations: first.violations, errors: first.errors }).toEqual({ violations: [], errors: [] });
    expect(first.result).toMatchObject({ booted: true, error: null, api: { status: 200, contentType: API_CONTENT_TYPE, body: { items: ["a", "b"] } } });
    const res = first.responses.find((r) => r.url.startsWith(apiOrigin) && r.status === 200)!;
    expect(res.headers["access-control-allow-origin"]).toBe(origin);
    expect(res.headers["content-type"]).toBe(API_CONTENT_TYPE);
    expect(res.headers["cache-control"]).toBe(API_CACHE_CONTROL);
    expect(api!.hits).toContain("GET /v1/items");
  });

  it("the same build on a foreign origin is refused by CORS although the API answers ACAO *", async () => {
    const foreign = origin.replace("localhost", "127.0.0.1");
    const v = await tab.load(`${foreign}/?api=${encodeURIComponent(apiOrigin)}`);
    expect(v.violations).toEqual([]);
    expect(v.result).toMatchObject({ booted: true, api: null });
    expect(v.result.error).toMatch(/Failed to fetch/);
    const res = v.responses.find((r) => r.url.startsWith(apiOrigin));
    expect(res?.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("Traefik x cors.exposedHeaders: the response headers a cross-origin script may read", () => {
  let traefik: TraefikRun | undefined;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const gateway = blueprint("gateway-flutter-wasm").services.find((s) => s.name === "cat-gateway")!;
  const origin = "http://localhost:8080";

  beforeAll(async () => {
    // The API answers `Access-Control-Allow-Origin: *` itself; the spec exposes X-Request-Id.
    api = await startApi({ prefix: "/api/", readiness: gateway.probes.readiness.path });
    traefik = await startTraefik(plannedTraefik({ ...gateway, cors: { ...gateway.cors!, exposedHeaders: ["X-Request-Id"] } }, origin), `127.0.0.1:${api.port}`);
  });
  afterAll(async () => {
    await traefik?.stop();
    await closeServer(api?.server);
  });

  it("exactly the spec's list for the app's origin; another origin gets no Access-Control-Allow-Origin, so it reads nothing", async () => {
    const ok = await ingressRequest(traefik!, "GET", "/api/v1/items", { origin });
    expect(ok.status).toBe(200);
    expect(ok.headers["access-control-allow-origin"]).toBe(origin);
    expect(ok.headers["access-control-expose-headers"]).toBe("X-Request-Id");
    const foreign = await ingressRequest(traefik!, "GET", "/api/v1/items", { origin: "https://evil.example" });
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    // Unlike ingress-nginx, Traefik sets Access-Control-Expose-Headers on every response, whatever
    // the Origin (pkg/middlewares/headers/header.go PostRequestModifyResponseHeaders: only ACAO
    // depends on matchOrigin); without ACAO the browser lets a foreign page read no part of the
    // response, so the list grants it nothing (the foreign-origin pages above fail to fetch).
    expect(foreign.headers["access-control-expose-headers"]).toBe("X-Request-Id");
    // The API's own permissive headers are removed (customResponseHeaders "" entries).
    expect(
      Object.keys(foreign.headers)
        .filter((h) => h.startsWith("access-control-"))
        .sort(),
    ).toEqual(["access-control-expose-headers"]);
  });
});
