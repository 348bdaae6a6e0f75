import { describe, expect, it } from 'vitest';
import type { PullRequest } from '../forge/forge.js';
import { PullRequestsInHand } from './in-hand.js';

const repo = 'northwind-health/ai-deployments';
const pr = (sha: string, updatedAt: string): PullRequest => ({
  number: 7,
  url: `https://github.com/${repo}/pull/7`,
  state: 'open',
  merged: false,
  title: 't',
  body: '',
  author: 'platform-bot',
  head: { ref: 'b', sha },
  base: { ref: 'main', sha: 'b'.repeat(40) },
  labels: [],
  draft: false,
  createdAt: '2026-03-01T08:00:00Z',
  updatedAt,
});

describe('PullRequestsInHand', () => {
  it('hands over what was delivered once, the latest state when deliveries arrive out of order', () => {
    const held = new PullRequestsInHand();
    held.offer(repo, { pullRequest: pr('new', '2026-03-01T10:00:05Z') });
    held.offer(repo, { pullRequest: pr('old', '2026-03-01T10:00:01Z') });
    expect(held.take('Northwind-Health/AI-Deployments', 7)?.pullRequest.head.sha).toBe('new');
    expect(held.take(repo, 7)).toBeUndefined();
  });

  it('drops reviews read earlier when a newer delivery comes', () => {
    const held = new PullRequestsInHand();
    held.offer(repo, { pullRequest: pr('a', '2026-03-01T10:00:00Z'), reviews: [] });
    held.offer(repo, { pullRequest: pr('a', '2026-03-01T10:00:02Z') });
    expect(held.take(repo, 7)).toEqual({ pullRequest: pr('a', '2026-03-01T10:00:02Z') });
  });

  it('does not hand over what is too old to stand for now', () => {
    let now = 0;
    const held = new PullRequestsInHand({ maxAgeMs: 1000, now: () => now });
    held.offer(repo, { pullRequest: pr('a', '2026-03-01T10:00:00Z') });
    now = 1001;
    expect(held.take(repo, 7)).toBeUndefined();
  });
});
