/**
 * Release composer (Kubernetes tiers): the Argo Rollouts controller wherever a blueGreen/canary
 * service is rolled out by it (staging, prod), and on a GitOps tier Argo CD with the blueprint's
 * AppProject and this environment's Application (stacks/spec/release.ts decides which tier is
 * which). Returns the rollout args every Service gets, so stacks/program.ts passes the stack's
 * knobs (`platform:overrides.services.<name>.rollout`) to composeServices.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServiceArgs } from "../../components/service";
import { GitOps, ProgressiveDelivery } from "../../components/gitops";
import { type SsoSettings, defaultSso } from "../../components/gitops/plan";
import type { Context } from "../context";
import { GITOPS_ENVIRONMENTS, gitopsTier, serviceRolloutArgs } from "../spec/release";
import { fqdn } from "../spec/platform";
import type { KubernetesPlatform } from "./cluster";

export interface ReleaseOutputs {
  /** Per service: the `rollout` Service args (controller, knobs, analysis Prometheus). */
  rollout: Record<string, NonNullable<ServiceArgs["rollout"]>>;
  /** This tier is a GitOps tier: Argo CD deploys the services, not `pulumi up`. */
  gitops: boolean;
  /** Argo CD Application name (GitOps tier). */
  application?: string;
  rollouts?: ProgressiveDelivery;
}

export function composeRelease(
  ctx: Context,
  cluster: KubernetesPlatform,
  opts: { prometheusUrl?: string; dependsOn?: pulumi.Resource[] } = {},
): ReleaseOutputs {
  const { spec } = ctx;
  const bp = spec.blueprint;
  const controller = spec.profile.progressiveDelivery;
  const k = { providers: { kubernetes: cluster.provider }, dependsOn: opts.dependsOn ?? cluster.ready };
  const rollout: ReleaseOutputs["rollout"] = {};
  for (const svc of bp.services) {
    rollout[svc.name] = serviceRolloutArgs(spec.services[svc.name]?.rollout, controller, opts.prometheusUrl) as NonNullable<ServiceArgs["rollout"]>;
  }
  const progressive = controller === "argo-rollouts" && bp.services.some((s) => s.strategy !== "rolling" && s.workload === "deployment");
  const replicas = spec.profile.replicas.min > 1 ? 2 : 1;
  const network = { apiServerCidrs: cluster.apiServerCidrs, monitoringNamespace: cluster.namespaces.monitoring };
  const out: ReleaseOutputs = { rollout, gitops: false };
  if (progressive) out.rollouts = new ProgressiveDelivery(`${spec.stack}-rollouts`, { charts: spec.charts, replicas, network }, k);
  if (gitopsTier(bp, spec.tier)) {
    const d = bp.delivery!;
    const environment = GITOPS_ENVIRONMENTS[spec.tier];
    const sso = argocdSso(bp.name, spec.argocd?.sso);
    const g = new GitOps(
      `${spec.stack}-gitops`,
      {
        charts: spec.charts,
        project: bp.name,
        repoURL: d.repoURL!,
        path: d.path,
        branch: d.branches[spec.tier]!,
        environment,
        destinationNamespace: cluster.namespaces.apps,
        url: `https://${fqdn("argocd", spec.domain)}`,
        replicas,
        network,
        sso: sso.settings,
        ...(sso.clientSecret ? { ssoClientSecret: sso.clientSecret } : {}),
      },
      { ...k, dependsOn: [...(opts.dependsOn ?? cluster.ready), ...(out.rollouts ? [out.rollouts] : [])] },
    );
    out.gitops = true;
    out.application = g.applicationName;
  }
  return out;
}

/**
 * Argo CD's SSO from `platform:argocd.sso` (validated by the spec): issuer, client id and group
 * mapping, the blueprint's default groups where a list is not given; the client secret read as a
 * secret Output from `platform:argocd.sso.clientSecret` (set with `pulumi config set --secret`).
 */
export function argocdSso(
  project: string,
  sso: NonNullable<Context["spec"]["argocd"]>["sso"],
): { settings: SsoSettings; clientSecret?: pulumi.Output<string> } {
  const d = defaultSso(project);
  if (!sso) return { settings: d };
  const settings: SsoSettings = {
    issuer: sso.issuer,
    clientId: sso.clientId,
    adminGroups: sso.adminGroups ?? d.adminGroups,
    deployerGroups: sso.deployerGroups ?? d.deployerGroups,
    viewerGroups: sso.viewerGroups ?? d.viewerGroups,
  };
  if (!sso.clientSecret) return { settings };
  const raw = new pulumi.Config("platform").getSecretObject<{ sso?: { clientSecret?: string } }>("argocd");
  return { settings, clientSecret: pulumi.secret(raw!.apply((o) => o?.sso?.clientSecret ?? "")) };
}
