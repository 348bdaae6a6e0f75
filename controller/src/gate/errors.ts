// Why the sign-off gate could not decide, typed by what the caller does next: wait until the forge takes calls
// again. The caller maps it to a WaitingError; meanwhile a success the gate set is withdrawn where a write still
// goes through, and the check is never `success` by default.
import { ForgeUnavailableError, type UnavailableReason } from '../forge/forge.js';
import { WaitingError } from '../runtime/index.js';
import { clockTime } from './check-run.js';

export class SignoffUnavailableError extends Error {
  override readonly name = 'SignoffUnavailableError';
  /** No call to the forge before this time. */
  readonly retryAt: Date;
  readonly reason: UnavailableReason;

  constructor(retryAt: Date, reason: UnavailableReason, options?: { cause?: unknown }) {
    super(`${unavailableSentence(reason, retryAt)}; sign-off not evaluated`, options);
    this.retryAt = retryAt;
    this.reason = reason;
  }

  static from(error: ForgeUnavailableError): SignoffUnavailableError {
    return new SignoffUnavailableError(error.retryAt, error.reason, { cause: error });
  }

  /** The runtime's "check again later", timed to the forge's reset. */
  toWaitingError(now: Date): WaitingError {
    return new WaitingError('ForgeUnavailable', this.message, this.retryAt.getTime() - now.getTime(), {
      cause: this,
    });
  }
}

/** "GitHub unavailable until 12:04 UTC", "GitHub rate limit in force until 12:04 UTC". */
export function unavailableSentence(reason: UnavailableReason, until: Date): string {
  const what = reason === 'unavailable' ? 'GitHub unavailable' : 'GitHub rate limit in force';
  return `${what} until ${clockTime(until)}`;
}

/**
 * A rate limit: no read before `retryAt`. A check run write may still go through (the adapter keeps a reserve of
 * the quota for it) until the quota is spent.
 */
export function isRateLimited(error: unknown): error is ForgeUnavailableError {
  return error instanceof ForgeUnavailableError && error.reason !== 'unavailable';
}
