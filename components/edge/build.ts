/**
 * A web build on the deploy machine: the directory of the front end being deployed, read at
 * deploy time so the CSP allows exactly its inline scripts (by hash, never 'unsafe-inline'; see
 * headers.ts). One place for what every caller checks before it trusts a build directory — the
 * stack spec (`platform:webBuilds`, stacks/spec/load.ts), the single host's proxy plan
 * (components/host/proxy.ts `webAppPolicy`) and the EdgeSite's upload (plan.ts `sitePolicy`) —
 * so the three cannot disagree on what a usable build is. Pure apart from reading the directory.
 */
import * as fs from "fs";
import { inlineScriptHashes } from "./headers";

/** HTML documents under a directory (recursively, `/`-joined paths), or none. */
export function htmlDocuments(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(`${d}/${e.name}`);
      else if (e.isFile() && /\.html?$/i.test(e.name)) out.push(`${d}/${e.name}`);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * CSP hashes of the inline scripts in every HTML document of a build (read at deploy time, so
 * the CSP allows exactly the inline scripts of the build being deployed). A missing directory
 * gives none: callers that need a build check it first with `webBuildProblem`.
 */
export function buildInlineScriptHashes(dir: string): string[] {
  if (!isDirectory(dir)) return [];
  const out = new Set<string>();
  for (const file of htmlDocuments(dir)) for (const h of inlineScriptHashes(fs.readFileSync(file, "utf8"))) out.add(h);
  return [...out].sort();
}

const isDirectory = (d: string) => fs.existsSync(d) && fs.statSync(d).isDirectory();

/**
 * Why a build directory cannot give the CSP hashes of its inline scripts, or undefined when it
 * can. `what` names the build in the message (e.g. "the build api's image serves"); the caller
 * puts the field in front. `needsHtml`: the build's pages are served from it as files (a static
 * SPA, a server that serves a built directory), so it must hold at least one HTML document — a
 * directory without one is the wrong directory, or an app that renders its pages per request,
 * whose inline scripts change with every response and no deploy-time hash allows.
 */
export function webBuildProblem(dir: string, what: string, needsHtml: boolean): string | undefined {
  if (!isDirectory(dir))
    return `'${dir}' is not a directory; give the local directory of ${what} (absolute, or relative to the project directory), built before \`pulumi up\``;
  if (needsHtml && htmlDocuments(dir).length === 0) {
    return `'${dir}' has no HTML document, so the CSP hashes of its inline scripts cannot be computed: give the directory with the built index.html (e.g. Nuxt's .output/public, Vite's dist); an app that renders its pages per request has per-response inline scripts that no deploy-time hash allows`;
  }
  return undefined;
}

/**
 * Why `name` cannot have a web build of its own, or undefined when it can: only a public service
 * that serves the web app itself (`servesWebApp: true`) sends the app's pages with the CSP.
 */
export function webAppServiceProblem(services: readonly { name: string; exposure: string; servesWebApp: boolean }[], name: string): string | undefined {
  const spec = services.find((s) => s.name === name);
  const candidates = services.filter((s) => s.exposure === "public" && s.servesWebApp).map((s) => s.name);
  const which = `(${candidates.length ? `servesWebApp services: ${candidates.join(", ")}` : "this blueprint has no public service with servesWebApp: true"})`;
  if (!spec) return `no service '${name}' in the blueprint; name the service whose image serves the web app ${which}`;
  if (spec.exposure !== "public" || !spec.servesWebApp)
    return `'${name}' is not a public service with servesWebApp: true, so no page of it carries the web app's CSP; name the service whose image serves the web app ${which}`;
  return undefined;
}
