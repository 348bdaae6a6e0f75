import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ReleaseTrain, type ReleaseTrainSpec } from '../../../../specs/releasetrain.js';
import { UseCase, type UseCaseSpec } from '../../../../specs/usecase.js';
import { nextStage } from './stages.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'));
const useCase = (file: string): UseCaseSpec => UseCase.parse(load(file)).spec;
const train = (file: string): ReleaseTrainSpec => ReleaseTrain.parse(load(file)).spec;

describe('nextStage', () => {
  const cases: {
    name: string;
    useCase: UseCaseSpec;
    train: ReleaseTrainSpec;
    expected: ReturnType<typeof nextStage>;
  }[] = [
    {
      name: 'denials-triage: candidate in staging enters production',
      useCase: useCase('revenue-cycle/denials-triage.yaml'),
      train: train('revenue-cycle/monthly-release.yaml'),
      expected: {
        stages: [
          { stage: 'staging', version: '3.2.0' },
          { stage: 'production', version: '3.1.4' },
        ],
        productionVersion: '3.1.4',
        candidateVersion: '3.2.0',
        from: 'staging',
        to: 'production',
      },
    },
    {
      name: 'prior-auth: piloted at one clinic, next wave twelve clinics; nothing network-wide yet',
      useCase: useCase('utilization-management/prior-auth-summarization.yaml'),
      train: train('utilization-management/wave-rollout.yaml'),
      expected: {
        stages: [
          { stage: 'pilot-clinic', version: '1.4.0' },
          { stage: 'twelve-clinics' },
          { stage: 'network' },
        ],
        candidateVersion: '1.4.0',
        from: 'pilot-clinic',
        to: 'twelve-clinics',
      },
    },
    {
      name: 'ambient: a new candidate starts again at the first stage',
      useCase: useCase('clinical-documentation/ambient-documentation.yaml'),
      train: train('clinical-documentation/ambient-rollout.yaml'),
      expected: {
        stages: [
          { stage: 'pilot-department', version: '0.9.2' },
          { stage: 'ambulatory', version: '0.9.2' },
          { stage: 'hospital-medicine' },
        ],
        candidateVersion: '1.0.0',
        to: 'pilot-department',
      },
    },
  ];
  it.each(cases)('$name', ({ useCase, train, expected }) => {
    expect(nextStage(useCase, train)).toEqual(expected);
  });

  const readmission = useCase('care-management/readmission-risk.yaml');
  const quarterly = train('care-management/clinical-quarterly.yaml');

  it('has nothing to enter once the candidate runs in every stage', () => {
    const done = { ...readmission, versions: readmission.versions.map((v) => ({ ...v, version: '2.4.0' })) };
    expect(nextStage(done, quarterly)).toEqual({
      stages: [
        { stage: 'silent', version: '2.4.0' },
        { stage: 'production', version: '2.4.0' },
      ],
      productionVersion: '2.4.0',
      candidateVersion: '2.4.0',
    });
  });

  it('has nothing to enter without a candidate, and still reports the versions', () => {
    const { candidate: _, ...none } = readmission;
    const plan = nextStage(none as UseCaseSpec, quarterly);
    expect(plan.to).toBeUndefined();
    expect(plan.candidateVersion).toBeUndefined();
    expect(plan.productionVersion).toBe('2.3.1');
  });
});
