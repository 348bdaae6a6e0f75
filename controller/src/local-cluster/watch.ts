// Watches: a bounded history of changes so a client can resume from a resourceVersion, 410 Expired when it
// asks for one older than the history holds, selector-aware event types, and periodic BOOKMARKs.
import { expired } from './errors.js';
import type { ChangeType, ObjectStore, StoreChange, StoredObject } from './store.js';

export type WatchEventType = ChangeType | 'BOOKMARK';

/** Where a watch's events go; the HTTP layer encodes them for the client's Accept header. */
export interface WatchSink {
  event(type: ChangeType, object: StoredObject): void;
  bookmark(resourceVersion: number): void;
  /** Send a final ERROR event carrying this Status, then end. */
  fail(status: import('./errors.js').Status): void;
  end(): void;
}

export interface WatchRequest {
  storageKey: string;
  /** Undefined or 0: start with ADDED events for what exists now, then follow. */
  fromResourceVersion: number | undefined;
  matches(object: StoredObject): boolean;
  bookmarks: boolean;
  timeoutMs?: number;
}

interface Subscription {
  request: WatchRequest;
  sink: WatchSink;
  timer?: NodeJS.Timeout;
  ended: boolean;
}

export interface WatchHubOptions {
  historySize: number;
  bookmarkIntervalMs: number;
}

/** Decide what a filtered watcher sees for one change: objects entering or leaving its selector look added or deleted. */
export function eventFor(change: StoreChange, matches: (o: StoredObject) => boolean): ChangeType | undefined {
  const now = change.type !== 'DELETED' && matches(change.object);
  const before = change.previous !== undefined && matches(change.previous);
  if (change.type === 'DELETED') return before ? 'DELETED' : undefined;
  if (change.type === 'ADDED') return now ? 'ADDED' : undefined;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}

export class WatchHub {
  private readonly history: StoreChange[] = [];
  /** Changes up to this resourceVersion are no longer in the history. */
  private compactedThrough = 0;
  private readonly subscribers = new Map<string, Set<Subscription>>();
  private readonly bookmarkTimer: NodeJS.Timeout;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: WatchHubOptions,
  ) {
    store.onChange((change) => this.publish(change));
    this.bookmarkTimer = setInterval(() => this.sendBookmarks(), options.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
  }

  /** The oldest resourceVersion a watch may still start from. */
  get oldestResumable(): number {
    return this.compactedThrough;
  }

  subscribe(request: WatchRequest, sink: WatchSink): () => void {
    const sub: Subscription = { request, sink, ended: false };
    const from = request.fromResourceVersion;
    if (from !== undefined && from !== 0 && from < this.compactedThrough) {
      sink.fail(expired(`too old resource version: ${from} (${this.compactedThrough + 1})`).toStatus());
      return () => {};
    }
    if (from === undefined || from === 0) {
      for (const obj of this.store.objects(request.storageKey)) {
        if (request.matches(obj)) sink.event('ADDED', obj);
      }
    } else {
      for (const change of this.history) {
        if (change.object.resourceVersion <= from || change.storageKey !== request.storageKey) continue;
        const type = eventFor(change, request.matches);
        if (type) sink.event(type, change.object);
      }
    }
    let set = this.subscribers.get(request.storageKey);
    if (!set) {
      set = new Set();
      this.subscribers.set(request.storageKey, set);
    }
    set.add(sub);
    if (request.timeoutMs !== undefined) {
      sub.timer = setTimeout(() => this.finish(sub), request.timeoutMs);
      sub.timer.unref();
    }
    return () => this.finish(sub, false);
  }

  /** Forget the history: watches resuming from before now get 410 Expired. */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.store.resourceVersion;
  }

  /**
   * Compact, move the resourceVersion on, and close every open watch, so every watcher reconnects with a
   * version that is now too old and must relist; how tests exercise a client's recovery from 410.
   */
  expireAll(): void {
    this.store.advanceTo(this.store.resourceVersion + 1);
    this.compact();
    this.closeAll();
  }

  /** End every watch on a storage key (its CRD was deleted) or on all of them. */
  closeAll(storageKey?: string): void {
    for (const [key, set] of this.subscribers) {
      if (storageKey !== undefined && key !== storageKey) continue;
      for (const sub of [...set]) this.finish(sub);
    }
  }

  stop(): void {
    clearInterval(this.bookmarkTimer);
    this.closeAll();
  }

  private publish(change: StoreChange): void {
    this.history.push(change);
    if (this.history.length > this.options.historySize) {
      const dropped = this.history.splice(0, this.history.length - this.options.historySize);
      const last = dropped[dropped.length - 1];
      if (last) this.compactedThrough = Math.max(this.compactedThrough, last.object.resourceVersion);
    }
    const set = this.subscribers.get(change.storageKey);
    if (!set) return;
    for (const sub of set) {
      const type = eventFor(change, sub.request.matches);
      if (type) sub.sink.event(type, change.object);
    }
  }

  private sendBookmarks(): void {
    const rv = this.store.resourceVersion;
    for (const set of this.subscribers.values()) {
      for (const sub of set) if (sub.request.bookmarks) sub.sink.bookmark(rv);
    }
  }

  private finish(sub: Subscription, endStream = true): void {
    if (sub.ended) return;
    sub.ended = true;
    if (sub.timer) clearTimeout(sub.timer);
    this.subscribers.get(sub.request.storageKey)?.delete(sub);
    if (endStream) sub.sink.end();
  }
}
