// Item 5 of the sign-off gate for a Promotion's own pull request, with every controller Vigil runs, the local
// cluster and the local forge: while GitHub's rate limit is spent down to Vigil's reserve, an objection arrives;
// Vigil cannot read the reviews, so it turns the standing success into a failure that says why (a write the
// reserve is kept for); and once the limit resets, it evaluates that pull request before the poll reads anything
// else.
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeControl, startChangeControl } from '../../controller/src/change-control.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge, type GitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { requestPromotion } from '../../controller/src/promotion/manual.js';
import { registerControllers } from '../../controller/src/reconcilers.js';
import { Manager } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import { as, OWNER, REPO, startForge } from '../forge/harness.js';
import { example, promotableUseCase, vigilObjects, yearlyTrain } from '../promotion/express-train.js';
import { createNamespace, eventually, startTestCluster, type TestCluster } from './cluster-fixture.js';

const ROOT = join(import.meta.dirname, '..', '..');
const NS = 'revenue-cycle';
const PROMOTION = 'denials-triage-production-3-2-0';
// A wait on two busy cores, never an assertion.
const PATIENCE = 120_000;
const SECRET = 'rate-limit-secret';

let cluster: TestCluster;
let local: LocalForge;
let forge: GitHubForge;
let manager: Manager;
let changeControl: ChangeControl | undefined;

const { get, create } = vigilObjects<PromotionStatus>(() => cluster.client(), NS);

async function signoffCheck(sha: string) {
  const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
    owner: OWNER,
    repo: REPO,
    ref: sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
}

beforeAll(async () => {
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  await createNamespace(cluster.client(), NS);
  await create('signoffpolicies', example('revenue-cycle/governance-signoff.yaml'));
  await create('releasetrains', yearlyTrain(NS));
  await create('usecases', promotableUseCase());
  await startVigil();
}, 2 * PATIENCE);

/** The controller as it runs: its GitHub client, every reconciler, and change control with its webhooks. */
async function startVigil(): Promise<void> {
  // No rate-limit wait is taken in-line: a block fails the call at once, as a long one does.
  forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retryBaseMs: 10,
    retries: 1,
    maxWaitMs: 0,
  });
  const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
  manager = new Manager({ client: cluster.client(), leaderElection: false, probes: false, logger });
  registerControllers(manager, { forge, dataDir: join(ROOT, 'examples'), pollIntervalMs: 300 });
  await manager.start();
  changeControl = await startChangeControl({
    manager,
    forge,
    logger,
    pollIntervalMs: 300,
    webhook: { port: 0, host: '127.0.0.1', path: '/webhooks/github', secret: SECRET },
    webhookBatchMs: 100,
  });
  local.webhooks.add({ url: changeControl.webhookUrl!, secret: SECRET });
}

async function stopVigil(): Promise<void> {
  await changeControl?.stop();
  await manager?.stop();
}

afterAll(async () => {
  await stopVigil();
  await local?.stop();
  await cluster?.stop();
});

describe('a promotion pull request while the rate limit is spent (sign-off gate, item 5)', () => {
  it(
    'withdraws its success on an objection it cannot read, and evaluates it first at the reset',
    async () => {
      await eventually(
        async () => {
          const asked = await requestPromotion(
            cluster.client(),
            NS,
            'denials-triage',
            'production',
            new Date(),
          );
          if (!('created' in asked)) throw new Error(asked.refused);
        },
        PATIENCE,
        200,
      );
      const open = await eventually(async () => {
        const p = await get('promotions', PROMOTION);
        expect(p.status?.phase).toBe('Open');
        return p;
      }, PATIENCE);
      const number = open.status!.pullRequest!.number;
      const head = open.status!.pullRequest!.headSha!;
      for (const login of ['ds-lead', 'clinical-safety-lead', 'compliance-1']) {
        await as(local, login).rest.pulls.createReview({
          owner: OWNER,
          repo: REPO,
          pull_number: number,
          event: 'APPROVE',
        });
      }
      await eventually(async () => expect((await signoffCheck(head))?.conclusion).toBe('success'), PATIENCE);

      // The quota falls below the reserve for a few seconds; the next call tells Vigil so.
      const calls = local.calls.entries.length;
      local.setRateLimit({ user: 'vigil[bot]', remaining: 40, resetInSeconds: 8 });
      await eventually(
        async () => expect(local.calls.entries.slice(calls).some((c) => c.user === 'vigil[bot]')).toBe(true),
        PATIENCE,
        50,
      );
      // Meanwhile an objection: the delivery comes, Vigil cannot read the reviews, and withdraws the success.
      await as(local, 'clinical-safety-lead').rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: number,
        event: 'REQUEST_CHANGES',
        body: 'The denial categories drifted on the last cohort.',
      });
      const withdrawn = await eventually(async () => {
        const check = await signoffCheck(head);
        expect(check?.conclusion).toBe('failure');
        return check!;
      }, PATIENCE);
      expect(withdrawn.output.title).toMatch(/^Not signed off: GitHub rate limit in force until /);
      const withdrawal = local.calls.entries.findIndex(
        (c, i) => i >= calls && c.user === 'vigil[bot]' && c.method === 'PATCH',
      );
      expect(withdrawal).toBeGreaterThan(0);

      // At the reset the objection is evaluated, and its reviews are read before the poll lists anything.
      const objected = await eventually(async () => {
        const check = await signoffCheck(head);
        expect(check?.output.title).toContain('changes requested');
        return check!;
      }, PATIENCE);
      expect(objected.conclusion).toBe('failure');
      const listing = `/repos/${OWNER}/${REPO}/pulls`;
      await eventually(
        async () =>
          expect(
            local.calls.entries
              .slice(withdrawal + 1)
              .some((c) => c.user === 'vigil[bot]' && c.method === 'GET' && c.path.split('?')[0] === listing),
          ).toBe(true),
        PATIENCE,
      );
      const after = local.calls.entries
        .slice(withdrawal + 1)
        .filter((c) => c.user === 'vigil[bot]' && c.method === 'GET')
        .map((c) => c.path.split('?')[0]!);
      const reviewsRead = after.indexOf(`/repos/${OWNER}/${REPO}/pulls/${number}/reviews`);
      expect(reviewsRead, after.slice(0, 12).join('\n')).toBeGreaterThanOrEqual(0);
      expect(reviewsRead).toBeLessThan(after.indexOf(listing));
      // The promotion says so too, and is back to following its pull request.
      expect((await get('promotions', PROMOTION)).status?.phase).toBe('Open');
    },
    4 * PATIENCE,
  );

  it(
    'after a restart into a spent rate limit, replaces the success it can no longer confirm',
    async () => {
      const open = await get('promotions', PROMOTION);
      const number = open.status!.pullRequest!.number;
      const head = open.status!.pullRequest!.headSha!;
      // The objection's owner approves: signed off again.
      await as(local, 'clinical-safety-lead').rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: number,
        event: 'APPROVE',
      });
      await eventually(async () => expect((await signoffCheck(head))?.conclusion).toBe('success'), PATIENCE);

      // Vigil restarts, remembering nothing, into a quota under its reserve.
      await stopVigil();
      local.setRateLimit({ user: 'vigil[bot]', remaining: 40, resetInSeconds: 10 });
      await startVigil();
      const replaced = await eventually(async () => {
        const check = await signoffCheck(head);
        expect(check?.conclusion).toBe('failure');
        return check!;
      }, PATIENCE);
      expect(replaced.output.title).toMatch(/^Not signed off: GitHub rate limit in force until /);
      // Once the limit resets, the facts are read again and the sign-off stands.
      await eventually(async () => expect((await signoffCheck(head))?.conclusion).toBe('success'), PATIENCE);
    },
    4 * PATIENCE,
  );
});
