/**
 * DNS composer: one record per public host an Ingress of the stack serves (`api.`, `relay.`,
 * `app.`, the apex), pointing at the ingress controller's load balancer, managed by the program.
 * Without them HTTP-01 certificates never validate and the web app's API origin does not resolve.
 *
 * Kubernetes tiers on EKS only (the local tier has no zone). The load balancer's address is read
 * from the controller's Service once its Helm release is ready (`atomic` releases wait for
 * LoadBalancer Services to get an address). The zone: `platform:route53ZoneId` when set (A alias at
 * the apex, CNAME elsewhere), else the Cloudflare zone of `platform:cloudflare` (CNAME; Cloudflare
 * flattens it at the apex; not proxied, the ingress terminates TLS with its own certificates).
 * A host the edge site owns (its `edge.host`) is left to the edge component.
 */
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesPlatform } from "./cluster";
import type { Context } from "../context";
import { fqdn, type PlatformSpec } from "../spec/platform";

/** Every host an Ingress of the stack serves (public services' routes), sorted. */
export function ingressHosts(spec: PlatformSpec): string[] {
  const hosts = new Set<string>();
  for (const svc of spec.blueprint.services) {
    if (svc.exposure !== "public") continue;
    for (const r of svc.routes) hosts.add(fqdn(r.host, spec.domain));
  }
  return [...hosts].sort();
}

/** The hosts this composer publishes: the Ingress hosts minus the one the edge site owns. */
export function ingressDnsHosts(spec: PlatformSpec): string[] {
  const edge = spec.blueprint.edge ? fqdn(spec.blueprint.edge.host, spec.domain) : undefined;
  return ingressHosts(spec).filter((h) => h !== edge);
}

/** The ingress controller's LoadBalancer Service (the chart names it after the release, `traefik`). */
export function ingressServiceName(controller: "traefik"): string {
  return controller;
}

export interface IngressDnsOutputs {
  /** Host → record provider, for outputs and review. */
  records: Record<string, "route53" | "cloudflare">;
  loadBalancer: pulumi.Output<string>;
}

export function composeIngressDns(ctx: Context, cluster: KubernetesPlatform): IngressDnsOutputs | undefined {
  const { spec, providers } = ctx;
  if (spec.hosting.mode !== "kubernetes" || spec.hosting.cluster !== "eks") return undefined;
  const hosts = ingressDnsHosts(spec);
  if (hosts.length === 0) return undefined;
  const useRoute53 = spec.route53ZoneId !== undefined;
  if (useRoute53 && !providers.aws) throw new Error(`stack ${spec.stack}: Route 53 records need the AWS provider`);
  if (!useRoute53 && !(providers.cloudflare && spec.cloudflare)) {
    throw new Error(
      `stack ${spec.stack}: the public hosts ${hosts.join(", ")} need a DNS zone the program manages: set platform:route53ZoneId or platform:cloudflare`,
    );
  }
  const svc = k8s.core.v1.Service.get(`${spec.stack}-ingress-lb`, `${cluster.namespaces.ingress}/${ingressServiceName(spec.hosting.ingressController)}`, {
    provider: cluster.provider,
    dependsOn: cluster.ready,
  });
  const lb = svc.status.apply((s) => {
    const ing = s?.loadBalancer?.ingress?.[0];
    const address = ing?.hostname ?? ing?.ip;
    if (!address && !pulumi.runtime.isDryRun())
      throw new Error(`stack ${spec.stack}: the ingress Service has no load-balancer address yet; re-run once it has one`);
    return address ?? "";
  });
  const records: IngressDnsOutputs["records"] = {};
  const id = (h: string) => `${spec.stack}-dns-${h.replace(/\./g, "-")}`;
  for (const host of hosts) {
    if (useRoute53) {
      const apex = host === spec.domain;
      new aws.route53.Record(
        id(host),
        apex
          ? {
              zoneId: spec.route53ZoneId!,
              name: host,
              type: "A",
              // An apex cannot be a CNAME: alias the network load balancer (its region's ELB zone).
              aliases: [
                {
                  name: lb,
                  zoneId: aws.lb.getHostedZoneIdOutput({ loadBalancerType: "network" }, { provider: providers.aws! }).id,
                  evaluateTargetHealth: true,
                },
              ],
            }
          : { zoneId: spec.route53ZoneId!, name: host, type: "CNAME", ttl: 300, records: [lb] },
        { provider: providers.aws! },
      );
      records[host] = "route53";
    } else {
      new cloudflare.DnsRecord(
        id(host),
        // Not proxied: the ingress terminates TLS (HTTP-01 through it) and sees client addresses.
        {
          zoneId: spec.cloudflare!.zoneId,
          name: host,
          type: "CNAME",
          content: lb,
          ttl: 300,
          proxied: false,
          comment: "ingress load balancer (managed by the platform program)",
        },
        { provider: providers.cloudflare! },
      );
      records[host] = "cloudflare";
    }
  }
  return { records, loadBalancer: lb };
}
