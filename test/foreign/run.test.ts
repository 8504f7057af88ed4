/**
 * `npm run plan -- --program`: programs written elsewhere (test/fixtures/foreign/), each copied to
 * a temporary project directory with its own node_modules (the Pulumi SDKs linked from this
 * repository's, plus packages only that project has), run through the real runner: child process,
 * scrubbed environment, working copy, the program's own @pulumi/pulumi.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exitCodeFor, planTarget, renderText, type PlanResult } from "../../scripts/plan-lib";
import { readForeignProject } from "../../scripts/foreign/run";
import { tierForStack } from "../../scripts/foreign/report";

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "foreign");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "foreign-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Copy a fixture into its own directory; `install` links the Pulumi SDKs into its node_modules. */
function project(name: string, install = true): string {
  const dir = path.join(tmp, name);
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  if (install) {
    fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules", "@pulumi"), path.join(dir, "node_modules", "@pulumi"));
    const local = path.join(dir, "node_modules_local");
    if (fs.existsSync(local)) for (const e of fs.readdirSync(local)) fs.cpSync(path.join(local, e), path.join(dir, "node_modules", e), { recursive: true });
  }
  return dir;
}

const plan = (dir: string, extra: { stack?: string; tier?: string; timeoutMs?: number; preview?: boolean } = {}): Promise<PlanResult> =>
  planTarget(
    {
      kind: "program",
      file: dir,
      config: {},
      ...(extra.stack ? { stack: extra.stack } : {}),
      ...(extra.tier ? { tier: extra.tier } : {}),
      ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
    },
    { preview: extra.preview ?? false },
  );

describe("reading a foreign project as the CLI does", () => {
  it("Pulumi.yaml main, project config defaults (namespaced or not), the only stack file and its secure values", () => {
    const dir = project("webshop", false);
    const p = readForeignProject(dir, undefined);
    expect(p.project).toBe("webshop");
    expect(p.entry).toBe(path.join(dir, "src", "index.ts"));
    expect(p.stack).toBe("staging");
    expect(p.config["webshop:dbInstanceClass"]).toBe("db.t3.micro");
    expect(p.config["webshop:siteName"]).toBe("shop");
    expect(p.config["aws:region"]).toBe("eu-west-1");
    expect(p.secretKeys).toEqual(["webshop:dbPassword"]);
    expect(p.placeholders).toEqual(["webshop:dbPassword"]);
    expect(p.installHint).toBe("npm install");
    expect(readForeignProject(path.join(dir, "src", "index.ts"), "prod").stack).toBe("prod");
  });

  it("the tier: --tier first, then the stack name; a name without a tier is judged as prod and says so", () => {
    expect(tierForStack("dev").tier).toBe("dev");
    expect(tierForStack("acme-staging").tier).toBe("staging");
    expect(tierForStack("production").tier).toBe("prod");
    expect(tierForStack("dev", "prod")).toEqual({ tier: "prod", from: "--tier" });
    const unknown = tierForStack("blue");
    expect(unknown.tier).toBe("prod");
    expect(unknown.from).toMatch(/names no tier/);
  });
});

describe("running a foreign program", () => {
  it("runs from its project directory with its own packages, scrubbed environment, every invoke answered", async () => {
    const dir = project("webshop");
    process.env.AWS_SECRET_ACCESS_KEY = "fake-secret-for-the-scrub-test";
    let r: PlanResult;
    try {
      r = await plan(dir);
    } finally {
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
    const text = renderText(r);
    expect(r.error, text).toBeUndefined();
    expect(r.tierFrom).toMatch(/^staging/);
    expect(r.placeholders).toEqual(["webshop:dbPassword"]);
    const out = r.inventory!.outputs as Record<string, any>;
    expect(out.seen.awsKey).toBe("none");
    expect(out.seen.kubeconfig).toBe("none");
    expect(out.seen.home).not.toBe(os.homedir());
    expect(out.seen.cwdIsProject).toBe(true);
    expect(typeof out.zoneId).toBe("string");
    const bucket = r.inventory!.resources.find((x) => x.type === "aws:s3/bucketV2:BucketV2");
    expect(bucket?.name).toBe("shop-assets");
    expect(bucket?.inputs.bucketPrefix).toBe("acme-assets");
    // Relative writes land in the working copy, not in the project.
    expect(fs.existsSync(path.join(dir, "build-stamp.txt"))).toBe(false);
    // A public database: a real finding, exit 1.
    expect(r.status).toBe("policy");
    expect(r.policy!.violations.some((v) => v.policyName === "seg-datastore-not-public" && v.enforcementLevel === "mandatory")).toBe(true);
    expect(exitCodeFor([r])).toBe(1);
  });

  it("without installed packages it stops with the install step to take", async () => {
    const dir = project("noinstall", false);
    const r = await plan(dir);
    expect(r.status).toBe("error");
    expect(r.error).toContain(`\`npm ci\` in ${dir}`);
    expect(exitCodeFor([r])).toBe(2);
  });

  it("a program that never finishes ends at its deadline as incomplete, naming what was not seen", async () => {
    const r = await plan(project("hangs"), { timeoutMs: 4000 });
    expect(r.status).toBe("incomplete");
    expect(r.error).toMatch(/did not finish within 4 s|did not end/);
    expect(r.notInspected!.some((n) => /deadline/.test(n.reason))).toBe(true);
    expect(exitCodeFor([r])).toBe(3);
  });

  it("a remote component's children are listed as not inspected with the policies that could not run; never clean", async () => {
    const r = await plan(project("remote-lb"), { stack: "dev" });
    const text = renderText(r);
    const lb = r.notInspected!.find((n) => n.type === "awsx:lb:ApplicationLoadBalancer");
    expect(lb, text).toBeDefined();
    expect(lb!.reason).toMatch(/remote component/);
    expect(lb!.policies).toContain("tls-lb-listener-https");
    expect(text).toContain("NOT INSPECTED");
    expect(["incomplete", "policy"]).toContain(r.status);
    expect(r.status).not.toBe("ok");
  });

  it("a bucket policy built with pulumi.jsonStringify is not inspected in preview (never passed unseen), and judged with --update", async () => {
    const dir = project("site-bucket");
    const preview = await plan(dir, { stack: "dev", preview: true });
    const text = renderText(preview);
    const gap = preview.notInspected!.find((n) => n.policies.includes("tls-s3-deny-insecure-transport"));
    expect(gap, text).toBeDefined();
    expect(gap!.reason).toMatch(/bucket 'my-bucket' \(policy 'my-bucket-policy'\)/);
    expect(preview.status).toBe("incomplete");
    expect(exitCodeFor([preview])).toBe(3);
    const update = await plan(dir, { stack: "dev", preview: false });
    expect(
      update.policy!.violations.filter((v) => v.policyName === "tls-s3-deny-insecure-transport"),
      renderText(update),
    ).toEqual([]);
    expect(update.notInspected!.some((n) => n.policies.includes("tls-s3-deny-insecure-transport"))).toBe(false);
  });

  it("a chart rendered with the helm CLI (@pulumi/kubernetes 2.x) gets the offline stand-in: no network, listed as not inspected, never a failure or a pass", async () => {
    const r = await plan(project("helm-cli"), { stack: "dev" });
    const text = renderText(r);
    expect(r.error, text).toBeUndefined();
    const chart = r.notInspected!.find((n) => n.what.startsWith("helm template argo-cd"));
    expect(chart, text).toBeDefined();
    expect(chart!.reason).toMatch(/rendered by the helm CLI .* not rendered offline/);
    expect(chart!.policies).toContain("seg-namespace-default-deny");
    expect(r.status).not.toBe("ok");
    expect([1, 3]).toContain(exitCodeFor([r]));
  });

  it("an image from required config the stack does not set: the plan's placeholder is not judged (no finding, no pass), it is listed as not inspected", async () => {
    const dir = project("required-image");
    const r = await plan(dir, { stack: "prod" });
    const text = renderText(r);
    expect(r.error, text).toBeUndefined();
    expect(r.placeholders.sort()).toEqual(["aks-app:applicationimage", "aks-app:sidecarTag"]);
    // Before: "image 'plan-placeholder-aks-app-applicationimage' has no tag", a finding about our own value.
    expect(
      r.policy!.violations.filter((v) => v.policyName === "baseline-pinned-images" && !v.unknown),
      text,
    ).toEqual([]);
    const gap = r.notInspected!.find((n) => n.policies.includes("baseline-pinned-images"));
    expect(gap, text).toBeDefined();
    expect(gap!.type).toBe("kubernetes:apps/v1:Deployment");
    expect(gap!.reason).toMatch(
      /spec\.template\.spec\.containers\[0\]\.image, spec\.template\.spec\.containers\[1\]\.image hold the plan's placeholder for config 'aks-app:applicationimage', 'aks-app:sidecarTag'.*not the program's, so it was not judged \(give it with --config aks-app:applicationimage=<value>\)/,
    );
    expect(text).toContain("NOT INSPECTED");
    // Given values are the program's: judged as usual, and no placeholder is left to report.
    const given = await planTarget(
      { kind: "program", file: dir, stack: "prod", config: { applicationimage: "ghcr.io/acme/application", sidecarTag: "v1.32.2" } },
      { preview: false },
    );
    const pinned = given.policy!.violations.filter((v) => v.policyName === "baseline-pinned-images");
    expect(
      pinned.map((v) => [v.unknown ?? false, v.message]),
      renderText(given),
    ).toEqual([[false, "application/application: image 'ghcr.io/acme/application' has no tag (means :latest); pin a version tag or a digest"]]);
    expect(given.placeholders).toEqual([]);
    expect(given.notInspected!.some((n) => /placeholder/.test(n.reason))).toBe(false);
  });

  it("a report that inspected nothing is incomplete, not clean", async () => {
    const r = await plan(project("nothing"), { stack: "dev" });
    expect(r.policy!.mandatory).toBe(0);
    expect(r.status).toBe("incomplete");
    expect(r.notInspected!.some((n) => n.what === "(the whole program)")).toBe(true);
    expect(exitCodeFor([r])).toBe(3);
  });
});
