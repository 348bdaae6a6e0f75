// The encounter contract over the UCI sample as CSV, as Parquet and as JSON lines: the same figures, rule for
// rule, whichever format DuckDB reads. The Parquet and JSON copies are written here from the CSV, as an extract
// job would write them, the feed's "?" kept as text.
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DataContract, type DataContractSpec } from '../../../specs/datacontract.js';
import { type RuleResult, runContractTest } from './contract-test.js';
import { literal } from './sql.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const SAMPLE = path.join(REPO, 'examples/data/uci-diabetes-130/encounters-sample.csv');
const NOW = new Date('2026-06-01T06:00:00Z');
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-contract-formats-'));

const example = (): DataContractSpec =>
  DataContract.parse(
    parse(readFileSync(path.join(REPO, 'examples/care-management/inpatient-encounters.yaml'), 'utf8')),
  ).spec;
const figures = (rules: RuleResult[]) => rules.map((r) => [r.rule, r.rows, r.failures, r.value, r.result]);

beforeAll(async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const read = `read_csv(${literal(SAMPLE)}, header = true, all_varchar = true)`;
  await connection.run(
    `COPY (SELECT * FROM ${read}) TO ${literal(path.join(dir, 'encounters.parquet'))} (FORMAT parquet)`,
  );
  await connection.run(
    `COPY (SELECT * FROM ${read}) TO ${literal(path.join(dir, 'encounters.jsonl'))} (FORMAT json)`,
  );
  connection.closeSync();
  instance.closeSync();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the encounter contract in every file format', () => {
  it('gives the same figures over CSV, Parquet and JSON', async () => {
    const spec = example();
    const csv = await runContractTest(spec, {
      baseDir: path.dirname(SAMPLE),
      data: path.basename(SAMPLE),
      now: NOW,
    });
    const parquet = await runContractTest(spec, { baseDir: dir, data: 'encounters.parquet', now: NOW });
    const json = await runContractTest(spec, { baseDir: dir, data: 'encounters.jsonl', now: NOW });
    expect(csv.lastTest).toMatchObject({ result: 'Passed', rows: 5399, rulesChecked: 92 });
    expect(figures(parquet.rules)).toEqual(figures(csv.rules));
    expect(figures(json.rules)).toEqual(figures(csv.rules));
    expect(parquet.rules.find((r) => r.rule === 'race-mostly-recorded')).toMatchObject({ failures: 109 });
  });
});
