import { describe, expect, it } from 'vitest';
import { type DataContractSpec, dataContractSpec } from '../../../../specs/datacontract.js';
import { breakingChanges } from './breaking-changes.js';

type Property = NonNullable<NonNullable<DataContractSpec['schema']>[number]['properties']>[number];

const readmittedRule = (values: string[]) => ({
  metric: 'invalidValues' as const,
  arguments: { validValues: values },
  mustBe: 0,
});

function contract(change: (props: Property[]) => void = () => {}): DataContractSpec {
  const props: Property[] = [
    {
      name: 'encounter_id',
      logicalType: 'integer',
      required: true,
      primaryKey: true,
      primaryKeyPosition: 1,
      phi: 'direct-identifier',
    },
    { name: 'age', logicalType: 'string', phi: 'quasi-identifier', logicalTypeOptions: { maxLength: 8 } },
    {
      name: 'time_in_hospital',
      logicalType: 'integer',
      phi: 'sensitive',
      logicalTypeOptions: { minimum: 1, maximum: 14 },
    },
    {
      name: 'readmitted',
      logicalType: 'string',
      required: true,
      phi: 'sensitive',
      quality: [readmittedRule(['NO', '<30', '>30'])],
    },
    { name: 'payer', logicalType: 'string', phi: 'none' },
  ];
  change(props);
  // Parse, so every case is a contract the schema accepts.
  return dataContractSpec.parse({
    id: 'inpatient-encounters',
    version: '1.0.0',
    status: 'active',
    ownerTeam: 'northwind-health/data-platform',
    schema: [{ name: 'encounters', properties: props }],
  });
}
const prop = (props: Property[], name: string) => props.find((p) => p.name === name)!;
const E = 'schema[0].properties';

describe('breakingChanges', () => {
  const cases: {
    name: string;
    next: DataContractSpec;
    expected: { path: string; kind: string; message: RegExp }[];
  }[] = [
    { name: 'no change', next: contract(), expected: [] },
    // safe changes
    {
      name: 'an optional property added',
      next: contract((ps) => {
        ps.push({ name: 'race', phi: 'quasi-identifier' });
      }),
      expected: [],
    },
    {
      name: 'a valid value added',
      next: contract((ps) => {
        prop(ps, 'readmitted').quality = [readmittedRule(['NO', '<30', '>30', 'UNKNOWN'])];
      }),
      expected: [],
    },
    {
      name: 'a range widened',
      next: contract((ps) => {
        prop(ps, 'time_in_hospital').logicalTypeOptions = { minimum: 0, maximum: 30 };
      }),
      expected: [],
    },
    {
      name: 'required dropped',
      next: contract((ps) => {
        prop(ps, 'readmitted').required = false;
      }),
      expected: [],
    },
    {
      name: 'a description edited',
      next: contract((ps) => {
        prop(ps, 'age').description = 'Age bucket.';
      }),
      expected: [],
    },
    {
      name: 'the valid-value rule dropped',
      next: contract((ps) => {
        prop(ps, 'readmitted').quality = [];
      }),
      expected: [],
    },
    // breaking changes
    {
      name: 'a property removed',
      next: contract((ps) => {
        ps.splice(1, 1);
      }),
      expected: [{ path: E, kind: 'property-removed', message: /property "encounters.age" was removed/ }],
    },
    {
      name: 'a type changed',
      next: contract((ps) => {
        prop(ps, 'time_in_hospital').logicalType = 'number';
      }),
      expected: [{ path: `${E}[2].logicalType`, kind: 'type-changed', message: /from integer to number/ }],
    },
    {
      name: 'required added',
      next: contract((ps) => {
        prop(ps, 'age').required = true;
      }),
      expected: [
        { path: `${E}[1].required`, kind: 'required-added', message: /"encounters.age" is now required/ },
      ],
    },
    {
      name: 'a required property added',
      next: contract((ps) => {
        ps.push({ name: 'race', required: true, phi: 'quasi-identifier' });
      }),
      expected: [
        {
          path: `${E}[5].required`,
          kind: 'required-added',
          message: /new property "encounters.race" is required/,
        },
      ],
    },
    {
      name: 'a valid value removed',
      next: contract((ps) => {
        prop(ps, 'readmitted').quality = [readmittedRule(['NO', '<30'])];
      }),
      expected: [{ path: `${E}[3].quality`, kind: 'values-narrowed', message: /no longer takes ">30"/ }],
    },
    {
      name: 'valid values introduced',
      next: contract((ps) => {
        prop(ps, 'payer').quality = [readmittedRule(['medicare', 'medicaid'])];
      }),
      expected: [
        {
          path: `${E}[4].quality`,
          kind: 'values-narrowed',
          message: /now only takes "medicare", "medicaid"; before, any value/,
        },
      ],
    },
    {
      name: 'unique added',
      next: contract((ps) => {
        prop(ps, 'age').unique = true;
      }),
      expected: [{ path: `${E}[1].unique`, kind: 'values-narrowed', message: /must now be unique/ }],
    },
    {
      name: 'a pattern added',
      next: contract((ps) => {
        prop(ps, 'age').logicalTypeOptions = { maxLength: 8, pattern: '^\\[' };
      }),
      expected: [
        {
          path: `${E}[1].logicalTypeOptions.pattern`,
          kind: 'values-narrowed',
          message: /pattern of "encounters.age" added/,
        },
      ],
    },
    {
      name: 'a maximum lowered',
      next: contract((ps) => {
        prop(ps, 'time_in_hospital').logicalTypeOptions = { minimum: 1, maximum: 10 };
      }),
      expected: [
        {
          path: `${E}[2].logicalTypeOptions.maximum`,
          kind: 'range-narrowed',
          message: /maximum of "encounters.time_in_hospital" tightened from 14 to 10/,
        },
      ],
    },
    {
      name: 'a minimum raised',
      next: contract((ps) => {
        prop(ps, 'time_in_hospital').logicalTypeOptions = { minimum: 2, maximum: 14 };
      }),
      expected: [
        {
          path: `${E}[2].logicalTypeOptions.minimum`,
          kind: 'range-narrowed',
          message: /tightened from 1 to 2/,
        },
      ],
    },
    {
      name: 'a bound added',
      next: contract((ps) => {
        prop(ps, 'age').logicalTypeOptions = { maxLength: 8, minLength: 5 };
      }),
      expected: [
        {
          path: `${E}[1].logicalTypeOptions.minLength`,
          kind: 'range-narrowed',
          message: /minLength of "encounters.age" added: 5/,
        },
      ],
    },
    {
      name: 'maxLength lowered',
      next: contract((ps) => {
        prop(ps, 'age').logicalTypeOptions = { maxLength: 7 };
      }),
      expected: [
        { path: `${E}[1].logicalTypeOptions.maxLength`, kind: 'range-narrowed', message: /from 8 to 7/ },
      ],
    },
    {
      name: 'primary key extended',
      next: contract((ps) => {
        Object.assign(prop(ps, 'age'), { primaryKey: true, primaryKeyPosition: 2 });
      }),
      expected: [
        { path: E, kind: 'primary-key-changed', message: /from \(encounter_id\) to \(encounter_id, age\)/ },
      ],
    },
    {
      name: 'primary key dropped',
      next: contract((ps) => {
        Object.assign(prop(ps, 'encounter_id'), { primaryKey: false, primaryKeyPosition: -1 });
      }),
      expected: [{ path: E, kind: 'primary-key-changed', message: /from \(encounter_id\) to none/ }],
    },
    {
      name: 'PHI raised',
      next: contract((ps) => {
        prop(ps, 'payer').phi = 'quasi-identifier';
      }),
      expected: [
        { path: `${E}[4].phi`, kind: 'phi-raised', message: /raised from none to quasi-identifier/ },
      ],
    },
    {
      name: 'two changes at once, both reported',
      next: contract((ps) => {
        prop(ps, 'payer').phi = 'sensitive';
        prop(ps, 'payer').logicalType = 'integer';
      }),
      expected: [
        { path: `${E}[4].logicalType`, kind: 'type-changed', message: /from string to integer/ },
        { path: `${E}[4].phi`, kind: 'phi-raised', message: /from none to sensitive/ },
      ],
    },
    // PHI lowered on the producer's word alone: consumers would handle the data with less care.
    {
      name: 'PHI lowered',
      next: contract((ps) => {
        prop(ps, 'age').phi = 'sensitive';
      }),
      expected: [
        { path: `${E}[1].phi`, kind: 'phi-lowered', message: /lowered from quasi-identifier to sensitive/ },
      ],
    },
    // quality rules
    {
      name: 'a quality rule added',
      next: contract((ps) => {
        prop(ps, 'age').quality = [{ metric: 'nullValues', mustBeLessThan: 5, unit: 'percent' }];
      }),
      expected: [
        {
          path: `${E}[1].quality[0]`,
          kind: 'quality-tightened',
          message: /nullValues of "encounters.age" added/,
        },
      ],
    },
  ];

  it.each(cases)('$name', ({ next, expected }) => {
    const changes = breakingChanges(contract(), next);
    expect(changes).toEqual(expected.map((e) => ({ ...e, message: expect.stringMatching(e.message) })));
  });

  it('reports a removed schema object', () => {
    const next = { ...contract(), schema: [] };
    expect(breakingChanges(contract(), next)).toEqual([
      { path: 'schema', kind: 'object-removed', message: 'schema object "encounters" was removed' },
    ]);
  });

  it('follows nested properties and array items, which inherit the PHI class', () => {
    const nested = (itemPhi: 'sensitive' | undefined, codeType: 'string' | 'integer') =>
      contract((ps) => {
        ps.push({
          name: 'diagnoses',
          logicalType: 'array',
          phi: 'sensitive',
          items: {
            logicalType: 'object',
            ...(itemPhi ? { phi: itemPhi } : {}),
            properties: [{ name: 'code', logicalType: codeType, phi: 'sensitive' }],
          },
        });
      });
    expect(breakingChanges(nested(undefined, 'string'), nested('sensitive', 'string'))).toEqual([]);
    expect(breakingChanges(nested(undefined, 'string'), nested(undefined, 'integer'))).toEqual([
      {
        path: `${E}[5].items.properties[0].logicalType`,
        kind: 'type-changed',
        message: 'logicalType of "encounters.diagnoses[].code" changed from string to integer',
      },
    ]);
  });
});

describe('breakingChanges: quality thresholds and SLAs', () => {
  const base = (rule: Record<string, unknown>, sla: Record<string, unknown>[]) =>
    dataContractSpec.parse({
      id: 'inpatient-encounters',
      version: '1.0.0',
      status: 'active',
      ownerTeam: 'northwind-health/data-platform',
      schema: [
        {
          name: 'encounters',
          properties: [{ name: 'race', logicalType: 'string', phi: 'quasi-identifier' }],
          quality: [{ name: 'missing-race', metric: 'missingValues', unit: 'percent', ...rule }],
        },
      ],
      slaProperties: sla,
    });
  const latency = (value: number, unit = 'h') => [{ property: 'latency', value, unit }];

  it.each([
    ['a maximum lowered', { mustBeLessThan: 5 }, { mustBeLessThan: 2 }, ['must now be < 2 (was < 5)']],
    ['a maximum raised', { mustBeLessThan: 5 }, { mustBeLessThan: 8 }, []],
    ['a bound made inclusive', { mustBeLessThan: 5 }, { mustBeLessOrEqualTo: 5 }, []],
    [
      'a bound made strict',
      { mustBeLessOrEqualTo: 5 },
      { mustBeLessThan: 5 },
      ['must now be < 5 (was <= 5)'],
    ],
    ['a minimum raised', { mustBeGreaterThan: 1 }, { mustBeGreaterThan: 3 }, ['must now be > 3 (was > 1)']],
    [
      'a between narrowed',
      { mustBeBetween: [5, 20] },
      { mustBeBetween: [6, 20] },
      ['must now be >= 6 (was >= 5)'],
    ],
    ['a between widened', { mustBeBetween: [5, 20] }, { mustBeBetween: [4, 25] }, []],
    ['an expected value changed', { mustBe: 0 }, { mustBe: 1 }, ['mustBe changed from 0 to 1']],
  ])('%s', (_name, before, after, expected) => {
    const changes = breakingChanges(base(before, []), base(after, []));
    expect(changes.map((c) => [c.kind, c.path, c.message])).toEqual(
      expected.map((m) => [
        'quality-tightened',
        'schema[0].quality[0]',
        `quality rule "missing-race" of "encounters": ${m}`,
      ]),
    );
  });

  it.each([
    ['latency lengthened', latency(30), latency(2, 'd'), ['loosened from 30 h to 2 d']],
    ['latency shortened', latency(30), latency(1, 'd'), []],
    ['unchanged in other units', latency(24), latency(1, 'd'), []],
    [
      'retention shortened',
      [{ property: 'retention', value: 7, unit: 'y' }],
      [{ property: 'retention', value: 5, unit: 'y' }],
      ['loosened from 7 y to 5 y'],
    ],
    [
      'a promise whose direction cannot be told',
      [{ property: 'generalAvailability', value: '2026-01-01' }],
      [{ property: 'generalAvailability', value: '2026-06-01' }],
      ['changed from "2026-01-01" to "2026-06-01"'],
    ],
    ['a promise removed', latency(30), [], ['(30 h) was removed']],
    ['a promise added', [], latency(30), []],
  ])('SLA: %s', (_name, before, after, expected) => {
    const rule = { mustBeLessThan: 5 };
    const changes = breakingChanges(base(rule, before), base(rule, after));
    expect(changes.map((c) => c.kind)).toEqual(expected.map(() => 'sla-loosened'));
    expect(changes.map((c, i) => c.message.includes(expected[i]!))).toEqual(expected.map(() => true));
  });
});
