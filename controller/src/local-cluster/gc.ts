// The controllers a real cluster runs that this server must stand in for: the garbage collector (dependents
// through ownerReferences, background and foreground) and namespace cleanup (Terminating until empty).
import type { Logger } from 'pino';
import { ApiError } from './errors.js';
import type { OwnerReference, ResourceType } from './resources.js';
import type { RestStorage } from './rest.js';
import { parse, type StoreChange, type StoredObject } from './store.js';

const NAMESPACES = '/namespaces';

type Job = () => void;

/** Which owners of a dependent still exist; with none left the dependent goes, with some only dangling references do. */
export function classifyOwners(
  owners: readonly OwnerReference[],
  exists: (uid: string) => boolean,
): { live: OwnerReference[]; dangling: OwnerReference[] } {
  const live: OwnerReference[] = [];
  const dangling: OwnerReference[] = [];
  for (const o of owners) (exists(o.uid) ? live : dangling).push(o);
  return { live, dangling };
}

export class GarbageCollector {
  private readonly queue: Job[] = [];
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly rest: RestStorage,
    private readonly logger?: Logger,
  ) {
    rest.store.onChange((change) => this.observe(change));
  }

  /** Look at everything once, as after a restart: orphans of owners deleted while the server was down go now. */
  sweep(): void {
    const store = this.rest.store;
    for (const key of store.storageKeys()) {
      for (const o of store.objects(key)) {
        if (o.ownerUids?.some((uid) => !store.locateUid(uid)))
          this.enqueue(() => this.collectDependent(key, o.namespace, o.name));
      }
    }
    for (const ns of store.objects(NAMESPACES)) this.enqueue(() => this.cleanNamespace(ns.name));
  }

  stop(): void {
    this.stopped = true;
  }

  /** Wait until queued work is done; tests and shutdown use it. */
  async settle(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) await new Promise((r) => setImmediate(r));
  }

  private observe(change: StoreChange): void {
    const { object, storageKey } = change;
    if (change.type === 'DELETED') {
      for (const dep of this.rest.store.dependentsOf(object.uid)) {
        this.enqueue(() => this.collectDependent(dep.storageKey, dep.namespace, dep.name));
      }
      if (object.namespace !== '') this.enqueue(() => this.cleanNamespace(object.namespace));
      this.enqueueForegroundOwners(object);
      return;
    }
    if (storageKey === NAMESPACES) {
      if (parse(object).metadata?.deletionTimestamp) this.enqueue(() => this.cleanNamespace(object.name));
      return;
    }
    const meta = parse(object).metadata;
    if (meta?.deletionTimestamp) {
      const finalizers = meta.finalizers ?? [];
      if (finalizers.includes('foregroundDeletion'))
        this.enqueue(() => this.foreground(storageKey, object.namespace, object.name));
      if (finalizers.includes('orphan'))
        this.enqueue(() => this.orphan(storageKey, object.namespace, object.name));
    }
  }

  private enqueue(job: Job): void {
    if (this.stopped) return;
    this.queue.push(job);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    while (this.queue.length > 0 && !this.stopped) {
      const job = this.queue.shift()!;
      try {
        job();
      } catch (e) {
        // A conflict or a vanished object just means someone else got there first.
        if (!(e instanceof ApiError))
          this.logger?.warn({ err: e }, 'local cluster: garbage collection step failed');
      }
    }
    this.scheduled = false;
  }

  private typeOf(storageKey: string): ResourceType | undefined {
    return this.rest.catalogue.byStorageKey(storageKey);
  }

  private collectDependent(storageKey: string, namespace: string, name: string): void {
    const type = this.typeOf(storageKey);
    const stored = this.rest.store.get(storageKey, namespace, name);
    if (!type || !stored) return;
    const obj = this.rest.view(type, stored);
    const owners = obj.metadata?.ownerReferences ?? [];
    const { live, dangling } = classifyOwners(owners, (uid) => this.rest.store.locateUid(uid) !== undefined);
    if (dangling.length === 0) return;
    if (live.length === 0) {
      this.rest.delete(type, namespace || undefined, name, { propagationPolicy: 'Background' });
      return;
    }
    obj.metadata = { ...obj.metadata, ownerReferences: live };
    this.rest.update(type, namespace || undefined, name, obj, {});
  }

  private foreground(storageKey: string, namespace: string, name: string): void {
    const stored = this.rest.store.get(storageKey, namespace, name);
    const type = this.typeOf(storageKey);
    if (!stored || !type) return;
    const dependents = this.rest.store.dependentsOf(stored.uid);
    if (dependents.length === 0) {
      this.rest.dropFinalizer(type, stored, 'foregroundDeletion');
      return;
    }
    for (const dep of dependents) {
      const depType = this.typeOf(dep.storageKey);
      const depStored = this.rest.store.get(dep.storageKey, dep.namespace, dep.name);
      if (!depType || !depStored) continue;
      const meta = parse(depStored).metadata;
      if (meta?.deletionTimestamp) continue;
      this.rest.delete(depType, dep.namespace || undefined, dep.name, { propagationPolicy: 'Foreground' });
    }
  }

  /** When a dependent goes, an owner waiting in foreground deletion may now be free to go too. */
  private enqueueForegroundOwners(gone: StoredObject): void {
    for (const uid of gone.ownerUids ?? []) {
      const where = this.rest.store.locateUid(uid);
      if (where) this.enqueue(() => this.foreground(where.storageKey, where.namespace, where.name));
    }
  }

  private orphan(storageKey: string, namespace: string, name: string): void {
    const stored = this.rest.store.get(storageKey, namespace, name);
    const type = this.typeOf(storageKey);
    if (!stored || !type) return;
    for (const dep of this.rest.store.dependentsOf(stored.uid)) {
      const depType = this.typeOf(dep.storageKey);
      const depStored = this.rest.store.get(dep.storageKey, dep.namespace, dep.name);
      if (!depType || !depStored) continue;
      const obj = this.rest.view(depType, depStored);
      const owners = (obj.metadata?.ownerReferences ?? []).filter((o) => o.uid !== stored.uid);
      obj.metadata = { ...obj.metadata, ownerReferences: owners };
      this.rest.update(depType, dep.namespace || undefined, dep.name, obj, {});
    }
    this.rest.dropFinalizer(type, stored, 'orphan');
  }

  /** A Terminating namespace: delete what it holds; when nothing is left, remove the namespace. */
  private cleanNamespace(namespace: string): void {
    const nsType = this.typeOf(NAMESPACES);
    const ns = this.rest.store.get(NAMESPACES, '', namespace);
    if (!nsType || !ns || !parse(ns).metadata?.deletionTimestamp) return;
    let remaining = 0;
    for (const type of uniqueNamespacedTypes(this.rest.catalogue.all())) {
      for (const o of [...this.rest.store.objects(type.storageKey, namespace)]) {
        remaining++;
        if (parse(o).metadata?.deletionTimestamp) continue;
        this.rest.delete(type, namespace, o.name, { propagationPolicy: 'Background' });
      }
    }
    if (remaining === 0) {
      const current = this.rest.store.get(NAMESPACES, '', namespace);
      if (current && (parse(current).metadata?.finalizers ?? []).length === 0)
        this.rest.finishDeletion(nsType, current);
    }
  }
}

function uniqueNamespacedTypes(types: ResourceType[]): ResourceType[] {
  const seen = new Set<string>();
  const out: ResourceType[] = [];
  for (const t of types) {
    if (!t.namespaced || seen.has(t.storageKey)) continue;
    seen.add(t.storageKey);
    out.push(t);
  }
  return out;
}
