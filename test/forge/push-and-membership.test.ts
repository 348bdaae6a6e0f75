// Who pushed, who dismissed, who joined a team: what the local forge tells a receiver through push,
// pull_request and membership webhooks, and through a pull request's timeline, as GitHub does. Commit
// metadata can name anyone; the push event's sender is the account that pushed.
import type { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { as, startForge } from './harness.js';
import { ORG, PROVENANCE_SEED, REPO_NAME, Receiver, repo } from './provenance-fixture.js';

const VALUES = 'services/triage/values.yaml';
const receiver = new Receiver();
let forge: LocalForge;
let author: Octokit;
let mallory: Octokit;

beforeAll(async () => {
  await receiver.start();
  forge = await startForge({
    seed: PROVENANCE_SEED,
    webhooks: [{ url: receiver.url, secret: 'push-and-membership' }],
  });
  author = as(forge, 'author');
  mallory = as(forge, 'mallory');
});
afterAll(async () => {
  await forge?.stop();
  await receiver.stop();
});
afterEach(() => {
  expect(forge.violations.splice(0)).toEqual([]);
});

/** Wait for every delivery so far, then forget them: what a step sends is what the receiver holds next. */
async function settled(): Promise<void> {
  await forge.webhooks.idle();
  receiver.received.length = 0;
}

const tipOf = async (branch: string) =>
  (await author.rest.git.getRef({ ...repo, ref: `heads/${branch}` })).data.object.sha;

/** A commit on `parent` that names `who` as author and committer, written through the Git database API. */
async function commitAs(client: Octokit, parent: string, text: string, who: { name: string; email: string }) {
  const { data: p } = await client.rest.git.getCommit({ ...repo, commit_sha: parent });
  const { data: tree } = await client.rest.git.createTree({
    ...repo,
    base_tree: p.tree.sha,
    tree: [{ path: VALUES, mode: '100644', type: 'blob', content: text }],
  });
  const { data: c } = await client.rest.git.createCommit({
    ...repo,
    message: `Set ${text.trim()}`,
    tree: tree.sha,
    parents: [parent],
    author: who,
    committer: who,
  });
  return c.sha;
}

describe('push webhooks', { timeout: 60_000 }, () => {
  const branch = 'raise-triage';
  let number: number;
  let first: string;

  it('names the account that pushed as sender and pusher, whatever the commits claim', async () => {
    await settled();
    const main = await tipOf('main');
    first = await commitAs(mallory, main, 'version: "2.0.0"\n', {
      name: 'Person safety-lead',
      email: 'safety-lead@acme-health.example',
    });
    await mallory.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: first });
    await forge.webhooks.idle();
    const [push] = receiver.of('push');
    expect(receiver.of('push')).toHaveLength(1);
    expect(push?.payload).toMatchObject({
      ref: `refs/heads/${branch}`,
      before: '0'.repeat(40),
      after: first,
      created: true,
      deleted: false,
      forced: false,
      pusher: { name: 'mallory', email: 'mallory@acme-health.example' },
      sender: { login: 'mallory' },
      repository: { full_name: `${ORG}/${REPO_NAME}` },
      head_commit: {
        id: first,
        author: { email: 'safety-lead@acme-health.example', username: 'safety-lead' },
      },
    });
    expect(
      ((push?.payload.commits ?? []) as { id: string; modified: string[] }[]).map((c) => [c.id, c.modified]),
    ).toEqual([[first, [VALUES]]]);
  });

  it('sends synchronize with the pusher as sender when the head of a pull request moves', async () => {
    const { data: pr } = await author.rest.pulls.create({
      ...repo,
      title: 'Raise triage',
      head: branch,
      base: 'main',
    });
    number = pr.number;
    await settled();
    const second = await commitAs(author, first, 'version: "2.1.0"\n', {
      name: 'Person author',
      email: 'author@acme-health.example',
    });
    await author.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: second });
    await forge.webhooks.idle();
    expect(receiver.received.map((d) => `${d.event}.${d.payload.action ?? ''}`)).toEqual([
      'push.',
      'pull_request.synchronize',
    ]);
    expect(receiver.of('push')[0]?.payload).toMatchObject({
      before: first,
      after: second,
      created: false,
      forced: false,
      sender: { login: 'author' },
      commits: [{ id: second }],
    });
    expect(receiver.of('pull_request', 'synchronize')[0]?.payload).toMatchObject({
      before: first,
      after: second,
      sender: { login: 'author' },
    });
  });

  it('marks a force push as forced, and the timeline names who force-pushed', async () => {
    await settled();
    const replacement = await commitAs(mallory, await tipOf('main'), 'version: "9.9.9"\n', {
      name: 'Person author',
      email: 'author@acme-health.example',
    });
    const before = await tipOf(branch);
    await mallory.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: replacement, force: true });
    await forge.webhooks.idle();
    expect(receiver.of('push')[0]?.payload).toMatchObject({
      before,
      after: replacement,
      forced: true,
      sender: { login: 'mallory' },
      commits: [{ id: replacement, author: { username: 'author' } }],
    });
    expect(receiver.of('pull_request', 'synchronize')[0]?.payload).toMatchObject({
      sender: { login: 'mallory' },
    });

    const timeline = await author.paginate(author.rest.issues.listEventsForTimeline, {
      ...repo,
      issue_number: number,
    });
    const forcePush = timeline.find((e) => e.event === 'head_ref_force_pushed');
    expect(forcePush).toMatchObject({ actor: { login: 'mallory' } });
    // The commits forced away leave the timeline; the one now on the branch is listed, unsigned.
    const committed = timeline.filter((e) => e.event === 'committed') as {
      sha?: string;
      verification?: unknown;
    }[];
    expect(committed.map((c) => c.sha)).toEqual([replacement]);
    expect(committed[0]?.verification).toMatchObject({ verified: false, reason: 'unsigned' });
  });

  it('reports a deleted branch as a deletion by whoever deleted it', async () => {
    await author.rest.git.createRef({ ...repo, ref: 'refs/heads/scratch', sha: await tipOf('main') });
    await settled();
    const before = await tipOf('scratch');
    await mallory.rest.git.deleteRef({ ...repo, ref: 'heads/scratch' });
    await forge.webhooks.idle();
    expect(receiver.of('push').map((d) => d.payload)).toMatchObject([
      {
        ref: 'refs/heads/scratch',
        before,
        after: '0'.repeat(40),
        deleted: true,
        commits: [],
        head_commit: null,
      },
    ]);
    expect(receiver.of('push')[0]?.payload.sender).toMatchObject({ login: 'mallory' });
  });

  describe('the timeline of a review', () => {
    it('names who dismissed a review that requested changes, and what it was', async () => {
      const safety = as(forge, 'safety-lead');
      const { data: objection } = await safety.rest.pulls.createReview({
        ...repo,
        pull_number: number,
        event: 'REQUEST_CHANGES',
        body: 'The triage threshold needs a clinical safety case.',
      });
      await settled();
      await as(forge, 'author-lead').rest.pulls.dismissReview({
        ...repo,
        pull_number: number,
        review_id: objection.id,
        message: 'Addressed offline',
      });
      await forge.webhooks.idle();
      expect(receiver.of('pull_request_review', 'dismissed')[0]?.payload).toMatchObject({
        sender: { login: 'author-lead' },
        review: { id: objection.id, state: 'dismissed', user: { login: 'safety-lead' } },
      });

      const timeline = await author.paginate(author.rest.issues.listEventsForTimeline, {
        ...repo,
        issue_number: number,
      });
      const dismissal = timeline.find((e) => e.event === 'review_dismissed');
      expect(dismissal).toMatchObject({
        actor: { login: 'author-lead' },
        dismissed_review: {
          state: 'changes_requested',
          review_id: objection.id,
          dismissal_message: 'Addressed offline',
          dismissal_commit_id: await tipOf(branch),
        },
      });
      const reviewed = timeline.find((e) => e.event === 'reviewed' && 'id' in e && e.id === objection.id);
      expect(reviewed).toMatchObject({ state: 'dismissed', user: { login: 'safety-lead' } });
      // Order is the order things happened: the review, then its dismissal.
      expect(timeline.indexOf(reviewed!)).toBeLessThan(timeline.indexOf(dismissal!));
    });

    it('records review requests, closing, reopening (with its webhook) and the merge, each with its actor', async () => {
      await author.rest.pulls.requestReviewers({
        ...repo,
        pull_number: number,
        team_reviewers: ['clinical-safety'],
      });
      await mallory.rest.pulls.update({ ...repo, pull_number: number, state: 'closed' });
      await settled();
      await author.rest.pulls.update({ ...repo, pull_number: number, state: 'open' });
      await forge.webhooks.idle();
      expect(receiver.of('pull_request', 'reopened')[0]?.payload).toMatchObject({
        number,
        sender: { login: 'author' },
        pull_request: { state: 'open' },
      });
      const { data: merged } = await author.rest.pulls.merge({ ...repo, pull_number: number });
      await forge.webhooks.idle();
      expect(receiver.of('push').at(-1)?.payload).toMatchObject({
        ref: 'refs/heads/main',
        after: merged.sha,
        sender: { login: 'author' },
      });

      const timeline = await author.paginate(author.rest.issues.listEventsForTimeline, {
        ...repo,
        issue_number: number,
      });
      const events = timeline
        .filter((e) => e.event !== 'committed' && e.event !== 'reviewed')
        .map((e) => `${e.event}:${'actor' in e ? e.actor?.login : ''}`);
      expect(events).toEqual([
        'head_ref_force_pushed:mallory',
        'review_dismissed:author-lead',
        'review_requested:author',
        'closed:mallory',
        'reopened:author',
        'merged:author',
        'closed:author',
      ]);
      expect(timeline.find((e) => e.event === 'review_requested')).toMatchObject({
        review_requester: { login: 'author' },
        requested_team: { slug: 'clinical-safety' },
      });
      expect(timeline.find((e) => e.event === 'merged')).toMatchObject({ commit_id: merged.sha });
    });
  });
});

describe('team membership', { timeout: 60_000 }, () => {
  it('lets a maintainer add and remove members, and tells a receiver with membership webhooks', async () => {
    const lead = as(forge, 'safety-lead');
    await settled();
    const { data: added } = await lead.rest.teams.addOrUpdateMembershipForUserInOrg({
      org: ORG,
      team_slug: 'clinical-safety',
      username: 'mallory',
    });
    expect(added).toMatchObject({ role: 'member', state: 'active' });
    const members = await lead.paginate(lead.rest.teams.listMembersInOrg, {
      org: ORG,
      team_slug: 'clinical-safety',
    });
    expect(members.map((m) => m.login)).toContain('mallory');

    await lead.rest.teams.removeMembershipForUserInOrg({
      org: ORG,
      team_slug: 'clinical-safety',
      username: 'mallory',
    });
    await forge.webhooks.idle();
    const deliveries = receiver.of('membership');
    expect(deliveries.map((d) => d.payload)).toMatchObject([
      {
        action: 'added',
        scope: 'team',
        member: { login: 'mallory' },
        team: { slug: 'clinical-safety' },
        organization: { login: ORG },
        sender: { login: 'safety-lead' },
      },
      { action: 'removed', member: { login: 'mallory' }, sender: { login: 'safety-lead' } },
    ]);
    expect(deliveries[0]?.headers['x-github-hook-installation-target-type']).toBe('organization');
    const after = await lead.paginate(lead.rest.teams.listMembersInOrg, {
      org: ORG,
      team_slug: 'clinical-safety',
    });
    expect(after.map((m) => m.login)).not.toContain('mallory');
  });

  it('refuses a member who is no maintainer, and sends no webhook', async () => {
    await settled();
    await expect(
      mallory.rest.teams.addOrUpdateMembershipForUserInOrg({
        org: ORG,
        team_slug: 'clinical-safety',
        username: 'mallory',
      }),
    ).rejects.toMatchObject({ status: 403 });
    await forge.webhooks.idle();
    expect(receiver.of('membership')).toEqual([]);
    const members = await mallory.paginate(mallory.rest.teams.listMembersInOrg, {
      org: ORG,
      team_slug: 'clinical-safety',
    });
    expect(members.map((m) => m.login)).not.toContain('mallory');
  });
});
