import { describe, expect, it } from 'vitest';
import type { PromotionSpec } from '../../../../specs/promotion.js';
import type { SignoffResult } from '../../signoff/index.js';
import {
  overdueRetrospective,
  type PromotionRef,
  phaseEvent,
  phaseOf,
  retrospective,
  retrospectiveHoldMessage,
  signoffStatus,
  supersedingPromotion,
} from './decide.js';

const spec = (version: string, extra: Partial<PromotionSpec> = {}): PromotionSpec => ({
  useCase: 'denials-triage',
  type: 'promotion',
  trigger: 'train',
  to: 'production',
  version,
  breakGlass: false,
  ...extra,
});
const ref = (
  name: string,
  version: string,
  createdAt: string,
  extra: Partial<PromotionRef> = {},
): PromotionRef => ({
  name,
  spec: spec(version),
  createdAt,
  ...extra,
});

const result = (conclusion: 'success' | 'failure', filled: number): SignoffResult => ({
  conclusion,
  roles: [
    {
      role: 'data-science',
      team: 'o/ds',
      filledBy: { login: 'ds-lead', at: '2026-03-01T10:00:00Z', reviewId: 7, commit: 'abc' },
    },
    { role: 'compliance', team: 'o/c', missing: { code: 'no-approval', message: 'no approval' } },
  ],
  ignored: [],
  blockers: [],
  filled,
  required: 2,
  summary: `${filled}/2 roles signed off`,
  notes: [],
});

describe('promotion decisions', () => {
  it('puts the promotion where its pull request is', () => {
    expect(phaseOf({ state: 'open', merged: false })).toBe('Open');
    expect(phaseOf({ state: 'open', merged: false }, result('success', 2))).toBe('SignedOff');
    expect(phaseOf({ state: 'open', merged: false }, result('failure', 1))).toBe('Open');
    expect(phaseOf({ state: 'closed', merged: true })).toBe('Merged');
    expect(phaseOf({ state: 'closed', merged: false })).toBe('Rejected');
  });

  it('records who signed which role', () => {
    expect(signoffStatus(result('failure', 1))).toEqual({
      signoffs: [
        { role: 'data-science', login: 'ds-lead', at: '2026-03-01T10:00:00Z', reviewId: 7, commit: 'abc' },
      ],
      signoffSummary: '1/2',
    });
  });

  it('is superseded by a later promotion of the same use case and stage only', () => {
    const mine = ref('uc-production-3-2-0', '3.2.0', '2026-03-01T00:00:00Z');
    const newer = ref('uc-production-3-2-1', '3.2.1', '2026-03-02T00:00:00Z');
    expect(supersedingPromotion(mine, [mine, newer])?.name).toBe('uc-production-3-2-1');
    expect(supersedingPromotion(newer, [mine, newer])).toBeUndefined();
    expect(
      supersedingPromotion(mine, [{ ...newer, spec: spec('3.2.1', { to: 'staging' }) }]),
    ).toBeUndefined();
    expect(
      supersedingPromotion(mine, [{ ...newer, spec: spec('3.2.1', { type: 'rollback' }) }]),
    ).toBeUndefined();
    expect(supersedingPromotion(mine, [{ ...newer, phase: 'Rejected' }])).toBeUndefined();
  });

  it('tracks a break-glass retrospective until the usual roles sign', () => {
    const bg = { by: 'ds-lead', at: '2026-03-01T10:00:00Z', retrospectiveDue: '2026-03-04T10:00:00Z' };
    expect(retrospective(bg, result('failure', 1), new Date('2026-03-02T00:00:00Z'))).toEqual({
      state: 'owed',
      overdue: false,
      due: '2026-03-04T10:00:00Z',
    });
    expect(retrospective(bg, result('failure', 1), new Date('2026-03-05T00:00:00Z'))).toMatchObject({
      overdue: true,
    });
    expect(retrospective(bg, result('success', 2), new Date('2026-03-05T00:00:00Z'))).toEqual({
      state: 'done',
      at: '2026-03-05T00:00:00.000Z',
    });
  });

  it('tells each phase change once', () => {
    const pr = { number: 4, url: 'http://forge/pull/4' };
    expect(phaseEvent('Open', 'Open', { pr, version: '3.2.0', to: 'production' })).toBeUndefined();
    expect(phaseEvent(undefined, 'Open', { pr, version: '3.2.0', to: 'production' })).toEqual({
      type: 'Normal',
      reason: 'PullRequestOpened',
      message: 'opened pull request #4 to deploy 3.2.0 to production: http://forge/pull/4',
    });
    expect(
      phaseEvent('SignedOff', 'Open', { pr, version: '3.2.0', to: 'production', summary: '1/2' })?.reason,
    ).toBe('SignoffWithdrawn');
    expect(phaseEvent('SignedOff', 'Merged', { pr, version: '3.2.0', to: 'production' })?.message).toBe(
      'pull request #4 merged: production runs 3.2.0',
    );
  });
});

describe('overdueRetrospective', () => {
  const merge = (name: string, due: string, doneAt?: string) => ({
    name,
    pullRequest: 12,
    breakGlass: {
      by: 'clinical-safety-lead',
      at: '2026-03-01T00:00:00Z',
      retrospectiveDue: due,
      ...(doneAt ? { retrospectiveDoneAt: doneAt } : {}),
    },
  });
  const now = new Date('2026-03-05T00:00:00Z');

  it.each([
    ['no break-glass merge', [], undefined],
    ['a retrospective owed but not yet due', [merge('a', '2026-03-06T00:00:00Z')], undefined],
    [
      'an overdue retrospective that was done',
      [merge('a', '2026-03-04T00:00:00Z', '2026-03-04T12:00:00Z')],
      undefined,
    ],
    ['an overdue retrospective not done', [merge('a', '2026-03-04T00:00:00Z')], 'a'],
    [
      'two overdue: the one due first',
      [merge('late', '2026-03-04T00:00:00Z'), merge('early', '2026-03-02T00:00:00Z')],
      'early',
    ],
  ])('with %s: %s', (_, merges, owed) => {
    expect(overdueRetrospective(merges, now)?.name).toBe(owed);
  });

  it('names the rollback, its pull request, who approved it and when it was due', () => {
    expect(retrospectiveHoldMessage(merge('rb', '2026-03-04T00:00:00Z'), 'readmission-risk')).toBe(
      "the retrospective sign-off of break-glass rollback rb (pull request #12), merged on clinical-safety-lead's approval, was due by 2026-03-04T00:00:00Z and is not done: no promotion of readmission-risk opens a pull request until the usual roles sign it off",
    );
  });
});
