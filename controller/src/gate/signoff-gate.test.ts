// The gate's decisions over a scripted forge: whatever cannot be read keeps the check failed, and a rate limit
// writes nothing at all.
import { describe, expect, it } from 'vitest';
import {
  type CheckRun,
  type CheckRunSpec,
  type Forge,
  ForgeUnavailableError,
  NotFoundError,
  type PullRequest,
} from '../forge/forge.js';
import { HEAD, policy } from '../signoff/test-fixtures.js';
import { SignoffUnavailableError } from './errors.js';
import { headCommittedAt, SignoffGate, teamsToRead } from './signoff-gate.js';

const now = new Date('2026-03-02T12:00:00Z');
const pr: PullRequest = {
  number: 7,
  url: 'https://github.com/northwind-health/ai-deployments/pull/7',
  state: 'open',
  merged: false,
  title: 't',
  body: '',
  author: 'platform-bot',
  head: { ref: 'b', sha: HEAD },
  base: { ref: 'main', sha: 'b'.repeat(40) },
  labels: [],
  draft: false,
  createdAt: '2026-03-01T08:00:00Z',
  updatedAt: '2026-03-01T08:00:00Z',
};

function scripted(overrides: Partial<Forge> = {}) {
  const writes: { op: string; run: Partial<CheckRunSpec> }[] = [];
  let stored: CheckRun | undefined;
  const forge = {
    getPullRequest: async () => pr,
    listReviews: async () => [
      { id: 1, login: 'ds-lead', state: 'APPROVED', submittedAt: '2026-03-01T10:00:00Z', commitId: HEAD },
      {
        id: 2,
        login: 'compliance-1',
        state: 'APPROVED',
        submittedAt: '2026-03-01T10:05:00Z',
        commitId: HEAD,
      },
    ],
    listCommits: async () => [
      {
        sha: HEAD,
        authorLogin: 'platform-bot',
        committerLogin: 'platform-bot',
        committedAt: '2026-03-01T09:00:00Z',
        message: 'm',
      },
    ],
    teamMembers: async (_org: string, team: string) =>
      ({ 'data-science': ['ds-lead'], compliance: ['compliance-1'] })[team] ?? [],
    findCheckRun: async () => stored,
    createCheckRun: async (_repo: string, run: CheckRunSpec) => {
      writes.push({ op: 'create', run });
      stored = {
        id: 1,
        name: run.name,
        headSha: run.headSha,
        status: run.status,
        conclusion: run.conclusion!,
        output: run.output!,
        url: '',
      };
      return stored;
    },
    updateCheckRun: async (_repo: string, id: number, run: Partial<CheckRunSpec>) => {
      writes.push({ op: 'update', run });
      stored = { ...stored!, id, ...run } as CheckRun;
      return stored;
    },
    ...overrides,
  } as unknown as Forge;
  return { forge, writes };
}

const request = {
  repository: 'northwind-health/ai-deployments',
  number: 7,
  riskClass: 'operational',
  signoffPolicy: { spec: policy },
  breakGlassEligible: false,
  now,
};

describe('SignoffGate', () => {
  it('signs off on complete inputs, and writes nothing the second time', async () => {
    const { forge, writes } = scripted();
    const gate = new SignoffGate({ forge });
    expect((await gate.evaluate(request)).result.conclusion).toBe('success');
    expect((await gate.evaluate(request)).checkRun).toBe('unchanged');
    expect(writes.map((w) => [w.op, w.run.conclusion])).toEqual([['create', 'success']]);
  });

  it('never succeeds when the commits could not be read, and says GitHub is unavailable', async () => {
    const { forge, writes } = scripted({
      listCommits: async () => {
        throw new ForgeUnavailableError(
          'GET commits',
          '502',
          new Date('2026-03-02T12:04:00Z'),
          'unavailable',
          502,
        );
      },
    });
    const outcome = await new SignoffGate({ forge }).evaluate(request);
    expect(outcome).toMatchObject({ complete: false, retryAt: new Date('2026-03-02T12:04:00Z') });
    expect(outcome.result.conclusion).toBe('failure');
    expect(writes[0]!.run.conclusion).toBe('failure');
    expect(writes[0]!.run.output?.title).toMatch(
      /GitHub unavailable until .*12:04 UTC; sign-off not evaluated$/,
    );
  });

  it('rate limited while gathering: throws, and writes nothing', async () => {
    const { forge, writes } = scripted({
      listReviews: async () => {
        throw new ForgeUnavailableError(
          'GET reviews',
          '403',
          new Date('2026-03-02T13:00:00Z'),
          'rate-limit',
          403,
        );
      },
    });
    const error = await new SignoffGate({ forge }).evaluate(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignoffUnavailableError);
    expect((error as SignoffUnavailableError).toWaitingError(now).retryAfterMs).toBe(3_600_000);
    expect(writes).toEqual([]);
  });

  it('treats an unknown team as nobody, not as an outage', async () => {
    const { forge } = scripted({
      teamMembers: async (_org: string, team: string) => {
        if (team === 'compliance') throw new NotFoundError('GET team', 'Not Found', 404);
        return ['ds-lead'];
      },
    });
    const outcome = await new SignoffGate({ forge }).evaluate(request);
    expect(outcome.complete).toBe(true);
    expect(outcome.result.roles.find((r) => r.role === 'compliance')?.missing?.code).toBe(
      'membership-unknown',
    );
  });
});

describe('teamsToRead and headCommittedAt', () => {
  it('reads the required roles’ teams, and the break-glass teams for a rollback', () => {
    const r = { riskClass: 'operational', signoffPolicy: { spec: policy } };
    expect(teamsToRead({ ...r, breakGlassEligible: false })).toEqual([
      'northwind-health/data-science',
      'northwind-health/compliance',
    ]);
    expect(teamsToRead({ ...r, breakGlassEligible: true })).toContain('northwind-health/clinical-safety');
  });

  it('takes the head commit’s committer date as the last push', () => {
    const commits = [
      { sha: HEAD, authorLogin: 'a', committerLogin: 'a', committedAt: '2026-03-01T09:00:00Z', message: '' },
    ];
    expect(headCommittedAt(commits, HEAD)).toBe('2026-03-01T09:00:00Z');
    expect(headCommittedAt(commits, 'other')).toBeUndefined();
  });
});
