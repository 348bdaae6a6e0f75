// The primary rate limit per user, as GitHub keeps it: a budget per hour window that every request spends
// except conditional requests answered 304 and GET /rate_limit; once spent, 403 until the reset time.
import type { Clock } from '../../runtime/clock.js';

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds since the epoch when the window resets. */
  reset: number;
  used: number;
}

export interface RateLimitOverride {
  /** Whose budget; everyone's when absent. */
  user?: string;
  remaining?: number;
  limit?: number;
  /** Seconds from now until the window resets. */
  resetInSeconds?: number;
}

export class RateLimits {
  private readonly windows = new Map<string, { limit: number; used: number; reset: number }>();
  private readonly defaults: { limit: number; windowSeconds: number };

  constructor(
    private readonly clock: Clock,
    limit = 5000,
    windowSeconds = 3600,
  ) {
    this.defaults = { limit, windowSeconds };
  }

  private now(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private window(user: string) {
    let w = this.windows.get(user);
    if (!w || this.now() >= w.reset) {
      w = {
        limit: w?.limit ?? this.defaults.limit,
        used: 0,
        reset: this.now() + this.defaults.windowSeconds,
      };
      this.windows.set(user, w);
    }
    return w;
  }

  peek(user: string): RateLimitState {
    const w = this.window(user);
    return { limit: w.limit, remaining: Math.max(0, w.limit - w.used), reset: w.reset, used: w.used };
  }

  /** Spend one request; returns the state after spending. */
  spend(user: string): RateLimitState {
    this.window(user).used += 1;
    return this.peek(user);
  }

  exhausted(user: string): boolean {
    return this.peek(user).remaining === 0;
  }

  set(override: RateLimitOverride, users: Iterable<string>): void {
    const targets = override.user ? [override.user] : [...users];
    for (const user of targets) {
      const w = this.window(user);
      if (override.limit !== undefined) w.limit = override.limit;
      if (override.remaining !== undefined) w.used = Math.max(0, w.limit - override.remaining);
      if (override.resetInSeconds !== undefined) w.reset = this.now() + override.resetInSeconds;
    }
  }

  static headers(s: RateLimitState): Record<string, string> {
    return {
      'x-ratelimit-limit': String(s.limit),
      'x-ratelimit-remaining': String(s.remaining),
      'x-ratelimit-reset': String(s.reset),
      'x-ratelimit-used': String(s.used),
      'x-ratelimit-resource': 'core',
    };
  }
}
