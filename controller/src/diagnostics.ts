// A problem found in a user's input, located precisely enough to fix without searching.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Path of the file as the user named it (relative where they gave a relative path). */
  file: string;
  /** 1-based line and column of the offending node; 0 when the problem has no position (e.g. an unreadable file). */
  line: number;
  col: number;
  /** Field path inside the document, dotted with [index] for arrays: `spec.waves[2].gates.minSoak`. Empty for the whole document. */
  path: string;
  /** Stable machine-readable code, e.g. `yaml.duplicate-key`, `schema.invalid-type`, `ref.missing`, `phi.ssn`. */
  code: string;
  /** What was expected and what was found, in one sentence a person can act on. */
  message: string;
  /** An optional hint on how to fix it, e.g. "quote it: version: \"1.10\"". */
  hint?: string;
  severity: Severity;
}

export type PathSegment = string | number;

/** `['spec', 'waves', 2, 'name']` -> `spec.waves[2].name` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Sort by file, then line, then column, then path, so a run's output is stable. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.path.localeCompare(b.path);
}

/** `file:line:col: error: path: message` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const field = d.path ? `${d.path}: ` : '';
  const hint = d.hint ? ` (hint: ${d.hint})` : '';
  return `${where}: ${d.severity}: ${field}${d.message}${hint}`;
}
