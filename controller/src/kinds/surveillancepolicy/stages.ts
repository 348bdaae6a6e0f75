// Surveillance of each stage's version: production's version is judged by decideSurveillanceStatus and its tiers
// act; a version running in an earlier stage (silent, shadow, a pilot wave) is a candidate, judged by the same
// tiers over its own rows of the log, and next to production's version on the requests both scored. A candidate's
// breach reaches nobody's patients through production, so it never opens a review or a rollback: it is told
// (a CandidateBreach Event, the CandidateHealthy condition, status.candidateTier) and recorded in status.stages,
// which a promotion of that version carries in its evidence.
//
// Within a stage's version each metric (and segment) tells its tier once: an Event when it reaches a higher tier
// than the last judged reading of that version showed, and a CandidateRecovered Event when it is back below the
// first tier. A reading below minSamples keeps the tier it had.
import type {
  SurveillancePolicySpec,
  SurveillancePolicyStatus,
} from '../../../../specs/surveillancepolicy.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import { toTimestamp } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition } from '../conditions.js';
import { actionMetric, describeReading, type MetricReading, metricLabel, tierLabel } from './status.js';
import { degradationTier, levelOf, levelRank, type TierLevel, tierNamed } from './tiers.js';

const worse = (a: TierLevel, b: TierLevel): TierLevel => (levelRank(b) > levelRank(a) ? b : a);

export type StageStatus = NonNullable<SurveillancePolicyStatus['stages']>[number];
type StageMetric = NonNullable<StageStatus['metrics']>[number];
type Comparison = NonNullable<StageStatus['comparison']>;

/** A stage and the version it runs; `production` when that is production's version. */
export interface FollowedStage {
  stage: string;
  version: string;
  production: boolean;
}

/** What was read for one candidate version: its own rows, and the requests production scored too. */
export interface CandidateReading {
  version: string;
  readings: readonly MetricReading[];
  /** Why metrics went unread, one line each. */
  unread: readonly string[];
  /** Why nothing could be read at all (the log unreadable, no metric reads it). */
  problem?: string;
  sameInputs?: {
    /** Requests both versions scored; undefined when not counted. */
    inputs?: number;
    candidate: readonly MetricReading[];
    production: readonly MetricReading[];
    problem?: string;
  };
}

export interface StagesDecision {
  stages: StageStatus[];
  /** Worst action reached by a candidate; undefined when no candidate was judged. */
  candidateTier?: TierLevel;
  condition: ConditionUpdate;
  events: EventSpec[];
}

/**
 * The stages to follow, in the order given (train order): each that runs a version. Undefined when production's
 * version is unknown, so no stage can be told to be production or not.
 */
export function followedStages(
  stages: readonly { stage: string; version?: string }[],
  productionVersion: string | undefined,
): FollowedStage[] | undefined {
  if (productionVersion === undefined) return undefined;
  return stages.flatMap((s) =>
    s.version === undefined
      ? []
      : [{ stage: s.stage, version: s.version, production: s.version === productionVersion }],
  );
}

/** The candidate versions to read: each one an earlier stage runs, once. */
export const candidateVersions = (stages: readonly FollowedStage[]): string[] => [
  ...new Set(stages.filter((s) => !s.production).map((s) => s.version)),
];

/** The policy narrowed to what tells versions apart: the metrics read from the inference log. */
export function logMetricsOnly(spec: SurveillancePolicySpec): SurveillancePolicySpec {
  return { ...spec, metrics: spec.metrics.filter((m) => m.source.prometheus === undefined) };
}

const round = (n: number) => Number(n.toFixed(4));
const stable = (n: number) => Number(n.toPrecision(10));

/**
 * `productionTier`: the worst tier production's version reached this round (status.worstTier). `reads`: what was
 * read for each candidate version. `previous`: the status before, for the tier each candidate metric last showed.
 */
export function decideStages(
  spec: SurveillancePolicySpec,
  stages: readonly FollowedStage[],
  productionTier: string | undefined,
  reads: ReadonlyMap<string, CandidateReading>,
  previous: SurveillancePolicyStatus | undefined,
): StagesDecision {
  const production = stages.find((s) => s.production)?.version;
  const events: EventSpec[] = [];
  const byVersion = new Map<string, Omit<StageStatus, 'stage' | 'version' | 'production'>>();
  const breaches: string[] = [];
  const problems: string[] = [];

  for (const version of candidateVersions(stages)) {
    const read = reads.get(version);
    const where = stages.filter((s) => s.version === version).map((s) => s.stage);
    const runs = `${where.join(' and ')} run${where.length === 1 ? 's' : ''} ${version}`;
    if (!read || read.problem !== undefined) {
      const problem = read?.problem ?? 'not read';
      problems.push(`${runs}: ${problem}`);
      byVersion.set(version, { problem });
      continue;
    }
    const before = previousMetrics(previous, version);
    const metrics: StageMetric[] = [];
    let worst: TierLevel = 'none';
    for (const r of sortReadings(spec, read.readings)) {
      const metric = spec.metrics.find((m) => m.name === r.metric);
      if (!metric) continue;
      const key = actionMetric(r.metric, r.segment);
      const last = before.get(key);
      const judgement = degradationTier(metric, r.value, r.samples, r.baselineSamples);
      const base: StageMetric = {
        name: r.metric,
        ...(r.segment !== undefined ? { segment: r.segment } : {}),
        value: stable(r.value),
        ...(r.samples !== undefined ? { samples: r.samples } : {}),
        ...(r.baselineSamples !== undefined ? { baselineSamples: r.baselineSamples } : {}),
      };
      if (!judgement.judged) {
        // Too few samples: the last judged tier stands.
        const carried = tierNamed(metric, last?.tier).tier;
        const entry: StageMetric = {
          ...base,
          ...(last?.tier !== undefined ? { tier: last.tier } : {}),
          ...(last?.since !== undefined ? { since: last.since } : {}),
        };
        if (r.segment === undefined || carried) metrics.push(entry);
        if (carried) {
          worst = worse(worst, levelOf(carried));
          breaches.push(
            `${runs}: ${metricLabel(r.metric, r.segment)} at ${tierLabel(carried)} since ${last?.since ?? 'before'} (too few samples now to judge)`,
          );
        }
        continue;
      }
      const since =
        last?.tier === judgement.name && last.since !== undefined ? last.since : toTimestamp(new Date(r.at));
      const entry: StageMetric = {
        ...base,
        degradation: round(judgement.degradation),
        tier: judgement.name,
        since,
      };
      // Segments are listed only while they are at a tier: the overall figures are what a reader compares.
      if (r.segment === undefined || judgement.tier) metrics.push(entry);
      const lastIndex = tierNamed(metric, last?.tier).index;
      if (judgement.tier) {
        worst = worse(worst, levelOf(judgement.tier));
        const what = `${metricLabel(r.metric, r.segment)} reached ${tierLabel(judgement.tier)}: ${describeReading(metric, entry)}`;
        breaches.push(`${runs}: ${what}`);
        if (judgement.index > lastIndex) {
          events.push({
            type: 'Warning',
            reason: 'CandidateBreach',
            message: `${runs}, a candidate (production runs ${production}): ${what}; a candidate's breach is told, never acted on, and a promotion of ${version} carries it in its evidence`,
          });
        }
      } else if (lastIndex >= 0) {
        events.push({
          type: 'Normal',
          reason: 'CandidateRecovered',
          message: `${runs}: ${metricLabel(r.metric, r.segment)} is back below its first tier: ${describeReading(metric, entry)}`,
        });
      }
    }
    const judged = metrics.some((m) => m.tier !== undefined);
    if (read.readings.length === 0 && read.unread.length > 0) problems.push(`${runs}: ${read.unread[0]}`);
    byVersion.set(version, {
      ...(judged ? { worstTier: worst, breached: worst !== 'none' } : {}),
      metrics,
      ...(read.sameInputs && production !== undefined
        ? { comparison: comparisonOf(read.sameInputs, production) }
        : {}),
      ...(read.readings.length === 0 && read.unread.length > 0 ? { problem: read.unread.join('; ') } : {}),
    });
  }

  const out: StageStatus[] = stages.map((s) => {
    if (s.production) {
      return {
        stage: s.stage,
        version: s.version,
        production: true,
        ...(productionTier !== undefined
          ? { worstTier: productionTier, breached: productionTier !== 'none' }
          : {}),
      };
    }
    return { stage: s.stage, version: s.version, production: false, ...byVersion.get(s.version) };
  });
  const judged = out.filter((s) => !s.production && s.worstTier !== undefined);
  const candidateTier = judged.length
    ? judged.reduce<TierLevel>((w, s) => worse(w, s.worstTier as TierLevel), 'none')
    : undefined;
  return {
    stages: out,
    ...(candidateTier !== undefined ? { candidateTier } : {}),
    condition: candidateCondition(stages, production, breaches, problems, judged.length),
    events,
  };
}

/** The tier and since each metric of `version` showed in the previous status, from any stage running it. */
function previousMetrics(
  previous: SurveillancePolicyStatus | undefined,
  version: string,
): Map<string, StageMetric> {
  const out = new Map<string, StageMetric>();
  for (const s of previous?.stages ?? []) {
    if (s.production || s.version !== version) continue;
    for (const m of s.metrics ?? []) out.set(actionMetric(m.name, m.segment), m);
  }
  return out;
}

/** Readings in the policy's metric order, the overall value before segments. */
function sortReadings(spec: SurveillancePolicySpec, readings: readonly MetricReading[]): MetricReading[] {
  const order = new Map(spec.metrics.map((m, i) => [m.name, i]));
  return [...readings].sort(
    (a, b) =>
      (order.get(a.metric) ?? 0) - (order.get(b.metric) ?? 0) ||
      (a.segment === undefined ? -1 : b.segment === undefined ? 1 : a.segment.localeCompare(b.segment)),
  );
}

function comparisonOf(same: NonNullable<CandidateReading['sameInputs']>, production: string): Comparison {
  const overall = (rs: readonly MetricReading[]) =>
    new Map(rs.filter((r) => r.segment === undefined).map((r) => [r.metric, r]));
  const mine = overall(same.candidate);
  const theirs = overall(same.production);
  const names = [...new Set([...mine.keys(), ...theirs.keys()])];
  return {
    version: production,
    inputs: same.inputs ?? 0,
    metrics: names.map((name) => ({
      name,
      ...(mine.has(name) ? { candidate: stable(mine.get(name)!.value) } : {}),
      ...(theirs.has(name) ? { production: stable(theirs.get(name)!.value) } : {}),
      ...(mine.get(name)?.samples !== undefined ? { samples: mine.get(name)!.samples } : {}),
    })),
    ...(same.problem !== undefined ? { problem: same.problem } : {}),
  };
}

function candidateCondition(
  stages: readonly FollowedStage[],
  production: string | undefined,
  breaches: readonly string[],
  problems: readonly string[],
  judged: number,
): ConditionUpdate {
  const type = 'CandidateHealthy';
  const candidates = stages.filter((s) => !s.production);
  if (candidates.length === 0) {
    return condition(
      type,
      'True',
      'NoCandidate',
      production === undefined
        ? 'no stage runs a version yet'
        : `every stage that runs a version runs production's ${production}`,
    );
  }
  if (breaches.length > 0) {
    return condition(
      type,
      'False',
      'CandidateBreached',
      `${breaches.join('; ')}; production runs ${production}, and a candidate's breach is told, never acted on`,
    );
  }
  if (judged === 0) {
    return condition(
      type,
      'Unknown',
      problems.length > 0 ? 'CandidateNotRead' : 'InsufficientSamples',
      problems.length > 0
        ? problems.join('; ')
        : `no metric of ${candidates.map((s) => `${s.stage} (${s.version})`).join(', ')} has the samples to be judged yet`,
    );
  }
  const runs = candidates.map((s) => `${s.stage} runs ${s.version}`).join(', ');
  return condition(
    type,
    'True',
    'CandidatesHealthy',
    `${runs}: no metric has reached a tier${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`,
  );
}

/** The condition when stages are not followed: why each version is not told apart. */
export function notFollowedCondition(why: string): ConditionUpdate {
  return condition('CandidateHealthy', 'Unknown', 'StagesNotFollowed', why);
}
