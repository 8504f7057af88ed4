import { describe, expect, it } from "vitest";
import { reachabilityManifests, scaleBlueprint, serviceName } from "../../bench/generate";
import { growthOf, reachGrowth, renderMarkdown, synthCpuRatio, verdicts } from "../../bench/report";
import { fitExponent, marginal, median, pairExponent, summarize } from "../../bench/stats";
import { blueprintSpec } from "../../stacks/spec/blueprint";
import { buildModel } from "../../policies/lib/reachability";

describe("bench stats", () => {
  it("median of odd and even counts, unsorted input", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/empty/);
  });

  it("summary keeps n, min and max", () => {
    expect(summarize([3, 9, 1, 7, 5])).toEqual({ n: 5, median: 5, min: 1, max: 9 });
  });

  it("fits the exponent of a power law exactly", () => {
    const lin = fitExponent([10, 100, 1000].map((x) => ({ x, y: 3 * x })));
    expect(lin.exponent).toBeCloseTo(1, 10);
    expect(lin.r2).toBeCloseTo(1, 10);
    const quad = fitExponent([125, 250, 500, 1000].map((x) => ({ x, y: 0.5 * x * x })));
    expect(quad.exponent).toBeCloseTo(2, 10);
  });

  it("a fixed cost flattens the whole-time exponent; the marginal fit recovers it", () => {
    const pts = [10, 100, 1000].map((x) => ({ x, y: 2000 + x }));
    expect(fitExponent(pts).exponent).toBeLessThan(0.5);
    expect(fitExponent(marginal(pts, 2000)).exponent).toBeCloseTo(1, 10);
  });

  it("pair exponent between two sizes", () => {
    expect(pairExponent({ x: 100, y: 1 }, { x: 1000, y: 100 })).toBeCloseTo(2, 10);
    expect(() => pairExponent({ x: 1, y: 1 }, { x: 1, y: 2 })).toThrow();
    expect(() => fitExponent([{ x: 5, y: 1 }])).toThrow(/two/);
  });
});

describe("bench inputs", () => {
  it("the generated blueprint is a valid blueprint with every feature per service", () => {
    const bp = blueprintSpec.parse(scaleBlueprint(100));
    expect(bp.services).toHaveLength(100);
    for (const s of bp.services) {
      expect(s.exposure).toBe("public");
      expect(s.routes).toHaveLength(1);
      expect(s.autoscaling).toBeDefined();
      expect(s.replicated).toBe(true);
      expect(s.ports.metrics).toBeDefined();
    }
    expect(new Set(bp.services.map((s) => s.routes[0]!.host)).size).toBe(100);
    expect(() => scaleBlueprint(0)).toThrow(/n ≥ 1/);
  });

  it("reachability manifests: n pods and n policies in one namespace", () => {
    const m = buildModel(reachabilityManifests(50) as any);
    expect(m.pods.filter((p) => p.namespace === "apps")).toHaveLength(50);
    expect(m.policies.filter((p) => p.namespace === "apps")).toHaveLength(51);
    expect(serviceName(7)).toBe("svc-0007");
  });
});

describe("bench report", () => {
  const s = (median: number) => ({ n: 5, median, min: median, max: median });
  it("growth exponents and verdicts from rows", () => {
    const rows = [10, 100, 1000].map((n) => ({ services: n, wallMs: s(3000 + 5 * n), runMs: s(5 * n), rssMB: s(200 + n / 10) }));
    const g = growthOf(rows)!;
    expect(g.runFit).toBeCloseTo(1, 10);
    expect(g.run100to1000).toBeCloseTo(1, 10);
    const scaleRows = rows.map((r) => ({
      ...r,
      name: `${r.services}`,
      importMs: s(1),
      cpuMs: s(1),
      runCpuMs: s(1),
      modules: 1000,
      resources: r.services * 8,
      load1: s(1),
      errors: [],
      policyAllMs: s(r.services * 0.4),
      policyReachMs: s(1),
      policyMsPer1000: s(50),
      policyCpuMsPer1000: s(40),
      reachMsPer1000: s(1),
      policiesRun: 28,
      violations: { mandatory: 0, advisory: 0, sample: [] },
    }));
    const results = {
      machine: { nproc: 2, cpuModel: "x", memory: "y", node: "v20", platform: "linux", commit: "abc", dirtyFiles: 0 },
      updatedAt: "now",
      scale: { at: "now", tier: "prod", preview: false, rows: scaleRows, growth: g },
    };
    const v = verdicts(results);
    expect(v.find((x) => x.budget.startsWith("1,000 services <") && x.budget.endsWith("s"))?.met).toBe(true);
    expect(v.find((x) => x.budget.startsWith("growth"))?.met).toBe(true);
    expect(v.find((x) => x.budget.startsWith("policies"))?.met).toBe(true);
    expect(v.find((x) => x.budget.startsWith("npm test"))?.met).toBeUndefined();
    expect(renderMarkdown(results)).toContain("| 1000 | 8000 |");
  });

  it("reachability exponents prefer CPU time over wall time", () => {
    const rows = [100, 200, 400].map((n) => ({
      size: n,
      pods: n,
      policies: n,
      flows: n,
      intoDataMs: s(5),
      allFlowsMs: s(5),
      intoDataCpuMs: s(n * n),
      allFlowsCpuMs: s(n),
    }));
    const g = reachGrowth(rows);
    expect(g.intoDataExponent).toBeCloseTo(2, 10);
    expect(g.intoDataLastPair).toBeCloseTo(2, 10);
    expect(g.allFlowsExponent).toBeCloseTo(1, 10);
  });

  it("prod ÷ empty on CPU time", () => {
    const row = (name: string, cpu: number) => ({
      name,
      wallMs: s(1),
      importMs: s(1),
      runMs: s(1),
      rssMB: s(1),
      cpuMs: s(cpu),
      runCpuMs: s(1),
      resources: 1,
      modules: 1,
      load1: s(1),
      errors: [],
    });
    const r = {
      machine: {} as any,
      updatedAt: "now",
      synth: { at: "now", preview: true, rows: [row("empty program (floor)", 1000), row("stack prod", 2500)] },
    };
    expect(synthCpuRatio(r)).toBeCloseTo(2.5, 10);
  });
});
