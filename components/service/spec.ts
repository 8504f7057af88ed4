/**
 * The service spec: what a blueprint says about one stateless (or stateful) service, with no
 * sizes. The same spec deploys to Kubernetes (components/service) and to the droplet beta host
 * (components/host); the environment tier supplies replicas and resources.
 *
 * Every object is strict: an unknown key is an error, so a typo cannot pass silently.
 */
import { z } from "zod";

/** DNS-1123 label: what Kubernetes, Docker and DNS all accept as a name. */
export const dnsLabel = z.string().regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, {
  message: "must be a DNS-1123 label: lower-case letters, digits and '-', starting with a letter, at most 40 characters (e.g. `api`, `queue-worker`)",
});

export const port = z.int().min(1, { message: "ports are 1-65535" }).max(65535, { message: "ports are 1-65535" });

/** An image reference pinned by tag or digest: `registry/repo:tag` or `registry/repo@sha256:...`. */
export const imageRef = z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/, {
  message: "must be an image reference with a tag or digest, e.g. `ghcr.io/acme/api:1.4.2` or `ghcr.io/acme/api@sha256:<64 hex>`",
});

const httpPath = z.string().regex(/^\/[\w\-./~%]*$/, { message: "must be an absolute URL path such as `/healthz`" });

export const probeSpec = z.strictObject({
  /** HTTP GET path on the health port. */
  path: httpPath,
  /** Seconds between checks. */
  periodSeconds: z.int().min(1).max(300).default(10),
  /** Consecutive failures before the container is restarted / marked unready. */
  failureThreshold: z.int().min(1).max(30).default(3),
});

export const routeSpec = z.strictObject({
  /** Host label under the stack domain (`api` → api.<domain>); `@` is the apex. */
  host: z.union([z.literal("@"), dnsLabel]),
  /** Path prefix routed to the service. */
  path: httpPath.default("/"),
  /** Rate-limit group this route belongs to (a key of `rateLimits`). */
  group: dnsLabel.default("default"),
  /** Which named port receives the traffic. Never `metrics`. */
  port: z.enum(["http", "health", "metrics"]).default("http"),
  /**
   * TLS at the ingress. Always on for public services; `false` is accepted only to be rejected
   * with a clear error, so the mistake is visible in review.
   */
  tls: z.boolean().default(true),
});

export const rateLimitSpec = z.strictObject({
  /** Sustained requests per second per client IP. */
  requestsPerSecond: z.int().min(1).max(100_000),
  /** Extra requests allowed in a burst. */
  burst: z.int().min(0).max(100_000).default(0),
});

/**
 * Request-body limit (#16): ingress-nginx refused bodies over 1 MiB by default
 * (`proxy-body-size`), Traefik has no limit. Enforced per route group by a Traefik Buffering
 * Middleware (`maxRequestBodyBytes`, 413; components/service/ingress.ts) and on the single host by
 * Caddy's `request_body` handler (components/host/caddy.ts).
 */
export const DEFAULT_REQUEST_BODY_BYTES = 1_048_576;
/** Upper bound: Traefik buffers each body (1 MiB in memory, the rest on its /tmp emptyDir). */
export const MAX_REQUEST_BODY_BYTES = 67_108_864;
export const requestBodyBytes = z
  .int({ message: "must be a whole number of bytes, e.g. 10485760 for 10 MiB" })
  .min(1, { message: "must be at least 1 byte; remove the entry to get the platform default (1 MiB)" })
  .max(MAX_REQUEST_BODY_BYTES, {
    message: `at most ${MAX_REQUEST_BODY_BYTES} bytes (64 MiB): the ingress buffers every body; send larger uploads straight to object storage (presigned URL)`,
  });

export const corsSpec = z.strictObject({
  /** Exact origins (`https://app.example.com`) or `self` for the stack's own app origin. `*` is refused. */
  allowedOrigins: z.array(z.union([z.literal("self"), z.url({ protocol: /^https$/, message: "origins must be https URLs" })])).min(1),
  allowedMethods: z.array(z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])).default(["GET", "POST", "OPTIONS"]),
  /**
   * Request headers a cross-origin call may send (the preflight's Access-Control-Allow-Headers).
   * The default is ingress-nginx's former `cors-allow-headers` default, written out because Traefik
   * sends no Access-Control-Allow-Headers unless told (and so refuses a JSON or Authorization
   * preflight); it kept the apps working unchanged when the blueprints moved off ingress-nginx.
   */
  allowedHeaders: z
    .array(z.string().regex(/^[A-Za-z0-9-]+$/, { message: "must be an HTTP header name such as `Content-Type`" }))
    .min(1)
    .default(["DNT", "Keep-Alive", "User-Agent", "X-Requested-With", "If-Modified-Since", "Cache-Control", "Content-Type", "Range", "Authorization"]),
  allowCredentials: z.boolean().default(false),
  maxAgeSeconds: z.int().min(0).max(86_400).default(600),
  /**
   * Response headers the app's script may read (Access-Control-Expose-Headers), e.g. `X-Request-Id`
   * or a pagination `Link`. Beyond the CORS-safelisted ones (Content-Type, Cache-Control, ...) a
   * cross-origin script sees no response header unless listed here; the API's own
   * Access-Control-Expose-Headers is removed by the proxy like every upstream CORS header.
   * Names only: `*` would expose every header (and means nothing with credentials).
   */
  exposedHeaders: z.array(z.string().regex(/^[A-Za-z0-9-]+$/, { message: "must be an HTTP header name such as `X-Request-Id` (no `*`)" })).default([]),
});

/** A reference to a value a service receives as a secret environment variable. */
export const secretRef = z.strictObject({
  /** Environment variable name. */
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: "must be an upper-case environment variable name such as `DATABASE_URL`" }),
  /**
   * Where the value comes from: `dataStore:<kind>/<name>` (its connection URL, e.g.
   * `dataStore:postgres/main`), `config:<key>` (a human-provided Pulumi config secret declared in
   * `secrets.external`), or `generated:<name>` (a key generated and kept by the platform).
   */
  from: z
    .string()
    .regex(
      /^(dataStore:(postgres|redis|objectStore|scylla|ipfs)\/[a-z][-a-z0-9]*(#(url|readerUrl|host|password|accessKey|secretKey))?|config:[a-zA-Z][\w-]*|generated:[a-z][-a-z0-9]*)$/,
      {
        message: "must be `dataStore:<postgres|redis|objectStore|scylla|ipfs>/<name>[#url|readerUrl|host|password]`, `config:<key>` or `generated:<name>`",
      },
    ),
});

export const autoscalingSpec = z.strictObject({
  /** Target average CPU utilisation, percent of requests. */
  cpuPercent: z.int().min(10).max(95).default(70),
  /** Target average memory utilisation, percent of requests; absent = not used. */
  memoryPercent: z.int().min(10).max(95).optional(),
  /** Scale on a per-pod custom metric such as queue length (needs a metrics adapter). */
  custom: z
    .strictObject({
      metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: "must be a Prometheus metric name such as `queue_depth`" }),
      targetAverageValue: z.number().positive(),
    })
    .optional(),
});

const metricName = z
  .string()
  .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: "must be a Prometheus metric name such as `http_server_request_duration_seconds`" });
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: "must be a Prometheus label name such as `status_code`" });

const ANALYSIS_DEFAULTS = {
  requests: { metric: "http_server_request_duration_seconds", type: "histogram", statusLabel: "http_response_status_code" },
  latency: { metric: "http_server_request_duration_seconds", unit: "seconds", statistic: "p99", maxSeconds: 0.5 },
} as const;

/** How the service counts its requests: a counter, or the `_count` series of a request histogram. */
export const analysisRequestsSpec = z
  .strictObject({
    metric: metricName.meta({
      description:
        "The service's request metric as it exposes it: a counter (cat-gateway's `http_request_count`) or a histogram named without its `_count`/`_bucket` suffix (OpenTelemetry's `http_server_request_duration_seconds`, the default).",
    }),
    type: z.enum(["counter", "histogram"]).meta({ description: "`counter`: the metric itself counts requests; `histogram`: its `_count` series does." }),
    statusLabel: labelName.meta({
      description:
        "Label carrying the HTTP status code (`http_response_status_code` in OpenTelemetry, `status_code` in cat-gateway); 5xx values count as errors.",
    }),
  })
  .superRefine((r, ctx) => {
    if (r.type === "histogram" && /_(bucket|count|sum)$/.test(r.metric)) {
      ctx.addIssue({
        code: "custom",
        path: ["metric"],
        message: `a histogram is named without its series suffix: write \`${r.metric.replace(/_(bucket|count|sum)$/, "")}\` (the analysis reads its \`_count\`)`,
      });
    }
    if (r.type === "counter" && /_(bucket|sum)$/.test(r.metric)) {
      ctx.addIssue({
        code: "custom",
        path: ["metric"],
        message: `\`${r.metric}\` is a histogram series, not a request counter: name the histogram without the suffix and set \`type: histogram\``,
      });
    }
  });

/** The latency the new version must stay under: a histogram, its unit, and which statistic is compared. */
export const analysisLatencySpec = z
  .strictObject({
    metric: metricName.default("http_server_request_duration_seconds").meta({
      description:
        "Request-duration histogram, named without its `_bucket`/`_sum`/`_count` suffix (`http_server_request_duration_seconds`; cat-gateway: `http_request_duration_ms`).",
    }),
    unit: z
      .enum(["seconds", "milliseconds"])
      .default("seconds")
      .meta({ description: "Unit the histogram observes in; the query converts milliseconds to seconds." }),
    statistic: z.enum(["p99", "mean"]).default("p99").meta({
      description:
        "`p99`: histogram_quantile(0.99) over the `_bucket` series (needs buckets that span the service's latencies); `mean`: rate of `_sum` / rate of `_count` (any bucket layout, e.g. cat-gateway, whose milliseconds go into buckets that end at 10).",
    }),
    maxSeconds: z
      .number()
      .positive()
      .max(60)
      .default(0.5)
      .meta({ description: "Highest latency of the new version (at `statistic`), in seconds whatever the histogram's unit." }),
  })
  .superRefine((l, ctx) => {
    if (/_(bucket|count|sum)$/.test(l.metric))
      ctx.addIssue({
        code: "custom",
        path: ["metric"],
        message: `name the histogram without its series suffix: \`${l.metric.replace(/_(bucket|count|sum)$/, "")}\``,
      });
    if (l.unit === "milliseconds" && /_seconds$/.test(l.metric))
      ctx.addIssue({
        code: "custom",
        path: ["unit"],
        message: `\`${l.metric}\` is named in seconds: set \`unit: seconds\` (or name the millisecond histogram)`,
      });
    if (l.unit === "seconds" && /_(ms|milliseconds)$/.test(l.metric))
      ctx.addIssue({
        code: "custom",
        path: ["unit"],
        message: `\`${l.metric}\` is named in milliseconds: set \`unit: milliseconds\` (the query divides by 1000)`,
      });
  });

/**
 * How a blue-green or canary service is rolled out by Argo Rollouts (staging and prod), and the
 * analysis that aborts it. The stack file's `platform:overrides.services.<name>.rollout` holds
 * the per-release knobs (image, weight, promote, abort); this is the service's standing policy.
 */
export const rolloutSpec = z.strictObject({
  canarySteps: z
    .array(z.int().min(1, { message: "a canary step is a traffic percentage 1-100" }).max(100, { message: "a canary step is a traffic percentage 1-100" }))
    .min(1)
    .default([5, 25, 50, 100])
    .refine((a) => a.every((v, i) => i === 0 || v > a[i - 1]!), { message: "canary steps must increase, e.g. [5, 25, 50, 100]" })
    .refine((a) => a[a.length - 1] === 100, { message: "the last canary step must be 100 (the full rollout)" })
    .meta({
      description:
        "canary: traffic percentages the new version gets, in order; each step is held for `pauseSeconds` while the analysis runs. Default 5 → 25 → 50 → 100.",
    }),
  pauseSeconds: z.int().min(0).max(86_400).default(300).meta({ description: "canary: seconds each step is held (the metrics are watched meanwhile)." }),
  autoPromotion: z.boolean().default(false).meta({
    description: "blueGreen: cut over to the new colour automatically once its pre-promotion analysis passes; false = wait for `promote` in the stack file.",
  }),
  scaleDownDelaySeconds: z
    .int()
    .min(0)
    .max(86_400)
    .default(600)
    .meta({ description: "blueGreen: seconds the old colour keeps running after cut-over (instant rollback window)." }),
  analysis: z
    .strictObject({
      requests: analysisRequestsSpec
        .default(ANALYSIS_DEFAULTS.requests)
        .meta({ description: "How the service counts requests (the error rate's numerator and denominator)." }),
      latency: analysisLatencySpec
        .default(ANALYSIS_DEFAULTS.latency)
        .meta({ description: "The request-duration histogram, its unit, the statistic compared and its limit." }),
      maxErrorRate: z.number().gt(0).lt(1).default(0.01).meta({ description: "Highest share of 5xx responses the new version may serve (0.01 = 1 %)." }),
      intervalSeconds: z.int().min(10).max(3600).default(60).meta({ description: "Seconds between two measurements." }),
      failureLimit: z.int().min(0).max(10).default(1).meta({
        description: "Failed measurements (above the limit, or no data) tolerated before the rollout aborts and traffic returns to the stable version.",
      }),
      initialDelaySeconds: z.int().min(0).max(3600).default(60).meta({
        description:
          "Seconds from the start of an analysis to its first measurement, so Prometheus has scraped the new version's pods (the ServiceMonitor scrapes every 30 s; a rate needs two samples). After it, a measurement without data fails like a value above the limit.",
      }),
    })
    .default({
      requests: ANALYSIS_DEFAULTS.requests,
      latency: ANALYSIS_DEFAULTS.latency,
      maxErrorRate: 0.01,
      intervalSeconds: 60,
      failureLimit: 1,
      initialDelaySeconds: 60,
    }),
});
export type RolloutSpec = z.infer<typeof rolloutSpec>;
export const ROLLOUT_DEFAULTS: RolloutSpec = rolloutSpec.parse({});

export const serviceSpec = z.strictObject({
  name: dnsLabel,
  /** One line on what the service does; shown in docs and labels. */
  description: z.string().max(200).default(""),
  image: imageRef,
  /** `deployment` for stateless services (default), `statefulset` when the service keeps per-pod identity. */
  workload: z.enum(["deployment", "statefulset"]).default("deployment"),
  ports: z.strictObject({
    /** The service's own traffic port. */
    http: port,
    /** Port of the health endpoints (probes). May equal `http`. */
    health: port.optional(),
    /** Prometheus metrics port. Never routed by a public ingress; must differ from `http`. */
    metrics: port.optional(),
  }),
  /** Path of Prometheus metrics on the metrics port. */
  metricsPath: httpPath.default("/metrics"),
  probes: z.strictObject({
    liveness: probeSpec,
    readiness: probeSpec,
    /** For slow starters: liveness waits until this succeeds. */
    startup: probeSpec.optional(),
  }),
  /** `public`: routed from the internet through the ingress; `internal`: cluster-internal; `none`: no inbound traffic (workers). */
  exposure: z.enum(["public", "internal", "none"]),
  routes: z.array(routeSpec).default([]),
  /** Rate limits per route group (`routes[].group`). */
  rateLimits: z.record(dnsLabel, rateLimitSpec).default({}),
  requestBodyLimits: z
    .record(dnsLabel, requestBodyBytes)
    .default({})
    .meta({
      description: `Largest request body in bytes per route group (\`routes[].group\`); a larger body is refused with 413 before it reaches the service. Groups not listed get the platform default, ${DEFAULT_REQUEST_BODY_BYTES} bytes (1 MiB, ingress-nginx's former default); at most ${MAX_REQUEST_BODY_BYTES} (64 MiB): larger uploads belong in object storage through presigned URLs.`,
    }),
  cors: corsSpec.optional(),
  /** The service serves a web app itself (e.g. Axum with ServeDir): the edge header set applies to its responses. */
  servesWebApp: z.boolean().default(false),
  /** Horizontal scaling. Absent: the service runs a fixed replica count (1, or the tier's floor when `replicated`). */
  autoscaling: autoscalingSpec.optional(),
  /** Run more than one replica (for HA) even without autoscaling. */
  replicated: z.boolean().default(true),
  /** Rollout strategy; the mechanism is documented in components/service. */
  strategy: z.enum(["rolling", "blueGreen", "canary"]).default("rolling"),
  /** Progressive-delivery policy of a blueGreen/canary service (steps, analysis); defaults apply when absent. */
  rollout: rolloutSpec.optional(),
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: "env names are upper-case identifiers" }), z.string()).default({}),
  secrets: z.array(secretRef).default([]),
  /** Data stores this service connects to, as `<kind>/<name>` (e.g. `postgres/main`): the only data-tier flows allowed. */
  connectsTo: z
    .array(
      z.string().regex(/^(postgres|redis|objectStore|scylla|ipfs)\/[a-z][-a-z0-9]*$/, { message: "must be `<postgres|redis|objectStore|scylla|ipfs>/<name>`" }),
    )
    .default([]),
  /** Other services of this blueprint it calls (service-to-service flows allowed). */
  calls: z.array(dnsLabel).default([]),
  /** Named external networks (keys of the blueprint's `externalNetworks`) it may reach. */
  egress: z.array(dnsLabel).default([]),
});

export type ServiceSpec = z.infer<typeof serviceSpec>;
export type ServiceSpecInput = z.input<typeof serviceSpec>;
export type RouteSpec = z.infer<typeof routeSpec>;
export type ProbeSpec = z.infer<typeof probeSpec>;
