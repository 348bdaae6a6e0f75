import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ReleaseTrain, type ReleaseTrainSpec } from '../../../../specs/releasetrain.js';
import { UseCase, type UseCaseSpec } from '../../../../specs/usecase.js';
import { evaluatePromotion } from './promotion.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'));
const useCase = (file: string): UseCaseSpec => UseCase.parse(load(file)).spec;
const train = (file: string): ReleaseTrainSpec => ReleaseTrain.parse(load(file)).spec;

const NOW = new Date('2026-08-01T12:00:00Z');
const denials = useCase('revenue-cycle/denials-triage.yaml');
const monthly = train('revenue-cycle/monthly-release.yaml');
const staging = { staging: { labelledOutcomes: 1600 } };
const since = { staging: '2026-07-15T00:00:00Z' };

describe('evaluatePromotion', () => {
  it('holds the last stage to the whole readiness checklist', () => {
    const verdict = evaluatePromotion(denials, monthly, NOW, staging, since);
    expect(verdict).toMatchObject({
      ready: false,
      reason: 'GatesNotMet',
      version: '3.2.0',
      from: 'staging',
      to: 'production',
      message:
        'candidate 3.2.0 for production: 1 of 9 gates fail: 7/8 readiness items done; open: governanceApproval (in-progress)',
    });
    expect(verdict.gates.map((g) => g.name)).toEqual([
      'evaluation: top1-denial-category-accuracy',
      'evaluation: top1-denial-category-accuracy (payer_type=medicaid-managed-care)',
      'evaluation: fairness-gap-payer-type',
      'evaluation: phi-leakage-rate',
      'minSoak',
      'minLabelledOutcomes',
      'changeTicket',
      'rollbackPlan',
      'readiness',
    ]);
  });

  it('is ready once the checklist is complete and the stage has soaked', () => {
    const approved: UseCaseSpec = {
      ...denials,
      readiness: {
        ...denials.readiness,
        governanceApproval: { status: 'done', evidence: 'https://wiki.example/committee/2026-08' },
      },
    };
    expect(evaluatePromotion(approved, monthly, NOW, staging, since)).toMatchObject({
      ready: true,
      reason: 'GatesMet',
      message: 'candidate 3.2.0 meets all 9 gates for production',
    });
  });

  it('takes the entry time into a stage from the observations before the recorded one', () => {
    const verdict = evaluatePromotion(
      denials,
      monthly,
      NOW,
      { staging: { labelledOutcomes: 1600, since: '2026-07-25T12:00:00Z' } },
      since,
    );
    expect(verdict.gates.find((g) => g.name === 'minSoak')?.message).toBe(
      '3.2.0 entered staging at 2026-07-25T12:00Z; minSoak is 14d, so it soaks until 2026-08-08T12:00Z',
    );
    expect(verdict.wakeAt).toEqual(new Date('2026-08-08T12:00:00Z'));
  });

  it('does not hold an earlier stage to the readiness checklist', () => {
    const priorAuth = useCase('utilization-management/prior-auth-summarization.yaml');
    const verdict = evaluatePromotion(priorAuth, train('utilization-management/wave-rollout.yaml'), NOW);
    expect(verdict.to).toBe('twelve-clinics');
    expect(verdict.gates.map((g) => g.name)).not.toContain('readiness');
  });

  it('has nothing to promote without a candidate, or once it runs everywhere', () => {
    const { candidate: _, ...none } = denials;
    expect(evaluatePromotion(none as UseCaseSpec, monthly, NOW)).toEqual({
      ready: false,
      reason: 'NoCandidate',
      message: 'no candidate version is declared',
      gates: [],
      shortfalls: [],
    });
    const everywhere = { ...denials, versions: denials.versions.map((v) => ({ ...v, version: '3.2.0' })) };
    expect(evaluatePromotion(everywhere, monthly, NOW)).toEqual({
      ready: false,
      reason: 'FullyPromoted',
      message: 'candidate 3.2.0 already runs in every stage',
      version: '3.2.0',
      gates: [],
      shortfalls: [],
    });
  });
});
