// The deploy path: the stack files, the program and .github/workflows/deploy.yml agree on where
// each cloud stack's `pulumi up` runs (its CodeBuild runner inside the VPC) and what credentials it
// holds. Before this, deploy.yml ran every stack on GitHub-hosted runners while the EKS endpoint was
// private and the host's SSH open to one documentation address with no key: every Kubernetes call
// would have timed out and the host was unreachable. These tests fail on that code.
import { describe, expect, it } from "vitest";
import { deployRunnerLabel, deployRunnerProjectName, runnerWorkflowPattern } from "../../components/delivery";
import type { Workflow } from "../../components/delivery/workflows";
import { checkDeployPath } from "../../stacks/preflight/deploy-path";
import { readStackFile } from "../../stacks/preflight/stack-file";
import { loadSpec } from "../../stacks/spec/load";
import type { PlatformSpec } from "../../stacks/spec/platform";
import { planned } from "../harness/planned";
import { workflow } from "./workflows";

const CLOUD = ["dev", "staging", "prod"] as const;
const deploy = workflow("deploy.yml");
const doc = (): Workflow => structuredClone(deploy.doc);

/** The stack's spec from its committed file; human secrets (kept outside git) as stand-ins. */
function specOf(stack: string, edit: (platform: Record<string, any>) => void = () => {}): PlatformSpec {
  const f = readStackFile(stack);
  const platform = structuredClone(f.platform) as Record<string, any>;
  edit(platform);
  try {
    return loadSpec({ stack, config: platform });
  } catch (e) {
    // Human secrets: fill exactly the ones the spec names as missing, then load again.
    const message = String((e as Error).message);
    const missing = [...message.matchAll(/secret '(\w+)' is not set/g)].map((m) => m[1]!);
    const receivers = [...message.matchAll(/receiver '(\w+)' \(\w+\) has no secret/g)].map((m) => m[1]!);
    if (missing.length === 0 && receivers.length === 0) throw e;
    platform.secrets = { ...(platform.secrets ?? {}), ...Object.fromEntries(missing.map((n) => [n, "stand-in"])) };
    platform.alertingSecrets = { ...(platform.alertingSecrets ?? {}), ...Object.fromEntries(receivers.map((n) => [n, "stand-in"])) };
    return loadSpec({ stack, config: platform });
  }
}

describe("deploy path: stack files and deploy.yml agree", () => {
  for (const stack of CLOUD) {
    it(`${stack}: its jobs run on its in-VPC runner, log in to AWS first, and hold every credential (no finding)`, () => {
      expect(checkDeployPath(specOf(stack), { file: deploy.file, doc: doc() })).toEqual([]);
    });
  }

  it("a job on a GitHub-hosted runner for a private-endpoint stack is refused, naming runs-on and the fix", () => {
    const d = doc();
    d.jobs!.prod!["runs-on"] = "ubuntu-24.04";
    const f = checkDeployPath(specOf("prod"), { file: "deploy.yml", doc: d });
    expect(f.map((x) => x.setting)).toEqual(["deploy.yml: jobs.prod.runs-on"]);
    expect(f[0]!.problem).toMatch(/private/);
    expect(f[0]!.fix).toContain(deployRunnerLabel("prod"));
  });

  it("an allow-list does not make a GitHub-hosted runner reach the API (no fixed egress address)", () => {
    const d = doc();
    d.jobs!.staging!["runs-on"] = "ubuntu-24.04";
    const spec = specOf("staging", (p) => (p.cluster = { ...p.cluster, publicAccessCidrs: ["198.51.100.0/24"] }));
    const f = checkDeployPath(spec, { file: "deploy.yml", doc: d });
    expect(f.map((x) => x.check)).toEqual(["deploy-path/runner"]);
    expect(f[0]!.problem).toMatch(/no fixed address/);
  });

  it("the single host's job must load the deploy key from the secret the stack names", () => {
    const d = doc();
    d.jobs!.dev!.steps = d.jobs!.dev!.steps!.filter((s) => !(s.run ?? "").includes("ssh-add"));
    const f = checkDeployPath(specOf("dev"), { file: "deploy.yml", doc: d });
    expect(f.map((x) => x.check)).toEqual(["deploy-path/host-key"]);
    expect(f[0]!.problem).toContain("platform/dev/host-deploy-key");
    // A stack that names another secret than the one the job reads is caught too.
    const other = specOf("dev", (p) => (p.host = { ...p.host, sshKeySecret: "platform/dev/other-key" }));
    expect(checkDeployPath(other, { file: "deploy.yml", doc: doc() }).map((x) => x.check)).toEqual(["deploy-path/host-key"]);
  });

  it("pulumi without an AWS session first is refused (the Cloudflare token and the host key come through it)", () => {
    const d = doc();
    d.jobs!.staging!.steps = d.jobs!.staging!.steps!.filter((s) => !/configure-aws-credentials/.test(s.uses ?? ""));
    const f = checkDeployPath(specOf("staging"), { file: "deploy.yml", doc: d });
    expect(f.map((x) => `${x.check} ${x.setting}`)).toEqual(["deploy-path/credentials deploy.yml: jobs.staging.steps"]);
    expect(f[0]!.problem).toMatch(/Cloudflare token/);
  });

  it("a stack with no `pulumi up` job is reported", () => {
    const d = doc();
    delete d.jobs!.prod;
    delete d.jobs!["prod-preview"];
    expect(checkDeployPath(specOf("prod"), { file: "deploy.yml", doc: d }).map((x) => x.check)).toEqual(["deploy-path/job"]);
  });

  it("the spec refuses a cloud stack without platform:delivery, naming the keys to set", () => {
    expect(() => specOf("staging", (p) => delete p.delivery)).toThrow(/platform:delivery[\s\S]*repository[\s\S]*connectionArn/);
  });
});

describe("deploy path: what the program builds matches", () => {
  for (const stack of CLOUD) {
    it(`${stack}: a CodeBuild runner project named as the workflow's label, in the stack's private subnets, queuing only the deploy, preview and drift workflows`, async () => {
      const { inventory } = await planned({ stack });
      const projects = inventory.resources.filter((r) => r.type === "aws:codebuild/project:Project");
      expect(projects.map((p) => p.inputs.name)).toEqual([deployRunnerProjectName(stack)]);
      expect(deployRunnerLabel(stack).startsWith(`codebuild-${projects[0]!.inputs.name}-`)).toBe(true);
      const vpc = projects[0]!.inputs.vpcConfig as { subnets: unknown[]; securityGroupIds: unknown[] };
      expect(vpc.subnets.length).toBeGreaterThan(0);
      const hooks = inventory.resources.filter((r) => r.type === "aws:codebuild/webhook:Webhook");
      expect(JSON.stringify(hooks.map((h) => h.inputs.filterGroups))).toContain("WORKFLOW_JOB_QUEUED");
      expect(
        hooks.map(
          (h) => (h.inputs.filterGroups as { filters: { type: string; pattern: string }[] }[])[0]!.filters.find((f) => f.type === "WORKFLOW_NAME")!.pattern,
        ),
      ).toEqual([runnerWorkflowPattern()]);
    });
  }

  for (const stack of ["staging", "prod"] as const) {
    it(`${stack}: the EKS endpoint is private and its cluster security group admits the runner on 443 only`, async () => {
      const { inventory } = await planned({ stack });
      const cluster = inventory.resources.find((r) => r.type === "aws:eks/cluster:Cluster")!;
      expect((cluster.inputs.vpcConfig as { endpointPublicAccess: boolean }).endpointPublicAccess).toBe(false);
      const runnerSg = inventory.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name.endsWith("deploy-runner-sg"))!;
      const rules = inventory.resources.filter(
        (r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.name.includes("-api-client-"),
      );
      expect(rules).toHaveLength(1);
      expect(rules[0]!.inputs).toMatchObject({ ipProtocol: "tcp", fromPort: 443, toPort: 443 });
      expect(rules[0]!.propertyDependencies.referencedSecurityGroupId).toContain(runnerSg.urn);
    });
  }

  it("dev: the host's SSH admits the runner's security group and no CIDR; Docker and the readiness check dial its private address", async () => {
    const { inventory } = await planned({ stack: "dev" });
    const hostSg = inventory.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name === "dev-host-sg")!;
    const ssh = (hostSg.inputs.ingress as { fromPort: number; cidrBlocks?: string[]; ipv6CidrBlocks?: string[]; securityGroups?: unknown[] }[]).filter(
      (r) => r.fromPort === 22,
    );
    expect(ssh).toHaveLength(1);
    expect(ssh[0]!.cidrBlocks ?? []).toEqual([]);
    expect(ssh[0]!.ipv6CidrBlocks ?? []).toEqual([]);
    expect(ssh[0]!.securityGroups).toHaveLength(1);
    const ready = inventory.resources.find((r) => r.type === "command:remote:Command" && r.name === "dev-host-ready")!;
    const vm = inventory.resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
    expect(ready.propertyDependencies.connection).toContain(vm.urn);
    const eips = inventory.resources.filter((r) => r.type === "aws:ec2/eip:Eip" && r.name === "dev-host-eip");
    expect(ready.propertyDependencies.connection ?? []).not.toContain(eips[0]?.urn);
  });
});
