/**
 * `ProgressiveDelivery` (the Argo Rollouts controller) and `GitOps` (Argo CD, its AppProject and
 * the stack's Application). Pure values and objects: plan.ts. Charts: components/charts.ts pins,
 * from `platform:charts.mirror` when set.
 *
 *   new ProgressiveDelivery("prod-rollouts", { charts, replicas: 2 }, { providers: { kubernetes } });
 *   new GitOps("prod-gitops", { charts, project: "music-platform-gitops", repoURL, path, branch: "main",
 *     environment: "production", destinationNamespace: "apps", url: "https://argocd.example.com" }, ...);
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHART_PINS, type ChartMirror, helmChartSource } from "../charts";
import { registerManifest } from "../cluster/register";
import { type SsoSettings, appProject, application, argoCdValues, argoRolloutsValues, defaultSso } from "./plan";

export const ARGOCD_NAMESPACE = "argocd";
export const ROLLOUTS_NAMESPACE = "argo-rollouts";

export class ProgressiveDelivery extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;
  constructor(name: string, args: { charts: ChartMirror; replicas: number }, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:gitops:ProgressiveDelivery", name, {}, opts);
    this.release = new k8s.helm.v3.Release(
      `${name}-argo-rollouts`,
      {
        name: "argo-rollouts",
        namespace: ROLLOUTS_NAMESPACE,
        createNamespace: true,
        ...helmChartSource(CHART_PINS.argoRollouts, args.charts),
        values: argoRolloutsValues({ replicas: args.replicas }),
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
      },
      { parent: this, ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}) },
    );
    this.registerOutputs({});
  }
}

export interface GitOpsArgs {
  charts: ChartMirror;
  /** AppProject name (the blueprint's name). */
  project: string;
  repoURL: string;
  path: string;
  branch: string;
  /** `staging` | `production`: the Application follows `values-<environment>.yaml`. */
  environment: string;
  /** The apps namespace the Application deploys to (and the only one the project allows). */
  destinationNamespace: string;
  /** Argo CD's external URL (OIDC redirect). */
  url: string;
  replicas: number;
  sso?: SsoSettings;
}

export class GitOps extends pulumi.ComponentResource {
  public readonly applicationName: string;
  constructor(name: string, args: GitOpsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:gitops:GitOps", name, {}, opts);
    const sso = args.sso ?? defaultSso(args.project);
    const outer = (Array.isArray(opts.dependsOn) ? opts.dependsOn : opts.dependsOn ? [opts.dependsOn] : []) as pulumi.Resource[];
    const release = new k8s.helm.v3.Release(
      `${name}-argo-cd`,
      {
        name: "argo-cd",
        namespace: ARGOCD_NAMESPACE,
        createNamespace: true,
        ...helmChartSource(CHART_PINS.argoCd, args.charts),
        values: argoCdValues({ project: args.project, url: args.url, sso, replicas: args.replicas }),
        atomic: true,
        cleanupOnFail: true,
        timeout: 900,
      },
      { parent: this, dependsOn: outer },
    );
    const project = registerManifest(
      `${name}-project`,
      appProject({ project: args.project, namespace: ARGOCD_NAMESPACE, repoURL: args.repoURL, destinationNamespace: args.destinationNamespace, description: `${args.project}: services from ${args.repoURL}`, sso }) as any,
      { parent: this, dependsOn: [release] },
    );
    this.applicationName = `${args.project}-${args.environment}`;
    registerManifest(
      `${name}-app-${args.environment}`,
      application({ name: this.applicationName, namespace: ARGOCD_NAMESPACE, project: args.project, repoURL: args.repoURL, path: args.path, branch: args.branch, environment: args.environment, destinationNamespace: args.destinationNamespace }) as any,
      { parent: this, dependsOn: [release, project] },
    );
    this.registerOutputs({ application: this.applicationName });
  }
}
