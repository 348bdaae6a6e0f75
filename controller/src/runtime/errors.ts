// Reconcile errors, typed by what happens next. Anything else a reconcile throws is transient: retried with
// backoff.
import { toReason } from './conditions.js';

/** Needs a person: the object cannot progress as written. No retry until the object (or a dependency) changes. */
export class StalledError extends Error {
  override readonly name = 'StalledError';
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = toReason(reason);
  }
}

/** Something expected has not happened yet (a dependency not ready, a soak time not over): check again later. */
export class WaitingError extends Error {
  override readonly name = 'WaitingError';
  readonly reason: string;
  readonly retryAfterMs: number;

  constructor(reason: string, message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = toReason(reason);
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

/** The message of anything thrown, for a condition or a log line. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
