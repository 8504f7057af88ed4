/**
 * The GitOps release path of .github/workflows/release.yml (issue 17), as two subcommands:
 *
 *   npx tsx scripts/release.ts plan --ref <branch> [--root <dir>]
 *     Which environment a push to <branch> releases to, and what: for every stack file whose tier
 *     is a GitOps tier of its blueprint (stacks/spec/release.ts gitopsTier), the branch that tier
 *     follows (`delivery.branches`: develop → staging, main → production). Prints `key=value`
 *     lines for $GITHUB_OUTPUT: mode (gitops | push | none), environment, stack, blueprint,
 *     deploy-remote (SSH clone URL of the deploy repository), deploy-branch, values-file,
 *     deploy-key-secret (Secrets Manager name of the deploy repository's write key), services
 *     (JSON: name, repository, context — each service whose image this repository builds, i.e. that
 *     has `services/<name>/Dockerfile`) and where those images go: registry (`ghcr` | `ecr`),
 *     registry-host, and for ECR aws-region and push-role-arn. `push`: the blueprint ships by
 *     `pulumi up` (deploy.yml); `none`: the branch releases nothing.
 *
 *     Where an image goes is the target stack's choice: with `platform:imageRegistry: { kind: ecr }`
 *     the workloads run `<account>.dkr.ecr.<region>.amazonaws.com/<blueprint>/<stack>/<service>`
 *     (stacks/spec/images.ts serviceImages, built on components/registry/plan.ts ecrHost and
 *     repositoryName), so each service is pushed to exactly that repository, by the `build-ecr` job
 *     with the stack's push role (components/delivery/release-role.ts, the role the program attaches
 *     the push-only policy to); otherwise to the blueprint's ghcr.io repository with the job's
 *     GITHUB_TOKEN, as before.
 *
 *   npx tsx scripts/release.ts bump --values <file> <service>=<image> ...
 *     Sets `images.<service>` in a deploy repository's values file (the chart's only release knob,
 *     scripts/gitops-lib.ts), keeping its comments; refuses a service the file does not list.
 *
 * The release jobs never run Pulumi: Pulumi owns the platform (deploy.yml), Argo CD syncs the
 * services from the values file this script edits.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { releasePushRole } from "../components/delivery/release-role";
import { imageRef } from "../components/service/spec";
import { imageRegistry as imageRegistrySchema, serviceImages } from "../stacks/spec/images";
import { PROJECT_DIR, readBlueprint } from "../stacks/spec/load";
import { GITOPS_ENVIRONMENTS, type GitopsTier } from "../stacks/spec/release";
import { stackConfig } from "../stacks/spec/stack-config";
import { listStackFiles, readStackFile, type StackFile } from "../stacks/preflight/stack-file";

export interface ReleaseService {
  name: string;
  /** Image repository without tag or digest, e.g. ghcr.io/normaldance/web or the stack's ECR repository. */
  repository: string;
  /** Docker build context, relative to the repository root. */
  context: string;
}

export type ReleasePlan =
  | { mode: "none"; reason: string }
  | { mode: "push"; reason: string; stack: string; blueprint: string }
  | {
      mode: "gitops";
      environment: "staging" | "production";
      stack: string;
      blueprint: string;
      deployRemote: string;
      deployBranch: string;
      valuesFile: string;
      deployKeySecret: string;
      /** Where every service's image goes (the target stack's registry). */
      registry: ReleaseRegistry;
      services: ReleaseService[];
    };

/**
 * `ghcr`: the blueprint's ghcr.io repositories, pushed with the job's GITHUB_TOKEN. `ecr`: the
 * stack's own ECR registry in its account and primary region, pushed with its push role by OIDC.
 */
export type ReleaseRegistry = { kind: "ghcr"; host: "ghcr.io" } | { kind: "ecr"; host: string; region: string; pushRoleArn: string };

/** Registries the `build` job can push to with the job's own GITHUB_TOKEN (`packages: write`); ECR stacks use `build-ecr`. */
export const PUSHABLE_REGISTRIES = ["ghcr.io"] as const;

/** `https://github.com/o/r.git` → `git@github.com:o/r.git`; an SSH URL stays as it is. */
export function sshRemote(repoURL: string): string {
  const m = /^https:\/\/github\.com\/([\w.-]+)\/([\w.-]+?)(\.git)?\/?$/.exec(repoURL);
  if (m) return `git@github.com:${m[1]}/${m[2]}.git`;
  if (/^git@github\.com:[\w.-]+\/[\w.-]+$/.test(repoURL)) return repoURL;
  throw new Error(
    `delivery.repoURL '${repoURL}': the release job pushes to the deploy repository over SSH with a deploy key, and knows GitHub's host key only: use a https://github.com/<owner>/<repo>.git or git@github.com:<owner>/<repo>.git URL`,
  );
}

/** `ghcr.io/o/web:1.0.0` or `…@sha256:…` → `ghcr.io/o/web`. */
export function imageRepository(image: string): string {
  const noDigest = image.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

const fieldPath = (p: readonly PropertyKey[]) => p.map(String).join(".");

/**
 * The target stack's ECR registry as the program builds it, or undefined without
 * `platform:imageRegistry`. Refuses, naming the stack file's key, what would leave the release
 * unable to push: no or a bad account, a bad region, no push role.
 */
function stackEcr(
  f: StackFile,
  bpName: string,
  services: { name: string; image: string }[],
): { registry: Extract<ReleaseRegistry, { kind: "ecr" }>; repositoryOf: (service: string) => string } | undefined {
  const raw = f.platform["imageRegistry"];
  if (raw === undefined) return undefined;
  const file = path.basename(f.file);
  const reg = imageRegistrySchema.safeParse(raw);
  if (!reg.success) {
    const i = reg.error.issues[0]!;
    const at = `${file}: platform:imageRegistry${i.path.length ? `.${fieldPath(i.path)}` : ""}`;
    if (fieldPath(i.path) === "accountId" && typeof raw === "object" && raw !== null && (raw as Record<string, unknown>)["accountId"] === undefined) {
      throw new Error(
        `${at} is not set: the release pushes to <account>.dkr.ecr.<region>.amazonaws.com, so it needs the stack's 12-digit AWS account id, quoted ("123456789012")`,
      );
    }
    throw new Error(`${at}: ${i.message}`);
  }
  // The program's region: platform:regions.primary, with the spec's own default.
  const regions = stackConfig.shape.regions.safeParse(f.platform["regions"]);
  if (!regions.success) {
    const i = regions.error.issues[0]!;
    throw new Error(
      `${file}: platform:regions${i.path.length ? `.${fieldPath(i.path)}` : ""}: ${i.message} (the stack's ECR registry lives in its primary region)`,
    );
  }
  const role = releasePushRole(reg.data);
  if (!role) {
    throw new Error(
      `${file}: platform:imageRegistry.pushRoleName is not set: the stack's workloads run images from its ECR registry, but no role may push there, so release.yml could not deliver a single image; name the IAM role release.yml's build-ecr job assumes by OIDC (npm run preflight -- ${f.stack} lists it and its trust policy)`,
    );
  }
  const region = regions.data.primary;
  const images = serviceImages({ stack: f.stack, blueprint: { name: bpName, services }, region, imageRegistry: reg.data, overrides: {} });
  const ecr = images.ecr!;
  return { registry: { kind: "ecr", host: ecr.host, region, pushRoleArn: role.arn }, repositoryOf: ecr.repositoryOf };
}

/** Directories under services/ with a Dockerfile (the images this repository builds). */
function builtHere(root: string): string[] {
  const dir = path.join(root, "services");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((d) => fs.existsSync(path.join(dir, d, "Dockerfile")))
    .sort();
}

export function planRelease(ref: string, root = PROJECT_DIR): ReleasePlan {
  const hits: ReleasePlan[] = [];
  for (const stack of listStackFiles(root)) {
    const f = readStackFile(stack, root);
    const tier = String(f.platform["tier"]);
    if (tier !== "staging" && tier !== "prod") continue;
    const bpName = String(f.platform["blueprint"]);
    const raw = readBlueprint(bpName, path.join(root, "blueprints")).data as Record<string, any> | undefined;
    if (!raw) throw new Error(`${f.file}: platform:blueprint '${bpName}' has no blueprints/${bpName}.yaml`);
    const d = raw["delivery"] as { mode?: string; repoURL?: string; path?: string; branches?: Record<string, string> } | undefined;
    if (d?.mode !== "gitops") {
      if (ref === "main")
        hits.push({
          mode: "push",
          reason: `stack '${stack}' (${tier}) deploys blueprint '${bpName}' in push mode: deploy.yml's Pulumi update releases its services`,
          stack,
          blueprint: bpName,
        });
      continue;
    }
    const branches = d.branches ?? { staging: "develop", prod: "main" };
    if (branches[tier] !== ref) continue;
    if (!d.repoURL)
      throw new Error(`blueprints/${bpName}.yaml: delivery.repoURL is not set: GitOps needs the deploy repository (e.g. https://github.com/acme/deploy.git)`);
    const environment = GITOPS_ENVIRONMENTS[tier as GitopsTier];
    const chartPath = d.path ?? "charts/app";
    const services: ReleaseService[] = [];
    const bpServices = (raw["services"] ?? []) as { name: string; image: string }[];
    const ecr = stackEcr(f, bpName, bpServices);
    if (ecr) {
      // The program creates one repository per service of the blueprint; an image built here for
      // anything else would have nowhere to go.
      for (const d of builtHere(root)) {
        if (!bpServices.some((s) => s.name === d)) {
          throw new Error(
            `services/${d}/Dockerfile: stack '${stack}' pushes to its ECR registry (${path.basename(f.file)}: platform:imageRegistry), which has no ECR repository for '${d}': the program creates one per service of blueprints/${bpName}.yaml services (${bpServices.map((s) => s.name).join(", ")}); add '${d}' there or remove services/${d}/Dockerfile`,
          );
        }
      }
    }
    bpServices.forEach((s, i) => {
      const context = `services/${s.name}`;
      if (!fs.existsSync(path.join(root, context, "Dockerfile"))) return;
      const parsed = imageRef.safeParse(s.image);
      if (!parsed.success) throw new Error(`blueprints/${bpName}.yaml services[${i}].image '${s.image}': ${parsed.error.issues[0]?.message}`);
      if (ecr) {
        services.push({ name: s.name, repository: ecr.repositoryOf(s.name), context });
        return;
      }
      const repository = imageRepository(s.image);
      const registry = repository.split("/")[0]!;
      if (!(PUSHABLE_REGISTRIES as readonly string[]).includes(registry)) {
        throw new Error(
          `blueprints/${bpName}.yaml services[${i}].image '${s.image}': release.yml pushes with the job's GITHUB_TOKEN to ${PUSHABLE_REGISTRIES.join(", ")} only; move the image to ghcr.io/<owner>/${s.name}, give stack '${stack}' its own ECR registry (${path.basename(f.file)}: platform:imageRegistry, kind ecr), or build it elsewhere and bump the values file yourself`,
        );
      }
      services.push({ name: s.name, repository, context });
    });
    hits.push({
      mode: "gitops",
      environment,
      stack,
      blueprint: bpName,
      deployRemote: sshRemote(d.repoURL),
      deployBranch: ref,
      valuesFile: `${chartPath}/values-${environment}.yaml`,
      deployKeySecret: `platform/${stack}/deploy-repo-key`,
      registry: ecr ? ecr.registry : { kind: "ghcr", host: "ghcr.io" },
      services,
    });
  }
  const gitops = hits.filter((h) => h.mode === "gitops");
  if (gitops.length > 1) {
    throw new Error(
      `branch '${ref}' releases to more than one GitOps stack (${gitops.map((h) => `${h.stack}: ${h.environment}`).join(", ")}): give each tier its own branch in the blueprint's delivery.branches`,
    );
  }
  if (gitops.length === 1) return gitops[0]!;
  const push = hits.find((h) => h.mode === "push");
  if (push) return push;
  return { mode: "none", reason: `no staging or prod stack follows branch '${ref}' in GitOps mode, and push mode deploys from main only` };
}

/** `key=value` lines for $GITHUB_OUTPUT (every key present, empty when it does not apply). */
export function outputLines(p: ReleasePlan): string[] {
  const g = p.mode === "gitops" ? p : undefined;
  return [
    `mode=${p.mode}`,
    `environment=${g?.environment ?? ""}`,
    `stack=${p.mode === "none" ? "" : p.stack}`,
    `blueprint=${p.mode === "none" ? "" : p.blueprint}`,
    `deploy-remote=${g?.deployRemote ?? ""}`,
    `deploy-branch=${g?.deployBranch ?? ""}`,
    `values-file=${g?.valuesFile ?? ""}`,
    `deploy-key-secret=${g?.deployKeySecret ?? ""}`,
    `registry=${g?.registry.kind ?? ""}`,
    `registry-host=${g?.registry.host ?? ""}`,
    `aws-region=${g?.registry.kind === "ecr" ? g.registry.region : ""}`,
    `push-role-arn=${g?.registry.kind === "ecr" ? g.registry.pushRoleArn : ""}`,
    `services=${JSON.stringify(g?.services ?? [])}`,
  ];
}

/** Set `images.<service>` for each pair; returns the new file text (comments kept). */
export function bumpValues(text: string, file: string, pairs: [string, string][]): string {
  const doc = parseDocument(text);
  const images = doc.get("images") as { has(k: string): boolean; items: { key: { value: string } }[] } | undefined;
  if (!images || typeof images.has !== "function") throw new Error(`${file}: no \`images:\` map (generate the deploy repository with \`npm run gitops\`)`);
  for (const [service, image] of pairs) {
    const r = imageRef.safeParse(image);
    if (!r.success) throw new Error(`${service}=${image}: ${r.error.issues[0]?.message}`);
    if (!images.has(service)) {
      throw new Error(
        `${file}: images.${service} does not exist (services here: ${images.items.map((i) => i.key.value).join(", ")}); the chart renders images only for the services it lists`,
      );
    }
    doc.setIn(["images", service], image);
  }
  return doc.toString();
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  if (cmd === "plan") {
    const ref = arg(rest, "ref");
    if (!ref) {
      console.error("usage: release.ts plan --ref <branch> [--root <dir>]");
      return 2;
    }
    const p = planRelease(ref, arg(rest, "root") ?? PROJECT_DIR);
    console.error(
      p.mode === "gitops"
        ? `release: ${p.blueprint} → ${p.environment} (stack ${p.stack}): ${p.services.map((s) => s.name).join(", ") || "no service built here"} → ${p.registry.host}; ${p.valuesFile} on ${p.deployBranch}`
        : `release: ${p.mode}: ${p.reason}`,
    );
    for (const l of outputLines(p)) console.log(l);
    return 0;
  }
  if (cmd === "bump") {
    const file = arg(rest, "values");
    const pairs = rest
      .filter((a, i) => a.includes("=") && rest[i - 1] !== "--values")
      .map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] as [string, string]);
    if (!file || pairs.length === 0) {
      console.error("usage: release.ts bump --values <values-file> <service>=<image> ...");
      return 2;
    }
    fs.writeFileSync(file, bumpValues(fs.readFileSync(file, "utf8"), file, pairs));
    for (const [s, i] of pairs) console.error(`${file}: images.${s} = ${i}`);
    return 0;
  }
  console.error("usage: release.ts plan --ref <branch> | bump --values <file> <service>=<image> ...");
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}
