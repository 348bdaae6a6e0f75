// Surveillance readings of a policy: each sql, drift and builtin metric read with DuckDB over the inference log
// the policy names (see sources.ts for what the SQL sees and must return, builtin.ts for the built-in metrics),
// and each prometheus metric over Prometheus's HTTP API (prometheus.ts).
//
// What cannot be read this round is returned beside the readings, each with a reason the reconciler can show:
// QueryFailed for a query that fails or returns the wrong shape, NoData for a window with no rows, NoDataSource
// when there is no repository to read the log from, and prometheus.ts's reasons. A log that cannot be opened at
// all (missing file, path outside the repository, remote URI) throws DataSourceError, a stalled error: no metric
// of the log can be read.

import { availableParallelism } from 'node:os';
import type { SurveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import { type DataEngine, withEngine } from '../data/engine.js';
import { DataSourceError, QueryError, SqlRefusedError } from '../data/errors.js';
import { ident } from '../data/sql.js';
import type { MetricReading } from '../kinds/surveillancepolicy/status.js';
import { toTimestamp } from '../runtime/conditions.js';
import { builtinOf, DriftQueries, readBuiltin, textColumns } from './builtin.js';
import { OUTCOME_COLUMNS } from './outcomes.js';
import { type PrometheusReadOptions, readPrometheusMetrics } from './prometheus.js';
import {
  ALL_VERSIONS_VIEW,
  inSegment,
  LOG_VIEW,
  logViewSql,
  MAX_SEGMENT_VALUES,
  readingsFromRows,
  type SameInputs,
  type Segment,
  type Shaped,
  segmentLabel,
  segmentValuesSql,
  type UnreadMetric,
} from './sources.js';

export type { UnreadMetric } from './sources.js';

export interface ReadMetricsOptions {
  /**
   * The governance repository root: the log's path resolves against it and may not leave it. None: the log's
   * metrics are not read (NoDataSource); prometheus metrics still are.
   */
  baseDir?: string;
  /** How prometheus sources are read: the controller's Prometheus URL, timeout and signal. */
  prometheus?: Omit<PrometheusReadOptions, 'now'>;
  /** The deployed version: only its rows are read. Every version's when omitted. */
  version?: string;
  /**
   * Read only the requests this other version scored too, matched on the log's request_id (or encounter_id)
   * column: a candidate and production on the same inputs. Without such a column the log's metrics are unread
   * (NoRequestColumn).
   */
  sameInputsAs?: string;
  now: Date;
}

export interface MetricReadings {
  readings: MetricReading[];
  unread: UnreadMetric[];
  /** With sameInputsAs: how many requests both versions scored. */
  inputs?: number;
}

/** The columns a request (or encounter) id is looked for under, in order, as for stage evidence. */
export const REQUEST_ID_COLUMNS = OUTCOME_COLUMNS.requestId;

type Metric = SurveillancePolicySpec['metrics'][number];

/** A policy's queries are many and mostly small: run them side by side, a core or more each (EngineOptions). */
export const QUERIES_AT_ONCE = Math.min(4, availableParallelism());

export async function readMetrics(
  spec: SurveillancePolicySpec,
  options: ReadMetricsOptions,
): Promise<MetricReadings> {
  const at = toTimestamp(options.now);
  const result: MetricReadings = await readPrometheusMetrics(spec, {
    ...options.prometheus,
    now: options.now,
  });
  const fromLog = spec.metrics.filter((m) => m.source.prometheus === undefined);
  const log = spec.inferenceLog;
  if (fromLog.length === 0 || !log) return result;
  const baseDir = options.baseDir;
  if (baseDir === undefined) {
    for (const m of fromLog) {
      result.unread.push({
        metric: m.name,
        reason: 'NoDataSource',
        message: `${m.name}: the controller runs without a data directory, so the inference log is not read`,
      });
    }
    return result;
  }

  await withEngine(
    baseDir,
    async (engine) => {
      await engine.register(ALL_VERSIONS_VIEW, log.uri, {
        ...(log.format !== undefined ? { format: log.format } : {}),
        columnTypes: textColumns(spec),
      });
      // With sameInputsAs, the view is defined over the first request id column the log has: the engine is sealed
      // by its first query, so the columns are found by defining it, not by asking.
      let sameInputs: SameInputs | undefined;
      for (const column of options.sameInputsAs !== undefined ? REQUEST_ID_COLUMNS : []) {
        const tried = { version: options.sameInputsAs!, column };
        try {
          await engine.defineView(LOG_VIEW, logViewSql(log, options.now, options.version, tried));
          sameInputs = tried;
          break;
        } catch (err) {
          if (!(err instanceof QueryError)) throw err;
        }
      }
      if (sameInputs === undefined) {
        try {
          await engine.defineView(LOG_VIEW, logViewSql(log, options.now, options.version));
        } catch (err) {
          throw new DataSourceError(
            'InferenceLogUnreadable',
            `${log.uri}: cannot select the rows by ${log.timestampColumn}${options.version !== undefined ? ` and ${log.versionColumn}` : ''}: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
        }
        if (options.sameInputsAs !== undefined) {
          for (const m of fromLog) {
            result.unread.push({
              metric: m.name,
              reason: 'NoRequestColumn',
              message: `${m.name}: the inference log has no column ${REQUEST_ID_COLUMNS.join(' or ')}, so the requests both versions scored cannot be matched`,
            });
          }
          return;
        }
      }
      if (sameInputs !== undefined) {
        const id = `CAST(${ident(sameInputs.column)} AS VARCHAR)`;
        try {
          const [row] = await engine.query(`SELECT count(DISTINCT ${id}) AS n FROM ${ident(LOG_VIEW)}`);
          result.inputs = Number(row?.n ?? 0);
        } catch (err) {
          // The metrics say what fails with the view; the count is only shown beside them.
          if (!(err instanceof QueryError)) throw err;
        }
      }
      // Every metric is read at once: the engine runs as many queries together as it was opened for, in the
      // policy's order, and the readings keep that order.
      const drift = new DriftQueries(fromLog);
      const read = await Promise.all(fromLog.map((m) => readMetric(engine, spec, m, options.now, at, drift)));
      for (const shaped of read) {
        result.readings.push(...shaped.readings);
        result.unread.push(...shaped.unread);
      }
    },
    { queriesAtOnce: QUERIES_AT_ONCE },
  );
  return result;
}

async function readMetric(
  engine: DataEngine,
  spec: SurveillancePolicySpec,
  m: Metric,
  now: Date,
  at: string,
  drift: DriftQueries,
): Promise<Shaped> {
  // Builtins and drift sources compute in the engine, overall and per segment, in one query each (psi and ks
  // over the same column share theirs).
  if (builtinOf(m)) return readBuiltin(engine, spec.inferenceLog!, m, now, at, undefined, drift);
  const out: Shaped = { readings: [], unread: [] };
  const add = (s: Shaped) => {
    out.readings.push(...s.readings);
    out.unread.push(...s.unread);
  };
  const one = async (segment?: Segment): Promise<Shaped> => {
    try {
      const sql = segment ? inSegment(m.source.sql!, segment) : m.source.sql!;
      const rows = await engine.query(sql, { now });
      return readingsFromRows(m.name, rows, at, segment && segmentLabel(segment));
    } catch (err) {
      if (!(err instanceof QueryError || err instanceof SqlRefusedError)) throw err;
      const where = segment ? ` (${segmentLabel(segment)})` : '';
      return {
        readings: [],
        unread: [
          {
            metric: m.name,
            ...(segment ? { segment: segmentLabel(segment) } : {}),
            reason: 'QueryFailed',
            message: `${m.name}${where}: ${err.message}`,
          },
        ],
      };
    }
  };

  add(await one());
  for (const column of m.segments) {
    let values: (string | null)[];
    try {
      const rows = await engine.query(segmentValuesSql(column));
      values = rows.map((r) => (r.value === null ? null : String(r.value)));
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      out.unread.push({
        metric: m.name,
        reason: 'QueryFailed',
        message: `${m.name}: segment ${column}: ${err.message}`,
      });
      continue;
    }
    if (values.length > MAX_SEGMENT_VALUES) {
      out.unread.push({
        metric: m.name,
        reason: 'QueryFailed',
        message: `${m.name}: segment column ${column} has ${values.length} values; a segment has at most ${MAX_SEGMENT_VALUES}`,
      });
      continue;
    }
    for (const value of values) add(await one({ column, value }));
  }
  return out;
}
