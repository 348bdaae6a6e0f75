import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DataContract,
  type DataContractSpec,
  type DataContractSpecInput,
  dataContractSpec,
  type QualityRule,
} from '../../../specs/datacontract.js';
import { type ContractTestResult, testContract } from './contract-test.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const NOW = new Date('2026-06-01T06:00:00Z');

// Ten rows with known counts: site is NULL twice ("?" is the feed's marker), age has one "n/a" and one bucket
// outside the list, score one empty value and one above its maximum, code one value outside its list,
// visit_date one impossible date, id one duplicate (the last row repeats the one before).
const FEED = `id,site,age,score,code,visit_date
1,north,[70-80),0.5,A,2026-01-05
2,south,[60-70),0.25,B,2026-01-06
3,?,[10-20),0.75,A,2026-01-07
4,north,[70-80),,A,2026-01-08
5,?,[200-300),1.5,Z,2026-13-01
6,east,[50-60),0.1,A,2026-01-09
7,north,n/a,0.9,B,2026-01-10
8,south,[80-90),0.3,A,2026-01-11
9,west,[30-40),0.6,B,2026-01-12
9,west,[30-40),0.6,B,2026-01-12
`;
const BUCKETS = [
  '[0-10)',
  '[10-20)',
  '[20-30)',
  '[30-40)',
  '[40-50)',
  '[50-60)',
  '[60-70)',
  '[70-80)',
  '[80-90)',
  '[90-100)',
];

const root = mkdtempSync(path.join(tmpdir(), 'vigil-contract-'));
beforeAll(async () => {
  await mkdir(path.join(root, 'data'), { recursive: true });
  await writeFile(path.join(root, 'data', 'feed.csv'), FEED);
  await writeFile(path.join(root, 'data', 'visits.csv'), 'visit_id,feed_id\n1,1\n2,1\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type Rule = Omit<QualityRule, 'id'> & { id: string };
type Property = NonNullable<NonNullable<DataContractSpecInput['schema']>[number]['properties']>[number];

/** A contract over data/feed.csv with `quality` rules on `site`, `age`, `code` and the object. */
function contract(rules: {
  site?: Rule[];
  age?: Rule[];
  code?: Rule[];
  object?: Rule[];
  properties?: Property[];
  servers?: DataContractSpecInput['servers'];
}): DataContractSpec {
  return dataContractSpec.parse({
    id: 'urn:test:feed',
    version: '1.0.0',
    status: 'active',
    ownerTeam: 'org/team',
    schema: [
      {
        name: 'feed',
        nullMarkers: ['?'],
        properties: rules.properties ?? [
          { name: 'id', logicalType: 'integer', required: true, unique: true, phi: 'none' },
          { name: 'site', logicalType: 'string', phi: 'none', quality: rules.site ?? [] },
          { name: 'age', logicalType: 'string', phi: 'quasi-identifier', quality: rules.age ?? [] },
          {
            name: 'score',
            logicalType: 'number',
            required: true,
            logicalTypeOptions: { minimum: 0, maximum: 1 },
            phi: 'none',
          },
          { name: 'code', logicalType: 'string', phi: 'none', quality: rules.code ?? [] },
          { name: 'visit_date', logicalType: 'date', phi: 'sensitive' },
        ],
        quality: rules.object ?? [],
      },
    ],
    servers: rules.servers ?? [{ server: 'files', type: 'local', path: 'data/feed.csv', format: 'csv' }],
  });
}

const failedRules = (r: ContractTestResult) => (r.failures ?? []).map((f) => f.rule).sort();

// The nulls of site: 2 rows of 10, 20%. Every operator, once holding and once not.
const OPERATOR_CASES: [string, Partial<QualityRule>, boolean][] = [
  ['mustBe', { mustBe: 2 }, true],
  ['mustBe', { mustBe: 1 }, false],
  ['mustNotBe', { mustNotBe: 1 }, true],
  ['mustNotBe', { mustNotBe: 2 }, false],
  ['mustBeGreaterThan', { mustBeGreaterThan: 1 }, true],
  ['mustBeGreaterThan', { mustBeGreaterThan: 2 }, false],
  ['mustBeGreaterOrEqualTo', { mustBeGreaterOrEqualTo: 2 }, true],
  ['mustBeGreaterOrEqualTo', { mustBeGreaterOrEqualTo: 3 }, false],
  ['mustBeLessThan', { mustBeLessThan: 3 }, true],
  ['mustBeLessThan', { mustBeLessThan: 2 }, false],
  ['mustBeLessOrEqualTo', { mustBeLessOrEqualTo: 2 }, true],
  ['mustBeLessOrEqualTo', { mustBeLessOrEqualTo: 1 }, false],
  ['mustBeBetween', { mustBeBetween: [2, 5] }, true],
  ['mustBeBetween', { mustBeBetween: [3, 5] }, false],
  ['mustNotBeBetween', { mustNotBeBetween: [3, 5] }, true],
  ['mustNotBeBetween', { mustNotBeBetween: [1, 2] }, false],
  ['percent mustBeLessThan', { mustBeLessThan: 25, unit: 'percent' }, true],
  ['percent mustBeLessThan', { mustBeLessThan: 20, unit: 'percent' }, false],
  ['percent mustBeBetween', { mustBeBetween: [20, 30], unit: 'percent' }, true],
  ['percent mustNotBeBetween', { mustNotBeBetween: [10, 20], unit: 'percent' }, false],
  ['rows mustBe', { mustBe: 2, unit: 'rows' }, true],
];
const operatorRules: Rule[] = OPERATOR_CASES.map(([name, op, pass], i) => ({
  id: `op-${i}-${pass ? 'pass' : 'fail'}`,
  name,
  metric: 'nullValues',
  ...op,
}));

// Each library metric and SQL, once holding and once not: [property, rule, passes].
const METRIC_CASES: [keyof Parameters<typeof contract>[0], Rule, boolean][] = [
  ['site', { id: 'missing-markers-pass', metric: 'missingValues', mustBe: 2 }, true],
  [
    'age',
    {
      id: 'missing-listed-pass',
      metric: 'missingValues',
      arguments: { missingValues: [null, '', 'n/a'] },
      mustBe: 1,
    },
    true,
  ],
  [
    'age',
    { id: 'missing-listed-fail', metric: 'missingValues', arguments: { missingValues: ['n/a'] }, mustBe: 0 },
    false,
  ],
  [
    'code',
    {
      id: 'invalid-list-pass',
      metric: 'invalidValues',
      arguments: { validValues: ['A', 'B'] },
      mustBeLessOrEqualTo: 1,
    },
    true,
  ],
  [
    'code',
    { id: 'invalid-list-fail', metric: 'invalidValues', arguments: { validValues: ['A', 'B'] }, mustBe: 0 },
    false,
  ],
  [
    'age',
    { id: 'invalid-buckets-pass', metric: 'invalidValues', arguments: { validValues: BUCKETS }, mustBe: 2 },
    true,
  ],
  [
    'age',
    {
      id: 'invalid-pattern-fail',
      metric: 'invalidValues',
      arguments: { pattern: '^\\[[0-9]0-[0-9]+0\\)$' },
      mustBe: 0,
    },
    false,
  ],
  [
    'age',
    {
      id: 'invalid-pattern-pass',
      metric: 'invalidValues',
      arguments: { pattern: '^\\[[0-9]+-[0-9]+\\)$' },
      mustBe: 1,
    },
    true,
  ],
  ['site', { id: 'duplicates-fail', metric: 'duplicateValues', mustBe: 0 }, false],
  ['site', { id: 'duplicates-pass', metric: 'duplicateValues', mustBe: 4 }, true],
  ['object', { id: 'row-duplicates-pass', metric: 'duplicateValues', mustBe: 1 }, true],
  [
    'object',
    {
      id: 'pair-duplicates-fail',
      metric: 'duplicateValues',
      arguments: { properties: ['site', 'age'] },
      mustBe: 0,
    },
    false,
  ],
  [
    'object',
    {
      id: 'pair-duplicates-pass',
      metric: 'duplicateValues',
      arguments: { properties: ['site', 'age'] },
      mustBe: 2,
    },
    true,
  ],
  ['object', { id: 'rows-pass', metric: 'rowCount', mustBeGreaterThan: 5 }, true],
  ['object', { id: 'rows-fail', metric: 'rowCount', mustBeGreaterOrEqualTo: 1000 }, false],
  [
    'object',
    { id: 'sql-pass', type: 'sql', query: 'SELECT avg(score) FROM feed', mustBeBetween: [0.6, 0.62] },
    true,
  ],
  [
    'object',
    {
      id: 'sql-percent-fail',
      type: 'sql',
      query: "SELECT 100.0 * avg(CASE WHEN code = 'A' THEN 1 ELSE 0 END) FROM feed",
      mustBeLessThan: 40,
      unit: 'percent',
    },
    false,
  ],
  [
    'site',
    {
      id: 'sql-placeholders-pass',
      type: 'sql',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ODCS placeholders, expanded by the contract test
      query: 'SELECT count(*) FROM ${object} WHERE ${property} IS NULL',
      mustBe: 2,
    },
    true,
  ],
];

describe('testContract: every operator and metric, holding and not, against a generated CSV', () => {
  let result: ContractTestResult;
  beforeAll(async () => {
    const byProperty: Record<string, Rule[]> = { site: [...operatorRules] };
    for (const [where, rule] of METRIC_CASES) byProperty[where] = [...(byProperty[where] ?? []), rule];
    result = await testContract(contract(byProperty), { baseDir: root, now: NOW });
  });

  it('fails exactly the rules that should fail, and the schema checks the data breaks', () => {
    const expected = [
      ...operatorRules.filter((r) => r.id.endsWith('-fail')).map((r) => r.id),
      ...METRIC_CASES.filter(([, , pass]) => !pass).map(([, r]) => r.id),
      'schema[0].properties[0].unique', // id 9 twice
      'schema[0].properties[3].required', // one empty score
      'schema[0].properties[3].logicalType', // 1.5 above the maximum of 1
      'schema[0].properties[5].logicalType', // 2026-13-01 is no date
    ].sort();
    expect(failedRules(result)).toEqual(expected);
    expect(result).toMatchObject({
      result: 'Failed',
      version: '1.0.0',
      at: '2026-06-01T06:00:00Z',
      where: 'files: data/feed.csv',
      rows: 10,
    });
    // Every rule above, plus the schema's: id required, unique and integer; score required and in range; date.
    expect(result.rulesChecked).toBe(operatorRules.length + METRIC_CASES.length + 6);
  });

  it('says which rule, the value measured and the bound', () => {
    const byRule = Object.fromEntries((result.failures ?? []).map((f) => [f.rule, f]));
    expect(byRule['op-9-fail']).toEqual({
      rule: 'op-9-fail',
      object: 'feed',
      property: 'site',
      observed: 2,
      message: 'site: nullValues 2 must be less than 2 (of 10 rows)',
    });
    expect(byRule['op-17-fail']!.message).toBe('site: nullValues 20% must be less than 20% (2 of 10 rows)');
    expect(byRule['op-19-fail']!.message).toBe(
      'site: nullValues 20% must not be between 10% and 20% (2 of 10 rows)',
    );
    expect(byRule['rows-fail']!.message).toBe('feed: rowCount 10 must be at least 1000');
    expect(byRule['sql-percent-fail']!.message).toBe('feed: sql query 50% must be less than 40%');
    expect(byRule['schema[0].properties[3].logicalType']!.message).toBe(
      'score: invalidValues (number, minimum 0, maximum 1) 1 must be 0 (of 10 rows)',
    );
    expect(byRule['schema[0].properties[3].required']!.message).toBe(
      'score: nullValues (required) 1 must be 0 (of 10 rows)',
    );
    expect(byRule['schema[0].properties[0].unique']!.message).toBe(
      'id: duplicateValues (unique) 1 must be 0 (of 10 rows)',
    );
  });

  it('never quotes a value from the data', () => {
    const text = JSON.stringify(result);
    for (const value of ['north', 'south', 'west', '[200-300)', 'n/a', '2026-13-01', '"Z"', '1.5']) {
      expect(text).not.toContain(value);
    }
  });
});

describe('testContract: the schema against the data', () => {
  it('fails a property the data does not have', async () => {
    const spec = contract({
      properties: [
        { name: 'id', logicalType: 'integer', phi: 'none' },
        { name: 'payer', physicalName: 'payer_code', logicalType: 'string', phi: 'none' },
      ],
    });
    const r = await testContract(spec, { baseDir: root, now: NOW });
    expect(r.result).toBe('Failed');
    expect(r.failures).toEqual([
      {
        rule: 'schema[0].properties[1]',
        object: 'feed',
        property: 'payer',
        message: 'payer: the data has no such column',
      },
    ]);
  });

  it('checks a composite primary key', async () => {
    const spec = contract({
      properties: [
        { name: 'id', logicalType: 'integer', primaryKey: true, primaryKeyPosition: 1, phi: 'none' },
        { name: 'visit_date', logicalType: 'string', primaryKey: true, primaryKeyPosition: 2, phi: 'none' },
      ],
    });
    const r = await testContract(spec, { baseDir: root, now: NOW });
    expect(r.failures?.map((f) => f.message)).toEqual([
      'feed: duplicateValues (primary key id, visit_date) 1 must be 0 (of 10 rows)',
    ]);
  });

  it('reads each object from its own file through {object}', async () => {
    const spec = dataContractSpec.parse({
      ...contract({}),
      schema: [
        {
          name: 'feed',
          properties: [{ name: 'id', phi: 'none' }],
          quality: [{ metric: 'rowCount', mustBe: 10 }],
        },
        {
          name: 'visits',
          properties: [{ name: 'visit_id', phi: 'none', unique: true }],
          quality: [{ metric: 'rowCount', mustBe: 2 }],
        },
      ],
      servers: [{ server: 'files', type: 'local', path: 'data/{object}.csv', format: 'csv' }],
    });
    const r = await testContract(spec, { baseDir: root, now: NOW });
    expect(r).toMatchObject({
      result: 'Passed',
      rows: 12,
      rulesChecked: 3,
      where: 'files: data/{object}.csv',
    });
  });
});

describe('testContract: when the test cannot run', () => {
  const errorOf = async (spec: DataContractSpec, server?: string) =>
    testContract(spec, { baseDir: root, now: NOW, ...(server ? { server } : {}) });

  it.each([
    [
      'a missing file',
      { servers: [{ server: 'files', type: 'local', path: 'data/gone.csv', format: 'csv' }] },
      'data/gone.csv: no such file in the governance repository',
    ],
    [
      'a path outside the repository',
      { servers: [{ server: 'files', type: 'local', path: '../feed.csv', format: 'csv' }] },
      '../feed.csv: resolves outside the governance repository; data paths must stay inside it',
    ],
    [
      'only a server of a type no engine reads',
      { servers: [{ server: 'store', type: 's3', location: 's3://bucket/feed.csv' }] },
      /^no server of a type contract tests read .*; servers: store \(s3\)$/,
    ],
    [
      'a format it cannot read',
      { servers: [{ server: 'files', type: 'local', path: 'data/feed.csv', format: 'delta' }] },
      'data/feed.csv: format "delta" cannot be read; expected one of csv, parquet, json',
    ],
  ] as const)('is an Error for %s', async (_, patch, message) => {
    const r = await errorOf(contract(patch as unknown as Parameters<typeof contract>[0]));
    expect(r.result).toBe('Error');
    expect(r.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
  });

  it('is an Error for a server name the contract does not have', async () => {
    const r = await errorOf(contract({}), 'prod');
    expect(r).toMatchObject({
      result: 'Error',
      where: 'prod',
      message: 'the contract has no server "prod"; its servers: files (local)',
    });
  });

  it('is an Error for SQL rules that cannot be checked, listing what did fail', async () => {
    const r = await errorOf(
      contract({
        object: [
          { id: 'two-columns', type: 'sql', query: 'SELECT 1 AS a, 2 AS b', mustBe: 1 },
          { id: 'writes', type: 'sql', query: "COPY feed TO 'out.csv'", mustBe: 0 },
          {
            id: 'reads-elsewhere',
            type: 'sql',
            query: "SELECT count(*) FROM read_csv('/etc/passwd')",
            mustBe: 0,
          },
          { id: 'no-number', type: 'sql', query: "SELECT 'x'", mustBe: 0 },
        ],
        code: [
          { id: 'bad-bound', metric: 'invalidValues', arguments: { validValues: ['A'] }, mustBe: 'none' },
        ],
      }),
    );
    expect(r.result).toBe('Error');
    expect(r.message).toBe(
      'bad-bound cannot be checked: mustBe must be a number to hold a measured value against; found "none" (and 4 more)',
    );
    const messages = Object.fromEntries((r.failures ?? []).map((f) => [f.rule, f.message]));
    expect(messages).toMatchObject({
      'two-columns':
        'feed: sql query must return one number (one row, one column); it returned 1 row of 2 columns',
      writes: expect.stringMatching(
        /^feed: sql query failed: only a query may run .*; found a COPY statement$/,
      ),
      'reads-elsewhere': expect.stringMatching(
        /^feed: sql query failed: the query reaches outside the registered files/,
      ),
      'no-number': 'feed: sql query must return a number; it returned a string',
      'schema[0].properties[3].required': 'score: nullValues (required) 1 must be 0 (of 10 rows)',
    });
  });
});

// The real, de-identified UCI sample: the project's own copy in examples/data (licence and origin beside it),
// where the example contract's server points, relative to the governance repository's root.
const GOVERNANCE_ROOT = path.join(REPO, 'examples');

describe('testContract: the example contract against the real encounter sample', () => {
  const example = () =>
    DataContract.parse(
      parse(
        readFileSync(path.join(REPO, 'examples', 'care-management', 'inpatient-encounters.yaml'), 'utf8'),
      ),
    ).spec;

  it('passes every rule of the contract and its schema', async () => {
    const r = await testContract(example(), { baseDir: GOVERNANCE_ROOT, now: NOW });
    expect(r).toEqual({
      result: 'Passed',
      version: '1.2.0',
      at: '2026-06-01T06:00:00Z',
      where: 'sample: data/uci-diabetes-130/encounters-sample.csv',
      rows: 5399,
      rulesChecked: 92,
    });
  });

  it('fails, honestly, when the contract asks for more than the data gives', async () => {
    const spec = example();
    const encounters = spec.schema![0]!;
    const race = encounters.properties!.find((p) => p.name === 'race')!;
    race.quality![1] = { ...race.quality![1]!, mustBeLessThan: 2 };
    encounters.quality![0] = { ...encounters.quality![0]!, mustBeGreaterThan: 10_000 };
    const r = await testContract(spec, { baseDir: GOVERNANCE_ROOT, now: NOW });
    expect(r.result).toBe('Failed');
    expect(r.failures).toEqual([
      {
        rule: 'race-mostly-recorded',
        object: 'encounters',
        property: 'race',
        observed: (100 * 109) / 5399,
        message: 'race: missingValues 2.019% must be less than 2% (109 of 5399 rows)',
      },
      {
        rule: 'enough-rows',
        object: 'encounters',
        observed: 5399,
        message: 'encounters: rowCount 5399 must be greater than 10000',
      },
    ]);
  });
});
