/**
 * The stack file's part of the spec: the `platform:*` keys of `Pulumi.<stack>.yaml`.
 * Every key is known; anything else in the `platform` namespace is an error (a typo such as
 * `platform:teir` must not pass silently).
 */
import { z } from "zod";
import { parseMirrorSetting } from "../../components/charts";
import { CLOUDFLARE_PLANS } from "../../components/edge/cloudflare/plans";
import { dnsLabel, imageRef } from "../../components/service/spec";
import { isCidr } from "./blueprint";
import { argocdConfig, rolloutOverride } from "./release";
import { alerting, alertingSecrets } from "./alerting";
import { admission, imageRegistry } from "./images";
import { registries, registryPasswords } from "./registries";
import { TIER_NAMES } from "./tiers";
import { signingKeyRotation } from "../../components/secrets/signing";

const cidr = z.string().refine(isCidr, { message: "must be a CIDR such as `203.0.113.7/32`" });
const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: "must be an AWS region such as `us-east-1`" });
const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "must be a lower-case DNS name such as `example.com`" });
/** A mirror setting: `official`, an https:// (or loopback http://) chart repository URL, or a directory path. */
const chartsMirror = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    const m = parseMirrorSetting(v);
    if (m.kind === "invalid") ctx.addIssue({ code: "custom", message: m.message });
  });

const secretId = z.string().regex(/^(arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/, {
  message: "must be an AWS Secrets Manager secret name or ARN such as `platform/prod/cloudflare-api-token`",
});
const cfId = z.string().regex(/^[a-f0-9]{32}$/, { message: "must be a 32-character hex Cloudflare id (dashboard → Overview → API)" });

export const stackConfig = z.strictObject({
  /** Environment tier: decides sizes and safety from the environment matrix. */
  tier: z.enum(TIER_NAMES),
  /** Blueprint file name under blueprints/, without `.yaml`. */
  blueprint: dnsLabel,
  /** Base domain of the stack; hosts are `<label>.<domain>`. */
  domain: hostname,
  regions: z
    .strictObject({
      primary: awsRegion,
      /** Region for cross-region backup copies and replication. */
      backup: awsRegion.optional(),
    })
    .default({ primary: "us-east-1" }),
  /** Override the tier's hosting (e.g. a `dev` stack on Kubernetes). */
  hosting: z.enum(["kubernetes", "singleHost"]).optional(),
  /** Kubernetes target. `existing` uses a kubeconfig (or renders manifests); `eks` builds a cluster. */
  cluster: z
    .strictObject({
      mode: z.enum(["existing", "eks"]).optional(),
      /** Path to a kubeconfig (existing mode). Without it and with `renderDir`, manifests are rendered instead of applied. */
      kubeconfig: z.string().min(1).optional(),
      context: z.string().min(1).optional(),
      /** Render manifests to this directory instead of applying them (no cluster needed). */
      renderDir: z.string().min(1).optional(),
      /** EKS Kubernetes version. */
      version: z
        .string()
        .regex(/^1\.3[56]$/, {
          message:
            "must be an EKS version in standard support: 1.35 or 1.36 (checked 2026-12-02; 1.34 left it that day, 1.31 in November 2025); the embedded control plane the conformance run uses is v1.36",
        })
        .default("1.36"),
      /** CIDRs allowed to reach a public EKS API endpoint. Empty = private endpoint only. */
      publicAccessCidrs: z.array(cidr).default([]),
    })
    .default({ version: "1.36", publicAccessCidrs: [] }),
  /** The droplet beta host (single-host topology). */
  host: z
    .strictObject({
      /**
       * Extra SSH sources (an operator's bastion). Empty by default: the deploy runner reaches the host's
       * private address through its security group, and nothing else needs SSH. Never 0.0.0.0/0.
       */
      sshAllowList: z.array(cidr).default([]),
      sshKeySecret: secretId.optional().meta({
        description:
          "AWS Secrets Manager secret holding the deploy user's OpenSSH private key (the half of `sshPublicKey`). The deploy job loads it into ssh-agent with the stack's deploy role; never a file or a GitHub secret. Default `platform/<stack>/host-deploy-key`.",
        examples: ["platform/dev/host-deploy-key"],
      }),
      /** OpenSSH public key installed for the deploy user. */
      sshPublicKey: z
        .string()
        .regex(/^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/, {
          message: "must be an OpenSSH public key line (`ssh-ed25519 AAAA... user@host`)",
        })
        .optional(),
      instanceType: z
        .string()
        .regex(/^[a-z0-9]+\.[a-z0-9]+$/)
        .default("t3.small"),
    })
    .default({ sshAllowList: [], instanceType: "t3.small" }),
  cloudflare: z
    .strictObject({
      accountId: cfId,
      zoneId: cfId,
      apiTokenSecret: secretId.optional().meta({
        description:
          "AWS Secrets Manager secret (name or ARN, in the primary region) holding the Cloudflare API token the program's Cloudflare provider uses. " +
          "Read with the stack's AWS credentials (the deploy or preview role, by OIDC), so no workflow passes a Cloudflare credential. Default `platform/<stack>/cloudflare-api-token`.",
        examples: ["platform/prod/cloudflare-api-token"],
      }),
      r2AccessKeyId: z
        .string()
        .regex(/^[0-9a-f]{32}$/, { message: "must be the Access Key ID of an R2 API token (32 hex characters; R2 → Manage R2 API tokens)" })
        .optional()
        .meta({
          description:
            "Access Key ID of the R2 API token (Object Read & Write on the edge's bucket) the program uploads `platform:webBuilds.edge` with, through R2's S3 endpoint. Required when the stack uploads an edge build to Cloudflare; its Secret Access Key is the Secrets Manager secret `r2SecretKeySecret`.",
          examples: ["0123456789abcdef0123456789abcdef"],
        }),
      r2SecretKeySecret: secretId.optional().meta({
        description:
          "AWS Secrets Manager secret (name or ARN, in the primary region) holding the Secret Access Key of the R2 API token `r2AccessKeyId` names, read by the program with the stack's AWS role like the API token. Default `platform/<stack>/r2-secret-access-key`.",
        examples: ["platform/prod/r2-secret-access-key"],
      }),
      plan: z
        .enum(CLOUDFLARE_PLANS)
        .optional()
        .meta({
          description:
            "The zone's Cloudflare plan (dashboard → the zone → Overview → Plan). Default `free`. The edge's WAF managed rules and its host rate limit need `pro` or above; " +
            "the rate limit counts over 60 s on Pro and up to 600 s on Business/Enterprise. Stacks sharing a zone must name the same plan (npm run preflight).",
          examples: ["pro"],
        }),
    })
    .optional(),
  /** Where this stack's `pulumi up` runs: the in-VPC deploy runner (components/delivery). */
  delivery: z
    .strictObject({
      repository: z
        .string()
        .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { message: "must be `owner/name` of the GitHub repository whose deploy workflow runs this stack" })
        .meta({
          description: "GitHub repository (`owner/name`) whose `deploy` workflow jobs run on this stack's CodeBuild-hosted runner.",
          examples: ["acme/platform"],
        }),
      connectionArn: z
        .string()
        .regex(/^arn:aws:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/, {
          message: "must be the ARN of an AWS CodeConnections connection to GitHub (console → Developer Tools → Connections; approve it once)",
        })
        .meta({ description: "AWS CodeConnections connection to GitHub that the CodeBuild runner project uses to register with the repository." }),
      previewRoleArn: z
        .string()
        .regex(/^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
          message:
            "must be the ARN of the read-only IAM role the preview and drift workflows assume (the GitHub variable AWS_PREVIEW_ROLE_ARN), e.g. arn:aws:iam::123456789012:role/platform-preview",
        })
        .optional()
        .meta({
          description:
            "The read-only IAM role the preview and drift workflows assume (the repository variable AWS_PREVIEW_ROLE_ARN). On EKS the cluster gives it a read-only access entry (AmazonEKSAdminViewPolicy); `npm run preflight` requires it on EKS stacks.",
          examples: ["arn:aws:iam::123456789012:role/platform-preview"],
        }),
    })
    .optional()
    .meta({
      description:
        "The deploy path of a cloud stack: its workflow job runs on a CodeBuild-hosted GitHub Actions runner inside the stack's VPC, the only place that reaches the private EKS endpoint and the host's SSH. Required outside the local tier.",
    }),
  /** The account's regional AWS quotas this stack counts on, when raised above AWS's defaults (`npm run preflight` adds up every stack in the account). */
  quotas: z
    .strictObject({
      elasticIps: z
        .int()
        .min(5)
        .max(10000)
        .optional()
        .meta({
          description:
            "The raised 'EC2-VPC Elastic IPs' quota (Service Quotas code L-0263D0A3) of the stack's account in its primary region. Default 5. Set it only after AWS granted the increase: preflight then allows the stacks of that account and region this many Elastic IPs together.",
          examples: [10],
        }),
      natGatewaysPerAz: z
        .int()
        .min(5)
        .max(10000)
        .optional()
        .meta({ description: "The raised 'NAT gateways per Availability Zone' quota (L-FE5A380F). Default 5." }),
      vpcs: z.int().min(5).max(10000).optional().meta({ description: "The raised 'VPCs per Region' quota (L-F678F1CE). Default 5." }),
    })
    .optional()
    .meta({
      description:
        "Regional AWS quotas of the stack's account raised above the defaults (Service Quotas). Checked by `npm run preflight`, which adds up every stack file in the same account and region.",
    }),
  /** Argo CD on GitOps tiers: OIDC single sign-on (`platform:argocd.sso`; the client secret with `--secret`). */
  argocd: argocdConfig.optional(),
  /** Route 53 hosted zone of `domain` (CloudFront edges: alias records and certificate validation). */
  route53ZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,31}$/, { message: "must be a Route 53 hosted zone id such as `Z0123456789ABCDEFGHIJ`" })
    .optional(),
  /** The name of the DNS zone `cloudflare.zoneId` / `route53ZoneId` identifies (`npm run preflight` checks every public host is under it). */
  dnsZone: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "must be the zone's DNS name in lower case, such as `example.com`" })
    .optional()
    .meta({
      description:
        "The DNS name of the zone that platform:cloudflare.zoneId or platform:route53ZoneId identifies (the ids do not say which domain they are). `npm run preflight` checks that every public host the stack serves is this zone or under it, and that stacks on one zone id name one zone and never serve the same host.",
      examples: ["example.com"],
    }),
  certificates: z
    .strictObject({
      /** ACME account e-mail for Let's Encrypt. */
      email: z.email({ message: "must be an e-mail address for the ACME account" }),
      /** Use a corporate CA (a cert-manager CA issuer from this Kubernetes Secret) instead of Let's Encrypt. */
      corporateCaSecret: dnsLabel.optional(),
    })
    .optional(),
  /** Where the Helm charts of every release come from (components/charts.ts pins name and version). */
  charts: z
    .strictObject({
      mirror: chartsMirror.optional().meta({
        description:
          "Where every Helm release takes its chart from. Default `official`: each chart's own repository (components/charts.ts). " +
          "Or an `https://` chart repository URL that mirrors them (plain `http://` only on 127.0.0.1/localhost), " +
          "or a directory holding a chart repository (index.yaml + archives; absolute, or relative to the project directory), " +
          "which must list every pinned chart version. When this key is absent, the environment variable PLATFORM_CHARTS_MIRROR supplies it.",
        default: "official",
        examples: ["official", "https://charts.example.com/helm", "../shared/charts"],
      }),
    })
    .default({})
    .meta({ description: "Helm chart sources. The chart versions are pinned in components/charts.ts, not here." }),
  webBuilds: z
    .strictObject({
      edge: z
        .string()
        .min(1)
        .optional()
        .meta({
          description:
            "The local directory of the edge site's build (the blueprint's `edge`), made by the deploy job before `pulumi up`: uploaded to the site's bucket (R2 or S3), each object with the rule table's Content-Type and Cache-Control, and the CSP hashes of its HTML documents' inline scripts added to the edge's script-src. " +
            "A static site's build must hold the index document (Nuxt's .output/public, Vite's dist); with `edge.origin` it is only what the bucket serves (Next.js's .next/static copied to _next/static).",
          examples: ["web/.output/public", "/builds/web/dist"],
        }),
      services: z
        .record(dnsLabel, z.string().min(1))
        .default({})
        .meta({
          description:
            "Per public service with `servesWebApp: true` (its image serves the web app): the local directory of the build that image serves, at deploy time (the job that built the image has it). The CSP hashes of its HTML documents' inline scripts are added to script-src wherever the service runs: the single host's Caddy and the Kubernetes Ingress headers. It must hold an HTML document.",
          examples: [{ api: "web/dist" }],
        }),
    })
    .optional()
    .meta({
      description:
        "Where the web app's builds are on the machine that runs `pulumi up` (paths absolute, or relative to the project directory), so the CSP allows exactly their inline scripts by hash and never needs 'unsafe-inline' (a Nuxt build's window.__NUXT__ script is blocked without them). " +
        "`edge`: the edge site's build (uploaded and hashed); `services.<name>`: the build a servesWebApp service's image serves (hashed). Checked before anything is registered: the directory exists and holds an HTML document, and the service serves the web app.",
      examples: [{ edge: "web/.output/public" }, { services: { api: "web/dist" } }],
    }),
  signingKeys: z
    .record(z.string().regex(/^[a-z][-a-z0-9]*$/, { message: "must name a generated signing key of the blueprint, such as `relayer-key`" }), signingKeyRotation)
    .default({})
    .meta({
      description:
        "Two-phase rotation of the blueprint's signing keys (generated secrets with a `signer`), by key name: `current` (the key that signs; default `1`), " +
        "`next` (phase 1, issue: a new key beside the current one, handed to the services as <ENV>_NEXT while the current key keeps signing), " +
        "`retiring` (phase 2, promote: the previous key, kept and handed out as <ENV>_RETIRING while the new current key signs; remove it to retire the key). " +
        "Each `pulumi up` moves one step; a step that skips a phase or retires the only key is refused.",
      examples: [
        { "relayer-key": { current: "2026-12" } },
        { "relayer-key": { current: "2026-12", next: "2027-01" } },
        { "relayer-key": { current: "2027-01", retiring: "2026-12" } },
      ],
    }),
  /** Human-provided secrets, set with `pulumi config set --secret --path platform:secrets.<name>`. */
  secrets: z.record(z.string().regex(/^[a-z][a-zA-Z0-9]*$/), z.string()).default({}),
  /** Where alerts go (Alertmanager e-mail receiver). */
  alertEmail: z.email().optional(),
  alerting: alerting.optional().meta({
    description:
      "Where alerts go: receivers (Slack, PagerDuty, e-mail, webhook) and which severities each gets. Required on staging and prod. " +
      "Each receiver's secret goes in `platform:alertingSecrets.<name>`, set with `pulumi config set --secret`.",
  }),
  alertingSecrets: alertingSecrets.default({}).meta({
    description:
      "One secret per alert receiver, by receiver name: the Slack incoming-webhook URL, the PagerDuty routing key, the SMTP password or the webhook URL. " +
      "Set each with `pulumi config set --secret --path platform:alertingSecrets.<name> <value>`; never in plain text.",
  }),
  registries: registries.default([]).meta({
    description:
      "Private container registries the stack pulls images from: `name` (camelCase), `host` as in image references (`ghcr.io`, `registry.example.com:5000`) and `username`. " +
      "Each one's password or token goes in `platform:registryPasswords.<name>` (`pulumi config set --secret`). Kubernetes pods get a kubernetes.io/dockerconfigjson Secret and imagePullSecrets; the single host's Docker provider gets registryAuth.",
    examples: [[{ name: "ghcr", host: "ghcr.io", username: "acme-deploy" }]],
  }),
  registryPasswords: registryPasswords.default({}).meta({
    description:
      "One password or token per registry, by registry name. Set each with `pulumi config set --secret --path platform:registryPasswords.<name> <token>`; never in plain text.",
  }),
  imageRegistry: imageRegistry.optional().meta({
    description:
      "The platform's own image registry (AWS tiers): `kind: ecr`, the stack's `accountId` and optionally `pushRoleName`, the IAM role (path /) that release.yml's build-ecr job assumes by GitHub OIDC as arn:aws:iam::<accountId>:role/<pushRoleName> to push the services' commit-SHA images (it gets push-only rights on these repositories; required on a GitOps tier, where the release pushes; it must exist before the first deploy: `npm run preflight` prints its create-role command). " +
      "One ECR repository per service (`<blueprint>/<stack>/<service>`), scan on push, immutable tags, KMS-encrypted, images expire 90 days after their push in prod and 30 days elsewhere; every service then runs `<account>.dkr.ecr.<region>.amazonaws.com/<blueprint>/<stack>/<service>:<tag>` with the tag the blueprint or its override names.",
    examples: [{ kind: "ecr", accountId: "123456789012", pushRoleName: "github-release" }],
  }),
  admission: admission.optional().meta({
    description:
      "Image admission on a Kubernetes tier other than local: Kyverno (pinned chart) with a ClusterPolicy that admits Pods in the services' namespaces only with images from `allowedRegistries` (host or host/path; default: the registries the services' images come from), " +
      "and, with `signatures.cosignPublicKey` (cosign.pub), one that admits only images signed with that key (`signedRegistries`, default every allowed registry).",
    examples: [{ allowedRegistries: ["ghcr.io/acme"] }],
  }),
  /** The few fields a stack may override on its blueprint. */
  overrides: z
    .strictObject({
      services: z
        .record(
          dnsLabel,
          z.strictObject({
            image: imageRef.optional(),
            replicas: z
              .strictObject({ min: z.int().min(1).max(100), max: z.int().min(1).max(500) })
              .refine((r) => r.max >= r.min, { message: "replicas.max must be ≥ replicas.min" })
              .optional(),
            rollout: rolloutOverride.optional(),
          }),
        )
        .default({}),
    })
    .default({ services: {} }),
});

export type StackConfig = z.infer<typeof stackConfig>;
export type StackConfigInput = z.input<typeof stackConfig>;
