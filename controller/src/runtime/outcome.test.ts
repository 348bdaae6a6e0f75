import { describe, expect, it } from 'vitest';
import { type Condition, conditionViolations, setCondition } from './conditions.js';
import { StalledError, WaitingError } from './errors.js';
import { outcomeOfError, type ReconcileOutcome, resolveOutcome, resultLabel } from './outcome.js';

const NOW = Date.UTC(2026, 2, 1, 9, 0, 0);
const summary = (conditions: Condition[]) =>
  Object.fromEntries(conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('outcomeOfError', () => {
  it.each([
    [new StalledError('InvalidSpec', 'bad'), 'stalled'],
    [new WaitingError('ContractPending', 'wait', 30_000), 'waiting'],
    [new Error('boom'), 'failed'],
    ['a string', 'failed'],
  ])('%s -> %s', (error, kind) => {
    expect(outcomeOfError(error).kind).toBe(kind);
  });
});

describe('resolveOutcome', () => {
  const previously = setCondition(
    setCondition(
      [],
      { type: 'Reconciling', status: 'True', reason: 'ProgressingWithRetry', message: '' },
      1,
      NOW,
    ),
    { type: 'Valid', status: 'True', reason: 'Resolved', message: '' },
    1,
    NOW,
  );
  it.each<[string, ReconcileOutcome, Record<string, string>, boolean, unknown]>([
    [
      'success',
      { kind: 'succeeded' },
      { Valid: 'True/Resolved', Ready: 'True/Succeeded' },
      true,
      { action: 'forget' },
    ],
    [
      'success with the controller verdict and a poll',
      {
        kind: 'succeeded',
        ready: { type: 'Ready', status: 'False', reason: 'GatesNotMet', message: '' },
        requeueAfterMs: 60_000,
      },
      { Valid: 'True/Resolved', Ready: 'False/GatesNotMet' },
      true,
      { action: 'requeueAfter', ms: 60_000 },
    ],
    [
      'suspended',
      { kind: 'suspended' },
      { Valid: 'True/Resolved', Ready: 'Unknown/Suspended' },
      true,
      { action: 'forget' },
    ],
    [
      'stalled: no retry',
      { kind: 'stalled', error: new StalledError('InvalidSpec', 'fix the spec') },
      { Valid: 'True/Resolved', Stalled: 'True/InvalidSpec', Ready: 'False/InvalidSpec' },
      true,
      { action: 'forget' },
    ],
    [
      'waiting: retry after its delay',
      { kind: 'waiting', error: new WaitingError('SoakTime', 'soaking', 5_000) },
      { Reconciling: 'True/SoakTime', Valid: 'True/Resolved', Ready: 'False/SoakTime' },
      false,
      { action: 'requeueAfter', ms: 5_000 },
    ],
    [
      'transient: backoff',
      { kind: 'failed', error: new Error('connection reset') },
      {
        Reconciling: 'True/ProgressingWithRetry',
        Valid: 'True/Resolved',
        Ready: 'False/ReconciliationFailed',
      },
      false,
      { action: 'retry' },
    ],
  ])('%s', (_, outcome, conditions, observed, disposition) => {
    const resolved = resolveOutcome(outcome, previously, 2, NOW);
    expect(summary(resolved.conditions)).toEqual(conditions);
    expect(resolved.observed).toBe(observed);
    expect(resolved.disposition).toEqual(disposition);
    // Whatever the outcome, the rules hold for the status it produces.
    const status = { observedGeneration: resolved.observed ? 2 : 1, conditions: resolved.conditions };
    expect(conditionViolations(status, 2)).toEqual([]);
  });

  it('a stalled object that later fails transiently is no longer Stalled', () => {
    const stalled = resolveOutcome(
      { kind: 'stalled', error: new StalledError('X', 'x') },
      [],
      1,
      NOW,
    ).conditions;
    const failed = resolveOutcome({ kind: 'failed', error: new Error('y') }, stalled, 1, NOW).conditions;
    expect(summary(failed)).toEqual({
      Reconciling: 'True/ProgressingWithRetry',
      Ready: 'False/ReconciliationFailed',
    });
  });

  it('labels results for metrics', () => {
    expect(resultLabel({ kind: 'succeeded' })).toBe('success');
    expect(resultLabel({ kind: 'failed', error: 1 })).toBe('error');
    expect(resultLabel({ kind: 'suspended' })).toBe('suspended');
  });
});
