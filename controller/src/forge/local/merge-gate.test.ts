import { describe, expect, it } from 'vitest';
import { decideMerge, type GateInput, mergeableState, requiredCheckState } from './merge-gate.js';

const HEAD = 'a'.repeat(40);
const base: GateInput = {
  open: true,
  merged: false,
  headSha: HEAD,
  conflicts: false,
  protection: {
    enforcedBy: 'branch-protection',
    requiredChecks: [{ context: 'vigil/sign-off' }],
    requiredApprovingReviewCount: 0,
  },
  checks: [],
  statuses: [],
  approvals: 0,
};
const VIGIL_APP = 7;
const run = (conclusion: string | null, status = 'completed', appId = VIGIL_APP) =>
  [{ name: 'vigil/sign-off', status, conclusion, appId }] as GateInput['checks'];

describe('decideMerge', () => {
  it.each([
    ['no check reported', {}, 405, 'Required status check "vigil/sign-off" is expected.'],
    ['check failing', { checks: run('failure') }, 405, 'Required status check "vigil/sign-off" is failing.'],
    [
      'check action_required',
      { checks: run('action_required') },
      405,
      'Required status check "vigil/sign-off" is failing.',
    ],
    [
      'check in progress',
      { checks: run(null, 'in_progress') },
      405,
      'Required status check "vigil/sign-off" is in progress.',
    ],
    [
      'status failure',
      { statuses: [{ context: 'vigil/sign-off', state: 'failure' }] },
      405,
      'Required status check "vigil/sign-off" is failing.',
    ],
    ['closed', { open: false, checks: run('success') }, 405, 'Pull Request is not mergeable'],
    ['merged', { merged: true, checks: run('success') }, 405, 'Pull Request is not mergeable'],
    ['conflicts', { conflicts: true, checks: run('success') }, 405, 'Pull Request is not mergeable'],
    [
      'stale sha',
      { expectedSha: 'b'.repeat(40), checks: run('success') },
      409,
      'Head branch was modified. Review and try the merge again.',
    ],
  ] as const)('refuses: %s', (_name, change, status, message) => {
    expect(decideMerge({ ...base, ...(change as Partial<GateInput>) })).toMatchObject({
      allowed: false,
      status,
      message,
    });
  });

  it.each([
    ['success', { checks: run('success') }],
    // As on GitHub: neutral and skipped satisfy a required check.
    ['neutral', { checks: run('neutral') }],
    ['skipped', { checks: run('skipped') }],
    ['a success status', { statuses: [{ context: 'vigil/sign-off', state: 'success' }] }],
    ['no protection', { protection: undefined }],
    ['the right sha', { expectedSha: HEAD, checks: run('success') }],
  ] as const)('allows: %s', (_name, change) => {
    expect(decideMerge({ ...base, ...(change as Partial<GateInput>) })).toEqual({ allowed: true });
  });

  it('words a ruleset refusal as a rule violation', () => {
    const d = decideMerge({ ...base, protection: { ...base.protection!, enforcedBy: 'ruleset' } });
    expect(d).toMatchObject({
      status: 405,
      message: 'Repository rule violations found\n\nRequired status check "vigil/sign-off" is expected.\n\n',
    });
  });

  it('counts several required checks and required approvals', () => {
    const protection = {
      enforcedBy: 'branch-protection' as const,
      requiredChecks: [{ context: 'vigil/sign-off' }, { context: 'ci' }],
      requiredApprovingReviewCount: 1,
    };
    const d = decideMerge({
      ...base,
      protection,
      checks: [{ name: 'ci', status: 'completed', conclusion: 'failure', appId: 9 }],
    });
    expect(d).toMatchObject({
      message:
        'At least 1 approving review is required by reviewers with write access.\n1 of 2 required status checks are failing.',
    });
  });
});

describe('requiredCheckState and mergeableState', () => {
  it('prefers the check run over a commit status of the same name', () => {
    expect(
      requiredCheckState('vigil/sign-off', run('failure'), [{ context: 'vigil/sign-off', state: 'success' }]),
    ).toBe('failing');
  });

  it('is dirty, blocked, unstable or clean', () => {
    expect(mergeableState({ ...base, conflicts: true })).toBe('dirty');
    expect(mergeableState(base)).toBe('blocked');
    expect(
      mergeableState({
        ...base,
        checks: [...run('success'), { name: 'lint', status: 'completed', conclusion: 'failure', appId: 9 }],
      }),
    ).toBe('unstable');
    expect(mergeableState({ ...base, checks: run('success') })).toBe('clean');
  });
});

describe('a required check pinned to an App', () => {
  const pinned: GateInput = {
    ...base,
    protection: { ...base.protection!, requiredChecks: [{ context: 'vigil/sign-off', appId: VIGIL_APP }] },
  };

  it("is satisfied by that App's run", () => {
    expect(decideMerge({ ...pinned, checks: run('success') })).toEqual({ allowed: true });
  });

  it("is not satisfied by another App's run of the same name, nor by a commit status", () => {
    expect(decideMerge({ ...pinned, checks: run('success', 'completed', 99) })).toMatchObject({
      allowed: false,
      message: 'Required status check "vigil/sign-off" is expected.',
    });
    expect(
      decideMerge({ ...pinned, statuses: [{ context: 'vigil/sign-off', state: 'success' }] }),
    ).toMatchObject({ allowed: false, message: 'Required status check "vigil/sign-off" is expected.' });
  });

  it("reads only its own App's latest run: a later run by another App does not shadow it", () => {
    const checks = [...run('failure'), ...run('success', 'completed', 99)];
    expect(requiredCheckState({ context: 'vigil/sign-off', appId: VIGIL_APP }, checks, [])).toBe('failing');
    // Unpinned, the latest run of the name from any App counts.
    expect(requiredCheckState({ context: 'vigil/sign-off' }, checks, [])).toBe('passing');
  });

  it('lets an actor who may bypass merge, and stops one who may not push', () => {
    expect(decideMerge({ ...pinned, bypass: true })).toEqual({ allowed: true });
    expect(decideMerge({ ...pinned, checks: run('success'), pushRefusal: 'no' })).toMatchObject({
      allowed: false,
      status: 405,
      message: 'no',
    });
  });
});
