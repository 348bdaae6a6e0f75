import { describe, expect, it } from 'vitest';
import type { SurveillancePolicyStatus } from '../../../specs/surveillancepolicy.js';
import { type BreakGlassFacts, breakGlassVerdict } from './break-glass.js';

const NAME = 'readmission-risk-rollback-production-2-3-1';
const UID = '6f1c0d0e-0000-4000-8000-000000000001';

const rollback = {
  useCase: 'readmission-risk',
  type: 'rollback' as const,
  to: 'production',
  version: '2.3.1',
  breakGlass: true,
};

const breach = (
  rollbacks: NonNullable<SurveillancePolicyStatus['actions']>[number]['rollbacks'],
  over: Partial<NonNullable<SurveillancePolicyStatus['actions']>[number]> = {},
): SurveillancePolicyStatus => ({
  actions: [
    {
      at: '2026-03-02T08:00:00Z',
      metric: 'risk-score-psi',
      tier: 'severe-shift',
      action: 'rollback',
      useCase: 'readmission-risk',
      reference: NAME,
      ...(rollbacks ? { rollbacks } : {}),
      ...over,
    },
  ],
});

const recorded = { name: NAME, uid: UID, stage: 'production', version: '2.3.1' };

const facts = (over: {
  spec?: Partial<typeof rollback>;
  uid?: string | undefined;
  status?: SurveillancePolicyStatus;
  deployedBefore?: string[] | undefined;
}): BreakGlassFacts => ({
  promotion: {
    name: NAME,
    ...('uid' in over ? (over.uid ? { uid: over.uid } : {}) : { uid: UID }),
    spec: { ...rollback, ...over.spec },
  },
  policies: [
    { name: 'other-policy', status: { actions: [] } },
    { name: 'readmission-surveillance', ...('status' in over ? { status: over.status } : {}) },
  ],
  ...('deployedBefore' in over
    ? over.deployedBefore
      ? { deployedBefore: over.deployedBefore }
      : {}
    : { deployedBefore: ['2.4.0', '2.3.1', '2.2.0'] }),
});

describe('breakGlassVerdict', () => {
  it.each([
    [
      'a promotion that does not ask for it',
      facts({ spec: { breakGlass: false }, status: breach([recorded]) }),
      'NotRequested',
    ],
    [
      'a forward promotion that asks for it',
      facts({ spec: { type: 'promotion' } as never, status: breach([recorded]) }),
      'NotARollback',
    ],
    ['a rollback no policy status names (made by kubectl)', facts({}), 'NotOpenedBySurveillance'],
    [
      'a rollback named by a breach record without uids (older status)',
      facts({ status: breach(undefined) }),
      'NotOpenedBySurveillance',
    ],
    [
      'a Promotion re-made under the recorded name (another uid)',
      facts({ uid: 'f00d', status: breach([recorded]) }),
      'NotOpenedBySurveillance',
    ],
    [
      'a Promotion without a uid',
      facts({ uid: undefined, status: breach([recorded]) }),
      'NotOpenedBySurveillance',
    ],
    [
      'a record of another use case',
      facts({ status: breach([recorded], { useCase: 'sepsis-alert' }) }),
      'NotOpenedBySurveillance',
    ],
    [
      'a record of a review, not a rollback',
      facts({ status: breach([recorded], { action: 'review' }) }),
      'NotOpenedBySurveillance',
    ],
    [
      'a recorded rollback whose version was edited since',
      facts({ spec: { version: '1.0.0' }, status: breach([recorded]) }),
      'ChangedSinceOpened',
    ],
    [
      'a recorded rollback whose stage was edited since',
      facts({ spec: { to: 'silent' }, status: breach([recorded]) }),
      'ChangedSinceOpened',
    ],
    [
      'a recorded rollback whose history was not read',
      facts({ status: breach([recorded]), deployedBefore: undefined }),
      'HistoryNotRead',
    ],
    [
      'a recorded rollback to a version the stage never ran',
      facts({ status: breach([recorded]), deployedBefore: ['2.4.0', '2.2.0'] }),
      'VersionNeverDeployed',
    ],
    [
      'a recorded rollback when the history is empty',
      facts({ status: breach([recorded]), deployedBefore: [] }),
      'VersionNeverDeployed',
    ],
  ])('refuses %s', (_, input, reason) => {
    const verdict = breakGlassVerdict(input);
    expect(verdict).toMatchObject({ eligible: false, reason });
    if (reason !== 'NotRequested') expect(verdict.message).toMatch(/^break-glass refused: /);
  });

  it('allows the rollback the controller created for a recorded breach, to a version the stage ran before', () => {
    const verdict = breakGlassVerdict(facts({ status: breach([recorded]) }));
    expect(verdict).toEqual({
      eligible: true,
      breach: {
        policy: 'readmission-surveillance',
        at: '2026-03-02T08:00:00Z',
        metric: 'risk-score-psi',
        tier: 'severe-shift',
      },
      message: expect.stringContaining('SurveillancePolicy readmission-surveillance recorded risk-score-psi'),
    });
  });

  it('finds the record among several breaches and policies', () => {
    const status: SurveillancePolicyStatus = {
      actions: [
        ...(breach([{ ...recorded, name: 'older', uid: 'u-older' }]).actions ?? []),
        ...(breach([recorded], { at: '2026-03-05T08:00:00Z' }).actions ?? []),
        ...(breach(undefined, { action: 'review', at: '2026-03-06T08:00:00Z' }).actions ?? []),
      ],
    };
    const verdict = breakGlassVerdict(facts({ status }));
    expect(verdict).toMatchObject({ eligible: true, breach: { at: '2026-03-05T08:00:00Z' } });
  });
});
