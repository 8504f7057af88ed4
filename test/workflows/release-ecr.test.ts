// Issue 18, end to end through the real program (under mocks): the repositories release.yml's
// build-ecr job pushes to and the role it assumes are exactly the ECR repositories the program
// creates for the stack, the images its workloads run, and the role it attaches the push-only
// policy to. Before, the plan pushed ghcr.io/normaldance/* while the workloads ran ECR images.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { SERVICE_TYPE, imagesOf, type DeployObject } from "../../scripts/gitops-lib";
import { planRelease } from "../../scripts/release";
import { formatReport } from "../../stacks/preflight";
import { runPreflight } from "../../stacks/preflight/run";
import { blueprintStackInput, runStackInput, withConfig } from "../../tools/harness/stacks";
import { ROOT } from "./workflows";

const ECR = { kind: "ecr", accountId: "123456789012", pushRoleName: "github-release" };
const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("music-platform-gitops × staging with platform:imageRegistry (ECR)", () => {
  it("the release plan pushes each service to the repository the program creates and the workloads run, with the role the program grants the push policy to", async () => {
    // The release plan over a copy of the stack files: staging on this blueprint, with the registry.
    const root = mkdtempSync(join(tmpdir(), "release-ecr-"));
    tmp.push(root);
    cpSync(join(ROOT, "blueprints"), join(root, "blueprints"), { recursive: true });
    for (const f of readdirSync(ROOT).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f))) {
      const doc = parse(readFileSync(join(ROOT, f), "utf8"));
      if (f === "Pulumi.staging.yaml") Object.assign(doc.config, { "platform:blueprint": "music-platform-gitops", "platform:imageRegistry": ECR });
      writeFileSync(join(root, f), stringify(doc));
    }
    const blueprint = parse(readFileSync(join(ROOT, "blueprints", "music-platform-gitops.yaml"), "utf8")) as { services: { name: string }[] };
    for (const s of blueprint.services) {
      mkdirSync(join(root, "services", s.name), { recursive: true });
      writeFileSync(join(root, "services", s.name, "Dockerfile"), "FROM scratch\n");
    }
    const plan = planRelease("develop", root);
    if (plan.mode !== "gitops" || plan.registry.kind !== "ecr") throw new Error(`expected an ECR GitOps plan, got ${JSON.stringify(plan)}`);

    // The program on the same stack config, with the blueprint in push mode as `npm run gitops`
    // plans it (scripts/gitops-lib.ts pushModeObjects): the Service components register the
    // workloads whose images become the deploy repository's values-staging.yaml `images`.
    const pushDir = join(root, "push-blueprints");
    mkdirSync(pushDir);
    const raw = parse(readFileSync(join(ROOT, "blueprints", "music-platform-gitops.yaml"), "utf8"));
    writeFileSync(join(pushDir, "music-platform-gitops.yaml"), stringify({ ...raw, delivery: { ...raw.delivery, mode: "push" } }));
    const before = process.env["PLATFORM_BLUEPRINTS_DIR"];
    process.env["PLATFORM_BLUEPRINTS_DIR"] = pushDir;
    let inventory: Awaited<ReturnType<typeof runStackInput>>["inventory"];
    try {
      inventory = (await runStackInput(withConfig(blueprintStackInput("music-platform-gitops", "staging"), { "platform:imageRegistry": ECR }))).inventory;
    } finally {
      if (before === undefined) delete process.env["PLATFORM_BLUEPRINTS_DIR"];
      else process.env["PLATFORM_BLUEPRINTS_DIR"] = before;
    }
    const repos = inventory.resources.filter((r) => r.type === "aws:ecr/repository:Repository").map((r) => `${plan.registry.host}/${String(r.inputs.name)}`);
    expect(plan.services.map((s) => s.repository).sort()).toEqual(repos.sort());
    expect(plan.services.map((s) => s.name).sort()).toEqual(blueprint.services.map((s) => s.name).sort());

    const attach = inventory.resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.parent?.includes("ContainerRegistry"));
    expect(attach.map((a) => a.inputs.role)).toEqual(["github-release"]);
    expect(plan.registry.pushRoleArn).toBe(`arn:aws:iam::${ECR.accountId}:role/${String(attach[0]!.inputs.role)}`);

    // What each service's workload runs (the values file's images.<service>, the value the release
    // bumps): the plan's repository for that service, so the commit-SHA tag pushed there is pulled.
    const components = new Map(inventory.resources.filter((r) => r.type === SERVICE_TYPE).map((r) => [r.urn, r.name.replace(/^svc-/, "")]));
    const objects: DeployObject[] = inventory.resources.flatMap((r) => {
      const service = r.parent ? components.get(r.parent) : undefined;
      return service && r.custom ? [{ service, manifest: r.inputs as Record<string, any> }] : [];
    });
    const images = imagesOf(objects);
    expect(Object.keys(images).sort()).toEqual(plan.services.map((s) => s.name).sort());
    for (const s of plan.services) expect(images[s.name]!.slice(0, images[s.name]!.lastIndexOf(":"))).toBe(s.repository);
  }, 180_000);
});

/** A project copy (stack files, blueprints, workflows, policy configs) with `edit` applied to each stack's config. */
function project(edit: (stack: string, config: Record<string, unknown>) => void): string {
  const root = mkdtempSync(join(tmpdir(), "release-preflight-"));
  tmp.push(root);
  for (const d of ["blueprints", ".github", join("policies", "config")]) cpSync(join(ROOT, d), join(root, d), { recursive: true });
  for (const f of readdirSync(ROOT).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f))) {
    const doc = parse(readFileSync(join(ROOT, f), "utf8"));
    edit(/^Pulumi\.([\w-]+)\.yaml$/.exec(f)![1]!, doc.config);
    writeFileSync(join(root, f), stringify(doc));
  }
  return root;
}
const gitopsStaging = (registry: Record<string, unknown>) => (stack: string, c: Record<string, unknown>) => {
  if (stack !== "staging") return;
  // CloudFront needs a Route 53 zone (the tier's file serves a Cloudflare one).
  Object.assign(c, { "platform:blueprint": "music-platform-gitops", "platform:route53ZoneId": "Z0123456789ABCDEFGHIJ", "platform:imageRegistry": registry });
};

describe("npm run preflight: who pushes into the stack's ECR registry", () => {
  it("a GitOps stack lists the push role to create, with the ARN release.yml assumes and a trust policy for the release branch only", () => {
    const root = project(gitopsStaging(ECR));
    const [r] = runPreflight(["staging"], { root, blueprintsDir: join(root, "blueprints") });
    expect(r!.findings.filter((f) => f.check.startsWith("release/") || f.check === "spec")).toEqual([]);
    const iam = r!.prerequisites.filter((p) => p.kind === "iam");
    expect(iam).toHaveLength(1);
    const plan = planRelease("develop", root);
    if (plan.mode !== "gitops" || plan.registry.kind !== "ecr") throw new Error("expected an ECR GitOps plan");
    // One place: the ARN preflight tells the admin to create is the one the plan hands to the job.
    expect(iam[0]!.what).toContain(`(${plan.registry.pushRoleArn}, path /)`);
    expect(iam[0]!.setting).toBe("Pulumi.staging.yaml: platform:imageRegistry.pushRoleName");
    const m = /^aws iam create-role --role-name github-release --assume-role-policy-document '(.*)'$/.exec(iam[0]!.how);
    expect(m, iam[0]!.how).not.toBeNull();
    expect(JSON.parse(m![1]!)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": "repo:acme/platform:ref:refs/heads/develop",
            },
          },
        },
      ],
    });
    // Before the secrets and variables: `pulumi up` attaches the policy to a role that must exist.
    const kinds = r!.prerequisites.map((p) => p.kind);
    expect(kinds.indexOf("iam")).toBeLessThan(kinds.indexOf("github"));
    expect(formatReport(r!)).toContain("the IAM role 'github-release'");
  });

  it("a GitOps stack with ECR but no push role is a finding naming platform:imageRegistry.pushRoleName", () => {
    const root = project(gitopsStaging({ kind: "ecr", accountId: ECR.accountId }));
    const [r] = runPreflight(["staging"], { root, blueprintsDir: join(root, "blueprints") });
    const f = r!.findings.filter((f) => f.check === "release/push-role");
    expect(f).toHaveLength(1);
    expect(f[0]!.setting).toBe("Pulumi.staging.yaml: platform:imageRegistry.pushRoleName");
    expect(f[0]!.problem).toMatch(/build-ecr.*develop/);
    expect(r!.prerequisites.filter((p) => p.kind === "iam")).toEqual([]);
  });

  it("a push-mode stack with ECR is warned that no workflow pushes its images; without ECR nothing is said", () => {
    const root = project((stack, c) => {
      if (stack === "staging") c["platform:imageRegistry"] = ECR;
    });
    const [staging, prod] = runPreflight(["staging", "prod"], { root, blueprintsDir: join(root, "blueprints") });
    const w = staging!.warnings.filter((x) => x.check === "release/push-mode-ecr");
    expect(w).toHaveLength(1);
    expect(w[0]!.setting).toBe("Pulumi.staging.yaml: platform:imageRegistry");
    expect(w[0]!.problem).toMatch(/123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/nuxt-fastify-beta-droplet\/staging\/.*no workflow pushes/);
    expect([...prod!.warnings, ...prod!.findings].filter((x) => x.check.startsWith("release/"))).toEqual([]);
    expect(prod!.prerequisites.filter((p) => p.kind === "iam")).toEqual([]);
  });
});
