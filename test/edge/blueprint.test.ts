/**
 * "A blueprint with an edge site plans on both implementations": the repository's Nuxt blueprint
 * run through the real composition (stacks/program.ts) on dev and prod, as written (Cloudflare:
 * the shared plans, test/harness/planned.ts) and switched to CloudFront (a copy in a temporary
 * PLATFORM_BLUEPRINTS_DIR, set only while that variant plans), in update and preview mode; the
 * policy pack reports nothing against the edge site.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blueprintStackInput, REPO_ROOT, runStackInput, type StackRun } from "../../tools/harness/stacks";
import { planned } from "../harness/planned";
import { runPolicies } from "../../policies/lib/runner";
import { buildRuleTable, decide } from "../../components/edge/headers";

const BLUEPRINT = "nuxt-fastify-beta-droplet";
let tmp = "";
const saved = process.env.PLATFORM_BLUEPRINTS_DIR;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edge-blueprints-"));
  for (const f of fs.readdirSync(path.join(REPO_ROOT, "blueprints"))) fs.copyFileSync(path.join(REPO_ROOT, "blueprints", f), path.join(tmp, f));
  const bp = parse(fs.readFileSync(path.join(tmp, `${BLUEPRINT}.yaml`), "utf8"));
  expect(bp.edge?.provider ?? "cloudflare").toBe("cloudflare");
  bp.name = `${BLUEPRINT}-cloudfront`;
  bp.edge.provider = "cloudfront";
  bp.edge.rateLimitPer5Min = 3000;
  fs.writeFileSync(path.join(tmp, `${BLUEPRINT}-cloudfront.yaml`), stringify(bp));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The blueprint on the tier: the repository's as written from the shared plans; the CloudFront copy planned here, from the temporary directory. */
async function plan(blueprint: string, provider: "cloudflare" | "cloudfront", tier: "dev" | "prod", preview: boolean): Promise<StackRun> {
  if (provider === "cloudflare") return planned({ blueprint, tier }, { preview });
  process.env.PLATFORM_BLUEPRINTS_DIR = tmp;
  try {
    const input = blueprintStackInput(blueprint, tier);
    input.config["platform:route53ZoneId"] = "Z0123456789ABCDEFGHIJ";
    return await runStackInput(input, { preview });
  } finally {
    if (saved === undefined) delete process.env.PLATFORM_BLUEPRINTS_DIR;
    else process.env.PLATFORM_BLUEPRINTS_DIR = saved;
  }
}

const cases = [
  { blueprint: BLUEPRINT, provider: "cloudflare", marker: "cloudflare:index/workersScript:WorkersScript" },
  { blueprint: `${BLUEPRINT}-cloudfront`, provider: "cloudfront", marker: "aws:cloudfront/distribution:Distribution" },
] as const;

describe.each(cases)("blueprint with an edge site on $provider", ({ blueprint, provider, marker }) => {
  for (const tier of ["dev", "prod"] as const) {
    for (const preview of [false, true]) {
      it(`${tier}${preview ? " (preview)" : ""}: EdgeSite plans with the blueprint's header policy`, async () => {
        const { inventory } = await plan(blueprint, provider, tier, preview);
        const site = inventory.resources.find((r) => r.type === "platform:edge:EdgeSite");
        expect(site, "EdgeSite registered").toBeDefined();
        const children = inventory.resources.filter((r) => r.parent === site!.urn);
        expect(children.some((r) => r.type === marker)).toBe(true);
        for (const c of children.filter((r) => r.custom)) expect(c.provider, c.urn).not.toMatch(/::default(_[\d_]+)?::/);
        // The blueprint's app kind (nuxt) reached the generated runtime: /_nuxt/ bundles are immutable there.
        const code = children
          .map((r) => (r.inputs.content ?? r.inputs.code) as unknown)
          .find((c): c is string => typeof c === "string" && c.includes("RULE_TABLE"))!;
        const table = JSON.parse(/^(?:const|var) RULE_TABLE = (.*);$/m.exec(code)![1]!) as ReturnType<typeof buildRuleTable>;
        expect(table.rules.find((r) => r.class === "hashed")!.pattern).toContain("_nuxt");
        expect(decide(table, "/_nuxt/entry.DlAUqK2U.js").headers["cache-control"]).toBe("public, max-age=31536000, immutable");
        if (!preview) {
          expect(site!.outputs?.provider).toBe(provider);
          const report = await runPolicies(inventory, { tier });
          const edgeViolations = report.violations.filter((v) => !v.urn || v.urn.includes("platform:edge:EdgeSite"));
          expect(edgeViolations).toEqual([]);
        }
      });
    }
  }
});
