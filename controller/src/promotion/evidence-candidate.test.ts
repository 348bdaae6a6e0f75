// A promotion of a version surveillance found breached while it ran as a candidate (silent mode) says so in its
// evidence bundle and pull request body, so reviewers see it before they sign off; a version with no such record,
// and a rollback, carry nothing of the kind.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { SurveillancePolicyStatus } from '../../../specs/surveillancepolicy.js';
import { UseCase } from '../../../specs/usecase.js';
import { buildEvidence } from './evidence.js';
import { planPromotion } from './plan.js';
import { renderPullRequest } from './render.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8'));
const readmission = UseCase.parse(load('care-management/readmission-risk.yaml')).spec;

/** The policy's status with production 2.3.1 healthy and 2.4.0, silent, at its severe-shift tier. */
const status: SurveillancePolicyStatus = {
  worstTier: 'none',
  candidateTier: 'rollback',
  metrics: [{ name: 'risk-score-psi', value: 0.012, tier: 'none' }],
  stages: [
    {
      stage: 'silent',
      version: '2.4.0',
      production: false,
      worstTier: 'rollback',
      breached: true,
      metrics: [{ name: 'risk-score-psi', value: 0.3124, samples: 168, tier: 'severe-shift' }],
      comparison: {
        version: '2.3.1',
        inputs: 504,
        metrics: [{ name: 'risk-score-psi', candidate: 0.3124, production: 0.0133, samples: 168 }],
      },
    },
    { stage: 'production', version: '2.3.1', production: true, worstTier: 'none', breached: false },
  ],
};

function evidenceFor(type: 'promotion' | 'rollback', version: string) {
  const promotion = planPromotion({
    useCase: { namespace: 'care-management', name: 'readmission-risk', spec: readmission },
    type,
    trigger: type === 'rollback' ? 'surveillance' : 'manual',
    from: 'silent',
    to: 'production',
    version,
    previousVersion: '2.3.1',
  });
  return buildEvidence({
    namespace: 'care-management',
    name: promotion.metadata.name,
    promotion: promotion.spec,
    useCaseName: 'readmission-risk',
    useCase: readmission,
    target: { file: 'care-management/readmission-risk/production.yaml', field: 'model.version' },
    gates: [],
    contracts: {},
    surveillance: { name: 'readmission-surveillance', status },
    policy: { name: 'clinical-signoff', revision: 'generation:1' },
  });
}

describe("a promotion's evidence of its candidate's surveillance", () => {
  it('carries the breach of the version promoted, with its stage and production on the same requests', () => {
    const bundle = evidenceFor('promotion', '2.4.0');
    expect(bundle.surveillance?.candidate).toEqual({
      stage: 'silent',
      version: '2.4.0',
      tier: 'rollback',
      breached: true,
      metrics: [{ name: 'risk-score-psi', value: 0.3124, tier: 'severe-shift' }],
      comparison: {
        version: '2.3.1',
        inputs: 504,
        metrics: [{ name: 'risk-score-psi', candidate: 0.3124, production: 0.0133 }],
      },
    });
    const lines = renderPullRequest(bundle).body.split('\n');
    expect(lines).toContain(
      '**Warning:** `2.4.0` as a candidate in `silent`: worst tier **rollback**, reached while it ran there (told, never acted on: it was not in production).',
    );
    expect(lines).toContain('| risk-score-psi | all | 0.3124 | severe-shift |');
    expect(lines).toContain('On the 504 requests both `2.4.0` and `2.3.1` scored:');
    expect(lines).toContain('| risk-score-psi | 0.3124 | 0.0133 |');
  });

  it('carries nothing for a version no earlier stage ran, nor for a rollback', () => {
    expect(evidenceFor('promotion', '2.4.1').surveillance?.candidate).toBeUndefined();
    expect(evidenceFor('rollback', '2.4.0').surveillance?.candidate).toBeUndefined();
    expect(renderPullRequest(evidenceFor('promotion', '2.4.1')).body).not.toContain('as a candidate in');
  });
});
