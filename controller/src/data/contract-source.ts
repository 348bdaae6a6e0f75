// Where a contract test reads its data: the store a contract's server names, opened for reading only.
//
// - Files (a server of type local, custom with a path, or any with a file:// location; or --data): DuckDB,
//   embedded, sealed to the files it registered (engine.ts). A URL is downloaded to a temporary directory first.
// - PostgreSQL (type postgres or postgresql: host, port, database, schema): the `pg` client, every query in a
//   READ ONLY transaction. Credentials come from the environment (PGUSER, PGPASSWORD, PGSSLMODE...), never from
//   the contract, and go only to PGHOST or a host VIGIL_DATA_HOSTS lists (data-hosts.ts): the contract's author
//   chooses the host, not where the login goes.
// - Databricks SQL (type databricks: catalog, schema; host optional): the official `@databricks/sql` driver,
//   with DATABRICKS_HOST, DATABRICKS_HTTP_PATH and DATABRICKS_TOKEN from the environment; the token goes only to
//   DATABRICKS_HOST or a listed host.
//
// Every source names each schema object by its name in SQL, as a contract's own `sql` rules do ("FROM
// encounters"): DuckDB registers a view of that name; a database prefixes each query with a WITH clause that
// names the object's table (its physicalName, else its name, in the server's schema). So the SQL a contract
// compiles to is the same on every engine, in that engine's dialect.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataContractSpec, SchemaObject } from '../../../specs/datacontract.js';
import {
  type ContractDialect,
  DATABRICKS_CONTRACT,
  DUCKDB_CONTRACT,
  type EngineName,
  POSTGRES_CONTRACT,
} from './contract-dialect.js';
import { DataHosts, databricksHostRefusal, postgresHostRefusal, urlRefusal } from './data-hosts.js';
import { DataEngine, firstKeyword, type Row } from './engine.js';
import { DataSourceError, QueryError, redactEngineMessage, SqlRefusedError } from './errors.js';
import { objectPath } from './file-server.js';
import { columnOf } from './quality-plan.js';

type Server = NonNullable<DataContractSpec['servers']>[number];
type Env = Readonly<Record<string, string | undefined>>;

export interface ContractSource {
  readonly engine: EngineName;
  readonly dialect: ContractDialect;
  /** What is read, for status and output: "sample: data/encounters.csv", "warehouse: postgres clinical.inpatient". */
  readonly where: string;
  /** Whether the objects' null markers are still in the data as text (a database, Parquet, JSON), not NULL (CSV). */
  readonly markersInData: boolean;
  /** Column names of the object's data, in order; DataSourceError when it has none (no such file or table). */
  columns(object: string): Promise<string[]>;
  /** One read-only query naming objects by their names. QueryError, SqlRefusedError, or DataSourceError. */
  query(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

export interface OpenSourceOptions {
  /** The governance repository root: file paths resolve against it and may not leave it. */
  baseDir: string;
  /** The server to read; the first the engines here can read when omitted. */
  server?: string;
  /** A file (or URL) to read in place of the server's data; `{object}` names each object's file. */
  data?: string;
  /** How results name `data`: as the person wrote it, when `data` was made relative to baseDir. */
  dataShown?: string;
  /** The environment credentials come from; process.env when omitted. */
  env?: Env;
  /** Hosts credentials may go to besides PGHOST and DATABRICKS_HOST; VIGIL_DATA_HOSTS of `env` when omitted. */
  hosts?: DataHosts;
  /**
   * Fetch a server's data URL only from a host `hosts` lists: the controller, which must not reach into its
   * cluster's network for whoever wrote a contract. A person running the CLI fetches what they ask for.
   */
  fetchOnlyListed?: boolean;
}

const POSTGRES_TYPES = new Set(['postgres', 'postgresql']);
const readable = (s: Server) =>
  fileOf(s) !== undefined || POSTGRES_TYPES.has(s.type) || s.type === 'databricks';

/**
 * The server a test reads, or why there is none: the one named, else the first that carries a file, else the first
 * database an engine here reads.
 */
export function serverOf(spec: DataContractSpec, name?: string): Server | { error: string } {
  const servers = spec.servers ?? [];
  const listed = servers.map((s) => `${s.server} (${s.type})`).join(', ') || 'none';
  if (name !== undefined) {
    const s = servers.find((x) => x.server === name);
    if (!s) return { error: `the contract has no server "${name}"; its servers: ${listed}` };
    return readable(s) ? s : { error: `server ${name} is of type ${s.type}, ${UNREAD}` };
  }
  // Files first: they are in the governance repository itself; a database is read when named, or when the
  // contract has no file.
  const first = servers.find((s) => fileOf(s) !== undefined) ?? servers.find(readable);
  return first ?? { error: `no server of a type contract tests read (${UNREAD}); servers: ${listed}` };
}

const UNREAD =
  'which contract tests cannot read: they read files (local, custom with a path, a file:// location), postgres and databricks';

/** The server's file path (or file:// URI), when it carries one. */
export function fileOf(s: Server): string | undefined {
  if ((s.type === 'local' || s.type === 'custom') && s.path !== undefined) return s.path;
  if (s.location?.startsWith('file:')) return s.location;
  return undefined;
}

/** Open the source the contract's server (or --data) names. Throws DataSourceError when it cannot be read. */
export async function openSource(
  spec: DataContractSpec,
  options: OpenSourceOptions,
): Promise<ContractSource> {
  const objects = spec.schema ?? [];
  if (objects.length === 0)
    throw new DataSourceError('NoSchema', 'the contract has no schema objects to test');
  if (options.data !== undefined) {
    const named = options.server !== undefined ? serverOf(spec, options.server) : undefined;
    const format = named && !('error' in named) ? named.format : undefined;
    return openFiles(objects, {
      label: `--data: ${options.dataShown ?? options.data}`,
      path: options.data,
      baseDir: options.baseDir,
      ...(format !== undefined ? { format } : {}),
    });
  }
  const server = serverOf(spec, options.server);
  if ('error' in server) throw new DataSourceError('NoReadableServer', server.error);
  const env = options.env ?? process.env;
  const hosts = options.hosts ?? listedHosts(env);
  const file = fileOf(server);
  if (file !== undefined) {
    return openFiles(objects, {
      ...(options.fetchOnlyListed ? { onlyFrom: { hosts, what: `server ${server.server}` } } : {}),
      label: `${server.server}: ${file}`,
      path: file,
      baseDir: options.baseDir,
      ...(server.format !== undefined ? { format: server.format } : {}),
    });
  }
  const refusal = POSTGRES_TYPES.has(server.type)
    ? postgresHostRefusal(server, env, hosts)
    : databricksHostRefusal(server, env, hosts);
  if (refusal) throw new DataSourceError('HostNotAllowed', refusal);
  if (POSTGRES_TYPES.has(server.type)) return openPostgres(server, objects, env);
  return openDatabricks(server, objects, env);
}

/** VIGIL_DATA_HOSTS of `env`; a list that does not read is the person's mistake, said in one line. */
function listedHosts(env: Env): DataHosts {
  try {
    return DataHosts.from(env);
  } catch (err) {
    throw new DataSourceError('BadDataHosts', (err as Error).message);
  }
}

// --- files: DuckDB ----------------------------------------------------------------------------------------------

async function openFiles(
  objects: readonly SchemaObject[],
  where: {
    label: string;
    path: string;
    baseDir: string;
    format?: string;
    /** Fetch a URL only from a host these list. */
    onlyFrom?: { hosts: DataHosts; what: string };
  },
): Promise<ContractSource> {
  const paths = objects.map((o) => {
    const p = objectPath({ server: where.label, path: where.path }, o.name, objects.length);
    if (typeof p !== 'string') throw new DataSourceError('AmbiguousPath', p.error);
    const refusal =
      where.onlyFrom && /^https?:\/\//i.test(p)
        ? urlRefusal(p, where.onlyFrom.hosts, where.onlyFrom.what)
        : undefined;
    if (refusal) throw new DataSourceError('HostNotAllowed', refusal);
    return p;
  });
  const remote = paths.some((p) => /^https?:\/\//i.test(p));
  const downloads = remote ? await mkdtemp(path.join(tmpdir(), 'vigil-data-')) : undefined;
  let engine: DataEngine | undefined;
  try {
    const local: string[] = [];
    for (const [i, p] of paths.entries()) local.push(downloads ? await download(p, downloads, i) : p);
    engine = await DataEngine.open(downloads ?? where.baseDir);
    for (const [i, o] of objects.entries()) {
      await engine.register(o.name, local[i]!, {
        ...(where.format !== undefined ? { format: where.format } : {}),
        ...(o.nullMarkers ? { nullMarkers: o.nullMarkers } : {}),
        columnTypes: textColumns(o),
        // A contract test runs one query over each object (and a few small ones): no copy of the file in memory.
        readWhereItIs: true,
      });
    }
  } catch (err) {
    engine?.close();
    if (downloads) await rm(downloads, { recursive: true, force: true });
    throw err;
  }
  const opened = engine;
  return {
    engine: 'duckdb',
    dialect: DUCKDB_CONTRACT,
    where: where.label,
    // The CSV reader reads null markers as NULL; Parquet and JSON hold them as they were written.
    markersInData: opened.registered.some((f) => f.format !== 'csv'),
    columns: async (object) => (await opened.columns(object)).map((c) => c.name),
    query: (sql) => opened.query(sql),
    close: async () => {
      opened.close();
      if (downloads) await rm(downloads, { recursive: true, force: true });
    },
  };
}

/** Columns of string properties, read as text whatever the CSV sniffer would make of "Yes" and "No". */
function textColumns(o: SchemaObject): Record<string, string> {
  return Object.fromEntries(
    (o.properties ?? []).filter((p) => p.logicalType === 'string').map((p) => [columnOf(p), 'VARCHAR']),
  );
}

/** Download `url` into `dir`, keeping its extension (which says the format); the local name. */
async function download(url: string, dir: string, index: number): Promise<string> {
  if (!/^https?:\/\//i.test(url)) {
    throw new DataSourceError('MixedLocations', `${url}: with one object read by URL, every object must be`);
  }
  const u = new URL(url);
  const shown = `${u.origin}${u.pathname}`;
  const response = await fetch(u).catch((err: unknown) => {
    throw new DataSourceError(
      'DataSourceUnavailable',
      `${shown}: cannot be fetched (${(err as Error).message})`,
    );
  });
  if (!response.ok || !response.body) {
    throw new DataSourceError('DataSourceUnavailable', `${shown}: the server answered ${response.status}`);
  }
  const name = `${index}-${path.basename(u.pathname) || 'data'}`;
  await pipeline(Readable.fromWeb(response.body as never), createWriteStream(path.join(dir, name)));
  return name;
}

// --- databases: the objects as a WITH clause --------------------------------------------------------------------

/** `sql` with each object named by a common table expression over its table, merged with the query's own WITH. */
export function withObjects(sql: string, tables: ReadonlyMap<string, string>, d: ContractDialect): string {
  const ctes = [...tables].map(([name, table]) => `${d.ident(name)} AS (SELECT * FROM ${table})`).join(', ');
  if (firstKeyword(sql) !== 'WITH') return `WITH ${ctes} ${sql}`;
  const rest = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*WITH\s+/i, '');
  const recursive = /^RECURSIVE\s+/i.exec(rest);
  return recursive ? `WITH RECURSIVE ${ctes}, ${rest.slice(recursive[0].length)}` : `WITH ${ctes}, ${rest}`;
}

const QUERY_KEYWORDS = new Set(['SELECT', 'WITH', '(']);

function refuseNonQuery(sql: string): void {
  const keyword = firstKeyword(sql);
  if (!QUERY_KEYWORDS.has(keyword)) {
    throw new SqlRefusedError(
      `only a query may run (SELECT, or WITH ... SELECT); found ${keyword || 'no statement'}`,
    );
  }
}

/** The physical table of each object: physicalName, else name. */
const tableOf = (o: SchemaObject) => o.physicalName ?? o.name;

const missing = (env: Env, names: string[]) => names.filter((n) => !env[n]);

// --- PostgreSQL ---------------------------------------------------------------------------------------------------

async function openPostgres(
  server: Server,
  objects: readonly SchemaObject[],
  env: Env,
): Promise<ContractSource> {
  const { default: pg } = await import('pg');
  const schema = server.schema ?? 'public';
  const d = POSTGRES_CONTRACT;
  const tables = new Map(objects.map((o) => [o.name, `${d.ident(schema)}.${d.ident(tableOf(o))}`]));
  const known = knownNames(objects, [schema]);
  const where = `${server.server}: postgres ${server.host}:${server.port}/${server.database} schema ${schema}`;
  // host, port and database from the contract; user, password and TLS from the environment (libpq's names).
  const client = new pg.Client({
    ...(server.host !== undefined ? { host: server.host } : {}),
    ...(server.port !== undefined ? { port: server.port } : {}),
    ...(server.database !== undefined ? { database: server.database } : {}),
    ...(env.PGUSER ? { user: env.PGUSER } : {}),
    ...(env.PGPASSWORD ? { password: env.PGPASSWORD } : {}),
    application_name: 'vigil-contract-test',
    // Counts (bigint) and numeric results as numbers, not text.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === 20 || oid === 1700
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format as never)) as never,
    },
    connectionTimeoutMillis: 15_000,
    // Nothing a contract's SQL does can write: every query runs in a read-only transaction too.
    options: '-c default_transaction_read_only=on -c statement_timeout=600000',
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new DataSourceError(
      'DataSourceUnavailable',
      `${where}: cannot connect: ${redactEngineMessage((err as Error).message)}`,
      { cause: err },
    );
  }
  const run = async (sql: string, values: unknown[] = []): Promise<Row[]> => {
    try {
      await client.query('BEGIN READ ONLY');
      const result = await client.query({ text: sql, values, queryMode: 'extended' } as never);
      return (result as unknown as { rows: Record<string, unknown>[] }).rows.map(toRow);
    } catch (err) {
      throw new QueryError(redactDatabaseMessage((err as Error).message, known), { cause: err });
    } finally {
      await client.query('ROLLBACK').catch(() => {});
    }
  };
  return {
    engine: 'postgres',
    dialect: d,
    where,
    markersInData: true,
    async columns(object) {
      const o = objects.find((x) => x.name === object)!;
      const rows = await run(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        [schema, tableOf(o)],
      );
      if (rows.length === 0) {
        throw new DataSourceError(
          'DataSourceUnavailable',
          `${where}: no table ${schema}.${tableOf(o)} (or no access to it)`,
        );
      }
      return rows.map((r) => String(r.column_name));
    },
    query(sql) {
      refuseNonQuery(sql);
      return run(withObjects(sql, tables, d));
    },
    close: () => client.end(),
  };
}

// --- Databricks SQL -------------------------------------------------------------------------------------------------

/** The environment variables a Databricks server reads; none is ever written in a contract. */
export const DATABRICKS_ENV = ['DATABRICKS_HOST', 'DATABRICKS_HTTP_PATH', 'DATABRICKS_TOKEN'] as const;

async function openDatabricks(
  server: Server,
  objects: readonly SchemaObject[],
  env: Env,
): Promise<ContractSource> {
  const d = DATABRICKS_CONTRACT;
  const lacking = missing(
    env,
    server.host ? ['DATABRICKS_HTTP_PATH', 'DATABRICKS_TOKEN'] : [...DATABRICKS_ENV],
  );
  const where = `${server.server}: databricks ${server.catalog}.${server.schema}`;
  if (lacking.length > 0) {
    throw new DataSourceError(
      'CredentialsMissing',
      `${where}: set ${lacking.join(', ')} in the environment to read a databricks server`,
    );
  }
  const tables = new Map(
    objects.map((o) => [o.name, [server.catalog!, server.schema!, tableOf(o)].map(d.ident).join('.')]),
  );
  const known = knownNames(objects, [server.catalog!, server.schema!]);
  const { DBSQLClient } = await import('@databricks/sql');
  const client = new DBSQLClient();
  const host = (server.host ?? env.DATABRICKS_HOST!).replace(/^https?:\/\//, '').replace(/\/+$/, '');
  let session: Awaited<ReturnType<Awaited<ReturnType<typeof client.connect>>['openSession']>>;
  try {
    const connection = await client.connect({
      host,
      path: env.DATABRICKS_HTTP_PATH!,
      token: env.DATABRICKS_TOKEN!,
    });
    session = await connection.openSession();
  } catch (err) {
    await client.close().catch(() => {});
    throw new DataSourceError(
      'DataSourceUnavailable',
      `${where}: cannot connect to ${host}: ${redactEngineMessage((err as Error).message)}`,
      { cause: err },
    );
  }
  const run = async (sql: string): Promise<Row[]> => {
    try {
      const operation = await session.executeStatement(sql);
      try {
        return ((await operation.fetchAll()) as Record<string, unknown>[]).map(toRow);
      } finally {
        await operation.close();
      }
    } catch (err) {
      throw new QueryError(redactDatabaseMessage((err as Error).message, known), { cause: err });
    }
  };
  return {
    engine: 'databricks',
    dialect: d,
    where,
    markersInData: true,
    async columns(object) {
      const o = objects.find((x) => x.name === object)!;
      const info = `${d.ident(server.catalog!)}.information_schema.columns`;
      const rows = await run(
        `SELECT column_name FROM ${info} WHERE table_schema = ${sqlText(server.schema!)} AND table_name = ${sqlText(tableOf(o))} ORDER BY ordinal_position`,
      );
      if (rows.length === 0) {
        throw new DataSourceError(
          'DataSourceUnavailable',
          `${where}: no table ${server.catalog}.${server.schema}.${tableOf(o)} (or no access to it)`,
        );
      }
      return rows.map((r) => String(r.column_name));
    },
    query(sql) {
      refuseNonQuery(sql);
      return run(withObjects(sql, tables, d));
    },
    close: async () => {
      await session.close().catch(() => {});
      await client.close();
    },
  };
}

/** Names a database message may quote that are the contract's, not the data's: objects, tables, columns. */
function knownNames(objects: readonly SchemaObject[], more: string[]): Set<string> {
  const names = new Set(more.map((n) => n.toLowerCase()));
  for (const o of objects) {
    names.add(o.name.toLowerCase());
    names.add(tableOf(o).toLowerCase());
    for (const p of o.properties ?? []) {
      names.add(p.name.toLowerCase());
      names.add(columnOf(p).toLowerCase());
    }
  }
  return names;
}

/**
 * A database's message without anything that could be a value from the data. PostgreSQL quotes a value it could
 * not read in double quotes (invalid input syntax for type integer: "..."), as it quotes names; so besides what
 * redactEngineMessage blanks, every double-quoted word that is not one of the contract's names is blanked too.
 */
export function redactDatabaseMessage(message: string, known: ReadonlySet<string>): string {
  return redactEngineMessage(message).replace(/"((?:[^"]|"")*)"/g, (quoted, inner: string) =>
    known.has(inner.replaceAll('""', '"').toLowerCase()) ? quoted : '"…"',
  );
}

const sqlText = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

function toRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) out[k] = null;
    else if (typeof v === 'bigint') out[k] = Number(v);
    else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v instanceof Date)
      out[k] = v;
    else out[k] = String(v);
  }
  return out;
}
