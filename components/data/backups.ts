/**
 * THE backup policy table: one row per environment tier. Pure (no Pulumi import).
 *
 * Every data store reads its backup behaviour from the `BackupPolicy` this returns (the
 * composition passes it into each store's `backup` arg):
 *
 * | tier    | daily full        | hourly incremental (WAL / continuous) | PITR window | archive (Glacier)      | cross-region copy |
 * |---------|-------------------|----------------------------------------|-------------|------------------------|-------------------|
 * | local   | none              | none                                   | none        | none                   | refused           |
 * | dev     | daily, kept 3 d   | none (WAL archived only for base backups) | 3 d      | none                   | when asked        |
 * | staging | daily, kept 7 d   | none                                   | 7 d         | none                   | when asked        |
 * | prod    | daily, kept 35 d  | hourly, kept 7 d                       | 35 d        | after 30 d, kept 365 d | when asked        |
 *
 * Why dev keeps a short daily backup instead of none: RDS read replicas require automated
 * backups on the source, and CloudNativePG base backups need WAL archiving; a 3-day daily
 * backup costs little and keeps dev shaped like prod.
 */

export type Tier = "local" | "dev" | "staging" | "prod";
export const TIERS: readonly Tier[] = ["local", "dev", "staging", "prod"] as const;

export interface BackupPolicy {
  tier: Tier;
  /** Any backup at all. */
  enabled: boolean;
  /** Daily full backup (RDS/AWS Backup snapshot, CNPG base backup, ElastiCache snapshot). */
  daily: null | {
    /** AWS Backup schedule expression (UTC). */
    awsSchedule: string;
    /** Six-field cron (with seconds) for CloudNativePG ScheduledBackup (UTC). */
    k8sSchedule: string;
    /** `HH:MM-HH:MM` window for RDS/ElastiCache automated backups (UTC). */
    window: string;
    retentionDays: number;
  };
  /** Hourly incremental: AWS Backup hourly recovery points + continuous WAL archiving (RPO ≤ 1 h). */
  hourly: null | { awsSchedule: string; retentionDays: number };
  /** Archive WAL continuously to object storage (CNPG barman / RDS always does it internally). */
  walArchiving: boolean;
  /** Point-in-time-recovery window in days (RDS `backupRetentionPeriod`, CNPG retention). 0 = none. */
  pitrDays: number;
  /** Lifecycle of backup objects in S3: transition to Glacier, then expire. */
  archive: null | { transitionAfterDays: number; expireAfterDays: number };
  /** Copy recovery points / replicate backup objects to a second region. */
  crossRegion: null | { retentionDays: number };
}

export interface BackupOptions {
  /** Copy backups to a second region (needs a second-region provider where the store creates resources). */
  crossRegion?: boolean;
}

const DAILY = { awsSchedule: "cron(0 3 ? * * *)", k8sSchedule: "0 0 3 * * *", window: "03:00-04:00" } as const;

type Row = Omit<BackupPolicy, "tier" | "crossRegion">;

const TABLE: Record<Tier, Row> = {
  local: { enabled: false, daily: null, hourly: null, walArchiving: false, pitrDays: 0, archive: null },
  dev: { enabled: true, daily: { ...DAILY, retentionDays: 3 }, hourly: null, walArchiving: true, pitrDays: 3, archive: null },
  staging: { enabled: true, daily: { ...DAILY, retentionDays: 7 }, hourly: null, walArchiving: true, pitrDays: 7, archive: null },
  prod: {
    enabled: true,
    daily: { ...DAILY, retentionDays: 35 },
    hourly: { awsSchedule: "cron(0 * ? * * *)", retentionDays: 7 },
    walArchiving: true,
    pitrDays: 35,
    archive: { transitionAfterDays: 30, expireAfterDays: 365 },
  },
};

/** The backup policy for a tier. Throws if a cross-region copy is asked for a tier without backups. */
export function backupPolicy(tier: Tier, opts: BackupOptions = {}): BackupPolicy {
  const row = TABLE[tier];
  if (!row) throw new Error(`backupPolicy: unknown tier "${String(tier)}" (expected one of ${TIERS.join(", ")})`);
  if (opts.crossRegion && !row.enabled) {
    throw new Error(`backupPolicy: tier "${tier}" keeps no backups, so crossRegion cannot be honoured; drop crossRegion or use dev/staging/prod`);
  }
  const crossRegion = opts.crossRegion && row.daily ? { retentionDays: row.daily.retentionDays } : null;
  return structuredClone({ tier, ...row, crossRegion });
}

/** A policy with no backups (e.g. for caches that are not a system of record). */
export function noBackups(tier: Tier): BackupPolicy {
  return { ...backupPolicy("local"), tier };
}
