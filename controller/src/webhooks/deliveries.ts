// The X-GitHub-Delivery ids already accepted, so a redelivered (or replayed) event is processed once. Bounded:
// the oldest ids are forgotten first, and ids older than the TTL too (GitHub redelivers only recent deliveries);
// a forgotten one that comes back is re-evaluated, which the gate makes harmless (an unchanged decision writes
// nothing). With a file, the ids survive a restart: each accepted id is appended before the delivery is
// answered, and the file is rewritten (to a temporary file, then renamed over it) once it holds twice the ids
// remembered, so it stays bounded and is never seen half-written.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where accepted delivery ids are kept between runs. */
export interface DeliveryStore {
  /** The ids recorded so far with when each was accepted, oldest first. */
  load(): { id: string; at: number }[];
  append(id: string, at: number): void;
  /** Replace everything recorded with `entries`, all at once. */
  rewrite(entries: { id: string; at: number }[]): void;
}

/** One line per accepted id, `<ms since epoch> <id>`. */
export class FileDeliveryStore implements DeliveryStore {
  constructor(readonly path: string) {}

  load(): { id: string; at: number }[] {
    if (!existsSync(this.path)) return [];
    const entries: { id: string; at: number }[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      // A line cut short by a crash mid-append is skipped, not trusted.
      const m = /^(\d+) (\S+)$/.exec(line);
      if (m) entries.push({ at: Number(m[1]), id: m[2]! });
    }
    return entries;
  }

  append(id: string, at: number): void {
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${at} ${id}\n`, { mode: 0o600 });
  }

  rewrite(entries: { id: string; at: number }[]): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, entries.map((e) => `${e.at} ${e.id}\n`).join(''), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

export interface SeenDeliveriesOptions {
  /** Keeps the ids across restarts. */
  store?: DeliveryStore;
  /** Ids older than this are forgotten (default 3 days: GitHub offers redelivery of recent deliveries only). */
  ttlMs?: number;
  now?: () => number;
  /** Told when the store cannot be written: the id is still remembered in memory. */
  onStoreError?: (error: unknown) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class SeenDeliveries {
  /** Id -> when it was accepted, oldest first. */
  private readonly ids = new Map<string, number>();
  private readonly store: DeliveryStore | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** Lines in the store since it was last rewritten. */
  private stored = 0;

  constructor(
    readonly capacity = 10_000,
    private readonly options: SeenDeliveriesOptions = {},
  ) {
    this.store = options.store;
    this.ttlMs = options.ttlMs ?? 3 * DAY_MS;
    this.now = options.now ?? Date.now;
    if (this.store) {
      const loaded = this.store.load();
      for (const { id, at } of loaded) {
        this.ids.delete(id);
        this.ids.set(id, at);
      }
      this.stored = loaded.length;
      this.trim();
    }
  }

  /** Record `id`; false when it was seen before. */
  add(id: string): boolean {
    this.trim();
    if (this.ids.has(id)) return false;
    const at = this.now();
    this.ids.set(id, at);
    this.trim();
    this.persist(id, at);
    return true;
  }

  has(id: string): boolean {
    const at = this.ids.get(id);
    return at !== undefined && this.now() - at < this.ttlMs;
  }

  get size(): number {
    return this.ids.size;
  }

  /** Forget ids past the TTL, then the oldest beyond the capacity. */
  private trim(): void {
    const now = this.now();
    for (const [id, at] of this.ids) {
      if (now - at < this.ttlMs && this.ids.size <= this.capacity) break;
      this.ids.delete(id);
    }
  }

  private persist(id: string, at: number): void {
    if (!this.store) return;
    try {
      if (this.stored + 1 > 2 * this.capacity) {
        this.store.rewrite([...this.ids].map(([i, a]) => ({ id: i, at: a })));
        this.stored = this.ids.size;
      } else {
        this.store.append(id, at);
        this.stored += 1;
      }
    } catch (error) {
      this.options.onStoreError?.(error);
    }
  }
}
