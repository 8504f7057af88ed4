/**
 * The policy pack (in-process, as `pulumi preview --policy-pack` would run it) over the stores'
 * real inventories: managed stores alone, and in-cluster stores inside the namespaces and
 * NetworkPolicies the cluster's planner derives from the stores' own network contracts.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { planNetworkPolicies } from "../../components/cluster/netpol";
import { backupPolicy, noBackups, postgresPodSelector } from "../../components/data";
import type { DataNetwork } from "../../components/data/network";
import { Ipfs } from "../../components/data/ipfs";
import { ObjectStore } from "../../components/data/objectstore";
import { Postgres } from "../../components/data/postgres";
import { Redis } from "../../components/data/redis";
import { Scylla } from "../../components/data/scylla";
import { formatText, runPolicies } from "../../policies/lib/runner";
import { runProgram } from "../../tools/harness/run";
import { awsNet, awsProviders, k8sNet, k8sProviders, secondaryAws } from "./helpers";
import { TIERS } from "../../stacks/spec/tiers";

describe("policy pack over the data stores", () => {
  it("managed stores (RDS + proxy + AWS Backup, ElastiCache, S3 with replication) in prod: no violation", async () => {
    const inv = await runProgram(
      () => {
        const a = awsProviders();
        new Postgres(
          "rds",
          {
            implementation: "managed",
            network: awsNet,
            replicas: 2,
            pooling: true,
            backup: backupPolicy(TIERS.prod.backups, { crossRegion: true }),
            secondaryRegionProvider: secondaryAws(),
          },
          { providers: a },
        );
        new Redis("cache", { implementation: "managed", network: awsNet, replicas: 1, backup: backupPolicy(TIERS.prod.backups) }, { providers: a });
        new ObjectStore(
          "store",
          {
            implementation: "managed",
            buckets: [{ name: "b", purpose: "backups" }],
            backup: backupPolicy(TIERS.prod.backups, { crossRegion: true }),
            replicaProvider: new aws.Provider("aws-replica", { region: "us-west-2" }),
          },
          { providers: a },
        );
        return {};
      },
      { stack: "prod" },
    );
    const report = await runPolicies(inv, { tier: "prod" });
    expect(report.violations, formatText(report)).toEqual([]);
    expect(report.resourcesChecked).toBeGreaterThan(50);
  });

  it("in-cluster stores inside restricted namespaces with the planned NetworkPolicies in prod: no violation", async () => {
    const inv = await runProgram(
      () => {
        const k = k8sProviders();
        const issuer = { name: "internal-ca" };
        const files = new ObjectStore(
          "files",
          {
            implementation: "seaweedfs",
            network: k8sNet,
            buckets: [{ name: "pg-backups", purpose: "backups" }],
            backup: backupPolicy(TIERS.prod.backups),
            tls: { issuer },
            storePeers: [postgresPodSelector("db")],
          },
          { providers: k },
        );
        const pg = new Postgres(
          "db",
          {
            implementation: "operator",
            network: k8sNet,
            replicas: 2,
            pooling: true,
            backup: backupPolicy(TIERS.prod.backups),
            backupTarget: {
              destinationPath: "s3://pg-backups/db",
              endpointUrl: files.endpointUrl!,
              credentials: files.s3Credentials!,
              endpointCA: files.caSecret!,
            },
          },
          { providers: k },
        );
        const cache = new Redis(
          "cache",
          { implementation: "statefulset", network: k8sNet, replicas: 1, backup: backupPolicy(TIERS.prod.backups), tls: { issuer } },
          { providers: k },
        );
        const media = new Ipfs("media", { network: k8sNet }, { providers: k });
        const stores: Record<string, DataNetwork> = {
          "objectStore/files": files.network,
          "postgres/db": pg.network,
          "redis/cache": cache.network,
          "ipfs/media": media.network,
        };
        for (const n of ["ingress", "apps", "data", "monitoring"]) {
          new k8s.core.v1.Namespace(
            `ns-${n}`,
            { metadata: { name: n, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } },
            { provider: k.kubernetes },
          );
        }
        const policies = planNetworkPolicies({
          namespaces: { ingress: "ingress", apps: "apps", data: "data", monitoring: "monitoring" },
          ingressController: { podSelector: { app: "ingress-nginx" }, ports: [80, 443] },
          services: [
            {
              name: "api",
              exposure: "internal",
              ports: { http: 8080 },
              routedPorts: [],
              connectsTo: Object.keys(stores),
              calls: [],
              egress: [],
              podSelector: { app: "api" },
            },
          ],
          stores: Object.entries(stores).map(([ref, network]) => ({ ref, network })),
          externalNetworks: {},
          apiServerCidrs: ["10.0.0.1/32"],
          managedStoreCidrs: ["10.0.0.0/16"],
          dataExternalCidrs: ["203.0.113.0/24"],
          acmeHttp01: false,
        });
        for (const p of policies) new k8s.networking.v1.NetworkPolicy(`${p.metadata.namespace}-${p.metadata.name}`, p as never, { provider: k.kubernetes });
        return {};
      },
      { stack: "prod" },
    );
    const report = await runPolicies(inv, { tier: "prod" });
    expect(report.violations, formatText(report)).toEqual([]);
  });

  it("Scylla pods are operator-made; its keyspace Job and config pass the pack in a restricted namespace", async () => {
    const inv = await runProgram(
      () => {
        const k = k8sProviders();
        new k8s.core.v1.Namespace(
          "ns-data",
          { metadata: { name: "data", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } },
          { provider: k.kubernetes },
        );
        const chain = new Scylla(
          "chain",
          { network: k8sNet, keyspaces: [{ name: "p", replicationFactor: 3 }], backup: noBackups(), tls: { issuer: { name: "internal-ca" } } },
          { providers: k },
        );
        const policies = planNetworkPolicies({
          namespaces: { ingress: "ingress", apps: "apps", data: "data", monitoring: "monitoring" },
          ingressController: { podSelector: { app: "ingress-nginx" }, ports: [443] },
          services: [],
          stores: [{ ref: "scylla/chain", network: chain.network }],
          externalNetworks: {},
          apiServerCidrs: ["10.0.0.1/32"],
          managedStoreCidrs: [],
          acmeHttp01: false,
        });
        for (const p of policies.filter((x) => x.metadata.namespace === "data"))
          new k8s.networking.v1.NetworkPolicy(`data-${p.metadata.name}`, p as never, { provider: k.kubernetes });
        return {};
      },
      { stack: "prod" },
    );
    const report = await runPolicies(inv, { tier: "prod" });
    expect(report.violations, formatText(report)).toEqual([]);
  });
});
