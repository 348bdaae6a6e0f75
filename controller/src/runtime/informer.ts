// An informer that does not give up: list, then watch from the list's resourceVersion; on 410 Gone relist at
// once; on any other failure (connection dropped, 500, a list that fails) start again after a backoff. It keeps
// a cache of the objects and tells handlers about adds, updates and deletes. client-node's own informer stops
// for good on any error other than 410, which a controller cannot afford.
import { type KubernetesObject, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import { type Clock, sleep, systemClock } from './clock.js';
import { type ClusterClient, isGone, statusCodeOf } from './cluster-client.js';

/** Objects per page of a relist (client-go's reflector uses 500). */
const LIST_PAGE = 500;

export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export type KubeObject = KubernetesObject & {
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
  spec?: unknown;
  status?: unknown;
};

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(obj: T, old: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  client: ClusterClient;
  resource: ResourceKind;
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string;
  /** Delay between restarts after failures (1 s doubling to 30 s by default). */
  backoff?: BackoffPolicy;
  clock?: Clock;
  logger?: Logger;
}

/** An error carried by a watch ERROR event, with the Status code the server sent. */
class WatchStatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the informer has been through, for tests and diagnostics. */
export interface InformerStats {
  lists: number;
  watches: number;
  /** Restarts after 410 Gone. */
  expired: number;
  /** Restarts after any other failure. */
  failures: number;
}

/** The key a cached object goes by: `namespace/name`, or `name` when cluster scoped. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * Turns an object from the API server into the one the cache keeps (client-go's SetTransform): to keep less
 * of it, or a form cheaper to read. `previous` is the cached version it replaces, if any.
 */
export type CacheTransform<T> = (obj: T, previous: T | undefined) => T;

export class ResilientInformer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private transform: CacheTransform<T> | undefined;
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly clock: Clock;
  private readonly backoff: BackoffPolicy;
  private readonly watcher: Watch;
  private resourceVersion = '';
  private synced = false;
  private running: Promise<void> | undefined;
  private stopping = new AbortController();
  private activeWatch: AbortController | undefined;
  private syncWaiters: Array<() => void> = [];
  readonly stats: InformerStats = { lists: 0, watches: 0, expired: 0, failures: 0 };

  constructor(private readonly options: InformerOptions) {
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
    this.watcher = new Watch(options.client.kubeConfig);
  }

  get resource(): ResourceKind {
    return this.options.resource;
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  /** True once the first list has filled the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the cache has been filled (or the informer stops). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(objectKey(namespace, name));
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  start(): void {
    if (this.running) return;
    this.stopping = new AbortController();
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.activeWatch?.abort();
    await this.running;
    this.running = undefined;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private get log(): Logger | undefined {
    return this.options.logger;
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (this.resourceVersion === '') await this.relist();
        const healthy = await this.watchOnce();
        // A watch the server ended cleanly after a while is routine (timeouts); one that ends at once is not.
        failures = healthy ? 0 : failures + 1;
        if (failures > 0) await sleep(this.clock, backoffDelay(this.backoff, failures), signal);
      } catch (error) {
        if (signal.aborted) break;
        if (isGone(error)) {
          this.stats.expired++;
          // The resource is in the logger's bindings (the manager binds it): naming it again repeats the key.
          this.log?.info('watch expired (410); relisting');
          this.resourceVersion = '';
          continue;
        }
        this.stats.failures++;
        failures++;
        const delay = backoffDelay(this.backoff, failures);
        this.log?.warn(
          {
            status: statusCodeOf(error),
            err: String(error),
            retryInMs: delay,
          },
          'watch failed; restarting after backoff',
        );
        await sleep(this.clock, delay, signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const { group, version, plural } = this.options.resource;
    const { namespace } = this.options;
    this.stats.lists++;
    // In pages, as client-go's reflector lists: a list of 10,000 objects in one response is one string
    // and one parse of tens of megabytes at once, the controller's peak memory; pages of LIST_PAGE are not.
    // The pages of one list are one snapshot (the continue token pins it), so the watch starts from the
    // first page's resourceVersion.
    const seen = new Set<string>();
    let resourceVersion = '';
    let next: string | undefined;
    do {
      const page = (
        namespace
          ? await this.options.client.customObjects.listNamespacedCustomObject({
              group,
              version,
              plural,
              namespace,
              limit: LIST_PAGE,
              ...(next ? { _continue: next } : {}),
            })
          : await this.options.client.customObjects.listClusterCustomObject({
              group,
              version,
              plural,
              limit: LIST_PAGE,
              ...(next ? { _continue: next } : {}),
            })
      ) as { items?: T[]; metadata?: { resourceVersion?: string; continue?: string } };
      for (const obj of page.items ?? []) seen.add(this.put(obj));
      if (!next) resourceVersion = page.metadata?.resourceVersion ?? '';
      next = page.metadata?.continue || undefined;
    } while (next);
    for (const [key, obj] of [...this.cache]) {
      if (!seen.has(key)) this.remove(obj);
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /**
   * One watch from the current resourceVersion until it ends. Resolves true when it ended cleanly after being
   * useful, false when it ended at once without events; rejects with the error (410 included) otherwise.
   */
  private async watchOnce(): Promise<boolean> {
    const { group, version, plural } = this.options.resource;
    const { namespace } = this.options;
    const path = namespace
      ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
      : `/apis/${group}/${version}/${plural}`;
    // The watch bypasses the API objects, so it takes its token here.
    await this.options.client.requests.take(this.stopping.signal);
    if (this.stopping.signal.aborted) return true;
    this.stats.watches++;
    const startedAt = this.clock.now();
    let events = 0;
    let statusError: WatchStatusError | undefined;
    return new Promise<boolean>((resolve, reject) => {
      const finish = (error: unknown) => {
        this.activeWatch = undefined;
        if (this.stopping.signal.aborted) resolve(true);
        else if (statusError) reject(statusError);
        else if (error) reject(error);
        else resolve(events > 0 || this.clock.now() - startedAt > 1_000);
      };
      this.watcher
        .watch(
          path,
          // Servers end watches after a while; a random length spreads the reconnects of many clients.
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: 300 + Math.floor(Math.random() * 300),
          },
          (type: string, obj: unknown) => {
            events++;
            if (type === 'ERROR') {
              const status = obj as { code?: number; message?: string };
              statusError = new WatchStatusError(status.code ?? 500, status.message ?? 'watch error');
              this.activeWatch?.abort();
              return;
            }
            this.apply(type, obj as T);
          },
          finish,
        )
        .then((controller) => {
          this.activeWatch = controller;
          if (this.stopping.signal.aborted) controller.abort();
        }, finish);
    });
  }

  private apply(type: string, obj: T): void {
    const rv = obj.metadata?.resourceVersion;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.put(obj);
        break;
      case 'DELETED':
        this.remove(obj);
        break;
      case 'BOOKMARK':
        break;
      default:
        return;
    }
    if (rv) this.resourceVersion = rv;
  }

  /** Set before the informer starts: every object is cached as `transform` returns it. */
  setTransform(transform: CacheTransform<T>): void {
    if (this.synced || this.cache.size > 0)
      throw new Error('set the cache transform before the informer starts');
    this.transform = transform;
  }

  private put(received: T): string {
    const key = objectKey(received.metadata.namespace, received.metadata.name);
    const old = this.cache.get(key);
    const obj = this.transform ? this.transform(received, old) : received;
    this.cache.set(key, obj);
    if (!old) this.emit((h) => h.add?.(obj));
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
      this.emit((h) => h.update?.(obj, old));
    return key;
  }

  private remove(obj: T): void {
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    const old = this.cache.get(key);
    if (!old) return;
    this.cache.delete(key);
    this.emit((h) => h.delete?.(obj));
  }

  private emit(call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.handlers) {
      try {
        call(h);
      } catch (error) {
        this.log?.error({ err: String(error) }, 'informer handler threw');
      }
    }
  }
}
