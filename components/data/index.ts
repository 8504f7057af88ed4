/** Data stores: import from "components/data". */
export { backupPolicy, noBackups, TIERS, type BackupPolicy, type BackupOptions, type Tier } from "./backups";
export type { DataNetwork, EgressRule, IngressRule, PeerSpec, PortSpec } from "./network";
export { Postgres, type PostgresArgs, type PostgresConnection } from "./postgres";
export { postgresPodSelector } from "./postgres/plan";
export { Redis, type RedisArgs, type RedisConnection } from "./redis";
export { ObjectStore, type ObjectStoreArgs, type ObjectStoreConnection } from "./objectstore";
export { Scylla, type ScyllaArgs, type ScyllaConnection } from "./scylla";
export { keyspaceSettings } from "./scylla/plan";
export { Ipfs, type IpfsArgs, type IpfsConnection } from "./ipfs";
