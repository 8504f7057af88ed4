/**
 * Generate the GitOps deploy repository (chart + values-staging.yaml / values-production.yaml)
 * of a blueprint from the program's own Service planner (scripts/gitops-lib.ts).
 *
 *   npm run gitops -- --blueprint music-platform-gitops --tier prod --out ../deploy
 *   npm run gitops -- --blueprint music-platform-gitops --out ../deploy      (every GitOps tier)
 */
import { generateDeployRepo, writeRepo } from "./gitops-lib";
import type { GitopsTier } from "../stacks/spec/release";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const blueprint = arg("blueprint");
  const tier = arg("tier");
  const out = arg("out");
  if (!blueprint || !out) {
    console.error("usage: npm run gitops -- --blueprint <name> [--tier staging|prod] --out <dir>");
    process.exit(2);
  }
  if (tier && tier !== "staging" && tier !== "prod") {
    console.error(`--tier ${tier}: GitOps runs on staging and prod (local and dev are push: \`npm run local\`); give --tier staging or --tier prod`);
    process.exit(2);
  }
  const repo = await generateDeployRepo(blueprint, tier ? [tier as GitopsTier] : undefined);
  for (const f of writeRepo(out, repo)) console.log(`wrote ${f}`);
  for (const [env, objs] of Object.entries(repo.objects))
    console.log(`${env}: ${objs.length} objects (${[...new Set(objs.map((o) => o.manifest["kind"]))].join(", ")})`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
