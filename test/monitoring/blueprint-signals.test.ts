/**
 * Per-blueprint alert rules and dashboards (issue 18): each blueprint's own signals, in its
 * reference view's words — the bridge's "Business Metrics: Transaction volume, success rates,
 * latency", the music platform's "Blockchain Metrics: RPC call performance" and "Business
 * Metrics: User engagement and revenue metrics", the gateway's "rate limits per route group".
 *
 * Checked against the real things: every expression parses with the real PromQL grammar, every
 * metric it reads is one the blueprint declares with the service that exposes it (and its source),
 * severities are ones the Alertmanager routing sends to a receiver, and the dashboard ConfigMaps
 * carry the label the mirrored kube-prometheus-stack chart's Grafana sidecar watches.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { blueprintRuleGroups } from "../../components/monitoring/alerts";
import { blueprintDashboard, dashboardExprs } from "../../components/monitoring/dashboards";
import { alertmanagerRouting } from "../../components/monitoring/receivers";
import { CHART_PINS } from "../../components/charts";
import { blueprintSpec, type BlueprintSpec } from "../../stacks/spec/blueprint";
import { analysisQueries } from "../../components/service/rollouts";
import { ROLLOUT_DEFAULTS } from "../../components/service/spec";
import type { Inventory } from "../../tools/harness/inventory";
import { planned } from "../harness/planned";
import { promqlErrors } from "./promql";
import { CHARTS_MIRROR, REFERENCE_SYSTEMS } from "../../tools/harness/shared";

const ROOT = path.resolve(__dirname, "../..");
const VIEWS = REFERENCE_SYSTEMS;
const load = (name: string): BlueprintSpec => blueprintSpec.parse(parseYaml(fs.readFileSync(path.join(ROOT, "blueprints", `${name}.yaml`), "utf8")));
/** The view's text without Markdown emphasis and list bullets, whitespace collapsed. */
const viewText = (bp: BlueprintSpec) =>
  fs
    .readFileSync(path.join(VIEWS, path.basename(bp.source ?? `${bp.name}.md`)), "utf8")
    .replace(/\*\*/g, "")
    .replace(/^\s*(?:[-*]|\d+\.)\s+/gm, "")
    .replace(/\s+/g, " ");

/** Metric names a PromQL expression reads (the identifiers of its vector selectors). */
function metricsOf(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter(n) {
      if (n.name === "Identifier" && n.node.parent?.name === "VectorSelector") names.push(expr.slice(n.from, n.to));
    },
  });
  return names;
}
/** A declared metric covers its histogram series. */
function declared(bp: BlueprintSpec): Set<string> {
  return new Set(bp.monitoring.exposes.flatMap((m) => (m.type === "histogram" ? [`${m.metric}_bucket`, `${m.metric}_sum`, `${m.metric}_count`] : [m.metric])));
}
/** Series every Prometheus has: scrape health. */
const BUILTIN = new Set(["up"]);

const WITH_SIGNALS = ["bridge-relay", "gateway-flutter-wasm", "music-platform-gitops"] as const;

describe.each(WITH_SIGNALS)("%s: the blueprint's own alerts and dashboard", (name) => {
  const bp = load(name);
  const exprs = [
    ...bp.monitoring.alerts.map((a) => ({ where: `alert ${a.alert}/${a.severity}`, expr: `(${a.measure}) ${a.compare} ${a.threshold}` })),
    ...(bp.monitoring.dashboard?.panels ?? []).flatMap((p) => p.queries.map((q) => ({ where: `panel "${p.title}"`, expr: q.expr }))),
    // The canary / blue-green analyses read the service's own metrics too (components/service/rollouts.ts).
    ...bp.services
      .filter((s) => s.strategy !== "rolling")
      .flatMap((s) =>
        Object.entries(analysisQueries((s.rollout ?? ROLLOUT_DEFAULTS).analysis, "apps")).map(([k, expr]) => ({
          where: `${s.name} rollout analysis ${k}`,
          expr,
        })),
      ),
  ];

  it("has alerts and a dashboard, each quoting the reference view's own words", () => {
    expect(bp.monitoring.alerts.length).toBeGreaterThan(0);
    expect(bp.monitoring.dashboard).toBeDefined();
    const text = viewText(bp);
    const quotes = [...bp.monitoring.alerts.map((a) => a.view), ...bp.monitoring.dashboard!.view.split("; ")];
    for (const q of quotes) expect(text, `"${q}" is not in ${bp.source}`).toContain(q);
  });

  it("every expression parses with the real PromQL grammar", () => {
    expect(exprs.flatMap((e) => promqlErrors(e.expr).map((x) => `${e.where}: ${x}`))).toEqual([]);
  });

  it("every metric read is declared with the service that exposes it, and every declared metric is read", () => {
    const known = declared(bp);
    const read = exprs.flatMap((e) => metricsOf(e.expr).map((m) => ({ ...e, m })));
    expect(read.length).toBeGreaterThan(0);
    expect(read.filter((r) => !known.has(r.m) && !BUILTIN.has(r.m)).map((r) => `${r.where}: ${r.m}`)).toEqual([]);
    const used = new Set(read.map((r) => r.m));
    const series = (m: (typeof bp.monitoring.exposes)[number]) =>
      m.type === "histogram" ? [`${m.metric}_bucket`, `${m.metric}_sum`, `${m.metric}_count`] : [m.metric];
    expect(bp.monitoring.exposes.filter((m) => !series(m).some((x) => used.has(x))).map((m) => m.metric)).toEqual([]);
    for (const m of bp.monitoring.exposes) {
      const svc = bp.services.find((s) => s.name === m.service);
      expect(svc?.ports.metrics, `${m.metric}: service ${m.service} has a metrics port`).toBeDefined();
    }
  });

  it("severities are the labels Alertmanager routes to receivers: criticals page from basic depth, warnings from enhanced", () => {
    const routing = alertmanagerRouting({ receivers: [{ name: "oncall", type: "webhook" }] } as never);
    const routes = routing.route.routes as { receiver: string; matchers: string[] }[];
    for (const a of bp.monitoring.alerts) {
      const r = routes.find((x) => x.matchers.some((m) => new RegExp(`^severity=~?"(?:.*\\|)?${a.severity}(?:\\|.*)?"$`).test(m)));
      expect(r?.receiver, `${a.alert}: severity ${a.severity}`).not.toBe("null");
      expect(r?.receiver, `${a.alert}: severity ${a.severity}`).toBeDefined();
    }
    const basic = blueprintRuleGroups(name, "basic", bp.monitoring.alerts).flatMap((g) => g.rules);
    const full = blueprintRuleGroups(name, "full", bp.monitoring.alerts).flatMap((g) => g.rules);
    expect(full).toHaveLength(bp.monitoring.alerts.length);
    expect(basic.every((r) => r.labels.severity === "critical")).toBe(true);
    expect(full.every((r) => r.annotations.source.startsWith(`${name}: "`))).toBe(true);
  });

  it("the dashboard is plain Grafana JSON on a valid grid", () => {
    const d = blueprintDashboard(name, "prod", bp.monitoring.dashboard!);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.uid.length).toBeLessThanOrEqual(40);
    expect(dashboardExprs(d).length).toBe(bp.monitoring.dashboard!.panels.reduce((n, p) => n + p.queries.length, 0));
    for (const p of d.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
  });
});

describe("in the view's words", () => {
  const bridge = load("bridge-relay");
  const music = load("music-platform-gitops");
  const gateway = load("gateway-flutter-wasm");
  const panelExprs = (bp: BlueprintSpec, title: RegExp) =>
    (bp.monitoring.dashboard?.panels ?? []).filter((p) => title.test(p.title)).flatMap((p) => p.queries.map((q) => q.expr));

  it('bridge: "Business Metrics: Transaction volume, success rates, latency" are on its dashboard and alerted', () => {
    expect(panelExprs(bridge, /^Transaction volume/).join()).toMatch(/rate\(bridge_transactions_total\[/);
    expect(panelExprs(bridge, /^Success rate/).join()).toMatch(/bridge_transactions_total\{status="success"\}/);
    expect(panelExprs(bridge, /latency/i).join()).toMatch(/histogram_quantile\(0\.95, .*bridge_transaction_duration_seconds_bucket/);
    const alerted = new Set(bridge.monitoring.alerts.map((a) => a.alert));
    expect([...alerted]).toEqual(expect.arrayContaining(["BridgeTransferSuccessRateLow", "BridgeTransferLatencyHigh", "BridgeTransferVolumeStalled"]));
    // The relay's own instrumentation, named with its file in the system's repository.
    expect(bridge.monitoring.exposes.every((m) => m.source.startsWith("relayer/internal/monitoring/metrics.go"))).toBe(true);
  });

  it('music platform: "Blockchain Metrics: RPC call performance" and "Business Metrics: User engagement and revenue metrics" have panels', () => {
    expect(panelExprs(music, /Solana RPC latency/).join()).toMatch(/solana_rpc_request_duration_seconds_bucket/);
    expect(panelExprs(music, /Active users|Track plays/).join()).toMatch(/normaldance_active_users[\s\S]*normaldance_track_plays_total/);
    expect(panelExprs(music, /Revenue/).join()).toMatch(/normaldance_revenue_lamports_total/);
    expect(music.monitoring.alerts.filter((a) => a.alert === "SolanaRpcLatencyHigh").map((a) => [a.severity, a.threshold])).toEqual([
      ["critical", 1],
      ["warning", 0.5],
    ]);
  });

  it('gateway: "rate limits per route group": rates, errors and 429s by the blueprint\'s route groups', () => {
    const groups = [...new Set(gateway.services.flatMap((s) => s.routes.map((r) => r.group)))].sort();
    expect(groups).toEqual(["chain", "documents", "general", "registration"]);
    for (const p of gateway.monitoring.dashboard!.panels) {
      for (const q of p.queries) for (const g of groups) expect(q.expr, `${p.title} maps ${g}`).toContain(`"group", "${g}"`);
    }
    // Each group's path prefix is the one its route serves.
    for (const r of gateway.services.flatMap((s) => s.routes))
      expect(gateway.monitoring.dashboard!.panels[0]!.queries[0]!.expr).toContain(`"group", "${r.group}", "endpoint", "${r.path}.*"`);
  });
});

describe("planned on every tier: rules reach Prometheus, dashboards reach Grafana", () => {
  const runs: Record<string, Inventory> = {};
  beforeAll(async () => {
    for (const tier of ["staging", "local", "dev"] as const) runs[tier] = (await planned({ blueprint: "bridge-relay", tier }, { preview: false })).inventory;
  }, 300_000);

  it("staging: a PrometheusRule bridge-relay-alerts with the rule label the Prometheus ruleSelector matches", () => {
    const rules = runs.staging!.resources.filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    const bpRule = rules.find((r) => (r.inputs.metadata as any)?.name === "bridge-relay-alerts");
    expect(bpRule, `PrometheusRules: ${rules.map((r) => (r.inputs.metadata as any)?.name).join(", ")}`).toBeDefined();
    expect((bpRule!.inputs.metadata as any).labels).toMatchObject({ "platform.io/rules": "true", "platform.io/blueprint": "bridge-relay" });
    const kps = runs.staging!.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "kube-prometheus-stack")!;
    expect((kps.inputs.values as any).prometheus.prometheusSpec.ruleSelector.matchLabels).toEqual({ "platform.io/rules": "true" });
    const alerts = ((bpRule!.inputs.spec as any).groups as any[]).flatMap((g) => g.rules.map((r: any) => `${r.alert}/${r.labels.severity}`));
    expect(alerts).toEqual(
      expect.arrayContaining(["BridgeTransferSuccessRateLow/critical", "BridgeTransferSuccessRateLow/warning", "BridgeTransferLatencyHigh/warning"]),
    );
  });

  it("staging: the dashboard ConfigMap carries the label the mirrored chart's Grafana sidecar watches", () => {
    const pin = CHART_PINS.kubePrometheusStack;
    const values = parseYaml(
      execFileSync("tar", ["-xzOf", path.join(CHARTS_MIRROR, `${pin.chart}-${pin.version}.tgz`), `${pin.chart}/values.yaml`], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      }),
    );
    const side = values.grafana.sidecar.dashboards;
    const cm = runs.staging!.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && (r.inputs.metadata as any)?.name === "dashboard-bridge-relay");
    expect(cm).toBeDefined();
    expect((cm!.inputs.metadata as any).labels[side.label]).toBe(String(side.labelValue));
    const json = JSON.parse(Object.values(cm!.inputs.data as Record<string, string>)[0]!);
    expect(json.panels.map((p: any) => p.title)).toEqual(
      expect.arrayContaining(["Transaction volume (transfers/s)", "Success rate", "Transfer latency (seconds)"]),
    );
  });

  it("local: the plain Prometheus' rule file holds the blueprint's criticals next to the platform's", () => {
    const cm = runs.local!.resources.find(
      (r) => r.type === "kubernetes:core/v1:ConfigMap" && typeof (r.inputs.data as any)?.["platform.rules.yml"] === "string",
    );
    expect(cm).toBeDefined();
    const groups = parseYaml((cm!.inputs.data as any)["platform.rules.yml"]).groups as { name: string; rules: { alert: string }[] }[];
    expect(groups.map((g) => g.name)).toEqual(expect.arrayContaining(["platform.api", "bridge-relay.business"]));
    expect(groups.find((g) => g.name === "bridge-relay.business")!.rules.map((r) => r.alert)).toEqual([
      "BridgeTransferSuccessRateLow",
      "BridgeNodeProviderDisconnected",
    ]);
  });

  it("dev (droplet): the host's Prometheus evaluates the blueprint's rules too", () => {
    const prom = runs.dev!.resources.find((r) => r.type === "docker:index/container:Container" && /prometheus$/.test(String((r.inputs as any).name ?? r.name)));
    expect(prom).toBeDefined();
    const upload = ((prom!.inputs as any).uploads as { file: string; content: string }[]).find((u) => u.file.endsWith("platform.rules.yml"))!;
    expect(parseYaml(upload.content).groups.map((g: any) => g.name)).toContain("bridge-relay.business");
  });
});
