// tls-ingress-https on a Traefik Helm release, against the real chart (issue 16): the policy accepted
// `ports.web.redirectTo` (chart < 34) and `ports.web.redirections` (34–38) on any chart version, but
// the pinned chart 41.3.0 reads only `ports.web.http.redirections.entryPoint` and its values schema
// refuses both old keys. Here `helm template` renders the mirror's traefik 41.3.0 (and 33.2.1, where
// redirectTo is the right key) with each shape; the policy must accept exactly the values whose
// render is valid and carries the web→websecure redirect argument.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHART_PINS } from "../../components/charts";
import { planAddons } from "../../components/cluster/addons";
import { traefikRedirectProblem } from "../../policies/tls";
import { helmBinary, helmTemplate, tmpHome } from "../charts/helm";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const MIRROR = CHARTS_MIRROR;
const helm = helmBinary();
const home = tmpHome("traefik-redirect-");
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const SHAPES: Record<string, Record<string, unknown>> = {
  "redirectTo (chart < 34)": { port: 8000, redirectTo: { port: "websecure" } },
  "redirections (chart 34-38)": { port: 8000, redirections: { entryPoint: { to: "websecure", scheme: "https" } } },
  "http.redirections (chart 39+)": { port: 8000, http: { redirections: { entryPoint: { to: "websecure", scheme: "https" } } } },
  "no redirect": { port: 8000 },
};
const REDIRECT_ARG = /--entryPoints\.web\.http\.redirections\.entryPoint\.to=/;

async function render(version: string, web: Record<string, unknown>) {
  const archive = path.join(MIRROR, `traefik-${version}.tgz`);
  expect(fs.existsSync(archive), archive).toBe(true);
  const r = await helmTemplate(helm.bin!, home, {
    release: "traefik",
    namespace: "traefik",
    chart: archive,
    values: { ports: { web } },
    apiVersions: [],
    skipSchemaValidation: false,
  });
  return { ok: r.ok, redirects: r.ok && REDIRECT_ARG.test(r.manifest), stderr: r.stderr };
}

describe("tls-ingress-https: the Traefik redirect, read as the real chart reads it", () => {
  it("a helm binary is there (npm run engine builds it)", () => expect(helm.error).toBeUndefined());

  for (const version of [CHART_PINS.traefik.version, "33.2.1"]) {
    for (const [shape, web] of Object.entries(SHAPES)) {
      it(`traefik ${version}, ${shape}: the policy passes it exactly when the rendered chart redirects`, async () => {
        const real = await render(version, web);
        const problem = traefikRedirectProblem(web, version);
        expect(problem === null, `helm: ok=${real.ok} redirects=${real.redirects} ${real.stderr.slice(0, 200)}; policy: ${problem}`).toBe(real.redirects);
      }, 120_000);
    }
  }

  it(`the pinned ${CHART_PINS.traefik.version}: the old keys are named in the message with the key to use; the program's own values pass and render the redirect`, async () => {
    expect(traefikRedirectProblem(SHAPES["redirectTo (chart < 34)"], CHART_PINS.traefik.version)).toMatch(
      /set ports\.web\.redirectTo, which chart 41\.3\.0 does not read[\s\S]*ports\.web\.http\.redirections\.entryPoint\.to: websecure/,
    );
    expect(traefikRedirectProblem(SHAPES["redirections (chart 34-38)"], CHART_PINS.traefik.version)).toMatch(/set ports\.web\.redirections,/);
    const ours = planAddons({ controller: "traefik", namespaces: { ingress: "traefik", monitoring: "monitoring" }, replicas: 2, serviceMonitors: false }).find(
      (r) => r.pin.chart === "traefik",
    )!;
    const web = (ours.values as { ports: { web: Record<string, unknown> } }).ports.web;
    expect(traefikRedirectProblem(web, ours.pin.version)).toBeNull();
    expect((await render(ours.pin.version, web)).redirects).toBe(true);
  }, 120_000);
});
