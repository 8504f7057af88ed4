/**
 * The backup policy every data store reads. Pure (no Pulumi import), and tier-free: the stack's
 * tier row (stacks/spec/tiers.ts `backups`, rendered into docs/environments.md) holds the
 * `BackupSchedule` of each tier, and the composition turns it into a `BackupPolicy` here and passes
 * that into each store's `backup` arg.
 *
 * A schedule says whether anything is backed up, the daily full backup (schedules and retention),
 * the hourly incremental, WAL archiving, the point-in-time-recovery window and the archive
 * lifecycle of backup objects; the policy adds the cross-region copy the store asked for.
 */

export interface BackupPolicy {
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

/** What a tier backs up (one row of the tier table): a policy without the per-store cross-region choice. */
export type BackupSchedule = Omit<BackupPolicy, "crossRegion">;

export interface BackupOptions {
  /** Copy backups to a second region (needs a second-region provider where the store creates resources). */
  crossRegion?: boolean;
}

/** Nothing backed up. */
export const NO_BACKUP_SCHEDULE: Readonly<BackupSchedule> = { enabled: false, daily: null, hourly: null, walArchiving: false, pitrDays: 0, archive: null };

/** The backup policy of a schedule. Throws if a cross-region copy is asked of a schedule without backups. */
export function backupPolicy(schedule: BackupSchedule, opts: BackupOptions = {}): BackupPolicy {
  if (opts.crossRegion && !schedule.enabled) {
    throw new Error(
      "backupPolicy: the schedule keeps no backups (enabled: false), so crossRegion cannot be honoured; drop crossRegion or pass a schedule with daily backups",
    );
  }
  const crossRegion = opts.crossRegion && schedule.daily ? { retentionDays: schedule.daily.retentionDays } : null;
  return structuredClone({ ...schedule, crossRegion });
}

/** A policy with no backups (e.g. for caches that are not a system of record). */
export function noBackups(): BackupPolicy {
  return backupPolicy(NO_BACKUP_SCHEDULE);
}
