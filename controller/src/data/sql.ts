// Building blocks for SQL the adapters write themselves: quoting, and the reader of a registered file.
import type { DataFormat } from './location.js';

/** A double-quoted identifier: a column or view name exactly as written, whatever characters it holds. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A single-quoted string literal. */
export const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** A number as a SQL literal; refuses NaN and infinities, which have no literal. */
export function numberLiteral(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
}

export interface ReaderOptions {
  format: DataFormat;
  /** CSV only: values read as NULL. The empty field is always one: CSV has no other way to write a null. */
  nullMarkers?: readonly string[];
  /** CSV only: DuckDB types of named columns, e.g. {readmitted: 'VARCHAR'}. */
  types?: Readonly<Record<string, string>>;
}

const DUCKDB_TYPE = /^[A-Za-z][A-Za-z0-9_ ]*(\(\d+(, ?\d+)?\))?$/;

/** The table function reading `path` (absolute, possibly a glob). */
export function readerSql(path: string, options: ReaderOptions): string {
  switch (options.format) {
    case 'csv': {
      const markers = [...new Set(['', ...(options.nullMarkers ?? [])])];
      const types = Object.entries(options.types ?? {}).map(([column, type]) => {
        if (!DUCKDB_TYPE.test(type)) throw new Error(`not a DuckDB type: ${type}`);
        return `${literal(column)}: ${literal(type)}`;
      });
      const typed = types.length ? `, types = {${types.join(', ')}}` : '';
      return `read_csv(${literal(path)}, header = true, nullstr = [${markers.map(literal).join(', ')}]${typed})`;
    }
    case 'parquet':
      return `read_parquet(${literal(path)})`;
    case 'json':
      return `read_json_auto(${literal(path)})`;
  }
}
