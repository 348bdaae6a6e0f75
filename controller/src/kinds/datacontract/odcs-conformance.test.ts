// Every example the Open Data Contract Standard publishes, at each v3 release: a document valid against the JSON
// Schema of the version it declares imports, and exports again as it came in; one that is not is refused with
// the schema's errors at file:line:col.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatDiagnostic } from '../../diagnostics.js';
import { exportOdcs, importOdcs, importOdcsText, validateOdcs } from './odcs.js';
import { ODCS_VERSIONS } from './odcs-schema.js';

const FIXTURES = join(import.meta.dirname, '../../../../test/fixtures/datacontract/odcs-standard');
const origin = JSON.parse(readFileSync(join(FIXTURES, 'origin.json'), 'utf8')) as {
  tags: Record<string, string>;
  files: Record<string, { source: string; blob: string }>;
};
const OWNER = { ownerTeam: 'northwind-health/data-platform' };

/** The id git gives a file's content, as in `git rev-parse <tag>:<path>`. */
const gitBlobId = (bytes: Buffer) =>
  createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]))
    .digest('hex');

const examples = (readdirSync(FIXTURES, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.odcs.yaml'))
  .map((f) => f.split('\\').join('/'))
  .sort()
  .map((file) => {
    const bytes = readFileSync(join(FIXTURES, file));
    const text = bytes.toString('utf8');
    const doc = parse(text) as Record<string, unknown>;
    return { file, tag: file.split('/')[0]!, bytes, text, doc, problems: validateOdcs(doc) };
  });

// What the standard's repository holds at each tag, and how many of its examples are valid against the version
// they declare (three at v3.1.0 take up v3.1 shapes under an older apiVersion).
const EXPECTED: Record<string, { examples: number; valid: number }> = {
  'v3.0.0': { examples: 16, valid: 16 },
  'v3.0.1': { examples: 18, valid: 18 },
  'v3.0.2': { examples: 18, valid: 18 },
  'v3.1.0': { examples: 18, valid: 15 },
};

const tally = new Map<
  string,
  { examples: number; valid: number; imported: number; lossless: number; refused: number }
>();
const count = (tag: string, field: 'examples' | 'valid' | 'imported' | 'lossless' | 'refused') => {
  const t = tally.get(tag) ?? { examples: 0, valid: 0, imported: 0, lossless: 0, refused: 0 };
  t[field]++;
  tally.set(tag, t);
};

afterAll(() => {
  // The counts, for whoever runs the suite: one line per release of the standard.
  for (const [tag, t] of [...tally].sort()) {
    console.log(
      `ODCS ${tag}: ${t.examples} examples, ${t.valid} valid against their declared version, ` +
        `${t.imported} imported, ${t.lossless} exported unchanged, ${t.refused} refused`,
    );
  }
});

describe('the ODCS examples in the project', () => {
  it('are the published files, unchanged, for every v3 release', () => {
    expect(Object.keys(origin.tags).sort()).toEqual([...ODCS_VERSIONS].sort());
    expect(examples.map((e) => e.file)).toEqual(Object.keys(origin.files).sort());
    for (const e of examples) expect(gitBlobId(e.bytes), e.file).toBe(origin.files[e.file]!.blob);
  });

  it.each(Object.entries(EXPECTED))('number %s and its valid ones as published', (tag, expected) => {
    const mine = examples.filter((e) => e.tag === tag);
    expect({
      examples: mine.length,
      valid: mine.filter((e) => e.problems.length === 0).length,
    }).toEqual(expected);
  });
});

describe.each(examples)('$file', ({ file, tag, text, doc, problems }) => {
  const imported = importOdcsText(text, file, OWNER);
  const errors = imported.diagnostics.filter((d) => d.severity === 'error');
  count(tag, 'examples');

  if (problems.length === 0) {
    count(tag, 'valid');

    it(`imports (valid ODCS ${String(doc.apiVersion)})`, () => {
      expect(errors.map(formatDiagnostic)).toEqual([]);
      expect(imported.value?.kind).toBe('DataContract');
      count(tag, 'imported');
    });

    it('exports exactly the document it imported', () => {
      const exported = exportOdcs(imported.value!);
      expect(exported).toEqual(doc);
      expect(validateOdcs(exported)).toEqual([]);
      count(tag, 'lossless');
    });

    it('imports its export to the same DataContract', () => {
      expect(importOdcs(exportOdcs(imported.value!), OWNER).value).toEqual(imported.value);
    });
  } else {
    it(`is refused, with the errors of ODCS ${String(doc.apiVersion)}'s schema at file:line:col`, () => {
      expect(imported.value).toBeUndefined();
      expect(errors.length).toBe(problems.length);
      for (const e of errors) {
        expect(e.file).toBe(file);
        expect(e.line, formatDiagnostic(e)).toBeGreaterThan(0);
        expect(e.col, formatDiagnostic(e)).toBeGreaterThan(0);
      }
      expect(errors.map((e) => e.message).sort()).toEqual(problems.map((p) => p.message).sort());
      count(tag, 'refused');
    });
  }
});
