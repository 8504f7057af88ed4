// The data stores' backup policy: the tier table's schedules (stacks/spec/tiers.ts `backups`) as
// literals per tier, and what components/data/backups.ts makes of a schedule (it never sees a tier).
import { describe, expect, it } from "vitest";
import { NO_BACKUP_SCHEDULE, backupPolicy, noBackups } from "../../components/data/backups";
import { backupPolicySchema } from "../../components/data/schema";
import { TIERS, TIER_NAMES, backupLevel } from "../../stacks/spec/tiers";

const DAILY = { awsSchedule: "cron(0 3 ? * * *)", k8sSchedule: "0 0 3 * * *", window: "03:00-04:00" };

describe("the tier table's backup schedules", () => {
  it("literal values per tier: local none, dev daily 3 d, staging daily 7 d, prod hourly 7 d + daily 35 d with PITR 35 d and Glacier", () => {
    expect(Object.fromEntries(TIER_NAMES.map((t) => [t, TIERS[t].backups]))).toEqual({
      local: { enabled: false, daily: null, hourly: null, walArchiving: false, pitrDays: 0, archive: null },
      // dev keeps a short daily backup (RDS replicas and CNPG base backups need one)
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
    });
    expect(TIER_NAMES.map((t) => backupLevel(TIERS[t].backups))).toEqual(["none", "daily", "daily", "hourly+daily"]);
  });

  it("every tier's policy validates against the stores' args schema", () => {
    for (const t of TIER_NAMES) expect(backupPolicySchema.safeParse(backupPolicy(TIERS[t].backups)).success, t).toBe(true);
    expect(backupPolicySchema.safeParse(noBackups()).success).toBe(true);
  });
});

describe("backupPolicy(schedule)", () => {
  it("copies the schedule and adds no cross-region copy unless asked", () => {
    expect(backupPolicy(TIERS.prod.backups)).toEqual({ ...TIERS.prod.backups, crossRegion: null });
    expect(noBackups()).toEqual({ enabled: false, daily: null, hourly: null, walArchiving: false, pitrDays: 0, archive: null, crossRegion: null });
  });

  it("cross-region copies only when asked, with the daily retention", () => {
    expect(backupPolicy(TIERS.prod.backups, { crossRegion: true }).crossRegion).toEqual({ retentionDays: 35 });
    expect(backupPolicy(TIERS.staging.backups, { crossRegion: true }).crossRegion).toEqual({ retentionDays: 7 });
    expect(() => backupPolicy(NO_BACKUP_SCHEDULE, { crossRegion: true })).toThrow(
      "backupPolicy: the schedule keeps no backups (enabled: false), so crossRegion cannot be honoured; drop crossRegion or pass a schedule with daily backups",
    );
  });

  it("returns fresh objects (callers cannot mutate the tier table)", () => {
    const a = backupPolicy(TIERS.prod.backups);
    a.daily!.retentionDays = 1;
    expect(TIERS.prod.backups.daily?.retentionDays).toBe(35);
    expect(backupPolicy(TIERS.prod.backups).daily?.retentionDays).toBe(35);
  });

  it("the schema rejects a hand-made inconsistent policy", () => {
    const bad = { ...backupPolicy(TIERS.prod.backups), daily: null };
    expect(backupPolicySchema.safeParse(bad).success).toBe(false);
  });
});
