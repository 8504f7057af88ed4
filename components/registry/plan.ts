/**
 * The platform's container registry on AWS tiers, as pure data (components/registry/index.ts turns
 * it into resources): one ECR repository per service, its lifecycle policy, and the least-privilege
 * IAM policy of the role that pushes.
 *
 * Retention is the music platform view's ("Container Registry — Retention: 90 days for production
 * images, 30 days for others"): the registry is per stack, and the stack's tier row gives its days
 * (stacks/spec/tiers.ts imageRetentionDays: 90 on prod, 30 elsewhere). One rule, `tagStatus: any`, so untagged
 * leftovers go the same way. Caveat, stated: ECR counts from the push, so a prod service not released
 * for 90 days loses its running image and a replaced node cannot pull it again; release (rebuild and
 * push) at least once per retention period.
 *
 * Tags are IMMUTABLE: a tag (the commit SHA the release workflow pushes) names one image for its
 * whole life, so what the cluster runs is what was reviewed and scanned, a compromised pusher cannot
 * swap the bits behind a deployed tag, and a rollback to a tag is a rollback to those bytes. The
 * view's moving tags (`latest`, `develop`) are therefore not pushable here; the platform deploys
 * commit-SHA tags only.
 *
 * Sources: AWS ECR User Guide, "Lifecycle policy properties" (rulePriority, description,
 * selection.tagStatus/countType/countUnit/countNumber, action.type; a rule with tagStatus `any` must
 * have the highest rulePriority) and "Examples of lifecycle policies"; @pulumi/aws 7.48.0
 * `aws.ecr.Repository` (imageTagMutability MUTABLE | IMMUTABLE | IMMUTABLE_WITH_EXCLUSION |
 * MUTABLE_WITH_EXCLUSION, imageScanningConfiguration.scanOnPush, encryptionConfigurations[].
 * encryptionType AES256 | KMS + kmsKey) and `aws.ecr.LifecyclePolicy` (repository, policy JSON).
 */

/** One ECR lifecycle rule, in the AWS JSON's exact shape. */
export interface LifecycleRule {
  rulePriority: number;
  description: string;
  selection: { tagStatus: "any"; countType: "sinceImagePushed"; countUnit: "days"; countNumber: number };
  action: { type: "expire" };
}

/** The lifecycle policy document (`aws.ecr.LifecyclePolicy.policy`, a JSON string). */
export function lifecyclePolicy(retentionDays: number): { rules: LifecycleRule[] } {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) throw new Error(`registry: retention must be a whole number of days ≥ 1, got ${retentionDays}`);
  return {
    rules: [
      {
        rulePriority: 1,
        description: `Expire every image ${retentionDays} days after its push`,
        selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: retentionDays },
        action: { type: "expire" },
      },
    ],
  };
}

/** ECR repository names: lowercase path segments of [a-z0-9] joined by . _ - (ECR's own pattern), 2–256 chars. */
const ECR_REPO = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** `<blueprint>/<stack>/<service>`: unique per platform and stack when stacks share an account. */
export function repositoryName(blueprint: string, stack: string, service: string): string {
  const seg = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[._-]+|[._-]+$/g, "");
  const name = `${seg(blueprint)}/${seg(stack)}/${seg(service)}`;
  if (!ECR_REPO.test(name)) throw new Error(`registry: '${name}' is not a valid ECR repository name (lowercase letters, digits, . _ - and /)`);
  return name;
}

/** The registry host of an account and region: `<account>.dkr.ecr.<region>.amazonaws.com`. */
export function ecrHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com`;
}

/** What each repository is created with (the `aws.ecr.Repository` inputs, kmsKey filled in by the component). */
export function repositorySettings(): { imageTagMutability: "IMMUTABLE"; imageScanningConfiguration: { scanOnPush: true }; forceDelete: false } {
  return { imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, forceDelete: false };
}

/**
 * The push policy of the CI role: push and read back exactly these repositories, nothing else.
 * `ecr:GetAuthorizationToken` has no resource-level permissions (AWS: Resource must be `*`).
 * No `ecr:BatchDeleteImage`, no `ecr:PutImageTagMutability`, no `ecr:SetRepositoryPolicy`: the
 * pusher can neither delete an image nor turn tag immutability off.
 */
export function pushPolicyDocument(repositoryArns: string[]): {
  Version: "2012-10-17";
  Statement: { Sid: string; Effect: "Allow"; Action: string[]; Resource: string | string[] }[];
} {
  if (!repositoryArns.length) throw new Error("registry: a push policy needs at least one repository");
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Login", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Sid: "PushToThisPlatformsRepositories",
        Effect: "Allow",
        Action: [
          "ecr:BatchCheckLayerAvailability",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:DescribeImages",
          "ecr:DescribeImageScanFindings",
        ],
        Resource: [...repositoryArns].sort(),
      },
    ],
  };
}
