// Reliability 2 with every controller Vigil runs, the local cluster and the local forge: the use case's candidate
// goes A -> B -> C while the controller is down. After the restart, status shows C with observedGeneration equal
// to generation, the train that departs promotes C, and the forge holds no branch and no pull request for B (nor
// for A): the controller acted on the state as it is, not on the changes that led there.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge, type GitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { RELEASE_TRAINS } from '../../controller/src/kinds/resources.js';
import { registerControllers } from '../../controller/src/reconcilers.js';
import { type Clock, Manager, systemClock } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import type { ReleaseTrainStatus } from '../../specs/releasetrain.js';
import type { UseCaseStatus } from '../../specs/usecase.js';
import { as, OWNER, REPO, startForge } from '../forge/harness.js';
import { example, promotableUseCase, vigilObjects, yearlyTrain } from '../promotion/express-train.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from './cluster-fixture.js';

type AnyStatus = PromotionStatus & ReleaseTrainStatus & UseCaseStatus;

const ROOT = join(import.meta.dirname, '..', '..');
const NS = 'revenue-cycle';
const [A, B, C] = ['3.2.0', '3.2.1', '3.2.2'];
const branchFor = (stage: string, version: string) =>
  `vigil/promote/revenue-cycle/denials-triage/${stage}/${version}`;
const promotionFor = (stage: string, version: string) =>
  `denials-triage-${stage}-${version.replaceAll('.', '-')}`;
// How long to wait for the controllers on two busy cores; a wait, never an assertion.
const PATIENCE = 60_000;

let cluster: TestCluster;
let local: LocalForge;
let forge: GitHubForge;
let manager: Manager | undefined;
// The train departs when its clock passes the announced time; the test moves this clock, not the wall clock.
let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs, schedule: systemClock.schedule };

/** What the controller acts with on the forge: the Vigil App's installation token. */
const controllerCredentials = () => tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app');

const { get, create } = vigilObjects<AnyStatus>(() => cluster.client(), NS);

/** Every Promotion in the namespace. */
async function promotions() {
  const list = (await cluster.client().customObjects.listNamespacedCustomObject({
    group: 'vigil.dev',
    version: 'v1alpha1',
    namespace: NS,
    plural: 'promotions',
  })) as { items: Awaited<ReturnType<typeof get>>[] };
  return list.items;
}

async function startController(): Promise<Manager> {
  manager = new Manager({
    client: cluster.client(),
    leaderElection: false,
    probes: false,
    logger: testLogger(),
    clock,
  });
  registerControllers(manager, { forge, dataDir: join(ROOT, 'examples'), pollIntervalMs: 500 });
  await manager.start();
  return manager;
}

async function setCandidate(version: string): Promise<void> {
  const uc = await get('usecases', 'denials-triage');
  await cluster.client().customObjects.patchNamespacedCustomObject({
    group: 'vigil.dev',
    version: 'v1alpha1',
    namespace: NS,
    plural: 'usecases',
    name: 'denials-triage',
    body: [{ op: 'replace', path: '/spec/candidate', value: { ...(uc.spec.candidate as object), version } }],
  });
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
  // Departs once a year: only the test's clock makes it depart.
  await create('releasetrains', yearlyTrain(NS));
  await create('usecases', promotableUseCase());
}, PATIENCE);

afterAll(async () => {
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
});

describe('changes made while the controller is down (reliability 2)', () => {
  it(
    'after a restart reflects the last spec, and opens no pull request for the one in between',
    async () => {
      const first = await startController();
      await eventually(async () => {
        const uc = await get('usecases', 'denials-triage');
        expect(uc.status?.candidateVersion).toBe(A);
        expect(uc.status?.observedGeneration).toBe(uc.metadata.generation);
        const train = await get('releasetrains', 'express');
        expect(train.status?.passengers).toEqual([
          expect.objectContaining({ useCase: 'denials-triage', version: A }),
        ]);
      }, PATIENCE);
      await first.stop();

      await setCandidate(B);
      await setCandidate(C);
      const down = await get('usecases', 'denials-triage');
      expect(down.metadata.generation).toBe(3);
      expect(down.status?.observedGeneration).toBe(1);
      expect(down.status?.candidateVersion).toBe(A);

      const second = await startController();
      const train = await eventually(async () => {
        const uc = await get('usecases', 'denials-triage');
        expect(uc.status?.candidateVersion).toBe(C);
        expect(uc.status?.observedGeneration).toBe(uc.metadata.generation);
        expect(uc.status?.conditions?.find((c) => c.type === 'Ready')?.observedGeneration).toBe(3);
        const t = await get('releasetrains', 'express');
        // Staging runs A: C, a version staging has not seen, boards for staging.
        expect(t.status?.passengers).toEqual([
          expect.objectContaining({ useCase: 'denials-triage', version: C, to: 'staging' }),
        ]);
        return t;
      }, PATIENCE);

      // The train departs: it takes the candidate as it is now.
      offsetMs = Date.parse(train.status!.nextDeparture!) - Date.now() + 1_000;
      second.queueFor(RELEASE_TRAINS)?.add(`${NS}/express`);
      // Whatever it promotes opens its pull request; then there is one Promotion, and it is C's.
      const [promo] = await eventually(async () => {
        const items = await promotions();
        expect(items.map((p) => p.status?.phase)).toContain('Open');
        return items;
      }, PATIENCE);
      expect((await promotions()).map((p) => p.metadata.name)).toEqual([promotionFor('staging', C)]);
      expect(promo!.spec).toMatchObject({ to: 'staging', version: C, previousVersion: A });

      // On the forge, one branch and one pull request, for C; nothing for B or A.
      const repo = local.git(OWNER, REPO);
      for (const stage of ['staging', 'production']) {
        expect(await repo.branchTip(branchFor(stage, B))).toBeUndefined();
        expect(await repo.branchTip(branchFor(stage, A))).toBeUndefined();
      }
      expect(await repo.branchTip(branchFor('staging', C))).toBeDefined();
      const { data: pulls } = await as(local, 'platform-eng').rest.pulls.list({
        owner: OWNER,
        repo: REPO,
        state: 'all',
      });
      expect(pulls.map((p) => p.head.ref)).toEqual([branchFor('staging', C)]);
      expect(local.calls.filter({ method: 'POST', route: '/repos/{owner}/{repo}/pulls' })).toHaveLength(1);
      expect(local.calls.filter({ method: 'POST', route: '/repos/{owner}/{repo}/git/refs' })).toHaveLength(1);
    },
    4 * PATIENCE,
  );
});
