import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type DataContractSpec, dataContractSpec } from '../../../../specs/datacontract.js';
import { diffContracts } from './contract-diff.js';

const EXAMPLE = resolve(
  fileURLToPath(import.meta.url),
  '../../../../../examples/care-management/inpatient-encounters.yaml',
);
const text = readFileSync(EXAMPLE, 'utf8');
const spec = (t: string): DataContractSpec => dataContractSpec.parse(parse(t).spec);
const edited = (...edits: [string | RegExp, string][]) =>
  spec(
    edits.reduce((t, [from, to]) => {
      const next = t.replace(from, to);
      if (next === t) throw new Error(`${String(from)} not found`);
      return next;
    }, text),
  );
const row = (c: { kind: string; breaking: boolean; path: string }) => [c.breaking, c.kind, c.path];

describe('diffContracts', () => {
  it('finds nothing between a contract and itself', () => {
    const d = diffContracts(spec(text), spec(text));
    expect(d).toEqual({
      from: { version: '1.2.0' },
      to: { version: '1.2.0' },
      changes: [],
      breaking: 0,
      majorBump: false,
    });
  });

  it('lists a breaking change with its values, and the edits that break nothing beside it', () => {
    const next = edited(
      ['logicalTypeOptions: { minimum: 1, maximum: 14 }', 'logicalTypeOptions: { minimum: 1, maximum: 10 }'],
      ['description: "Administrative sex."', 'description: "Administrative sex, as registered."'],
      ['version: "1.2.0"\n  previousVersion: "1.1.0"', 'version: "2.0.0"\n  previousVersion: "1.2.0"'],
    );
    const d = diffContracts(spec(text), next);
    expect(d.changes.map(row)).toEqual([
      [true, 'range-narrowed', 'schema[0].properties[8].logicalTypeOptions.maximum'],
      [false, 'changed', 'previousVersion'],
      [false, 'changed', 'schema[0].properties[3].description'],
      [false, 'changed', 'version'],
    ]);
    expect(d.changes[0]).toMatchObject({ from: 14, to: 10 });
    expect(d.changes[2]!.message).toBe(
      'schema[0].properties[3].description changed from "Administrative sex." to "Administrative sex, as registered."',
    );
    expect(d).toMatchObject({ breaking: 1, majorBump: true });
  });

  it('tells a removed property (breaking) from an added optional one (not), as in a rename', () => {
    const next = edited(['- name: race\n', '- name: ethnicity\n']);
    const d = diffContracts(spec(text), next);
    expect(d.changes.map(row)).toEqual([
      [true, 'property-removed', 'schema[0].properties'],
      [false, 'added', 'schema[0].properties[2]'],
    ]);
    expect(d.changes[0]!.message).toBe('property "encounters.race" was removed');
  });

  it('counts a new required property as breaking once, not also as an addition', () => {
    const next = edited([
      '        - name: readmitted\n',
      '        - name: payer_code\n          logicalType: string\n          required: true\n          phi: sensitive\n        - name: readmitted\n',
    ]);
    expect(diffContracts(spec(text), next).changes.map(row)).toEqual([
      [true, 'required-added', 'schema[0].properties[43].required'],
    ]);
  });

  it('classifies the SLA, PHI and quality changes a reviewer must see', () => {
    const next = edited(
      ['value: 30\n      unit: h', 'value: 48\n      unit: h'],
      ['value: 7\n      unit: "y"', 'value: 10\n      unit: "y"'],
      [
        'logicalType: string\n          required: true\n          phi: quasi-identifier\n          quality:\n            - metric: invalidValues\n              arguments: { validValues: ["Female"',
        'logicalType: string\n          required: true\n          phi: sensitive\n          quality:\n            - metric: invalidValues\n              arguments: { validValues: ["Female"',
      ],
      ['mustBeLessThan: 5\n', 'mustBeLessThan: 2\n'],
      ['mustBeGreaterThan: 1000', 'mustBeGreaterThan: 500'],
    );
    expect(diffContracts(spec(text), next).changes.map(row)).toEqual([
      [true, 'quality-tightened', 'schema[0].properties[2].quality[1]'],
      [true, 'phi-lowered', 'schema[0].properties[3].phi'],
      [true, 'sla-loosened', 'slaProperties[1]'],
      [false, 'changed', 'schema[0].quality[0].mustBeGreaterThan'],
      [false, 'changed', 'slaProperties[2].value'],
    ]);
  });
});
