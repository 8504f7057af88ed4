/**
 * Content-Security-Policy: whether a policy lets inline scripts run (headers-csp-no-inline-script).
 *
 * Per CSP3 a script element is checked against script-src-elem, then script-src, then default-src;
 * this reads script-src, falling back to default-src (what the pack's own edge CSP and every
 * header reader here set). 'unsafe-inline' is ignored by the browser when the same directive has
 * a nonce or hash source ("If expression contains a nonce-source or hash-source, 'unsafe-inline'
 * has no effect", CSP3 §6.7.3.3), so it only counts without one. `*` and `data:` in the directive
 * let a page load script from anywhere (or from an inline data: URL), which is the same hole.
 */

/** The CSP header values found in free text (Caddyfile, nginx, ingress snippets, _headers files). */
export function cspValuesInText(text: string): string[] {
  const out: string[] = [];
  // `Content-Security-Policy "v"` (Caddyfile, nginx add_header), `"Content-Security-Policy: v"`
  // (more_set_headers), `Content-Security-Policy: v` (a _headers file line). Report-Only never blocks.
  // A JSON/JS key (`"content-security-policy": "v"`) too; an unquoted value only after a colon.
  const re = /content-security-policy(?!-report-only)(?![\w-])["']?(?:\s*:?\s*"([^"\n]*)"|\s*:?\s*'([^'\n]*)'|\s*:\s*([^"\n]*))/gi;
  for (const m of text.matchAll(re)) {
    const v = (m[1] ?? m[2] ?? m[3] ?? "")
      .replace(/\s+always\s*;?\s*$/, "")
      .replace(/[;\s]+$/, "")
      .trim();
    // Only what reads as a policy (it starts with a directive name): not `headers["content-security-policy"]`.
    if (/^[a-z][a-z-]*(\s|;|$)/i.test(v)) out.push(v);
  }
  return out;
}

/** CSP values under a `Content-Security-Policy` key anywhere in a JSON value (Caddy `headers` handlers). */
export function cspValuesInJson(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => cspValuesInJson(x, out));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k.toLowerCase() === "content-security-policy") {
        for (const s of Array.isArray(x) ? x : [x]) if (typeof s === "string") out.push(s);
      } else cspValuesInJson(x, out);
    }
  }
  return out;
}

/**
 * Why this CSP lets inline scripts run, or undefined when it does not. A policy without
 * script-src and default-src restricts no script at all.
 */
export function inlineScriptProblem(csp: string): string | undefined {
  const directives = csp
    .split(";")
    .map((d) => d.trim().split(/\s+/))
    .filter((d) => d[0]);
  const find = (name: string) => directives.find((d) => d[0]!.toLowerCase() === name);
  const d = find("script-src") ?? find("default-src");
  if (!d) return "has neither script-src nor default-src, so it restricts no script";
  const name = d[0]!.toLowerCase();
  const sources = d.slice(1).map((s) => s.toLowerCase());
  const viaDefault = name === "default-src" ? " (no script-src, so default-src governs scripts)" : "";
  const hasNonceOrHash = sources.some((s) => /^'(nonce-|sha256-|sha384-|sha512-)/.test(s));
  const bad: string[] = [];
  if (sources.includes("'unsafe-inline'") && !hasNonceOrHash) bad.push("'unsafe-inline' without a nonce or hash source");
  if (sources.includes("*")) bad.push("'*'");
  if (sources.includes("data:")) bad.push("'data:'");
  return bad.length ? `has ${name} with ${bad.join(" and ")}${viaDefault}` : undefined;
}

export const INLINE_SCRIPT_FIX =
  "remove 'unsafe-inline', '*' and 'data:' from script-src: hash the build's inline scripts (platform:webBuilds adds their sha256 sources to script-src) or give them a per-response nonce";
