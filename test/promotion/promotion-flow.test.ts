// A promotion end to end against the local cluster and the local forge, through the GitHub adapter as the
// platform-bot: a train departure opens exactly one pull request whose diff is the version line; a restarted
// manager opens no second one and writes nothing; a newer candidate supersedes it; the required roles approve
// (as themselves, through octokit) and it is signed off; a person merges and the use case shows the new version.

import { join } from 'node:path';
import type { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Forge } from '../../controller/src/forge/forge.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { promotionController } from '../../controller/src/kinds/promotion/reconciler.js';
import { createReleaseTrainController } from '../../controller/src/kinds/releasetrain/reconciler.js';
import { RELEASE_TRAINS } from '../../controller/src/kinds/resources.js';
import { createUseCaseController } from '../../controller/src/kinds/usecase/reconciler.js';
import { requestPromotion } from '../../controller/src/promotion/manual.js';
import { type Clock, Manager, systemClock } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import type { ReleaseTrainStatus } from '../../specs/releasetrain.js';
import type { UseCaseStatus } from '../../specs/usecase.js';
import { as, OWNER, REPO, readFile, startForge } from '../forge/harness.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from '../runtime/cluster-fixture.js';
import { ACCURACY_GATE, example, expressTrain, promotableUseCase, vigilObjects } from './express-train.js';

/** The status fields of the kinds read here (their names do not overlap). */
type AnyStatus = PromotionStatus & ReleaseTrainStatus & UseCaseStatus;

const _ROOT = join(import.meta.dirname, '..', '..');
const NS = 'revenue-cycle';
const FILE = 'revenue-cycle/denials-triage/production.yaml';

let cluster: TestCluster;
let local: LocalForge;
let forge: Forge;
let manager: Manager | undefined;
// The train departs when its clock passes the announced time; the test moves this clock, not the wall clock.
let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs, schedule: systemClock.schedule };

function startManager(): Promise<void> {
  manager = new Manager({
    client: cluster.client(),
    leaderElection: false,
    probes: false,
    logger: testLogger(),
    clock,
  });
  manager.register(createUseCaseController({ forge, pollIntervalMs: 500 }));
  manager.register(createReleaseTrainController({ departures: true }));
  manager.register(promotionController({ forge, pollIntervalMs: 500 }));
  return manager.start();
}

const { get, create } = vigilObjects<AnyStatus>(() => cluster.client(), NS);

const pullsFrom = async (bot: Octokit, branch: string) =>
  (await bot.rest.pulls.list({ owner: OWNER, repo: REPO, state: 'all', head: `${OWNER}:${branch}` })).data;
const botWrites = () => local.calls.writes().filter((c) => c.user === 'vigil[bot]').length;

beforeAll(async () => {
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
  await createNamespace(cluster.client(), NS);
  const policy = example('revenue-cycle/governance-signoff.yaml');
  await create('signoffpolicies', policy);
  await create(
    'releasetrains',
    expressTrain(NS, {
      cron: '* * * * *',
      stages: [{ name: 'staging' }, { name: 'production', gates: ACCURACY_GATE }],
    }),
  );
  await create('usecases', promotableUseCase());
  await startManager();
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
});

describe('promotion through a pull request', () => {
  const first = 'denials-triage-production-3-2-0';
  const firstBranch = 'vigil/promote/revenue-cycle/denials-triage/production/3.2.0';

  it('departs the train and opens exactly one pull request changing only the version line', async () => {
    const train = await eventually(async () => {
      const t = await get('releasetrains', 'express');
      expect(t.status?.passengers).toEqual([
        expect.objectContaining({ useCase: 'denials-triage', to: 'production', boarding: true }),
      ]);
      return t;
    }, 20_000);
    offsetMs = Date.parse(train.status!.nextDeparture!) - Date.now() + 1_000;
    manager!.queueFor(RELEASE_TRAINS)?.add(`${NS}/express`);

    const promo = await eventually(async () => {
      const p = await get('promotions', first);
      expect(p.status?.phase).toBe('Open');
      return p;
    }, 30_000);
    expect(promo.spec).toMatchObject({
      trigger: 'train',
      releaseTrain: 'express',
      from: 'staging',
      to: 'production',
      version: '3.2.0',
      previousVersion: '3.1.4',
    });
    expect(promo.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'UseCase', name: 'denials-triage' });
    expect(promo.status).toMatchObject({
      pullRequest: { branch: firstBranch },
      evidenceDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      policyRevision: 'generation:1',
      signoffSummary: '0/3',
    });
    const departed = await get('releasetrains', 'express');
    expect(departed.status?.lastDeparture?.promotions).toEqual([
      { promotion: first, useCase: 'denials-triage', to: 'production' },
    ]);

    const bot = as(local, 'platform-eng');
    const pulls = await pullsFrom(bot, firstBranch);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.labels.map((l) => l.name).sort()).toEqual(['operational', 'promotion', 'vigil']);
    expect(pulls[0]!.body).toContain(`Evidence bundle (${promo.status!.evidenceDigest})`);
    const before = (await readFile(bot, FILE, 'main')).text.split('\n');
    const after = (await readFile(bot, FILE, firstBranch)).text.split('\n');
    const diff = before.flatMap((l, i) => (l === after[i] ? [] : [`-${l}`, `+${after[i]}`]));
    expect(after).toHaveLength(before.length);
    expect(diff).toEqual(['-  version: "3.1.4"', '+  version: "3.2.0"']);
  }, 60_000);

  it('writes nothing more while nothing changes, and a restarted manager opens no second pull request', async () => {
    await new Promise((r) => setTimeout(r, 1_500));
    const writes = botWrites();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(botWrites()).toBe(writes);

    await manager!.stop();
    await startManager();
    await new Promise((r) => setTimeout(r, 2_500));
    expect(botWrites()).toBe(writes);
    expect(await pullsFrom(as(local, 'platform-eng'), firstBranch)).toHaveLength(1);
    expect(local.calls.filter({ method: 'POST', route: '/repos/{owner}/{repo}/pulls' }).length).toBe(1);
  }, 30_000);

  const second = 'denials-triage-production-3-2-1';
  it('closes the pull request of a superseded candidate with a comment naming the newer promotion', async () => {
    const uc = await get('usecases', 'denials-triage');
    const candidate = { ...(uc.spec.candidate as object), version: '3.2.1' };
    await cluster.client().customObjects.patchNamespacedCustomObject({
      group: 'vigil.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'usecases',
      name: 'denials-triage',
      body: [{ op: 'replace', path: '/spec/candidate', value: candidate }],
    });
    const asked = await requestPromotion(cluster.client(), NS, 'denials-triage', 'production', new Date());
    expect(asked).toMatchObject({ created: true, name: second });

    const old = await eventually(async () => {
      const p = await get('promotions', first);
      expect(p.status?.phase).toBe('Superseded');
      return p;
    }, 20_000);
    const number = old.status!.pullRequest!.number;
    const eng = as(local, 'platform-eng');
    const { data: pr } = await eng.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: number });
    expect(pr.state).toBe('closed');
    const { data: comments } = await eng.rest.issues.listComments({
      owner: OWNER,
      repo: REPO,
      issue_number: number,
    });
    expect(comments.map((c) => c.body).join('\n')).toContain(`Superseded by promotion \`${NS}/${second}\``);
    await eventually(
      async () => expect((await get('promotions', second)).status?.phase).toBe('Open'),
      30_000,
    );
  }, 60_000);

  it('is signed off by the required roles and shows the merged version on the use case', async () => {
    const promo = await get('promotions', second);
    const number = promo.status!.pullRequest!.number;
    for (const login of ['ds-lead', 'clinical-safety-lead', 'compliance-1']) {
      await as(local, login).rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: number,
        event: 'APPROVE',
      });
    }
    const signed = await eventually(async () => {
      const p = await get('promotions', second);
      expect(p.status?.phase).toBe('SignedOff');
      return p;
    }, 20_000);
    expect(signed.status?.signoffSummary).toBe('3/3');
    expect((signed.status?.signoffs ?? []).map((s) => `${s.role}:${s.login}`).sort()).toEqual([
      'clinical-safety:clinical-safety-lead',
      'compliance:compliance-1',
      'data-science:ds-lead',
    ]);

    await eventually(
      () => as(local, 'platform-eng').rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number }),
      10_000,
      300,
    );
    const merged = await eventually(async () => {
      const p = await get('promotions', second);
      expect(p.status?.phase).toBe('Merged');
      return p;
    }, 20_000);
    expect(merged.status?.mergedAt).toBeTruthy();
    await eventually(async () => {
      const uc = await get('usecases', 'denials-triage');
      expect(uc.status?.productionVersion).toBe('3.2.1');
      expect(uc.status?.conditions?.find((c) => c.type === 'VersionsObserved')).toMatchObject({
        reason: 'DiffersFromDeclared',
      });
    }, 20_000);
  }, 60_000);
});
