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
  const window = windowOf(b, options);
  const group = options.groupBy !== undefined ? d.toText(ident(options.groupBy)) : d.toText('NULL');

  const { value, reason } = classify(b, stat, d);
  const classified =
    `SELECT ${group} AS g, CASE WHEN ${window.current} THEN 'c' ELSE 'b' END AS w, ` +
    `${value.x} AS x, ${value.y} AS y, ${reason} AS reason ` +
    `FROM ${ident(options.table)} WHERE ${window.where}`;
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
const INFINITY = `CAST('Infinity' AS DOUBLE PRECISION)`;
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
  reasons: { missing: string; nan: string; range: string } = {
    missing: "'missing'",
    nan: "'nan'",
    range: "'range'",
  },
): { x: string; when: string } {
  const c = ident(column);
  const v = d.toDouble(c);
  // Infinities are out of any range, stated or not.
  const outside = range ? ` OR ${v} < ${numberLiteral(range.min)} OR ${v} > ${numberLiteral(range.max)}` : '';
  return {
    x: v,
    when:
      `WHEN ${c} IS NULL THEN ${reasons.missing} WHEN ${v} IS NULL OR ${v} = ${NAN} THEN ${reasons.nan} ` +
      `WHEN ${v} IN ${INFINITIES}${outside} THEN ${reasons.range}`,
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
 * How a drift query counts a column: value by value, or first by bucket (compileDrift). Both give the same
 * statistics; `buckets` costs less for a column whose values are nearly all distinct, `values` for the others.
 */
export type DriftPlan = { by: 'values' } | { by: 'buckets'; buckets?: number };

/** How many equal ranges the bucket plan first counts a column's values in. */
export const DRIFT_BUCKETS = 4096;

/**
 * One query computing several drift statistics of `b.column` over the same windows: its columns are those of
 * compileBuiltin's query, with value_0, value_1, ... (one per statistic, in order) in place of value. A policy
 * watching a column with both PSI and KS reads the log for it once.
 *
 * The statistics share their counts. The rows of the two windows are read once; those left out are counted by
 * reason. The usable values become points, each with its counts (nb baseline values and nc current ones) and its
 * cumulative counts cb and cc (baseline and current values at or below it). The points are summed into cells, one
 * per combination of the PSI bins they fall in, keeping the largest KS distance of each, and every statistic is
 * read off those few cells. The counts stay integers until the last division.
 *
 * By values (the plan unless one is given), each distinct value is a point: one pass counts each value per window,
 * and one running sum over the distinct values in order gives the cumulative counts.
 *
 * By buckets, a column of a million distinct values is not grouped value by value. Each usable value falls first
 * in one of `buckets` equal ranges between the smallest and the largest (a value never shares a bucket with a
 * larger value in a lower one), and a running sum over the buckets gives the cumulative counts at each bucket's
 * end. An end is a real value, so its KS distance is exact, and the largest of them is a floor under the KS
 * statistic. Inside a bucket the distance can rise at most to what the bucket's own counts allow, and a PSI edge
 * can fall inside it only where the bin at its start and at its end differ. So a bucket is a point of its own,
 * unless it holds more than one distinct value and could hold a larger distance or an edge: then its values are
 * counted again one by one, and they are its points. The statistics are those every distinct value would give.
 */
export function compileDrift(
  b: BuiltinSource,
  statistics: readonly DriftStatistic[],
  options: BuiltinQueryOptions & { plan?: DriftPlan },
): string {
  return driftSql(
    b,
    statistics,
    options,
    statistics.map((_, i) => `value_${i}`),
  );
}

/** How many rows of the log compileDriftProbe looks at. */
export const DRIFT_PROBE_ROWS = 1000;

/**
 * A query telling which plan suits each of `columns`: over the first DRIFT_PROBE_ROWS rows of the log, how many
 * hold a finite number (n_0, n_1, ...) and how many distinct ones (distinct_0, ...). Cheap: it reads those rows
 * only.
 */
export function compileDriftProbe(columns: readonly string[], options: BuiltinQueryOptions): string {
  const d = options.dialect ?? DUCKDB;
  const finite = (x: string) => `CASE WHEN ${x} = ${NAN} OR ${x} IN ${INFINITIES} THEN NULL ELSE ${x} END`;
  return (
    `SELECT ${columns.map((_, i) => `count(${finite(`x_${i}`)}) AS n_${i}, ${d.countDistinct(finite(`x_${i}`))} AS distinct_${i}`).join(', ')} ` +
    `FROM (SELECT ${columns.map((c, i) => `${d.toDouble(ident(c))} AS x_${i}`).join(', ')} ` +
    `FROM ${ident(options.table)} LIMIT ${DRIFT_PROBE_ROWS}) AS probe`
  );
}

/**
 * The plan for a column whose probe found `distinct` distinct numbers among `n`: buckets where nearly every value
 * is distinct (a measurement to many decimals), values otherwise (counts, codes, rounded measurements), where
 * counting each value once costs less than counting by bucket and again. Either plan gives the same statistics.
 */
export function driftPlanFor(probe: { n: number; distinct: number }): DriftPlan {
  return probe.n >= DRIFT_PROBE_ROWS / 2 && probe.distinct > 0.9 * probe.n
    ? { by: 'buckets' }
    : { by: 'values' };
}

/** Why a row is left out, as the drift query groups it: 0 for a row it uses. */
const REASON_CODES = { missing: '1', nan: '2', range: '3' } as const;

/** What the bucket plan reads of a row: the number x, and the reason code (REASON_CODES) it is left out for. */
function bucketRead(b: BuiltinSource, d: SqlDialect): string {
  const v = numeric(b.column!, b.range, d, REASON_CODES);
  return `${v.x} AS x, COALESCE(CASE ${v.when} END, 0) AS code`;
}

function driftSql(
  b: BuiltinSource,
  statistics: readonly DriftStatistic[],
  options: BuiltinQueryOptions & { plan?: DriftPlan; grouped?: string },
  names: readonly string[],
): string {
  const d = options.dialect ?? DUCKDB;
  // Overall, the query has no segment column at all: grouping and sorting by a constant still costs time.
  const segmented = options.groupBy !== undefined;
  const g = segmented ? 'g, ' : '';
  const window = windowOf(b, options);
  const read = (values: string) =>
    `SELECT ${segmented ? `${d.toText(ident(options.groupBy!))} AS g, ` : ''}${currentFlag(window)}, ${values} ` +
    `FROM ${ident(options.table)} WHERE ${window.where}`;
  const bins = [...new Set(statistics.flatMap((s) => (s.statistic === 'psi' ? [s.bins] : [])))];
  const parts: DriftParts = {
    segmented,
    g,
    same: (a, t) => (segmented ? `${t}.g IS NOT DISTINCT FROM ${a}.g` : 'TRUE'),
    joined: (a, t, table, kind = 'JOIN') =>
      segmented
        ? `${kind} ${table} AS ${t} ON ${t}.g IS NOT DISTINCT FROM ${a}.g`
        : `CROSS JOIN ${table} AS ${t}`,
    running: (order, partition) =>
      `OVER (${partition.length ? `PARTITION BY ${partition.join(', ')} ` : ''}ORDER BY ${order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`,
    distance: (cb, cc) => `abs(${DOUBLE(cb)} / NULLIF(t.nb, 0) - ${DOUBLE(cc)} / NULLIF(t.nc, 0))`,
    bins,
  };
  const plan = options.plan ?? { by: 'values' };
  // Each plan ends in `grouped` (g, code, n, nc: rows per group, current ones among them) and `points`.
  const counting =
    plan.by === 'values'
      ? byValues(options.grouped ?? groupedByValue(read(`${valueKey(b, d)} AS x`), g), parts)
      : byBuckets(read(bucketRead(b, d)), plan.buckets ?? DRIFT_BUCKETS, d, parts);
  const total = (of: string, code: number, as: string) =>
    `CAST(COALESCE(sum(${of}) FILTER (WHERE code = ${code}), 0) AS BIGINT) AS ${as}`;
  // An empty window gives no row, overall as per segment.
  const counts =
    `SELECT ${g}${total('nc', 0, 'nc')}, ${total('n - nc', 0, 'nb')}, ${total('n', 1, 'missing')}, ` +
    `${total('n', 2, 'nan')}, ${total('n', 3, 'out_of_range')} FROM grouped ` +
    (segmented ? 'GROUP BY g' : 'HAVING count(*) > 0');
  // The bins of each PSI are numbered by cb alone, so the cells number at most the sum of the bins.
  const binColumns = bins.map((n) => `${psiBin('v.cb', 't.nb', n)} AS bin_${n}`);
  const byBins = bins.map((n) => `bin_${n}`);
  const cells =
    `SELECT ${g}${byBins.map((c) => `${c}, `).join('')}sum(nb) AS nb, sum(nc) AS nc, max(distance) AS distance, ` +
    `max(tb) AS tb, max(tc) AS tc FROM (SELECT ${segmented ? 'v.g, ' : ''}${binColumns.map((c) => `${c}, `).join('')}` +
    `v.nb, v.nc, ${parts.distance('v.cb', 'v.cc')} AS distance, t.nb AS tb, t.nc AS tc FROM points AS v ` +
    `${parts.joined('v', 't', 'counts')}) AS cell` +
    (segmented || bins.length > 0 ? ` GROUP BY ${[...(segmented ? ['g'] : []), ...byBins].join(', ')}` : '');
  const ctes: [string, string][] = [
    ...counting.before,
    ['counts', counts],
    ...counting.after,
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
  const cte = ([name, sql]: [string, string]) => `${name} AS ${counting.materialized?.[name] ?? ''}(${sql})`;
  return `WITH ${ctes.map(cte).join(', ')} ${select}${joins}`;
}

/** The conditions on a row of the log: in `b`'s windows (where), and in the current one (current). */
function windowOf(b: BuiltinSource, options: BuiltinQueryOptions): { current: string; where: string } {
  const d = options.dialect ?? DUCKDB;
  const w = builtinWindows(b, options.now);
  const ts = `CAST(${ident(options.timestampColumn)} AS TIMESTAMP WITH TIME ZONE)`;
  const from = w.baseline?.from ?? w.current.from;
  return {
    current: `${ts} > ${d.timestamp(w.current.from)}`,
    where: `${ts} > ${d.timestamp(from)} AND ${ts} <= ${d.timestamp(w.current.to)}`,
  };
}

/** 1 for a row of the current window, 0 for one of the baseline window: the column c of a drift query. */
const currentFlag = (window: { current: string }) => `CASE WHEN ${window.current} THEN 1 ELSE 0 END AS c`;

/** How many columns compileDriftBatch takes at most. */
export const DRIFT_BATCH_COLUMNS = 8;

/**
 * One query computing the same drift statistics of several columns over the same windows, overall, each counted
 * value by value: the rows of compileDrift's query for each column, with a column `part`, the column's index in
 * `sources`. The log is read once for them all, each column counted in its own grouping set, where a query per
 * column would read the time of every row again. Every source must have the same window, lag and baseline window.
 */
export function compileDriftBatch(
  sources: readonly BuiltinSource[],
  statistics: readonly DriftStatistic[],
  options: BuiltinQueryOptions,
): string {
  const first = sources[0];
  if (!first || sources.length > DRIFT_BATCH_COLUMNS) {
    throw new Error(`a drift batch takes 1 to ${DRIFT_BATCH_COLUMNS} columns; given ${sources.length}`);
  }
  const same = (a: BuiltinSource) =>
    a.window === first.window && a.lag === first.lag && a.baselineWindow === first.baselineWindow;
  if (!sources.every(same)) throw new Error('the columns of a drift batch must share their windows');
  if (options.groupBy !== undefined) throw new Error('a drift batch is computed overall, not per segment');
  const d = options.dialect ?? DUCKDB;
  const window = windowOf(first, options);
  const keys = sources.map((_, i) => `x_${i}`);
  const read =
    `SELECT ${currentFlag(window)}, ${sources.map((b, i) => `${valueKey(b, d)} AS ${keys[i]}`).join(', ')} ` +
    `FROM ${ident(options.table)} WHERE ${window.where}`;
  // GROUPING(x_0, ..., x_n-1) has a bit set, most significant first, for each key not in the row's grouping set.
  const all = 2 ** sources.length - 1;
  const groupingSets =
    `SELECT ${keys.join(', ')}, GROUPING(${keys.join(', ')}) AS grouping_set, count(*) AS n, ` +
    `count(*) FILTER (WHERE c = 1) AS nc FROM (${read}) AS r GROUP BY GROUPING SETS (${keys.map((k) => `(${k})`).join(', ')})`;
  const names = statistics.map((_, i) => `value_${i}`);
  const parts = sources.map((b, i) => {
    const grouped =
      `SELECT ${keys[i]} AS x, ${codeOfKey(keys[i]!)} AS code, n, nc FROM grouping_sets ` +
      `WHERE grouping_set = ${all - 2 ** (sources.length - 1 - i)}`;
    return `SELECT ${i} AS part, one.* FROM (${driftSql(b, statistics, { ...options, grouped }, names)}) AS one`;
  });
  return `WITH grouping_sets AS MATERIALIZED (${groupingSets}) ${parts.join(' UNION ALL ')}`;
}

/** What both plans of a drift query write the same way. */
interface DriftParts {
  segmented: boolean;
  /** 'g, ' when segmented, else ''. */
  g: string;
  /** Rows of `a` and `t` belong together: the same segment (always, overall). */
  same(a: string, t: string): string;
  /** `table` as `t`, joined to `a` by segment. */
  joined(a: string, t: string, table: string, kind?: string): string;
  /** A running sum's window, over `order` within each `partition`. */
  running(order: string, partition: string[]): string;
  /** The KS distance at cumulative counts cb and cc, with `t` the totals (counts). */
  distance(cb: string, cc: string): string;
  /** The numbers of PSI bins asked for. */
  bins: number[];
}

interface DriftCounting {
  /** The CTEs before `counts`, ending in `grouped`. */
  before: [string, string][];
  /** The CTEs after `counts`, ending in `points` (g, nb, nc, cb, cc). */
  after: [string, string][];
  /** How a CTE is kept: 'MATERIALIZED ' to read the log once, 'NOT MATERIALIZED ' to recompute what is cheap. */
  materialized?: Record<string, string>;
}

/** Each distinct value is a point; `grouped` counts them (groupedByValue). */
function byValues(grouped: string, p: DriftParts): DriftCounting {
  const { g } = p;
  const running = p.running('x', p.segmented ? ['g'] : []);
  const points = `SELECT ${g}n - nc AS nb, nc, sum(n - nc) ${running} AS cb, sum(nc) ${running} AS cc FROM grouped WHERE code = 0`;
  return { before: [['grouped', grouped]], after: [['points', points]] };
}

/**
 * A row's value as the values plan groups it, one key for both what it counts and why it leaves a row out: the
 * number where the row is used; NULL, NaN or +Infinity where it is missing, not a number, or out of range (none
 * of which a used value can be).
 */
function valueKey(b: BuiltinSource, d: SqlDialect): string {
  const v = numeric(b.column!, b.range, d, { missing: 'NULL', nan: NAN, range: INFINITY });
  return `CASE ${v.when} ELSE ${v.x} END`;
}

/** The reason code (REASON_CODES; 0: used) of a value key. */
const codeOfKey = (x: string) =>
  `CASE WHEN ${x} IS NULL THEN ${REASON_CODES.missing} WHEN ${x} = ${NAN} THEN ${REASON_CODES.nan} ` +
  `WHEN ${x} = ${INFINITY} THEN ${REASON_CODES.range} ELSE 0 END`;

/** `grouped` of the values plan over rows read with a value key x (and segment g): one row per key. */
const groupedByValue = (read: string, g: string) =>
  `SELECT ${g}x, ${codeOfKey('x')} AS code, n, nc FROM (SELECT ${g}x, count(*) AS n, ` +
  `count(*) FILTER (WHERE c = 1) AS nc FROM (${read}) AS r GROUP BY ${g}x) AS grouped`;

/** Buckets are the points, but for the buckets whose distinct values must be points of their own. */
function byBuckets(read: string, buckets: number, d: SqlDialect, p: DriftParts): DriftCounting {
  if (!Number.isInteger(buckets) || buckets < 1) throw new Error(`not a number of buckets: ${buckets}`);
  const { g, segmented, same, joined, distance } = p;
  // Read once, then counted twice (by bucket, and value by value in the few buckets that need it).
  const rows = `SELECT ${g}c, CASE WHEN code = 0 THEN x END AS x, code FROM (${read}) AS r`;
  // A bucket is (x - lo) / width, rounded, over values narrowed (dialect.narrow) so that no step overflows or
  // underflows: a width is never below 1e-290 / buckets (a narrower range is one bucket), and no value is further
  // from lo than the range. Every step keeps the order of the values, and the largest falls in the last bucket,
  // buckets - 1.
  const bounds =
    `SELECT ${g}lo, CASE WHEN hi - lo > 1e-290 THEN (hi - lo) / ${Math.max(1, buckets - 1)} ELSE 1 END AS width ` +
    `FROM (SELECT ${g}${d.narrow('min(x)')} AS lo, ${d.narrow('max(x)')} AS hi FROM rows WHERE code = 0` +
    `${segmented ? ' GROUP BY g' : ''}) AS b`;
  const bucket = buckets === 1 ? '0' : `CAST((${d.narrow('r.x')} - t.lo) / t.width AS BIGINT)`;
  const keyed =
    `SELECT ${segmented ? 'r.g, ' : ''}r.c, r.x, r.code, ${bucket} AS k ` +
    `FROM rows AS r ${joined('r', 't', 'bounds', 'LEFT JOIN')}`;
  const grouped =
    `SELECT ${g}code, k, count(*) AS n, count(*) FILTER (WHERE c = 1) AS nc, min(x) AS xlo, max(x) AS xhi ` +
    `FROM keyed GROUP BY ${g}code, k`;
  const byBucket = p.running('k', segmented ? ['g'] : []);
  // A bucket's values lie between its start (cb - nb baseline values below them) and its end (cb): the distance
  // inside it is at most the larger of the two extremes its counts allow, and its values fall in one PSI bin
  // when its start and end do.
  const crossesEdge = p.bins.map(
    (n) => `${psiBin('(v.cb - v.nb)', 't.nb', n)} <> ${psiBin('v.cb', 't.nb', n)}`,
  );
  const judged =
    `SELECT ${segmented ? 'v.g, ' : ''}v.k, v.nb, v.nc, v.cb, v.cc, v.xlo < v.xhi AS several, ` +
    `${distance('v.cb', 'v.cc')} AS distance, greatest(${distance('v.cb - v.nb', 'v.cc')}, ` +
    `${distance('v.cb', 'v.cc - v.nc')}) AS reach${crossesEdge.map((e, i) => `, ${e} AS edge_${i}`).join('')} ` +
    `FROM (SELECT ${g}k, n - nc AS nb, nc, xlo, xhi, sum(n - nc) ${byBucket} AS cb, sum(nc) ${byBucket} AS cc ` +
    `FROM grouped WHERE code = 0) AS v ${joined('v', 't', 'counts')}`;
  const floorOf = `SELECT ${g}max(distance) AS reached FROM judged${segmented ? ' GROUP BY g' : ''}`;
  const refine =
    `SELECT ${segmented ? 'j.g, ' : ''}j.k, j.nb, j.nc, j.cb, j.cc FROM judged AS j ${joined('j', 'f', 'ks_floor')} ` +
    `WHERE j.several AND (j.reach > f.reached${crossesEdge.map((_, i) => ` OR j.edge_${i}`).join('')})`;
  const byValue = p.running('x', [...(segmented ? ['g'] : []), 'k']);
  const refined = segmented
    ? `EXISTS (SELECT 1 FROM refine AS f WHERE f.k = keyed.k AND ${same('keyed', 'f')})`
    : 'k IN (SELECT k FROM refine)';
  const values =
    `SELECT ${g}k, n - nc AS nb, nc, sum(n - nc) ${byValue} AS cb, sum(nc) ${byValue} AS cc FROM (` +
    `SELECT ${g}k, x, count(*) AS n, count(*) FILTER (WHERE c = 1) AS nc FROM keyed ` +
    `WHERE code = 0 AND ${refined} GROUP BY ${g}k, x) AS y`;
  const points =
    `SELECT ${g}nb, nc, cb, cc FROM judged AS j WHERE NOT EXISTS (SELECT 1 FROM refine AS f WHERE f.k = j.k AND ${same('j', 'f')}) ` +
    `UNION ALL SELECT ${segmented ? 'u.g, ' : ''}u.nb, u.nc, f.cb - f.nb + u.cb AS cb, f.cc - f.nc + u.cc AS cc ` +
    `FROM by_value AS u JOIN refine AS f ON f.k = u.k AND ${same('u', 'f')}`;
  return {
    before: [
      ['rows', rows],
      ['bounds', bounds],
      ['keyed', keyed],
      ['grouped', grouped],
    ],
    after: [
      ['judged', judged],
      ['ks_floor', floorOf],
      ['refine', refine],
      ['by_value', values],
      ['points', points],
    ],
    // The log is read once; the bucket of a row is recomputed where it is used, not stored.
    materialized: { rows: 'MATERIALIZED ', keyed: 'NOT MATERIALIZED ' },
  };
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
