// The built-in metrics of a surveillance policy, compiled to one SQL query each (psi and ks of the same column may
// share one: compileDrift), run by the engine that holds the inference log (DuckDB over a file, or PostgreSQL), so
// no row of the log passes through the controller.
//
// Every query has the same shape: the rows of the window are classified first (a value missing, NaN or not a
// number, out of range, or without an outcome yet is excluded and counted under the first of those reasons that
// applies), then the statistic is computed over the rows left, per segment when one is asked for. It returns one
// row per segment (one row overall) with the columns segment, value, samples, baseline_samples, missing, nan,
// out_of_range and unlabelled. docs/surveillance-metrics.md states each definition.
import { parseDuration } from '../../../../specs/common.js';
import type { SurveillancePolicySpec } from '../../../../specs/surveillancepolicy.js';
import { DUCKDB, ident, literal, numberLiteral, type SqlDialect } from '../../data/sql.js';
import { PSI_EMPTY_BIN_SHARE } from './statistics.js';

type Source = SurveillancePolicySpec['metrics'][number]['source'];
export type BuiltinSource = NonNullable<Source['builtin']>;
type Flag = NonNullable<BuiltinSource['label']>;

/** Statistics better when higher; the rest are better when lower (volume has no direction of its own). */
export const HIGHER_IS_BETTER: ReadonlySet<string> = new Set(['auroc']);

export interface BuiltinQueryOptions {
  /** The table or view holding the log. */
  table: string;
  timestampColumn: string;
  now: Date;
  /** A segment column: one row per value of it. One row overall when omitted. */
  groupBy?: string;
  dialect?: SqlDialect;
}

export interface BuiltinWindows {
  /** Absent for statistics that compare no baseline window. */
  baseline?: { from: Date; to: Date };
  current: { from: Date; to: Date };
}

const ms = (d: string) => (parseDuration(d) ?? 0) * 1000;

/**
 * The current window is (now - lag - window, now - lag]; the baseline window of psi and ks is the baselineWindow
 * before it, (start - baselineWindow, start]. A row belongs to the window its timestamp falls in.
 */
export function builtinWindows(b: BuiltinSource, now: Date): BuiltinWindows {
  const to = new Date(now.getTime() - ms(b.lag));
  const from = new Date(to.getTime() - ms(b.window));
  const compared = b.statistic === 'psi' || b.statistic === 'ks';
  return {
    ...(compared && b.baselineWindow !== undefined
      ? { baseline: { from: new Date(from.getTime() - ms(b.baselineWindow)), to: from } }
      : {}),
    current: { from, to },
  };
}

/** The statistic a builtin computes per segment: the compared one for a subgroup gap. */
export const perSegmentStatistic = (b: BuiltinSource) =>
  b.statistic === 'subgroup-gap' ? b.of! : b.statistic;

/** The query computing `b` (for a subgroup gap: the statistic it compares) over the log, overall or per segment. */
export function compileBuiltin(b: BuiltinSource, options: BuiltinQueryOptions): string {
  const d = options.dialect ?? DUCKDB;
  const stat = perSegmentStatistic(b);
  if (stat === 'psi' || stat === 'ks') {
    const one: DriftStatistic = stat === 'psi' ? { statistic: 'psi', bins: b.bins } : { statistic: 'ks' };
    return driftSql(b, [one], options, ['value']);
  }
  const w = builtinWindows(b, options.now);
  const ts = `CAST(${ident(options.timestampColumn)} AS TIMESTAMP WITH TIME ZONE)`;
  const from = w.baseline?.from ?? w.current.from;
  const group = options.groupBy !== undefined ? d.toText(ident(options.groupBy)) : d.toText('NULL');

  const { value, reason } = classify(b, stat, d);
  const classified =
    `SELECT ${group} AS g, CASE WHEN ${ts} > ${d.timestamp(w.current.from)} THEN 'c' ELSE 'b' END AS w, ` +
    `${value.x} AS x, ${value.y} AS y, ${reason} AS reason ` +
    `FROM ${ident(options.table)} WHERE ${ts} > ${d.timestamp(from)} AND ${ts} <= ${d.timestamp(w.current.to)}`;
  const counts =
    `SELECT g, count(*) FILTER (WHERE w = 'c' AND reason IS NULL) AS samples, ` +
    `count(*) FILTER (WHERE w = 'b' AND reason IS NULL) AS baseline_samples, ` +
    `count(*) FILTER (WHERE reason = 'missing') AS missing, count(*) FILTER (WHERE reason = 'nan') AS nan, ` +
    `count(*) FILTER (WHERE reason = 'range') AS out_of_range, ` +
    `count(*) FILTER (WHERE reason = 'unlabelled') AS unlabelled FROM classified GROUP BY g`;
  const ctes: [string, string][] = [
    ['classified', classified],
    ['counts', counts],
    ['ok', `SELECT g, w, x, y FROM classified WHERE reason IS NULL`],
    ...statistic(stat, b),
  ];
  return (
    `WITH ${ctes.map(([name, sql]) => `${name} AS (${sql})`).join(', ')} ` +
    `SELECT counts.g AS segment, CAST(stat.value AS DOUBLE PRECISION) AS value, counts.samples, ` +
    `NULL AS baseline_samples, counts.missing, counts.nan, counts.out_of_range, counts.unlabelled ` +
    `FROM counts LEFT JOIN stat ON stat.g IS NOT DISTINCT FROM counts.g ORDER BY counts.g NULLS LAST`
  );
}

const DOUBLE = (expr: string) => `CAST(${expr} AS DOUBLE PRECISION)`;
const NAN = `CAST('NaN' AS DOUBLE PRECISION)`;
const INFINITIES = `(CAST('Infinity' AS DOUBLE PRECISION), CAST('-Infinity' AS DOUBLE PRECISION))`;

interface Classified {
  value: { x: string; y: string };
  /** NULL for a row the statistic uses; else 'missing', 'nan', 'range' or 'unlabelled'. */
  reason: string;
}

/** How each row is read: the number x (and outcome y), or why it is left out. */
function classify(b: BuiltinSource, stat: string, d: SqlDialect): Classified {
  switch (stat) {
    case 'auroc':
    case 'expected-calibration-error':
    case 'brier': {
      const score = numeric(b.score!, b.scoreRange, d);
      const label = flagOf(b.label!, d, 'unlabelled');
      return { value: { x: score.x, y: label.y }, reason: `CASE ${score.when} ${label.when} END` };
    }
    case 'override-rate': {
      const f = flagOf(b.override!, d);
      return { value: { x: f.y, y: 'NULL' }, reason: `CASE ${f.when} END` };
    }
    case 'missing-share': {
      const c = ident(b.column!);
      const missing = `${c} IS NULL OR trim(${d.toText(c)}) = '' OR ${d.toDouble(c)} = ${NAN}`;
      return { value: { x: `CASE WHEN ${missing} THEN 1 ELSE 0 END`, y: 'NULL' }, reason: 'NULL' };
    }
    default:
      // volume: every row counts.
      return { value: { x: 'NULL', y: 'NULL' }, reason: 'NULL' };
  }
}

/** A numeric column: its value, and the WHEN clauses naming why a row is left out (NaN before range). */
function numeric(
  column: string,
  range: { min: number; max: number } | undefined,
  d: SqlDialect,
): { x: string; when: string } {
  const c = ident(column);
  const v = d.toDouble(c);
  // Infinities are out of any range, stated or not.
  const outside = range ? ` OR ${v} < ${numberLiteral(range.min)} OR ${v} > ${numberLiteral(range.max)}` : '';
  return {
    x: v,
    when:
      `WHEN ${c} IS NULL THEN 'missing' WHEN ${v} IS NULL OR ${v} = ${NAN} THEN 'nan' ` +
      `WHEN ${v} IN ${INFINITIES}${outside} THEN 'range'`,
  };
}

/** A yes/no column read as text: y is 1 or 0; missing when NULL, out of range when not a readable value. */
function flagOf(flag: Flag, d: SqlDialect, absent = 'missing'): { y: string; when: string } {
  const c = ident(flag.column);
  const text = d.toText(c);
  if (flag.positive) {
    return {
      y: `CASE WHEN ${text} IN (${flag.positive.map(literal).join(', ')}) THEN 1 ELSE 0 END`,
      when: `WHEN ${c} IS NULL THEN '${absent}'`,
    };
  }
  const yes = `lower(${text}) IN ('1', '1.0', 'true')`;
  const no = `lower(${text}) IN ('0', '0.0', 'false')`;
  return {
    y: `CASE WHEN ${yes} THEN 1 WHEN ${no} THEN 0 END`,
    when: `WHEN ${c} IS NULL THEN '${absent}' WHEN NOT (${yes} OR ${no}) THEN 'range'`,
  };
}

/** The CTEs ending in `stat (g, value)`: the statistic per segment over the rows `ok` holds. */
function statistic(stat: string, b: BuiltinSource): [string, string][] {
  const current = `SELECT g, x, y FROM ok WHERE w = 'c'`;
  switch (stat) {
    case 'auroc':
      // Mann-Whitney over the distinct scores: each positive counts the negatives scored below it, and half
      // those scored the same. Integer counts until the last division, so ties cost no precision.
      return [
        [
          'per_score',
          `SELECT g, x, count(*) FILTER (WHERE y = 1) AS np, count(*) FILTER (WHERE y = 0) AS nn ` +
            `FROM (${current}) AS c GROUP BY g, x`,
        ],
        [
          'below',
          `SELECT g, np, nn, sum(nn) OVER (PARTITION BY g ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - nn AS nn_below ` +
            `FROM per_score`,
        ],
        [
          'stat',
          `SELECT g, ${DOUBLE('sum(np * (2 * nn_below + nn))')} / ` +
            `NULLIF(2 * ${DOUBLE('sum(np)')} * ${DOUBLE('sum(nn)')}, 0) AS value FROM below GROUP BY g`,
        ],
      ];
    case 'expected-calibration-error': {
      const { min, max } = b.scoreRange;
      const scaled =
        min === 0 && max === 1
          ? 'x'
          : `(x - ${numberLiteral(min)}) / ${numberLiteral(max - min === 0 ? 1 : max - min)}`;
      const bins = numberLiteral(b.bins);
      return [
        [
          'per_bin',
          `SELECT g, least(floor(${scaled} * ${bins}), ${bins} - 1) AS bin, count(*) AS n, avg(x) AS p, ` +
            `avg(${DOUBLE('y')}) AS o FROM (${current}) AS c GROUP BY g, least(floor(${scaled} * ${bins}), ${bins} - 1)`,
        ],
        ['stat', `SELECT g, sum(n * abs(p - o)) / NULLIF(sum(n), 0) AS value FROM per_bin GROUP BY g`],
      ];
    }
    case 'brier':
      return [['stat', `SELECT g, avg((x - y) * (x - y)) AS value FROM (${current}) AS c GROUP BY g`]];
    case 'override-rate':
    case 'missing-share':
      return [['stat', `SELECT g, avg(${DOUBLE('x')}) AS value FROM (${current}) AS c GROUP BY g`]];
    case 'volume':
      return [['stat', `SELECT g, count(*) AS value FROM (${current}) AS c GROUP BY g`]];
    default:
      throw new Error(`no built-in statistic ${stat}`);
  }
}

/** A drift statistic of a column: PSI over so many bins, or KS. */
export type DriftStatistic = { statistic: 'psi'; bins: number } | { statistic: 'ks' };

/**
 * One query computing several drift statistics of `b.column` over the same windows: its columns are those of
 * compileBuiltin's query, with value_0, value_1, ... (one per statistic, in order) in place of value. A policy
 * watching a column with both PSI and KS reads the log for it once.
 *
 * The statistics share their counts. One pass over the rows of the two windows counts each distinct usable value
 * in each window (the rows left out all fall in the group of NULL, counted by reason); one running sum over the
 * distinct values in order gives each its cumulative counts, cb (baseline values at or below it) and cc (current
 * ones); one more pass sums the distinct values into cells, one per combination of the PSI bins they fall in,
 * keeping the largest KS distance of each. Every statistic is then read off those few cells. Only distinct values
 * are sorted, never every row, and the counts stay integers until the last division.
 */
export function compileDrift(
  b: BuiltinSource,
  statistics: readonly DriftStatistic[],
  options: BuiltinQueryOptions,
): string {
  return driftSql(
    b,
    statistics,
    options,
    statistics.map((_, i) => `value_${i}`),
  );
}

function driftSql(
  b: BuiltinSource,
  statistics: readonly DriftStatistic[],
  options: BuiltinQueryOptions,
  names: readonly string[],
): string {
  const d = options.dialect ?? DUCKDB;
  const w = builtinWindows(b, options.now);
  const ts = `CAST(${ident(options.timestampColumn)} AS TIMESTAMP WITH TIME ZONE)`;
  const from = w.baseline?.from ?? w.current.from;
  // Overall, the query has no segment column at all: grouping and sorting by a constant still costs time.
  const segmented = options.groupBy !== undefined;
  const g = segmented ? 'g, ' : '';
  const v = numeric(b.column!, b.range, d);
  const rows =
    `SELECT ${segmented ? `${d.toText(ident(options.groupBy!))} AS g, ` : ''}` +
    `CASE WHEN ${ts} > ${d.timestamp(w.current.from)} THEN 1 ELSE 0 END AS c, ${v.x} AS x, CASE ${v.when} END AS reason ` +
    `FROM ${ident(options.table)} WHERE ${ts} > ${d.timestamp(from)} AND ${ts} <= ${d.timestamp(w.current.to)}`;
  // Grouped by value and by why a row is left out, a small integer (0: used) the hash table keys on faster than text.
  const code = `CASE reason WHEN 'missing' THEN 1 WHEN 'nan' THEN 2 WHEN 'range' THEN 3 ELSE 0 END`;
  const perValue =
    `SELECT ${g}CASE WHEN code = 0 THEN x END AS x, code, count(*) AS n, count(*) FILTER (WHERE c = 1) AS nc ` +
    `FROM (SELECT ${g}c, x, ${code} AS code FROM (${rows}) AS r) AS r GROUP BY ${g}CASE WHEN code = 0 THEN x END, code`;
  const total = (of: string, code: number, as: string) =>
    `CAST(COALESCE(sum(${of}) FILTER (WHERE code = ${code}), 0) AS BIGINT) AS ${as}`;
  // An empty window gives no row, overall as per segment.
  const counts =
    `SELECT ${g}${total('nc', 0, 'nc')}, ${total('n - nc', 0, 'nb')}, ${total('n', 1, 'missing')}, ` +
    `${total('n', 2, 'nan')}, ${total('n', 3, 'out_of_range')} FROM per_value ` +
    (segmented ? 'GROUP BY g' : 'HAVING count(*) > 0');
  const running = `OVER (${segmented ? 'PARTITION BY g ' : ''}ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
  const cumulative = `SELECT ${g}n - nc AS nb, nc, sum(n - nc) ${running} AS cb, sum(nc) ${running} AS cc FROM per_value WHERE code = 0`;
  // The bins of each PSI are numbered by cb alone, so the cells number at most the sum of the bins.
  const bins = [...new Set(statistics.flatMap((s) => (s.statistic === 'psi' ? [s.bins] : [])))];
  const binColumns = bins.map((n) => `${psiBin('cb', 't.nb', n)} AS bin_${n}`);
  const byBins = bins.map((n) => `bin_${n}`);
  const cells =
    `SELECT ${g}${byBins.map((c) => `${c}, `).join('')}sum(nb) AS nb, sum(nc) AS nc, max(distance) AS distance, ` +
    `max(tb) AS tb, max(tc) AS tc FROM (SELECT ${segmented ? 'v.g, ' : ''}${binColumns.map((c) => `${c}, `).join('')}` +
    `v.nb, v.nc, abs(${DOUBLE('v.cb')} / NULLIF(t.nb, 0) - ${DOUBLE('v.cc')} / NULLIF(t.nc, 0)) AS distance, ` +
    `t.nb AS tb, t.nc AS tc FROM (${cumulative}) AS v ` +
    `${segmented ? 'JOIN counts AS t ON t.g IS NOT DISTINCT FROM v.g' : 'CROSS JOIN counts AS t'}) AS cell` +
    (segmented || bins.length > 0 ? ` GROUP BY ${[...(segmented ? ['g'] : []), ...byBins].join(', ')}` : '');
  const ctes: [string, string][] = [
    ['per_value', perValue],
    ['counts', counts],
    ['cells', cells],
    ...statistics.map((s, i): [string, string] => [
      `stat_${i}`,
      s.statistic === 'ks' ? ksFromCells(segmented) : psiFromCells(s.bins, segmented),
    ]),
  ];
  const stats = statistics.map((_, i) => `stat_${i}`);
  const select =
    `SELECT ${segmented ? 'counts.g' : d.toText('NULL')} AS segment, ` +
    stats.map((s, i) => `CAST(${s}.value AS DOUBLE PRECISION) AS ${names[i]}, `).join('') +
    'counts.nc AS samples, counts.nb AS baseline_samples, counts.missing, counts.nan, counts.out_of_range, ' +
    'CAST(0 AS BIGINT) AS unlabelled FROM counts';
  const joins = segmented
    ? `${stats.map((s) => ` LEFT JOIN ${s} ON ${s}.g IS NOT DISTINCT FROM counts.g`).join('')} ORDER BY counts.g NULLS LAST`
    : stats.map((s) => ` CROSS JOIN ${s}`).join('');
  return `WITH ${ctes.map(([name, sql]) => `${name} AS (${sql})`).join(', ')} ${select}${joins}`;
}

/** KS: the largest distance between the two empirical distribution functions, at every distinct value. */
const ksFromCells = (segmented: boolean) =>
  `SELECT ${segmented ? 'g, ' : ''}max(distance) AS value FROM cells${segmented ? ' GROUP BY g' : ''}`;

/**
 * The PSI bin of a value with `cb` baseline values at or below it, out of `n`. Edge k (k = 1 .. bins-1) is the
 * baseline value at 0-based position p_k = floor(k * n / bins) in sorted order, tied edges merge, and a value
 * falls in bin "number of edges at or below it". Edge k is at or below the value exactly when p_k < cb, that is
 * when k * n < cb * bins, in integers. So the bin is numbered by how many k pass that test: tied edges pass it
 * together or not at all, which numbers the merged bins differently but groups the values the same.
 */
function psiBin(cb: string, n: string, bins: number): string {
  return Array.from(
    { length: bins - 1 },
    (_, i) => `CASE WHEN ${cb} * ${bins} > ${i + 1} * ${n} THEN 1 ELSE 0 END`,
  ).join(' + ');
}

/** PSI from the cells: each bin's shares in the two windows, floored, summed as (a - e) ln(a / e). */
function psiFromCells(bins: number, segmented: boolean): string {
  const floor = numberLiteral(PSI_EMPTY_BIN_SHARE);
  const g = segmented ? 'g, ' : '';
  const shares =
    `SELECT ${g}max(tb) AS tb, max(tc) AS tc, greatest(${DOUBLE('sum(nb)')} / NULLIF(max(tb), 0), ${floor}) AS pb, ` +
    `greatest(${DOUBLE('sum(nc)')} / NULLIF(max(tc), 0), ${floor}) AS pc FROM cells GROUP BY ${g}bin_${bins}`;
  // Undefined, not 0, when either window is empty.
  return (
    `SELECT ${g}CASE WHEN min(tb) > 0 AND min(tc) > 0 THEN sum((pc - pb) * ln(pc / pb)) END AS value ` +
    `FROM (${shares}) AS shares${segmented ? ' GROUP BY g' : ''}`
  );
}
