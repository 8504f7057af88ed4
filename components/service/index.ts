/**
 * `Service`: one blueprint service as a Kubernetes workload.
 *
 * Deployment (or StatefulSet) with the restricted security context, probes on the health port,
 * requests/limits from the tier, topology spread + PDB when replicated, HPA (CPU, memory, custom
 * Pods metric), a ClusterIP Service (metrics port named `metrics`), one TLS Ingress per route group
 * for public services (rate limits, CORS, HTTP→HTTPS, HSTS), a ServiceMonitor when monitoring is
 * on, and blue-green / canary tracks (mechanism documented in plan.ts).
 *
 * Secrets: `secretEnv` values (secret Outputs) go into a Secret `<svc>-env` created here;
 * `existingSecretName` (e.g. materialised by External Secrets) is added with `envFrom` as is.
 *
 * Usage:
 *   new Service("svc-api", { spec, namespace: "apps", replicas: { min: 3, max: 20 }, resources: RESOURCES.full,
 *     autoscaling: true, disruptionBudgets: true, domain: "example.com",
 *     ingress: { controller: "traefik", className: "traefik", clusterIssuer: "letsencrypt" } },
 *     { providers: { kubernetes: cluster.provider } });
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { registerManifest } from "../cluster/register";
import type { NetpolService } from "../cluster/netpol";
import { ServiceArgs, parseServiceArgs } from "./args";
import { planService } from "./plan";

export class Service extends pulumi.ComponentResource {
  /** In-cluster DNS name (`<svc>.<ns>.svc.cluster.local`). */
  public readonly clusterHost: pulumi.Output<string>;
  /** Public hosts routed to this service. */
  public readonly hosts: pulumi.Output<string[]>;
  /** What the NetworkPolicy planner needs about this service (plain data). */
  public readonly netpol: NetpolService;

  constructor(name: string, args: ServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:service:Service", name, {}, opts);
    const a = parseServiceArgs(name, args);
    const plan = planService({ ...a, secretEnvKeys: Object.keys(a.secretEnv) });
    const s = a.spec;
    this.netpol = {
      name: s.name,
      exposure: s.exposure,
      ports: { ...s.ports },
      routedPorts: plan.routedPorts,
      connectsTo: [...s.connectsTo],
      calls: [...s.calls],
      egress: [...s.egress],
      podSelector: plan.podSelector,
    };

    // Children wait for what the component waits for (namespaces, add-ons): dependsOn is not inherited.
    const outer = (Array.isArray(opts.dependsOn) ? opts.dependsOn : opts.dependsOn ? [opts.dependsOn] : []) as pulumi.Resource[];
    const deps: pulumi.Resource[] = [];
    if (plan.envSecretName) {
      const data: Record<string, pulumi.Output<string>> = {};
      for (const [k, v] of Object.entries(a.secretEnv)) data[k] = pulumi.secret(pulumi.output(v));
      deps.push(
        new k8s.core.v1.Secret(
          `${name}-env-secret`,
          {
            metadata: {
              name: plan.envSecretName,
              namespace: a.namespace,
              labels: { "app.kubernetes.io/name": s.name, "app.kubernetes.io/managed-by": "pulumi" },
            },
            type: "Opaque",
            stringData: data,
          },
          { parent: this, dependsOn: outer, additionalSecretOutputs: ["data", "stringData"] },
        ),
      );
    }
    const sa = plan.manifests.find((m) => m.key === "sa")!;
    const saRes = registerManifest(`${name}-${sa.key}`, sa.manifest, { parent: this, dependsOn: outer });
    for (const m of plan.manifests) {
      if (m.key === "sa") continue;
      const workload = m.manifest.kind === "Deployment" || m.manifest.kind === "StatefulSet";
      registerManifest(`${name}-${m.key}`, m.manifest, { parent: this, dependsOn: workload ? [...outer, saRes, ...deps] : outer });
    }

    this.clusterHost = pulumi.output(plan.clusterHost);
    this.hosts = pulumi.output(plan.hosts);
    this.registerOutputs({ clusterHost: this.clusterHost, hosts: this.hosts });
  }
}

export { serviceArgs } from "./args";
export type { ServiceArgs } from "./args";
export { planService } from "./plan";
