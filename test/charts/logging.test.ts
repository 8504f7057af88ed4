/**
 * The log collector's values, rendered by the real `helm template` from the shared chart mirror
 * (fluent-bit 0.58.1, the pin): the keys exist in the chart and take effect — a DaemonSet on every
 * node reading /var/log read-only, our Fluent Bit configuration (JSON parsed, Loki output) in its
 * ConfigMap, and a ServiceMonitor so Prometheus scrapes the collector.
 * (test/charts/render.test.ts renders it again inside every stack, with the other releases.)
 */
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CHART_PINS, helmChartSource, readDirectoryMirror } from "../../components/charts";
import { LOG_IMAGES, fluentBitValues } from "../../components/monitoring/logs";
import { helmBinary, helmTemplate, kube136Capabilities, readChart, tmpHome, unknownValueKeys, untgz } from "./helm";
import { parse } from "yaml";
import { CHARTS_MIRROR } from "../../tools/harness/shared";

const SHARED = CHARTS_MIRROR;
const helm = helmBinary();
const home = tmpHome("platform-helm-logging-");
const archive = helmChartSource(CHART_PINS.fluentBit, readDirectoryMirror(SHARED, [CHART_PINS.fluentBit]).mirror!).chart;
const values = fluentBitValues({ namespace: "monitoring", stack: "prod", serviceMonitor: true });
let objects: any[] = [];
let stderr = "";

beforeAll(async () => {
  expect(helm.error, helm.error).toBeUndefined();
  const t = await helmTemplate(helm.bin!, home, {
    release: "fluent-bit",
    namespace: "monitoring",
    chart: archive,
    version: CHART_PINS.fluentBit.version,
    values,
    // The stack installs the Prometheus Operator CRDs first: the chart gates its ServiceMonitor on them.
    apiVersions: [...kube136Capabilities(), "monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"],
    skipSchemaValidation: false,
  });
  stderr = t.stderr;
  objects = t.ok
    ? parseAllDocuments(t.manifest)
        .map((d) => d.toJS())
        .filter((o) => o && typeof o === "object")
    : [];
}, 120_000);

afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const find = (kind: string) => objects.find((o) => o.kind === kind);

describe("fluent-bit chart (real helm template) with our values", () => {
  it("renders, and every value we set is a key of the chart", () => {
    expect(stderr).not.toMatch(/Error/);
    expect(objects.length).toBeGreaterThan(0);
    expect(unknownValueKeys(values, readChart(archive))).toEqual([]);
  });

  it("logs from every node: a DaemonSet that tolerates every taint, /var/log mounted read-only, no test pod", () => {
    const ds = find("DaemonSet");
    expect(ds.metadata.name).toBe("fluent-bit");
    const pod = ds.spec.template.spec;
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    const c = pod.containers[0];
    expect(c.image).toBe(LOG_IMAGES.fluentBit);
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: "varlog", mountPath: "/var/log", readOnly: true },
        { name: "state", mountPath: "/var/lib/fluent-bit" },
      ]),
    );
    expect(pod.volumes).toEqual(expect.arrayContaining([{ name: "varlog", hostPath: { path: "/var/log" } }]));
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(objects.some((o) => o.kind === "Pod")).toBe(false);
  });

  it("the ConfigMap carries our pipeline: every container log tailed, JSON merged, pushed to Loki", () => {
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "fluent-bit");
    const conf: string = cm.data["fluent-bit.conf"];
    expect(conf).toContain("Path /var/log/containers/*.log");
    expect(conf).toContain("Merge_Log On");
    expect(conf).toMatch(/Name loki\n\s+Match kube\.\*\n\s+Host loki\.monitoring\.svc\.cluster\.local\n\s+Port 3100/);
    expect(conf).toContain("namespace=$kubernetes['namespace_name']");
    expect(cm.data["custom_parsers.conf"]).toContain("Name json_line");
    // The DaemonSet reads exactly this ConfigMap's fluent-bit.conf.
    const ds = find("DaemonSet");
    expect(ds.spec.template.spec.containers[0].args).toContain("--config=/fluent-bit/etc/conf/fluent-bit.conf");
    expect(ds.spec.template.spec.volumes).toEqual(expect.arrayContaining([{ name: "config", configMap: { name: "fluent-bit" } }]));
  });

  it("the plain-manifest and droplet images are the pinned charts' appVersions (fluent-bit, loki)", () => {
    const appVersion = (pin: (typeof CHART_PINS)[keyof typeof CHART_PINS]) => {
      const files = untgz(helmChartSource(pin, readDirectoryMirror(SHARED, [pin]).mirror!).chart);
      const chartYaml = [...files.entries()].find(([f]) => /^[^/]+\/Chart\.yaml$/.test(f))![1].toString("utf8");
      return String((parse(chartYaml) as { appVersion: string }).appVersion);
    };
    expect(LOG_IMAGES.fluentBit).toBe(`cr.fluentbit.io/fluent/fluent-bit:${appVersion(CHART_PINS.fluentBit)}`);
    expect(LOG_IMAGES.loki).toBe(`grafana/loki:${appVersion(CHART_PINS.loki)}`);
  });

  it("Prometheus scrapes the collector: a ServiceMonitor on the metrics endpoint", () => {
    const sm = find("ServiceMonitor");
    expect(sm.metadata.namespace).toBe("monitoring");
    expect(sm.spec.endpoints[0]).toMatchObject({ port: "http", path: "/api/v2/metrics/prometheus" });
  });
});
