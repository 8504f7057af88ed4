/**
 * music-platform-gitops: the Next.js web front end (a real `next build`, App Router, rendered per
 * request by its standalone server — what the `web` image runs) behind CloudFront, as the
 * blueprint ships it: the default behaviour goes to the app origin (in production the Traefik
 * ingress in front of the `web` pods), `/_next/static/*` comes from the bucket with the edge rule
 * table's cache classes; the response headers policy and functions are generated from the table
 * (the CloudFront stand-in in ./harness.ts applies them as CloudFront does). Opened in Debian's
 * Chromium.
 *
 * Strict CSP for a server-rendered Next.js app: the App Router emits inline scripts whose content
 * changes per request (`self.__next_f.push([...])`, the RSC payload), so build-time hashes cannot
 * allow them; Next's documented strict approach is a fresh nonce per request (its proxy sets it on
 * the request's and the response's CSP, and Next puts it on every script it renders) with
 * 'strict-dynamic'. The edge cannot make the nonce (CloudFront Functions never see the body), so
 * it keeps its own CSP and takes only the app's script-src, and only when that is strict.
 *
 * Not run for real: Traefik (not available from the module proxy; for this service it adds HSTS
 * and nosniff only, which the edge sets anyway).
 */
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_CONTROL, originCsp } from "../../components/edge/headers";
import { APP_HASH_CONVENTIONS, type EdgePlan } from "../../components/edge/plan";
import { withApiOrigins } from "../../stacks/compose/edge";
import {
  blueprint,
  builtNext,
  edgePlanFor,
  freePort,
  launchChromium,
  openTab,
  pathOf,
  startCloudFront,
  startNextServer,
  startWorker,
  type EdgeRuntime,
  type Visit,
} from "./harness";
import { scriptSrc } from "./edge-scenarios";

type StartDynamic = (plan: EdgePlan, port: number, opts: { origin: () => string }) => Promise<EdgeRuntime>;

/**
 * The scenarios on one edge runtime. The blueprint ships CloudFront; the Worker (an EdgeSite with
 * a dynamic origin on Cloudflare) runs the same table rule and is checked the same way.
 */
function nextScenarios(runtimeName: string, provider: "cloudflare" | "cloudfront", start: StartDynamic): void {
  describe(`${runtimeName} x music-platform-gitops (Next.js server as the dynamic origin, /_next/static/* from the bucket)`, () => {
    let browser: Browser | undefined;
    let runtime: EdgeRuntime | undefined;
    const servers: Array<Awaited<ReturnType<typeof startNextServer>>> = [];
    let originUrl = "";
    let origin = "";
    const apiOrigin = "https://api.example.com";
    const plans: Partial<Record<"1" | "2", EdgePlan>> = {};
    let tab: Awaited<ReturnType<typeof openTab>>;
    let first: Visit;
    const doc = (v: Visit) => v.responses.find((r) => r.url.startsWith(origin) && pathOf(r.url) === "/")!;
    const statics = (v: Visit) => v.responses.filter((r) => r.url.startsWith(origin) && pathOf(r.url).startsWith("/_next/static/"));

    beforeAll(async () => {
      const edge = blueprint("music-platform-gitops").edge!;
      // The header input the edge composer derives (stacks/compose/edge.ts), the API's origin in connect-src.
      const input = { coep: edge.coep, csp: withApiOrigins(edge.csp, [apiOrigin]), hashed: { conventions: [...APP_HASH_CONVENTIONS[edge.app]] } };
      for (const d of ["1", "2"] as const) plans[d] = edgePlanFor(provider, input, builtNext(d).assets, { domain: "app-origin.example.com" });
      servers.push(await startNextServer(builtNext("1").server));
      originUrl = servers[0]!.url;
      runtime = await start(plans["1"]!, await freePort(), { origin: () => originUrl });
      origin = runtime.origin;
      browser = await launchChromium();
      tab = await openTab(browser);
      first = await tab.load(`${origin}/`);
    });
    afterAll(async () => {
      await browser?.close();
      await runtime?.stop();
      for (const s of servers) await s.stop();
    });

    it("boots with zero CSP violations; script-src has no 'unsafe-inline' and the edge's other directives stand", () => {
      const csp = doc(first).headers["content-security-policy"]!;
      expect(scriptSrc(csp)).not.toContain("'unsafe-inline'");
      expect(scriptSrc(csp)).not.toContain("'unsafe-eval'");
      expect({ violations: first.violations, errors: first.errors }).toEqual({ violations: [], errors: [] });
      expect(first.result).toMatchObject({ booted: true, deploy: "1", error: null });
      // the edge's directives (the blueprint's CSP with the API origin) are what the browser enforces
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain(`connect-src 'self' ${apiOrigin}`);
      expect(csp).toContain("media-src 'self' blob: https:");
      expect(doc(first).headers["cross-origin-embedder-policy"]).toBe("credentialless");
      expect(first.crossOriginIsolated).toBe(true);
    });

    it("a response of the app without a strict CSP of its own gets the edge's CSP unchanged (route handlers, lax or missing policies)", async () => {
      // /api/* is outside the app proxy's matcher: Next sends no CSP there
      const res = await fetch(`${origin}/api/health/ready`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-security-policy")).toBe(plans["1"]!.table.common["content-security-policy"]);
      const edgeCsp = plans["1"]!.table.common["content-security-policy"]!;
      const nonce = "'nonce-NWE0ZjFjMDAtY2U4Yi00NjE5'";
      for (const lax of [
        `script-src 'self' ${nonce} 'unsafe-inline'`,
        `script-src ${nonce} 'unsafe-eval'`,
        `script-src ${nonce} https:`,
        `script-src ${nonce} *`,
        "script-src 'self'",
        `script-src ${nonce}, script-src 'self'`,
      ]) {
        expect(originCsp(edgeCsp, lax), lax).toBe(edgeCsp);
      }
      expect(scriptSrc(originCsp(edgeCsp, `default-src 'self'; script-src 'self' ${nonce} 'strict-dynamic'`))).toBe(
        `script-src 'self' ${nonce} 'strict-dynamic'`,
      );
    });

    it("hashed /_next/static/* assets come from the bucket immutable; the server-rendered HTML is never stored", () => {
      expect(statics(first).length).toBeGreaterThan(0);
      expect(statics(first).map((r) => [pathOf(r.url), r.status, r.headers["cache-control"]])).toEqual(
        statics(first).map((r) => [pathOf(r.url), 200, CACHE_CONTROL.immutable]),
      );
      expect(doc(first).headers["cache-control"]).toMatch(/no-store/);
    });

    it("reload: the HTML is fetched from the origin again (a fresh nonce) and every hashed asset comes from the browser cache", async () => {
      const v = await tab.load(`${origin}/`, "reload");
      expect({ violations: v.violations, errors: v.errors }).toEqual({ violations: [], errors: [] });
      expect(doc(v)).toMatchObject({ status: 200, fromCache: false });
      const nonce = (x: Visit) => /'nonce-([^']+)'/.exec(scriptSrc(doc(x).headers["content-security-policy"]!))?.[1];
      expect(nonce(v)).toBeTruthy();
      expect(nonce(v)).not.toBe(nonce(first));
      expect(statics(v).length).toBeGreaterThan(0);
      expect(
        statics(v)
          .filter((r) => !r.fromCache)
          .map((r) => `${pathOf(r.url)} ${r.status}`),
      ).toEqual([]);
    });

    it("a new deployment (new web pods, new bucket upload): the HTML names new /_next/static/ chunks, fetched fresh, deployment 2 boots", async () => {
      servers.push(await startNextServer(builtNext("2").server));
      originUrl = servers[1]!.url;
      await runtime!.deploy(plans["2"]!);
      const v = await tab.load(`${origin}/`);
      expect({ violations: v.violations, errors: v.errors }).toEqual({ violations: [], errors: [] });
      expect(v.result).toMatchObject({ booted: true, deploy: "2", error: null });
      const before = new Set(statics(first).map((r) => pathOf(r.url)));
      const fresh = statics(v).filter((r) => !before.has(pathOf(r.url)));
      expect(fresh.length).toBeGreaterThan(0);
      expect(fresh.every((r) => r.status === 200 && !r.fromCache)).toBe(true);
    });
  });
}

nextScenarios("CloudFront (functions + response headers policy)", "cloudfront", startCloudFront);
nextScenarios("Worker (workerd)", "cloudflare", startWorker);
