import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALERT_TABLE, INHIBIT_RULES, prometheusRuleManifest, renderRuleGroups, ruleExpr, selectRules } from "../../components/monitoring/alerts";
import { ruleFileYaml } from "../../components/monitoring/promconfig";
import { nodeNames, promqlErrors } from "./promql";

const rows = (alert: string) => ALERT_TABLE.filter((r) => r.alert === alert);
const threshold = (alert: string, severity: string) => rows(alert).find((r) => r.severity === severity)?.threshold;

describe("PromQL checker (real lezer-promql grammar, ESM under vitest on Node 20)", () => {
  it("loads and accepts valid PromQL", () => {
    expect(promqlErrors('sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) > 0.05')).toEqual([]);
  });
  it("reports error nodes for broken PromQL", () => {
    expect(promqlErrors("sum(rate(x[5m]) > ").length).toBeGreaterThan(0);
    expect(promqlErrors('rate(http_requests_total{code=~"5.."[5m])').length).toBeGreaterThan(0);
    expect(promqlErrors("up == == 0").length).toBeGreaterThan(0);
  });
});

describe("alert table", () => {
  it("carries the reference thresholds", () => {
    expect(threshold("ApiHighErrorRate", "critical")).toBe(0.05);
    expect(threshold("ApiHighErrorRate", "warning")).toBe(0.01);
    expect(threshold("DatabaseQueryLatencyHigh", "critical")).toBe(1);
    expect(threshold("DatabaseQueryLatencyHigh", "warning")).toBe(0.5);
    expect(threshold("NodeDiskSpaceLow", "critical")).toBe(0.1); // < 10% free
    expect(threshold("NodeDiskSpaceLow", "warning")).toBe(0.2); // > 80% used
    expect(rows("ServiceDown").map((r) => r.severity)).toEqual(["critical"]);
    expect(rows("HpaAtMaxReplicas")).toHaveLength(1);
    expect(threshold("CertificateExpiringSoon", "warning")).toBe(14);
  });

  it("every rule's PromQL parses with no error node and ends in a comparison", () => {
    const failures = ALERT_TABLE.flatMap((r) => promqlErrors(ruleExpr(r)).map((e) => `${r.alert}/${r.severity}: ${e}`));
    expect(failures).toEqual([]);
    for (const r of ALERT_TABLE) {
      expect(nodeNames(ruleExpr(r))[1], `${r.alert} is a binary comparison`).toBe("BinaryExpr");
    }
  });

  it("comparisons go the right way (errors/latency above, free space below)", () => {
    expect(ruleExpr(rows("ApiHighErrorRate")[0]!)).toMatch(/\) > 0\.05$/);
    expect(ruleExpr(rows("NodeDiskSpaceLow")[0]!)).toMatch(/\) < 0\.1$/);
    expect(ruleExpr(rows("ServiceDown")[0]!)).toBe("(up) == 0");
    expect(ruleExpr(rows("CertificateExpiringSoon")[0]!)).toMatch(/86400\) < 14$/);
  });

  it("depth selects: basic = critical + cert expiry; enhanced/full = everything", () => {
    const basic = selectRules("basic", "kubernetes");
    expect(basic.every((r) => r.severity === "critical" || r.alert === "CertificateExpiringSoon")).toBe(true);
    expect(selectRules("enhanced", "kubernetes")).toHaveLength(ALERT_TABLE.length);
    expect(selectRules("full", "kubernetes")).toHaveLength(ALERT_TABLE.length);
    const host = selectRules("full", "host").map((r) => r.alert);
    expect(host).not.toContain("HpaAtMaxReplicas");
    expect(host).toContain("NodeDiskSpaceLow");
  });

  it("renders a PrometheusRule CRD with severity labels and annotations", () => {
    const m = prometheusRuleManifest("platform-alerts", "monitoring", "full", { "platform.io/rules": "true" });
    expect(m.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(m.kind).toBe("PrometheusRule");
    const rules = m.spec.groups.flatMap((g) => g.rules);
    expect(rules).toHaveLength(ALERT_TABLE.length);
    for (const r of rules) {
      expect(["critical", "warning"]).toContain(r.labels.severity);
      expect(r.for).toMatch(/^\d+[smh]$/);
      expect(r.annotations.summary.length).toBeGreaterThan(5);
      expect(promqlErrors(r.expr)).toEqual([]);
    }
    expect(new Set(m.spec.groups.map((g) => g.name)).size).toBe(m.spec.groups.length);
  });

  it("the plain rule file (local/droplet) is the same table, as YAML", () => {
    const doc = parse(ruleFileYaml("basic", "host")) as { groups: { rules: { expr: string }[] }[] };
    const exprs = doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
    expect(exprs.sort()).toEqual(
      renderRuleGroups(selectRules("basic", "host"))
        .flatMap((g) => g.rules.map((r) => r.expr))
        .sort(),
    );
  });

  it("a critical inhibits the warning of the same alert", () => {
    expect(INHIBIT_RULES[0]!.equal).toContain("alertname");
    for (const a of new Set(ALERT_TABLE.map((r) => r.alert))) {
      const sev = rows(a).map((r) => r.severity);
      expect(new Set(sev).size, `${a} has no duplicate severity`).toBe(sev.length);
    }
  });
});
