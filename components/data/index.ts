/** Data stores: import from "components/data". */
export { NO_BACKUP_SCHEDULE, backupPolicy, noBackups, type BackupOptions, type BackupPolicy, type BackupSchedule } from "./backups";
export type { DataNetwork, EgressRule, IngressRule, PeerSpec, PortSpec } from "./network";
export { Postgres, type PostgresArgs, type PostgresConnection } from "./postgres";
export { postgresPodSelector } from "./postgres/plan";
export { Redis, type RedisArgs, type RedisConnection } from "./redis";
export { ObjectStore, type ObjectStoreArgs, type ObjectStoreConnection } from "./objectstore";
export { Scylla, type ScyllaArgs, type ScyllaConnection } from "./scylla";
export { keyspaceSettings } from "./scylla/plan";
export { Ipfs, type IpfsArgs, type IpfsConnection } from "./ipfs";
