// Drift statistics between a baseline window and a current window of a score or feature, over values in
// memory. The controller computes them in the engine instead (builtin-metrics.ts, the same definitions); these
// are the reference the SQL is tested against, and what a caller holding a few values in hand uses.

/** The finite values: NaN and infinities are no measurement, and break sorting and stepping alike. */
const finite = (values: readonly number[]): number[] => values.filter(Number.isFinite);

/** Share given to an empty bin: without it one empty bin makes PSI infinite (ln 0). */
export const PSI_EMPTY_BIN_SHARE = 1e-4;

/**
 * Population stability index: sum over bins of (current% - baseline%) * ln(current% / baseline%). Bins are the
 * baseline's quantiles (deciles for 10), the usual definition in model monitoring, so each holds an equal share
 * of the baseline; tied values merge bins rather than split a value across two. A bin is [edge, next edge),
 * the first and last open-ended, so current values outside the baseline's range still count. NaN and infinite
 * values are left out. Undefined when either sample has no finite value.
 */
export function psi(
  baselineValues: readonly number[],
  currentValues: readonly number[],
  bins = 10,
): number | undefined {
  const baseline = finite(baselineValues);
  const current = finite(currentValues);
  if (baseline.length === 0 || current.length === 0) return undefined;
  const sorted = [...baseline].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 1; i < Math.max(1, Math.floor(bins)); i++) {
    const edge = sorted[Math.floor((i * sorted.length) / bins)]!;
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  const share = (values: readonly number[]) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const v of values) counts[binOf(v, edges)]!++;
    return counts.map((c) => Math.max(c / values.length, PSI_EMPTY_BIN_SHARE));
  };
  const expected = share(baseline);
  const actual = share(current);
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    total += (actual[i]! - expected[i]!) * Math.log(actual[i]! / expected[i]!);
  }
  return total;
}

/** Index of the bin [edges[i-1], edges[i]) holding v: the number of edges at or below it. */
function binOf(v: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Two-sample Kolmogorov-Smirnov statistic: the largest distance between the two empirical distribution
 * functions. Ties are stepped over together, so equal samples give 0. NaN and infinite values are left out.
 * Undefined when either sample has no finite value.
 */
export function ks(baseline: readonly number[], current: readonly number[]): number | undefined {
  const a = finite(baseline).sort((x, y) => x - y);
  const b = finite(current).sort((x, y) => x - y);
  if (a.length === 0 || b.length === 0) return undefined;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}
