// A surveillance rollback end to end against the local cluster and the local forge: readmission risk 2.4.0
// reaches production through a signed-off promotion; its scores then shift (a generated inference log whose last
// two weeks score far higher), the policy reaches its rollback tier and creates a rollback Promotion back to
// 2.3.1; its pull request opens, the clinical-safety role's approval alone (break-glass, as the clinical sign-off
// policy allows) turns the check green and the gate merges it; the Promotion records the break-glass and the
// retrospective owed. Once that retrospective is overdue, the use case's next promotion waits, Pending and without
// a pull request, until the usual roles' approvals complete it. Nothing is written twice.
import { rmSync } from 'node:fs';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { SURVEILLANCE_POLICIES } from '../../controller/src/kinds/resources.js';
import { requestPromotion } from '../../controller/src/promotion/manual.js';
import type { ClusterClient, KubeObject, Manager } from '../../controller/src/runtime/index.js';
import type { PromotionSpec, PromotionStatus } from '../../specs/promotion.js';
import type { SurveillancePolicyStatus } from '../../specs/surveillancepolicy.js';
import type { UseCaseStatus } from '../../specs/usecase.js';
import { as, OWNER, REPO, readFile, startForge } from '../forge/harness.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
} from '../runtime/cluster-fixture.js';
import { example, vigilObjects } from './express-train.js';
import {
  approve,
  driftPolicy,
  readmissionRisk,
  readmissionTrain,
  shiftedLogDirectory,
  signoffCheck,
  startVigil,
} from './readmission.js';

type AnyStatus = PromotionStatus & SurveillancePolicyStatus & UseCaseStatus;

const NS = 'care-management';
const FILE = 'care-management/readmission-risk/production.yaml';
const FORWARD = 'readmission-risk-production-2-4-0';
const ROLLBACK = 'readmission-risk-rollback-production-2-3-1';
const ROLLBACK_BRANCH = 'vigil/rollback/care-management/readmission-risk/production/2.3.1';
const NEXT = 'readmission-risk-silent-2-4-1';
const NEXT_BRANCH = 'vigil/promote/care-management/readmission-risk/silent/2.4.1';

let cluster: TestCluster;
let local: LocalForge;
let client: ClusterClient;
let manager: Manager | undefined;
let dataDir: string;

async function startManager(): Promise<void> {
  client = cluster.client();
  manager = await startVigil(client, local, dataDir);
}

const { get, create } = vigilObjects<AnyStatus>(() => cluster.client(), NS);

const promotions = async () =>
  (
    (await cluster.client().customObjects.listNamespacedCustomObject({
      group: 'vigil.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'promotions',
    })) as { items: (KubeObject & { spec: PromotionSpec })[] }
  ).items;

beforeAll(async () => {
  dataDir = await shiftedLogDirectory('vigil-rollback-');
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  await createNamespace(cluster.client(), NS);
  // The example's clinical sign-off, with a retrospective due 2 s after a break-glass approval rather than 72 h,
  // so that the test sees it fall overdue.
  const signoff = example('care-management/clinical-signoff.yaml');
  signoff.spec.breakGlass.retrospectiveWithin = '2s';
  await create('signoffpolicies', signoff);
  await create('releasetrains', readmissionTrain(NS));
  await create('usecases', readmissionRisk());
  await startManager();
}, 120_000);

afterAll(async () => {
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('a surveillance breach at the rollback tier', () => {
  it('starts from 2.4.0 promoted to production over 2.3.1 through a signed-off pull request', async () => {
    await eventually(async () => {
      const uc = await get('usecases', 'readmission-risk');
      expect(uc.status?.stages?.map((s) => `${s.stage}=${s.version}`)).toEqual([
        'silent=2.4.0',
        'production=2.3.1',
      ]);
    }, 90_000);
    const asked = await requestPromotion(client, NS, 'readmission-risk', 'production', new Date());
    expect(asked).toMatchObject({ created: true, name: FORWARD });
    const open = await eventually(async () => {
      const p = await get('promotions', FORWARD);
      expect(p.status?.phase).toBe('Open');
      return p;
    }, 90_000);
    const number = open.status!.pullRequest!.number;
    for (const login of ['ds-lead', 'clinical-safety-lead', 'compliance-1'])
      await approve(local, login, number);
    await eventually(
      async () => expect((await get('promotions', FORWARD)).status?.phase).toBe('SignedOff'),
      90_000,
    );
    await eventually(
      () => as(local, 'platform-eng').rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number }),
      10_000,
      300,
    );
    await eventually(async () => {
      const uc = await get('usecases', 'readmission-risk');
      expect(uc.status?.productionVersion).toBe('2.4.0');
    }, 90_000);
  }, 300_000);

  it('creates one rollback Promotion of production back to 2.3.1, break-glass allowed, and records it', async () => {
    await create('surveillancepolicies', driftPolicy());
    const rollback = await eventually(async () => {
      const p = await get('promotions', ROLLBACK);
      expect(p.status?.phase).toBe('Open');
      return p;
    }, 90_000);
    expect(rollback.spec).toEqual({
      useCase: 'readmission-risk',
      type: 'rollback',
      trigger: 'surveillance',
      to: 'production',
      version: '2.3.1',
      previousVersion: '2.4.0',
      breakGlass: true,
    });
    expect(rollback.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'UseCase',
      name: 'readmission-risk',
    });

    const policy = await get('surveillancepolicies', 'readmission-surveillance');
    expect(policy.status?.worstTier).toBe('rollback');
    expect(policy.status?.actions).toEqual([
      {
        at: expect.any(String),
        metric: 'risk-score-psi',
        tier: 'severe-shift',
        action: 'rollback',
        useCase: 'readmission-risk',
        reference: ROLLBACK,
        // The breach record break-glass rests on: the Promotion the controller created, by name and uid.
        rollbacks: [{ name: ROLLBACK, uid: rollback.metadata.uid, stage: 'production', version: '2.3.1' }],
      },
    ]);
    // Silent mode runs 2.4.0 too, but no version it ran before is known: it is left as it is, and said so.
    const opened = policy.status?.conditions?.find((c) => c.type === 'RollbackOpened');
    expect(opened).toMatchObject({ status: 'False', reason: 'NoPreviousVersion' });
    expect(opened?.message).toContain(
      `rollback Promotion ${ROLLBACK} (readmission-risk production from 2.4.0 back to 2.3.1)`,
    );
    expect(opened?.message).toContain('silent runs 2.4.0 and no good version it ran before is known');
    const events = (await client.core.listNamespacedEvent({ namespace: NS })).items.filter(
      (e) => e.involvedObject.kind === 'SurveillancePolicy',
    );
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['SurveillanceRollback', 'RollbackOpened', 'RollbackNotOpened']),
    );
    expect(
      (await promotions()).filter((p) => p.spec.type === 'rollback').map((p) => p.metadata.name),
    ).toEqual([ROLLBACK]);
  }, 240_000);

  it('opens its pull request, whose check fails and whose merge is refused before anyone approves', async () => {
    const bot = as(local, 'platform-eng');
    const { data: pulls } = await bot.rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      state: 'all',
      head: `${OWNER}:${ROLLBACK_BRANCH}`,
    });
    expect(pulls).toHaveLength(1);
    const pr = pulls[0]!;
    expect(pr.labels.map((l) => l.name).sort()).toEqual(['clinical-decision-support', 'rollback', 'vigil']);
    expect((await readFile(bot, FILE, ROLLBACK_BRANCH)).text).toContain('version: "2.3.1"');
    expect((await readFile(bot, FILE, 'main')).text).toContain('version: "2.4.0"');
    await eventually(
      async () => expect((await signoffCheck(bot, pr.head.sha))?.conclusion).toBe('failure'),
      90_000,
    );
    await expect(
      bot.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number }),
    ).rejects.toMatchObject({
      status: 405,
    });
  }, 120_000);

  it("merges on the break-glass role's approval alone and records the break-glass with its retrospective due", async () => {
    const number = (await get('promotions', ROLLBACK)).status!.pullRequest!.number;
    await approve(local, 'clinical-safety-lead', number);
    const merged = await eventually(async () => {
      const p = await get('promotions', ROLLBACK);
      expect(p.status?.phase).toBe('Merged');
      return p;
    }, 90_000);
    const bot = as(local, 'platform-eng');
    const { data: pr } = await bot.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: number });
    expect(pr.merged).toBe(true);
    expect((await signoffCheck(bot, pr.head.sha))?.conclusion).toBe('success');
    expect((await readFile(bot, FILE, 'main')).text).toContain('version: "2.3.1"');

    const glass = merged.status!.breakGlass!;
    expect(glass.by).toBe('clinical-safety-lead');
    expect(Date.parse(glass.retrospectiveDue) - Date.parse(glass.at)).toBe(2_000);
    expect(glass.retrospectiveDoneAt).toBeUndefined();
    expect(merged.status?.conditions?.find((c) => c.type === 'BreakGlass')).toMatchObject({
      status: 'True',
      reason: 'BreakGlassAllowed',
    });
    await eventually(async () => {
      const uc = await get('usecases', 'readmission-risk');
      expect(uc.status?.productionVersion).toBe('2.3.1');
    }, 90_000);
  }, 240_000);

  it('holds the next promotion while the retrospective is overdue: Pending, naming it, with no pull request', async () => {
    const rollback = await eventually(async () => {
      const p = await get('promotions', ROLLBACK);
      expect(p.status?.conditions?.find((c) => c.type === 'RetrospectiveOverdue')).toMatchObject({
        status: 'True',
        reason: 'RetrospectiveOverdue',
      });
      return p;
    }, 90_000);
    // A fixed candidate, 2.4.1, asked for in silent mode: a promotion of the same use case.
    await cluster.client().customObjects.patchNamespacedCustomObject(
      {
        group: 'vigil.dev',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'usecases',
        name: 'readmission-risk',
        body: { spec: { candidate: { ...readmissionRisk().spec.candidate, version: '2.4.1' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const asked = await eventually(async () => {
      const r = await requestPromotion(client, NS, 'readmission-risk', 'silent', new Date());
      expect(r).toMatchObject({ created: true, name: NEXT });
      return r;
    }, 90_000);
    expect(asked).toMatchObject({ name: NEXT });
    const held = await eventually(async () => {
      const p = await get('promotions', NEXT);
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
        status: 'False',
        reason: 'RetrospectiveOverdue',
      });
      return p;
    }, 90_000);
    expect(held.status?.phase ?? 'Pending').toBe('Pending');
    expect(held.status?.pullRequest).toBeUndefined();
    const said = held.status!.conditions!.find((c) => c.type === 'Ready')!.message;
    expect(said).toContain(
      `break-glass rollback ${ROLLBACK} (pull request #${rollback.status!.pullRequest!.number})`,
    );
    const bot = as(local, 'platform-eng');
    const { data: pulls } = await bot.rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      state: 'all',
      head: `${OWNER}:${NEXT_BRANCH}`,
    });
    expect(pulls).toEqual([]);
    expect(
      (await client.core.listNamespacedEvent({ namespace: NS })).items.filter(
        (e) => e.involvedObject.name === ROLLBACK && e.reason === 'RetrospectiveOverdue',
      ),
    ).not.toEqual([]);
  }, 240_000);

  it('marks the retrospective done once the usual roles approve after the merge, and the next promotion opens', async () => {
    const number = (await get('promotions', ROLLBACK)).status!.pullRequest!.number;
    for (const login of ['ds-lead', 'compliance-1']) await approve(local, login, number);
    const done = await eventually(async () => {
      const p = await get('promotions', ROLLBACK);
      expect(p.status?.breakGlass?.retrospectiveDoneAt).toBeTruthy();
      return p;
    }, 90_000);
    expect(done.status?.conditions?.find((c) => c.type === 'RetrospectiveOverdue')).toMatchObject({
      status: 'False',
      reason: 'RetrospectiveDone',
    });
    expect(done.status?.signoffSummary).toBe('3/3');
    await eventually(async () => expect((await get('promotions', NEXT)).status?.phase).toBe('Open'), 90_000);
  }, 240_000);

  it('writes nothing to the policy and creates no second rollback on further passes or after a restart', async () => {
    const key = `${NS}/readmission-surveillance`;
    const before = await get('surveillancepolicies', 'readmission-surveillance');
    const writes = () =>
      client.writes.count('surveillancepolicies.vigil.dev') +
      client.writes.count('promotions.vigil.dev', 'create');
    const counted = writes();
    manager!.queueFor(SURVEILLANCE_POLICIES)?.add(key);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(writes()).toBe(counted);

    await manager!.stop();
    await startManager();
    manager!.queueFor(SURVEILLANCE_POLICIES)?.add(key);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(client.writes.count('surveillancepolicies.vigil.dev')).toBe(0);
    expect(client.writes.count('promotions.vigil.dev', 'create')).toBe(0);
    const after = await get('surveillancepolicies', 'readmission-surveillance');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await promotions()).map((p) => p.metadata.name).sort()).toEqual([FORWARD, ROLLBACK, NEXT].sort());
  }, 90_000);
});
