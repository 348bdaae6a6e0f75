import { describe, expect, it } from 'vitest';
import { defaultReserve, parseRetryAfter, RateLimitGate } from './rate-limit.js';

const headers = (h: Record<string, string>) => new Headers(h);
const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z

describe('RateLimitGate', () => {
  it('blocks until the reset time once the primary quota is spent', () => {
    let now = NOW;
    const gate = new RateLimitGate(() => now);
    const reset = NOW / 1000 + 600;
    gate.observe(403, headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }));
    expect(gate.blocked()).toEqual({ until: reset * 1000, reason: 'rate-limit' });
    now = reset * 1000 - 1;
    expect(gate.blocked()).toBeDefined();
    now = reset * 1000;
    expect(gate.blocked()).toBeUndefined();
  });

  it('blocks after the call that spent the last of the quota, before any refusal', () => {
    const gate = new RateLimitGate(() => NOW);
    gate.observe(
      200,
      headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 60) }),
    );
    expect(gate.blocked()?.reason).toBe('rate-limit');
  });

  it('honours retry-after on a secondary limit', () => {
    const gate = new RateLimitGate(() => NOW);
    gate.observe(403, headers({ 'retry-after': '30', 'x-ratelimit-remaining': '4000' }));
    expect(gate.blocked()).toEqual({ until: NOW + 30_000, reason: 'secondary-rate-limit' });
  });

  it('waits a minute on a secondary limit that gives no retry-after', () => {
    const gate = new RateLimitGate(() => NOW);
    gate.observe(403, headers({}), '{"message":"You have exceeded a secondary rate limit."}');
    expect(gate.blocked()).toEqual({ until: NOW + 60_000, reason: 'secondary-rate-limit' });
  });

  it('ignores a 403 that is about permissions', () => {
    const gate = new RateLimitGate(() => NOW);
    gate.observe(
      403,
      headers({ 'x-ratelimit-remaining': '4999' }),
      '{"message":"Resource not accessible by integration"}',
    );
    expect(gate.blocked()).toBeUndefined();
  });

  it('never shortens a block already in force', () => {
    const gate = new RateLimitGate(() => NOW);
    gate.observe(403, headers({ 'retry-after': '120' }));
    gate.observe(403, headers({ 'retry-after': '5' }));
    expect(gate.blocked()?.until).toBe(NOW + 120_000);
  });
});

describe('the reserve kept for check run writes', () => {
  const quota = (remaining: number, resetInSeconds = 600) =>
    headers({
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(NOW / 1000 + resetInSeconds),
    });

  it('stops ordinary calls once the remaining quota falls to it, and lets reserved writes spend it', () => {
    let now = NOW;
    const gate = new RateLimitGate(() => now, { reserve: 3 });
    gate.observe(200, quota(4));
    expect(gate.blocked()).toBeUndefined();
    gate.observe(200, quota(3));
    expect(gate.blocked()).toEqual({ until: NOW + 600_000, reason: 'rate-limit' });
    expect(gate.blocked('reserved')).toBeUndefined();
    gate.observe(200, quota(1));
    expect(gate.blocked('reserved')).toBeUndefined();
    // The last call of the quota spent: nothing at all before the reset, then everything again.
    gate.observe(200, quota(0));
    expect(gate.blocked('reserved')?.reason).toBe('rate-limit');
    now = NOW + 600_000;
    expect(gate.blocked()).toBeUndefined();
    expect(gate.blocked('reserved')).toBeUndefined();
  });

  it('is 2% of the quota, at most 100 calls, unless configured', () => {
    expect(defaultReserve(5000)).toBe(100);
    expect(defaultReserve(15_000)).toBe(100);
    expect(defaultReserve(1000)).toBe(20);
    const gate = new RateLimitGate(() => NOW);
    gate.observe(200, quota(101));
    expect(gate.blocked()).toBeUndefined();
    gate.observe(200, quota(100));
    expect(gate.blocked()?.reason).toBe('rate-limit');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter(new Date(NOW + 9000).toUTCString(), NOW)).toBe(9000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});
