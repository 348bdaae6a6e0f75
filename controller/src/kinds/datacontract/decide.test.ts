import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DataContract,
  type DataContractSpec,
  type DataContractStatus,
} from '../../../../specs/datacontract.js';
import { decideDataContractStatus } from './decide.js';

const claims = DataContract.parse(
  parse(
    readFileSync(
      new URL('../../../../examples/revenue-cycle/claims-remittance.yaml', import.meta.url),
      'utf8',
    ),
  ),
).spec;
type Property = NonNullable<NonNullable<DataContractSpec['schema']>[number]['properties']>[number];

/** The contract with its first schema object's properties changed, at another version. */
const variant = (
  version: string,
  change: (props: Property[]) => Property[],
  previousVersion?: string,
): DataContractSpec => {
  const [table, ...rest] = claims.schema!;
  const { previousVersion: _, ...spec } = claims;
  return {
    ...spec,
    version,
    ...(previousVersion ? { previousVersion } : {}),
    schema: [{ ...table!, properties: change(table!.properties!) }, ...rest],
  };
};
// 2.0.0 had no payer-specific detail; 2.1.0 adds it as optional: not a breaking change.
const v200 = variant('2.0.0', (props) => props.filter((p) => p.name !== 'payer_adjustment_detail'));
const withoutCarc = (version: string) =>
  variant(version, (props) => props.filter((p) => p.name !== 'carc_code'), '2.1.0');
const passed: DataContractStatus['lastTest'] = {
  result: 'Passed',
  version: '2.1.0',
  at: '2026-07-31T20:00:00Z',
  where: 'lakehouse-prod',
  rows: 14210,
  rulesChecked: 9,
};

const ready = (d: ReturnType<typeof decideDataContractStatus>) => d.conditions[0]!;

describe('decideDataContractStatus', () => {
  it('finds no breaking change in an optional new field (2.0.0 -> 2.1.0), and is Ready once tested', () => {
    const d = decideDataContractStatus({ spec: claims, previous: v200, lastTest: passed });
    expect(d.status.breakingChanges).toEqual([]);
    expect(d.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'ContractTestPassed',
        message: '9 rules passed against lakehouse-prod at 2026-07-31T20:00:00Z',
      },
      {
        type: 'Valid',
        status: 'True',
        reason: 'SpecValid',
        message: 'contract urn:northwind-health:contract:claims-remittance 2.1.0 (active)',
      },
    ]);
  });

  it('refuses a breaking change without a new major version, naming the first change', () => {
    const d = decideDataContractStatus({ spec: withoutCarc('2.2.0'), previous: claims });
    expect(d.status.breakingChanges).toEqual([
      {
        path: 'schema[0].properties',
        kind: 'property-removed',
        message: 'property "denied_claim_lines.carc_code" was removed',
      },
    ]);
    const message =
      '2.2.0 breaks consumers of 2.1.0 without a new major version: property "denied_claim_lines.carc_code" was removed at schema[0].properties';
    expect(ready(d)).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'BreakingChangeWithoutMajorBump',
      message,
    });
    expect(d.events).toEqual([{ type: 'Warning', reason: 'BreakingChangeWithoutMajorBump', message }]);
  });

  it('accepts the same breaking change under a new major version, and reports it for consumers', () => {
    const d = decideDataContractStatus({ spec: withoutCarc('3.0.0'), previous: claims });
    expect(d.status.breakingChanges).toHaveLength(1);
    expect(ready(d)).toMatchObject({
      status: 'True',
      reason: 'NotTested',
      message: 'no contract test has run yet',
    });
  });

  it('leaves breaking changes unchecked, not empty, when the previous version is not available', () => {
    const d = decideDataContractStatus({ spec: claims, lastTest: passed });
    expect(d.status.breakingChanges).toBeUndefined();
    expect(ready(d)).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'PreviousVersionUnavailable',
      message:
        '9 rules passed against lakehouse-prod at 2026-07-31T20:00:00Z; previous version 2.0.0 is not available, so breaking changes against it are not checked',
    });
    const failed = decideDataContractStatus({
      spec: claims,
      lastTest: { ...passed, result: 'Error', message: 'timeout' },
    });
    expect(ready(failed)).toMatchObject({ status: 'False', reason: 'ContractTestError' });
  });

  it('has nothing to compare for a first version', () => {
    const { previousVersion: _, ...first } = claims;
    const d = decideDataContractStatus({ spec: first as DataContractSpec, lastTest: passed });
    expect(d.status.breakingChanges).toEqual([]);
    expect(ready(d).reason).toBe('ContractTestPassed');
  });

  const tests: {
    name: string;
    lastTest: DataContractStatus['lastTest'];
    status: string;
    reason: string;
    message: string;
  }[] = [
    {
      name: 'a failed rule',
      lastTest: {
        ...passed,
        result: 'Failed',
        failures: [
          { rule: 'daily-volume', observed: 212, message: 'rowCount must be greater than 500; found 212' },
          { rule: 'claim-id-present', observed: 3, message: 'must be 0; found 3' },
        ],
      },
      status: 'False',
      reason: 'ContractTestFailed',
      message:
        '2 rules failed against lakehouse-prod: daily-volume: rowCount must be greater than 500; found 212',
    },
    {
      name: 'a test that could not run',
      lastTest: { ...passed, result: 'Error', message: 'connection refused' },
      status: 'False',
      reason: 'ContractTestError',
      message: 'the contract test against lakehouse-prod could not run: connection refused',
    },
    {
      name: 'a failure of the previous version',
      lastTest: { ...passed, result: 'Failed', version: '2.0.0' },
      status: 'True',
      reason: 'NotTested',
      message: 'the last test was of 2.0.0; 2.1.0 has not been tested yet',
    },
  ];
  it.each(tests)('reads the last test: $name', ({ lastTest, status, reason, message }) => {
    expect(ready(decideDataContractStatus({ spec: claims, previous: v200, lastTest }))).toEqual({
      type: 'Ready',
      status,
      reason,
      message,
    });
  });

  it('is not Ready when retired, and says so when deprecated', () => {
    expect(
      ready(decideDataContractStatus({ spec: { ...claims, status: 'retired' }, previous: v200 })),
    ).toMatchObject({
      status: 'False',
      reason: 'Retired',
      message: 'contract 2.1.0 is retired: no use case may read it',
    });
    expect(
      ready(decideDataContractStatus({ spec: { ...claims, status: 'deprecated' }, previous: v200 })).message,
    ).toBe('no contract test has run yet; the contract is deprecated');
  });

  it.each([
    [
      'a previous spec of another version',
      { ...v200, version: '1.9.0' },
      'previousVersion is 2.0.0, but the previous contract found is 1.9.0',
    ],
    [
      'a previous spec of another contract',
      { ...v200, id: 'urn:other' },
      'the previous version given is contract urn:other, not urn:northwind-health:contract:claims-remittance',
    ],
  ])('is not Valid given %s', (_, previous, message) => {
    const d = decideDataContractStatus({ spec: claims, previous });
    expect(d.conditions[1]).toEqual({
      type: 'Valid',
      status: 'False',
      reason: 'PreviousVersionMismatch',
      message,
    });
    expect(ready(d)).toMatchObject({ status: 'False', reason: 'PreviousVersionMismatch' });
    expect(d.status.breakingChanges).toBeUndefined();
  });
});
