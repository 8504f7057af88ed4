/**
 * The generated Worker with a dynamic origin, in real workerd (miniflare): hashed assets from
 * the R2 binding, every other path (any method, same path and query) fetched from the origin —
 * a node:http server on 127.0.0.1 that workerd's outbound service reaches in place of
 * https://<origin> — and the table's common headers on every response.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Miniflare } from "miniflare";
import { buildRuleTable, CACHE_CONTROL } from "../../components/edge/headers";
import { planEdgeSite } from "../../components/edge/plan";
import { parseEdgeSiteArgs } from "../../components/edge/args";
import { WORKER_BUCKET_BINDING, WORKER_COMPATIBILITY_DATE } from "../../components/edge/worker/render";

const ORIGIN = "app.example.com";
const CSP = "default-src 'self'; script-src 'self'";
const HEADERS = { coep: "credentialless" as const, csp: CSP, hashed: { conventions: ["next" as const] } };
const ASSET = "_next/static/chunks/main-0123abcdef.js";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("EdgeSite Worker with a dynamic origin, in workerd", () => {
  const seen: Seen[] = [];
  let upstream: http.Server | undefined;
  let mf: Miniflare | undefined;
  let base = "";
  const table = buildRuleTable(HEADERS);

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === "/old") {
          res.writeHead(308, { location: "/new" });
          res.end();
          return;
        }
        if (req.url === "/missing") {
          res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
          res.end("<h1>app 404</h1>");
          return;
        }
        // The app sets its own caching and a weaker COOP: the edge's table wins for COOP.
        res.writeHead(200, {
          "content-type": "application/json",
          "cache-control": "private, no-store",
          "cross-origin-opener-policy": "unsafe-none",
          "set-cookie": ["a=1; Secure", "b=2; Secure"],
        });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
      });
    });
    await new Promise<void>((resolve) => upstream!.listen(0, "127.0.0.1", resolve));
    const port = (upstream.address() as AddressInfo).port;

    const plan = planEdgeSite(
      "web",
      "test",
      parseEdgeSiteArgs({
        provider: "cloudflare",
        domain: "example.com",
        headers: HEADERS,
        origin: { domain: ORIGIN },
        cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" },
      }),
    );
    mf = new Miniflare({
      modules: true,
      script: plan.cloudflare!.workerScript,
      compatibilityDate: WORKER_COMPATIBILITY_DATE,
      r2Buckets: [WORKER_BUCKET_BINDING],
      // Every outbound fetch of the Worker (https://app.example.com/...) lands on the local upstream.
      outboundService: { external: { address: `127.0.0.1:${port}`, http: {} } },
      host: "127.0.0.1",
      port: 0,
    });
    base = (await mf.ready).origin;
    const bucket = (await mf.getR2Bucket(WORKER_BUCKET_BINDING)) as unknown as {
      put(key: string, value: string, opts: { httpMetadata: { contentType: string; cacheControl: string } }): Promise<unknown>;
    };
    await bucket.put(ASSET, "console.log('hashed');", {
      httpMetadata: { contentType: "text/javascript; charset=utf-8", cacheControl: CACHE_CONTROL.immutable },
    });
  });
  afterAll(async () => {
    await mf?.dispose();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  });

  const get = (p: string, init?: RequestInit) => fetch(base + p, { redirect: "manual", ...init });
  function expectCommon(res: Response) {
    for (const [k, v] of Object.entries(table.common)) expect(res.headers.get(k), k).toBe(v);
  }

  it("routes go to https://<origin> with the same path and query, uncached, answer as the app's", async () => {
    seen.length = 0;
    const res = await get("/tracks/42?sort=new&x=%20y");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: "GET", url: "/tracks/42?sort=new&x=%20y", body: "" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.host).toBe(ORIGIN);
    expect(seen[0]!.headers["x-forwarded-proto"]).toBe("https");
    expect(seen[0]!.headers["x-forwarded-host"]).toBe(new URL(base).host);
    expectCommon(res);
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(res.headers.get("cross-origin-embedder-policy")).toBe("credentialless");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.getSetCookie()).toEqual(["a=1; Secure", "b=2; Secure"]);
  });

  it("no SPA fallback: / and deep routes are the origin's, never index.html from the bucket", async () => {
    seen.length = 0;
    for (const p of ["/", "/login", "/a/b/"]) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(((await res.json()) as { url: string }).url, p).toBe(p);
    }
    expect(seen.map((s) => s.url)).toEqual(["/", "/login", "/a/b/"]);
  });

  it("any method and body reach the origin; redirects and errors pass through with the common headers", async () => {
    seen.length = 0;
    const post = await get("/api/like?id=7", {
      method: "POST",
      body: "track=42",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: "session=fake" },
    });
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ method: "POST", url: "/api/like?id=7", body: "track=42" });
    expect(seen[0]!.headers.cookie).toBe("session=fake");
    const redirect = await get("/old");
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get("location")).toBe("/new");
    expectCommon(redirect);
    const missing = await get("/missing");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("<h1>app 404</h1>");
    expectCommon(missing);
  });

  it("hashed assets come from R2 with the table's headers, never from the origin", async () => {
    seen.length = 0;
    const res = await get(`/${ASSET}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("console.log('hashed');");
    expect(res.headers.get("cache-control")).toBe(CACHE_CONTROL.immutable);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expectCommon(res);
    // A missing asset or a "route" under the prefix is the bucket's real 404 (no index.html, no origin).
    for (const p of ["/_next/static/chunks/gone-0123abcdef.js", "/_next/static/", "/_next/static/chunks"]) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expect(await r.text()).toBe(table.notFound.body);
      expect(r.headers.get("cache-control")).toBe(CACHE_CONTROL.notFound);
      expectCommon(r);
    }
    expect((await get(`/${ASSET}`, { method: "POST" })).status).toBe(405);
    expect(seen).toEqual([]);
  });
});
