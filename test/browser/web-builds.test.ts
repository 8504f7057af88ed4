/**
 * `platform:webBuilds` end to end, with the real Nuxt 3 build the browser suite makes
 * (scripts/build-browser-apps.mjs; its `window.__NUXT__` config script is inline): the stack
 * program, run under the harness exactly as `pulumi up` runs it, deploys a CSP whose script-src
 * carries the hashes of exactly that build's inline scripts — on the edge (the Worker's table and
 * CloudFront's response headers policy, the build uploaded), on the single host's Caddy, and on the
 * Kubernetes Ingress of a servesWebApp service — and without the key no hash at all (the browser
 * then blocks the inline script: host-caddy.test.ts and the ingress test below show it).
 * The expected hashes are computed here from the build's HTML, independently of the program.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { CADDY_CONFIG_ENV } from "../../components/host/plan";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { blueprintStackInput, runBlueprint, runStackInput, specErrors, withConfig, type StackInput } from "../../tools/harness/stacks";
import type { TierName } from "../../stacks/spec/tiers";
import { builtApp, builtNext, closeServer, launchChromium, openTab, pathOf, serveSpa, startApi, startTraefik, type TraefikRun } from "./harness";

const build = () => builtApp("nuxt3", "1");
const R2_KEY = "0123456789abcdef0123456789abcdef";

/** The inline scripts a browser executes in the build's HTML documents, hashed as CSP hash sources. */
function expectedHashes(dir: string): string[] {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith(".html")) {
        for (const m of fs.readFileSync(f, "utf8").matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
          const attrs = m[1]!;
          if (/\bsrc=/.test(attrs) || /type="application\/json"/.test(attrs)) continue;
          out.add(`sha256-${createHash("sha256").update(m[2]!).digest("base64")}`);
        }
      }
    }
  };
  walk(dir);
  return [...out].sort();
}

/** The hash sources in a CSP's script-src. */
const scriptSrcHashes = (csp: string) =>
  (
    csp
      .split(";")
      .map((d) => d.trim())
      .find((d) => d.startsWith("script-src")) ?? ""
  )
    .split(/\s+/)
    .filter((s) => s.startsWith("'sha256-"))
    .map((s) => s.slice(1, -1))
    .sort();
const scriptSrc = (csp: string) =>
  csp
    .split(";")
    .map((d) => d.trim())
    .find((d) => d.startsWith("script-src")) ?? "";

const ofType = (inv: Inventory, type: string) => inv.resources.filter((r) => r.type === type);
const one = (inv: Inventory, type: string, pred: (r: InventoryResource) => boolean = () => true) => {
  const found = ofType(inv, type).filter(pred);
  expect(found, `${type} in ${inv.stack}`).toHaveLength(1);
  return found[0]!;
};

const cloudflareWithR2 = (tier: TierName) => ({
  "platform:cloudflare": { ...JSON.parse(blueprintStackInput("nuxt-fastify-beta-droplet", tier).config["platform:cloudflare"]!), r2AccessKeyId: R2_KEY },
});
const withBuilds = (blueprint: string, tier: TierName, webBuilds: unknown, extra: Record<string, unknown> = {}): StackInput =>
  withConfig(blueprintStackInput(blueprint, tier), { "platform:webBuilds": webBuilds, ...extra });

/** The CSP the Worker serves: the rule table embedded in its script. */
function workerCsp(inv: Inventory): string {
  const content = String(one(inv, "cloudflare:index/workersScript:WorkersScript").inputs.content);
  const m = /"content-security-policy":"([^"]*)"/.exec(content);
  expect(m, "the Worker's rule table has a CSP").not.toBeNull();
  return m![1]!;
}
const cloudfrontCsp = (inv: Inventory) =>
  String(
    (one(inv, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs as any).securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy,
  );
/** The CSP in the single host's Caddy config (the proxy container's env). */
function caddyCsps(inv: Inventory): string[] {
  const caddy = one(inv, "docker:index/container:Container", (r) => r.name === `${inv.stack}-app-caddy`);
  const env = (caddy.inputs.envs as string[]).find((e) => e.startsWith(`${CADDY_CONFIG_ENV}=`))!;
  const csps = [...env.matchAll(/"Content-Security-Policy":\s*\[\s*"([^"]*)"/g)].map((m) => m[1]!);
  expect(csps.length, "Caddy sets a CSP").toBeGreaterThan(0);
  return [...new Set(csps)];
}
/** The response headers of axum's api on Traefik (its headers Middleware's customResponseHeaders). */
const ingressHeaders = (inv: Inventory) =>
  (one(inv, "kubernetes:traefik.io/v1alpha1:Middleware", (r) => (r.inputs.metadata as any).name === "api-headers").inputs as any).spec.headers
    .customResponseHeaders as Record<string, string>;

describe("platform:webBuilds with a real Nuxt 3 build: the deployed CSP hashes exactly its inline scripts", () => {
  let hashes: string[];
  beforeAll(() => {
    hashes = expectedHashes(build());
    expect(hashes.length, "the Nuxt build has an inline script (window.__NUXT__)").toBeGreaterThan(0);
  });

  it("(a) edge on Cloudflare: the Worker's CSP carries the build's hashes, and the build is uploaded to R2 with the R2 provider", async () => {
    const { inventory: inv } = await runStackInput(withBuilds("nuxt-fastify-beta-droplet", "staging", { edge: build() }, cloudflareWithR2("staging")));
    expect(scriptSrcHashes(workerCsp(inv))).toEqual(hashes);
    expect(scriptSrc(workerCsp(inv))).not.toContain("'unsafe-inline'");
    const objects = ofType(inv, "aws:s3/bucketObjectv2:BucketObjectv2").filter((o) => o.name.startsWith("nuxt-fastify-beta-droplet-web-asset-"));
    const files: string[] = [];
    const walk = (d: string, rel = "") =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name), `${rel}${e.name}/`) : files.push(`${rel}${e.name}`)));
    walk(build());
    expect(objects.map((o) => o.inputs.key).sort()).toEqual(files.sort());
    const r2 = one(inv, "pulumi:providers:aws", (p) => p.name === "r2");
    expect(r2.inputs).toMatchObject({
      region: "us-east-1",
      accessKey: R2_KEY,
      skipCredentialsValidation: "true",
      skipRegionValidation: "true",
      skipRequestingAccountId: "true",
    });
    expect(JSON.stringify(r2.inputs.endpoints)).toContain("https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com");
    expect(r2.secretPaths).toContain("secretKey");
    for (const o of objects) expect(o.provider).toMatch(/::r2::/);
    expect(objects.find((o) => o.inputs.key === "index.html")!.inputs).toMatchObject({ contentType: "text/html; charset=utf-8", cacheControl: "no-cache" });
  });

  it("(a) edge on CloudFront: the response headers policy's CSP carries the build's hashes, and the build is uploaded to S3", async () => {
    // The same blueprint with its edge on CloudFront (a copy in a temporary blueprints directory).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "webbuilds-bp-"));
    const doc = parseDocument(fs.readFileSync(path.join(__dirname, "..", "..", "blueprints", "nuxt-fastify-beta-droplet.yaml"), "utf8"));
    doc.setIn(["edge", "provider"], "cloudfront");
    fs.writeFileSync(path.join(dir, "nuxt-fastify-beta-droplet.yaml"), doc.toString());
    process.env.PLATFORM_BLUEPRINTS_DIR = dir;
    try {
      const { inventory: inv } = await runStackInput(withBuilds("nuxt-fastify-beta-droplet", "prod", { edge: build() }));
      expect(scriptSrcHashes(cloudfrontCsp(inv))).toEqual(hashes);
      const keys = ofType(inv, "aws:s3/bucketObjectv2:BucketObjectv2").map((o) => o.inputs.key);
      expect(keys).toEqual(expect.arrayContaining(["index.html", "200.html", "404.html"]));
      const without = await runStackInput(blueprintStackInput("nuxt-fastify-beta-droplet", "prod"));
      expect(scriptSrcHashes(cloudfrontCsp(without.inventory))).toEqual([]);
      expect(ofType(without.inventory, "aws:s3/bucketObjectv2:BucketObjectv2").map((o) => o.inputs.key)).toEqual(["__edge/404.txt"]);
    } finally {
      delete process.env.PLATFORM_BLUEPRINTS_DIR;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("(a) edge with a dynamic origin (music-platform-gitops, Next.js): the bucket gets only the real Next build's _next/static, the CSP no hash (its inline scripts are per response, nonce-based); a whole static build is refused", async () => {
    const next = builtNext("1").assets;
    const input = withBuilds("music-platform-gitops", "staging", { edge: next });
    expect(specErrors(input)).toEqual([]);
    const { inventory: inv } = await runStackInput(input);
    const keys = ofType(inv, "aws:s3/bucketObjectv2:BucketObjectv2")
      .map((o) => String(o.inputs.key))
      .filter((k) => k !== "__edge/404.txt");
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith("_next/static/"))).toBe(true);
    for (const r of ofType(inv, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")) {
      expect(scriptSrcHashes(String((r.inputs as any).securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy))).toEqual([]);
    }
    const refused = specErrors(withBuilds("music-platform-gitops", "staging", { edge: build() }));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.path).toBe("platform:webBuilds.edge");
    expect(refused[0]!.message).toMatch(
      /^"[^"]+" has files no request reaches with a dynamic origin \(only \/_next\/static\/\* come from the bucket\): .*; upload only the static build \(e\.g\. Next\.js's \.next\/static as _next\/static\)$/,
    );
  });

  it("(b) single host: Caddy's CSP for the servesWebApp service carries the build's hashes (HostApp appBuilds)", async () => {
    const { inventory: inv } = await runStackInput(withBuilds("axum-requirements-app", "dev", { services: { api: build() } }));
    for (const csp of caddyCsps(inv)) {
      expect(scriptSrcHashes(csp)).toEqual(hashes);
      expect(scriptSrc(csp)).not.toContain("'unsafe-inline'");
    }
  });

  it("(c) Kubernetes: the servesWebApp service's Traefik headers Middleware carries the build's hashes", async () => {
    const { inventory: inv } = await runStackInput(withBuilds("axum-requirements-app", "staging", { services: { api: build() } }));
    const csp = ingressHeaders(inv)["Content-Security-Policy"]!;
    expect(scriptSrcHashes(csp)).toEqual(hashes);
    expect(scriptSrc(csp)).not.toContain("'unsafe-inline'");
  });

  it("without the key: no CSP hash anywhere (the inline script is blocked; the edge uploads nothing)", async () => {
    const nuxt = (await runBlueprint("nuxt-fastify-beta-droplet", "staging")).inventory;
    expect(scriptSrcHashes(workerCsp(nuxt))).toEqual([]);
    expect(ofType(nuxt, "aws:s3/bucketObjectv2:BucketObjectv2")).toEqual([]);
    for (const csp of caddyCsps((await runBlueprint("axum-requirements-app", "dev")).inventory)) expect(scriptSrcHashes(csp)).toEqual([]);
    expect(scriptSrcHashes(ingressHeaders((await runBlueprint("axum-requirements-app", "staging")).inventory)["Content-Security-Policy"]!)).toEqual([]);
  });

  it("the policy pack finds nothing new in the stacks with the builds (same violations as without)", async () => {
    const cases: [string, Exclude<TierName, "local">, unknown, Record<string, unknown>][] = [
      ["nuxt-fastify-beta-droplet", "staging", { edge: build() }, cloudflareWithR2("staging")],
      ["axum-requirements-app", "dev", { services: { api: build() } }, {}],
      ["axum-requirements-app", "staging", { services: { api: build() } }, {}],
    ];
    for (const [bp, tier, webBuilds, extra] of cases) {
      const withIt = await runPolicies((await runStackInput(withBuilds(bp, tier, webBuilds, extra))).inventory, { tier });
      const without = await runPolicies((await runBlueprint(bp, tier)).inventory, { tier });
      const key = (v: { policyName: string; message: string }) => `${v.policyName}: ${v.message}`;
      expect(withIt.violations.map(key).sort(), formatText(withIt)).toEqual(without.violations.map(key).sort());
    }
  });
});

/**
 * The Kubernetes path in Chromium: axum-requirements-app's api Ingresses and Middlewares exactly as
 * the stack program plans them on staging (with and without platform:webBuilds.services.api = the
 * Nuxt build), served through Traefik v3.7.13's own Headers middleware built from the planned
 * headers Middleware (harness startTraefik, .engine/bin/traefik-crd serve: the CSP and isolation
 * headers as customResponseHeaders, CORS), in front of a server that serves the Nuxt build (axum's
 * ServeDir stand-in) and its JSON API. Hosts move from the stack domain to app.localhost (a secure
 * context in Chromium without a public certificate).
 */
describe("Traefik x axum's servesWebApp api serving the real Nuxt 3 build: the CSP from platform:webBuilds lets it boot", () => {
  let browser: Browser | undefined;
  const traefiks: TraefikRun[] = [];
  let app: Awaited<ReturnType<typeof startApi>> | undefined;
  beforeAll(async () => {
    app = await startApi({ prefix: "/v1/", readiness: "/health/ready", extra: serveSpa(build) });
  });
  afterAll(async () => {
    await browser?.close();
    for (const t of traefiks) await t.stop();
    await closeServer(app?.server);
  });

  const serve = async (input: StackInput) => {
    const { inventory: inv } = await runStackInput(input);
    const domain = input.config["platform:domain"]!;
    const moved = (o: unknown) => JSON.parse(JSON.stringify(o).split(domain).join("app.localhost"));
    const ingresses = ofType(inv, "kubernetes:networking.k8s.io/v1:Ingress")
      .map((r) => moved(r.inputs))
      .filter((i) => i.metadata.name.startsWith("api-"));
    const middlewares = ofType(inv, "kubernetes:traefik.io/v1alpha1:Middleware")
      .map((r) => moved(r.inputs))
      .filter((m) => m.metadata.name.startsWith("api-"));
    const traefik = await startTraefik([...ingresses, ...middlewares], `127.0.0.1:${app!.port}`);
    traefiks.push(traefik);
    await browser?.close(); // each run has its own self-signed certificate
    browser = await launchChromium({ trustSpki: traefik.spki });
    const tab = await openTab(browser);
    const origin = `https://app.localhost:${traefik.httpsPort}`;
    const v = await tab.load(`${origin}/`);
    return { v, csp: v.responses.find((r) => r.url.startsWith(origin) && pathOf(r.url) === "/")!.headers["content-security-policy"] ?? "" };
  };

  it("with platform:webBuilds.services.api: boots with zero CSP violations under the Middleware's CSP (the build's hashes, no 'unsafe-inline')", async () => {
    const { v, csp } = await serve(withBuilds("axum-requirements-app", "staging", { services: { api: build() } }));
    expect(scriptSrcHashes(csp)).toEqual(expectedHashes(build()));
    expect(scriptSrc(csp)).not.toContain("'unsafe-inline'");
    expect({ violations: v.violations, errors: v.errors }).toEqual({ violations: [], errors: [] });
    expect(v.result).toMatchObject({ booted: true, deploy: "1", error: null, api: { status: 200 } });
  });

  it("without it: the Middleware's CSP blocks the build's inline script and the app never boots", async () => {
    const { v, csp } = await serve(blueprintStackInput("axum-requirements-app", "staging"));
    expect(csp).toContain("script-src 'self'");
    expect(v.violations.filter((x) => /^script-src/.test(x.directive) && x.blocked === "inline").length).toBeGreaterThan(0);
    expect(v.result).toBeNull();
  });
});
