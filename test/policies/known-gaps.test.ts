/**
 * The pack's known gaps from the independent check (issue 20, test/foreign/EXAMPLES-RESULTS.md),
 * closed with fixtures of their own (test/fixtures/policies/foreign-style.ts), here what the
 * per-policy fixture table cannot say: every resource found (not just one message), and values
 * not known in preview reported as not judged, never passed.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { runProgram } from "../../tools/harness/run";
import { fargateTask } from "../fixtures/policies/foreign-style";
import { foreignViolatingCases } from "../fixtures/policies/foreign-style";

const plan = async (program: () => void, preview = false, tier: "dev" | "staging" | "prod" = "prod") =>
  runPolicies(await runProgram(program, { allowDefaultProviders: true, stack: "fixture", preview }), { tier });
const of = (r: Awaited<ReturnType<typeof plan>>, policy: string) => r.violations.filter((v) => v.policyName === policy);

describe("baseline-pinned-images on AWS compute", () => {
  it("finds the unpinned image in every Batch job definition shape (containerProperties, nodeProperties, ecsProperties, eksProperties)", async () => {
    const c = foreignViolatingCases.find((x) => x.name.startsWith("Batch job definitions"))!;
    const r = await plan(c.program);
    const found = of(r, "baseline-pinned-images").filter((v) => !v.unknown);
    expect(found.map((v) => v.resourceName).sort(), formatText(r)).toEqual(["container", "ecs", "eks", "multinode"]);
    expect(found.every((v) => /image 'busybox' has no tag/.test(v.message) && v.enforcementLevel === "mandatory")).toBe(true);
  });

  it("an ECS image from an ECR repository is not known in preview: reported as not judged on the task definition, never passed", async () => {
    const program = () => {
      const repo = new aws.ecr.Repository("app", { imageTagMutability: "IMMUTABLE" });
      fargateTask([{ name: "app", image: pulumi.interpolate`${repo.repositoryUrl}:1.4.2` }]);
    };
    const r = await plan(program, true);
    const mine = of(r, "baseline-pinned-images");
    expect(mine.length, formatText(r)).toBe(1);
    expect(mine[0]!.unknown).toBe(true);
    expect(mine[0]!.enforcementLevel).toBe("advisory");
    expect(mine[0]!.resourceType).toBe("aws:ecs/taskDefinition:TaskDefinition");
    expect(mine[0]!.message).toMatch(
      /can't run policy 'baseline-pinned-images' during preview: the image of TaskDefinition 'wordpress' containerDefinitions is not known in this run/,
    );
  });

  it("container definitions that are not JSON are reported as not judged, not passed", async () => {
    const program = () => void new aws.ecs.TaskDefinition("broken", { family: "broken", containerDefinitions: "[{ name: 'app', image: 'nginx' }" });
    const mine = of(await plan(program), "baseline-pinned-images");
    expect(mine.map((v) => [v.unknown, v.resourceName])).toEqual([[true, "broken"]]);
    expect(mine[0]!.message).toMatch(
      /can't run policy 'baseline-pinned-images' on a value not known in this run: the image of TaskDefinition 'broken' containerDefinitions \(not valid JSON\)/,
    );
  });

  it("a pinned image next to an unknown one: the known one is judged, the unknown one is reported, a known unpinned one is still a finding", async () => {
    const program = () => {
      const repo = new aws.ecr.Repository("app", { imageTagMutability: "IMMUTABLE" });
      new aws.lambda.Function("fn", { packageType: "Image", imageUri: pulumi.interpolate`${repo.repositoryUrl}:7`, role: "arn:aws:iam::123456789012:role/x" });
      fargateTask([{ name: "wordpress", image: "wordpress" }]);
    };
    const r = await plan(program, true);
    const mine = of(r, "baseline-pinned-images");
    expect(
      mine.filter((v) => !v.unknown).map((v) => v.resourceName),
      formatText(r),
    ).toEqual(["wordpress"]);
    expect(mine.filter((v) => v.unknown).map((v) => v.resourceName)).toEqual(["fn"]);
  });

  it("a Kubernetes container image computed from an output is not known in preview: not judged, not passed (was skipped silently)", async () => {
    const program = () => {
      const repo = new aws.ecr.Repository("app", { imageTagMutability: "IMMUTABLE" });
      new k8s.apps.v1.Deployment("web", {
        metadata: { name: "web" },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: pulumi.interpolate`${repo.repositoryUrl}:1.0.0` }] } },
        },
      });
    };
    const mine = of(await plan(program, true), "baseline-pinned-images");
    expect(mine.map((v) => [v.unknown, v.resourceName])).toEqual([[true, "web"]]);
    expect(mine[0]!.message).toMatch(/Deployment 'web' container 'web'/);
    // In dev nothing is judged, so nothing is reported as not judged either.
    expect(of(await plan(program, true, "dev"), "baseline-pinned-images")).toEqual([]);
  });
});

describe("headers-origin-coop-coep on EC2 web servers", () => {
  const webServerWithUserData = () => {
    const assets = new aws.s3.Bucket("assets");
    const group = new aws.ec2.SecurityGroup("web-secgrp", {
      ingress: [
        { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] },
        { protocol: "tcp", fromPort: 443, toPort: 443, ipv6CidrBlocks: ["::/0"] },
      ],
    });
    new aws.ec2.Instance("web", {
      ami: "ami-0c55b159cbfafe1f0",
      instanceType: "t3.micro",
      vpcSecurityGroupIds: [group.id],
      userData: pulumi.interpolate`#!/bin/bash\naws s3 sync s3://${assets.bucket} /var/www/html\nsystemctl start httpd`,
    });
  };

  it("user data unknown in preview: the server is reported as not judged (never passed); on update, judged and found", async () => {
    const preview = of(await plan(webServerWithUserData, true, "dev"), "headers-origin-coop-coep");
    expect(preview.map((v) => [v.unknown, v.resourceName])).toEqual([[true, "web"]]);
    expect(preview[0]!.message).toMatch(/user data \(or the Docker proxy running on it\) of Instance 'web' \(a web server open to the internet\) is not known/);
    const update = of(await plan(webServerWithUserData, false, "dev"), "headers-origin-coop-coep");
    expect(update.map((v) => [v.unknown ?? false, v.resourceName, v.enforcementLevel])).toEqual([[false, "web", "mandatory"]]);
    expect(update[0]!.message).toMatch(/on port 80, 443/);
  });

  it("a world-open all-traffic rule alone does not make a web server (that is seg-security-group-ingress's finding)", async () => {
    const program = () => {
      const group = new aws.ec2.SecurityGroup("nat", { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] });
      new aws.ec2.Instance("nat", { ami: "ami-0c55b159cbfafe1f0", instanceType: "t3.micro", vpcSecurityGroupIds: [group.id], sourceDestCheck: false });
    };
    const r = await plan(program);
    expect(of(r, "headers-origin-coop-coep")).toEqual([]);
    expect(of(r, "seg-security-group-ingress").length, formatText(r)).toBeGreaterThan(0);
  });
});
