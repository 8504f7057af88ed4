// The real Prometheus (3.16.0, github.com/prometheus/prometheus v0.316.0, built by scripts/engine.sh
// into .engine/bin/prometheus) for the Argo Rollouts tests, and what it scrapes.
//
//  - scrapeConfigFor(ServiceMonitor): the scrape job the Prometheus operator (kube-prometheus-stack)
//    generates for a planned ServiceMonitor: Kubernetes service discovery (role endpoints, the
//    operator's default) in the ServiceMonitor's namespaces, `keep` on the ServiceMonitor's label
//    selector and endpoint port name, then the operator's relabelling: `namespace`, `service`
//    (the Service the endpoint belongs to: `web-canary` for a canary pod seen through the canary
//    Service), `pod`, `container`, `job`, `endpoint` (pkg/prometheus/promcfg.go; its golden files
//    such as testdata/NoEnforcedNamespaceLabelServiceMonitor_Expected.golden). Prometheus's own
//    Kubernetes SD reads the embedded API server's real Endpoints (kube-controller-manager fills
//    them from the KWOK pods), so which pods count as canary is decided by the cluster, not by us.
//    Test-only difference, appended after the operator's rules: KWOK pod IPs are not reachable, so
//    __address__ becomes the loopback app-metrics server and __metrics_path__ names the pod; and the
//    scrape interval is 2 s instead of the ServiceMonitor's 30 s (the tests shorten the analysis
//    interval the same way).
//  - startAppMetrics(): that loopback server. For each pod it serves the metrics the pod's image
//    really exposes (by image): the music platform's images an OpenTelemetry Prometheus exporter
//    histogram `http_server_request_duration_seconds` (label http_response_status_code, seconds);
//    cat-gateway its own `http_request_count` counter and `http_request_duration_ms` histogram
//    (labels endpoint, method, status_code; milliseconds observed into the Rust prometheus crate's
//    default buckets, catalyst-gateway/bin/src/service/utilities/middleware/tracing_mw.rs). A test
//    sets an image's behaviour: healthy (no 5xx at all: the 5xx series does not exist), failing
//    (25 % 5xx) or silent (the new version exposes no request metrics).
//  - startPrometheus(): the real server with that config, behind a loopback proxy that records every
//    PromQL query the rollouts controller sends (the tests assert the exact text).
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { KubeClient } from "../../tools/cluster/kube";
import { waitFor } from "../../tools/cluster/kube";
import { Component } from "../../tools/cluster/procs";

export type Behaviour = "healthy" | "failing" | "silent";

/** Prometheus label name the operator derives from a Kubernetes label key (strutil.SanitizeLabelName). */
const sanitize = (k: string) => k.replace(/[^a-zA-Z0-9_]/g, "_");

/** The operator's scrape job for one planned ServiceMonitor endpoint, plus the loopback rewrite. */
export function scrapeConfigFor(sm: Record<string, any>, kubeconfig: string, appMetrics: string, scrapeInterval = "2s"): Record<string, unknown>[] {
  const ns = sm.metadata.namespace as string;
  const names: string[] = sm.spec.namespaceSelector?.matchNames ?? [ns];
  const match = Object.entries((sm.spec.selector?.matchLabels ?? {}) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b));
  if (sm.spec.selector?.matchExpressions?.length) throw new Error(`ServiceMonitor ${ns}/${sm.metadata.name}: matchExpressions are not mirrored by this test`);
  return (sm.spec.endpoints as any[]).map((ep, i) => {
    if (!ep.port) throw new Error(`ServiceMonitor ${ns}/${sm.metadata.name} endpoint ${i}: only named ports are mirrored`);
    return {
      job_name: `serviceMonitor/${ns}/${sm.metadata.name}/${i}`,
      honor_labels: false,
      kubernetes_sd_configs: [{ role: "endpoints", kubeconfig_file: kubeconfig, namespaces: { names } }],
      scrape_interval: scrapeInterval,
      scrape_timeout: "1s",
      metrics_path: ep.path ?? "/metrics",
      scheme: ep.scheme ?? "http",
      relabel_configs: [
        { source_labels: ["job"], target_label: "__tmp_prometheus_job_name" },
        ...match.map(([k, v]) => ({
          action: "keep",
          source_labels: [`__meta_kubernetes_service_label_${sanitize(k)}`, `__meta_kubernetes_service_labelpresent_${sanitize(k)}`],
          regex: `(${v});true`,
        })),
        { action: "keep", source_labels: ["__meta_kubernetes_endpoint_port_name"], regex: ep.port },
        {
          source_labels: ["__meta_kubernetes_endpoint_address_target_kind", "__meta_kubernetes_endpoint_address_target_name"],
          separator: ";",
          regex: "Node;(.*)",
          replacement: "${1}",
          target_label: "node",
        },
        {
          source_labels: ["__meta_kubernetes_endpoint_address_target_kind", "__meta_kubernetes_endpoint_address_target_name"],
          separator: ";",
          regex: "Pod;(.*)",
          replacement: "${1}",
          target_label: "pod",
        },
        { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
        { source_labels: ["__meta_kubernetes_service_name"], target_label: "service" },
        { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
        { source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" },
        { action: "drop", source_labels: ["__meta_kubernetes_pod_phase"], regex: "(Failed|Succeeded)" },
        { source_labels: ["__meta_kubernetes_service_name"], target_label: "job", replacement: "${1}" },
        { target_label: "endpoint", replacement: ep.port },
        // Test only: the pod's IP is a KWOK address; scrape the loopback server for that pod instead.
        {
          source_labels: ["__meta_kubernetes_namespace", "__meta_kubernetes_pod_name"],
          separator: "/",
          regex: "(.+)",
          target_label: "__metrics_path__",
          replacement: "/pods/${1}/metrics",
        },
        { target_label: "__address__", replacement: appMetrics },
      ],
    };
  });
}

// ------------------------------------------------------------ the pods' own metrics

const OTEL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** The Rust prometheus crate's DEFAULT_BUCKETS (cat-gateway registers its histograms without buckets). */
const RUST_DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Requests per second each pod serves. */
const RPS = 20;

interface Series {
  status: string;
  share: number;
  latency: number;
}

/** What a pod of `image` has served `t` seconds after it started: [status, count, latency of each request]. */
function served(behaviour: Behaviour, t: number, latency: number): { status: string; count: number; latency: number }[] {
  const total = Math.floor(RPS * t);
  const series: Series[] =
    behaviour === "failing"
      ? [
          { status: "200", share: 0.75, latency },
          { status: "503", share: 0.25, latency },
        ]
      : [{ status: "200", share: 1, latency }];
  return series.map((s) => ({ status: s.status, count: Math.floor(total * s.share), latency: s.latency }));
}

function histogram(name: string, labels: (status: string) => string, buckets: number[], rows: { status: string; count: number; latency: number }[]): string[] {
  const out = [`# HELP ${name} request duration`, `# TYPE ${name} histogram`];
  for (const r of rows) {
    const l = labels(r.status);
    for (const b of buckets) out.push(`${name}_bucket{${l},le="${b}"} ${r.latency <= b ? r.count : 0}`);
    out.push(`${name}_bucket{${l},le="+Inf"} ${r.count}`, `${name}_sum{${l}} ${r.count * r.latency}`, `${name}_count{${l}} ${r.count}`);
  }
  return out;
}

/** The exposition of one pod: what its image's software exposes, for its behaviour. */
export function exposition(image: string, behaviour: Behaviour, t: number): string {
  const lines = [
    "# HELP process_start_time_seconds Start time of the process.",
    "# TYPE process_start_time_seconds gauge",
    `process_start_time_seconds ${Math.floor(Date.now() / 1000 - t)}`,
  ];
  if (behaviour !== "silent") {
    if (/\/cat-gateway:/.test(image)) {
      // 40 ms per request: observed in milliseconds into buckets that end at 10.
      const rows = served(behaviour, t, 40);
      const l = (s: string) => `endpoint="/api/v1/health/ready",method="GET",status_code="${s}"`;
      lines.push(
        "# HELP http_request_count Number of HTTP requests",
        "# TYPE http_request_count counter",
        ...rows.map((r) => `http_request_count{${l(r.status)}} ${r.count}`),
      );
      lines.push(...histogram("http_request_duration_ms", l, RUST_DEFAULT_BUCKETS, rows));
    } else if (/^ghcr\.io\/normaldance\//.test(image)) {
      const rows = served(behaviour, t, 0.04);
      lines.push(
        ...histogram(
          "http_server_request_duration_seconds",
          (s) => `http_request_method="GET",http_response_status_code="${s}",http_route="/"`,
          OTEL_BUCKETS,
          rows,
        ),
      );
    } else {
      throw new Error(`no metrics model for image ${image}`);
    }
  }
  return lines.join("\n") + "\n";
}

export interface AppMetrics {
  /** host:port of the loopback server. */
  address: string;
  behaviour: Map<string, Behaviour>;
  /** Pods scraped, and through which Prometheus target path. */
  scraped: Set<string>;
  close(): Promise<void>;
}

/** Serves /pods/<namespace>/<pod>/metrics for the pods of the embedded cluster. */
export function startAppMetrics(k: KubeClient): Promise<AppMetrics> {
  const behaviour = new Map<string, Behaviour>();
  const started = new Map<string, number>();
  const scraped = new Set<string>();
  const server: Server = createServer((req, res) => {
    const m = /^\/pods\/([^/]+)\/([^/]+)\/metrics$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, ns, pod] = m as unknown as [string, string, string];
    k.get(`/api/v1/namespaces/${ns}/pods/${pod}`)
      .then((r) => {
        if (r.status !== 200) {
          res.writeHead(404).end();
          return;
        }
        const image = String(r.body.spec.containers[0].image);
        const key = `${ns}/${pod}`;
        if (!started.has(key)) started.set(key, Date.now());
        scraped.add(key);
        const t = (Date.now() - started.get(key)!) / 1000;
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(exposition(image, behaviour.get(image) ?? "healthy", t));
      })
      .catch((e) => {
        res.writeHead(500).end(String(e));
      });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
        behaviour,
        scraped,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

// ------------------------------------------------------------ Prometheus

export interface RealPrometheus {
  /** The recording proxy in front of the server: what the AnalysisTemplates are pointed at. */
  url: string;
  /** The server itself. */
  direct: string;
  queries: { at: number; query: string }[];
  proc: Component;
  query(q: string): Promise<any>;
  stop(): Promise<void>;
}

export async function startPrometheus(bin: string, dir: string, port: number, scrapeConfigs: Record<string, unknown>[]): Promise<RealPrometheus> {
  mkdirSync(join(dir, "data"), { recursive: true });
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, stringify({ global: { scrape_interval: "2s", evaluation_interval: "2s" }, scrape_configs: scrapeConfigs }));
  const direct = `http://127.0.0.1:${port}`;
  const proc = Component.start(
    "prometheus",
    bin,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--storage.tsdb.retention.time=1h"],
    join(dir, "logs"),
    { PATH: process.env["PATH"], HOME: dir },
  );
  await waitFor(
    "Prometheus ready",
    async () => {
      if (!proc.running) throw new Error(`prometheus exited (${JSON.stringify(proc.exitInfo)}):\n${proc.tail().slice(-3000)}`);
      try {
        return (await fetch(`${direct}/-/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    60_000,
  );
  const queries: { at: number; query: string }[] = [];
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://x");
      const form = new URLSearchParams(req.method === "POST" ? body.toString("utf8") : url.search.slice(1));
      if (url.pathname === "/api/v1/query") queries.push({ at: Date.now(), query: form.get("query") ?? "" });
      const up = httpRequest(`${direct}${req.url}`, { method: req.method, headers: { ...req.headers, host: `127.0.0.1:${port}` } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", (e) => res.writeHead(502).end(String(e)));
      up.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return {
    url,
    direct,
    queries,
    proc,
    async query(q: string) {
      const r = await fetch(`${direct}/api/v1/query?query=${encodeURIComponent(q)}`);
      const j: any = await r.json();
      if (j.status !== "success") throw new Error(`Prometheus query ${q}: ${JSON.stringify(j)}`);
      return j.data;
    },
    async stop() {
      await new Promise<void>((r) => proxy.close(() => r()));
      await proc.stop();
    },
  };
}
