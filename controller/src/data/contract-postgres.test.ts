// The contract test in a real PostgreSQL: the UCI encounter sample loaded into a table as a warehouse would hold
// it (integer columns typed, the feed's "?" kept as text), tested through the contract's postgres server, gives
// rule for rule the result DuckDB gives over the CSV file. And the checks that span objects (foreign keys,
// freshness, row-count SLAs) and the logical types PostgreSQL cannot TRY_CAST, over a small fixture.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DataContract, type DataContractSpec, dataContractSpec } from '../../../specs/datacontract.js';
import { clinicContractInput } from '../../../test/fixtures/clinic-contract.js';
import { POSTGRES_RUNNABLE, type PostgresServer, startPostgres } from '../../../test/support/postgres.js';
import { type RuleResult, runContractTest } from './contract-test.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const GOVERNANCE_ROOT = path.join(REPO, 'examples');
const SAMPLE = path.join(GOVERNANCE_ROOT, 'data', 'uci-diabetes-130', 'encounters-sample.csv');
const NOW = new Date('2026-06-01T06:00:00Z');

const example = (): DataContractSpec =>
  DataContract.parse(
    parse(readFileSync(path.join(REPO, 'examples', 'care-management', 'inpatient-encounters.yaml'), 'utf8')),
  ).spec;

/** What a rule's outcome is, without the words: the comparison is of figures. */
const figures = (rules: RuleResult[]) =>
  rules.map((r) => ({
    rule: r.rule,
    rows: r.rows,
    failures: r.failures,
    value: r.value,
    result: r.result,
  }));

describe.skipIf(!POSTGRES_RUNNABLE && !process.env.CI)('the contract test in PostgreSQL', () => {
  let server: PostgresServer | undefined;
  // The login goes to PGHOST: the server the contract names.
  const env = () => ({ PGUSER: server!.user, PGHOST: server!.host });
  const withServer = (spec: DataContractSpec, schema: string): DataContractSpec => ({
    ...spec,
    servers: [
      ...(spec.servers ?? []),
      {
        server: 'warehouse',
        type: 'postgres',
        host: server!.host,
        port: server!.port,
        database: server!.database,
        schema,
      },
    ],
  });

  beforeAll(async () => {
    server = await startPostgres();
    // The table as the contract describes it: physicalName, integer properties as bigint, the rest as text.
    const spec = example();
    const columns = spec.schema![0]!.properties!.map(
      (p) => `"${p.name}" ${p.logicalType === 'integer' ? 'bigint' : 'text'}`,
    );
    server.psql(
      `CREATE SCHEMA inpatient;\nCREATE TABLE inpatient.inpatient_encounters_diabetes (${columns.join(', ')});\n` +
        `\\copy inpatient.inpatient_encounters_diabetes FROM '${SAMPLE}' WITH (FORMAT csv, HEADER true)\n`,
    );
    server.psql(FIXTURE_SQL);
  }, 60_000);
  afterAll(() => {
    server?.stop();
  });

  it('loads every row of the sample', () => {
    expect(server!.psql('SELECT count(*) FROM inpatient.inpatient_encounters_diabetes').trim()).toBe('5399');
  });

  it('tests the encounter contract with results equal to DuckDB over the file', async () => {
    const spec = withServer(example(), 'inpatient');
    const duck = await runContractTest(spec, { baseDir: GOVERNANCE_ROOT, now: NOW, server: 'sample' });
    const pg = await runContractTest(spec, {
      baseDir: GOVERNANCE_ROOT,
      now: NOW,
      server: 'warehouse',
      env: env(),
    });
    expect(duck.engine).toBe('duckdb');
    expect(pg.engine).toBe('postgres');
    expect(pg.lastTest).toMatchObject({ result: 'Passed', rows: 5399, rulesChecked: 92 });
    expect(pg.lastTest.where).toBe(`warehouse: postgres 127.0.0.1:${server!.port}/postgres schema inpatient`);
    expect(figures(pg.rules)).toEqual(figures(duck.rules));
    const race = pg.rules.find((r) => r.rule === 'race-mostly-recorded')!;
    expect(race).toMatchObject({ rows: 5399, failures: 109, result: 'pass' });
  });

  it('fails the same rules as DuckDB when the contract asks for more', async () => {
    const spec = withServer(example(), 'inpatient');
    const race = spec.schema![0]!.properties!.find((p) => p.name === 'race')!;
    race.quality![1] = { ...race.quality![1]!, mustBeLessThan: 2 };
    const duck = await runContractTest(spec, { baseDir: GOVERNANCE_ROOT, now: NOW, server: 'sample' });
    const pg = await runContractTest(spec, {
      baseDir: GOVERNANCE_ROOT,
      now: NOW,
      server: 'warehouse',
      env: env(),
    });
    expect(pg.lastTest.result).toBe('Failed');
    expect(pg.lastTest.failures).toEqual(duck.lastTest.failures);
  });

  it('checks types, foreign keys, freshness and row counts in SQL PostgreSQL runs', async () => {
    const r = await runContractTest(withServer(fixtureContract(), 'clinic'), {
      baseDir: GOVERNANCE_ROOT,
      now: NOW,
      server: 'warehouse',
      env: env(),
    });
    const outcome = Object.fromEntries(r.rules.map((x) => [x.rule, [x.result, x.failures ?? x.value]]));
    expect(outcome).toMatchObject({
      // visit_date: one impossible date (2026-02-30), one not a date at all; never an error.
      'schema[1].properties[2].logicalType': ['fail', 2],
      // discharged: "maybe" is no boolean.
      'schema[1].properties[3].logicalType': ['fail', 1],
      // at: one time past midnight.
      'schema[1].properties[4].logicalType': ['fail', 1],
      // patient_id: one visit refers to a patient that is not there; "?" is a null marker, not a reference.
      'schema[1].properties[1].relationships[0]': ['fail', 1],
      'slaProperties[0].latency': ['fail', expect.closeTo(6.25, 6)],
      'slaProperties[1].rowCount': ['pass', 5],
    });
    expect(r.lastTest.result).toBe('Failed');
  });

  it('refuses what is not one query, and writes nothing', async () => {
    const spec = withServer(fixtureContract(), 'clinic');
    spec.schema![0]!.quality = [
      { id: 'delete', type: 'sql', query: 'DELETE FROM patients', mustBe: 0 },
      { id: 'two', type: 'sql', query: 'SELECT 1; DELETE FROM clinic.patients', mustBe: 0 },
      {
        id: 'cte',
        type: 'sql',
        query: 'WITH gone AS (DELETE FROM clinic.patients RETURNING 1) SELECT count(*) FROM gone',
        mustBe: 0,
      },
    ];
    const r = await runContractTest(spec, {
      baseDir: GOVERNANCE_ROOT,
      now: NOW,
      server: 'warehouse',
      env: env(),
    });
    expect(r.lastTest.result).toBe('Error');
    const errors = Object.fromEntries(
      r.rules.filter((x) => x.result === 'error').map((x) => [x.rule, x.message]),
    );
    expect(errors.delete).toMatch(/only a query may run/);
    expect(errors.two).toMatch(/cannot insert multiple commands into a prepared statement/);
    expect(errors.cte).toMatch(/cannot execute \w+ in a read-only transaction/);
    expect(server!.psql('SELECT count(*) FROM clinic.patients').trim()).toBe('3');
  });

  it('keeps values out of a database error: the rule is named, the value PostgreSQL quoted is not', async () => {
    const spec = withServer(example(), 'inpatient');
    spec.schema![0]!.quality!.push({
      name: 'age-as-number',
      type: 'sql',
      query: 'SELECT count(*) FROM encounters WHERE CAST(age AS integer) > 5',
      mustBe: 0,
    });
    const r = await runContractTest(spec, {
      baseDir: GOVERNANCE_ROOT,
      now: NOW,
      server: 'warehouse',
      env: env(),
    });
    expect(r.lastTest.result).toBe('Error');
    const failure = r.lastTest.failures!.find((f) => f.rule === 'age-as-number')!;
    expect(failure.message).toBe('encounters: sql query failed: invalid input syntax for type integer: "…"');
    expect(JSON.stringify(r)).not.toMatch(/\[\d+-\d+\)"/);
  });

  it('says which server it cannot reach, in one line', async () => {
    const spec = withServer(fixtureContract(), 'clinic');
    const r = await runContractTest(spec, {
      baseDir: GOVERNANCE_ROOT,
      now: NOW,
      server: 'warehouse',
      env: { PGUSER: 'nobody-here', PGHOST: server!.host },
    });
    expect(r.lastTest.result).toBe('Error');
    expect(r.lastTest.message).toMatch(
      /^warehouse: postgres 127\.0\.0\.1:\d+\/postgres schema clinic: cannot connect: /,
    );
    expect(r.lastTest.message).not.toContain('\n');
  });
});

// Three patients and five visits. Visits: one refers to patient 9 (not there), one has "?" for its patient; two
// dates are not dates; one boolean is "maybe"; one time is 24:30. The newest visit is 2026-05-26, six days and
// six hours before NOW.
const FIXTURE_SQL = `CREATE SCHEMA clinic;
CREATE TABLE clinic.patients (patient_id text, name_initial text);
INSERT INTO clinic.patients VALUES ('1', 'A'), ('2', 'B'), ('3', 'C');
CREATE TABLE clinic.visits (visit_id integer, patient_id text, visit_date text, discharged text, at text, seen_at timestamptz);
INSERT INTO clinic.visits VALUES
  (1, '1', '2026-01-05', 'true', '08:30', '2026-05-20T00:00:00Z'),
  (2, '2', '2026-02-30', 'false', '23:59:59', '2026-05-21T00:00:00Z'),
  (3, '9', 'soon', 'maybe', '24:30', '2026-05-22T00:00:00Z'),
  (4, '?', '2024-02-29', 'f', '00:00', '2026-05-26T00:00:00Z'),
  (5, '3', '2026-12-31', 't', '12:00:00.5', NULL);
`;

function fixtureContract(): DataContractSpec {
  return dataContractSpec.parse(clinicContractInput());
}
