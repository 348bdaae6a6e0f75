// Decides one admission request: the object is checked exactly as `vigil validate` checks a document (its kind's
// schema, the rules beyond it, the PHI guard), so `kubectl apply` refuses what `vigil validate` refuses, with the
// same words. Positions are left out: the API server hands the webhook JSON, not the user's file.
import { z } from 'zod';
import { API_GROUP } from '../../../specs/common.js';
import { compareDiagnostics, type Diagnostic } from '../diagnostics.js';
import { type PhiScanOptions, scanForPhi, writtenPart } from '../phi/index.js';
import { validateDocument } from '../validate/document.js';
import { loadYamlSource } from '../yaml/index.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

const groupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string() });

/** The part of an AdmissionReview v1 request this webhook reads; the rest is passed over. */
export const admissionRequest = z.looseObject({
  uid: z.string().min(1),
  kind: groupVersionKind,
  resource: z.looseObject({ group: z.string(), version: z.string(), resource: z.string() }),
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  object: z.record(z.string(), z.unknown()).nullable().optional(),
  oldObject: z.record(z.string(), z.unknown()).nullable().optional(),
  dryRun: z.boolean().optional(),
});
export type AdmissionRequest = z.infer<typeof admissionRequest>;

export const admissionReview = z.looseObject({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal('AdmissionReview'),
  request: admissionRequest,
});

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string; status: 'Failure' };
  warnings?: string[];
}

/**
 * Pure: allow or refuse one request. Only CREATE and UPDATE of a vigil.dev object are checked; anything else is
 * allowed (the webhook's rules should not send it). Errors refuse with every error, one per line; warnings are
 * returned as admission warnings, which kubectl prints, and do not refuse.
 */
export function reviewRequest(request: AdmissionRequest, phi: PhiScanOptions = {}): AdmissionResponse {
  const { uid } = request;
  const object = request.object;
  const checked =
    request.kind.group === API_GROUP &&
    !request.subResource &&
    (request.operation === 'CREATE' || request.operation === 'UPDATE') &&
    object !== null &&
    object !== undefined;
  if (!checked) return { uid, allowed: true };
  const diagnostics = checkObject(object, phi);
  const errors = diagnostics.filter((d) => d.severity === 'error').map(admissionLine);
  const warnings = diagnostics.filter((d) => d.severity === 'warning').map(admissionLine);
  if (errors.length === 0) return { uid, allowed: true, ...(warnings.length ? { warnings } : {}) };
  return {
    uid,
    allowed: false,
    status: { code: 403, reason: 'Forbidden', message: errors.join('\n'), status: 'Failure' },
    ...(warnings.length ? { warnings } : {}),
  };
}

/** What `vigil validate` prints for a diagnostic, without the file position: `path: message (hint: ...)`. */
export function admissionLine(d: Diagnostic): string {
  const field = d.path ? `${d.path}: ` : '';
  const hint = d.hint ? ` (hint: ${d.hint})` : '';
  return `${field}${d.message}${hint}`;
}

/**
 * The diagnostics `vigil validate` gives the object as its user wrote it: what the server adds (managed fields,
 * status) is set aside. kubectl's copy of the applied object is scanned for PHI only when nothing else is found,
 * so PHI is reported once, where it was written, and an annotation crafted to carry it is still refused.
 */
export function checkObject(object: Record<string, unknown>, phi: PhiScanOptions = {}): Diagnostic[] {
  const { written, lastApplied } = writtenPart(object);
  const metadata = written.metadata as Record<string, unknown> | undefined;
  const name = `${String(written.kind ?? 'object')}/${String(metadata?.name ?? '')}`;
  const [doc] = loadYamlSource(JSON.stringify(written), name).documents;
  if (!doc) return [];
  const phiFindings = scanForPhi(doc, phi);
  const result = validateDocument(doc);
  // A schema message may quote the value it refuses; where that value looks like PHI, the PHI finding says enough.
  const phiPaths = phiFindings.map((f) => f.path).filter((p) => p !== '');
  const others = result.diagnostics.filter((d) => !phiPaths.some((p) => samePlace(d.path, p)));
  if (phiFindings.length === 0 && lastApplied) {
    const [copy] = loadYamlSource(JSON.stringify(lastApplied), name).documents;
    if (copy) phiFindings.push(...scanForPhi(copy, phi));
  }
  return [...phiFindings, ...others].sort(compareDiagnostics);
}

function samePlace(path: string, phiPath: string): boolean {
  return path === phiPath || path.startsWith(`${phiPath}.`) || path.startsWith(`${phiPath}[`);
}
