// Foreign keys between a contract's objects, freshness and row-count SLAs, and the logical types a file holds as
// text, in DuckDB over CSV files: the same figures contract-postgres.test.ts expects of PostgreSQL.
import { mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataContractSpecInput, dataContractSpec } from '../../../specs/datacontract.js';
import { clinicContractInput } from '../../../test/fixtures/clinic-contract.js';
import { planSpanning, resolveElement } from './contract-checks.js';
import { POSTGRES_CONTRACT } from './contract-dialect.js';
import { runContractTest } from './contract-test.js';

const NOW = new Date('2026-06-01T06:00:00Z');
const root = mkdtempSync(path.join(tmpdir(), 'vigil-contract-checks-'));

// As in contract-postgres.test.ts: three patients, five visits; one visit refers to patient 9, one has "?" for
// its patient; two dates are not dates; one boolean is "maybe"; one time is 24:30; the newest visit is six days
// and six hours before NOW.
const PATIENTS = 'patient_id,name_initial\n1,A\n2,B\n3,C\n';
const VISITS = `visit_id,patient_id,visit_date,discharged,at,seen_at
1,1,2026-01-05,true,08:30,2026-05-20T00:00:00Z
2,2,2026-02-30,false,23:59:59,2026-05-21T00:00:00Z
3,9,soon,maybe,24:30,2026-05-22T00:00:00Z
4,?,2024-02-29,f,00:00,2026-05-26T00:00:00Z
5,3,2026-12-31,t,12:00:00.5,
`;

beforeAll(async () => {
  await mkdir(path.join(root, 'data'), { recursive: true });
  await writeFile(path.join(root, 'data', 'patients.csv'), PATIENTS);
  await writeFile(path.join(root, 'data', 'visits.csv'), VISITS);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function clinicContract(servers: DataContractSpecInput['servers']) {
  const input = clinicContractInput();
  return dataContractSpec.parse({
    ...input,
    slaProperties: [...(input.slaProperties ?? []), { property: 'retention', value: 7, unit: 'y' }],
    servers,
  } satisfies DataContractSpecInput);
}

describe('checks across objects and SLAs, in DuckDB over files', () => {
  it('finds the orphan, the stale data, and each value that is not of its type', async () => {
    const spec = clinicContract([
      { server: 'files', type: 'local', path: 'data/{object}.csv', format: 'csv' },
    ]);
    const r = await runContractTest(spec, { baseDir: root, now: NOW });
    const outcome = Object.fromEntries(r.rules.map((x) => [x.rule, [x.result, x.failures ?? x.value]]));
    expect(outcome).toMatchObject({
      'schema[1].properties[2].logicalType': ['fail', 2],
      'schema[1].properties[3].logicalType': ['fail', 1],
      'schema[1].properties[4].logicalType': ['fail', 1],
      'schema[1].properties[1].relationships[0]': ['fail', 1],
      'slaProperties[0].latency': ['fail', expect.closeTo(6.25, 6)],
      'slaProperties[1].rowCount': ['pass', 5],
    });
    // retention is about the process, not the data: nothing to check.
    expect(r.rules.some((x) => x.rule.startsWith('slaProperties[2]'))).toBe(false);
    const fk = r.rules.find((x) => x.rule === 'schema[1].properties[1].relationships[0]')!;
    expect(fk).toMatchObject({ rows: 5, failures: 1, share: 20, threshold: 'must be 0' });
    expect(fk.message).toBe(
      'patient_id: foreign key to patients.patient_id: 1 of 5 rows refer to no row there; must be 0',
    );
    expect(r.rules.find((x) => x.rule === 'slaProperties[0].latency')!.message).toBe(
      'seen_at: freshness (latency): the newest value is 6.25d old; it must be at most 2d',
    );
    expect(r.lastTest.result).toBe('Failed');
  });

  it('reports a foreign key to a property the contract does not have as a rule it cannot check', () => {
    const spec = clinicContract([]);
    spec.schema![1]!.properties![1]!.relationships = [{ type: 'foreignKey', to: ['patients.nhs_number'] }];
    const plan = planSpanning(spec, { dialect: POSTGRES_CONTRACT, markersInData: true, now: NOW });
    expect(plan.problems).toEqual([
      {
        rule: 'schema[1].properties[1].relationships[0]',
        path: 'schema[1].properties[1].relationships[0]',
        object: 'visits',
        property: 'patient_id',
        message:
          "the foreign key refers to patients.nhs_number, which is not a property of this contract's objects",
      },
    ]);
  });

  it('reads both ODCS forms of a reference', () => {
    const spec = clinicContract([]);
    expect(resolveElement(spec, 'visits.seen_at')?.property?.name).toBe('seen_at');
    expect(resolveElement(spec, 'schema/visits/properties/seen_at')?.property?.name).toBe('seen_at');
    expect(resolveElement(spec, 'visits')?.object.name).toBe('visits');
    expect(resolveElement(spec, 'visits.nothing')).toBeUndefined();
  });
});
