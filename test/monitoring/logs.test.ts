/**
 * Logs reach Loki (issue 18), in the reference views' words: "Structured JSON logs → Loki"
 * (axum), "Centralized log aggregation", "Retention policies (30 days for application logs, 90
 * days for audit logs)" (music platform). Every Kubernetes tier runs the collector; the droplet
 * ships its containers' logs too. The chart values are rendered by the real helm in
 * test/charts/logging.test.ts.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DOCKER_LOG_OPTS, renderCloudInit } from "../../components/host/cloudinit";
import { HostMonitoring } from "../../components/monitoring/host";
import { fluentBitConfig, fluentBitValues, localLogManifests, lokiConfigFile } from "../../components/monitoring/logs";
import { depthPlan } from "../../components/monitoring/plan";
import { TIERS } from "../../stacks/spec/tiers";
import type { Inventory } from "../../tools/harness/inventory";
import { planned } from "../harness/planned";
import { runProgram } from "../../tools/harness/run";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const releaseNamed = (inv: Inventory, name: string) => inv.resources.find((r) => r.type === RELEASE && r.inputs.name === name);
const ofKind = (inv: Inventory, kind: string) => inv.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: string }).kind === kind);

/** `Key value` pairs of one `[SECTION]` of a Fluent Bit classic config (first match of `name`). */
function sections(conf: string, name: string): Record<string, string>[] {
  return conf
    .split(/^\[/m)
    .filter((s) => s.startsWith(`${name}]`))
    .map((s) =>
      Object.fromEntries(
        s
          .split("\n")
          .slice(1)
          .map((l) => l.trim())
          .filter(Boolean)
          .map((l) => [l.split(/\s+/)[0]!, l.slice(l.split(/\s+/)[0]!.length).trim()]),
      ),
    );
}

describe("logs from every namespace are shipped to Loki (Kubernetes tiers)", () => {
  it("the collector tails every container log on the node, whatever its namespace, and pushes to the in-cluster Loki", () => {
    const v = fluentBitValues({ namespace: "monitoring", stack: "prod", serviceMonitor: true });
    const [input] = sections(v.config.inputs, "INPUT");
    expect(input).toMatchObject({ Name: "tail", Path: "/var/log/containers/*.log", Tag: "kube.*" });
    expect(input!["Exclude_Path"]).toBeUndefined();
    const [out] = sections(v.config.outputs, "OUTPUT");
    expect(out).toMatchObject({ Name: "loki", Match: "kube.*", Host: "loki.monitoring.svc.cluster.local", Port: "3100" });
    expect(out!["Labels"]).toContain("namespace=$kubernetes['namespace_name']");
    expect(out!["Labels"]).toContain("stack=prod");
  });

  it("runs on every node: a DaemonSet tolerating every taint (the prod data node group too), /var/log read-only", () => {
    const v = fluentBitValues({ namespace: "monitoring", stack: "prod", serviceMonitor: true });
    expect(v.kind).toBe("DaemonSet");
    expect(v.tolerations).toEqual([{ operator: "Exists" }]);
    expect(v.daemonSetVolumeMounts.find((m) => m.name === "varlog")).toMatchObject({ mountPath: "/var/log", readOnly: true });
    expect(v.securityContext.capabilities.drop).toEqual(["ALL"]);
  });

  it("structured JSON logs are parsed: each JSON line's fields become the record (level and log_type become stream labels)", () => {
    const v = fluentBitValues({ namespace: "monitoring", stack: "staging", serviceMonitor: false });
    const [k] = sections(v.config.filters, "FILTER");
    expect(k).toMatchObject({ Name: "kubernetes", Merge_Log: "On", Keep_Log: "Off" });
    const [out] = sections(v.config.outputs, "OUTPUT");
    expect(out!["Labels"]).toContain("log_type=$log_type");
    expect(out!["Labels"]).toContain("level=$level");
    expect(out!["Line_Format"]).toBe("json");
  });

  it("audit logs are kept 90 days, application logs the tier's retention (the music platform's 30 / 90 days)", () => {
    for (const tier of ["local", "staging", "prod"] as const) {
      const plan = depthPlan(TIERS[tier].monitoring, TIERS[tier].metricsRetentionDays, TIERS[tier].logRetentionDays);
      const cfg = parse(lokiConfigFile(plan));
      expect(cfg.limits_config.retention_period).toBe(`${TIERS[tier].logRetentionDays * 24}h`);
      expect(cfg.limits_config.retention_stream).toEqual([
        { selector: '{log_type="audit"}', priority: 1, period: `${Math.max(90, TIERS[tier].logRetentionDays) * 24}h` },
      ]);
      expect(cfg.compactor.retention_enabled).toBe(true);
    }
  });

  it("refuses a Loki host or stack that would break the collector's configuration, naming the field", () => {
    expect(() => fluentBitConfig({ source: { kind: "kubernetes" }, lokiHost: "loki:3100", lokiPort: 3100, stack: "prod" })).toThrow(
      /lokiHost 'loki:3100' must be a host name/,
    );
    expect(() => fluentBitConfig({ source: { kind: "kubernetes" }, lokiHost: "loki", lokiPort: 3100, stack: "a b" })).toThrow(/stack 'a b'/);
  });

  it("staging and prod: every blueprint with logs installs Loki with the tier's retention and the Fluent Bit release after it", async () => {
    for (const [blueprint, tier] of [
      ["music-platform-gitops", "prod"],
      ["bridge-relay", "staging"],
      ["gateway-flutter-wasm", "prod"],
    ] as const) {
      const { inventory: inv } = await planned({ blueprint, tier });
      const loki = releaseNamed(inv, "loki");
      const fb = releaseNamed(inv, "fluent-bit");
      expect(loki, `${blueprint} ${tier}: loki`).toBeDefined();
      expect(fb, `${blueprint} ${tier}: fluent-bit`).toBeDefined();
      expect((loki!.inputs.values as any).loki.limits_config.retention_period).toBe(`${TIERS[tier].logRetentionDays * 24}h`);
      expect((fb!.inputs.values as any).config.outputs).toContain(`Host ${(loki!.inputs as any).name}.${(loki!.inputs as any).namespace}.svc.cluster.local`);
      expect(fb!.dependencies ?? [], `${blueprint} ${tier}: fluent-bit waits for loki`).toContain(loki!.urn);
    }
  }, 600_000);

  it("local tier (plain manifests): Loki and the Fluent Bit DaemonSet run too, with the local tier's retention", async () => {
    const { inventory: inv } = await planned({ blueprint: "bridge-relay", tier: "local" });
    expect(inv.resources.filter((r) => r.type === RELEASE).map((r) => r.inputs.name)).not.toContain("loki");
    const ds = ofKind(inv, "DaemonSet").find((r) => (r.inputs as any).metadata.name === "fluent-bit");
    expect(ds, "fluent-bit DaemonSet").toBeDefined();
    expect((ds!.inputs as any).spec.template.spec.tolerations).toEqual([{ operator: "Exists" }]);
    const lokiCm = ofKind(inv, "ConfigMap").find((r) => (r.inputs as any).metadata.name === "loki-config");
    expect(parse((lokiCm!.inputs as any).data["loki.yaml"]).limits_config.retention_period).toBe(`${TIERS.local.logRetentionDays * 24}h`);
    const fbCm = ofKind(inv, "ConfigMap").find((r) => (r.inputs as any).metadata.name === "fluent-bit");
    expect(sections((fbCm!.inputs as any).data["fluent-bit.conf"], "OUTPUT")[0]).toMatchObject({
      Name: "loki",
      Host: `loki.${(ds!.inputs as any).metadata.namespace}.svc.cluster.local`,
    });
    expect(String(inv.outputs.monitoring)).toMatch(/Fluent Bit on every node → plain-manifest Loki/);
  }, 600_000);

  it("local manifests: Loki's Service selects its pod; the collector's RBAC reads pods and namespaces only", () => {
    const m = localLogManifests({ stack: "local", namespace: "monitoring", plan: depthPlan("basic", 1, 1) });
    expect(m.lokiService.spec.selector).toEqual(m.lokiDeployment.spec.template.metadata.labels);
    expect(m.collectorClusterRole.rules).toEqual([{ apiGroups: [""], resources: ["namespaces", "pods"], verbs: ["get", "list", "watch"] }]);
    expect(m.lokiDeployment.spec.template.spec.containers[0]!.image).toMatch(/:\d+\.\d+\.\d+$/);
    expect(m.collectorDaemonSet.spec.template.spec.containers[0]!.image).toMatch(/:\d+\.\d+\.\d+$/);
  });
});

describe("the single host ships its containers' logs too", () => {
  async function run(logs: boolean) {
    return runProgram(
      () => {
        const provider = new docker.Provider("droplet", { host: "ssh://deploy@203.0.113.10" });
        const m = new HostMonitoring(
          "mon",
          {
            stack: "dev",
            networkName: pulumi.output("platform-private"),
            retentionDays: 7,
            ...(logs ? { logs: { retentionDays: 7 } } : {}),
            services: [],
          },
          { providers: { docker: provider } },
        );
        return { loki: m.lokiAddress };
      },
      { stack: "dev" },
    );
  }

  it("Docker writes json-file logs tagged with the container name (cloud-init daemon.json)", () => {
    const ci = parse(
      renderCloudInit({
        deployUser: "deploy",
        sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly deploy@example",
        connectionLimit: { perSecond: 20, burst: 60 },
      }),
    );
    const daemon = JSON.parse(ci.write_files.find((f: { path: string }) => f.path === "/etc/docker/daemon.json").content);
    expect(daemon["log-driver"]).toBe("json-file");
    expect(daemon["log-opts"]).toEqual(DOCKER_LOG_OPTS);
    expect(daemon["log-opts"].tag).toBe("{{.Name}}");
  });

  it("Fluent Bit tails every container's log read-only (no Docker socket) and pushes to a Loki on the private network; nothing is published", async () => {
    const inv = await run(true);
    const containers = inv.resources.filter((r) => r.type === "docker:index/container:Container");
    const byName = (n: string) => containers.find((c) => c.inputs.name === n)!;
    expect(containers.map((c) => c.inputs.name)).toEqual(expect.arrayContaining(["mon-loki", "mon-fluent-bit"]));
    for (const c of containers) expect(c.inputs.ports ?? []).toEqual([]);
    const fb = byName("mon-fluent-bit");
    expect(fb.inputs.mounts).toEqual([{ type: "bind", source: "/var/lib/docker/containers", target: "/var/lib/docker/containers", readOnly: true }]);
    expect(JSON.stringify(fb.inputs)).not.toContain("docker.sock");
    const conf = (fb.inputs.uploads as { file: string; content: string }[]).find((u) => u.file.endsWith("fluent-bit.conf"))!.content;
    expect(sections(conf, "INPUT")[0]).toMatchObject({ Name: "tail", Path: "/var/lib/docker/containers/*/*-json.log" });
    expect(sections(conf, "FILTER")[0]).toMatchObject({ Name: "parser", Key_Name: "log", Parser: "json_line", Reserve_Data: "On" });
    expect(sections(conf, "OUTPUT")[0]).toMatchObject({ Name: "loki", Host: "mon-loki", Port: "3100" });
    expect(sections(conf, "OUTPUT")[0]!["Labels"]).toContain("container=$docker_tag");
    const loki = byName("mon-loki");
    const lokiConf = parse((loki.inputs.uploads as { content: string }[])[0]!.content);
    expect(lokiConf.limits_config.retention_period).toBe("168h");
    expect(inv.outputs.loki).toBe("mon-loki:3100");
  });

  it("without logs, no Loki and no collector run on the host", async () => {
    const inv = await run(false);
    const names = inv.resources.filter((r) => r.type === "docker:index/container:Container").map((c) => c.inputs.name);
    expect(names).not.toContain("mon-loki");
    expect(names).not.toContain("mon-fluent-bit");
  });

  it("the droplet blueprint (dev) ships its containers' logs with the dev tier's retention", async () => {
    const { inventory: inv } = await planned({ blueprint: "nuxt-fastify-beta-droplet", tier: "dev" });
    const loki = inv.resources.find((r) => r.type === "docker:index/container:Container" && String(r.inputs.name).endsWith("-loki"));
    expect(loki, "a Loki container on the droplet").toBeDefined();
    expect(parse((loki!.inputs.uploads as { content: string }[])[0]!.content).limits_config.retention_period).toBe(`${TIERS.dev.logRetentionDays * 24}h`);
    expect(inv.resources.some((r) => r.type === "docker:index/container:Container" && String(r.inputs.name).endsWith("-fluent-bit"))).toBe(true);
  }, 600_000);
});
