import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UseCase, type UseCaseSpec } from '../../../../specs/usecase.js';
import { missingReferenceMessage, references, refersTo } from './references.js';

const useCase = (file: string): UseCaseSpec =>
  UseCase.parse(parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'))).spec;

const denials = useCase('revenue-cycle/denials-triage.yaml');

describe('references', () => {
  it('lists contracts, train, surveillance and sign-off policy, each with the path that names it', () => {
    expect(references(denials)).toEqual([
      {
        kind: 'DataContract',
        name: 'claims-remittance',
        path: ['spec', 'dataContracts', 0, 'name'],
        version: '2.1.0',
      },
      { kind: 'ReleaseTrain', name: 'monthly-release', path: ['spec', 'releaseTrain'] },
      {
        kind: 'SurveillancePolicy',
        name: 'denials-triage-surveillance',
        path: ['spec', 'surveillancePolicy'],
      },
      { kind: 'SignoffPolicy', name: 'governance-signoff', path: ['spec', 'signoffPolicy'] },
    ]);
  });

  it('leaves out what the use case does not name: no surveillance policy, an unpinned contract version', () => {
    const ambient = useCase('clinical-documentation/ambient-documentation.yaml');
    const { surveillancePolicy: _, ...unwatched } = ambient;
    expect(references(unwatched as UseCaseSpec).map((r) => r.kind)).toEqual([
      'DataContract',
      'ReleaseTrain',
      'SignoffPolicy',
    ]);
    expect(references(ambient)[0]).toEqual({
      kind: 'DataContract',
      name: 'note-drafts',
      path: ['spec', 'dataContracts', 0, 'name'],
    });
  });
});

describe('refersTo', () => {
  const cases: [kind: string, name: string, expected: boolean][] = [
    ['DataContract', 'claims-remittance', true],
    ['DataContract', 'claims-remittance-v3', false],
    ['ReleaseTrain', 'monthly-release', true],
    ['ReleaseTrain', 'claims-remittance', false], // the kind matters, not just the name
    ['SurveillancePolicy', 'denials-triage-surveillance', true],
    ['SignoffPolicy', 'governance-signoff', true],
    ['SignoffPolicy', 'um-signoff', false],
    ['UseCase', 'denials-triage', false],
  ];
  it.each(cases)('%s "%s" -> %s', (kind, name, expected) => {
    expect(refersTo(denials, kind, name)).toBe(expected);
  });
});

describe('missingReferenceMessage', () => {
  it('names the kind, the object and the namespace', () => {
    expect(missingReferenceMessage('ReleaseTrain', 'x', 'y')).toBe(
      'ReleaseTrain "x" not found in namespace "y"',
    );
  });
});
