import { describe, expect, it } from "vitest";
import { TIERS, backupPolicy, noBackups } from "../../components/data/backups";
import { backupPolicySchema } from "../../components/data/schema";

describe("backupPolicy (the one table)", () => {
  it("local keeps nothing", () => {
    const p = backupPolicy("local");
    expect(p).toMatchObject({ enabled: false, daily: null, hourly: null, walArchiving: false, pitrDays: 0, archive: null, crossRegion: null });
  });

  it("dev keeps a short daily backup (RDS replicas and CNPG base backups need one)", () => {
    const p = backupPolicy("dev");
    expect(p.daily?.retentionDays).toBe(3);
    expect(p.hourly).toBeNull();
    expect(p.pitrDays).toBeGreaterThanOrEqual(1);
  });

  it("staging is daily, kept a week", () => {
    const p = backupPolicy("staging");
    expect(p.daily).toMatchObject({ retentionDays: 7, awsSchedule: "cron(0 3 ? * * *)", k8sSchedule: "0 0 3 * * *" });
    expect(p.hourly).toBeNull();
    expect(p.walArchiving).toBe(true);
  });

  it("prod is hourly incremental + daily full with PITR 35 days and Glacier archive", () => {
    const p = backupPolicy("prod");
    expect(p.hourly).toEqual({ awsSchedule: "cron(0 * ? * * *)", retentionDays: 7 });
    expect(p.daily?.retentionDays).toBe(35);
    expect(p.pitrDays).toBe(35);
    expect(p.walArchiving).toBe(true);
    expect(p.archive).toEqual({ transitionAfterDays: 30, expireAfterDays: 365 });
    expect(p.crossRegion).toBeNull();
  });

  it("cross-region copies only when asked, with the daily retention", () => {
    expect(backupPolicy("prod", { crossRegion: true }).crossRegion).toEqual({ retentionDays: 35 });
    expect(backupPolicy("staging", { crossRegion: true }).crossRegion).toEqual({ retentionDays: 7 });
    expect(() => backupPolicy("local", { crossRegion: true })).toThrow(/local.*crossRegion/);
  });

  it("retention grows with the tier and every row validates against the args schema", () => {
    const days = TIERS.map((t) => backupPolicy(t).pitrDays);
    expect([...days].sort((a, b) => a - b)).toEqual(days);
    for (const t of TIERS) expect(backupPolicySchema.safeParse(backupPolicy(t)).success).toBe(true);
    expect(backupPolicySchema.safeParse(noBackups("dev")).success).toBe(true);
  });

  it("returns fresh objects (callers cannot mutate the table)", () => {
    const a = backupPolicy("prod");
    a.daily!.retentionDays = 1;
    expect(backupPolicy("prod").daily?.retentionDays).toBe(35);
  });

  it("the schema rejects a hand-made inconsistent policy", () => {
    const bad = { ...backupPolicy("prod"), daily: null };
    const r = backupPolicySchema.safeParse(bad);
    expect(r.success).toBe(false);
  });
});
