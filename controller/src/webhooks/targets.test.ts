import { describe, expect, it } from 'vitest';
import { PROMOTIONS, USE_CASES } from '../kinds/resources.js';
import type { CacheReader, KubeObject, ResourceKind } from '../runtime/index.js';
import {
  membershipChangeOf,
  openPromotionPullRequests,
  promotionKeysFor,
  pullRequestInPayload,
  repositoryInUrl,
  targetsOf,
} from './targets.js';

const repository = { full_name: 'northwind-health/ai-deployments' };

describe('targetsOf', () => {
  it('finds the pull request of pull request, review and check run events', () => {
    const one = [{ repository: repository.full_name, number: 12 }];
    expect(
      targetsOf('pull_request', { action: 'synchronize', number: 12, repository }, 'vigil/sign-off'),
    ).toEqual(one);
    expect(
      targetsOf('pull_request_review', { pull_request: { number: 12 }, repository }, 'vigil/sign-off'),
    ).toEqual(one);
    const run = (name: string, action: string) => ({
      action,
      check_run: { name, pull_requests: [{ number: 12 }] },
      repository,
    });
    expect(targetsOf('check_run', run('ci/build', 'completed'), 'vigil/sign-off')).toEqual(one);
    expect(targetsOf('check_run', run('vigil/sign-off', 'completed'), 'vigil/sign-off')).toEqual([]);
    expect(targetsOf('check_run', run('vigil/sign-off', 'rerequested'), 'vigil/sign-off')).toEqual(one);
    expect(targetsOf('pull_request', { number: 12 }, 'vigil/sign-off')).toEqual([]);
  });

  it('passes over pull request actions that cannot change a sign-off decision', () => {
    const event = (action: string, extra: Record<string, unknown> = {}) =>
      targetsOf('pull_request', { action, number: 12, repository, ...extra }, 'vigil/sign-off');
    for (const action of ['labeled', 'review_requested', 'assigned', 'edited']) {
      expect(event(action)).toEqual([]);
    }
    for (const action of ['opened', 'synchronize', 'reopened', 'closed']) {
      expect(event(action)).toHaveLength(1);
    }
    expect(event('edited', { changes: { base: { ref: { from: 'release' } } } })).toHaveLength(1);
  });

  it('re-evaluates on every review action, a dismissal included', () => {
    for (const action of ['submitted', 'edited', 'dismissed']) {
      expect(
        targetsOf(
          'pull_request_review',
          { action, pull_request: { number: 12 }, repository },
          'vigil/sign-off',
        ),
      ).toEqual([{ repository: repository.full_name, number: 12 }]);
    }
  });
});

describe('membershipChangeOf', () => {
  const organization = { login: 'northwind-health' };
  const team = { slug: 'compliance' };

  it('reports a member added to or removed from a team, a team created, deleted or moved, a member leaving', () => {
    const compliance = { organization: 'northwind-health', team: 'compliance' };
    for (const action of ['added', 'removed']) {
      expect(membershipChangeOf('membership', { action, scope: 'team', team, organization })).toEqual(
        compliance,
      );
    }
    for (const action of ['created', 'deleted', 'edited']) {
      expect(membershipChangeOf('team', { action, team, organization })).toEqual(compliance);
    }
    expect(membershipChangeOf('organization', { action: 'member_removed', organization })).toEqual({
      organization: 'northwind-health',
    });
  });

  it('passes over what changes no membership', () => {
    expect(membershipChangeOf('team', { action: 'added_to_repository', team, organization })).toBeUndefined();
    expect(membershipChangeOf('organization', { action: 'member_invited', organization })).toBeUndefined();
    expect(
      membershipChangeOf('membership', { action: 'removed', scope: 'organization', organization }),
    ).toBeUndefined();
    expect(membershipChangeOf('membership', { action: 'removed', scope: 'team', team })).toBeUndefined();
    expect(membershipChangeOf('pull_request', { action: 'opened', organization })).toBeUndefined();
  });
});

describe('pullRequestInPayload', () => {
  const pull = {
    number: 12,
    html_url: 'https://github.com/northwind-health/ai-deployments/pull/12',
    state: 'closed',
    merged: true,
    merged_at: '2026-03-02T10:00:00Z',
    merged_by: { login: 'platform-eng' },
    merge_commit_sha: 'm'.repeat(40),
    closed_at: '2026-03-02T10:00:00Z',
    title: 'Promote',
    body: null,
    user: { login: 'platform-bot' },
    head: { ref: 'vigil/promote/x', sha: 'h'.repeat(40) },
    base: { ref: 'main', sha: 'b'.repeat(40) },
    labels: [{ name: 'vigil' }],
    created_at: '2026-03-01T10:00:00Z',
    updated_at: '2026-03-02T10:00:00Z',
  };

  it('reads the pull request a delivery carries, merge included', () => {
    expect(pullRequestInPayload({ pull_request: pull })).toMatchObject({
      number: 12,
      state: 'closed',
      merged: true,
      mergedBy: 'platform-eng',
      mergeCommitSha: 'm'.repeat(40),
      head: { sha: 'h'.repeat(40) },
      labels: ['vigil'],
    });
  });

  it('refuses a payload without the head commit', () => {
    expect(pullRequestInPayload({ pull_request: { ...pull, head: { ref: 'x' } } })).toBeUndefined();
    expect(pullRequestInPayload({})).toBeUndefined();
  });
});

describe('promotionKeysFor', () => {
  const useCase = (namespace: string, name: string, repo: string): KubeObject => ({
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'UseCase',
    metadata: { namespace, name },
    spec: { deployment: { repository: repo, targets: [] } },
  });
  const promotion = (
    namespace: string,
    name: string,
    useCase: string,
    number: number,
    url = '',
  ): KubeObject => ({
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'Promotion',
    metadata: { namespace, name },
    spec: { useCase, type: 'promotion', trigger: 'train', to: 'pilot', version: '1.0.0' },
    status: { pullRequest: { number, url, branch: 'b' } },
  });
  const objects: KubeObject[] = [
    promotion('care-management', 'readmission-risk-pilot-2-5-0', 'readmission-risk', 12),
    promotion('revenue-cycle', 'denials-triage-prod-1-1-0', 'denials-triage', 12),
    promotion('revenue-cycle', 'denials-triage-prod-1-0-0', 'denials-triage', 11),
    promotion('orphans', 'by-url', 'gone', 12, 'https://github.com/northwind-health/ai-deployments/pull/12'),
  ];
  const byKind = (kind: ResourceKind) =>
    kind.plural === PROMOTIONS.plural ? objects : kind.plural === USE_CASES.plural ? useCases : [];
  const useCases = [
    useCase('care-management', 'readmission-risk', 'northwind-health/ai-deployments'),
    useCase('revenue-cycle', 'denials-triage', 'northwind-health/revenue-deployments'),
  ];
  const cache: CacheReader = {
    list: (kind) => byKind(kind),
    get: (kind, ns, name) =>
      byKind(kind).find((o) => o.metadata?.namespace === ns && o.metadata?.name === name),
  };

  it('returns the Promotions carrying that pull request in that repository', () => {
    expect(promotionKeysFor(cache, { repository: 'northwind-health/ai-deployments', number: 12 })).toEqual([
      'care-management/readmission-risk-pilot-2-5-0',
      'orphans/by-url',
    ]);
    expect(
      promotionKeysFor(cache, { repository: 'northwind-health/revenue-deployments', number: 11 }),
    ).toEqual(['revenue-cycle/denials-triage-prod-1-0-0']);
  });

  it('lists the pull requests of Promotions awaiting a decision, for the poller', () => {
    expect(openPromotionPullRequests(cache)).toEqual([
      { repository: 'northwind-health/ai-deployments', number: 12 },
      { repository: 'northwind-health/revenue-deployments', number: 12 },
      { repository: 'northwind-health/revenue-deployments', number: 11 },
      { repository: 'northwind-health/ai-deployments', number: 12 },
    ]);
  });

  it('reads the repository from a pull request URL', () => {
    expect(repositoryInUrl('http://127.0.0.1:4000/northwind-health/ai-deployments/pull/7')).toBe(
      'northwind-health/ai-deployments',
    );
    expect(repositoryInUrl('not a url')).toBeUndefined();
  });
});
