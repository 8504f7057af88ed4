import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildRuleTable, CACHE_CONTROL, decide, EDGE_EVALUATOR_SOURCE, headersFor, notFoundHeaders, resolveHeaderPolicy } from "../../components/edge/headers";
import { APP_HASH_CONVENTIONS, planCloudflareRateLimit } from "../../components/edge/plan";

const table = buildRuleTable({ hashed: { conventions: ["dotted-hex", "vite", "nuxt", "next"] } });

describe("edge rule table: classes", () => {
  const cases: Array<[string, string, string, "path" | "index"]> = [
    ["/", "route", "index.html", "index"],
    ["/login", "route", "index.html", "index"],
    ["/app/settings/", "route", "index.html", "index"],
    ["/app/settings?tab=1", "route", "index.html", "index"],
    ["/index.html", "html", "index.html", "path"],
    ["/docs/page.htm", "html", "docs/page.htm", "path"],
    ["/main.3f2a9c1b.js", "hashed", "main.3f2a9c1b.js", "path"],
    ["/canvaskit/canvaskit.5d7c1e2a.wasm", "hashed", "canvaskit/canvaskit.5d7c1e2a.wasm", "path"],
    ["/assets/index-BXk3Fz9a.js", "hashed", "assets/index-BXk3Fz9a.js", "path"],
    ["/_nuxt/DlAUqK2U.js", "hashed", "_nuxt/DlAUqK2U.js", "path"],
    ["/_nuxt/builds/latest.json", "manifest", "_nuxt/builds/latest.json", "path"],
    ["/_next/static/chunks/main-abc.js", "hashed", "_next/static/chunks/main-abc.js", "path"],
    ["/canvaskit/canvaskit.wasm", "wasm", "canvaskit/canvaskit.wasm", "path"],
    ["/asset_versions.json", "manifest", "asset_versions.json", "path"],
    ["/manifest.json", "manifest", "manifest.json", "path"],
    ["/flutter_service_worker.js", "manifest", "flutter_service_worker.js", "path"],
    ["/flutter_bootstrap.js", "asset", "flutter_bootstrap.js", "path"],
    ["/assets/fonts/MaterialIcons-Regular.otf", "asset", "assets/fonts/MaterialIcons-Regular.otf", "path"],
    ["/favicon.png", "asset", "favicon.png", "path"],
    ["/.env", "asset", ".env", "path"],
    ["/img/a%20b.png", "asset", "img/a b.png", "path"],
  ];
  it.each(cases)("%s → %s", (path, cls, key, serve) => {
    const d = decide(table, path);
    expect(d.class).toBe(cls);
    expect(d.key).toBe(key);
    expect(d.serve).toBe(serve);
  });
});

describe("edge rule table: headers", () => {
  it("COOP/COEP/CORP/HSTS/nosniff/CSP on every class", () => {
    for (const path of ["/", "/index.html", "/main.3f2a9c1b.js", "/canvaskit/canvaskit.wasm", "/asset_versions.json", "/x.png"]) {
      const h = decide(table, path).headers;
      expect(h["cross-origin-opener-policy"]).toBe("same-origin");
      expect(h["cross-origin-embedder-policy"]).toBe("require-corp");
      expect(h["cross-origin-resource-policy"]).toBe("same-origin");
      expect(h["x-content-type-options"]).toBe("nosniff");
      expect(h["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
      expect(h["content-security-policy"]).toContain("'wasm-unsafe-eval'");
    }
    const nf = notFoundHeaders(table);
    expect(nf["cross-origin-embedder-policy"]).toBe("require-corp");
    expect(nf["cache-control"]).toBe("no-store");
  });

  it("cache-control per class", () => {
    expect(decide(table, "/").headers["cache-control"]).toBe("no-cache");
    expect(decide(table, "/index.html").headers["cache-control"]).toBe("no-cache");
    expect(decide(table, "/asset_versions.json").headers["cache-control"]).toBe("no-cache");
    expect(decide(table, "/main.3f2a9c1b.js").headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(decide(table, "/canvaskit/canvaskit.wasm").headers["cache-control"]).toBe(CACHE_CONTROL.revalidate);
  });

  it("content types: wasm is application/wasm, routes are html", () => {
    expect(decide(table, "/canvaskit/canvaskit.wasm").headers["content-type"]).toBe("application/wasm");
    expect(decide(table, "/canvaskit/canvaskit.5d7c1e2a.wasm").headers["content-type"]).toBe("application/wasm");
    expect(decide(table, "/deep/route").headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(decide(table, "/main.3f2a9c1b.js").headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(decide(table, "/blob.unknownext").headers["content-type"]).toBeUndefined();
  });

  it("policy inputs flow through: credentialless, CSP, HSTS preload, CORP", () => {
    const h = headersFor("/", {
      coep: "credentialless",
      csp: "default-src 'self'",
      corp: "same-site",
      hsts: { maxAgeSeconds: 31536000, includeSubDomains: true, preload: true },
    }).headers;
    expect(h["cross-origin-embedder-policy"]).toBe("credentialless");
    expect(h["content-security-policy"]).toBe("default-src 'self'");
    expect(h["cross-origin-resource-policy"]).toBe("same-site");
    expect(h["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains; preload");
  });

  it("default conventions are conservative: only dotted-hex is immutable", () => {
    expect(headersFor("/assets/index-BXk3Fz9a.js").class).toBe("asset");
    expect(headersFor("/main.3f2a9c1b.js").class).toBe("hashed");
    expect(headersFor("/x.js", { hashed: { conventions: [], patterns: [] } }).class).toBe("asset");
    expect(headersFor("/static/x.js", { hashed: { conventions: [], patterns: ["^/static/"] } }).class).toBe("hashed");
  });
});

describe("edge rule table: validation and portability", () => {
  it("rejects bad policy with every field named", () => {
    expect(() =>
      resolveHeaderPolicy({
        coep: "unsafe-none" as never,
        hsts: { maxAgeSeconds: 60, includeSubDomains: false, preload: true },
        hashed: { conventions: ["rails" as never], patterns: ["(?!x)", "("] },
        manifests: ["a/b.json"],
        indexDocument: "/index.html",
      }),
    ).toThrow(
      /coep[\s\S]*hsts.maxAgeSeconds[\s\S]*hsts.preload[\s\S]*hashed.conventions[\s\S]*hashed.patterns\[0\][\s\S]*hashed.patterns\[1\][\s\S]*manifests\[0\][\s\S]*indexDocument/,
    );
  });

  it("table is JSON-serialisable and deterministic", () => {
    const a = JSON.stringify(buildRuleTable({}));
    expect(JSON.parse(a)).toEqual(buildRuleTable({}));
    expect(JSON.stringify(buildRuleTable({}))).toBe(a);
  });

  it("evaluator source is ES5 (no let/const/arrow/template/lookbehind)", () => {
    expect(EDGE_EVALUATOR_SOURCE).not.toMatch(/\b(let|const)\s|=>|`|\(\?<[=!]/);
  });

  it("patterns avoid lookaround/backreferences (RE2-portable)", () => {
    for (const r of table.rules) expect(r.pattern).not.toMatch(/\(\?[=!<]|\\[1-9]/);
  });

  it("property: every path decides, last rule is a catch-all, routes never serve the path", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z0-9._%-]{0,12}$/), { maxLength: 5 }), (segs) => {
        const path = "/" + segs.join("/");
        const d = decide(table, path);
        const last = path.slice(path.lastIndexOf("/") + 1);
        if (!last.includes(".")) expect(d.serve).toBe("index");
        else expect(d.serve).toBe("path");
        expect(d.headers["cross-origin-opener-policy"]).toBe("same-origin");
      }),
    );
  });
});

describe("edge plan helpers", () => {
  it("app kinds map to conventions that classify their real bundle names as hashed", () => {
    const samples: Record<keyof typeof APP_HASH_CONVENTIONS, string> = {
      "flutter-wasm": "/main.dart.3f2a9c1b.js",
      nuxt: "/_nuxt/entry.DlAUqK2U.js",
      next: "/_next/static/chunks/pages/_app-0f1e2d3c4b5a6978.js",
      "vite-spa": "/assets/index-BXk3Fz9a.js",
    };
    for (const [app, p] of Object.entries(samples)) {
      const t = buildRuleTable({ hashed: { conventions: [...APP_HASH_CONVENTIONS[app as keyof typeof samples]] } });
      expect(decide(t, p).class, app).toBe("hashed");
      expect(decide(t, "/index.html").class).toBe("html");
    }
  });

  it("Cloudflare rate windows above 60 s become the equivalent 60 s rate", () => {
    expect(planCloudflareRateLimit({ requests: 600, periodSeconds: 60 })).toEqual({ period: 60, requestsPerPeriod: 600 });
    expect(planCloudflareRateLimit({ requests: 2000, periodSeconds: 300 })).toEqual({ period: 60, requestsPerPeriod: 400 });
    expect(planCloudflareRateLimit({ requests: 10, periodSeconds: 600 })).toEqual({ period: 60, requestsPerPeriod: 10 });
  });
});
