/**
 * The ingress controller: Traefik, the default and the only one. ingress-nginx was retired by its
 * maintainers in March 2026 (no security fixes), so a blueprint that still names it is refused by
 * the spec with the field and the fix, before the program registers anything (#16).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kubernetesTopology } from "../../stacks/spec/blueprint";
import { SpecError } from "../../stacks/spec/errors";
import { PROJECT_DIR, availableBlueprints, loadSpec, readBlueprint } from "../../stacks/spec/load";
import { ProgramError } from "../../tools/harness/run";
import { blueprintStackInput, runStackInput } from "../../tools/harness/stacks";
import { richBlueprint, richConfig } from "./fixtures";

const FOUR = ["nuxt-fastify-beta-droplet", "axum-requirements-app", "bridge-relay", "gateway-flutter-wasm"];
const RETIRED =
  /ingress-nginx was retired by its maintainers in March 2026 and gets no security fixes: set `ingressController: traefik` \(or leave it out: traefik is the default\)/;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spec-ingress-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function issuesOf(blueprint: unknown) {
  try {
    loadSpec({ stack: "prod", config: richConfig(), blueprint });
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).issues;
  }
  throw new Error("expected the spec to be rejected");
}

describe("ingress controller: Traefik", () => {
  it("every committed blueprint with a Kubernetes topology runs Traefik, and the four that ran ingress-nginx say so", () => {
    for (const name of availableBlueprints()) {
      const bp = readBlueprint(name).data as { hosting: { kubernetes?: unknown } };
      if (bp.hosting.kubernetes) expect({ name, ...kubernetesTopology.parse(bp.hosting.kubernetes) }).toMatchObject({ name, ingressController: "traefik" });
    }
    for (const name of FOUR) expect((readBlueprint(name).data as any).hosting.kubernetes.ingressController).toBe("traefik");
    expect(fs.readFileSync(path.join(PROJECT_DIR, "blueprints", "blueprint.schema.json"), "utf8")).not.toMatch(/"nginx"/);
  });

  it("traefik is the default when the blueprint names no controller", () => {
    const bp = richBlueprint() as any;
    bp.hosting.kubernetes = {};
    expect(loadSpec({ stack: "prod", config: richConfig(), blueprint: bp }).hosting).toMatchObject({ mode: "kubernetes", ingressController: "traefik" });
  });

  it("a blueprint asking for nginx is refused naming the field and the fix", () => {
    const bp = richBlueprint() as any;
    bp.hosting.kubernetes.ingressController = "nginx";
    const issues = issuesOf(bp);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe("hosting.kubernetes.ingressController");
    expect(issues[0]!.file).toMatch(/blueprint/);
    expect(issues[0]!.message).toMatch(RETIRED);
    bp.hosting.kubernetes.ingressController = "haproxy";
    expect(issuesOf(bp)[0]!.message).toBe('must be one of "traefik"');
  });

  it("a stack cannot ask for nginx either: the stack's cluster settings have no controller key", () => {
    let err: unknown;
    try {
      loadSpec({
        stack: "prod",
        config: { ...richConfig(), cluster: { ...(richConfig() as any).cluster, ingressController: "nginx" } },
        blueprint: richBlueprint(),
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^platform:cluster: unknown key 'ingressController'/),
    ]);
  });

  it.each(FOUR)("%s with `ingressController: nginx`: the real program stops before registering anything", async (name) => {
    const dir = fs.mkdtempSync(path.join(tmp, "bp-"));
    const text = fs.readFileSync(path.join(PROJECT_DIR, "blueprints", `${name}.yaml`), "utf8");
    const nginx = text.replace(/^(\s+ingressController:) traefik$/m, "$1 nginx");
    expect(nginx).not.toBe(text);
    fs.writeFileSync(path.join(dir, `${name}.yaml`), nginx);
    process.env.PLATFORM_BLUEPRINTS_DIR = dir;
    try {
      const err = await runStackInput(blueprintStackInput(name, "prod")).catch((e) => e);
      expect(err).toBeInstanceOf(ProgramError);
      expect(err.message).toMatch(/nothing was registered/);
      expect(err.message).toMatch(new RegExp(`blueprints/${name}\\.yaml: hosting\\.kubernetes\\.ingressController: ${RETIRED.source}`));
      expect((err as ProgramError).inventory.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    } finally {
      delete process.env.PLATFORM_BLUEPRINTS_DIR;
    }
  });
});
