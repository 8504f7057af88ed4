/**
 * `platform:webBuilds`: the spec refuses every build setting that would deploy a CSP the app cannot
 * boot under, or a build nothing serves — before anything is registered — with the field and the
 * fix. The directory checks are the ones the single host's proxy plan makes (components/edge/build.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../stacks/spec/load";
import { ProgramError } from "../../tools/harness/run";
import { blueprintStackInput, runStackInput, specErrors, withConfig } from "../../tools/harness/stacks";

let tmp: string;
let spa: string; // a static build: index.html with an inline script
let noHtml: string; // a directory of assets only
let noIndex: string; // HTML, but not the index document
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spec-webbuilds-"));
  spa = path.join(tmp, "spa");
  noHtml = path.join(tmp, "assets-only");
  noIndex = path.join(tmp, "no-index");
  fs.mkdirSync(path.join(spa, "_nuxt"), { recursive: true });
  fs.writeFileSync(path.join(spa, "index.html"), "<!doctype html><script>window.__NUXT__={}</script>");
  fs.writeFileSync(path.join(spa, "_nuxt", "entry.3f2a1b4c.js"), "export {}");
  fs.mkdirSync(noHtml);
  fs.writeFileSync(path.join(noHtml, "app.js"), "export {}");
  fs.mkdirSync(noIndex);
  fs.writeFileSync(path.join(noIndex, "200.html"), "<!doctype html>");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const R2_KEY = "0123456789abcdef0123456789abcdef";
/** nuxt: Cloudflare edge, api not servesWebApp. axum: no edge, api servesWebApp (Kubernetes on staging). */
const nuxt = (webBuilds: unknown, extra: Record<string, unknown> = {}) =>
  withConfig(blueprintStackInput("nuxt-fastify-beta-droplet", "staging"), { "platform:webBuilds": webBuilds, ...extra });
const axum = (webBuilds: unknown) => withConfig(blueprintStackInput("axum-requirements-app", "staging"), { "platform:webBuilds": webBuilds });
const cloudflareWithR2 = () => {
  const cf = JSON.parse(blueprintStackInput("nuxt-fastify-beta-droplet", "staging").config["platform:cloudflare"]!);
  return { "platform:cloudflare": { ...cf, r2AccessKeyId: R2_KEY } };
};

describe("platform:webBuilds: refused before anything is registered, naming the field and the fix", () => {
  it("valid settings load: a static edge build, a servesWebApp service's build", () => {
    expect(specErrors(nuxt({ edge: spa }, cloudflareWithR2()))).toEqual([]);
    expect(specErrors(axum({ services: { api: spa } }))).toEqual([]);
  });

  it("a service that is not in the blueprint", () => {
    expect(specErrors(axum({ services: { web: spa } }))).toEqual([
      {
        path: "platform:webBuilds.services.web",
        message: "no service 'web' in the blueprint; name the service whose image serves the web app (servesWebApp services: api)",
      },
    ]);
  });

  it("a service that is not public with servesWebApp: true", () => {
    expect(specErrors(nuxt({ services: { api: spa } }))).toEqual([
      {
        path: "platform:webBuilds.services.api",
        message:
          "'api' is not a public service with servesWebApp: true, so no page of it carries the web app's CSP; name the service whose image serves the web app (this blueprint has no public service with servesWebApp: true)",
      },
    ]);
  });

  it("`edge` on a blueprint without an edge section", () => {
    expect(specErrors(axum({ edge: spa }))).toEqual([
      {
        path: "platform:webBuilds.edge",
        message:
          "blueprint 'axum-requirements-app' has no edge site, so nothing would upload or serve this build: remove platform:webBuilds.edge, or give it as platform:webBuilds.services.api (the service that serves the web app)",
      },
    ]);
  });

  it("a directory that does not exist: relative paths are resolved against the project directory", () => {
    const missing = path.join(PROJECT_DIR, "web", "no-such-build");
    const message = (what: string) =>
      `'${missing}' is not a directory; give the local directory of ${what} (absolute, or relative to the project directory), built before \`pulumi up\``;
    expect(specErrors(axum({ services: { api: "web/no-such-build" } }))).toEqual([
      { path: "platform:webBuilds.services.api", message: message("the build api's image serves") },
    ]);
    expect(specErrors(nuxt({ edge: "web/no-such-build" }, cloudflareWithR2()))).toEqual([
      { path: "platform:webBuilds.edge", message: message("the edge site's build") },
    ]);
  });

  it("a directory without an HTML document (the wrong directory, or pages rendered per request)", () => {
    const message = `'${noHtml}' has no HTML document, so the CSP hashes of its inline scripts cannot be computed: give the directory with the built index.html (e.g. Nuxt's .output/public, Vite's dist); an app that renders its pages per request has per-response inline scripts that no deploy-time hash allows`;
    expect(specErrors(axum({ services: { api: noHtml } }))).toEqual([{ path: "platform:webBuilds.services.api", message }]);
    expect(specErrors(nuxt({ edge: noHtml }, cloudflareWithR2()))).toEqual([{ path: "platform:webBuilds.edge", message }]);
  });

  it("a static edge build without the index document (what the EdgeSite's upload refuses)", () => {
    expect(specErrors(nuxt({ edge: noIndex }, cloudflareWithR2()))).toEqual([
      { path: "platform:webBuilds.edge", message: `"${noIndex}" has no index.html; SPA routes would all be 404` },
    ]);
  });

  it("a Cloudflare edge upload without the R2 key pair", () => {
    expect(specErrors(nuxt({ edge: spa }))).toEqual([
      {
        path: "platform:cloudflare.r2AccessKeyId",
        message:
          "the edge build (platform:webBuilds.edge) is uploaded to R2 through its S3 endpoint: create an R2 API token with Object Read & Write on the edge's bucket, set its Access Key ID here and store its Secret Access Key in Secrets Manager (platform:cloudflare.r2SecretKeySecret, default platform/<stack>/r2-secret-access-key)",
      },
    ]);
  });

  it("a blueprint CSP whose script-src allows 'unsafe-inline' next to the build's hashes", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "bp-"));
    const bpText = fs.readFileSync(path.join(PROJECT_DIR, "blueprints", "nuxt-fastify-beta-droplet.yaml"), "utf8");
    fs.writeFileSync(
      path.join(dir, "nuxt-fastify-beta-droplet.yaml"),
      bpText.replace(/^edge:\n/m, `edge:\n  csp: "default-src 'self'; script-src 'self' 'unsafe-inline'"\n`),
    );
    process.env.PLATFORM_BLUEPRINTS_DIR = dir;
    try {
      expect(specErrors(nuxt({ edge: spa }, cloudflareWithR2()))).toEqual([
        {
          path: "edge.csp",
          message:
            "script-src allows 'unsafe-inline', and platform:webBuilds.edge adds the build's inline-script hashes next to it: remove 'unsafe-inline' from script-src (the hashes allow exactly the build's inline scripts)",
        },
      ]);
      expect(specErrors(blueprintStackInput("nuxt-fastify-beta-droplet", "staging"))).toEqual([]);
    } finally {
      delete process.env.PLATFORM_BLUEPRINTS_DIR;
    }
  });

  it("unknown keys and every problem at once", () => {
    const errs = specErrors(axum({ edge: spa, services: { api: noHtml, web: spa }, edges: "x" }));
    expect(errs.map((e) => e.path).sort()).toEqual([
      "platform:webBuilds",
      "platform:webBuilds.edge",
      "platform:webBuilds.services.api",
      "platform:webBuilds.services.web",
    ]);
    expect(errs.find((e) => e.path === "platform:webBuilds")!.message).toBe("unknown key 'edges': remove it or fix the spelling");
  });

  it("the real program registers nothing", async () => {
    const err = await runStackInput(axum({ services: { api: noHtml } })).catch((e) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect(err.message).toContain(`platform:webBuilds.services.api: '${noHtml}' has no HTML document`);
    expect((err as ProgramError).inventory.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});
