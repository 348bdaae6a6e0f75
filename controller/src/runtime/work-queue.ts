// The work queue of a controller, in the shape of client-go's rate-limited workqueue: keys (namespace/name) not
// objects, so a key queued many times is reconciled once against the latest state; a key re-added while it is
// being processed runs again afterwards, never twice at once; retries wait per-key exponential backoff and a
// global token bucket, and a failing key never holds up the others.
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, KeyedBackoff } from './backoff.js';
import { type Clock, systemClock, type Timer } from './clock.js';
import { type RateLimit, TokenBucket } from './token-bucket.js';

export interface WorkQueueOptions {
  backoff?: BackoffPolicy;
  /** Overall rate of retries across all keys, on top of each key's backoff. */
  retryRate?: RateLimit;
  clock?: Clock;
}

export const DEFAULT_RETRY_RATE: RateLimit = { qps: 10, burst: 100 };

/** What a worker does with a key once it has been handled. */
export type Disposition =
  /** Done: reset the key's backoff; it runs again only when something changes. */
  | { action: 'forget' }
  /** Done for now: reset the backoff and run again after `ms` (polling, waiting on something). */
  | { action: 'requeueAfter'; ms: number }
  /** Failed: retry after the key's next backoff delay (and a token from the global bucket). */
  | { action: 'retry' };

export class WorkQueue {
  private readonly clock: Clock;
  private readonly backoff: KeyedBackoff;
  private readonly bucket: TokenBucket;
  private readonly ready: string[] = [];
  /** Keys wanting a run: queued, or re-added while processing. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: Timer }>();
  private waiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private stopping = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.backoff = new KeyedBackoff(options.backoff ?? DEFAULT_BACKOFF);
    this.bucket = new TokenBucket(options.retryRate ?? DEFAULT_RETRY_RATE, this.clock);
  }

  /** Queue `key` now; a no-op when it is already queued. */
  add(key: string): void {
    if (this.stopping || this.dirty.has(key)) return;
    this.dirty.add(key);
    // Running now: it goes back on the queue when its worker calls done().
    if (this.processing.has(key)) return;
    this.ready.push(key);
    this.wakeOne();
  }

  /** Queue `key` after `ms`; when it is already waiting, the earlier of the two times wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.schedule(ms, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { at, timer });
  }

  /** Queue `key` after its next backoff delay, also waiting for the global retry rate; returns the delay. */
  addRateLimited(key: string): number {
    const delay = Math.max(this.backoff.next(key), this.bucket.reserve());
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its next failure backs off from the start again. */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  /** The least delay before `key` runs again if it fails now (the global bucket may add to it). */
  nextRetryDelay(key: string): number {
    return backoffDelay(this.backoff.policy, this.backoff.retries(key) + 1);
  }

  /** Consecutive failures of `key`. */
  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** Keys waiting to be handed to a worker now (not counting delayed ones). */
  get depth(): number {
    return this.ready.length;
  }

  /** Keys waiting for a delay to pass. */
  get waiting(): number {
    return this.delayed.size;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** The next key to process, waiting for one; undefined once the queue shuts down. */
  async get(): Promise<string | undefined> {
    for (;;) {
      if (this.stopping) return undefined;
      const key = this.ready.shift();
      if (key !== undefined) {
        this.dirty.delete(key);
        this.processing.add(key);
        return key;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The worker finished `key`; if it was re-added meanwhile it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.stopping) {
      this.ready.push(key);
      this.wakeOne();
    }
    if (this.processing.size === 0) this.wakeIdle();
  }

  /**
   * Stop handing out keys and resolve once every key in flight is done. Queued and delayed keys are dropped:
   * reconciles are level-based, so whoever runs next relists and gets to them.
   */
  shutdown(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      for (const { timer } of this.delayed.values()) timer.cancel();
      this.delayed.clear();
      this.ready.length = 0;
      this.dirty.clear();
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }

  private wakeIdle(): void {
    const idle = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of idle) resolve();
  }
}

/**
 * Run `concurrency` workers over `queue` until it shuts down. A handler that throws counts as a failure
 * (retry with backoff); the key is never processed by two workers at once.
 */
export async function runWorkers(
  queue: WorkQueue,
  concurrency: number,
  handle: (key: string) => Promise<Disposition>,
): Promise<void> {
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        settle(queue, key, await handle(key));
      } catch {
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

/** Apply a worker's disposition of `key` to the queue. */
export function settle(queue: WorkQueue, key: string, disposition: Disposition): void {
  switch (disposition.action) {
    case 'forget':
      queue.forget(key);
      return;
    case 'requeueAfter':
      queue.forget(key);
      queue.addAfter(key, disposition.ms);
      return;
    case 'retry':
      queue.addRateLimited(key);
      return;
  }
}
