import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatDiagnostic } from '../../diagnostics.js';
import { exportOdcs, importOdcs, importOdcsText, validateOdcs } from './odcs.js';

const ROOT = join(import.meta.dirname, '../../../..');
const EXAMPLES = join(ROOT, 'test/fixtures/datacontract/odcs-examples');
const ENCOUNTERS = join(ROOT, 'test/fixtures/datacontract/encounters.odcs.yaml');
// SHA-256 of each example as the Open Data Contract Standard v3.1.0 publishes it (Bitol project, Apache-2.0,
// LICENSE beside the copies), and of its JSON Schema as data (JSON.stringify of the parsed file): the copies here
// must stay unchanged.
const PUBLISHED: Record<string, string> = {
  'all-full-example.odcs.yaml': 'e28351dc34833315263e4c983b31f5dc6e1b5ec5fc6658fc04ffbc89d3547aa5',
  'fundamentals-table-column-description.odcs.yaml':
    '755d53cf3f2e8e6dee83148a2b79e71429efdd75c2e40de306ec737e2624bfad',
  'quality-column-accuracy.odcs.yaml': 'd33c0bd2251d2d430b74d54fc8d9ce5bccb13e65019a31706c3e1da8fdf8a9ef',
  'quality-column-completeness.odcs.yaml': '592c683ba84c56d9a5cbd288d07cb5f5ccd26607c5c05e68cc25c594eba25307',
  'quality-column-validity.odcs.yaml': '1da7644ed944a85606eb6fa3e55c1fe5bffeaff9db0bddbe0ef31f3bcb94fc58',
  'roles-service-and-operational-roles.odcs.yaml':
    '2e4eb2f26d4482e2a9c3a2d5d0289ed721d76bce998bef2e1d395d0ff7ce51b5',
  'schema-table-column.odcs.yaml': '2e73aab227a90b3b6a01549cb51f2e17cccc64b88eb9e1a5f40ab0565223042c',
  'sla-database-table-sla.odcs.yaml': '3f404bc3520a07878e292828baa7684c2fb6ab69fc663b5025abe1e44a118cd7',
};
const PUBLISHED_SCHEMA = 'e24ff312d7904ae77df829f17ed399d46df92a4ce6eee1e0f06de559afa16b8b';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
// The de-identified UCI encounter sample the contract describes: the project's own copy (CC BY 4.0).
const ENCOUNTERS_SAMPLE = join(ROOT, 'examples/data/uci-diabetes-130/encounters-sample.csv');
const OWNER = { ownerTeam: 'northwind-health/data-platform' };

const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.odcs.yaml'))
  .map((f) => ({ file: f, text: readFileSync(join(EXAMPLES, f), 'utf8') }));

describe('the ODCS examples', () => {
  it('are all here', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
  });

  it('are unchanged copies of the published ones, as is the schema', () => {
    expect(examples.map((e) => e.file).sort()).toEqual(Object.keys(PUBLISHED).sort());
    for (const { file, text } of examples) expect(sha256(text), file).toBe(PUBLISHED[file]);
    // Compared as data: the repository's formatter lays the bundled copy out its own way.
    const schema = readFileSync(join(import.meta.dirname, 'odcs-json-schema-v3.1.0.json'), 'utf8');
    expect(sha256(JSON.stringify(JSON.parse(schema)))).toBe(PUBLISHED_SCHEMA);
  });

  // What each example does on import and export is the conformance test's (odcs-conformance.test.ts), over every
  // example of every v3 release; these flat copies serve the CLI and PHI-guard tests.
  it('include one that declares v3.0.2 but is written as v3.1.0 expects, which is refused', () => {
    const { file, text } = examples.find((e) => e.file === 'quality-column-completeness.odcs.yaml')!;
    const r = importOdcsText(text, file, OWNER);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'quality-column-completeness.odcs.yaml:2:13: warning: apiVersion: the document declares ODCS v3.0.2 but is written as ODCS v3.1.0 expects (hint: if it follows ODCS v3.1.0, say apiVersion: v3.1.0)',
      'quality-column-completeness.odcs.yaml:23:9: error: schema[0].properties[0].quality[0]: missing required field "rule"',
    ]);
  });
});

describe('PHI classification on import', () => {
  const doc = () =>
    parse(`
apiVersion: v3.1.0
kind: DataContract
id: labs
version: 1.0.0
status: draft
schema:
  - name: labs
    properties:
      - name: mrn
        customProperties:
          - property: vigilPhi
            value: direct-identifier
      - name: hba1c
        logicalType: number
`);

  it('keeps what the document states and defaults the rest to sensitive, warning for each', () => {
    const r = importOdcs(doc(), { ...OWNER, file: 'labs.odcs.yaml' });
    const [mrn, hba1c] = r.value!.spec.schema![0]!.properties!;
    expect(mrn!.phi).toBe('direct-identifier');
    expect(hba1c!.phi).toBe('sensitive');
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      code: 'phi.unclassified',
      path: 'schema[0].properties[1].name',
      message: expect.stringContaining(
        'property "hba1c" has no PHI classification; classified as "sensitive"',
      ),
    });
  });

  it('takes another default when asked, still warning', () => {
    const r = importOdcs(doc(), { ...OWNER, defaultPhi: 'none' });
    expect(r.value!.spec.schema![0]!.properties![1]!.phi).toBe('none');
    expect(r.diagnostics.filter((d) => d.code === 'phi.unclassified')).toHaveLength(1);
  });

  it('writes back the classification the document states, and leaves an assumed one out', () => {
    const r = importOdcs(doc(), OWNER);
    expect(r.value!.spec.schema![0]!.properties![1]).toMatchObject({ phi: 'sensitive', phiAssumed: true });
    const exported = exportOdcs(r.value!) as { schema: { properties: Record<string, unknown>[] }[] };
    expect(exported.schema[0]!.properties[0]!.customProperties).toEqual([
      { property: 'vigilPhi', value: 'direct-identifier' },
    ]);
    expect(exported.schema[0]!.properties[1]!.customProperties).toBeUndefined();
    expect(exported).toEqual(doc());
    // Re-imported, the property is still unclassified, and still says so.
    expect(importOdcs(exported, OWNER).diagnostics.map((d) => d.code)).toEqual(['phi.unclassified']);
  });

  it('writes a classification a person made after import', () => {
    const r = importOdcs(doc(), OWNER);
    const hba1c = r.value!.spec.schema![0]!.properties![1]!;
    hba1c.phi = 'none';
    delete hba1c.phiAssumed;
    const exported = exportOdcs(r.value!) as { schema: { properties: Record<string, unknown>[] }[] };
    expect(exported.schema[0]!.properties[1]!.customProperties).toEqual([
      { property: 'vigilPhi', value: 'none' },
    ]);
    expect(importOdcs(exported, OWNER).diagnostics).toEqual([]);
  });
});

describe('invalid ODCS documents', () => {
  const text = [
    'apiVersion: v3.1.0', //   1
    'kind: DataContract', //   2
    'id: labs', //             3
    'version: 1.10', //        4
    'schema:', //              5
    '  - name: labs', //       6
    '    colour: blue', //     7
    '    properties:', //      8
    '      - name: hba1c', //  9
    '        logicalType: decimal', // 10
    '',
  ].join('\n');
  const r = importOdcsText(text, 'labs.odcs.yaml', OWNER);
  const lines = r.diagnostics.map(formatDiagnostic);

  it('are refused', () => {
    expect(r.value).toBeUndefined();
  });

  it.each([
    ['labs.odcs.yaml:1:1: error: missing required field "status"'],
    ['labs.odcs.yaml:4:10: error: version: must be string; found number 1.1 (hint: quote it, e.g. "1.1")'],
    ['labs.odcs.yaml:7:5: error: schema[0].colour: unknown field "colour"'],
    [
      'labs.odcs.yaml:10:22: error: schema[0].properties[0].logicalType: must be one of string, date, timestamp, time, number, integer, object, array, boolean; found "decimal"',
    ],
  ])('report %s', (expected) => {
    expect(
      lines.some((l) => l.startsWith(expected)),
      lines.join('\n'),
    ).toBe(true);
  });

  it('say nothing about the if/then/oneOf branches behind a specific error', () => {
    expect(lines.filter((l) => /matches none|must match "then"/.test(l))).toEqual([]);
  });

  it('folds the alternatives of a oneOf into one message, and drops the unknown-field echoes of a failed branch', () => {
    const doc = [
      'apiVersion: v3.1.0', //               1
      'kind: DataContract', //               2
      'id: labs', //                         3
      'version: 1.0.0', //                   4
      'status: active', //                   5
      'servers:', //                         6
      '  - server: edw', //                  7
      '    type: postgres', //               8
      '    host: edw', //                    9
      'schema:', //                          10
      '  - name: labs', //                   11
      '    quality:', //                     12
      '      - metric: rowCount', //         13
      '',
    ].join('\n');
    const lines = importOdcsText(doc, 'labs.odcs.yaml', OWNER).diagnostics.map(formatDiagnostic);
    expect(lines).toEqual([
      'labs.odcs.yaml:7:5: error: servers[0]: missing required field "port"',
      'labs.odcs.yaml:7:5: error: servers[0]: missing required field "database"',
      'labs.odcs.yaml:7:5: error: servers[0]: missing required field "schema"',
      'labs.odcs.yaml:13:9: error: schema[0].quality[0]: needs one of mustBe, mustNotBe, mustBeGreaterThan, mustBeGreaterOrEqualTo, mustBeLessThan, mustBeLessOrEqualTo, mustBeBetween, mustNotBeBetween; found none',
    ]);
  });

  it('reports a YAML syntax error with its position', () => {
    const bad = importOdcsText('id: [unclosed\n', 'bad.odcs.yaml');
    expect(bad.value).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({
      file: 'bad.odcs.yaml',
      severity: 'error',
      line: expect.any(Number),
    });
    expect(bad.diagnostics[0]!.line).toBeGreaterThan(0);
  });

  it('reports a document that is not a mapping', () => {
    expect(importOdcs(['a'], { file: 'x.yaml' }).diagnostics.map(formatDiagnostic)).toEqual([
      'x.yaml: error: an ODCS contract is a mapping of fields; found a list',
    ]);
  });
});

describe('valid ODCS that Vigil refuses', () => {
  const text = [
    'apiVersion: v3.1.0', //                  1
    'kind: DataContract', //                  2
    'id: labs', //                            3
    'version: 1.0.0', //                      4
    'status: in-review', //                   5
    'schema:', //                             6
    '  - name: labs', //                      7
    '    properties:', //                     8
    '      - name: hba1c', //                 9
    '        customProperties:', //           10
    '          - property: vigilPhi', //      11
    '            value: secret', //           12
    '',
  ].join('\n');

  it('locates the Vigil rule in the ODCS document, inside customProperties where Vigil keeps its additions', () => {
    const r = importOdcsText(text, 'labs.odcs.yaml', OWNER);
    expect(r.value).toBeUndefined();
    const lines = r.diagnostics.map(formatDiagnostic);
    // ODCS status is free text: read, with a warning, never refused.
    expect(lines).toContainEqual(
      'labs.odcs.yaml:5:9: warning: status: status "in-review" read as "proposed" (Vigil\'s lifecycle: proposed, draft, active, deprecated, retired)',
    );
    expect(lines).toContainEqual(
      'labs.odcs.yaml:12:20: error: schema[0].properties[0].customProperties[0].value: must be one of none, sensitive, quasi-identifier, direct-identifier; found "secret"',
    );
  });

  it('asks for the owner team when the document names none', () => {
    const r = importOdcsText(text.replace('in-review', 'draft').replace('secret', 'none'), 'labs.odcs.yaml');
    expect(r.value).toBeUndefined();
    expect(r.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'odcs.owner-team', hint: expect.stringContaining('--owner-team') }),
    );
  });

  it('names a bad --owner-team as such', () => {
    const r = importOdcsText(text.replace('in-review', 'draft').replace('secret', 'none'), 'labs.odcs.yaml', {
      ownerTeam: 'data-platform',
    });
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'labs.odcs.yaml:1:1: error: --owner-team "data-platform" must be a GitHub team written org/team-slug, e.g. "northwind-health/clinical-safety"',
    ]);
  });

  it('names a bad --name as such', () => {
    const r = importOdcsText(text.replace('in-review', 'draft').replace('secret', 'none'), 'labs.odcs.yaml', {
      ...OWNER,
      name: 'Labs_Feed',
    });
    expect(r.diagnostics.map(formatDiagnostic).join('\n')).toMatch(
      /metadata\.name "Labs_Feed" must be a lowercase name.*--name/,
    );
  });
});

describe('nested properties and relationships', () => {
  const doc = {
    apiVersion: 'v3.1.0',
    kind: 'DataContract',
    id: 'orders',
    version: '2.0.0',
    status: 'active',
    team: [{ username: 'steward' }],
    customProperties: [],
    schema: [
      {
        name: 'orders',
        relationships: [{ from: 'orders.patient', to: 'patients.id' }],
        properties: [
          {
            name: 'meds',
            logicalType: 'array',
            items: { logicalType: 'object', properties: [{ name: 'code', logicalType: 'string' }] },
            customProperties: [{ property: 'vigilPhi', value: 'sensitive' }],
          },
          {
            name: 'patient',
            relationships: [{ to: 'patients.id' }],
            customProperties: [{ property: 'vigilPhi', value: 'direct-identifier' }],
          },
        ],
      },
    ],
  };

  it('imports lists from single references, a members list as a team, and drops an empty customProperties', () => {
    const r = importOdcs(doc, OWNER);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const spec = r.value!.spec;
    expect(spec.team).toEqual({ members: [{ username: 'steward' }] });
    expect(spec.customProperties).toBeUndefined();
    expect(spec.schema![0]!.relationships).toEqual([{ from: ['orders.patient'], to: ['patients.id'] }]);
    expect(spec.schema![0]!.properties![1]!.relationships).toEqual([{ to: ['patients.id'] }]);
    expect(spec.schema![0]!.properties![0]!.items!.properties![0]!.phi).toBe('sensitive');
  });

  it('exports valid ODCS and round-trips', () => {
    const first = importOdcs(doc, OWNER).value!;
    const exported = exportOdcs(first);
    expect(validateOdcs(exported)).toEqual([]);
    expect(importOdcs(exported, OWNER).value).toEqual(first);
  });
});

describe('Vigil custom properties out of place', () => {
  it('stay ordinary custom properties, so nothing is lost', () => {
    const doc = {
      apiVersion: 'v3.1.0',
      kind: 'DataContract',
      id: 'x',
      version: '1.0.0',
      status: 'draft',
      customProperties: [
        { property: 'vigilPhi', value: 'none' },
        { property: 'vigilOwnerTeam', value: 'northwind-health/data-platform' },
      ],
    };
    const r = importOdcs(doc);
    expect(r.value!.spec.ownerTeam).toBe('northwind-health/data-platform');
    expect(r.value!.spec.customProperties).toEqual([{ property: 'vigilPhi', value: 'none' }]);
    expect(exportOdcs(r.value!).customProperties).toEqual(doc.customProperties);
  });
});

describe('the readmission encounter feed contract', () => {
  const text = readFileSync(ENCOUNTERS, 'utf8');
  const r = importOdcsText(text, 'encounters.odcs.yaml');

  it('imports without options, without a warning', () => {
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(r.value?.metadata.name).toBe('inpatient-encounters');
    // Written as Vigil writes ODCS, so nothing needs keeping for export.
    expect(r.value?.spec.odcsRestore).toBeUndefined();
    expect(r.value?.spec).toMatchObject({
      ownerTeam: 'northwind-health/data-platform',
      consumers: [{ useCase: 'readmission-risk' }],
    });
  });

  it('declares the 44 columns of the CSV, in order', () => {
    const header = readFileSync(ENCOUNTERS_SAMPLE, 'utf8').split('\n')[0]!.trim().split(',');
    expect(header).toHaveLength(44);
    expect(r.value!.spec.schema![0]!.properties!.map((p) => p.name)).toEqual(header);
  });

  it('classifies the surrogate keys as identifiers and the demographics as quasi-identifiers', () => {
    const phi = Object.fromEntries(r.value!.spec.schema![0]!.properties!.map((p) => [p.name, p.phi]));
    expect(phi).toMatchObject({
      encounter_id: 'direct-identifier',
      patient_nbr: 'direct-identifier',
      race: 'quasi-identifier',
      gender: 'quasi-identifier',
      age: 'quasi-identifier',
      readmitted: 'sensitive',
    });
    expect(Object.values(phi).filter((c) => c === 'none')).toEqual([]);
    expect(r.value!.spec.schema![0]!.nullMarkers).toEqual(['?']);
  });

  it('exports valid ODCS and round-trips', () => {
    const exported = exportOdcs(r.value!);
    expect(validateOdcs(exported)).toEqual([]);
    expect(importOdcs(exported).value).toEqual(r.value);
  });
});

describe('ODCS variants, read in one form and written back as they came', () => {
  const v300 = [
    'apiVersion: v3.0.0', //                     1
    'kind: DataContract', //                     2
    'id: lab-results', //                        3
    'version: "1.0"', //                         4
    'status: Development', //                    5
    'servers:', //                               6
    '  - server: lab-events', //                 7
    '    type: kafka', //                        8
    '    host: kafka.lab.example:9092', //       9
    '    topic: lab-results', //                 10
    '    securityProtocol: SASL_SSL', //         11
    'team:', //                                  12
    '  - username: steward', //                  13
    '    role: owner', //                        14
    '    comment: on call weekdays', //          15
    'slaProperties:', //                         16
    '  - property: retention', //                17
    '    value: P1Y', //                         18
    '  - property: frequency', //                19
    '    value: 1', //                           20
    '    unit: d', //                            21
    '    column: results.resulted_at', //        22
    'schema:', //                                23
    '  - name: results', //                      24
    '    properties:', //                        25
    '      - name: hba1c', //                    26
    '        logicalType: number', //            27
    '        logicalTypeOptions:', //            28
    '          maximum: 20', //                  29
    '          exclusiveMaximum: true', //       30
    '        customProperties:', //              31
    '          - property: vigilPhi', //         32
    '            value: sensitive', //           33
    '',
  ].join('\n');
  const r = importOdcsText(v300, 'labs.odcs.yaml', OWNER);
  const lines = r.diagnostics.map(formatDiagnostic);

  it('imports a v3.0.0 document, warning where Vigil reads less or otherwise than was written', () => {
    expect(validateOdcs(parse(v300))).toEqual([]);
    expect(lines).toEqual([
      'labs.odcs.yaml:4:10: warning: version: version "1.0" read as the semantic version "1.0.0"',
      'labs.odcs.yaml:5:9: warning: status: status "Development" read as "draft" (Vigil\'s lifecycle: proposed, draft, active, deprecated, retired)',
      'labs.odcs.yaml:10:5: warning: servers[0].topic: Vigil does not read "topic" of a kafka server (ODCS v3.0.0 allows it here); it is kept as written and exported again',
      'labs.odcs.yaml:11:5: warning: servers[0].securityProtocol: Vigil does not read "securityProtocol" of a kafka server (ODCS v3.0.0 allows it here); it is kept as written and exported again',
      'labs.odcs.yaml:15:5: warning: team[0].comment: Vigil does not read "comment" (ODCS v3.0.0 allows it here); it is kept as written and exported again',
    ]);
  });

  it('reads each variant in the form Vigil acts on', () => {
    const spec = r.value!.spec;
    expect(spec).toMatchObject({ version: '1.0.0', status: 'draft' });
    expect(spec.servers).toEqual([{ server: 'lab-events', type: 'kafka', host: 'kafka.lab.example:9092' }]);
    expect(spec.team).toEqual({ members: [{ username: 'steward', role: 'owner' }] });
    expect(spec.slaProperties).toEqual([
      { property: 'retention', value: 1, unit: 'y' },
      { property: 'frequency', value: 1, unit: 'd', element: 'results.resulted_at' },
    ]);
    expect(spec.schema![0]!.properties![0]!.logicalTypeOptions).toEqual({ exclusiveMaximum: 20 });
  });

  it('exports the document as it came in, valid against its own version', () => {
    const exported = exportOdcs(r.value!);
    expect(exported).toEqual(parse(v300));
    expect(validateOdcs(exported)).toEqual([]);
  });

  it('lets an edit made since the import win over what the document said', () => {
    const edited = structuredClone(r.value!);
    edited.spec.status = 'deprecated';
    edited.spec.servers![0]!.host = 'kafka2.lab.example:9092';
    const exported = exportOdcs(edited);
    expect(exported).toMatchObject({ apiVersion: 'v3.0.0', status: 'deprecated', version: '1.0' });
    expect(exported.servers).toEqual([
      {
        server: 'lab-events',
        type: 'kafka',
        host: 'kafka2.lab.example:9092',
        topic: 'lab-results',
        securityProtocol: 'SASL_SSL',
      },
    ]);
    expect(validateOdcs(exported)).toEqual([]);
  });

  it('keeps a server whose type does not take one of its fields, setting that field aside', () => {
    const text = [
      'apiVersion: v3.0.2', //                         1
      'kind: DataContract', //                         2
      'id: weather', //                                3
      'version: 1.0.0', //                             4
      'status: active', //                             5
      'servers:', //                                   6
      '  - server: api', //                            7
      '    type: api', //                              8
      '    location: https://api.example/weather', //  9
      '    format: json', //                           10
      'slaProperties:', //                             11
      '  - property: latency', //                      12
      '    value: 500ms', //                           13
      '',
    ].join('\n');
    const r = importOdcsText(text, 'weather.odcs.yaml', OWNER);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'weather.odcs.yaml:10:5: warning: servers[0].format: Vigil does not act on this field (servers[0].format: format does not apply to a api server; it takes location); it is kept as written and exported again',
    ]);
    expect(r.value!.spec.servers).toEqual([
      { server: 'api', type: 'api', location: 'https://api.example/weather' },
    ]);
    expect(r.value!.spec.slaProperties).toEqual([{ property: 'latency', value: 500, unit: 'ms' }]);
    expect(exportOdcs(r.value!)).toEqual(parse(text));
  });

  it('reads nesting deeper than Vigil models, checks the first three levels and keeps the rest', () => {
    const text = [
      'apiVersion: v3.1.0', //                               1
      'kind: DataContract', //                               2
      'id: panels', //                                       3
      'version: 1.0.0', //                                   4
      'status: active', //                                   5
      'schema:', //                                          6
      '  - name: panels', //                                 7
      '    properties:', //                                  8
      '      - name: series', //                             9
      '        logicalType: array', //                       10
      '        items:', //                                   11
      '          logicalType: array', //                     12
      '          items:', //                                 13
      '            logicalType: array', //                   14
      '            items:', //                               15
      '              logicalType: object', //                16
      '              properties:', //                        17
      '                - name: loinc', //                    18
      '                  logicalType: string', //            19
      '        customProperties:', //                        20
      '          - property: vigilPhi', //                   21
      '            value: sensitive', //                     22
      '',
    ].join('\n');
    const deep = importOdcsText(text, 'panels.odcs.yaml', OWNER);
    expect(deep.diagnostics.map(formatDiagnostic)).toEqual([
      'panels.odcs.yaml:15:13: warning: schema[0].properties[0].items.items.items: Vigil reads properties nested three levels deep; what lies below is kept as written and exported again, but not checked',
    ]);
    expect(deep.value!.spec.schema![0]!.properties![0]!.items!.items).toEqual({ logicalType: 'array' });
    expect(exportOdcs(deep.value!)).toEqual(parse(text));
  });

  it('refuses a document that is not valid against the version it declares, at file:line:col', () => {
    const text = [
      'apiVersion: v3.1.0', //                  1
      'kind: DataContract', //                  2
      'id: labs', //                            3
      'version: 1.0.0', //                      4
      'status: active', //                      5
      'slaProperties:', //                      6
      '  - property: frequency', //             7
      '    value: 1', //                        8
      '    column: results.resulted_at', //     9
      '',
    ].join('\n');
    const refused = importOdcsText(text, 'labs.odcs.yaml', OWNER);
    expect(refused.value).toBeUndefined();
    expect(refused.diagnostics.map(formatDiagnostic)).toEqual([
      'labs.odcs.yaml:1:13: warning: apiVersion: the document declares ODCS v3.1.0 but is written as ODCS v3.0.0, v3.0.1, v3.0.2 expects (hint: if it follows ODCS v3.0.2, say apiVersion: v3.0.2)',
      'labs.odcs.yaml:9:5: error: slaProperties[0].column: unknown field "column" (not defined by ODCS v3.1.0 here; Vigil\'s additions go in customProperties)',
    ]);
    // The same text under the version it follows imports.
    expect(importOdcsText(text.replace('v3.1.0', 'v3.0.2'), 'labs.odcs.yaml', OWNER).value).toBeDefined();
  });

  it.each([
    [
      'v2.2.2',
      'labs.odcs.yaml:1:13: error: apiVersion: must be an ODCS version Vigil reads (v3.0.0, v3.0.1, v3.0.2, v3.1.0); found "v2.2.2"',
    ],
    [
      undefined,
      'labs.odcs.yaml:1:1: error: missing required field "apiVersion" (one of v3.0.0, v3.0.1, v3.0.2, v3.1.0)',
    ],
  ])('refuses apiVersion %j', (apiVersion, line) => {
    const text = `${apiVersion ? `apiVersion: ${apiVersion}\n` : ''}kind: DataContract\nid: labs\nversion: 1.0.0\nstatus: active\n`;
    expect(importOdcsText(text, 'labs.odcs.yaml', OWNER).diagnostics.map(formatDiagnostic)).toEqual([line]);
  });
});
