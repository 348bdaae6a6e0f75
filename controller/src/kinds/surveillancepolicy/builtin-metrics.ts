// The built-in metrics of a surveillance policy, compiled to one SQL query each, run by the engine that holds the
// inference log (DuckDB over a file, or PostgreSQL), so no row of the log passes through the controller.
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
  const baselineSamples = stat === 'psi' || stat === 'ks' ? 'counts.baseline_samples' : 'NULL';
  return (
    `WITH ${ctes.map(([name, sql]) => `${name} AS (${sql})`).join(', ')} ` +
    `SELECT counts.g AS segment, CAST(stat.value AS DOUBLE PRECISION) AS value, counts.samples, ` +
    `${baselineSamples} AS baseline_samples, counts.missing, counts.nan, counts.out_of_range, counts.unlabelled ` +
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
    case 'psi':
    case 'ks': {
      const v = numeric(b.column!, b.range, d);
      return { value: { x: v.x, y: 'NULL' }, reason: `CASE ${v.when} END` };
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
    case 'psi':
      return [PER_VALUE, ...psiCtes(b.bins)];
    case 'ks':
      return [
        PER_VALUE,
        [
          'cdf',
          `SELECT g, sum(nb) OVER (PARTITION BY g ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cb, ` +
            `sum(nc) OVER (PARTITION BY g ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cc ` +
            `FROM per_value`,
        ],
        [
          'stat',
          `SELECT cdf.g, max(abs(${DOUBLE('cb')} / NULLIF(t.baseline_samples, 0) - ${DOUBLE('cc')} / ` +
            `NULLIF(t.samples, 0))) AS value FROM cdf JOIN counts AS t ON t.g IS NOT DISTINCT FROM cdf.g GROUP BY cdf.g`,
        ],
      ];
    default:
      throw new Error(`no built-in statistic ${stat}`);
  }
}

/** How often each value occurs in each window: the baseline (nb) and the current (nc). */
const PER_VALUE: [string, string] = [
  'per_value',
  `SELECT g, x, count(*) FILTER (WHERE w = 'b') AS nb, count(*) FILTER (WHERE w = 'c') AS nc FROM ok GROUP BY g, x`,
];

/**
 * PSI over the baseline's quantile bins: edge k (k = 1 .. bins-1) is the baseline value at 0-based position
 * floor(k * n / bins) in sorted order, tied edges merge, a bin is [edge, next edge), the first and last open.
 * Worked over the distinct values: position p falls in the run of a value with `before` baseline values below it
 * and nb of its own when before <= p < before + nb, which for p = floor(k * n / bins) is
 * before * bins <= k * n < (before + nb) * bins, in integers.
 */
function psiCtes(bins: number): [string, string][] {
  const ks = Array.from({ length: bins - 1 }, (_, i) => `(${i + 1})`).join(', ');
  const floor = numberLiteral(PSI_EMPTY_BIN_SHARE);
  return [
    [
      'runs',
      `SELECT g, x, nb, sum(nb) OVER (PARTITION BY g ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - nb AS before ` +
        `FROM per_value`,
    ],
    [
      'edges',
      `SELECT DISTINCT runs.g, runs.x AS e FROM runs JOIN counts AS t ON t.g IS NOT DISTINCT FROM runs.g ` +
        `JOIN (VALUES ${ks}) AS k(k) ON runs.before * ${bins} <= k.k * t.baseline_samples ` +
        `AND k.k * t.baseline_samples < (runs.before + runs.nb) * ${bins}`,
    ],
    [
      'bounds',
      `SELECT g, e AS lo, lead(e) OVER (PARTITION BY g ORDER BY e) AS hi, row_number() OVER (PARTITION BY g ORDER BY e) AS bin ` +
        `FROM edges`,
    ],
    [
      'binned',
      `SELECT v.g, COALESCE(bounds.bin, 0) AS bin, v.nb, v.nc FROM per_value AS v LEFT JOIN bounds ` +
        `ON bounds.g IS NOT DISTINCT FROM v.g AND v.x >= bounds.lo AND (bounds.hi IS NULL OR v.x < bounds.hi)`,
    ],
    [
      'shares',
      `SELECT b.g, max(t.baseline_samples) AS tb, max(t.samples) AS tc, ` +
        `greatest(${DOUBLE('sum(b.nb)')} / NULLIF(max(t.baseline_samples), 0), ${floor}) AS pb, ` +
        `greatest(${DOUBLE('sum(b.nc)')} / NULLIF(max(t.samples), 0), ${floor}) AS pc ` +
        `FROM binned AS b JOIN counts AS t ON t.g IS NOT DISTINCT FROM b.g GROUP BY b.g, b.bin`,
    ],
    // Undefined, not 0, when either window is empty.
    [
      'stat',
      `SELECT g, CASE WHEN min(tb) > 0 AND min(tc) > 0 THEN sum((pc - pb) * ln(pc / pb)) END AS value ` +
        `FROM shares GROUP BY g`,
    ],
  ];
}
