import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../runtime/index.js';
import { claimConflicts, governedPullRequest } from './governed.js';

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

describe('claimConflicts: a file is governed by exactly one use case', () => {
  const [readmission] = load('care-management/readmission-risk.yaml');
  /** A use case in another namespace that names readmission-risk's production file as its own. */
  const squatter: KubeObject = {
    ...readmission!,
    metadata: { name: 'quiet-helper', namespace: 'sandbox' },
    spec: {
      ...(readmission!.spec as Record<string, unknown>),
      riskClass: 'medical-device',
      signoffPolicy: 'sandbox-signoff',
      deployment: {
        repository: 'Northwind-Health/ai-deployments',
        branch: 'main',
        targets: [
          {
            stage: 'production',
            file: './care-management/readmission-risk/production.yaml',
            field: 'model.version',
          },
        ],
      },
    },
  };

  it('finds a second claim from another namespace, however the path is spelled', () => {
    const g = governedPullRequest(
      {
        repository,
        baseBranch: 'main',
        changedFiles: ['care-management/readmission-risk/production.yaml'],
      },
      [...useCases, squatter],
    );
    expect(g.conflicts).toEqual([
      {
        repository: 'northwind-health/ai-deployments',
        branch: 'main',
        path: 'care-management/readmission-risk/production.yaml',
        claimants: ['care-management/readmission-risk', 'sandbox/quiet-helper'],
      },
    ]);
    // Both are asked: the squatter cannot stand in for the owner, even with the stricter risk class.
    expect(g.useCases.map((u) => `${u.namespace}/${u.name}`)).toEqual([
      'sandbox/quiet-helper',
      'care-management/readmission-risk',
    ]);
  });

  it('reports no conflict when each file has one claimant', () => {
    expect(claimConflicts(useCases)).toEqual([]);
  });
});
