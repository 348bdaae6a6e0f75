// What an imported ODCS document said where Vigil writes something else: kept with the contract so that export
// gives the document back as it came in (up to key order). Vigil reads free-text status, v3.0 team lists, fields it
// does not act on and the like in its own way; each difference between "what Vigil would write" and "what the
// document said" is one step here, applied on export only while Vigil would still write what it wrote at import,
// so an edit made since then wins over the old text.
import { isDeepStrictEqual } from 'node:util';

/** One difference: at `at` (a JSON pointer) write `write`, or `drop` the field, where Vigil writes `over`. */
export interface RestoreStep {
  at: string;
  /** The document's value; absent with drop. */
  write?: unknown;
  /** The document had no such field. */
  drop?: boolean;
  /** What Vigil writes there; absent when it writes nothing. */
  over?: unknown;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const pointerEscape = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
const pointerUnescape = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

/**
 * The steps that turn `written` (what Vigil writes) into `original` (what the document said), ordered by place so
 * that the same difference gives the same steps whatever order the document's keys came in. No step lies inside
 * another, so their order does not change the result.
 */
export function restoreSteps(written: unknown, original: unknown): RestoreStep[] {
  return differences(written, original, '').sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function differences(written: unknown, original: unknown, at: string): RestoreStep[] {
  if (isDeepStrictEqual(written, original)) return [];
  if (isRecord(written) && isRecord(original)) {
    const steps: RestoreStep[] = [];
    for (const [k, v] of Object.entries(original)) {
      const here = `${at}/${pointerEscape(k)}`;
      if (!(k in written) || written[k] === undefined) steps.push({ at: here, write: v });
      else steps.push(...differences(written[k], v, here));
    }
    for (const [k, v] of Object.entries(written)) {
      if (v !== undefined && !(k in original))
        steps.push({ at: `${at}/${pointerEscape(k)}`, drop: true, over: v });
    }
    return steps;
  }
  // Lists of the same length differ item by item; otherwise the document's list is taken whole.
  if (Array.isArray(written) && Array.isArray(original) && written.length === original.length) {
    return original.flatMap((v, i) => differences(written[i], v, `${at}/${i}`));
  }
  return [{ at, write: original, over: written }];
}

/**
 * `written` with the steps applied, in place. A step whose place no longer holds what Vigil wrote at import
 * (the contract was edited since) is skipped and returned, so the caller can say so.
 */
export function applyRestoreSteps(written: Json, steps: readonly RestoreStep[]): RestoreStep[] {
  const skipped: RestoreStep[] = [];
  for (const step of steps) {
    const path = step.at === '' ? [] : step.at.slice(1).split('/').map(pointerUnescape);
    if (path.length === 0) {
      skipped.push(step);
      continue;
    }
    let parent: unknown = written;
    for (const key of path.slice(0, -1)) {
      parent = isRecord(parent) || Array.isArray(parent) ? (parent as Json)[key] : undefined;
    }
    const last = path[path.length - 1]!;
    const container = isRecord(parent) ? parent : Array.isArray(parent) ? parent : undefined;
    const present = container !== undefined && Object.hasOwn(container, last);
    const current = present ? (container as Json)[last] : undefined;
    const expected = 'over' in step;
    if (
      container === undefined ||
      present !== expected ||
      (expected && !isDeepStrictEqual(current, step.over)) ||
      (Array.isArray(container) && !/^\d+$/.test(last))
    ) {
      skipped.push(step);
      continue;
    }
    if (step.drop) delete (container as Json)[last];
    else (container as Json)[last] = structuredClone(step.write);
  }
  return skipped;
}
