import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SurveillancePolicy } from '../../../../specs/surveillancepolicy.js';
import { degradation, degradationTier, type Metric, tierName, worstTier } from './tiers.js';

const policy = SurveillancePolicy.parse(
  parse(
    readFileSync(
      new URL('../../../../examples/revenue-cycle/denials-triage-surveillance.yaml', import.meta.url),
      'utf8',
    ),
  ),
).spec;
const metric = (name: string): Metric => policy.metrics.find((m) => m.name === name)!;
const accuracy = metric('top1-accuracy'); // relative, higher is better, baseline 0.884; amber 5, red 10, black 15
const reassignment = metric('queue-reassignment-rate'); // relative, lower is better, baseline 0.12; 5, 10, 15
const gap = metric('payer-type-accuracy-gap'); // absolute; 0.05, 0.08, 0.10

describe('degradation', () => {
  it.each([
    ['higher is better, below baseline', accuracy, 0.79, ((0.884 - 0.79) / 0.884) * 100],
    ['higher is better, above baseline', accuracy, 0.9, 0],
    ['lower is better, above baseline', reassignment, 0.138, ((0.138 - 0.12) / 0.12) * 100],
    ['lower is better, below baseline', reassignment, 0.1, 0],
    ['absolute: the value itself', gap, 0.062, 0.062],
  ])('%s', (_, m, value, expected) => {
    expect(degradation(m, value)).toBeCloseTo(expected, 12);
  });
  it('gives 10.63% for accuracy 0.79 against 0.884', () => {
    expect(degradation(accuracy, 0.79).toFixed(2)).toBe('10.63');
  });
});

describe('degradationTier', () => {
  it.each([
    ['no tier below the first', accuracy, 0.86, 'none', -1],
    ['a tier is reached at its threshold (>=), exactly 5% worse', accuracy, 0.884 * 0.95, 'amber', 0],
    ['just short of the threshold', accuracy, 0.8399, 'none', -1],
    ['the highest tier reached, by name', accuracy, 0.79, 'red', 1],
    ['beyond the last tier', accuracy, 0.5, 'black', 2],
    ['an unnamed tier is named by its action', reassignment, 0.138, 'rollback', 2],
    ['absolute, exactly at a tier', gap, 0.08, 'review', 1],
    ['absolute, under the first tier', gap, 0.0499, 'none', -1],
  ])('%s', (_, m, value, name, index) => {
    const j = degradationTier(m, value, 5000);
    expect(j).toMatchObject({ judged: true, name, index });
  });

  it('does not judge a value from fewer samples than minSamples', () => {
    expect(degradationTier(accuracy, 0.5, 299)).toEqual({
      judged: false,
      reason: 'InsufficientSamples',
      message: 'top1-accuracy: insufficient data: 299 samples, fewer than the 300 needed to judge it',
    });
    expect(degradationTier(accuracy, 0.5, 300)).toMatchObject({ judged: true, name: 'black' });
  });

  it('does not judge a comparison whose baseline window is thin, however large the current one', () => {
    // A two-row baseline gives a PSI or KS that means nothing; it must never reach a tier.
    expect(degradationTier(gap, 0.5, 5000, 2)).toEqual({
      judged: false,
      reason: 'InsufficientSamples',
      message:
        'payer-type-accuracy-gap: insufficient data: 2 samples in the baseline window, fewer than the 600 needed to judge it',
    });
    expect(degradationTier(gap, 0.5, 5000, 600)).toMatchObject({ judged: true, name: 'rollback' });
  });
});

describe('worstTier', () => {
  it.each([
    [[], 'none'],
    [[undefined, undefined], 'none'],
    [[accuracy.tiers[0], undefined], 'notify'],
    [[accuracy.tiers[0], gap.tiers[1], accuracy.tiers[0]], 'review'],
    [[gap.tiers[2], accuracy.tiers[1]], 'rollback'],
  ])('%j -> %s', (tiers, expected) => {
    expect(worstTier(tiers)).toBe(expected);
  });
  it('names tiers by name, else action', () => {
    expect([tierName(accuracy.tiers[1]), tierName(gap.tiers[1]), tierName(undefined)]).toEqual([
      'red',
      'review',
      'none',
    ]);
  });
});
