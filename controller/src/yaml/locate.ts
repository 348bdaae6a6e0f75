// Maps a field path back to the node it was written as, so every diagnostic can point at `file:line:col`.
import { type Document, isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { PathSegment } from '../diagnostics.js';

export interface PathStep {
  /** The node reached; null for a key written with no value (`owner:`). */
  value: Node | null;
  /** The key that led here: a mapping key, or the item itself in a sequence; null at the root. */
  key: Node | null;
}

/** The key as toJS would spell it, or undefined for keys that are not scalars. */
export function keyString(key: unknown): string | undefined {
  if (key === null || key === undefined) return '';
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return undefined;
}

/**
 * The nodes along `path`, root first, as far as the path exists. Aliases are followed to their anchor, so a
 * field reached through `*base` is located where the anchor wrote it.
 */
export function walkPath(
  doc: Document,
  path: readonly PathSegment[],
): { steps: PathStep[]; complete: boolean } {
  const steps: PathStep[] = [{ value: (doc.contents as Node | null) ?? null, key: null }];
  for (const segment of path) {
    let node: unknown = steps[steps.length - 1]!.value;
    if (isAlias(node)) node = node.resolve(doc);
    let next: PathStep | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyString(item.key) === String(segment));
      if (pair) next = { value: (pair.value as Node | null) ?? null, key: pair.key as Node };
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | null | undefined;
      if (item !== undefined) next = { value: item, key: item };
    }
    if (!next) return { steps, complete: false };
    steps.push(next);
  }
  return { steps, complete: true };
}

/** A plain scalar with no text, as in `owner:`; its range sits after the key, which is the better place to point. */
export function isEmptyNode(node: Node | null): boolean {
  return (
    node === null ||
    (isScalar(node) && node.value === null && node.source === '' && !node.tag && !node.anchor)
  );
}

/** Offset of the deepest existing node on `path`: its key when `preferKey`, else its value. */
export function locateOffset(
  doc: Document,
  path: readonly PathSegment[],
  preferKey: boolean,
): number | undefined {
  const { steps } = walkPath(doc, path);
  for (let i = steps.length - 1; i >= 0; i--) {
    const { value, key } = steps[i]!;
    const chosen = preferKey ? (key ?? value) : isEmptyNode(value) ? key : value;
    const offset = chosen?.range?.[0];
    if (offset !== undefined) return offset;
  }
  return undefined;
}

/** The scalar at `path` exactly as written, quotes included (`1.10`, `"1.10"`); undefined for anything else. */
export function scalarSourceText(
  doc: Document,
  source: string,
  path: readonly PathSegment[],
): string | undefined {
  const { steps, complete } = walkPath(doc, path);
  if (!complete) return undefined;
  let node: unknown = steps[steps.length - 1]!.value;
  if (isAlias(node)) node = node.resolve(doc);
  if (!isScalar(node) || !node.range || isEmptyNode(node)) return undefined;
  return source.slice(node.range[0], node.range[1]);
}
