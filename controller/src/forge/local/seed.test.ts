import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initialFiles, loadSeed, SeedError } from './seed.js';

const minimal = {
  organizations: [{ login: 'northwind-health', teams: [{ slug: 'data-science', members: ['ds-lead'] }] }],
  users: [{ login: 'ds-lead', token: 'token-ds-lead' }],
};

describe('loadSeed', () => {
  it('fills defaults', () => {
    const { seed } = loadSeed({
      ...minimal,
      repositories: [{ fullName: 'northwind-health/ai-deployments' }],
    });
    expect(seed.repositories[0]).toMatchObject({ defaultBranch: 'main', private: true });
    expect(seed.users[0]?.type).toBe('User');
  });

  it.each([
    [
      { ...minimal, users: [{ login: 'ds-lead', token: 'short' }] },
      'users.0.token: must be at least 8 characters',
    ],
    [
      {
        ...minimal,
        organizations: [{ login: 'northwind-health', teams: [{ slug: 'data-science', members: ['ds-9'] }] }],
      },
      'organizations.0.teams.0.members.0: "ds-9" is not one of the seed\'s users',
    ],
    [
      { ...minimal, repositories: [{ fullName: 'elsewhere/repo' }] },
      'repositories.0.fullName: owner "elsewhere" is not a seed organisation',
    ],
    [
      { ...minimal, repositories: [{ fullName: 'ai-deployments' }] },
      'repositories.0.fullName: must be "owner/name"',
    ],
    [
      { ...minimal, users: [...minimal.users, { login: 'ds-2', token: 'token-ds-lead' }] },
      'users.1.token: the same token is given to two users',
    ],
  ])('names the field of a mistake', (seed, message) => {
    expect(() => loadSeed(seed as never)).toThrow(SeedError);
    expect(() => loadSeed(seed as never)).toThrow(message);
  });

  it('never puts a token in its errors', () => {
    const bad = { ...minimal, users: [...minimal.users, { login: 'ds-2', token: 'token-ds-lead' }] };
    expect(() => loadSeed(bad)).not.toThrow(/token-ds-lead/);
  });
});

describe('initialFiles', () => {
  it('keeps each directory of a list under its own name, as the governance repository of the examples does', () => {
    const examples = fileURLToPath(new URL('../../../../examples/forge/', import.meta.url));
    const { seed, baseDir } = loadSeed(join(examples, 'seed.yaml'));
    const governance = seed.repositories.find((r) => r.fullName === 'northwind-health/ai-governance')!;
    const files = [...initialFiles(governance, baseDir).keys()];
    expect(files).toContain('care-management/clinical-signoff.yaml');
    expect(files).toContain('utilization-management/um-signoff.yaml');
    // Every file sits under one of the four areas the policies' spec.governance.paths name.
    expect(new Set(files.map((f) => f.split('/')[0]))).toEqual(
      new Set(['care-management', 'clinical-documentation', 'revenue-cycle', 'utilization-management']),
    );
  });
});
