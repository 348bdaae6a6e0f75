// Readings of the built-in metrics (and of drift sources, which are built-in psi and ks): each compiled to SQL
// by builtin-metrics.ts and run by the engine over the inference log, overall and once per segment column.
// Only the one row per segment the engine returns reaches the controller.
import type { SurveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import type { DataEngine, Row } from '../data/engine.js';
import { QueryError, SqlRefusedError } from '../data/errors.js';
import type { SqlDialect } from '../data/sql.js';
import {
  type BuiltinSource,
  compileBuiltin,
  compileDrift,
  compileDriftBatch,
  compileDriftProbe,
  DRIFT_BATCH_COLUMNS,
  type DriftPlan,
  type DriftStatistic,
  driftPlanFor,
  HIGHER_IS_BETTER,
  perSegmentStatistic,
} from '../kinds/surveillancepolicy/builtin-metrics.js';
import type { MetricReading } from '../kinds/surveillancepolicy/status.js';
import { LOG_VIEW, MAX_SEGMENT_VALUES, type Shaped, segmentLabel } from './sources.js';

type Metric = SurveillancePolicySpec['metrics'][number];
type InferenceLog = NonNullable<SurveillancePolicySpec['inferenceLog']>;

/** The builtin a metric runs: its own, or the psi or ks its drift source asks for. */
export function builtinOf(m: Metric): BuiltinSource | undefined {
  if (m.source.builtin) return m.source.builtin;
  const drift = m.source.drift;
  if (!drift) return undefined;
  return {
    statistic: drift.statistic,
    column: drift.column,
    window: drift.currentWindow,
    lag: '0s',
    baselineWindow: drift.baselineWindow,
    bins: drift.bins,
    scoreRange: { min: 0, max: 1 },
  };
}

/**
 * Columns the builtins read as yes/no or as segments: read as text, so a CSV column holding only "NO" (or only
 * "YES") is not guessed to be BOOLEAN and its values stay what the policy names.
 */
export function textColumns(spec: SurveillancePolicySpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of spec.metrics) {
    const b = m.source.builtin;
    if (!b) continue;
    for (const c of [b.label?.column, b.override?.column, ...m.segments]) if (c) out[c] = 'VARCHAR';
  }
  return out;
}

interface SegmentRow {
  /** The segment's value as text; null for the rows without one, or for the overall row. */
  segment: string | null;
  /** The statistic; undefined when the rows define none (none at all, or one outcome only for an AUROC). */
  value?: number;
  samples: number;
  baselineSamples?: number;
  excluded: NonNullable<MetricReading['excluded']>;
}

/**
 * The psi and ks metrics of a policy, grouped by what they read: the same column, range and windows, overall or
 * by the same segment column. One query computes every statistic of a group (a column watched by both PSI and
 * KS is read once); the others take their value from its rows.
 *
 * The queries start together, the first time a metric of any group is read, after one probe of the log has chosen
 * each column's plan (driftPlanFor): those counted by bucket first, as they take longest, then the others, where
 * the columns counted value by value overall with the same windows and statistics share a query, up to
 * DRIFT_BATCH_COLUMNS of them (compileDriftBatch). The engine runs as many at once as it has connections.
 */
export class DriftQueries {
  private readonly statistics = new Map<string, DriftStatistic[]>();
  /** Each group's first metric and segment column. */
  private readonly groups = new Map<string, { b: BuiltinSource; groupBy: string | undefined }>();
  /** The columns the drift metrics read, probed together once for the plan that suits each. */
  private readonly columns: string[] = [];
  private results: Promise<Map<string, Promise<Row[]>>> | undefined;

  constructor(metrics: readonly Metric[]) {
    for (const m of metrics) {
      const b = builtinOf(m);
      if (b?.statistic !== 'psi' && b?.statistic !== 'ks') continue;
      if (!this.columns.includes(b.column!)) this.columns.push(b.column!);
      for (const groupBy of [undefined, ...m.segments]) {
        const key = driftKey(b, groupBy);
        if (!this.groups.has(key)) this.groups.set(key, { b, groupBy });
        const list = this.statistics.get(key) ?? [];
        if (!list.some((s) => sameStatistic(s, driftStatistic(b)))) list.push(driftStatistic(b));
        this.statistics.set(key, list);
      }
    }
  }

  /** The rows of `b`'s group, with `b`'s statistic as value; undefined for a metric the policy did not hold. */
  async rows(
    engine: DataEngine,
    b: BuiltinSource,
    options: Parameters<typeof compileDrift>[2],
  ): Promise<Row[] | undefined> {
    const key = driftKey(b, options.groupBy);
    const statistics = this.statistics.get(key);
    const index = statistics?.findIndex((s) => sameStatistic(s, driftStatistic(b))) ?? -1;
    if (!statistics || index < 0) return undefined;
    const { groupBy: _, ...base } = options;
    this.results ??= this.start(engine, base);
    const rows = await (await this.results).get(key)!;
    return rows.map((row) => ({ ...row, value: row[`value_${index}`] ?? null }));
  }

  private async start(
    engine: DataEngine,
    options: Omit<Parameters<typeof compileDrift>[2], 'groupBy'>,
  ): Promise<Map<string, Promise<Row[]>>> {
    const plans = await this.plans(engine, options);
    const planOf = (key: string) => plans.get(this.groups.get(key)!.b.column!) ?? { by: 'values' as const };
    const one = (key: string): Promise<Row[]> => {
      const { b, groupBy } = this.groups.get(key)!;
      return engine.query(
        compileDrift(b, this.statistics.get(key)!, {
          ...options,
          ...(groupBy !== undefined ? { groupBy } : {}),
          plan: planOf(key),
        }),
      );
    };
    const started = new Map<string, Promise<Row[]>>();
    const keys = [...this.groups.keys()];
    for (const key of keys.filter((k) => planOf(k).by === 'buckets')) started.set(key, one(key));
    // The rest overall, by windows and statistics: the columns a query can take together.
    const families = new Map<string, string[]>();
    for (const key of keys.filter((k) => !started.has(k) && this.groups.get(k)!.groupBy === undefined)) {
      const { b } = this.groups.get(key)!;
      const family = JSON.stringify([b.window, b.lag, b.baselineWindow, this.statistics.get(key)]);
      families.set(family, [...(families.get(family) ?? []), key]);
    }
    for (const members of families.values()) {
      for (let i = 0; i < members.length; i += DRIFT_BATCH_COLUMNS) {
        const batch = members.slice(i, i + DRIFT_BATCH_COLUMNS);
        if (batch.length === 1) continue;
        const shared = engine
          .query(
            compileDriftBatch(
              batch.map((k) => this.groups.get(k)!.b),
              this.statistics.get(batch[0]!)!,
              options,
            ),
          )
          // A query that fails for one column (one the log lacks) fails for all: each is then asked alone, and
          // only the column at fault reports the failure.
          .catch(() => undefined);
        batch.forEach((key, part) => {
          started.set(
            key,
            shared.then((rows) =>
              rows ? rows.filter((r) => Number(r.part) === part).map(({ part: _, ...row }) => row) : one(key),
            ),
          );
        });
      }
    }
    for (const key of keys.filter((k) => !started.has(k))) started.set(key, one(key));
    // Each metric of a group reports a failure for itself; none is left unhandled here.
    for (const result of started.values()) result.catch(() => undefined);
    return started;
  }

  /**
   * The plan for each column's queries. The probe only chooses how to count; should it fail (a column the log
   * lacks), every column is counted value by value and each query reports its own error.
   */
  private plans(
    engine: DataEngine,
    options: Omit<Parameters<typeof compileDrift>[2], 'groupBy'>,
  ): Promise<Map<string, DriftPlan>> {
    return engine.query(compileDriftProbe(this.columns, options)).then(
      ([row]) =>
        new Map(
          this.columns.map((c, i) => [
            c,
            driftPlanFor({ n: Number(row?.[`n_${i}`] ?? 0), distinct: Number(row?.[`distinct_${i}`] ?? 0) }),
          ]),
        ),
      () => new Map(),
    );
  }
}

const driftStatistic = (b: BuiltinSource): DriftStatistic =>
  b.statistic === 'psi' ? { statistic: 'psi', bins: b.bins } : { statistic: 'ks' };
const sameStatistic = (a: DriftStatistic, b: DriftStatistic) =>
  a.statistic === b.statistic && (a.statistic === 'ks' || a.bins === (b as { bins: number }).bins);
const driftKey = (b: BuiltinSource, groupBy: string | undefined) =>
  JSON.stringify([b.column, b.range ?? null, b.window, b.lag, b.baselineWindow, groupBy ?? null]);

export async function readBuiltin(
  engine: DataEngine,
  log: InferenceLog,
  m: Metric,
  now: Date,
  at: string,
  dialect?: SqlDialect,
  drift?: DriftQueries,
): Promise<Shaped> {
  const b = builtinOf(m)!;
  const out: Shaped = { readings: [], unread: [] };
  const run = async (groupBy?: string): Promise<SegmentRow[] | undefined> => {
    const options = {
      table: LOG_VIEW,
      timestampColumn: log.timestampColumn,
      now,
      ...(groupBy !== undefined ? { groupBy } : {}),
      ...(dialect ? { dialect } : {}),
    };
    try {
      const shared = await drift?.rows(engine, b, options);
      return (shared ?? (await engine.query(compileBuiltin(b, options)))).map(segmentRow);
    } catch (err) {
      if (!(err instanceof QueryError || err instanceof SqlRefusedError)) throw err;
      out.unread.push({
        metric: m.name,
        reason: 'QueryFailed',
        message: `${m.name}${groupBy !== undefined ? ` (segments by ${groupBy})` : ''}: ${err.message}`,
      });
      return undefined;
    }
  };
  const reading = (row: SegmentRow, value: number, segment?: string): MetricReading => ({
    metric: m.name,
    ...(segment !== undefined ? { segment } : {}),
    value,
    samples: row.samples,
    ...(row.baselineSamples !== undefined ? { baselineSamples: row.baselineSamples } : {}),
    excluded: row.excluded,
    at,
  });
  const noValue = (row: SegmentRow | undefined, segment?: string) => {
    out.unread.push({
      metric: m.name,
      ...(segment !== undefined ? { segment } : {}),
      reason: 'NoData',
      message: `${m.name}${segment !== undefined ? ` (${segment})` : ''}: insufficient data: ${why(perSegmentStatistic(b), row)}`,
    });
  };

  // An empty window gives no row at all: the same as a row of zero samples.
  const overall = (await run())?.[0] ?? (out.unread.length === 0 ? emptyRow() : undefined);
  const stat = perSegmentStatistic(b);
  const gap = b.statistic === 'subgroup-gap';
  if (overall && !gap) {
    if (overall.value !== undefined) out.readings.push(reading(overall, overall.value));
    else noValue(overall);
  }
  const reference = b.reference ?? overall?.value;
  let largest: { value: number; samples: number; row: SegmentRow } | undefined;
  for (const column of m.segments) {
    const rows = await run(column);
    if (!rows) continue;
    if (rows.length > MAX_SEGMENT_VALUES) {
      out.unread.push({
        metric: m.name,
        reason: 'QueryFailed',
        message: `${m.name}: segment column ${column} has ${rows.length} values; a segment has at most ${MAX_SEGMENT_VALUES}`,
      });
      continue;
    }
    for (const row of rows) {
      const segment = segmentLabel({ column, value: row.segment });
      if (row.value === undefined) {
        noValue(row, segment);
        continue;
      }
      if (!gap) {
        out.readings.push(reading(row, row.value, segment));
      } else if (reference !== undefined) {
        // Each segment against the reference: how much worse it is, in the statistic's own direction.
        const worse = HIGHER_IS_BETTER.has(stat) ? reference - row.value : row.value - reference;
        out.readings.push(reading(row, Math.max(0, worse), segment));
      }
    }
    if (!gap) continue;
    // The gap between the best and worst segments that have enough samples to be judged.
    const judged = rows.filter((r) => r.value !== undefined && r.samples >= m.minSamples);
    const label = column;
    if (judged.length < 2) {
      out.unread.push({
        metric: m.name,
        segment: label,
        reason: 'NoData',
        message: `${m.name} (${label}): insufficient data: ${judged.length} segment${judged.length === 1 ? '' : 's'} of ${column} with ${m.minSamples} samples; a gap needs two`,
      });
      continue;
    }
    const values = judged.map((r) => r.value!);
    const spread = Math.max(...values) - Math.min(...values);
    const samples = Math.min(...judged.map((r) => r.samples));
    const row = { ...judged[0]!, samples, excluded: sumExcluded(rows) };
    out.readings.push(reading(row, spread, label));
    if (!largest || spread > largest.value) largest = { value: spread, samples, row };
  }
  // The largest gap over the segment columns is the metric's overall value; each column said above why it has none.
  if (largest) out.readings.push(reading(largest.row, largest.value));
  return out;
}

function why(stat: string, row: SegmentRow | undefined): string {
  if (!row || row.samples === 0) return 'no usable rows in the window';
  if (row.baselineSamples === 0) return 'no usable rows in the baseline window';
  const rows = `${row.samples} row${row.samples === 1 ? '' : 's'}`;
  if (stat === 'auroc') return `${rows}, but not both outcomes among them`;
  return `${rows} give no value`;
}

const num = (c: Row[string] | undefined): number => (typeof c === 'number' ? c : Number(c ?? 0));

function segmentRow(r: Row): SegmentRow {
  const value = r.value;
  const defined = typeof value === 'number' && Number.isFinite(value);
  return {
    segment: r.segment === null || r.segment === undefined ? null : String(r.segment),
    ...(defined ? { value } : {}),
    samples: num(r.samples),
    ...(r.baseline_samples !== null && r.baseline_samples !== undefined
      ? { baselineSamples: num(r.baseline_samples) }
      : {}),
    excluded: {
      missing: num(r.missing),
      nan: num(r.nan),
      outOfRange: num(r.out_of_range),
      unlabelled: num(r.unlabelled),
    },
  };
}

function emptyRow(): SegmentRow {
  return { segment: null, samples: 0, excluded: { missing: 0, nan: 0, outOfRange: 0, unlabelled: 0 } };
}

function sumExcluded(rows: readonly SegmentRow[]): SegmentRow['excluded'] {
  const total = { missing: 0, nan: 0, outOfRange: 0, unlabelled: 0 };
  for (const r of rows) {
    total.missing += r.excluded.missing;
    total.nan += r.excluded.nan;
    total.outOfRange += r.excluded.outOfRange;
    total.unlabelled += r.excluded.unlabelled;
  }
  return total;
}
