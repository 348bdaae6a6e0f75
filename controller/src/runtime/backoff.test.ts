import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, KeyedBackoff } from './backoff.js';

describe('backoffDelay', () => {
  it.each([
    [0, 0],
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [9, 256_000],
    [10, 300_000],
    [1_000, 300_000],
  ])('after %i failures waits %i ms (1 s doubling, 5 min cap)', (failures, delay) => {
    expect(backoffDelay(DEFAULT_BACKOFF, failures)).toBe(delay);
  });

  it('uses the configured factor', () => {
    expect(backoffDelay({ initialMs: 10, maxMs: 1_000, factor: 3 }, 3)).toBe(90);
  });
});

describe('KeyedBackoff', () => {
  it('grows per key and resets on forget', () => {
    const b = new KeyedBackoff({ initialMs: 5, maxMs: 40 });
    expect([b.next('a'), b.next('a'), b.next('a'), b.next('a'), b.next('a')]).toEqual([5, 10, 20, 40, 40]);
    expect(b.next('b')).toBe(5);
    expect(b.retries('a')).toBe(5);
    b.forget('a');
    expect(b.retries('a')).toBe(0);
    expect(b.next('a')).toBe(5);
  });
});
