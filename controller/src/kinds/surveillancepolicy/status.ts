// A surveillance policy's status from one round of readings: each metric's tier, the worst, and the actions due.
//
// An episode of a metric (and segment) starts when it leaves "none" and ends at the next judged reading back at
// "none". Within an episode each tier's action is taken once, when the tier is first reached, and a tier at or
// below the highest one already acted on triggers nothing: a metric swinging between review and notify opens
// one review, not one per swing. Every episode's first tier is acted on, so while an episode lasts the newest
// action recorded for the metric is its high-water mark; that is how status.actions tells episodes apart.
// When an episode ends, each of its actions is marked cleared, with when and the value read.
//
// A reading below minSamples is shown but not judged: the tier and since of the last judged reading stand, so a
// thin week neither clears a degradation nor starts a new episode. A metric with no reading this round keeps
// its last entry, and Ready says which metrics went unread.
import type {
  SurveillancePolicySpec,
  SurveillancePolicyStatus,
  TierAction,
} from '../../../../specs/surveillancepolicy.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import { toTimestamp } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition, MESSAGE_LIMIT } from '../conditions.js';
import {
  degradationTier,
  levelOf,
  levelRank,
  type Metric,
  type Tier,
  type TierLevel,
  tierNamed,
  worstTier,
} from './tiers.js';

export { MESSAGE_LIMIT };

export interface MetricReading {
  metric: string;
  /** e.g. "payer_type=medicaid"; the overall value when omitted. */
  segment?: string;
  value: number;
  /**
   * Samples behind the value; for a comparison of two windows (psi, ks), those in the current one. Undefined when
   * the source gives no count (a Prometheus query without a samplesQuery): the value is judged as read.
   */
  samples?: number;
  /** Samples in the baseline window of a comparison; both windows must reach minSamples to be judged. */
  baselineSamples?: number;
  /** Rows of the window a builtin metric left out, by why. */
  excluded?: MetricStatus['excluded'];
  /** When the value was read. */
  at: Date | string;
}

export type MetricStatus = NonNullable<SurveillancePolicyStatus['metrics']>[number];
export type ActionRecord = NonNullable<SurveillancePolicyStatus['actions']>[number];

/** An action for the reconciler to take before it writes status; notify is taken by emitting its Event. */
export interface DueAction {
  metric: string;
  segment?: string;
  tier: string;
  action: TierAction;
  useCase?: string;
  /** What was read, for the issue, the pull request or the Event. */
  message: string;
}

/** A breach that ended this round: a judged reading back below the first tier. */
export interface ClearedBreach {
  metric: string;
  segment?: string;
  /** When the reading that cleared it was read. */
  at: string;
  value: number;
}

export interface SurveillanceDecision {
  status: Pick<SurveillancePolicyStatus, 'lastEvaluated' | 'worstTier' | 'metrics' | 'actions'>;
  conditions: ConditionUpdate[];
  events: EventSpec[];
  /** Review issues and rollback promotions to open; status.actions already records them (reference unset). */
  due: DueAction[];
  /** Breaches that cleared; status.actions already marks their actions cleared (open review issues to close). */
  cleared: ClearedBreach[];
}

/** The metric as status.actions names it: the segment in brackets, e.g. "top1-accuracy[payer_type=medicaid]". */
export const actionMetric = (name: string, segment?: string): string =>
  segment === undefined ? name : `${name}[${segment}]`;

export const metricLabel = (name: string, segment?: string) =>
  segment === undefined ? name : `${name} (${segment})`;
const round = (n: number) => Number(n.toFixed(4));
const show = (n: number) => String(Number(n.toPrecision(12)));

interface Entry {
  metric: Metric;
  status: MetricStatus;
  tier?: Tier;
  judged: boolean;
}

/**
 * `useCases`: the use cases that name this policy; a review or rollback is opened for each. A notify is one
 * Event on the policy.
 */
export function decideSurveillanceStatus(
  spec: SurveillancePolicySpec,
  readings: readonly MetricReading[],
  previous: SurveillancePolicyStatus | undefined,
  now: Date,
  useCases: readonly string[] = [],
): SurveillanceDecision {
  const latest = latestReadings(spec, readings);
  const before = new Map((previous?.metrics ?? []).map((m) => [actionMetric(m.name, m.segment), m]));
  const history = previous?.actions ?? [];
  const entries: Entry[] = [];
  const unread: string[] = [];
  const due: DueAction[] = [];
  const events: EventSpec[] = [];
  const cleared: ClearedBreach[] = [];
  const belowFirstTier = new Map<string, { at: string; value: number }>();

  for (const metric of spec.metrics) {
    const mine = latest.filter((r) => r.metric === metric.name);
    if (mine.length === 0) {
      unread.push(metric.name);
      for (const m of previous?.metrics ?? []) {
        if (m.name !== metric.name) continue;
        const carried = tierNamed(metric, m.tier).tier;
        entries.push({
          metric,
          status: m,
          ...(carried ? { tier: carried } : {}),
          judged: m.degradation !== undefined,
        });
      }
      continue;
    }
    for (const r of mine) {
      const key = actionMetric(metric.name, r.segment);
      const last = before.get(key);
      const judgement = degradationTier(metric, r.value, r.samples, r.baselineSamples);
      const base = {
        name: metric.name,
        ...(r.segment !== undefined ? { segment: r.segment } : {}),
        value: r.value,
        ...(metric.baseline !== undefined ? { baseline: metric.baseline } : {}),
        ...(r.samples !== undefined ? { samples: r.samples } : {}),
        ...(r.baselineSamples !== undefined ? { baselineSamples: r.baselineSamples } : {}),
        ...(r.excluded !== undefined ? { excluded: r.excluded } : {}),
      };
      if (!judgement.judged) {
        const carried = tierNamed(metric, last?.tier);
        entries.push({
          metric,
          status: {
            ...base,
            ...(last?.tier !== undefined ? { tier: last.tier } : {}),
            ...(last?.since !== undefined ? { since: last.since } : {}),
          },
          ...(carried.tier ? { tier: carried.tier } : {}),
          judged: false,
        });
        continue;
      }
      // `since` holds while the tier does; a new tier dates from the reading that showed it.
      const since =
        last?.tier === judgement.name && last.since !== undefined ? last.since : toTimestamp(new Date(r.at));
      const status: MetricStatus = {
        ...base,
        degradation: round(judgement.degradation),
        tier: judgement.name,
        since,
      };
      entries.push({ metric, status, ...(judgement.tier ? { tier: judgement.tier } : {}), judged: true });

      const episodeOngoing = last?.tier !== undefined && last.tier !== 'none';
      if (judgement.tier === undefined) {
        // Below the first tier: any action not yet marked cleared is (actions recorded before clearing was).
        belowFirstTier.set(key, { at: toTimestamp(new Date(r.at)), value: r.value });
        if (episodeOngoing) {
          cleared.push({
            metric: metric.name,
            ...(r.segment !== undefined ? { segment: r.segment } : {}),
            at: toTimestamp(new Date(r.at)),
            value: r.value,
          });
          events.push({
            type: 'Normal',
            reason: 'MetricRecovered',
            message: `${metricLabel(metric.name, r.segment)} is back below its first tier: ${describeReading(metric, status)}`,
          });
        }
        continue;
      }
      const highWater = episodeOngoing ? highWaterMark(metric, key, history) : -1;
      if (judgement.index <= highWater) continue;
      const message = `${metricLabel(metric.name, r.segment)} reached ${tierLabel(judgement.tier)}: ${describeReading(metric, status)}`;
      const action = judgement.tier.action;
      const targets = action === 'notify' || useCases.length === 0 ? [undefined] : [...useCases].sort();
      for (const useCase of targets) {
        due.push({
          metric: metric.name,
          ...(r.segment !== undefined ? { segment: r.segment } : {}),
          tier: judgement.name,
          action,
          ...(useCase !== undefined ? { useCase } : {}),
          message,
        });
      }
      events.push({
        type: 'Warning',
        reason: `Surveillance${action[0]!.toUpperCase()}${action.slice(1)}`,
        message:
          action === 'notify'
            ? message
            : `${message}; opening a ${action === 'review' ? 'governance review issue' : 'rollback pull request'}${useCases.length > 0 ? ` for ${[...useCases].sort().join(', ')}` : ''}`,
      });
    }
  }

  const nowStamp = toTimestamp(now);
  const recorded: ActionRecord[] = due.map((d) => ({
    at: nowStamp,
    metric: actionMetric(d.metric, d.segment),
    tier: d.tier,
    action: d.action,
    ...(d.useCase !== undefined ? { useCase: d.useCase } : {}),
  }));
  // Every action of a breach that ended is marked cleared, once: earlier breaches' actions already are.
  const kept = history.map((a) => {
    const c = a.cleared === undefined ? belowFirstTier.get(a.metric) : undefined;
    return c ? { ...a, cleared: c } : a;
  });
  const worst = worstTier(entries.map((e) => e.tier));
  const readAt = latest.map((r) => new Date(r.at).getTime());
  return {
    status: {
      lastEvaluated: readAt.length > 0 ? toTimestamp(Math.max(...readAt)) : previous?.lastEvaluated,
      // Only what has been judged, now or before, has a tier: nothing judged is no verdict, not "none".
      worstTier: entries.some((e) => e.status.tier !== undefined) ? worst : undefined,
      metrics: entries.map((e) => e.status),
      actions: [...kept, ...recorded],
    },
    conditions: [readyCondition(spec, latest, unread), healthyCondition(entries, worst)],
    events,
    due: due.filter((d) => d.action !== 'notify'),
    cleared,
  };
}

/** The newest reading per metric and segment, for metrics the policy declares, in a stable order. */
function latestReadings(spec: SurveillancePolicySpec, readings: readonly MetricReading[]): MetricReading[] {
  const known = new Set(spec.metrics.map((m) => m.name));
  const newest = new Map<string, MetricReading>();
  for (const r of readings) {
    if (!known.has(r.metric)) continue;
    const key = actionMetric(r.metric, r.segment);
    const seen = newest.get(key);
    if (!seen || new Date(r.at).getTime() >= new Date(seen.at).getTime()) newest.set(key, r);
  }
  // The overall value first, then segments by name.
  return [...newest.values()].sort((a, b) =>
    a.segment === b.segment
      ? 0
      : a.segment === undefined
        ? -1
        : b.segment === undefined
          ? 1
          : a.segment.localeCompare(b.segment),
  );
}

/** Index of the tier last acted on for this metric: the current episode's high-water mark. */
function highWaterMark(metric: Metric, key: string, history: readonly ActionRecord[]): number {
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i]!.metric === key) return tierNamed(metric, history[i]!.tier).index;
  }
  return -1;
}

export const tierLabel = (tier: Tier) =>
  tier.name && tier.name !== tier.action ? `${tier.name} (${tier.action})` : tier.action;

/** A reading against its baseline, as a safety lead reads it. */
export function describeReading(
  metric: Metric,
  s: Pick<MetricStatus, 'value' | 'tier' | 'degradation'>,
): string {
  const value = show(s.value ?? Number.NaN);
  if (metric.degradation === 'absolute') {
    const reached = tierNamed(metric, s.tier).tier;
    return reached
      ? `${value} is at or above ${show(reached.at)}`
      : `${value}, below ${show(metric.tiers[0]!.at)}`;
  }
  const d = s.degradation ?? 0;
  return d > 0
    ? `${value} is ${show(Number(d.toFixed(2)))}% worse than the baseline ${show(metric.baseline ?? 0)}`
    : `${value} is no worse than the baseline ${show(metric.baseline ?? 0)}`;
}

function readyCondition(
  spec: SurveillancePolicySpec,
  latest: readonly MetricReading[],
  unread: readonly string[],
): ConditionUpdate {
  if (latest.length === 0) {
    return condition('Ready', 'False', 'NotEvaluated', 'no metric has been read yet');
  }
  if (unread.length > 0) {
    return condition(
      'Ready',
      'False',
      'MetricsNotRead',
      `no reading of ${unread.join(', ')}: check ${unread.length === 1 ? 'its source' : 'their sources'}; the last readings stand`,
    );
  }
  return condition(
    'Ready',
    'True',
    'Evaluated',
    `read ${spec.metrics.length} metric${spec.metrics.length === 1 ? '' : 's'} (${latest.length} reading${latest.length === 1 ? '' : 's'})`,
  );
}

function healthyCondition(entries: readonly Entry[], worst: TierLevel): ConditionUpdate {
  const notJudged = entries.filter((e) => !e.judged).length;
  const thin =
    notJudged > 0 ? `; ${notJudged} reading${notJudged === 1 ? '' : 's'} below minSamples, not judged` : '';
  if (entries.length === 0)
    return condition('Healthy', 'Unknown', 'NotEvaluated', 'no metric has been read yet');
  if (entries.every((e) => e.status.tier === undefined)) {
    return condition(
      'Healthy',
      'Unknown',
      'InsufficientSamples',
      `every reading is below its minSamples, so none is judged`,
    );
  }
  const degraded = entries.filter((e) => levelOf(e.tier) !== 'none');
  if (worst === 'none') {
    return condition('Healthy', 'True', 'Healthy', `no metric has reached a tier${thin}`);
  }
  // The worst: most severe action, then the higher tier of its metric.
  const rank = (e: Entry) =>
    levelRank(levelOf(e.tier)) * 1000 + (e.tier ? e.metric.tiers.indexOf(e.tier) : -1);
  const first = [...degraded].sort((a, b) => rank(b) - rank(a))[0]!;
  const more =
    degraded.length > 1
      ? `; ${degraded.length - 1} more reading${degraded.length > 2 ? 's' : ''} degraded`
      : '';
  const what = `${metricLabel(first.metric.name, first.status.segment)} at ${tierLabel(first.tier!)}: ${describeReading(first.metric, first.status)}${first.status.since ? ` since ${first.status.since}` : ''}${more}${thin}`;
  return worst === 'notify'
    ? condition('Healthy', 'True', 'NotifyTier', what)
    : condition('Healthy', 'False', 'Degraded', what);
}
