/**
 * Amazon EKS Kubernetes version support, by date: a version is in standard support until
 * `standardEnds`, then in (paid, 6× the cluster fee) extended support until `extendedEnds`.
 * Source: the Amazon EKS Kubernetes release calendar
 * (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), read on `CHECKED`.
 * Dates of versions released after the calendar was read are EKS's rule (standard support ends 14
 * months after the EKS release) applied to the release date; re-read the calendar when a version
 * nears its end and update `CHECKED`. `npm run preflight` refuses a stack whose pinned version is out
 * of standard support on the day it runs, and warns 90 days before.
 */
export const CHECKED = "2026-12-02";

export interface EksSupport {
  /** First day of EKS availability. */
  released: string;
  /** Last day of standard support. */
  standardEnds: string;
  /** Last day of extended support. */
  extendedEnds: string;
}

export const EKS_SUPPORT: Readonly<Record<string, EksSupport>> = {
  "1.31": { released: "2024-09-26", standardEnds: "2025-11-26", extendedEnds: "2026-11-26" },
  "1.32": { released: "2025-01-23", standardEnds: "2026-03-23", extendedEnds: "2027-03-23" },
  "1.33": { released: "2025-05-29", standardEnds: "2026-07-29", extendedEnds: "2027-07-29" },
  "1.34": { released: "2025-10-02", standardEnds: "2026-12-01", extendedEnds: "2027-12-01" },
  "1.35": { released: "2026-01-27", standardEnds: "2027-03-27", extendedEnds: "2028-03-27" },
  "1.36": { released: "2026-06-02", standardEnds: "2027-08-02", extendedEnds: "2028-08-02" },
};

export const WARN_DAYS = 90;

export type SupportState =
  | { state: "standard"; daysLeft: number; ends: string }
  | { state: "extended"; ends: string; standardEnded: string }
  | { state: "ended"; ended: string }
  | { state: "unreleased"; released: string }
  | { state: "unknown" };

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/** Support state of `version` on `today` (YYYY-MM-DD). */
export function eksSupportOn(version: string, today: string): SupportState {
  const row = EKS_SUPPORT[version];
  if (!row) return { state: "unknown" };
  const t = day(today);
  if (t < day(row.released)) return { state: "unreleased", released: row.released };
  if (t <= day(row.standardEnds)) return { state: "standard", daysLeft: Math.round((day(row.standardEnds) - t) / 86_400_000), ends: row.standardEnds };
  if (t <= day(row.extendedEnds)) return { state: "extended", ends: row.extendedEnds, standardEnded: row.standardEnds };
  return { state: "ended", ended: row.extendedEnds };
}

/** Versions in standard support on `today`, newest first. */
export function standardVersionsOn(today: string): string[] {
  return Object.keys(EKS_SUPPORT)
    .filter((v) => eksSupportOn(v, today).state === "standard")
    .sort((a, b) => Number(b.split(".")[1]) - Number(a.split(".")[1]));
}
