/**
 * prometheus-adapter: the pure rule generator (every metricsQuery parses as PromQL once the adapter's
 * placeholders are filled in), its chart values, and the Monitoring component installing it exactly
 * when a service scales on a custom metric (helm mode only).
 */
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import fc from "fast-check";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ADAPTER_PORT,
  adapterRules,
  metricSource,
  metricsQuery,
  PROMQL_KEYWORDS,
  prometheusAdapterValues,
  type AdapterRule,
} from "../../components/monitoring/adapter";
import { Monitoring, type MonitoringArgs } from "../../components/monitoring";
import { CHARTS, endpoints } from "../../components/monitoring/plan";
import { hpaCustomMetrics } from "../../stacks/compose/monitoring";
import { runProgram } from "../../tools/harness/run";
import type { Inventory } from "../../tools/harness/inventory";
import { promqlErrors } from "./promql";

/** The adapter's template substitution, as it does it for a pod-scoped query. */
const substitute = (tpl: string, series: string) =>
  tpl
    .replaceAll("<<.Series>>", series)
    .replaceAll("<<.LabelMatchers>>", 'namespace="apps",pod=~"api-7d9f-abcde|api-7d9f-fghij"')
    .replaceAll("<<.GroupBy>>", "pod");
const seriesOf = (r: AdapterRule) => /__name__="([^"]+)"/.exec(r.seriesQuery)![1]!;

describe("adapterRules (pure)", () => {
  it("maps the music platform's metrics: request rate from the http_requests_total counter, queue length as a gauge", () => {
    const rules = adapterRules([
      { metric: "queue_length", namespace: "apps" },
      { metric: "http_requests_per_second", namespace: "apps" },
    ]);
    expect(rules).toEqual([
      {
        seriesQuery: '{__name__="http_requests_total",namespace="apps",pod!=""}',
        resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
        name: { matches: "^http_requests_total$", as: "http_requests_per_second" },
        metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)",
      },
      {
        seriesQuery: '{__name__="queue_length",namespace="apps",pod!=""}',
        resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
        name: { matches: "^queue_length$", as: "queue_length" },
        metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
      },
    ]);
  });

  it("a *_total counter is rated under its own name; other names are gauges", () => {
    expect(metricSource("jobs_processed_total")).toEqual({ series: "jobs_processed_total", kind: "counter" });
    expect(metricSource("messages_per_second")).toEqual({ series: "messages_total", kind: "counter" });
    expect(metricSource("inflight_requests")).toEqual({ series: "inflight_requests", kind: "gauge" });
    expect(metricsQuery("counter")).toMatch(/^sum\(rate\(/);
    expect(metricsQuery("gauge")).toMatch(/^sum\(<<\.Series>>/);
  });

  it("one rule per metric, restricted to the namespaces of the services using it; deterministic", () => {
    const a = adapterRules([
      { metric: "queue_length", namespace: "jobs" },
      { metric: "queue_length", namespace: "apps" },
      { metric: "queue_length", namespace: "apps" },
    ]);
    expect(a).toHaveLength(1);
    expect(a[0]!.seriesQuery).toBe('{__name__="queue_length",namespace=~"apps|jobs",pod!=""}');
    expect(
      adapterRules([
        { metric: "queue_length", namespace: "apps" },
        { metric: "queue_length", namespace: "jobs" },
      ]),
    ).toEqual(a);
    expect(adapterRules([])).toEqual([]);
  });

  it("rejects a bad metric or namespace name with the offending value", () => {
    expect(() => adapterRules([{ metric: "queue-length", namespace: "apps" }])).toThrow(/queue-length.*Prometheus metric name/);
    expect(() => adapterRules([{ metric: "queue_length", namespace: "Apps" }])).toThrow(/namespace 'Apps'/);
  });

  it("refuses PromQL keywords as series names (they would not parse bare in the query), and only those", () => {
    for (const k of ["offset", "bool", "on", "NaN", "Inf", "group_left"])
      expect(() => adapterRules([{ metric: k, namespace: "apps" }])).toThrow(/PromQL keyword/);
    // The keyword check is what keeps the substituted query parseable: each one really fails bare.
    for (const k of ["offset", "bool", "on", "ignoring", "inf", "nan"]) expect(promqlErrors(substitute(metricsQuery("gauge"), k)).length).toBeGreaterThan(0);
    expect(adapterRules([{ metric: "offset_per_second", namespace: "apps" }])[0]!.name.matches).toBe("^offset_total$");
  });

  it("every generated metricsQuery, placeholders substituted, parses as PromQL (any valid metric name)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            metric: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,30}$/).filter((m) => !PROMQL_KEYWORDS.has(m.toLowerCase())),
            namespace: fc.constantFrom("apps", "jobs", "data"),
          }),
          { maxLength: 8 },
        ),
        (targets) => {
          for (const r of adapterRules(targets)) {
            expect(promqlErrors(substitute(r.metricsQuery, seriesOf(r)))).toEqual([]);
            expect(promqlErrors(r.seriesQuery)).toEqual([]);
            expect(new RegExp(r.name.matches).test(seriesOf(r))).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("prometheusAdapterValues (pure)", () => {
  const rules = adapterRules([{ metric: "queue_length", namespace: "apps" }]);

  it("reads the kube-prometheus-stack Prometheus service; only our rules; restricted pod; resources set", () => {
    const v = prometheusAdapterValues({ namespace: "monitoring", depth: "enhanced", rules });
    expect(`${v.prometheus.url}:${v.prometheus.port}`).toBe(endpoints("monitoring").prometheus);
    expect(v.prometheus.url).toBe("http://kps-prometheus.monitoring.svc.cluster.local");
    expect(v.rules).toEqual({ default: false, custom: rules });
    expect(v.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(v.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(v.resources.requests.cpu && v.resources.requests.memory && v.resources.limits.memory).toBeTruthy();
    expect(v.listenPort).toBe(ADAPTER_PORT);
    expect(v.replicas).toBe(1);
    expect(v).not.toHaveProperty("podDisruptionBudget");
    expect(v).not.toHaveProperty("image"); // the image tag is the chart's appVersion: pinned by the chart version
  });

  it("prod (full depth): two replicas with a disruption budget", () => {
    const v = prometheusAdapterValues({ namespace: "monitoring", depth: "full", rules });
    expect(v.replicas).toBe(2);
    expect(v.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
  });

  it("refuses to render without rules", () => {
    expect(() => prometheusAdapterValues({ namespace: "monitoring", depth: "basic", rules: [] })).toThrow(/no custom metric rules/);
  });
});

describe("hpaCustomMetrics (composer decision, mirrors components/service's HPA condition)", () => {
  const svc = { autoscaling: { custom: { metric: "queue_length" } } };
  it("only when the tier autoscales, the service autoscales with a custom metric, and max > min", () => {
    expect(hpaCustomMetrics(svc, { min: 2, max: 10 }, true)).toEqual(["queue_length"]);
    expect(hpaCustomMetrics(svc, { min: 2, max: 10 }, false)).toEqual([]);
    expect(hpaCustomMetrics(svc, { min: 2, max: 2 }, true)).toEqual([]);
    expect(hpaCustomMetrics({ autoscaling: {} }, { min: 2, max: 10 }, true)).toEqual([]);
    expect(hpaCustomMetrics({}, { min: 2, max: 10 }, true)).toEqual([]);
  });
});

const base: MonitoringArgs = {
  stack: "prod",
  namespace: "monitoring",
  mode: "helm",
  depth: "full",
  metricsRetentionDays: 30,
  logRetentionDays: 30,
  logs: false,
  traces: "none",
  scrapeNamespaces: ["apps"],
  services: [
    { name: "api", namespace: "apps", metrics: true, customMetrics: ["http_requests_per_second"] },
    { name: "worker", namespace: "apps", metrics: true, customMetrics: ["queue_length"] },
    { name: "web", namespace: "apps", metrics: false },
  ],
};

async function run(args: MonitoringArgs): Promise<{ inv: Inventory; note: string }> {
  const inv = await runProgram(
    () => {
      const kubernetes = new k8s.Provider("k8s", { renderYamlToDirectory: mkdtempSync(join(tmpdir(), "mon-adapter-")) });
      const rnd = new random.Provider("random", {});
      const m = new Monitoring("mon", args, { providers: { kubernetes, random: rnd } });
      return { note: m.note, adapter: m.customMetricsAdapter };
    },
    { preview: false, stack: args.stack },
  );
  return { inv, note: String(inv.outputs.note) };
}
const adapterRelease = (inv: Inventory) => inv.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "prometheus-adapter");

describe("Monitoring installs prometheus-adapter exactly when a service scales on a custom metric", () => {
  it("helm mode with custom metrics: one pinned release in the monitoring namespace, rules for every metric", async () => {
    const { inv, note } = await run(base);
    const [r, ...more] = adapterRelease(inv);
    expect(more).toEqual([]);
    expect(r).toBeDefined();
    expect(r!.inputs).toMatchObject({
      name: "prometheus-adapter",
      namespace: "monitoring",
      version: CHARTS.prometheusAdapter.version,
      repositoryOpts: { repo: CHARTS.prometheusAdapter.repo },
    });
    expect(CHARTS.prometheusAdapter.version).toMatch(/^\d+\.\d+\.\d+$/);
    const v = r!.inputs.values as any;
    expect(v.rules.default).toBe(false);
    expect(v.rules.custom.map((x: AdapterRule) => x.name.as)).toEqual(["http_requests_per_second", "queue_length"]);
    expect(v.replicas).toBe(2);
    expect(inv.outputs.adapter).toBe(true);
    expect(note).toContain(`prometheus-adapter ${CHARTS.prometheusAdapter.version}`);
  });

  it("no custom metric: no adapter", async () => {
    const { inv } = await run({ ...base, services: base.services!.map((s) => ({ ...s, customMetrics: [] })) });
    expect(adapterRelease(inv)).toEqual([]);
    expect(inv.outputs.adapter).toBe(false);
  });

  it("manifests mode (local): never, and the note says the custom metrics are not served", async () => {
    const { inv, note } = await run({ ...base, stack: "local", mode: "manifests", depth: "basic" });
    expect(inv.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")).toEqual([]);
    expect(note).toMatch(/custom HPA metrics \(http_requests_per_second, queue_length\) are not served/);
  });

  it("a bad metric name fails before any child resource, naming the field", async () => {
    await expect(run({ ...base, services: [{ name: "api", namespace: "apps", metrics: true, customMetrics: ["queue-length"] }] })).rejects.toThrow(
      /customMetrics/,
    );
  });
});
