/**
 * Refuses values that look like protected health information before they reach git, a cluster or a pull
 * request. Every string value, key and comment of a document is checked; findings never repeat the value.
 *
 * Diagnostics (all severity `error`, hint `remove it; where an example is needed, use an obviously synthetic one`),
 * where {subject} is `value`, `key` or `comment`:
 * - `phi.ssn`:           `{subject} looks like a US Social Security number (***-**-6789); PHI must not be written in governance files`
 * - `phi.mrn`:           `{subject} looks like a medical record number (MRN: ******56); PHI must not be written in governance files`
 * - `phi.dob-with-name`: `{subject} looks like a date of birth next to a person's name; PHI must not be written in governance files`
 *                        or, for a mapping, `"{dobKey}" holds a date of birth beside the name in "{nameKey}"; PHI must not be written in governance files`
 */
import { compareDiagnostics, type Diagnostic, formatPath, type PathSegment } from '../diagnostics.js';
import type { SourceDocument, SourcePosition } from '../yaml/source.js';
import {
  compileMrnPatterns,
  containsDate,
  findMrns,
  findSsns,
  isDobKey,
  isNameKey,
  looksLikeDobWithName,
} from './patterns.js';

export interface PhiScanOptions {
  /** Medical record number patterns; strings are compiled case-insensitively. Default: `\bMRN[:#\s-]*\d{6,10}\b`. */
  mrnPatterns?: RegExp[] | string[];
  /** Also check comments (default true): they reach git like any value. */
  comments?: boolean;
}

const NOT_HERE = 'PHI must not be written in governance files';
const HINT = 'remove it; where an example is needed, use an obviously synthetic one';

type Subject = 'value' | 'key' | 'comment';

export function scanForPhi(doc: SourceDocument, opts: PhiScanOptions = {}): Diagnostic[] {
  const mrnPatterns = compileMrnPatterns(opts.mrnPatterns);
  const findings: Diagnostic[] = [];
  const seen = new Set<string>();
  // Where a finding is, is worked out only once there is one: most documents have none, and locating every
  // scalar would cost more than scanning it.
  type Place = { where: () => SourcePosition; path: () => string };
  const add = (place: Place, code: string, message: string) => {
    const where = place.where();
    const path = place.path();
    // A value can be reached twice at one place (a key path and a value path that resolve alike).
    const id = `${where.line}:${where.col}:${code}:${message}`;
    if (seen.has(id)) return;
    seen.add(id);
    findings.push({ file: doc.file, ...where, path, code, message, hint: HINT, severity: 'error' });
  };
  const checkText = (text: string, subject: Subject, place: Place) => {
    for (const masked of findSsns(text)) {
      add(place, 'phi.ssn', `${subject} looks like a US Social Security number (${masked}); ${NOT_HERE}`);
    }
    for (const masked of findMrns(text, mrnPatterns)) {
      add(place, 'phi.mrn', `${subject} looks like a medical record number (${masked}); ${NOT_HERE}`);
    }
    if (looksLikeDobWithName(text)) {
      add(
        place,
        'phi.dob-with-name',
        `${subject} looks like a date of birth next to a person's name; ${NOT_HERE}`,
      );
    }
  };

  // Iterative: a document is bounded in depth by the loader, but aliases can make it wide.
  const stack: { value: unknown; path: PathSegment[] }[] = [{ value: doc.value, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      checkText(value, 'value', { where: () => doc.locateValue(path), path: () => formatPath(path) });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (const [key] of entries) {
        const keyPath = [...path, key];
        checkText(key, 'key', { where: () => doc.locateKey(keyPath), path: () => formatPath(keyPath) });
      }
      checkNameBesideBirthDate(entries, path, doc, add);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  if (opts.comments ?? true) {
    for (const comment of doc.comments)
      checkText(comment.text, 'comment', { where: () => comment, path: () => '' });
  }
  return findings.sort(compareDiagnostics);
}

/** `{name: Test Patient, dob: 1984-03-02}`: a name field and a birth-date field holding a date, side by side. */
function checkNameBesideBirthDate(
  entries: [string, unknown][],
  path: PathSegment[],
  doc: SourceDocument,
  add: (place: { where: () => SourcePosition; path: () => string }, code: string, message: string) => void,
): void {
  const name = entries.find(([key, v]) => isNameKey(key) && typeof v === 'string' && /\p{L}/u.test(v));
  if (!name) return;
  for (const [key, v] of entries) {
    if (!isDobKey(key) || typeof v !== 'string' || !containsDate(v)) continue;
    const dobPath = [...path, key];
    const message = `${JSON.stringify(key)} holds a date of birth beside the name in ${JSON.stringify(name[0])}; ${NOT_HERE}`;
    add(
      { where: () => doc.locateValue(dobPath), path: () => formatPath(dobPath) },
      'phi.dob-with-name',
      message,
    );
  }
}
