// How a value was written, for schema errors: YAML silently turns `version: 1.10` into the number 1.1, and the
// person reading the error needs to see both what the parser made of it and what they typed.
import type { PathSegment } from '../diagnostics.js';
import type { SourceDocument } from './source.js';

const MAX_SHOWN = 40;

/** The value at `path` of the document, or undefined when the path does not exist. */
export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (current !== null && typeof current === 'object' && !Array.isArray(current))
      current = Object.hasOwn(current, segment) ? (current as Record<string, unknown>)[segment] : undefined;
    else return undefined;
  }
  return current;
}

/**
 * What was found at `path`, for "expected X, found Y": `the number 1.1 (written 1.10)`, `the boolean true`,
 * `the string "abc"`, `null`, `a list of 3 items`, `a mapping`, `nothing`.
 */
export function describeFound(doc: SourceDocument, path: readonly PathSegment[]): string {
  const value = valueAt(doc.value, path);
  const written = doc.sourceText(path);
  const asWritten = (shown: string) =>
    written !== undefined && written !== shown ? ` (written ${written})` : '';
  if (value === undefined) return 'nothing';
  if (value === null) return written === undefined ? 'an empty value' : `null${asWritten('null')}`;
  if (typeof value === 'number') return `the number ${value}${asWritten(String(value))}`;
  if (typeof value === 'boolean') return `the boolean ${value}${asWritten(String(value))}`;
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty list';
    return value.length === 1 ? 'a list of 1 item' : `a list of ${value.length} items`;
  }
  return Object.keys(value as object).length === 0 ? 'an empty mapping' : 'a mapping';
}

/**
 * `quote it: version: "1.10"` when the scalar at `path` is unquoted and YAML read it as a number or boolean
 * where a string was wanted; undefined otherwise (already quoted, absent, or a real string).
 */
export function numberWhereStringHint(doc: SourceDocument, path: readonly PathSegment[]): string | undefined {
  const value = valueAt(doc.value, path);
  if (typeof value !== 'number' && typeof value !== 'boolean') return undefined;
  const written = doc.sourceText(path);
  if (written === undefined || /^["'|>!&]/.test(written)) return undefined;
  const last = path[path.length - 1];
  const quoted = JSON.stringify(written);
  return typeof last === 'string' ? `quote it: ${last}: ${quoted}` : `quote it: ${quoted}`;
}
