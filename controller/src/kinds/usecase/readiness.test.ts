import { describe, expect, it } from 'vitest';
import { READINESS_ITEMS, type UseCaseSpec } from '../../../../specs/usecase.js';
import { evaluateReadiness } from './readiness.js';

const done = { status: 'done' as const, evidence: 'https://wiki.example/evidence' };
const all = Object.fromEntries(READINESS_ITEMS.map((i) => [i, done])) as UseCaseSpec['readiness'];

describe('evaluateReadiness', () => {
  it('counts done and not-applicable items as ready', () => {
    const r = evaluateReadiness({ ...all, financialBaseline: { status: 'not-applicable', note: 'no cost' } });
    expect(r).toMatchObject({ ready: 8, total: 8, complete: true, summary: '8/8', missing: [] });
    expect(r.message).toBe('all 8 readiness items are done or not applicable');
  });

  it('names each open item with its status, in checklist order', () => {
    const r = evaluateReadiness({
      ...all,
      governanceApproval: { status: 'in-progress', note: 'committee next month' },
      changeManagementPlan: { status: 'not-started' },
    });
    expect(r.summary).toBe('6/8');
    expect(r.complete).toBe(false);
    expect(r.message).toBe(
      '6/8 readiness items done; open: changeManagementPlan (not-started), governanceApproval (in-progress)',
    );
  });

  it('counts an item left out of the spec as not started', () => {
    const { rollbackProcedure: _, ...rest } = all;
    const r = evaluateReadiness(rest);
    expect(r.summary).toBe('7/8');
    expect(r.missing).toEqual([{ item: 'rollbackProcedure', status: 'not-started' }]);
  });

  it('gives 0/8 for an empty checklist', () => {
    const r = evaluateReadiness({});
    expect(r.summary).toBe('0/8');
    expect(r.missing.map((m) => m.item)).toEqual([...READINESS_ITEMS]);
  });
});
