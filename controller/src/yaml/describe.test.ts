import { describe, expect, it } from 'vitest';
import { describeFound, numberWhereStringHint } from './describe.js';
import { loadYamlSource } from './source.js';

const text = [
  'version: 1.10',
  'quoted: "1.10"',
  'count: 3',
  'hex: 0x1F',
  'enabled: true',
  'capital: True',
  'name: sepsis-alert',
  'empty:',
  'tilde: ~',
  'list: [1.0, "a", 2]',
  'none: []',
  'map: {a: 1}',
  'tagged: !!str 1.10',
  'inf: .inf',
].join('\n');
const doc = loadYamlSource(text, 'x.yaml').documents[0]!;

describe('describeFound and numberWhereStringHint', () => {
  it.each([
    [['version'], 'the number 1.1 (written 1.10)', 'quote it: version: "1.10"'],
    [['quoted'], 'the string "1.10"', undefined],
    [['count'], 'the number 3', 'quote it: count: "3"'],
    [['hex'], 'the number 31 (written 0x1F)', 'quote it: hex: "0x1F"'],
    [['enabled'], 'the boolean true', 'quote it: enabled: "true"'],
    [['capital'], 'the boolean true (written True)', 'quote it: capital: "True"'],
    [['name'], 'the string "sepsis-alert"', undefined],
    [['empty'], 'an empty value', undefined],
    [['tilde'], 'null (written ~)', undefined],
    [['list'], 'a list of 3 items', undefined],
    [['list', 0], 'the number 1 (written 1.0)', 'quote it: "1.0"'],
    [['none'], 'an empty list', undefined],
    [['map'], 'a mapping', undefined],
    [['tagged'], 'the string "1.10"', undefined],
    [['inf'], 'the number Infinity (written .inf)', 'quote it: inf: ".inf"'],
    [['missing'], 'nothing', undefined],
  ])('%j: found %s, hint %s', (path, found, hint) => {
    expect(describeFound(doc, path)).toBe(found);
    expect(numberWhereStringHint(doc, path)).toBe(hint);
  });

  it('shortens long strings', () => {
    const long = loadYamlSource(`a: ${'x'.repeat(50)}\n`, 'x.yaml').documents[0]!;
    expect(describeFound(long, ['a'])).toBe(`the string "${'x'.repeat(40)}…"`);
  });

  it('reads as the checklist asks', () => {
    expect(`expected a string, found ${describeFound(doc, ['version'])}`).toBe(
      'expected a string, found the number 1.1 (written 1.10)',
    );
  });
});
