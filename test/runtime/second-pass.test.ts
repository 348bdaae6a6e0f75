// Reliability 1 with every controller Vigil runs, the local cluster and the local forge (through the GitHub
// adapter, with the controller's own credentials): once a promotion's pull request is open and everything has
// settled, a second pass over every object (a resync) writes nothing to the cluster, writes nothing to GitHub,
// and costs no GitHub rate limit. Counted twice: by the forge's own call log and by the adapter's call count.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeControl, startChangeControl } from '../../controller/src/change-control.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge, type GitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import {
  DATA_CONTRACTS,
  PROMOTIONS,
  RELEASE_TRAINS,
  SIGNOFF_POLICIES,
  SURVEILLANCE_POLICIES,
  USE_CASES,
} from '../../controller/src/kinds/resources.js';
import { requestPromotion } from '../../controller/src/promotion/manual.js';
import { registerControllers } from '../../controller/src/reconcilers.js';
import { type ClusterClient, Manager } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import { as, OWNER, REPO, startForge } from '../forge/harness.js';
import { example, promotableUseCase, vigilObjects, yearlyTrain } from '../promotion/express-train.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from './cluster-fixture.js';

const ROOT = join(import.meta.dirname, '..', '..');
const NS = 'revenue-cycle';
const PROMOTION = 'denials-triage-production-3-2-0';
const BRANCH = 'vigil/promote/revenue-cycle/denials-triage/production/3.2.0';
// No pass comes from a timer while the test counts: only the resync asks for one.
const POLL_MS = 10 * 60_000;
// How long to wait for the controllers on two busy cores; a wait, never an assertion.
const PATIENCE = 60_000;
const KINDS = [
  USE_CASES,
  DATA_CONTRACTS,
  RELEASE_TRAINS,
  SURVEILLANCE_POLICIES,
  SIGNOFF_POLICIES,
  PROMOTIONS,
];

let cluster: TestCluster;
let local: LocalForge;
let forge: GitHubForge;
let client: ClusterClient;
let manager: Manager;
let changeControl: ChangeControl | undefined;

/** What the controller acts with on the forge: the Vigil App's installation token. */
const controllerCredentials = () => tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app');

const { get, create } = vigilObjects<PromotionStatus>(() => cluster.client(), NS);

/** Reconciles done so far, by kind. */
async function passes(): Promise<Record<string, number>> {
  const counted = await manager.metrics.reconciles.get();
  const byKind: Record<string, number> = {};
  for (const v of counted.values) {
    const kind = String(v.labels.kind);
    byKind[kind] = (byKind[kind] ?? 0) + v.value;
  }
  return byKind;
}

const total = (byKind: Record<string, number>) => Object.values(byKind).reduce((a, b) => a + b, 0);

/** Nothing queued or in flight, and neither the passes, the cluster writes nor the forge calls still moving. */
async function settled(): Promise<void> {
  let last = '';
  await eventually(
    async () => {
      const now = JSON.stringify([await passes(), client.writes.snapshot(), local.calls.entries.length]);
      // A key waiting on a timer (the poll) is not work: none falls due while the test counts.
      const busy = KINDS.some(
        (k) => (manager.queueFor(k)?.depth ?? 0) + (manager.queueFor(k)?.inFlight ?? 0) > 0,
      );
      const quiet = !busy && now === last;
      last = now;
      if (!quiet) throw new Error('still working');
    },
    PATIENCE,
    300,
  );
}

beforeAll(async () => {
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  forge = await createGitHubForge({
    credentials: controllerCredentials(),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
  await createNamespace(cluster.client(), NS);
  await create('signoffpolicies', example('revenue-cycle/governance-signoff.yaml'));
  // Departs once a year: the promotion is asked for by hand, and no departure happens while the test counts.
  await create('releasetrains', yearlyTrain(NS));
  await create('usecases', promotableUseCase());
  client = cluster.client();
  manager = new Manager({ client, leaderElection: false, probes: false, logger: testLogger() });
  registerControllers(manager, { forge, dataDir: join(ROOT, 'examples'), pollIntervalMs: POLL_MS });
  await manager.start();
  // Change control as the controller runs it: GitHub's webhooks come in, and its poll comes round only once.
  changeControl = await startChangeControl({
    manager,
    forge,
    logger: testLogger(),
    pollIntervalMs: POLL_MS,
    webhook: { port: 0, host: '127.0.0.1', path: '/webhooks/github', secret: 'second-pass-secret' },
    webhookBatchMs: 50,
  });
  local.webhooks.add({ url: changeControl.webhookUrl!, secret: 'second-pass-secret' });
}, 4 * PATIENCE);

afterAll(async () => {
  await changeControl?.stop();
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
});

describe('a second pass over unchanged objects (reliability 1)', () => {
  it(
    'with a promotion pull request open, writes nothing to the cluster or GitHub and spends no rate limit',
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
      await eventually(
        async () => expect((await get('promotions', PROMOTION)).status?.phase).toBe('Open'),
        PATIENCE,
      );
      const pulls = await as(local, 'platform-eng').rest.pulls.list({
        owner: OWNER,
        repo: REPO,
        head: `${OWNER}:${BRANCH}`,
      });
      expect(pulls.data.map((p) => p.state)).toEqual(['open']);
      await settled();
      // The adapter learns which App it acts as from the first check run it writes, after the policy's first
      // pass: one pass over everything brings every status up to what is known. The pass after it is measured.
      manager.resync();
      await settled();

      const passesBefore = await passes();
      // Every kind that has an object was reconciled, the forge was really involved, and so were cluster writes.
      expect(Object.keys(passesBefore).sort()).toEqual([
        'Promotion',
        'ReleaseTrain',
        'SignoffPolicy',
        'UseCase',
      ]);
      expect(forge.callStats().writes).toBeGreaterThan(0);
      expect(client.writes.count()).toBeGreaterThan(0);
      const writesBefore = client.writes.snapshot();
      const forgeCallsBefore = local.calls.entries.length;
      const statsBefore = forge.callStats();

      manager.resync();
      // One more pass of each of the four objects (the use case, train, policy and promotion) ...
      await eventually(async () => expect(total(await passes())).toBe(total(passesBefore) + 4), PATIENCE);
      await settled();
      // ... and nothing written to the cluster.
      expect(client.writes.snapshot()).toEqual(writesBefore);
      // Nothing asked of the forge at all: the promotion's decision and the policy's protection were read within
      // the poll interval, nothing they rest on changed in the cluster, and nothing was heard from GitHub.
      const calls = local.calls.entries.slice(forgeCallsBefore);
      expect(calls.map((c) => `${c.method} ${c.route} ${c.status}`)).toEqual([]);
      const stats = forge.callStats();
      expect(stats.calls).toBe(statsBefore.calls);
      expect(stats.writes).toBe(statsBefore.writes);
      expect(stats.rateLimited).toBe(statsBefore.rateLimited);
      // The four passes were one of each.
      const passesAfter = await passes();
      for (const kind of Object.keys(passesBefore)) expect(passesAfter[kind]).toBe(passesBefore[kind]! + 1);
    },
    4 * PATIENCE,
  );

  it(
    'reads GitHub again as soon as a sign-off team changes, without waiting for the poll',
    async () => {
      await settled();
      const before = local.calls.entries.length;
      const leads = as(local, 'ds-lead').rest.teams;
      const who = { org: OWNER, team_slug: 'data-science', username: 'ds-2' };
      await leads.removeMembershipForUserInOrg(who);
      try {
        // The membership webhook makes the promotion's sign-off and the policy's teams be read afresh.
        await eventually(async () => {
          const read = local.calls.entries
            .slice(before)
            .filter((c) => c.method === 'GET')
            .map((c) => c.route);
          expect(read).toContain('/repos/{owner}/{repo}/pulls/{pull_number}');
          expect(read).toContain('/repos/{owner}/{repo}/branches/{branch}/protection');
        }, PATIENCE);
      } finally {
        await leads.addOrUpdateMembershipForUserInOrg(who);
      }
    },
    4 * PATIENCE,
  );
});
