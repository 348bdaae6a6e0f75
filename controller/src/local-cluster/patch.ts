// The patch formats a real server accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902), a strategic
// merge patch for the built-in kinds served here, and the merge behind simplified server-side apply.
import { ApiError, badRequest } from './errors.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge, null deletes, everything else (lists included) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalidPatch(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function invalidPatch(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

function containerAt(doc: unknown, segs: string[], path: string): unknown {
  let cursor = doc;
  for (const seg of segs) {
    if (Array.isArray(cursor)) cursor = cursor[Number(seg)];
    else if (isObject(cursor)) cursor = cursor[seg];
    else cursor = undefined;
    if (cursor === undefined)
      throw invalidPatch(
        `the server rejected our request due to an error in our request: doc is missing path: "${path}"`,
      );
  }
  return cursor;
}

function arrayIndex(seg: string, length: number, forInsert: boolean, path: string): number {
  if (seg === '-' && forInsert) return length;
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) throw invalidPatch(`invalid array index "${seg}" in "${path}"`);
  const i = Number(seg);
  if (i > length || (!forInsert && i === length))
    throw invalidPatch(`array index ${i} out of bounds in "${path}"`);
  return i;
}

function getAt(doc: unknown, path: string): unknown {
  const segs = parsePointer(path);
  return containerAt(doc, segs, path);
}

function removeAt(doc: unknown, path: string): unknown {
  const segs = parsePointer(path);
  const last = segs.pop();
  if (last === undefined) throw invalidPatch('cannot remove the whole document');
  const parent = containerAt(doc, segs, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, false, path);
    return parent.splice(i, 1)[0];
  }
  if (isObject(parent) && last in parent) {
    const v = parent[last];
    delete parent[last];
    return v;
  }
  throw invalidPatch(
    `the server rejected our request due to an error in our request: unable to remove nonexistent key: ${last}: missing value`,
  );
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const segs = parsePointer(path);
  const last = segs.pop();
  if (last === undefined) return structuredClone(value);
  const parent = containerAt(doc, segs, path);
  if (Array.isArray(parent)) {
    if (replace) parent[arrayIndex(last, parent.length, false, path)] = structuredClone(value);
    else parent.splice(arrayIndex(last, parent.length, true, path), 0, structuredClone(value));
  } else if (isObject(parent)) {
    if (replace && !(last in parent)) {
      throw invalidPatch(
        `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: ${path}: missing value`,
      );
    }
    parent[last] = structuredClone(value);
  } else {
    throw invalidPatch(
      `the server rejected our request due to an error in our request: doc is missing path: "${path}"`,
    );
  }
  return doc;
}

/** RFC 6902, applied to a copy; a failing `test` is a 422 as on a real server. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw invalidPatch(
        'the server rejected our request due to an error in our request: operation missing op or path',
      );
    }
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, raw.path, raw.value, false);
        break;
      case 'replace':
        doc = addAt(doc, raw.path, raw.value, true);
        break;
      case 'remove':
        removeAt(doc, raw.path);
        break;
      case 'move': {
        const v = removeAt(doc, String(raw.from));
        doc = addAt(doc, raw.path, v, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, raw.path, getAt(doc, String(raw.from)), false);
        break;
      case 'test': {
        const actual = getAt(doc, raw.path);
        if (JSON.stringify(actual) !== JSON.stringify(raw.value)) {
          throw invalidPatch(
            `the server rejected our request due to an error in our request: testing value ${raw.path} failed: test failed`,
          );
        }
        break;
      }
      default:
        throw invalidPatch(
          `the server rejected our request due to an error in our request: Unexpected kind: ${raw.op}`,
        );
    }
  }
  return doc;
}

/** Lists of objects in the built-in kinds served here that merge by a key instead of being replaced. */
const MERGE_KEYS: Record<string, string> = {
  ownerReferences: 'uid',
  conditions: 'type',
};

/**
 * Strategic merge patch, as far as the built-in kinds served here need it: a merge patch that understands
 * the `$patch`, `$retainKeys`, `$setElementOrder` and `$deleteFromPrimitiveList` directives kubectl sends,
 * and merges the few keyed lists those kinds have.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Json = isObject(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? new Set(patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys' || key === '$patch') continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((value as unknown[]).map((v) => JSON.stringify(v)));
      if (Array.isArray(out[field]))
        out[field] = (out[field] as unknown[]).filter((v) => !drop.has(JSON.stringify(v)));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const mergeKey = MERGE_KEYS[key];
    if (mergeKey && Array.isArray(value) && Array.isArray(out[key])) {
      out[key] = mergeKeyedList(out[key] as unknown[], value, mergeKey);
    } else if (isObject(value)) {
      const merged = strategicMergePatch(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = structuredClone(value);
    }
  }
  if (retain) for (const key of Object.keys(out)) if (!retain.has(key)) delete out[key];
  return out;
}

function mergeKeyedList(current: unknown[], patch: unknown[], mergeKey: string): unknown[] {
  const out = current.map((v) => structuredClone(v));
  for (const item of patch) {
    if (!isObject(item)) continue;
    const i = out.findIndex((v) => isObject(v) && v[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], item);
    else out.push(strategicMergePatch(undefined, item));
  }
  return out;
}

/**
 * Simplified server-side apply: the applied configuration is merged into the live object (maps merge,
 * lists and scalars from the applied configuration win). Field ownership is not tracked, so a field
 * removed from the configuration stays on the object; conflicts between managers are never reported.
 */
export function applyMerge(live: unknown, applied: unknown): unknown {
  if (!isObject(applied)) return structuredClone(applied);
  const out: Json = isObject(live) ? { ...live } : {};
  for (const [key, value] of Object.entries(applied)) {
    if (value === null) delete out[key];
    else out[key] = applyMerge(out[key], value);
  }
  return out;
}
