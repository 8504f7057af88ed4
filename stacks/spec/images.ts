/**
 * Where the services' images come from and what the cluster admits (pure):
 *
 *   platform:imageRegistry:            # AWS tiers: the platform's own ECR registry (components/registry)
 *     kind: ecr
 *     accountId: "123456789012"        # the stack's account: image references are known before deploy
 *     pushRoleName: github-release     # the CI role release.yml's build-ecr job assumes by OIDC
 *                                      # (components/delivery/release-role.ts); gets a push-only policy
 *   platform:admission:                # Kubernetes tiers but local: Kyverno + ClusterPolicies
 *     allowedRegistries: [ghcr.io/acme]   # default: the registries the services' images come from
 *     signatures:
 *       cosignPublicKey: |             # cosign.pub; Pods' images must carry a signature by its key
 *         -----BEGIN PUBLIC KEY-----
 *         ...
 *
 * With an ECR registry every service's image is `<account>.dkr.ecr.<region>.amazonaws.com/
 * <blueprint>/<stack>/<service>` with the tag (or digest) the blueprint or its override names.
 */
import { z } from "zod";
import { ALLOWED_REGISTRY, imageAllowed } from "../../components/cluster/admission";
import { ecrHost, repositoryName } from "../../components/registry/plan";
import { TIERS, type TierName } from "./tiers";

export const imageRegistry = z.strictObject({
  kind: z.literal("ecr", { message: "the one kind of platform registry is `ecr` (Amazon ECR in the stack's account and primary region)" }),
  accountId: z.string().regex(/^\d{12}$/, { message: 'the stack\'s 12-digit AWS account id, quoted ("123456789012")' }),
  pushRoleName: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, { message: "the IAM role name (not its ARN) the CI release job pushes images with" })
    .optional(),
});
export type ImageRegistryConfig = z.infer<typeof imageRegistry>;

const allowedRegistry = z
  .string()
  .regex(ALLOWED_REGISTRY, { message: "a registry host or host/path such as `ghcr.io/acme` (no scheme, no tag, no wildcard, no trailing slash)" });

export const admission = z.strictObject({
  allowedRegistries: z.array(allowedRegistry).min(1).optional(),
  signatures: z
    .strictObject({
      cosignPublicKey: z.string().regex(/^\s*-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----\s*$/, {
        message: "the PEM public key `cosign generate-key-pair` writes to cosign.pub (-----BEGIN PUBLIC KEY----- …)",
      }),
      signedRegistries: z.array(allowedRegistry).min(1).optional(),
    })
    .optional(),
});
export type AdmissionConfig = z.infer<typeof admission>;

type Issue = { path: (string | number)[]; message: string };

/** `ghcr.io/acme/api:1.0.0@sha256:…` → { repository: ghcr.io/acme/api, tag: 1.0.0, digest: sha256:… }. */
export function splitImage(image: string): { repository: string; tag?: string; digest?: string } {
  const [ref, digest] = image.split("@") as [string, string | undefined];
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  const hasTag = colon > slash;
  return { repository: hasTag ? ref.slice(0, colon) : ref, ...(hasTag ? { tag: ref.slice(colon + 1) } : {}), ...(digest ? { digest } : {}) };
}

/** The image of a service in the platform's ECR registry: that service's repository, the tag/digest of `image`. */
export function ecrImage(o: { accountId: string; region: string; blueprint: string; stack: string; service: string; image: string }): string {
  const p = splitImage(o.image);
  const repo = `${ecrHost(o.accountId, o.region)}/${repositoryName(o.blueprint, o.stack, o.service)}`;
  return `${repo}${p.tag ? `:${p.tag}` : ""}${p.digest ? `@${p.digest}` : ""}`;
}

/** The registry entry an image implies by default: its repository without the last segment (`ghcr.io/acme/api` → `ghcr.io/acme`). */
export function defaultRegistryOf(image: string): string {
  const repo = splitImage(image).repository;
  const i = repo.lastIndexOf("/");
  return i > 0 ? repo.slice(0, i) : repo;
}

/** Problems with platform:imageRegistry / platform:admission, against the resolved images (before any resource exists). */
export function imageIssues(c: {
  tier: TierName;
  hosting: "kubernetes" | "singleHost";
  imageRegistry?: ImageRegistryConfig;
  admission?: AdmissionConfig;
  registries: { name: string; host: string }[];
  /** Service → image as the blueprint or override names it (before the ECR rewrite). */
  images: Record<string, { image: string; overridden: boolean; blueprintImage: string }>;
  /** The platform's ECR registry host and each service's repository there (with platform:imageRegistry). */
  ecr?: { host: string; repositoryOf: (service: string) => string };
  /** Service → image after the ECR rewrite. */
  resolved: Record<string, string>;
}): Issue[] {
  const out: Issue[] = [];
  if (c.imageRegistry) {
    if (!TIERS[c.tier].cloudAccount)
      out.push({ path: ["config", "imageRegistry"], message: `the ${c.tier} tier has no AWS account: remove platform:imageRegistry (ECR) from this stack` });
    const ecr = c.ecr?.host ?? "";
    c.registries.forEach((r, i) => {
      if (r.host === ecr)
        out.push({
          path: ["config", "registries", i, "host"],
          message: `${r.host} is the platform's ECR registry (platform:imageRegistry): nodes pull from it with their IAM role, and ECR tokens expire after 12 hours, so a static pull secret would break; remove this entry`,
        });
    });
    for (const [svc, { image, overridden, blueprintImage }] of Object.entries(c.images)) {
      const p = splitImage(image);
      if (!p.tag && !p.digest)
        out.push({
          path: overridden ? ["config", "overrides", "services", svc, "image"] : ["config", "imageRegistry"],
          message: `service '${svc}': image ${image} has no tag; ECR tags here are immutable: name the version (the commit SHA the release pushes)`,
        });
      if (overridden && c.ecr && p.repository !== c.ecr.repositoryOf(svc) && p.repository !== splitImage(blueprintImage).repository) {
        out.push({
          path: ["config", "overrides", "services", svc, "image"],
          message: `service '${svc}' runs from its own repository ${c.ecr.repositoryOf(svc)}: set the override to ${c.ecr.repositoryOf(svc)}:<tag> (or just a different tag)`,
        });
      }
    }
  }
  if (c.admission) {
    if (c.hosting !== "kubernetes")
      out.push({
        path: ["config", "admission"],
        message: "admission policies run in a Kubernetes cluster; this stack runs on the single host: remove platform:admission",
      });
    else if (TIERS[c.tier].clusterAddons !== "all")
      out.push({
        path: ["config", "admission"],
        message: `the ${c.tier} tier installs no Helm charts (nothing may be fetched): remove platform:admission from this stack`,
      });
    const allowed = admittedRegistries(c.admission, c.resolved);
    for (const [svc, image] of Object.entries(c.resolved)) {
      if (!imageAllowed(image, allowed))
        out.push({
          path: ["config", "admission", "allowedRegistries"],
          message: `service '${svc}' runs ${image}, which no allowed registry covers (${allowed.join(", ")}): add ${defaultRegistryOf(image)} or change the image`,
        });
    }
    (c.admission.signatures?.signedRegistries ?? []).forEach((s, i) => {
      if (!allowed.includes(s))
        out.push({
          path: ["config", "admission", "signatures", "signedRegistries", i],
          message: `'${s}' is not an allowed registry (${allowed.join(", ")}): add it to platform:admission.allowedRegistries or remove it here`,
        });
    });
  }
  return out;
}

/** The allowed registries: the stack's list, else the registry of every service image. */
export function admittedRegistries(a: AdmissionConfig, images: Record<string, string>): string[] {
  return [...new Set(a.allowedRegistries ?? Object.values(images).map(defaultRegistryOf))].sort();
}

/** Each service's image as named (blueprint or override) and as run (after the ECR rewrite). */
export function serviceImages(o: {
  stack: string;
  blueprint: { name: string; services: { name: string; image: string }[] };
  region: string;
  imageRegistry?: ImageRegistryConfig;
  overrides: Record<string, { image?: string | undefined } | undefined>;
}): {
  named: Record<string, { image: string; overridden: boolean; blueprintImage: string }>;
  resolved: Record<string, string>;
  ecr?: { host: string; repositoryOf: (service: string) => string };
} {
  const named: Record<string, { image: string; overridden: boolean; blueprintImage: string }> = {};
  const resolved: Record<string, string> = {};
  const r = o.imageRegistry;
  for (const svc of o.blueprint.services) {
    const ov = o.overrides[svc.name]?.image;
    const image = ov ?? svc.image;
    named[svc.name] = { image, overridden: ov !== undefined, blueprintImage: svc.image };
    resolved[svc.name] = r
      ? ecrImage({ accountId: r.accountId, region: o.region, blueprint: o.blueprint.name, stack: o.stack, service: svc.name, image })
      : image;
  }
  return {
    named,
    resolved,
    ...(r
      ? {
          ecr: {
            host: ecrHost(r.accountId, o.region),
            repositoryOf: (s: string) => `${ecrHost(r.accountId, o.region)}/${repositoryName(o.blueprint.name, o.stack, s)}`,
          },
        }
      : {}),
  };
}
