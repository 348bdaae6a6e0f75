// The PHI guard for objects read from a cluster rather than files: what their authors wrote (spec, labels,
// annotations), without what the API server adds, scanned without parsing any YAML.
import type { Diagnostic } from '../diagnostics.js';
import type { SourceDocument } from '../yaml/index.js';
import { type PhiScanOptions, scanForPhi } from './guard.js';

/** The annotation kubectl copies the whole applied object into: a second copy of what is scanned anyway. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The part of an object its author wrote: status and managed fields set aside, and kubectl's copy of the applied
 * object kept apart (as `lastApplied`, an object holding only that annotation), so PHI is reported where it was
 * written and the copy is looked at only when the object itself is clean.
 */
export function writtenPart(object: Record<string, unknown>): {
  written: Record<string, unknown>;
  lastApplied?: Record<string, unknown>;
} {
  const written = structuredClone(object);
  delete written.status;
  const metadata = written.metadata as Record<string, unknown> | undefined;
  if (!metadata || typeof metadata !== 'object') return { written };
  delete metadata.managedFields;
  const annotations = metadata.annotations as Record<string, unknown> | undefined;
  if (!annotations || typeof annotations !== 'object' || !(LAST_APPLIED in annotations)) return { written };
  const lastApplied = { metadata: { annotations: { [LAST_APPLIED]: annotations[LAST_APPLIED] } } };
  delete annotations[LAST_APPLIED];
  if (Object.keys(annotations).length === 0) delete metadata.annotations;
  return { written, lastApplied };
}

/** A value as a document with no source text: findings carry their field path and no position. */
export function plainDocument(value: unknown, file: string): SourceDocument {
  const nowhere = () => ({ line: 0, col: 0 });
  const locator = {
    file,
    locate: nowhere,
    locateValue: nowhere,
    locateKey: nowhere,
    sourceText: () => undefined,
  };
  return { ...locator, index: 0, value, startLine: 0, comments: [], locator: () => locator };
}

/** PHI findings in an object as its author wrote it (see writtenPart). */
export function scanObjectForPhi(
  object: Record<string, unknown>,
  options: PhiScanOptions = {},
): Diagnostic[] {
  const { written, lastApplied } = writtenPart(object);
  const findings = scanForPhi(plainDocument(written, 'object'), options);
  if (findings.length > 0 || !lastApplied) return findings;
  return scanForPhi(plainDocument(lastApplied, 'object'), options);
}
