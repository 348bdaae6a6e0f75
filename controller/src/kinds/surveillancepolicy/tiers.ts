// How far a metric has degraded, and which tier of its policy that reaches.
//
// A tier is reached when the degradation is at or above its `at` (>=): a policy written "rollback at 15"
// means 15% worse already rolls back, the way a clinician reads a threshold. A tolerance of 1e-9 keeps a value
// exactly at the threshold, written in decimal, from falling just short in binary floating point.
import type { SurveillancePolicySpec, TierAction } from '../../../../specs/surveillancepolicy.js';

export type Metric = SurveillancePolicySpec['metrics'][number];
export type Tier = Metric['tiers'][number];
/** The worst action class reached: what SurveillanceHealthy and `kubectl get sp` show. */
export type TierLevel = 'none' | TierAction;

const TOLERANCE = 1e-9;
const LEVELS: readonly TierLevel[] = ['none', 'notify', 'review', 'rollback'];

/**
 * Relative: percent worse than the baseline in the metric's bad direction, 0 when at or better than it.
 * Absolute: the value itself, for statistics that grow as things get worse (a PSI, a KS distance, a gap).
 */
export function degradation(metric: Metric, value: number): number {
  if (metric.degradation === 'absolute') return value;
  const baseline = metric.baseline ?? 0;
  // The schema refuses a relative metric without a baseline or with a baseline of 0.
  if (baseline === 0) return 0;
  const worse = metric.direction === 'higher-is-better' ? baseline - value : value - baseline;
  return Math.max(0, (worse / Math.abs(baseline)) * 100);
}

export type TierJudgement =
  | { judged: false; reason: 'InsufficientSamples'; message: string }
  | {
      judged: true;
      degradation: number;
      /** The highest tier reached; undefined when none is. */
      tier?: Tier;
      /** Index of that tier in metric.tiers; -1 when none is reached. */
      index: number;
      /** Its name in status: the tier's name, else its action; "none" when no tier is reached. */
      name: string;
    };

/**
 * The highest tier whose `at` the degradation reaches. Insufficient data, not judged, when the samples (or, for a
 * comparison of two windows, the baseline window's samples) fall below minSamples: a statistic over a handful of
 * rows says nothing, and must never open a review or a rollback. `samples` undefined: the source gives no count
 * (a Prometheus query without a samplesQuery), so the value is judged as read.
 */
export function degradationTier(
  metric: Metric,
  value: number,
  samples: number | undefined,
  baselineSamples?: number,
): TierJudgement {
  const thinCurrent = samples !== undefined && samples < metric.minSamples;
  if (thinCurrent || (baselineSamples !== undefined && baselineSamples < metric.minSamples)) {
    const thin = thinCurrent ? `${samples} samples` : `${baselineSamples} samples in the baseline window`;
    return {
      judged: false,
      reason: 'InsufficientSamples',
      message: `${metric.name}: insufficient data: ${thin}, fewer than the ${metric.minSamples} needed to judge it`,
    };
  }
  const d = degradation(metric, value);
  let index = -1;
  metric.tiers.forEach((t, i) => {
    if (d >= t.at - TOLERANCE) index = i;
  });
  const tier = index >= 0 ? metric.tiers[index] : undefined;
  return { judged: true, degradation: d, ...(tier ? { tier } : {}), index, name: tierName(tier) };
}

/** A tier as status names it: its own name, else its action; "none" for no tier. */
export function tierName(tier: Tier | undefined): string {
  return tier ? (tier.name ?? tier.action) : 'none';
}

/** The tier of `metric` that status calls `name`; the last of equal names, the more severe. */
export function tierNamed(metric: Metric, name: string | undefined): { tier?: Tier; index: number } {
  if (name === undefined || name === 'none') return { index: -1 };
  for (let i = metric.tiers.length - 1; i >= 0; i--) {
    if (tierName(metric.tiers[i]) === name) return { tier: metric.tiers[i]!, index: i };
  }
  return { index: -1 };
}

export function levelOf(tier: Tier | undefined): TierLevel {
  return tier?.action ?? 'none';
}

/** The worst action class among tiers reached, across metrics and segments. */
export function worstTier(tiers: readonly (Tier | undefined)[]): TierLevel {
  let worst: TierLevel = 'none';
  for (const t of tiers) if (LEVELS.indexOf(levelOf(t)) > LEVELS.indexOf(worst)) worst = levelOf(t);
  return worst;
}

export const levelRank = (level: TierLevel): number => LEVELS.indexOf(level);
