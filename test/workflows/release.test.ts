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

  it("plan → build → staging | production; staging and production each gated on the plan's environment", () => {
    expect(Object.keys(jobs)).toEqual(["plan", "build", "staging", "production"]);
    expect(jobs.build!.needs).toBe("plan");
    expect(jobs.build!.if).toBe("needs.plan.outputs.mode == 'gitops' && needs.plan.outputs.services != '[]'");
    expect(jobs.staging!.needs).toEqual(["plan", "build"]);
    expect(jobs.production!.needs).toEqual(["plan", "build"]);
    expect(jobs.staging!.if).toBe("needs.plan.outputs.environment == 'staging'");
    expect(jobs.production!.if).toBe("needs.plan.outputs.environment == 'production'");
  });

  it("production waits in the `production` environment (required reviewers); staging runs in `staging`; nothing else has an environment", () => {
    expect(envName(jobs.production!)).toBe("production");
    expect(envName(jobs.staging!)).toBe("staging");
    expect(envName(jobs.plan!)).toBeUndefined();
    expect(envName(jobs.build!)).toBeUndefined();
  });

  it("the deploy repository's key is reachable only behind an environment: only staging and production log in to AWS, with the environment's role", () => {
    for (const [name, job] of Object.entries(jobs)) {
      const aws = (job.steps ?? []).filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      if (name === "staging" || name === "production") {
        expect(aws.map((s) => s.with?.["role-to-assume"])).toEqual(["${{ vars.AWS_DEPLOY_ROLE_ARN }}"]);
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
      services: [
        { name: "web", repository: "ghcr.io/normaldance/web", context: "services/web" },
        { name: "api", repository: "ghcr.io/normaldance/api", context: "services/api" },
      ],
    });
    expect(planRelease("main", root)).toMatchObject({ mode: "gitops", environment: "production", stack: "prod", deployBranch: "main", valuesFile: "charts/normaldance/values-production.yaml" });
    expect(planRelease("feature/x", root).mode).toBe("none");
  });

  it("the CLI prints every output key for $GITHUB_OUTPUT", () => {
    const root = fixtureRoot("music-platform-gitops", ["worker"]);
    const out = execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), ["scripts/release.ts", "plan", "--ref", "main", "--root", root], { cwd: ROOT, encoding: "utf8" });
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
    const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8" });
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
    expect(parse(show("develop:charts/normaldance/values-staging.yaml")).images).toEqual({ web: "ghcr.io/normaldance/web:feedc0ffee", api: "ghcr.io/normaldance/api:feedc0ffee" });
    expect(git(dir, "--git-dir", join(dir, "deploy.git"), "log", "-1", "--format=%B", "develop")).toMatch(/^release feedc0ffee01 to staging: web=.*\n\nFrom acme\/music@feedc0ffee.* Roll back: git revert this commit\./);
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain("already has these images");
    expect(git(dir, "--git-dir", join(dir, "deploy.git"), "rev-list", "--count", "develop").trim()).toBe("2");
  });
});
