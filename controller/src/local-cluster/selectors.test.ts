import { describe, expect, it } from 'vitest';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  readField,
} from './selectors.js';

describe('label selectors', () => {
  it.each([
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'db' }, false],
    ['app!=web', { app: 'db' }, true],
    ['app!=web', {}, true],
    ['env in (prod, staging)', { env: 'staging' }, true],
    ['env notin (prod)', { env: 'prod' }, false],
    ['tier', { tier: '' }, true],
    ['!legacy', { legacy: 'x' }, false],
    ['app=web,env in (a,b)', { app: 'web', env: 'b' }, true],
    ['', undefined, true],
  ])('%s against %j is %s', (text, labels, expected) => {
    expect(matchesLabels(parseLabelSelector(text), labels as Record<string, string> | undefined)).toBe(
      expected,
    );
  });

  it('refuses what it cannot parse with the real wording', () => {
    expect(() => parseLabelSelector('a b c')).toThrow(/unable to parse requirement/);
  });
});

describe('field selectors', () => {
  it('matches equality and inequality and refuses fields the resource does not index', () => {
    const reqs = parseFieldSelector('metadata.name=a,involvedObject.kind!=Pod', [
      'metadata.name',
      'involvedObject.kind',
    ]);
    const obj = { metadata: { name: 'a' }, involvedObject: { kind: 'UseCase' } };
    expect(matchesFields(reqs, (f) => readField(obj, f))).toBe(true);
    expect(() => parseFieldSelector('spec.title=x', ['metadata.name'])).toThrow(
      'field label not supported: spec.title',
    );
  });
});
