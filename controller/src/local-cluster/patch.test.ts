import { describe, expect, it } from 'vitest';
import type { ApiError } from './errors.js';
import { applyMerge, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';

describe('JSON merge patch', () => {
  it('merges objects, deletes with null and replaces lists', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({
      a: { c: 2, d: 3 },
      l: [3],
    });
  });
});

describe('JSON patch', () => {
  it('adds, replaces, removes, moves, copies and tests', () => {
    const doc = { spec: { list: ['a'], title: 'x' } };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/spec/list/-', value: 'b' },
      { op: 'replace', path: '/spec/title', value: 'y' },
      { op: 'copy', from: '/spec/title', path: '/spec/copy' },
      { op: 'move', from: '/spec/copy', path: '/spec/moved' },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'test', path: '/spec/moved', value: 'y' },
    ]);
    expect(out).toEqual({ spec: { list: ['b'], title: 'y', moved: 'y' } });
    expect(doc.spec.list).toEqual(['a']);
  });

  it('fails a test operation with a 422', () => {
    try {
      jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]);
      expect.unreachable();
    } catch (e) {
      expect((e as ApiError).code).toBe(422);
    }
  });
});

describe('strategic merge patch', () => {
  it('understands the directives kubectl sends', () => {
    const live = { data: { a: '1', b: '2' }, metadata: { finalizers: ['x', 'y'] } };
    const patch = {
      data: { b: null, c: '3' },
      '$setElementOrder/data': [],
      metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] },
    };
    expect(strategicMergePatch(live, patch)).toEqual({
      data: { a: '1', c: '3' },
      metadata: { finalizers: ['y'] },
    });
  });

  it('merges keyed lists such as conditions by type', () => {
    const live = {
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'Valid', status: 'True' },
        ],
      },
    };
    const out = strategicMergePatch(live, { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(out).toEqual({
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Valid', status: 'True' },
        ],
      },
    });
  });
});

describe('simplified apply', () => {
  it('lets the applied configuration win and keeps fields it does not mention', () => {
    expect(applyMerge({ spec: { a: 1, b: 2 }, status: { x: 1 } }, { spec: { a: 5 } })).toEqual({
      spec: { a: 5, b: 2 },
      status: { x: 1 },
    });
  });
});
