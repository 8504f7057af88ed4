/**
 * API origins behind the Kubernetes ingress the blueprints ship (ingress-nginx), in the browser.
 *
 * gateway-flutter-wasm: the Flutter-WASM page on its edge (the EdgeSite Worker in workerd, the
 * blueprint's provider) calls the cat-gateway API on api.<domain> across origins, as the app does
 * (a JSON POST with a bearer token, so with a CORS preflight). The API's origin is the
 * Kubernetes ingress the blueprint ships (ingress-nginx): the Ingress objects the services
 * composer plans for cat-gateway, served by Debian's nginx with the CORS directives ingress-nginx
 * writes for their annotations and the controller ConfigMap's response-header options of the
 * cluster's release (./harness.ts startIngressNginx; the controller itself cannot be built here),
 * in front of an API server that does CORS itself, permissively (`Access-Control-Allow-Origin: *`,
 * every preflight allowed). Opened in Debian's Chromium.
 *
 * Found here: the Ingress's CORS annotations alone do not keep the API from foreign origins.
 * ingress-nginx sets its CORS headers only for an allowed Origin and passes the upstream's through
 * otherwise, so a page on any origin read the API (preflight proxied to the API, its ACAO * passed
 * on). Fixed controller-wide by `hide-headers` (components/cluster/addons.ts).
 */
import * as https from "node:https";
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
  INGRESS_NGINX_DEFAULT_CORS_HEADERS,
  launchChromium,
  openTab,
  plannedIngresses,
  startApi,
  startIngressNginx,
  startWorker,
  type EdgeRuntime,
  type NginxRun,
  type Visit,
} from "./harness";

/** A request to the ingress from Node (trusting its self-signed certificate), as a browser would send it. */
function ingressRequest(run: NginxRun, method: string, p: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port: run.httpsPort, servername: "api.localhost", path: p, method, ca: run.cert, headers: { host: `api.localhost:${run.httpsPort}`, ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Worker (workerd) x gateway-flutter-wasm: the page calls cat-gateway through its ingress-nginx Ingress (CORS)", () => {
  let browser: Browser | undefined;
  let runtime: EdgeRuntime | undefined;
  let nginx: NginxRun | undefined;
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
    nginx = await startIngressNginx(plannedIngresses(gateway, origin), `127.0.0.1:${api.port}`);
    apiOrigin = `https://api.localhost:${nginx.httpsPort}`;
    const edge = bp.edge!;
    const plan = edgePlanFor("cloudflare", { coep: edge.coep, csp: withApiOrigins(edge.csp, [apiOrigin]), hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } }, builtApp("flutter-wasm", "1"));
    runtime = await startWorker(plan, port);
    browser = await launchChromium({ trustSpki: nginx.spki });
    tab = await openTab(browser);
    first = await tab.load(`${origin}/?api=${encodeURIComponent(apiOrigin)}`);
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await nginx?.stop();
    await closeServer(api?.server);
  });

  it("the preflighted JSON POST with a bearer token succeeds from the app's origin, cross-origin isolated, zero CSP violations", () => {
    expect({ violations: first.violations, errors: first.errors }).toEqual({ violations: [], errors: [] });
    expect(first.crossOriginIsolated).toBe(true);
    expect(first.result.error).toBeNull();
    expect(first.result.apiError).toBeUndefined();
    expect(first.result.api).toMatchObject({ status: 200, body: { items: ["a", "b"], path: "/api/v1/document" } });
    // the preflight is answered by the ingress; only the POST reaches the API
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
    for (const [what, headers] of [["app's origin", { origin }], ["foreign origin", { origin: foreign }], ["no Origin", {}]] as const) {
      const r = await ingressRequest(nginx!, "GET", "/api/v1/items", headers);
      const vary = String(r.headers.vary ?? "").split(/\s*,\s*/).map((v) => v.toLowerCase());
      expect({ what, status: r.status, vary }).toEqual({ what, status: 200, vary: expect.arrayContaining(["origin", "accept-encoding"]) });
    }
  });

  it("the preflight allows exactly the blueprint's methods and the headers the app sends, for 600 s", async () => {
    const pre = await ingressRequest(nginx!, "OPTIONS", "/api/v1/document", { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" });
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe(origin);
    expect(pre.headers["access-control-allow-methods"]).toBe(gateway.cors!.allowedMethods.join(", "));
    expect(String(pre.headers["access-control-allow-headers"]).toLowerCase().split(",")).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(pre.headers["access-control-allow-headers"]).toBe(INGRESS_NGINX_DEFAULT_CORS_HEADERS);
    expect(pre.headers["access-control-max-age"]).toBe("600");
    expect(pre.headers["access-control-allow-credentials"]).toBeUndefined();
  });

  it("the same page on a foreign origin is refused although the API answers ACAO *: no CORS header for it, the POST never reaches the API", async () => {
    const foreign = origin.replace("localhost", "127.0.0.1");
    const before = api!.hits.filter((h) => h.startsWith("POST")).length;
    const v = await tab.load(`${foreign}/?api=${encodeURIComponent(apiOrigin)}`);
    expect(v.result.api ?? null).toBeNull();
    expect(v.result.apiError).toMatch(/Failed to fetch/);
    expect(api!.hits.filter((h) => h.startsWith("POST")).length).toBe(before);
    const pre = await ingressRequest(nginx!, "OPTIONS", "/api/v1/document", { origin: foreign, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" });
    expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
    const get = await ingressRequest(nginx!, "GET", "/api/v1/cardano/tip", { origin: foreign });
    expect(get.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

/**
 * nuxt-fastify-beta-droplet on Kubernetes (staging/prod): the real Nuxt 3 build on its edge (the
 * Worker) calls the Fastify API through the API's planned ingress-nginx Ingress (the droplet's
 * Caddy path is in edge-worker/edge-cloudfront and host-caddy).
 */
describe("Worker (workerd) x nuxt-fastify-beta-droplet on Kubernetes: the Nuxt build calls its API through the ingress-nginx Ingress (CORS)", () => {
  let browser: Browser | undefined;
  let runtime: EdgeRuntime | undefined;
  let nginx: NginxRun | undefined;
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
    nginx = await startIngressNginx(plannedIngresses(svc, origin), `127.0.0.1:${api.port}`);
    apiOrigin = `https://api.localhost:${nginx.httpsPort}`;
    const edge = bp.edge!;
    const plan = edgePlanFor("cloudflare", { coep: edge.coep, csp: withApiOrigins(edge.csp, [apiOrigin]), hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } }, builtApp("nuxt3", "1"));
    runtime = await startWorker(plan, port);
    browser = await launchChromium({ trustSpki: nginx.spki });
    tab = await openTab(browser);
    first = await tab.load(`${origin}/?api=${encodeURIComponent(apiOrigin)}`);
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await nginx?.stop();
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

describe("ingress-nginx x cors.exposedHeaders: the response headers a cross-origin script may read", () => {
  let nginx: NginxRun | undefined;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const gateway = blueprint("gateway-flutter-wasm").services.find((s) => s.name === "cat-gateway")!;
  const origin = "http://localhost:8080";

  beforeAll(async () => {
    // The API answers `Access-Control-Allow-Origin: *` itself; the spec exposes X-Request-Id.
    api = await startApi({ prefix: "/api/", readiness: gateway.probes.readiness.path });
    nginx = await startIngressNginx(plannedIngresses({ ...gateway, cors: { ...gateway.cors!, exposedHeaders: ["X-Request-Id"] } }, origin), `127.0.0.1:${api.port}`);
  });
  afterAll(async () => {
    await nginx?.stop();
    await closeServer(api?.server);
  });

  it("exactly the spec's list for the app's origin, on the response and the preflight; nothing for another origin", async () => {
    const ok = await ingressRequest(nginx!, "GET", "/api/v1/items", { origin });
    expect(ok.status).toBe(200);
    expect(ok.headers["access-control-expose-headers"]).toBe("X-Request-Id");
    const pre = await ingressRequest(nginx!, "OPTIONS", "/api/v1/items", { origin, "access-control-request-method": "GET" });
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-expose-headers"]).toBe("X-Request-Id");
    const foreign = await ingressRequest(nginx!, "GET", "/api/v1/items", { origin: "https://evil.example" });
    expect(foreign.headers["access-control-expose-headers"]).toBeUndefined();
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
  });
});
