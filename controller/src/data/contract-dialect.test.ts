// The SQL a contract compiles to in each engine's dialect, checked offline; Databricks SQL is exercised live only
// where a workspace is configured (DATABRICKS_HOST, DATABRICKS_HTTP_PATH, DATABRICKS_TOKEN), never in CI here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DataContract, type DataContractSpec, schemaObject } from '../../../specs/datacontract.js';
import { planSpanning } from './contract-checks.js';
import { DATABRICKS_CONTRACT, DUCKDB_CONTRACT, POSTGRES_CONTRACT } from './contract-dialect.js';
import { withObjects } from './contract-source.js';
import { runContractTest } from './contract-test.js';
import { countQuery, planObject } from './quality-plan.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const NOW = new Date('2026-06-01T06:00:00Z');
const example = (): DataContractSpec =>
  DataContract.parse(
    parse(readFileSync(path.join(REPO, 'examples/care-management/inpatient-encounters.yaml'), 'utf8')),
  ).spec;

const object = schemaObject.parse({
  name: 'visits',
  nullMarkers: ['?'],
  properties: [
    { name: 'visit_id', logicalType: 'integer', primaryKey: true, primaryKeyPosition: 1, phi: 'none' },
    { name: 'site', logicalType: 'string', primaryKey: true, primaryKeyPosition: 2, phi: 'none' },
    { name: 'age', logicalType: 'string', logicalTypeOptions: { pattern: '^\\[' }, phi: 'none' },
    { name: 'seen_on', logicalType: 'date', logicalTypeOptions: { minimum: '2020-01-01' }, phi: 'none' },
  ],
});
const columns = ['visit_id', 'site', 'age', 'seen_on'];

describe('the plan in Databricks SQL', () => {
  const plan = planObject(object, 0, columns, { dialect: DATABRICKS_CONTRACT, markersInData: true });
  const sql = countQuery('visits', plan.measures, DATABRICKS_CONTRACT.ident('visits'));

  it('quotes with back quotes, casts with try_cast, matches with RLIKE, and counts the null markers', () => {
    expect(sql).not.toMatch(/"/);
    expect(sql).not.toMatch(/TRY_CAST|regexp_matches|VARCHAR/);
    expect(plan.measures.find((m) => m.rule === 'schema[0].properties[2].logicalType')!.sql).toBe(
      "count(*) FILTER (WHERE NOT (`age` IS NULL OR CAST(`age` AS STRING) IN ('?')) AND NOT ((CAST(`age` AS STRING) RLIKE '^\\[')))",
    );
    expect(plan.measures.find((m) => m.rule === 'schema[0].properties[3].logicalType')!.sql).toContain(
      "try_cast(CAST(`seen_on` AS STRING) AS DATE) >= CAST('2020-01-01' AS DATE)",
    );
  });

  it('counts composite key duplicates over a struct', () => {
    expect(plan.measures.find((m) => m.rule === 'schema[0].primaryKey')!.sql).toContain(
      'count(DISTINCT struct(`visit_id`, `site`))',
    );
  });

  it("names each object by a WITH over its table in the contract's catalog and schema", () => {
    const tables = new Map([['visits', '`clinical`.`inpatient`.`visit_log`']]);
    expect(withObjects('SELECT count(*) FROM visits', tables, DATABRICKS_CONTRACT)).toBe(
      'WITH `visits` AS (SELECT * FROM `clinical`.`inpatient`.`visit_log`) SELECT count(*) FROM visits',
    );
    expect(
      withObjects('-- mine\nWITH x AS (SELECT 1 AS n) SELECT n FROM x', tables, DATABRICKS_CONTRACT),
    ).toBe(
      'WITH `visits` AS (SELECT * FROM `clinical`.`inpatient`.`visit_log`), x AS (SELECT 1 AS n) SELECT n FROM x',
    );
  });

  it('dates freshness with unix_timestamp', () => {
    const spec = {
      ...example(),
      schema: [object],
      slaProperties: [{ property: 'latency', value: 30, unit: 'h', element: 'visits.seen_on' }],
    };
    const [fresh] = planSpanning(spec, {
      dialect: DATABRICKS_CONTRACT,
      markersInData: true,
      now: NOW,
    }).checks;
    expect(fresh!.query).toBe(
      "SELECT count(*) AS rows, (unix_timestamp(CAST('2026-06-01T06:00:00.000Z' AS TIMESTAMP)) - unix_timestamp(CAST(max(`seen_on`) AS TIMESTAMP))) / 3600 AS m0 FROM `visits`",
    );
  });
});

describe('the same plan in every dialect', () => {
  it('differs only where the engines do', () => {
    const spec = example();
    const encounters = spec.schema![0]!;
    const names = encounters.properties!.map((p) => p.name);
    const shapes = [DUCKDB_CONTRACT, POSTGRES_CONTRACT, DATABRICKS_CONTRACT].map((dialect) => {
      const plan = planObject(encounters, 0, names, { dialect });
      return plan.measures.map((m) => [m.rule, m.label, m.unit, m.check]);
    });
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
    expect(shapes[0]).toHaveLength(91);
  });
});

describe('a logical type checked in PostgreSQL', () => {
  const sqlOf = (name: string) =>
    planObject(object, 0, columns, { dialect: POSTGRES_CONTRACT, markersInData: true }).measures.find(
      (m) => m.property === name && m.label.startsWith('invalidValues'),
    )!.sql;

  it('reads a date by its form and its day, and makes a date only for a bound', () => {
    const sql = sqlOf('seen_on');
    // Validity is the form and the day: the same test the cast is guarded by, without casting every row.
    expect(sql).toContain(`(CASE WHEN CAST(CAST("seen_on" AS TEXT) AS TEXT) ~* `);
    expect(sql).toContain('ELSE false END)');
    // The minimum still needs the value: one cast, for the comparison.
    expect(sql.match(/AS DATE\)/g)).toHaveLength(2);
  });

  it('makes no date at all when no option needs the value', () => {
    const bare = schemaObject.parse({
      name: 'visits',
      properties: [{ name: 'seen_on', logicalType: 'date', phi: 'none' }],
    });
    const [m] = planObject(bare, 0, ['seen_on'], { dialect: POSTGRES_CONTRACT }).measures;
    expect(m!.sql).not.toContain('AS DATE)');
    expect(m!.sql).toContain('make_date');
  });
});

const LIVE = ['DATABRICKS_HOST', 'DATABRICKS_HTTP_PATH', 'DATABRICKS_TOKEN'].every((k) => process.env[k]);

// Runs only where a workspace is configured, with the encounter table at VIGIL_TEST_DATABRICKS_CATALOG and
// VIGIL_TEST_DATABRICKS_SCHEMA (default: the contract's clinical.inpatient). Not exercised in CI.
describe.skipIf(!LIVE)('Databricks SQL, live', () => {
  it('tests the encounter contract in the workspace', async () => {
    const spec = example();
    const lakehouse = spec.servers!.find((s) => s.type === 'databricks')!;
    if (process.env.VIGIL_TEST_DATABRICKS_CATALOG)
      lakehouse.catalog = process.env.VIGIL_TEST_DATABRICKS_CATALOG;
    if (process.env.VIGIL_TEST_DATABRICKS_SCHEMA) lakehouse.schema = process.env.VIGIL_TEST_DATABRICKS_SCHEMA;
    const r = await runContractTest(spec, { baseDir: REPO, now: new Date(), server: lakehouse.server });
    expect(r.engine).toBe('databricks');
    expect(r.lastTest.message).toBeUndefined();
    expect(r.lastTest.rows).toBeGreaterThan(0);
  }, 300_000);
});
