// What GitHub said about its rate limits, and so when the next call may be made. One gate per forge client: once
// any response says the quota is spent (or asks to back off), no request leaves before that time.
import type { UnavailableReason } from '../forge.js';

/** GitHub's advice when a secondary limit comes without `retry-after`: wait at least a minute. */
const SECONDARY_FALLBACK_MS = 60_000;

export interface HeaderReader {
  get(name: string): string | null;
}

export interface Block {
  until: number;
  reason: UnavailableReason;
}

export class RateLimitGate {
  private block: Block | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Learn from a response. `bodyText` is read only for 403s, where GitHub tells a secondary limit apart from a
   * missing permission by the message alone.
   */
  observe(status: number, headers: HeaderReader, bodyText?: string): Block | undefined {
    const remaining = headers.get('x-ratelimit-remaining');
    const resetSeconds = Number(headers.get('x-ratelimit-reset'));
    const reset = Number.isFinite(resetSeconds) && resetSeconds > 0 ? resetSeconds * 1000 : undefined;
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'), this.now());
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

  /** The block in force now, if any. */
  blocked(): Block | undefined {
    if (this.block && this.block.until > this.now()) return this.block;
    this.block = undefined;
    return undefined;
  }
}

/** `retry-after` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
