/**
 * One provider per target, created once here and passed down explicitly. No component relies
 * on ambient default providers (the harness fails any resource that does).
 *
 * Credentials never come from this program's config: AWS from the standard credential chain
 * (OIDC role in CI); Cloudflare's API token from the AWS Secrets Manager secret named by
 * `platform:cloudflare.apiTokenSecret` (default `platform/<stack>/cloudflare-api-token`), read with
 * that AWS session. No workflow has to pass a Cloudflare credential, and `npm run preflight`
 * checks the stack's jobs log in to AWS before `pulumi`.
 */
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Providers } from "./context";
import type { PlatformSpec } from "./spec/platform";

/** A Cloudflare credential (the API token, the R2 Secret Access Key), a secret Output read from Secrets Manager (current version). */
export function cloudflareApiToken(secretId: string, aws_: aws.Provider): pulumi.Output<string> {
  return pulumi.secret(aws.secretsmanager.getSecretVersionOutput({ secretId }, { provider: aws_ }).secretString);
}

/**
 * The AWS provider the Cloudflare edge uploads its build with: R2's S3-compatible endpoint of the
 * account, the R2 API token's key pair (the Secret Access Key from Secrets Manager, read with the
 * stack's AWS role), and the client-side checks R2 does not answer switched off, as Cloudflare's
 * R2 guide for the Terraform AWS provider sets them (developers.cloudflare.com/r2/examples/terraform-aws).
 */
export function r2Provider(cf: { accountId: string; r2AccessKeyId?: string; r2SecretKeySecret: string }, aws_: aws.Provider): aws.Provider {
  return new aws.Provider("r2", {
    region: "us-east-1",
    accessKey: cf.r2AccessKeyId!,
    secretKey: cloudflareApiToken(cf.r2SecretKeySecret, aws_),
    skipCredentialsValidation: true,
    skipRegionValidation: true,
    skipRequestingAccountId: true,
    endpoints: [{ s3: `https://${cf.accountId}.r2.cloudflarestorage.com` }],
  });
}

/** Tags every AWS resource carries (via the provider's defaultTags). */
export function standardTags(spec: PlatformSpec): Record<string, string> {
  return {
    "platform:stack": spec.stack,
    "platform:tier": spec.tier,
    "platform:blueprint": spec.blueprint.name,
    "managed-by": "pulumi",
  };
}

export function buildProviders(spec: PlatformSpec): Providers {
  // No cloud account (the local tier): no provider plugin beyond Kubernetes (nothing fetched).
  if (!spec.profile.cloudAccount) return {};
  const providers: Providers = { random: new random.Provider("random", {}) };
  const defaultTags = { tags: standardTags(spec) };
  const primary = new aws.Provider("aws-primary", { region: spec.regions.primary as aws.Region, defaultTags });
  providers.aws = primary;
  providers.awsUsEast1 = spec.regions.primary === "us-east-1" ? primary : new aws.Provider("aws-us-east-1", { region: "us-east-1", defaultTags });
  if (spec.regions.backup) {
    providers.awsBackup = new aws.Provider("aws-backup", { region: spec.regions.backup as aws.Region, defaultTags });
  }
  if (spec.cloudflare) {
    // An explicit provider reads no `cloudflare:*` stack config, and no workflow passes a Cloudflare
    // credential: the token comes from Secrets Manager with the stack's own AWS role (OIDC in CI).
    providers.cloudflare = new cloudflare.Provider("cloudflare", { apiToken: cloudflareApiToken(spec.cloudflare.apiTokenSecret, primary) });
    if (spec.webBuilds.edge && spec.blueprint.edge?.provider === "cloudflare" && spec.cloudflare.r2AccessKeyId)
      providers.r2 = r2Provider(spec.cloudflare, primary);
  }
  return providers;
}
