import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Condition } from '../../../../specs/common.js';
import { ReleaseTrain } from '../../../../specs/releasetrain.js';
import { UseCase, type UseCaseSpec, type UseCaseStatus } from '../../../../specs/usecase.js';
import { passengers, type UseCaseOnTrain } from './passengers.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'));
const monthly = {
  name: 'monthly-release',
  spec: ReleaseTrain.parse(load('revenue-cycle/monthly-release.yaml')).spec,
};
const denials = UseCase.parse(load('revenue-cycle/denials-triage.yaml')).spec;

// Departure 2026-11-10 06:00 CST (12:00Z); boarding closes 2026-11-07 06:00 CST (12:00Z).
const BEFORE_CUTOFF = new Date('2026-09-15T00:00:00Z');
const AFTER_CUTOFF = new Date('2026-11-08T00:00:00Z');

const cond = (
  type: string,
  status: Condition['status'],
  at = '2026-09-01T00:00:00Z',
  message = '',
): Condition => ({
  type,
  status,
  reason: status === 'True' ? 'Fine' : 'NotYet',
  message,
  lastTransitionTime: at,
});
const statusOf = (conditions: Condition[], candidateVersion = '3.2.0'): UseCaseStatus => ({
  observedGeneration: 3,
  candidateVersion,
  conditions,
});
const onTrain = (status?: UseCaseStatus, spec: UseCaseSpec = denials, generation = 3): UseCaseOnTrain => ({
  name: 'denials-triage',
  generation,
  spec,
  ...(status ? { status } : {}),
});
const ready = [cond('Ready', 'True'), cond('PromotionReady', 'True')];

describe('passengers', () => {
  const cases: { name: string; useCase: UseCaseOnTrain; now?: Date; boarding: boolean; reason?: string }[] = [
    {
      name: 'Ready with its gates met before the cut-off',
      useCase: onTrain(statusOf(ready)),
      boarding: true,
    },
    {
      name: 'gates not met: the use case says why',
      useCase: onTrain(
        statusOf([
          cond('Ready', 'True'),
          cond(
            'PromotionReady',
            'False',
            undefined,
            'candidate 3.2.0 for production: 1 of 9 gates fail: 7/8 readiness items done',
          ),
        ]),
      ),
      boarding: false,
      reason: 'candidate 3.2.0 for production: 1 of 9 gates fail: 7/8 readiness items done',
    },
    {
      name: 'not Ready',
      useCase: onTrain(
        statusOf([
          cond(
            'Ready',
            'False',
            undefined,
            'DataContract "claims-remittance" is at 2.2.0; the use case was built on 2.1.0',
          ),
          cond('PromotionReady', 'True'),
        ]),
      ),
      boarding: false,
      reason:
        'use case not Ready: DataContract "claims-remittance" is at 2.2.0; the use case was built on 2.1.0',
    },
    {
      name: 'ready before the cut-off, looked at after it',
      useCase: onTrain(statusOf(ready)),
      now: AFTER_CUTOFF,
      boarding: true,
    },
    {
      name: 'ready only after the cut-off',
      useCase: onTrain(
        statusOf([cond('Ready', 'True'), cond('PromotionReady', 'True', '2026-11-07T18:00:00Z')]),
      ),
      now: AFTER_CUTOFF,
      boarding: false,
      reason:
        'ready at 2026-11-07T12:00:00-06:00, after the cut-off 2026-11-07T06:00:00-06:00; rides the following departure',
    },
    {
      name: 'a status for another candidate',
      useCase: onTrain(statusOf(ready, '3.1.9')),
      boarding: false,
      reason: 'use case not yet reconciled for candidate 3.2.0',
    },
    {
      name: 'a status older than the spec',
      useCase: onTrain(statusOf(ready), denials, 4),
      boarding: false,
      reason: 'use case not yet reconciled for candidate 3.2.0',
    },
    {
      name: 'never reconciled',
      useCase: onTrain(undefined),
      boarding: false,
      reason: 'use case not yet reconciled for candidate 3.2.0',
    },
  ];
  it.each(cases)('$name', ({ useCase, now, boarding, reason }) => {
    expect(passengers(monthly, [useCase], now ?? BEFORE_CUTOFF)).toEqual([
      {
        useCase: 'denials-triage',
        version: '3.2.0',
        to: 'production',
        boarding,
        ...(reason ? { reason } : {}),
      },
    ]);
  });

  it('boards no one on a suspended train', () => {
    const held = { ...monthly, spec: { ...monthly.spec, suspend: true } };
    expect(passengers(held, [onTrain(statusOf(ready))], BEFORE_CUTOFF)[0]).toMatchObject({
      boarding: false,
      reason: 'no departure: the train is suspended: it does not depart',
    });
  });

  it('lists only use cases on this train with a stage left to enter, by name', () => {
    const { candidate: _, ...noCandidate } = denials;
    const useCases: UseCaseOnTrain[] = [
      { ...onTrain(statusOf(ready)), name: 'zeta-triage' },
      { ...onTrain(statusOf(ready)), name: 'alpha-triage' },
      { ...onTrain(statusOf(ready), { ...denials, releaseTrain: 'weekly-release' }), name: 'other-train' },
      { ...onTrain(undefined, noCandidate as UseCaseSpec), name: 'no-candidate' },
      {
        ...onTrain(undefined, {
          ...denials,
          versions: denials.versions.map((v) => ({ ...v, version: '3.2.0' })),
        }),
        name: 'fully-promoted',
      },
    ];
    expect(passengers(monthly, useCases, BEFORE_CUTOFF).map((p) => p.useCase)).toEqual([
      'alpha-triage',
      'zeta-triage',
    ]);
  });
});
