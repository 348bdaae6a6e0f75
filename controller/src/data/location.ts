// Where a spec's data file is: a path or file:// URI resolved against the governance repository root, never
// outside it. Remote stores (s3://, https://, ...) are refused until an adapter for them exists.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSourceError } from './errors.js';

export const DATA_FORMATS = ['csv', 'parquet', 'json'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export interface DataLocation {
  /** As the spec wrote it, for messages and status. */
  written: string;
  /** Absolute path (or glob) inside baseDir. */
  path: string;
  /** Whether the path holds glob characters; DuckDB then reads every matching file. */
  glob: boolean;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const GLOB = /[*?[{]/;

/** Resolve `location` against `baseDir`; throws DataSourceError for a remote URI or a path escaping baseDir. */
export function resolveDataLocation(baseDir: string, location: string): DataLocation {
  let local = location;
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  // A single letter before ":" is a Windows drive, not a scheme.
  if (scheme !== undefined && scheme.length > 1) {
    if (scheme !== 'file') {
      throw new DataSourceError(
        'UnsupportedLocation',
        `${location}: only local files can be read (a path or file:// URI in the repository); ${scheme}:// is not supported yet`,
      );
    }
    try {
      local = fileURLToPath(location);
    } catch (err) {
      throw new DataSourceError('UnsupportedLocation', `${location}: not a valid file:// URI`, {
        cause: err,
      });
    }
  }
  const root = path.resolve(baseDir);
  const resolved = path.resolve(root, local);
  if (!isInside(root, resolved)) {
    throw new DataSourceError(
      'PathOutsideRepository',
      `${location}: resolves outside the governance repository; data paths must stay inside it`,
    );
  }
  return { written: location, path: resolved, glob: GLOB.test(local) };
}

/** Whether `target` is `root` or below it (both absolute, normalised). */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The directory a glob reads from: its path up to the first segment with a glob character. */
export function globBase(globPath: string): string {
  const segments = globPath.split(path.sep);
  const first = segments.findIndex((s) => GLOB.test(s));
  return first < 0 ? path.dirname(globPath) : segments.slice(0, first).join(path.sep) || path.sep;
}

/** The format: as given, else from the extension (.csv, .tsv, .parquet, .json, .jsonl, .ndjson, optionally .gz). */
export function formatOf(location: string, explicit?: string): DataFormat {
  if (explicit !== undefined) {
    const f = explicit.toLowerCase();
    if ((DATA_FORMATS as readonly string[]).includes(f)) return f as DataFormat;
    throw new DataSourceError(
      'UnsupportedFormat',
      `${location}: format "${explicit}" cannot be read; expected one of ${DATA_FORMATS.join(', ')}`,
    );
  }
  const name = location.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (/\.(csv|tsv)$/.test(name)) return 'csv';
  if (name.endsWith('.parquet')) return 'parquet';
  if (/\.(json|jsonl|ndjson)$/.test(name)) return 'json';
  throw new DataSourceError(
    'UnsupportedFormat',
    `${location}: cannot tell the format from the extension; set format to one of ${DATA_FORMATS.join(', ')}`,
  );
}
