import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../diagnostics.js';
import { loadYamlSource, type YamlLoadOptions } from './source.js';

const FILE = 'governance/use-cases/sepsis.yaml';

function load(text: string | Buffer, options?: YamlLoadOptions) {
  return loadYamlSource(text, FILE, options);
}

/** `line:col code message` per diagnostic, the shape users see. */
function problems(text: string | Buffer, options?: YamlLoadOptions): string[] {
  return load(text, options).diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.severity} ${d.code} ${d.path} | ${d.message}`,
  );
}

describe('loadYamlSource: accepted input', () => {
  it('reads a document with the YAML 1.2 core schema', () => {
    const { documents, diagnostics } = load('version: 1.10\nenabled: yes\ncount: 0x10\nlist: [a, "b"]\n');
    // `yes` stays a string, with a warning that YAML 1.1 readers such as kubectl would make it a boolean.
    expect(diagnostics).toEqual([
      {
        file: FILE,
        line: 2,
        col: 10,
        path: 'enabled',
        code: 'yaml.yaml11-boolean',
        message: '"yes" is a string here, but YAML 1.1 readers such as kubectl read it as a boolean',
        hint: 'quote it: enabled: "yes"',
        severity: 'warning',
      },
    ]);
    expect(documents).toHaveLength(1);
    expect(documents[0]!.value).toEqual({ version: 1.1, enabled: 'yes', count: 16, list: ['a', 'b'] });
  });

  it('keeps the core schema even under a %YAML 1.1 directive', () => {
    const { documents } = load('%YAML 1.1\n---\nenabled: yes\n');
    expect(documents[0]!.value).toEqual({ enabled: 'yes' });
  });

  it.each([
    ['a trailing ---', 'a: 1\n---\n', [{ a: 1 }]],
    ['only comments', '# nothing here\n# yet\n', []],
    ['an empty file', '', []],
    ['comment-only documents between others', '# head\n---\n# empty\n---\na: 1\n...\n# tail\n', [{ a: 1 }]],
    ['two documents', 'a: 1\n---\nb: 2\n', [{ a: 1 }, { b: 2 }]],
  ])('skips empty documents: %s', (_name, text, values) => {
    const { documents, diagnostics } = load(text);
    expect(diagnostics).toEqual([]);
    expect(documents.map((d) => d.value)).toEqual(values);
    expect(documents.map((d) => d.index)).toEqual(values.map((_, i) => i));
  });

  it('reports where each document starts', () => {
    const { documents } = load(
      '# header\nkind: UseCase\n---\n\nkind: DataContract\n---\n# note\nkind: ReleaseTrain\n',
    );
    expect(documents.map((d) => d.startLine)).toEqual([2, 3, 6]);
  });

  it('reads a Buffer as UTF-8 and drops a byte-order mark', () => {
    const { documents } = load(Buffer.from('\uFEFFname: caf\u00e9\n', 'utf8'));
    expect(documents[0]!.value).toEqual({ name: 'caf\u00e9' });
    expect(documents[0]!.locate(['name'])).toEqual({ line: 1, col: 7 });
  });

  it('does not let a __proto__ key reach the prototype', () => {
    const { documents } = load('__proto__:\n  polluted: true\n');
    const value = documents[0]!.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('allows aliases within the limit', () => {
    const text = `base: &b {x: 1}\n${Array.from({ length: 20 }, (_, i) => `k${i}: *b`).join('\n')}\n`;
    const { documents, diagnostics } = load(text);
    expect(diagnostics).toEqual([]);
    expect((documents[0]!.value as Record<string, unknown>).k19).toEqual({ x: 1 });
  });

  it('accepts nesting right at the depth limit', () => {
    const text = `${'['.repeat(64)}${']'.repeat(64)}\n`;
    expect(load(text).diagnostics).toEqual([]);
    const block = Array.from({ length: 64 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' leaf\n';
    expect(load(block).diagnostics).toEqual([]);
  });
});

describe('loadYamlSource: refused input', () => {
  it.each([
    [
      'duplicate key',
      'kind: UseCase\nmetadata:\n  name: sepsis\nowner: a\nowner: b\n',
      ['5:1 error yaml.duplicate-key owner | duplicate key "owner"; first at line 4'],
    ],
    [
      'duplicate nested key',
      'spec:\n  waves:\n    - name: a\n      gates: {minSoak: 1, minSoak: 2}\n',
      [
        '4:27 error yaml.duplicate-key spec.waves[0].gates.minSoak | duplicate key "minSoak"; first at line 4',
      ],
    ],
    [
      'duplicate key spelled differently',
      'a: 1\n"a": 2\n',
      ['2:1 error yaml.duplicate-key a | duplicate key "a"; first at line 1'],
    ],
    [
      'tab indentation',
      'spec:\n\towner: x\n',
      ['2:1 error yaml.tab-indent  | tabs are not allowed for indentation; use spaces'],
    ],
    [
      'tab after spaces',
      'spec:\n  a:\n  \tb: 1\n',
      ['3:3 error yaml.tab-indent  | tabs are not allowed for indentation; use spaces'],
    ],
    [
      'tab before a block scalar line',
      'a: |\n\tfoo\n',
      ['2:1 error yaml.tab-indent  | tabs are not allowed for indentation; use spaces'],
    ],
    [
      'tab in a flow sequence line',
      'a: [\n\t1]\n',
      ['2:1 error yaml.tab-indent  | tabs are not allowed for indentation; use spaces'],
    ],
    [
      'bad indentation',
      'a:\n  b: 1\n c: 2\n',
      ['3:1 error yaml.syntax  | all mapping items must start at the same column'],
    ],
    [
      'unclosed flow sequence',
      'a: [1, 2\nb: 3\n',
      [
        '2:1 error yaml.syntax  | flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    ],
    [
      'alias with no anchor',
      'a: *missing\n',
      ['1:4 error yaml.unknown-alias a | alias *missing has no anchor &missing before it'],
    ],
    [
      'a sequence as a key',
      '? [a, b]\n: 1\n',
      ['1:3 error yaml.complex-key  | a sequence cannot be used as a key; keys must be plain values'],
    ],
  ])('%s', (_name, text, expected) => {
    const result = load(text);
    expect(problems(text)).toEqual(expected);
    expect(result.documents).toEqual([]);
  });

  it('reports an unknown tag as a warning and keeps the document', () => {
    const text = 'a: !foo bar\n';
    expect(problems(text)).toEqual([
      '1:4 warning yaml.unknown-tag  | unknown tag !foo; the value is read as if untagged',
    ]);
    expect(load(text).documents[0]!.value).toEqual({ a: 'bar' });
  });

  it('counts lines the same with CRLF line endings', () => {
    expect(problems('a: 1\r\nb: 2\r\nb: 3\r\n')).toEqual([
      '3:1 error yaml.duplicate-key b | duplicate key "b"; first at line 2',
    ]);
  });

  it('formats a duplicate key as file:line:col', () => {
    const [d] = load('owner: a\nowner: b\n').diagnostics;
    expect(formatDiagnostic(d!)).toBe(`${FILE}:2:1: error: owner: duplicate key "owner"; first at line 1`);
  });

  it('refuses one document in a file too many when single', () => {
    const text = 'kind: UseCase\n---\nkind: DataContract\n---\nkind: ReleaseTrain\n';
    const result = load(text, { single: true });
    expect(result.diagnostics).toEqual([
      {
        file: FILE,
        line: 2,
        col: 1,
        path: '',
        code: 'yaml.multiple-documents',
        message: 'expected one document in this file, found 3',
        hint: 'put each object in its own file',
        severity: 'error',
      },
    ]);
    expect(result.documents).toEqual([]);
    expect(load('kind: UseCase\n---\n', { single: true }).diagnostics).toEqual([]);
    expect(load(text).documents).toHaveLength(3);
  });

  it('refuses a file over the byte limit without parsing it', () => {
    const text = `a: "${'x'.repeat(Math.round(3.2 * 1024 * 1024))}"\n`;
    expect(problems(text)).toEqual(['0:0 error yaml.too-large  | file is 3.2 MiB; the limit is 1 MiB']);
    expect(problems('a: 1\nb: [unclosed\n', { maxBytes: 8 })).toEqual([
      '0:0 error yaml.too-large  | file is 18 bytes; the limit is 8 bytes',
    ]);
    expect(problems('é', { maxBytes: 1 })).toEqual([
      '0:0 error yaml.too-large  | file is 2 bytes; the limit is 1 byte',
    ]);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(problems(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]))).toEqual([
      '0:0 error yaml.not-utf8  | file is not valid UTF-8 text',
    ]);
  });

  it('refuses the billion laughs at the alias-expansion limit', () => {
    const levels = 'abcdefghi';
    let text = `${levels[0]}: &${levels[0]} [${Array(9).fill('"lol"').join(', ')}]\n`;
    for (let i = 1; i < levels.length; i++) {
      const prev = levels[i - 1];
      text += `${levels[i]}: &${levels[i]} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    }
    const result = load(text);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${FILE}:2:8: error: b[0]: aliases expand beyond the limit (100); refusing a possible alias bomb ("billion laughs")`,
    ]);
    expect(result.documents).toEqual([]);
  });

  it('refuses 100,000 nested [ without overflowing the stack', () => {
    expect(problems('['.repeat(100_000))).toEqual([
      '1:65 error yaml.too-deep  | nesting is deeper than the limit of 64 levels',
    ]);
  });

  // How quickly each is refused is measured by npm run bench (bench/hostile-yaml.ts), not asserted here.
  it.each([
    ['a million-byte line of `- `', `${'- '.repeat(400_000)}x\n`, '1:129'],
    ['a million-byte line of `? `', `${'? '.repeat(400_000)}x\n`, '1:129'],
    ['`- [` repeated', `${'- ['.repeat(100_000)}\n`, '1:193'],
    [
      '1,400 indented block levels',
      `${Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} x\n`,
      '65:65',
    ],
  ])('refuses %s as too deep', (_name, text, where) => {
    expect(problems(text)).toEqual([
      `${where} error yaml.too-deep  | nesting is deeper than the limit of 64 levels`,
    ]);
  });

  it('refuses deep nesting that mixes block and flow collections', () => {
    // 40 block levels and 30 flow levels: neither alone is over 64.
    const block = Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n');
    const text = `${block} ${'['.repeat(30)}${']'.repeat(30)}\n`;
    expect(problems(text)).toEqual([
      `40:${78 + 'k39: '.length + 25} error yaml.too-deep  | nesting is deeper than the limit of 64 levels`,
    ]);
    expect(problems('a: [[[1]]]\n', { maxDepth: 3 })).toEqual([
      '1:6 error yaml.too-deep  | nesting is deeper than the limit of 3 levels',
    ]);
  });

  it('does not count brackets inside strings and comments as nesting', () => {
    const text = `a: "${'['.repeat(100)}" # ${'{'.repeat(100)}\nb: '${'['.repeat(100)}'\n`;
    expect(load(text).diagnostics).toEqual([]);
  });
});

describe('SourceDocument: locating fields', () => {
  const text = [
    'kind: ReleaseTrain', // 1
    'metadata:', // 2
    '  name: weekly', // 3
    'spec:', // 4
    '  version: 1.10', // 5
    '  owner:', // 6
    '  waves:', // 7
    '    - name: canary', // 8
    '      gates: {minSoak: 2h, quoted: "1.10"}', // 9
    '    - &second', // 10
    '      name: broad', // 11
    '  again: *second', // 12
  ].join('\n');
  const [doc] = loadYamlSource(text, FILE).documents;

  it.each([
    [['spec', 'version'], { line: 5, col: 12 }, { line: 5, col: 3 }],
    [['spec', 'waves', 0, 'name'], { line: 8, col: 13 }, { line: 8, col: 7 }],
    // A sequence item's "key" is the item itself; the anchor before it is not part of the node.
    [['spec', 'waves', 1], { line: 11, col: 7 }, { line: 11, col: 7 }],
    [['spec', 'waves', 0, 'gates', 'minSoak'], { line: 9, col: 24 }, { line: 9, col: 15 }],
    // An empty value is located at its key.
    [['spec', 'owner'], { line: 6, col: 3 }, { line: 6, col: 3 }],
    // Missing fields: the deepest node that exists.
    [['spec', 'waves', 0, 'missing'], { line: 8, col: 7 }, { line: 8, col: 7 }],
    [['spec', 'waves', 7], { line: 8, col: 5 }, { line: 7, col: 3 }],
    [['status'], { line: 1, col: 1 }, { line: 1, col: 1 }],
    [[], { line: 1, col: 1 }, { line: 1, col: 1 }],
    // Through an alias to where the anchor wrote it.
    [['spec', 'again', 'name'], { line: 11, col: 13 }, { line: 11, col: 7 }],
  ])('%j: value at %j, key at %j', (path, value, key) => {
    expect(doc!.locateValue(path)).toEqual(value);
    expect(doc!.locateKey(path)).toEqual(key);
    expect(doc!.locate(path)).toEqual(value);
    expect(doc!.locate(path, { preferKey: true })).toEqual(key);
  });

  it.each([
    [['spec', 'version'], '1.10'],
    [['spec', 'waves', 0, 'gates', 'quoted'], '"1.10"'],
    [['spec', 'waves', 0, 'gates', 'minSoak'], '2h'],
    [['spec', 'owner'], undefined],
    [['spec', 'waves'], undefined],
    [['nope'], undefined],
  ])('sourceText(%j) is %j', (path, written) => {
    expect(doc!.sourceText(path)).toBe(written);
  });
});

describe('SourceDocument: comments', () => {
  it('gives each document the comments in its part of the file', () => {
    const { documents } = loadYamlSource(
      '# head\na: 1 # trailing\n---\n# second\nb: [1, # inside\n  2]\n',
      FILE,
    );
    expect(documents.map((d) => d.comments)).toEqual([
      [
        { text: '# head', line: 1, col: 1 },
        { text: '# trailing', line: 2, col: 6 },
      ],
      [
        { text: '# second', line: 4, col: 1 },
        { text: '# inside', line: 5, col: 8 },
      ],
    ]);
  });
});
