import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { monitoringArgs } from "../../components/monitoring/args";
import { depthPlan } from "../../components/monitoring/plan";
import { kubePrometheusStackValues, lokiValues } from "../../components/monitoring/values";
import { TIERS } from "../../stacks/spec/tiers";

const depth = fc.constantFrom("basic" as const, "enhanced" as const, "full" as const);

describe("depth plan", () => {
  it("retention comes from the tier, the size cap stays inside the volume, deeper never means smaller", () => {
    fc.assert(
      fc.property(depth, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }), (d, m, l) => {
        const p = depthPlan(d, m, l);
        expect(p.prometheus.retention).toBe(`${m}d`);
        expect(parseInt(p.prometheus.retentionSize, 10)).toBeLessThan(p.prometheus.storageGi);
        expect(lokiValues(p).loki.limits_config.retention_period).toBe(`${l * 24}h`);
        expect(lokiValues(p).loki.limits_config.retention_stream).toEqual([
          { selector: '{log_type="audit"}', priority: 1, period: `${Math.max(90, l) * 24}h` },
        ]);
      }),
    );
    const [b, e, f] = (["basic", "enhanced", "full"] as const).map((d) => depthPlan(d, 7, 7));
    for (const k of ["storageGi", "replicas"] as const) {
      expect(b!.prometheus[k]).toBeLessThanOrEqual(e!.prometheus[k]);
      expect(e!.prometheus[k]).toBeLessThanOrEqual(f!.prometheus[k]);
    }
  });

  it("the environment table: dev basic, staging enhanced, prod full; music-platform log retention 30 days from staging up", () => {
    expect([TIERS.dev.monitoring, TIERS.staging.monitoring, TIERS.prod.monitoring]).toEqual(["basic", "enhanced", "full"]);
    expect(TIERS.staging.logRetentionDays).toBe(30);
    expect(TIERS.prod.logRetentionDays).toBe(30);
    const v = kubePrometheusStackValues({
      plan: depthPlan("full", TIERS.prod.metricsRetentionDays, TIERS.prod.logRetentionDays),
      namespace: "monitoring",
      scrapeNamespaces: ["apps"],
      grafana: { public: false },
      grafanaAdminSecret: "grafana-admin",
      logs: true,
      traces: "tempo",
    });
    expect(v.prometheus.prometheusSpec.retention).toBe("30d");
    expect(v.grafana.additionalDataSources.map((d) => d.type)).toEqual(["loki", "tempo"]);
  });

  it("rejects bad retention with the field named", () => {
    expect(() => depthPlan("basic", 0, 7)).toThrow(/metricsRetentionDays/);
    expect(() => depthPlan("basic", 7, 1.5)).toThrow(/logRetentionDays/);
  });
});

describe("Monitoring args (property): every broken field is reported by path", () => {
  const valid = {
    stack: "s",
    namespace: "monitoring",
    mode: "helm",
    depth: "basic",
    metricsRetentionDays: 7,
    logRetentionDays: 7,
    logs: true,
    traces: "none",
    scrapeNamespaces: ["apps"],
  };
  const breakers: [string, unknown][] = [
    ["namespace", "Monitoring"],
    ["mode", "kustomize"],
    ["depth", "deep"],
    ["metricsRetentionDays", 0],
    ["logRetentionDays", 1000],
    ["traces", "zipkin"],
    ["scrapeNamespaces", []],
    ["grafana", { public: true }],
    ["alertEmail", "not-an-email"],
    ["unknownKey", 1],
  ];
  it("any subset of broken fields is rejected, each by its path", () => {
    fc.assert(
      fc.property(fc.subarray(breakers, { minLength: 1 }), (subset) => {
        const args = { ...valid, ...Object.fromEntries(subset) };
        const r = monitoringArgs.safeParse(args);
        expect(r.success).toBe(false);
        const paths = new Set(r.error!.issues.map((i) => String(i.path[0] ?? (i as { keys?: string[] }).keys?.[0])));
        for (const [field] of subset) expect(paths.has(field), `${field} reported`).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
