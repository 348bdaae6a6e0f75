import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../runtime/index.js';
import { governedPullRequest } from './governed.js';

const load = (path: string): KubeObject[] =>
  parseAllDocuments(readFileSync(new URL(`../../../examples/${path}`, import.meta.url), 'utf8'))
    .map((d) => d.toJS() as KubeObject)
    .filter((o) => o?.kind === 'UseCase');
const useCases = [
  ...load('care-management/readmission-risk.yaml'),
  ...load('revenue-cycle/denials-triage.yaml'),
];
const repository = 'northwind-health/ai-deployments';

describe('governedPullRequest', () => {
  it('governs a hand-made change to deployed versions, under the strictest risk class it touches', () => {
    const g = governedPullRequest(
      {
        repository: 'Northwind-Health/AI-Deployments',
        baseBranch: 'main',
        changedFiles: [
          'revenue-cycle/denials-triage/production.yaml',
          'care-management/readmission-risk/silent.yaml',
          'README.md',
        ],
      },
      useCases,
    );
    expect(g.governed).toBe(true);
    expect(g.riskClass).toBe('clinical-decision-support');
    expect(g.governing).toMatchObject({ namespace: 'care-management', name: 'readmission-risk' });
    expect(g.useCases.map((u) => [u.name, u.riskClass, u.files])).toEqual([
      [
        'readmission-risk',
        'clinical-decision-support',
        [{ path: 'care-management/readmission-risk/silent.yaml', stage: 'silent' }],
      ],
      [
        'denials-triage',
        'operational',
        [{ path: 'revenue-cycle/denials-triage/production.yaml', stage: 'production' }],
      ],
    ]);
  });

  it.each([
    ['no governed file', repository, 'main', ['README.md']],
    [
      'another repository',
      'northwind-health/other',
      'main',
      ['care-management/readmission-risk/silent.yaml'],
    ],
    ['another base branch', repository, 'release', ['care-management/readmission-risk/silent.yaml']],
  ])('does not govern a change with %s', (_, repo, base, files) => {
    expect(
      governedPullRequest({ repository: repo, baseBranch: base, changedFiles: files }, useCases),
    ).toEqual({
      governed: false,
      useCases: [],
    });
  });
});
