import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/clock.js';
import { RateLimits } from './rate-limit.js';

describe('RateLimits', () => {
  it('spends a per-user budget that resets after the window', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const limits = new RateLimits(clock, 3, 60);
    limits.spend('ds-lead');
    limits.spend('ds-lead');
    expect(limits.peek('ds-lead')).toMatchObject({ limit: 3, remaining: 1, used: 2 });
    expect(limits.peek('ds-2').remaining).toBe(3);
    limits.spend('ds-lead');
    expect(limits.exhausted('ds-lead')).toBe(true);
    await clock.advance(60_000);
    expect(limits.peek('ds-lead')).toMatchObject({ remaining: 3, used: 0 });
  });

  it('takes an override of the remaining budget and the reset time', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const limits = new RateLimits(clock);
    limits.set({ remaining: 0, resetInSeconds: 90 }, ['ds-lead', 'ds-2']);
    expect(limits.peek('ds-2')).toMatchObject({ remaining: 0, reset: Date.UTC(2026, 0, 1) / 1000 + 90 });
    expect(RateLimits.headers(limits.peek('ds-2'))['x-ratelimit-remaining']).toBe('0');
  });
});
