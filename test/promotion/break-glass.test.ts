// Break-glass only for a real rollback, against the local cluster, the local forge and the real controller loop.
// A person who may create Promotions writes one with kubectl that calls itself a surveillance rollback with
// break-glass: one clinical-safety approval does not merge it. A person's promotion that claims a version ran on
// production before it (previousVersion is theirs to write) makes the controller open a rollback to that
// version when surveillance breaches: break-glass is refused, because the repository's history shows production
// never ran it. And `vigil promote` cannot make a rollback at all.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../controller/src/cli/main.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import type { ClusterClient, Manager } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
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
const HAND_MADE = 'readmission-risk-urgent-rollback';
const FORWARD = 'readmission-risk-to-production';
const ROLLBACK = 'readmission-risk-rollback-production-2-2-9';

let cluster: TestCluster;
let local: LocalForge;
let client: ClusterClient;
let manager: Manager | undefined;
let dataDir: string;

const { get, create } = vigilObjects<AnyStatus>(() => cluster.client(), NS);

/** The real kubectl, as a person with rights to create Promotions in the namespace uses it. */
async function kubectlApply(object: object): Promise<void> {
  const child = promisify(execFile)('kubectl', ['apply', '-f', '-'], {
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, KUBECONFIG: cluster.cluster.kubeconfigPath },
  });
  child.child.stdin?.end(JSON.stringify(object));
  await child;
}

const promotion = (name: string, spec: object) => ({
  apiVersion: 'vigil.dev/v1alpha1',
  kind: 'Promotion',
  metadata: { name, namespace: NS },
  spec: { useCase: 'readmission-risk', to: 'production', ...spec },
});

const events = async (name: string) =>
  (await client.core.listNamespacedEvent({ namespace: NS })).items.filter(
    (e) => e.involvedObject.kind === 'Promotion' && e.involvedObject.name === name,
  );

/** Approve as the break-glass role, wait until that approval has been judged, and return what it led to. */
async function breakGlassApproval(name: string) {
  const number = (await get('promotions', name)).status!.pullRequest!.number;
  await approve(local, 'clinical-safety-lead', number);
  const judged = await eventually(async () => {
    const p = await get('promotions', name);
    expect(p.status?.signoffs?.map((s) => s.login)).toContain('clinical-safety-lead');
    return p;
  }, 60_000);
  const bot = as(local, 'platform-eng');
  const { data: pr } = await bot.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: number });
  return { promotion: judged, pr, check: await signoffCheck(bot, pr.head.sha), bot };
}

beforeAll(async () => {
  dataDir = await shiftedLogDirectory('vigil-break-glass-');
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  await createNamespace(cluster.client(), NS);
  await create('signoffpolicies', example('care-management/clinical-signoff.yaml'));
  await create('releasetrains', readmissionTrain(NS));
  await create('usecases', readmissionRisk());
  client = cluster.client();
  manager = await startVigil(client, local, dataDir);
  await eventually(async () => {
    const uc = await get('usecases', 'readmission-risk');
    expect(uc.status?.productionVersion).toBe('2.3.1');
  }, 60_000);
}, 120_000);

afterAll(async () => {
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('break-glass', () => {
  it('is refused to a rollback a person created with kubectl, whatever its fields say', async () => {
    // "Roll back" production to the unsigned candidate, claiming surveillance asked for it.
    await kubectlApply(
      promotion(HAND_MADE, {
        type: 'rollback',
        trigger: 'surveillance',
        version: '2.4.0',
        previousVersion: '2.3.1',
        breakGlass: true,
      }),
    );
    await eventually(
      async () => expect((await get('promotions', HAND_MADE)).status?.phase).toBe('Open'),
      90_000,
    );

    const { promotion: p, pr, check, bot } = await breakGlassApproval(HAND_MADE);
    expect(pr.merged).toBe(false);
    expect(p.status?.phase).toBe('Open');
    expect(check?.conclusion).toBe('failure');
    expect((await readFile(bot, FILE, 'main')).text).toContain('version: "2.3.1"');
    expect(p.status?.breakGlass).toBeUndefined();
    expect(p.status?.conditions?.find((c) => c.type === 'BreakGlass')).toMatchObject({
      status: 'False',
      reason: 'NotOpenedBySurveillance',
    });
    // The check tells the reviewers why one approval is not enough.
    expect(check?.output?.summary).toContain('Note: break-glass refused: no SurveillancePolicy');
    expect((await events(HAND_MADE)).map((e) => e.reason)).toContain('BreakGlassRefused');

    // The person gives up on it: closed, it is rejected.
    await bot.rest.pulls.update({ owner: OWNER, repo: REPO, pull_number: pr.number, state: 'closed' });
    await eventually(
      async () => expect((await get('promotions', HAND_MADE)).status?.phase).toBe('Rejected'),
      60_000,
    );
  }, 240_000);

  it('is refused to a rollback the controller opened to a version production never ran', async () => {
    // A person's promotion of 2.4.0, signed off in full, that claims production ran 2.2.9 before it.
    await kubectlApply(
      promotion(FORWARD, {
        type: 'promotion',
        trigger: 'manual',
        version: '2.4.0',
        previousVersion: '2.2.9',
      }),
    );
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
      60_000,
    );
    await eventually(
      () => as(local, 'platform-eng').rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number }),
      10_000,
      300,
    );
    await eventually(async () => {
      const uc = await get('usecases', 'readmission-risk');
      expect(uc.status?.productionVersion).toBe('2.4.0');
    }, 60_000);

    // Surveillance breaches and the controller rolls production back to the version that promotion named.
    await create('surveillancepolicies', driftPolicy());
    const rollback = await eventually(async () => {
      const p = await get('promotions', ROLLBACK);
      expect(p.status?.phase).toBe('Open');
      return p;
    }, 90_000);
    expect(rollback.spec).toMatchObject({ type: 'rollback', version: '2.2.9', breakGlass: true });

    const { promotion: p, pr, check, bot } = await breakGlassApproval(ROLLBACK);
    expect(pr.merged).toBe(false);
    expect(p.status?.phase).toBe('Open');
    expect(check?.conclusion).toBe('failure');
    expect((await readFile(bot, FILE, 'main')).text).toContain('version: "2.4.0"');
    expect(p.status?.conditions?.find((c) => c.type === 'BreakGlass')).toMatchObject({
      status: 'False',
      reason: 'VersionNeverDeployed',
    });
    expect(check?.output?.summary).toContain('production never ran 2.2.9');
    expect((await events(ROLLBACK)).map((e) => e.reason)).toContain('BreakGlassRefused');

    // The breach record names the rollback the controller created, by name and uid.
    const policy = await get('surveillancepolicies', 'readmission-surveillance');
    expect(policy.status?.actions?.at(-1)?.rollbacks).toEqual([
      { name: ROLLBACK, uid: rollback.metadata.uid, stage: 'production', version: '2.2.9' },
    ]);
  }, 400_000);
});

describe('vigil promote', () => {
  it.each([['--rollback'], ['--break-glass']])('refuses %s as a usage error (exit 2)', async (flag) => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await run(['node', 'vigil', 'promote', 'readmission-risk', '--to', 'production', flag]);
      expect(code).toBe(2);
      const said = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toContain('vigil promote cannot create a rollback');
      expect(said).not.toMatch(/\n\s+at /);
    } finally {
      stderr.mockRestore();
    }
  });
});
