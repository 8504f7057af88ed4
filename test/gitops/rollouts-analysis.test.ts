// The analysis spec and the text of its PromQL and conditions (components/service/spec.ts and
// rollouts.ts). Extra checks beside the proof, which is test/gitops/rollouts.real.test.ts: the real
// Argo Rollouts controller measuring through a real Prometheus.
import { describe, expect, it } from "vitest";
import { analysisConditions, analysisQueries, analysisTemplate } from "../../components/service/rollouts";
import { rolloutSpec } from "../../components/service/spec";
import { API, kinds, planFor } from "../service/fixtures";
import { SpecError } from "../../stacks/spec/errors";
import { loadSpec, readBlueprint } from "../../stacks/spec/load";
import { richConfig } from "../spec/fixtures";

const problems = (input: unknown) => {
  const r = rolloutSpec.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("rollout.analysis spec", () => {
  it("defaults to the OpenTelemetry request histogram in seconds, p99, first measurement after 60 s", () => {
    const an = rolloutSpec.parse({}).analysis;
    expect(an.requests).toEqual({ metric: "http_server_request_duration_seconds", type: "histogram", statusLabel: "http_response_status_code" });
    expect(an.latency).toEqual({ metric: "http_server_request_duration_seconds", unit: "seconds", statistic: "p99", maxSeconds: 0.5 });
    expect(an.initialDelaySeconds).toBe(60);
    // A partial latency block keeps the other defaults.
    expect(rolloutSpec.parse({ analysis: { latency: { maxSeconds: 1 } } }).analysis.latency).toEqual({
      metric: "http_server_request_duration_seconds",
      unit: "seconds",
      statistic: "p99",
      maxSeconds: 1,
    });
  });

  it("rejects metric shapes that cannot be what the service exposes, naming the field and the fix", () => {
    expect(problems({ analysis: { requests: { metric: "http_server_request_duration_seconds_count", type: "histogram", statusLabel: "code" } } })).toEqual([
      "analysis.requests.metric: a histogram is named without its series suffix: write `http_server_request_duration_seconds` (the analysis reads its `_count`)",
    ]);
    expect(problems({ analysis: { requests: { metric: "http_request_duration_ms_bucket", type: "counter", statusLabel: "status_code" } } })[0]).toMatch(
      /^analysis\.requests\.metric: `http_request_duration_ms_bucket` is a histogram series, not a request counter/,
    );
    expect(problems({ analysis: { latency: { metric: "http_request_duration_ms" } } })).toEqual([
      "analysis.latency.unit: `http_request_duration_ms` is named in milliseconds: set `unit: milliseconds` (the query divides by 1000)",
    ]);
    expect(problems({ analysis: { latency: { metric: "http_server_request_duration_seconds", unit: "milliseconds" } } })[0]).toMatch(
      /^analysis\.latency\.unit: .* is named in seconds/,
    );
    expect(problems({ analysis: { requests: { metric: "http_request_count", type: "counter" } } })[0]).toMatch(/^analysis\.requests\.statusLabel: /);
    expect(problems({ analysis: { requests: { metric: "http_request_count", type: "gauge", statusLabel: "status_code" } } })[0]).toMatch(
      /^analysis\.requests\.type: /,
    );
    expect(problems({ analysis: { requestsMetric: "x" } })[0]).toMatch(/^analysis: .*requestsMetric/);
  });
});

describe("analysis PromQL and conditions", () => {
  it("OpenTelemetry histogram: 5xx share of `_count` with the absent 5xx series counted as 0, p99 from `_bucket`", () => {
    const q = analysisQueries(rolloutSpec.parse({}).analysis, "apps", "web-canary", "6d5f8b9c7");
    const sel = 'namespace="apps",service="web-canary",pod=~".+-6d5f8b9c7-[a-z0-9]+"';
    expect(q.errorRate).toBe(
      `(sum(rate(http_server_request_duration_seconds_count{${sel},http_response_status_code=~"5.."}[120s])) or vector(0)) / sum(rate(http_server_request_duration_seconds_count{${sel}}[120s]))`,
    );
    expect(q.latency).toBe(`histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{${sel}}[120s])))`);
  });

  it("cat-gateway: a request counter and a millisecond histogram's mean, converted to seconds", () => {
    const an = rolloutSpec.parse({
      analysis: {
        intervalSeconds: 10,
        requests: { metric: "http_request_count", type: "counter", statusLabel: "status_code" },
        latency: { metric: "http_request_duration_ms", unit: "milliseconds", statistic: "mean" },
      },
    }).analysis;
    const q = analysisQueries(an, "apps");
    const sel = 'namespace="apps",service="{{args.service}}",pod=~".+-{{args.pod-template-hash}}-[a-z0-9]+"';
    expect(q.errorRate).toBe(`(sum(rate(http_request_count{${sel},status_code=~"5.."}[60s])) or vector(0)) / sum(rate(http_request_count{${sel}}[60s]))`);
    expect(q.latency).toBe(`(sum(rate(http_request_duration_ms_sum{${sel}}[60s])) / sum(rate(http_request_duration_ms_count{${sel}}[60s]))) / 1000`);
  });

  it("no number (empty result, NaN) fails like a value above the limit; only a measured value within it passes", () => {
    expect(analysisConditions(0.01)).toEqual({
      successCondition: "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.01",
      failureCondition: "len(result) == 0 || isNaN(result[0]) || result[0] > 0.01",
    });
    const t = analysisTemplate("web-health", "apps", {}, rolloutSpec.parse({}), "http://prometheus:9090");
    for (const m of (t.spec as any).metrics) {
      expect(m.initialDelay).toBe("60s");
      expect(m.failureLimit).toBe(1);
      expect(m.failureCondition).toMatch(/^len\(result\) == 0 \|\| isNaN\(result\[0\]\) \|\| result\[0\] > /);
    }
  });
});

describe("the planner refuses an analysis that could never judge the new version", () => {
  const argo = { rollout: { controller: "argo-rollouts", prometheusUrl: "http://prometheus.monitoring.svc:9090" } };

  it("plans the AnalysisTemplate and passes the version under test's pod-template hash", () => {
    const p = planFor({ ...API, strategy: "canary" }, argo);
    const ro = kinds(p, "Rollout")[0];
    expect(ro.spec.strategy.canary.analysis.args).toEqual([
      { name: "service", value: "api-canary" },
      { name: "pod-template-hash", valueFrom: { podTemplateHashValue: "Latest" } },
    ]);
    expect(kinds(p, "AnalysisTemplate")[0].spec.args).toEqual([{ name: "service" }, { name: "pod-template-hash" }]);
  });

  it("a canary or blue-green service without a metrics port", () => {
    for (const strategy of ["canary", "blueGreen"] as const) {
      expect(() => planFor({ ...API, ports: { http: 8080 }, strategy }, argo)).toThrow(
        /spec\.ports\.metrics: an Argo Rollouts canary\/blue-green analysis measures the new version from its own metrics/,
      );
    }
  });

  it("a canary whose pauses end before the analysis could fail it", () => {
    expect(() => planFor({ ...API, strategy: "canary", rollout: { pauseSeconds: 30 } }, argo)).toThrow(
      "spec.rollout.pauseSeconds: the canary's pauses end after 90 s, before its analysis can fail it (initialDelaySeconds + (failureLimit + 1) x intervalSeconds = 180 s)",
    );
    expect(() => planFor({ ...API, strategy: "canary", rollout: { pauseSeconds: 60 } }, argo)).not.toThrow();
  });
});

describe("blueprint: the analysis reads metrics the service declares in monitoring.exposes", () => {
  const issues = (patch: (bp: any) => void) => {
    const bp = structuredClone(readBlueprint("gateway-flutter-wasm").data) as any;
    patch(bp);
    try {
      loadSpec({ stack: "prod", config: { ...richConfig(), blueprint: "gateway-flutter-wasm" }, blueprint: bp });
      return [];
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      return e.issues.map((i) => `${i.file}: ${i.path}: ${i.message}`).filter((m) => m.includes("rollout"));
    }
  };

  it("the committed gateway and music blueprints pass", () => {
    expect(issues(() => {})).toEqual([]);
  });

  it("the gateway's canary without its analysis block would read OpenTelemetry names cat-gateway does not expose", () => {
    const got = issues((bp) => delete bp.services.find((s: any) => s.name === "cat-gateway").rollout);
    expect(got).toEqual([
      "blueprints/gateway-flutter-wasm.yaml: services[0] (cat-gateway).rollout.analysis.requests.metric: the canary analysis of 'cat-gateway' reads the histogram `http_server_request_duration_seconds` (the default), but monitoring.exposes declares for 'cat-gateway' only http_request_count (counter), http_request_duration_ms (histogram): set rollout.analysis.requests to what the service exposes, or declare the metric in monitoring.exposes",
      "blueprints/gateway-flutter-wasm.yaml: services[0] (cat-gateway).rollout.analysis.latency.metric: the canary analysis of 'cat-gateway' reads the histogram `http_server_request_duration_seconds` (the default), but monitoring.exposes declares for 'cat-gateway' only http_request_count (counter), http_request_duration_ms (histogram): set rollout.analysis.latency to what the service exposes, or declare the metric in monitoring.exposes",
    ]);
  });
});
