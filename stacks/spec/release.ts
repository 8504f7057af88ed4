/**
 * How releases reach a stack: the blueprint's `delivery` (push or GitOps) and each service's
 * per-stack rollout knobs (`platform:overrides.services.<name>.rollout`), with the rules that
 * tie them to the tier. Pure. The rules across a whole blueprint and stack config
 * (`releaseIssues`) are in ./release-rules.ts, which imports both; this file holds the schemas
 * blueprint.ts and stack-config.ts import, so it imports neither.
 *
 *  - push (default): `pulumi up` registers every service's objects.
 *  - gitops: on the tiers listed in `delivery.branches` (staging, prod) Pulumi installs Argo CD, an
 *    AppProject and one Application per environment; the services' objects live in the deploy
 *    repository (`npm run gitops` generates its chart from the same Service planner). Local and
 *    dev stay push (no Git server needed for the inner loop).
 *  - progressive controller: Argo Rollouts on staging and prod for blueGreen/canary services; the
 *    two-Deployment mechanism on local and dev (components/service/plan.ts).
 */
import { z } from "zod";
import { imageRef } from "../../components/service/spec";
import { TIERS, TIER_NAMES, type ProgressiveController, type TierName, type TierProfile } from "./tiers";

const branch = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/, { message: "must be a Git branch name such as `main` or `develop`" });
/** The blueprint's `delivery.branches`: one optional branch per tier that has a GitOps environment. */
const branchesSpec = z.strictObject({ staging: branch.optional(), prod: branch.optional() });

/** A tier a blueprint's `delivery.branches` can name. */
export type GitopsTier = keyof z.infer<typeof branchesSpec>;
const GITOPS_TIERS = TIER_NAMES.filter((t): t is GitopsTier => TIERS[t].gitopsEnvironment !== null);
for (const t of GITOPS_TIERS) {
  if (!(t in branchesSpec.shape))
    throw new Error(
      `stacks/spec/tiers.ts: tier '${t}' has a gitopsEnvironment, but a blueprint's delivery.branches has no '${t}' key: add it to branchesSpec in stacks/spec/release.ts`,
    );
}
/** Argo CD environment name per GitOps tier (the deploy repository's `values-<environment>.yaml`), from the tier table's gitopsEnvironment. */
type GitopsEnvironment = NonNullable<TierProfile["gitopsEnvironment"]>;
export const GITOPS_ENVIRONMENTS: Readonly<Record<GitopsTier, GitopsEnvironment>> = Object.fromEntries(
  GITOPS_TIERS.map((t) => [t, TIERS[t].gitopsEnvironment!]),
) as Record<GitopsTier, GitopsEnvironment>;

export const deliverySpec = z
  .strictObject({
    mode: z.enum(["push", "gitops"]).default("push").meta({
      description:
        "`push`: `pulumi up` deploys the services. `gitops`: Argo CD syncs them from the deploy repository on the tiers in `branches`; Pulumi keeps the platform.",
    }),
    repoURL: z
      .string()
      .regex(/^(https:\/\/[^\s@]+|git@[\w.-]+:[\w./-]+)$/, {
        message: "must be the deploy repository's https:// (or git@host:path) clone URL, without credentials",
      })
      .optional()
      .meta({ description: "The deploy repository Argo CD reads.", examples: ["https://github.com/normaldance/deploy.git"] }),
    path: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { message: "must be a relative path inside the deploy repository, such as `charts/normaldance`" })
      .refine((p) => !p.split("/").includes(".."), { message: "must not leave the repository (`..`)" })
      .default("charts/app")
      .meta({ description: "Directory of the Helm chart in the deploy repository." }),
    branches: branchesSpec
      .default({ staging: "develop", prod: "main" })
      .meta({ description: "Branch each GitOps tier follows: merge to `develop` deploys staging, merge to `main` deploys production." }),
  })
  .meta({ description: "How the services are released: pushed by Pulumi, or synced by Argo CD from a deploy repository." });
export type DeliverySpec = z.infer<typeof deliverySpec>;

const idpGroup = z
  .string()
  .regex(/^[^\s,]{1,256}$/, { message: "must be an identity-provider group name without spaces or commas (it goes into Argo CD's RBAC CSV)" });

/**
 * Argo CD single sign-on (`platform:argocd.sso`), on the tiers where Argo CD runs (GitOps tiers):
 *
 *   platform:argocd:
 *     sso:
 *       issuer: https://login.example.com/realms/platform
 *       clientId: argocd
 *       deployerGroups: [music-deployers]
 *   pulumi config set --secret --path platform:argocd.sso.clientSecret <client secret>   # confidential clients only
 *
 * Without `sso` the local admin account stays on for bootstrap; with it the admin account is off.
 */
export const argocdConfig = z
  .strictObject({
    sso: z
      .strictObject({
        issuer: z
          .string()
          .regex(/^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[^\s?#]*)?$/, {
            message:
              "must be the OIDC issuer's https:// URL without query or fragment, e.g. https://login.example.com/realms/platform (Argo CD reads <issuer>/.well-known/openid-configuration)",
          })
          .meta({
            description: "OIDC issuer URL (https). Argo CD discovers the provider at `<issuer>/.well-known/openid-configuration`.",
            examples: ["https://login.example.com/realms/platform"],
          }),
        clientId: z
          .string()
          .regex(/^[A-Za-z0-9._:@-]{1,256}$/, { message: "must be the client id registered at the identity provider (letters, digits, . _ : @ -)" })
          .meta({ description: "Client id of Argo CD at the identity provider (redirect URI `https://argocd.<domain>/auth/callback`).", examples: ["argocd"] }),
        clientSecret: z
          .string()
          .min(
            1,
            "an empty client secret: set it with `pulumi config set --secret --path platform:argocd.sso.clientSecret <value>`, or remove the key for a public client (PKCE)",
          )
          .optional()
          .meta({
            description:
              "Client secret, for identity providers that require a confidential client. Always `pulumi config set --secret --path platform:argocd.sso.clientSecret <value>`. " +
              "It goes into its own Kubernetes Secret (`argocd-oidc`), never into the chart's values. Absent: a public client with PKCE.",
          }),
        adminGroups: z.array(idpGroup).optional().meta({ description: "IdP groups with Argo CD's admin role. Default `[platform-admins]`." }),
        deployerGroups: z
          .array(idpGroup)
          .optional()
          .meta({ description: "IdP groups that may sync and promote/abort rollouts of this blueprint's applications. Default `[<blueprint>-deployers]`." }),
        viewerGroups: z
          .array(idpGroup)
          .optional()
          .meta({ description: "IdP groups with read-only access to this blueprint's applications. Default `[<blueprint>-viewers]`." }),
      })
      .optional()
      .meta({ description: "Single sign-on of Argo CD (OIDC). Without it the local admin account stays on for bootstrap." }),
  })
  .meta({ description: "Argo CD on GitOps tiers (the blueprint's `delivery.mode: gitops`): single sign-on." });
export type ArgocdConfig = z.infer<typeof argocdConfig>;

/**
 * The per-release knobs of a blueGreen/canary service, set in the stack file (and so in Git):
 * `pulumi config set --path platform:overrides.services.web.rollout.weight 25`.
 */
export const rolloutOverride = z
  .strictObject({
    canaryImage: imageRef
      .optional()
      .meta({ description: "Local/dev (two Deployments): image of the canary track. On staging/prod Argo Rollouts runs the release: set `image` instead." }),
    previewImage: imageRef
      .optional()
      .meta({ description: "Local/dev (two Deployments): image of the idle blue-green colour. On staging/prod set `image` instead." }),
    activeColor: z.enum(["blue", "green"]).optional().meta({ description: "Local/dev blue-green: the colour the Service routes to (flip it to cut over)." }),
    weight: z.int().min(0, { message: "weight is a traffic percentage 0-100" }).max(100, { message: "weight is a traffic percentage 0-100" }).optional().meta({
      description:
        "Canary traffic percentage. Local/dev: the canary Ingress weight. Staging/prod (Argo Rollouts): hold the canary at this percentage until `promote`.",
    }),
    promote: z
      .boolean()
      .optional()
      .meta({ description: "Staging/prod: let the release go to 100 % (canary: no hold; blue-green: cut over without waiting for a manual promotion)." }),
    abort: z.boolean().optional().meta({
      description:
        "Staging/prod: stop the release under test: the canary gets 0 % of traffic, a blue-green preview is not promoted. Roll back for good by reverting the image.",
    }),
  })
  .meta({ description: "Rollout knobs of a blueGreen/canary service for this stack; the steps and the analysis are the blueprint's `services[].rollout`." });
export type RolloutOverride = z.infer<typeof rolloutOverride>;

/** The tier runs GitOps: the blueprint asks for it and names a branch for the tier. */
export function gitopsTier(bp: { readonly delivery?: DeliverySpec | undefined }, tier: TierName): tier is GitopsTier {
  const d = bp.delivery;
  return !!d && d.mode === "gitops" && TIERS[tier].gitopsEnvironment !== null && !!d.branches[tier as GitopsTier];
}

/** What Service args the knobs become (components/service/args.ts `rollout`). */
export function serviceRolloutArgs(knobs: RolloutOverride | undefined, controller: ProgressiveController, prometheusUrl?: string) {
  const k = knobs ?? {};
  return {
    controller,
    ...(k.activeColor ? { activeColor: k.activeColor } : {}),
    ...(k.previewImage ? { previewImage: k.previewImage } : {}),
    ...(k.canaryImage ? { canaryImage: k.canaryImage } : {}),
    ...(controller === "deployments" && k.weight !== undefined ? { canaryWeight: k.weight } : {}),
    ...(controller === "argo-rollouts" && k.weight !== undefined ? { holdAt: k.weight } : {}),
    promote: k.promote ?? false,
    abort: k.abort ?? false,
    ...(prometheusUrl ? { prometheusUrl } : {}),
  };
}
