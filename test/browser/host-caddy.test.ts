/**
 * The single host's real Caddy (Debian's binary, config from components/host/caddy.ts over the
 * host proxy plan) in front of the axum-requirements-app server, which serves the real Vite build
 * and its API on one origin (the reference system: tower-http ServeDir with SPA fallback,
 * `/assets/*` immutable, HTML no-cache, JSON API), opened in Debian's Chromium. The blueprint has
 * no edge site, so the host proxy applies the edge rule table itself (stacks/compose/host.ts:
 * no header policy input, the table's defaults).
 *
 * The droplet's Caddy as the API origin of an edge-served app (nuxt-fastify-beta-droplet, CORS)
 * is covered by edge-worker.test.ts and edge-cloudfront.test.ts.
 */
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_CONTROL } from "../../components/edge/headers";
import { APP_HASH_CONVENTIONS, buildInlineScriptHashes } from "../../components/edge/plan";
import { planProxy } from "../../components/host/proxy";
import { withApiOrigins } from "../../stacks/compose/edge";
import {
  API_CACHE_CONTROL,
  API_CONTENT_TYPE,
  blueprint,
  builtApp,
  closeServer,
  freePort,
  launchChromium,
  openTab,
  pathOf,
  serveSpa,
  startApi,
  startCaddy,
  type CaddyRun,
  type Visit,
} from "./harness";
import { scriptSrc } from "./edge-scenarios";

describe("Caddy (single host) x axum-requirements-app (Vite SPA + API from the app server)", () => {
  let browser: Browser | undefined;
  let caddy: CaddyRun | undefined;
  let app: Awaited<ReturnType<typeof startApi>> | undefined;
  let deploy: "1" | "2" = "1";
  let origin = "";
  let tab: Awaited<ReturnType<typeof openTab>>;
  let first: Visit;
  const assets = (v: Visit) => v.responses.filter((r) => r.url.startsWith(origin) && pathOf(r.url).startsWith("/assets/"));
  const doc = (v: Visit) => v.responses.find((r) => r.url.startsWith(origin) && !pathOf(r.url).includes("."))!;

  beforeAll(async () => {
    const bp = blueprint("axum-requirements-app");
    app = await startApi({ prefix: "/api/", readiness: "/health/ready", extra: serveSpa(() => builtApp("vite-spa", deploy)) });
    const upstream = app.port;
    // The host composer's input for this blueprint: the app's origin is the service's own host,
    // no header policy (no edge section).
    const httpsPort = await freePort();
    origin = `https://localhost:${httpsPort}`;
    caddy = await startCaddy({ services: bp.services, domain: "localhost", appOrigin: origin, dial: () => `127.0.0.1:${upstream}` }, { httpsPort });
    browser = await launchChromium({ trustSpki: caddy.spki });
    tab = await openTab(browser);
    first = await tab.load(`${origin}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await caddy?.stop();
    await closeServer(app?.server);
  });

  it("boots with zero CSP violations, cross-origin isolated, script-src without 'unsafe-inline'", () => {
    expect({ violations: first.violations, errors: first.errors }).toEqual({ violations: [], errors: [] });
    expect(first.result).toMatchObject({ booted: true, deploy: "1", error: null });
    expect(first.crossOriginIsolated).toBe(true);
    expect(scriptSrc(doc(first).headers["content-security-policy"]!)).not.toContain("'unsafe-inline'");
    expect(doc(first).headers["cache-control"]).toBe(CACHE_CONTROL.noCache);
  });

  it("API responses pass through with the app's own Content-Type and Cache-Control", () => {
    expect(first.result?.api).toMatchObject({ status: 200, body: { items: ["a", "b"] } });
    const res = first.responses.find((r) => pathOf(r.url) === "/api/v1/items")!;
    expect({ contentType: res.headers["content-type"], cacheControl: res.headers["cache-control"] }).toEqual({
      contentType: API_CONTENT_TYPE,
      cacheControl: API_CACHE_CONTROL,
    });
    expect(app!.hits).toContain("GET /api/v1/items");
  });

  it("Vite's hashed /assets/* are served immutable", () => {
    expect(assets(first).length).toBeGreaterThan(0);
    expect(assets(first).map((r) => [pathOf(r.url), r.headers["cache-control"]])).toEqual(assets(first).map((r) => [pathOf(r.url), CACHE_CONTROL.immutable]));
  });

  it("reload: the HTML is revalidated (304) and every hashed asset comes from the browser cache", async () => {
    const v = await tab.load(`${origin}/`, "reload");
    expect({ violations: v.violations, errors: v.errors }).toEqual({ violations: [], errors: [] });
    expect(doc(v).status).toBe(304);
    expect(assets(v).length).toBeGreaterThan(0);
    expect(
      assets(v)
        .filter((r) => !r.fromCache)
        .map((r) => `${pathOf(r.url)} ${r.status}`),
    ).toEqual([]);
  });

  it("a new deployment: the HTML names new /assets/ files, which are fetched and boot deployment 2", async () => {
    deploy = "2";
    const v = await tab.load(`${origin}/`);
    expect({ violations: v.violations, errors: v.errors }).toEqual({ violations: [], errors: [] });
    expect(v.result).toMatchObject({ booted: true, deploy: "2", error: null });
    const before = new Set(assets(first).map((r) => pathOf(r.url)));
    const fresh = assets(v).filter((r) => !before.has(pathOf(r.url)));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((r) => r.status === 200 && !r.fromCache)).toBe(true);
  });
});

/**
 * The single host's Caddy serving the real Nuxt 3 build itself (HostApp `webApp`: the build in a
 * host directory, the table's full file behaviour) under the blueprint's edge header policy, the
 * API on api.<domain> through the same Caddy. The CSP's script-src has no 'unsafe-inline': the
 * build's inline scripts (Nuxt's `window.__NUXT__` config) are allowed by their hashes, computed
 * from the build being deployed (`webApp.build`), as the EdgeSite does for its upload.
 */
describe("Caddy (single host) x nuxt-fastify-beta-droplet (real Nuxt 3 build served by Caddy, API on api.<domain>)", () => {
  let browser: Browser | undefined;
  let caddy: CaddyRun | undefined;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  let origin = "";
  let apiOrigin = "";
  let tab: Awaited<ReturnType<typeof openTab>>;
  let first: Visit;
  const nuxtAssets = (v: Visit) =>
    v.responses.filter((r) => r.url.startsWith(origin) && pathOf(r.url).startsWith("/_nuxt/") && !pathOf(r.url).startsWith("/_nuxt/builds/"));
  const doc = (v: Visit) => v.responses.find((r) => r.url.startsWith(origin) && pathOf(r.url) === "/")!;

  beforeAll(async () => {
    const bp = blueprint("nuxt-fastify-beta-droplet");
    const edge = bp.edge!;
    api = await startApi({ prefix: "/v1/", readiness: "/health/ready" });
    const upstream = api.port;
    const httpsPort = await freePort();
    origin = `https://localhost:${httpsPort}`;
    apiOrigin = `https://api.localhost:${httpsPort}`;
    const build = builtApp("nuxt3", "1");
    // What the host composer gives HostApp for this blueprint: the edge's header policy (COEP,
    // CSP with the API origin in connect-src, Nuxt's hash convention), the app's origin for
    // `cors: self`, and the web app served from the deployed build.
    caddy = await startCaddy(
      {
        services: bp.services,
        domain: "localhost",
        appOrigin: origin,
        webApp: { host: "@", root: build, build },
        headerPolicy: { coep: edge.coep, csp: withApiOrigins(edge.csp, [apiOrigin]), hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } },
        dial: () => `127.0.0.1:${upstream}`,
      },
      { httpsPort },
    );
    browser = await launchChromium({ trustSpki: caddy.spki });
    tab = await openTab(browser);
    first = await tab.load(`${origin}/?api=${encodeURIComponent(apiOrigin)}`);
  });
  afterAll(async () => {
    await browser?.close();
    await caddy?.stop();
    await closeServer(api?.server);
  });

  it("boots with zero CSP violations, script-src without 'unsafe-inline' but with the build's inline-script hashes", () => {
    const csp = doc(first).headers["content-security-policy"]!;
    expect(scriptSrc(csp)).not.toContain("'unsafe-inline'");
    expect({ violations: first.violations, errors: first.errors }).toEqual({ violations: [], errors: [] });
    expect(first.result).toMatchObject({ booted: true, deploy: "1", error: null });
    expect(scriptSrc(csp)).toMatch(/'sha256-[A-Za-z0-9+/]{43}='/);
    expect(doc(first).headers["cache-control"]).toBe(CACHE_CONTROL.noCache);
  });

  it("calls its API on api.<domain> across origins: CORS allows exactly the app's origin, the API's own headers pass through", () => {
    expect(first.result?.api).toMatchObject({ status: 200, contentType: API_CONTENT_TYPE, body: { items: ["a", "b"] } });
    const res = first.responses.find((r) => r.url.startsWith(apiOrigin) && r.status === 200)!;
    expect(res.headers["access-control-allow-origin"]).toBe(origin);
    expect({ contentType: res.headers["content-type"], cacheControl: res.headers["cache-control"] }).toEqual({
      contentType: API_CONTENT_TYPE,
      cacheControl: API_CACHE_CONTROL,
    });
  });

  it("reload: the HTML is revalidated (304) and every hashed /_nuxt/ asset comes from the browser cache", async () => {
    const v = await tab.load(`${origin}/?api=${encodeURIComponent(apiOrigin)}`, "reload");
    expect({ violations: v.violations, errors: v.errors }).toEqual({ violations: [], errors: [] });
    expect(doc(v).status).toBe(304);
    expect(nuxtAssets(v).length).toBeGreaterThan(0);
    expect(
      nuxtAssets(v)
        .filter((r) => !r.fromCache)
        .map((r) => `${pathOf(r.url)} ${r.status}`),
    ).toEqual([]);
  });
});

/**
 * The single host's Caddy in front of an app server that serves a build with an inline script
 * itself (`servesWebApp`): axum-requirements-app's server (ServeDir with SPA fallback, JSON API)
 * serving the real Nuxt 3 build, whose `window.__NUXT__` config script is inline. The CSP stays
 * strict: HostApp's `appBuilds.api` (the local directory of the build the image serves) gives
 * the hashes, computed by the proxy plan (components/host/proxy.ts webAppPolicy), never by hand.
 * Without it the plan names the service in `unhashedWebApps` (HostApp warns) and the browser
 * shows why: the inline script is blocked and the app never boots.
 */
describe("Caddy (single host) x axum-requirements-app's server serving a real Nuxt 3 build (appBuilds: hashes from the build)", () => {
  let browser: Browser | undefined;
  const caddies: CaddyRun[] = [];
  let app: Awaited<ReturnType<typeof startApi>> | undefined;
  const build = () => builtApp("nuxt3", "1");
  const bp = blueprint("axum-requirements-app");
  let tab: Awaited<ReturnType<typeof openTab>>;
  const doc = (v: Visit, origin: string) => v.responses.find((r) => r.url.startsWith(origin) && pathOf(r.url) === "/")!;
  const serve = async (appBuilds: Record<string, string> | undefined) => {
    const httpsPort = await freePort();
    const origin = `https://localhost:${httpsPort}`;
    const input = { services: bp.services, domain: "localhost", appOrigin: origin, ...(appBuilds ? { appBuilds } : {}), dial: () => `127.0.0.1:${app!.port}` };
    const caddy = await startCaddy(input, { httpsPort });
    caddies.push(caddy);
    return { origin, plan: planProxy(input), caddy };
  };

  beforeAll(async () => {
    app = await startApi({ prefix: "/v1/", readiness: "/health/ready", extra: serveSpa(build) });
  });
  afterAll(async () => {
    await browser?.close();
    for (const c of caddies) await c.stop();
    await closeServer(app?.server);
  });

  it("with appBuilds.api: boots with zero CSP violations, script-src carries the build's inline-script hashes and no 'unsafe-inline'", async () => {
    const { origin, plan, caddy } = await serve({ api: build() });
    expect(plan.unhashedWebApps).toEqual([]);
    browser = await launchChromium({ trustSpki: caddy.spki });
    tab = await openTab(browser);
    const v = await tab.load(`${origin}/`);
    expect({ violations: v.violations, errors: v.errors }).toEqual({ violations: [], errors: [] });
    expect(v.result).toMatchObject({ booted: true, deploy: "1", error: null, api: { status: 200, contentType: API_CONTENT_TYPE } });
    const csp = doc(v, origin).headers["content-security-policy"]!;
    expect(scriptSrc(csp)).not.toContain("'unsafe-inline'");
    const hashes = buildInlineScriptHashes(build());
    expect(hashes.length).toBeGreaterThan(0);
    for (const h of hashes) expect(scriptSrc(csp)).toContain(`'${h}'`);
  });

  it("without it: the plan names the service (HostApp warns), and the browser blocks the build's inline script, so the app never boots", async () => {
    const { origin, plan, caddy } = await serve(undefined);
    expect(plan.unhashedWebApps).toEqual(["api"]);
    await browser?.close(); // each Caddy has its own internal CA
    browser = await launchChromium({ trustSpki: caddy.spki });
    tab = await openTab(browser);
    const v = await tab.load(`${origin}/`);
    expect(v.violations.filter((x) => /^script-src/.test(x.directive) && x.blocked === "inline").length).toBeGreaterThan(0);
    expect(v.result).toBeNull();
  });
});
