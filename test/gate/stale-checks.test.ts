// A green check never outlives its facts: the `vigil/sign-off` check is evaluated again, through the real change
// control loop, when a pull request whose Promotion settled is reopened, when an approval expires, and when
// GitHub stops answering what the decision needs (the check then fails, saying why, instead of staying green).
// The local forge (OpenAPI check on) plays GitHub; people push, open and review through octokit as themselves.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type ChangeControl, startChangeControl } from '../../controller/src/change-control.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge, type GitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { SignoffGate } from '../../controller/src/gate/index.js';
import type { KubeObject, Manager } from '../../controller/src/runtime/index.js';
import { signoffPolicySpec } from '../../specs/signoffpolicy.js';
import { as, branchWithChange, OWNER, REPO, REPO_ROOT, startForge } from '../forge/harness.js';

const repository = `${OWNER}/${REPO}`;
const PRODUCTION = 'care-management/readmission-risk/production.yaml';
const SIGNERS = ['ds-lead', 'clinical-safety-lead', 'compliance-1'];

const examples = (): KubeObject[] =>
  ['care-management/readmission-risk.yaml', 'care-management/clinical-signoff.yaml']
    .flatMap((file) => parseAllDocuments(readFileSync(resolve(REPO_ROOT, 'examples', file), 'utf8')))
    .map((d) => d.toJS() as KubeObject);

/** The manager as change control reads it: cached Vigil objects, no Promotion reconciler running. */
function managerOf(objects: KubeObject[]): Manager {
  return {
    informerFor: (kind: { kind: string }) => ({
      list: (namespace?: string) =>
        objects.filter(
          (o) => o.kind === kind.kind && (namespace === undefined || o.metadata.namespace === namespace),
        ),
      get: (namespace: string | undefined, name: string) =>
        objects.find(
          (o) => o.kind === kind.kind && o.metadata.namespace === namespace && o.metadata.name === name,
        ),
    }),
    queueFor: () => undefined,
    metrics: { registry: new Registry() },
  } as unknown as Manager;
}

let local: LocalForge;
let changeControl: ChangeControl | undefined;

/** Vigil's own client: few, fast retries, so an outage is reported in the time a test can wait. */
const vigilForge = (extra: { maxWaitMs?: number } = {}): Promise<GitHubForge> =>
  createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retries: 1,
    retryBaseMs: 10,
    unavailableRetryMs: 200,
    ...extra,
  });

beforeAll(async () => {
  local = await startForge();
});

afterEach(async () => {
  await changeControl?.stop();
  changeControl = undefined;
  local.clearFaults();
});

afterAll(async () => {
  await local?.stop();
});

async function openPullRequest(who: string, branch: string, version: string) {
  const client = as(local, who);
  await branchWithChange(
    client,
    branch,
    PRODUCTION,
    (old) => old.replace(/version: "[^"]+"/, `version: "${version}"`),
    `Deploy ${version} to production`,
  );
  const { data } = await client.rest.pulls.create({
    owner: OWNER,
    repo: REPO,
    head: branch,
    base: 'main',
    title: `Deploy ${version} to production`,
  });
  return data;
}

async function approveAll(number: number, signers = SIGNERS) {
  const ids: Record<string, number> = {};
  for (const who of signers) {
    const { data } = await as(local, who).rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: number,
      event: 'APPROVE',
    });
    ids[who] = data.id;
  }
  return ids;
}

let lastCheck: { conclusion: string | null; output: { title: string | null } } | undefined;
async function signoffCheck(sha: string) {
  const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
    owner: OWNER,
    repo: REPO,
    ref: sha,
    check_name: 'vigil/sign-off',
  });
  lastCheck = data.check_runs[0];
  return data.check_runs[0];
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const seen = lastCheck ? `${lastCheck.conclusion}: ${lastCheck.output.title}` : 'none';
      throw new Error(`timed out waiting for ${what}; the check last seen: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a reopened pull request whose Promotion settled', { timeout: 180_000 }, () => {
  it('is gated as hand-made: the success it had while the Promotion was open does not stand', async () => {
    const objects = examples();
    const forge = await vigilForge();
    const branch = 'vigil/care-management/readmission-risk/production-2.4.7';
    const pr = await openPullRequest('platform-bot', branch, '2.4.7');
    const promotion: KubeObject = {
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'Promotion',
      metadata: { namespace: 'care-management', name: 'readmission-risk-production-2-4-7' },
      spec: {
        useCase: 'readmission-risk',
        type: 'promotion',
        trigger: 'manual',
        to: 'production',
        version: '2.4.7',
      },
      status: { phase: 'Open', pullRequest: { number: pr.number, url: pr.html_url, branch } },
    };
    objects.push(promotion);

    // While the Promotion was open its reconciler signed it off.
    const reviews = await approveAll(pr.number);
    const policy = objects.find((o) => o.kind === 'SignoffPolicy')!;
    const outcome = await new SignoffGate({ forge }).evaluate({
      repository,
      number: pr.number,
      riskClass: 'clinical-decision-support',
      signoffPolicy: { spec: signoffPolicySpec.parse(policy.spec), name: 'care-management/clinical-signoff' },
      breakGlassEligible: false,
      now: new Date(),
    });
    expect(outcome.result.conclusion).toBe('success');
    expect((await signoffCheck(pr.head.sha))?.conclusion).toBe('success');

    // A newer Promotion superseded it: its pull request was closed. Then an approval was withdrawn.
    await as(local, 'platform-bot').rest.pulls.update({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      state: 'closed',
    });
    (promotion as { status: unknown }).status = {
      phase: 'Superseded',
      pullRequest: { number: pr.number, url: pr.html_url, branch, headSha: pr.head.sha },
    };
    await as(local, 'platform-eng').rest.pulls.dismissReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      review_id: reviews['ds-lead']!,
      message: 'No longer stands behind this version',
    });

    changeControl = await startChangeControl({
      manager: managerOf(objects),
      forge,
      logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      pollIntervalMs: 200,
    });
    await as(local, 'ds-3').rest.pulls.update({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      state: 'open',
    });

    const failing = await until('the reopened pull request to be gated', async () => {
      const check = await signoffCheck(pr.head.sha);
      return check?.conclusion === 'failure' ? check : undefined;
    });
    expect(failing.output.title).toBe('Not signed off: 2/3 roles signed off');
  });
});

describe('a signer who leaves the team', { timeout: 180_000 }, () => {
  // ds-2 signs for data science; ds-lead, the team's maintainer, takes ds-2 out of the team and back in.
  const signers = ['ds-2', 'clinical-safety-lead', 'compliance-1'];
  const membership = (action: 'remove' | 'add') => {
    const client = as(local, 'ds-lead').rest.teams;
    const who = { org: OWNER, team_slug: 'data-science', username: 'ds-2' };
    return action === 'remove'
      ? client.removeMembershipForUserInOrg(who)
      : client.addOrUpdateMembershipForUserInOrg(who);
  };

  for (const how of ['a membership webhook', 'the poll, without webhooks'] as const) {
    it(`no longer counts once they left: the check fails, told by ${how}`, async () => {
      const webhooks = how === 'a membership webhook';
      // Signed off before Vigil starts: its first poll finds the pull request and evaluates it once.
      const pr = await openPullRequest('ds-3', `leaver-${webhooks ? 'webhook' : 'poll'}`, '2.5.0');
      await approveAll(pr.number, signers);
      const forge = await vigilForge();
      changeControl = await startChangeControl({
        manager: managerOf(examples()),
        forge,
        logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
        ...(webhooks
          ? {
              webhook: {
                port: 0,
                host: '127.0.0.1',
                path: '/webhooks/github',
                secret: 'stale-checks-secret',
              },
              webhookBatchMs: 100,
              // Only the membership webhook can tell: the poll does not come round again in this test.
              pollIntervalMs: 600_000,
            }
          : { pollIntervalMs: 200 }),
      });
      const passed = await until('the sign-off to pass', async () => {
        const check = await signoffCheck(pr.head.sha);
        return check?.conclusion === 'success' ? check : undefined;
      });
      if (webhooks) local.webhooks.add({ url: changeControl.webhookUrl!, secret: 'stale-checks-secret' });
      try {
        await membership('remove');
        const failing = await until('the check to fail', async () => {
          const check = await signoffCheck(pr.head.sha);
          return check?.conclusion === 'failure' ? check : undefined;
        });
        expect(failing.id).toBe(passed.id);
        expect(failing.output.title).toBe('Not signed off: 2/3 roles signed off');
      } finally {
        await membership('add');
      }
    });
  }
});

describe('an approval that expires', { timeout: 180_000 }, () => {
  it('turns the check to failure when it expires, with no event and no poll', async () => {
    const objects = examples();
    const policy = objects.find((o) => o.kind === 'SignoffPolicy')!;
    (policy.spec as { rules: { approvalExpiry: string } }).rules.approvalExpiry = '20s';
    const forge = await vigilForge();
    changeControl = await startChangeControl({
      manager: managerOf(objects),
      forge,
      logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      webhook: { port: 0, host: '127.0.0.1', path: '/webhooks/github', secret: 'stale-checks-secret' },
      webhookBatchMs: 100,
      // No poll after the first: only the expiry can turn the check.
      pollIntervalMs: 600_000,
    });
    local.webhooks.add({ url: changeControl.webhookUrl!, secret: 'stale-checks-secret' });

    const pr = await openPullRequest('ds-3', 'expiring-approvals', '2.4.8');
    await approveAll(pr.number);
    const passed = await until('the sign-off to pass', async () => {
      const check = await signoffCheck(pr.head.sha);
      return check?.conclusion === 'success' ? check : undefined;
    });
    expect(passed.output.summary).toContain('expires');
    await local.webhooks.idle();
    const deliveries = local.webhooks.deliveries().length;

    const expired = await until('the expired approvals to fail the check', async () => {
      const check = await signoffCheck(pr.head.sha);
      return check?.conclusion === 'failure' ? check : undefined;
    });
    expect(expired.id).toBe(passed.id);
    expect(local.webhooks.deliveries().length).toBe(deliveries);
    // Each says when it was evaluated, in its text and as the run's completion time.
    expect(passed.output.summary).toMatch(/^Evaluated at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/m);
    expect(expired.output.summary).toMatch(/^Evaluated at /m);
    expect(Date.parse(expired.completed_at!)).toBeGreaterThan(Date.parse(passed.completed_at!));
  });
});

describe('GitHub failing to answer what the decision needs', { timeout: 180_000 }, () => {
  for (const [what, route] of [
    ['the reviews', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews'],
    ['the pull request', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  ] as const) {
    it(`fails a green check at once, saying why, when ${what} cannot be read (5xx)`, async () => {
      const forge = await vigilForge();
      changeControl = await startChangeControl({
        manager: managerOf(examples()),
        forge,
        logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
        pollIntervalMs: 200,
      });
      const pr = await openPullRequest('ds-3', `outage-${what.replace(/\W+/g, '-')}`, '2.4.9');
      await approveAll(pr.number);
      const passed = await until('the sign-off to pass', async () => {
        const check = await signoffCheck(pr.head.sha);
        return check?.conclusion === 'success' ? check : undefined;
      });

      local.fail({ fault: { kind: 'server-error', status: 502 }, method: 'GET', route, times: Infinity });
      // Something happens that the decision must hear about: a reviewer comments.
      await as(local, 'cmio-office').rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: pr.number,
        event: 'COMMENT',
        body: 'Looking at the calibration plots.',
      });
      const failing = await until('the check to fail', async () => {
        const check = await signoffCheck(pr.head.sha);
        return check?.conclusion === 'failure' ? check : undefined;
      });
      expect(failing.id).toBe(passed.id);
      expect(failing.output.title).toContain('GitHub unavailable');
      expect(failing.output.summary).toContain('sign-off not evaluated');
    });
  }
});

describe('the rate limit spent down to the reserve', { timeout: 180_000 }, () => {
  it('fails the check of a pull request it cannot evaluate, and evaluates that one first at the reset', async () => {
    // Two signed-off pull requests; the first opened is the first the poll reads.
    const other = await openPullRequest('ds-3', 'reserve-other', '2.6.0');
    await approveAll(other.number);
    const pr = await openPullRequest('ds-3', 'reserve-objected', '2.6.1');
    await approveAll(pr.number);
    // No rate-limit wait is taken in-line: a block fails the call at once, as a long one does.
    const forge = await vigilForge({ maxWaitMs: 0 });
    changeControl = await startChangeControl({
      manager: managerOf(examples()),
      forge,
      logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      webhook: { port: 0, host: '127.0.0.1', path: '/webhooks/github', secret: 'stale-checks-secret' },
      webhookBatchMs: 100,
      pollIntervalMs: 300,
    });
    for (const number of [other.number, pr.number]) {
      await until(`#${number} signed off`, async () => {
        const check = await signoffCheck(number === pr.number ? pr.head.sha : other.head.sha);
        return check?.conclusion === 'success' ? check : undefined;
      });
    }
    local.webhooks.add({ url: changeControl.webhookUrl!, secret: 'stale-checks-secret' });

    // The quota falls below the reserve (100 of 5000) for a few seconds; the next poll tells Vigil so.
    const calls = local.calls.entries.length;
    local.setRateLimit({ user: 'vigil[bot]', remaining: 40, resetInSeconds: 6 });
    await until('Vigil to stop reading', async () =>
      local.calls.entries.slice(calls).some((c) => c.user === 'vigil[bot]') ? true : undefined,
    );
    // Meanwhile an objection: the delivery comes, Vigil cannot read the reviews, and withdraws the success.
    await as(local, 'clinical-safety-lead').rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      event: 'REQUEST_CHANGES',
      body: 'The calibration drifted on the last cohort.',
    });
    const withdrawn = await until('the success to be withdrawn', async () => {
      const check = await signoffCheck(pr.head.sha);
      return check?.conclusion === 'failure' ? check : undefined;
    });
    expect(withdrawn.output.title).toMatch(/^Not signed off: GitHub rate limit in force until /);
    expect((await signoffCheck(other.head.sha))?.conclusion).toBe('success');
    const withdrawal = local.calls.entries.findIndex(
      (c, i) => i >= calls && c.user === 'vigil[bot]' && c.method === 'PATCH',
    );

    // At the reset the objected pull request is evaluated before anything else is read.
    const objected = await until('the objection to be evaluated', async () => {
      const check = await signoffCheck(pr.head.sha);
      return check?.output.title?.includes('changes requested') ? check : undefined;
    });
    expect(objected.conclusion).toBe('failure');
    // Before the poll lists or reads anything (other pull requests whose events waited go first too).
    const listingPath = `/repos/${OWNER}/${REPO}/pulls`;
    await until('the poll to list again', async () =>
      local.calls.entries
        .slice(withdrawal + 1)
        .some((c) => c.user === 'vigil[bot]' && c.method === 'GET' && c.path.split('?')[0] === listingPath)
        ? true
        : undefined,
    );
    const after = local.calls.entries
      .slice(withdrawal + 1)
      .filter((c) => c.user === 'vigil[bot]' && c.method === 'GET')
      .map((c) => c.path.split('?')[0]!);
    const objectedRead = after.findIndex((p) => p.includes(`/pulls/${pr.number}`));
    const listing = after.indexOf(listingPath);
    expect(objectedRead, after.slice(0, 12).join('\n')).toBeGreaterThanOrEqual(0);
    expect(objectedRead).toBeLessThan(listing);
  });
});
