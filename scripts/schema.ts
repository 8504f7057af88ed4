/**
 * Writes the JSON Schemas generated from the zod spec, so editors validate blueprint files as
 * you type (`# yaml-language-server: $schema=./blueprint.schema.json` at the top of each).
 *
 *   npm run schema            write them
 *   npm run schema -- --check fail (exit 1) if a committed schema is stale
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { blueprintSpec } from "../stacks/spec/blueprint";
import { stackConfig } from "../stacks/spec/stack-config";

const ROOT = path.resolve(__dirname, "..");

export function generatedSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, title: string) =>
    JSON.stringify({ title, ...z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) }, null, 2) + "\n";
  return {
    "blueprints/blueprint.schema.json": render(blueprintSpec, "Platform blueprint (topology of one system)"),
    "stacks/spec/stack-config.schema.json": render(stackConfig, "Platform stack config (the platform:* keys of Pulumi.<stack>.yaml)"),
  };
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [rel, text] of Object.entries(generatedSchemas())) {
    const file = path.join(ROOT, rel);
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (current === text) continue;
    if (check) {
      process.stderr.write(`${rel} is stale: run \`npm run schema\` and commit it\n`);
      stale++;
    } else {
      fs.writeFileSync(file, text);
      process.stdout.write(`wrote ${rel}\n`);
    }
  }
  process.exit(stale ? 1 : 0);
}
