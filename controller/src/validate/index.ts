// `vigil validate`: every document against its kind, then every reference across the whole set.
import { compareDiagnostics, type Diagnostic } from '../diagnostics.js';
import { loadYamlFiles, type SourceDocument, type YamlLoadOptions } from '../yaml/index.js';
import { type ObjectIdentity, type ValidObject, validateDocument } from './document.js';
import { checkReferences } from './references.js';

export interface ValidationReport {
  /** Files that held at least one document or problem. */
  files: number;
  documents: number;
  /** Valid Vigil objects by kind. */
  kinds: Record<string, number>;
  /** Documents of other kinds (Namespace, ConfigMap, ...), left to other tools. */
  foreign: number;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
  /** The objects that passed their schema, for callers that go on to apply them. */
  objects: ValidObject[];
}

/** A scanner that refuses values that look like protected health information. */
export type PhiScanner = (doc: SourceDocument) => Diagnostic[];

export interface ValidateOptions extends YamlLoadOptions {
  phi?: PhiScanner;
}

/** Pure: validate documents already loaded, plus the diagnostics their loading produced. */
export function validateDocuments(
  documents: readonly SourceDocument[],
  loadDiagnostics: readonly Diagnostic[],
  options: Pick<ValidateOptions, 'phi'> = {},
): ValidationReport {
  const diagnostics: Diagnostic[] = [...loadDiagnostics];
  const objects: ValidObject[] = [];
  const invalid: ObjectIdentity[] = [];
  const kinds: Record<string, number> = {};
  let foreign = 0;
  for (const doc of documents) {
    if (options.phi) diagnostics.push(...options.phi(doc));
    const result = validateDocument(doc);
    diagnostics.push(...result.diagnostics);
    if (result.outcome === 'foreign') foreign++;
    if (result.outcome === 'invalid' && result.identity) invalid.push(result.identity);
    if (result.outcome === 'valid') {
      objects.push(result.object);
      kinds[result.object.kind] = (kinds[result.object.kind] ?? 0) + 1;
    }
  }
  diagnostics.push(...checkReferences(objects, invalid));
  diagnostics.sort(compareDiagnostics);
  const byKind = Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => a.localeCompare(b)));
  const files = new Set([...documents.map((d) => d.file), ...diagnostics.map((d) => d.file)]);
  return {
    files: files.size,
    documents: documents.length,
    kinds: byKind,
    foreign,
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
    diagnostics,
    objects,
  };
}

export async function validatePaths(
  paths: readonly string[],
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const { phi, ...load } = options;
  const loaded = await loadYamlFiles(paths, load);
  return validateDocuments(loaded.documents, loaded.diagnostics, { phi });
}
