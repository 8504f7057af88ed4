/** The Service plan (pure): workload, probes, scaling, exposure, rollout tracks. */
import { describe, expect, it } from "vitest";
import { serviceArgs } from "../../components/service/args";
import { planService } from "../../components/service/plan";
import { RESOURCES } from "../../stacks/spec/tiers";
import { UPSTREAM_CORS_HEADERS } from "../../components/service/ingress";
import { serviceSpec } from "../../components/service/spec";
import { API, RELAY, WORKER, kinds, planFor } from "./fixtures";

const restricted = (pod: any) => {
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  for (const c of pod.containers) {
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
  }
  expect(pod.volumes).toContainEqual({ name: "tmp", emptyDir: { sizeLimit: "256Mi" } });
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(pod.hostNetwork ?? false).toBe(false);
};

describe("planService", () => {
  it("plans a restricted Deployment with probes on the health port and tier resources", () => {
    const p = planFor(API);
    const [d] = kinds(p, "Deployment");
    const pod = d.spec.template.spec;
    restricted(pod);
    const c = pod.containers[0];
    expect(c.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "health", containerPort: 8081, protocol: "TCP" },
      { name: "metrics", containerPort: 9090, protocol: "TCP" },
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: "/health/live", port: "health", scheme: "HTTP" });
    expect(c.readinessProbe.httpGet.path).toBe("/health/ready");
    expect(c.startupProbe).toMatchObject({ httpGet: { path: "/health/live", port: "health" }, failureThreshold: 30 });
    expect(c.resources).toEqual(RESOURCES.full);
    // HPA owns the replica count.
    expect(d.spec.replicas).toBeUndefined();
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: "25%" });
  });

  it("probes the http port when no health port is declared", () => {
    const c = kinds(planFor(RELAY), "Deployment")[0].spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet.port).toBe("http");
  });

  it("HPA autoscaling/v2 with cpu, memory and a custom Pods metric; PDB + topology spread when replicated", () => {
    const [hpa] = kinds(planFor(API), "HorizontalPodAutoscaler");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20, scaleTargetRef: { kind: "Deployment", name: "api" } });
    expect(hpa.spec.metrics.map((m: any) => m.resource?.name ?? m.pods.metric.name)).toEqual(["cpu", "memory"]);
    const [whpa] = kinds(planFor(WORKER), "HorizontalPodAutoscaler");
    expect(whpa.spec.metrics[1]).toEqual({ type: "Pods", pods: { metric: { name: "queue_depth" }, target: { type: "AverageValue", averageValue: "30" } } });
    const p = planFor(API);
    expect(kinds(p, "PodDisruptionBudget")[0].spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { ...p.podSelector, "platform.io/track": "stable" } },
    });
    expect(kinds(p, "Deployment")[0].spec.template.spec.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual([
      "topology.kubernetes.io/zone",
      "kubernetes.io/hostname",
    ]);
  });

  it("one replica: no HPA, no PDB, no spread; fixed replica count", () => {
    const p = planFor(API, { replicas: { min: 1, max: 1 }, autoscaling: false, disruptionBudgets: false, resources: RESOURCES.minimal });
    expect(kinds(p, "HorizontalPodAutoscaler")).toEqual([]);
    expect(kinds(p, "PodDisruptionBudget")).toEqual([]);
    const d = kinds(p, "Deployment")[0];
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });

  it("ClusterIP Service names the metrics port `metrics`; a worker gets a metrics-only Service or none", () => {
    const [svc] = kinds(planFor(API), "Service");
    expect(svc.spec.type).toBe("ClusterIP");
    expect(svc.spec.ports.map((p: any) => `${p.name}:${p.port}`)).toEqual(["http:8080", "health:8081", "metrics:9090"]);
    expect(kinds(planFor(WORKER), "Service")).toEqual([]);
    expect(kinds(planFor(WORKER), "Ingress")).toEqual([]);
  });

  it("one TLS Ingress per route group on websecure, each through its group's RateLimit Middleware; never the metrics port", () => {
    const p = planFor(API);
    const ings = kinds(p, "Ingress");
    expect(ings.map((i) => i.metadata.name)).toEqual(["api-api", "api-auth"]);
    for (const i of ings) {
      // Every Ingress on the host names the host's one Secret; the Certificate is the composer's (one per host), not ingress-shim's.
      expect(i.spec.ingressClassName).toBe("traefik");
      expect(i.spec.tls).toEqual([{ hosts: ["api.example.com"], secretName: "tls-api.example.com" }]);
      expect(i.metadata.annotations["cert-manager.io/cluster-issuer"]).toBeUndefined();
      expect(i.metadata.annotations["traefik.ingress.kubernetes.io/router.entrypoints"]).toBe("websecure");
      expect(Object.keys(i.metadata.annotations).filter((k) => k.includes("nginx"))).toEqual([]);
      for (const r of i.spec.rules) for (const path of r.http.paths) expect(path.backend.service.port.name).toBe("http");
      expect(JSON.stringify(i)).not.toMatch(/metrics|9090/);
    }
    expect(ings.map((i) => i.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"])).toEqual([
      "apps-api-ratelimit-api@kubernetescrd,apps-api-headers@kubernetescrd,apps-api-bodylimit-api@kubernetescrd",
      "apps-api-ratelimit-auth@kubernetescrd,apps-api-headers@kubernetescrd,apps-api-bodylimit-auth@kubernetescrd",
    ]);
    // requestsPerSecond → average per 1 s; burst as given (at least 1: Traefik refuses 0).
    const limits = Object.fromEntries(
      kinds(p, "Middleware")
        .filter((m) => m.spec.rateLimit)
        .map((m) => [m.metadata.name, m.spec.rateLimit]),
    );
    expect(limits).toEqual({ "api-ratelimit-api": { average: 20, period: "1s", burst: 40 }, "api-ratelimit-auth": { average: 2, period: "1s", burst: 1 } });
    expect(ings[1].spec.rules[0].http.paths[0].path).toBe("/auth");
    expect(p.hosts).toEqual(["api.example.com"]);
  });

  it("Traefik: Middlewares for rate limits and HSTS+CORS headers, attached by annotation", () => {
    const p = planFor(API, { ingress: { controller: "traefik", className: "traefik", clusterIssuer: "letsencrypt" } });
    const mws = kinds(p, "Middleware");
    expect(mws.map((m) => m.metadata.name).sort()).toEqual([
      "api-bodylimit-api",
      "api-bodylimit-auth",
      "api-headers",
      "api-ratelimit-api",
      "api-ratelimit-auth",
    ]);
    const headers = mws.find((m) => m.metadata.name === "api-headers")!.spec.headers;
    expect(headers).toMatchObject({ stsSeconds: 31536000, accessControlAllowOriginList: ["https://example.com", "https://admin.example.com"] });
    // Traefik sends Access-Control-Allow-Headers only when the list is set: without it a JSON or
    // Authorization preflight is refused. The default list is ingress-nginx's former default.
    expect(headers.accessControlAllowHeaders).toEqual([
      "DNT",
      "Keep-Alive",
      "User-Agent",
      "X-Requested-With",
      "If-Modified-Since",
      "Cache-Control",
      "Content-Type",
      "Range",
      "Authorization",
    ]);
    const ing = kinds(p, "Ingress")[0];
    expect(ing.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"]).toBe(
      "apps-api-ratelimit-api@kubernetescrd,apps-api-headers@kubernetescrd,apps-api-bodylimit-api@kubernetescrd",
    );
    expect(ing.metadata.annotations["traefik.ingress.kubernetes.io/router.tls"]).toBe("true");
    expect(ing.spec.tls[0].secretName).toBe("tls-api.example.com");
  });

  it("request bodies: every route group gets a Buffering Middleware, 1 MiB by default (ingress-nginx's former default), a group's override in requestBodyLimits; the schema refuses bad values naming the fix", () => {
    const bodies = (p: ReturnType<typeof planFor>) =>
      Object.fromEntries(
        kinds(p, "Middleware")
          .filter((m) => m.spec.buffering)
          .map((m) => [m.metadata.name, m.spec.buffering]),
      );
    expect(bodies(planFor(API))).toEqual({
      "api-bodylimit-api": { maxRequestBodyBytes: 1_048_576, memRequestBodyBytes: 1_048_576 },
      "api-bodylimit-auth": { maxRequestBodyBytes: 1_048_576, memRequestBodyBytes: 1_048_576 },
    });
    // Larger than 1 MiB: buffered in memory up to 1 MiB, the rest on the pod's /tmp; smaller: all in memory.
    expect(bodies(planFor({ ...API, requestBodyLimits: { api: 10_485_760, auth: 16_384 } }))).toEqual({
      "api-bodylimit-api": { maxRequestBodyBytes: 10_485_760, memRequestBodyBytes: 1_048_576 },
      "api-bodylimit-auth": { maxRequestBodyBytes: 16_384, memRequestBodyBytes: 16_384 },
    });
    // The Rollouts canary's IngressRoute copies the chain from the annotation, so it carries the limit too.
    const rollout = planFor({ ...API, strategy: "canary" }, { rollout: { controller: "argo-rollouts", prometheusUrl: "http://prometheus.monitoring:9090" } });
    const routes = kinds(rollout, "IngressRoute");
    expect(routes.map((r) => r.metadata.name)).toEqual(["api-api", "api-auth"]);
    for (const r of routes)
      for (const route of r.spec.routes)
        expect(route.middlewares.map((m: any) => m.name)).toEqual([
          `api-ratelimit-${r.metadata.labels["platform.io/route-group"]}`,
          "api-headers",
          `api-bodylimit-${r.metadata.labels["platform.io/route-group"]}`,
        ]);
    const err = (v: unknown) => {
      const r = serviceSpec.safeParse({ ...API, requestBodyLimits: { api: v } });
      expect(r.success).toBe(false);
      return r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    };
    expect(err(0)).toBe("requestBodyLimits.api: must be at least 1 byte; remove the entry to get the platform default (1 MiB)");
    expect(err(1.5)).toContain("requestBodyLimits.api: must be a whole number of bytes");
    expect(err("1Mi")).toContain("requestBodyLimits.api: must be a whole number of bytes");
    expect(err(67_108_865)).toBe(
      "requestBodyLimits.api: at most 67108864 bytes (64 MiB): the ingress buffers every body; send larger uploads straight to object storage (presigned URL)",
    );
    expect(serviceSpec.safeParse({ ...API, requestBodyLimits: { api: 67_108_864 } }).success).toBe(true);
  });

  it("API-only Ingresses are marked; a service serving the web app gets the edge's isolation headers", () => {
    expect(kinds(planFor(API), "Ingress").every((i) => i.metadata.annotations["platform.io/api-only"] === "true")).toBe(true);
    const web = planFor({ ...API, servesWebApp: true }, { webHeaders: { coep: "credentialless" } });
    expect(kinds(web, "ConfigMap")).toEqual([]);
    expect(kinds(web, "Middleware").find((m) => m.metadata.name === "api-headers")!.spec.headers.customResponseHeaders).toMatchObject({
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "credentialless",
      "Cross-Origin-Resource-Policy": "same-origin",
    });
    for (const i of kinds(web, "Ingress")) {
      expect(i.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"]).toContain("apps-api-headers@kubernetescrd");
      expect(i.metadata.annotations["platform.io/api-only"]).toBeUndefined();
    }
    const t = planFor({ ...API, servesWebApp: true }, { ingress: { controller: "traefik", className: "traefik" } });
    expect(kinds(t, "Middleware").find((m) => m.metadata.name === "api-headers")!.spec.headers.customResponseHeaders["Cross-Origin-Embedder-Policy"]).toBe(
      "require-corp",
    );
  });

  it("webHeaders.scriptHashes: the served build's hashes join the CSP's script-src; next to 'unsafe-inline' they are refused", () => {
    const h = "sha256-" + "A".repeat(43) + "=";
    const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'";
    const t = planFor({ ...API, servesWebApp: true }, { webHeaders: { coep: "require-corp", csp, scriptHashes: [h] } });
    expect(kinds(t, "Middleware").find((m) => m.metadata.name === "api-headers")!.spec.headers.customResponseHeaders["Content-Security-Policy"]).toBe(
      `default-src 'self'; script-src 'self' 'wasm-unsafe-eval' '${h}'; object-src 'none'`,
    );
    expect(() =>
      planFor({ ...API, servesWebApp: true }, { webHeaders: { coep: "require-corp", csp: "script-src 'self' 'unsafe-inline'", scriptHashes: [h] } }),
    ).toThrow(/scriptHashes: the CSP's script-src allows 'unsafe-inline', which hashes would silently switch off; remove it/);
  });

  it("an upstream's own CORS headers never pass the ingress; the spec's CORS is set for its origins only", () => {
    // Traefik: customResponseHeaders "" deletes the upstream's (header.go PostRequestModifyResponseHeaders
    // runs them before setting ACAO for a listed origin), with and without a cors section, next to
    // the web app's isolation headers.
    const deleted = Object.fromEntries(UPSTREAM_CORS_HEADERS.map((h) => [h, ""]));
    const traefik = { ingress: { controller: "traefik" as const, className: "traefik", clusterIssuer: "letsencrypt" } };
    const withCors = kinds(planFor(API, traefik), "Middleware").find((m) => m.metadata.name === "api-headers")!.spec.headers;
    expect(withCors.customResponseHeaders).toEqual(deleted);
    expect(withCors.accessControlAllowOriginList).toEqual(["https://example.com", "https://admin.example.com"]);
    const { cors: _none, ...noCors } = API;
    expect(kinds(planFor(noCors, traefik), "Middleware").find((m) => m.metadata.name === "api-headers")!.spec.headers.customResponseHeaders).toEqual(deleted);
    const web = kinds(planFor({ ...API, servesWebApp: true }, traefik), "Middleware").find((m) => m.metadata.name === "api-headers")!.spec.headers
      .customResponseHeaders;
    expect(web).toMatchObject({ ...deleted, "Cross-Origin-Opener-Policy": "same-origin" });
  });

  it("cors.exposedHeaders: Traefik's accessControlExposeHeaders; none without them", () => {
    const cors = { ...API.cors!, exposedHeaders: ["X-Request-Id", "Link"] };
    const traefik = { ingress: { controller: "traefik" as const, className: "traefik", clusterIssuer: "letsencrypt" } };
    const mw = (spec: typeof API) => kinds(planFor(spec, traefik), "Middleware").find((m) => m.metadata.name === "api-headers")!.spec.headers;
    expect(mw({ ...API, cors }).accessControlExposeHeaders).toEqual(["X-Request-Id", "Link"]);
    expect(mw(API).accessControlExposeHeaders).toBeUndefined();
    expect(() => serviceSpec.parse({ ...API, cors: { ...cors, exposedHeaders: ["*"] } })).toThrow(
      /must be an HTTP header name such as `X-Request-Id` \(no `\*`\)/,
    );
  });

  it("ServiceMonitor on the metrics port when monitoring is on", () => {
    const [sm] = kinds(planFor(API), "ServiceMonitor");
    expect(sm.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(sm.spec.endpoints).toEqual([{ port: "metrics", path: "/metrics", interval: "30s", scheme: "http" }]);
    expect(kinds(planFor(API, { serviceMonitor: { enabled: false } }), "ServiceMonitor")).toEqual([]);
  });

  it("blueGreen: two colours, the Service selects the active one, preview the idle one", () => {
    const p = planFor({ ...API, strategy: "blueGreen" }, { rollout: { activeColor: "green", previewImage: "ghcr.io/example/api:1.1.0" } });
    const ds = kinds(p, "Deployment");
    expect(ds.map((d) => `${d.metadata.name}:${d.spec.template.spec.containers[0].image}`)).toEqual([
      "api-green:ghcr.io/example/api:1.0.0",
      "api-blue:ghcr.io/example/api:1.1.0",
    ]);
    const svcs = kinds(p, "Service");
    expect(svcs.find((s) => s.metadata.name === "api")!.spec.selector["platform.io/track"]).toBe("green");
    expect(svcs.find((s) => s.metadata.name === "api-preview")!.spec.selector["platform.io/track"]).toBe("blue");
    expect(kinds(p, "HorizontalPodAutoscaler")[0].spec.scaleTargetRef.name).toBe("api-green");
    expect(kinds(p, "Ingress").every((i) => i.spec.rules[0].http.paths[0].backend.service.name === "api")).toBe(true);
  });

  it("canary (Deployments): by replica ratio on the shared Service; no canary Ingress or Service", () => {
    const t = planFor({ ...API, strategy: "canary" }, { rollout: { canaryWeight: 25, canaryImage: "ghcr.io/example/api:1.1.0" } });
    expect(kinds(t, "Service").find((s) => s.metadata.name === "api")!.spec.selector["platform.io/track"]).toBeUndefined();
    expect(kinds(t, "Service").map((s) => s.metadata.name)).not.toContain("api-canary");
    // 25 % of requests at min 3 stable replicas: round(3 × 25 / 75) = 1 canary pod.
    expect(kinds(t, "Deployment").map((d) => [d.metadata.name, d.spec.replicas, d.spec.template.spec.containers[0].image])).toEqual([
      ["api", undefined, "ghcr.io/example/api:1.0.0"],
      ["api-canary", 1, "ghcr.io/example/api:1.1.0"],
    ]);
    expect(kinds(t, "Ingress").map((i) => i.metadata.name)).toEqual(["api-api", "api-auth"]);
    expect(kinds(t, "Ingress").every((i) => i.spec.rules[0].http.paths[0].backend.service.name === "api")).toBe(true);
  });

  it("StatefulSet when asked, with a headless Service", () => {
    const p = planFor({ ...RELAY, workload: "statefulset" });
    expect(kinds(p, "StatefulSet")[0].spec.serviceName).toBe("relay-headless");
    expect(kinds(p, "Service").map((s) => s.metadata.name)).toEqual(["relay", "relay-headless"]);
    restricted(kinds(p, "StatefulSet")[0].spec.template.spec);
  });

  it("secrets: envFrom the created Secret and an existing one", () => {
    const a = serviceArgs.parse({
      spec: API,
      namespace: "apps",
      replicas: { min: 1, max: 1 },
      resources: RESOURCES.minimal,
      autoscaling: false,
      disruptionBudgets: false,
      domain: "example.com",
      ingress: { controller: "traefik", className: "traefik" },
      selfOrigin: "https://example.com",
      existingSecretName: "api-external",
    });
    const { secretEnv: _ignored, ...rest } = a;
    const p = planService({ ...rest, secretEnvKeys: ["DATABASE_URL"] });
    expect(kinds(p, "Deployment")[0].spec.template.spec.containers[0].envFrom).toEqual([
      { secretRef: { name: "api-env" } },
      { secretRef: { name: "api-external" } },
    ]);
    expect(p.envSecretName).toBe("api-env");
  });

  it("rejects a public route without TLS, a routed metrics port and a public service without ingress settings", () => {
    expect(() =>
      planFor({
        ...API,
        routes: [
          { host: "api", tls: false },
          { host: "m", port: "metrics" },
        ],
        rateLimits: {},
      }),
    ).toThrow(/spec\.routes\.0\.tls: .*\n.*spec\.routes\.1\.port: the metrics port is never routed/);
    expect(() => planFor(API, { ingress: undefined })).toThrow(/ingress: a public service needs/);
    expect(() => planFor(API, { selfOrigin: undefined })).toThrow(/selfOrigin/);
    expect(() => serviceArgs.parse({ spec: API })).toThrow();
  });
});
