// A candidate's readings judged by the policy's tiers, without I/O: told once per tier reached, told again when it
// recovers, a thin window keeping the tier it had, and which stages are followed at all.
import { describe, expect, it } from 'vitest';
import type {
  SurveillancePolicySpec,
  SurveillancePolicyStatus,
} from '../../../../specs/surveillancepolicy.js';
import { surveillancePolicySpec } from '../../../../specs/surveillancepolicy.js';
import { type CandidateReading, decideStages, followedStages } from './stages.js';

const spec: SurveillancePolicySpec = surveillancePolicySpec.parse({
  inferenceLog: { uri: 'data/log.csv' },
  metrics: [
    {
      name: 'risk-score-psi',
      kind: 'drift',
      source: { builtin: { statistic: 'psi', column: 'risk_score', window: '7d', baselineWindow: '14d' } },
      direction: 'lower-is-better',
      degradation: 'absolute',
      minSamples: 100,
      tiers: [
        { name: 'moderate-shift', at: 0.1, action: 'notify' },
        { name: 'severe-shift', at: 0.25, action: 'rollback' },
      ],
    },
  ],
});
const AT = '2026-06-01T00:00:00Z';
const stages = followedStages(
  [
    { stage: 'silent', version: '2.4.0' },
    { stage: 'production', version: '2.3.1' },
  ],
  '2.3.1',
)!;
const reading = (value: number, samples = 500): Map<string, CandidateReading> =>
  new Map([
    [
      '2.4.0',
      {
        version: '2.4.0',
        readings: [{ metric: 'risk-score-psi', value, samples, baselineSamples: 900, at: AT }],
        unread: [],
      },
    ],
  ]);
const statusAfter = (d: ReturnType<typeof decideStages>): SurveillancePolicyStatus => ({ stages: d.stages });

describe('decideStages', () => {
  it('follows each stage that runs a version, production being the version production runs', () => {
    expect(stages).toEqual([
      { stage: 'silent', version: '2.4.0', production: false },
      { stage: 'production', version: '2.3.1', production: true },
    ]);
    expect(followedStages([{ stage: 'silent', version: '2.4.0' }, { stage: 'production' }], undefined)).toBe(
      undefined,
    );
  });

  it('tells a tier when it is first reached, a higher one when reached, and the recovery', () => {
    const notify = decideStages(spec, stages, 'none', reading(0.12), undefined);
    expect(notify.events.map((e) => e.reason)).toEqual(['CandidateBreach']);
    expect(notify.candidateTier).toBe('notify');
    const again = decideStages(spec, stages, 'none', reading(0.13), statusAfter(notify));
    expect(again.events).toEqual([]);
    const worse = decideStages(spec, stages, 'none', reading(0.3), statusAfter(again));
    expect(worse.events.map((e) => [e.reason, e.message.includes('severe-shift')])).toEqual([
      ['CandidateBreach', true],
    ]);
    const recovered = decideStages(spec, stages, 'none', reading(0.02), statusAfter(worse));
    expect(recovered.events.map((e) => e.reason)).toEqual(['CandidateRecovered']);
    expect(recovered.candidateTier).toBe('none');
    expect(recovered.condition).toMatchObject({ status: 'True', reason: 'CandidatesHealthy' });
  });

  it('keeps the tier a thin window cannot judge, and says so', () => {
    const breached = decideStages(spec, stages, 'none', reading(0.3), undefined);
    const thin = decideStages(spec, stages, 'none', reading(0.01, 20), statusAfter(breached));
    expect(thin.events).toEqual([]);
    expect(thin.candidateTier).toBe('rollback');
    expect(thin.stages[0]!.metrics).toEqual([
      expect.objectContaining({ value: 0.01, samples: 20, tier: 'severe-shift' }),
    ]);
    expect(thin.condition).toMatchObject({ status: 'False', reason: 'CandidateBreached' });
    expect(thin.condition.message).toContain('too few samples now to judge');
  });

  it('judges nothing before any window has its samples', () => {
    const first = decideStages(spec, stages, 'none', reading(0.3, 20), undefined);
    expect(first.candidateTier).toBeUndefined();
    expect(first.events).toEqual([]);
    expect(first.condition).toMatchObject({ status: 'Unknown', reason: 'InsufficientSamples' });
  });
});
