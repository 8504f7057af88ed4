// Images, in the music platform view's words ("Container Registry — Primary: AWS ECR; Retention:
// 90 days for production images, 30 days for others"; "Security Scanning"; "Docker images tagged
// with Git commit SHA"). Before this, no stack had a registry of its own: every service ran the
// blueprint's ghcr.io image and nothing expired, scanned or protected a tag.
import { describe, expect, it } from "vitest";
import { ecrHost, lifecyclePolicy, pushPolicyDocument, repositoryName } from "../../components/registry/plan";
import { TIERS, TIER_NAMES } from "../../stacks/spec/tiers";
import { ecrImage, splitImage } from "../../stacks/spec/images";
import { loadSpec, platformConfigFromRaw } from "../../stacks/spec/load";
import type { InventoryResource } from "../../tools/harness/inventory";
import { blueprintStackInput, runStackInput, specErrors, withConfig } from "../../tools/harness/stacks";

const ACCOUNT = "123456789012";
const ECR = { kind: "ecr", accountId: ACCOUNT, pushRoleName: "github-release" };

const of = (inv: { resources: InventoryResource[] }, type: string) => inv.resources.filter((r) => r.type === type);

describe("registry plan: the AWS lifecycle policy JSON, exactly", () => {
  it("production images are kept 90 days, all others 30 (the view's retention), counted from the push", () => {
    expect(Object.fromEntries(TIER_NAMES.map((t) => [t, TIERS[t].imageRetentionDays]))).toEqual({ local: 30, dev: 30, staging: 30, prod: 90 });
    expect(JSON.stringify(lifecyclePolicy(90))).toBe(
      '{"rules":[{"rulePriority":1,"description":"Expire every image 90 days after its push","selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":90},"action":{"type":"expire"}}]}',
    );
    expect(lifecyclePolicy(30).rules[0]!.selection.countNumber).toBe(30);
  });

  it("obeys the AWS rules: unique priorities, the tagStatus `any` rule last, no tag lists on it, whole days ≥ 1", () => {
    const { rules } = lifecyclePolicy(30);
    const prio = rules.map((r) => r.rulePriority);
    expect(new Set(prio).size).toBe(prio.length);
    const any = rules.filter((r) => r.selection.tagStatus === "any");
    for (const r of any) expect(r.rulePriority).toBe(Math.max(...prio));
    for (const r of rules) {
      expect(Object.keys(r.selection).sort()).toEqual(["countNumber", "countType", "countUnit", "tagStatus"]);
      expect(r.action).toEqual({ type: "expire" });
    }
    expect(() => lifecyclePolicy(0)).toThrow(/whole number of days ≥ 1/);
    expect(() => lifecyclePolicy(1.5)).toThrow(/whole number of days/);
  });

  it("repository names follow ECR's pattern, per platform and stack; images keep their tag and digest", () => {
    expect(repositoryName("music-platform-gitops", "prod", "api")).toBe("music-platform-gitops/prod/api");
    expect(repositoryName("nuxt-fastify-beta-droplet", "Prod_EU", "web")).toBe("nuxt-fastify-beta-droplet/prod_eu/web");
    expect(ecrHost(ACCOUNT, "eu-west-1")).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    expect(ecrImage({ accountId: ACCOUNT, region: "us-east-1", blueprint: "bp", stack: "prod", service: "api", image: "ghcr.io/acme/api:3f2c1a0" })).toBe(
      "123456789012.dkr.ecr.us-east-1.amazonaws.com/bp/prod/api:3f2c1a0",
    );
    const digest = "sha256:" + "a".repeat(64);
    expect(
      ecrImage({
        accountId: ACCOUNT,
        region: "us-east-1",
        blueprint: "bp",
        stack: "prod",
        service: "api",
        image: `registry.example.com:5000/acme/api:1.0@${digest}`,
      }),
    ).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/bp/prod/api:1.0@${digest}`);
    expect(splitImage("registry.example.com:5000/api")).toEqual({ repository: "registry.example.com:5000/api" });
  });

  it("the CI role may push and read back these repositories only: no delete, no mutability or policy change", () => {
    const arns = ["arn:aws:ecr:us-east-1:123456789012:repository/bp/prod/web", "arn:aws:ecr:us-east-1:123456789012:repository/bp/prod/api"];
    const doc = pushPolicyDocument(arns);
    expect(doc.Statement[0]).toEqual({ Sid: "Login", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" });
    expect(doc.Statement[1]!.Resource).toEqual([...arns].sort());
    const actions = doc.Statement.flatMap((s) => s.Action);
    expect(actions).toContain("ecr:PutImage");
    for (const bad of [
      "ecr:BatchDeleteImage",
      "ecr:DeleteRepository",
      "ecr:PutImageTagMutability",
      "ecr:SetRepositoryPolicy",
      "ecr:PutLifecyclePolicy",
      "ecr:*",
    ])
      expect(actions).not.toContain(bad);
    expect(() => pushPolicyDocument([])).toThrow(/at least one repository/);
  });
});

describe("registry spec: clear errors before anything is registered", () => {
  it("refuses ECR on the local tier, the ECR host as a password registry, a foreign override and an untagged image", () => {
    expect(specErrors(withConfig(blueprintStackInput("nuxt-fastify-beta-droplet", "local"), { "platform:imageRegistry": ECR }))).toContainEqual({
      path: "platform:imageRegistry",
      message: "the local tier has no AWS account: remove platform:imageRegistry (ECR) from this stack",
    });
    const staging = blueprintStackInput("nuxt-fastify-beta-droplet", "staging");
    const host = ecrHost(ACCOUNT, "us-east-1");
    const errs = specErrors(
      withConfig(staging, {
        "platform:imageRegistry": ECR,
        "platform:registries": [{ name: "ecr", host, username: "AWS" }],
        "platform:registryPasswords": { ecr: "token-not-used" },
        "platform:overrides": { services: { api: { image: "docker.io/someone/else:2" } } },
      }),
    );
    expect(errs.find((e) => e.path.startsWith("platform:registries[0]"))?.message).toMatch(
      /is the platform's ECR registry .*nodes pull from it with their IAM role.*expire after 12 hours.*remove this entry/,
    );
    expect(errs).toContainEqual({
      path: "platform:overrides.services.api.image",
      message: `service 'api' runs from its own repository ${host}/nuxt-fastify-beta-droplet/staging/api: set the override to ${host}/nuxt-fastify-beta-droplet/staging/api:<tag> (or just a different tag)`,
    });
    const untagged = specErrors(
      withConfig(staging, { "platform:imageRegistry": ECR, "platform:overrides": { services: { api: { image: "ghcr.io/example/fastify-api" } } } }),
    );
    expect(untagged).toContainEqual({
      path: "platform:overrides.services.api.image",
      message: "service 'api': image ghcr.io/example/fastify-api has no tag; ECR tags here are immutable: name the version (the commit SHA the release pushes)",
    });
    expect(specErrors(withConfig(staging, { "platform:imageRegistry": { kind: "ecr", accountId: "12345" } }))[0]).toEqual({
      path: "platform:imageRegistry.accountId",
      message: 'the stack\'s 12-digit AWS account id, quoted ("123456789012")',
    });
    expect(
      specErrors(withConfig(staging, { "platform:imageRegistry": { kind: "ecr", accountId: ACCOUNT, pushRoleName: "arn:aws:iam::123456789012:role/ci" } }))[0]!
        .path,
    ).toBe("platform:imageRegistry.pushRoleName");
  });

  it("a tag-only override keeps the service in its ECR repository", () => {
    const staging = withConfig(blueprintStackInput("nuxt-fastify-beta-droplet", "staging"), {
      "platform:imageRegistry": ECR,
      "platform:overrides": { services: { api: { image: "ghcr.io/example/fastify-api:9c1d2e3" } } },
    });
    const spec = loadSpec({ stack: staging.stack, config: platformConfigFromRaw(staging.config), env: {} });
    expect(spec.services["api"]!.image).toBe(`${ecrHost(ACCOUNT, "us-east-1")}/nuxt-fastify-beta-droplet/staging/api:9c1d2e3`);
  });
});

describe("registry: what the program registers", () => {
  const SERVICES = ["cat-gateway", "metrics-exporter"];
  for (const [tier, days] of [
    ["staging", 30],
    ["prod", 90],
  ] as const) {
    it(`gateway-flutter-wasm × ${tier}: one ECR repository per service, scan on push, IMMUTABLE, KMS; lifecycle ${days} days; push policy on the CI role`, async () => {
      const input = withConfig(blueprintStackInput("gateway-flutter-wasm", tier), { "platform:imageRegistry": ECR });
      const { inventory } = await runStackInput(input);
      const repos = of(inventory, "aws:ecr/repository:Repository");
      expect(repos.map((r) => r.inputs.name).sort()).toEqual(SERVICES.map((s) => `gateway-flutter-wasm/${tier}/${s}`));
      for (const r of repos) {
        expect(r.inputs.imageTagMutability).toBe("IMMUTABLE");
        expect(r.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
        expect(r.inputs.forceDelete).toBe(false);
        const enc = r.inputs.encryptionConfigurations as { encryptionType: string; kmsKey?: unknown }[];
        expect(enc).toHaveLength(1);
        expect(enc[0]!.encryptionType).toBe("KMS");
        expect(enc[0]!.kmsKey, "the stack's own KMS key").toBeDefined();
      }
      const policies = of(inventory, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
      expect(policies).toHaveLength(SERVICES.length);
      for (const p of policies) expect(JSON.parse(p.inputs.policy as string)).toEqual(lifecyclePolicy(days));
      const attach = of(inventory, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === "github-release");
      expect(attach).toHaveLength(1);
      // Every repository resource is under the stack's explicit AWS provider, never a default one.
      for (const r of [...repos, ...policies]) expect(r.provider ?? "").not.toMatch(/::default/);
    });
  }

  it("nuxt-fastify-beta-droplet × staging: every service workload runs its ECR image; no dockerconfigjson Secret for ECR", async () => {
    const input = withConfig(blueprintStackInput("nuxt-fastify-beta-droplet", "staging"), { "platform:imageRegistry": ECR });
    const { inventory } = await runStackInput(input);
    const host = ecrHost(ACCOUNT, "us-east-1");
    const workloads = inventory.resources.filter((r) => /^kubernetes:(apps\/v1:(Deployment|StatefulSet)|argoproj.io\/v1alpha1:Rollout)$/.test(r.type));
    const images = workloads
      .flatMap((w) => ((w.inputs.spec as any)?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image))
      .filter((i: string) => i.includes("fastify-api") || i.includes("/api:"));
    expect(images.length).toBeGreaterThan(0);
    for (const i of images) expect(i).toBe(`${host}/nuxt-fastify-beta-droplet/staging/api:1.0.0`);
    expect(inventory.resources.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.type === "kubernetes.io/dockerconfigjson")).toEqual([]);
  });

  it("without platform:imageRegistry nothing changes: no repository, the blueprint's image", async () => {
    const { inventory } = await runStackInput(blueprintStackInput("nuxt-fastify-beta-droplet", "staging"));
    expect(of(inventory, "aws:ecr/repository:Repository")).toEqual([]);
  });
});
