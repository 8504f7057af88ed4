/**
 * `HostMonitoring` (droplet tier): a lightweight equivalent of the cluster stack so dev is not
 * blind — node-exporter (host CPU, memory, disk), cAdvisor (per-container usage) and a Prometheus
 * with local retention evaluating the same alert table (host subset). All three sit on the host's
 * private Docker network; NO port is published. Query it through an SSH tunnel to the container
 * (`ssh -L 9090:<prometheus container ip>:9090 droplet`) or point a remote Grafana at it later.
 * Providers: `{ docker }` (the droplet's Docker host provider from HostOutputs).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { parseArgs } from "../data/schema";
import { fluentBitConfFile, fluentBitConfig, FLUENT_BIT_STATE_DIR, LOG_IMAGES, lokiConfigFile } from "./logs";
import { depthPlan, IMAGES } from "./plan";
import { blueprintRuleGroups } from "./alerts";
import { blueprintSignals } from "./args";
import { hostPrometheusConfig, RULE_FILE, ruleFileYaml, StaticTarget } from "./promconfig";

const dnsLabel = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label");

export const hostMonitoringArgs = z.strictObject({
  stack: z.string().min(1),
  /** The private Docker network (HostOutputs.networkName). */
  networkName: z.custom<pulumi.Input<string>>(
    (v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v)),
    "the host's private Docker network name (string or Output)",
  ),
  depth: z.enum(["basic", "enhanced", "full"]).default("basic"),
  retentionDays: z.int().min(1).max(90),
  /** Services with a metrics port: their container names on the network (one per replica), port and path. */
  services: z
    .array(
      z.strictObject({
        name: dnsLabel,
        hosts: z.array(z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, "a container name")).min(1),
        port: z.int().min(1).max(65535),
        metricsPath: z.string().regex(/^\//).default("/metrics"),
      }),
    )
    .default([]),
  /**
   * Ship every container's logs (Docker json-file, tagged with the container name: components/host
   * cloud-init) to a Loki on the private network, kept `retentionDays` (audit streams ≥ 90 days).
   * Omit to keep logs in Docker only.
   */
  logs: z.strictObject({ retentionDays: z.int().min(1).max(400) }).optional(),
  /** The blueprint's own alert rules, evaluated by the host's Prometheus next to the platform's (dashboards need Grafana, which the droplet does not run). */
  blueprint: blueprintSignals.optional(),
});
export type HostMonitoringArgs = z.input<typeof hostMonitoringArgs>;

/** Where Docker keeps each container's json-file log. */
export const DOCKER_CONTAINERS_DIR = "/var/lib/docker/containers";

/** Pure: the scrape targets on the private network. */
export function hostTargets(prefix: string, services: { name: string; hosts: string[]; port: number; metricsPath: string }[]): StaticTarget[] {
  return [
    { name: "node-exporter", addresses: [`${prefix}-node-exporter:9100`], metricsPath: "/metrics" },
    { name: "cadvisor", addresses: [`${prefix}-cadvisor:8080`], metricsPath: "/metrics" },
    ...services.map((s) => ({ name: s.name, addresses: s.hosts.map((h) => `${h}:${s.port}`), metricsPath: s.metricsPath })),
  ];
}

export class HostMonitoring extends pulumi.ComponentResource {
  /** Prometheus address on the private network. */
  public readonly prometheusAddress: string;
  /** The rendered prometheus.yml (reviewable, no secrets). */
  public readonly prometheusConfig: string;
  /** Loki on the private network (push API at /loki/api/v1/push); undefined without `logs`. */
  public readonly lokiAddress?: string;

  constructor(name: string, args: HostMonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg = parseArgs("HostMonitoring", name, hostMonitoringArgs, args);
    super("platform:monitoring:HostMonitoring", name, {}, opts);
    const parent = { parent: this };
    const network = cfg.networkName as pulumi.Input<string>;
    this.prometheusConfig = hostPrometheusConfig(cfg.stack, hostTargets(name, cfg.services));
    this.prometheusAddress = `${name}-prometheus:9090`;

    const common = (id: string, image: docker.RemoteImage): Partial<docker.ContainerArgs> & { name: string; image: pulumi.Input<string> } => ({
      name: `${name}-${id}`,
      image: image.imageId,
      restart: "unless-stopped",
      networksAdvanced: [{ name: network, aliases: [`${name}-${id}`] }],
      // No `ports`: nothing is published on the droplet's interfaces.
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      memory: 256,
    });
    const pull = (id: string, ref: string) => new docker.RemoteImage(`${name}-${id}`, { name: ref, keepLocally: true }, parent);

    new docker.Container(
      `${name}-node-exporter`,
      {
        ...common("node-exporter", pull("node-exporter", IMAGES.nodeExporter)),
        command: ["--path.rootfs=/host", "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+)($|/)"],
        mounts: [{ type: "bind", source: "/", target: "/host", readOnly: true, bindOptions: { propagation: "rslave" } }],
        readOnly: true,
        user: "65534:65534",
      },
      parent,
    );

    new docker.Container(
      `${name}-cadvisor`,
      {
        ...common("cadvisor", pull("cadvisor", IMAGES.cadvisor)),
        // Not privileged, and deliberately WITHOUT the Docker socket (a read-only bind of a socket still
        // grants the full Docker API, i.e. root on the droplet): cAdvisor reads cgroups from /sys, so
        // series carry the container id (`id="/docker/<id>"`) rather than its name.
        command: [
          "--housekeeping_interval=30s",
          "--store_container_labels=false",
          "--disable_metrics=percpu,sched,tcp,udp,hugetlb,referenced_memory,cpu_topology,resctrl",
        ],
        mounts: [
          { type: "bind", source: "/", target: "/rootfs", readOnly: true },
          { type: "bind", source: "/sys", target: "/sys", readOnly: true },
          { type: "bind", source: "/var/lib/docker", target: "/var/lib/docker", readOnly: true },
        ],
        capabilities: { drops: ["ALL"], adds: ["SYS_PTRACE"] },
      },
      parent,
    );

    const data = new docker.Volume(`${name}-prometheus-data`, { name: `${name}-prometheus-data` }, parent);
    new docker.Container(
      `${name}-prometheus`,
      {
        ...common("prometheus", pull("prometheus", IMAGES.prometheus)),
        command: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", `--storage.tsdb.retention.time=${cfg.retentionDays}d`],
        uploads: [
          { file: "/etc/prometheus/prometheus.yml", content: this.prometheusConfig },
          {
            file: RULE_FILE,
            content: ruleFileYaml(cfg.depth, "host", cfg.blueprint ? blueprintRuleGroups(cfg.blueprint.name, cfg.depth, cfg.blueprint.alerts) : []),
          },
        ],
        volumes: [{ volumeName: data.name, containerPath: "/prometheus" }],
        user: "65534:65534",
        memory: 512,
      },
      parent,
    );

    if (cfg.logs) {
      // Logs: Fluent Bit tails every container's json-file log (read-only bind of Docker's
      // containers directory, no Docker socket) and pushes to Loki; neither publishes a port.
      const plan = depthPlan(cfg.depth, cfg.retentionDays, cfg.logs.retentionDays);
      this.lokiAddress = `${name}-loki:3100`;
      const lokiData = new docker.Volume(`${name}-loki-data`, { name: `${name}-loki-data` }, parent);
      const loki = new docker.Container(
        `${name}-loki`,
        {
          ...common("loki", pull("loki", LOG_IMAGES.loki)),
          command: ["-config.file=/etc/loki/loki.yaml", "-target=all"],
          uploads: [{ file: "/etc/loki/loki.yaml", content: lokiConfigFile(plan) }],
          volumes: [{ volumeName: lokiData.name, containerPath: "/loki" }],
          user: "10001:10001",
          memory: 512,
        },
        parent,
      );
      const fb = fluentBitConfig({
        source: { kind: "docker", containersDir: DOCKER_CONTAINERS_DIR },
        lokiHost: `${name}-loki`,
        lokiPort: 3100,
        stack: cfg.stack,
      });
      const state = new docker.Volume(`${name}-fluent-bit-state`, { name: `${name}-fluent-bit-state` }, parent);
      new docker.Container(
        `${name}-fluent-bit`,
        {
          ...common("fluent-bit", pull("fluent-bit", LOG_IMAGES.fluentBit)),
          entrypoints: ["/fluent-bit/bin/fluent-bit"],
          command: ["--config=/fluent-bit/etc/conf/fluent-bit.conf"],
          uploads: [
            { file: "/fluent-bit/etc/conf/fluent-bit.conf", content: fluentBitConfFile(fb) },
            { file: "/fluent-bit/etc/conf/custom_parsers.conf", content: fb.customParsers },
          ],
          // Docker's log files are root-owned (0640): root in the container, every capability dropped.
          mounts: [{ type: "bind", source: DOCKER_CONTAINERS_DIR, target: DOCKER_CONTAINERS_DIR, readOnly: true }],
          volumes: [{ volumeName: state.name, containerPath: FLUENT_BIT_STATE_DIR }],
          user: "0:0",
          memory: 128,
        },
        { ...parent, dependsOn: [loki] },
      );
    }

    this.registerOutputs({ prometheusAddress: this.prometheusAddress, prometheusConfig: this.prometheusConfig, lokiAddress: this.lokiAddress });
  }
}
