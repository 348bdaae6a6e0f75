// What the local forge enforces as GitHub does, tried the way someone getting around the sign-off gate would:
// write the check with a personal token, overwrite Vigil's check from another App, satisfy a pinned check
// with a commit status or another App's run, push or merge without the role for it, dismiss an objection
// without being allowed to, push straight to main. And where GitHub lets an actor through (an admin where
// admins are not held, a bypass actor, a push allowance), the forge lets them through too, and says so in
// its protection and ruleset answers.
import type { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalForge, Seed } from '../../controller/src/forge/local/index.js';
import { as, asApp, OWNER, REPO, startForge } from './harness.js';

const FILE = 'revenue-cycle/denials-triage/staging.yaml';
const VIGIL_APP_ID = 1043;

/** A branch off main with one changed file, and its pull request, opened by `client`. */
async function openPullRequest(client: Octokit, repo: string, branch: string) {
  const target = { owner: OWNER, repo };
  const { data: main } = await client.rest.git.getRef({ ...target, ref: 'heads/main' });
  await client.rest.git.createRef({ ...target, ref: `refs/heads/${branch}`, sha: main.object.sha });
  const { data: file } = await client.rest.repos.getContent({ ...target, path: FILE, ref: branch });
  if (Array.isArray(file) || file.type !== 'file') throw new Error(`${FILE} is not a file`);
  const text = Buffer.from(file.content, 'base64').toString('utf8');
  await client.rest.repos.createOrUpdateFileContents({
    ...target,
    path: FILE,
    branch,
    message: `Change ${FILE} on ${branch}`,
    sha: file.sha,
    content: Buffer.from(`${text}# ${branch}\n`).toString('base64'),
  });
  const { data: pr } = await client.rest.pulls.create({
    ...target,
    title: branch,
    head: branch,
    base: 'main',
  });
  return { number: pr.number, head: pr.head.sha, mainSha: main.object.sha };
}

async function signOff(app: Octokit, repo: string, sha: string, conclusion: 'success' | 'failure') {
  const { data } = await app.rest.checks.create({
    owner: OWNER,
    repo,
    name: 'vigil/sign-off',
    head_sha: sha,
    status: 'completed',
    conclusion,
    output: { title: conclusion, summary: 'roles' },
  });
  return data;
}

/** The merge's outcome: 200, or the forge's status and message. */
async function merge(client: Octokit, repo: string, number: number) {
  return client.rest.pulls.merge({ owner: OWNER, repo, pull_number: number }).then(
    (r) => ({ status: r.status, message: r.data.message }),
    (e: { status: number; response: { data: { message: string } } }) => ({
      status: e.status,
      message: e.response.data.message,
    }),
  );
}

describe('the example forge (examples/forge/seed.yaml)', () => {
  let forge: LocalForge;
  let vigil: Octokit;
  let ci: Octokit;
  beforeAll(async () => {
    forge = await startForge();
    vigil = asApp(forge, 'vigil');
    ci = asApp(forge, 'northwind-ci');
  });
  afterAll(async () => {
    await forge?.stop();
  });
  afterEach(() => {
    expect(forge.violations.splice(0)).toEqual([]);
  });

  it("refuses a check run written with a user's token: only an App writes check runs", async () => {
    const pr = await openPullRequest(as(forge, 'ds-2'), REPO, 'ds-2/user-check');
    const err = await as(forge, 'ds-2')
      .rest.checks.create({
        owner: OWNER,
        repo: REPO,
        name: 'vigil/sign-off',
        head_sha: pr.head,
        status: 'completed',
        conclusion: 'success',
        output: { title: 'Signed off', summary: 'by me' },
      })
      .catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.response.data.message).toBe('You must authenticate via a GitHub App.');
  });

  it("refuses another App's update of Vigil's check run, and each run names the App that wrote it", async () => {
    const pr = await openPullRequest(as(forge, 'ds-3'), REPO, 'ds-3/overwrite-check');
    const run = await signOff(vigil, REPO, pr.head, 'failure');
    expect(run.app).toMatchObject({ id: VIGIL_APP_ID, slug: 'vigil', owner: { login: OWNER } });
    const err = await ci.rest.checks
      .update({ owner: OWNER, repo: REPO, check_run_id: run.id, conclusion: 'success' })
      .catch((e) => e);
    expect(err.status).toBe(403);
    const { data: after } = await vigil.rest.checks.get({ owner: OWNER, repo: REPO, check_run_id: run.id });
    expect(after.conclusion).toBe('failure');
    // Vigil may update its own run.
    const { data: own } = await vigil.rest.checks.update({
      owner: OWNER,
      repo: REPO,
      check_run_id: run.id,
      conclusion: 'failure',
      output: { title: 'Still missing', summary: 'roles' },
    });
    expect(own.output.title).toBe('Still missing');
  });

  it("lists each App's latest run of a name: another App's later run does not hide Vigil's", async () => {
    const pr = await openPullRequest(as(forge, 'ds-2'), REPO, 'ds-2/shadow-run');
    const own = await signOff(vigil, REPO, pr.head, 'failure');
    await signOff(ci, REPO, pr.head, 'success');
    const list = (extra: { app_id?: number } = {}) =>
      as(forge, 'ds-2').rest.checks.listForRef({
        owner: OWNER,
        repo: REPO,
        ref: pr.head,
        check_name: 'vigil/sign-off',
        ...extra,
      });
    const { data: all } = await list();
    expect(all.check_runs.map((r) => [r.app?.slug, r.conclusion])).toEqual([
      ['northwind-ci', 'success'],
      ['vigil', 'failure'],
    ]);
    const { data: vigilOnly } = await list({ app_id: VIGIL_APP_ID });
    expect(vigilOnly.check_runs.map((r) => r.id)).toEqual([own.id]);
  });

  it('does not let a commit status satisfy the check pinned to the vigil App', async () => {
    const pr = await openPullRequest(as(forge, 'ds-2'), REPO, 'ds-2/status-not-check');
    await as(forge, 'ds-2').rest.repos.createCommitStatus({
      owner: OWNER,
      repo: REPO,
      sha: pr.head,
      state: 'success',
      context: 'vigil/sign-off',
    });
    expect(await merge(as(forge, 'ds-2'), REPO, pr.number)).toEqual({
      status: 405,
      message: 'Required status check "vigil/sign-off" is expected.',
    });
  });

  it("does not let another App's run named vigil/sign-off satisfy it; Vigil's own run does", async () => {
    const pr = await openPullRequest(as(forge, 'ds-3'), REPO, 'ds-3/other-app-check');
    const fake = await signOff(ci, REPO, pr.head, 'success');
    expect(fake.app?.slug).toBe('northwind-ci');
    expect(await merge(as(forge, 'ds-3'), REPO, pr.number)).toEqual({
      status: 405,
      message: 'Required status check "vigil/sign-off" is expected.',
    });
    await signOff(vigil, REPO, pr.head, 'success');
    expect(await merge(as(forge, 'ds-3'), REPO, pr.number)).toMatchObject({ status: 200 });
  });

  it('lets a triage role (a sign-off team) review but neither push a branch nor merge', async () => {
    const pr = await openPullRequest(as(forge, 'ds-2'), REPO, 'ds-2/triage-merge');
    await signOff(vigil, REPO, pr.head, 'success');
    const reviewer = as(forge, 'clinical-safety-2');
    await reviewer.rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      event: 'APPROVE',
    });
    const push = await reviewer.rest.git
      .createRef({ owner: OWNER, repo: REPO, ref: 'refs/heads/clinical-safety-2/try', sha: pr.head })
      .catch((e) => e);
    expect(push.status).toBe(403);
    expect((await merge(reviewer, REPO, pr.number)).status).toBe(403);
  });

  it('lets only admins, maintainers and the compliance team dismiss a review on main', async () => {
    const pr = await openPullRequest(as(forge, 'ds-3'), REPO, 'ds-3/dismissal');
    const { data: objection } = await as(forge, 'compliance-1').rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      event: 'REQUEST_CHANGES',
      body: 'The payer contract clause is not covered.',
    });
    const dismiss = (login: string) =>
      as(forge, login)
        .rest.pulls.dismissReview({
          owner: OWNER,
          repo: REPO,
          pull_number: pr.number,
          review_id: objection.id,
          message: 'Addressed.',
        })
        .then((r) => r.status)
        .catch((e: { status: number }) => e.status);
    // A writer outside the restriction (here the pull request's author) cannot lift the objection.
    expect(await dismiss('ds-3')).toBe(403);
    expect(await dismiss('ds-2')).toBe(403);
    expect(await dismiss('compliance-2')).toBe(200);
  });

  it('refuses a direct update of main, even by an admin and even to a signed-off commit', async () => {
    const pr = await openPullRequest(as(forge, 'ds-2'), REPO, 'ds-2/straight-to-main');
    await signOff(vigil, REPO, pr.head, 'success');
    const err = await as(forge, 'platform-eng')
      .rest.git.updateRef({ owner: OWNER, repo: REPO, ref: 'heads/main', sha: pr.head })
      .catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.response.data.message).toBe(
      'Protected branch update failed for refs/heads/main.\n\nChanges must be made through a pull request.',
    );
    const { data: main } = await vigil.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    expect(main.object.sha).toBe(pr.mainSha);
  });
});

const lenientSeed: Seed = {
  organizations: [
    {
      login: OWNER,
      teams: [
        { slug: 'platform', maintainers: ['admin-1'] },
        { slug: 'data-science', maintainers: ['ds-a'], members: ['ds-b'] },
        { slug: 'release', maintainers: ['rel-1'] },
      ],
    },
  ],
  users: [
    { login: 'admin-1', token: 'lenient-admin-1' },
    { login: 'ds-a', token: 'lenient-ds-a' },
    { login: 'ds-b', token: 'lenient-ds-b' },
    { login: 'rel-1', token: 'lenient-rel-1' },
  ],
  apps: [
    {
      id: VIGIL_APP_ID,
      slug: 'vigil',
      name: 'Vigil',
      owner: OWNER,
      installationId: 51043,
      token: 'lenient-vigil',
    },
  ],
  repositories: ['ai-deployments', 'ruled-deployments'].map((name) => ({
    fullName: `${OWNER}/${name}`,
    content: { [FILE]: 'model:\n  version: "3.2.0"\n' },
    access: {
      base: 'read' as const,
      teams: { platform: 'admin', 'data-science': 'write', release: 'write' },
    },
    protection:
      name === 'ai-deployments'
        ? {
            // Classic protection that lets admins through and allows the release team to skip the pull
            // request, with pushes (merges included) restricted to platform, release and Vigil.
            enforcedBy: 'branch-protection' as const,
            requiredChecks: [{ context: 'vigil/sign-off', appId: VIGIL_APP_ID }],
            enforceAdmins: false,
            bypassActors: { teams: ['release'] },
            pushRestrictions: { teams: ['platform', 'release'], apps: ['vigil'] },
          }
        : {
            // A ruleset with the release team among its bypass actors.
            enforcedBy: 'ruleset' as const,
            requiredChecks: [{ context: 'vigil/sign-off', appId: VIGIL_APP_ID }],
            bypassActors: { teams: ['release'] },
          },
  })),
};

describe('a forge whose protection lets some actors through', () => {
  let forge: LocalForge;
  beforeAll(async () => {
    forge = await startForge({ seed: lenientSeed });
  });
  afterAll(async () => {
    await forge?.stop();
  });
  afterEach(() => {
    expect(forge.violations.splice(0)).toEqual([]);
  });

  it('reports what it lets through: admins not held, bypass allowances, push restrictions', async () => {
    const { data } = await asApp(forge, 'vigil').rest.repos.getBranchProtection({
      owner: OWNER,
      repo: 'ai-deployments',
      branch: 'main',
    });
    expect(data.enforce_admins?.enabled).toBe(false);
    expect(data.required_status_checks?.checks).toEqual([
      { context: 'vigil/sign-off', app_id: VIGIL_APP_ID },
    ]);
    expect(
      data.required_pull_request_reviews?.bypass_pull_request_allowances?.teams?.map((t) => t.slug),
    ).toEqual(['release']);
    expect(data.restrictions?.teams.map((t) => t.slug)).toEqual(['platform', 'release']);
    expect(data.restrictions?.apps.map((a) => a.slug)).toEqual(['vigil']);
  });

  it('lets an admin merge without the check where admins are not held', async () => {
    const pr = await openPullRequest(as(forge, 'ds-a'), 'ai-deployments', 'ds-a/admin-merge');
    expect(await merge(as(forge, 'admin-1'), 'ai-deployments', pr.number)).toMatchObject({ status: 200 });
  });

  it('refuses a merge by a writer outside the push restrictions, even with the check passing', async () => {
    const pr = await openPullRequest(as(forge, 'ds-a'), 'ai-deployments', 'ds-a/restricted');
    await signOff(asApp(forge, 'vigil'), 'ai-deployments', pr.head, 'success');
    expect(await merge(as(forge, 'ds-b'), 'ai-deployments', pr.number)).toMatchObject({
      status: 405,
      message: expect.stringMatching(/^You're not authorized to push to this branch\./),
    });
    expect(await merge(asApp(forge, 'vigil'), 'ai-deployments', pr.number)).toMatchObject({ status: 200 });
  });

  it('lets a bypass allowance push to main directly, but refuses a force push to anyone', async () => {
    const pr = await openPullRequest(as(forge, 'rel-1'), 'ai-deployments', 'rel-1/direct');
    await signOff(asApp(forge, 'vigil'), 'ai-deployments', pr.head, 'success');
    const release = as(forge, 'rel-1');
    const target = { owner: OWNER, repo: 'ai-deployments', ref: 'heads/main' };
    const { data: before } = await release.rest.git.getRef(target);
    await release.rest.git.updateRef({ ...target, sha: pr.head });
    const force = await release.rest.git
      .updateRef({ ...target, sha: before.object.sha, force: true })
      .catch((e) => e);
    expect(force.status).toBe(422);
    expect(force.response.data.message).toMatch(/Cannot force-push to this branch/);
    // A writer without the allowance cannot push directly at all.
    const direct = await as(forge, 'ds-a')
      .rest.git.updateRef({ ...target, sha: pr.head })
      .catch((e) => e);
    expect(direct.status).toBe(422);
  });

  it('answers rulesets with their bypass actors, shown to those who may edit them', async () => {
    const target = { owner: OWNER, repo: 'ruled-deployments' };
    const { data: list } = await asApp(forge, 'vigil').rest.repos.getRepoRulesets(target);
    expect(list).toHaveLength(1);
    const { data: ruleset } = await asApp(forge, 'vigil').rest.repos.getRepoRuleset({
      ...target,
      ruleset_id: list[0]!.id,
    });
    expect(ruleset.enforcement).toBe('active');
    expect(ruleset.bypass_actors).toEqual([
      { actor_id: expect.any(Number), actor_type: 'Team', bypass_mode: 'always' },
    ]);
    expect(ruleset.rules?.find((r) => r.type === 'required_status_checks')?.parameters).toMatchObject({
      required_status_checks: [{ context: 'vigil/sign-off', integration_id: VIGIL_APP_ID }],
    });
    const { data: asWriter } = await as(forge, 'ds-a').rest.repos.getRepoRuleset({
      ...target,
      ruleset_id: list[0]!.id,
    });
    expect(asWriter.bypass_actors).toBeUndefined();
    expect(asWriter.current_user_can_bypass).toBe('never');
    const { data: rules } = await as(forge, 'ds-a').rest.repos.getBranchRules({ ...target, branch: 'main' });
    expect(rules.map((r) => r.type).sort()).toEqual([
      'deletion',
      'non_fast_forward',
      'pull_request',
      'required_status_checks',
    ]);
  });

  it("lets a ruleset's bypass actor merge without the check, and no one else", async () => {
    const pr = await openPullRequest(as(forge, 'ds-a'), 'ruled-deployments', 'ds-a/ruleset-bypass');
    expect(await merge(as(forge, 'ds-b'), 'ruled-deployments', pr.number)).toEqual({
      status: 405,
      message: 'Repository rule violations found\n\nRequired status check "vigil/sign-off" is expected.\n\n',
    });
    // Admins are held by this ruleset (it does not list them among its bypass actors).
    expect((await merge(as(forge, 'admin-1'), 'ruled-deployments', pr.number)).status).toBe(405);
    expect(await merge(as(forge, 'rel-1'), 'ruled-deployments', pr.number)).toMatchObject({ status: 200 });
  });
});
