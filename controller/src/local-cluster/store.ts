// Object storage: one JSON string per object (what reads send as is) plus the few fields that indexes and
// selectors need, under one global resourceVersion counter. Reads never clone; writes parse a fresh copy.
import type { KubeObject } from './resources.js';

export interface StoredObject {
  /** The object as serialised, in its storage apiVersion, with its resourceVersion inside. */
  readonly json: string;
  readonly name: string;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly uid: string;
  readonly resourceVersion: number;
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly ownerUids: readonly string[] | undefined;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreChange {
  type: ChangeType;
  storageKey: string;
  object: StoredObject;
  /** The object before this change (MODIFIED and DELETED), so watches can see it leave their selector. */
  previous: StoredObject | undefined;
}

export type ChangeListener = (change: StoreChange) => void;

/** A parsed copy the caller may change freely; the store keeps only strings. */
export function parse(stored: StoredObject): KubeObject {
  return JSON.parse(stored.json) as KubeObject;
}

function describe(obj: KubeObject, json: string, rv: number): StoredObject {
  const meta = obj.metadata ?? {};
  const owners = meta.ownerReferences;
  return {
    json,
    name: meta.name ?? '',
    namespace: meta.namespace ?? '',
    uid: meta.uid ?? '',
    resourceVersion: rv,
    labels: meta.labels && Object.keys(meta.labels).length > 0 ? meta.labels : undefined,
    ownerUids: owners && owners.length > 0 ? owners.map((o) => o.uid) : undefined,
  };
}

type Namespaces = Map<string, Map<string, StoredObject>>;

export class ObjectStore {
  private readonly collections = new Map<string, Namespaces>();
  private readonly byUid = new Map<string, { storageKey: string; namespace: string; name: string }>();
  /** owner uid -> dependents, for garbage collection through ownerReferences. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly listeners: ChangeListener[] = [];
  private rv = 0;

  get resourceVersion(): number {
    return this.rv;
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  get(storageKey: string, namespace: string, name: string): StoredObject | undefined {
    return this.collections.get(storageKey)?.get(namespace)?.get(name);
  }

  /** Objects of a collection, in one namespace or all, in no particular order. */
  *objects(storageKey: string, namespace?: string): Iterable<StoredObject> {
    const namespaces = this.collections.get(storageKey);
    if (!namespaces) return;
    if (namespace !== undefined) {
      const names = namespaces.get(namespace);
      if (names) yield* names.values();
      return;
    }
    for (const names of namespaces.values()) yield* names.values();
  }

  count(storageKey: string, namespace?: string): number {
    const namespaces = this.collections.get(storageKey);
    if (!namespaces) return 0;
    if (namespace !== undefined) return namespaces.get(namespace)?.size ?? 0;
    let n = 0;
    for (const names of namespaces.values()) n += names.size;
    return n;
  }

  storageKeys(): string[] {
    return [...this.collections.keys()];
  }

  locateUid(uid: string): { storageKey: string; namespace: string; name: string } | undefined {
    return this.byUid.get(uid);
  }

  dependentsOf(uid: string): Array<{ storageKey: string; namespace: string; name: string }> {
    const set = this.dependents.get(uid);
    if (!set) return [];
    return [...set].map((k) => {
      const [storageKey, namespace, name] = k.split('\u0000') as [string, string, string];
      return { storageKey, namespace, name };
    });
  }

  /** Write an object: stamp the next resourceVersion into it, serialise once, index it, tell listeners. */
  put(storageKey: string, obj: KubeObject): StoredObject {
    const rv = ++this.rv;
    obj.metadata = obj.metadata ?? {};
    obj.metadata.resourceVersion = String(rv);
    const stored = describe(obj, JSON.stringify(obj), rv);
    const previous = this.place(storageKey, stored);
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', storageKey, object: stored, previous });
    return stored;
  }

  /**
   * Remove an object; the DELETED event carries it (or `finalState`, when an update emptied its finalizers)
   * with the deletion's resourceVersion, as a real server's does.
   */
  remove(
    storageKey: string,
    namespace: string,
    name: string,
    finalState?: KubeObject,
  ): StoredObject | undefined {
    const previous = this.get(storageKey, namespace, name);
    if (!previous) return undefined;
    const obj = finalState ?? parse(previous);
    const rv = ++this.rv;
    obj.metadata = obj.metadata ?? {};
    obj.metadata.resourceVersion = String(rv);
    const gone = describe(obj, JSON.stringify(obj), rv);
    this.unplace(storageKey, previous);
    this.emit({ type: 'DELETED', storageKey, object: gone, previous });
    return gone;
  }

  /** Load an object as persisted, without events: used when replaying the data directory. */
  restore(storageKey: string, json: string, rv: number): void {
    const obj = JSON.parse(json) as KubeObject;
    this.place(storageKey, describe(obj, json, rv));
    if (rv > this.rv) this.rv = rv;
  }

  /** Drop an object without events or a new version: the replay of a logged deletion. */
  forget(storageKey: string, namespace: string, name: string, rv: number): void {
    const previous = this.get(storageKey, namespace, name);
    if (previous) this.unplace(storageKey, previous);
    if (rv > this.rv) this.rv = rv;
  }

  /** Advance the counter to at least `rv` (a persisted deletion may be the latest write). */
  advanceTo(rv: number): void {
    if (rv > this.rv) this.rv = rv;
  }

  private place(storageKey: string, stored: StoredObject): StoredObject | undefined {
    let namespaces = this.collections.get(storageKey);
    if (!namespaces) {
      namespaces = new Map();
      this.collections.set(storageKey, namespaces);
    }
    let names = namespaces.get(stored.namespace);
    if (!names) {
      names = new Map();
      namespaces.set(stored.namespace, names);
    }
    const previous = names.get(stored.name);
    names.set(stored.name, stored);
    if (previous) this.unindexOwners(storageKey, previous);
    this.byUid.set(stored.uid, { storageKey, namespace: stored.namespace, name: stored.name });
    this.indexOwners(storageKey, stored);
    return previous;
  }

  private unplace(storageKey: string, stored: StoredObject): void {
    const namespaces = this.collections.get(storageKey);
    const names = namespaces?.get(stored.namespace);
    names?.delete(stored.name);
    if (names && names.size === 0) namespaces?.delete(stored.namespace);
    this.byUid.delete(stored.uid);
    this.unindexOwners(storageKey, stored);
  }

  private indexOwners(storageKey: string, stored: StoredObject): void {
    if (!stored.ownerUids) return;
    const key = `${storageKey}\u0000${stored.namespace}\u0000${stored.name}`;
    for (const uid of stored.ownerUids) {
      let set = this.dependents.get(uid);
      if (!set) {
        set = new Set();
        this.dependents.set(uid, set);
      }
      set.add(key);
    }
  }

  private unindexOwners(storageKey: string, stored: StoredObject): void {
    if (!stored.ownerUids) return;
    const key = `${storageKey}\u0000${stored.namespace}\u0000${stored.name}`;
    for (const uid of stored.ownerUids) {
      const set = this.dependents.get(uid);
      set?.delete(key);
      if (set && set.size === 0) this.dependents.delete(uid);
    }
  }

  private emit(change: StoreChange): void {
    for (const l of this.listeners) l(change);
  }
}
