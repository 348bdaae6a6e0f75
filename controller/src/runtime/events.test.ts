import { describe, expect, it } from 'vitest';
import { decideEventWrite, eventMessage } from './events.js';

describe('decideEventWrite', () => {
  const seen = { name: 'uc.1', namespace: 'ns', count: 3, firstSeen: 1_000, lastSeen: 5_000 };
  it.each([
    ['first time: create', undefined, 10_000, { action: 'create' }],
    [
      'a repeat within the window: count it',
      seen,
      1_000 + 599_999,
      { action: 'increment', name: 'uc.1', count: 4 },
    ],
    ['a repeat after the window: a new Event', seen, 1_000 + 600_000, { action: 'create' }],
  ] as const)('%s', (_, previous, now, expected) => {
    expect(decideEventWrite(previous, now, 600_000)).toEqual(expected);
  });
});

describe('eventMessage', () => {
  it('passes the controller words through, bounded', () => {
    expect(eventMessage('Promotion opened for stage pilot')).toBe('Promotion opened for stage pilot');
    expect(eventMessage('x'.repeat(2_000))).toHaveLength(1_024);
  });
  it.each(['patient 123-45-6789 flagged', 'record MRN: 12345678 mismatched'])('withholds %j', (text) => {
    expect(eventMessage(text)).toMatch(/^Message withheld/);
  });
});
