// The octokit adapter against the local forge's real HTTP server, every request and response held against
// GitHub's OpenAPI description: each Forge method, conditional requests that cost nothing, rate limits honoured
// (no call before the reset, retry-after waited out), outages ending in a typed error, and the sign-off
// evaluated on what the forge reports, including an approval made stale by a push.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  type Forge,
  ForgeUnavailableError,
  NotFoundError,
  UnprocessableError,
} from '../../controller/src/forge/forge.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import {
  createGitHubForge,
  type GitHubForgeOptions,
} from '../../controller/src/forge/github/github-forge.js';
import { type LocalForge, type Seed, startLocalForge } from '../../controller/src/forge/local/index.js';
import { evaluateSignoff, renderCheckRun } from '../../controller/src/signoff/index.js';
import { signoffPolicySpec } from '../../specs/signoffpolicy.js';

const ORG = 'northwind-health';
const REPO = `${ORG}/ai-deployments`;
const RULESET_REPO = `${ORG}/ai-ruleset`;
const VALUES = 'revenue-cycle/denials-triage/production.yaml';

const seed: Seed = {
  organizations: [
    {
      login: ORG,
      teams: [
        { slug: 'data-science', maintainers: ['ds-lead'], members: ['ds-2'] },
        { slug: 'compliance', maintainers: ['compliance-1'], members: [], pending: ['compliance-3'] },
        { slug: 'platform', maintainers: ['platform-eng'], members: ['platform-bot'] },
      ],
    },
  ],
  users: [
    { login: 'platform-bot', type: 'Bot', token: 'adapter-test-platform-bot' },
    { login: 'platform-eng', token: 'adapter-test-platform-eng' },
    { login: 'ds-lead', token: 'adapter-test-ds-lead' },
    { login: 'ds-2', token: 'adapter-test-ds-2' },
    { login: 'compliance-1', token: 'adapter-test-compliance-1' },
    { login: 'compliance-3', token: 'adapter-test-compliance-3' },
  ],
  // The controller acts as its App (`vigil[bot]`): only an App may write check runs.
  apps: [
    {
      id: 1043,
      slug: 'vigil',
      name: 'Vigil',
      owner: ORG,
      installationId: 51043,
      token: 'adapter-test-vigil-app',
    },
  ],
  repositories: [
    {
      fullName: REPO,
      content: { [VALUES]: 'image:\n  tag: "2.3.0"\n' },
      initialCommitter: 'platform-eng',
      protection: { enforcedBy: 'branch-protection', branch: 'main', requiredChecks: ['vigil/sign-off'] },
    },
    {
      fullName: RULESET_REPO,
      content: { 'README.md': 'rules\n' },
      initialCommitter: 'platform-eng',
      protection: { enforcedBy: 'ruleset', branch: 'main', requiredChecks: ['vigil/sign-off', 'ci/build'] },
    },
  ],
};

const policy = signoffPolicySpec.parse({
  roles: [
    { name: 'data-science', team: `${ORG}/data-science` },
    { name: 'compliance', team: `${ORG}/compliance` },
  ],
  requirements: [{ riskClass: 'operational', roles: ['data-science', 'compliance'] }],
  rules: { approvalExpiry: '14d' },
  enforcement: { repository: REPO },
});

let local: LocalForge;
let forge: Forge;

function client(login: string, options: Partial<GitHubForgeOptions> = {}) {
  const token = login === 'vigil[bot]' ? local.appTokens.vigil : local.tokens[login];
  return createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(token!), `test/${login}`),
    baseUrl: local.url,
    retryBaseMs: 10,
    ...options,
  });
}

/** A review submitted as another user: the controller never reviews, so the Forge has no method for it. */
async function submitReview(
  login: string,
  number: number,
  event: 'APPROVE' | 'REQUEST_CHANGES',
  commitId: string,
) {
  const res = await fetch(`${local.url}/repos/${REPO}/pulls/${number}/reviews`, {
    method: 'POST',
    headers: { authorization: `token ${local.tokens[login]}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      event,
      commit_id: commitId,
      body: event === 'APPROVE' ? 'Signed off.' : 'Not yet.',
    }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  local = await startLocalForge({ seed, openApiCheck: true });
  forge = await client('vigil[bot]');
});

afterAll(async () => {
  await local?.stop();
});

// Octokit paces writes as GitHub asks (1 s apart, 3 s for those that notify people), so steps take seconds.
describe('the Forge over the local forge', { timeout: 60_000 }, () => {
  let mainSha: string;
  let head: string;
  let number: number;
  const branch = 'vigil/denials-triage/production/2.4.0';

  it('reads files and branch heads; a missing file or branch is undefined', async () => {
    const file = await forge.readFile(REPO, VALUES, 'main');
    expect(file?.content).toBe('image:\n  tag: "2.3.0"\n');
    expect(file?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await forge.readFile(REPO, 'nope.yaml', 'main')).toBeUndefined();
    mainSha = (await forge.branchHead(REPO, 'main'))!;
    expect(mainSha).toMatch(/^[0-9a-f]{40}$/);
    expect(await forge.branchHead(REPO, 'no-such-branch')).toBeUndefined();
  });

  it('creates a branch once; a second time is a conflict', async () => {
    await forge.createBranch(REPO, branch, mainSha);
    expect(await forge.branchHead(REPO, branch)).toBe(mainSha);
    await expect(forge.createBranch(REPO, branch, mainSha)).rejects.toBeInstanceOf(ConflictError);
  });

  it('commits a file only over the version it read', async () => {
    const before = (await forge.readFile(REPO, VALUES, branch))!;
    const done = await forge.commitFile(
      REPO,
      branch,
      VALUES,
      'image:\n  tag: "2.4.0"\n',
      'Promote 2.4.0',
      before.sha,
    );
    expect(done.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect((await forge.readFile(REPO, VALUES, branch))?.content).toBe('image:\n  tag: "2.4.0"\n');
    // Based on the old blob: someone (here, we) changed it since.
    await expect(forge.commitFile(REPO, branch, VALUES, 'x', 'stale', before.sha)).rejects.toBeInstanceOf(
      ConflictError,
    );
    // Believed new, but it exists.
    await expect(forge.commitFile(REPO, branch, VALUES, 'x', 'clobber', undefined)).rejects.toBeInstanceOf(
      ConflictError,
    );
    const added = await forge.commitFile(
      REPO,
      branch,
      'evidence/2.4.0.md',
      '# Evidence\n',
      'Evidence',
      undefined,
    );
    head = added.commitSha;
    expect(await forge.branchHead(REPO, branch)).toBe(head);
  });

  it('opens, finds, reads and updates the pull request', async () => {
    expect(await forge.findPullRequest(REPO, branch)).toBeUndefined();
    const pr = await forge.openPullRequest(REPO, {
      head: branch,
      base: 'main',
      title: 'Promote 2.4.0',
      body: 'Evidence',
    });
    number = pr.number;
    expect(pr).toMatchObject({
      state: 'open',
      merged: false,
      author: 'vigil[bot]',
      head: { ref: branch, sha: head },
    });
    expect((await forge.findPullRequest(REPO, branch))?.number).toBe(number);
    await expect(
      forge.openPullRequest(REPO, { head: branch, base: 'main', title: 'again', body: '' }),
    ).rejects.toBeInstanceOf(ConflictError);
    const updated = await forge.updatePullRequest(REPO, number, { title: 'Promote denials-triage 2.4.0' });
    expect(updated.title).toBe('Promote denials-triage 2.4.0');
    expect((await forge.getPullRequest(REPO, number)).title).toBe('Promote denials-triage 2.4.0');
  });

  it('labels the pull request and requests the sign-off teams', async () => {
    await forge.addLabels(REPO, number, ['vigil', 'promotion']);
    expect((await forge.getPullRequest(REPO, number)).labels).toEqual(
      expect.arrayContaining(['vigil', 'promotion']),
    );
    await forge.requestTeamReviewers(REPO, number, [`${ORG}/data-science`, `${ORG}/compliance`]);
    await expect(forge.requestTeamReviewers(REPO, number, ['other-org/compliance'])).rejects.toBeInstanceOf(
      UnprocessableError,
    );
  });

  it('lists active team members only: a pending invitation is not a membership', async () => {
    expect((await forge.teamMembers(ORG, 'compliance')).sort()).toEqual(['compliance-1']);
    expect((await forge.teamMembers(ORG, 'data-science')).sort()).toEqual(['ds-2', 'ds-lead']);
    await expect(forge.teamMembers(ORG, 'no-such-team')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists the files the pull request changes; no merger or merge commit before the merge', async () => {
    const files = await forge.listPullRequestFiles(REPO, number);
    expect(files.map((f) => [f.path, f.status]).sort()).toEqual(
      [
        [VALUES, 'modified'],
        ['evidence/2.4.0.md', 'added'],
      ].sort(),
    );
    const open = await forge.getPullRequest(REPO, number);
    expect(open).not.toHaveProperty('mergedBy');
    expect(open).not.toHaveProperty('mergeCommitSha');
  });

  it('lists commits with the accounts behind them, and reviews as submitted', async () => {
    const commits = await forge.listCommits(REPO, number);
    expect(commits.map((c) => c.sha)).toContain(head);
    expect(commits.every((c) => c.authorLogin === 'vigil[bot]')).toBe(true);
    await submitReview('ds-lead', number, 'APPROVE', head);
    await submitReview('compliance-1', number, 'APPROVE', head);
    const reviews = await forge.listReviews(REPO, number);
    expect(reviews.map((r) => [r.login, r.state, r.commitId])).toEqual([
      ['ds-lead', 'APPROVED', head],
      ['compliance-1', 'APPROVED', head],
    ]);
    expect(reviews.every((r) => r.submittedAt !== undefined)).toBe(true);
  });

  it('reads the required check from branch protection and from a ruleset', async () => {
    expect(await forge.requiredChecks(REPO, 'main')).toEqual({
      checks: ['vigil/sign-off'],
      source: 'branch-protection',
      sources: ['branch-protection'],
    });
    expect(await forge.requiredChecks(RULESET_REPO, 'main')).toEqual({
      checks: ['ci/build', 'vigil/sign-off'],
      source: 'ruleset',
      sources: ['ruleset'],
    });
    expect(await forge.requiredChecks(REPO, branch)).toBeUndefined();
  });

  it('sets the sign-off check from what the forge reports; the gate holds until it succeeds', async () => {
    const observe = async () => {
      const pr = await forge.getPullRequest(REPO, number);
      const commits = await forge.listCommits(REPO, number);
      return evaluateSignoff({
        policy,
        riskClass: 'operational',
        pullRequest: { author: pr.author, headSha: pr.head.sha, commits },
        reviews: await forge.listReviews(REPO, number),
        teams: {
          [`${ORG}/data-science`]: { active: await forge.teamMembers(ORG, 'data-science') },
          [`${ORG}/compliance`]: { active: await forge.teamMembers(ORG, 'compliance') },
        },
        now: new Date(),
      });
    };
    const context = { policy: 'revenue-cycle/governance-signoff' };

    const pending = await forge.createCheckRun(REPO, {
      name: 'vigil/sign-off',
      headSha: head,
      status: 'in_progress',
      output: { title: 'Evaluating sign-off', summary: 'Reading reviews.' },
    });
    expect(pending).toMatchObject({ name: 'vigil/sign-off', headSha: head, status: 'in_progress' });
    // While the check has not succeeded, the forge refuses the merge (405 -> UnprocessableError).
    await expect(forge.mergePullRequest(REPO, number, head)).rejects.toBeInstanceOf(UnprocessableError);

    const signed = await observe();
    expect(signed.conclusion).toBe('success');
    const out = renderCheckRun(signed, context);
    const done = await forge.updateCheckRun(REPO, pending.id, {
      status: 'completed',
      conclusion: out.conclusion,
      output: { title: out.title, summary: out.summary, text: out.text },
    });
    expect(done).toMatchObject({ id: pending.id, status: 'completed', conclusion: 'success' });
    expect((await forge.findCheckRun(REPO, head, 'vigil/sign-off'))?.output?.title).toBe(
      'Signed off: 2/2 roles signed off',
    );

    // Reliability 12, a stale approval: a push after the approvals leaves the new head not signed off.
    const file = (await forge.readFile(REPO, VALUES, branch))!;
    const pushed = await forge.commitFile(
      REPO,
      branch,
      VALUES,
      'image:\n  tag: "2.4.1"\n',
      'Hotfix',
      file.sha,
    );
    head = pushed.commitSha;
    const stale = await observe();
    expect(stale.conclusion).toBe('failure');
    expect(stale.ignored.map((i) => [i.login, i.reason])).toEqual([
      ['ds-lead', 'stale'],
      ['compliance-1', 'stale'],
    ]);
    const failing = renderCheckRun(stale, context);
    await forge.createCheckRun(REPO, {
      name: 'vigil/sign-off',
      headSha: head,
      status: 'completed',
      conclusion: failing.conclusion,
      output: failing,
    });
    expect((await forge.findCheckRun(REPO, head, 'vigil/sign-off'))?.conclusion).toBe('failure');
    await expect(forge.mergePullRequest(REPO, number, head)).rejects.toBeInstanceOf(UnprocessableError);
  });

  it('merges only the head it was told about, once signed off', async () => {
    await submitReview('ds-lead', number, 'APPROVE', head);
    await submitReview('compliance-1', number, 'APPROVE', head);
    const check = (await forge.findCheckRun(REPO, head, 'vigil/sign-off'))!;
    await forge.updateCheckRun(REPO, check.id, { status: 'completed', conclusion: 'success' });
    // The head moved past the sha we decided on: 409.
    await expect(forge.mergePullRequest(REPO, number, mainSha)).rejects.toBeInstanceOf(ConflictError);
    const merged = await forge.mergePullRequest(REPO, number, head);
    expect(merged.sha).toMatch(/^[0-9a-f]{40}$/);
    const pr = await forge.getPullRequest(REPO, number);
    expect(pr).toMatchObject({
      state: 'closed',
      merged: true,
      mergedBy: 'vigil[bot]',
      mergeCommitSha: merged.sha,
    });
    expect((await forge.readFile(REPO, VALUES, 'main'))?.content).toBe('image:\n  tag: "2.4.1"\n');
    // Found again after merging: a restart does not open a second pull request for the branch.
    expect((await forge.findPullRequest(REPO, branch))?.number).toBe(number);
  });

  it('closes a pull request with a comment, opens issues and comments', async () => {
    const other = 'vigil/denials-triage/production/2.5.0';
    await forge.createBranch(REPO, other, (await forge.branchHead(REPO, 'main'))!);
    await forge.commitFile(REPO, other, 'evidence/2.5.0.md', '# 2.5.0\n', 'Evidence', undefined);
    const pr = await forge.openPullRequest(REPO, {
      head: other,
      base: 'main',
      title: 'Promote 2.5.0',
      body: '',
    });
    await forge.closePullRequest(REPO, pr.number, 'Superseded by a newer candidate.');
    expect(await forge.getPullRequest(REPO, pr.number)).toMatchObject({ state: 'closed', merged: false });

    const issue = await forge.createIssue(REPO, {
      title: 'Governance review: denials-triage calibration drift',
      body: 'Tier "review" reached.',
    });
    expect(issue.number).toBeGreaterThan(pr.number);
    const comment = await forge.createComment(REPO, issue.number, 'Assigned to compliance.');
    expect(comment.id).toBeGreaterThan(0);
  });

  it('finds issues by label, pull requests left out, and closes one', async () => {
    const labels = ['vigil/surveillance-review', 'denials-triage'];
    const made = await forge.createIssue(REPO, {
      title: 'Governance review: denials-triage override rate',
      body: 'Tier "review" reached.',
      labels,
    });
    await forge.addLabels(REPO, number, ['vigil/surveillance-review']);
    const open = await forge.listIssues(REPO, { labels });
    expect(open.map((i) => [i.number, i.state, i.labels])).toEqual([[made.number, 'open', labels]]);
    expect(open[0]).toMatchObject({ author: 'vigil[bot]', url: made.url, body: 'Tier "review" reached.' });
    expect(
      (await forge.listIssues(REPO, { labels: ['vigil/surveillance-review'] })).map((i) => i.number),
    ).toEqual([made.number]);

    const closed = await forge.updateIssue(REPO, made.number, { state: 'closed', stateReason: 'completed' });
    expect(closed).toMatchObject({ number: made.number, state: 'closed', closedAt: expect.any(String) });
    expect(await forge.listIssues(REPO, { labels })).toEqual([]);
    expect((await forge.listIssues(REPO, { labels, state: 'closed' })).map((i) => i.number)).toEqual([
      made.number,
    ]);
  });

  it('polls for free: unchanged reviews, commits, pull request, open pull requests, check run and team answer 304', async () => {
    const polled = await client('vigil[bot]');
    const poll = () =>
      Promise.all([
        polled.getPullRequest(REPO, number),
        polled.listOpenPullRequests(REPO),
        polled.listReviews(REPO, number),
        polled.listCommits(REPO, number),
        polled.findCheckRun(REPO, head, 'vigil/sign-off'),
        polled.teamMembers(ORG, 'compliance'),
      ]);
    const first = await poll();
    // Merged and closed pull requests are not listed.
    expect(first[1].map((p) => p.number)).not.toContain(number);
    expect(first[1].every((p) => p.state === 'open')).toBe(true);
    const before = local.calls.entries.length;
    const second = await poll();
    expect(second).toEqual(first);
    const calls = local.calls.entries.slice(before);
    expect(calls).toHaveLength(6);
    expect(calls.every((c) => c.conditional && c.notModified && c.status === 304)).toBe(true);
    expect(polled.callStats()).toMatchObject({ calls: 12, notModified: 6, writes: 0 });
  });

  it('sent nothing GitHub’s OpenAPI description does not allow', () => {
    // Request-side violations are the adapter's; response-side ones are the local forge's own contract.
    expect(local.violations.filter((v) => v.where === 'route' || v.where.startsWith('request.'))).toEqual([]);
  });
});

describe('rate limits and outages at the local forge', { timeout: 60_000 }, () => {
  const reviewsRoute = '/repos/{owner}/{repo}/pulls/{pull_number}/reviews';

  it('a spent primary limit with a near reset: waits, and the next call is not before the reset', async () => {
    const bot = await client('vigil[bot]');
    local.fail({
      fault: { kind: 'primary-rate-limit', resetInSeconds: 2 },
      route: reviewsRoute,
      method: 'GET',
    });
    const before = local.calls.entries.length;
    await expect(bot.listReviews(REPO, 1)).resolves.toBeDefined();
    const calls = local.calls.entries.slice(before);
    expect(calls.map((c) => c.status)).toEqual([403, 200]);
    const resetAt = Math.floor(calls[0]!.at / 1000) * 1000 + 2000;
    expect(calls[1]!.at).toBeGreaterThanOrEqual(resetAt);
  });

  it('a spent primary limit with a far reset: ForgeUnavailableError at once, then no call before the reset', async () => {
    const bot = await client('ds-2');
    local.fail({
      fault: { kind: 'primary-rate-limit', resetInSeconds: 3600 },
      route: reviewsRoute,
      user: 'ds-2',
    });
    const error = (await bot.listReviews(REPO, 1).catch((e: unknown) => e)) as ForgeUnavailableError;
    expect(error).toBeInstanceOf(ForgeUnavailableError);
    expect(error.reason).toBe('rate-limit');
    expect(error.retryAt.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    const before = local.calls.count({ user: 'ds-2' });
    await expect(bot.getPullRequest(REPO, 1)).rejects.toBeInstanceOf(ForgeUnavailableError);
    await expect(bot.teamMembers(ORG, 'compliance')).rejects.toBeInstanceOf(ForgeUnavailableError);
    expect(local.calls.count({ user: 'ds-2' })).toBe(before);
  });

  it('a secondary limit: retry-after is waited out before the one retry', async () => {
    const bot = await client('vigil[bot]');
    local.fail({ fault: { kind: 'secondary-rate-limit', retryAfterSeconds: 1 }, route: reviewsRoute });
    const before = local.calls.entries.length;
    await expect(bot.listReviews(REPO, 1)).resolves.toBeDefined();
    const calls = local.calls.entries.slice(before);
    expect(calls.map((c) => c.status)).toEqual([403, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('GitHub down: a bounded number of retries, then ForgeUnavailableError', async () => {
    const bot = await client('vigil[bot]', { retries: 2 });
    const fault = local.fail({
      fault: { kind: 'server-error', status: 502 },
      route: reviewsRoute,
      times: Number.POSITIVE_INFINITY,
    });
    const before = local.calls.entries.length;
    const error = await bot.listReviews(REPO, 1).catch((e: unknown) => e);
    fault.clear();
    expect(error).toBeInstanceOf(ForgeUnavailableError);
    expect((error as ForgeUnavailableError).reason).toBe('unavailable');
    expect(local.calls.entries.slice(before).map((c) => c.status)).toEqual([502, 502, 502]);
  });
});
