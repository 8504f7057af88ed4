/**
 * `DeployRunner`: where a cloud stack's `pulumi up` runs. An AWS CodeBuild project that serves
 * the repository's GitHub Actions jobs as an ephemeral self-hosted runner INSIDE the stack's VPC
 * (private subnets, leaving through the stack's NAT). Type token `platform:delivery:DeployRunner`.
 *
 * Why: the EKS API endpoint is private and the single host admits SSH from this runner's security
 * group only, so nothing the program talks to during an update is reachable from the internet,
 * and GitHub-hosted runners (outside the VPC, with no fixed egress address) cannot deploy.
 * docs/delivery.md ("Where the deploy runs") has the design; the workflow job of each stack uses
 * `runs-on: <deployRunnerLabel(stack)>` (test/workflows/deploy-path.test.ts and the preflight
 * check keep the two in step).
 *
 * The runner holds no cloud permission beyond its own logs and VPC network interfaces: the job
 * still assumes the stack's deploy role through GitHub OIDC (environment-bound trust policy), so a
 * job of another workflow that lands on this runner gets network reach but no credential; the
 * webhook only queues jobs of the workflows that must reach the stack's private endpoints:
 * `deploy` (up), `preview` (same-repository pull requests, read-only role) and `drift`
 * (preview --refresh, read-only role).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { VERSION_PINS } from "../charts";

/** CodeBuild project name of a stack's runner. */
export function deployRunnerProjectName(stack: string): string {
  return `platform-deploy-${stack}`;
}

/**
 * The `runs-on:` value a workflow job uses to run on the stack's runner (CodeBuild's documented
 * label: `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`).
 */
export function deployRunnerLabel(stack: string): string {
  return `codebuild-${deployRunnerProjectName(stack)}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
}

/** The GitHub Actions workflow that runs `pulumi up` (`name:` of deploy.yml). */
export const DEPLOY_WORKFLOW_NAME = "deploy";

/**
 * Every workflow whose jobs the runner's webhook accepts (`name:` of deploy.yml, preview.yml and
 * drift.yml): each of them runs the Kubernetes provider against the private EKS endpoint, which
 * reads the cluster even in a preview. release.yml (GitOps image bumps) needs no cluster and stays
 * on GitHub-hosted runners, as does the credential-free untrusted.yml.
 */
export const RUNNER_WORKFLOW_NAMES: readonly string[] = [DEPLOY_WORKFLOW_NAME, "preview", "drift"];

/** The webhook's WORKFLOW_NAME filter: exactly the names above. */
export function runnerWorkflowPattern(): string {
  return `^(${RUNNER_WORKFLOW_NAMES.join("|")})$`;
}

/** CodeBuild's standard Ubuntu image: node, git, ssh client and the AWS CLI (the jobs set up their own Node). */
export const RUNNER_IMAGE = VERSION_PINS.codebuildRunner.value;

const inputString = z.custom<pulumi.Input<string>>((v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v) || v instanceof Promise), {
  message: "a non-empty string or a pulumi Output<string>",
});

export const deployRunnerArgsSchema = z.strictObject({
  /** Stack name: the project is `platform-deploy-<stack>`. */
  stack: z.string().regex(/^[a-z][-a-z0-9]{0,40}$/, { message: "a stack name such as `prod`" }),
  /** GitHub repository (`owner/name`) whose workflow jobs the runner serves. */
  repository: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { message: "`owner/name` of the GitHub repository" }),
  /** AWS CodeConnections connection to GitHub (created and approved once in the console). */
  connectionArn: z.string().regex(/^arn:aws:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/, {
    message: "a CodeConnections ARN such as arn:aws:codeconnections:us-east-1:123456789012:connection/<uuid>",
  }),
  vpcId: inputString,
  vpcCidr: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, { message: "the VPC's IPv4 CIDR such as 10.0.0.0/16" }),
  /** Private subnets with NAT egress (CodeBuild gives its network interfaces no public address). */
  privateSubnetIds: z.array(inputString).min(1),
  /** Key for the build logs and artifacts at rest; absent = AWS-managed. */
  kmsKeyArn: inputString.optional(),
  logRetentionDays: z.int().min(1).max(3653).default(30),
  /** BUILD_GENERAL1_MEDIUM: 4 vCPU / 7 GB, enough for `npm ci` + the Pulumi engine. */
  computeType: z.enum(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"]).default("BUILD_GENERAL1_MEDIUM"),
});

export type DeployRunnerArgs = z.input<typeof deployRunnerArgsSchema>;

export class DeployRunner extends pulumi.ComponentResource {
  /** Security group of the runner: the EKS API and the host's SSH admit exactly this group. */
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly projectName: string;
  /** The `runs-on:` label of the stack's jobs. */
  public readonly label: string;

  constructor(name: string, args: DeployRunnerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const res = deployRunnerArgsSchema.safeParse(args);
    if (!res.success) {
      throw new Error(`DeployRunner "${name}": invalid args\n${res.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n")}`);
    }
    const a = res.data;
    super("platform:delivery:DeployRunner", name, {}, opts);
    const p = { parent: this };
    this.projectName = deployRunnerProjectName(a.stack);
    this.label = deployRunnerLabel(a.stack);

    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: a.vpcId,
        description: `Deploy runner of stack ${a.stack}: no ingress; out to HTTPS (GitHub, npm, Pulumi Cloud, AWS APIs, the EKS API) and SSH inside the VPC`,
        ingress: [],
        egress: [
          {
            description: "HTTPS (GitHub, npm, Pulumi Cloud, AWS APIs, the private EKS endpoint)",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
          },
          { description: "SSH to the stack's host inside the VPC (Docker over SSH)", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [a.vpcCidr] },
        ],
        tags: { Name: `${name}-sg`, "platform:component": "deploy-runner" },
      },
      p,
    );
    this.securityGroupId = sg.id;

    const logs = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/platform/${a.stack}/deploy-runner`, retentionInDays: a.logRetentionDays, ...(a.kmsKeyArn ? { kmsKeyId: a.kmsKeyArn } : {}) },
      p,
    );

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `CodeBuild service role of the ${a.stack} deploy runner: logs and VPC network interfaces only (jobs assume the deploy role by OIDC)`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "codebuild.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      p,
    );
    const region = aws.getRegionOutput({}, p).region;
    const account = aws.getCallerIdentityOutput({}, p).accountId;
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi.all([logs.arn, region, account, a.privateSubnetIds, a.kmsKeyArn ?? ""]).apply(([logArn, r, acct, subnets, key]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [logArn, `${logArn}:*`] },
              {
                Sid: "Connection",
                Effect: "Allow",
                Action: ["codeconnections:GetConnectionToken", "codeconnections:GetConnection", "codeconnections:UseConnection"],
                Resource: a.connectionArn,
              },
              // CodeBuild's documented VPC permissions: describe calls cannot be scoped.
              {
                Sid: "VpcDescribe",
                Effect: "Allow",
                Action: [
                  "ec2:CreateNetworkInterface",
                  "ec2:DescribeDhcpOptions",
                  "ec2:DescribeNetworkInterfaces",
                  "ec2:DeleteNetworkInterface",
                  "ec2:DescribeSubnets",
                  "ec2:DescribeSecurityGroups",
                  "ec2:DescribeVpcs",
                ],
                Resource: "*",
              },
              {
                Sid: "VpcEni",
                Effect: "Allow",
                Action: "ec2:CreateNetworkInterfacePermission",
                Resource: `arn:aws:ec2:${r}:${acct}:network-interface/*`,
                Condition: {
                  StringEquals: { "ec2:AuthorizedService": "codebuild.amazonaws.com" },
                  ArnEquals: { "ec2:Subnet": subnets.map((s) => `arn:aws:ec2:${r}:${acct}:subnet/${s}`) },
                },
              },
              ...(key ? [{ Sid: "Kms", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"], Resource: key }] : []),
            ],
          }),
        ),
      },
      p,
    );

    const project = new aws.codebuild.Project(
      `${name}-project`,
      {
        name: this.projectName,
        description: `Ephemeral GitHub Actions runner for the ${RUNNER_WORKFLOW_NAMES.join("/")} workflows' ${a.stack} jobs, inside the stack's VPC`,
        serviceRole: role.arn,
        source: { type: "GITHUB", location: `https://github.com/${a.repository}.git`, auth: { type: "CODECONNECTIONS", resource: a.connectionArn } },
        artifacts: { type: "NO_ARTIFACTS" },
        environment: { computeType: a.computeType, image: RUNNER_IMAGE, type: "LINUX_CONTAINER", imagePullCredentialsType: "CODEBUILD" },
        vpcConfig: { vpcId: a.vpcId, subnets: a.privateSubnetIds, securityGroupIds: [sg.id] },
        logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: logs.name } },
        ...(a.kmsKeyArn ? { encryptionKey: a.kmsKeyArn } : {}),
        // A job waits at most this long for its runner; the deploy jobs' own timeout-minutes bound the run.
        queuedTimeout: 60,
        buildTimeout: 120,
        concurrentBuildLimit: 2,
        tags: { "platform:component": "deploy-runner" },
      },
      p,
    );
    new aws.codebuild.Webhook(
      `${name}-webhook`,
      {
        projectName: project.name,
        buildType: "BUILD",
        filterGroups: [
          {
            filters: [
              { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" },
              { type: "WORKFLOW_NAME", pattern: runnerWorkflowPattern() },
            ],
          },
        ],
      },
      p,
    );
    this.registerOutputs({ securityGroupId: this.securityGroupId, projectName: this.projectName, label: this.label });
  }
}
