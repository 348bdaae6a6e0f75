// Which SignoffPolicies a file declares, and whether one is the policy the cluster holds: table tests.
import { describe, expect, it } from 'vitest';
import { signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import { declaresPolicy, declaresSpec, isManifestPath, policiesDeclaredIn } from './declarations.js';

const spec = {
  roles: [{ name: 'compliance', team: 'northwind-health/compliance' }],
  requirements: [{ riskClass: 'operational', roles: ['compliance'] }],
  enforcement: { repository: 'northwind-health/ai-deployments' },
};
const doc = (head: string) => `${head}\nspec: ${JSON.stringify(spec)}\n`;

describe('policiesDeclaredIn', () => {
  it.each([
    [
      'a policy with a namespace',
      doc('apiVersion: vigil.dev/v1alpha1\nkind: SignoffPolicy\nmetadata: { name: p, namespace: ns }'),
      [{ name: 'p', namespace: 'ns' }],
    ],
    [
      'a policy without one',
      doc('apiVersion: vigil.dev/v1alpha1\nkind: SignoffPolicy\nmetadata: { name: p }'),
      [{ name: 'p' }],
    ],
    ['another kind', doc('apiVersion: vigil.dev/v1alpha1\nkind: UseCase\nmetadata: { name: p }'), []],
    ['another API group', doc('apiVersion: example.com/v1\nkind: SignoffPolicy\nmetadata: { name: p }'), []],
    ['no name', doc('apiVersion: vigil.dev/v1alpha1\nkind: SignoffPolicy\nmetadata: {}'), []],
    ['text that is not YAML', 'kind: SignoffPolicy\n\tname: [', []],
  ])('%s', (_, text, expected) => {
    expect(policiesDeclaredIn(text, 'x.yaml').map(({ spec: _s, ...rest }) => rest)).toEqual(expected);
  });

  it('reads every document of a multi-document file', () => {
    const text = `${doc('apiVersion: vigil.dev/v1alpha1\nkind: SignoffPolicy\nmetadata: { name: a }')}---\n${doc('apiVersion: vigil.dev/v1alpha1\nkind: SignoffPolicy\nmetadata: { name: b, namespace: ns }')}`;
    expect(policiesDeclaredIn(text, 'x.yaml').map((d) => d.name)).toEqual(['a', 'b']);
  });
});

describe('declaresPolicy and declaresSpec', () => {
  it('matches the name, and the namespace where the document names one', () => {
    expect(declaresPolicy({ name: 'p', spec }, 'any', 'p')).toBe(true);
    expect(declaresPolicy({ name: 'p', namespace: 'ns', spec }, 'ns', 'p')).toBe(true);
    expect(declaresPolicy({ name: 'p', namespace: 'other', spec }, 'ns', 'p')).toBe(false);
    expect(declaresPolicy({ name: 'q', spec }, 'ns', 'p')).toBe(false);
  });

  it('compares specs with the schema defaults filled in on both sides', () => {
    const applied = signoffPolicySpec.parse(spec);
    expect(declaresSpec({ name: 'p', spec }, applied)).toBe(true);
    expect(
      declaresSpec({ name: 'p', spec: { ...spec, rules: { separationOfDuties: false } } }, applied),
    ).toBe(false);
    expect(declaresSpec({ name: 'p', spec: { roles: 'not a list' } }, applied)).toBe(false);
  });

  it('looks only in YAML and JSON files', () => {
    expect(['a.yaml', 'b.YML', 'c.json', 'README.md', 'x.yaml.bak'].filter(isManifestPath)).toEqual([
      'a.yaml',
      'b.YML',
      'c.json',
    ]);
  });
});
