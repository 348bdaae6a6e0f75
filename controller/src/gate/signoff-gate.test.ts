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
  type PullRequestReview,
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
  /** Every forge method called, in order. */
  const calls: string[] = [];
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
    readTimeline: async () => ({ dismissals: [], forcePushes: [] }),
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
  const counted = new Proxy(forge, {
    get(target, name: string) {
      const fn = (target as unknown as Record<string, unknown>)[name];
      return typeof fn === 'function'
        ? (...args: unknown[]) => {
            calls.push(name);
            return (fn as (...a: unknown[]) => unknown)(...args);
          }
        : fn;
    },
  });
  return { forge: counted, writes, calls };
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

  it('rate limited while gathering, remembering nothing: throws, and writes one failing run in place of any', async () => {
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
    const gate = new SignoffGate({ forge });
    const error = await gate.evaluate(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignoffUnavailableError);
    expect((error as SignoffUnavailableError).toWaitingError(now).retryAfterMs).toBe(3_600_000);
    // A success set before a restart may stand on the head, and finding it would take a read: a new run of the
    // check, failing and saying why, takes its place.
    expect(writes.map((w) => [w.op, w.run.headSha, w.run.conclusion])).toEqual([['create', HEAD, 'failure']]);
    expect(writes[0]!.run.output?.title).toMatch(/^Not signed off: GitHub rate limit in force until /);
    // Once written, the next pass that cannot read writes nothing more.
    await gate.evaluate(request).catch(() => undefined);
    expect(writes).toHaveLength(1);
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

describe('what the gate reads', () => {
  const approvals = [
    { id: 1, login: 'ds-lead', state: 'APPROVED', submittedAt: '2026-03-01T10:00:00Z', commitId: HEAD },
    { id: 2, login: 'compliance-1', state: 'APPROVED', submittedAt: '2026-03-01T10:05:00Z', commitId: HEAD },
  ] as const;

  it('reads each team once per evaluation, so an approver who left the team no longer counts', async () => {
    let dataScience = ['ds-lead'];
    const { forge, calls } = scripted({
      teamMembers: async (_org: string, team: string) =>
        team === 'data-science' ? dataScience : ['compliance-1'],
    });
    const gate = new SignoffGate({ forge });
    expect((await gate.evaluate(request)).result.conclusion).toBe('success');
    expect(calls.filter((c) => c === 'teamMembers')).toHaveLength(2);
    dataScience = [];
    const after = await gate.evaluate(request);
    expect(calls.filter((c) => c === 'teamMembers')).toHaveLength(4);
    expect(after.result.conclusion).toBe('failure');
    expect(after.result.ignored.find((i) => i.login === 'ds-lead')?.reason).toBe('not-a-member');
  });

  it('reads no team while no review approves or objects: every role waits for an approval', async () => {
    const { forge, calls } = scripted({
      listReviews: async () => [
        { id: 3, login: 'ds-lead', state: 'COMMENTED', submittedAt: '2026-03-01T10:00:00Z', commitId: HEAD },
      ],
    });
    const outcome = await new SignoffGate({ forge }).evaluate(request);
    expect(calls).not.toContain('teamMembers');
    expect(outcome.result.conclusion).toBe('failure');
    expect(outcome.result.roles.map((r) => r.missing?.code)).toEqual(['no-approval', 'no-approval']);
  });

  it('uses the pull request and reviews in hand, and reads the commits once per head', async () => {
    const { forge, calls } = scripted();
    const gate = new SignoffGate({ forge });
    const held = { pullRequest: pr, reviews: [...approvals] };
    await gate.evaluate({ ...request, inHand: held });
    await gate.evaluate({ ...request, inHand: held });
    expect(calls.filter((c) => ['getPullRequest', 'listReviews', 'listCommits'].includes(c))).toEqual([
      'listCommits',
    ]);
    const pushed = { ...pr, head: { ref: 'b', sha: 'c'.repeat(40) } };
    await gate.evaluate({ ...request, inHand: { pullRequest: pushed } });
    expect(calls.filter((c) => c === 'listCommits')).toHaveLength(2);
    expect(calls.filter((c) => c === 'listReviews')).toHaveLength(1);
  });

  it('never succeeds on an approval of an older head, whatever was in hand', async () => {
    const { forge } = scripted();
    const pushed = { ...pr, head: { ref: 'b', sha: 'c'.repeat(40) } };
    const outcome = await new SignoffGate({ forge }).evaluate({
      ...request,
      inHand: { pullRequest: pushed, reviews: [...approvals] },
    });
    expect(outcome.headSha).toBe('c'.repeat(40));
    expect(outcome.result.conclusion).toBe('failure');
    expect(outcome.result.ignored.map((i) => i.reason)).toEqual(['stale', 'stale']);
  });

  it('on a pull request it just opened: reads no review, no team and no check run, and creates the check', async () => {
    const { forge, calls, writes } = scripted();
    const outcome = await new SignoffGate({ forge }).evaluate({
      ...request,
      inHand: { pullRequest: pr, justOpened: true },
    });
    expect(calls).toEqual(['listCommits', 'createCheckRun']);
    expect(outcome.result.conclusion).toBe('failure');
    expect(writes.map((w) => w.op)).toEqual(['create']);
  });

  it('updates its own check run without a search when the decision changed, and searches before leaving it', async () => {
    let reviews: PullRequestReview[] = [];
    const { forge, calls, writes } = scripted({ listReviews: async () => reviews });
    const gate = new SignoffGate({ forge });
    await gate.evaluate(request);
    expect(calls.filter((c) => c === 'findCheckRun')).toHaveLength(1);
    reviews = [...approvals];
    expect((await gate.evaluate(request)).result.conclusion).toBe('success');
    expect(calls.filter((c) => c === 'findCheckRun')).toHaveLength(1);
    expect(writes.map((w) => [w.op, w.run.conclusion])).toEqual([
      ['create', 'failure'],
      ['update', 'success'],
    ]);
    expect((await gate.evaluate(request)).checkRun).toBe('unchanged');
    expect(calls.filter((c) => c === 'findCheckRun')).toHaveLength(2);
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
