import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../diagnostics.js';
import { loadYamlSource } from '../yaml/source.js';
import { type PhiScanOptions, scanForPhi } from './guard.js';

// The project's own copies of the public data (examples/data, test/fixtures), so the test needs nothing beside it.
const REPO = join(import.meta.dirname, '..', '..', '..');

const FILE = 'contracts/readmission.yaml';
const NOT_HERE = 'PHI must not be written in governance files';

function scan(text: string, opts?: PhiScanOptions): string[] {
  const { documents, diagnostics } = loadYamlSource(text, FILE);
  expect(diagnostics).toEqual([]);
  return documents.flatMap((doc) => scanForPhi(doc, opts)).map(formatDiagnostic);
}

const HINT = ' (hint: remove it; where an example is needed, use an obviously synthetic one)';

// Every value here is synthetic.
describe('scanForPhi: findings', () => {
  it.each([
    [
      'an SSN in a description',
      'spec:\n  description: escalate to 219-09-9999\n',
      [
        `${FILE}:2:16: error: spec.description: value looks like a US Social Security number (***-**-9999); ${NOT_HERE}${HINT}`,
      ],
    ],
    [
      'an MRN in a template',
      'spec:\n  template: |\n    Patient MRN: 00123456 flagged\n',
      [
        `${FILE}:2:13: error: spec.template: value looks like a medical record number (MRN: ******56); ${NOT_HERE}${HINT}`,
      ],
    ],
    [
      'a date of birth with a name in one string',
      'spec:\n  examples:\n    - "Test Patient, DOB 1984-03-02"\n',
      [
        `${FILE}:3:7: error: spec.examples[0]: value looks like a date of birth next to a person's name; ${NOT_HERE}${HINT}`,
      ],
    ],
    [
      'a name and a birth date side by side',
      'spec:\n  sample:\n    patientName: Test Patient\n    birthDate: 1984-03-02\n',
      [
        `${FILE}:4:16: error: spec.sample.birthDate: "birthDate" holds a date of birth beside the name in "patientName"; ${NOT_HERE}${HINT}`,
      ],
    ],
    [
      'an SSN as a key',
      'spec:\n  219-09-9999: x\n',
      [
        `${FILE}:2:3: error: spec.219-09-9999: key looks like a US Social Security number (***-**-9999); ${NOT_HERE}${HINT}`,
      ],
    ],
    [
      'an SSN in a comment',
      '# contact 219-09-9999\nkind: DataContract\n',
      [
        `${FILE}:1:1: error: comment looks like a US Social Security number (***-**-9999); ${NOT_HERE}${HINT}`,
      ],
    ],
    [
      'two findings in one value',
      'note: 219-09-9999 MRN 1234567\n',
      [
        `${FILE}:1:7: error: note: value looks like a US Social Security number (***-**-9999); ${NOT_HERE}${HINT}`,
        `${FILE}:1:7: error: note: value looks like a medical record number (MRN *****67); ${NOT_HERE}${HINT}`,
      ],
    ],
    [
      'an aliased value, at the anchor and at each alias',
      'a: &x 219-09-9999\nb: *x\nc: [*x]\n',
      [
        `${FILE}:1:7: error: a: value looks like a US Social Security number (***-**-9999); ${NOT_HERE}${HINT}`,
        `${FILE}:2:4: error: b: value looks like a US Social Security number (***-**-9999); ${NOT_HERE}${HINT}`,
        `${FILE}:3:5: error: c[0]: value looks like a US Social Security number (***-**-9999); ${NOT_HERE}${HINT}`,
      ],
    ],
  ])('%s', (_name, text, expected) => {
    expect(scan(text)).toEqual(expected);
  });

  it('never repeats the value in full', () => {
    const messages = scan('a: 219-09-9999\nb: MRN 00123456\nc: {name: Test Patient, dob: 1984-03-02}\n').join(
      '\n',
    );
    for (const secret of ['219-09-9999', '09-9999', '00123456', 'Test Patient', '1984-03-02']) {
      expect(messages).not.toContain(secret);
    }
  });

  it('uses site MRN patterns instead of the default', () => {
    const text = 'a: chart PT-00123456\nb: MRN 00123456\n';
    expect(scan(text, { mrnPatterns: ['\\bpt-\\d{8}\\b'] })).toEqual([
      `${FILE}:1:4: error: a: value looks like a medical record number (PT-******56); ${NOT_HERE}${HINT}`,
    ]);
  });

  it('can leave comments alone', () => {
    expect(scan('# 219-09-9999\na: 1\n', { comments: false })).toEqual([]);
  });
});

describe('scanForPhi: ordinary governance content passes', () => {
  it.each([
    ['semver', 'spec:\n  version: "1.10.3"\n  range: ">=1.2.3 <2.0.0-0"\n'],
    ['cron', 'spec:\n  schedule: "0 6 1 * *"\n  window: "*/15 9-17 * * 1-5"\n'],
    [
      'change tickets and phone-like ids',
      'spec:\n  change: CHG-0012345\n  incident: INC-000-123-4567\n  pager: 555-123-4567\n',
    ],
    [
      'review dates',
      'spec:\n  nextReview: 2026-01-15\n  approvedBy: Jane Reviewer\n  approvedOn: 2026-01-10\n',
    ],
    [
      'a birth-date column in a data contract',
      'schema:\n  - name: date_of_birth\n    logicalType: date\n  - name: dob\n    description: Date of birth, generalised to year\n',
    ],
    [
      'a k8s object with a name',
      'metadata:\n  name: sepsis-alert\n  labels: {team: clinical-ai/sepsis}\nspec:\n  dob: 2026-01-15\n',
    ],
    ['never-issued SSN shapes', 'tests:\n  - 000-12-3456\n  - 666-12-3456\n  - 900-12-3456\n'],
    [
      'MRN wording without a number',
      'spec:\n  description: MRN values are hashed before export\n  mrnPatterns: ["MRN\\\\d+"]\n',
    ],
  ])('%s', (_name, text) => {
    expect(scan(text)).toEqual([]);
  });

  it('passes a data contract listing the encounter sample columns', () => {
    const csv = readFileSync(join(REPO, 'examples/data/uci-diabetes-130/encounters-sample.csv'), 'utf8');
    const header = csv.slice(0, csv.indexOf('\n')).trim().split(',');
    expect(header).toContain('encounter_id');
    expect(header).toContain('patient_nbr');
    const columns = header.map(
      (name) => `    - name: ${JSON.stringify(name)}\n      physicalName: ${JSON.stringify(name)}`,
    );
    const text = `kind: DataContract\nschema:\n  - name: encounters\n    properties:\n${columns.join('\n').replaceAll('\n    ', '\n      ').replace(/^ {4}/, '      ')}\n`;
    const { documents, diagnostics } = loadYamlSource(text, FILE);
    expect(diagnostics).toEqual([]);
    expect(JSON.stringify(documents[0]!.value)).toContain('readmitted');
    expect(scanForPhi(documents[0]!, {})).toEqual([]);
  });

  const odcsDir = join(REPO, 'test/fixtures/datacontract/odcs-examples');
  const examples = readdirSync(odcsDir).filter((f) => f.endsWith('.yaml'));
  it.each(examples)('ODCS example %s has no PHI findings', (name) => {
    const { documents, diagnostics } = loadYamlSource(readFileSync(join(odcsDir, name)), name);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(documents.length).toBeGreaterThan(0);
    expect(documents.flatMap((doc) => scanForPhi(doc, {}))).toEqual([]);
  });

  it('checks all eight ODCS examples', () => {
    expect(examples).toHaveLength(8);
  });
});
