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

/** A field path kept as links to its parent: built into a path only for a finding, which most values never have. */
interface PathLink {
  parent: PathLink | undefined;
  segment: PathSegment;
}

function pathOf(link: PathLink | undefined): PathSegment[] {
  const out: PathSegment[] = [];
  for (let l = link; l; l = l.parent) out.push(l.segment);
  return out.reverse();
}

const compiledPatterns = new WeakMap<readonly (RegExp | string)[], RegExp[]>();
let defaultPatterns: RegExp[] | undefined;

/** Compiled once per list of patterns, not once per document. */
function mrnPatternsFor(patterns: readonly (RegExp | string)[] | undefined): RegExp[] {
  if (patterns === undefined) {
    defaultPatterns ??= compileMrnPatterns(undefined);
    return defaultPatterns;
  }
  let compiled = compiledPatterns.get(patterns);
  if (!compiled) {
    compiled = compileMrnPatterns(patterns);
    compiledPatterns.set(patterns, compiled);
  }
  return compiled;
}

export function scanForPhi(doc: SourceDocument, opts: PhiScanOptions = {}): Diagnostic[] {
  const mrnPatterns = mrnPatternsFor(opts.mrnPatterns);
  const findings: Diagnostic[] = [];
  const seen = new Set<string>();
  // Where a finding is, is worked out only once there is one: most documents have none, and locating every
  // scalar would cost more than scanning it.
  const add = (place: Place, code: string, message: string) => {
    const where = place.where();
    const path = place.path();
    // A value can be reached twice at one place (a key path and a value path that resolve alike).
    const id = `${where.line}:${where.col}:${code}:${message}`;
    if (seen.has(id)) return;
    seen.add(id);
    findings.push({ file: doc.file, ...where, path, code, message, hint: HINT, severity: 'error' });
  };
  const checkText = (
    text: string,
    subject: Subject,
    link: PathLink | undefined,
    comment?: SourcePosition,
  ) => {
    const ssns = findSsns(text);
    const mrns = findMrns(text, mrnPatterns);
    const dobWithName = looksLikeDobWithName(text);
    if (ssns.length === 0 && mrns.length === 0 && !dobWithName) return;
    const place = placeOf(doc, subject, link, comment);
    for (const masked of ssns) {
      add(place, 'phi.ssn', `${subject} looks like a US Social Security number (${masked}); ${NOT_HERE}`);
    }
    for (const masked of mrns) {
      add(place, 'phi.mrn', `${subject} looks like a medical record number (${masked}); ${NOT_HERE}`);
    }
    if (dobWithName) {
      add(
        place,
        'phi.dob-with-name',
        `${subject} looks like a date of birth next to a person's name; ${NOT_HERE}`,
      );
    }
  };

  // Iterative: a document is bounded in depth by the loader, but aliases can make it wide.
  const values: unknown[] = [doc.value];
  const links: (PathLink | undefined)[] = [undefined];
  while (values.length > 0) {
    const value = values.pop();
    const link = links.pop();
    if (typeof value === 'string') {
      checkText(value, 'value', link);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        values.push(value[i]);
        links.push({ parent: link, segment: i });
      }
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (const [key] of entries) checkText(key, 'key', { parent: link, segment: key });
      checkNameBesideBirthDate(entries, link, doc, add);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        values.push(child);
        links.push({ parent: link, segment: key });
      }
    }
  }
  if (opts.comments ?? true) {
    for (const comment of doc.comments) checkText(comment.text, 'comment', undefined, comment);
  }
  return findings.sort(compareDiagnostics);
}

type Place = { where: () => SourcePosition; path: () => string };

function placeOf(
  doc: SourceDocument,
  subject: Subject,
  link: PathLink | undefined,
  comment: SourcePosition | undefined,
): Place {
  // The position alone: a comment's text must not travel into the finding.
  if (comment) return { where: () => ({ line: comment.line, col: comment.col }), path: () => '' };
  const path = pathOf(link);
  const where = subject === 'key' ? () => doc.locateKey(path) : () => doc.locateValue(path);
  return { where, path: () => formatPath(path) };
}

/** `{name: Test Patient, dob: 1984-03-02}`: a name field and a birth-date field holding a date, side by side. */
function checkNameBesideBirthDate(
  entries: [string, unknown][],
  link: PathLink | undefined,
  doc: SourceDocument,
  add: (place: Place, code: string, message: string) => void,
): void {
  const name = entries.find(([key, v]) => typeof v === 'string' && isNameKey(key) && /\p{L}/u.test(v));
  if (!name) return;
  for (const [key, v] of entries) {
    if (typeof v !== 'string' || !isDobKey(key) || !containsDate(v)) continue;
    const dobPath = [...pathOf(link), key];
    const message = `${JSON.stringify(key)} holds a date of birth beside the name in ${JSON.stringify(name[0])}; ${NOT_HERE}`;
    add(
      { where: () => doc.locateValue(dobPath), path: () => formatPath(dobPath) },
      'phi.dob-with-name',
      message,
    );
  }
}
