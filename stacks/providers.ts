/**
 * One provider per target, created once here and passed down explicitly. No component relies
 * on ambient default providers (the harness fails any resource that does).
 *
 * Credentials never come from this program's config: AWS from the standard credential chain
 * (OIDC role in CI), Cloudflare from CLOUDFLARE_API_TOKEN in the environment.
 */
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as random from "@pulumi/random";
import type { Providers } from "./context";
import type { PlatformSpec } from "./spec/platform";

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
  // The local tier: no cloud account and no provider plugin beyond Kubernetes (nothing fetched).
  if (spec.tier === "local") return {};
  const providers: Providers = { random: new random.Provider("random", {}) };
  const defaultTags = { tags: standardTags(spec) };
  const primary = new aws.Provider("aws-primary", { region: spec.regions.primary as aws.Region, defaultTags });
  providers.aws = primary;
  providers.awsUsEast1 =
    spec.regions.primary === "us-east-1" ? primary : new aws.Provider("aws-us-east-1", { region: "us-east-1", defaultTags });
  if (spec.regions.backup) {
    providers.awsBackup = new aws.Provider("aws-backup", { region: spec.regions.backup as aws.Region, defaultTags });
  }
  if (spec.blueprint.edge?.provider === "cloudflare" && spec.cloudflare) {
    providers.cloudflare = new cloudflare.Provider("cloudflare", {});
  }
  return providers;
}
