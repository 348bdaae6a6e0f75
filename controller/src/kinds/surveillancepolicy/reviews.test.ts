// The review issue's work over a fake forge: what is pending, found again by its marker, refused for PHI or for
// want of a repository, and left pending (with a retry) when the forge fails.
import { describe, expect, it } from 'vitest';
import { surveillancePolicySpec } from '../../../../specs/surveillancepolicy.js';
import { type Forge, ForgeUnavailableError, type Issue } from '../../forge/forge.js';
import { REVIEW_LABEL, reviewMarker, reviewPending, settleReviews } from './reviews.js';
import type { ActionRecord } from './status.js';

const NOW = new Date('2026-08-02T00:00:00Z');
const REPO = 'northwind-health/ai-governance';
const spec = surveillancePolicySpec.parse({
  inferenceLog: { uri: 'log.csv' },
  metrics: [
    {
      name: 'auroc',
      kind: 'performance',
      source: { sql: 'select 1' },
      baseline: 0.8,
      direction: 'higher-is-better',
      segments: ['site'],
      tiers: [
        { at: 5, action: 'notify' },
        { at: 20, action: 'review' },
      ],
    },
  ],
});
const review: ActionRecord = {
  at: '2026-08-01T00:00:00Z',
  metric: 'auroc[site=north]',
  tier: 'review',
  action: 'review',
  useCase: 'uc',
};
const metrics = [
  {
    name: 'auroc',
    segment: 'site=north',
    value: 0.6,
    baseline: 0.8,
    degradation: 25,
    samples: 400,
    tier: 'review',
  },
];

/** A forge that keeps issues in memory and counts calls; `fail` makes every call throw it. */
function fakeForge(existing: Issue[] = [], fail?: Error) {
  const issues = [...existing];
  const calls: string[] = [];
  const forge = {
    async listIssues(repo: string, query: { labels?: string[] }) {
      calls.push(`list ${repo} ${query.labels?.join(',')}`);
      if (fail) throw fail;
      return issues.filter(
        (i) => i.state === 'open' && (query.labels ?? []).every((l) => i.labels.includes(l)),
      );
    },
    async createIssue(repo: string, issue: { title: string; body: string; labels?: string[] }) {
      calls.push(`create ${repo}`);
      if (fail) throw fail;
      const number = issues.length + 1;
      const url = `https://forge.test/${repo}/issues/${number}`;
      issues.push({
        ...issue,
        labels: issue.labels ?? [],
        number,
        url,
        state: 'open',
        author: 'vigil[bot]',
        createdAt: '',
      });
      return { number, url };
    },
    async createComment(_repo: string, number: number, body: string) {
      calls.push(`comment ${number} ${body.split('\n')[0]}`);
      return { id: 1, url: '' };
    },
    async updateIssue(_repo: string, number: number, change: { state?: string }) {
      calls.push(`update ${number} ${change.state}`);
      const issue = issues.find((i) => i.number === number)!;
      issue.state = change.state === 'closed' ? 'closed' : 'open';
      return issue;
    },
  };
  return { forge: forge as unknown as Forge, issues, calls };
}

const input = (forge: Forge, actions: ActionRecord[], repo: string | null = REPO) => ({
  forge,
  namespace: 'ns',
  policy: 'watch',
  spec,
  actions,
  metrics,
  repositoryOf: () => repo ?? undefined,
  versionOf: () => '2.4.0',
  now: NOW,
});

describe('settleReviews', () => {
  it('opens one labelled issue with the evidence, and then has nothing pending', async () => {
    const { forge, issues, calls } = fakeForge();
    const out = await settleReviews(input(forge, [review]));
    expect(calls).toEqual([`list ${REPO} ${REVIEW_LABEL}`, `create ${REPO}`]);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.title).toBe('Surveillance review: uc auroc (site=north) reached review');
    expect(issues[0]!.body.split('\n')[0]).toBe(reviewMarker('ns', 'watch', 'auroc[site=north]', 'uc'));
    expect(issues[0]!.body).toContain('| Use case | uc (2.4.0 in production) |');
    expect(issues[0]!.body).toContain('| Value | 0.6 |');
    expect(issues[0]!.body).toContain('| Threshold | review (review) at 20% worse than the baseline |');
    expect(out.actions[0]).toMatchObject({
      reference: issues[0]!.url,
      issue: { repository: REPO, number: 1 },
    });
    expect(out.condition).toMatchObject({ type: 'ReviewOpened', status: 'True', reason: 'ReviewOpen' });
    expect(out.actions.map(reviewPending)).toEqual([undefined]);
  });

  it('finds the issue of the same breach by its marker instead of opening another', async () => {
    const marker = reviewMarker('ns', 'watch', 'auroc[site=north]', 'uc');
    const open: Issue = {
      number: 7,
      url: 'https://forge.test/7',
      state: 'open',
      title: 't',
      body: `${marker}\nevidence`,
      labels: [REVIEW_LABEL],
      author: 'vigil[bot]',
      createdAt: '',
    };
    const other = { ...open, number: 8, body: reviewMarker('ns', 'watch', 'auroc[site=south]', 'uc') };
    const { forge, calls } = fakeForge([other, open]);
    const out = await settleReviews(input(forge, [review]));
    expect(calls).toEqual([`list ${REPO} ${REVIEW_LABEL}`]);
    expect(out.actions[0]!.issue).toEqual({ repository: REPO, number: 7, url: 'https://forge.test/7' });
    expect(out.events.map((e) => e.reason)).toEqual(['ReviewIssueFound']);
  });

  it('closes the issue of a cleared breach with a comment saying when and what was read', async () => {
    const { forge, calls } = fakeForge();
    const opened = (await settleReviews(input(forge, [review]))).actions[0]!;
    const cleared = { ...opened, cleared: { at: '2026-08-01T12:00:00Z', value: 0.79 } };
    expect(reviewPending(cleared)).toBe('close');
    const out = await settleReviews(input(forge, [cleared]));
    expect(calls.slice(2)).toEqual([
      'comment 1 Cleared at 2026-08-01T12:00:00Z: auroc[site=north] read 0.79 against a baseline of 0.8, back below its first tier (notify at 5).',
      'update 1 closed',
    ]);
    expect(out.actions[0]!.issue?.closedAt).toBe('2026-08-02T00:00:00Z');
    expect(out.condition).toMatchObject({ status: 'False', reason: 'NoBreachUnderReview' });
    expect(reviewPending(out.actions[0]!)).toBeUndefined();
  });

  it('leaves the work pending, with a retry after the reset, while the forge is unavailable', async () => {
    const down = new ForgeUnavailableError(
      'listIssues',
      'rate limited',
      new Date(NOW.getTime() + 90_000),
      'rate-limit',
    );
    const { forge } = fakeForge([], down);
    const out = await settleReviews(input(forge, [review]));
    expect(out.actions).toEqual([review]);
    expect(out.retryInMs).toBe(90_000);
    expect(out.condition).toMatchObject({ status: 'False', reason: 'ForgeUnavailable' });
  });

  it('opens no issue for a breach that is over, nor for one a newer action of the metric supersedes', async () => {
    const { forge, calls } = fakeForge();
    const over = await settleReviews({
      ...input(forge, [review]),
      metrics: [{ ...metrics[0]!, tier: 'none' }],
    });
    expect(over.actions).toEqual([review]);
    const older = { ...review, at: '2026-07-01T00:00:00Z' };
    const both = await settleReviews(input(forge, [older, review]));
    expect(both.actions.map((a) => a.issue?.number)).toEqual([undefined, 1]);
    expect(calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
  });

  it('opens nothing without a governance repository, or when the evidence looks like PHI', async () => {
    const { forge, calls } = fakeForge();
    const none = await settleReviews(input(forge, [review], null));
    expect(none.condition).toMatchObject({ status: 'False', reason: 'NoRepository' });
    const phi = await settleReviews({
      ...input(forge, [{ ...review, metric: 'auroc[patient=SSN 123-45-6789]' }]),
      metrics: [{ ...metrics[0]!, segment: 'patient=SSN 123-45-6789' }],
    });
    expect(phi.condition).toMatchObject({ status: 'False', reason: 'PHIDetected' });
    expect(calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });
});
