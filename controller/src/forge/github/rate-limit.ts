// What GitHub said about its rate limits, and so when the next call may be made. One gate per forge client: once
// any response says the quota is spent (or asks to back off), no request leaves before that time. A reserve of
// the primary quota is kept for the sign-off check's own writes: once the remaining calls fall to it, reads stop
// until the reset, so that Vigil can still fail a check it can no longer confirm (a check run write may spend it).
import type { UnavailableReason } from '../forge.js';

/** GitHub's advice when a secondary limit comes without `retry-after`: wait at least a minute. */
const SECONDARY_FALLBACK_MS = 60_000;

/** The reserve when none is configured: 2% of the hourly quota, at most 100 calls. */
export function defaultReserve(limit: number): number {
  return Math.min(100, Math.floor(limit / 50));
}

/** What a call is: a read (or any ordinary call), or a write the reserve is kept for. */
export type CallKind = 'ordinary' | 'reserved';

export interface RateLimitGateOptions {
  /** Calls of the primary quota kept for reserved writes; `defaultReserve(limit)` when absent. */
  reserve?: number;
}

export interface HeaderReader {
  get(name: string): string | null;
}

export interface Block {
  until: number;
  reason: UnavailableReason;
}

export class RateLimitGate {
  private block: Block | undefined;
  /** The primary quota as the last response reported it. */
  private budget: { limit: number; remaining: number; reset: number } | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly options: RateLimitGateOptions = {},
  ) {}

  /**
   * Learn from a response. `bodyText` is read only for 403s, where GitHub tells a secondary limit apart from a
   * missing permission by the message alone.
   */
  observe(status: number, headers: HeaderReader, bodyText?: string): Block | undefined {
    const remaining = headers.get('x-ratelimit-remaining');
    const resetSeconds = Number(headers.get('x-ratelimit-reset'));
    const reset = Number.isFinite(resetSeconds) && resetSeconds > 0 ? resetSeconds * 1000 : undefined;
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'), this.now());
    const limit = Number(headers.get('x-ratelimit-limit'));
    if (remaining !== null && /^\d+$/.test(remaining) && reset !== undefined) {
      this.budget = {
        limit: Number.isFinite(limit) && limit > 0 ? limit : 5000,
        remaining: Number(remaining),
        reset,
      };
    }
    let next: Block | undefined;

    if (status === 403 || status === 429) {
      if (retryAfterMs !== undefined) {
        next = {
          until: this.now() + retryAfterMs,
          reason: remaining === '0' ? 'rate-limit' : 'secondary-rate-limit',
        };
      } else if (remaining === '0' && reset !== undefined) {
        next = { until: reset, reason: 'rate-limit' };
      } else if (status === 429 || /secondary rate limit|abuse/i.test(bodyText ?? '')) {
        next = { until: this.now() + SECONDARY_FALLBACK_MS, reason: 'secondary-rate-limit' };
      }
    } else if (status < 400 && remaining === '0' && reset !== undefined) {
      // This call spent the last of the quota: the next one would be refused, so none before the reset.
      next = { until: reset, reason: 'rate-limit' };
    }
    if (next && next.until > (this.block?.until ?? 0)) this.block = next;
    return next;
  }

  /**
   * The block in force now for a call of this kind, if any: a spent quota or a secondary limit stops every
   * call; the reserve reached stops all but reserved writes, until the reset.
   */
  blocked(kind: CallKind = 'ordinary'): Block | undefined {
    if (this.block && this.block.until > this.now()) return this.block;
    this.block = undefined;
    const budget = this.budget;
    if (!budget || budget.reset <= this.now()) return undefined;
    if (kind === 'ordinary' && budget.remaining <= this.reserve(budget.limit)) {
      return { until: budget.reset, reason: 'rate-limit' };
    }
    return undefined;
  }

  /** The calls kept for reserved writes out of a quota of `limit`. */
  reserve(limit: number): number {
    return this.options.reserve ?? defaultReserve(limit);
  }
}

/** `retry-after` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
