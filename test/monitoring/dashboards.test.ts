import { describe, expect, it } from "vitest";
import { dashboardExprs, overviewDashboard, serviceDashboard } from "../../components/monitoring/dashboards";
import { promqlErrors } from "./promql";

const api = { name: "api", namespace: "apps", metrics: true, database: true };
const worker = { name: "worker", namespace: "apps", metrics: true, database: false };

describe("dashboards as code", () => {
  it("a service dashboard has the four golden signals, in order, on a valid grid", () => {
    const d = serviceDashboard(worker);
    expect(d.panels.map((p) => p.title.split(" ")[0])).toEqual(["Rate", "Errors", "Duration", "Saturation"]);
    expect(d.uid.length).toBeLessThanOrEqual(40);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.targets.length).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
      expect(p.datasource.uid).toBe("prometheus");
    }
  });

  it("a database-backed service also gets the DB latency panel; every query is scoped to the service", () => {
    const d = serviceDashboard(api);
    expect(d.panels.map((p) => p.title)).toContain("Database query latency p95 (seconds)");
    for (const e of dashboardExprs(d)) expect(e).toMatch(/namespace="apps", (service="api"|pod=~"api-\.\*")/);
  });

  it("the overview covers requests, errors, targets, alerts, CPU and disk", () => {
    const d = overviewDashboard("prod", ["apps", "monitoring"]);
    expect(d.panels.map((p) => p.title)).toEqual([
      "Requests/s by service",
      "5xx ratio by service",
      "Targets up",
      "Firing alerts",
      "Node CPU busy",
      "Disk used",
    ]);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d); // plain JSON, as Grafana loads it
  });

  it("every dashboard query parses with the real PromQL grammar", () => {
    const all = [serviceDashboard(api), serviceDashboard(worker), overviewDashboard("prod", ["apps", "data"])];
    const failures = all.flatMap((d) => dashboardExprs(d).flatMap((e) => promqlErrors(e).map((x) => `${d.uid}: ${x}`)));
    expect(failures).toEqual([]);
    expect(all.flatMap(dashboardExprs).length).toBeGreaterThan(15);
  });
});
