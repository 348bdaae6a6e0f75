// Stage evidence: what the version in each stage has shown on its own requests (encounters, labelled outcomes,
// outcome metrics, human review), measured from the inference log by a reader the controller is handed (the
// metrics adapter), recorded in status.stages, and read back from there as the observations the gates hold
// against. The use case reconciler measures; a Promotion reads the same figures from the use case's status.
import type { SurveillancePolicySpec } from '../../../../specs/surveillancepolicy.js';
import type { UseCaseStatus } from '../../../../specs/usecase.js';
import type { StageObservations } from './gates.js';

type StatusStage = NonNullable<UseCaseStatus['stages']>[number];
export type StageEvidenceRecord = NonNullable<StatusStage['evidence']>;
export type InferenceLog = NonNullable<SurveillancePolicySpec['inferenceLog']>;

/** One stage to measure: the version it runs, and another to compare with on the same requests. */
export interface EvidenceQuery {
  stage: string;
  version: string;
  compareWith?: string;
}

/** Measures stages from an inference log; `measure` returns one record per query, in order. */
export interface StageEvidenceReader {
  measure(
    log: InferenceLog,
    queries: readonly EvidenceQuery[],
    now: Date,
  ): Promise<{ stage: string; version: string; evidence: StageEvidenceRecord }[]>;
}

/**
 * The stages to measure: each that runs a version, compared with the version of the first later stage that runs
 * another (what it would replace: production for a silent stage, the next wave for a pilot).
 */
export function evidenceQueries(stages: readonly { stage: string; version?: string }[]): EvidenceQuery[] {
  const out: EvidenceQuery[] = [];
  stages.forEach((s, i) => {
    if (s.version === undefined) return;
    const other = stages.slice(i + 1).find((t) => t.version !== undefined && t.version !== s.version);
    out.push({
      stage: s.stage,
      version: s.version,
      ...(other?.version !== undefined ? { compareWith: other.version } : {}),
    });
  });
  return out;
}

/**
 * The observations each stage's evidence gives the gates. The soak runs from the version's first logged request
 * in the stage when the log has one (it ran from then, whenever Vigil first saw it), from `since` otherwise.
 */
export function observationsFromStages(stages: readonly StatusStage[]): Record<string, StageObservations> {
  const out: Record<string, StageObservations> = {};
  for (const s of stages) {
    const e = s.evidence;
    if (e === undefined || s.version === undefined) continue;
    const since = e.firstSeen ?? s.since;
    if (e.problem !== undefined) {
      out[s.stage] = { version: s.version, ...(since ? { since } : {}), problem: e.problem };
      continue;
    }
    const unmeasured = [
      ...(e.labelledOutcomes === undefined
        ? [{ metric: 'labelledOutcomes', reason: 'the inference log records no outcome time' }]
        : []),
      ...(e.unmeasured ?? []),
    ];
    out[s.stage] = {
      version: s.version,
      ...(since ? { since } : {}),
      encounters: e.encounters,
      ...(e.labelledOutcomes !== undefined ? { labelledOutcomes: e.labelledOutcomes } : {}),
      ...(e.reviewed !== undefined ? { reviewed: e.reviewed, reviewedOf: e.reviewedOf ?? e.encounters } : {}),
      metrics: e.metrics.map((m) => ({ metric: m.metric, value: m.value })),
      ...(unmeasured.length > 0 ? { unmeasured } : {}),
    };
  }
  return out;
}

/** Evidence read at most once per interval per use case; sooner when what is measured changes. */
export class EvidenceCache {
  private readonly entries = new Map<
    string,
    { key: string; at: number; records: Awaited<ReturnType<StageEvidenceReader['measure']>> }
  >();

  constructor(
    private readonly reader: StageEvidenceReader,
    readonly intervalMs: number,
  ) {}

  /** The evidence of `queries` for the use case `id`, measured now or within the last interval. */
  async read(
    id: string,
    log: InferenceLog,
    queries: readonly EvidenceQuery[],
    now: Date,
  ): Promise<Record<string, { version: string; evidence: StageEvidenceRecord }>> {
    const key = JSON.stringify([log, queries]);
    let entry = this.entries.get(id);
    if (!entry || entry.key !== key || now.getTime() - entry.at >= this.intervalMs) {
      entry = { key, at: now.getTime(), records: await this.reader.measure(log, queries, now) };
      this.entries.set(id, entry);
    }
    return Object.fromEntries(
      entry.records.map((r) => [r.stage, { version: r.version, evidence: r.evidence }]),
    );
  }

  /** When the use case's evidence is next due a read, in milliseconds from `now`. */
  dueIn(id: string, now: Date): number | undefined {
    const entry = this.entries.get(id);
    return entry ? Math.max(1_000, entry.at + this.intervalMs - now.getTime()) : undefined;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}
