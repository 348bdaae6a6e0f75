// Errors of the data adapters, typed by what happens next: every one of them needs a person to change a spec or
// put a file in place, so they are stalled errors the reconcilers map to a condition without retrying.
import { StalledError } from '../runtime/errors.js';

/** A data location that cannot be read: outside the repository, not a local file, missing, of unknown format. */
export class DataSourceError extends StalledError {}

/** SQL from a spec that the sandbox refuses: not a single read-only query, or one that reaches outside the files. */
export class SqlRefusedError extends StalledError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SqlRefused', message, options);
  }
}

/** SQL that DuckDB could not run (a syntax error, an unknown column); the message is redacted of data values. */
export class QueryError extends StalledError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QueryFailed', message, options);
  }
}

/**
 * DuckDB's message without anything that could be a value from the data: only its first line (a CSV error
 * goes on to quote the offending line), and every quoted literal blanked ("Could not convert string 'Smith'").
 * Identifiers in double quotes stay: they are column and file names, which the spec already shows.
 */
export function redactEngineMessage(message: string): string {
  const first = message.split('\n')[0] ?? '';
  return first.replace(/'(?:[^']|'')*'/g, "'…'").trim();
}
