/**
 * Pure helpers of the benchmark: summaries of repeated measurements and the growth-exponent
 * fit. No I/O, no Pulumi import; unit-tested in test/bench/.
 */

export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  min: number;
  max: number;
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) throw new Error("summary of an empty list");
  return { n: xs.length, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/**
 * Least-squares fit of log(y) = k·log(x) + c. Returns the exponent k (1 = linear, 2 = quadratic)
 * and r² of the fit. Needs at least two distinct positive x values and positive y values.
 */
export function fitExponent(points: readonly { x: number; y: number }[]): { exponent: number; r2: number } {
  const pts = points.filter((p) => p.x > 0 && p.y > 0);
  if (pts.length < 2) throw new Error("a growth exponent needs at least two positive points");
  const lx = pts.map((p) => Math.log(p.x));
  const ly = pts.map((p) => Math.log(p.y));
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < lx.length; i++) {
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    sxx += (lx[i]! - mx) ** 2;
    syy += (ly[i]! - my) ** 2;
  }
  if (sxx === 0) throw new Error("a growth exponent needs at least two distinct sizes");
  const exponent = sxy / sxx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { exponent, r2 };
}

/** Exponent between two points: log(y2/y1) / log(x2/x1). */
export function pairExponent(a: { x: number; y: number }, b: { x: number; y: number }): number {
  if (a.x <= 0 || b.x <= 0 || a.y <= 0 || b.y <= 0 || a.x === b.x) throw new Error("pair exponent needs two distinct positive points");
  return Math.log(b.y / a.y) / Math.log(b.x / a.x);
}

/**
 * Marginal cost: subtract the fixed part (the empty program, or the smallest size) before fitting,
 * so a large constant (module loading) does not flatten the exponent. Points whose marginal value
 * is not positive are dropped.
 */
export function marginal(points: readonly { x: number; y: number }[], floor: number): { x: number; y: number }[] {
  return points.map((p) => ({ x: p.x, y: p.y - floor })).filter((p) => p.y > 0);
}

export function ratio(a: number, b: number): number {
  if (b === 0) throw new Error("ratio with a zero denominator");
  return a / b;
}

/** Fixed-precision number for tables: 3 significant digits, at most 2 decimals for large values. */
export function fmt(x: number, unit = ""): string {
  const abs = Math.abs(x);
  const s = abs >= 100 ? x.toFixed(0) : abs >= 10 ? x.toFixed(1) : abs >= 1 ? x.toFixed(2) : x.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

/** "median (min–max)" */
export function fmtSummary(s: Summary | undefined, scale = 1, unit = ""): string {
  if (!s || s.n === 0) return "—";
  return `${fmt(s.median * scale, unit)} (${fmt(s.min * scale)}–${fmt(s.max * scale)})`;
}
