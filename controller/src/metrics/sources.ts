// The SQL a surveillance policy's metrics run over the inference log, and the readings made of what it returns.
//
// The log is the view `inference_log`: the rows of the deployed version (when the caller names one) scored no
// later than the evaluation time. `inference_log_all` holds every version. A sql source is one query that
// returns the columns `value` and `samples`: one row for the metric overall, or one row per segment with a
// third column `segment` naming it. It may use `$now`, the evaluation time (a TIMESTAMP WITH TIME ZONE, UTC).
// A metric with `segments` is read overall, then once per value of each segment column with `inference_log`
// narrowed to that value, so the same query serves both. Builtin and drift sources are compiled to SQL by
// kinds/surveillancepolicy/builtin-metrics.ts and read by builtin.ts.

import type { SurveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import type { Cell, Row } from '../data/engine.js';
import { ident, literal } from '../data/sql.js';
import type { MetricReading } from '../kinds/surveillancepolicy/status.js';

export const LOG_VIEW = 'inference_log';
export const ALL_VERSIONS_VIEW = 'inference_log_all';
/** A segment column with more values than this is not a segment but an identifier. */
export const MAX_SEGMENT_VALUES = 50;

type InferenceLog = NonNullable<SurveillancePolicySpec['inferenceLog']>;

/** Rows of another version, matched on a request (or encounter) id: the inputs both versions scored. */
export interface SameInputs {
  version: string;
  /** The log's request or encounter id column. */
  column: string;
}

/**
 * The view the policy's SQL reads: one version's rows, none scored after `now`; with `sameInputs`, only the
 * requests that other version scored too (by then).
 */
export function logViewSql(log: InferenceLog, now: Date, version?: string, sameInputs?: SameInputs): string {
  const scored = `CAST(${ident(log.timestampColumn)} AS TIMESTAMPTZ) <= ${timestamp(now)}`;
  const ofVersion = (v: string) => `CAST(${ident(log.versionColumn)} AS VARCHAR) = ${literal(v)}`;
  const where = [scored];
  if (version !== undefined) where.push(ofVersion(version));
  if (sameInputs !== undefined) {
    const id = `CAST(${ident(sameInputs.column)} AS VARCHAR)`;
    where.push(
      `${id} IN (SELECT ${id} FROM ${ident(ALL_VERSIONS_VIEW)} WHERE ${scored} AND ${ofVersion(sameInputs.version)})`,
    );
  }
  return `SELECT * FROM ${ident(ALL_VERSIONS_VIEW)} WHERE ${where.join(' AND ')}`;
}

const timestamp = (d: Date) => `TIMESTAMPTZ ${literal(d.toISOString())}`;

/** A segment: a column and one of its values (as text; null for the rows without one). */
export interface Segment {
  column: string;
  value: string | null;
}

/** "race=Caucasian"; "race=(none)" for the rows without a value. */
export const segmentLabel = (s: Segment): string => `${s.column}=${s.value ?? '(none)'}`;

/** The values of a segment column, as text, in order, the rows without one last. */
export const segmentValuesSql = (column: string): string =>
  `SELECT DISTINCT CAST(${ident(column)} AS VARCHAR) AS value FROM ${ident(LOG_VIEW)} ORDER BY value NULLS LAST`;

/** `sql` with inference_log narrowed to one segment: the query itself is unchanged, nested under a CTE. */
export function inSegment(sql: string, segment: Segment): string {
  const col = `CAST(${ident(segment.column)} AS VARCHAR)`;
  const filter = segment.value === null ? `${col} IS NULL` : `${col} = ${literal(segment.value)}`;
  const query = sql.trim().replace(/;\s*$/, '');
  return `WITH ${ident(LOG_VIEW)} AS (SELECT * FROM ${ident(LOG_VIEW)} WHERE ${filter}) SELECT * FROM (${query})`;
}

/** Why a metric (or one segment of it) has no reading this round. */
export interface UnreadMetric {
  metric: string;
  segment?: string;
  reason:
    | 'UnsupportedSource'
    | 'QueryFailed'
    | 'NoData'
    | 'NoDataSource'
    | 'NoRequestColumn'
    | 'NoPrometheus'
    | 'PrometheusNotAllowed'
    | 'PrometheusUnreachable'
    | 'PrometheusTimeout'
    | 'AmbiguousResult'
    | 'NotANumber';
  message: string;
}

export type Shaped = { readings: MetricReading[]; unread: UnreadMetric[] };

/**
 * Readings from the rows a sql source returned: `value` and `samples`, and `segment` when one row per segment.
 * `segment` is the segment the query was narrowed to, if any.
 */
export function readingsFromRows(metric: string, rows: readonly Row[], at: string, segment?: string): Shaped {
  const out: Shaped = { readings: [], unread: [] };
  const where = { metric, ...(segment !== undefined ? { segment } : {}) };
  const columns = rows[0] ? Object.keys(rows[0]) : [];
  const missing = ['value', 'samples'].filter((c) => rows.length > 0 && !columns.includes(c));
  if (missing.length) {
    out.unread.push({
      ...where,
      reason: 'QueryFailed',
      message: `${metric}: the query must return columns value and samples; ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing (it returned ${columns.join(', ')})`,
    });
    return out;
  }
  const segmented = columns.includes('segment');
  if (segmented && segment !== undefined) {
    out.unread.push({
      ...where,
      reason: 'QueryFailed',
      message: `${metric}: the query returns a segment column and the metric lists segments; use one or the other`,
    });
    return out;
  }
  if (rows.length > 1 && !segmented) {
    out.unread.push({
      ...where,
      reason: 'QueryFailed',
      message: `${metric}: the query returned ${rows.length} rows; it must return one, or one per segment with a segment column`,
    });
    return out;
  }
  if (rows.length === 0) {
    out.unread.push({ ...where, reason: 'NoData', message: `${metric}: the query returned no row` });
    return out;
  }
  for (const row of rows) {
    const seg = segmented ? (row.segment === null ? '(none)' : String(row.segment)) : segment;
    const here = { metric, ...(seg !== undefined ? { segment: seg } : {}) };
    const value = numberOf(row.value);
    const samples = numberOf(row.samples) ?? 0;
    if (value === undefined) {
      out.unread.push({
        ...here,
        reason: 'NoData',
        message: `${label(metric, seg)}: no value (${samples} samples)${row.value === null ? '' : `; the query returned ${typeof row.value} ${'where a number belongs'}`}`,
      });
      continue;
    }
    out.readings.push({ ...here, value, samples: Math.round(samples), at });
  }
  return out;
}

const label = (metric: string, segment?: string) =>
  segment === undefined ? metric : `${metric} (${segment})`;

function numberOf(c: Cell | undefined): number | undefined {
  if (typeof c === 'number' && Number.isFinite(c)) return c;
  if (typeof c === 'string' && c.trim() !== '' && Number.isFinite(Number(c))) return Number(c);
  return undefined;
}
