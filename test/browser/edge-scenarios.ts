/**
 * What the browser must show for each blueprint with an edge site, on one edge runtime (the
 * Worker in workerd, or CloudFront's functions + response headers policy): the test files
 * edge-worker.test.ts and edge-cloudfront.test.ts call `edgeScenarios` with their runtime.
 *
 *   gateway-flutter-wasm: the Flutter-WASM page is cross-origin isolated, stream-compiles
 *     CanvasKit's real .wasm and shares a SharedArrayBuffer with a worker; zero CSP violations.
 *   nuxt-fastify-beta-droplet: the real Nuxt 3 build boots with zero CSP violations under a
 *     script-src without 'unsafe-inline', calls its API (the droplet's real Caddy, in front of the
 *     API server) across origins, CORS allows exactly the app's origin, and the API's own
 *     Content-Type and Cache-Control arrive.
 *   both: a reload takes hashed assets from the browser cache and revalidates the HTML (304);
 *     a new deployment's HTML brings new asset names, which the browser then fetches.
 */
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, type HeaderPolicyInput } from "../../components/edge/headers";
import type { EdgePlan } from "../../components/edge/plan";
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
  pathOf,
  startApi,
  startCaddy,
  type CaddyRun,
  type EdgeRuntime,
  type Visit,
} from "./harness";

export type Provider = "cloudflare" | "cloudfront";
export type StartRuntime = (plan: EdgePlan, port: number) => Promise<EdgeRuntime>;

/** The header input the edge composer (stacks/compose/edge.ts) derives from a blueprint. */
function headerInput(name: string, apiOrigins: string[]): HeaderPolicyInput {
  const edge = blueprint(name).edge!;
  return { coep: edge.coep, csp: withApiOrigins(edge.csp, apiOrigins), hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } };
}

const doc = (v: Visit) => v.responses.find((r) => r.headers["content-type"]?.startsWith("text/html"))!;

/** The script-src (or, without one, default-src) directive of a CSP. */
export function scriptSrc(csp: string): string {
  const ds = csp.split(";").map((d) => d.trim());
  return ds.find((d) => d.startsWith("script-src ")) ?? ds.find((d) => d.startsWith("default-src ")) ?? "";
}

/** Same-origin responses of hashed assets in a visit, by the plan's own rule table. */
function hashed(v: Visit, plan: EdgePlan, origin: string) {
  return v.responses.filter((r) => r.url.startsWith(origin) && decide(plan.table, pathOf(r.url)).class === "hashed");
}

function expectCleanBoot(v: Visit) {
  expect({ violations: v.violations, errors: v.errors }).toEqual({ violations: [], errors: [] });
  expect(v.result, "the app never reported it booted").not.toBeNull();
}

/** Reload: HTML revalidated (304 from the edge), every hashed asset from the browser cache. */
function expectReloadFromCache(v: Visit, plan: EdgePlan, origin: string, except?: RegExp) {
  expect(doc(v).status).toBe(304);
  const assets = hashed(v, plan, origin).filter((r) => !except?.test(pathOf(r.url)));
  expect(assets.length).toBeGreaterThan(0);
  expect(assets.filter((r) => !r.fromCache).map((r) => `${pathOf(r.url)} ${r.status} ${r.type}`)).toEqual([]);
}

export function edgeScenarios(runtimeName: string, provider: Provider, start: StartRuntime): void {
  describe(`${runtimeName} x gateway-flutter-wasm (Flutter WASM page, CanvasKit)`, () => {
    let browser: Browser | undefined;
    let runtime: EdgeRuntime | undefined;
    let origin = "";
    const input = headerInput("gateway-flutter-wasm", ["https://api.localhost"]);
    const plans = { "1": edgePlanFor(provider, input, builtApp("flutter-wasm", "1")), "2": edgePlanFor(provider, input, builtApp("flutter-wasm", "2")) };
    let tab: Awaited<ReturnType<typeof openTab>>;
    let first: Visit;

    beforeAll(async () => {
      const port = await freePort();
      runtime = await start(plans["1"], port);
      origin = runtime.origin;
      browser = await launchChromium();
      tab = await openTab(browser);
      first = await tab.load(`${origin}/`);
    });
    afterAll(async () => {
      await browser?.close();
      await runtime?.stop();
    });

    it("is cross-origin isolated, stream-compiles the real .wasm and shares memory with a worker, with zero CSP violations", () => {
      expectCleanBoot(first);
      expect(first.crossOriginIsolated).toBe(true);
      const r = first.result;
      expect(r.error).toBeNull();
      expect(r.crossOriginIsolated).toBe(true);
      expect(r.streaming).toHaveLength(1);
      expect(r.streaming[0]).toMatchObject({ ok: true, contentType: "application/wasm" });
      expect(r.streaming[0].url).toMatch(/\/canvaskit\/canvaskit\.[0-9a-f]{16}\.wasm$/);
      expect(r.streaming[0].exports).toBeGreaterThan(0);
      expect(r.canvasKit.surface).toBe(true);
      expect(r.sab).toEqual({ workerSaw: 42, mainSees: 42 });
      expect(r.deploy).toBe("1");
      // the asset-versioning manifest is revalidated on every load, the versioned files immutable
      const manifest = first.responses.find((x) => pathOf(x.url) === "/asset_versions.json")!;
      expect(manifest.headers["cache-control"]).toBe("no-cache");
      const wasm = first.responses.find((x) => x.url.endsWith(".wasm"))!;
      expect(wasm.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    });

    it("reload: the HTML is revalidated (304) and every versioned asset comes from the browser cache", async () => {
      const v = await tab.load(`${origin}/`, "reload");
      expectCleanBoot(v);
      // Chromium 156 fetches a dedicated worker's top-level script afresh on a reload (not even a
      // conditional request: 200 from the edge, not 304) — the browser's choice, whatever the
      // headers; the edge's part is the immutable Cache-Control, asserted here instead.
      const worker = /^\/sab-worker\.[0-9a-f]{16}\.js$/;
      expectReloadFromCache(v, plans["1"], origin, worker);
      expect(v.responses.find((x) => worker.test(pathOf(x.url)))!.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(v.responses.some((x) => x.url.endsWith(".wasm") && x.fromCache)).toBe(true);
    });

    it("a new deployment: the HTML names the new bootstrap, which is fetched; unchanged CanvasKit stays cached", async () => {
      await runtime!.deploy(plans["2"]);
      const v = await tab.load(`${origin}/`);
      expectCleanBoot(v);
      expect(v.result.deploy).toBe("2");
      expect(v.result.sab).toEqual({ workerSaw: 42, mainSees: 42 });
      const mainOf = (x: Visit) => x.responses.find((r) => /\/main\.[0-9a-f]{16}\.js$/.test(r.url))!;
      expect(pathOf(mainOf(v).url)).not.toBe(pathOf(mainOf(first).url));
      expect(mainOf(v)).toMatchObject({ status: 200, fromCache: false });
      expect(v.responses.find((r) => r.url.endsWith(".wasm"))!.fromCache).toBe(true);
    });
  });

  describe(`${runtimeName} x nuxt-fastify-beta-droplet (Nuxt 3 build, API through the droplet's Caddy)`, () => {
    let browser: Browser | undefined;
    let runtime: EdgeRuntime | undefined;
    let caddy: CaddyRun | undefined;
    let api: Awaited<ReturnType<typeof startApi>> | undefined;
    let origin = "";
    let apiOrigin = "";
    const plans: Partial<Record<"1" | "2", EdgePlan>> = {};
    let tab: Awaited<ReturnType<typeof openTab>>;
    let first: Visit;
    let url = "";

    beforeAll(async () => {
      const bp = blueprint("nuxt-fastify-beta-droplet");
      const port = await freePort();
      origin = `http://localhost:${port}`;
      api = await startApi({ prefix: "/v1/", readiness: "/health/ready" });
      const upstream = api.port;
      // The droplet's proxy for this blueprint, as the host composer plans it: the app's origin is
      // the edge site's, so `cors: self` allows exactly that origin.
      caddy = await startCaddy({ services: bp.services, domain: "localhost", appOrigin: origin, dial: () => `127.0.0.1:${upstream}` });
      apiOrigin = `https://api.localhost:${caddy.httpsPort}`;
      const input = headerInput("nuxt-fastify-beta-droplet", [apiOrigin]);
      plans["1"] = edgePlanFor(provider, input, builtApp("nuxt3", "1"));
      plans["2"] = edgePlanFor(provider, input, builtApp("nuxt3", "2"));
      runtime = await start(plans["1"], port);
      browser = await launchChromium({ trustSpki: caddy.spki });
      tab = await openTab(browser);
      url = `${origin}/?api=${encodeURIComponent(apiOrigin)}`;
      first = await tab.load(url);
    });
    afterAll(async () => {
      await browser?.close();
      await runtime?.stop();
      await caddy?.stop();
      await closeServer(api?.server);
    });

    it("boots with zero CSP violations, and script-src has no 'unsafe-inline'", () => {
      const csp = doc(first).headers["content-security-policy"]!;
      expect(scriptSrc(csp)).not.toContain("'unsafe-inline'");
      expect(scriptSrc(csp)).not.toContain("'unsafe-eval'");
      expectCleanBoot(first);
      expect(first.result).toMatchObject({ booted: true, deploy: "1", error: null });
    });

    it("calls its API across origins: CORS allows exactly the app's origin, the API's own Content-Type and Cache-Control pass through", () => {
      expect(first.result?.api).toMatchObject({ status: 200, contentType: API_CONTENT_TYPE, body: { items: ["a", "b"] } });
      const res = first.responses.find((r) => r.url.startsWith(apiOrigin) && r.status === 200)!;
      expect(res.headers["access-control-allow-origin"]).toBe(origin);
      expect(res.headers["content-type"]).toBe(API_CONTENT_TYPE);
      expect(res.headers["cache-control"]).toBe(API_CACHE_CONTROL);
      expect(api!.hits).toContain("GET /v1/items");
    });

    it("the same build on another origin is refused by CORS (the API allows only the app's origin)", async () => {
      const other = origin.replace("localhost", "127.0.0.1");
      const v = await tab.load(`${other}/?api=${encodeURIComponent(apiOrigin)}`);
      expect(v.violations).toEqual([]);
      expect(v.result).toMatchObject({ booted: true, api: null });
      expect(v.result.error).toMatch(/Failed to fetch/);
      const res = v.responses.find((r) => r.url.startsWith(apiOrigin));
      expect(res?.headers["access-control-allow-origin"]).toBeUndefined();
    });

    it("reload: the HTML is revalidated (304) and every hashed /_nuxt/ asset comes from the browser cache", async () => {
      await tab.load(url);
      const v = await tab.load(url, "reload");
      expectCleanBoot(v);
      expectReloadFromCache(v, plans["1"]!, origin);
    });

    it("a new deployment: the HTML names new /_nuxt/ assets, which are fetched and boot deployment 2", async () => {
      await runtime!.deploy(plans["2"]!);
      const v = await tab.load(url);
      expectCleanBoot(v);
      expect(v.result).toMatchObject({ booted: true, deploy: "2", error: null });
      const entries = (x: Visit) =>
        hashed(x, plans["1"]!, origin)
          .filter((r) => r.url.endsWith(".js"))
          .map((r) => pathOf(r.url));
      const fresh = v.responses.filter((r) => entries(v).includes(pathOf(r.url)) && !entries(first).includes(pathOf(r.url)));
      expect(fresh.length).toBeGreaterThan(0);
      expect(fresh.every((r) => r.status === 200 && !r.fromCache)).toBe(true);
    });
  });
}
