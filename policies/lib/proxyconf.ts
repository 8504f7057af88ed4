/**
 * Pure checks of reverse-proxy configuration text (Caddyfile, Caddy JSON, nginx) as deployed to a
 * Docker host in a container upload. Used by the TLS and header policies.
 */
import { COEP_RE, COOP_RE } from "./util";

export interface Block {
  /** Text before the `{` (site addresses for Caddy, `server`/`location ...` for nginx). */
  head: string;
  /** Text between the braces (nested blocks included verbatim). */
  body: string;
}

/** Strips `#` comments (outside quotes, good enough for config files). */
function stripComments(text: string): string {
  return text
    .split("\n")
    .map((l) => l.replace(/(^|\s)#.*$/, ""))
    .join("\n");
}

/** Top-level `head { body }` blocks of a brace-structured config. */
export function topBlocks(text: string): Block[] {
  const src = stripComments(text);
  const out: Block[] = [];
  let depth = 0;
  let headStart = 0;
  let bodyStart = -1;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "{") {
      if (depth === 0) bodyStart = i + 1;
      depth++;
    } else if (c === "}") {
      depth--;
      if (depth === 0 && bodyStart >= 0) {
        const headText = src.slice(headStart, bodyStart - 1);
        const lines = headText
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean);
        out.push({ head: lines[lines.length - 1] ?? "", body: src.slice(bodyStart, i) });
        headStart = i + 1;
        bodyStart = -1;
      }
    }
  }
  return out;
}

/** Nested blocks named `name` (e.g. nginx `server` inside `http`). */
export function blocksNamed(text: string, name: RegExp): Block[] {
  const out: Block[] = [];
  for (const b of topBlocks(text)) {
    if (name.test(b.head)) out.push(b);
    else out.push(...blocksNamed(b.body, name));
  }
  return out;
}

/** Caddy directives (first word of each line at the block's top level). */
function directives(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const raw of body.split("\n")) {
    const line = raw.trim();
    if (depth === 0 && line) out.push(line.split(/\s+/)[0]!);
    depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
  }
  return out;
}

const isPlainHttpAddress = (a: string): boolean => /^http:\/\//i.test(a) || /(^|:)80$/.test(a.replace(/\/.*$/, ""));

/** Problems that make a Caddyfile serve anything but HTTPS (empty list = HTTPS only). */
export function caddyfileProblems(text: string): string[] {
  const problems: string[] = [];
  const blocks = topBlocks(text);
  for (const b of blocks) {
    if (b.head === "") {
      // global options block
      if (/^\s*auto_https\s+(off|disable_redirects)\b/m.test(b.body))
        problems.push(`global option 'auto_https ${/auto_https\s+(\S+)/.exec(b.body)![1]}' turns off HTTPS or its HTTP→HTTPS redirect`);
      continue;
    }
    if (/^\(.*\)$/.test(b.head)) continue; // snippet
    const addresses = b.head.split(/[\s,]+/).filter(Boolean);
    if (addresses.some(isPlainHttpAddress)) {
      const served = directives(b.body).filter((d) => !["redir", "log", "encode", "header"].includes(d));
      const redirects = /\bredir\s+https:\/\//.test(b.body) || /\bredir\s+\S*\{scheme\}|redir\s+https/.test(b.body);
      if (served.length > 0 || !redirects) {
        problems.push(
          `site '${b.head}' serves plain HTTP (${served.length ? served.join(", ") : "no redirect"}); an http:// or :80 site may only 'redir https://{host}{uri}'`,
        );
      }
    }
  }
  if (blocks.length === 0 && text.trim() !== "") problems.push("no site block found in the Caddyfile");
  return problems;
}

/** Handlers that serve content; on a plain-HTTP server only redirects and errors are allowed. */
const SERVING_HANDLERS = new Set(["reverse_proxy", "file_server", "php_fastcgi", "templates", "acme_server"]);

function handlersIn(v: unknown, out: any[] = []): any[] {
  if (Array.isArray(v)) v.forEach((x) => handlersIn(x, out));
  else if (v && typeof v === "object") {
    if (typeof (v as any).handler === "string") out.push(v);
    for (const x of Object.values(v)) handlersIn(x, out);
  }
  return out;
}

const portOf = (listen: string): number | undefined => {
  const m = /:(\d+)(-\d+)?$/.exec(listen);
  return m ? Number(m[1]) : undefined;
};

/**
 * Problems in a Caddy JSON config: a server on the HTTP port (apps.http.http_port, default 80) may
 * only redirect or answer errors; automatic HTTPS may not be disabled on a server without its own
 * TLS connection policies; `disable_redirects` needs an explicit redirecting HTTP server.
 */
export function caddyJsonProblems(json: string): string[] {
  let cfg: any;
  try {
    cfg = JSON.parse(json);
  } catch {
    return ["Caddy JSON config does not parse"];
  }
  const http = cfg?.apps?.http ?? {};
  const httpPort: number = http.http_port ?? 80;
  const problems: string[] = [];
  const servers = Object.entries<any>(http.servers ?? {});
  const plain = servers.filter(([, srv]) => asList(srv?.listen).some((l) => portOf(l) === httpPort) && !srv?.tls_connection_policies);
  const plainRedirects = plain.some(([, srv]) =>
    handlersIn(srv?.routes).some((h) => h.handler === "static_response" && h.status_code >= 300 && h.status_code < 400),
  );
  for (const [name, srv] of servers) {
    const ah = srv?.automatic_https ?? {};
    if (ah.disable === true && !srv?.tls_connection_policies) problems.push(`server '${name}' disables automatic HTTPS and has no TLS connection policies`);
    if (ah.disable_redirects === true && !plainRedirects)
      problems.push(`server '${name}' sets automatic_https.disable_redirects but no HTTP server redirects to HTTPS`);
  }
  for (const [name, srv] of plain) {
    for (const h of handlersIn(srv?.routes)) {
      if (SERVING_HANDLERS.has(h.handler))
        problems.push(`server '${name}' listens on the HTTP port ${httpPort} and serves content there (${h.handler}); it may only redirect`);
      else if (h.handler === "static_response" && !(Number(h.status_code) >= 300))
        problems.push(`server '${name}' answers ${h.status_code ?? 200} with content on plain HTTP; it may only redirect`);
    }
  }
  return problems;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** Problems in an nginx config: every `listen 80`/non-ssl server must only redirect to https. */
export function nginxProblems(text: string): string[] {
  const problems: string[] = [];
  for (const s of blocksNamed(text, /^server$/)) {
    const listens = [...s.body.matchAll(/^\s*listen\s+([^;]+);/gm)].map((m) => m[1]!);
    const plain = listens.some((l) => !/\bssl\b|\bquic\b/.test(l));
    if (!plain) continue;
    const redirects = /return\s+30[1278]\s+https:\/\//.test(s.body);
    const serves = /\b(proxy_pass|root|fastcgi_pass|grpc_pass|uwsgi_pass|alias)\b/.test(s.body);
    if (!redirects || serves)
      problems.push(`server listening on '${listens.join("', '")}' serves plain HTTP; it may only 'return 301 https://$host$request_uri'`);
  }
  return problems;
}

export type ProxyKind = "caddyfile" | "caddy-json" | "nginx";

/** Proxy configs carried in a container's environment (`NAME=value`), e.g. CADDY_CONFIG_JSON or CADDYFILE. */
export function envConfigs(envs: unknown[]): { file: string; content: string; kind: ProxyKind }[] {
  const out: { file: string; content: string; kind: ProxyKind }[] = [];
  for (const e of envs) {
    if (typeof e !== "string") continue;
    const eq = e.indexOf("=");
    if (eq < 1) continue;
    const name = e.slice(0, eq);
    const value = e.slice(eq + 1);
    if (/caddyfile/i.test(name)) out.push({ file: `env:${name}`, content: value, kind: "caddyfile" });
    else if (/^\s*{/.test(value) && /"apps"\s*:\s*{[\s\S]*"http"/.test(value)) out.push({ file: `env:${name}`, content: value, kind: "caddy-json" });
    else if (/nginx/i.test(name) && /\bserver\s*{/.test(value)) out.push({ file: `env:${name}`, content: value, kind: "nginx" });
  }
  return out;
}

/** Classifies an uploaded file by its path (and content for JSON). */
export function proxyConfigKind(file: string, content: string): ProxyKind | undefined {
  if (/caddyfile$/i.test(file)) return "caddyfile";
  if (/caddy[^/]*\.json$/i.test(file) || (/\.json$/i.test(file) && /"apps"\s*:\s*{\s*"http"/.test(content))) return "caddy-json";
  if (/nginx[^/]*\.conf$|\/nginx\/.*\.conf$|conf\.d\/[^/]+\.conf$/i.test(file)) return "nginx";
  return undefined;
}

export function proxyConfigProblems(kind: ProxyKind, content: string): string[] {
  return kind === "caddyfile" ? caddyfileProblems(content) : kind === "caddy-json" ? caddyJsonProblems(content) : nginxProblems(content);
}

/** Caddy/nginx sites that serve files (an SPA) must set COOP/COEP; returns the offending site heads. */
export function staticSitesWithoutIsolationHeaders(kind: ProxyKind, content: string): string[] {
  const out: string[] = [];
  if (kind === "caddy-json") {
    // Sites that serve files must set both headers somewhere in the config (a `headers` handler).
    if (/"handler"\s*:\s*"file_server"/.test(content) && !(COOP_RE.test(content) && COEP_RE.test(content))) out.push("file_server routes");
  }
  if (kind === "caddyfile") {
    for (const b of topBlocks(content)) {
      if (b.head === "" || /^\(.*\)$/.test(b.head)) continue;
      if (
        /\bfile_server\b/.test(b.body) &&
        !(COOP_RE.test(b.body) && COEP_RE.test(b.body)) &&
        !(COOP_RE.test(content) && COEP_RE.test(content) && /\bimport\b/.test(b.body))
      )
        out.push(b.head);
    }
  } else if (kind === "nginx") {
    for (const s of blocksNamed(content, /^server$/)) {
      if (/^\s*(root|alias)\s/m.test(s.body) && !(COOP_RE.test(s.body) && COEP_RE.test(s.body)))
        out.push(`server ${/server_name\s+([^;]+);/.exec(s.body)?.[1] ?? ""}`.trim());
    }
  }
  return out;
}
