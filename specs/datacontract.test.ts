import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DataContract,
  type DataContractSpecInput,
  dataContractKind,
  dataContractSpec,
  dataContractStatus,
  OPTIONS_BY_TYPE,
  phiRank,
  SERVER_FIELDS,
} from './datacontract.js';

type Spec = DataContractSpecInput;
type Property = NonNullable<NonNullable<Spec['schema']>[number]['properties']>[number];

function baseSpec(): Spec {
  return {
    id: 'inpatient-encounters',
    version: '1.2.0',
    status: 'active',
    ownerTeam: 'northwind-health/data-platform',
    schema: [
      {
        name: 'encounters',
        physicalType: 'table',
        properties: [
          {
            name: 'encounter_id',
            logicalType: 'integer',
            required: true,
            unique: true,
            primaryKey: true,
            primaryKeyPosition: 1,
            phi: 'quasi-identifier',
          },
          { name: 'age', logicalType: 'string', phi: 'quasi-identifier' },
          { name: 'time_in_hospital', logicalType: 'integer', phi: 'sensitive' },
        ],
      },
    ],
  };
}

/** Apply a change to a fresh valid spec. */
const withSpec = (change: (s: Spec) => void): Spec => {
  const s = baseSpec();
  change(s);
  return s;
};
const withProperty = (p: Partial<Property>, index = 2): Spec =>
  withSpec((s) => {
    const props = s.schema![0]!.properties!;
    props[index] = { ...props[index]!, ...p } as Property;
  });
const withRule = (rule: Record<string, unknown>): Spec => withProperty({ quality: [rule as never] });

function issuesOf(spec: unknown): { path: string; message: string }[] {
  const r = dataContractSpec.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

const P = 'schema.0.properties.2';

describe('dataContractSpec rules', () => {
  const cases: { name: string; spec: Spec; path?: string; message?: RegExp }[] = [
    { name: 'the base spec', spec: baseSpec() },
    // the envelope of the contract
    {
      name: 'version not semver',
      spec: withSpec((s) => {
        s.version = '1.2';
      }),
      path: 'version',
      message: /semantic version/,
    },
    {
      name: 'status outside the ODCS lifecycle',
      spec: withSpec((s) => {
        s.status = 'live' as never;
      }),
      path: 'status',
      message: /proposed|active/,
    },
    {
      name: 'owner team not org/team',
      spec: withSpec((s) => {
        s.ownerTeam = 'data-platform';
      }),
      path: 'ownerTeam',
      message: /org\/team-slug/,
    },
    {
      name: 'misspelled field',
      spec: withSpec((s) => {
        (s as Record<string, unknown>).descripton = {};
      }),
      path: '',
      message: /descripton/,
    },
    {
      name: 'previousVersion lower',
      spec: withSpec((s) => {
        s.previousVersion = '1.1.3';
      }),
    },
    {
      name: 'previousVersion not lower',
      spec: withSpec((s) => {
        s.previousVersion = '1.2.0';
      }),
      path: 'previousVersion',
      message: /previousVersion \(1\.2\.0\) must be lower than version \(1\.2\.0\)/,
    },
    {
      name: 'schema objects named twice',
      spec: withSpec((s) => {
        s.schema!.push({ name: 'encounters' });
      }),
      path: 'schema.1.name',
      message: /schema object "encounters" is listed twice/,
    },
    {
      name: 'consumer listed twice',
      spec: withSpec((s) => {
        s.consumers = [{ useCase: 'readmission-risk' }, { useCase: 'readmission-risk' }];
      }),
      path: 'consumers.1.useCase',
      message: /consumer "readmission-risk" is listed twice/,
    },
    {
      name: 'same consumer name in two namespaces',
      spec: withSpec((s) => {
        s.consumers = [
          { useCase: 'readmission-risk' },
          { useCase: 'readmission-risk', namespace: 'research' },
        ];
      }),
    },
    {
      name: 'consumer not an object name',
      spec: withSpec((s) => {
        s.consumers = [{ useCase: 'Readmission Risk' }];
      }),
      path: 'consumers.0.useCase',
      message: /lowercase name/,
    },
    // properties
    {
      name: 'phi missing',
      spec: withProperty({ phi: undefined }),
      path: `${P}.phi`,
      message: /expected one of "none"\|"sensitive"/,
    },
    {
      name: 'phi outside the scale',
      spec: withProperty({ phi: 'secret' as never }),
      path: `${P}.phi`,
      message: /direct-identifier/,
    },
    {
      name: 'property named twice',
      spec: withProperty({ name: 'age' }),
      path: `${P}.name`,
      message: /property "age" is declared twice \(first at properties\[1\]\)/,
    },
    {
      name: 'logical type outside the ODCS set',
      spec: withProperty({ logicalType: 'int' as never }),
      path: `${P}.logicalType`,
      message: /integer/,
    },
    {
      name: 'primaryKeyPosition taken twice',
      spec: withProperty({ primaryKey: true, primaryKeyPosition: 1 }),
      path: `${P}.primaryKeyPosition`,
      message: /primaryKeyPosition 1 is already taken by "encounter_id"/,
    },
    {
      name: 'composite key positions 1 and 2',
      spec: withProperty({ primaryKey: true, primaryKeyPosition: 2 }),
    },
    {
      name: 'primaryKeyPosition without primaryKey',
      spec: withProperty({ primaryKeyPosition: 2 }),
      path: `${P}.primaryKeyPosition`,
      message: /needs primaryKey: true; primaryKey is not set/,
    },
    {
      name: 'primaryKeyPosition -1 means not in the key',
      spec: withProperty({ primaryKey: false, primaryKeyPosition: -1 }),
    },
    {
      name: 'primaryKeyPosition 0',
      spec: withProperty({ primaryKey: true, primaryKeyPosition: 0 }),
      path: `${P}.primaryKeyPosition`,
      message: /counts from 1/,
    },
    {
      name: 'partitionKeyPosition taken twice',
      spec: withSpec((s) => {
        const ps = s.schema![0]!.properties!;
        ps[1]!.partitioned = true;
        ps[1]!.partitionKeyPosition = 1;
        ps[2]!.partitioned = true;
        ps[2]!.partitionKeyPosition = 1;
      }),
      path: `${P}.partitionKeyPosition`,
      message: /partitionKeyPosition 1 is already taken by "age"/,
    },
    // logicalTypeOptions
    { name: 'integer range', spec: withProperty({ logicalTypeOptions: { minimum: 1, maximum: 14 } }) },
    {
      name: 'integer minimum above maximum',
      spec: withProperty({ logicalTypeOptions: { minimum: 15, maximum: 14 } }),
      path: `${P}.logicalTypeOptions.minimum`,
      message: /minimum \(15\) must not be greater than maximum \(14\)/,
    },
    {
      name: 'integer minimum as text',
      spec: withProperty({ logicalTypeOptions: { minimum: 'one' } }),
      path: `${P}.logicalTypeOptions.minimum`,
      message: /minimum of a integer must be a number; found "one"/,
    },
    {
      name: 'date bounds as text',
      spec: withProperty({
        logicalType: 'date',
        logicalTypeOptions: { minimum: '1999-01-01', maximum: '2008-12-31' },
      }),
    },
    {
      name: 'date minimum after maximum',
      spec: withProperty({
        logicalType: 'date',
        logicalTypeOptions: { minimum: '2009-01-01', maximum: '2008-12-31' },
      }),
      path: `${P}.logicalTypeOptions.minimum`,
      message: /must not be greater than maximum/,
    },
    {
      name: 'date minimum as a number',
      spec: withProperty({ logicalType: 'date', logicalTypeOptions: { minimum: 1999 } }),
      path: `${P}.logicalTypeOptions.minimum`,
      message: /must be text such as "2020-01-01"; found 1999/,
    },
    {
      name: 'string lengths',
      spec: withProperty({
        logicalType: 'string',
        logicalTypeOptions: { minLength: 2, maxLength: 8, pattern: '^\\[\\d+-\\d+\\)$' },
      }),
    },
    {
      name: 'minLength above maxLength',
      spec: withProperty({ logicalType: 'string', logicalTypeOptions: { minLength: 9, maxLength: 8 } }),
      path: `${P}.logicalTypeOptions.minLength`,
      message: /minLength \(9\) must not be greater than maxLength \(8\)/,
    },
    {
      name: 'pattern on an integer',
      spec: withProperty({ logicalTypeOptions: { pattern: '^\\d+$' } }),
      path: `${P}.logicalTypeOptions.pattern`,
      message: /pattern does not apply to logicalType integer; integer takes multipleOf/,
    },
    {
      name: 'pattern not a regular expression',
      spec: withProperty({ logicalType: 'string', logicalTypeOptions: { pattern: '([' } }),
      path: `${P}.logicalTypeOptions.pattern`,
      message: /not a valid regular expression/,
    },
    {
      name: 'options without a logical type',
      spec: withProperty({ logicalType: undefined, logicalTypeOptions: { minimum: 1 } }),
      path: `${P}.logicalTypeOptions`,
      message: /need a logicalType/,
    },
    { name: 'integer format', spec: withProperty({ logicalTypeOptions: { format: 'i64' } }) },
    {
      name: 'integer format outside the set',
      spec: withProperty({ logicalTypeOptions: { format: 'int64' } }),
      path: `${P}.logicalTypeOptions.format`,
      message: /one of i8, .*; found "int64"/,
    },
    {
      name: 'unknown option',
      spec: withProperty({ logicalTypeOptions: { minimumValue: 1 } as never }),
      path: `${P}.logicalTypeOptions`,
      message: /minimumValue/,
    },
    {
      name: 'options on a boolean',
      spec: withProperty({ logicalType: 'boolean', logicalTypeOptions: { maxLength: 1 } }),
      path: `${P}.logicalTypeOptions.maxLength`,
      message: /boolean takes no options/,
    },
    // nesting
    {
      name: 'nested properties of an object',
      spec: withProperty({
        logicalType: 'object',
        properties: [{ name: 'code', logicalType: 'string', phi: 'sensitive' }],
      }),
    },
    {
      name: 'nested properties of a string',
      spec: withProperty({ logicalType: 'string', properties: [{ name: 'code', phi: 'sensitive' }] }),
      path: `${P}.properties`,
      message: /need logicalType object; logicalType is string/,
    },
    {
      name: 'nested property without phi',
      spec: withProperty({ logicalType: 'object', properties: [{ name: 'code' } as never] }),
      path: `${P}.properties.0.phi`,
      message: /expected one of/,
    },
    {
      name: 'nested names twice',
      spec: withProperty({
        logicalType: 'object',
        properties: [
          { name: 'code', phi: 'none' },
          { name: 'code', phi: 'none' },
        ],
      }),
      path: `${P}.properties.1.name`,
      message: /"code" is declared twice/,
    },
    {
      name: 'array items inherit phi',
      spec: withProperty({ logicalType: 'array', items: { logicalType: 'string' } }),
    },
    {
      name: 'items on an integer',
      spec: withProperty({ items: { logicalType: 'string' } }),
      path: `${P}.items`,
      message: /items need logicalType array; logicalType is integer/,
    },
    // quality rules
    { name: 'library rule', spec: withRule({ metric: 'nullValues', mustBe: 0 }) },
    {
      name: 'library rule without an operator',
      spec: withRule({ metric: 'nullValues' }),
      path: `${P}.quality.0.mustBe`,
      message: /exactly one of mustBe, .*; found none/,
    },
    {
      name: 'library rule with two operators',
      spec: withRule({ metric: 'rowCount', mustBeGreaterThan: 1, mustBeLessThan: 9 }),
      path: `${P}.quality.0.mustBeLessThan`,
      message: /exactly one operator; found mustBeGreaterThan, mustBeLessThan/,
    },
    {
      name: 'library rule without a metric',
      spec: withRule({ type: 'library', mustBe: 0 }),
      path: `${P}.quality.0.metric`,
      message: /needs a metric/,
    },
    {
      name: 'metric outside the ODCS set',
      spec: withRule({ metric: 'nullCount', mustBe: 0 }),
      path: `${P}.quality.0.metric`,
      message: /nullValues/,
    },
    {
      name: 'valid values',
      spec: withRule({
        metric: 'invalidValues',
        arguments: { validValues: ['NO', '<30', '>30'] },
        mustBe: 0,
      }),
    },
    {
      name: 'arguments not a mapping',
      spec: withRule({ metric: 'invalidValues', arguments: ['NO'], mustBe: 0 }),
      path: `${P}.quality.0.arguments`,
      message: /must be a mapping of names to values; found \["NO"\]/,
    },
    {
      name: 'arguments without a metric',
      spec: withRule({ type: 'sql', query: 'select 0', mustBe: 0, arguments: { x: 1 } }),
      path: `${P}.quality.0.arguments`,
      message: /arguments apply to library rules/,
    },
    {
      name: 'sql rule',
      spec: withRule({
        type: 'sql',
        query: 'select count(*) from encounters where time_in_hospital > 14',
        mustBe: 0,
      }),
    },
    {
      name: 'sql rule without a query',
      spec: withRule({ type: 'sql', mustBe: 0 }),
      path: `${P}.quality.0.query`,
      message: /sql rule needs a query/,
    },
    {
      name: 'query on a library rule',
      spec: withRule({ metric: 'rowCount', query: 'select 1', mustBe: 0 }),
      path: `${P}.quality.0.query`,
      message: /query applies to rules of type sql; this rule is library/,
    },
    {
      name: 'custom rule',
      spec: withRule({ type: 'custom', engine: 'soda', implementation: 'row_count > 0' }),
    },
    {
      name: 'custom rule without implementation',
      spec: withRule({ type: 'custom', engine: 'soda' }),
      path: `${P}.quality.0.implementation`,
      message: /needs an implementation/,
    },
    {
      name: 'text rule',
      spec: withRule({ type: 'text', description: 'Length of stay is counted in calendar days.' }),
    },
    {
      name: 'operator on a text rule',
      spec: withRule({ type: 'text', mustBe: 0 }),
      path: `${P}.quality.0.mustBe`,
      message: /applies to library and sql rules; this rule is text/,
    },
    { name: 'mustBeBetween in order', spec: withRule({ metric: 'rowCount', mustBeBetween: [1000, 9000] }) },
    {
      name: 'mustBeBetween reversed',
      spec: withRule({ metric: 'rowCount', mustBeBetween: [9000, 1000] }),
      path: `${P}.quality.0.mustBeBetween`,
      message: /lower < upper; found \[9000, 1000\]/,
    },
    {
      name: 'mustBeBetween with one bound',
      spec: withRule({ metric: 'rowCount', mustBeBetween: [1000] }),
      path: `${P}.quality.0.mustBeBetween`,
      message: /2/,
    },
    {
      name: 'percent within 0..100',
      spec: withRule({ metric: 'nullValues', unit: 'percent', mustBeLessThan: 5 }),
    },
    {
      name: 'percent above 100',
      spec: withRule({ metric: 'nullValues', unit: 'percent', mustBeLessThan: 105 }),
      path: `${P}.quality.0.mustBeLessThan`,
      message: /percentage must be between 0 and 100; found 105/,
    },
    {
      name: 'percent range below 0',
      spec: withRule({ metric: 'nullValues', unit: 'percent', mustBeBetween: [-1, 5] }),
      path: `${P}.quality.0.mustBeBetween.0`,
      message: /found -1/,
    },
    { name: 'rows above 100', spec: withRule({ metric: 'rowCount', unit: 'rows', mustBeGreaterThan: 1000 }) },
    {
      name: 'dimension outside the set',
      spec: withRule({ metric: 'nullValues', mustBe: 0, dimension: 'freshness' }),
      path: `${P}.quality.0.dimension`,
      message: /timeliness/,
    },
    // relationships
    {
      name: 'foreign key',
      spec: withSpec((s) => {
        s.schema![0]!.relationships = [{ from: ['encounters.encounter_id'], to: ['labs.encounter_id'] }];
      }),
    },
    {
      name: 'composite key of unequal length',
      spec: withSpec((s) => {
        s.schema![0]!.relationships = [{ from: ['encounters.a', 'encounters.b'], to: ['labs.a'] }];
      }),
      path: 'schema.0.relationships.0.to',
      message: /as many "to" as "from" properties; found 2 from, 1 to/,
    },
    {
      name: 'reference not a property',
      spec: withProperty({ relationships: [{ to: ['labs'] }] }),
      path: `${P}.relationships.0.to.0`,
      message: /"object.property"/,
    },
    // servers
    {
      name: 'local server',
      spec: withSpec((s) => {
        s.servers = [{ server: 'sample', type: 'local', path: './encounters.csv', format: 'csv' }];
      }),
    },
    {
      name: 'postgres server without a schema',
      spec: withSpec((s) => {
        s.servers = [{ server: 'edw', type: 'postgres', host: 'edw', port: 5432, database: 'edw' }];
      }),
      path: 'servers.0.schema',
      message: /a postgres server needs schema/,
    },
    {
      name: 'field foreign to the server type',
      spec: withSpec((s) => {
        s.servers = [{ server: 'sample', type: 'local', path: './e.csv', format: 'csv', host: 'x' }];
      }),
      path: 'servers.0.host',
      message: /host does not apply to a local server; it takes path, format/,
    },
    {
      name: 'server type unknown',
      spec: withSpec((s) => {
        s.servers = [{ server: 'x', type: 'excel' as never }];
      }),
      path: 'servers.0.type',
      message: /postgres/,
    },
    {
      name: 'servers named twice',
      spec: withSpec((s) => {
        s.servers = [
          { server: 'a', type: 'kinesis' },
          { server: 'a', type: 'kinesis' },
        ];
      }),
      path: 'servers.1.server',
      message: /server "a" is listed twice/,
    },
    {
      name: 'sftp location',
      spec: withSpec((s) => {
        s.servers = [{ server: 'drop', type: 'sftp', location: 'https://files.example.org/x' }];
      }),
      path: 'servers.0.location',
      message: /must start with "sftp:\/\/"/,
    },
    // SLA and team
    {
      name: 'latency in days',
      spec: withSpec((s) => {
        s.slaProperties = [{ property: 'latency', value: 1, unit: 'd' }];
      }),
    },
    {
      name: 'latency as text',
      spec: withSpec((s) => {
        s.slaProperties = [{ property: 'latency', value: 'a day' }];
      }),
      path: 'slaProperties.0.value',
      message: /latency needs a number .*; found "a day"/,
    },
    {
      name: 'SLA value a list',
      spec: withSpec((s) => {
        s.slaProperties = [{ property: 'timeOfAvailability', value: ['09:00'] }];
      }),
      path: 'slaProperties.0.value',
      message: /text, a number, a boolean or null; found \["09:00"\]/,
    },
    {
      name: 'member left before joining',
      spec: withSpec((s) => {
        s.team = { members: [{ username: 'a', dateIn: '2024-02-01', dateOut: '2024-01-01' }] };
      }),
      path: 'team.members.0.dateOut',
      message: /dateOut \(2024-01-01\) must not be before dateIn \(2024-02-01\)/,
    },
    {
      name: 'stable id with a dot',
      spec: withProperty({ id: 'enc.id' }),
      path: `${P}.id`,
      message: /ODCS stable id/,
    },
  ];

  it.each(cases)('$name', ({ spec, path, message }) => {
    const issues = issuesOf(spec);
    if (!message) {
      expect(issues).toEqual([]);
      return;
    }
    expect(issues).toContainEqual({ path: path ?? '', message: expect.stringMatching(message) });
  });
});

describe('DataContract object', () => {
  it('takes a spec and a status with the last test and breaking changes', () => {
    const r = DataContract.safeParse({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'DataContract',
      metadata: { name: 'inpatient-encounters', namespace: 'readmission' },
      spec: baseSpec(),
      status: {
        observedGeneration: 3,
        lastTest: {
          result: 'Failed',
          at: '2026-03-01T09:00:00Z',
          where: 'sample: data/encounters.csv',
          rows: 5399,
          failures: [
            { rule: 'race-nulls', property: 'race', observed: 2.3, message: 'null share 2.3% >= 2%' },
          ],
        },
        breakingChanges: [
          { path: 'schema[0].properties[1]', kind: 'property-removed', message: 'age removed' },
        ],
      },
    });
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
  });

  it('refuses a test result outside Passed/Failed/Error', () => {
    const r = dataContractStatus.safeParse({
      lastTest: { result: 'OK', at: '2026-03-01T09:00:00Z', where: 'x' },
    });
    expect(r.error?.issues[0]?.path).toEqual(['lastTest', 'result']);
  });
});

describe('PHI scale', () => {
  it('ranks identifiers above clinical detail above none', () => {
    expect(phiRank('none')).toBeLessThan(phiRank('sensitive'));
    expect(phiRank('sensitive')).toBeLessThan(phiRank('quasi-identifier'));
    expect(phiRank('quasi-identifier')).toBeLessThan(phiRank('direct-identifier'));
  });
});

describe('dataContractKind', () => {
  it('names the kind for kubectl and answers the first questions in columns', () => {
    expect(dataContractKind).toMatchObject({
      kind: 'DataContract',
      plural: 'datacontracts',
      singular: 'datacontract',
      shortNames: ['dc'],
    });
    expect(dataContractKind.printerColumns.map((c) => c.name)).toEqual(
      expect.arrayContaining(['Contract', 'Version', 'Status', 'Owner', 'Last Test', 'Ready', 'Age']),
    );
  });

  // The CRD generator turns these schemas into Kubernetes structural schemas: every node typed (or explicitly
  // preserving unknown fields), no unions, no references.
  it.each([
    ['spec', dataContractSpec],
    ['status', dataContractStatus],
  ] as const)('%s converts to a structural OpenAPI schema', (_, schema) => {
    const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as Record<string, unknown>;
    const problems: string[] = [];
    const walk = (node: Record<string, unknown>, at: string) => {
      for (const bad of ['anyOf', 'oneOf', 'allOf', 'not', '$ref', 'nullable']) {
        if (bad in node) problems.push(`${at}: ${bad}`);
      }
      if (node.type === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true)
        problems.push(`${at}: no type`);
      if (typeof node.additionalProperties === 'object') problems.push(`${at}: additionalProperties schema`);
      if (!node.description && at !== '' && !at.endsWith('[]')) problems.push(`${at}: no description`);
      const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [k, v] of Object.entries(props)) walk(v, `${at}.${k}`);
      if (node.items && typeof node.items === 'object')
        walk(node.items as Record<string, unknown>, `${at}[]`);
    };
    walk(json, '');
    expect(problems).toEqual([]);
  });

  // Client-side `kubectl apply` keeps the whole CRD in an annotation capped at 256 KiB; the spelled-out nesting
  // levels make this schema the largest of the kinds, so keep an eye on it.
  it('keeps the CRD schema well under the 256 KiB annotation limit of kubectl apply', () => {
    const size = JSON.stringify(
      z.toJSONSchema(dataContractSpec, { target: 'openapi-3.0', io: 'input' }),
    ).length;
    expect(size).toBeLessThan(200_000);
  });

  it('allows each logical type the options ODCS allows, and each server type its fields', async () => {
    const { readFileSync } = await import('node:fs');
    const odcs = JSON.parse(
      readFileSync(
        new URL('../controller/src/kinds/datacontract/odcs-json-schema-v3.1.0.json', import.meta.url),
        'utf8',
      ),
    );
    const branches = odcs.$defs.SchemaBaseProperty.allOf.slice(1) as {
      if: {
        properties?: { logicalType: { const: string } };
        anyOf?: { properties: { logicalType: { const: string } } }[];
      };
      then: { properties: { logicalTypeOptions: { properties: Record<string, unknown> } } };
    }[];
    for (const b of branches) {
      const types = b.if.anyOf
        ? b.if.anyOf.map((a) => a.properties.logicalType.const)
        : [b.if.properties!.logicalType.const];
      for (const t of types) {
        expect(new Set(OPTIONS_BY_TYPE[t as keyof typeof OPTIONS_BY_TYPE]), t).toEqual(
          new Set(Object.keys(b.then.properties.logicalTypeOptions.properties)),
        );
      }
    }
    for (const b of odcs.$defs.Server.allOf as {
      if: { properties: { type: { const: string } } };
      then: { $ref: string };
    }[]) {
      const t = b.if.properties.type.const as keyof typeof SERVER_FIELDS;
      const source = odcs.$defs.ServerSource[b.then.$ref.split('/').pop()!];
      expect(SERVER_FIELDS[t].required, t).toEqual(source.required ?? []);
      expect(new Set([...SERVER_FIELDS[t].required, ...SERVER_FIELDS[t].optional]), t).toEqual(
        new Set(Object.keys(source.properties)),
      );
    }
  });
});
