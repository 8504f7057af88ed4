/**
 * The generated EdgeSite Worker running in real workerd (miniflare), with an R2 binding seeded
 * from the fixture build through the same upload plan the component uses. Every rule is checked
 * on real HTTP responses.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Miniflare } from "miniflare";
import fc from "fast-check";
import { buildRuleTable, CACHE_CONTROL, decide, EdgeRuleTable, notFoundHeaders } from "../../components/edge/headers";
import { planAssetObjects } from "../../components/edge/assets";
import {
  headersOfPolicyPlan,
  planResponseHeadersPolicy,
  renderViewerRequestFunction,
  renderViewerResponseFunction,
  notFoundObject,
} from "../../components/edge/cloudfront/function";
import * as vm from "vm";
import { renderWorkerScript, WORKER_BUCKET_BINDING, WORKER_COMPATIBILITY_DATE } from "../../components/edge/worker/render";

const FIXTURE = path.join(__dirname, "..", "fixtures", "edge");
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";

async function startWorker(table: EdgeRuleTable): Promise<{ mf: Miniflare; base: string }> {
  const mf = new Miniflare({
    modules: true,
    script: renderWorkerScript(table),
    compatibilityDate: WORKER_COMPATIBILITY_DATE,
    r2Buckets: [WORKER_BUCKET_BINDING],
    host: "127.0.0.1",
    port: 0,
  });
  const url = await mf.ready;
  // miniflare types R2 against @cloudflare/workers-types (not installed): narrow to what we use
  const bucket = (await mf.getR2Bucket(WORKER_BUCKET_BINDING)) as unknown as {
    put(key: string, value: ArrayBuffer, opts: { httpMetadata: { contentType: string; cacheControl: string } }): Promise<unknown>;
  };
  for (const obj of planAssetObjects(FIXTURE, table)) {
    const buf = fs.readFileSync(obj.file);
    // a plain ArrayBuffer: miniflare's proxy serialiser rejects Node Buffers
    await bucket.put(obj.key, buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, {
      httpMetadata: { contentType: obj.contentType, cacheControl: obj.cacheControl },
    });
  }
  return { mf, base: url.origin };
}

describe("EdgeSite Worker in workerd (require-corp)", () => {
  const table = buildRuleTable({ csp: CSP });
  let mf: Miniflare | undefined;
  let base = "";
  beforeAll(async () => {
    ({ mf, base } = await startWorker(table));
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  const get = (p: string, init?: RequestInit) => fetch(base + p, { redirect: "manual", ...init });

  function expectSecurityHeaders(res: Response) {
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(res.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    expect(res.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe(CSP);
  }

  it("serves index.html for / with HTML headers and no-cache", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expectSecurityHeaders(res);
    expect(await res.text()).toContain("edge-fixture-index");
  });

  it("SPA fallback: a deep route gets index.html (200)", async () => {
    const res = await get("/app/settings/profile?tab=2");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expectSecurityHeaders(res);
    expect(await res.text()).toContain("edge-fixture-index");
  });

  it("content-hashed JS: immutable, JS type, COOP/COEP", async () => {
    const res = await get("/main.3f2a9c1b.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe(CACHE_CONTROL.immutable);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expectSecurityHeaders(res);
    expect(await res.text()).toContain("content-hashed bundle");
  });

  it(".wasm is application/wasm and compiles by streaming (which requires that type)", async () => {
    const res = await get("/canvaskit/canvaskit.wasm");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/wasm");
    expect(res.headers.get("cache-control")).toBe(CACHE_CONTROL.revalidate);
    expectSecurityHeaders(res);
    // Node's streaming compile rejects any Content-Type other than application/wasm.
    const wasm = (globalThis as any).WebAssembly;
    const { instance } = await wasm.instantiateStreaming(res);
    expect((instance.exports.add as (a: number, b: number) => number)(2, 3)).toBe(5);
  });

  it("asset manifest is no-cache JSON", async () => {
    const res = await get("/asset_versions.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-type")).toBe("application/json");
    expectSecurityHeaders(res);
    expect(await res.json()).toHaveProperty(["main.js"], "main.3f2a9c1b.js");
  });

  it("unhashed JS revalidates", async () => {
    const res = await get("/flutter_bootstrap.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe(CACHE_CONTROL.revalidate);
    expectSecurityHeaders(res);
  });

  it("missing assets are a real 404, never index.html", async () => {
    for (const p of ["/main.deadbeef.js", "/canvaskit/missing.wasm", "/nope.png", "/missing.html"]) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expectSecurityHeaders(res);
      const body = await res.text();
      expect(body).toBe("Not Found");
      expect(body).not.toContain("edge-fixture-index");
    }
  });

  it("conditional GET answers 304 with the same headers", async () => {
    const first = await get("/main.3f2a9c1b.js");
    await first.arrayBuffer();
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"/);
    const res = await get("/main.3f2a9c1b.js", { headers: { "if-none-match": etag } });
    expect(res.status).toBe(304);
    expect(res.headers.get("cache-control")).toBe(CACHE_CONTROL.immutable);
    expectSecurityHeaders(res);
  });

  it("the CloudFront path (viewer-request fn → S3 → viewer-response fn or 404 error object, + headers policy) yields the Worker's exact status and headers", async () => {
    const load = (code: string) => {
      const ctx = vm.createContext(Object.create(null));
      vm.runInContext(code, ctx);
      return ctx.handler as (e: unknown) => any;
    };
    const viewerRequest = load(renderViewerRequestFunction(table));
    const viewerResponse = load(renderViewerResponseFunction(table));
    const policy = headersOfPolicyPlan(planResponseHeadersPolicy(table));
    const s3Keys = new Set(planAssetObjects(FIXTURE, table).map((o) => o.key));
    const names = new Set([...Object.keys(table.common), ...table.rules.flatMap((r) => Object.keys(r.headers)), "content-type"]);
    const paths = [
      "/",
      "/login",
      "/a/b/",
      "/index.html",
      "/main.3f2a9c1b.js",
      "/canvaskit/canvaskit.wasm",
      "/asset_versions.json",
      "/flutter_bootstrap.js",
      "/main.deadbeef.js",
      "/x.png",
      "/missing.html",
    ];
    for (const p of paths) {
      const res = await get(p);
      await res.arrayBuffer();
      const worker: Record<string, string> = {};
      for (const n of names) if (res.headers.get(n) !== null) worker[n] = res.headers.get(n)!;

      const req = viewerRequest({
        version: "1.0",
        context: { eventType: "viewer-request" },
        request: { method: "GET", uri: p, querystring: {}, headers: {}, cookies: {} },
      });
      const key = decodeURIComponent(req.uri.slice(1));
      const obj = planAssetObjects(FIXTURE, table).find((o) => o.key === key);
      const status = s3Keys.has(key) ? 200 : 404; // S3 with ListBucket: a missing key is a 404
      const cloudfront: Record<string, string> = {};
      if (status === 200) {
        const s3Headers = { "content-type": { value: obj!.contentType }, "cache-control": { value: obj!.cacheControl } };
        const out = viewerResponse({
          version: "1.0",
          context: { eventType: "viewer-response" },
          request: req,
          response: { statusCode: status, headers: s3Headers, cookies: {} },
        });
        expect(out.statusCode, p).toBe(res.status);
        for (const [k, v] of Object.entries(out.headers as Record<string, { value: string }>)) cloudfront[k] = v.value;
      } else {
        // origin >= 400: no viewer-response function; the custom error response serves the 404 object
        expect(res.status, p).toBe(404);
        const nf = notFoundObject(table);
        Object.assign(cloudfront, { "content-type": nf.contentType, "cache-control": nf.cacheControl });
        expect(nf.body).toBe(await (await get(p)).text());
      }
      Object.assign(cloudfront, policy);
      expect(cloudfront, p).toEqual(worker);
    }
  });

  it("random paths: workerd's status and headers are exactly decide()'s (routes 200 index, unknown files 404)", async () => {
    const seg = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
    const ext = fc.constantFrom("", ".js", ".wasm", ".json", ".html", ".png", ".3f2a9c1b.js", ".css");
    const paths = fc.sample(
      fc.tuple(fc.array(seg, { minLength: 0, maxLength: 3 }), seg, ext).map(([dirs, name, e]) => "/" + [...dirs, name + e].join("/")),
      { numRuns: 60, seed: 42 },
    );
    const names = new Set([...Object.keys(table.common), ...table.rules.flatMap((r) => Object.keys(r.headers)), "content-type"]);
    for (const p of [...paths, "/index.html", "/main.3f2a9c1b.js"]) {
      const res = await get(p);
      const body = await res.text();
      const d = decide(table, p);
      const exists = fs.existsSync(path.join(FIXTURE, d.key)) && d.key !== "";
      const expected = d.serve === "index" || exists ? d.headers : notFoundHeaders(table);
      expect(res.status, p).toBe(d.serve === "index" || exists ? 200 : 404);
      const got: Record<string, string> = {};
      for (const n of names) if (res.headers.get(n) !== null) got[n] = res.headers.get(n)!;
      expect(got, p).toEqual(expected);
      if (d.serve === "index") expect(body).toContain("edge-fixture-index");
    }
  });

  it("byte ranges answer 206 with the class headers", async () => {
    const res = await get("/canvaskit/canvaskit.wasm", { headers: { range: "bytes=0-3" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 0-3/${fs.statSync(path.join(FIXTURE, "canvaskit/canvaskit.wasm")).size}`);
    expect(res.headers.get("content-type")).toBe("application/wasm");
    expectSecurityHeaders(res);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  });

  it("HEAD has headers and no body; other methods are 405", async () => {
    const head = await get("/index.html", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("cache-control")).toBe("no-cache");
    expect(await head.text()).toBe("");
    const post = await get("/", { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expectSecurityHeaders(post);
  });
});

describe("EdgeSite Worker in workerd (credentialless, custom hashed pattern)", () => {
  const table = buildRuleTable({ coep: "credentialless", hashed: { conventions: [], patterns: ["^/canvaskit/"] } });
  let mf: Miniflare | undefined;
  let base = "";
  beforeAll(async () => {
    ({ mf, base } = await startWorker(table));
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  it("COEP follows the policy and the table decides immutability", async () => {
    const html = await fetch(base + "/");
    await html.text();
    expect(html.headers.get("cross-origin-embedder-policy")).toBe("credentialless");
    const wasm = await fetch(base + "/canvaskit/canvaskit.wasm");
    await wasm.arrayBuffer();
    expect(wasm.headers.get("cache-control")).toBe(CACHE_CONTROL.immutable);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    const js = await fetch(base + "/main.3f2a9c1b.js");
    await js.text();
    expect(js.headers.get("cache-control")).toBe(CACHE_CONTROL.revalidate);
    expect(js.headers.get("cross-origin-embedder-policy")).toBe("credentialless");
  });
});
