/**
 * `ContainerRegistry` (type token `platform:registry:ContainerRegistry`): the platform's image
 * registry on an AWS tier. One ECR repository per service (`<blueprint>/<stack>/<service>`) with
 * scan on push, immutable tags and the stack's KMS key; each with the lifecycle policy of the
 * tier's retention (plan.ts says why each setting); and, when the stack names the role its CI pushes
 * with, a push-only policy on exactly these repositories attached to that role.
 *
 * Pulling needs nothing here: EKS nodes pull with their node role (AmazonEC2ContainerRegistryReadOnly,
 * components/cluster/eks.ts), so no dockerconfigjson Secret exists for ECR (its tokens expire after
 * 12 hours; a static pull Secret would stop working). Private registries elsewhere keep using
 * `platform:registries` (stacks/spec/registries.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { lifecyclePolicy, pushPolicyDocument, repositoryName, repositorySettings } from "./plan";

const inputString = z.custom<pulumi.Input<string>>((v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v) || v instanceof Promise), {
  message: "a non-empty string or a pulumi Output<string>",
});

export const containerRegistryArgs = z.strictObject({
  blueprint: z.string().min(1),
  stack: z.string().min(1),
  /** Services whose images the platform builds: one repository each. */
  services: z
    .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "a service name (DNS label)" }))
    .min(1, "at least one service: a registry with no repository holds nothing"),
  /** Days an image is kept after its push (the tier row's imageRetentionDays). */
  retentionDays: z.int().min(1).max(3650),
  /** The stack's KMS key (repositories are encrypted with it); AWS's managed ECR key when absent. */
  kmsKeyArn: inputString.optional(),
  /** IAM role name the CI release job pushes with; gets the push-only policy. */
  pushRoleName: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, { message: "an IAM role name (not an ARN)" })
    .optional(),
});
export type ContainerRegistryArgs = z.input<typeof containerRegistryArgs>;

export class ContainerRegistry extends pulumi.ComponentResource {
  /** Repository URL per service (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
  public readonly repositoryUrls: Record<string, pulumi.Output<string>>;
  public readonly repositoryArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: ContainerRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:registry:ContainerRegistry", name, {}, opts);
    const parsed = containerRegistryArgs.safeParse(args);
    if (!parsed.success)
      throw new Error(`ContainerRegistry ${name}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(args)"}: ${i.message}`).join("; ")}`);
    const a = parsed.data;
    const p = { parent: this };
    const policy = JSON.stringify(lifecyclePolicy(a.retentionDays));
    this.repositoryUrls = {};
    this.repositoryArns = {};
    for (const svc of a.services) {
      const repo = new aws.ecr.Repository(
        `${name}-${svc}`,
        {
          name: repositoryName(a.blueprint, a.stack, svc),
          ...repositorySettings(),
          encryptionConfigurations: [a.kmsKeyArn ? { encryptionType: "KMS", kmsKey: a.kmsKeyArn } : { encryptionType: "KMS" }],
          tags: { "platform:component": "registry", "platform:service": svc },
        },
        p,
      );
      new aws.ecr.LifecyclePolicy(`${name}-${svc}-lifecycle`, { repository: repo.name, policy }, p);
      this.repositoryUrls[svc] = repo.repositoryUrl;
      this.repositoryArns[svc] = repo.arn;
    }
    if (a.pushRoleName) {
      const push = new aws.iam.Policy(
        `${name}-push`,
        {
          description: `Push ${a.blueprint} images to the ${a.stack} repositories (no delete, no mutability change)`,
          policy: pulumi.all(Object.values(this.repositoryArns)).apply((arns) => JSON.stringify(pushPolicyDocument(arns))),
        },
        p,
      );
      new aws.iam.RolePolicyAttachment(`${name}-push`, { role: a.pushRoleName, policyArn: push.arn }, p);
    }
    this.registerOutputs({ repositoryUrls: this.repositoryUrls });
  }
}
