// GitOps release (issue 17): .github/workflows/release.yml and scripts/release.ts follow the music
// team's view — merge to develop → staging, merge to main → production behind the `production`
// environment's required reviewers; the pipeline builds and pushes the images and sets their tags
// in the deploy repository's values file; it never runs Pulumi (Pulumi owns the platform through
// deploy.yml). The plan and the bump run for real here: the plan over stack files and blueprints,
// the bump script against a real Git repository (a bare repo on disk standing in for the deploy
// repository; only the transport differs).
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { bumpValues, imageRepository, outputLines, planRelease, sshRemote } from "../../scripts/release";
import { allSteps, ROOT, triggers, workflow, type Job } from "./workflows";

const wf = workflow("release.yml");
const jobs = wf.doc.jobs;
const envName = (j: Job) => (typeof j.environment === "string" ? j.environment : j.environment?.name);
const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of the repository's stack files and blueprints with staging and prod on `blueprint`. */
function fixtureRoot(blueprint: string, services: string[] = ["web", "api"]): string {
  const root = mkdtempSync(join(tmpdir(), "release-plan-"));
  tmp.push(root);
  cpSync(join(ROOT, "blueprints"), join(root, "blueprints"), { recursive: true });
  for (const f of readdirSync(ROOT).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f))) {
    const doc = parse(readFileSync(join(ROOT, f), "utf8"));
    const tier = doc.config["platform:tier"];
    if (tier === "staging" || tier === "prod") doc.config["platform:blueprint"] = blueprint;
    writeFileSync(join(root, f), stringify(doc));
  }
  for (const s of services) {
    mkdirSync(join(root, "services", s), { recursive: true });
    writeFileSync(join(root, "services", s, "Dockerfile"), "FROM scratch\n");
  }
  return root;
}

describe("release.yml: branch → environment, approval, no Pulumi", () => {
  it("runs on pushes to develop and main", () => {
    expect(triggers(wf.doc)).toEqual(["push"]);
    expect((wf.doc.on as { push: { branches: string[] } }).push.branches).toEqual(["develop", "main"]);
  });

  it("plan → build (ghcr.io) | build-ecr (the stack's ECR) → staging | production; staging and production each gated on the plan's environment and a successful build", () => {
    expect(Object.keys(jobs)).toEqual(["plan", "build", "build-ecr", "staging", "production"]);
    expect(jobs.build!.needs).toBe("plan");
    expect(jobs["build-ecr"]!.needs).toBe("plan");
    expect(jobs.build!.if).toBe("needs.plan.outputs.mode == 'gitops' && needs.plan.outputs.services != '[]' && needs.plan.outputs.registry == 'ghcr'");
    expect(jobs["build-ecr"]!.if).toBe("needs.plan.outputs.mode == 'gitops' && needs.plan.outputs.services != '[]' && needs.plan.outputs.registry == 'ecr'");
    for (const env of ["staging", "production"] as const) {
      expect(jobs[env]!.needs).toEqual(["plan", "build", "build-ecr"]);
      expect(jobs[env]!.if).toBe(
        `\${{ !cancelled() && needs.plan.outputs.environment == '${env}' && (needs.build.result == 'success' || needs.build-ecr.result == 'success') }}`,
      );
      expect(jobs[env]!.env?.["IMAGES"]).toBe("${{ needs.build.outputs.images || needs.build-ecr.outputs.images }}");
    }
    // Every output the jobs read is one the plan job passes on from scripts/release.ts.
    const planOutputs = Object.keys((jobs.plan as { outputs: Record<string, string> }).outputs);
    const printed = outputLines({ mode: "none", reason: "" }).map((l) => l.split("=")[0]!);
    for (const o of planOutputs) expect(printed).toContain(o);
    expect(planOutputs).toEqual(expect.arrayContaining(["registry", "registry-host", "aws-region", "push-role-arn", "services"]));
    for (const m of wf.text.matchAll(/needs\.plan\.outputs\.([\w-]+)/g)) expect(planOutputs).toContain(m[1]);
  });

  it("production waits in the `production` environment (required reviewers); staging runs in `staging`; nothing else has an environment", () => {
    expect(envName(jobs.production!)).toBe("production");
    expect(envName(jobs.staging!)).toBe("staging");
    expect(envName(jobs.plan!)).toBeUndefined();
    expect(envName(jobs.build!)).toBeUndefined();
  });

  it("the deploy repository's key is reachable only behind an environment: only staging and production log in with the environment's role; build-ecr with the stack's push role", () => {
    for (const [name, job] of Object.entries(jobs)) {
      const aws = (job.steps ?? []).filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      if (name === "staging" || name === "production") {
        expect(aws.map((s) => s.with?.["role-to-assume"])).toEqual(["${{ vars.AWS_DEPLOY_ROLE_ARN }}"]);
      } else if (name === "build-ecr") {
        expect(aws.map((s) => s.with?.["role-to-assume"])).toEqual(["${{ needs.plan.outputs.push-role-arn }}"]);
      } else {
        expect(aws, name).toEqual([]);
      }
    }
  });

  it("no job runs Pulumi: no pulumi action, no Pulumi login, no `pulumi` command in any script it runs", () => {
    const scripts: string[] = [];
    for (const { job, step } of allSteps(wf)) {
      expect(step.uses ?? "", job).not.toMatch(/^pulumi\//);
      if (step.run) {
        scripts.push(step.run);
        for (const m of step.run.matchAll(/\bbash (\.github\/scripts\/[\w.-]+\.sh)/g)) scripts.push(readFileSync(join(ROOT, m[1]!), "utf8"));
      }
    }
    scripts.push(readFileSync(join(ROOT, "scripts", "release.ts"), "utf8").replace(/^\s*(\*|\/\/).*$/gm, ""));
    expect(scripts.length).toBeGreaterThan(5);
    for (const s of scripts) expect(s).not.toMatch(/\bpulumi\s+(up|preview|refresh|destroy|login|stack)\b|@pulumi\/automation/);
  });

  it("jobs run on GitHub-hosted runners (no cluster is needed to release an image tag)", () => {
    for (const [name, job] of Object.entries(jobs)) expect(job["runs-on"], name).toBe("ubuntu-24.04");
  });
});

describe("scripts/release.ts plan (real stack files and blueprints)", () => {
  it("this repository today: staging and prod deploy the push-mode nuxt blueprint, so main is `push` and develop releases nothing", () => {
    expect(planRelease("main").mode).toBe("push");
    expect(planRelease("develop")).toMatchObject({ mode: "none" });
  });

  it("music-platform-gitops on staging and prod: develop → staging (values-staging.yaml on develop), main → production (values-production.yaml on main)", () => {
    const root = fixtureRoot("music-platform-gitops");
    expect(planRelease("develop", root)).toEqual({
      mode: "gitops",
      environment: "staging",
      stack: "staging",
      blueprint: "music-platform-gitops",
      deployRemote: "git@github.com:normaldance/deploy.git",
      deployBranch: "develop",
      valuesFile: "charts/normaldance/values-staging.yaml",
      deployKeySecret: "platform/staging/deploy-repo-key",
      registry: { kind: "ghcr", host: "ghcr.io" },
      services: [
        { name: "web", repository: "ghcr.io/normaldance/web", context: "services/web" },
        { name: "api", repository: "ghcr.io/normaldance/api", context: "services/api" },
      ],
    });
    expect(planRelease("main", root)).toMatchObject({
      mode: "gitops",
      environment: "production",
      stack: "prod",
      deployBranch: "main",
      valuesFile: "charts/normaldance/values-production.yaml",
    });
    expect(planRelease("feature/x", root).mode).toBe("none");
  });

  it("the CLI prints every output key for $GITHUB_OUTPUT", () => {
    const root = fixtureRoot("music-platform-gitops", ["worker"]);
    const out = execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), ["scripts/release.ts", "plan", "--ref", "main", "--root", root], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(out.trim().split("\n")).toEqual(outputLines(planRelease("main", root)));
    expect(out).toContain('services=[{"name":"worker","repository":"ghcr.io/normaldance/worker","context":"services/worker"}]');
  });

  it("refuses an image the job cannot push, naming the blueprint field and the fix", () => {
    const root = fixtureRoot("music-platform-gitops");
    const f = join(root, "blueprints", "music-platform-gitops.yaml");
    writeFileSync(f, readFileSync(f, "utf8").replace("image: ghcr.io/normaldance/web:1.0.0", "image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.0.0"));
    expect(() => planRelease("develop", root)).toThrow(/blueprints\/music-platform-gitops\.yaml services\[0\]\.image .*ghcr\.io/);
  });

  it("a deploy repository outside GitHub is refused (the job pins GitHub's host key only)", () => {
    expect(sshRemote("https://github.com/normaldance/deploy.git")).toBe("git@github.com:normaldance/deploy.git");
    expect(() => sshRemote("https://gitlab.example.com/deploy.git")).toThrow(/delivery\.repoURL .*github\.com/);
    expect(imageRepository("ghcr.io/o/web:1.0.0")).toBe("ghcr.io/o/web");
    expect(imageRepository("localhost:5000/web@sha256:" + "a".repeat(64))).toBe("localhost:5000/web");
  });
});

describe("bump: the values file in a real Git repository", () => {
  const values = [
    "# music-platform-gitops on staging (staging): generated by `npm run gitops`.",
    "images:",
    "  web: ghcr.io/normaldance/web:1.0.0",
    "  api: ghcr.io/normaldance/api:1.0.0",
    "objects: []",
    "",
  ].join("\n");

  it("bumpValues sets images.<service>, keeps comments and the rest, and refuses an unknown service or a bad reference", () => {
    const out = bumpValues(values, "values-staging.yaml", [["web", "ghcr.io/normaldance/web:0123abc"]]);
    expect(out).toContain("# music-platform-gitops on staging");
    expect(parse(out)).toEqual({ images: { web: "ghcr.io/normaldance/web:0123abc", api: "ghcr.io/normaldance/api:1.0.0" }, objects: [] });
    expect(() => bumpValues(values, "values-staging.yaml", [["wbe", "ghcr.io/x/y:1"]])).toThrow(/images\.wbe does not exist \(services here: web, api\)/);
    expect(() => bumpValues(values, "values-staging.yaml", [["web", "not an image"]])).toThrow(/web=not an image/);
  });

  it(".github/scripts/bump-deploy-repo.sh commits the new tags to the environment's branch and pushes; a re-run changes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-bump-"));
    tmp.push(dir);
    const git = (cwd: string, ...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8" });
    git(dir, "init", "--quiet", "--bare", "deploy.git");
    git(dir, "clone", "--quiet", join(dir, "deploy.git"), "seed");
    mkdirSync(join(dir, "seed", "charts", "normaldance"), { recursive: true });
    writeFileSync(join(dir, "seed", "charts", "normaldance", "values-staging.yaml"), values);
    git(join(dir, "seed"), "checkout", "--quiet", "-b", "develop");
    git(join(dir, "seed"), "add", ".");
    git(join(dir, "seed"), "commit", "--quiet", "-m", "seed");
    git(join(dir, "seed"), "push", "--quiet", "origin", "develop");
    const env = {
      PATH: process.env["PATH"]!,
      HOME: dir,
      DEPLOY_REMOTE: join(dir, "deploy.git"),
      DEPLOY_BRANCH: "develop",
      VALUES_FILE: "charts/normaldance/values-staging.yaml",
      IMAGES: "web=ghcr.io/normaldance/web:feedc0ffee api=ghcr.io/normaldance/api:feedc0ffee",
      STACK: "staging",
      GITHUB_SHA: "feedc0ffee0123456789feedc0ffee0123456789",
      GITHUB_REPOSITORY: "acme/music",
    };
    const run = () => spawnSync("bash", [join(ROOT, ".github", "scripts", "bump-deploy-repo.sh")], { cwd: ROOT, env, encoding: "utf8" });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/pushed \w+ to develop/);
    const show = (what: string) => git(dir, "--git-dir", join(dir, "deploy.git"), "show", what);
    expect(parse(show("develop:charts/normaldance/values-staging.yaml")).images).toEqual({
      web: "ghcr.io/normaldance/web:feedc0ffee",
      api: "ghcr.io/normaldance/api:feedc0ffee",
    });
    expect(git(dir, "--git-dir", join(dir, "deploy.git"), "log", "-1", "--format=%B", "develop")).toMatch(
      /^release feedc0ffee01 to staging: web=.*\n\nFrom acme\/music@feedc0ffee.* Roll back: git revert this commit\./,
    );
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain("already has these images");
    expect(git(dir, "--git-dir", join(dir, "deploy.git"), "rev-list", "--count", "develop").trim()).toBe("2");
  });
});

// Issue 18: a stack with `platform:imageRegistry: { kind: ecr }` runs `<account>.dkr.ecr.<region>.
// amazonaws.com/<blueprint>/<stack>/<service>:<tag>` (stacks/spec/images.ts), so the release must
// push there, with the CI role the program grants the push-only policy to — not to ghcr.io.
const ACCOUNT = "123456789012";
const ECR_HOST = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;

/** Set (or with `undefined`, remove) `platform:*` keys of a fixture stack file. */
function setStackConfig(root: string, stack: string, extra: Record<string, unknown>): void {
  const f = join(root, `Pulumi.${stack}.yaml`);
  const doc = parse(readFileSync(f, "utf8"));
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete doc.config[`platform:${k}`];
    else doc.config[`platform:${k}`] = v;
  }
  writeFileSync(f, stringify(doc));
}

describe("scripts/release.ts plan: the stack's registry decides where each image goes", () => {
  const ecr = { kind: "ecr", accountId: ACCOUNT, pushRoleName: "github-release" };

  it("ECR staging: every service goes to that stack's ECR repository, pushed with the role the program grants the push policy to", () => {
    const root = fixtureRoot("music-platform-gitops");
    setStackConfig(root, "staging", { imageRegistry: ecr });
    const p = planRelease("develop", root);
    expect(p).toMatchObject({
      mode: "gitops",
      stack: "staging",
      registry: { kind: "ecr", host: ECR_HOST, region: "us-east-1", pushRoleArn: `arn:aws:iam::${ACCOUNT}:role/github-release` },
      services: [
        { name: "web", repository: `${ECR_HOST}/music-platform-gitops/staging/web`, context: "services/web" },
        { name: "api", repository: `${ECR_HOST}/music-platform-gitops/staging/api`, context: "services/api" },
      ],
    });
    // prod has no registry of its own here: main still goes to ghcr.io, as before.
    expect(planRelease("main", root)).toMatchObject({
      registry: { kind: "ghcr", host: "ghcr.io" },
      services: [
        { name: "web", repository: "ghcr.io/normaldance/web" },
        { name: "api", repository: "ghcr.io/normaldance/api" },
      ],
    });
  });

  it("the CLI prints the registry, its region and the push role for the build job", () => {
    const root = fixtureRoot("music-platform-gitops", ["api"]);
    setStackConfig(root, "prod", { imageRegistry: ecr, regions: { primary: "eu-west-1" } });
    const out = execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), ["scripts/release.ts", "plan", "--ref", "main", "--root", root], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const lines = out.trim().split("\n");
    expect(lines).toEqual(outputLines(planRelease("main", root)));
    expect(lines).toContain("registry=ecr");
    expect(lines).toContain(`registry-host=${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`);
    expect(lines).toContain("aws-region=eu-west-1");
    expect(lines).toContain(`push-role-arn=arn:aws:iam::${ACCOUNT}:role/github-release`);
    expect(lines).toContain(
      `services=[{"name":"api","repository":"${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/music-platform-gitops/prod/api","context":"services/api"}]`,
    );
  });

  it("a ghcr.io stack prints empty ECR keys", () => {
    const lines = outputLines(planRelease("develop", fixtureRoot("music-platform-gitops")));
    expect(lines).toContain("registry=ghcr");
    expect(lines).toContain("registry-host=ghcr.io");
    expect(lines).toContain("aws-region=");
    expect(lines).toContain("push-role-arn=");
  });

  it("refuses an ECR stack without the account, with a bad region or without a push role, naming the field", () => {
    const root = fixtureRoot("music-platform-gitops");
    setStackConfig(root, "staging", { imageRegistry: { kind: "ecr", pushRoleName: "github-release" } });
    expect(() => planRelease("develop", root)).toThrow(/Pulumi\.staging\.yaml: platform:imageRegistry\.accountId is not set: .*12-digit AWS account id/);
    setStackConfig(root, "staging", { imageRegistry: { ...ecr, accountId: 123456789012 } });
    expect(() => planRelease("develop", root)).toThrow(/Pulumi\.staging\.yaml: platform:imageRegistry\.accountId: /);
    setStackConfig(root, "staging", { imageRegistry: ecr, regions: { primary: "moon-1" } });
    expect(() => planRelease("develop", root)).toThrow(/Pulumi\.staging\.yaml: platform:regions\.primary: /);
    setStackConfig(root, "staging", { imageRegistry: { kind: "ecr", accountId: ACCOUNT }, regions: undefined });
    expect(() => planRelease("develop", root)).toThrow(/Pulumi\.staging\.yaml: platform:imageRegistry\.pushRoleName is not set: .*no role may push/);
  });

  it("refuses a service built here that the stack's registry has no repository for", () => {
    const root = fixtureRoot("music-platform-gitops", ["web", "api", "jobs"]);
    setStackConfig(root, "staging", { imageRegistry: ecr });
    expect(() => planRelease("develop", root)).toThrow(
      /services\/jobs\/Dockerfile: .*no ECR repository for 'jobs'.*blueprints\/music-platform-gitops\.yaml services/,
    );
    // On ghcr.io the directory is ignored as before (the blueprint names every image it runs).
    expect(planRelease("main", root)).toMatchObject({ registry: { kind: "ghcr" } });
  });
});

describe("release.yml build-ecr: OIDC push role, commit-SHA tag only, never GITHUB_TOKEN", () => {
  const job = jobs["build-ecr"]!;
  const steps = job.steps ?? [];
  const step = (re: RegExp) => {
    const s = steps.find((x) => re.test(x.name ?? ""));
    if (!s?.run) throw new Error(`build-ecr has no step matching ${re}`);
    return s;
  };

  it("asks for id-token only (no packages permission) and never touches the job's GITHUB_TOKEN", () => {
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    const text = JSON.stringify(job);
    expect(text).not.toMatch(/github\.token|GITHUB_TOKEN|secrets\.|ghcr\.io/);
    expect(text).not.toMatch(/--tag "\$repository:(latest|develop)|:latest\b/);
  });

  it("logs in with configure-aws-credentials pinned exactly as the deploy jobs pin it, assuming the plan's push role in the registry's region", () => {
    const login = steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(login).toHaveLength(1);
    const staging = (jobs.staging!.steps ?? []).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
    expect(login[0]!.uses).toBe(staging.uses);
    expect(login[0]!.with).toEqual({
      "role-to-assume": "${{ needs.plan.outputs.push-role-arn }}",
      "role-session-name": "release-push-${{ github.run_id }}",
      "aws-region": "${{ needs.plan.outputs.aws-region }}",
    });
    expect(steps.indexOf(login[0]!)).toBeLessThan(steps.indexOf(step(/^Log in to the stack's ECR/)));
    expect(step(/^Log out/).if).toBe("${{ always() }}");
  });

  it("runs for real (docker and aws CLIs recorded): token on stdin, build + push of <ECR repository>:<commit SHA> per service, nothing else tagged; a re-run keeps a tag already pushed; logs out", () => {
    const root = fixtureRoot("music-platform-gitops");
    setStackConfig(root, "staging", { imageRegistry: { kind: "ecr", accountId: ACCOUNT, pushRoleName: "github-release" } });
    const plan = planRelease("develop", root);
    if (plan.mode !== "gitops" || plan.registry.kind !== "ecr") throw new Error("expected an ECR GitOps plan");
    const dir = mkdtempSync(join(tmpdir(), "release-ecr-"));
    tmp.push(dir);
    mkdirSync(join(dir, "bin"));
    const log = join(dir, "calls.log");
    // The CLIs record their arguments (and docker login its stdin); `aws ecr describe-images`
    // finds only the `<repository name> imageTag=<tag>` lines of $dir/existing (ECR answers
    // ImageNotFoundException otherwise).
    writeFileSync(
      join(dir, "bin", "docker"),
      `#!/usr/bin/env bash\nif [ "$1" = login ]; then echo "docker $* stdin=$(cat)" >> "${log}"; else echo "docker $*" >> "${log}"; fi\n`,
      { mode: 0o755 },
    );
    writeFileSync(
      join(dir, "bin", "aws"),
      `#!/usr/bin/env bash\necho "aws $*" >> "${log}"\nif [ "$2" = get-login-password ]; then echo ecr-token-123; exit 0; fi\nif [ "$2" = describe-images ]; then grep -qxF -- "$6 $8" "${dir}/existing" 2>/dev/null && exit 0; echo "ImageNotFoundException" >&2; exit 254; fi\nexit 2\n`,
      { mode: 0o755 },
    );
    const sha = "feedc0ffee0123456789feedc0ffee0123456789";
    const out = join(dir, "github_output");
    const env = {
      PATH: `${join(dir, "bin")}:${process.env["PATH"]!}`,
      HOME: dir,
      GITHUB_SHA: sha,
      GITHUB_OUTPUT: out,
      SERVICES: outputLines(plan)
        .find((l) => l.startsWith("services="))!
        .slice("services=".length),
      REGISTRY_HOST: plan.registry.host,
      REGISTRY_REGION: plan.registry.region,
    };
    // As GitHub runs a step: bash --noprofile --norc -eo pipefail.
    const run = (s: { run?: string }) => spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.run!], { cwd: root, env, encoding: "utf8" });
    for (const s of [step(/^Log in to the stack's ECR/), step(/^Build and push/), step(/^Log out/)]) {
      const r = run(s);
      expect(r.status, `${s.name}: ${r.stderr}`).toBe(0);
    }
    const web = `${ECR_HOST}/music-platform-gitops/staging/web`;
    const api = `${ECR_HOST}/music-platform-gitops/staging/api`;
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls).toEqual([
      "aws ecr get-login-password --region us-east-1",
      `docker login --username AWS --password-stdin ${ECR_HOST} stdin=ecr-token-123`,
      `aws ecr describe-images --region us-east-1 --repository-name music-platform-gitops/staging/web --image-ids imageTag=${sha}`,
      `docker build --pull --label org.opencontainers.image.revision=${sha} --tag ${web}:${sha} services/web`,
      `docker push ${web}:${sha}`,
      `aws ecr describe-images --region us-east-1 --repository-name music-platform-gitops/staging/api --image-ids imageTag=${sha}`,
      `docker build --pull --label org.opencontainers.image.revision=${sha} --tag ${api}:${sha} services/api`,
      `docker push ${api}:${sha}`,
      `docker logout ${ECR_HOST}`,
    ]);
    expect(readFileSync(out, "utf8")).toBe(`images=web=${web}:${sha} api=${api}:${sha}\n`);
    // The token never reaches an argument list.
    expect(calls.filter((c) => !c.includes("stdin=")).join("\n")).not.toContain("ecr-token-123");

    // Re-run after web was pushed: web is kept (IMMUTABLE), api is pushed; the images output is whole.
    writeFileSync(log, "");
    writeFileSync(out, "");
    writeFileSync(join(dir, "existing"), `music-platform-gitops/staging/web imageTag=${sha}\n`);
    const again = run(step(/^Build and push/));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${web}:${sha} is already in the registry; not pushed again`);
    const pushed = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("docker push"));
    expect(pushed).toEqual([`docker push ${api}:${sha}`]);
    expect(readFileSync(out, "utf8")).toBe(`images=web=${web}:${sha} api=${api}:${sha}\n`);
  });
});
