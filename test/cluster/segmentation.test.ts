/**
 * End to end: the prod Traefik stack with a REAL in-cluster Redis (components/data) — its
 * DataNetwork contract feeds the planner — evaluated from the harness inventory by the shared
 * reachability evaluator. Checks the whole stack, not a hand-built model.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { noBackups } from "../../components/data/backups";
import { Redis } from "../../components/data/redis";
import type { Context } from "../../stacks/context";
import { composeCluster } from "../../stacks/compose/cluster";
import { composeNetwork } from "../../stacks/compose/network";
import { composeServices } from "../../stacks/compose/services";
import { buildProviders } from "../../stacks/providers";
import { Reachability, isInternet } from "../../policies/lib/reachability";
import { runProgram } from "../../tools/harness/run";
import { TRAEFIK_BLUEPRINT, specFor } from "./fixtures";

describe("segmentation of a whole stack (prod, Traefik, in-cluster Redis)", () => {
  it("internet → controller only; apps → Redis only for services that connect; nothing else reaches data", async () => {
    const spec = specFor("prod", TRAEFIK_BLUEPRINT);
    const inv = await runProgram(
      () => {
        const providers = buildProviders(spec);
        const ctx: Context = { spec, providers, humanSecrets: {} };
        ctx.network = composeNetwork(ctx)!;
        const cluster = composeCluster(ctx, {})!;
        ctx.cluster = cluster;
        const redis = new Redis(
          "redis-queue",
          {
            implementation: "statefulset",
            replicas: 1,
            backup: noBackups(),
            protect: false,
            tls: { enabled: true, certSecretName: "redis-queue-tls" },
            network: { namespace: cluster.namespaces.data, clientNamespaces: [cluster.namespaces.apps] },
          },
          { providers: { kubernetes: cluster.provider, random: providers.random! } },
        );
        composeServices(ctx, cluster, {
          dataStores: [{ ref: "redis/queue", network: redis.network }],
          resolveSecret: () => pulumi.secret("fake-password-for-tests"),
        });
        return {};
      },
      { stack: "prod" },
    );

    const manifests = inv.resources
      .filter((r) => r.type.startsWith("kubernetes:") && r.custom)
      .map((r) => r.inputs as any)
      .filter((m) => ["Namespace", "NetworkPolicy", "Deployment", "StatefulSet"].includes(m.kind));
    // The controller is a Helm release (no manifest in the inventory): stand in for its pods.
    manifests.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "traefik", namespace: "ingress" },
      spec: {
        template: {
          metadata: { labels: { "app.kubernetes.io/name": "traefik" } },
          spec: { containers: [{ name: "traefik", ports: [{ containerPort: 8000 }, { containerPort: 8443 }] }] },
        },
      },
    });
    const r = new Reachability(manifests);
    const flows = r.flows();
    const toData = flows.filter((f) => f.to.kind === "pod" && f.to.namespace === "data");
    const sources = new Set(toData.map((f) => (f.from.kind === "pod" ? `${f.from.namespace}/${f.from.workload}:${f.fromPort}` : `ext:${f.from.cidr}`)));
    // Redis replicas talk to each other inside the store (one StatefulSet, so not a separate flow here).
    expect([...sources].sort()).toEqual(["apps/Deployment/api-canary:6379", "apps/Deployment/api:6379", "apps/Deployment/worker:6379"]);
    expect(
      flows
        .filter((f) => f.from.kind === "external" && isInternet(f.from) && f.to.kind === "pod")
        .map((f) => `${(f.to as any).workload}:${f.fromPort}`)
        .sort(),
    ).toEqual(["Deployment/traefik:8000", "Deployment/traefik:8443"]);
    expect(r.canReach("ingress", "data")).toBe(false);
    expect(r.canReach("apps", "data", 6379)).toBe(true);
    // web (blue/green) does not connect to Redis.
    expect(toData.some((f) => f.from.kind === "pod" && f.from.workload.startsWith("Deployment/web"))).toBe(false);
    // Redis' own pods run restricted.
    const sts = manifests.find((m) => m.kind === "StatefulSet")!;
    expect(sts.metadata.namespace).toBe("data");
    expect(sts.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });
});
