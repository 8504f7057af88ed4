import { describe, expect, it } from "vitest";
import {
  caddyfileProblems,
  caddyJsonProblems,
  envConfigs,
  nginxProblems,
  proxyConfigKind,
  staticSitesWithoutIsolationHeaders,
  topBlocks,
} from "../../policies/lib/proxyconf";
import { COEP_RE, COOP_RE, headerMapProblems, unpinnedReason, WASM_TYPE_RE } from "../../policies/lib/util";
import { CADDYFILE, caddyJsonConfig } from "../fixtures/policies/compliant";

describe("Caddyfile", () => {
  it("parses top-level blocks, ignoring comments", () => {
    expect(topBlocks('# c { \n{\n  email a@b\n}\na.example.com {\n  respond "}" # x\n}\n').map((b) => b.head)).toEqual(["", "a.example.com"]);
  });
  it("accepts HTTPS sites and http:// sites that only redirect", () => {
    expect(caddyfileProblems(CADDYFILE)).toEqual([]);
    expect(caddyfileProblems(":80 {\n  redir https://{host}{uri}\n}\n")).toEqual([]);
  });
  it("rejects plain-HTTP sites that serve, and global options that turn HTTPS or its redirect off", () => {
    expect(caddyfileProblems("http://a.example.com {\n  file_server\n}")[0]).toMatch(/serves plain HTTP \(file_server\)/);
    expect(caddyfileProblems(":80 {\n  log\n}")[0]).toMatch(/no redirect/);
    expect(caddyfileProblems("{\n  auto_https disable_redirects\n}\na.example.com {\n  reverse_proxy b:1\n}")[0]).toMatch(/auto_https disable_redirects/);
    expect(caddyfileProblems("just text")).toEqual(["no site block found in the Caddyfile"]);
  });
  it("finds static sites without COOP/COEP", () => {
    expect(staticSitesWithoutIsolationHeaders("caddyfile", CADDYFILE)).toEqual([]);
    expect(staticSitesWithoutIsolationHeaders("caddyfile", "b.example.com {\n  root * /srv\n  file_server\n}")).toEqual(["b.example.com"]);
  });
});

describe("Caddy JSON", () => {
  it("accepts a TLS server plus an HTTP server that only redirects and answers 404", () => {
    expect(caddyJsonProblems(JSON.stringify(caddyJsonConfig()))).toEqual([]);
  });
  it("rejects serving on the HTTP port, 200 responses there, disabled HTTPS, and unparsable JSON", () => {
    const cfg = caddyJsonConfig();
    cfg.apps.http.servers.http.routes.push({ handle: [{ handler: "static_response", status_code: 200, body: "hi" }] });
    expect(caddyJsonProblems(JSON.stringify(cfg))).toEqual([expect.stringMatching(/answers 200 with content on plain HTTP/)]);
    const off = caddyJsonConfig();
    delete off.apps.http.servers.https.tls_connection_policies;
    off.apps.http.servers.https.automatic_https = { disable: true };
    expect(caddyJsonProblems(JSON.stringify(off))).toEqual([expect.stringMatching(/disables automatic HTTPS/)]);
    const custom = caddyJsonConfig();
    custom.apps.http.http_port = 8080;
    custom.apps.http.servers.http.listen = [":8080"];
    custom.apps.http.servers.http.routes = [{ handle: [{ handler: "subroute", routes: [{ handle: [{ handler: "reverse_proxy" }] }] }] }];
    expect(caddyJsonProblems(JSON.stringify(custom))).toEqual([
      expect.stringMatching(/disable_redirects but no HTTP server redirects/),
      expect.stringMatching(/HTTP port 8080 and serves content there \(reverse_proxy\)/),
    ]);
    expect(caddyJsonProblems("{")).toEqual(["Caddy JSON config does not parse"]);
  });
  it("finds configs in env vars and uploads by name and content", () => {
    const json = JSON.stringify(caddyJsonConfig());
    expect(
      envConfigs([`CADDY_CONFIG_JSON=${json}`, "CADDYFILE=a.example.com {\n}", "NGINX_CONF=server { listen 80; }", "OTHER=1", 7]).map((c) => [c.file, c.kind]),
    ).toEqual([
      ["env:CADDY_CONFIG_JSON", "caddy-json"],
      ["env:CADDYFILE", "caddyfile"],
      ["env:NGINX_CONF", "nginx"],
    ]);
    expect(proxyConfigKind("/etc/caddy/Caddyfile", "")).toBe("caddyfile");
    expect(proxyConfigKind("/config/site.json", json)).toBe("caddy-json");
    expect(proxyConfigKind("/etc/nginx/conf.d/app.conf", "")).toBe("nginx");
    expect(proxyConfigKind("/app/config.json", "{}")).toBeUndefined();
  });
});

describe("nginx", () => {
  it("allows :80 servers that only return a redirect", () => {
    expect(nginxProblems("http { server { listen 80; return 301 https://$host$request_uri; } server { listen 443 ssl; root /srv; } }")).toEqual([]);
    expect(nginxProblems("server { listen 80; return 301 https://$host; root /srv; }")).toHaveLength(1);
    expect(nginxProblems("server { listen 8080; location / { proxy_pass http://x; } }")).toHaveLength(1);
  });
});

describe("header and image text checks", () => {
  it("recognise COOP/COEP and the wasm type in code, JSON, Caddy and nginx syntax", () => {
    for (const t of [
      `h.set("Cross-Origin-Opener-Policy", "same-origin")`,
      `{"cross-origin-opener-policy":"same-origin"}`,
      `Cross-Origin-Opener-Policy same-origin`,
      `add_header Cross-Origin-Opener-Policy "same-origin" always;`,
      `r.headers['cross-origin-opener-policy']={value:'same-origin'}`,
    ])
      expect(COOP_RE.test(t), t).toBe(true);
    expect(COOP_RE.test("Cross-Origin-Opener-Policy: unsafe-none")).toBe(false);
    expect(COOP_RE.test("Cross-Origin-Opener-Policy-Report-Only: same-origin")).toBe(false);
    expect(COEP_RE.test(`"Cross-Origin-Embedder-Policy": ["credentialless"]`)).toBe(true);
    expect(COEP_RE.test("Cross-Origin-Embedder-Policy: unsafe-none")).toBe(false);
    expect(WASM_TYPE_RE.test(`{".wasm":"application/wasm"}`)).toBe(true);
    expect(headerMapProblems({ "cross-origin-opener-policy": "same-origin", "Cross-Origin-Embedder-Policy": " Require-Corp " })).toEqual([]);
    expect(headerMapProblems({})).toHaveLength(2);
  });
  it("tells pinned images from moving ones", () => {
    expect(unpinnedReason("postgres:16.4")).toBeUndefined();
    expect(unpinnedReason("registry:5000/team/app@sha256:" + "a".repeat(64))).toBeUndefined();
    expect(unpinnedReason("sha256:" + "b".repeat(64))).toBeUndefined();
    expect(unpinnedReason("registry:5000/team/app")).toMatch(/no tag/);
    expect(unpinnedReason("nginx:latest")).toMatch(/moving tag ':latest'/);
    expect(unpinnedReason("caddy:stable")).toMatch(/':stable'/);
  });
});
