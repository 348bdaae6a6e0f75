import { describe, expect, it } from 'vitest';
import { applyRestoreSteps, restoreSteps } from './odcs-restore.js';

const written = () => ({
  apiVersion: 'v3.1.0',
  status: 'active',
  team: { members: [{ username: 'a' }] },
  schema: [{ name: 'labs', properties: [{ name: 'hba1c' }, { name: 'mrn' }] }],
  customProperties: [{ property: 'vigilOwnerTeam', value: 'org/team' }],
});
const original = () => ({
  apiVersion: 'v3.0.0',
  status: 'current',
  team: [{ username: 'a', comment: 'keeper' }],
  schema: [{ name: 'labs', 'x-owner': 'lab', properties: [{ name: 'hba1c' }, { name: 'mrn' }] }],
});

describe('restoreSteps', () => {
  it('names each difference once, at the deepest place both sides share, in order of place', () => {
    expect(restoreSteps(written(), original())).toEqual([
      { at: '/apiVersion', write: 'v3.0.0', over: 'v3.1.0' },
      { at: '/customProperties', drop: true, over: [{ property: 'vigilOwnerTeam', value: 'org/team' }] },
      { at: '/schema/0/x-owner', write: 'lab' },
      { at: '/status', write: 'current', over: 'active' },
      { at: '/team', write: [{ username: 'a', comment: 'keeper' }], over: { members: [{ username: 'a' }] } },
    ]);
  });

  it('finds nothing between equal documents, whatever their key order', () => {
    expect(restoreSteps({ a: 1, b: [{ c: 2, d: 3 }] }, { b: [{ d: 3, c: 2 }], a: 1 })).toEqual([]);
  });

  it('escapes "/" and "~" in field names', () => {
    expect(restoreSteps({}, { 'a/b~c': 1 })).toEqual([{ at: '/a~1b~0c', write: 1 }]);
    const doc = {};
    applyRestoreSteps(doc, restoreSteps({}, { 'a/b~c': 1 }));
    expect(doc).toEqual({ 'a/b~c': 1 });
  });
});

describe('applyRestoreSteps', () => {
  it('gives back the original document', () => {
    const doc = written();
    expect(applyRestoreSteps(doc, restoreSteps(written(), original()))).toEqual([]);
    expect(doc).toEqual(original());
  });

  it('skips a step where the contract was edited since, so the edit wins, and returns it', () => {
    const steps = restoreSteps(written(), original());
    const edited = { ...written(), status: 'deprecated' };
    const skipped = applyRestoreSteps(edited, steps);
    expect(skipped).toEqual([{ at: '/status', write: 'current', over: 'active' }]);
    expect(edited.status).toBe('deprecated');
    expect(edited.apiVersion).toBe('v3.0.0');
  });

  it('skips a step whose place is gone, or now holds something where nothing was', () => {
    const gone = { ...written(), schema: [] };
    expect(applyRestoreSteps(gone, restoreSteps(written(), original())).map((s) => s.at)).toEqual([
      '/schema/0/x-owner',
    ]);
    const taken = { ...written(), schema: [{ name: 'labs', 'x-owner': 'pharmacy', properties: [] }] };
    applyRestoreSteps(taken, [{ at: '/schema/0/x-owner', write: 'lab' }]);
    expect(taken.schema[0]!['x-owner']).toBe('pharmacy');
  });
});
