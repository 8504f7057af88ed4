// EdgeSite Worker (ES module). Rendered by components/edge/worker/render.ts, which prepends
//   const RULE_TABLE = {...};          the JSON rule table from components/edge/headers.ts
//   function edgeDecide(table, path)   EDGE_EVALUATOR_SOURCE, the same code the tests evaluate
//   function edgeOriginCsp(edge, app)  EDGE_ORIGIN_CSP_SOURCE: the CSP of a dynamic origin's response
// Assets live in the R2 bucket bound as SITE_BUCKET (object key = URL path without "/").
//   const DYNAMIC_ORIGIN = null | { host, bucketPrefixes }   a dynamic origin (EdgeSite `origin`)
// With DYNAMIC_ORIGIN, paths under bucketPrefixes are served from R2 (no SPA fallback: a route
// there is a 404) and every other path, any method, is fetched from https://<host> with the same
// path and query, uncached; its response gets the table's common headers (the app keeps its
// own Cache-Control and Content-Type; the CSP is the table's with the app's script-src when that
// is a strict nonce one). Without it:
// Behaviour: GET/HEAD only; SPA routes serve index.html; a missing asset is a real 404;
// conditional requests (If-None-Match / If-Modified-Since) answer 304 through R2 `onlyIf`;
// byte ranges answer 206 through R2 `range`.

function withHeaders(target, extra) {
  for (const name in extra) target.set(name, extra[name]);
  return target;
}

function notFound(method) {
  const headers = withHeaders(new Headers(), RULE_TABLE.common);
  withHeaders(headers, RULE_TABLE.notFound.headers);
  return new Response(method === "HEAD" ? null : RULE_TABLE.notFound.body, { status: RULE_TABLE.notFound.status, headers });
}

function inBucket(pathname) {
  for (const prefix of DYNAMIC_ORIGIN.bucketPrefixes) if (pathname.startsWith(prefix)) return true;
  return false;
}

async function fromOrigin(request, url) {
  const headers = new Headers(request.headers);
  headers.delete("host");
  headers.set("x-forwarded-host", url.host);
  headers.set("x-forwarded-proto", "https");
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const upstream = await fetch("https://" + DYNAMIC_ORIGIN.host + url.pathname + url.search, {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: "manual",
    cache: "no-store",
  });
  const out = withHeaders(new Headers(upstream.headers), RULE_TABLE.common);
  // The table's CSP, with the app's script-src when it is a strict nonce one (headers.ts originCsp).
  out.set("content-security-policy", edgeOriginCsp(RULE_TABLE.common["content-security-policy"], upstream.headers.get("content-security-policy") || ""));
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}

export default {
  async fetch(request, env) {
    const method = request.method;
    if (DYNAMIC_ORIGIN && !inBucket(new URL(request.url).pathname)) return fromOrigin(request, new URL(request.url));
    if (method !== "GET" && method !== "HEAD") {
      const headers = withHeaders(new Headers(), RULE_TABLE.common);
      headers.set("allow", "GET, HEAD");
      headers.set("cache-control", "no-store");
      return new Response(null, { status: 405, headers });
    }
    const url = new URL(request.url);
    const decision = edgeDecide(RULE_TABLE, url.pathname);
    if (!decision || !decision.key || (DYNAMIC_ORIGIN && decision.serve === "index")) return notFound(method);

    const ranged = request.headers.has("range");
    const object = await env.SITE_BUCKET.get(decision.key, ranged ? { onlyIf: request.headers, range: request.headers } : { onlyIf: request.headers });
    if (object === null) return notFound(method);

    const headers = new Headers();
    object.writeHttpMetadata(headers); // stored Content-Type etc.; the table overrides below
    withHeaders(headers, decision.headers);
    headers.set("etag", object.httpEtag);
    headers.set("last-modified", object.uploaded.toUTCString());

    // R2 returns the object without a body when a precondition from onlyIf fails.
    if (!("body" in object) || object.body === undefined) {
      return new Response(null, { status: 304, headers });
    }
    headers.set("accept-ranges", "bytes");
    if (ranged && object.range && "offset" in object.range) {
      const start = object.range.offset;
      const length = object.range.length === undefined ? object.size - start : object.range.length;
      headers.set("content-range", "bytes " + start + "-" + (start + length - 1) + "/" + object.size);
      headers.set("content-length", String(length));
      return new Response(method === "HEAD" ? null : object.body, { status: 206, headers });
    }
    headers.set("content-length", String(object.size));
    return new Response(method === "HEAD" ? null : object.body, { status: 200, headers });
  },
};
