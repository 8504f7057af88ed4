/**
 * What the composition hands each area's composer: the resolved spec, the explicit providers
 * (one per target, created once in stacks/providers.ts), the human secrets as secret Outputs,
 * and what earlier composers produced. Composers live in `stacks/compose/<area>.ts`, each a
 * function `(ctx) => <area outputs>` called in order by stacks/program.ts.
 */
import type * as aws from "@pulumi/aws";
import type * as cloudflare from "@pulumi/cloudflare";
import type * as docker from "@pulumi/docker";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type * as random from "@pulumi/random";
import type { PlatformSpec } from "./spec/platform";

export interface Providers {
  /**
   * @pulumi/random for generated passwords and keys in the cloud tiers. Absent in `local`, which
   * must need no provider plugin: components/secrets/generate.ts then uses its built-in dynamic
   * provider.
   */
  random?: random.Provider;
  /** The primary AWS region; absent in the local tier (no cloud account). */
  aws?: aws.Provider;
  /** us-east-1, for CloudFront certificates and WAF; the same object as `aws` when primary is us-east-1. */
  awsUsEast1?: aws.Provider;
  /** The backup region for cross-region copies; absent when the stack names none. */
  awsBackup?: aws.Provider;
  /** Cloudflare account; absent unless the edge runs on Cloudflare outside the local tier. */
  cloudflare?: cloudflare.Provider;
  /**
   * AWS provider on R2's S3 endpoint, for the Cloudflare edge's upload of `platform:webBuilds.edge`
   * (the R2 API token's key pair); absent when the stack uploads no edge build to Cloudflare.
   */
  r2?: aws.Provider;
}

/** Network of the stack (AWS tiers). */
export interface NetworkOutputs {
  vpcId: pulumi.Output<string>;
  vpcCidr: string;
  publicSubnetIds: pulumi.Output<string>[];
  privateSubnetIds: pulumi.Output<string>[];
  /** Security group of the application tier (nodes or the droplet); data stores admit only it. */
  appSecurityGroupId: pulumi.Output<string>;
}

export interface ClusterOutputs {
  provider: k8s.Provider;
  /** Role namespaces by role; `dataPrivileged` only when a store must run as root (ScyllaDB). */
  namespaces: { ingress: string; apps: string; data: string; monitoring: string; dataPrivileged?: string };
  /** OIDC provider for IRSA (EKS only). */
  oidcProviderArn?: pulumi.Output<string>;
  oidcIssuer?: pulumi.Output<string>;
  /** True when manifests are rendered to a directory instead of applied. */
  rendered: boolean;
  /** cert-manager's namespace when the cluster runs it (absent in the local tier). */
  certManagerNamespace?: string;
  /** Workloads wait for these (namespaces, add-ons). */
  ready?: pulumi.Resource[];
  /** Where the Kubernetes API server answers (for operators' and webhooks' NetworkPolicies). */
  apiServerCidrs?: string[];
  /** The tainted `data` node group (EKS with in-cluster stores): the stores select and tolerate it. */
  dataNodes?: { nodeSelector: Record<string, string>; taint: { key: string; value: string; effect: "NoSchedule" | "NoExecute" } };
}

export interface HostOutputs {
  provider: docker.Provider;
  /** Name of the private Docker network the app and data containers share. */
  networkName: pulumi.Output<string>;
  publicIp: pulumi.Output<string>;
}

/** The stack's deploy runner (components/delivery): what the private endpoints admit. */
export interface DeployRunnerOutputs {
  securityGroupId: pulumi.Output<string>;
  /** `runs-on:` of the stack's workflow jobs. */
  label: string;
  projectName: string;
}

export interface Context {
  spec: PlatformSpec;
  providers: Providers;
  /** Human-provided secrets by name (`platform:secrets.<name>`), each a secret Output. */
  humanSecrets: Record<string, pulumi.Output<string>>;
  /** Registry passwords by registry name (`platform:registryPasswords.<name>`), each a secret Output. */
  registryPasswords?: Record<string, pulumi.Output<string>>;
  /** A KMS key for this stack's encryption at rest (AWS tiers). */
  kmsKeyArn?: pulumi.Output<string>;
  network?: NetworkOutputs;
  deployRunner?: DeployRunnerOutputs;
  cluster?: ClusterOutputs;
  host?: HostOutputs;
}
