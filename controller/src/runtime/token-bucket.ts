// A token bucket: `qps` tokens a second, holding at most `burst`. Used for the work queue's global retry rate
// and for the client's request rate. Reservations may go into debt, so callers queue up in order instead of
// polling.
import { type Clock, sleep, systemClock } from './clock.js';

export interface RateLimit {
  /** Tokens added per second. */
  qps: number;
  /** Most tokens held at once: how many calls may go at once after a quiet spell. */
  burst: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(limit.qps > 0) || !(limit.burst >= 1))
      throw new Error(`invalid rate limit: qps ${limit.qps}, burst ${limit.burst}`);
    this.tokens = limit.burst;
    this.last = clock.now();
  }

  /** Take one token; how many milliseconds to wait before using it (0 when one was there). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens / this.limit.qps) * 1000);
  }

  /** Take a token only if one is there now; false means over the limit (drop the work, do not wait). */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Take one token and wait until it is due. */
  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await sleep(this.clock, wait, signal);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.qps);
  }
}
