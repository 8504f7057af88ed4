import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Monitoring, type MonitoringArgs } from "../../components/monitoring";
import { CHARTS } from "../../components/monitoring/plan";
import { isUnder } from "../../components/secrets/scan";
import { getPath, runProgram } from "../../tools/harness/run";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { promqlErrors } from "./promql";

const base: MonitoringArgs = {
  stack: "staging",
  namespace: "monitoring",
  mode: "helm",
  depth: "enhanced",
  metricsRetentionDays: 15,
  logRetentionDays: 30,
  logs: true,
  traces: "tempo",
  scrapeNamespaces: ["apps", "data"],
  services: [
    { name: "api", namespace: "apps", metrics: true, database: true },
    { name: "worker", namespace: "apps", metrics: true },
  ],
};

async function run(args: MonitoringArgs, preview = false): Promise<Inventory> {
  return runProgram(
    () => {
      const kubernetes = new k8s.Provider("k8s", { renderYamlToDirectory: mkdtempSync(join(tmpdir(), "mon-")) });
      const rnd = new random.Provider("random", {});
      const m = new Monitoring("mon", args, { providers: { kubernetes, random: rnd } });
      return { prometheusUrl: m.prometheusUrl, note: m.note };
    },
    { preview, stack: args.stack },
  );
}

const releases = (inv: Inventory) => inv.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
const release = (inv: Inventory, name: string) => releases(inv).find((r) => r.inputs.name === name)!;
const kind = (inv: Inventory, k: string) => inv.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: string }).kind === k);
const values = (r: InventoryResource) => r.inputs.values as Record<string, any>;

describe("Monitoring (helm mode)", () => {
  it("pins every chart and sets tier retention/storage", async () => {
    const inv = await run(base);
    expect(
      releases(inv)
        .map((r) => r.inputs.name)
        .sort(),
    ).toEqual(["fluent-bit", "kps", "loki", "otel-collector", "tempo"]);
    for (const r of releases(inv)) {
      expect(r.inputs.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect((r.inputs.repositoryOpts as { repo: string }).repo).toMatch(/^https:\/\//);
    }
    expect(release(inv, "kps").inputs.version).toBe(CHARTS.kubePrometheusStack.version);
    const prom = values(release(inv, "kps")).prometheus.prometheusSpec;
    expect(prom.retention).toBe("15d");
    expect(prom.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe("50Gi");
    expect(values(release(inv, "loki")).loki.limits_config.retention_period).toBe("720h");
    expect(values(release(inv, "kps"))["prometheus-node-exporter"]).toEqual({ hostNetwork: false, hostPID: false });
    expect(values(release(inv, "otel-collector")).config.exporters.otlp.endpoint).toBe("tempo.monitoring.svc.cluster.local:4317");
  });

  it("prod is full depth: HA Prometheus/Alertmanager, jaeger when the spec says so", async () => {
    const inv = await run({ ...base, stack: "prod", depth: "full", metricsRetentionDays: 30, traces: "jaeger" });
    const v = values(release(inv, "kps"));
    expect(v.prometheus.prometheusSpec.replicas).toBe(2);
    expect(v.alertmanager.alertmanagerSpec.replicas).toBe(3);
    expect(releases(inv).map((r) => r.inputs.name)).toContain("jaeger");
    expect(releases(inv).map((r) => r.inputs.name)).not.toContain("tempo");
  });

  it("scraping: Prometheus selects ServiceMonitors (any labels) only in the platform namespaces, rules by our label", async () => {
    const v = values(release(await run(base), "kps")).prometheus.prometheusSpec;
    expect(v.serviceMonitorSelectorNilUsesHelmValues).toBe(false);
    expect(v.serviceMonitorSelector).toEqual({});
    expect(v.serviceMonitorNamespaceSelector.matchExpressions[0]).toEqual({
      key: "kubernetes.io/metadata.name",
      operator: "In",
      values: ["apps", "data", "monitoring"],
    });
    expect(v.ruleSelector).toEqual({ matchLabels: { "platform.io/rules": "true" } });
  });

  it("Grafana: admin from a generated secret in an existing Secret, ClusterIP, no ingress by default", async () => {
    const inv = await run(base);
    const g = values(release(inv, "kps")).grafana;
    expect(g.admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    expect(g.adminPassword).toBeUndefined();
    expect(g.service.type).toBe("ClusterIP");
    expect(g.ingress.enabled).toBe(false);
    const secret = kind(inv, "Secret").find((r) => getPath(r.inputs, "metadata.name") === "grafana-admin")!;
    expect(isUnder('stringData["admin-password"]', secret.secretPaths)).toBe(true);
    const kps = release(inv, "kps");
    expect(kps.dependencies).toContain(secret.urn);
    const password = (secret.inputs.stringData as Record<string, string>)["admin-password"]!;
    expect(password.length).toBe(32);
    expect(JSON.stringify(kps.inputs)).not.toContain(password);
  });

  it("a public Grafana needs SSO and gets a TLS ingress", async () => {
    await expect(
      run({ ...base, grafana: { public: true, host: "grafana.example.com", ingressClassName: "traefik", clusterIssuer: "letsencrypt" } as never }),
    ).rejects.toThrow(/grafana\.sso/);
    const inv = await run({
      ...base,
      grafana: {
        public: true,
        host: "grafana.example.com",
        ingressClassName: "traefik",
        clusterIssuer: "letsencrypt",
        sso: {
          authUrl: "https://sso.example.com/auth",
          tokenUrl: "https://sso.example.com/token",
          apiUrl: "https://sso.example.com/userinfo",
          clientId: "grafana",
          clientSecretName: "grafana-oauth",
          allowedDomains: ["example.com"],
        },
      },
    });
    const g = values(release(inv, "kps")).grafana;
    expect(g.ingress.tls).toEqual([{ secretName: "grafana-tls", hosts: ["grafana.example.com"] }]);
    // Traefik routes it on websecure with TLS only; no ingress-nginx annotation is left.
    expect(g.ingress.ingressClassName).toBe("traefik");
    expect(g.ingress.annotations).toEqual({
      "cert-manager.io/cluster-issuer": "letsencrypt",
      "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
      "traefik.ingress.kubernetes.io/router.tls": "true",
    });
    // HSTS from Grafana (Traefik has no controller-wide HSTS; the chart's Ingress names no Middleware).
    expect(g["grafana.ini"].security).toMatchObject({
      cookie_secure: true,
      strict_transport_security: true,
      strict_transport_security_max_age_seconds: 31_536_000,
      strict_transport_security_subdomains: true,
    });
    expect(g["grafana.ini"]["auth.generic_oauth"].enabled).toBe(true);
    expect(g["grafana.ini"].auth.disable_login_form).toBe(true);
    expect(g.envValueFrom.GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET.secretKeyRef.name).toBe("grafana-oauth");
  });

  it("alert rules and dashboards land as a PrometheusRule and sidecar ConfigMaps whose PromQL parses", async () => {
    const inv = await run(base);
    const [rule] = kind(inv, "PrometheusRule");
    expect(rule).toBeDefined();
    expect(rule!.dependencies).toContain(release(inv, "kps").urn);
    const exprs = (getPath(rule!.inputs, "spec.groups") as { rules: { expr: string }[] }[]).flatMap((g) => g.rules.map((r) => r.expr));
    expect(exprs.flatMap(promqlErrors)).toEqual([]);
    const cms = kind(inv, "ConfigMap").filter((r) => getPath(r.inputs, "metadata.labels.grafana_dashboard") === "1");
    expect(cms.map((r) => getPath(r.inputs, "metadata.name")).sort()).toEqual(["dashboard-overview", "dashboard-svc-api", "dashboard-svc-worker"]);
    for (const cm of cms) {
      const [json] = Object.values(cm.inputs.data as Record<string, string>);
      const d = JSON.parse(json!) as { panels: { targets: { expr: string }[] }[] };
      expect(d.panels.flatMap((p) => p.targets.map((t) => t.expr)).flatMap(promqlErrors)).toEqual([]);
    }
  });

  it("alert e-mail: only with an SMTP relay; the password is a mounted Secret, never a Helm value", async () => {
    const without = await run({ ...base, alertEmail: "oncall@example.com" });
    expect(values(release(without, "kps")).alertmanager.config.route.receiver).toBe("null");
    expect(without.outputs.note).toMatch(/no SMTP relay given/);
    const inv = await runProgram(
      () => {
        const kubernetes = new k8s.Provider("k8s", { renderYamlToDirectory: mkdtempSync(join(tmpdir(), "mon-")) });
        const rnd = new random.Provider("random", {});
        new Monitoring(
          "mon",
          {
            ...base,
            alertEmail: "oncall@example.com",
            smtp: {
              smarthost: "email-smtp.us-east-1.amazonaws.com:587",
              from: "alerts@example.com",
              username: "AKIAFAKEFORTESTS",
              password: pulumi.secret("fake-smtp-password-for-tests"),
            },
          },
          { providers: { kubernetes, random: rnd } },
        );
        return {};
      },
      { stack: "staging" },
    );
    const am = values(release(inv, "kps")).alertmanager;
    expect(am.config.route.receiver).toBe("platform-email");
    expect(am.config.receivers[1].email_configs[0]).toMatchObject({
      to: "oncall@example.com",
      auth_password_file: "/etc/alertmanager/secrets/alertmanager-smtp/password",
      require_tls: true,
    });
    expect(am.alertmanagerSpec.secrets).toEqual(["alertmanager-smtp"]);
    expect(JSON.stringify(release(inv, "kps").inputs)).not.toContain("fake-smtp-password-for-tests");
    const smtp = kind(inv, "Secret").find((r) => getPath(r.inputs, "metadata.name") === "alertmanager-smtp")!;
    expect(isUnder("stringData.password", smtp.secretPaths)).toBe(true);
    expect(release(inv, "kps").dependencies).toContain(smtp.urn);
  });

  it("bad args fail before anything is registered, naming the field", async () => {
    const err = await run({ ...base, scrapeNamespaces: [], depth: "huge" as never }).catch((e: Error & { inventory?: Inventory }) => e);
    expect(String(err)).toMatch(/scrapeNamespaces/);
    expect(String(err)).toMatch(/depth/);
    expect((err as { inventory: Inventory }).inventory.resources.filter((r) => r.type.startsWith("platform:monitoring"))).toEqual([]);
  });
});

describe("Monitoring (manifests mode, local tier)", () => {
  it("plain manifests only: no Helm release, no CRD, the same rules, metrics ports discovered", async () => {
    const inv = await run({ ...base, stack: "local", mode: "manifests", depth: "basic", metricsRetentionDays: 1, logRetentionDays: 1 });
    expect(releases(inv)).toEqual([]);
    expect(kind(inv, "PrometheusRule")).toEqual([]);
    expect(inv.outputs.note).toMatch(/Grafana, Alertmanager and tracing are skipped/);
    const cm = kind(inv, "ConfigMap").find((r) => getPath(r.inputs, "metadata.name") === "prometheus-config")!;
    const cfg = parse((cm.inputs.data as Record<string, string>)["prometheus.yml"]!);
    const sd = cfg.scrape_configs.find((j: { job_name: string }) => j.job_name === "service-metrics");
    expect(sd.relabel_configs[0]).toEqual({ source_labels: ["__meta_kubernetes_endpoint_port_name"], action: "keep", regex: "metrics" });
    expect(sd.kubernetes_sd_configs[0].namespaces.names).toEqual(["apps", "data", "monitoring"]);
    const rules = parse((cm.inputs.data as Record<string, string>)["platform.rules.yml"]!) as { groups: { rules: { expr: string }[] }[] };
    expect(rules.groups.flatMap((g) => g.rules.map((r) => r.expr)).flatMap(promqlErrors)).toEqual([]);
    const [svc] = kind(inv, "Service");
    expect(getPath(svc!.inputs, "spec.type")).toBe("ClusterIP");
  });
});
