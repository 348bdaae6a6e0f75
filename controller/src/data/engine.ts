// The data engine: DuckDB, in memory, over files of the governance repository.
//
// SQL from a spec is a query and nothing else. The engine registers files as tables, then seals itself before
// the first query: file access is limited to exactly the registered files (allowed_paths, or a glob's
// directory), every other file system and network access is disabled (enable_external_access = false) and the
// configuration is locked so no statement can undo that. Every query must be one SELECT (or WITH ... SELECT):
// DuckDB's own parser decides, not a regular expression. So a spec can read the data it names and nothing else;
// it cannot write files (COPY ... TO), attach databases, install extensions or read /etc/passwd.
import { realpath } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue, StatementType } from '@duckdb/node-api';
import { inSpan } from '../tracing.js';
import { DataSourceError, QueryError, redactEngineMessage, SqlRefusedError } from './errors.js';
import { type DataFormat, formatOf, globBase, isInside, resolveDataLocation } from './location.js';
import { ident, literal, type ReaderOptions, readerSql, sniffSql } from './sql.js';

/** A value in a result row: numbers (counts included), text, booleans, dates, or null. */
export type Cell = number | string | boolean | Date | null;
export type Row = Record<string, Cell>;
/** A value bound to a `$name` parameter; a Date binds as a TIMESTAMP WITH TIME ZONE. */
export type Param = number | string | boolean | Date | null;

export interface RegisterOptions {
  /** From the extension when omitted. */
  format?: DataFormat | string;
  /** CSV only: values read as NULL, e.g. ["?"] (a contract's nullMarkers). */
  nullMarkers?: readonly string[];
  /**
   * CSV only: DuckDB types of columns, over what the sniffer guesses (it reads a column of "No" and "Yes" as
   * BOOLEAN). Columns the file does not have are left out.
   */
  columnTypes?: Readonly<Record<string, string>>;
  /**
   * Read the file where each query needs it (a view), even a text file, rather than parse it into memory once:
   * for a caller that runs only a query or two over it, such as a contract test.
   */
  readWhereItIs?: boolean;
}

export interface RegisteredFile {
  name: string;
  /** The location as the spec wrote it. */
  location: string;
  format: DataFormat;
}

// DuckDB is loaded with the first engine: its native library is tens of megabytes of resident memory that a
// controller reading no data (or `vigil validate`) has no use for.
type DuckDB = typeof import('@duckdb/node-api');
let duckdb: DuckDB | undefined;
async function loadDuckDB(): Promise<DuckDB> {
  duckdb ??= await import('@duckdb/node-api');
  return duckdb;
}
/** The loaded module; only code running after an engine opened calls this. */
const loaded = (): DuckDB => {
  if (!duckdb) throw new Error('DuckDB is used before an engine was opened');
  return duckdb;
};

const VIEW_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUERY_KEYWORDS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', '(']);

/** The first word of `sql` in upper case, past whitespace and comments; "(" for a parenthesised query. */
export function firstKeyword(sql: string): string {
  const rest = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  if (rest.startsWith('(')) return '(';
  return /^[A-Za-z_]+/.exec(rest)?.[0]?.toUpperCase() ?? '';
}

export interface EngineOptions {
  /**
   * Queries the engine runs at once, each on its own connection, with the machine's cores shared between them
   * (DuckDB's threads, divided). For many small queries, as a surveillance policy's: a query spends much of its
   * time in steps one thread does (a sort, a window, the last of a parallel step), and splitting every query
   * across all cores costs more in handing work over than it saves. 1, the default: one query at a time, on
   * every core.
   */
  queriesAtOnce?: number;
}

/** DuckDB's threads for an engine running `queriesAtOnce` queries at once: the cores, divided. */
export const threadsPerQuery = (queriesAtOnce: number): number =>
  Math.max(1, Math.floor(availableParallelism() / Math.max(1, Math.floor(queriesAtOnce))));

export class DataEngine {
  private readonly files: RegisteredFile[] = [];
  private readonly allowedPaths: string[] = [];
  private readonly allowedDirectories: string[] = [];
  private sealing: Promise<void> | undefined;
  private closed = false;
  /** The connection files are registered on, and the settings sealed with. */
  private readonly connection: DuckDBConnection;
  /** Connections not running a query, and the queries waiting for one. */
  private readonly idle: DuckDBConnection[];
  private readonly waiting: ((connection: DuckDBConnection) => void)[] = [];

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connections: readonly DuckDBConnection[],
    /** The governance repository root, resolved (symbolic links followed). */
    readonly baseDir: string,
  ) {
    this.connection = connections[0]!;
    this.idle = [...connections];
  }

  /** An in-memory engine reading files under `baseDir` (the governance repository root). */
  static async open(baseDir: string, options: EngineOptions = {}): Promise<DataEngine> {
    const atOnce = Math.max(1, Math.floor(options.queriesAtOnce ?? 1));
    let root: string;
    try {
      root = await realpath(path.resolve(baseDir));
    } catch (err) {
      throw new DataSourceError(
        'DataSourceUnavailable',
        `${baseDir}: the repository directory does not exist`,
        {
          cause: err,
        },
      );
    }
    // Extensions are never installed or loaded on demand: what is built in (parquet, json, icu) is all there is.
    const { DuckDBInstance } = await loadDuckDB();
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      ...(atOnce > 1 ? { threads: String(threadsPerQuery(atOnce)) } : {}),
    });
    const connections: DuckDBConnection[] = [];
    for (let i = 0; i < atOnce; i++) {
      const connection = await instance.connect();
      // A connection's own setting, set before the configuration is locked.
      await connection.run(`SET TimeZone = 'UTC'`);
      connections.push(connection);
    }
    return new DataEngine(instance, connections, root);
  }

  /**
   * Register the file (or glob) at `location`, relative to baseDir, as the table `name` (a view for Parquet).
   * Before the first query.
   */
  async register(name: string, location: string, options: RegisterOptions = {}): Promise<RegisteredFile> {
    this.assertOpen();
    if (this.sealing) throw new Error(`cannot register ${name}: the engine is sealed after its first query`);
    if (!VIEW_NAME.test(name)) {
      throw new DataSourceError(
        'InvalidTableName',
        `"${name}" cannot name a table in SQL; use letters, digits and "_", starting with a letter`,
      );
    }
    const where = resolveDataLocation(this.baseDir, location);
    const format = formatOf(location, options.format);
    const real = await this.confine(where.glob ? globBase(where.path) : where.path, location);
    if (where.glob) {
      this.allowedDirectories.push(real + path.sep);
    } else {
      this.allowedPaths.push(real);
    }
    const target = where.glob ? path.join(real, path.relative(globBase(where.path), where.path)) : real;
    let readerOptions: ReaderOptions = {
      format,
      ...(options.nullMarkers ? { nullMarkers: options.nullMarkers } : {}),
    };
    // Text formats are parsed once, into memory: a policy runs dozens of queries over the same log. Parquet is
    // columnar and stays a view, read as each query needs it; so does any file a caller reads only once.
    const kind = format === 'parquet' || options.readWhereItIs ? 'VIEW' : 'TABLE';
    // A view over one CSV file is pinned to what DuckDB's sniffer detects now (sniffedReader).
    const pin = kind === 'VIEW' && format === 'csv' && !where.glob;
    const wanted = format === 'csv' ? (options.columnTypes ?? {}) : {};
    try {
      let reader = readerSql(target, readerOptions);
      // One sniff when the file has every column the types name, exactly as named: what the types come to
      // below, where the file's names are read first.
      let pinned =
        pin && Object.keys(wanted).length > 0
          ? await this.sniffedReader(target, { ...readerOptions, types: wanted }, Object.keys(wanted))
          : undefined;
      if (pinned === undefined && Object.keys(wanted).length > 0) {
        const header = await this.connection.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`);
        const names = header.getRowObjectsJS().map((r) => String(r.column_name));
        const types = Object.entries(wanted).flatMap(([column, type]) => {
          const found =
            names.find((n) => n === column) ?? names.find((n) => n.toLowerCase() === column.toLowerCase());
          return found === undefined ? [] : [[found, type] as const];
        });
        readerOptions = { ...readerOptions, types: Object.fromEntries(types) };
        reader = readerSql(target, readerOptions);
      }
      if (pinned === undefined && pin) pinned = await this.sniffedReader(target, readerOptions);
      reader = pinned ?? reader;
      await this.connection.run(`CREATE OR REPLACE ${kind} ${ident(name)} AS SELECT * FROM ${reader}`);
    } catch (err) {
      throw new DataSourceError(
        'DataSourceUnreadable',
        `${location}: cannot be read as ${format}: ${redactEngineMessage(messageOf(err))}`,
        { cause: err },
      );
    }
    const file = { name, location, format };
    this.files.push(file);
    return file;
  }

  /**
   * Define the view `name` as `select` over views registered before. For the adapters' own views (an inference
   * log filtered to a version), never for SQL from a spec. Before the first query.
   */
  async defineView(name: string, select: string): Promise<void> {
    this.assertOpen();
    if (this.sealing) throw new Error(`cannot define ${name}: the engine is sealed after its first query`);
    try {
      await this.connection.run(`CREATE OR REPLACE VIEW ${ident(name)} AS ${select}`);
    } catch (err) {
      throw queryError(err);
    }
  }

  /** The files registered so far. */
  get registered(): readonly RegisteredFile[] {
    return this.files;
  }

  /** Column names and DuckDB types of a view, in order. */
  async columns(view: string): Promise<{ name: string; type: string }[]> {
    const rows = await this.query(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $view ORDER BY ordinal_position',
      { view },
    );
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.data_type) }));
  }

  /**
   * Run one read-only query with `$name` parameters; every parameter the query names must be given, extra ones
   * are ignored. Throws SqlRefusedError for anything but a single SELECT, or a query reaching outside the
   * registered files; QueryError for a query DuckDB cannot run.
   */
  async query(sql: string, params: Record<string, Param> = {}): Promise<Row[]> {
    // A span per query: the engine and the rows it returned; never the statement's values or the rows.
    return inSpan('sql query', { 'db.system.name': 'duckdb' }, async (span) => {
      const rows = await this.run(sql, params);
      span.setAttribute('db.response.returned_rows', rows.length);
      return rows;
    });
  }

  private async run(sql: string, params: Record<string, Param>): Promise<Row[]> {
    this.assertOpen();
    // Every query waits for the seal, the first as the others that start while it is being set.
    this.sealing ??= this.seal();
    await this.sealing;
    const connection = await this.acquire();
    try {
      return await this.runOn(connection, sql, params);
    } finally {
      this.release(connection);
    }
  }

  private acquire(): Promise<DuckDBConnection> {
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(connection: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(connection);
    else this.idle.push(connection);
  }

  private async runOn(
    connection: DuckDBConnection,
    sql: string,
    params: Record<string, Param>,
  ): Promise<Row[]> {
    this.assertOpen();
    // A first check on the text, before DuckDB binds anything: some statements (PRAGMA) are rewritten into
    // SELECTs by the parser, so the statement type alone would let them through.
    const keyword = firstKeyword(sql);
    if (!QUERY_KEYWORDS.has(keyword)) {
      throw new SqlRefusedError(
        `only a query may run (SELECT, or WITH ... SELECT); found ${keyword ? `${article(keyword)} ${keyword} statement` : 'no statement'}`,
      );
    }
    let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
    try {
      extracted = await connection.extractStatements(sql);
    } catch (err) {
      throw queryError(err);
    }
    if (extracted.count !== 1) {
      throw new SqlRefusedError(
        `expected one query; found ${extracted.count} statements (a spec's SQL is a single SELECT)`,
      );
    }
    let prepared: Awaited<ReturnType<typeof extracted.prepare>>;
    try {
      prepared = await extracted.prepare(0);
    } catch (err) {
      throw queryError(err);
    }
    try {
      if (prepared.statementType !== loaded().StatementType.SELECT) {
        throw new SqlRefusedError(
          `only a query may run (SELECT, or WITH ... SELECT); found ${statementName(prepared.statementType)}`,
        );
      }
      for (let i = 1; i <= prepared.parameterCount; i++) {
        const name = prepared.parameterName(i);
        if (!(name in params)) {
          const known = Object.keys(params);
          throw new QueryError(
            `the query uses $${name}, which is not defined` +
              (known.length ? `; it may use ${known.map((k) => `$${k}`).join(', ')}` : ''),
          );
        }
        bindParam(prepared, i, params[name]!);
      }
      const reader = await prepared.runAndReadAll();
      return reader.getRowObjectsJS().map(toRow);
    } catch (err) {
      if (err instanceof SqlRefusedError || err instanceof QueryError) throw err;
      throw queryError(err);
    } finally {
      prepared.destroySync();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const connection of this.connections) connection.closeSync();
    this.instance.closeSync();
  }

  /** Limit file access to what was registered, switch off everything else, and lock that in. */
  private async seal(): Promise<void> {
    const list = (items: string[]) => `[${items.map(literal).join(', ')}]`;
    if (this.allowedPaths.length) await this.connection.run(`SET allowed_paths = ${list(this.allowedPaths)}`);
    if (this.allowedDirectories.length) {
      await this.connection.run(`SET allowed_directories = ${list(this.allowedDirectories)}`);
    }
    await this.connection.run('SET enable_external_access = false');
    await this.connection.run('SET lock_configuration = true');
  }

  /**
   * The CSV file at `target` as DuckDB's sniffer reads it now, pinned (auto_detect off, every column's type
   * given): a view over read_csv would run the sniffer again at every query, a sizeable share of a query over a
   * large file. The call is the one sniff_csv prints for reading the file with what it detected; undefined, so the
   * file is read as it always is, where the sniffer cannot say or the call would not be a plain read_csv of
   * `target` (a quote in the path, a column's name or a null marker, which sniff_csv writes as they are), or
   * the file lacks a column `mustName` names exactly.
   */
  private async sniffedReader(
    target: string,
    options: ReaderOptions,
    mustName: readonly string[] = [],
  ): Promise<string | undefined> {
    let sniffed: Record<string, unknown> | undefined;
    try {
      [sniffed] = (
        await this.connection.runAndReadAll(`SELECT * FROM ${sniffSql(target, options)}`)
      ).getRowObjectsJS();
    } catch {
      return undefined;
    }
    const prompt = sniffed?.Prompt;
    const columns = sniffed?.Columns;
    if (typeof prompt !== 'string' || !Array.isArray(columns)) return undefined;
    const names = columns.map((c) => String((c as { name?: unknown }).name));
    if ([target, ...names, ...(options.nullMarkers ?? [])].some((t) => t.includes("'"))) return undefined;
    if (mustName.some((n) => !names.includes(n))) return undefined;
    const call = /^FROM (read_csv\('([^']*)', auto_detect=false, .*\));$/s.exec(prompt.trim());
    return call && call[2] === target ? call[1] : undefined;
  }

  /** The real path of `target` (links followed), which must exist and stay inside baseDir. */
  private async confine(target: string, location: string): Promise<string> {
    let real: string;
    try {
      real = await realpath(target);
    } catch (err) {
      throw new DataSourceError(
        'DataSourceUnavailable',
        `${location}: no such file in the governance repository`,
        { cause: err },
      );
    }
    if (!isInside(this.baseDir, real)) {
      throw new DataSourceError(
        'PathOutsideRepository',
        `${location}: a symbolic link leads outside the governance repository; data paths must stay inside it`,
      );
    }
    return real;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the data engine is closed');
  }
}

/** Open an engine, run `work`, and close it whatever happens. */
export async function withEngine<T>(
  baseDir: string,
  work: (engine: DataEngine) => Promise<T>,
  options: EngineOptions = {},
): Promise<T> {
  const engine = await DataEngine.open(baseDir, options);
  try {
    return await work(engine);
  } finally {
    engine.close();
  }
}

type Prepared = Awaited<ReturnType<DuckDBConnection['prepare']>>;

function bindParam(prepared: Prepared, index: number, value: Param): void {
  if (value === null) prepared.bindNull(index);
  else if (value instanceof Date) {
    prepared.bindTimestampTZ(index, new (loaded().DuckDBTimestampTZValue)(BigInt(value.getTime()) * 1000n));
  } else if (typeof value === 'number') prepared.bindDouble(index, value);
  else if (typeof value === 'boolean') prepared.bindBoolean(index, value);
  else prepared.bindVarchar(index, value);
}

function toRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = toCell(v);
  return out;
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v instanceof Date) return v;
  return String(v as DuckDBValue);
}

function queryError(err: unknown): Error {
  const message = redactEngineMessage(messageOf(err));
  if (/^Permission Error/i.test(message)) {
    return new SqlRefusedError(`the query reaches outside the registered files: ${message}`, { cause: err });
  }
  return new QueryError(message, { cause: err });
}

const article = (word: string) => (/^[AEIOU]/.test(word) ? 'an' : 'a');
const statementName = (type: StatementType) => {
  const name = loaded().StatementType[type] ?? 'OTHER';
  return `${article(name)} ${name} statement`;
};

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
