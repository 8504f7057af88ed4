/**
 * The browser suite's harness: Debian's Chromium driven headless by puppeteer-core, the real
 * framework builds (made before vitest by scripts/build-browser-apps.mjs, read here), and the
 * runtimes we ship started on 127.0.0.1 only — the EdgeSite Worker in workerd (miniflare), the
 * CloudFront viewer functions + response headers policy behind a loopback server that applies
 * them the way CloudFront does (static site or dynamic origin), the single host's real Caddy,
 * the Kubernetes ingress of an API (Traefik's own Headers middleware for the planned Traefik
 * objects, in .engine/bin/traefik-crd) and the Next.js standalone server as a dynamic origin.
 * Everything a test starts is stopped by that test's afterAll.
 *
 * Origins: the apps are served from http://localhost:<port> (Worker, CloudFront stand-in) or
 * https://<label>.localhost:<port> (Caddy, its internal CA). Chromium resolves *.localhost to
 * loopback by itself and treats those origins as potentially trustworthy, so a page there is a
 * secure context (crossOriginIsolated can be true) without a public certificate; the API lives
 * on another origin (another host and/or port), so its calls are real cross-origin CORS requests.
 */
import { createHash, X509Certificate } from "node:crypto";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import puppeteer, { type Browser, type HTTPResponse, type Page } from "puppeteer-core";
import { Miniflare } from "miniflare";
import { parseEdgeSiteArgs, type EdgeSiteArgsInput } from "../../components/edge/args";
import { notFoundObject, headersOfPolicyPlan, type ResponseHeadersPlan } from "../../components/edge/cloudfront/function";
import type { HeaderPolicyInput } from "../../components/edge/headers";
import { planEdgeSite, type EdgePlan } from "../../components/edge/plan";
import { WORKER_BUCKET_BINDING, WORKER_COMPATIBILITY_DATE } from "../../components/edge/worker/render";
import { renderCaddyConfig } from "../../components/host/caddy";
import { planProxy, type ProxyPlanInput } from "../../components/host/proxy";
import { serviceArgs } from "../../components/service/args";
import { planService } from "../../components/service/plan";
import type { ServiceSpecInput } from "../../components/service/spec";
import { blueprintSpec, type BlueprintSpec } from "../../stacks/spec/blueprint";
import { RESOURCES } from "../../stacks/spec/tiers";
import { readBlueprint } from "../../stacks/spec/load";

export const ROOT = path.join(__dirname, "..", "..");
export type AppName = "nuxt3" | "vite-spa" | "flutter-wasm" | "next";
export type Deploy = "1" | "2";

/** The directory of a built deployment of a fixture app (built before vitest; never here). */
export function builtApp(app: AppName, deploy: Deploy): string {
  const file = path.join(ROOT, "node_modules", ".cache", "browser-apps", "current.json");
  if (!fs.existsSync(file)) throw new Error(`no built fixture apps (${file}): run the suite through scripts/test.mjs, which builds them first`);
  const dir = (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, string>>)[app]?.[deploy];
  if (!dir || !fs.existsSync(path.join(dir, "index.html")))
    throw new Error(`fixture app ${app} deployment ${deploy} is not built (${dir}); run scripts/build-browser-apps.mjs`);
  return dir;
}

/**
 * A built deployment of the Next.js fixture: `server` is the standalone server (what the web
 * image runs: `node server.js`), `assets` the directory the edge uploads (`_next/static/...`).
 */
export function builtNext(deploy: Deploy): { server: string; assets: string } {
  const file = path.join(ROOT, "node_modules", ".cache", "browser-apps", "current.json");
  if (!fs.existsSync(file)) throw new Error(`no built fixture apps (${file}): run the suite through scripts/test.mjs, which builds them first`);
  const dir = (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, string>>)["next"]?.[deploy];
  if (!dir || !fs.existsSync(path.join(dir, "server", "server.js")) || !fs.existsSync(path.join(dir, "assets", "_next", "static"))) {
    throw new Error(`fixture app next deployment ${deploy} is not built (${dir}); run scripts/build-browser-apps.mjs`);
  }
  return { server: path.join(dir, "server"), assets: path.join(dir, "assets") };
}

/** The Next.js standalone server of a built deployment on 127.0.0.1 (started and stopped by the test). */
export async function startNextServer(serverDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  let output = "";
  const child = spawn(process.execPath, [path.join(serverDir, "server.js")], {
    cwd: serverDir,
    env: { ...process.env, PORT: String(port), HOSTNAME: "127.0.0.1", NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get(`${url}/api/health/ready`, (r) => (r.resume(), resolve(r.statusCode === 200))).on("error", () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`next server did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

export function blueprint(name: string): BlueprintSpec {
  const { data, issues } = readBlueprint(name);
  if (!data) throw new Error(`blueprint ${name}: ${JSON.stringify(issues)}`);
  return blueprintSpec.parse(data);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export function listen(handler: http.RequestListener, port = 0): Promise<{ server: http.Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler);
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
  });
}

export const closeServer = (s: http.Server | undefined) =>
  new Promise<void>((resolve) => {
    if (!s) return resolve();
    s.closeAllConnections();
    s.close(() => resolve());
  });

// --- the browser ---------------------------------------------------------------------------------

/** SPKI sha256 (base64) of a PEM certificate's public key, for --ignore-certificate-errors-spki-list. */
export function spkiHash(pemFile: string): string {
  const der = new X509Certificate(fs.readFileSync(pemFile)).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("base64");
}

export async function launchChromium(opts: { trustSpki?: string[] } = {}): Promise<Browser> {
  const args = [
    "--headless=new",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-extensions",
    "--disable-features=Translate,OptimizationHints,MediaRouter,HttpsUpgrades",
    // Caddy's internal CA (test-only, created by that Caddy run) is trusted by its key hash: a
    // chain with that key validates, so the page is a normal secure page with a working HTTP cache.
    ...(opts.trustSpki?.length ? [`--ignore-certificate-errors-spki-list=${opts.trustSpki.join(",")}`] : []),
  ];
  // Chromium refuses to start its sandbox as root (the CI container runs as root): only then is it
  // switched off. Everything it loads comes from servers this test started on loopback.
  if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--no-sandbox");
  // A fresh profile per browser, deleted when that browser goes away (closed or crashed). Not on
  // 'disconnected': Chromium still writes into it then (ENOTEMPTY, 16 unhandled errors in CI).
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "browser-profile-"));
  const browser = await puppeteer.launch({ executablePath: process.env["CHROMIUM"] ?? "/usr/bin/chromium", headless: true, args, userDataDir });
  // Removed once Chromium's process has exited (it writes the profile until then), asynchronously,
  // errors ignored: the run-scoped TMPDIR of scripts/test.mjs removes whatever is left.
  const drop = () => fs.rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }, () => undefined);
  const proc = browser.process();
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.once("exit", drop);
  else browser.once("disconnected", drop);
  return browser;
}

export interface LoadRecord {
  url: string;
  status: number;
  fromCache: boolean;
  headers: Record<string, string>;
  /** The request's resource type as Chromium reports it (document, script, fetch, other, ...). */
  type: string;
}

export interface Visit {
  /** What the app reported on window.__APP_RESULT__ (null: it never finished booting). */
  result: any;
  /** securitypolicyviolation events the document saw. */
  violations: Array<{ directive: string; blocked: string; sample: string }>;
  /** console errors and uncaught page errors. */
  errors: string[];
  /** Every response the page received (document, scripts, styles, wasm, fetches). */
  responses: LoadRecord[];
  crossOriginIsolated: boolean;
}

/** A tab that records CSP violations, console errors and responses of each load. */
export async function openTab(browser: Browser): Promise<{ page: Page; load: (url: string, how?: "goto" | "reload") => Promise<Visit> }> {
  const page = await browser.newPage();
  // (page code as strings: this project type-checks without the DOM library)
  await page.evaluateOnNewDocument(`
    window.__CSP_VIOLATIONS__ = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__CSP_VIOLATIONS__.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
    });`);
  let errors: string[] = [];
  let responses: LoadRecord[] = [];
  page.on("console", (m) => {
    // The browser's own favicon request is not the app's: a site without one is not an error.
    if (m.type() === "error" && !/\/favicon\.ico$/.test(m.location().url ?? "")) errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${String((e as Error).message ?? e)}`));
  page.on("response", (r: HTTPResponse) => {
    responses.push({ url: r.url(), status: r.status(), fromCache: r.fromCache(), headers: r.headers(), type: r.request().resourceType() });
  });
  const load = async (url: string, how: "goto" | "reload" = "goto"): Promise<Visit> => {
    errors = [];
    responses = [];
    if (how === "goto") await page.goto(url, { waitUntil: "load" });
    else await page.reload({ waitUntil: "load" });
    const result = await page
      .waitForFunction("window.__APP_RESULT__ ?? null", { timeout: 20_000 })
      .then((h) => h.jsonValue())
      .catch(() => null);
    const violations = (await page.evaluate("window.__CSP_VIOLATIONS__")) as Visit["violations"];
    const crossOriginIsolated = (await page.evaluate("self.crossOriginIsolated")) as boolean;
    return { result, violations, errors: [...errors], responses: [...responses], crossOriginIsolated };
  };
  return { page, load };
}

/** Path of a recorded response's URL. */
export const pathOf = (u: string) => new URL(u).pathname;

// --- the blueprint's edge plan, exactly as the stack composer builds it ---------------------------

/**
 * The EdgeSite plan for a blueprint's edge and one build directory, through the component's own
 * argument parser and planner (stacks/compose/edge.ts builds the same header input: the
 * blueprint's COEP and CSP, its API origins added to connect-src, the app's hash conventions).
 */
export function edgePlanFor(provider: "cloudflare" | "cloudfront", headers: HeaderPolicyInput, assets: string, origin?: { domain: string }): EdgePlan {
  const common = { domain: "app.example.com", headers, assets, ...(origin ? { origin } : {}) } as const;
  const input: EdgeSiteArgsInput =
    provider === "cloudflare"
      ? { provider, ...common, cloudflare: { accountId: "0".repeat(32), zoneId: "1".repeat(32) } }
      : { provider, ...common, cloudfront: { hostedZoneId: "Z0123456789ABC" } };
  return planEdgeSite("site", "browser", parseEdgeSiteArgs(input));
}

// --- runtime 1: the Worker in workerd ------------------------------------------------------------

export interface EdgeRuntime {
  /** Origin the app is served from. */
  origin: string;
  /** Switch to another deployment (the plan of a new build). */
  deploy(plan: EdgePlan): Promise<void>;
  stop(): Promise<void>;
}

const arrayBuffer = (buf: Buffer) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;

/**
 * The Worker in workerd. With a dynamic origin (`opts.origin()`: the loopback URL standing in for
 * https://<origin domain>), the Worker's own `fetch` to the origin is answered by forwarding it
 * there (workerd's outbound service), method, path, query, headers and body unchanged.
 */
export async function startWorker(plan: EdgePlan, port: number, opts: { origin?: () => string } = {}): Promise<EdgeRuntime> {
  const outbound = opts.origin
    ? {
        outboundService: {
          node: (req: http.IncomingMessage, res: http.ServerResponse) => {
            const u = new URL(req.url ?? "/", "http://outbound.invalid");
            const o = http.request(`${opts.origin!()}${u.pathname}${u.search}`, { method: req.method, headers: req.headers }, (up) => {
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
            });
            o.on("error", (e) => res.writeHead(502).end(String(e)));
            req.pipe(o);
          },
        },
      }
    : {};
  const options = (p: EdgePlan) => ({
    modules: true,
    script: p.cloudflare!.workerScript,
    compatibilityDate: WORKER_COMPATIBILITY_DATE,
    r2Buckets: [WORKER_BUCKET_BINDING],
    host: "127.0.0.1",
    port,
    ...outbound,
  });
  const mf = new Miniflare(options(plan));
  await mf.ready;
  const seed = async (p: EdgePlan) => {
    const bucket = (await mf.getR2Bucket(WORKER_BUCKET_BINDING)) as unknown as {
      put(key: string, value: ArrayBuffer, opts: { httpMetadata: { contentType: string; cacheControl: string } }): Promise<unknown>;
    };
    for (const obj of p.assets) {
      await bucket.put(obj.key, arrayBuffer(fs.readFileSync(obj.file)), { httpMetadata: { contentType: obj.contentType, cacheControl: obj.cacheControl } });
    }
  };
  await seed(plan);
  return {
    origin: `http://localhost:${port}`,
    // A deployment uploads the new build and updates the script (its rule table) in place.
    async deploy(p) {
      await mf.setOptions(options(p));
      await mf.ready;
      await seed(p);
    },
    stop: () => mf.dispose(),
  };
}

// --- runtime 2: CloudFront (viewer functions + response headers policy) in front of an S3 stand-in --

type CfHeaders = Record<string, { value: string }>;

function loadCloudFrontFunction(code: string): (event: unknown) => any {
  // Only what the cloudfront-js-2.0 runtime offers the generated code (no require, process, timers).
  const context = vm.createContext(Object.create(null));
  vm.runInContext(code, context, { timeout: 1000 });
  return (event) => JSON.parse(JSON.stringify(context.handler(JSON.parse(JSON.stringify(event)))));
}

/**
 * A loopback server doing, per request, what the distribution provisioned by
 * components/edge/cloudfront/provision.ts does:
 *   Static site (no dynamic origin), one behaviour:
 *   1. the viewer-request function (run in a cloudfront-js-2.0-like context) may rewrite the URI;
 *   2. the S3 origin answers with the object's stored Content-Type and Cache-Control metadata, an
 *      ETag, and 304 to a matching If-None-Match (S3 does; CloudFront forwards the validator);
 *      a missing key is S3's 404 (the bucket policy grants ListBucket);
 *   3. origin status < 400: the viewer-response function sets the class headers; >= 400: the
 *      function does not run and the custom error response serves the notFound object with
 *      status 404;
 *   4. the response headers policy adds the common headers to every response (override: true).
 *   With a dynamic origin (`plan.origin`, `opts.origin()` the loopback URL standing in for
 *   https://<origin domain>): paths under the bucket path patterns take the bucket behaviour
 *   above without the viewer-request function and without the custom error response (a missing
 *   key stays S3's 404); every other path is the default behaviour: the request is forwarded to
 *   the origin with every viewer header but Host (Managed-AllViewerExceptHostHeader), nothing is
 *   cached (Managed-CachingDisabled), the origin's viewer-response function runs when the plan
 *   has one (status < 400), and that behaviour's response headers policy applies — each header
 *   with its override flag (override false: the origin's header, when present, is kept).
 * Not modelled: CloudFront's own shared cache (with the table's no-cache HTML and min TTL 0 it
 * revalidates at the origin like this server does), compression, HTTP/2.
 */
export async function startCloudFront(plan: EdgePlan, atPort: number, opts: { origin?: () => string } = {}): Promise<EdgeRuntime & { hits: string[] }> {
  let current = plan;
  type Fn = (event: unknown) => any;
  const fns = (p: EdgePlan) => {
    const cf = p.cloudfront! as EdgePlan["cloudfront"] & { originViewerResponseCode?: string };
    return {
      viewerRequest: cf.viewerRequestCode ? loadCloudFrontFunction(cf.viewerRequestCode) : undefined,
      viewerResponse: loadCloudFrontFunction(cf.viewerResponseCode),
      originResponse: cf.originViewerResponseCode ? loadCloudFrontFunction(cf.originViewerResponseCode) : undefined,
    } as { viewerRequest?: Fn; viewerResponse: Fn; originResponse?: Fn };
  };
  let fn = fns(plan);
  const hits: string[] = [];
  const etagOf = (file: string) => `"${createHash("md5").update(fs.readFileSync(file)).digest("hex")}"`;
  /** A response headers policy's headers, each with its override flag. */
  const policyHeaders = (rh: ResponseHeadersPlan & { keepOriginCsp?: boolean }) =>
    Object.entries(headersOfPolicyPlan(rh)).map(([k, v]) => ({ k, v, override: !(k === "content-security-policy" && rh.keepOriginCsp) }));
  const applyPolicy = (headers: CfHeaders, rh: ResponseHeadersPlan) => {
    for (const { k, v, override } of policyHeaders(rh)) if (override || !headers[k]) headers[k] = { value: v };
  };
  const inBucket = (p: string) => !current.origin || current.origin.bucketPathPatterns.some((g) => p.startsWith(g.slice(0, -1)));
  const send = (res: http.ServerResponse, method: string | undefined, status: number, headers: CfHeaders, body: Buffer | null) => {
    res.writeHead(status, Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.value])));
    res.end(method === "HEAD" ? undefined : (body ?? undefined));
  };
  const { server, port } = await listen(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://cloudfront.invalid");
    hits.push(`${req.method} ${url.pathname}`);
    const reqEvent = {
      version: "1.0",
      context: { eventType: "viewer-request", distributionId: "EBROWSERTEST", requestId: String(hits.length) },
      viewer: { ip: "127.0.0.1" },
      request: { method: req.method ?? "GET", uri: url.pathname, querystring: {}, headers: { host: { value: req.headers.host ?? "" } }, cookies: {} },
    };
    const cf = current.cloudfront! as EdgePlan["cloudfront"] & { originResponseHeaders?: ResponseHeadersPlan };
    if (!inBucket(url.pathname)) {
      // the default behaviour: the app origin, uncached
      const forwarded = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== "host")) as http.OutgoingHttpHeaders;
      const upstream = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const o = http.request(`${opts.origin!()}${url.pathname}${url.search}`, { method: req.method, headers: forwarded }, resolve);
        o.on("error", reject);
        req.pipe(o);
      });
      const chunks: Buffer[] = [];
      for await (const c of upstream) chunks.push(c as Buffer);
      let headers: CfHeaders = {};
      for (const [k, v] of Object.entries(upstream.headers))
        if (v !== undefined && k !== "transfer-encoding" && k !== "connection" && k !== "keep-alive")
          headers[k] = { value: Array.isArray(v) ? v.join(", ") : v };
      const status = upstream.statusCode ?? 502;
      if (fn.originResponse && status < 400) {
        headers = (
          fn.originResponse({
            ...reqEvent,
            context: { ...reqEvent.context, eventType: "viewer-response" },
            response: { statusCode: status, statusDescription: "", headers, cookies: {} },
          }) as { headers: CfHeaders }
        ).headers;
      }
      applyPolicy(headers, cf.originResponseHeaders ?? cf.responseHeaders);
      return send(res, req.method, status, headers, Buffer.concat(chunks));
    }
    const request = (fn.viewerRequest ? fn.viewerRequest(reqEvent) : reqEvent.request) as { uri: string };
    const key = decodeURIComponent(request.uri.replace(/^\//, ""));
    const obj = current.assets.find((a) => a.key === key);
    let status: number;
    let headers: CfHeaders;
    let body: Buffer | null;
    if (!obj) {
      status = 404;
      if (current.origin) {
        // no custom error response with a dynamic origin: S3's own 404
        headers = { "content-type": { value: "application/xml" } };
        body = Buffer.from("<Error><Code>NoSuchKey</Code></Error>");
      } else {
        const nf = notFoundObject(current.table);
        headers = { "content-type": { value: nf.contentType }, "cache-control": { value: nf.cacheControl } };
        body = Buffer.from(nf.body);
      }
    } else {
      const etag = etagOf(obj.file);
      headers = { "content-type": { value: obj.contentType }, "cache-control": { value: obj.cacheControl }, etag: { value: etag } };
      if (req.headers["if-none-match"] === etag) {
        status = 304;
        body = null;
      } else {
        status = 200;
        body = fs.readFileSync(obj.file);
      }
      const out = fn.viewerResponse({
        ...reqEvent,
        context: { ...reqEvent.context, eventType: "viewer-response" },
        request,
        response: { statusCode: status, statusDescription: "", headers, cookies: {} },
      }) as { headers: CfHeaders };
      headers = out.headers;
    }
    applyPolicy(headers, cf.responseHeaders);
    send(res, req.method, status, headers, body);
  }, atPort);
  return {
    origin: `http://localhost:${port}`,
    hits,
    async deploy(p) {
      current = p;
      fn = fns(p);
    },
    stop: () => closeServer(server),
  };
}

// --- runtime 3: the single host's real Caddy -----------------------------------------------------

export interface CaddyRun {
  httpsPort: number;
  /** SPKI hashes of Caddy's internal root and intermediate (for Chromium). */
  spki: string[];
  log: () => string;
  stop(): Promise<void>;
}

/** The host proxy plan rendered by components/host/caddy.ts, run by the real caddy binary on loopback. */
export async function startCaddy(input: ProxyPlanInput, ports: { httpsPort?: number } = {}): Promise<CaddyRun> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "browser-caddy-"));
  const httpPort = await freePort();
  const httpsPort = ports.httpsPort ?? (await freePort());
  const config = renderCaddyConfig(planProxy(input), {
    tls: { issuer: "internal" },
    listen: { address: "127.0.0.1", httpPort, httpsPort },
    storageRoot: path.join(tmp, "data"),
  });
  fs.writeFileSync(path.join(tmp, "caddy.json"), JSON.stringify(config));
  execFileSync("caddy", ["validate", "--config", path.join(tmp, "caddy.json")], {
    stdio: "pipe",
    env: { ...process.env, HOME: tmp, XDG_DATA_HOME: tmp, XDG_CONFIG_HOME: tmp },
  });
  let output = "";
  const child: ChildProcess = spawn("caddy", ["run", "--config", path.join(tmp, "caddy.json")], {
    env: { ...process.env, HOME: tmp, XDG_DATA_HOME: tmp, XDG_CONFIG_HOME: tmp },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const ca = path.join(tmp, "data", "pki", "authorities", "local");
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(httpsPort, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up && fs.existsSync(path.join(ca, "intermediate.crt"))) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`caddy did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    httpsPort,
    spki: [spkiHash(path.join(ca, "root.crt")), spkiHash(path.join(ca, "intermediate.crt"))],
    log: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

// --- the blueprints' API origins (what the app server answers; the proxy/edge sits in front) -----

/**
 * An API server as the blueprints' services answer: JSON with the app's own Content-Type and
 * Cache-Control, a readiness endpoint for the proxy's health check. Unless `ownCors: false` it
 * also does CORS itself, permissively, as a framework's CORS plugin left at its defaults does
 * (npm `cors` / @fastify/cors: `Access-Control-Allow-Origin: *` on every response, and a
 * preflight answered 204 allowing the requested method and headers): the proxy decides CORS and
 * must keep these from reaching any origin the spec does not allow. `extra` serves other paths
 * (e.g. the SPA).
 */
export async function startApi(opts: {
  prefix: string;
  readiness: string;
  extra?: http.RequestListener;
  ownCors?: boolean;
}): Promise<{ server: http.Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const { server, port } = await listen((req, res) => {
    const p = new URL(req.url ?? "/", "http://x").pathname;
    if (p === opts.readiness) return void res.end("ok");
    hits.push(`${req.method} ${p}`);
    if (p.startsWith(opts.prefix) && opts.ownCors !== false && req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      return void res
        .writeHead(204, {
          "access-control-allow-origin": "*",
          "access-control-allow-methods": String(req.headers["access-control-request-method"]),
          ...(req.headers["access-control-request-headers"] ? { "access-control-allow-headers": String(req.headers["access-control-request-headers"]) } : {}),
          "content-length": "0",
        })
        .end();
    }
    if (p.startsWith(opts.prefix)) {
      res.writeHead(200, {
        "content-type": API_CONTENT_TYPE,
        "cache-control": API_CACHE_CONTROL,
        vary: "Accept-Encoding",
        ...(opts.ownCors === false ? {} : { "access-control-allow-origin": "*" }),
      });
      return void res.end(JSON.stringify({ items: ["a", "b"], path: p }));
    }
    if (opts.extra) return opts.extra(req, res);
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  });
  return { server, port, hits };
}
export const API_CONTENT_TYPE = "application/json; charset=utf-8";
export const API_CACHE_CONTROL = "private, max-age=5";

/**
 * The axum-requirements-app's server as its reference system describes it (tower-http ServeDir
 * with SPA fallback over the Vite dist/): files with their type, ETag and 304s; `/assets/*` gets
 * `immutable` (Vite's hashed names) and HTML `no-cache`; unknown paths without an extension get
 * index.html. `dir()` is read per request, so a new deployment is a new directory.
 */
export function serveSpa(dir: () => string): http.RequestListener {
  const types: Record<string, string> = {
    html: "text/html; charset=utf-8",
    js: "text/javascript; charset=utf-8",
    css: "text/css; charset=utf-8",
    json: "application/json",
    wasm: "application/wasm",
    svg: "image/svg+xml",
    ico: "image/x-icon",
  };
  return (req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = path.join(dir(), p);
    if (!file.startsWith(dir()) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      if (/\.[^/]+$/.test(p)) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      file = path.join(dir(), "index.html");
    }
    const body = fs.readFileSync(file);
    const etag = `"${createHash("sha1").update(body).digest("hex")}"`;
    const ext = file.slice(file.lastIndexOf(".") + 1);
    const headers = {
      "content-type": types[ext] ?? "application/octet-stream",
      "cache-control": p.startsWith("/assets/") ? "public, max-age=31536000, immutable" : ext === "html" ? "no-cache" : "public, max-age=0",
      etag,
    };
    if (req.headers["if-none-match"] === etag) return void res.writeHead(304, headers).end();
    res.writeHead(200, headers).end(body);
  };
}

// --- the Kubernetes ingress of an API on Traefik: Traefik's own Headers middleware ---------------

/**
 * The Ingress, IngressRoute and Middleware objects the services composer plans for a blueprint
 * service on the Traefik controller (components/service through its own argument parser and
 * planner, as stacks/compose/services.ts calls them), for the stack domain example.com with the app
 * at https://example.com (`cors: self`), then moved onto loopback names: hosts `<label>.example.com`
 * become `<label>.localhost` and the app origin becomes `appOrigin` (the origin the test serves it from).
 */
export function plannedTraefik(spec: ServiceSpecInput, appOrigin: string): any[] {
  const domain = "example.com";
  const selfOrigin = `https://${domain}`;
  const a = serviceArgs.parse({
    spec,
    namespace: "apps",
    replicas: { min: 2, max: 4 },
    resources: RESOURCES.full,
    autoscaling: true,
    disruptionBudgets: true,
    domain,
    ingress: { controller: "traefik", className: "traefik", clusterIssuer: "letsencrypt" },
    selfOrigin,
  });
  const { secretEnv, ...rest } = a;
  const planned = planService({ ...rest, secretEnvKeys: Object.keys(secretEnv) })
    .manifests.map((m) => m.manifest as any)
    .filter((m) => ["Ingress", "IngressRoute", "Middleware"].includes(m.kind));
  if (!planned.some((m) => m.kind === "Middleware" && m.spec.headers)) throw new Error(`plannedTraefik: ${spec.name} has no headers Middleware on Traefik`);
  return JSON.parse(JSON.stringify(planned).split(selfOrigin).join(appOrigin).split(`.${domain}`).join(".localhost"));
}

export interface TraefikRun {
  httpsPort: number;
  /** The plain-HTTP entry point `web` (redirects to websecure, as the chart's values configure it). */
  httpPort: number;
  spki: string[];
  /** The CA-less self-signed certificate (PEM) of the ingress hosts, for Node clients. */
  cert: string;
  /** traefik-crd serve's config (JSON). */
  config: string;
  /** Middlewares of the planned chains that traefik-crd does not link (rateLimit), by name. */
  notLinked: string[];
  stop(): Promise<void>;
}

/** Middleware types traefik-crd builds with Traefik's own constructors. */
const TRAEFIK_LINKED = ["headers", "redirectScheme", "buffering"];

/**
 * Traefik's own middlewares for the planned objects, served on 127.0.0.1 over TLS by
 * `.engine/bin/traefik-crd serve` (tools/engine/traefik): each Middleware's spec is a Traefik
 * dynamic.Middleware, built by Traefik v3.7.13's constructors — the Headers middleware (custom and
 * secure headers, CORS: preflight answers, allowed origins, Vary, expose headers) — in the order of
 * the route's chain (the Ingress's router.middlewares annotation, an IngressRoute route's
 * middlewares). OURS, not Traefik's: the TLS listener (a self-signed certificate for the hosts),
 * matching a request to a route by Host and the longest PathPrefix (an Ingress path, an
 * IngressRoute's Host/PathPrefix match), and the reverse proxy to `upstream` (Go's httputil, not
 * Traefik's pkg/proxy). The entry point `web` redirects to https with Traefik's RedirectScheme
 * middleware, as the chart's `ports.web.http.redirections` does. Not linked: the RateLimit
 * middleware (Buffering, the body limit, is) (its package adds about 1,000 packages to the build), left out of each chain and
 * listed in `notLinked`. The translation of these objects by Traefik's providers runs for real in
 * test/traefik/providers.real.test.ts.
 */
export async function startTraefik(objects: any[], upstream: string): Promise<TraefikRun> {
  const { startTraefikServe, traefikMissing } = await import("../traefik/traefik");
  const missing = traefikMissing();
  if (missing) throw new Error(missing);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "browser-traefik-"));
  const httpsPort = await freePort();
  const httpPort = await freePort();
  const middlewares: Record<string, Record<string, unknown>> = {};
  const notLinked: string[] = [];
  for (const m of objects.filter((o) => o.kind === "Middleware")) {
    const name = `${m.metadata.namespace}-${m.metadata.name}`;
    const types = Object.keys(m.spec);
    if (types.length !== 1) throw new Error(`Middleware ${name}: one middleware type per object, got ${types.join(", ")}`);
    if (TRAEFIK_LINKED.includes(types[0]!)) middlewares[name] = m.spec;
    else notLinked.push(name);
  }
  const chain = (names: string[]) =>
    names
      .filter((n) => !notLinked.includes(n))
      .map((n) => {
        if (!middlewares[n]) throw new Error(`startTraefik: the route names middleware ${n}, which the planned objects do not have`);
        return n;
      });
  const routes: { host: string; pathPrefix: string; middlewares: string[] }[] = [];
  for (const o of objects) {
    if (o.kind === "Ingress") {
      const names = String(o.metadata.annotations?.["traefik.ingress.kubernetes.io/router.middlewares"] ?? "")
        .split(",")
        .filter(Boolean);
      if (!names.every((n) => n.endsWith("@kubernetescrd")))
        throw new Error(`Ingress ${o.metadata.name}: router.middlewares must name @kubernetescrd middlewares, got ${names.join(",")}`);
      for (const r of o.spec.rules)
        for (const p of r.http.paths) routes.push({ host: r.host, pathPrefix: p.path, middlewares: chain(names.map((n) => n.replace(/@kubernetescrd$/, ""))) });
    } else if (o.kind === "IngressRoute") {
      for (const r of o.spec.routes) {
        const host = /Host\(`([^`]+)`\)/.exec(r.match)?.[1];
        const prefix = /PathPrefix\(`([^`]+)`\)/.exec(r.match)?.[1] ?? "/";
        if (
          !host ||
          r.match
            .replace(/Host\(`[^`]+`\)/, "")
            .replace(/&&\s*PathPrefix\(`[^`]+`\)/, "")
            .trim()
        )
          throw new Error(`IngressRoute ${o.metadata.name}: only Host(...) [&& PathPrefix(...)] matches are routed here, got ${r.match}`);
        routes.push({
          host,
          pathPrefix: prefix,
          middlewares: chain((r.middlewares ?? []).map((m: any) => `${m.namespace ?? o.metadata.namespace}-${m.name}`)),
        });
      }
    }
  }
  if (!routes.length) throw new Error("startTraefik: no Ingress or IngressRoute among the objects");
  const hosts = [...new Set(routes.map((r) => r.host))];
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${hosts[0]}`,
      "-addext",
      `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}`,
      "-keyout",
      path.join(tmp, "tls.key"),
      "-out",
      path.join(tmp, "tls.crt"),
    ],
    { stdio: "pipe" },
  );
  middlewares["entrypoint-web-redirect"] = { redirectScheme: { scheme: "https", port: String(httpsPort), permanent: true } };
  const config = {
    entryPoints: { websecure: { address: `127.0.0.1:${httpsPort}`, tls: true }, web: { address: `127.0.0.1:${httpPort}`, tls: false } },
    certFile: path.join(tmp, "tls.crt"),
    keyFile: path.join(tmp, "tls.key"),
    middlewares,
    routes: [
      ...routes.map((r) => ({ entryPoints: ["websecure"], ...r, backend: `http://${upstream}` })),
      ...hosts.map((host) => ({ entryPoints: ["web"], host, pathPrefix: "/", middlewares: ["entrypoint-web-redirect"], backend: "" })),
    ],
  };
  const file = path.join(tmp, "traefik-crd.json");
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  const run = await startTraefikServe(file);
  return {
    httpsPort,
    httpPort,
    spki: [spkiHash(path.join(tmp, "tls.crt"))],
    cert: fs.readFileSync(path.join(tmp, "tls.crt"), "utf8"),
    config: JSON.stringify(config),
    notLinked,
    stop: async () => {
      await run.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
