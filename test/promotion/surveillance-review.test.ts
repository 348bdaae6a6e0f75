// The surveillance tiers acting once per breach, against the local cluster, the local forge and the controller:
// readmission risk's mean score drifts up (an inference log the test rewrites); the notify tier tells one Event
// however many evaluations follow; the review tier opens one governance review issue in the sign-off policy's
// governance repository with the evidence. A new controller instance opens no second one, even when the status
// that recorded the issue is lost (it finds the issue again by its marker). When the score is back, the breach is
// recorded as cleared, the issue is closed with a comment saying when and what was read, and the audit record
// names the issue beside the breach.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleAuditReport, readAuditInputs, renderMarkdown } from '../../controller/src/audit/index.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { REVIEW_LABEL, reviewMarker } from '../../controller/src/kinds/surveillancepolicy/reviews.js';
import type { Manager } from '../../controller/src/runtime/index.js';
import type { SurveillancePolicyStatus } from '../../specs/surveillancepolicy.js';
import { as, OWNER, startForge } from '../forge/harness.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
} from '../runtime/cluster-fixture.js';
import { example, expressTrain, vigilObjects } from './express-train.js';
import { startVigil } from './readmission.js';

const NS = 'care-management';
const POLICY = 'readmission-review';
const GOVERNANCE = 'ai-governance';
const METRIC = 'mean-score';

let cluster: TestCluster;
let local: LocalForge;
let manager: Manager | undefined;
let dataDir: string;

const { get, create } = vigilObjects<SurveillancePolicyStatus>(() => cluster.client(), NS);
const governance = () => as(local, 'platform-eng');

/** The inference log: `rows` scores of `score` over the last hour, for both versions the use case has run. */
function writeLog(score: number, rows = 40): void {
  const now = Date.now();
  const lines = ['scored_at,model_version,score'];
  for (let i = 0; i < rows; i++) {
    const at = new Date(now - (i + 1) * 60_000).toISOString();
    for (const version of ['2.3.1', '2.4.0']) lines.push(`${at},${version},${score}`);
  }
  writeFileSync(join(dataDir, 'data', 'review-log.csv'), `${lines.join('\n')}\n`);
}

/**
 * The mean score against a baseline of 0.25: notify from 10% worse (0.275), review from 25% worse (0.3125). The scores
 * are sums of powers of two, so their mean is exact.
 */
const policy = {
  apiVersion: 'vigil.dev/v1alpha1',
  kind: 'SurveillancePolicy',
  metadata: { name: POLICY, namespace: NS },
  spec: {
    interval: '1s',
    inferenceLog: { uri: 'data/review-log.csv' },
    metrics: [
      {
        name: METRIC,
        kind: 'calibration',
        source: { sql: 'SELECT avg(score) AS value, count(*) AS samples FROM inference_log' },
        baseline: 0.25,
        direction: 'lower-is-better',
        minSamples: 10,
        tiers: [
          { at: 10, action: 'notify' },
          { at: 25, action: 'review' },
        ],
      },
    ],
  },
};

async function startManager(): Promise<void> {
  manager = await startVigil(cluster.client(), local, dataDir);
}

async function stopManager(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}

/** The review issues in the governance repository, open and closed, carrying this breach's marker. */
async function reviewIssues() {
  const marker = reviewMarker(NS, POLICY, METRIC, 'readmission-risk');
  const issues = await governance().paginate(governance().rest.issues.listForRepo, {
    owner: OWNER,
    repo: GOVERNANCE,
    state: 'all',
    labels: REVIEW_LABEL,
    per_page: 100,
  });
  return issues.filter((i) => !i.pull_request && (i.body ?? '').includes(marker));
}

const eventsOf = async (reason: string) =>
  (await cluster.client().core.listNamespacedEvent({ namespace: NS })).items
    .filter((e) => e.involvedObject.name === POLICY && e.reason === reason)
    .reduce((n, e) => n + (e.count ?? 1), 0);

/** Until the policy has been evaluated `times` more times after now (its lastEvaluated moved on). */
async function evaluations(times: number): Promise<SurveillancePolicyStatus> {
  let status = (await get('surveillancepolicies', POLICY)).status!;
  for (let i = 0; i < times; i++) {
    const last = status.lastEvaluated;
    status = await eventually(async () => {
      const s = (await get('surveillancepolicies', POLICY)).status!;
      expect(s.lastEvaluated).not.toBe(last);
      return s;
    }, 30_000);
  }
  return status;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-review-'));
  mkdirSync(join(dataDir, 'data'));
  writeLog(0.25);
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: true });
  await createNamespace(cluster.client(), NS);
  await create('signoffpolicies', example('care-management/clinical-signoff.yaml'));
  await create(
    'releasetrains',
    expressTrain(NS, { cron: '0 7 15 1 *', stages: [{ name: 'silent' }, { name: 'production' }] }),
  );
  const uc = example('care-management/readmission-risk.yaml');
  await create('usecases', {
    ...uc,
    spec: { ...uc.spec, releaseTrain: 'express', dataContracts: [], surveillancePolicy: POLICY },
  });
  await create('surveillancepolicies', policy);
  await startManager();
}, 120_000);

afterAll(async () => {
  await stopManager();
  await local?.stop();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the tiers of a surveillance policy, once per breach', { timeout: 180_000 }, () => {
  it('starts healthy, with nothing to review', async () => {
    const status = await eventually(async () => {
      const s = (await get('surveillancepolicies', POLICY)).status;
      expect(s?.worstTier).toBe('none');
      return s!;
    }, 60_000);
    expect(status.actions ?? []).toEqual([]);
  });

  it('tells one notify Event for a breach at the notify tier, however many evaluations follow', async () => {
    writeLog(0.28125);
    await eventually(async () => {
      expect((await get('surveillancepolicies', POLICY)).status?.worstTier).toBe('notify');
    }, 30_000);
    const status = await evaluations(3);
    expect(status.metrics?.[0]).toMatchObject({ name: METRIC, tier: 'notify', value: 0.28125 });
    expect(status.actions?.map((a) => a.action)).toEqual(['notify']);
    expect(await eventsOf('SurveillanceNotify')).toBe(1);
    expect(status.conditions?.find((c) => c.type === 'Healthy')).toMatchObject({
      status: 'True',
      reason: 'NotifyTier',
    });
  });

  it('opens exactly one governance review issue with the evidence when the review tier is reached', async () => {
    writeLog(0.375);
    const status = await eventually(async () => {
      const s = (await get('surveillancepolicies', POLICY)).status!;
      expect(s.actions?.find((a) => a.action === 'review')?.issue).toBeDefined();
      return s;
    }, 30_000);
    const review = status.actions!.find((a) => a.action === 'review')!;
    expect(review).toMatchObject({ metric: METRIC, tier: 'review', useCase: 'readmission-risk' });
    expect(review.issue!.repository).toBe(`${OWNER}/${GOVERNANCE}`);
    expect(review.reference).toBe(review.issue!.url);
    await evaluations(3);
    const issues = await reviewIssues();
    expect(issues.map((i) => [i.number, i.state])).toEqual([[review.issue!.number, 'open']]);
    const body = issues[0]!.body ?? '';
    expect(issues[0]!.title).toBe(`Surveillance review: readmission-risk ${METRIC} reached review`);
    expect(issues[0]!.user?.login).toBe('vigil[bot]');
    for (const evidence of [
      `| Surveillance policy | ${NS}/${POLICY} |`,
      '| Metric | mean-score (calibration, lower-is-better) |',
      '| Segment | overall |',
      '| Value | 0.375 |',
      '| Baseline | 0.25 |',
      '| Degradation | 50% worse than the baseline |',
      '| Threshold | review (review) at 25% worse than the baseline |',
      '| Samples | 40 |',
    ]) {
      expect(body).toContain(evidence);
    }
    expect(body).toMatch(/\| Since \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \|/);
    expect(
      (await get('surveillancepolicies', POLICY)).status?.conditions?.find((c) => c.type === 'ReviewOpened'),
    ).toMatchObject({ status: 'True', reason: 'ReviewOpen' });
    expect(await eventsOf('SurveillanceNotify')).toBe(1);
    expect(await eventsOf('ReviewIssueOpened')).toBe(1);
  });

  it('opens no second issue from a new controller instance, even when status lost the one it opened', async () => {
    await stopManager();
    // As if the controller had stopped between opening the issue and recording it: the issue is only in the forge.
    const before = (await get('surveillancepolicies', POLICY)).status!;
    const number = before.actions!.find((a) => a.action === 'review')!.issue!.number;
    const actions = before.actions!.map((a) => {
      if (a.action !== 'review') return a;
      const { issue: _issue, reference: _reference, ...rest } = a;
      return rest;
    });
    await cluster.client().customObjects.patchNamespacedCustomObjectStatus(
      {
        group: 'vigil.dev',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'surveillancepolicies',
        name: POLICY,
        body: [{ op: 'replace', path: '/status/actions', value: actions }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(
      (await get('surveillancepolicies', POLICY)).status?.actions?.find((a) => a.action === 'review')?.issue,
    ).toBeUndefined();

    await startManager();
    const found = await eventually(async () => {
      const s = (await get('surveillancepolicies', POLICY)).status!;
      expect(s.actions?.find((a) => a.action === 'review')?.issue).toBeDefined();
      return s;
    }, 30_000);
    expect(found.actions!.find((a) => a.action === 'review')!.issue!.number).toBe(number);
    await evaluations(3);
    expect((await reviewIssues()).map((i) => [i.number, i.state])).toEqual([[number, 'open']]);
    expect(await eventsOf('ReviewIssueFound')).toBe(1);
    expect(await eventsOf('ReviewIssueOpened')).toBe(1);
  });

  it('records the breach as cleared and closes the issue with a comment saying when and what was read', async () => {
    writeLog(0.25);
    const status = await eventually(async () => {
      const s = (await get('surveillancepolicies', POLICY)).status!;
      expect(s.actions?.find((a) => a.action === 'review')?.issue?.closedAt).toBeDefined();
      return s;
    }, 30_000);
    expect(status.worstTier).toBe('none');
    const cleared = status.actions!.map((a) => [a.action, a.cleared?.value]);
    expect(cleared).toEqual([
      ['notify', 0.25],
      ['review', 0.25],
    ]);
    const review = status.actions!.find((a) => a.action === 'review')!;
    const issues = await reviewIssues();
    expect(issues.map((i) => [i.number, i.state, i.state_reason])).toEqual([
      [review.issue!.number, 'closed', 'completed'],
    ]);
    const { data: comments } = await governance().rest.issues.listComments({
      owner: OWNER,
      repo: GOVERNANCE,
      issue_number: review.issue!.number,
    });
    expect(comments.map((c) => [c.user?.login, c.body?.split('\n')[0]])).toEqual([
      [
        'vigil[bot]',
        `Cleared at ${review.cleared!.at}: ${METRIC} read 0.25 against a baseline of 0.25, back below its first tier (notify at 10).`,
      ],
    ]);
    await evaluations(2);
    expect(await eventsOf('ReviewIssueClosed')).toBe(1);
  });

  it('names the issue beside the breach in the audit record', async () => {
    const inputs = await readAuditInputs({
      client: cluster.client(),
      scope: { namespace: NS, useCase: 'readmission-risk' },
      period: {},
    });
    const report = assembleAuditReport(inputs);
    const section = report.useCases.find((s) => s.name === 'readmission-risk')!;
    const review = (await get('surveillancepolicies', POLICY)).status!.actions!.find(
      (a) => a.action === 'review',
    )!;
    expect(section.breaches.map((b) => [b.action, b.reference, b.cleared])).toEqual([
      ['notify', undefined, review.cleared!.at],
      ['review', review.issue!.url, review.cleared!.at],
    ]);
    expect(renderMarkdown(report)).toContain(review.issue!.url);
  });

  it('sent and answered nothing outside GitHub’s OpenAPI description', () => {
    expect(local.violations).toEqual([]);
  });
});
