/**
 * GitOps and progressive-delivery platform objects (pure: no Pulumi import).
 *
 *   argoCdValues()        values of the pinned argo-cd chart: least privilege, SSO-ready
 *   argoRolloutsValues()  values of the pinned argo-rollouts chart
 *   appProject()          the AppProject: one source repository, one destination namespace, no
 *                         cluster-scoped kinds, only the kinds the deploy chart renders
 *   application()         one Application per environment (staging → develop, production → main)
 *
 * Least privilege: nobody has rights by default (`policy.default: ""`); SSO groups map to a
 * read-only role, a deployer role (get, sync, Rollout promote/abort actions in this project only)
 * and the admin role; the local admin account is off once an OIDC issuer is configured; no exec,
 * no anonymous access, no ApplicationSet/notification controllers (not used); the application
 * controller's ClusterRole reads everything (its cache needs it) and writes only the kinds the
 * deploy chart renders. OIDC uses PKCE; an identity provider that insists on a confidential client
 * gets its client secret from its own Secret (`argocd-oidc`, labelled part-of argocd), which
 * oidc.config references as `$argocd-oidc:clientSecret`, so the secret is never a chart value.
 */
export const ARGO_API = "argoproj.io/v1alpha1";
export const IN_CLUSTER = "https://kubernetes.default.svc";

/** The namespaced kinds the deploy chart may contain (components/service/plan.ts renders them). */
export const DEPLOY_KINDS: readonly { group: string; kind: string }[] = [
  { group: "", kind: "ServiceAccount" },
  { group: "", kind: "Service" },
  { group: "", kind: "ConfigMap" },
  { group: "apps", kind: "Deployment" },
  { group: "apps", kind: "StatefulSet" },
  { group: "argoproj.io", kind: "Rollout" },
  { group: "argoproj.io", kind: "AnalysisTemplate" },
  { group: "autoscaling", kind: "HorizontalPodAutoscaler" },
  { group: "policy", kind: "PodDisruptionBudget" },
  { group: "networking.k8s.io", kind: "Ingress" },
  { group: "monitoring.coreos.com", kind: "ServiceMonitor" },
  { group: "traefik.io", kind: "Middleware" },
  { group: "traefik.io", kind: "IngressRoute" },
  { group: "traefik.io", kind: "TraefikService" },
  { group: "cert-manager.io", kind: "Certificate" },
];

export interface SsoSettings {
  /** OIDC issuer URL (https). Absent: SSO not configured yet; the local admin stays on for bootstrap. */
  issuer?: string;
  clientId?: string;
  /**
   * Argo CD's reference to the client secret (`$<secret>:<key>`, a Secret in the argocd namespace
   * labelled `app.kubernetes.io/part-of: argocd`). Absent: a public client (PKCE only).
   */
  clientSecretRef?: string;
  /** IdP groups → Argo CD roles. */
  adminGroups: string[];
  deployerGroups: string[];
  viewerGroups: string[];
}

export function defaultSso(project: string): SsoSettings {
  return { adminGroups: ["platform-admins"], deployerGroups: [`${project}-deployers`], viewerGroups: [`${project}-viewers`] };
}

/** The RBAC policy (Casbin CSV) of one project. */
export function rbacPolicy(project: string, sso: SsoSettings): string {
  const lines = [
    `p, role:${project}-viewer, applications, get, ${project}/*, allow`,
    `p, role:${project}-viewer, projects, get, ${project}, allow`,
    `p, role:${project}-viewer, logs, get, ${project}/*, allow`,
    `p, role:${project}-deployer, applications, get, ${project}/*, allow`,
    `p, role:${project}-deployer, applications, sync, ${project}/*, allow`,
    `p, role:${project}-deployer, applications, action/argoproj.io/Rollout/*, ${project}/*, allow`,
    `p, role:${project}-deployer, projects, get, ${project}, allow`,
    `p, role:${project}-deployer, logs, get, ${project}/*, allow`,
    ...sso.viewerGroups.map((g) => `g, ${g}, role:${project}-viewer`),
    ...sso.deployerGroups.map((g) => `g, ${g}, role:${project}-deployer`),
    ...sso.adminGroups.map((g) => `g, ${g}, role:admin`),
  ];
  return lines.join("\n") + "\n";
}

export function argoCdValues(o: { project: string; url: string; sso: SsoSettings; replicas: number }): Record<string, unknown> {
  const oidc = o.sso.issuer && o.sso.clientId;
  const writeGroups = [...new Set(DEPLOY_KINDS.map((k) => k.group))];
  return {
    crds: { install: true, keep: true },
    global: { domain: new URL(o.url).host },
    configs: {
      cm: {
        url: o.url,
        "admin.enabled": !oidc,
        "exec.enabled": false,
        "users.anonymous.enabled": false,
        "statusbadge.enabled": false,
        "application.resourceTrackingMethod": "annotation",
        ...(oidc
          ? {
              "oidc.config":
                [
                  "name: SSO",
                  `issuer: ${o.sso.issuer}`,
                  `clientID: ${o.sso.clientId}`,
                  ...(o.sso.clientSecretRef ? [`clientSecret: ${o.sso.clientSecretRef}`] : []),
                  "enablePKCEAuthentication: true",
                  "requestedScopes: [openid, profile, email, groups]",
                ].join("\n") + "\n",
            }
          : {}),
      },
      params: { "server.insecure": false, "application.namespaces": "" },
      rbac: { "policy.default": "", scopes: "[groups]", "policy.csv": rbacPolicy(o.project, o.sso) },
    },
    dex: { enabled: false },
    notifications: { enabled: false },
    applicationSet: { replicas: 0 },
    controller: {
      replicas: 1,
      clusterRoleRules: {
        enabled: true,
        rules: [
          { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] },
          { apiGroups: writeGroups, resources: ["*"], verbs: ["create", "update", "patch", "delete"] },
          { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
        ],
      },
    },
    server: { replicas: o.replicas },
    repoServer: { replicas: o.replicas },
  };
}

export function argoRolloutsValues(o: { replicas: number }): Record<string, unknown> {
  return {
    installCRDs: true,
    keepCRDs: true,
    controller: {
      replicas: o.replicas,
      metrics: { enabled: true },
      // The controller looks for TraefikServices in traefik.containo.us/v1alpha1 unless told
      // otherwise (argo-rollouts v1.9.0 utils/defaults: DefaultTraefikAPIGroup); the pinned Traefik
      // v3 chart serves them as traefik.io/v1alpha1, which the canary's weightedTraefikServiceName
      // names. Without these every reconcile of a Traefik canary fails with TrafficRoutingError
      // "the server could not find the requested resource" and the canary never completes (seen
      // with the real controller, test/gitops/rollouts.real.test.ts).
      extraArgs: ["--traefik-api-group=traefik.io", "--traefik-api-version=traefik.io/v1alpha1"],
    },
    dashboard: { enabled: false },
    notifications: { secret: { create: false } },
  };
}

export function appProject(o: {
  project: string;
  namespace: string;
  repoURL: string;
  destinationNamespace: string;
  description: string;
  sso: SsoSettings;
}): Record<string, any> {
  return {
    apiVersion: ARGO_API,
    kind: "AppProject",
    metadata: { name: o.project, namespace: o.namespace },
    spec: {
      description: o.description,
      sourceRepos: [o.repoURL],
      destinations: [{ server: IN_CLUSTER, namespace: o.destinationNamespace }],
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: DEPLOY_KINDS.map((k) => ({ group: k.group, kind: k.kind })),
      orphanedResources: { warn: true },
      roles: [
        {
          name: "deployer",
          description: "sync and promote/abort rollouts of this project's applications",
          policies: [
            `p, proj:${o.project}:deployer, applications, get, ${o.project}/*, allow`,
            `p, proj:${o.project}:deployer, applications, sync, ${o.project}/*, allow`,
          ],
          groups: o.sso.deployerGroups,
        },
      ],
    },
  };
}

export function application(o: {
  name: string;
  namespace: string;
  project: string;
  repoURL: string;
  path: string;
  branch: string;
  environment: string;
  destinationNamespace: string;
}): Record<string, any> {
  return {
    apiVersion: ARGO_API,
    kind: "Application",
    metadata: { name: o.name, namespace: o.namespace, labels: { "platform.io/environment": o.environment } },
    spec: {
      project: o.project,
      source: { repoURL: o.repoURL, targetRevision: o.branch, path: o.path, helm: { valueFiles: [`values-${o.environment}.yaml`] } },
      destination: { server: IN_CLUSTER, namespace: o.destinationNamespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ["PruneLast=true", "ApplyOutOfSyncOnly=true"],
        retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
      },
      revisionHistoryLimit: 10,
    },
  };
}
