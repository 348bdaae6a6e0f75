// What a stage or wave has shown on its own requests, measured from the inference and outcome log: how many
// requests the version running there has drafted, how many have a decision (a labelled outcome), the outcome
// metrics a release train's expansion criteria name (cycle time P50 and P90, first-pass approval, rework,
// override, a person's review time per request), the share of drafts a person reviewed, and, where the log holds both, the candidate against
// production on the same requests. One query per stage, run by the engine that holds the log (DuckDB here; the
// SQL is what PostgreSQL accepts too, through the same dialect layer): no row of the log reaches the controller.
//
// The log is the one the use case's SurveillancePolicy names (spec.inferenceLog: its timestamp column is when the
// request was drafted, its version column the version that drafted it); the other columns have fixed names,
// listed in OUTCOME_COLUMNS (with the other names each is found under) and documented in docs/release-trains.md.
import type { SurveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import { type Cell, type DataEngine, withEngine } from '../data/engine.js';
import { DataSourceError, QueryError } from '../data/errors.js';
import { DUCKDB, ident, literal, type SqlDialect } from '../data/sql.js';
import type { StageEvidenceReader, StageEvidenceRecord } from '../kinds/usecase/evidence.js';
import { toTimestamp } from '../runtime/conditions.js';

export type InferenceLog = NonNullable<SurveillancePolicySpec['inferenceLog']>;

/**
 * The log's columns besides the policy's timestamp and version columns, each with the names it is looked for
 * under, in order: the first the log has is read. Only the timestamp and version columns are required.
 */
export const OUTCOME_COLUMNS = {
  /**
   * The stage or wave that served the request, named as on the release train. Without it a version's rows
   * count for the one stage that runs it (and for none while two stages run the same version).
   */
  stage: ['stage'],
  /** When the request came in: cycle time runs from here. The timestamp column when the log has neither. */
  requestedAt: ['requested_at', 'received_at'],
  /**
   * When the outcome became known (the payer's decision; a readmission recorded or ruled out); empty until then.
   * A row with one is a labelled outcome.
   */
  decidedAt: ['decided_at', 'outcome_recorded_at'],
  /** Approved on first submission, without a request for more information (yes/no). */
  firstPassApproved: ['first_pass_approved'],
  /** The request had to be reworked and resubmitted (yes/no). */
  reworked: ['reworked'],
  /** A person reviewed the draft (yes/no). */
  humanReviewed: ['human_reviewed'],
  /**
   * Minutes a person spent reviewing the draft: empty until reviewed. A draft the log says nobody reviewed
   * (human_reviewed no) counts as no time.
   */
  reviewMinutes: ['nurse_review_minutes', 'review_minutes', 'reviewer_minutes'],
  /** The reviewer discarded, overrode or substantially rewrote the output (yes/no). */
  overridden: ['overridden', 'substantially_edited', 'care_manager_override'],
  /** The request the output was made for; rows of two versions with the same id saw the same input. */
  requestId: ['request_id', 'encounter_id'],
} as const;
export type OutcomeColumn = keyof typeof OUTCOME_COLUMNS;

/** The column read for each role, or undefined where the log has none. */
export type LogColumns = Partial<Record<OutcomeColumn, string>>;

/** Which of the log's columns serve which role. */
export function logColumns(present: ReadonlySet<string>): LogColumns {
  const out: LogColumns = {};
  for (const [role, names] of Object.entries(OUTCOME_COLUMNS) as [OutcomeColumn, readonly string[]][]) {
    const found = names.find((n) => present.has(n));
    if (found !== undefined) out[role] = found;
  }
  return out;
}

/** Every role filled by its first name: what a log written for Vigil holds. */
export const ALL_COLUMNS: LogColumns = Object.fromEntries(
  Object.entries(OUTCOME_COLUMNS).map(([role, names]) => [role, names[0]]),
);

/** The outcome metrics measured, by the names release trains and baselines use. */
export const OUTCOME_METRICS = [
  'cycle-time-p50-hours',
  'cycle-time-p90-hours',
  'first-pass-approval-rate',
  'rework-rate',
  'override-rate',
  'nurse-hours-per-request',
] as const;
export type OutcomeMetric = (typeof OUTCOME_METRICS)[number];

/** Which columns each metric needs (beyond the version and timestamp). */
const NEEDS: Record<OutcomeMetric, readonly OutcomeColumn[]> = {
  'cycle-time-p50-hours': ['decidedAt'],
  'cycle-time-p90-hours': ['decidedAt'],
  'first-pass-approval-rate': ['decidedAt', 'firstPassApproved'],
  'rework-rate': ['decidedAt', 'reworked'],
  'override-rate': ['overridden'],
  'nurse-hours-per-request': ['reviewMinutes'],
};

export interface StageQuery {
  stage: string;
  /** The version running in the stage: only its rows count. */
  version: string;
  /** Another version (production's) to compare with on the same requests, when the log has both. */
  compareWith?: string;
}

export interface MetricValue {
  metric: OutcomeMetric;
  value: number;
  /** Rows behind the value. */
  samples: number;
}

export interface StageEvidence {
  stage: string;
  version: string;
  /** The first request the version drafted in the stage: when the stage started for it. */
  firstSeen?: Date;
  /** Requests the version drafted in the stage, up to now. */
  encounters: number;
  /** Of those, requests with an outcome by now; undefined when the log records no outcome time. */
  labelledOutcomes?: number;
  /**
   * Drafts a person reviewed, of `reviewedOf`: the drafts whose review was due, those that went out and have a
   * decision (every draft when the log has no decided_at). Undefined when the log has no human_reviewed column.
   */
  reviewed?: number;
  reviewedOf?: number;
  metrics: MetricValue[];
  /** Metrics without a value, and why (a column missing, no labelled outcome yet). */
  unmeasured: { metric: OutcomeMetric; reason: string }[];
  /** The same metrics for `compareWith`, over the requests both versions drafted. */
  comparison?: {
    version: string;
    inputs: number;
    metrics: { metric: OutcomeMetric; candidate?: number; other?: number }[];
  };
}

export interface OutcomeQueryOptions {
  table: string;
  log: Pick<InferenceLog, 'timestampColumn' | 'versionColumn'>;
  /** The columns the log has for each role; metrics needing a missing one are left unmeasured. */
  columns: LogColumns;
  now: Date;
  dialect?: SqlDialect;
}

/** A yes/no column as 1, 0 or NULL, whatever the log stored it as: boolean, 0/1, yes/no, true/false. */
function flag(d: SqlDialect, column: string): string {
  const text = `lower(trim(${d.toText(ident(column))}))`;
  return (
    `CASE WHEN ${text} IN ('true', 't', 'yes', 'y', '1', '1.0') THEN 1 ` +
    `WHEN ${text} IN ('false', 'f', 'no', 'n', '0', '0.0') THEN 0 END`
  );
}

const tstz = (column: string) => `CAST(${ident(column)} AS TIMESTAMP WITH TIME ZONE)`;

/**
 * The rows of one version, classified: drafted at `t`; `hours` from request to decision for a labelled row (a
 * decision by now, not before the request), else NULL; each flag 1, 0 or NULL. Every outcome is NULL for a row
 * without a decision by now, so an outcome that has not matured never counts.
 */
function classifiedSql(o: OutcomeQueryOptions, where: string): string {
  const d = o.dialect ?? DUCKDB;
  const c = o.columns;
  const now = d.timestamp(o.now);
  const t = tstz(o.log.timestampColumn);
  const requested = c.requestedAt ? tstz(c.requestedAt) : t;
  const decided = c.decidedAt ? tstz(c.decidedAt) : 'CAST(NULL AS TIMESTAMP WITH TIME ZONE)';
  const labelled = `${decided} IS NOT NULL AND ${decided} <= ${now} AND ${decided} >= ${requested}`;
  const outcome = (role: OutcomeColumn) =>
    c[role] ? `CASE WHEN ${labelled} THEN ${flag(d, c[role])} END` : 'NULL';
  const reviewed = c.humanReviewed ? flag(d, c.humanReviewed) : 'NULL';
  const overridden = c.overridden ? flag(d, c.overridden) : 'NULL';
  // Overrides among the reviewed outputs; among all when the log does not record review.
  const overrides = c.humanReviewed ? `CASE WHEN ${reviewed} = 1 THEN ${overridden} END` : overridden;
  const id = c.requestId ? d.toText(ident(c.requestId)) : 'NULL';
  // A draft's review is due once it went out: when it has a decision, or always when the log records none.
  const due = c.decidedAt ? `CASE WHEN ${labelled} THEN 1 END` : '1';
  // A person's review time in hours, for a draft whose review was due: the minutes recorded (a number from 0,
  // not NaN, under a week), no time when the log says nobody reviewed it, else unknown and not counted.
  const minutes = c.reviewMinutes ? d.toDouble(ident(c.reviewMinutes)) : 'NULL';
  const reviewHours = c.reviewMinutes
    ? `CASE WHEN (${due}) = 1 THEN CASE WHEN ${minutes} >= 0 AND ${minutes} < 10080 THEN ${minutes} / 60.0 ` +
      `WHEN ${reviewed} = 0 THEN 0 END END`
    : 'NULL';
  return (
    `SELECT ${id} AS request, ${t} AS t, ` +
    `CASE WHEN ${labelled} THEN (EXTRACT(EPOCH FROM ${decided}) - EXTRACT(EPOCH FROM ${requested})) / 3600.0 END AS hours, ` +
    `${outcome('firstPassApproved')} AS approved, ${outcome('reworked')} AS reworked, ` +
    `${due} AS due, ${reviewed} AS reviewed, ${overrides} AS overridden, ${reviewHours} AS review_hours ` +
    `FROM ${ident(o.table)} WHERE ${where} AND ${t} <= ${now}`
  );
}

/** The aggregates over a classified set of rows; each metric's value and its sample count. */
const AGGREGATES =
  'count(*) AS encounters, min(t) AS first_seen, count(hours) AS labelled, ' +
  'count(*) FILTER (WHERE due = 1 AND reviewed = 1) AS reviewed, count(due) AS review_due, ' +
  'percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS p50, ' +
  'percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90, ' +
  'avg(approved) AS approved, count(approved) AS approved_samples, ' +
  'avg(reworked) AS reworked, count(reworked) AS reworked_samples, ' +
  'avg(overridden) AS overridden, count(overridden) AS overridden_samples, ' +
  'avg(review_hours) AS review_hours, count(review_hours) AS review_hours_samples';

const versionIs = (o: OutcomeQueryOptions, version: string) =>
  `${(o.dialect ?? DUCKDB).toText(ident(o.log.versionColumn))} = ${literal(version)}`;
/** The rows of `stage`'s version; by version alone when the log has no stage column (the caller checked). */
const stageRows = (o: OutcomeQueryOptions, q: StageQuery) => {
  const version = versionIs(o, q.version);
  const stage = o.columns.stage;
  return stage === undefined
    ? version
    : `${(o.dialect ?? DUCKDB).toText(ident(stage))} = ${literal(q.stage)} AND ${version}`;
};

/** One row: the version's figures in the stage (see AGGREGATES). */
export function stageEvidenceSql(q: StageQuery, o: OutcomeQueryOptions): string {
  return `WITH rows AS (${classifiedSql(o, stageRows(o, q))}) SELECT ${AGGREGATES} FROM rows`;
}

/**
 * Two rows, side 'c' (the stage's version) and 'o' (the other version, in any stage), each over the requests
 * both versions drafted: the same inputs. Needs the request_id column.
 */
export function pairedEvidenceSql(q: StageQuery & { compareWith: string }, o: OutcomeQueryOptions): string {
  const mine = classifiedSql(o, stageRows(o, q));
  const other = classifiedSql(o, versionIs(o, q.compareWith));
  return (
    `WITH mine AS (${mine}), other AS (${other}), ` +
    'paired AS (SELECT request FROM mine WHERE request IS NOT NULL INTERSECT SELECT request FROM other), ' +
    "rows AS (SELECT 'c' AS side, * FROM mine WHERE request IN (SELECT request FROM paired) " +
    "UNION ALL SELECT 'o' AS side, * FROM other WHERE request IN (SELECT request FROM paired)) " +
    `SELECT side, count(DISTINCT request) AS inputs, ${AGGREGATES} FROM rows GROUP BY side ORDER BY side`
  );
}

const num = (c: Cell | undefined): number | undefined => {
  if (c === null || c === undefined) return undefined;
  const n = typeof c === 'number' ? c : Number(c);
  return Number.isFinite(n) ? n : undefined;
};
const count = (c: Cell | undefined) => num(c) ?? 0;

/** The metrics of one aggregate row, with the samples behind each. */
function metricsOf(row: Record<string, Cell>): Map<OutcomeMetric, MetricValue> {
  const out = new Map<OutcomeMetric, MetricValue>();
  const put = (metric: OutcomeMetric, value: Cell | undefined, samples: number) => {
    const v = num(value);
    if (v !== undefined && samples > 0) out.set(metric, { metric, value: v, samples });
  };
  put('cycle-time-p50-hours', row.p50, count(row.labelled));
  put('cycle-time-p90-hours', row.p90, count(row.labelled));
  put('first-pass-approval-rate', row.approved, count(row.approved_samples));
  put('rework-rate', row.reworked, count(row.reworked_samples));
  put('override-rate', row.overridden, count(row.overridden_samples));
  put('nurse-hours-per-request', row.review_hours, count(row.review_hours_samples));
  return out;
}

/** Why a metric has no value: a column the log lacks, or nothing to measure yet. */
function whyUnmeasured(metric: OutcomeMetric, columns: LogColumns): string {
  const missing = NEEDS[metric].filter((role) => columns[role] === undefined);
  if (missing.length > 0) {
    return `the inference log has no column ${missing.map((r) => OUTCOME_COLUMNS[r].join(' or ')).join(', nor ')}`;
  }
  return metric === 'override-rate' || metric === 'nurse-hours-per-request'
    ? 'no reviewed draft yet'
    : 'no labelled outcome yet';
}

/** The evidence of one stage from the engine's answers to stageEvidenceSql (and pairedEvidenceSql). */
export function stageEvidenceFrom(
  q: StageQuery,
  row: Record<string, Cell>,
  columns: LogColumns,
  paired?: readonly Record<string, Cell>[],
): StageEvidence {
  const measured = metricsOf(row);
  const firstSeen = row.first_seen;
  const evidence: StageEvidence = {
    stage: q.stage,
    version: q.version,
    ...(firstSeen instanceof Date ? { firstSeen } : {}),
    encounters: count(row.encounters),
    ...(columns.decidedAt !== undefined ? { labelledOutcomes: count(row.labelled) } : {}),
    ...(columns.humanReviewed !== undefined
      ? { reviewed: count(row.reviewed), reviewedOf: count(row.review_due) }
      : {}),
    metrics: OUTCOME_METRICS.flatMap((m) => measured.get(m) ?? []),
    unmeasured: OUTCOME_METRICS.filter((m) => !measured.has(m)).map((metric) => ({
      metric,
      reason: whyUnmeasured(metric, columns),
    })),
  };
  if (q.compareWith !== undefined && paired !== undefined) {
    const mine = paired.find((r) => r.side === 'c');
    const other = paired.find((r) => r.side === 'o');
    const a = mine ? metricsOf(mine) : new Map();
    const b = other ? metricsOf(other) : new Map();
    evidence.comparison = {
      version: q.compareWith,
      inputs: count(mine?.inputs),
      metrics: OUTCOME_METRICS.filter((m) => a.has(m) || b.has(m)).map((metric) => ({
        metric,
        ...(a.has(metric) ? { candidate: a.get(metric)!.value } : {}),
        ...(b.has(metric) ? { other: b.get(metric)!.value } : {}),
      })),
    };
  }
  return evidence;
}

const LOG_TABLE = 'outcome_log';

export type MeasuredStage = StageEvidence | { stage: string; version: string; problem: string };

/** Evidence for each query, from one engine over the log; a stage whose query fails gets `problem`. */
export async function readStageEvidence(
  engine: DataEngine,
  log: InferenceLog,
  queries: readonly StageQuery[],
  now: Date,
): Promise<MeasuredStage[]> {
  // Read as text, so a CSV column of only "no" is not guessed to be BOOLEAN, nor an id to be a number.
  const text = (
    ['stage', 'firstPassApproved', 'reworked', 'humanReviewed', 'overridden', 'requestId'] as const
  )
    .flatMap((role) => OUTCOME_COLUMNS[role])
    .map((c) => [c, 'VARCHAR']);
  await engine.register(LOG_TABLE, log.uri, {
    ...(log.format !== undefined ? { format: log.format } : {}),
    columnTypes: Object.fromEntries(text),
  });
  const present = new Set((await engine.columns(LOG_TABLE)).map((c) => c.name));
  const required = [log.timestampColumn, log.versionColumn].filter((c) => !present.has(c));
  if (required.length > 0) {
    const problem = `the inference log ${log.uri} has no column ${required.join(' nor ')}; stage evidence needs the policy's timestampColumn and versionColumn`;
    return queries.map((q) => ({ stage: q.stage, version: q.version, problem }));
  }
  const columns = logColumns(present);
  const options: OutcomeQueryOptions = { table: LOG_TABLE, log, columns, now };
  const out: MeasuredStage[] = [];
  for (const q of queries) {
    const sharing = queries.find((other) => other.stage !== q.stage && other.version === q.version);
    if (columns.stage === undefined && sharing) {
      out.push({
        stage: q.stage,
        version: q.version,
        problem: `the inference log ${log.uri} has no column stage, and ${q.version} runs in ${q.stage} and ${sharing.stage}: its rows cannot be told apart`,
      });
      continue;
    }
    try {
      const [row] = await engine.query(stageEvidenceSql(q, options));
      const compare = q.compareWith !== undefined && columns.requestId !== undefined;
      const paired = compare
        ? await engine.query(pairedEvidenceSql({ ...q, compareWith: q.compareWith! }, options))
        : undefined;
      const { compareWith: _, ...plain } = q;
      out.push(stageEvidenceFrom(compare ? q : plain, row ?? {}, columns, paired));
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      out.push({ stage: q.stage, version: q.version, problem: `${log.uri}: ${err.message}` });
    }
  }
  return out;
}

/** Open an engine over the repository at `baseDir`, read the evidence of each stage, close it. */
export async function measureStages(
  baseDir: string,
  log: InferenceLog,
  queries: readonly StageQuery[],
  now: Date,
): Promise<MeasuredStage[]> {
  if (queries.length === 0) return [];
  try {
    return await withEngine(baseDir, (engine) => readStageEvidence(engine, log, queries, now));
  } catch (err) {
    if (!(err instanceof DataSourceError || err instanceof QueryError)) throw err;
    return queries.map((q) => ({ stage: q.stage, version: q.version, problem: err.message }));
  }
}

/** A figure as recorded: ten significant digits, so summation order in a parallel engine never rewrites status. */
const stable = (n: number) => Number(n.toPrecision(10));

/** The evidence as a use case's status records it. */
export function evidenceRecord(e: StageEvidence | { problem: string }): StageEvidenceRecord {
  if ('problem' in e) return { encounters: 0, metrics: [], problem: e.problem };
  return {
    ...(e.firstSeen ? { firstSeen: toTimestamp(e.firstSeen) } : {}),
    encounters: e.encounters,
    ...(e.labelledOutcomes !== undefined ? { labelledOutcomes: e.labelledOutcomes } : {}),
    ...(e.reviewed !== undefined ? { reviewed: e.reviewed, reviewedOf: e.reviewedOf ?? e.encounters } : {}),
    metrics: e.metrics.map((m) => ({ metric: m.metric, value: stable(m.value), samples: m.samples })),
    ...(e.unmeasured.length > 0 ? { unmeasured: e.unmeasured } : {}),
    ...(e.comparison
      ? {
          comparison: {
            version: e.comparison.version,
            inputs: e.comparison.inputs,
            metrics: e.comparison.metrics.map((m) => ({
              metric: m.metric,
              ...(m.candidate !== undefined ? { candidate: stable(m.candidate) } : {}),
              ...(m.other !== undefined ? { other: stable(m.other) } : {}),
            })),
          },
        }
      : {}),
  };
}

/** The reader the use case controller is handed: stage evidence from logs under the repository at `baseDir`. */
export function outcomeEvidenceReader(baseDir: string): StageEvidenceReader {
  return {
    async measure(log, queries, now) {
      const measured = await measureStages(baseDir, log, queries, now);
      return measured.map((e) => ({ stage: e.stage, version: e.version, evidence: evidenceRecord(e) }));
    },
  };
}
