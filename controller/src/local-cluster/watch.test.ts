import { describe, expect, it } from 'vitest';
import type { StoreChange, StoredObject } from './store.js';
import { eventFor } from './watch.js';

const obj = (labels?: Record<string, string>): StoredObject => ({
  json: '{}',
  name: 'a',
  namespace: 'ns',
  uid: 'u',
  resourceVersion: 1,
  labels,
  ownerUids: undefined,
});

const selected = (o: StoredObject) => o.labels?.wave === 'pilot';

describe('what a filtered watcher sees', () => {
  it.each<[StoreChange['type'], StoredObject | undefined, StoredObject, string | undefined]>([
    ['ADDED', undefined, obj({ wave: 'pilot' }), 'ADDED'],
    ['ADDED', undefined, obj(), undefined],
    ['MODIFIED', obj({ wave: 'pilot' }), obj({ wave: 'pilot' }), 'MODIFIED'],
    ['MODIFIED', obj(), obj({ wave: 'pilot' }), 'ADDED'],
    ['MODIFIED', obj({ wave: 'pilot' }), obj(), 'DELETED'],
    ['MODIFIED', obj(), obj(), undefined],
    ['DELETED', obj({ wave: 'pilot' }), obj({ wave: 'pilot' }), 'DELETED'],
  ])('%s (before %j) is seen as %s', (type, previous, object, expected) => {
    expect(eventFor({ type, storageKey: 'k', object, previous }, selected)).toBe(expected);
  });
});
