/**
 * Data composer: every data store the blueprint declares, with the implementation the tier and
 * the blueprint choose, the tier's replicas, backups and protection, and private networking.
 *
 *   local               in-cluster plain manifests (StatefulSets, SeaweedFS), nothing fetched
 *   dev (single host)   PostgreSQL/Redis are the host's own containers (stacks/compose/host.ts);
 *                       object storage is S3
 *   staging / prod      `placement: managed` → RDS / ElastiCache / S3; `in-cluster` → CloudNativePG,
 *                       Redis StatefulSet, SeaweedFS; Scylla (operator) and IPFS always in-cluster
 *
 * Returns, per `<kind>/<name>` ref, the store's connection (a secret Output) and its network
 * contract, which the services composer turns into NetworkPolicies and the secrets composer into
 * Secrets Manager entries.
 */
import * as pulumi from "@pulumi/pulumi";
import { Ipfs, ObjectStore, Postgres, Redis, Scylla, backupPolicy, noBackups, postgresPodSelector } from "../../components/data";
import type { DataNetwork } from "../../components/data";
import type { NetpolStore } from "../../components/cluster/netpol";
import { InternalCertificates } from "../../components/pki";
import type { Context } from "../context";
import { dataReplicas } from "../spec/tiers";

export interface StoreOutputs {
  ref: string;
  implementation: string;
  connection: pulumi.Output<object>;
  /** null for S3 (reached over HTTPS to the AWS endpoint, no network contract). */
  network: DataNetwork | null;
}

export interface DataOutputs {
  stores: Record<string, StoreOutputs>;
  /** For composeServices: the in-cluster stores' network contracts. */
  netpolStores: NetpolStore[];
  /** For composeSecrets: connection objects by ref. */
  connections: Record<string, pulumi.Output<object>>;
  /** Refs the host serves itself (single-host topology). */
  hostOwned: string[];
}

export function composeData(ctx: Context): DataOutputs {
  const { spec, providers } = ctx;
  const bp = spec.blueprint.dataStores;
  const p = spec.profile;
  const single = spec.hosting.mode === "singleHost";
  const out: DataOutputs = { stores: {}, netpolStores: [], connections: {}, hostOwned: [] };
  const add = (ref: string, store: { implementation: string; connection: pulumi.Output<object>; network: DataNetwork | null }) => {
    out.stores[ref] = { ref, implementation: store.implementation, connection: store.connection, network: store.network };
    out.connections[ref] = store.connection;
    if (store.network) out.netpolStores.push({ ref, network: store.network });
  };

  const inCluster = (placement: "managed" | "in-cluster"): boolean =>
    p.dataPlacement === "statefulset" || (p.dataPlacement === "blueprint" && placement === "in-cluster");
  const needCluster = (what: string) => {
    if (!ctx.cluster) throw new Error(`stack ${spec.stack}: ${what} runs in the cluster: call composeCluster first and set ctx.cluster`);
    return ctx.cluster;
  };
  const clusterNet = (privileged = false) => {
    const c = needCluster("an in-cluster data store");
    const namespace = privileged ? c.namespaces.dataPrivileged : c.namespaces.data;
    if (!namespace)
      throw new Error(`stack ${spec.stack}: a store that runs as root needs the cluster's data-privileged namespace (ClusterArgs.privilegedDataNamespace)`);
    // On the tainted `data` node group where the cluster has one (EKS): select it, tolerate it.
    return { namespace, clientNamespaces: [c.namespaces.apps], ...(c.dataNodes ? { dedicatedNodes: c.dataNodes } : {}) };
  };
  const awsNet = (what: string) => {
    if (!providers.aws || !ctx.network)
      throw new Error(`stack ${spec.stack}: managed ${what} needs the stack's AWS account and VPC: call composeNetwork first and set ctx.network`);
    return { vpcId: ctx.network.vpcId, subnetIds: ctx.network.privateSubnetIds, allowedSecurityGroupIds: [ctx.network.appSecurityGroupId] };
  };
  const k8sOpts = () => ({
    providers: { kubernetes: needCluster("an in-cluster data store").provider, ...(providers.random ? { random: providers.random } : {}) },
  });
  const awsOpts = () => ({ providers: { aws: providers.aws!, ...(providers.random ? { random: providers.random } : {}) } });
  const crossRegion = p.crossRegionBackups && providers.awsBackup !== undefined;
  const backup = (wantCrossRegion = false) => backupPolicy(p.backups, { crossRegion: wantCrossRegion && crossRegion && p.backups.enabled });
  const kms = ctx.kmsKeyArn ? { kmsKeyArn: ctx.kmsKeyArn } : {};
  const name = (kind: string, n: string) => `${spec.stack}-${kind}-${n}`;
  // Client TLS for in-cluster stores: a serving certificate per store from the cluster's internal
  // CA (components/pki). A tier whose cluster gets the ingress controller only (clusterAddons
  // `ingress`: local) has no certificate issuer (no cert-manager, nothing fetched): there, and only
  // there, client TLS to its throw-away stores is switched off explicitly.
  const certStores: { name: string; namespace: string }[] = [];
  // Every in-cluster store's metrics are scraped where the cluster runs the Prometheus Operator
  // (the same condition as the services' ServiceMonitors, stacks/compose/cluster.ts).
  const metrics = spec.blueprint.monitoring.metrics && p.monitoringInstall === "helm" && !single;
  const storeTls = (kind: string, n: string, namespace = ctx.cluster?.namespaces.data) => {
    if (p.clusterAddons !== "all" || !ctx.cluster?.certManagerNamespace || !namespace) return { tls: { enabled: false } };
    certStores.push({ name: `${kind}-${n}`, namespace });
    return { tls: { enabled: true, certSecretName: `${kind}-${n}-tls` } };
  };

  // In-cluster PostgreSQL (CloudNativePG) archives WAL and base backups to object storage: the
  // blueprint's SeaweedFS when it has one (static S3 keys + its CA), else a managed S3 bucket of
  // the stack reached through IRSA (no static keys).
  const operatorPg = single ? [] : bp.postgres.filter((pg) => inCluster(pg.placement) && p.dataPlacement !== "statefulset");
  const pgBackups = (pg: (typeof bp.postgres)[number]) => pg.pitr && backup(true).enabled;
  // Object stores a database names in `backupsTo`: their bucket is a `backups` bucket (Glacier, expiry).
  const backupStores = new Set(bp.postgres.flatMap((pg) => (pg.backupsTo ? [pg.backupsTo] : [])));
  const namedBackups = new Map<string, ObjectStore>();
  // Databases without `backupsTo` archive to the blueprint's SeaweedFS, else to a `db-backups` bucket.
  const defaultPgBackups = (pg: (typeof bp.postgres)[number]) => pgBackups(pg) && !pg.backupsTo;
  const seaweedHost = bp.objectStores.find((o) => o.engine === "seaweedfs" && !single);
  let seaweed: ObjectStore | undefined;
  let seaweedBucket: string | undefined;

  for (const o of bp.objectStores) {
    const ref = `objectStore/${o.name}`;
    const useSeaweed = o.engine === "seaweedfs" && !single;
    if (useSeaweed || (p.dataPlacement === "statefulset" && o.engine === "s3")) {
      const hostsPgBackups = o === seaweedHost && operatorPg.some(defaultPgBackups);
      const buckets = [
        {
          name: o.name,
          purpose: backupStores.has(o.name) ? ("backups" as const) : ("data" as const),
          ...(o.archiveAfterDays ? { archiveAfterDays: o.archiveAfterDays } : {}),
        },
        ...(hostsPgBackups ? [{ name: `${o.name}-backups`, purpose: "backups" as const }] : []),
      ];
      const store = new ObjectStore(
        name("objectstore", o.name),
        {
          implementation: "seaweedfs",
          buckets,
          backup: backup(),
          protect: p.protectState,
          network: clusterNet(),
          volumeServers: Math.max(3, o.volumeServers),
          // Prod (the multi-AZ tier): a Raft quorum of 3 masters, so losing one keeps the volume
          // map, and SeaweedFS' documented replication `001` ("replicate once on the same rack":
          // every volume has a copy on a second volume server). Lower tiers: 1 master, same copies.
          masters: p.multiAz ? 3 : 1,
          replication: "001",
          ...storeTls("objectstore", o.name),
          ...(hostsPgBackups || backupStores.has(o.name)
            ? {
                storePeers: operatorPg
                  .filter((pg) => (hostsPgBackups && defaultPgBackups(pg)) || (pgBackups(pg) && pg.backupsTo === o.name))
                  .map((pg) => postgresPodSelector(name("postgres", pg.name))),
              }
            : {}),
        },
        k8sOpts(),
      );
      add(ref, store);
      if (backupStores.has(o.name)) namedBackups.set(o.name, store);
      if (hostsPgBackups) [seaweed, seaweedBucket] = [store, `${o.name}-backups`];
    } else {
      const store = new ObjectStore(
        name("objectstore", o.name),
        {
          implementation: "managed",
          buckets: [
            { name: o.name, purpose: backupStores.has(o.name) ? "backups" : "data", ...(o.archiveAfterDays ? { archiveAfterDays: o.archiveAfterDays } : {}) },
          ],
          backup: backup(o.crossRegionReplication),
          protect: p.protectState,
          ...kms,
          ...(o.crossRegionReplication && crossRegion ? { replicaProvider: providers.awsBackup! } : {}),
        },
        awsOpts(),
      );
      add(ref, store);
      if (backupStores.has(o.name)) namedBackups.set(o.name, store);
    }
  }
  let s3Backups: ObjectStore | undefined;
  if (!seaweed && operatorPg.some(defaultPgBackups)) {
    if (!providers.aws || !ctx.cluster?.oidcProviderArn || !ctx.cluster.oidcIssuer) {
      throw new Error(
        `stack ${spec.stack}: in-cluster PostgreSQL archives WAL to object storage: add a SeaweedFS object store to the blueprint, or run on EKS (a managed S3 bucket reached through IRSA)`,
      );
    }
    s3Backups = new ObjectStore(
      name("objectstore", "db-backups"),
      {
        implementation: "managed",
        buckets: [{ name: "db-backups", purpose: "backups" }],
        backup: backup(true),
        protect: p.protectState,
        ...kms,
        ...(crossRegion ? { replicaProvider: providers.awsBackup! } : {}),
      },
      awsOpts(),
    );
  }

  let operatorInstalled = false;
  for (const pg of bp.postgres) {
    const ref = `postgres/${pg.name}`;
    if (single) {
      out.hostOwned.push(ref);
      continue;
    }
    const replicas = dataReplicas(p, pg.readReplicas);
    const common = {
      version: pg.version,
      database: pg.databases[0]!,
      replicas,
      pooling: pg.pooling,
      protect: p.protectState,
      backup: pg.pitr ? backup(true) : noBackups(),
    };
    let store: Postgres;
    if (!inCluster(pg.placement)) {
      store = new Postgres(
        name("postgres", pg.name),
        {
          implementation: "managed",
          ...common,
          // Read replicas are read (the spec refuses unread ones), so where the tier runs some they
          // must be reachable as one spread, pooled endpoint: Aurora (reader endpoint, RDS Proxy
          // READ_ONLY endpoint); RDS read replicas are separate hosts nothing balances across
          // (components/data/README.md). A tier without replicas (dev) keeps one RDS instance.
          engine: replicas > 0 ? "aurora" : "rds",
          network: awsNet("PostgreSQL"),
          multiAz: p.multiAz,
          deletionProtection: p.protectState,
          finalSnapshot: p.protectState,
          ...kms,
          ...(crossRegion ? { secondaryRegionProvider: providers.awsBackup! } : {}),
        },
        awsOpts(),
      );
    } else if (p.dataPlacement === "statefulset") {
      store = new Postgres(
        name("postgres", pg.name),
        { implementation: "statefulset", ...common, ...storeTls("postgres", pg.name), pooling: false, replicas: 0, backup: noBackups(), network: clusterNet() },
        k8sOpts(),
      );
    } else {
      const named = pg.backupsTo ? namedBackups.get(pg.backupsTo) : undefined;
      if (named && common.backup.enabled && !named.endpointUrl && !(ctx.cluster?.oidcProviderArn && ctx.cluster.oidcIssuer)) {
        throw new Error(
          `stack ${spec.stack}: postgres '${pg.name}' backs up to the S3 object store '${pg.backupsTo}' through IRSA, which needs EKS (the cluster's OIDC provider): run the stack on EKS, or name a SeaweedFS store in backupsTo`,
        );
      }
      const target = !common.backup.enabled
        ? undefined
        : named
          ? named.endpointUrl
            ? // the named store is the blueprint's SeaweedFS: its S3 gateway, static keys and CA
              {
                destinationPath: `s3://${pg.backupsTo}/${pg.name}`,
                endpointUrl: named.endpointUrl,
                credentials: named.s3Credentials!,
                endpointCA: named.caSecret!,
              }
            : // the named store is a managed S3 bucket: reached through IRSA, no static keys
              {
                destinationPath: named.buckets.apply((b) => `s3://${b[pg.backupsTo!]}/${pg.name}`),
                irsa: {
                  oidcProviderArn: ctx.cluster!.oidcProviderArn!,
                  oidcIssuer: ctx.cluster!.oidcIssuer!,
                  bucketArn: named.bucketArns!.apply((a) => a[pg.backupsTo!]!),
                  ...kms,
                },
              }
          : seaweed
            ? {
                destinationPath: `s3://${seaweedBucket}/${pg.name}`,
                endpointUrl: seaweed.endpointUrl!,
                credentials: seaweed.s3Credentials!,
                endpointCA: seaweed.caSecret!,
              }
            : {
                destinationPath: s3Backups!.buckets.apply((b) => `s3://${b["db-backups"]}/${pg.name}`),
                irsa: {
                  oidcProviderArn: ctx.cluster!.oidcProviderArn!,
                  oidcIssuer: ctx.cluster!.oidcIssuer!,
                  bucketArn: s3Backups!.bucketArns!.apply((a) => a["db-backups"]!),
                  ...kms,
                },
              };
      store = new Postgres(
        name("postgres", pg.name),
        {
          implementation: "operator",
          ...common,
          network: clusterNet(),
          metrics,
          installOperator: !operatorInstalled,
          charts: spec.charts,
          ...(ctx.cluster?.apiServerCidrs ? { apiServerCidrs: ctx.cluster.apiServerCidrs } : {}),
          ...(target ? { backupTarget: target } : {}),
        },
        {
          providers: {
            kubernetes: ctx.cluster!.provider,
            ...(providers.random ? { random: providers.random } : {}),
            ...(providers.aws ? { aws: providers.aws } : {}),
          },
        },
      );
      operatorInstalled = true;
    }
    add(ref, store);
  }

  for (const r of bp.redis) {
    const ref = `redis/${r.name}`;
    if (single) {
      out.hostOwned.push(ref);
      continue;
    }
    const replicas = dataReplicas(p, r.replicas);
    const common = { replicas, protect: p.protectState, backup: r.persistence ? backup() : noBackups() };
    const store = inCluster(r.placement)
      ? new Redis(
          name("redis", r.name),
          {
            implementation: "statefulset",
            ...common,
            ...storeTls("redis", r.name),
            persistence: r.persistence ? "aof" : "none",
            network: clusterNet(),
            metrics,
          },
          k8sOpts(),
        )
      : new Redis(
          name("redis", r.name),
          { implementation: "managed", ...common, network: awsNet("Redis"), multiAz: p.multiAz && replicas > 0, finalSnapshot: p.protectState, ...kms },
          awsOpts(),
        );
    add(ref, store);
  }

  let scyllaOperatorInstalled = false;
  for (const s of bp.scylla) {
    const members = p.dataReplicaScale === 0 ? 1 : Math.max(p.dataReplicaScale === 1 ? s.members : Math.min(3, s.members), 1);
    const rf = (durability: "persistent" | "volatile") => Math.min(durability === "persistent" ? 3 : 2, members);
    const network = clusterNet(true);
    const statefulset = p.dataPlacement === "statefulset";
    const store = new Scylla(
      name("scylla", s.name),
      {
        // The tier's throw-away data (local) runs one developer-mode node from a StatefulSet;
        // every other tier runs a ScyllaCluster through the Scylla Operator.
        implementation: statefulset ? "statefulset" : "operator",
        network,
        membersPerRack: members,
        developerMode: statefulset,
        ...(statefulset ? { resources: { cpu: "500m", memory: "1Gi" }, storageGb: 10 } : {}),
        ...storeTls("scylla", s.name, network.namespace),
        keyspaces: s.keyspaces.map((k) => ({ name: k.name, replicationFactor: rf(k.durability), durableWrites: k.durability === "persistent" })),
        // No Scylla Manager is deployed, so no Scylla backups: the blueprint states where its
        // keyspaces are rebuilt from (`rebuiltFrom`, required), recorded on the ScyllaCluster.
        backup: noBackups(),
        rebuiltFrom: s.rebuiltFrom,
        installOperator: !statefulset && !scyllaOperatorInstalled,
        metrics: metrics && !statefulset,
        charts: spec.charts,
        ...(ctx.cluster?.apiServerCidrs ? { apiServerCidrs: ctx.cluster.apiServerCidrs } : {}),
        protect: p.protectState,
      },
      k8sOpts(),
    );
    scyllaOperatorInstalled = true;
    add(`scylla/${s.name}`, store);
  }

  for (const i of bp.ipfs) {
    const store = new Ipfs(
      name("ipfs", i.name),
      {
        network: clusterNet(),
        replicas: p.dataReplicaScale === 0 ? 1 : i.replicas,
        storageGb: p.ipfsStorageCapGi === null ? i.storageGi : Math.min(i.storageGi, p.ipfsStorageCapGi),
        protect: p.protectState,
      },
      k8sOpts(),
    );
    add(`ipfs/${i.name}`, store);
  }
  if (certStores.length > 0) {
    const c = ctx.cluster!;
    new InternalCertificates(
      `${spec.stack}-data-pki`,
      { certManagerNamespace: c.certManagerNamespace!, stores: certStores, dependsOn: c.ready ?? [] },
      { providers: { kubernetes: c.provider } },
    );
  }
  return out;
}
