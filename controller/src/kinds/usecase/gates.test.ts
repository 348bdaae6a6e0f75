import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ReleaseTrain, type ReleaseTrainSpec, releaseTrainSpec } from '../../../../specs/releasetrain.js';
import { UseCase, type UseCaseSpec } from '../../../../specs/usecase.js';
import { type Candidate, evaluateGates, type GateInput, show } from './gates.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'));
const useCase = (file: string): UseCaseSpec => UseCase.parse(load(file)).spec;
const train = (file: string): ReleaseTrainSpec => ReleaseTrain.parse(load(file)).spec;

const NOW = new Date('2026-08-01T12:00:00Z');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const readmission = useCase('care-management/readmission-risk.yaml');
const quarterly = train('care-management/clinical-quarterly.yaml');
const priorAuth = useCase('utilization-management/prior-auth-summarization.yaml');
const waves = train('utilization-management/wave-rollout.yaml');

/** A one-stage train with the given gates and no boarding rules, for single-gate cases. */
const trainWith = (gates: object, extra: object = {}): ReleaseTrainSpec =>
  releaseTrainSpec.parse({
    schedule: { cron: '0 6 * * 3' },
    rollbackPlanRequired: false,
    stages: [{ name: 'staging' }, { name: 'production', gates }],
    ...extra,
  });

const candidate = (
  results: Candidate['evaluation']['results'],
  extra: Partial<Candidate> = {},
): Candidate => ({
  version: '3.2.0',
  evaluation: { evaluatedAt: '2026-07-14T15:30:00Z', results },
  ...extra,
});

const gate = (input: Partial<GateInput> & Pick<GateInput, 'train'>) =>
  evaluateGates({ candidate: undefined, from: 'staging', to: 'production', now: NOW, ...input });

describe('evaluateGates: the readmission candidate entering production from silent', () => {
  it('passes every gate with enough soak, encounters and outcomes, and says what it measured', () => {
    const result = evaluateGates({
      candidate: readmission.candidate,
      train: quarterly,
      from: 'silent',
      to: 'production',
      observed: { since: ago(40 * DAY), encounters: 3500, labelledOutcomes: 2100 },
      now: NOW,
    });
    expect(result.passed).toBe(true);
    expect(result.summary).toBe('all 9 gates for production pass');
    expect(result.gates).toEqual([
      { name: 'evaluation: auroc', passed: true, message: 'auroc 0.712 is at or above the minimum 0.68' },
      {
        name: 'evaluation: expected-calibration-error',
        passed: true,
        message: 'expected-calibration-error 0.021 is at or below the maximum 0.03',
      },
      {
        name: 'evaluation: auroc-subgroup-gap-race',
        passed: true,
        message: 'auroc-subgroup-gap-race 0.038 is at or below the maximum 0.05',
      },
      {
        name: 'evaluation: auroc-subgroup-gap-age',
        passed: true,
        message: 'auroc-subgroup-gap-age 0.044 is at or below the maximum 0.05',
      },
      {
        name: 'minSoak',
        passed: true,
        message: '2.4.0 has soaked in silent since 2026-06-22T12:00Z (minimum 30d)',
      },
      { name: 'minEncounters', passed: true, message: 'silent has seen 3500 encounters (minimum 3000)' },
      {
        name: 'minLabelledOutcomes',
        passed: true,
        message: 'silent has seen 2100 labelled outcomes (minimum 2000)',
      },
      { name: 'changeTicket', passed: true, message: 'change ticket CHG0050122 matches ^CHG[0-9]{7}$' },
      {
        name: 'rollbackPlan',
        passed: true,
        message:
          'rollback plan linked: https://wiki.northwind-health.example/care-management/readmission-risk/rollback-2.4.0',
      },
    ]);
  });

  it('fails each observation gate by how much it falls short', () => {
    const result = evaluateGates({
      candidate: readmission.candidate,
      train: quarterly,
      from: 'silent',
      to: 'production',
      observed: { since: ago(9 * DAY + 4 * 3_600_000), encounters: 2950 },
      now: NOW,
    });
    expect(result.passed).toBe(false);
    expect(result.failed).toEqual([
      {
        name: 'minSoak',
        passed: false,
        message:
          '2.4.0 entered silent at 2026-07-23T08:00Z; minSoak is 30d, so it soaks until 2026-08-22T08:00Z',
      },
      {
        name: 'minEncounters',
        passed: false,
        message: 'silent has seen 2950 encounters; 3000 required, 50 short',
      },
      {
        name: 'minLabelledOutcomes',
        passed: false,
        message: 'no count of labelled outcomes observed in silent; 2000 required',
      },
    ]);
    expect(result.summary).toBe(
      '3 of 9 gates for production fail: 2.4.0 entered silent at 2026-07-23T08:00Z; minSoak is 30d, so it soaks until 2026-08-22T08:00Z; ' +
        'silent has seen 2950 encounters; 3000 required, 50 short; ' +
        'no count of labelled outcomes observed in silent; 2000 required',
    );
    // The soak alone passes with time: the verdict is to be taken again when it ends.
    expect(result.wakeAt).toEqual(new Date('2026-08-22T08:00:00Z'));
  });
});

describe('evaluateGates: evaluation thresholds', () => {
  const cases: {
    name: string;
    threshold: object;
    results: Candidate['evaluation']['results'];
    passed: boolean;
    message: string;
  }[] = [
    {
      name: 'below the minimum, by how much',
      threshold: { metric: 'auroc', min: 0.72 },
      results: [{ metric: 'auroc', value: 0.69 }],
      passed: false,
      message: 'auroc 0.69 is below the minimum 0.72 by 0.03',
    },
    {
      name: 'exactly at the minimum',
      threshold: { metric: 'auroc', min: 0.72 },
      results: [{ metric: 'auroc', value: 0.72 }],
      passed: true,
      message: 'auroc 0.72 is at or above the minimum 0.72',
    },
    {
      name: 'above the maximum, by how much',
      threshold: { metric: 'hallucination-rate', max: 0.01 },
      results: [{ metric: 'hallucination-rate', value: 0.012 }],
      passed: false,
      message: 'hallucination-rate 0.012 is above the maximum 0.01 by 0.002',
    },
    {
      name: 'between min and max',
      threshold: { metric: 'calibration-slope', min: 0.9, max: 1.1 },
      results: [{ metric: 'calibration-slope', value: 0.97 }],
      passed: true,
      message: 'calibration-slope 0.97 is within 0.9 to 1.1',
    },
    {
      name: 'a segment threshold reads the segment result',
      threshold: { metric: 'auroc', segment: 'race=AfricanAmerican', min: 0.7 },
      results: [
        { metric: 'auroc', value: 0.71 },
        { metric: 'auroc', segment: 'race=AfricanAmerican', value: 0.697 },
      ],
      passed: false,
      message: 'auroc (race=AfricanAmerican) 0.697 is below the minimum 0.7 by 0.003',
    },
    {
      name: 'an overall threshold never reads a segment result',
      threshold: { metric: 'auroc', min: 0.7 },
      results: [{ metric: 'auroc', segment: 'age=[80-90)', value: 0.75 }],
      passed: false,
      message: "no result for auroc in the candidate's evaluation evidence",
    },
    {
      name: 'a missing segment result is missing evidence',
      threshold: { metric: 'auroc', segment: 'payer=medicaid', min: 0.7 },
      results: [{ metric: 'auroc', value: 0.75 }],
      passed: false,
      message: "no result for auroc (payer=medicaid) in the candidate's evaluation evidence",
    },
  ];
  it.each(cases)('$name', ({ threshold, results, passed, message }) => {
    const result = gate({ train: trainWith({ evaluation: [threshold] }), candidate: candidate(results) });
    expect(result.gates).toHaveLength(1);
    expect(result.gates[0]).toMatchObject({ passed, message });
    expect(result.passed).toBe(passed);
  });

  it('fails every evaluation gate without a candidate', () => {
    const result = gate({ train: trainWith({ evaluation: [{ metric: 'auroc', min: 0.7 }] }) });
    expect(result.gates[0]).toEqual({
      name: 'evaluation: auroc',
      passed: false,
      message: 'no candidate evaluation',
    });
  });
});

describe('evaluateGates: what the previous stage observed', () => {
  const soak = trainWith({ minSoak: '14d', minEncounters: 400 });
  const c = candidate([]);
  const cases: { name: string; input: Partial<GateInput>; soak: string; encounters: string }[] = [
    {
      name: 'exactly the minimum soak and count pass',
      input: { observed: { since: ago(14 * DAY), encounters: 400 } },
      soak: '3.2.0 has soaked in staging since 2026-07-18T12:00Z (minimum 14d)',
      encounters: 'staging has seen 400 encounters (minimum 400)',
    },
    {
      name: 'a minute short of the soak fails',
      input: { observed: { since: ago(14 * DAY - 60_000), encounters: 399 } },
      soak: '3.2.0 entered staging at 2026-07-18T12:01Z; minSoak is 14d, so it soaks until 2026-08-01T12:01Z',
      encounters: 'staging has seen 399 encounters; 400 required, 1 short',
    },
    {
      name: 'no record of entry and no count are missing evidence',
      input: { observed: {} },
      soak: 'no record of when 3.2.0 entered staging; minSoak is 14d',
      encounters: 'no count of encounters observed in staging; 400 required',
    },
    {
      name: 'observations of another version do not count',
      input: { observed: { version: '3.1.4', since: ago(90 * DAY), encounters: 9000 } },
      soak: 'staging runs 3.1.4, not the candidate 3.2.0; minSoak is 14d',
      encounters: 'staging runs 3.1.4, not the candidate 3.2.0; 400 encounters required',
    },
    {
      name: 'the first stage has no previous stage to measure',
      input: { from: undefined, to: 'production' },
      soak: 'production is the first stage: there is no previous stage to measure it in; minSoak is 14d',
      encounters:
        'production is the first stage: there is no previous stage to measure it in; 400 encounters required',
    },
  ];
  it.each(cases)('$name', ({ input, soak: soakMessage, encounters }) => {
    const result = gate({ train: soak, candidate: c, ...input });
    expect(result.gates.map((g) => g.message)).toEqual([soakMessage, encounters]);
  });
});

describe('evaluateGates: expansion criteria (prior-auth, pilot clinic to twelve clinics)', () => {
  const observed = (metrics: Record<string, number>) => ({
    since: ago(35 * DAY),
    encounters: 450,
    metrics: Object.entries(metrics).map(([metric, value]) => ({ metric, value })),
  });
  const input = (metrics: Record<string, number>): GateInput => ({
    candidate: priorAuth.candidate,
    train: waves,
    from: 'pilot-clinic',
    to: 'twelve-clinics',
    observed: observed(metrics),
    baselines: priorAuth.baselineMetrics,
    now: NOW,
  });
  const expansion = (metrics: Record<string, number>) =>
    evaluateGates(input(metrics)).gates.filter((g) => g.name.startsWith('expansion'));

  it('holds each criterion against its bound or the baseline, naming how far off a failure is', () => {
    expect(
      expansion({
        'cycle-time-p50-hours': 26,
        'cycle-time-p90-hours': 70,
        'first-pass-approval-rate': 0.81,
        'rework-rate': 0.16,
      }),
    ).toEqual([
      {
        name: 'expansion: cycle-time-p50-hours',
        passed: false,
        message: 'cycle-time-p50-hours 26 in pilot-clinic is above the maximum 24 by 2',
      },
      {
        name: 'expansion: cycle-time-p90-hours',
        passed: true,
        message: 'cycle-time-p90-hours 70 in pilot-clinic is at or below the maximum 72',
      },
      {
        name: 'expansion: first-pass-approval-rate',
        passed: true,
        message: 'first-pass-approval-rate 0.81 in pilot-clinic is at or above the minimum 0.8',
      },
      {
        name: 'expansion: rework-rate',
        passed: false,
        message:
          'rework-rate 0.16 in pilot-clinic is 14.29% worse than the baseline 0.14 (lower is better); at most 10% worse allowed',
      },
    ]);
  });

  const regression: { name: string; value: number; passed: boolean; message: string }[] = [
    {
      name: 'better than the baseline',
      value: 0.12,
      passed: true,
      message: 'rework-rate 0.12 in pilot-clinic is 14.29% better than the baseline 0.14 (lower is better)',
    },
    {
      name: 'equal to the baseline',
      value: 0.14,
      passed: true,
      message: 'rework-rate 0.14 in pilot-clinic equals the baseline 0.14 (lower is better)',
    },
    {
      name: 'worse, within the allowance',
      value: 0.15,
      passed: true,
      message:
        'rework-rate 0.15 in pilot-clinic is 7.14% worse than the baseline 0.14 (lower is better); at most 10% worse allowed',
    },
    {
      name: 'exactly at the allowance',
      value: 0.154,
      passed: true,
      message:
        'rework-rate 0.154 in pilot-clinic is 10% worse than the baseline 0.14 (lower is better); at most 10% worse allowed',
    },
  ];
  it.each(regression)('maxRegressionPercent: $name', ({ value, passed, message }) => {
    const rework = expansion({ 'rework-rate': value }).find((g) => g.name === 'expansion: rework-rate')!;
    expect(rework).toEqual({ name: 'expansion: rework-rate', passed, message });
  });

  it('reads a higher-is-better baseline the other way', () => {
    const t = trainWith({ expansion: [{ metric: 'first-pass-approval-rate', maxRegressionPercent: 5 }] });
    const result = gate({
      train: t,
      candidate: candidate([]),
      observed: { metrics: [{ metric: 'first-pass-approval-rate', value: 0.7 }] },
      baselines: priorAuth.baselineMetrics,
    });
    expect(result.gates[0]!.message).toBe(
      'first-pass-approval-rate 0.7 in staging is 10.26% worse than the baseline 0.78 (higher is better); at most 5% worse allowed',
    );
  });

  it('fails a criterion without a measured value or without a baseline', () => {
    const t = trainWith({ expansion: [{ metric: 'rework-rate', maxRegressionPercent: 5 }] });
    expect(gate({ train: t, candidate: candidate([]), observed: {} }).gates[0]!.message).toBe(
      'no value of rework-rate observed in staging',
    );
    expect(
      gate({
        train: t,
        candidate: candidate([]),
        observed: { metrics: [{ metric: 'rework-rate', value: 0.1 }] },
      }).gates[0]!.message,
    ).toBe(
      "no baseline named rework-rate in the use case's baselineMetrics; maxRegressionPercent 5 cannot be checked",
    );
  });
});

describe("evaluateGates: the train's boarding rules", () => {
  const t = trainWith({}, { changeTicketPattern: '^CHG[0-9]{7}$', rollbackPlanRequired: true });
  const cases: { name: string; extra: Partial<Candidate>; messages: string[] }[] = [
    {
      name: 'no ticket, no plan',
      extra: {},
      messages: [
        'the candidate has no change ticket; the train requires one matching ^CHG[0-9]{7}$',
        'the candidate links no rollback plan; the train requires one (spec.candidate.rollbackPlan)',
      ],
    },
    {
      name: 'a ticket of the wrong form',
      extra: { changeTicket: 'CHG-48213', rollbackPlan: 'https://wiki.example/rollback' },
      messages: [
        'change ticket CHG-48213 does not match ^CHG[0-9]{7}$',
        'rollback plan linked: https://wiki.example/rollback',
      ],
    },
  ];
  it.each(cases)('$name', ({ extra, messages }) => {
    const result = gate({ train: t, candidate: candidate([], extra) });
    expect(result.gates.map((g) => g.name)).toEqual(['changeTicket', 'rollbackPlan']);
    expect(result.gates.map((g) => g.message)).toEqual(messages);
  });

  it('refuses a stage that is not on the train', () => {
    const result = gate({ train: t, to: 'prod' });
    expect(result.failed).toEqual([
      {
        name: 'stage',
        passed: false,
        message: 'stage "prod" is not on the release train (its stages: staging, production)',
      },
    ]);
  });

  it('passes a stage without gates', () => {
    const result = gate({ train: trainWith({}), candidate: candidate([]) });
    expect(result).toMatchObject({ passed: true, gates: [], summary: 'production has no entry gates' });
  });
});

describe('formatting', () => {
  it.each([
    [0.72 - 0.69, undefined, '0.03'],
    [14.285714, 2, '14.29'],
    [10.000000000000009, 2, '10'],
    [3000, undefined, '3000'],
  ])('show(%d, %s) = %s', (n, decimals, expected) => {
    expect(show(n, decimals)).toBe(expected);
  });
});

describe('evaluateGates: a wave measured from its log (prior-auth, pilot clinic to twelve clinics)', () => {
  const base = (observed: GateInput['observed'], oversight = priorAuth.humanOversight): GateInput => ({
    candidate: priorAuth.candidate,
    train: waves,
    from: 'pilot-clinic',
    to: 'twelve-clinics',
    ...(observed ? { observed } : {}),
    baselines: priorAuth.baselineMetrics,
    oversight,
    now: NOW,
  });
  const within = [
    { metric: 'cycle-time-p50-hours', value: 20 },
    { metric: 'cycle-time-p90-hours', value: 60 },
    { metric: 'first-pass-approval-rate', value: 0.84 },
    { metric: 'rework-rate', value: 0.1 },
  ];

  it('names each criterion that is short and by how much, in a few words', () => {
    const result = evaluateGates(
      base({
        since: ago(12 * DAY),
        encounters: 212,
        reviewed: 180,
        reviewedOf: 180,
        metrics: [...within.slice(0, 1), { metric: 'cycle-time-p90-hours', value: 80.5 }, ...within.slice(2)],
      }),
    );
    expect(result.passed).toBe(false);
    expect(result.shortfalls).toEqual([
      'soak until 2026-08-19T12:00Z',
      'encounters 212 of 400',
      'cycle-time-p90-hours 80.5 > 72',
    ]);
    expect(result.failed.map((g) => g.message)).toContain(
      'pilot-clinic has seen 212 encounters; 400 required, 188 short',
    );
  });

  it('holds review-all to every draft that went out, and a sample to its percentage', () => {
    const observed = {
      since: ago(35 * DAY),
      encounters: 450,
      reviewed: 437,
      reviewedOf: 440,
      metrics: within,
    };
    const all = evaluateGates(base(observed));
    expect(all.gates.find((g) => g.name === 'oversight')).toEqual({
      name: 'oversight',
      passed: false,
      message:
        'people reviewed 437 of 440 drafts that went out from pilot-clinic (99.32%); oversight review-all asks for 100%, 3 went out unreviewed',
    });
    expect(all.shortfalls).toEqual(['reviewed 99.32% < 100%']);

    const sample = evaluateGates(base(observed, { mode: 'sample', samplePercent: 15 }));
    expect(sample.passed).toBe(true);
    expect(sample.gates.find((g) => g.name === 'oversight')?.message).toBe(
      'people reviewed 437 of 440 drafts that went out from pilot-clinic (99.32%); oversight sample 15% is met',
    );
    const thin = evaluateGates(
      base({ ...observed, reviewed: 50, reviewedOf: 440 }, { mode: 'sample', samplePercent: 15 }),
    );
    expect(thin.shortfalls).toEqual(['reviewed 11.36% < 15%']);
    // Exceptions review only routed cases, which the log does not mark: no oversight gate.
    const exceptions = evaluateGates(base(observed, { mode: 'exceptions' }));
    expect(exceptions.gates.map((g) => g.name)).not.toContain('oversight');
  });

  it('says why a figure is missing: the log unreadable, or a column it lacks', () => {
    const unreadable = evaluateGates(
      base({ since: ago(35 * DAY), problem: 'data/prior-auth-drafts.parquet: the file does not exist' }),
    );
    expect(unreadable.failed.find((g) => g.name === 'minEncounters')?.message).toBe(
      'no count of encounters observed in pilot-clinic (data/prior-auth-drafts.parquet: the file does not exist); 400 required',
    );
    const lean = evaluateGates(
      base({
        since: ago(35 * DAY),
        encounters: 450,
        metrics: within.slice(0, 3),
        unmeasured: [{ metric: 'rework-rate', reason: 'the inference log has no column reworked' }],
      }),
    );
    expect(lean.failed.map((g) => g.message)).toEqual([
      'no value of rework-rate observed in pilot-clinic (the inference log has no column reworked)',
      'no count of reviewed drafts observed in pilot-clinic (the inference log has no column human_reviewed); oversight is review-all',
    ]);
    expect(lean.shortfalls).toEqual(['rework-rate not measured', 'review share not measured']);
  });

  it('passes once the soak, the encounters, every criterion and the review share hold', () => {
    const result = evaluateGates(
      base({ since: ago(31 * DAY), encounters: 400, reviewed: 380, reviewedOf: 380, metrics: within }),
    );
    expect(result.failed).toEqual([]);
    expect(result.shortfalls).toEqual([]);
    expect(result.gates.map((g) => g.name)).toEqual([
      'minSoak',
      'minEncounters',
      'expansion: cycle-time-p50-hours',
      'expansion: cycle-time-p90-hours',
      'expansion: first-pass-approval-rate',
      'expansion: rework-rate',
      'oversight',
      'changeTicket',
      'rollbackPlan',
    ]);
  });
});
