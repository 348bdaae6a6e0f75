// A contract test reads a column the engine holds as a number, a boolean or text as it is, not through its text:
// the counts must be exactly those the text round trip gives, value for value, over the values where the two
// could part (NaN, infinities, -0, the largest integers, doubles next to a bound, FLOAT and DECIMAL columns that
// keep the round trip). In DuckDB over Parquet, and in PostgreSQL where a server can run.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataContractSpec, dataContractSpec } from '../../../specs/datacontract.js';
import { POSTGRES_RUNNABLE, type PostgresServer, startPostgres } from '../../../test/support/postgres.js';
import { POSTGRES_CONTRACT } from './contract-dialect.js';
import { type ContractSource, openSource } from './contract-source.js';
import { type RuleResult, runContractTest } from './contract-test.js';
import { countQuery, type ObjectPlan, planObject } from './quality-plan.js';
import { literal } from './sql.js';

const NOW = new Date('2026-06-01T06:00:00Z');
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-contract-types-'));

/** Columns, as DuckDB and PostgreSQL type them. */
const COLUMNS = [
  ['i32', 'INTEGER', 'integer'],
  ['i64', 'BIGINT', 'bigint'],
  ['i16', 'SMALLINT', 'smallint'],
  ['dbl', 'DOUBLE', 'double precision'],
  ['flag', 'BOOLEAN', 'boolean'],
  ['code', 'VARCHAR', 'character varying(8)'],
  ['flt', 'FLOAT', 'real'],
  ['dec', 'DECIMAL(6,2)', 'numeric(6,2)'],
  ['whole', 'DOUBLE', 'double precision'],
] as const;

const ROWS: (string | number | boolean | null)[][] = [
  [0, 0, 0, 0, true, 'A1', 0.1, 1.5, 1],
  [7, 4, -1, 2.5, false, 'B2', 0.5, 2, 2.5],
  [120, '9007199254740993', 100, 'NaN', null, '', 1e10, 120, 'NaN'],
  [121, '-9223372036854775808', 101, 'Infinity', true, '?', 'NaN', -1.25, 3],
  [-5, '9223372036854775807', null, '-Infinity', false, 'abc', null, null, '-0'],
  [null, null, 5, '-0', true, 'a', 0.1, 0.1, 1e300],
  [15, 6, 32767, '120.00000000000001', null, null, 3.4e38, 9999.99, 0.5],
  [2147483647, 4, -32768, 1e300, false, 'A1', '-0', 5, null],
  [10, 7, 50, 5e-324, true, 'Z', 0.3, 0.5, 4],
  [15, 8, 50, 0.1, true, 'A1', 0.3, 0.5, '9007199254740993'],
];

/** The rows as SQL both engines read, each value cast to its column's type. */
const valuesSql = (engine: 1 | 2) =>
  ROWS.map(
    (row) =>
      `(${row
        .map((v, i) =>
          v === null
            ? `CAST(NULL AS ${COLUMNS[i]![engine]})`
            : `CAST(${literal(String(v))} AS ${COLUMNS[i]![engine]})`,
        )
        .join(', ')})`,
  ).join(', ');

function contract(servers: DataContractSpec['servers']): DataContractSpec {
  const none = { phi: 'none' as const };
  return dataContractSpec.parse({
    id: 'urn:test:contract:readings',
    version: '1.0.0',
    status: 'active',
    ownerTeam: 'test/data',
    servers,
    schema: [
      {
        name: 'readings',
        physicalName: 'readings',
        properties: [
          {
            name: 'i32',
            logicalType: 'integer',
            logicalTypeOptions: { minimum: 0, maximum: 120, multipleOf: 5 },
            unique: true,
            nullMarkers: ['7'],
            ...none,
          },
          {
            name: 'i64',
            logicalType: 'integer',
            logicalTypeOptions: { minimum: 0, maximum: 9007199254740992 },
            required: true,
            unique: true,
            ...none,
          },
          {
            name: 'i16',
            logicalType: 'number',
            logicalTypeOptions: { exclusiveMinimum: -0.5, maximum: 100 },
            quality: [{ metric: 'invalidValues', arguments: { validValues: [5, 50, 100, 'x'] }, mustBe: 0 }],
            ...none,
          },
          {
            name: 'dbl',
            logicalType: 'number',
            logicalTypeOptions: { minimum: 0, maximum: 120, multipleOf: 0.5 },
            quality: [
              { metric: 'missingValues', mustBe: 0 },
              { metric: 'duplicateValues', mustBe: 0 },
              { metric: 'invalidValues', arguments: { validValues: [2.5, 0] }, mustBe: 0 },
            ],
            ...none,
          },
          {
            name: 'flag',
            logicalType: 'boolean',
            quality: [{ metric: 'duplicateValues', mustBe: 0 }],
            ...none,
          },
          {
            name: 'code',
            logicalType: 'string',
            logicalTypeOptions: { pattern: '^[A-Z]', minLength: 1, maxLength: 2 },
            nullMarkers: ['?'],
            quality: [
              { metric: 'missingValues', arguments: { missingValues: ['', 'Z'] }, mustBe: 0 },
              { metric: 'invalidValues', arguments: { validValues: ['A1', 'B2', 3] }, mustBe: 0 },
            ],
            ...none,
          },
          { name: 'flt', logicalType: 'number', logicalTypeOptions: { maximum: 0.1 }, ...none },
          {
            name: 'dec',
            logicalType: 'number',
            logicalTypeOptions: { minimum: 0, multipleOf: 0.25 },
            ...none,
          },
          { name: 'whole', logicalType: 'integer', ...none },
        ],
        quality: [
          { metric: 'duplicateValues', arguments: { properties: ['i32', 'code'] }, mustBe: 0 },
          { metric: 'rowCount', mustBeGreaterThan: 0 },
        ],
      },
    ],
  });
}

const figures = (rules: RuleResult[]) => rules.map((r) => [r.rule, r.rows, r.failures, r.value, r.result]);

/** The counts of the plan that reads every column through its text: what a test gave before it read types. */
async function throughText(source: ContractSource, spec: DataContractSpec): Promise<Record<string, number>> {
  const object = spec.schema![0]!;
  const plan: ObjectPlan = planObject(object, 0, await source.columns('readings'), {
    dialect: source.dialect,
    markersInData: source.markersInData,
  });
  const [row] = await source.query(countQuery('readings', plan.measures, source.dialect.ident('readings')));
  await source.close();
  return Object.fromEntries(
    plan.measures.flatMap((m, i) => (m.label === 'rowCount' ? [] : [[m.rule, Number(row![`m${i}`])]])),
  );
}

const failuresOf = (rules: RuleResult[]) =>
  Object.fromEntries(rules.filter((r) => r.failures !== undefined).map((r) => [r.rule, r.failures]));

beforeAll(async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const names = COLUMNS.map((c) => c[0]).join(', ');
  await connection.run(
    `COPY (SELECT * FROM (VALUES ${valuesSql(1)}) AS v(${names})) TO ${literal(path.join(dir, 'readings.parquet'))} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a column read as the engine holds it', () => {
  it('counts in DuckDB exactly what its text counts', async () => {
    const spec = contract([{ server: 'file', type: 'local', path: 'readings.parquet', format: 'parquet' }]);
    const r = await runContractTest(spec, { baseDir: dir, now: NOW, server: 'file' });
    expect(r.lastTest.result).toBe('Failed');
    expect(r.rules.filter((x) => x.result === 'error')).toEqual([]);
    const before = await throughText(await openSource(spec, { baseDir: dir, server: 'file' }), spec);
    expect(failuresOf(r.rules)).toEqual(before);
    // The values where the two could part are in the counts: -5, 121 and the largest INTEGER fail i32; NaN,
    // the infinities, the double just past 120, 1e300, 0.1 and the smallest double fail dbl; -0 is 0.
    expect(failuresOf(r.rules)).toMatchObject({
      'schema[0].properties[0].logicalType': 3,
      'schema[0].properties[3].quality[2]': 7,
    });
  });

  it('reads an integer column as a number, and a text column without a cast', () => {
    const spec = contract([]);
    const columns = COLUMNS.map((c) => c[0]);
    const typed = planObject(spec.schema![0]!, 0, columns, {
      markersInData: true,
      columnTypes: Object.fromEntries(COLUMNS.map((c) => [c[0], c[1]])),
    });
    const sql = (rule: string) => typed.measures.find((m) => m.rule === rule)!.sql;
    expect(sql('schema[0].properties[1].logicalType')).toBe(
      'count(*) FILTER (WHERE NOT "i64" IS NULL AND NOT ("i64" IS NOT NULL AND "i64" >= 0 AND CAST("i64" AS DOUBLE) <= 9007199254740992))',
    );
    expect(sql('schema[0].properties[1].unique')).toBe('count("i64") - count(DISTINCT "i64")');
    expect(sql('schema[0].properties[5].quality[0]')).toBe(
      `count(*) FILTER (WHERE ("code" IS NULL OR "code" IN ('', 'Z', '?')))`,
    );
    // FLOAT and DECIMAL keep the text round trip: their text reads back as another double.
    expect(sql('schema[0].properties[6].logicalType')).toContain(
      'TRY_CAST(CAST("flt" AS VARCHAR) AS DOUBLE)',
    );
    expect(sql('schema[0].properties[7].logicalType')).toContain(
      'TRY_CAST(CAST("dec" AS VARCHAR) AS DOUBLE)',
    );
  });
});

describe.skipIf(!POSTGRES_RUNNABLE && !process.env.CI)('a column read as PostgreSQL holds it', () => {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
    const columns = COLUMNS.map((c) => `${c[0]} ${c[2]}`).join(', ');
    server.psql(
      `CREATE SCHEMA typed;\nCREATE TABLE typed.readings (${columns});\nINSERT INTO typed.readings VALUES ${valuesSql(2)};\n`,
    );
  }, 60_000);
  afterAll(() => {
    server?.stop();
  });

  /** The contract over the typed table, and the login the test connects with. */
  const warehouse = () => ({
    spec: contract([
      {
        server: 'warehouse',
        type: 'postgres',
        host: server!.host,
        port: server!.port,
        database: server!.database,
        schema: 'typed',
      },
    ]),
    env: { PGUSER: server!.user, PGHOST: server!.host },
  });

  it('counts exactly what its text counts', async () => {
    const { spec, env } = warehouse();
    const r = await runContractTest(spec, { baseDir: dir, now: NOW, server: 'warehouse', env });
    expect(r.rules.filter((x) => x.result === 'error')).toEqual([]);
    const before = await throughText(
      await openSource(spec, { baseDir: dir, server: 'warehouse', env }),
      spec,
    );
    expect(failuresOf(r.rules)).toEqual(before);
    expect(failuresOf(r.rules)).toMatchObject({ 'schema[0].properties[0].logicalType': 3 });
    // And DuckDB over the same values in Parquet counts the same.
    const duck = await runContractTest(
      contract([{ server: 'file', type: 'local', path: 'readings.parquet', format: 'parquet' }]),
      { baseDir: dir, now: NOW, server: 'file' },
    );
    expect(figures(r.rules)).toEqual(figures(duck.rules));
  });

  it('counts a date in year 0000, which PostgreSQL cannot hold, as not a date rather than failing the rule', async () => {
    const { spec, env } = warehouse();
    const source = await openSource(spec, { baseDir: dir, server: 'warehouse', env });
    try {
      const cast = (text: string, type: 'date' | 'timestamp') => POSTGRES_CONTRACT.tryCast(`'${text}'`, type);
      const [row] = await source.query(
        `SELECT ${cast('0000-03-01', 'date')} IS NULL AS year0, ${cast('0000-03-01T10:00:00Z', 'timestamp')} IS NULL AS year0_time, ${cast('0001-03-01', 'date')} IS NULL AS year1`,
      );
      expect(row).toEqual({ year0: true, year0_time: true, year1: false });
    } finally {
      await source.close();
    }
  });
});
