/**
 * Args of the single-host components, as strict zod schemas (unknown keys are errors).
 *
 *   BetaHostArgs  the VM: network placement, SSH allow-list and key, size, backups, firewall.
 *   HostAppArgs   what runs on it (through a docker.Provider over SSH): services from the
 *                 ServiceSpec, PostgreSQL/Redis containers, Caddy and its TLS.
 *
 * Secure by default: SSH is never open to the world, the root volume is always encrypted,
 * IMDSv2 is always required, data containers never publish ports; none of it can be turned off.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { headerPolicySchema } from "../edge/args";
import { dnsLabel, imageRef, serviceSpec } from "../service/spec";
import { VERSION_PINS } from "../charts";

/** The host's pinned images (components/charts.ts VERSION_PINS: one row per image, shared with the data stores). */
const PINNED_HOST_IMAGES = {
  caddy: VERSION_PINS.caddy.value,
  postgres: { "15": VERSION_PINS.postgres15.value, "16": VERSION_PINS.postgres16.value, "17": VERSION_PINS.postgres17.value },
  redis: VERSION_PINS.redis.value,
};

/** A non-empty string or an Output/Promise of one (ids from other components). */
export const inputString = z.custom<pulumi.Input<string>>((v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v) || v instanceof Promise), {
  message: "expected a non-empty string or a pulumi Output<string>",
});

const cidr = z
  .string()
  .regex(/^((25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)|[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|\d?\d))$/, {
    message: "must be an IPv4 or IPv6 CIDR such as `203.0.113.7/32`",
  })
  .refine((c) => c !== "0.0.0.0/0" && c !== "::/0", { message: "SSH must never be open to the whole internet: list your bastion or office CIDRs" });

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "a lower-case DNS name such as `example.com`" });

export const betaHostArgsSchema = z
  .strictObject({
    /** VPC and a PUBLIC subnet of it (the host gets a public address at launch; no Elastic IP). */
    vpcId: inputString,
    subnetId: inputString,
    /** Extra security groups to attach (e.g. the stack's app-tier group that managed data stores admit). */
    extraSecurityGroupIds: z.array(inputString).default([]),
    /**
     * Security group of the deploy runner inside the VPC (components/delivery): the one SSH client the
     * program needs (Docker over SSH and the readiness check go to the host's private address).
     */
    deployRunnerSecurityGroupId: inputString.optional(),
    /** Extra SSH sources (an operator's bastion), by CIDR; never 0.0.0.0/0 or ::/0. Empty by default. */
    sshAllowList: z.array(cidr).default([]),
    /** OpenSSH public key of the deploy user. */
    sshPublicKey: z.string().regex(/^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+( [^\n]*)?$/, {
      message: "one OpenSSH public key line (`ssh-ed25519 AAAA... deploy@laptop`)",
    }),
    deployUser: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,30}$/)
      .refine((u) => u !== "root", { message: "the deploy user must not be root" })
      .default("deploy"),
    instanceType: z
      .string()
      .regex(/^[a-z0-9]+\.[a-z0-9]+$/, { message: "an EC2 instance type such as `t3.small`" })
      .default("t3.small"),
    rootVolumeGb: z.int().min(20).max(2000).default(30),
    /** Customer-managed KMS key for the root volume and the backup bucket; absent = AWS-managed keys. */
    kmsKeyArn: inputString.optional(),
    /** Daily pg_dump to S3 and how long dumps are kept (the bucket's lifecycle rule). Absent = no backups. */
    backup: z
      .strictObject({
        retentionDays: z.int().min(1).max(3650),
        /** systemd OnCalendar expression (UTC). */
        onCalendar: z.string().min(1).default("*-*-* 03:00:00 UTC"),
      })
      .optional(),
    /** Per-source-IP new-connection limit on 80/443 (stands in for per-route rate limits, see proxy.ts). */
    connectionLimit: z.strictObject({ perSecond: z.int().min(1).max(100_000), burst: z.int().min(1).max(1_000_000) }).default({ perSecond: 50, burst: 100 }),
    /** Extra egress beyond 80/443 (the blueprint's external networks). */
    egress: z
      .array(
        z.strictObject({
          name: dnsLabel,
          cidrs: z.array(z.string().min(1)).min(1),
          ports: z.array(z.int().min(1).max(65535)).min(1),
          protocol: z.enum(["TCP", "UDP"]).default("TCP"),
        }),
      )
      .default([]),
    /** Pulumi `protect` + termination protection on the VM and backup bucket (prod-like stacks). */
    protect: z.boolean().default(true),
  })
  .refine((a) => a.deployRunnerSecurityGroupId !== undefined || a.sshAllowList.length > 0, {
    path: ["deployRunnerSecurityGroupId"],
    message: "nothing could reach the host's SSH: give the deploy runner's security group (deployRunnerSecurityGroupId), or an operator CIDR in sshAllowList",
  });

const storeName = z.string().regex(/^[a-z][-a-z0-9]{0,30}$/);

export const hostAppArgsSchema = z.strictObject({
  /** The blueprint's services (the same objects the Kubernetes workloads are built from). */
  services: z.array(serviceSpec).min(1),
  /** Replicas per service on this host (default 1). */
  replicas: z.record(dnsLabel, z.int().min(1).max(10)).default({}),
  /** Image per service (stack overrides), default the spec's image. */
  images: z.record(dnsLabel, imageRef).default({}),
  /** Stack domain; route hosts are labels under it. */
  domain: hostname,
  /** The web app's origin (`https://app.example.com`), what `cors.allowedOrigins: [self]` means. */
  appOrigin: z.url({ protocol: /^https$/ }).optional(),
  /**
   * Serve a built SPA from a host directory (deployed there by rsync/CI) at `host`. `build`: the
   * local directory of that same build at deploy time; the CSP hashes of its inline scripts are
   * added to script-src (components/host/proxy.ts webAppPolicy), so the CSP needs no 'unsafe-inline'.
   */
  webApp: z
    .strictObject({
      host: z.union([z.literal("@"), dnsLabel]),
      hostDir: z.string().regex(/^\/[\w./-]+$/, { message: "an absolute host path" }),
      build: z.string().min(1).optional(),
    })
    .optional(),
  /**
   * Per service that serves the web app itself behind the proxy (`servesWebApp`, e.g. Axum with
   * ServeDir): the local directory of the build its image serves, at deploy time. The CSP hashes of
   * its inline scripts are computed from it and added to script-src (components/host/proxy.ts
   * webAppPolicy); a build without an HTML document is refused. Without it (and without
   * headerPolicy.scriptHashes) the CSP allows no inline script and HostApp warns.
   */
  appBuilds: z.record(dnsLabel, z.string().min(1)).default({}),
  /** Header policy of the web app (same input EdgeSite takes). */
  headerPolicy: headerPolicySchema.optional(),
  postgres: z
    .array(
      z.strictObject({
        name: storeName,
        version: z.enum(["15", "16", "17"]).default("16"),
        databases: z
          .array(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/))
          .min(1)
          .default(["app"]),
      }),
    )
    .default([]),
  redis: z.array(z.strictObject({ name: storeName, persistence: z.boolean().default(true) })).default([]),
  /** ACME certificates: Let's Encrypt (staging directory for non-production tiers). */
  acme: z.strictObject({ email: z.email().optional(), staging: z.boolean() }),
  /** Human-provided secrets by config key (`config:<key>` refs), each a secret Output. */
  configSecrets: z.record(z.string(), inputString).default({}),
  /**
   * Values by exact `secrets[].from` reference. Required for refs the host cannot produce
   * (`dataStore:objectStore/media#accessKey`); for any other ref it overrides the host's own value
   * (e.g. `generated:<name>` from the secrets composer, which rotates them).
   */
  externalSecrets: z.record(z.string(), inputString).default({}),
  /** UID:GID the service containers run as (non-root). */
  serviceUser: z
    .string()
    .regex(/^[1-9]\d{0,9}(:\d{1,10})?$/, { message: "a non-root numeric uid[:gid] such as `10001:10001`" })
    .default("10001:10001"),
  memoryMb: z.int().min(64).max(65536).optional(),
  imagesPinned: z
    .strictObject({
      caddy: imageRef.default(PINNED_HOST_IMAGES.caddy),
      postgres: z.strictObject({ "15": imageRef, "16": imageRef, "17": imageRef }).default(PINNED_HOST_IMAGES.postgres),
      redis: imageRef.default(PINNED_HOST_IMAGES.redis),
    })
    .default(PINNED_HOST_IMAGES),
  /** Pulumi `protect` on the data volumes (prod-like stacks). */
  protect: z.boolean().default(true),
});

export type BetaHostArgs = z.input<typeof betaHostArgsSchema>;
export type BetaHostConfig = z.output<typeof betaHostArgsSchema>;
export type HostAppArgs = z.input<typeof hostAppArgsSchema>;
export type HostAppConfig = z.output<typeof hostAppArgsSchema>;

/** Parse args; throw one error listing every issue by field path with its hint (before any child). */
export function parseArgs<S extends z.ZodType>(component: string, name: string, schema: S, args: unknown): z.output<S> {
  const res = schema.safeParse(args);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `  - ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  throw new Error(`${component} "${name}": invalid args\n${lines.join("\n")}`);
}
