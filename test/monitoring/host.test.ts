import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { HostMonitoring } from "../../components/monitoring/host";
import { runProgram } from "../../tools/harness/run";
import { promqlErrors } from "./promql";

async function run() {
  return runProgram(
    () => {
      const provider = new docker.Provider("droplet", { host: "ssh://deploy@203.0.113.10" });
      const m = new HostMonitoring(
        "mon",
        {
          stack: "dev",
          networkName: pulumi.output("platform-private"),
          retentionDays: 7,
          services: [{ name: "relay", hosts: ["app-relay-0", "app-relay-1"], port: 9090, metricsPath: "/metrics" }],
        },
        { providers: { docker: provider } },
      );
      return { address: m.prometheusAddress };
    },
    { stack: "dev" },
  );
}

describe("HostMonitoring (droplet)", () => {
  it("node-exporter, cAdvisor and Prometheus on the private network, nothing published", async () => {
    const inv = await run();
    const containers = inv.resources.filter((r) => r.type === "docker:index/container:Container");
    expect(containers.map((c) => c.inputs.name).sort()).toEqual(["mon-cadvisor", "mon-node-exporter", "mon-prometheus"]);
    for (const c of containers) {
      expect(c.inputs.ports ?? []).toEqual([]);
      expect(c.inputs.privileged ?? false).toBe(false);
      expect(c.inputs.networkMode).toBeUndefined();
      expect((c.inputs.networksAdvanced as { name: string }[]).map((n) => n.name)).toEqual(["platform-private"]);
      expect(c.inputs.securityOpts).toContain("no-new-privileges:true");
    }
    const mounts = containers.flatMap((c) => (c.inputs.mounts as { source: string; readOnly: boolean }[] | undefined) ?? []);
    expect(mounts.every((m) => m.readOnly)).toBe(true);
    expect(mounts.map((m) => m.source)).not.toContain("/var/run");
    expect(mounts.some((m) => m.source.includes("docker.sock"))).toBe(false);
    const images = inv.resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage").map((r) => r.inputs.name as string);
    for (const i of images) expect(i).toMatch(/:v?\d+\.\d+\.\d+$/);
  });

  it("Prometheus scrapes the services' metrics ports and evaluates the host rules with local retention", async () => {
    const inv = await run();
    const prom = inv.resources.find((r) => r.inputs.name === "mon-prometheus")!;
    expect(prom.inputs.command).toContain("--storage.tsdb.retention.time=7d");
    const uploads = prom.inputs.uploads as { file: string; content: string }[];
    const cfg = parse(uploads.find((u) => u.file.endsWith("prometheus.yml"))!.content);
    const targets = cfg.scrape_configs.flatMap((j: { static_configs: { targets: string[] }[] }) => j.static_configs.flatMap((s) => s.targets));
    expect(targets).toEqual(expect.arrayContaining(["mon-node-exporter:9100", "mon-cadvisor:8080", "app-relay-0:9090", "app-relay-1:9090"]));
    const rules = parse(uploads.find((u) => u.file.endsWith("platform.rules.yml"))!.content) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.alert)).toEqual(expect.arrayContaining(["ServiceDown", "NodeDiskSpaceLow", "ApiHighErrorRate"]));
    expect(all.flatMap((r) => promqlErrors(r.expr))).toEqual([]);
  });
});
