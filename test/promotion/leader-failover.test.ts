// Reliability 8: two replicas, built as `vigil controller` builds them (buildReplica), share one Lease. The
// leader is cut off from the cluster and the forge the instant the promotion's branch exists on the forge (before
// its commit and pull request), and stalls there, not hearing the forge's answer. The other replica takes over once the
// Lease has run out and finishes the promotion on the same branch: exactly one pull request, one commit on top
// of main. Then the old leader can reach the forge again, hears the answer and carries on where it stopped:
// every write it tries is refused unsent by its own forge client, because it no longer leads.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { requestPromotion } from '../../controller/src/promotion/manual.js';
import { buildReplica } from '../../controller/src/replica.js';
import { ClusterClient } from '../../controller/src/runtime/cluster-client.js';
import type { KubeObject, Manager } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import { as, OWNER, REPO, readFile, startForge } from '../forge/harness.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from '../runtime/cluster-fixture.js';
import { type FaultProxy, startFaultProxy } from '../runtime/fault-proxy.js';
import { example, promotableUseCase, vigilObjects, yearlyTrain } from './express-train.js';
import { type ForgeTap, logClusterWrites, type TimedWrite, tappedForge } from './failover-harness.js';

const ROOT = join(import.meta.dirname, '..', '..');
const NS = 'revenue-cycle';
const FILE = 'revenue-cycle/denials-triage/production.yaml';
const PROMOTION = 'denials-triage-production-3-2-0';
const BRANCH = 'vigil/promote/revenue-cycle/denials-triage/production/3.2.0';
const LEASE = { namespace: 'kube-system', name: 'vigil-failover' };
// Long enough that a leader on two busy cores does not lose the Lease by accident before the test cuts it off.
const TIMING = { leaseDurationMs: 5_000, renewDeadlineMs: 3_500, retryPeriodMs: 500 };
// How long to wait for the replicas on two busy cores; a wait, never an assertion.
const PATIENCE = 60_000;

interface Replica {
  identity: string;
  manager: Manager;
  client: ClusterClient;
  forge: ForgeTap;
  clusterWrites: TimedWrite[];
}

let cluster: TestCluster;
let local: LocalForge;
let proxy: FaultProxy | undefined;
const replicas: Replica[] = [];

/** What the controller acts with on the forge: the Vigil App's installation token. */
const controllerCredentials = () => tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app');

async function startReplica(identity: string, client: ClusterClient): Promise<Replica> {
  let tap: ForgeTap | undefined;
  const { manager } = await buildReplica({
    forge: async (mayWrite) => {
      tap = await tappedForge(local, controllerCredentials(), mayWrite);
      return tap.forge;
    },
    manager: () => ({
      client,
      leaderElection: { ...LEASE, identity, ...TIMING },
      probes: false,
      gracePeriodMs: 1_000,
      logger: testLogger(),
    }),
    controllers: { dataDir: join(ROOT, 'examples'), pollIntervalMs: 500 },
  });
  const forge = tap!;
  forge.isLeader = () => manager.isLeader();
  const replica = {
    identity,
    manager,
    client,
    forge,
    clusterWrites: logClusterWrites(client, () => manager.isLeader()),
  };
  replicas.push(replica);
  await manager.start();
  return replica;
}

const { create } = vigilObjects(() => cluster.client(), NS);

const getPromotion = async () =>
  (await cluster.client().customObjects.getNamespacedCustomObject({
    group: 'vigil.dev',
    version: 'v1alpha1',
    namespace: NS,
    plural: 'promotions',
    name: PROMOTION,
  })) as KubeObject & { status?: PromotionStatus };

const pullsFor = async (branch: string) =>
  (
    await as(local, 'platform-eng').rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      state: 'all',
      head: `${OWNER}:${branch}`,
    })
  ).data;

beforeAll(async () => {
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  await createNamespace(cluster.client(), NS);
  await create('signoffpolicies', example('revenue-cycle/governance-signoff.yaml'));
  // Departs once a year: the promotion here is asked for by hand, and no departure may race it.
  await create('releasetrains', yearlyTrain(NS));
  await create('usecases', promotableUseCase());
}, PATIENCE);

afterAll(async () => {
  for (const r of replicas.reverse()) await r.manager.stop();
  await proxy?.close();
  await local?.stop();
  await cluster?.stop();
});

describe('leader failover mid-promotion (reliability 8)', () => {
  it(
    'the standby takes over within the lease time and the promotion ends with exactly one pull request',
    async () => {
      const setup = cluster.client();
      const repo = local.git(OWNER, REPO);
      const mainTip = (await repo.branchTip('main'))!;

      // Replica a reaches the cluster through a proxy that can cut it off; b talks to the cluster directly.
      proxy = await startFaultProxy(cluster.cluster.url);
      const a = await startReplica(
        'replica-a',
        new ClusterClient(proxy.kubeConfig, { rate: { qps: 500, burst: 500 } }),
      );
      await eventually(() => expect(a.manager.isLeader()).toBe(true), PATIENCE, 20);
      const b = await startReplica('replica-b', cluster.client());
      await eventually(() => expect(b.manager.readiness()).toBe(true), PATIENCE, 20);
      expect(b.manager.isLeader()).toBe(false);

      // The kill: the moment a's request creating the promotion's branch has reached the forge, a is cut off from
      // the cluster and the forge and stalls, not hearing the answer. It has made the branch, not the commit or
      // the pull request; anything else it sends while it still believes it leads does not arrive.
      let killedAt = 0;
      const passesBranchCreation = (w: { method: string; path: string; body: string }) =>
        w.method === 'POST' && w.path.endsWith('/git/refs') && w.body.includes(`refs/heads/${BRANCH}`);
      a.forge.holdAfter(passesBranchCreation, () => {
        killedAt = Date.now();
        proxy!.cutOff = true;
        a.forge.cutOff = true;
      });
      let bothLed = false;
      let aLostAt = 0;
      let bLedAt = 0;
      const sampler = setInterval(() => {
        const aLeads = a.manager.isLeader();
        const bLeads = b.manager.isLeader();
        if (aLeads && bLeads) bothLed = true;
        if (killedAt && !aLeads && !aLostAt) aLostAt = Date.now();
        if (bLeads && !bLedAt) bLedAt = Date.now();
      }, 5);

      try {
        // As `vigil promote` does; the gates pass once the leader has read the deployed versions from the forge.
        const asked = await eventually(
          async () => {
            const r = await requestPromotion(setup, NS, 'denials-triage', 'production', new Date());
            if (!('created' in r)) throw new Error(r.refused);
            return r;
          },
          PATIENCE,
          200,
        );
        expect(asked).toMatchObject({ created: true, name: PROMOTION });

        await eventually(() => expect(killedAt).toBeGreaterThan(0), PATIENCE, 10);
        // Mid-promotion: the branch exists at main's tip, and there is no pull request yet.
        expect(await repo.branchTip(BRANCH)).toBe(mainTip);
        expect(await pullsFor(BRANCH)).toHaveLength(0);
        expect(bLedAt).toBe(0);
        // The Lease as the stalled leader left it: its last renewal is where the lease time starts.
        const held = await setup.coordination.readNamespacedLease(LEASE);
        expect(held.spec?.holderIdentity).toBe('replica-a');
        const lastRenewal = new Date(held.spec!.renewTime!).getTime();

        await eventually(() => expect(bLedAt).toBeGreaterThan(0), PATIENCE, 10);
        // In this order (durations are the benchmark's to measure): the old leader stopped believing it led, the
        // Lease it last renewed ran out, and only then did the new one lead.
        expect(aLostAt).toBeGreaterThan(killedAt);
        expect(aLostAt).toBeLessThanOrEqual(bLedAt);
        expect(bLedAt).toBeGreaterThanOrEqual(lastRenewal + TIMING.leaseDurationMs);

        const promo = await eventually(
          async () => {
            const p = await getPromotion();
            expect(p.status?.phase).toBe('Open');
            return p;
          },
          PATIENCE,
          100,
        );
        expect(promo.status?.pullRequest?.branch).toBe(BRANCH);

        // The old leader reaches the forge again, hears the answer at last and carries on where it stalled, no
        // longer leading: it reads what it needs, and every write it tries is refused before it is sent.
        expect(a.manager.isLeader()).toBe(false);
        a.forge.cutOff = false;
        a.forge.release();
        await eventually(() => expect(a.forge.refused.length).toBeGreaterThan(0), PATIENCE, 20);
        expect(a.forge.refused.every((r) => r.at > aLostAt)).toBe(true);
        // Nothing it sent after the kill reached the forge, it sent no write at all while not leading, and no
        // cluster write of its landed once it had lost the Lease.
        expect(a.forge.writes().filter((c) => c.at > killedAt && c.reached)).toEqual([]);
        expect(a.forge.writes().filter((c) => !c.leader)).toEqual([]);
        expect(a.clusterWrites.filter((w) => w.at >= aLostAt)).toEqual([]);
        expect(a.clusterWrites.filter((w) => w.at >= killedAt && !w.leader)).toEqual([]);

        // Exactly one pull request for the branch, opened once, by the new leader.
        const pulls = await pullsFor(BRANCH);
        expect(pulls).toHaveLength(1);
        expect(pulls[0]!.number).toBe(promo.status!.pullRequest!.number);
        expect(pulls[0]!.state).toBe('open');
        expect(local.calls.filter({ method: 'POST', route: '/repos/{owner}/{repo}/pulls' })).toHaveLength(1);
        const writesOf = (tap: ForgeTap, method: string, suffix: string) =>
          tap.writes().filter((c) => c.method === method && c.path.endsWith(suffix));
        // All the old leader wrote to the forge was the branch; its commit and pull request are the new leader's.
        expect(a.forge.writes().filter((c) => c.reached)).toEqual([
          expect.objectContaining({ method: 'POST', path: `/repos/${OWNER}/${REPO}/git/refs`, leader: true }),
        ]);
        expect(writesOf(b.forge, 'POST', '/git/refs')).toHaveLength(0);
        expect(writesOf(b.forge, 'PUT', encodeURIComponent(FILE))).toHaveLength(1);
        expect(writesOf(b.forge, 'POST', `/repos/${OWNER}/${REPO}/pulls`)).toHaveLength(1);

        // The branch is main plus one commit, and that commit changes only the version line.
        const tip = (await repo.branchTip(BRANCH))!;
        const commits = await repo.commitsBetween(mainTip, tip);
        expect(commits).toHaveLength(1);
        expect(commits[0]!.parents).toEqual([mainTip]);
        const eng = as(local, 'platform-eng');
        const before = (await readFile(eng, FILE, 'main')).text.split('\n');
        const after = (await readFile(eng, FILE, BRANCH)).text.split('\n');
        const diff = before.flatMap((l, i) => (l === after[i] ? [] : [`-${l}`, `+${after[i]}`]));
        expect(after).toHaveLength(before.length);
        expect(diff).toEqual(['-  version: "3.1.4"', '+  version: "3.2.0"']);

        // One more lease time: the old leader stays down and nothing more is opened.
        const settleUntil = Date.now() + TIMING.leaseDurationMs;
        while (Date.now() < settleUntil) {
          expect(a.manager.isLeader()).toBe(false);
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(await pullsFor(BRANCH)).toHaveLength(1);
        expect(a.forge.writes().filter((c) => c.reached)).toHaveLength(1);
        expect(
          b.clusterWrites.filter((w) => w.at < bLedAt && w.resource !== 'leases.coordination.k8s.io'),
        ).toEqual([]);
        expect(bothLed).toBe(false);

        const lease = await setup.coordination.readNamespacedLease(LEASE);
        expect(lease.spec?.holderIdentity).toBe('replica-b');
        expect(lease.spec?.leaseTransitions).toBe(1);
      } finally {
        clearInterval(sampler);
        a.forge.release();
      }
    },
    5 * PATIENCE,
  );
});
