/**
 * The Service plan (pure: no Pulumi import). From the parsed args it derives every Kubernetes
 * manifest of one service; the component class only registers them.
 *
 * Rollout mechanisms (no extra controller, so they also work rendered to YAML offline):
 *  - rolling:   one Deployment, maxUnavailable 0 / maxSurge 25%.
 *  - blueGreen: two Deployments (`-blue`, `-green`, label `platform.io/track`); the Service selects
 *               the active colour, `<name>-preview` the idle one. Cut-over = flip `activeColor` and
 *               `pulumi up` (one Service selector patch, instant, and instant to roll back).
 *  - canary:    a stable Deployment and a `-canary` Deployment; the canary pods carry the
 *               Service's selector, so the share is the replica ratio (coarse, stated honestly).
 * That is the `deployments` controller (local and dev: no CRDs, renders offline, each step a
 * Pulumi preview). With `rollout.controller: argo-rollouts` (staging and prod) a blueGreen/canary
 * service is one Argo Rollouts `Rollout` instead (rollouts.ts): real traffic percentages at the
 * ingress, timed steps, Prometheus analysis and automatic abort.
 */
import { ingressManifests } from "./ingress";
import { ROLLOUTS_API, analysisTemplate, rolloutStrategy, traefikCanaryRoutes } from "./rollouts";
import { ROLLOUT_DEFAULTS, type RolloutSpec } from "./spec";
import type { Manifest, PlanInput } from "./types";

export type { Manifest, PlanInput } from "./types";

export interface Track {
  track: "stable" | "canary" | "blue" | "green";
  name: string;
  image: string;
  /** undefined = managed by the HPA. */
  replicas: number | undefined;
}

export interface ServicePlan {
  /** Pod selector of all the service's pods (used by NetworkPolicies). */
  podSelector: Record<string, string>;
  /** Ports the ingress routes to. */
  routedPorts: ("http" | "health")[];
  /** Keyed by a stable suffix used in the Pulumi resource name (`<component>-<key>`). */
  manifests: { key: string; manifest: Manifest }[];
  /** Name of the Secret holding `secretEnv` (when any). */
  envSecretName?: string;
  hosts: string[];
  /** In-cluster DNS name of the service. */
  clusterHost: string;
}

export const fqdn = (label: string, domain: string) => (label === "@" ? domain : `${label}.${domain}`);

export function restrictedPodSecurity(uid: number) {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } };
}
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

export function planService(a: PlanInput): ServicePlan {
  const s = a.spec;
  const problems: string[] = [];
  const ns = a.namespace;
  const base = s.name;
  if (s.exposure === "public" && !a.ingress)
    problems.push("ingress: a public service needs the cluster's ingress settings (controller, className, clusterIssuer)");
  if (s.cors?.allowedOrigins.includes("self") && !a.selfOrigin) problems.push("selfOrigin: CORS lists `self`; give the app origin (https://<edge host>)");
  s.routes.forEach((r, i) => {
    if (!r.tls) problems.push(`spec.routes.${i}.tls: public routes always terminate TLS at the ingress`);
    if (r.port === "metrics") problems.push(`spec.routes.${i}.port: the metrics port is never routed by an ingress`);
  });
  if (s.exposure !== "public" && s.routes.length) problems.push("spec.routes: only public services have routes");
  if (s.workload === "statefulset" && s.strategy !== "rolling") problems.push("spec.strategy: a StatefulSet rolls; blueGreen/canary need a Deployment");
  if (s.ports.metrics !== undefined && s.ports.metrics === s.ports.http) problems.push("spec.ports.metrics: must differ from the http port");
  const argo = s.strategy !== "rolling" && s.workload === "deployment" && a.rollout.controller === "argo-rollouts";
  if (argo && !a.rollout.prometheusUrl)
    problems.push("rollout.prometheusUrl: the Argo Rollouts analysis queries Prometheus; give its URL (the monitoring stack's prometheusUrl)");
  if (a.rollout.promote && a.rollout.abort) problems.push("rollout: `promote` and `abort` exclude each other: set one of them");
  if (argo && s.ports.metrics === undefined) {
    problems.push(
      "spec.ports.metrics: an Argo Rollouts canary/blue-green analysis measures the new version from its own metrics (the ServiceMonitor scrapes the `metrics` port of `<svc>-canary` / `<svc>-preview`); give `ports.metrics`, or use `strategy: rolling`",
    );
  }
  const analysisCount = (p: RolloutSpec) => Math.max(3, Math.ceil(p.pauseSeconds / p.analysis.intervalSeconds));
  const policy0 = s.rollout ?? ROLLOUT_DEFAULTS;
  if (argo && s.strategy === "canary") {
    // The background analysis starts at the first step; the canary is promoted when its pauses end.
    const pauses = policy0.pauseSeconds * policy0.canarySteps.filter((w) => w < 100).length;
    const an = policy0.analysis;
    const needed = an.initialDelaySeconds + (an.failureLimit + 1) * an.intervalSeconds;
    if (pauses < needed) {
      problems.push(
        `spec.rollout.pauseSeconds: the canary's pauses end after ${pauses} s, before its analysis can fail it (initialDelaySeconds + (failureLimit + 1) x intervalSeconds = ${needed} s): the new version would be promoted on too few measurements; lengthen pauseSeconds or shorten the analysis`,
      );
    }
  }
  if (problems.length) throw new Error(`Service "${base}": invalid args\n${problems.map((p) => `  - ${p}`).join("\n")}`);

  const common = { "app.kubernetes.io/name": base, "app.kubernetes.io/part-of": "platform-apps", "app.kubernetes.io/managed-by": "pulumi" };
  const podSelector = { "app.kubernetes.io/name": base, "app.kubernetes.io/part-of": "platform-apps" };
  const image = a.image ?? s.image;
  const hpaOn = !!s.autoscaling && a.autoscaling && a.replicas.max > a.replicas.min;
  const ha = a.replicas.min > 1 && a.disruptionBudgets;
  const manifests: ServicePlan["manifests"] = [];
  const add = (key: string, manifest: Manifest) => manifests.push({ key, manifest });

  // Tracks (Deployments) by strategy.
  const tracks: Track[] = [];
  let serviceTrack: string | undefined;
  if (argo) {
    // One Rollout; the controller keeps the stable and the new ReplicaSet apart (pod-template hash).
    tracks.push({ track: "stable", name: base, image, replicas: hpaOn ? undefined : a.replicas.min });
  } else if (s.strategy === "blueGreen") {
    const idle = a.rollout.activeColor === "blue" ? "green" : "blue";
    tracks.push({ track: a.rollout.activeColor, name: `${base}-${a.rollout.activeColor}`, image, replicas: hpaOn ? undefined : a.replicas.min });
    tracks.push({ track: idle, name: `${base}-${idle}`, image: a.rollout.previewImage ?? image, replicas: 1 });
    serviceTrack = a.rollout.activeColor;
  } else if (s.strategy === "canary") {
    tracks.push({ track: "stable", name: base, image, replicas: hpaOn ? undefined : a.replicas.min });
    const canaryReplicas =
      a.rollout.canaryWeight === 0 ? 0 : Math.max(1, Math.round((a.replicas.min * a.rollout.canaryWeight) / (100 - Math.min(a.rollout.canaryWeight, 99))));
    tracks.push({ track: "canary", name: `${base}-canary`, image: a.rollout.canaryImage ?? image, replicas: canaryReplicas });
    // Both tracks behind the one Service: the share is the replica ratio.
    serviceTrack = undefined;
  } else {
    tracks.push({ track: "stable", name: base, image, replicas: hpaOn ? undefined : a.replicas.min });
  }

  const healthPortName = s.ports.health !== undefined && s.ports.health !== s.ports.http ? "health" : "http";
  const containerPorts = [{ name: "http", containerPort: s.ports.http, protocol: "TCP" }];
  if (healthPortName === "health") containerPorts.push({ name: "health", containerPort: s.ports.health!, protocol: "TCP" });
  if (s.ports.metrics !== undefined) containerPorts.push({ name: "metrics", containerPort: s.ports.metrics, protocol: "TCP" });
  const probe = (p: { path: string; periodSeconds: number; failureThreshold: number }) => ({
    httpGet: { path: p.path, port: healthPortName, scheme: "HTTP" },
    periodSeconds: p.periodSeconds,
    failureThreshold: p.failureThreshold,
    timeoutSeconds: 2,
  });
  const startup = s.probes.startup ?? { path: s.probes.liveness.path, periodSeconds: 5, failureThreshold: 30 };
  const envSecretName = a.secretEnvKeys.length ? `${base}-env` : undefined;
  const envFrom = [
    ...(envSecretName ? [{ secretRef: { name: envSecretName } }] : []),
    ...(a.existingSecretName ? [{ secretRef: { name: a.existingSecretName } }] : []),
  ];

  // A Rollout's pods carry no track label: the stable and the new version share one template.
  const trackSelector = (t: Track): Record<string, string> => (argo ? { ...podSelector } : { ...podSelector, "platform.io/track": t.track });
  const podSpec = (t: Track) => ({
    serviceAccountName: base,
    ...(a.imagePullSecrets.length ? { imagePullSecrets: a.imagePullSecrets.map((name) => ({ name })) } : {}),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: restrictedPodSecurity(a.runAsUser),
    terminationGracePeriodSeconds: 30,
    ...(ha
      ? {
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: trackSelector(t) } },
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: trackSelector(t) } },
          ],
        }
      : {}),
    containers: [
      {
        name: base,
        image: t.image,
        imagePullPolicy: "IfNotPresent",
        ports: containerPorts,
        env: [
          ...Object.entries({ ...a.platformEnv, ...s.env }).map(([name, value]) => ({ name, value })),
          ...(s.ports.metrics !== undefined ? [{ name: "METRICS_PORT", value: String(s.ports.metrics) }] : []),
        ],
        ...(envFrom.length ? { envFrom } : {}),
        resources: { requests: { ...a.resources.requests }, limits: { ...a.resources.limits } },
        livenessProbe: probe(s.probes.liveness),
        readinessProbe: probe(s.probes.readiness),
        startupProbe: probe(startup),
        securityContext: { ...RESTRICTED_CONTAINER, capabilities: { drop: ["ALL"] } },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
    ],
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }],
  });

  // The IRSA role, if any: the EKS webhook projects its own web-identity token, so the API token stays unmounted.
  // (Values may be Outputs, e.g. a role ARN: push mode registers the manifest with them unresolved.)
  const saAnnotations = (a.serviceAccountAnnotations ?? {}) as Record<string, string>;
  add("sa", {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: base, namespace: ns, labels: common, ...(Object.keys(saAnnotations).length ? { annotations: saAnnotations } : {}) },
    automountServiceAccountToken: false,
  });

  for (const t of tracks) {
    const labels = argo ? { ...common, ...a.podLabels } : { ...common, ...a.podLabels, "platform.io/track": t.track };
    const selector = { matchLabels: trackSelector(t) };
    const template = { metadata: { labels }, spec: podSpec(t) };
    if (argo) {
      add("rollout", {
        apiVersion: ROLLOUTS_API,
        kind: "Rollout",
        metadata: { name: t.name, namespace: ns, labels: common },
        spec: { ...(t.replicas !== undefined ? { replicas: t.replicas } : {}), revisionHistoryLimit: 5, selector, template, strategy: {} },
      });
    } else if (s.workload === "statefulset") {
      add("statefulset", {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: t.name, namespace: ns, labels: common },
        spec: {
          serviceName: `${base}-headless`,
          ...(t.replicas !== undefined ? { replicas: t.replicas } : {}),
          podManagementPolicy: "Parallel",
          updateStrategy: { type: "RollingUpdate" },
          selector,
          template,
        },
      });
    } else {
      add(t.track === "stable" ? "deploy" : `deploy-${t.track}`, {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: t.name, namespace: ns, labels: { ...common, "platform.io/track": t.track } },
        spec: {
          ...(t.replicas !== undefined ? { replicas: t.replicas } : {}),
          revisionHistoryLimit: 5,
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
          selector,
          template,
        },
      });
    }
  }

  // Services: ClusterIP; metrics port named `metrics` (scraped in-cluster, never routed).
  const svcPorts = (withTraffic: boolean) => [
    ...(withTraffic ? [{ name: "http", port: s.ports.http, targetPort: "http", protocol: "TCP" }] : []),
    ...(withTraffic && healthPortName === "health" ? [{ name: "health", port: s.ports.health!, targetPort: "health", protocol: "TCP" }] : []),
    ...(s.ports.metrics !== undefined ? [{ name: "metrics", port: s.ports.metrics, targetPort: "metrics", protocol: "TCP" }] : []),
  ];
  const traffic = s.exposure !== "none";
  const selectorFor = (track?: string) => (track ? { ...podSelector, "platform.io/track": track } : { ...podSelector });
  const serviceLabels = { ...common, "platform.io/scrape": s.ports.metrics !== undefined ? "true" : "false" };
  if (traffic || s.ports.metrics !== undefined) {
    add("svc", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: base, namespace: ns, labels: serviceLabels },
      spec: { type: "ClusterIP", selector: selectorFor(serviceTrack), ports: svcPorts(traffic) },
    });
  }
  if (s.workload === "statefulset") {
    add("svc-headless", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `${base}-headless`, namespace: ns, labels: common },
      spec: { clusterIP: "None", selector: selectorFor("stable"), ports: svcPorts(true) },
    });
  }
  if (argo) {
    // The controller adds the pod-template hash to these selectors; both are scraped, so the analysis
    // can measure the version under test through its own Service.
    const second = s.strategy === "canary" ? "canary" : "preview";
    add(`svc-${second}`, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `${base}-${second}`, namespace: ns, labels: serviceLabels },
      spec: { type: "ClusterIP", selector: selectorFor(), ports: svcPorts(true) },
    });
  } else if (s.strategy === "blueGreen") {
    const idle = tracks[1]!.track;
    add("svc-preview", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `${base}-preview`, namespace: ns, labels: common },
      spec: { type: "ClusterIP", selector: selectorFor(idle), ports: svcPorts(true) },
    });
  }

  // Autoscaling and disruption budget, on the serving track.
  const main = tracks[0]!;
  if (hpaOn) {
    const as = s.autoscaling!;
    const metrics: any[] = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: as.cpuPercent } } }];
    if (as.memoryPercent !== undefined)
      metrics.push({ type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: as.memoryPercent } } });
    if (as.custom)
      metrics.push({
        type: "Pods",
        pods: { metric: { name: as.custom.metric }, target: { type: "AverageValue", averageValue: String(as.custom.targetAverageValue) } },
      });
    add("hpa", {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: base, namespace: ns, labels: common },
      spec: {
        scaleTargetRef: argo
          ? { apiVersion: ROLLOUTS_API, kind: "Rollout", name: main.name }
          : { apiVersion: "apps/v1", kind: s.workload === "statefulset" ? "StatefulSet" : "Deployment", name: main.name },
        minReplicas: a.replicas.min,
        maxReplicas: a.replicas.max,
        metrics,
        behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Percent", value: 50, periodSeconds: 60 }] } },
      },
    });
  }
  if (ha) {
    add("pdb", {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: base, namespace: ns, labels: common },
      spec: { maxUnavailable: 1, selector: { matchLabels: trackSelector(main) } },
    });
  }

  if (a.serviceMonitor.enabled && s.ports.metrics !== undefined) {
    add("servicemonitor", {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: base, namespace: ns, labels: { ...common, ...a.serviceMonitor.labels } },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": base, "platform.io/scrape": "true" } },
        namespaceSelector: { matchNames: [ns] },
        endpoints: [{ port: "metrics", path: s.metricsPath, interval: "30s", scheme: "http" }],
      },
    });
  }

  const ing = s.exposure === "public" && a.ingress ? ingressManifests(a, base, common) : { manifests: [], hosts: [] };
  if (argo) {
    const ingresses = ing.manifests.filter((m) => m.manifest.kind === "Ingress").map((m) => m.manifest);
    const traefikCanary = s.strategy === "canary" && ingresses.length > 0;
    if (traefikCanary) {
      manifests.push(...ing.manifests.filter((m) => m.manifest.kind !== "Ingress"));
      for (const m of traefikCanaryRoutes(ingresses, a, base, common)) add(`${m.kind.toLowerCase()}-${m.metadata.name}`, m);
    } else {
      manifests.push(...ing.manifests);
    }
    const policy = s.rollout;
    const rollout = manifests.find((m) => m.key === "rollout")!.manifest;
    rollout.spec.strategy = rolloutStrategy(a, base, traefikCanary ? { traefik: `${base}-weighted` } : {});
    const pol = policy ?? ROLLOUT_DEFAULTS;
    const count = s.strategy === "blueGreen" ? analysisCount(pol) : undefined;
    add("analysis", analysisTemplate(`${base}-health`, ns, common, pol, a.rollout.prometheusUrl!, count));
  } else {
    manifests.push(...ing.manifests);
  }

  const routedPorts = [...new Set(s.routes.map((r) => (r.port === "health" ? "health" : "http")))] as ("http" | "health")[];
  return { podSelector, routedPorts, manifests, ...(envSecretName ? { envSecretName } : {}), hosts: ing.hosts, clusterHost: `${base}.${ns}.svc.cluster.local` };
}
