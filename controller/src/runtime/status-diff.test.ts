import { describe, expect, it } from 'vitest';
import {
  applyMergePatch,
  type JsonObject,
  mergePatchBetween,
  rebaseStatus,
  sameState,
} from './status-diff.js';

const cond = (type: string, status: string, reason = 'R') => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: '2026-03-01T09:00:00Z',
});

describe('sameState', () => {
  it.each([
    ['key order', { a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }, true],
    [
      'conditions order',
      { conditions: [cond('Ready', 'True'), cond('Valid', 'True')] },
      { conditions: [cond('Valid', 'True'), cond('Ready', 'True')] },
      true,
    ],
    ['other list order matters', { versions: ['1', '2'] }, { versions: ['2', '1'] }, false],
    ['a changed value', { a: 1 }, { a: 2 }, false],
    ['absent vs empty', undefined, {}, true],
    ['an extra field', { a: 1 }, { a: 1, b: 2 }, false],
  ])('%s', (_, a, b, same) => {
    expect(sameState(a, b)).toBe(same);
  });
});

describe('mergePatchBetween', () => {
  it.each<[string, JsonObject | undefined, JsonObject, JsonObject]>([
    ['nothing changed', { a: 1, n: { x: 1 } }, { n: { x: 1 }, a: 1 }, {}],
    ['a changed scalar', { a: 1, b: 2 }, { a: 1, b: 3 }, { b: 3 }],
    ['a removed field is nulled', { a: 1, b: 2 }, { a: 1 }, { b: null }],
    ['nested objects patch by field', { n: { x: 1, y: 2 } }, { n: { x: 1, y: 5 } }, { n: { y: 5 } }],
    ['lists are replaced whole', { l: [1, 2] }, { l: [1, 2, 3] }, { l: [1, 2, 3] }],
    ['from nothing', undefined, { a: 1 }, { a: 1 }],
    [
      'reordered conditions are no change',
      { conditions: [cond('A', 'True'), cond('B', 'True')] },
      { conditions: [cond('B', 'True'), cond('A', 'True')] },
      {},
    ],
  ])('%s', (_, from, to, patch) => {
    const p = mergePatchBetween(from, to);
    expect(p).toEqual(patch);
    // Applying the patch gets exactly `to`.
    expect(sameState(applyMergePatch(from ?? {}, p), to)).toBe(true);
  });
});

describe('rebaseStatus', () => {
  it('keeps what another writer changed and replays ours', () => {
    const base = { observedGeneration: 1, summary: 'old', conditions: [cond('Ready', 'False')] };
    const desired = { observedGeneration: 1, summary: 'new', conditions: [cond('Ready', 'True')] };
    const fresh = {
      observedGeneration: 1,
      summary: 'old',
      lastTest: 'theirs',
      conditions: [cond('Ready', 'False'), cond('Audited', 'True')],
    };
    expect(rebaseStatus(base, desired, fresh)).toEqual({
      observedGeneration: 1,
      summary: 'new',
      lastTest: 'theirs',
      conditions: [cond('Ready', 'True'), cond('Audited', 'True')],
    });
  });

  it('a condition we did not change keeps the other writer value; one we removed stays removed', () => {
    const base = { conditions: [cond('Ready', 'True'), cond('Reconciling', 'True'), cond('Valid', 'True')] };
    const desired = { conditions: [cond('Ready', 'True'), cond('Valid', 'True')] };
    const fresh = {
      conditions: [cond('Ready', 'True'), cond('Reconciling', 'True'), cond('Valid', 'False', 'TheirReason')],
    };
    expect(rebaseStatus(base, desired, fresh)).toEqual({
      conditions: [cond('Ready', 'True'), cond('Valid', 'False', 'TheirReason')],
    });
  });
});
