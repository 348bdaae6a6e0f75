// The sign-off gate end to end: the local forge (OpenAPI check on) plays GitHub, people act through octokit as
// themselves, Vigil acts through createGitHubForge. Each way an approval must not count, the check's conclusion
// and text, branch protection holding the merge, no write when nothing changed, failing closed when GitHub is
// down or rate limited, webhooks processed once, and polling when no webhook arrives.
import type { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Forge } from '../../controller/src/forge/forge.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import {
  createGitHubForge,
  type GitHubForgeOptions,
} from '../../controller/src/forge/github/github-forge.js';
import { type LocalForge, type Seed, startLocalForge } from '../../controller/src/forge/local/index.js';
import {
  type PollTarget,
  SignoffGate,
  SignoffPoller,
  type SignoffRequest,
  SignoffUnavailableError,
} from '../../controller/src/gate/index.js';
import { createSignoffPolicyController } from '../../controller/src/kinds/signoffpolicy/reconciler.js';
import { type KubeObject, ManualClock, type ReconcileContext } from '../../controller/src/runtime/index.js';
import { startWebhookReceiver, type WebhookEvent } from '../../controller/src/webhooks/index.js';
import { signoffPolicySpec } from '../../specs/signoffpolicy.js';
import { as } from '../forge/harness.js';

const ORG = 'northwind-health';
const REPO = `${ORG}/ai-deployments`;
const OPEN_REPO = `${ORG}/ai-sandbox`;
const VALUES = 'care-management/readmission-risk/pilot.yaml';
const SECRET = 'gate-test-webhook-secret';

const seed: Seed = {
  organizations: [
    {
      login: ORG,
      teams: [
        { slug: 'data-science', maintainers: ['ds-lead'], members: ['ds-2', 'dual-member'] },
        { slug: 'clinical-safety', maintainers: ['clinical-safety-lead'], members: ['clinical-safety-2'] },
        { slug: 'compliance', maintainers: ['compliance-1'], members: ['dual-member'] },
        { slug: 'platform', maintainers: ['platform-eng'], members: ['platform-bot', 'outsider'] },
      ],
    },
  ],
  users: [
    { login: 'platform-bot', type: 'Bot', token: 'gate-test-platform-bot' },
    { login: 'platform-eng', token: 'gate-test-platform-eng' },
    { login: 'ds-lead', token: 'gate-test-ds-lead' },
    { login: 'ds-2', token: 'gate-test-ds-2' },
    { login: 'dual-member', token: 'gate-test-dual-member' },
    { login: 'clinical-safety-lead', token: 'gate-test-clinical-safety-lead' },
    { login: 'clinical-safety-2', token: 'gate-test-clinical-safety-2' },
    { login: 'compliance-1', token: 'gate-test-compliance-1' },
    { login: 'outsider', token: 'gate-test-outsider' },
  ],
  // Vigil acts as its App: only an App may write the sign-off check run.
  apps: [
    {
      id: 1043,
      slug: 'vigil',
      name: 'Vigil',
      owner: ORG,
      installationId: 51043,
      token: 'gate-test-vigil-app',
    },
  ],
  repositories: [
    {
      fullName: REPO,
      content: { [VALUES]: 'model:\n  version: "1.4.0"\n' },
      initialCommitter: 'platform-eng',
      protection: { enforcedBy: 'branch-protection', branch: 'main', requiredChecks: ['vigil/sign-off'] },
    },
    { fullName: OPEN_REPO, content: { 'README.md': 'sandbox\n' }, initialCommitter: 'platform-eng' },
  ],
};

const policySpec = signoffPolicySpec.parse({
  roles: [
    { name: 'data-science', team: `${ORG}/data-science` },
    { name: 'clinical-safety', team: `${ORG}/clinical-safety` },
    { name: 'compliance', team: `${ORG}/compliance` },
  ],
  requirements: [
    { riskClass: 'operational', roles: ['data-science', 'compliance'] },
    { riskClass: 'clinical-decision-support', roles: ['data-science', 'clinical-safety', 'compliance'] },
  ],
  breakGlass: { roles: ['clinical-safety'], retrospectiveWithin: '72h' },
  enforcement: { repository: REPO },
});

let local: LocalForge;
let forge: Forge;
let gate: SignoffGate;
let bot: Octokit;

function vigilForge(app = 'vigil', options: Partial<GitHubForgeOptions> = {}) {
  return createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens[app]!), `test/${app}-app`),
    baseUrl: local.url,
    retryBaseMs: 10,
    ...options,
  });
}

const request = (number: number, overrides: Partial<SignoffRequest> = {}): SignoffRequest => ({
  repository: REPO,
  number,
  riskClass: 'clinical-decision-support',
  signoffPolicy: { spec: policySpec, name: 'care-management/clinical-signoff', revision: 'abc1234def' },
  breakGlassEligible: false,
  now: new Date(),
  ...overrides,
});

const [owner, repo] = REPO.split('/') as [string, string];

/** A branch with one change and its pull request, opened by `author` (Vigil's bot unless said). */
async function openPullRequest(branch: string, version: string, author = 'vigil[bot]') {
  const client = as(local, author);
  const { data: main } = await client.rest.git.getRef({ owner, repo, ref: 'heads/main' });
  await client.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: main.object.sha });
  const head = await push(author, branch, version);
  const { data: pr } = await client.rest.pulls.create({
    owner,
    repo,
    head: branch,
    base: 'main',
    title: `Promote readmission-risk ${version} to pilot`,
    body: 'Evidence attached.',
  });
  return { number: pr.number, head, branch };
}

/** One commit on `branch` as `who`; returns the new head. */
async function push(who: string, branch: string, version: string): Promise<string> {
  const client = as(local, who);
  const { data: file } = await client.rest.repos.getContent({ owner, repo, path: VALUES, ref: branch });
  if (Array.isArray(file) || file.type !== 'file') throw new Error('not a file');
  const { data } = await client.rest.repos.createOrUpdateFileContents({
    owner,
    repo,
    path: VALUES,
    branch,
    sha: file.sha,
    message: `Set ${version}`,
    content: Buffer.from(`model:\n  version: "${version}"\n`).toString('base64'),
  });
  return data.commit.sha!;
}

async function review(who: string, number: number, event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT') {
  const { data } = await as(local, who).rest.pulls.createReview({
    owner,
    repo,
    pull_number: number,
    event,
    ...(event === 'APPROVE' ? {} : { body: 'Please add the calibration plot.' }),
  });
  return data.id;
}

/** The sign-off check on a commit, as anyone reading the pull request sees it. */
async function checkOn(sha: string) {
  // Read as a person, so a rate limit set on Vigil's App does not hide the check.
  const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
    owner,
    repo,
    ref: sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
}

async function mergeAs(who: string, number: number, sha: string) {
  return as(local, who)
    .rest.pulls.merge({ owner, repo, pull_number: number, sha })
    .then(
      (r) => ({ status: r.status, merged: r.data.merged }),
      (e: { status: number }) => ({ status: e.status, merged: false }),
    );
}

beforeAll(async () => {
  local = await startLocalForge({ seed, openApiCheck: true, webhookRetryDelaysMs: [50] });
  forge = await vigilForge();
  gate = new SignoffGate({ forge });
  bot = as(local, 'vigil[bot]');
});

afterAll(async () => {
  await local?.stop();
});

describe('the sign-off gate against the forge', { timeout: 60_000 }, () => {
  // Bad input 11: every approval that must not count is listed with why.
  it('counts no committer, dismissed, outsider or double-role approval, and a change request blocks', async () => {
    const pr = await openPullRequest('vigil/readmission-risk/pilot/1.5.0', '1.5.0');
    // ds-2 pushes a fix to the branch, then approves: a committer cannot sign off.
    await push('ds-2', pr.branch, '1.5.0-fix');
    await review('ds-2', pr.number, 'APPROVE');
    await review('outsider', pr.number, 'APPROVE');
    // dual-member sits in data-science and compliance, and can fill only one of them.
    await review('dual-member', pr.number, 'APPROVE');
    const dismissed = await review('compliance-1', pr.number, 'APPROVE');
    await as(local, 'platform-eng').rest.pulls.dismissReview({
      owner,
      repo,
      pull_number: pr.number,
      review_id: dismissed,
      message: 'Approved the wrong pull request.',
    });
    await review('clinical-safety-2', pr.number, 'REQUEST_CHANGES');
    // The author may not approve their own pull request: the forge itself refuses it.
    await expect(review('vigil[bot]', pr.number, 'APPROVE')).rejects.toMatchObject({ status: 422 });

    const outcome = await gate.evaluate(request(pr.number));
    const { result } = outcome;
    expect(result.conclusion).toBe('failure');
    expect(outcome).toMatchObject({ checkRun: 'created', complete: true });
    expect(Object.fromEntries(result.ignored.map((i) => [i.login, i.reason]))).toEqual({
      'ds-2': 'committer',
      outsider: 'not-a-member',
      'compliance-1': 'dismissed',
      'clinical-safety-2': 'changes-requested',
      // Counted for one role; listed for the other it cannot also fill.
      'dual-member': 'separation-of-duties',
    });
    expect(result.filled).toBe(1);
    expect(result.roles.find((r) => r.filledBy)?.filledBy?.login).toBe('dual-member');
    expect(result.roles.filter((r) => r.missing).map((r) => r.missing!.code)).toContain(
      'separation-of-duties',
    );

    const check = await checkOn(result.headSha!);
    expect(check).toMatchObject({ id: outcome.checkRunId, status: 'completed', conclusion: 'failure' });
    expect(check!.output.title).toBe('Not signed off: changes requested by clinical-safety-2');
    expect(check!.output.summary).toContain(
      '1 of 3 roles required for risk class `clinical-decision-support`',
    );
    expect(check!.output.summary).toContain(
      'Policy: `care-management/clinical-signoff` at revision `abc1234def`',
    );
    for (const why of ['ds-2', 'outsider', 'compliance-1', 'clinical-safety-2'])
      expect(check!.output.text).toContain(`| ${why} |`);
  });

  // Reliability 12 and the merge gate: signed off, then a push: the new head is not signed off and cannot merge.
  it('succeeds when the roles approve, writes nothing when nothing changed, and a push makes it stale', async () => {
    const pr = await openPullRequest('vigil/readmission-risk/pilot/1.6.0', '1.6.0');
    const first = await gate.evaluate(request(pr.number));
    expect(first.result.conclusion).toBe('failure');
    expect((await mergeAs('platform-eng', pr.number, pr.head)).status).toBe(405);

    await review('ds-lead', pr.number, 'APPROVE');
    await review('clinical-safety-lead', pr.number, 'APPROVE');
    await review('compliance-1', pr.number, 'APPROVE');
    const signed = await gate.evaluate(request(pr.number));
    expect(signed).toMatchObject({ checkRun: 'updated', checkRunId: first.checkRunId });
    expect(signed.result.conclusion).toBe('success');
    expect((await checkOn(pr.head))?.output.title).toBe('Signed off: 3/3 roles signed off');

    // Reliability 1: the same decision again writes nothing, at the forge or through the adapter.
    const writesBefore = forge.callStats().writes;
    const forgeWritesBefore = local.calls.writes().length;
    const again = await gate.evaluate(request(pr.number, { now: new Date() }));
    expect(again.checkRun).toBe('unchanged');
    expect(forge.callStats().writes).toBe(writesBefore);
    expect(local.calls.writes().length).toBe(forgeWritesBefore);

    const pushed = await push('vigil[bot]', pr.branch, '1.6.1');
    const stale = await gate.evaluate(request(pr.number));
    expect(stale.headSha).toBe(pushed);
    expect(stale.result.conclusion).toBe('failure');
    expect(stale.result.ignored.map((i) => [i.login, i.reason])).toEqual([
      ['ds-lead', 'stale'],
      ['clinical-safety-lead', 'stale'],
      ['compliance-1', 'stale'],
    ]);
    expect((await checkOn(pushed))?.conclusion).toBe('failure');
    expect((await mergeAs('platform-eng', pr.number, pushed)).status).toBe(405);

    await review('ds-lead', pr.number, 'APPROVE');
    await review('clinical-safety-lead', pr.number, 'APPROVE');
    await review('compliance-1', pr.number, 'APPROVE');
    expect((await gate.evaluate(request(pr.number))).result.conclusion).toBe('success');
    expect(await mergeAs('platform-eng', pr.number, pushed)).toEqual({ status: 200, merged: true });
  });

  it('merges a break-glass rollback on one clinical-safety approval, and nothing else', async () => {
    const pr = await openPullRequest('vigil/readmission-risk/pilot/rollback-1.4.0', '1.4.0-rollback');
    await review('clinical-safety-2', pr.number, 'APPROVE');
    // Not a rollback: one role of three is not enough, and nothing is merged.
    const plain = await gate.evaluate(request(pr.number));
    expect(plain.result.conclusion).toBe('failure');
    expect(plain.merged).toBeUndefined();

    const rollback = await gate.evaluate(request(pr.number, { breakGlassEligible: true }));
    expect(rollback.result.breakGlass).toMatchObject({
      by: { login: 'clinical-safety-2' },
      retrospectiveRoles: ['data-science', 'compliance'],
    });
    expect(rollback.merged?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect((await bot.rest.pulls.get({ owner, repo, pull_number: pr.number })).data.merged).toBe(true);
  });
});

describe('failing closed', { timeout: 60_000 }, () => {
  // Reliability 10: GitHub down: the check says so and stays failure, even with every role approved.
  it('GitHub down while reading reviews: failure, saying GitHub is unavailable', async () => {
    const pr = await openPullRequest('vigil/readmission-risk/pilot/1.7.0', '1.7.0');
    await review('ds-lead', pr.number, 'APPROVE');
    await review('clinical-safety-lead', pr.number, 'APPROVE');
    await review('compliance-1', pr.number, 'APPROVE');
    const down = new SignoffGate({ forge: await vigilForge('vigil', { retries: 1, retryBaseMs: 1 }) });
    const fault = local.fail({
      fault: { kind: 'server-error', status: 502 },
      route: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      times: Number.POSITIVE_INFINITY,
    });
    const outcome = await down.evaluate(request(pr.number)).finally(() => fault.clear());
    expect(outcome).toMatchObject({ complete: false, checkRun: 'created' });
    expect(outcome.retryAt).toBeInstanceOf(Date);
    expect(outcome.result.conclusion).toBe('failure');
    const check = await checkOn(pr.head);
    expect(check?.conclusion).toBe('failure');
    expect(check?.output.title).toMatch(
      /^Not signed off: GitHub unavailable until \d\d:\d\d UTC; sign-off not evaluated$/,
    );
  });

  // Reliability 10: rate limited: no call before the reset, and the check never turns success.
  it('rate limited: throws SignoffUnavailableError, makes no call before the reset, leaves the check failed', async () => {
    const pr = await openPullRequest('vigil/readmission-risk/pilot/1.8.0', '1.8.0');
    const limited = new SignoffGate({ forge: await vigilForge() });
    expect((await limited.evaluate(request(pr.number))).result.conclusion).toBe('failure');
    await review('ds-lead', pr.number, 'APPROVE');
    await review('clinical-safety-lead', pr.number, 'APPROVE');
    await review('compliance-1', pr.number, 'APPROVE');

    local.setRateLimit({ user: 'vigil[bot]', remaining: 0, resetInSeconds: 3600 });
    try {
      const before = local.calls.count({ user: 'vigil[bot]' });
      const error = await limited.evaluate(request(pr.number)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignoffUnavailableError);
      const retryAt = (error as SignoffUnavailableError).retryAt.getTime();
      expect(retryAt).toBeGreaterThan(Date.now() + 3500_000);
      expect((error as Error).message).toMatch(
        /^GitHub rate limit in force until .*; sign-off not evaluated$/,
      );
      expect((error as SignoffUnavailableError).toWaitingError(new Date()).retryAfterMs).toBeGreaterThan(
        3500_000,
      );
      // One refused call (the pull request, read alone first), then none at all until the reset.
      expect(local.calls.count({ user: 'vigil[bot]' })).toBe(before + 1);
      await expect(limited.evaluate(request(pr.number))).rejects.toBeInstanceOf(SignoffUnavailableError);
      expect(local.calls.count({ user: 'vigil[bot]' })).toBe(before + 1);
      expect((await checkOn(pr.head))?.conclusion).toBe('failure');
    } finally {
      local.setRateLimit({ user: 'vigil[bot]', remaining: 5000, resetInSeconds: 3600 });
    }
  });
});

describe('webhooks and polling', { timeout: 60_000 }, () => {
  // Reliability 11, end to end: the forge's delivery, then its redelivery with the same id: one re-evaluation.
  it('re-evaluates on a review webhook, once per delivery id', async () => {
    const events: WebhookEvent[] = [];
    const receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secret: SECRET,
      onEvent: async (e) => {
        events.push(e);
        for (const t of e.targets) await gate.evaluate(request(t.number, { repository: t.repository }));
      },
    });
    try {
      const pr = await openPullRequest('vigil/readmission-risk/pilot/1.9.0', '1.9.0');
      local.webhooks.add({ url: receiver.url, secret: SECRET });
      await review('ds-lead', pr.number, 'APPROVE');
      await local.webhooks.idle();
      await receiver.idle();
      const delivery = local.webhooks.deliveries().find((d) => d.event === 'pull_request_review')!;
      expect(delivery.attempts.at(-1)?.status).toBe(202);
      expect(events.map((e) => [e.name, e.action, e.targets])).toEqual([
        ['pull_request_review', 'submitted', [{ repository: REPO, number: pr.number }]],
      ]);
      expect((await checkOn(pr.head))?.output.summary).toContain('1 of 3 roles');

      const again = local.webhooks.redeliver(delivery.guid);
      await local.webhooks.idle();
      await receiver.idle();
      expect(again.attempts.at(-1)?.status).toBe(200);
      expect(events).toHaveLength(1);
      // Our own check runs come back as check_run events: they trigger nothing.
      expect(local.webhooks.deliveries().some((d) => d.event === 'check_run')).toBe(true);
    } finally {
      await receiver.stop();
    }
  });

  // Reliability 7: with no webhook, an approval is noticed by polling within its interval; an idle poll is free.
  // The poller runs on a clock the test moves, so the interval is checked by which round notices, not by timing.
  it('notices an approval at the first poll after it, one interval on; an idle poll costs only 304s', async () => {
    const pr = await openPullRequest('vigil/readmission-risk/pilot/2.0.0', '2.0.0');
    const polled = await vigilForge();
    const targets: PollTarget[] = [{ repository: REPO, number: pr.number }];
    const clock = new ManualClock();
    /** When each poll round began, on the poller's clock. */
    const rounds: number[] = [];
    const changes: { round: number; target: PollTarget }[] = [];
    const poller = new SignoffPoller({
      forge: polled,
      targets: () => {
        rounds.push(clock.now());
        return targets;
      },
      onChange: (target) => {
        changes.push({ round: rounds.length, target });
      },
      intervalMs: 400,
      clock,
    });
    expect((await poller.poll()).changed).toEqual(targets);

    const before = local.calls.entries.length;
    const idle = await poller.poll();
    expect(idle).toEqual({ polled: 1, changed: [] });
    const calls = local.calls.entries.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.status !== 304)).toEqual([]);

    rounds.length = 0;
    changes.length = 0;
    // A round is over when the poller has set the timer for the next one.
    const roundDone = () => expect.poll(() => clock.pendingCount, { timeout: 10_000, interval: 10 }).toBe(1);
    poller.start();
    try {
      await clock.advance(0);
      await roundDone();
      const started = clock.now();
      expect(rounds).toEqual([started]);
      await review('compliance-1', pr.number, 'APPROVE');
      // Not before the interval has passed ...
      await clock.advance(poller.intervalMs - 1);
      expect(rounds).toEqual([started]);
      expect(changes).toEqual([]);
      // ... and at the round it brings, the approval is noticed: once, for that pull request.
      await clock.advance(1);
      await roundDone();
      expect(rounds).toEqual([started, started + poller.intervalMs]);
      expect(changes).toEqual([{ round: 2, target: targets[0] }]);
    } finally {
      await poller.stop();
    }
  });
});

describe('SignoffPolicy through the forge', { timeout: 30_000 }, () => {
  const ctx = () => ({ now: new Date() }) as ReconcileContext;
  const object = (repository: string): KubeObject => ({
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'SignoffPolicy',
    metadata: { namespace: 'care-management', name: 'clinical-signoff', generation: 1 },
    spec: { ...policySpec, enforcement: { ...policySpec.enforcement, repository } },
  });

  // A person's token: nothing pins the check to an App. Enforced=True, and each setting it needs, are in
  // test/gate/enforced.test.ts.
  const personal = () =>
    createGitHubForge({
      credentials: tokenFromSecret(Buffer.from(local.tokens['platform-eng']!), 'test/platform-eng'),
      baseUrl: local.url,
      retryBaseMs: 10,
    });

  it('with a personal token: the teams, and ENFORCED false saying the check cannot be pinned to an App', async () => {
    const controller = createSignoffPolicyController({ forge: await personal() });
    const result = await controller.reconcile(ctx(), object(REPO));
    expect(result.status).toMatchObject({
      enforced: false,
      missingProtection: expect.arrayContaining(['check-from-app']),
      teams: [
        { role: 'data-science', team: `${ORG}/data-science`, members: 3, resolved: true },
        { role: 'clinical-safety', team: `${ORG}/clinical-safety`, members: 2, resolved: true },
        { role: 'compliance', team: `${ORG}/compliance`, members: 2, resolved: true },
      ],
    });
    expect(result.events).toEqual([
      {
        type: 'Warning',
        reason: 'PersonalToken',
        message: expect.stringContaining(
          "a personal token's check cannot be pinned to an App, so anyone with write access could post a passing vigil/sign-off",
        ),
      },
    ]);
    expect(result.requeueAfter).toBeGreaterThan(0);
  });

  it('ENFORCED false and a Warning Event where the branch does not require it', async () => {
    const result = await createSignoffPolicyController({ forge: await personal() }).reconcile(
      ctx(),
      object(OPEN_REPO),
    );
    expect(result.status?.enforced).toBe(false);
    expect(result.status?.missingProtection).toContain('required-check');
    expect(result.events).toEqual([
      {
        type: 'Warning',
        reason: 'CheckNotRequired',
        message: expect.stringMatching(
          new RegExp(
            `^branch main of ${OPEN_REPO} does not hold the sign-off gate: required-check: the branch does not require vigil/sign-off, so merges are not blocked`,
          ),
        ),
      },
    ]);
  });

  it('sent nothing the OpenAPI description does not allow', () => {
    expect(local.violations.filter((v) => v.where === 'route' || v.where.startsWith('request.'))).toEqual([]);
  });
});
