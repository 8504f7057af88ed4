// `.engine/bin/traefik-crd serve` (tools/engine/traefik): its refusals name the field and the fix,
// and a route's chain runs in the planned order through Traefik's own middlewares. The browser
// suite (test/browser/traefik-api.test.ts, web-builds.test.ts) uses it for the API origins.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeConfig, startTraefikServe, TRAEFIK_CRD, traefikMissing } from "./traefik";
import { API, kinds, planFor } from "../service/fixtures";

let dir = "";
beforeAll(() => {
  const missing = traefikMissing();
  if (missing) throw new Error(missing);
  dir = mkdtempSync(join(tmpdir(), "traefik-serve-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const base = (over: Partial<ServeConfig>): ServeConfig => ({
  entryPoints: { web: { address: "127.0.0.1:0", tls: false } },
  certFile: "",
  keyFile: "",
  middlewares: {},
  routes: [],
  ...over,
});
/** Runs serve with `cfg` and returns its exit code and stderr (for configs it must refuse). */
function refused(name: string, cfg: unknown): Promise<{ code: number | null; stderr: string }> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  return new Promise((resolve) =>
    execFile(TRAEFIK_CRD, ["serve", `--config=${file}`], { timeout: 15_000 }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as any).code ?? null) : 0, stderr }),
    ),
  );
}

describe("traefik-crd serve", () => {
  it("refuses a middleware type it does not link, naming it", async () => {
    const r = await refused(
      "ratelimit",
      base({
        middlewares: { "apps-api-ratelimit-api": { rateLimit: { average: 30, burst: 60, period: "1s" } } },
        routes: [{ entryPoints: ["web"], host: "api.localhost", pathPrefix: "/", middlewares: ["apps-api-ratelimit-api"], backend: "http://127.0.0.1:1" }],
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("middlewares.apps-api-ratelimit-api: only headers, redirectScheme and buffering are linked into traefik-crd");
  });

  it("refuses a listener that is not loopback, a route naming an unknown middleware, an unknown key and a backend that is not http://host:port", async () => {
    expect((await refused("public", base({ entryPoints: { web: { address: "0.0.0.0:0", tls: false } } }))).stderr).toContain(
      "entryPoints.web: 0.0.0.0:0 is not a loopback address",
    );
    expect(
      (
        await refused(
          "unknown-mw",
          base({ routes: [{ entryPoints: ["web"], host: "a.localhost", pathPrefix: "/", middlewares: ["nope"], backend: "http://127.0.0.1:1" }] }),
        )
      ).stderr,
    ).toContain('routes[0].middlewares: "nope" is not in middlewares');
    expect((await refused("unknown-key", { ...base({}), router: {} })).stderr).toContain('json: unknown field "router"');
    expect(
      (await refused("backend", base({ routes: [{ entryPoints: ["web"], host: "a.localhost", pathPrefix: "/", middlewares: [], backend: "https://x" }] })))
        .stderr,
    ).toContain('routes[0].backend: "https://x" is not http://host:port');
  });

  it("runs a route's chain through Traefik's Headers middleware: the outer middleware's header wins, upstream CORS headers are deleted, the longest PathPrefix routes", async () => {
    const upstream = http.createServer((req, res) => {
      res.setHeader("Access-Control-Allow-Origin", "*");
      res.setHeader("X-Path", req.url ?? "");
      res.end("ok");
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as { port: number }).port;
    const file = join(dir, "chain.json");
    writeFileSync(
      file,
      JSON.stringify(
        base({
          middlewares: {
            outer: { headers: { customResponseHeaders: { "X-Layer": "outer" } } },
            inner: { headers: { customResponseHeaders: { "X-Layer": "inner", "Access-Control-Allow-Origin": "" } } },
          },
          routes: [
            { entryPoints: ["web"], host: "a.localhost", pathPrefix: "/", middlewares: [], backend: `http://127.0.0.1:${port}` },
            { entryPoints: ["web"], host: "a.localhost", pathPrefix: "/api", middlewares: ["outer", "inner"], backend: `http://127.0.0.1:${port}` },
          ],
        }),
      ),
    );
    const run = await startTraefikServe(file);
    try {
      const get = (p: string) =>
        new Promise<http.IncomingMessage>((resolve, reject) => {
          const [h, pt] = run.entryPoints["web"]!.split(":");
          http.get({ host: h, port: Number(pt), path: p, headers: { host: "a.localhost" } }, (res) => (res.resume(), resolve(res))).on("error", reject);
        });
      const api = await get("/api/x");
      // Response headers are applied innermost first, so the outer middleware writes last.
      expect(api.headers["x-layer"]).toBe("outer");
      expect(api.headers["access-control-allow-origin"]).toBeUndefined();
      expect(api.headers["x-path"]).toBe("/api/x");
      const root = await get("/other");
      expect(root.headers["x-layer"]).toBeUndefined();
      expect(root.headers["access-control-allow-origin"]).toBe("*");
    } finally {
      await run.stop();
      await new Promise((r) => upstream.close(r));
    }
  });

  it("the planned body limit (Buffering Middleware) in Traefik's own buffering middleware: 413 over the limit (Content-Length or chunked) without reaching the service, a small body passes whole, behind the headers middleware so the 413 carries HSTS", async () => {
    // The planned objects of a service with the default (1 MiB) on `api` and 16 KiB on `auth`.
    const plan = planFor({ ...API, requestBodyLimits: { auth: 16_384 } });
    const mws = Object.fromEntries(
      kinds(plan, "Middleware")
        .filter((m) => !m.spec.rateLimit)
        .map((m) => [`${m.metadata.namespace}-${m.metadata.name}`, m.spec]),
    );
    const chainOf = (group: string) => {
      const ing = kinds(plan, "Ingress").find((m) => m.metadata.name === `api-${group}`)!;
      return String(ing.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"])
        .split(",")
        .map((m) => m.replace(/@kubernetescrd$/, ""))
        .filter((m) => !m.includes("-ratelimit-"));
    };
    expect(chainOf("auth")).toEqual(["apps-api-headers", "apps-api-bodylimit-auth"]);
    let received: number[] = [];
    const upstream = http.createServer((req, res) => {
      let n = 0;
      req.on("data", (c: Buffer) => (n += c.length));
      req.on("end", () => {
        received.push(n);
        res.end(`got ${n}`);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as { port: number }).port;
    const file = join(dir, "bodylimit.json");
    writeFileSync(
      file,
      JSON.stringify(
        base({
          middlewares: mws,
          routes: [
            { entryPoints: ["web"], host: "api.example.com", pathPrefix: "/auth", middlewares: chainOf("auth"), backend: `http://127.0.0.1:${port}` },
            { entryPoints: ["web"], host: "api.example.com", pathPrefix: "/", middlewares: chainOf("api"), backend: `http://127.0.0.1:${port}` },
          ],
        }),
      ),
    );
    const run = await startTraefikServe(file);
    try {
      const [h, pt] = run.entryPoints["web"]!.split(":");
      const post = (p: string, size: number, chunked = false) =>
        new Promise<{ status: number; body: string; hsts: string | undefined }>((resolve, reject) => {
          const req = http.request(
            {
              host: h,
              port: Number(pt),
              path: p,
              method: "POST",
              headers: { host: "api.example.com", ...(chunked ? {} : { "content-length": String(size) }) },
            },
            (res) => {
              let body = "";
              res.on("data", (c) => (body += c));
              res.on("end", () => resolve({ status: res.statusCode!, body, hsts: res.headers["strict-transport-security"] as string | undefined }));
            },
          );
          req.on("error", reject);
          const chunk = Buffer.alloc(65_536, 0x61);
          let left = size;
          while (left > 0) {
            req.write(chunk.subarray(0, Math.min(left, chunk.length)));
            left -= chunk.length;
          }
          req.end();
        });
      // The default group (1 MiB): exactly 1 MiB passes whole, one byte more is 413.
      expect(await post("/x", 1_048_576)).toMatchObject({ status: 200, body: "got 1048576" });
      expect(received).toEqual([1_048_576]);
      received = [];
      const over = await post("/x", 1_048_577);
      expect(over.status).toBe(413);
      expect(over.hsts).toBe("max-age=31536000; includeSubDomains");
      // Chunked (no Content-Length): counted while read, refused the same way.
      expect((await post("/x", 2_000_000, true)).status).toBe(413);
      // The auth group's 16 KiB override.
      expect(await post("/auth/login", 16_384)).toMatchObject({ status: 200, body: "got 16384" });
      expect((await post("/auth/login", 16_385)).status).toBe(413);
      expect((await post("/auth/login", 40_000, true)).status).toBe(413);
      // The service saw only the accepted bodies.
      expect(received).toEqual([16_384]);
    } finally {
      await run.stop();
      await new Promise((r) => upstream.close(r));
    }
  });
});
