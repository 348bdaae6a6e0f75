// A wave that expands by itself, against the local cluster and the local forge: the prior-authorization use case
// runs 1.4.0 in the pilot clinic, and the example wave train lets it into the twelve clinics only when the pilot
// has soaked 30 days, seen 400 requests, held cycle time, first-pass approval and rework, and had every draft
// reviewed. Those figures are measured from the inference and outcome log. While the pilot falls short, the use
// case says which criterion and by how much, and nothing is opened; once a log that meets them arrives, the
// train opens the twelve-clinics promotion, and its pull request, exactly once. Time is the controller's clock,
// set to a Tuesday outside the train's deny windows; nothing waits for wall-clock time to pass.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Forge } from '../../controller/src/forge/forge.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { promotionController } from '../../controller/src/kinds/promotion/reconciler.js';
import { createReleaseTrainController } from '../../controller/src/kinds/releasetrain/reconciler.js';
import { createUseCaseController } from '../../controller/src/kinds/usecase/reconciler.js';
import { outcomeEvidenceReader } from '../../controller/src/metrics/outcomes.js';
import { type Clock, Manager, systemClock } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import type { UseCaseStatus } from '../../specs/usecase.js';
import { type LogBlock, outcomeLog, toCsv } from '../fixtures/outcome-log.js';
import { as, OWNER, REPO, startForge } from '../forge/harness.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from '../runtime/cluster-fixture.js';
import { example, vigilObjects } from './express-train.js';

const NS = 'utilization-management';
const UC = 'prior-auth-summarization';
const PROMOTION = 'prior-auth-summarization-twelve-clinics-1-4-0';
const BRANCH = `vigil/promote/${NS}/${UC}/twelve-clinics/1.4.0`;
const LOG_FILE = 'data/prior-auth-drafts.csv';

// Tuesday 2026-11-10 15:00 UTC: after the train's Tuesday departure, before the payer-policy reset freeze.
const T0 = Date.parse('2026-11-10T15:00:00Z');
const offsetMs = T0 - Date.now();
const clock: Clock = { now: () => Date.now() + offsetMs, schedule: systemClock.schedule };
const DAY = 86_400_000;
// How long to wait for the controllers on two busy cores; a wait, never an assertion.
const PATIENCE = 90_000;
const ago = (days: number) => new Date(T0 - days * DAY);

let cluster: TestCluster;
let local: LocalForge;
let forge: Forge;
let manager: Manager | undefined;
let dataDir: string;

type AnyStatus = PromotionStatus & UseCaseStatus;
const { get, create } = vigilObjects<AnyStatus>(() => cluster.client(), NS);

const writeLog = (blocks: LogBlock[]) =>
  writeFileSync(path.join(dataDir, LOG_FILE), toCsv(outcomeLog(blocks)));

const pilot = (extra: Partial<LogBlock>): LogBlock => ({
  stage: 'pilot-clinic',
  version: '1.4.0',
  count: 0,
  from: ago(12),
  to: ago(0.5),
  hours: [4, 40],
  firstPass: 0.9,
  rework: 0.06,
  reviewed: 1,
  override: 0.1,
  idPrefix: 'PA',
  ...extra,
});

const promotions = async () =>
  (
    (await cluster.client().customObjects.listNamespacedCustomObject({
      group: 'vigil.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'promotions',
    })) as { items: { metadata: { name: string } }[] }
  ).items.map((p) => p.metadata.name);
const pullsFrom = async (bot: Octokit) =>
  (await bot.rest.pulls.list({ owner: OWNER, repo: REPO, state: 'all', head: `${OWNER}:${BRANCH}` })).data;
const openedPulls = () => local.calls.filter({ method: 'POST', route: '/repos/{owner}/{repo}/pulls' }).length;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-waves-'));
  mkdirSync(path.join(dataDir, 'data'));
  // The pilot's first twelve days: 212 requests, a slow tail of payer decisions.
  writeLog([pilot({ count: 212, hours: [6, 170] })]);

  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
  await createNamespace(cluster.client(), NS);
  await create('signoffpolicies', example('utilization-management/um-signoff.yaml'));
  await create('releasetrains', example('utilization-management/wave-rollout.yaml'));
  // The policy is what names the log; its own metrics are not under test here (no surveillance controller runs).
  await create('surveillancepolicies', {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'SurveillancePolicy',
    metadata: { name: 'prior-auth-surveillance', namespace: NS },
    spec: {
      inferenceLog: { uri: LOG_FILE, timestampColumn: 'drafted_at', versionColumn: 'bundle_version' },
      metrics: [
        {
          name: 'draft-override-rate',
          kind: 'override-rate',
          source: { sql: 'SELECT 0.1 AS value, 200 AS samples' },
          baseline: 0.27,
          direction: 'lower-is-better',
          tiers: [{ at: 10, action: 'review' }],
        },
      ],
    },
  });
  // The example as declared, without its data contract (contract tests are not under test here).
  const uc = example('utilization-management/prior-auth-summarization.yaml');
  await create('usecases', { ...uc, spec: { ...uc.spec, dataContracts: [] } });

  manager = new Manager({
    client: cluster.client(),
    leaderElection: false,
    probes: false,
    logger: testLogger(),
    clock,
  });
  manager.register(
    createUseCaseController({
      forge,
      pollIntervalMs: 2_000,
      evidence: outcomeEvidenceReader(dataDir),
      // Measured at most every 10 s of the controller's clock: a new log is read within that.
      evidenceIntervalMs: 10_000,
    }),
  );
  manager.register(createReleaseTrainController({ departures: true }));
  manager.register(promotionController({ forge, pollIntervalMs: 500 }));
  await manager.start();
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('a wave of the prior-authorization rollout', () => {
  it(
    'while the pilot is short, names each criterion and the shortfall, and opens nothing',
    async () => {
      const uc = await eventually(async () => {
        const u = await get('usecases', UC);
        expect(u.status?.stages?.[0]?.evidence?.encounters).toBe(212);
        return u;
      }, 30_000);
      expect(uc.status!.stages![0]).toMatchObject({
        stage: 'pilot-clinic',
        version: '1.4.0',
        evidence: { encounters: 212, reviewed: expect.any(Number), metrics: expect.any(Array) },
      });
      const waiting = uc.status!.waitingOn!;
      expect(waiting).toMatch(/^soak until 2026-11-2\dT\d\d:\d\dZ; encounters 212 of 400; /);
      expect(waiting).toMatch(/cycle-time-p90-hours \d+(\.\d+)? > 72/);
      const gates = uc.status!.conditions!.find((c) => c.type === 'PromotionReady')!;
      expect(gates).toMatchObject({ status: 'False', reason: 'GatesNotMet' });
      expect(gates.message).toContain('pilot-clinic has seen 212 encounters; 400 required, 188 short');

      // What a person sees: the WAITING column of kubectl get uc -o wide (the real kubectl; the cluster answers
      // from this process, so it runs asynchronously).
      const { stdout } = await promisify(execFile)('kubectl', ['get', 'uc', '-n', NS, '-o', 'wide'], {
        env: {
          PATH: process.env.PATH,
          HOME: dataDir,
          KUBECONFIG: cluster.cluster.kubeconfigPath,
          KUBECACHEDIR: path.join(dataDir, 'kube-cache'),
        },
      });
      const [header, row] = stdout.trim().split('\n');
      expect(header).toMatch(/\bWAITING\b/);
      expect(row).toContain('encounters 212 of 400');

      // Several more passes over the short log (it is measured again every 10 s): nothing opened, and the use case's
      // status, unchanged, is not written again.
      const before = (await get('usecases', UC)).metadata.resourceVersion;
      await new Promise((r) => setTimeout(r, 12_000));
      expect((await get('usecases', UC)).metadata.resourceVersion).toBe(before);
      expect(await promotions()).toEqual([]);
      expect(openedPulls()).toBe(0);
    },
    PATIENCE,
  );

  it(
    'once the log meets every criterion, opens the next wave and its pull request exactly once',
    async () => {
      // 35 days of the pilot: 460 requests, decisions within two days, every draft reviewed.
      writeLog([pilot({ count: 460, from: ago(35) })]);

      const promo = await eventually(async () => {
        const p = await get('promotions', PROMOTION);
        expect(p.status?.phase).toBe('Open');
        return p;
      }, PATIENCE);
      expect(promo.spec).toMatchObject({
        useCase: UC,
        trigger: 'expansion',
        releaseTrain: 'wave-rollout',
        from: 'pilot-clinic',
        to: 'twelve-clinics',
        version: '1.4.0',
      });
      const uc = await get('usecases', UC);
      expect(uc.status?.waitingOn).toBeUndefined();
      expect(uc.status?.conditions?.find((c) => c.type === 'PromotionReady')).toMatchObject({
        status: 'True',
        reason: 'GatesMet',
      });
      // The gates the promotion records are the measured ones, every one passed.
      const gates = promo.status!.gates!;
      expect(gates.filter((g) => !g.passed)).toEqual([]);
      expect(gates.find((g) => g.name === 'minEncounters')?.message).toBe(
        'pilot-clinic has seen 460 encounters (minimum 400)',
      );
      expect(gates.map((g) => g.name)).toContain('oversight');

      // More passes, a restart of nothing: still one promotion and one pull request.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await promotions()).toEqual([PROMOTION]);
      const pulls = await pullsFrom(as(local, 'platform-eng'));
      expect(pulls).toHaveLength(1);
      expect(pulls[0]!.state).toBe('open');
      expect(openedPulls()).toBe(1);
      // Nothing merges by itself: the sign-off gate still stands between the pull request and the twelve clinics.
      expect((await get('promotions', PROMOTION)).status?.phase).toBe('Open');
    },
    2 * PATIENCE,
  );
});
