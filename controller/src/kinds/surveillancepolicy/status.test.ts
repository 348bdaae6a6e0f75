import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SurveillancePolicy, type SurveillancePolicyStatus } from '../../../../specs/surveillancepolicy.js';
import { decideSurveillanceStatus, type MetricReading } from './status.js';

const example = SurveillancePolicy.parse(
  parse(
    readFileSync(
      new URL('../../../../examples/revenue-cycle/denials-triage-surveillance.yaml', import.meta.url),
      'utf8',
    ),
  ),
).spec;
// The example's metrics these rounds read; the example holds more (calibration, volume), which are not about
// the tiers and segments tested here.
const READ = ['top1-accuracy', 'payer-type-accuracy-gap', 'queue-reassignment-rate', 'category-score-psi'];
const policy = { ...example, metrics: example.metrics.filter((m) => READ.includes(m.name)) };
expect(policy.metrics.map((m) => m.name)).toEqual(READ);
const MEDICAID = 'payer_type=medicaid-managed-care';
const USE_CASES = ['denials-triage'];

/** One round of readings, each at `at`; the Medicaid accuracy (and its sample count) varies between rounds. */
const round = (at: string, medicaid: number, medicaidSamples = 900): MetricReading[] => [
  { metric: 'top1-accuracy', value: 0.86, samples: 5000, at },
  { metric: 'top1-accuracy', segment: MEDICAID, value: medicaid, samples: medicaidSamples, at },
  { metric: 'payer-type-accuracy-gap', value: 0.04, samples: 5000, at },
  { metric: 'queue-reassignment-rate', value: 0.126, samples: 2000, at },
  { metric: 'category-score-psi', value: 0.05, samples: 20000, at },
];
const T1 = '2026-08-01T06:00:00Z';
const step = (
  previous: SurveillancePolicyStatus | undefined,
  at: string,
  medicaid: number,
  samples?: number,
) => decideSurveillanceStatus(policy, round(at, medicaid, samples), previous, new Date(at), USE_CASES);
const medicaidOf = (s: SurveillancePolicyStatus) => s.metrics!.find((m) => m.segment === MEDICAID)!;

describe('decideSurveillanceStatus: a first round with Medicaid accuracy at red', () => {
  const first = step(undefined, T1, 0.79);

  it('reports each metric and segment with its baseline, degradation, tier and since', () => {
    expect(first.status.metrics).toEqual([
      {
        name: 'top1-accuracy',
        value: 0.86,
        baseline: 0.884,
        samples: 5000,
        degradation: 2.7149,
        tier: 'none',
        since: T1,
      },
      {
        name: 'top1-accuracy',
        segment: MEDICAID,
        value: 0.79,
        baseline: 0.884,
        samples: 900,
        degradation: 10.6335,
        tier: 'red',
        since: T1,
      },
      {
        name: 'payer-type-accuracy-gap',
        value: 0.04,
        baseline: 0.031,
        samples: 5000,
        degradation: 0.04,
        tier: 'none',
        since: T1,
      },
      {
        name: 'queue-reassignment-rate',
        value: 0.126,
        baseline: 0.12,
        samples: 2000,
        degradation: 5,
        tier: 'notify',
        since: T1,
      },
      { name: 'category-score-psi', value: 0.05, samples: 20000, degradation: 0.05, tier: 'none', since: T1 },
    ]);
    expect(first.status.worstTier).toBe('review');
    expect(first.status.lastEvaluated).toBe(T1);
  });

  it('opens a review for each use case, notifies by an Event, and records both', () => {
    expect(first.due).toEqual([
      {
        metric: 'top1-accuracy',
        segment: MEDICAID,
        tier: 'red',
        action: 'review',
        useCase: 'denials-triage',
        message:
          'top1-accuracy (payer_type=medicaid-managed-care) reached red (review): 0.79 is 10.63% worse than the baseline 0.884',
      },
    ]);
    expect(first.status.actions).toEqual([
      {
        at: T1,
        metric: `top1-accuracy[${MEDICAID}]`,
        tier: 'red',
        action: 'review',
        useCase: 'denials-triage',
      },
      { at: T1, metric: 'queue-reassignment-rate', tier: 'notify', action: 'notify' },
    ]);
    expect(first.events).toEqual([
      {
        type: 'Warning',
        reason: 'SurveillanceReview',
        message:
          'top1-accuracy (payer_type=medicaid-managed-care) reached red (review): 0.79 is 10.63% worse than the baseline 0.884; opening a governance review issue for denials-triage',
      },
      {
        type: 'Warning',
        reason: 'SurveillanceNotify',
        message: 'queue-reassignment-rate reached notify: 0.126 is 5% worse than the baseline 0.12',
      },
    ]);
  });

  it('is Ready and not Healthy, naming the worst reading', () => {
    expect(first.conditions).toEqual([
      { type: 'Ready', status: 'True', reason: 'Evaluated', message: 'read 4 metrics (5 readings)' },
      {
        type: 'Healthy',
        status: 'False',
        reason: 'Degraded',
        message:
          'top1-accuracy (payer_type=medicaid-managed-care) at red (review): 0.79 is 10.63% worse than the baseline 0.884 since 2026-08-01T06:00:00Z; 1 more reading degraded',
      },
    ]);
  });
});

describe('decideSurveillanceStatus: episodes', () => {
  const first = step(undefined, T1, 0.79).status;

  it('repeats nothing while the tier holds, and keeps since', () => {
    const second = step(first, '2026-08-02T06:00:00Z', 0.79);
    expect(second.due).toEqual([]);
    expect(second.events).toEqual([]);
    expect(second.status.actions).toEqual(first.actions);
    expect(medicaidOf(second.status).since).toBe(T1);
  });

  it('does not reopen a review when the metric swings to amber and back to red', () => {
    const amber = step(first, '2026-08-02T06:00:00Z', 0.83);
    expect(medicaidOf(amber.status)).toMatchObject({ tier: 'amber', since: '2026-08-02T06:00:00Z' });
    expect(amber.due).toEqual([]);
    expect(amber.status.worstTier).toBe('notify');
    expect(amber.conditions[1]).toMatchObject({ status: 'True', reason: 'NotifyTier' });
    const red = step(amber.status, '2026-08-03T06:00:00Z', 0.79);
    expect(red.due).toEqual([]);
    expect(red.events).toEqual([]);
    expect(medicaidOf(red.status)).toMatchObject({ tier: 'red', since: '2026-08-03T06:00:00Z' });
  });

  it('acts on a higher tier within the episode, for every use case', () => {
    const black = decideSurveillanceStatus(
      policy,
      round('2026-08-02T06:00:00Z', 0.74),
      first,
      new Date('2026-08-02T06:05:00Z'),
      ['denials-triage', 'denials-appeals'],
    );
    expect(black.due.map((d) => [d.tier, d.action, d.useCase])).toEqual([
      ['black', 'rollback', 'denials-appeals'],
      ['black', 'rollback', 'denials-triage'],
    ]);
    expect(black.status.actions!.slice(2)).toEqual([
      {
        at: '2026-08-02T06:05:00Z',
        metric: `top1-accuracy[${MEDICAID}]`,
        tier: 'black',
        action: 'rollback',
        useCase: 'denials-appeals',
      },
      {
        at: '2026-08-02T06:05:00Z',
        metric: `top1-accuracy[${MEDICAID}]`,
        tier: 'black',
        action: 'rollback',
        useCase: 'denials-triage',
      },
    ]);
    expect(black.events[0]).toEqual({
      type: 'Warning',
      reason: 'SurveillanceRollback',
      message:
        'top1-accuracy (payer_type=medicaid-managed-care) reached black (rollback): 0.74 is 16.29% worse than the baseline 0.884; opening a rollback pull request for denials-appeals, denials-triage',
    });
  });

  it('ends the episode on recovery, so red again opens a new review', () => {
    const recovered = step(first, '2026-08-02T06:00:00Z', 0.88);
    expect(recovered.events).toEqual([
      {
        type: 'Normal',
        reason: 'MetricRecovered',
        message:
          'top1-accuracy (payer_type=medicaid-managed-care) is back below its first tier: 0.88 is 0.45% worse than the baseline 0.884',
      },
    ]);
    const again = step(recovered.status, '2026-08-03T06:00:00Z', 0.79);
    expect(again.due).toHaveLength(1);
    expect(again.due[0]).toMatchObject({ tier: 'red', action: 'review' });
    expect(again.status.actions).toHaveLength(3);
  });

  it('neither clears nor restarts an episode on a reading too thin to judge', () => {
    const thin = step(first, '2026-08-02T06:00:00Z', 0.88, 120);
    expect(medicaidOf(thin.status)).toEqual({
      name: 'top1-accuracy',
      segment: MEDICAID,
      value: 0.88,
      baseline: 0.884,
      samples: 120,
      tier: 'red',
      since: T1,
    });
    expect(thin.status.worstTier).toBe('review');
    expect(thin.conditions[1]!.message).toMatch(/; 1 reading below minSamples, not judged$/);
    const back = step(thin.status, '2026-08-03T06:00:00Z', 0.79);
    expect(back.due).toEqual([]);
    expect(medicaidOf(back.status).since).toBe(T1);
  });
});

describe('decideSurveillanceStatus: what was not read', () => {
  it('keeps the last entries of a metric without a reading, and says so', () => {
    const first = step(undefined, T1, 0.79).status;
    const partial = decideSurveillanceStatus(
      policy,
      round('2026-08-02T06:00:00Z', 0.79).slice(0, 2),
      first,
      new Date('2026-08-02T06:00:00Z'),
    );
    expect(partial.conditions[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'MetricsNotRead',
      message:
        'no reading of payer-type-accuracy-gap, queue-reassignment-rate, category-score-psi: check their sources; the last readings stand',
    });
    expect(partial.status.metrics!.slice(2)).toEqual(first.metrics!.slice(2));
    expect(partial.status.worstTier).toBe('review');
  });

  it('takes the newest reading of a metric and ignores metrics the policy does not declare', () => {
    const d = decideSurveillanceStatus(
      policy,
      [
        ...round(T1, 0.79),
        { metric: 'top1-accuracy', segment: MEDICAID, value: 0.87, samples: 900, at: '2026-08-01T07:00:00Z' },
        { metric: 'not-a-metric', value: 99, samples: 99999, at: T1 },
      ],
      undefined,
      new Date('2026-08-01T07:05:00Z'),
    );
    expect(medicaidOf(d.status)).toMatchObject({ value: 0.87, tier: 'none' });
    expect(d.status.metrics).toHaveLength(5);
    expect(d.status.lastEvaluated).toBe('2026-08-01T07:00:00Z');
  });

  it('is not Ready before the first reading, and Healthy is Unknown', () => {
    const d = decideSurveillanceStatus(policy, [], undefined, new Date(T1));
    expect(d.status.worstTier).toBeUndefined();
    expect(d.conditions).toEqual([
      { type: 'Ready', status: 'False', reason: 'NotEvaluated', message: 'no metric has been read yet' },
      { type: 'Healthy', status: 'Unknown', reason: 'NotEvaluated', message: 'no metric has been read yet' },
    ]);
  });

  it('leaves Healthy Unknown when every reading is too thin', () => {
    const thin = round(T1, 0.5).map((r) => ({ ...r, samples: 10 }));
    const d = decideSurveillanceStatus(policy, thin, undefined, new Date(T1));
    expect(d.conditions[1]).toMatchObject({ status: 'Unknown', reason: 'InsufficientSamples' });
    expect(d.status.worstTier).toBeUndefined();
    expect(d.due).toEqual([]);
  });
});

describe('decideSurveillanceStatus: one action per breach, and a breach that clears', () => {
  const spec = SurveillancePolicy.parse({
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'SurveillancePolicy',
    metadata: { name: 'watch', namespace: 'ns' },
    spec: {
      inferenceLog: { uri: 'log.csv' },
      metrics: [
        {
          name: 'auroc',
          kind: 'performance',
          source: { sql: 'select 1' },
          baseline: 0.8,
          direction: 'higher-is-better',
          minSamples: 10,
          tiers: [
            { at: 5, action: 'notify' },
            { at: 20, action: 'review' },
          ],
        },
      ],
    },
  }).spec;
  /** Rounds an hour apart, each reading auroc at the value given. */
  const rounds = (values: number[]) => {
    let status: SurveillancePolicyStatus | undefined;
    const decisions = values.map((value, i) => {
      const at = new Date(Date.UTC(2026, 7, 1, i)).toISOString().replace('.000Z', 'Z');
      const d = decideSurveillanceStatus(
        spec,
        [{ metric: 'auroc', value, samples: 50, at }],
        status,
        new Date(at),
        ['uc'],
      );
      status = { ...status, ...d.status };
      return d;
    });
    return { decisions, status: status! };
  };
  const reasons = (ds: { events: { reason: string }[] }[]) =>
    ds.flatMap((d) => d.events.map((e) => e.reason));

  it('tells the notify Event once, however many rounds the breach lasts', () => {
    const { decisions, status } = rounds([0.75, 0.74, 0.75, 0.745]);
    expect(reasons(decisions)).toEqual(['SurveillanceNotify']);
    expect(status.actions?.map((a) => a.action)).toEqual(['notify']);
    expect(decisions.map((d) => d.due.length)).toEqual([0, 0, 0, 0]);
  });

  it('asks for one review per breach, and records every action of the breach as cleared when it ends', () => {
    const { decisions, status } = rounds([0.75, 0.6, 0.62, 0.75, 0.79, 0.8]);
    expect(reasons(decisions)).toEqual(['SurveillanceNotify', 'SurveillanceReview', 'MetricRecovered']);
    expect(decisions.map((d) => d.due.map((x) => `${x.action} ${x.useCase}`))).toEqual([
      [],
      ['review uc'],
      [],
      [],
      [],
      [],
    ]);
    expect(decisions[4]!.cleared).toEqual([{ metric: 'auroc', at: '2026-08-01T04:00:00Z', value: 0.79 }]);
    expect(status.actions?.map((a) => [a.action, a.cleared])).toEqual([
      ['notify', { at: '2026-08-01T04:00:00Z', value: 0.79 }],
      ['review', { at: '2026-08-01T04:00:00Z', value: 0.79 }],
    ]);
  });

  it('marks cleared an action recorded before breaches were cleared, at the next reading below the first tier', () => {
    const at = '2026-08-02T00:00:00Z';
    const before: SurveillancePolicyStatus = {
      metrics: [
        { name: 'auroc', value: 0.8, baseline: 0.8, samples: 50, degradation: 0, tier: 'none', since: at },
      ],
      actions: [
        { at: '2026-07-01T00:00:00Z', metric: 'auroc', tier: 'review', action: 'review', useCase: 'uc' },
      ],
    };
    const d = decideSurveillanceStatus(
      spec,
      [{ metric: 'auroc', value: 0.8, samples: 50, at }],
      before,
      new Date(at),
    );
    expect(d.status.actions?.[0]?.cleared).toEqual({ at, value: 0.8 });
    expect(d.events).toEqual([]);
    expect(d.cleared).toEqual([]);
  });

  it('treats a breach after one that cleared as a new breach, leaving the old one cleared', () => {
    const { decisions, status } = rounds([0.6, 0.8, 0.6]);
    expect(reasons(decisions)).toEqual(['SurveillanceReview', 'MetricRecovered', 'SurveillanceReview']);
    expect(status.actions?.map((a) => [a.action, a.at, a.cleared?.at])).toEqual([
      ['review', '2026-08-01T00:00:00Z', '2026-08-01T01:00:00Z'],
      ['review', '2026-08-01T02:00:00Z', undefined],
    ]);
  });
});
