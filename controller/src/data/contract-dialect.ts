// What differs between the engines a contract test runs in: DuckDB (embedded, over files), PostgreSQL and
// Databricks SQL. A contract's rules compile to the same SQL shape everywhere (one pass of counts per object,
// `count(CASE WHEN ... THEN 1 END)` rather than FILTER, which Databricks reads differently); only quoting,
// casts that must not fail on a bad value, regular expressions and row values differ, and those come from here.
//
// A column the engine already holds as text, or as a number or boolean, needs no round trip through text to be
// checked: where the engine reports such a type (typeOf), the checks use the column as it is. Only where that
// gives exactly the value the text round trip gives: integers and booleans; doubles in DuckDB, whose text form
// of a double always reads back as the same double (PostgreSQL's depends on extra_float_digits). Not temporal
// types, whose text form depends on the session (DateStyle) and on how the engine writes BC dates.
import { literal } from './sql.js';

export type EngineName = 'duckdb' | 'postgres' | 'databricks';

/** A logical type whose conformance is a cast that must succeed. */
export type CastType = 'number' | 'integer' | 'boolean' | 'date' | 'timestamp' | 'time';

export interface ContractDialect {
  name: EngineName;
  /** A quoted identifier, exactly as written. */
  ident(name: string): string;
  /** `expr` as text. */
  text(expr: string): string;
  /** `expr` (text) as the SQL value of `type`, or NULL where it does not read as one: never an error. */
  tryCast(expr: string, type: CastType): string;
  /**
   * True exactly where tryCast(expr, type) is not NULL, for non-NULL `expr`, without making the value: where the
   * engine decides by the text's form before it casts, the form alone. Absent where only the cast tells.
   */
  castable?(expr: string, type: CastType): string;
  /** True where `expr` (text) matches the regular expression `pattern` anywhere (not anchored). */
  matches(expr: string, pattern: string): string;
  /** A row value of several columns, to count distinct combinations. */
  row(exprs: readonly string[]): string;
  /** A bound of a temporal option (minimum: "2020-01-01") in the type `type`. */
  temporal(value: string, type: 'date' | 'timestamp' | 'time'): string;
  /** The current instant, as the engine's timestamp with time zone. */
  instant(at: Date): string;
  /** Seconds between the timestamp `expr` and the instant `at` (positive when `expr` is earlier). */
  secondsBefore(expr: string, at: Date): string;
  /** The engine's name of the type of `expr`, as text; absent where column types are not read. */
  typeOf?(expr: string): string;
  /** Whether a column of the engine's type `type` (as typeOf names it) is text as `text` gives it. */
  isText(type: string | undefined): boolean;
  /**
   * The column `expr` of the engine's type `type` as the SQL value of `cast`, without going through text, where
   * that is exactly what tryCast(text(expr), cast) gives; `whole` when every value is a whole number. Undefined
   * where the text round trip is needed.
   */
  native(
    expr: string,
    type: string | undefined,
    cast: CastType,
  ): { value: string; whole: boolean } | undefined;
}

/** A column's value without a text round trip, from the engine's types that allow it (see above). */
function nativeOf(
  exactInteger: ReadonlySet<string>,
  exactDouble: ReadonlySet<string>,
  boolean: string,
  double: string,
): ContractDialect['native'] {
  return (expr, type, cast) => {
    if (type === undefined) return undefined;
    if (cast === 'number' || cast === 'integer') {
      if (exactInteger.has(type)) return { value: `CAST(${expr} AS ${double})`, whole: true };
      if (exactDouble.has(type)) return { value: expr, whole: false };
    }
    if (cast === 'boolean' && type === boolean) return { value: expr, whole: false };
    return undefined;
  };
}

const DUCKDB_TYPES: Record<CastType, string> = {
  number: 'DOUBLE',
  integer: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
  time: 'TIME',
};

const doubleQuoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

export const DUCKDB_CONTRACT: ContractDialect = {
  name: 'duckdb',
  ident: doubleQuoted,
  text: (expr) => `CAST(${expr} AS VARCHAR)`,
  tryCast: (expr, type) => `TRY_CAST(${expr} AS ${DUCKDB_TYPES[type]})`,
  matches: (expr, pattern) => `regexp_matches(${expr}, ${literal(pattern)})`,
  row: (exprs) => `(${exprs.join(', ')})`,
  temporal: (value, type) => `CAST(${literal(value)} AS ${DUCKDB_TYPES[type]})`,
  instant: (at) => `CAST(${literal(at.toISOString())} AS TIMESTAMPTZ)`,
  secondsBefore: (expr, at) =>
    `(epoch(CAST(${literal(at.toISOString())} AS TIMESTAMPTZ)) - epoch(CAST(${expr} AS TIMESTAMPTZ)))`,
  typeOf: (expr) => `typeof(${expr})`,
  isText: (type) => type === 'VARCHAR',
  // Not HUGEINT (its conversion to DOUBLE may round differently from the text's), FLOAT or DECIMAL.
  native: nativeOf(
    new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT']),
    new Set(['DOUBLE']),
    'BOOLEAN',
    'DOUBLE',
  ),
};

// PostgreSQL has no TRY_CAST, and a cast of text that does not read as the type is an error that ends the whole
// query. So the text is first matched against what the type's input accepts (ISO forms for dates and times, the
// words PostgreSQL reads as booleans); CASE evaluates the cast only where it matched. Dates are checked to exist
// (no 2026-02-30) by comparing the day with the month's last day before anything is cast.
const PG_NUMBER = String.raw`^\s*[-+]?((\d+\.?\d*|\.\d+)(e[-+]?\d+)?|nan|inf|infinity)\s*$`;
const PG_BOOLEAN = String.raw`^\s*(t|true|f|false|y|yes|n|no|on|off|1|0)\s*$`;
// Year 0000 is left out: PostgreSQL holds no year 0 (it writes 1 BC), so the value is not a date it can hold.
const PG_DATE = String.raw`^(?!0000)\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])`;
const PG_TIME = String.raw`([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?`;
const PG_ZONE = String.raw`(\s*(z|utc|[-+]\d{2}(:?\d{2})?))?`;
const PG_FORMS: Record<Exclude<CastType, 'number' | 'integer' | 'boolean'>, string> = {
  date: `${PG_DATE}$`,
  timestamp: `${PG_DATE}([t ]${PG_TIME}${PG_ZONE})?$`,
  time: `^${PG_TIME}${PG_ZONE}$`,
};
const PG_TYPES: Record<CastType, string> = {
  number: 'DOUBLE PRECISION',
  integer: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  time: 'TIME',
};

/** PostgreSQL: true where the ISO date at the start of `t` names a day that exists; `t` already matched. */
const pgDayExists = (t: string) =>
  `CAST(substr(${t}, 9, 2) AS INTEGER) <= extract(day from make_date(CAST(substr(${t}, 1, 4) AS INTEGER), ` +
  `CAST(substr(${t}, 6, 2) AS INTEGER), 1) + interval '1 month' - interval '1 day')`;

/** PostgreSQL: true where the text `t` has the form PostgreSQL reads as `type` (and, for a date, the day exists). */
function pgCastable(t: string, type: CastType): string {
  if (type === 'number' || type === 'integer') return `${t} ~* ${literal(PG_NUMBER)}`;
  if (type === 'boolean') return `${t} ~* ${literal(PG_BOOLEAN)}`;
  const form = `${t} ~* ${literal(PG_FORMS[type])}`;
  if (type === 'time') return form;
  // CASE, not AND: the day is read from the text only once the form matched.
  return `(CASE WHEN ${form} THEN ${pgDayExists(t)} ELSE false END)`;
}

export const POSTGRES_CONTRACT: ContractDialect = {
  name: 'postgres',
  ident: doubleQuoted,
  text: (expr) => `CAST(${expr} AS TEXT)`,
  tryCast: (expr, type) => {
    const t = `CAST(${expr} AS TEXT)`;
    return `(CASE WHEN ${pgCastable(t, type)} THEN CAST(${t} AS ${PG_TYPES[type]}) END)`;
  },
  // The cast is made only where the form says it succeeds, so the form alone says whether it would.
  castable: (expr, type) => pgCastable(`CAST(${expr} AS TEXT)`, type),
  matches: (expr, pattern) => `(${expr} ~ ${literal(pattern)})`,
  row: (exprs) => `ROW(${exprs.join(', ')})`,
  temporal: (value, type) => `CAST(${literal(value)} AS ${PG_TYPES[type]})`,
  instant: (at) => `CAST(${literal(at.toISOString())} AS TIMESTAMP WITH TIME ZONE)`,
  secondsBefore: (expr, at) =>
    `extract(epoch from (CAST(${literal(at.toISOString())} AS TIMESTAMP WITH TIME ZONE) - CAST(${expr} AS TIMESTAMP WITH TIME ZONE)))`,
  typeOf: (expr) => `CAST(pg_typeof(${expr}) AS TEXT)`,
  isText: (type) => type === 'text' || type === 'character varying',
  native: nativeOf(new Set(['smallint', 'integer', 'bigint']), new Set(), 'boolean', 'DOUBLE PRECISION'),
};

// Databricks SQL: back-quoted identifiers (a double-quoted word is a string there), try_cast, RLIKE. It has no
// TIME type, so a time is checked by its form alone.
const DATABRICKS_TYPES: Record<Exclude<CastType, 'time'>, string> = {
  number: 'DOUBLE',
  integer: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};
const DATABRICKS_TIME = String.raw`^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$`;

export const DATABRICKS_CONTRACT: ContractDialect = {
  name: 'databricks',
  ident: (name) => `\`${name.replaceAll('`', '``')}\``,
  text: (expr) => `CAST(${expr} AS STRING)`,
  tryCast: (expr, type) =>
    type === 'time'
      ? `(CASE WHEN ${expr} RLIKE ${literal(DATABRICKS_TIME)} THEN ${expr} END)`
      : `try_cast(${expr} AS ${DATABRICKS_TYPES[type]})`,
  matches: (expr, pattern) => `(${expr} RLIKE ${literal(pattern)})`,
  row: (exprs) => `struct(${exprs.join(', ')})`,
  temporal: (value, type) =>
    type === 'time' ? literal(value) : `CAST(${literal(value)} AS ${DATABRICKS_TYPES[type]})`,
  instant: (at) => `CAST(${literal(at.toISOString())} AS TIMESTAMP)`,
  secondsBefore: (expr, at) =>
    `(unix_timestamp(CAST(${literal(at.toISOString())} AS TIMESTAMP)) - unix_timestamp(CAST(${expr} AS TIMESTAMP)))`,
  // Column types are not read here: every check goes through text.
  isText: () => false,
  native: () => undefined,
};

export const CONTRACT_DIALECTS: Record<EngineName, ContractDialect> = {
  duckdb: DUCKDB_CONTRACT,
  postgres: POSTGRES_CONTRACT,
  databricks: DATABRICKS_CONTRACT,
};
