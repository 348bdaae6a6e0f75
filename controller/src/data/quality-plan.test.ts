import { describe, expect, it } from 'vitest';
import { qualityRule, schemaObject } from '../../../specs/datacontract.js';
import {
  type Check,
  checkOf,
  conformanceOf,
  countQuery,
  describeCheck,
  expandPlaceholders,
  holds,
  judge,
  planObject,
  showNumber,
} from './quality-plan.js';

describe('holds and describeCheck', () => {
  it.each<[Check, number, boolean, string]>([
    [{ operator: 'mustBe', bound: 0 }, 0, true, 'must be 0'],
    [{ operator: 'mustBe', bound: 0 }, 1, false, 'must be 0'],
    [{ operator: 'mustNotBe', bound: 0 }, 1, true, 'must not be 0'],
    [{ operator: 'mustNotBe', bound: 0 }, 0, false, 'must not be 0'],
    [{ operator: 'mustBeGreaterThan', bound: 5 }, 5.01, true, 'must be greater than 5'],
    [{ operator: 'mustBeGreaterThan', bound: 5 }, 5, false, 'must be greater than 5'],
    [{ operator: 'mustBeGreaterOrEqualTo', bound: 5 }, 5, true, 'must be at least 5'],
    [{ operator: 'mustBeGreaterOrEqualTo', bound: 5 }, 4.99, false, 'must be at least 5'],
    [{ operator: 'mustBeLessThan', bound: 5 }, 4.99, true, 'must be less than 5'],
    [{ operator: 'mustBeLessThan', bound: 5 }, 5, false, 'must be less than 5'],
    [{ operator: 'mustBeLessOrEqualTo', bound: 5 }, 5, true, 'must be at most 5'],
    [{ operator: 'mustBeLessOrEqualTo', bound: 5 }, 5.01, false, 'must be at most 5'],
    [{ operator: 'mustBeBetween', bound: [5, 20] }, 5, true, 'must be between 5 and 20'],
    [{ operator: 'mustBeBetween', bound: [5, 20] }, 20, true, 'must be between 5 and 20'],
    [{ operator: 'mustBeBetween', bound: [5, 20] }, 20.5, false, 'must be between 5 and 20'],
    [{ operator: 'mustNotBeBetween', bound: [5, 20] }, 4, true, 'must not be between 5 and 20'],
    [{ operator: 'mustNotBeBetween', bound: [5, 20] }, 5, false, 'must not be between 5 and 20'],
  ])('%o against %d: %s', (check, value, expected, words) => {
    expect(holds(value, check)).toBe(expected);
    expect(describeCheck(check, 'rows')).toBe(words);
  });

  it('writes percentages with a %', () => {
    expect(describeCheck({ operator: 'mustBeBetween', bound: [5, 20] }, 'percent')).toBe(
      'must be between 5% and 20%',
    );
  });

  it.each([
    [0, '0'],
    [5399, '5399'],
    [2.0188924, '2.019'],
    [0.0123456, '0.01235'],
    [11.2, '11.2'],
    [12345.678, '12345.7'],
  ])('shows %d as %s', (n, shown) => {
    expect(showNumber(n)).toBe(shown);
  });
});

describe('checkOf', () => {
  const rule = (r: object) => qualityRule.parse({ metric: 'rowCount', ...r });
  it('takes the one operator and its bound', () => {
    expect(checkOf(rule({ mustBeGreaterThan: 1000 }))).toEqual({
      operator: 'mustBeGreaterThan',
      bound: 1000,
    });
    expect(checkOf(rule({ mustBe: '0' }))).toEqual({ operator: 'mustBe', bound: 0 });
    expect(checkOf(rule({ mustNotBeBetween: [1, 2] }))).toEqual({
      operator: 'mustNotBeBetween',
      bound: [1, 2],
    });
  });
  it('says why a bound cannot be judged', () => {
    expect(checkOf(rule({ mustBe: 'none' }))).toBe(
      'mustBe must be a number to hold a measured value against; found "none"',
    );
    expect(checkOf({ metric: 'rowCount' })).toBe('a measured rule needs exactly one operator; found none');
  });
});

describe('judge', () => {
  const [plan] = [
    planObject(
      schemaObject.parse({
        name: 'encounters',
        properties: [
          {
            name: 'race',
            phi: 'quasi-identifier',
            quality: [{ metric: 'missingValues', mustBeLessThan: 2, unit: 'percent' }],
          },
        ],
      }),
      0,
      ['race'],
    ),
  ];

  it('turns a count into a share of the rows for unit percent, and says both', () => {
    const m = plan.measures[0]!;
    expect(judge(m, 124, 5399)).toEqual({
      passed: false,
      observed: (124 * 100) / 5399,
      message: 'race: missingValues 2.297% must be less than 2% (124 of 5399 rows)',
    });
    expect(judge(m, 0, 0).passed).toBe(true);
  });
});

describe('planObject', () => {
  const object = schemaObject.parse({
    name: 'encounters',
    nullMarkers: ['?'],
    properties: [
      {
        name: 'encounter_id',
        logicalType: 'integer',
        required: true,
        unique: true,
        phi: 'direct-identifier',
      },
      {
        name: 'age',
        logicalType: 'string',
        logicalTypeOptions: { pattern: '^\\[' },
        nullMarkers: ['Unknown'],
        phi: 'quasi-identifier',
      },
      {
        name: 'note',
        logicalType: 'string',
        phi: 'sensitive',
        quality: [{ type: 'text', description: 'in words' }],
      },
      { name: 'gone', phi: 'none' },
    ],
    quality: [
      { metric: 'rowCount', mustBeGreaterThan: 0 },
      { type: 'custom', engine: 'soda', implementation: 'x', description: 'not ours' },
    ],
  });
  const plan = planObject(object, 2, ['encounter_id', 'AGE', 'note']);

  it('checks the schema, the rules, and reports what the data lacks', () => {
    expect(plan.measures.map((m) => [m.rule, m.label])).toEqual([
      ['schema[2].properties[0].required', 'nullValues (required)'],
      ['schema[2].properties[0].unique', 'duplicateValues (unique)'],
      ['schema[2].properties[0].logicalType', 'invalidValues (integer)'],
      ['schema[2].properties[1].logicalType', 'invalidValues (pattern)'],
      ['schema[2].quality[0]', 'rowCount'],
    ]);
    expect(plan.missingColumns).toEqual([{ property: 'gone', path: 'schema[2].properties[3]' }]);
    expect(plan.problems).toEqual([]);
  });

  it('counts a property’s own null markers as NULL, and finds columns ignoring case', () => {
    expect(plan.measures[3]!.sql).toBe(
      `count(*) FILTER (WHERE NOT ("AGE" IS NULL OR CAST("AGE" AS VARCHAR) IN ('Unknown')) AND NOT (regexp_matches(CAST("AGE" AS VARCHAR), '^\\[')))`,
    );
  });

  it('builds one query for all counts', () => {
    expect(countQuery('encounters', plan.measures.slice(4))).toBe(
      'SELECT count(*) AS rows, count(*) AS m0 FROM "encounters"',
    );
  });

  it('lists what a property’s type and options constrain', () => {
    expect(
      conformanceOf({
        name: 'x',
        phi: 'none',
        logicalType: 'integer',
        logicalTypeOptions: { minimum: 1, exclusiveMaximum: 9, multipleOf: 2 },
      }),
    ).toEqual(['integer', 'minimum 1', 'exclusiveMaximum 9', 'multipleOf 2']);
    expect(conformanceOf({ name: 'x', phi: 'none', logicalType: 'string' })).toEqual([]);
  });
});

describe('expandPlaceholders', () => {
  it('names the object and the property as quoted identifiers', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an ODCS placeholder, not a template
    expect(expandPlaceholders('SELECT count(*) FROM ${object} WHERE {property} IS NULL', 'enc', 'race')).toBe(
      'SELECT count(*) FROM "enc" WHERE "race" IS NULL',
    );
    expect(expandPlaceholders('SELECT 1 FROM {model}', 'enc')).toBe('SELECT 1 FROM "enc"');
  });
});
