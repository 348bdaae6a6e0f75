// Per-key exponential backoff: the delay before the next retry of a key that keeps failing. Pure bookkeeping;
// the work queue decides when to ask.

export interface BackoffPolicy {
  /** Delay after the first failure. */
  initialMs: number;
  /** The delay never grows past this. */
  maxMs: number;
  /** Growth per failure (2 doubles). */
  factor?: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 5 * 60_000, factor: 2 };

/** The delay after `failures` consecutive failures (1 for the first). */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  if (failures <= 0) return 0;
  const factor = policy.factor ?? 2;
  // Past ~60 doublings the number is Infinity anyway; the cap applies either way.
  const exponent = Math.min(failures - 1, 64);
  return Math.min(policy.maxMs, policy.initialMs * factor ** exponent);
}

export class KeyedBackoff {
  private readonly failures = new Map<string, number>();

  constructor(readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** Count one more failure of `key` and return how long to wait before retrying it. */
  next(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return backoffDelay(this.policy, n);
  }

  /** Consecutive failures of `key` so far. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The key succeeded (or was given up on): its next failure starts from the initial delay again. */
  forget(key: string): void {
    this.failures.delete(key);
  }
}
