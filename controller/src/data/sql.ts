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
    case 'csv':
      return `read_csv(${csvArguments(path, options)})`;
    case 'parquet':
      return `read_parquet(${literal(path)})`;
    case 'json':
      return `read_json_auto(${literal(path)})`;
  }
}

/** DuckDB's CSV sniffer over `path` with the options readerSql reads it with: what read_csv would detect. */
export const sniffSql = (path: string, options: ReaderOptions): string =>
  `sniff_csv(${csvArguments(path, options)})`;

function csvArguments(path: string, options: ReaderOptions): string {
  const markers = [...new Set(['', ...(options.nullMarkers ?? [])])];
  const types = Object.entries(options.types ?? {}).map(([column, type]) => {
    if (!DUCKDB_TYPE.test(type)) throw new Error(`not a DuckDB type: ${type}`);
    return `${literal(column)}: ${literal(type)}`;
  });
  const typed = types.length ? `, types = {${types.join(', ')}}` : '';
  return `${literal(path)}, header = true, nullstr = [${markers.map(literal).join(', ')}]${typed}`;
}

/**
 * What differs between the engines metric SQL runs on. Everything else the built-in metrics write is the SQL both
 * DuckDB and PostgreSQL accept: CAST(... AS DOUBLE PRECISION), count(*) FILTER (WHERE ...), window functions,
 * VALUES lists, greatest/least, ln.
 */
export interface SqlDialect {
  name: 'duckdb' | 'postgres';
  /** `expr` as a double, or NULL where its text is not a number (never an error). 'NaN' and 'Infinity' read. */
  toDouble(expr: string): string;
  /** `expr` as text. */
  toText(expr: string): string;
  /** An instant as a TIMESTAMP WITH TIME ZONE literal. */
  timestamp(at: Date): string;
  /**
   * The finite double `expr`, narrowed so that no difference of two narrowed values overflows, in the same order
   * (never reversed; values may merge), and without an arithmetic error. DuckDB raises an error on overflow only,
   * and halves; PostgreSQL also raises one where a result underflows to 0 (as halving the smallest double does),
   * and holds the value within 1e300 of 0 instead. NULL stays NULL.
   */
  narrow(expr: string): string;
  /**
   * The number of distinct non-NULL values of `expr`, an aggregate. DuckDB keeps a hash table for each
   * count(DISTINCT ...) of a query, costly over a few rows of many columns; a list of the values, made distinct,
   * costs a tenth of it there.
   */
  countDistinct(expr: string): string;
}

export const DUCKDB: SqlDialect = {
  name: 'duckdb',
  toDouble: (expr) => `TRY_CAST(${expr} AS DOUBLE)`,
  toText: (expr) => `CAST(${expr} AS VARCHAR)`,
  timestamp: (at) => `CAST(${literal(at.toISOString())} AS TIMESTAMP WITH TIME ZONE)`,
  narrow: (expr) => `(${expr} / 2)`,
  countDistinct: (expr) => `len(list_distinct(list(${expr})))`,
};

/** PostgreSQL has no TRY_CAST: the text is matched against what float8 input accepts before it is cast. */
const PG_NUMBER = String.raw`^\s*[-+]?((\d+\.?\d*|\.\d+)(e[-+]?\d+)?|nan|inf|infinity)\s*$`;
export const POSTGRES: SqlDialect = {
  name: 'postgres',
  toDouble: (expr) =>
    `(CASE WHEN CAST(${expr} AS TEXT) ~* ${literal(PG_NUMBER)} THEN CAST(CAST(${expr} AS TEXT) AS DOUBLE PRECISION) END)`,
  toText: (expr) => `CAST(${expr} AS TEXT)`,
  timestamp: (at) => `CAST(${literal(at.toISOString())} AS TIMESTAMP WITH TIME ZONE)`,
  narrow: (expr) =>
    `(CASE WHEN ${expr} > 1e300 THEN 1e300 WHEN ${expr} < -1e300 THEN -1e300 ELSE ${expr} END)`,
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
};
