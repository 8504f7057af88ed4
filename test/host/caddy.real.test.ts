/**
 * The generated Caddy config run by the REAL Caddy binary (Debian package `caddy`, found on
 * PATH) on loopback: free ports picked at run time, Caddy's internal CA for certificates (the
 * test trusts exactly that root), admin API off, a fixture SPA and small node:http upstreams.
 * Everything the test starts is stopped in afterAll.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_CONTROL, decide } from "../../components/edge/headers";
import { dialsOf, LETSENCRYPT_STAGING, renderCaddyConfig } from "../../components/host/caddy";
import { planProxy, type ProxyPlan } from "../../components/host/proxy";
import { serviceSpec } from "../../components/service/spec";

const SITE = path.join(__dirname, "..", "fixtures", "host", "site");
const DOMAIN = "example.test";
const APP = `app.${DOMAIN}`;
const API = `api.${DOMAIN}`;
const WWW = `www.${DOMAIN}`;
const API_PORT = 3000;
const METRICS_PORT = 9464;
const WEB_PORT = 8080;

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
  });
}

const services = [
  serviceSpec.parse({
    name: "api",
    image: "ghcr.io/example/api:1.0.0",
    ports: { http: API_PORT, metrics: METRICS_PORT },
    probes: { liveness: { path: "/health/live" }, readiness: { path: "/health/ready", periodSeconds: 2 } },
    exposure: "public",
    routes: [
      { host: "api", path: "/", group: "api" },
      { host: "api", path: "/upload", group: "upload" },
    ],
    rateLimits: { api: { requestsPerSecond: 20, burst: 40 }, upload: { requestsPerSecond: 5, burst: 10 } },
    // `api` keeps the platform default (1 MiB); `upload` is raised to 4 MiB.
    requestBodyLimits: { upload: 4_194_304 },
    cors: {
      allowedOrigins: ["self"],
      allowedMethods: ["GET", "POST", "OPTIONS"],
      allowedHeaders: ["Content-Type", "Authorization"],
      exposedHeaders: ["X-Request-Id"],
    },
  }),
  serviceSpec.parse({
    name: "web",
    image: "ghcr.io/example/web:1.0.0",
    ports: { http: WEB_PORT },
    probes: { liveness: { path: "/health/live" }, readiness: { path: "/health/ready", periodSeconds: 2 } },
    exposure: "public",
    routes: [{ host: "www" }],
    servesWebApp: true,
  }),
];

describe("generated Caddy config on the real Caddy binary", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "host-caddy-"));
  let caddy: ChildProcess | undefined;
  let caddyLog = "";
  let exited = false;
  const servers: http.Server[] = [];
  const hits = { api: [] as string[], metrics: 0, web: [] as string[], bodies: [] as number[] };
  let httpPort = 0;
  let httpsPort = 0;
  let ca: Buffer;
  let plan: ProxyPlan;
  let config: Record<string, unknown>;

  function request(
    scheme: "http" | "https",
    host: string,
    p: string,
    opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      const base = { host: "127.0.0.1", method: opts.method ?? "GET", path: p, headers: { host, ...(opts.headers ?? {}) } };
      const onRes = (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      };
      const req =
        scheme === "http"
          ? http.request({ ...base, port: httpPort, agent: false }, onRes)
          : https.request({ ...base, port: httpsPort, servername: host, ca, agent: false }, onRes);
      req.on("error", reject);
      req.end(opts.body);
    });
  }

  beforeAll(async () => {
    const api = await listen((req, res) => {
      if (req.url === "/health/ready") return void res.end("ok");
      if (req.method === "POST") {
        // Bodies the proxy let through, by size.
        let n = 0;
        req.on("data", (c: Buffer) => (n += c.length));
        req.on("end", () => (hits.bodies.push(n), res.end(`got ${n}`)));
        return;
      }
      hits.api.push(`${req.method} ${req.url}`);
      res.setHeader("access-control-allow-origin", "*");
      res.setHeader("server", "fastify");
      res.setHeader("vary", "Accept-Encoding");
      res.setHeader("x-request-id", "req-1");
      res.setHeader("access-control-expose-headers", "*");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ service: "api", url: req.url, proto: req.headers["x-forwarded-proto"] }));
    });
    const metrics = await listen((_req, res) => {
      hits.metrics++;
      res.end("metric_total 1\n");
    });
    const web = await listen((req, res) => {
      if (req.url === "/health/ready") return void res.end("ok");
      hits.web.push(`${req.method} ${req.url}`);
      res.setHeader("cache-control", "max-age=60");
      res.setHeader("content-type", "application/octet-stream");
      res.end(`web ${req.url}`);
    });
    servers.push(api.server, metrics.server, web.server);
    const local: Record<number, number> = { [API_PORT]: api.port, [METRICS_PORT]: metrics.port, [WEB_PORT]: web.port };

    plan = planProxy({
      services,
      domain: DOMAIN,
      appOrigin: `https://${APP}`,
      webApp: { host: "app", root: SITE },
      dial: (_svc, _i, port) => `127.0.0.1:${local[port]}`,
    });
    httpPort = await freePort();
    httpsPort = await freePort();
    config = renderCaddyConfig(plan, {
      tls: { issuer: "internal" },
      listen: { address: "127.0.0.1", httpPort, httpsPort },
      storageRoot: path.join(tmp, "data"),
    });
    const file = path.join(tmp, "caddy.json");
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    caddy = spawn("caddy", ["run", "--config", file], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmp, XDG_DATA_HOME: path.join(tmp, "xdg-data"), XDG_CONFIG_HOME: path.join(tmp, "xdg-config") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    caddy.stdout!.on("data", (d: Buffer) => (caddyLog += d.toString()));
    caddy.stderr!.on("data", (d: Buffer) => (caddyLog += d.toString()));
    caddy.on("exit", () => (exited = true));
    caddy.on("error", (e) => {
      caddyLog += `${e.message} (the Debian package \`caddy\` must be installed and on PATH)\n`;
      exited = true;
    });

    // Wait for the internal CA root, then for a certificate to be served (readiness, not timing).
    const root = path.join(tmp, "data", "pki", "authorities", "local", "root.crt");
    for (let i = 0; i < 300; i++) {
      if (exited) throw new Error(`caddy exited:\n${caddyLog}`);
      if (fs.existsSync(root)) {
        ca = fs.readFileSync(root);
        try {
          await request("https", APP, "/");
          await request("https", API, "/health/ready");
          await request("https", WWW, "/health/ready");
          return;
        } catch {
          /* certificate not issued yet */
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`caddy did not become ready:\n${caddyLog}`);
  });

  afterAll(async () => {
    if (caddy && caddy.pid !== undefined && !exited) {
      const done = new Promise((r) => caddy!.once("exit", r));
      caddy.kill("SIGTERM");
      await done;
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("redirects HTTP to HTTPS with path and query, and refuses unknown hosts", async () => {
    const r = await request("http", APP, "/login?next=%2Fhome");
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`https://${APP}:${httpsPort}/login?next=%2Fhome`);
    const api = await request("http", API, "/v1/items");
    expect(api.status).toBe(308);
    expect(api.headers.location).toBe(`https://${API}:${httpsPort}/v1/items`);
    expect((await request("http", "unknown.example.test", "/")).status).toBe(404);
  });

  it("serves every fixture path with exactly the edge table's headers (COOP/COEP/CORP, HSTS, cache, type)", async () => {
    const paths = ["/", "/login", "/app/settings/", "/index.html", "/main.3f2a9c1b.js", "/canvaskit/canvaskit.wasm", "/asset_versions.json", "/robots.txt"];
    for (const p of paths) {
      const r = await request("https", APP, p);
      expect(r.status, p).toBe(200);
      const d = decide(plan.table, p);
      for (const [name, value] of Object.entries(d.headers)) expect(r.headers[name], `${p} ${name}`).toBe(value);
      expect(r.headers.server, p).toBeUndefined();
    }
  });

  it("serves the SPA index for routes, and WASM as application/wasm with its real bytes", async () => {
    const index = fs.readFileSync(path.join(SITE, "index.html"));
    for (const p of ["/", "/login", "/app/settings/"]) {
      const r = await request("https", APP, p);
      expect(r.body.equals(index), p).toBe(true);
      expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(r.headers["cache-control"]).toBe(CACHE_CONTROL.noCache);
    }
    const wasm = await request("https", APP, "/canvaskit/canvaskit.wasm");
    expect(wasm.headers["content-type"]).toBe("application/wasm");
    expect(wasm.body.subarray(0, 4).equals(Buffer.from([0x00, 0x61, 0x73, 0x6d]))).toBe(true);
    expect(wasm.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    expect(wasm.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect((await request("https", APP, "/main.3f2a9c1b.js")).headers["cache-control"]).toBe(CACHE_CONTROL.immutable);
    expect((await request("https", APP, "/asset_versions.json")).headers["cache-control"]).toBe(CACHE_CONTROL.noCache);
  });

  it("answers a missing asset with a real 404 (no-store, never index.html) that still carries the common headers", async () => {
    for (const p of ["/missing.3f2a9c1b.js", "/canvaskit/missing.wasm", "/nope.txt"]) {
      const r = await request("https", APP, p);
      expect(r.status, p).toBe(404);
      expect(r.body.toString()).toBe(plan.table.notFound.body);
      expect(r.headers["cache-control"]).toBe(CACHE_CONTROL.notFound);
      expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(r.headers.server).toBeUndefined();
      for (const [name, value] of Object.entries(plan.table.common)) expect(r.headers[name], `${p} ${name}`).toBe(value);
    }
  });

  it("proxies API routes to the upstream with HSTS, strips upstream CORS/Server headers and never routes the metrics port", async () => {
    const r = await request("https", API, "/v1/items?x=1");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ service: "api", url: "/v1/items?x=1", proto: "https" });
    expect(r.headers["strict-transport-security"]).toBe(plan.table.common["strict-transport-security"]);
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    expect(r.headers.server).toBeUndefined();
    expect((await request("https", API, "/metrics")).body.toString()).toContain('"service":"api"');
    expect(hits.metrics).toBe(0);
    expect(dialsOf(config).some((d) => d.endsWith(`:${METRICS_PORT}`))).toBe(false);
  });

  it("enforces each route group's request-body limit as Traefik does: 1 MiB by default, the upload group's 4 MiB; over it 413 and the service never sees the body", async () => {
    const post = (p: string, size: number) =>
      request("https", API, p, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: Buffer.alloc(size, 0x61) });
    expect(JSON.stringify(config)).toContain('"handler":"request_body","max_size":1048576');
    const ok = await post("/v1/items", 1_048_576);
    expect([ok.status, ok.body.toString()]).toEqual([200, "got 1048576"]);
    const over = await post("/v1/items", 1_048_577);
    expect(over.status).toBe(413);
    expect((await post("/upload/file", 4_194_304)).status).toBe(200);
    expect((await post("/upload/file", 4_194_305)).status).toBe(413);
    expect(hits.bodies).toEqual([1_048_576, 4_194_304]);
  });

  it("applies CORS as the spec says: echo an allowed origin, nothing for others, preflight answered by the proxy", async () => {
    const ok = await request("https", API, "/v1/items", { headers: { origin: `https://${APP}` } });
    expect(ok.headers["access-control-allow-origin"]).toBe(`https://${APP}`);
    expect(ok.headers["access-control-allow-credentials"]).toBeUndefined();
    // exactly the spec's exposedHeaders; the API's own `Access-Control-Expose-Headers: *` never passes
    expect(ok.headers["access-control-expose-headers"]).toBe("X-Request-Id");
    const evil = await request("https", API, "/v1/items", { headers: { origin: "https://evil.example" } });
    expect(evil.headers["access-control-allow-origin"]).toBeUndefined();
    expect(evil.headers["access-control-expose-headers"]).toBeUndefined();
    // The answer depends on Origin, so EVERY response of a CORS route says so (Vary: Origin), with
    // or without an Origin: a response cached without one (the API opened in a tab) must not be
    // reused for the app's cross-origin fetch, nor an allowed origin's for another. The upstream's
    // own Vary (Accept-Encoding) is kept, not replaced.
    const plain = await request("https", API, "/v1/items");
    for (const [what, r] of [
      ["allowed origin", ok],
      ["other origin", evil],
      ["no Origin", plain],
    ] as const) {
      const vary = String(r.headers.vary ?? "")
        .split(/\s*,\s*/)
        .map((v) => v.toLowerCase());
      expect({ what, vary }).toEqual({ what, vary: expect.arrayContaining(["origin", "accept-encoding"]) });
    }
    const before = hits.api.length;
    const pre = await request("https", API, "/v1/items", {
      method: "OPTIONS",
      headers: { origin: `https://${APP}`, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe(`https://${APP}`);
    expect(pre.headers["access-control-allow-methods"]).toBe("GET, POST, OPTIONS");
    // the spec's list, not an echo of what the preflight asked for
    expect(pre.headers["access-control-allow-headers"]).toBe("Content-Type, Authorization");
    expect(pre.headers["access-control-max-age"]).toBe("600");
    expect(hits.api.length).toBe(before);
  });

  it("gives a web-app-serving upstream's responses the edge table's common headers; the app keeps its own Content-Type and Cache-Control", async () => {
    // (It used to override them with the table's file classes, which relabelled an app's JSON API
    // text/html + no-cache; test/browser/host-caddy.test.ts shows it in a browser.)
    for (const p of ["/", "/main.3f2a9c1b.js", "/canvaskit/canvaskit.wasm", "/api/v1/items"]) {
      const r = await request("https", WWW, p);
      expect(r.status, p).toBe(200);
      expect(r.body.toString()).toBe(`web ${p}`);
      expect(r.headers["cache-control"], p).toBe("max-age=60");
      expect(r.headers["content-type"], p).toBe("application/octet-stream");
      for (const [name, value] of Object.entries(plan.table.common)) expect(r.headers[name], `${p} ${name}`).toBe(value);
    }
    expect(hits.web).toContain("GET /main.3f2a9c1b.js");
  });
});

describe("the production-mode config (ACME, :80/:443, container dial names)", () => {
  it("is accepted by `caddy validate` (modules provisioned, nothing started)", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "host-caddy-validate-"));
    try {
      const plan = planProxy({
        services,
        domain: "example.com",
        appOrigin: "https://example.com",
        webApp: { host: "@", root: "/srv/site" },
        dial: (s, i, p) => `dev-app-${s}-${i}:${p}`,
      });
      const config = renderCaddyConfig(plan, {
        tls: { issuer: "acme", email: "platform@example.com", staging: true },
        listen: { address: "", httpPort: 80, httpsPort: 443 },
        storageRoot: path.join(tmp, "data"),
      });
      expect((config as any).apps.tls.automation.policies[0].issuers[0].ca).toBe(LETSENCRYPT_STAGING);
      const file = path.join(tmp, "caddy.json");
      fs.writeFileSync(file, JSON.stringify(config));
      const out = execFileSync("caddy", ["validate", "--config", file], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmp, XDG_DATA_HOME: tmp, XDG_CONFIG_HOME: tmp },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      expect(out).toContain("Valid configuration");
      expect([...new Set(dialsOf(config))].sort()).toEqual(["dev-app-api-0:3000", "dev-app-web-0:8080"]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
