// A promotion's life in the local forge, through octokit as Vigil and its reviewers would drive it: open a
// pull request, request the sign-off teams, review (and be refused a self-approval), dismiss, push so that
// approvals are on an older commit, set the sign-off check, be refused the merge until the check passes,
// and find the merge in main's history with the file changed and its comments kept.
import type { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { as, asApp, branchWithChange, OWNER, REPO, readFile, startForge } from './harness.js';

const PRODUCTION = 'revenue-cycle/denials-triage/production.yaml';
const BRANCH = 'vigil/promote/denials-triage/production/3.2.0';
const repo = { owner: OWNER, repo: REPO };

let forge: LocalForge;
let bot: Octokit;
let number: number;
let firstHead: string;

beforeAll(async () => {
  forge = await startForge();
  bot = asApp(forge, 'vigil');
});
afterAll(async () => {
  await forge?.stop();
});
afterEach(() => {
  expect(forge.violations.splice(0)).toEqual([]);
});

async function signOff(sha: string, conclusion: 'success' | 'failure') {
  return bot.rest.checks.create({
    ...repo,
    name: 'vigil/sign-off',
    head_sha: sha,
    status: 'completed',
    conclusion,
    output: { title: conclusion === 'success' ? 'Signed off' : 'Sign-off missing', summary: 'roles' },
  });
}

describe('a promotion pull request', () => {
  it('is opened from a branch with one commit changing the deployed version', async () => {
    firstHead = await branchWithChange(
      bot,
      BRANCH,
      PRODUCTION,
      (t) => t.replace('version: "3.1.4"', 'version: "3.2.0"'),
      'Promote denials-triage 3.2.0 to production',
    );
    const { data: pr, status } = await bot.rest.pulls.create({
      ...repo,
      title: 'Promote denials-triage 3.2.0 to production',
      head: BRANCH,
      base: 'main',
      body: 'Evidence: evaluation report, contract results, readiness checklist.',
    });
    expect(status).toBe(201);
    number = pr.number;
    expect(pr).toMatchObject({
      state: 'open',
      merged: false,
      mergeable: true,
      user: { login: 'vigil[bot]' },
    });
    expect(pr.head).toMatchObject({ ref: BRANCH, sha: firstHead });
    expect(pr.base.ref).toBe('main');
    expect(pr.mergeable_state).toBe('blocked');

    const { data: files } = await bot.rest.pulls.listFiles({ ...repo, pull_number: number });
    expect(files.map((f) => [f.filename, f.status, f.additions, f.deletions])).toEqual([
      [PRODUCTION, 'modified', 1, 1],
    ]);
    expect(files[0]?.patch).toContain('-  version: "3.1.4"\n+  version: "3.2.0"');
    const { data: commits } = await bot.rest.pulls.listCommits({ ...repo, pull_number: number });
    expect(commits.map((c) => [c.sha, c.author?.login, c.commit.message])).toEqual([
      [firstHead, 'vigil[bot]', 'Promote denials-triage 3.2.0 to production'],
    ]);
  });

  it('cannot be opened twice for the same branch', async () => {
    const err = await bot.rest.pulls
      .create({ ...repo, title: 'again', head: `${OWNER}:${BRANCH}`, base: 'main' })
      .catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.response.data.errors[0].message).toBe(`A pull request already exists for ${OWNER}:${BRANCH}.`);
  });

  it('is found by head and base, and listed page by page with Link headers', async () => {
    const { data } = await bot.rest.pulls.list({
      ...repo,
      state: 'open',
      head: `${OWNER}:${BRANCH}`,
      base: 'main',
    });
    expect(data.map((p) => p.number)).toEqual([number]);
    const { data: none } = await bot.rest.pulls.list({ ...repo, head: `${OWNER}:no-such-branch` });
    expect(none).toEqual([]);
    await branchWithChange(
      bot,
      'vigil/promote/readmission-risk/production/2.4.0',
      'care-management/readmission-risk/production.yaml',
      (t) => t.replace('"2.3.1"', '"2.4.0"'),
    );
    await bot.rest.pulls.create({
      ...repo,
      title: 'Promote readmission-risk 2.4.0',
      head: 'vigil/promote/readmission-risk/production/2.4.0',
      base: 'main',
    });
    const page = await bot.rest.pulls.list({ ...repo, per_page: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.headers.link).toMatch(/rel="next"/);
    const all = await bot.paginate(bot.rest.pulls.list, { ...repo, per_page: 1 });
    expect(all.map((p) => p.number).sort()).toEqual([number, number + 1]);
  });

  it('gets review requests for the sign-off teams, never for its author', async () => {
    const { data } = await bot.rest.pulls.requestReviewers({
      ...repo,
      pull_number: number,
      team_reviewers: ['data-science', 'clinical-safety', 'compliance'],
      reviewers: ['ds-lead'],
    });
    expect(data.requested_teams?.map((t) => t.slug)).toEqual([
      'data-science',
      'clinical-safety',
      'compliance',
    ]);
    expect(data.requested_reviewers?.map((u) => u.login)).toEqual(['ds-lead']);
    await expect(
      bot.rest.pulls.requestReviewers({ ...repo, pull_number: number, reviewers: ['vigil[bot]'] }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      bot.rest.pulls.requestReviewers({ ...repo, pull_number: number, team_reviewers: ['no-such-team'] }),
    ).rejects.toMatchObject({ status: 422 });
    const { data: after } = await bot.rest.pulls.removeRequestedReviewers({
      ...repo,
      pull_number: number,
      reviewers: [],
      team_reviewers: ['compliance'],
    });
    expect(after.requested_teams?.map((t) => t.slug)).toEqual(['data-science', 'clinical-safety']);
  });

  it('refuses its author an approval, as GitHub does', async () => {
    const err = await bot.rest.pulls
      .createReview({ ...repo, pull_number: number, event: 'APPROVE' })
      .catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.response.data.errors).toEqual(['Can not approve your own pull request']);
  });

  it('records reviews by the token user on the head commit, in order', async () => {
    const approval = await as(forge, 'ds-lead').rest.pulls.createReview({
      ...repo,
      pull_number: number,
      event: 'APPROVE',
      body: 'Gates met.',
    });
    expect(approval.data).toMatchObject({
      state: 'APPROVED',
      user: { login: 'ds-lead' },
      commit_id: firstHead,
    });
    await as(forge, 'clinical-safety-lead').rest.pulls.createReview({
      ...repo,
      pull_number: number,
      event: 'REQUEST_CHANGES',
      body: 'Add the high-dollar edge case.',
    });
    await as(forge, 'compliance-1').rest.pulls.createReview({
      ...repo,
      pull_number: number,
      event: 'COMMENT',
      body: 'Reading the contract terms.',
    });
    const { data: reviews } = await bot.rest.pulls.listReviews({ ...repo, pull_number: number });
    expect(reviews.map((r) => [r.user?.login, r.state, r.commit_id])).toEqual([
      ['ds-lead', 'APPROVED', firstHead],
      ['clinical-safety-lead', 'CHANGES_REQUESTED', firstHead],
      ['compliance-1', 'COMMENTED', firstHead],
    ]);
    expect(reviews.every((r) => typeof r.submitted_at === 'string')).toBe(true);
    // Reviewing answers the request: ds-lead is no longer a requested reviewer.
    const { data: pr } = await bot.rest.pulls.get({ ...repo, pull_number: number });
    expect(pr.requested_reviewers?.map((u) => u.login)).toEqual([]);
  });

  it('dismisses a review with a message', async () => {
    const { data: reviews } = await bot.rest.pulls.listReviews({ ...repo, pull_number: number });
    const changes = reviews.find((r) => r.state === 'CHANGES_REQUESTED')!;
    const { data } = await as(forge, 'platform-eng').rest.pulls.dismissReview({
      ...repo,
      pull_number: number,
      review_id: changes.id,
      message: 'Edge case added to the catalog.',
    });
    expect(data.state).toBe('DISMISSED');
    const comment = reviews.find((r) => r.state === 'COMMENTED')!;
    await expect(
      as(forge, 'platform-eng').rest.pulls.dismissReview({
        ...repo,
        pull_number: number,
        review_id: comment.id,
        message: 'x',
      }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('refuses the merge while the required check has not been reported', async () => {
    const err = await as(forge, 'platform-eng')
      .rest.pulls.merge({ ...repo, pull_number: number })
      .catch((e) => e);
    expect(err.status).toBe(405);
    expect(err.response.data.message).toBe('Required status check "vigil/sign-off" is expected.');
  });

  it('refuses the merge while the required check is failing, and sets check runs by name', async () => {
    const { data: run } = await bot.rest.checks.create({
      ...repo,
      name: 'vigil/sign-off',
      head_sha: firstHead,
      status: 'in_progress',
    });
    expect(run).toMatchObject({ status: 'in_progress', conclusion: null, head_sha: firstHead });
    expect(run.pull_requests.map((p) => p.number)).toEqual([number]);
    const { data: updated } = await bot.rest.checks.update({
      ...repo,
      check_run_id: run.id,
      status: 'completed',
      conclusion: 'failure',
      output: {
        title: '1 of 3 roles signed off',
        summary: 'clinical-safety: no valid approval; compliance: no valid approval',
      },
    });
    expect(updated).toMatchObject({ status: 'completed', conclusion: 'failure' });
    await bot.rest.checks.create({
      ...repo,
      name: 'lint',
      head_sha: firstHead,
      status: 'completed',
      conclusion: 'success',
    });
    const { data: listed } = await bot.rest.checks.listForRef({
      ...repo,
      ref: BRANCH,
      check_name: 'vigil/sign-off',
    });
    expect(listed.total_count).toBe(1);
    expect(listed.check_runs[0]).toMatchObject({ id: run.id, conclusion: 'failure' });
    const err = await as(forge, 'platform-eng')
      .rest.pulls.merge({ ...repo, pull_number: number })
      .catch((e) => e);
    expect(err.status).toBe(405);
    expect(err.response.data.message).toBe('Required status check "vigil/sign-off" is failing.');
  });

  it('moves the head on a push to the branch, leaving earlier approvals on the older commit', async () => {
    const ds2 = as(forge, 'ds-2');
    const file = await readFile(ds2, PRODUCTION, BRANCH);
    const { data } = await ds2.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: PRODUCTION,
      branch: BRANCH,
      sha: file.sha,
      message: 'Reword a comment',
      content: Buffer.from(file.text.replace('# When scoring is down', '# If scoring is down')).toString(
        'base64',
      ),
    });
    const newHead = data.commit.sha!;
    const { data: pr } = await bot.rest.pulls.get({ ...repo, pull_number: number });
    expect(pr.head.sha).toBe(newHead);
    const { data: reviews } = await bot.rest.pulls.listReviews({ ...repo, pull_number: number });
    const approval = reviews.find((r) => r.state === 'APPROVED');
    expect(approval?.commit_id).toBe(firstHead);
    expect(approval?.commit_id).not.toBe(pr.head.sha);
    const { data: commits } = await bot.rest.pulls.listCommits({ ...repo, pull_number: number });
    expect(commits.map((c) => c.author?.login)).toEqual(['vigil[bot]', 'ds-2']);
    // The sign-off of the old head does not carry over to the new one.
    const { data: onNewHead } = await bot.rest.checks.listForRef({
      ...repo,
      ref: newHead,
      check_name: 'vigil/sign-off',
    });
    expect(onNewHead.total_count).toBe(0);
  });

  it('refuses a merge that names a head sha which is no longer the head', async () => {
    const { data: pr } = await bot.rest.pulls.get({ ...repo, pull_number: number });
    await signOff(pr.head.sha, 'success');
    const err = await as(forge, 'platform-eng')
      .rest.pulls.merge({ ...repo, pull_number: number, sha: firstHead })
      .catch((e) => e);
    expect(err.status).toBe(409);
    expect(err.response.data.message).toBe('Head branch was modified. Review and try the merge again.');
  });

  it('merges once the check passes: a real merge commit on main with the file changed and its comments kept', async () => {
    const { data: pr } = await bot.rest.pulls.get({ ...repo, pull_number: number });
    expect(pr.mergeable_state).toBe('clean');
    const mainBefore = (await bot.rest.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
    const { data: merged } = await as(forge, 'platform-eng').rest.pulls.merge({
      ...repo,
      pull_number: number,
      sha: pr.head.sha,
    });
    expect(merged).toMatchObject({ merged: true, message: 'Pull Request successfully merged' });

    const git = forge.git(OWNER, REPO);
    expect(await git.branchTip('main')).toBe(merged.sha);
    const commit = await git.commit(merged.sha);
    expect(commit.parents).toEqual([mainBefore, pr.head.sha]);
    expect(commit.message).toMatch(new RegExp(`^Merge pull request #${number} from ${OWNER}/${BRANCH}`));
    expect(commit.author.email).toBe('platform-eng@users.noreply.forge.localhost');
    const { text } = await readFile(bot, PRODUCTION);
    expect(text).toContain('version: "3.2.0"');
    expect(text).toContain('# If scoring is down');
    expect(text).toContain('# Model registry version (models:/denials-triage).');

    const { data: after } = await bot.rest.pulls.get({ ...repo, pull_number: number });
    expect(after).toMatchObject({
      state: 'closed',
      merged: true,
      merge_commit_sha: merged.sha,
      merged_by: { login: 'platform-eng' },
    });
    const { data: closed } = await bot.rest.pulls.list({ ...repo, state: 'closed' });
    expect(closed.map((p) => p.number)).toContain(number);
    // Its commits still list after the merge.
    const { data: commits } = await bot.rest.pulls.listCommits({ ...repo, pull_number: number });
    expect(commits).toHaveLength(2);
    await expect(
      as(forge, 'platform-eng').rest.pulls.merge({ ...repo, pull_number: number }),
    ).rejects.toMatchObject({ status: 405 });
  });
});

describe('other pull request operations', () => {
  it('edits the title and body, closes and reopens', async () => {
    const { data: open } = await bot.rest.pulls.list({ ...repo, state: 'open' });
    const pr = open[0]!;
    const { data: edited } = await bot.rest.pulls.update({
      ...repo,
      pull_number: pr.number,
      title: 'Promote readmission-risk 2.4.0 to production',
      body: 'Evidence v2',
    });
    expect(edited).toMatchObject({
      title: 'Promote readmission-risk 2.4.0 to production',
      body: 'Evidence v2',
    });
    const { data: closed } = await bot.rest.pulls.update({
      ...repo,
      pull_number: pr.number,
      state: 'closed',
    });
    expect(closed).toMatchObject({ state: 'closed', merged: false });
    const { data: reopened } = await bot.rest.pulls.update({
      ...repo,
      pull_number: pr.number,
      state: 'open',
    });
    expect(reopened.state).toBe('open');
  });

  it('squash-merges into one commit with the pull request number', async () => {
    const { data: open } = await bot.rest.pulls.list({ ...repo, state: 'open' });
    const pr = open[0]!;
    await signOff(pr.head.sha, 'success');
    const { data: merged } = await bot.rest.pulls.merge({
      ...repo,
      pull_number: pr.number,
      merge_method: 'squash',
    });
    const commit = await forge.git(OWNER, REPO).commit(merged.sha);
    expect(commit.parents).toHaveLength(1);
    expect(commit.message).toMatch(
      new RegExp(`^Promote readmission-risk 2\\.4\\.0 to production \\(#${pr.number}\\)`),
    );
  });

  it('reports a pull request that conflicts with main as not mergeable', async () => {
    const path = 'clinical-documentation/ambient-documentation/ambulatory.yaml';
    await branchWithChange(bot, 'vigil/a', path, (t) => t.replace('"0.9.2"', '"1.0.0"'));
    await branchWithChange(bot, 'vigil/b', path, (t) => t.replace('"0.9.2"', '"0.9.3"'));
    const { data: a } = await bot.rest.pulls.create({ ...repo, title: 'a', head: 'vigil/a', base: 'main' });
    const { data: b } = await bot.rest.pulls.create({ ...repo, title: 'b', head: 'vigil/b', base: 'main' });
    await signOff(a.head.sha, 'success');
    await signOff(b.head.sha, 'success');
    await bot.rest.pulls.merge({ ...repo, pull_number: a.number });
    const { data: after } = await bot.rest.pulls.get({ ...repo, pull_number: b.number });
    expect(after).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    const err = await bot.rest.pulls.merge({ ...repo, pull_number: b.number }).catch((e) => e);
    expect(err.status).toBe(405);
    expect(err.response.data.message).toBe('Pull Request is not mergeable');
  });

  it('takes commit statuses and combines them', async () => {
    // Statuses come from users and tools with write access (release automation here), not from Vigil's App.
    const automation = as(forge, 'platform-bot');
    const { data: main } = await bot.rest.git.getRef({ ...repo, ref: 'heads/main' });
    await automation.rest.repos.createCommitStatus({
      ...repo,
      sha: main.object.sha,
      state: 'success',
      context: 'argo-cd/sync',
    });
    await automation.rest.repos.createCommitStatus({
      ...repo,
      sha: main.object.sha,
      state: 'pending',
      context: 'argo-cd/health',
    });
    const { data } = await bot.rest.repos.getCombinedStatusForRef({ ...repo, ref: 'main' });
    expect(data.state).toBe('pending');
    expect(data.statuses.map((s) => s.context).sort()).toEqual(['argo-cd/health', 'argo-cd/sync']);
  });
});

describe('issues, labels and comments', () => {
  it('opens a governance review issue with labels and takes comments', async () => {
    const { data: issue } = await bot.rest.issues.create({
      ...repo,
      title: 'Review: readmission-risk calibration error above the review tier',
      body: 'Expected calibration error 0.061 against a baseline of 0.048 (tier: review).',
      labels: ['surveillance', 'review'],
    });
    expect(issue.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['surveillance', 'review']);
    await as(forge, 'clinical-safety-2').rest.issues.createComment({
      ...repo,
      issue_number: issue.number,
      body: 'Looking at the subgroup breakdown.',
    });
    await as(forge, 'ds-3').rest.issues.createComment({
      ...repo,
      issue_number: issue.number,
      body: 'Recalibration candidate in progress.',
    });
    const { data: comments } = await bot.rest.issues.listComments({ ...repo, issue_number: issue.number });
    expect(comments.map((c) => [c.user?.login, c.body])).toEqual([
      ['clinical-safety-2', 'Looking at the subgroup breakdown.'],
      ['ds-3', 'Recalibration candidate in progress.'],
    ]);
  });

  it('lists issues with pull requests among them, filters by every label, and closes and reopens one', async () => {
    const { data: review } = await bot.rest.issues.create({
      ...repo,
      title: 'Review: denials-triage override rate',
      body: 'Override rate 0.31 against a baseline of 0.2.',
      labels: ['surveillance', 'denials-triage'],
    });
    const { data: every } = await bot.rest.issues.listForRepo({ ...repo, state: 'all', per_page: 100 });
    // GitHub's issue listing holds pull requests too, each with a pull_request key (this one is merged).
    expect(every.some((i) => i.number === number && i.pull_request && i.state === 'closed')).toBe(true);
    expect(every.some((i) => i.number === review.number && !i.pull_request)).toBe(true);
    const { data: labelled } = await bot.rest.issues.listForRepo({
      ...repo,
      labels: 'surveillance,denials-triage',
    });
    expect(labelled.map((i) => i.number)).toEqual([review.number]);

    const { data: closed } = await bot.rest.issues.update({
      ...repo,
      issue_number: review.number,
      state: 'closed',
      state_reason: 'completed',
    });
    expect(closed).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(closed.closed_at).not.toBeNull();
    const { data: stillOpen } = await bot.rest.issues.listForRepo({ ...repo, labels: 'surveillance' });
    expect(stillOpen.map((i) => i.number)).not.toContain(review.number);
    const { data: all } = await bot.rest.issues.listForRepo({
      ...repo,
      labels: 'surveillance',
      state: 'all',
    });
    expect(all.map((i) => i.number)).toContain(review.number);
    const { data: reopened } = await bot.rest.issues.update({
      ...repo,
      issue_number: review.number,
      state: 'open',
    });
    expect(reopened).toMatchObject({ state: 'open', state_reason: 'reopened', closed_at: null });
  });

  it('labels a pull request through the issues API', async () => {
    const { data: labels } = await bot.rest.issues.addLabels({
      ...repo,
      issue_number: number,
      labels: ['promotion', 'risk:operational'],
    });
    expect(labels.map((l) => l.name)).toEqual(['promotion', 'risk:operational']);
    const { data: pr } = await bot.rest.pulls.get({ ...repo, pull_number: number });
    expect(pr.labels.map((l) => l.name)).toEqual(['promotion', 'risk:operational']);
    const { data: listed } = await bot.rest.pulls.list({ ...repo, state: 'all' });
    expect(listed.find((p) => p.number === number)?.labels.map((l) => l.name)).toEqual([
      'promotion',
      'risk:operational',
    ]);
  });
});
