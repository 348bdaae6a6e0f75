import { describe, expect, it } from 'vitest';
import {
  type Condition,
  conditionViolations,
  MAX_MESSAGE_LENGTH,
  removeCondition,
  setCondition,
  toReason,
  truncateMessage,
} from './conditions.js';

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const T1 = T0 + 60_000;
const ready = (status: Condition['status'], reason = 'Succeeded', message = 'ok') => ({
  type: 'Ready',
  status,
  reason,
  message,
});

describe('setCondition', () => {
  it.each([
    ['status unchanged keeps the transition time', 'True', 'True', '2026-03-01T09:00:00Z'],
    ['status flips moves the transition time', 'True', 'False', '2026-03-01T09:01:00Z'],
    ['Unknown to True is a flip', 'Unknown', 'True', '2026-03-01T09:01:00Z'],
  ] as const)('%s', (_, from, to, expected) => {
    const first = setCondition([], ready(from), 1, T0);
    const second = setCondition(first, ready(to, 'Other', 'changed'), 2, T1);
    expect(second[0]!.lastTransitionTime).toBe(expected);
    expect(second[0]!.observedGeneration).toBe(2);
  });

  it('adds a condition that is not there, with a second-precision timestamp', () => {
    expect(setCondition(undefined, ready('True'), 3, T0)).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Succeeded',
        message: 'ok',
        lastTransitionTime: '2026-03-01T09:00:00Z',
        observedGeneration: 3,
      },
    ]);
  });

  it('an update that changes nothing gives an equal list (nothing to write)', () => {
    const first = setCondition([], ready('True'), 1, T0);
    expect(setCondition(first, ready('True'), 1, T1)).toEqual(first);
  });

  it('does not touch other conditions or their order', () => {
    let list = setCondition([], { type: 'Valid', status: 'True', reason: 'Resolved', message: '' }, 1, T0);
    list = setCondition(list, ready('True'), 1, T0);
    list = setCondition(list, { type: 'Valid', status: 'False', reason: 'Missing', message: 'x' }, 1, T1);
    expect(list.map((c) => c.type)).toEqual(['Valid', 'Ready']);
    expect(removeCondition(list, 'Valid').map((c) => c.type)).toEqual(['Ready']);
  });

  it('makes reasons CamelCase and truncates messages', () => {
    const [c] = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'waiting for contract', message: 'm'.repeat(5_000) },
      1,
      T0,
    );
    expect(c!.reason).toBe('WaitingForContract');
    expect(c!.message).toHaveLength(MAX_MESSAGE_LENGTH);
    expect(c!.message.endsWith('...')).toBe(true);
  });
});

describe('toReason', () => {
  it.each([
    ['Succeeded', 'Succeeded'],
    ['succeeded', 'Succeeded'],
    ['contract not found', 'ContractNotFound'],
    ['gate-failed: eval', 'GateFailedEval'],
    ['404 not found', 'NotFound'],
    ['', 'Unknown'],
    ['!!!', 'Unknown'],
  ])('%j -> %s', (input, expected) => {
    expect(toReason(input)).toBe(expected);
  });
});

describe('truncateMessage', () => {
  it('leaves short messages alone', () => {
    expect(truncateMessage('short', 10)).toBe('short');
    expect(truncateMessage('exactly 10', 10)).toBe('exactly 10');
    expect(truncateMessage('eleven char', 10)).toBe('eleven ...');
  });
});

describe('conditionViolations', () => {
  const c = (type: string, status: Condition['status'], reason = 'R'): Condition => ({
    type,
    status,
    reason,
    message: '',
    lastTransitionTime: '2026-03-01T09:00:00Z',
  });
  it.each([
    ['a good status', { observedGeneration: 2, conditions: [c('Ready', 'True')] }, 2, []],
    ['Ready missing', { observedGeneration: 2, conditions: [] }, 2, ['Ready is missing']],
    [
      'Reconciling and Stalled both True',
      {
        observedGeneration: 2,
        conditions: [c('Ready', 'False'), c('Reconciling', 'True'), c('Stalled', 'True')],
      },
      2,
      ['Reconciling and Stalled are both True'],
    ],
    [
      'Ready True for an older generation',
      { observedGeneration: 1, conditions: [c('Ready', 'True')] },
      2,
      ['Ready is True while observedGeneration 1 < generation 2'],
    ],
    [
      'Ready False for an older generation is fine',
      { observedGeneration: 1, conditions: [c('Ready', 'False')] },
      2,
      [],
    ],
    [
      'a reason that is not CamelCase',
      { conditions: [c('Ready', 'False', 'not ok')] },
      undefined,
      ['Ready has a reason that is not CamelCase: "not ok"'],
    ],
    [
      'a type twice',
      { conditions: [c('Ready', 'False'), c('Ready', 'True')] },
      undefined,
      ['a condition type appears twice'],
    ],
  ] as const)('%s', (_, status, generation, expected) => {
    expect(conditionViolations(status as never, generation)).toEqual(expected);
  });
});
