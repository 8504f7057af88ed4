/**
 * Edge header and cache rules: ONE pure module (no Pulumi import) from which every runtime that
 * serves a web front end is generated — the Cloudflare Worker, the CloudFront Function + response
 * headers policy (components/edge/) and the droplet's Caddy config (components/host/). They all
 * consume the same JSON rule table, so they cannot drift.
 *
 * Stable API (keep backwards compatible):
 *   resolveHeaderPolicy(input?: HeaderPolicyInput): HeaderPolicy   defaults filled in, validated
 *   buildRuleTable(policy: HeaderPolicy | HeaderPolicyInput): EdgeRuleTable   JSON-serialisable
 *   decide(table: EdgeRuleTable, path: string): EdgeDecision        evaluate one request path
 *   headersFor(path: string, policy?: HeaderPolicyInput): EdgeDecision   = decide(buildRuleTable(policy), path)
 *   EDGE_EVALUATOR_SOURCE: string   ES5 source defining `function edgeDecide(table, path)` (plus its
 *                                   regex cache `edgeRegexCache`), the very code
 *                                   `decide` runs; embedded verbatim in the Worker and CloudFront Function
 *   HASH_CONVENTIONS, DEFAULT_HEADER_POLICY, CACHE_CONTROL, PathClass, EdgeRule, EdgeRuleTable ...
 *
 * Semantics of the table (what every runtime must implement):
 *   - `rules` are ordered; the FIRST rule whose `pattern` (a regex source that is valid both in
 *     ECMAScript and in RE2/Go — no lookaround, no backreferences; case-sensitive; unanchored
 *     unless it says ^/$) matches the URL path (percent-encoded, without query string, always
 *     starting with "/") decides the request. The last rule matches everything.
 *   - rule.serve === "index": an SPA route; respond with the object `table.spa.indexKey`
 *     (status 200) — never look the path itself up.
 *     rule.serve === "path": respond with the object at the path (percent-decoded, no leading
 *     "/"); if it does not exist respond with `table.notFound` (a real 404, never index.html).
 *   - Response headers on success = table.common + rule.headers + Content-Type from
 *     table.contentTypes by the served object's extension (when listed; otherwise the stored
 *     object's own type). On 404: table.common + table.notFound.headers.
 *   - Header names are lower-case (CloudFront Functions require it; HTTP is case-insensitive).
 *   - `common` headers are identical on every response, so CloudFront can carry them in a
 *     response headers policy (which also covers error responses) and Caddy in one `header` block.
 *   - Responses of an application origin (the EdgeSite's dynamic origin, a proxied service that
 *     serves the web app on the single host) get `common` only: the rules above describe files
 *     the edge serves itself; the app keeps its own Content-Type and Cache-Control, so its API
 *     responses are never relabelled as HTML nor its assets given another cache lifetime.
 *   - The CSP of a response from the EdgeSite's dynamic origin (a server-rendered app): the
 *     table's CSP, except that its script-src is the app's own when the app sends a strict one —
 *     a per-response nonce, no 'unsafe-inline'/'unsafe-eval'/'unsafe-hashes', no wildcard or
 *     scheme source (`originCsp`, ES5 source EDGE_ORIGIN_CSP_SOURCE, run by the Worker and by the
 *     CloudFront origin behaviour's viewer-response function). Anything else from the app (no
 *     CSP, a lax one, several policies) gets the table's CSP unchanged.
 *
 * Inline scripts and the CSP (`scriptHashes`): the CSP stays strict — no 'unsafe-inline' — and
 * a build's inline scripts (Nuxt 3 emits `window.__NUXT__={...}.config=...` in every HTML page)
 * are allowed by their sha256 hashes, which `buildRuleTable` adds to script-src. The EdgeSite
 * computes them from the build it uploads (`inlineScriptHashes`, at deploy time), so every
 * runtime carries the same CSP. Hashes rather than nonces: the Worker, CloudFront and Caddy
 * serve the build's HTML as stored (CloudFront Functions cannot touch a body), so a per-response
 * nonce would need HTML rewriting that two of the three runtimes cannot do; a hash is a property
 * of the build, fixed at deploy time, and allows exactly the scripts the build contains.
 *
 * A server-rendered origin (Next.js App Router behind the EdgeSite's dynamic origin) is the
 * exception: its inline scripts (`self.__next_f.push([...])`, the RSC payload) change with every
 * response, so no hash fixed at deploy time can allow them, and the edge cannot add a nonce
 * (CloudFront Functions never see a body). The app makes the nonce where it renders the HTML
 * (Next.js's documented strict CSP: a fresh nonce per request, 'strict-dynamic'); the edge keeps
 * every other directive of its own CSP and takes only that script-src, and only when it is
 * strict (see the rule above). Found by test/browser/edge-next.test.ts: a real Next.js 16 build
 * behind CloudFront did not boot under the table's `script-src 'self'`.
 */

import { createHash } from "crypto";

export type CoepMode = "require-corp" | "credentialless";
export type CorpValue = "same-origin" | "same-site" | "cross-origin";
/** Request path classes, in the order the rules are tried. */
export type PathClass = "manifest" | "route" | "html" | "hashed" | "wasm" | "asset";

/** Known content-hash naming conventions, each a regex over the URL path. */
export const HASH_CONVENTIONS = {
  /** `name.<8-64 hex>.ext` — the Flutter asset-versioning step (main.3f2a9c1b.js), webpack [contenthash]. */
  "dotted-hex": "\\.[0-9a-f]{8,64}\\.[A-Za-z0-9]+$",
  /** Vite: `/assets/<name>-<hash>.ext`, hash 8+ chars of base64url. */
  vite: "^/assets/.+-[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9]+$",
  /** Nuxt 3: everything under `/_nuxt/` (its `builds/` metadata is a manifest, matched first). */
  nuxt: "^/_nuxt/.+\\.[A-Za-z0-9]+$",
  /** Next.js: everything under `/_next/static/`. */
  next: "^/_next/static/.+\\.[A-Za-z0-9]+$",
} as const;
export type HashConvention = keyof typeof HASH_CONVENTIONS;

/**
 * The path prefix holding ONLY a convention's build output (CloudFront path-pattern glob,
 * `<prefix>*`), or null when its hashed files can sit anywhere (dotted-hex). With a dynamic
 * origin these prefixes are served from the bucket and every other path from the origin.
 */
export const HASH_CONVENTION_PATH_PATTERNS: Record<HashConvention, string | null> = {
  "dotted-hex": null,
  vite: "/assets/*",
  nuxt: "/_nuxt/*",
  next: "/_next/static/*",
};

/**
 * Bucket path patterns for a dynamic origin (see HASH_CONVENTION_PATH_PATTERNS). Throws naming
 * the field when the hashed-asset policy cannot be expressed as path prefixes.
 */
export function bucketPathPatterns(policyInput: HeaderPolicy | HeaderPolicyInput = {}): string[] {
  const p = resolveHeaderPolicy(policyInput as HeaderPolicyInput);
  const errors: string[] = [];
  const prefixed = Object.keys(HASH_CONVENTION_PATH_PATTERNS)
    .filter((c) => HASH_CONVENTION_PATH_PATTERNS[c as HashConvention])
    .join(", ");
  const out: string[] = [];
  for (const c of p.hashed.conventions) {
    const glob = HASH_CONVENTION_PATH_PATTERNS[c];
    if (glob) out.push(glob);
    else
      errors.push(`hashed.conventions: "${c}" has no path prefix, so a CDN cannot route its assets to the bucket and the rest to the origin; use ${prefixed}`);
  }
  if (p.hashed.patterns.length)
    errors.push(`hashed.patterns: custom patterns cannot be routed to the bucket with a dynamic origin; use a convention with a path prefix (${prefixed})`);
  if (!errors.length && !out.length) errors.push(`hashed.conventions: a dynamic origin needs at least one convention with a path prefix (${prefixed})`);
  if (errors.length) throw new Error(`invalid edge header policy for a dynamic origin:\n  - ${errors.join("\n  - ")}`);
  return [...new Set(out)].sort();
}

/** Manifest-like paths that some conventions add to the no-cache class (matched before hashed). */
const CONVENTION_MANIFESTS: Partial<Record<HashConvention, string>> = {
  nuxt: "^/_nuxt/builds/",
};

export interface HeaderPolicy {
  /** Cross-Origin-Embedder-Policy on every response. require-corp is the default; credentialless must be chosen. */
  coep: CoepMode;
  /** Content-Security-Policy, verbatim, on every response. */
  csp: string;
  hsts: { maxAgeSeconds: number; includeSubDomains: boolean; preload: boolean };
  /** Cross-Origin-Resource-Policy on every response. */
  corp: CorpValue;
  referrerPolicy: string;
  /** Which paths are content-hashed (immutable): named conventions plus extra regex sources. */
  hashed: { conventions: HashConvention[]; patterns: string[] };
  /** File names (basenames) that are asset manifests / bootstrap metadata: always no-cache. */
  manifests: string[];
  /** The SPA entry document (object key, no leading "/"). */
  indexDocument: string;
  /**
   * CSP hash sources (`sha256-<base64>`) of the build's inline scripts, added to script-src
   * (see `inlineScriptHashes`). Default none.
   */
  scriptHashes: string[];
}

export type HeaderPolicyInput = Partial<Omit<HeaderPolicy, "hsts" | "hashed">> & {
  hsts?: Partial<HeaderPolicy["hsts"]>;
  hashed?: Partial<HeaderPolicy["hashed"]>;
};

/** The exact Cache-Control values per class. */
export const CACHE_CONTROL = {
  immutable: "public, max-age=31536000, immutable",
  noCache: "no-cache",
  revalidate: "public, max-age=0, must-revalidate",
  notFound: "no-store",
} as const;

/**
 * Default CSP: same-origin only, WASM compilation allowed ('wasm-unsafe-eval', needed by
 * Flutter/CanvasKit and sqlite3.wasm), blob: workers, no plugins, no framing.
 */
export const DEFAULT_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
  "object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

export const DEFAULT_HEADER_POLICY: HeaderPolicy = {
  coep: "require-corp",
  csp: DEFAULT_CSP,
  hsts: { maxAgeSeconds: 63072000, includeSubDomains: true, preload: false },
  corp: "same-origin",
  referrerPolicy: "strict-origin-when-cross-origin",
  hashed: { conventions: ["dotted-hex"], patterns: [] },
  manifests: ["asset_versions.json", "manifest.json", "manifest.webmanifest", "version.json", "flutter_service_worker.js"],
  indexDocument: "index.html",
  scriptHashes: [],
};

/** Lower-case extension → Content-Type. `.wasm` MUST be application/wasm (streaming compilation). */
export const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  webmanifest: "application/manifest+json",
  wasm: "application/wasm",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  txt: "text/plain; charset=utf-8",
  xml: "application/xml",
  pdf: "application/pdf",
  bin: "application/octet-stream",
  frag: "application/octet-stream",
};

export interface EdgeRule {
  class: PathClass;
  /** Regex source (ECMAScript ∩ RE2) tested against the URL path. */
  pattern: string;
  serve: "path" | "index";
  /** Class-specific headers (lower-case names), added to `common`. */
  headers: Record<string, string>;
}

export interface EdgeRuleTable {
  version: 1;
  common: Record<string, string>;
  rules: EdgeRule[];
  spa: { indexKey: string };
  notFound: { status: 404; headers: Record<string, string>; body: string };
  contentTypes: Record<string, string>;
}

export interface EdgeDecision {
  class: PathClass;
  /** The object to serve (percent-decoded, no leading "/"); "" only for an undecodable path. */
  key: string;
  serve: "path" | "index";
  /** Full success-response headers (common + class + content-type). */
  headers: Record<string, string>;
}

export const REFERRER_POLICIES = [
  "no-referrer",
  "no-referrer-when-downgrade",
  "origin",
  "origin-when-cross-origin",
  "same-origin",
  "strict-origin",
  "strict-origin-when-cross-origin",
  "unsafe-url",
];

const FORBIDDEN_REGEX = /\(\?[=!<]|\\[1-9]|\\k</;

/** Fill defaults and validate; throws an Error listing every problem with its field. */
export function resolveHeaderPolicy(input: HeaderPolicyInput = {}): HeaderPolicy {
  const d = DEFAULT_HEADER_POLICY;
  const p: HeaderPolicy = {
    coep: input.coep ?? d.coep,
    csp: input.csp ?? d.csp,
    hsts: { ...d.hsts, ...(input.hsts ?? {}) },
    corp: input.corp ?? d.corp,
    referrerPolicy: input.referrerPolicy ?? d.referrerPolicy,
    hashed: {
      conventions: input.hashed?.conventions ?? d.hashed.conventions,
      patterns: input.hashed?.patterns ?? d.hashed.patterns,
    },
    manifests: input.manifests ?? d.manifests,
    indexDocument: input.indexDocument ?? d.indexDocument,
    scriptHashes: [...new Set(input.scriptHashes ?? d.scriptHashes)].sort(),
  };
  const errors: string[] = [];
  if (p.coep !== "require-corp" && p.coep !== "credentialless") errors.push(`coep: must be "require-corp" or "credentialless"`);
  if (!["same-origin", "same-site", "cross-origin"].includes(p.corp)) errors.push(`corp: must be same-origin, same-site or cross-origin`);
  if (!REFERRER_POLICIES.includes(p.referrerPolicy)) errors.push(`referrerPolicy: must be one of ${REFERRER_POLICIES.join(", ")}`);
  if (!p.csp.trim() || /[\r\n]/.test(p.csp)) errors.push("csp: must be a non-empty single line");
  if (!Number.isInteger(p.hsts.maxAgeSeconds) || p.hsts.maxAgeSeconds < 31536000) errors.push("hsts.maxAgeSeconds: must be an integer >= 31536000 (one year)");
  if (p.hsts.preload && !p.hsts.includeSubDomains) errors.push("hsts.preload: requires hsts.includeSubDomains: true");
  for (const c of p.hashed.conventions)
    if (!(c in HASH_CONVENTIONS)) errors.push(`hashed.conventions: unknown "${c}" (known: ${Object.keys(HASH_CONVENTIONS).join(", ")})`);
  p.hashed.patterns.forEach((src, i) => {
    if (FORBIDDEN_REGEX.test(src)) errors.push(`hashed.patterns[${i}]: lookaround/backreferences are not portable to RE2 (Caddy)`);
    try {
      new RegExp(src);
    } catch (e) {
      errors.push(`hashed.patterns[${i}]: invalid regex: ${(e as Error).message}`);
    }
  });
  p.manifests.forEach((m, i) => {
    if (!/^[A-Za-z0-9._-]+$/.test(m)) errors.push(`manifests[${i}]: must be a plain file name ("asset_versions.json")`);
  });
  p.scriptHashes.forEach((h, i) => {
    if (!SCRIPT_HASH.test(h)) errors.push(`scriptHashes[${i}]: must be a CSP hash source without quotes, "sha256-" + base64 of 32 bytes`);
  });
  if (p.scriptHashes.length && /'unsafe-inline'/.test(scriptSrcOf(p.csp) ?? ""))
    errors.push("scriptHashes: the CSP's script-src allows 'unsafe-inline', which hashes would silently switch off; remove it");
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\.html?$/.test(p.indexDocument))
    errors.push(`indexDocument: must be an object key ending in .html, without a leading "/"`);
  if (errors.length) throw new Error(`invalid edge header policy:\n  - ${errors.join("\n  - ")}`);
  return p;
}

/** A CSP sha256 hash source, unquoted. */
const SCRIPT_HASH = /^sha256-[A-Za-z0-9+/]{43}=$/;

/** The script-src directive of a CSP, or undefined. */
export function scriptSrcOf(csp: string): string | undefined {
  return csp
    .split(";")
    .map((d) => d.trim())
    .find((d) => /^script-src(\s|$)/i.test(d));
}

/**
 * The CSP with hash sources added to script-src. Without a script-src, scripts fall back to
 * default-src, so script-src is created from default-src's sources plus the hashes (the same
 * scripts stay allowed).
 */
export function withScriptHashes(csp: string, hashes: string[]): string {
  if (hashes.length === 0) return csp;
  const directives = csp
    .split(";")
    .map((d) => d.trim())
    .filter(Boolean);
  const sources = hashes.map((h) => `'${h}'`);
  const i = directives.findIndex((d) => /^script-src(\s|$)/i.test(d));
  if (i >= 0) {
    const have = new Set(directives[i]!.split(/\s+/));
    directives[i] = [directives[i], ...sources.filter((x) => !have.has(x))].join(" ");
  } else {
    const def = directives.find((d) => /^default-src(\s|$)/i.test(d));
    directives.push(["script-src", ...(def ? def.split(/\s+/).slice(1) : []), ...sources].join(" "));
  }
  return directives.join("; ");
}

/**
 * CSP hash sources (`sha256-<base64>`) of the inline scripts a browser would execute in one HTML
 * document: `<script>` elements without `src` whose type is absent, a JavaScript MIME type or
 * `module` (JSON data blocks such as Nuxt's `__NUXT_DATA__` are not executed and need none). The
 * hash is over the element's text exactly as it stands in the file, as the browser computes it.
 */
export function inlineScriptHashes(html: string): string[] {
  const out = new Set<string>();
  const re = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const attrs = m[1]!;
    if (/\ssrc\s*=/i.test(` ${attrs}`)) continue;
    const type = /\stype\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(` ${attrs}`);
    const t = (type?.[1] ?? type?.[2] ?? type?.[3] ?? "").trim().toLowerCase();
    if (t && t !== "module" && !/^(text|application)\/(x-)?(java|ecma)script$/.test(t)) continue;
    out.add(`sha256-${createHash("sha256").update(m[2]!, "utf8").digest("base64")}`);
  }
  return [...out].sort();
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function hstsValue(h: HeaderPolicy["hsts"]): string {
  return `max-age=${h.maxAgeSeconds}${h.includeSubDomains ? "; includeSubDomains" : ""}${h.preload ? "; preload" : ""}`;
}

/** Derive the rule table. Pure and deterministic: same policy, byte-identical JSON. */
export function buildRuleTable(policyInput: HeaderPolicy | HeaderPolicyInput = {}): EdgeRuleTable {
  const p = resolveHeaderPolicy(policyInput as HeaderPolicyInput);
  const common: Record<string, string> = {
    "strict-transport-security": hstsValue(p.hsts),
    "x-content-type-options": "nosniff",
    "content-security-policy": withScriptHashes(p.csp, p.scriptHashes),
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-embedder-policy": p.coep,
    "cross-origin-resource-policy": p.corp,
    "referrer-policy": p.referrerPolicy,
  };
  const manifestPatterns = [
    `(^|/)(${p.manifests.map(escapeRegex).join("|")})$`,
    ...p.hashed.conventions.flatMap((c) => (CONVENTION_MANIFESTS[c] ? [CONVENTION_MANIFESTS[c]!] : [])),
  ];
  const hashedPatterns = [...p.hashed.conventions.map((c) => HASH_CONVENTIONS[c]), ...p.hashed.patterns];
  const rules: EdgeRule[] = [
    { class: "manifest", pattern: manifestPatterns.map((s) => `(${s})`).join("|"), serve: "path", headers: { "cache-control": CACHE_CONTROL.noCache } },
    // No dot in the last path segment ("/", "/login", "/app/settings/"): an SPA route.
    { class: "route", pattern: "(^|/)[^/.]*$", serve: "index", headers: { "cache-control": CACHE_CONTROL.noCache } },
    { class: "html", pattern: "\\.html?$", serve: "path", headers: { "cache-control": CACHE_CONTROL.noCache } },
    ...(hashedPatterns.length
      ? [
          {
            class: "hashed" as const,
            pattern: hashedPatterns.map((s) => `(${s})`).join("|"),
            serve: "path" as const,
            headers: { "cache-control": CACHE_CONTROL.immutable },
          },
        ]
      : []),
    { class: "wasm", pattern: "\\.wasm$", serve: "path", headers: { "cache-control": CACHE_CONTROL.revalidate } },
    { class: "asset", pattern: "^/", serve: "path", headers: { "cache-control": CACHE_CONTROL.revalidate } },
  ];
  return {
    version: 1,
    common,
    rules,
    spa: { indexKey: p.indexDocument },
    notFound: {
      status: 404,
      headers: { "cache-control": CACHE_CONTROL.notFound, "content-type": "text/plain; charset=utf-8" },
      body: "Not Found",
    },
    contentTypes: { ...CONTENT_TYPES },
  };
}

/**
 * The evaluator every runtime runs, as ES5 source (no let/const/arrow/template literals, no
 * regex features beyond ES5), so it is valid in workerd, the cloudfront-js-2.0 runtime and Node.
 * `decide` below runs exactly this code.
 */
export const EDGE_EVALUATOR_SOURCE = `var edgeRegexCache = Object.create(null);
function edgeDecide(table, rawPath) {
  var path = String(rawPath || "/");
  var cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  if (path.charAt(0) !== "/") path = "/" + path;
  var rules = table.rules;
  for (var i = 0; i < rules.length; i++) {
    var rule = rules[i];
    var re = edgeRegexCache[rule.pattern] || (edgeRegexCache[rule.pattern] = new RegExp(rule.pattern));
    if (!re.test(path)) continue;
    var key;
    if (rule.serve === "index") {
      key = table.spa.indexKey;
    } else {
      try { key = decodeURIComponent(path.slice(1)); } catch (e) { key = ""; }
    }
    var headers = {};
    var name;
    for (name in table.common) headers[name] = table.common[name];
    for (name in rule.headers) headers[name] = rule.headers[name];
    var slash = key.lastIndexOf("/");
    var dot = key.lastIndexOf(".");
    if (dot > slash) {
      var type = table.contentTypes[key.slice(dot + 1).toLowerCase()];
      if (type) headers["content-type"] = type;
    }
    return { "class": rule.class, key: key, serve: rule.serve, headers: headers };
  }
  return null;
}`;

/**
 * ES5 source defining `function edgeOriginCsp(edgeCsp, appCsp)`: the CSP of a response from a
 * dynamic origin (see the module comment). `originCsp` below runs exactly this code.
 */
export const EDGE_ORIGIN_CSP_SOURCE = `function edgeOriginCsp(edgeCsp, appCsp) {
  var app = String(appCsp || "");
  if (!app || app.indexOf(",") >= 0) return edgeCsp;
  var appScript = null;
  var parts = app.split(";");
  for (var i = 0; i < parts.length; i++) {
    var t = parts[i].replace(/^\\s+|\\s+$/g, "").split(/\\s+/);
    if (t[0].toLowerCase() === "script-src") { appScript = t.slice(1); break; }
  }
  if (!appScript) return edgeCsp;
  var nonce = false;
  for (var j = 0; j < appScript.length; j++) {
    var src = appScript[j].toLowerCase();
    if (/^'nonce-[a-z0-9+\\/_=-]{16,}'$/.test(src)) nonce = true;
    else if (src === "'unsafe-inline'" || src === "'unsafe-eval'" || src === "'unsafe-hashes'" || src === "*" || /^[a-z][a-z0-9+.-]*:$/.test(src) || src.indexOf("*") >= 0) return edgeCsp;
  }
  if (!nonce) return edgeCsp;
  var out = [];
  var replaced = false;
  var edge = String(edgeCsp).split(";");
  for (var k = 0; k < edge.length; k++) {
    var d = edge[k].replace(/^\\s+|\\s+$/g, "");
    if (!d) continue;
    var words = d.split(/\\s+/);
    if (words[0].toLowerCase() === "script-src") {
      var merged = ["script-src"].concat(appScript);
      if (words.indexOf("'wasm-unsafe-eval'") > 0 && appScript.indexOf("'wasm-unsafe-eval'") < 0) merged.push("'wasm-unsafe-eval'");
      out.push(merged.join(" "));
      replaced = true;
    } else out.push(d);
  }
  if (!replaced) out.push(["script-src"].concat(appScript).join(" "));
  return out.join("; ");
}`;

// eslint-disable-next-line @typescript-eslint/no-implied-eval
const originCspEvaluator = new Function(`${EDGE_ORIGIN_CSP_SOURCE}\nreturn edgeOriginCsp;`)() as (edgeCsp: string, appCsp: string) => string;

/** The CSP the edge sends on a dynamic origin's response whose own CSP is `appCsp` ("" = none). */
export function originCsp(edgeCsp: string, appCsp: string | undefined): string {
  return originCspEvaluator(edgeCsp, appCsp ?? "");
}

type Evaluator = (table: EdgeRuleTable, path: string) => EdgeDecision | null;
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const evaluator = new Function(`${EDGE_EVALUATOR_SOURCE}\nreturn edgeDecide;`)() as Evaluator;

/** Evaluate one request path against a table (the same code the Worker/CloudFront Function run). */
export function decide(table: EdgeRuleTable, path: string): EdgeDecision {
  const d = evaluator(table, path);
  if (!d) throw new Error(`edge rule table has no catch-all rule (path ${path})`);
  return d;
}

/** Headers of a 404 for a missing asset (common + notFound). */
export function notFoundHeaders(table: EdgeRuleTable): Record<string, string> {
  return { ...table.common, ...table.notFound.headers };
}

/** Convenience: decide(buildRuleTable(policy), path). */
export function headersFor(path: string, policy: HeaderPolicy | HeaderPolicyInput = {}): EdgeDecision {
  return decide(buildRuleTable(policy), path);
}
