// What a reconciler last read from the forge and decided, kept until it falls due, so that a pass over objects
// nothing has happened to (a resync, a restart of the informers, another object's change requeueing everything)
// asks GitHub nothing at all. Each entry is tied to a fingerprint of the cluster state the decision rests on: a
// spec, an annotation or a claim that changes gives a new fingerprint, and the next pass reads the forge again.
// Whatever the forge may have changed is never trusted past the entry's due time (the poll interval, or an
// approval's expiry, whichever comes first), and is forgotten at once when a webhook, the poller or a membership
// change says something moved.
import type { Forge } from '../forge/forge.js';
import { remember } from './remember.js';

interface Entry<T> {
  fingerprint: string;
  dueAt: number;
  value: T;
}

export class AtRest<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly capacity: number;

  constructor(capacity = 10_000) {
    this.capacity = capacity;
  }

  /** The value kept for `key`, while its fingerprint still matches and it is not yet due; otherwise undefined. */
  get(key: string, fingerprint: string, nowMs: number): { value: T; dueAt: number } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.fingerprint !== fingerprint || nowMs >= entry.dueAt) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: entry.value, dueAt: entry.dueAt };
  }

  set(key: string, fingerprint: string, dueAt: number, value: T): void {
    remember(this.entries, key, { fingerprint, dueAt, value }, this.capacity);
  }

  /** Something about `key` may have changed at the forge: the next pass reads it again. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  forgetAll(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The promotions whose pull request's sign-off could not be evaluated because GitHub was not taking calls (the
 * rate limit spent down to its reserve): once it does again, these are evaluated before anything else is read.
 * Keyed `namespace/name`.
 */
export class DeferredPromotions {
  private readonly keys = new Set<string>();
  private readonly waiters = new Map<string, (() => void)[]>();

  defer(key: string): void {
    this.keys.add(key);
  }

  /** An evaluation of `key` ended: evaluated (`deferred` false), or deferred again. Wakes whoever waits on it. */
  settle(key: string, deferred: boolean): void {
    if (!deferred) this.keys.delete(key);
    const waiting = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    for (const done of waiting) done();
  }

  list(): string[] {
    return [...this.keys];
  }

  /** Resolves when the next evaluation of `key` ends, or after `timeoutMs` (a promotion deleted meanwhile). */
  next(key: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref?.();
      this.waiters.set(key, [
        ...(this.waiters.get(key) ?? []),
        () => {
          clearTimeout(timer);
          resolve();
        },
      ]);
    });
  }

  /** Wake every waiter (the controller stopping). */
  release(): void {
    for (const key of [...this.waiters.keys()]) this.settle(key, this.keys.has(key));
  }
}

/** The decisions at rest for one forge: Promotions' sign-off, keyed `namespace/name`, and SignoffPolicies'. */
export interface ForgeDecisions {
  promotions: AtRest<unknown>;
  policies: AtRest<unknown>;
  deferred: DeferredPromotions;
}

const byForge = new WeakMap<Forge, ForgeDecisions>();

/**
 * The one store per forge, so that the change-control side (webhooks, the poller, the membership watch) can
 * forget what the reconcilers of the same forge keep, without either being handed the other.
 */
export function decisionsAtRest(forge: Forge): ForgeDecisions {
  let found = byForge.get(forge);
  if (!found) {
    found = { promotions: new AtRest(), policies: new AtRest(), deferred: new DeferredPromotions() };
    byForge.set(forge, found);
  }
  return found;
}
