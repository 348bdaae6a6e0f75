import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('lets a burst through, then spaces calls at the rate', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    // Over the burst: each further token is 100 ms after the previous one.
    expect([bucket.reserve(), bucket.reserve()]).toEqual([100, 200]);
    await clock.advance(1_000);
    expect(bucket.reserve()).toBe(0);
  });

  it('refills no higher than the burst', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 100, burst: 2 }, clock);
    await clock.advance(60_000);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 10]);
  });

  it('tryTake refuses instead of going into debt', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 1, burst: 1 }, clock);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('take waits on the clock', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 2, burst: 1 }, clock);
    await bucket.take();
    let done = false;
    void bucket.take().then(() => {
      done = true;
    });
    await clock.advance(499);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
  });

  it('rejects a limit that could never refill', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(/invalid rate limit/);
  });
});
