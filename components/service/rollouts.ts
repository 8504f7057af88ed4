/**
 * Argo Rollouts objects of a blue-green or canary service (pure). Used by plan.ts when the
 * service's `rollout.controller` is `argo-rollouts` (staging and prod; the deploy repository of
 * GitOps mode carries the same objects).
 *
 *  - canary:    one Rollout; stable Service `<svc>` and canary Service `<svc>-canary`. Traffic is
 *               split by Traefik, so a step of 5 % is 5 % of requests whatever the replica count:
 *               `trafficRouting.traefik` (a weighted TraefikService behind an IngressRoute per route
 *               group, since Traefik's Ingress provider cannot route to a TraefikService). Steps: setWeight + timed pause per `canarySteps`,
 *               background analysis from the first step.
 *  - blueGreen: one Rollout; active Service `<svc>`, preview Service `<svc>-preview`; the
 *               pre-promotion analysis runs on the preview, the post-promotion analysis on the
 *               active colour; the old colour stays `scaleDownDelaySeconds` for instant rollback.
 *  - analysis:  an AnalysisTemplate `<svc>-health` querying Prometheus for the 5xx share and the
 *               latency (p99 or mean, seconds or milliseconds) of the Service under test, from the
 *               metrics the service really exposes (`rollout.analysis.requests` / `.latency`); a
 *               failed measurement beyond `failureLimit` aborts the rollout and traffic returns to
 *               the stable version (automatic rollback); no data is a failed measurement.
 */
import { ROLLOUT_DEFAULTS, type RolloutSpec } from "./spec";
import type { Manifest, PlanInput } from "./types";

export const ROLLOUTS_API = "argoproj.io/v1alpha1";

/** The canary steps Argo Rollouts runs, from the service's policy and the stack's knobs. */
export function canarySteps(policy: RolloutSpec, knobs: { holdAt?: number | undefined; promote: boolean; abort: boolean }): Record<string, unknown>[] {
  if (knobs.abort) return [{ setWeight: 0 }, { pause: {} }];
  const steps: Record<string, unknown>[] = [];
  for (const w of policy.canarySteps) {
    if (!knobs.promote && knobs.holdAt !== undefined && w >= knobs.holdAt) {
      steps.push({ setWeight: knobs.holdAt }, { pause: {} });
      return steps;
    }
    if (w === 100) break;
    steps.push({ setWeight: w });
    if (policy.pauseSeconds > 0) steps.push({ pause: { duration: `${policy.pauseSeconds}s` } });
  }
  return steps;
}

/**
 * The PromQL of the two analysis metrics for the Service `service` (default: the template argument).
 * The series are the ones the service's ServiceMonitor scrapes through `service` (the Prometheus
 * operator sets `namespace` and `service`, the Service the endpoint belongs to: `<svc>-canary` or
 * `<svc>-preview` for the version under test), from the pods of the version under test only
 * (`pod` = `<rollout>-<pod-template-hash>-<suffix>`, the hash passed by the Rollout as
 * `podTemplateHashValue: Latest`): the rate window would otherwise still hold the series of the
 * pods the Service selected before (the previous canary, or the stable pods before the switch).
 *  - error-rate: 5xx share. `or vector(0)`: a healthy version serves no 5xx, so its 5xx series does
 *    not exist; that is a 0 numerator, not a missing measurement. No requests at all (or no request
 *    metric) leaves the denominator empty or 0, hence no number: a failed measurement.
 *  - latency: p99 from the `_bucket` series, or the mean from `_sum` / `_count`; milliseconds are
 *    converted to seconds.
 */
export function analysisQueries(
  an: RolloutSpec["analysis"],
  ns: string,
  service = "{{args.service}}",
  podTemplateHash = "{{args.pod-template-hash}}",
): { errorRate: string; latency: string } {
  const sel = `namespace="${ns}",service="${service}",pod=~".+-${podTemplateHash}-[a-z0-9]+"`;
  const window = `${Math.max(2 * an.intervalSeconds, 60)}s`;
  const requests = an.requests.type === "histogram" ? `${an.requests.metric}_count` : an.requests.metric;
  const rate = (series: string, extra = "") => `sum(rate(${series}{${sel}${extra}}[${window}]))`;
  const l = an.latency;
  const seconds =
    l.statistic === "p99"
      ? `histogram_quantile(0.99, sum by (le) (rate(${l.metric}_bucket{${sel}}[${window}])))`
      : `${rate(`${l.metric}_sum`)} / ${rate(`${l.metric}_count`)}`;
  return {
    errorRate: `(${rate(requests, `,${an.requests.statusLabel}=~"5.."`)} or vector(0)) / ${rate(requests)}`,
    latency: l.unit === "milliseconds" ? `(${seconds}) / 1000` : seconds,
  };
}

/**
 * Conditions of a measurement against `limit`. A result that is no number (empty vector: the metric
 * does not exist or the Service is not scraped; NaN: 0/0, no traffic) is a failed measurement, like
 * a value above the limit: past `failureLimit` the rollout aborts. Not Inconclusive: Argo Rollouts
 * v1.9.0 promoted a canary whose background analysis had turned Inconclusive (its timed pause steps
 * count as "unpaused" while the controller pause holds; seen with the real controller in
 * test/gitops/rollouts.real.test.ts). `initialDelaySeconds` keeps the new pods' first scrapes out.
 */
export function analysisConditions(limit: number): { successCondition: string; failureCondition: string } {
  return {
    successCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] <= ${limit}`,
    failureCondition: `len(result) == 0 || isNaN(result[0]) || result[0] > ${limit}`,
  };
}

/** The AnalysisTemplate: error rate and latency of the Service named by the `service` argument. */
export function analysisTemplate(
  name: string,
  ns: string,
  labels: Record<string, string>,
  policy: RolloutSpec,
  prometheusUrl: string,
  count?: number,
): Manifest {
  const an = policy.analysis;
  const q = analysisQueries(an, ns);
  const metric = (m: string, query: string, limit: number) => ({
    name: m,
    interval: `${an.intervalSeconds}s`,
    ...(count !== undefined ? { count } : {}),
    failureLimit: an.failureLimit,
    ...(an.initialDelaySeconds > 0 ? { initialDelay: `${an.initialDelaySeconds}s` } : {}),
    ...analysisConditions(limit),
    provider: { prometheus: { address: prometheusUrl, query } },
  });
  return {
    apiVersion: ROLLOUTS_API,
    kind: "AnalysisTemplate",
    metadata: { name, namespace: ns, labels },
    spec: {
      args: [{ name: "service" }, { name: "pod-template-hash" }],
      metrics: [
        metric("error-rate", q.errorRate, an.maxErrorRate),
        metric(an.latency.statistic === "p99" ? "latency-p99" : "latency-mean", q.latency, an.latency.maxSeconds),
      ],
    },
  };
}

/** Analysis arguments: the Service under test and the pod-template hash of the version under test. */
const analysisArgs = (service: string) => [
  { name: "service", value: service },
  { name: "pod-template-hash", valueFrom: { podTemplateHashValue: "Latest" } },
];

/** The Rollout's strategy block. `route.traefik`: the weighted TraefikService the canary's weights are set on. */
export function rolloutStrategy(a: PlanInput, base: string, route: { traefik?: string }): Record<string, unknown> {
  const s = a.spec;
  const policy = s.rollout ?? ROLLOUT_DEFAULTS;
  const template = `${base}-health`;
  if (s.strategy === "canary") {
    const trafficRouting = route.traefik ? { traefik: { weightedTraefikServiceName: route.traefik } } : undefined;
    return {
      canary: {
        stableService: base,
        canaryService: `${base}-canary`,
        ...(trafficRouting ? { trafficRouting } : {}),
        maxSurge: "25%",
        maxUnavailable: 0,
        abortScaleDownDelaySeconds: 30,
        analysis: { templates: [{ templateName: template }], startingStep: 1, args: analysisArgs(`${base}-canary`) },
        steps: canarySteps(policy, a.rollout),
      },
    };
  }
  return {
    blueGreen: {
      activeService: base,
      previewService: `${base}-preview`,
      autoPromotionEnabled: !a.rollout.abort && (a.rollout.promote || policy.autoPromotion),
      scaleDownDelaySeconds: policy.scaleDownDelaySeconds,
      previewReplicaCount: 1,
      prePromotionAnalysis: { templates: [{ templateName: template }], args: analysisArgs(`${base}-preview`) },
      postPromotionAnalysis: { templates: [{ templateName: template }], args: analysisArgs(base) },
    },
  };
}

/**
 * Traefik canary routing: each route-group Ingress becomes an IngressRoute to the weighted
 * TraefikService (same hosts, paths, middlewares and its host's TLS Secret, from the host's one
 * Certificate the services composer creates).
 */
export function traefikCanaryRoutes(ingresses: Manifest[], a: PlanInput, base: string, labels: Record<string, string>): Manifest[] {
  const ns = a.namespace;
  const weighted = `${base}-weighted`;
  const out: Manifest[] = [
    {
      apiVersion: "traefik.io/v1alpha1",
      kind: "TraefikService",
      metadata: { name: weighted, namespace: ns, labels },
      spec: {
        weighted: {
          services: [
            { name: base, namespace: ns, port: a.spec.ports.http, weight: 100 },
            { name: `${base}-canary`, namespace: ns, port: a.spec.ports.http, weight: 0 },
          ],
        },
      },
    },
  ];
  for (const ing of ingresses) {
    const ann = ing.metadata.annotations ?? {};
    const middlewares = String(ann["traefik.ingress.kubernetes.io/router.middlewares"] ?? "")
      .split(",")
      .filter(Boolean)
      .map((m) => {
        const id = m.replace(/@kubernetescrd$/, "");
        const name = id.startsWith(`${ns}-`) ? id.slice(ns.length + 1) : id;
        return { name, namespace: ns };
      });
    // An IngressRoute names one TLS Secret; the Ingress has one per host (the host's shared
    // Certificate, components/service/ingress.ts), so one IngressRoute per host.
    (ing.spec.tls as { hosts: string[]; secretName: string }[]).forEach((tls, i) => {
      const routes = (ing.spec.rules as any[])
        .filter((r) => tls.hosts.includes(r.host))
        .flatMap((r) =>
          (r.http.paths as any[]).map((p) => ({
            kind: "Rule",
            match: p.path === "/" ? `Host(\`${r.host}\`)` : `Host(\`${r.host}\`) && PathPrefix(\`${p.path}\`)`,
            ...(middlewares.length ? { middlewares } : {}),
            services: [{ name: weighted, namespace: ns, kind: "TraefikService" }],
          })),
        );
      out.push({
        apiVersion: "traefik.io/v1alpha1",
        kind: "IngressRoute",
        metadata: {
          name: i === 0 ? ing.metadata.name : `${ing.metadata.name}-${i}`,
          namespace: ns,
          labels: ing.metadata.labels ?? labels,
          annotations: Object.fromEntries(Object.entries(ann).filter(([k]) => k.startsWith("platform.io/"))),
        },
        spec: { entryPoints: ["websecure"], routes, tls: { secretName: tls.secretName } },
      });
    });
  }
  return out;
}
