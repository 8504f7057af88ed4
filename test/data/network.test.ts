/**
 * The stores' network contracts (`DataNetwork`) end to end: the real manifests the stores
 * register, turned into NetworkPolicies by the cluster's planner (components/cluster/netpol.ts)
 * and evaluated by the policy pack's reachability evaluator (policies/lib/reachability.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { planNetworkPolicies, type NetpolInput, type NetpolService } from "../../components/cluster/netpol";
import { backupPolicy, noBackups, postgresPodSelector } from "../../components/data";
import { Ipfs } from "../../components/data/ipfs";
import type { DataNetwork } from "../../components/data/network";
import { ObjectStore } from "../../components/data/objectstore";
import { Postgres } from "../../components/data/postgres";
import { Redis } from "../../components/data/redis";
import { Scylla } from "../../components/data/scylla";
import { evaluateReachability, type Flow, type Manifest } from "../../policies/lib/reachability";
import { runProgram } from "../../tools/harness/run";
import { k8sProviders } from "./helpers";
import { TIERS } from "../../stacks/spec/tiers";

const NS = { ingress: "ingress", apps: "apps", data: "data", monitoring: "monitoring" };
const net = { namespace: "data", clientNamespaces: ["apps"] };

let flows: Flow[] = [];
let networks: Record<string, DataNetwork> = {};

const deployment = (name: string, ns: string, labels: Record<string, string>, ports: number[]): Manifest => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns, labels },
  spec: { template: { metadata: { labels }, spec: { containers: [{ name, image: "x", ports: ports.map((p) => ({ containerPort: p })) }] } } },
});

/** `ns/name` matches a pod endpoint whose workload (`Kind/name`) has that name. */
const is = (e: Flow["from"], ref: string) => {
  const [ns, name] = ref.split("/");
  return e.kind === "pod" && e.namespace === ns && e.workload.split("/")[1] === name;
};
const allows = (from: string, to: string, port: number, protocol = "TCP") =>
  flows.some((f) => is(f.from, from) && is(f.to, to) && f.protocol === protocol && f.fromPort <= port && port <= f.toPort);

beforeAll(async () => {
  const inv = await runProgram(() => {
    const providers = k8sProviders();
    const files = new ObjectStore(
      "files",
      {
        implementation: "seaweedfs",
        network: net,
        buckets: [{ name: "files" }, { name: "pg-backups", purpose: "backups" }],
        backup: backupPolicy(TIERS.staging.backups),
        tls: { certSecretName: "files-tls" },
        storePeers: [postgresPodSelector("db")],
        protect: false,
      },
      { providers },
    );
    const pg = new Postgres(
      "db",
      {
        implementation: "operator",
        network: net,
        replicas: 2,
        backup: backupPolicy(TIERS.staging.backups),
        protect: false,
        backupTarget: {
          destinationPath: "s3://pg-backups/db",
          endpointUrl: "https://files-s3.data.svc.cluster.local:8333",
          credentials: { accessKeyId: pulumi.secret("AKFAKE"), secretAccessKey: pulumi.secret("fake-password-for-tests") },
        },
      },
      { providers },
    );
    const cache = new Redis(
      "cache",
      { implementation: "statefulset", network: net, replicas: 1, backup: noBackups(), tls: { certSecretName: "redis-tls" }, protect: false },
      { providers },
    );
    const ipfs = new Ipfs("ipfs", { network: net, protect: false }, { providers });
    const chain = new Scylla(
      "chain",
      { network: net, keyspaces: [{ name: "persistent", replicationFactor: 3 }], backup: noBackups(), tls: { certSecretName: "scylla-tls" }, protect: false },
      { providers },
    );
    networks = {
      "objectstore/files": files.network!,
      "postgres/db": pg.network,
      "redis/cache": cache.network,
      "ipfs/ipfs": ipfs.network,
      "scylla/chain": chain.network,
    };
    return {};
  });
  const manifests = inv.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom).map((r) => r.inputs as Manifest);
  // Operator-managed pods do not appear as manifests; stand them in with their labels and ports.
  manifests.push(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "db-1", namespace: "data", labels: postgresPodSelector("db") },
      spec: { containers: [{ name: "postgres", ports: [{ containerPort: 5432 }, { containerPort: 8000 }] }] },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "db-2", namespace: "data", labels: postgresPodSelector("db") },
      spec: { containers: [{ name: "postgres", ports: [{ containerPort: 5432 }, { containerPort: 8000 }] }] },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "chain-0", namespace: "data", labels: { "scylla/cluster": "chain" } },
      spec: { containers: [{ name: "scylla", ports: [{ containerPort: 9042 }, { containerPort: 7000 }] }] },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "chain-1", namespace: "data", labels: { "scylla/cluster": "chain" } },
      spec: { containers: [{ name: "scylla", ports: [{ containerPort: 9042 }, { containerPort: 7000 }] }] },
    },
  );
  const services: NetpolService[] = [
    {
      name: "api",
      exposure: "public",
      ports: { http: 8080 },
      routedPorts: ["http"],
      connectsTo: Object.keys(networks),
      calls: [],
      egress: [],
      podSelector: { app: "api" },
    },
    {
      name: "worker",
      exposure: "none",
      ports: { http: 8080 },
      routedPorts: [],
      connectsTo: ["redis/cache"],
      calls: [],
      egress: [],
      podSelector: { app: "worker" },
    },
  ];
  const input: NetpolInput = {
    namespaces: NS,
    ingressController: { podSelector: { app: "ingress-nginx" }, ports: [80, 443] },
    services,
    stores: Object.entries(networks).map(([ref, network]) => ({ ref, network })),
    externalNetworks: {},
    apiServerCidrs: ["10.0.0.1/32"],
    managedStoreCidrs: ["10.0.0.0/16"],
    acmeHttp01: false,
  };
  manifests.push(
    ...planNetworkPolicies(input),
    ...["ingress", "apps", "data", "monitoring", "kube-system"].map((n) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: n, labels: { "kubernetes.io/metadata.name": n } },
    })),
    deployment("api", "apps", { app: "api" }, [8080]),
    deployment("worker", "apps", { app: "worker" }, [8080]),
    deployment("ingress-nginx", "ingress", { app: "ingress-nginx" }, [80, 443]),
    deployment("prometheus", "monitoring", { app: "prometheus" }, [9090]),
  );
  flows = evaluateReachability(manifests);
});

describe("data store network contracts, enforced", () => {
  it("the app that connects reaches each store on its client port", () => {
    expect(allows("apps/api", "data/db-1", 5432)).toBe(true);
    expect(allows("apps/api", "data/cache", 6379)).toBe(true);
    expect(allows("apps/api", "data/files-filer", 8333)).toBe(true);
    expect(allows("apps/api", "data/ipfs", 5001)).toBe(true);
    expect(allows("apps/api", "data/ipfs", 8080)).toBe(true);
    expect(allows("apps/api", "data/chain-0", 9042)).toBe(true);
  });

  it("a service that does not list a store cannot reach it", () => {
    expect(allows("apps/worker", "data/cache", 6379)).toBe(true);
    expect(allows("apps/worker", "data/db-1", 5432)).toBe(false);
    expect(allows("apps/worker", "data/ipfs", 5001)).toBe(false);
  });

  it("apps never reach internal store ports (SeaweedFS master/volume, Scylla internode, IPFS swarm)", () => {
    expect(allows("apps/api", "data/files-master", 9333)).toBe(false);
    expect(allows("apps/api", "data/files-volume", 8080)).toBe(false);
    expect(allows("apps/api", "data/chain-0", 7000)).toBe(false);
    expect(allows("apps/api", "data/ipfs", 4001)).toBe(false);
  });

  it("stores talk to their own members (replication, raft, internode) and CNPG uploads backups to SeaweedFS", () => {
    expect(allows("data/db-1", "data/db-2", 5432)).toBe(true);
    expect(allows("data/db-2", "data/db-1", 8000)).toBe(true);
    expect(allows("data/files-volume", "data/files-master", 9333)).toBe(true);
    expect(allows("data/chain-0", "data/chain-1", 7000)).toBe(true);
    expect(allows("data/chain-keyspaces", "data/chain-0", 9042)).toBe(true);
    expect(allows("data/db-1", "data/files-filer", 8333)).toBe(true);
    expect(allows("data/files-buckets", "data/files-filer", 8888)).toBe(true);
  });

  it("nothing outside the cluster, and neither ingress nor monitoring, reaches a data pod", () => {
    const intoData = flows.filter((f) => f.to.kind === "pod" && f.to.namespace === "data");
    expect(intoData.filter((f) => f.from.kind === "external")).toEqual([]);
    expect(intoData.filter((f) => f.from.kind === "pod" && ["ingress", "monitoring"].includes(f.from.namespace))).toEqual([]);
  });

  it("every store exposes only TCP/UDP client ports and never an ipBlock peer", () => {
    for (const [ref, n] of Object.entries(networks)) {
      expect(n.kind, ref).toBe("kubernetes");
      if (n.kind !== "kubernetes") continue;
      expect(
        n.ingress.some((r) => r.purpose === "clients"),
        ref,
      ).toBe(true);
      for (const r of n.ingress) expect(r.from.namespaces.length, `${ref} ${r.purpose}`).toBeGreaterThan(0);
    }
  });
});
