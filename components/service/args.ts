/**
 * Args of the `Service` workload component: one blueprint service (components/service/spec.ts)
 * plus what the tier and the cluster decide (namespace, replicas, resources, ingress, issuer).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { dnsLabel, imageRef, serviceSpec } from "./spec";

const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$/, { message: "a Kubernetes quantity such as 250m or 512Mi" });
const labels = z.record(
  z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { message: "invalid label key" }),
  z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { message: "invalid label value" }),
);
const secretInput = z.custom<pulumi.Input<string>>((v) => typeof v === "string" || pulumi.Output.isInstance(v) || v instanceof Promise, {
  message: "a string or pulumi Output<string> (wrap it in pulumi.secret)",
});

export const serviceArgs = z.strictObject({
  /** The blueprint's service spec. */
  spec: serviceSpec,
  /** The apps namespace (from the cluster's role namespaces). */
  namespace: dnsLabel,
  /** Image after stack overrides; default the spec's image. */
  image: imageRef.optional(),
  /** Replica range from the tier (`serviceReplicas`) or the stack override. */
  replicas: z
    .strictObject({ min: z.int().min(1).max(100), max: z.int().min(1).max(500) })
    .refine((r) => r.max >= r.min, { message: "replicas.max must be ≥ replicas.min" }),
  /** Requests/limits from the tier's resource class (stacks/spec/tiers.ts RESOURCES). */
  resources: z.strictObject({
    requests: z.strictObject({ cpu: quantity, memory: quantity }),
    limits: z.strictObject({ cpu: quantity, memory: quantity }),
  }),
  /** The tier runs HorizontalPodAutoscalers for services that declare autoscaling. */
  autoscaling: z.boolean(),
  /** The tier runs PodDisruptionBudgets and topology spread for services with >1 replica. */
  disruptionBudgets: z.boolean(),
  /** Stack base domain: route hosts are `<label>.<domain>`. */
  domain: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "a lower-case DNS name such as `example.com`" }),
  /** How public routes are served. Required for public services. */
  ingress: z
    .strictObject({
      /** Traefik: ingress-nginx was retired in March 2026 (docs/design.md, Ingress controller). */
      controller: z.enum(["traefik"]),
      /** IngressClass name (`traefik`). */
      className: dnsLabel,
      /** cert-manager ClusterIssuer issuing the route certificates; absent = the controller's default certificate (local tier only). */
      clusterIssuer: dnsLabel.optional(),
    })
    .optional(),
  /**
   * Isolation headers of a service that serves the web app itself (`servesWebApp`): the edge's COEP
   * and CSP. `scriptHashes`: CSP hash sources (`sha256-<base64>`) of the inline scripts of the
   * build the image serves, added to script-src (the services composer computes them from
   * `platform:webBuilds.services.<name>`), so the CSP needs no 'unsafe-inline'.
   */
  webHeaders: z
    .strictObject({
      coep: z.enum(["require-corp", "credentialless"]).default("require-corp"),
      csp: z.string().min(1).optional(),
      scriptHashes: z
        .array(z.string().regex(/^sha256-[A-Za-z0-9+/]{43}=$/, { message: "a CSP hash source without quotes: sha256-<base64 of 32 bytes>" }))
        .optional(),
    })
    .default({ coep: "require-corp" }),
  /** The app's own origin, for CORS `self` (e.g. `https://example.com`). */
  selfOrigin: z.url({ protocol: /^https$/ }).optional(),
  /** ServiceMonitor on the metrics port (needs the Prometheus operator CRDs). */
  serviceMonitor: z.strictObject({ enabled: z.boolean(), labels: labels.default({}) }).default({ enabled: false, labels: {} }),
  /** Plain environment the platform adds (e.g. OTEL_EXPORTER_OTLP_ENDPOINT); the spec's own `env` wins on a clash. */
  platformEnv: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: "upper-case env var names" }), z.string()).default({}),
  /** Secret environment variables: put into a Secret this component creates. Values must be secret Outputs. */
  secretEnv: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: "upper-case env var names" }), secretInput).default({}),
  /**
   * Annotations of the service's ServiceAccount: `eks.amazonaws.com/role-arn` when the service
   * calls AWS with its own IRSA role (e.g. a relay that signs with a KMS key).
   */
  serviceAccountAnnotations: z
    .record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9][-A-Za-z0-9_.]*$/, { message: "an annotation key" }), secretInput)
    .default({}),
  /** An existing Secret (e.g. materialised by External Secrets) whose keys become env vars. */
  existingSecretName: dnsLabel.optional(),
  /** `kubernetes.io/dockerconfigjson` Secrets in the namespace the pods pull their image with (a private registry). */
  imagePullSecrets: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { message: "a Secret name" })).default([]),
  /** Rollout knobs for blueGreen / canary (see README in index.ts). */
  rollout: z
    .strictObject({
      /**
       * Who moves traffic: `deployments` (two Deployments, flipped by `pulumi up`; local and dev) or
       * `argo-rollouts` (one Rollout; the controller steps the canary, runs the analysis, aborts).
       */
      controller: z.enum(["deployments", "argo-rollouts"]).default("deployments"),
      /** argo-rollouts: hold the canary at this percentage (an indefinite pause once reached); absent = run every step. */
      holdAt: z.int().min(1).max(100).optional(),
      /** argo-rollouts: promote (canary: no hold; blueGreen: cut over without waiting). */
      promote: z.boolean().default(false),
      /** argo-rollouts: abort the release under test: the canary gets 0 % / the blue-green preview is not promoted. */
      abort: z.boolean().default(false),
      /** argo-rollouts: the Prometheus the analysis queries (`http://prometheus.<ns>.svc.cluster.local:9090`). */
      prometheusUrl: z.url({ protocol: /^https?$/ }).optional(),
      /** blueGreen: the colour the Service routes to. Flip it and `pulumi up` to cut over. */
      activeColor: z.enum(["blue", "green"]).default("blue"),
      /** blueGreen: image of the idle colour (the release under test); default = image. */
      previewImage: imageRef.optional(),
      /** canary: image of the canary track; default = image. */
      canaryImage: imageRef.optional(),
      /** canary: percent of requests to the canary (with these Deployments: approximated by the replica ratio; Argo Rollouts sets exact weights). */
      canaryWeight: z.int().min(0).max(100).default(10),
    })
    .default({ controller: "deployments", activeColor: "blue", canaryWeight: 10, promote: false, abort: false }),
  /** UID/GID the container runs as (never 0). */
  runAsUser: z.int().min(1).max(2_147_483_647).default(10001),
  /** Extra pod labels. */
  podLabels: labels.default({}),
});

export type ServiceArgs = z.input<typeof serviceArgs>;
export type ParsedServiceArgs = z.output<typeof serviceArgs>;

/** Parse args; one error naming every field path with a hint. */
export function parseServiceArgs(name: string, args: unknown): ParsedServiceArgs {
  const res = serviceArgs.safeParse(args);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `  - ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  throw new Error(`Service "${name}": invalid args\n${lines.join("\n")}`);
}
