// Public ODCS documents, read as a new user would bring them: every example the Open Data Contract Standard
// published at each v3 release, and every ODCS v3 contract in the Data Contract CLI's repository. A document
// valid against the JSON Schema of the version it declares imports, and exports again exactly as it came in; one
// that is not is refused with that schema's errors at file:line:col.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatDiagnostic } from '../../diagnostics.js';
import { exportOdcs, importOdcs, importOdcsText, validateOdcs } from './odcs.js';
import { ODCS_VERSIONS, type OdcsProblem } from './odcs-schema.js';

const FIXTURES = join(import.meta.dirname, '../../../../test/fixtures/datacontract');
const OWNER = { ownerTeam: 'northwind-health/data-platform' };

/** The id git gives a file's content, as in `git rev-parse <commit>:<path>`. */
const gitBlobId = (bytes: Buffer) =>
  createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]))
    .digest('hex');

interface Example {
  file: string;
  /** How the report groups it: the standard's release tag, or the declared apiVersion. */
  group: string;
  bytes: Buffer;
  text: string;
  /** Undefined when the text is not YAML the project's reader accepts. */
  doc?: Record<string, unknown>;
  problems: OdcsProblem[];
}

function corpus(
  dir: string,
  group: (file: string, doc: Record<string, unknown> | undefined) => string,
): Example[] {
  const root = join(FIXTURES, dir);
  return (readdirSync(root, { recursive: true }) as string[])
    .map((f) => f.split('\\').join('/'))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const bytes = readFileSync(join(root, file));
      const text = bytes.toString('utf8');
      let doc: Record<string, unknown> | undefined;
      try {
        doc = parse(text) as Record<string, unknown>;
      } catch {
        doc = undefined;
      }
      return { file, group: group(file, doc), bytes, text, doc, problems: doc ? validateOdcs(doc) : [] };
    });
}

type Counts = { documents: number; valid: number; imported: number; unchanged: number; refused: number };
const tally = new Map<string, Counts>();
const count = (group: string, field: keyof Counts) => {
  const t = tally.get(group) ?? { documents: 0, valid: 0, imported: 0, unchanged: 0, refused: 0 };
  t[field]++;
  tally.set(group, t);
};

afterAll(() => {
  // The counts, for whoever runs the suite: one line per corpus and version.
  for (const [group, t] of [...tally].sort()) {
    console.log(
      `${group}: ${t.documents} documents, ${t.valid} valid against their declared ODCS version, ` +
        `${t.imported} imported, ${t.unchanged} exported unchanged, ${t.refused} refused`,
    );
  }
});

/** Each document imports and exports unchanged when valid, and is refused with its schema's errors when not. */
function conformance(examples: Example[]): void {
  describe.each(examples)('$file', ({ file, group, text, doc, problems }) => {
    const imported = importOdcsText(text, file, OWNER);
    const errors = imported.diagnostics.filter((d) => d.severity === 'error');
    count(group, 'documents');

    if (doc === undefined) {
      it('is refused for its YAML, at file:line:col', () => {
        expect(imported.value).toBeUndefined();
        expect(errors.length).toBeGreaterThan(0);
        for (const e of errors) expect(e.line, formatDiagnostic(e)).toBeGreaterThan(0);
        count(group, 'refused');
      });
    } else if (problems.length === 0) {
      count(group, 'valid');

      it(`imports (valid ODCS ${String(doc.apiVersion)})`, () => {
        expect(errors.map(formatDiagnostic)).toEqual([]);
        expect(imported.value?.kind).toBe('DataContract');
        count(group, 'imported');
      });

      it('exports exactly the document it imported', () => {
        const exported = exportOdcs(imported.value!);
        expect(exported).toEqual(doc);
        expect(validateOdcs(exported)).toEqual([]);
        count(group, 'unchanged');
      });

      it('imports its export to the same DataContract', () => {
        expect(importOdcs(exportOdcs(imported.value!), OWNER).value).toEqual(imported.value);
      });
    } else {
      it(`is refused, with the errors of the ODCS ${String(doc.apiVersion)} schema at file:line:col`, () => {
        expect(imported.value).toBeUndefined();
        expect(errors.length).toBe(problems.length);
        for (const e of errors) {
          expect(e.file).toBe(file);
          expect(e.line, formatDiagnostic(e)).toBeGreaterThan(0);
          expect(e.col, formatDiagnostic(e)).toBeGreaterThan(0);
        }
        expect(errors.map((e) => e.message).sort()).toEqual(problems.map((p) => p.message).sort());
        count(group, 'refused');
      });
    }
  });
}

describe('the examples of the Open Data Contract Standard, at each v3 release', () => {
  const origin = JSON.parse(readFileSync(join(FIXTURES, 'odcs-standard/origin.json'), 'utf8')) as {
    tags: Record<string, string>;
    files: Record<string, { blob: string }>;
  };
  const examples = corpus('odcs-standard', (file) => `ODCS ${file.split('/')[0]}`);

  it('are the published files, unchanged, for every v3 release', () => {
    expect(Object.keys(origin.tags).sort()).toEqual([...ODCS_VERSIONS].sort());
    expect(examples.map((e) => e.file)).toEqual(Object.keys(origin.files).sort());
    for (const e of examples) expect(gitBlobId(e.bytes), e.file).toBe(origin.files[e.file]!.blob);
  });

  // At v3.1.0 three examples take up v3.1 shapes under an older apiVersion.
  it.each([
    ['v3.0.0', { documents: 16, valid: 16 }],
    ['v3.0.1', { documents: 18, valid: 18 }],
    ['v3.0.2', { documents: 18, valid: 18 }],
    ['v3.1.0', { documents: 18, valid: 15 }],
  ])('number as published at %s, with as many valid', (tag, expected) => {
    const mine = examples.filter((e) => e.group === `ODCS ${tag}`);
    expect({ documents: mine.length, valid: mine.filter((e) => e.problems.length === 0).length }).toEqual(
      expected,
    );
  });

  conformance(examples);
});

describe('the ODCS contracts of the Data Contract CLI', () => {
  const origin = JSON.parse(readFileSync(join(FIXTURES, 'datacontract-cli/origin.json'), 'utf8')) as {
    files: Record<string, { blob: string }>;
  };
  const examples = corpus('datacontract-cli', (_file, doc) =>
    doc ? `Data Contract CLI, ODCS ${String(doc.apiVersion)}` : 'Data Contract CLI, not YAML',
  );

  it('are the published files, unchanged', () => {
    expect(examples.map((e) => e.file)).toEqual(Object.keys(origin.files).sort());
    for (const e of examples) expect(gitBlobId(e.bytes), e.file).toBe(origin.files[e.file]!.blob);
  });

  it('number 114, of which 85 are valid against the ODCS version they declare and 1 is not YAML', () => {
    expect(examples).toHaveLength(114);
    expect(examples.filter((e) => e.doc && e.problems.length === 0)).toHaveLength(85);
    expect(examples.filter((e) => e.doc === undefined).map((e) => e.file)).toEqual([
      'tests/fixtures/odcs_v3/adventureworks.odcs.yaml',
    ]);
  });

  conformance(examples);
});
