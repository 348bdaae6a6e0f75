// The acceptance test of change control, end to end, with every controller Vigil runs: the train departs, a
// pull request opens in the local forge, the merge is refused, the required roles approve, the check turns green,
// the merge goes through, the Promotion is Merged, the UseCase shows the new production version, and `vigil audit`
// (the compiled CLI, run as a child with KUBECONFIG) lists it all.
//
// Realism bent, and why: the revenue-cycle train departs monthly; here an "express" train departs every minute and
// the test moves the manager's clock past the departure instead of waiting. Its production stage keeps the
// example's evaluation gates (overall, the Medicaid managed care segment, the payer fairness gap, PHI leakage) but
// drops the 14-day soak and the 1,500 labelled outcomes observed in staging: the staging version was first seen
// seconds ago, and nothing has been labelled in it. The use case's data contracts and surveillance policy are left off: they need contract test runs
// and an inference log that this flow is not about (the audit's breach section is covered by its unit tests).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { RequestError } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromotionRecord } from '../../controller/src/audit/report.js';
import { type ChangeControl, startChangeControl } from '../../controller/src/change-control.js';
import type { Forge } from '../../controller/src/forge/forge.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { RELEASE_TRAINS } from '../../controller/src/kinds/resources.js';
import { registerControllers } from '../../controller/src/reconcilers.js';
import { type Clock, Manager, systemClock } from '../../controller/src/runtime/index.js';
import { startTracing, type Tracing } from '../../controller/src/tracing.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import type { ReleaseTrainStatus } from '../../specs/releasetrain.js';
import type { UseCaseStatus } from '../../specs/usecase.js';
import { as, OWNER, REPO, readFile, SEED, startForge } from '../forge/harness.js';
import { example, expressTrain, promotableUseCase, vigilObjects } from '../promotion/express-train.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from '../runtime/cluster-fixture.js';

type AnyStatus = PromotionStatus & ReleaseTrainStatus & UseCaseStatus;

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(import.meta.dirname, '..', '..', 'bin', 'vigil.js');
const NS = 'revenue-cycle';
const FILE = 'revenue-cycle/denials-triage/production.yaml';
const PROMOTION = 'denials-triage-production-3-2-0';
const BRANCH = 'vigil/promote/revenue-cycle/denials-triage/production/3.2.0';
const APPROVERS = {
  'data-science': 'ds-lead',
  'clinical-safety': 'clinical-safety-lead',
  compliance: 'compliance-1',
};
const exec = promisify(execFile);

let cluster: TestCluster;
let local: LocalForge;
let forge: Forge;
let manager: Manager;
let changeControl: ChangeControl;
let offsetMs = 0;
// Every span the controller, change control and the forge client make, as an OTLP collector would receive them.
const spans = new InMemorySpanExporter();
let tracing: Tracing | undefined;
const clock: Clock = { now: () => Date.now() + offsetMs, schedule: systemClock.schedule };

const { get, create } = vigilObjects<AnyStatus>(() => cluster.client(), NS);

/** The compiled CLI as a person runs it: its own process, the cluster found through KUBECONFIG. */
async function vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, KUBECONFIG: cluster.cluster.kubeconfigPath, NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

const checkOn = async (sha: string) => {
  const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
    owner: OWNER,
    repo: REPO,
    ref: sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
};

beforeAll(async () => {
  tracing = await startTracing({ exporter: spans, simple: true });
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
  await createNamespace(cluster.client(), NS);
  await create('signoffpolicies', example('revenue-cycle/governance-signoff.yaml'));
  const monthly = example('revenue-cycle/monthly-release.yaml');
  const production = monthly.spec.stages.find((s: { name: string }) => s.name === 'production');
  const { minSoak: _soak, minLabelledOutcomes: _outcomes, ...productionGates } = production.gates;
  await create(
    'releasetrains',
    expressTrain(NS, {
      cron: '* * * * *',
      stages: [{ name: 'staging' }, { ...production, gates: productionGates }],
      rollbackPlanRequired: true,
    }),
  );
  await create('usecases', promotableUseCase());

  const logger = testLogger();
  manager = new Manager({ client: cluster.client(), leaderElection: false, probes: false, logger, clock });
  registerControllers(manager, { forge, dataDir: join(ROOT, 'examples'), pollIntervalMs: 500 });
  await manager.start();
  const secret = randomBytes(32).toString('hex');
  changeControl = await startChangeControl({
    manager,
    forge,
    logger,
    webhook: { port: 0, host: '127.0.0.1', path: '/webhooks/github', secret },
    pollIntervalMs: 1_000,
  });
  local.webhooks.add({ url: changeControl.webhookUrl!, secret });
}, 60_000);

afterAll(async () => {
  await changeControl?.stop();
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
  await tracing?.shutdown();
});

describe('a release train promotion under change control, end to end', () => {
  let number = 0;
  let headSha = '';
  let mergeCommit = '';

  it('departs the train and opens exactly one pull request whose diff is the version line', async () => {
    const train = await eventually(async () => {
      const t = await get('releasetrains', 'express');
      expect(t.status?.passengers).toEqual([
        expect.objectContaining({ useCase: 'denials-triage', to: 'production', boarding: true }),
      ]);
      return t;
    }, 20_000);
    offsetMs = Date.parse(train.status!.nextDeparture!) - Date.now() + 1_000;
    manager.queueFor(RELEASE_TRAINS)?.add(`${NS}/express`);

    const promo = await eventually(async () => {
      const p = await get('promotions', PROMOTION);
      expect(p.status?.phase).toBe('Open');
      return p;
    }, 30_000);
    expect(promo.spec).toMatchObject({
      trigger: 'train',
      to: 'production',
      version: '3.2.0',
      previousVersion: '3.1.4',
    });
    number = promo.status!.pullRequest!.number;
    headSha = promo.status!.pullRequest!.headSha!;

    const eng = as(local, 'platform-eng');
    const pulls = (await eng.rest.pulls.list({ owner: OWNER, repo: REPO, state: 'all' })).data;
    expect(pulls.map((p) => p.head.ref)).toEqual([BRANCH]);
    const before = (await readFile(eng, FILE, 'main')).text.split('\n');
    const after = (await readFile(eng, FILE, BRANCH)).text.split('\n');
    expect(after).toHaveLength(before.length);
    expect(before.flatMap((l, i) => (l === after[i] ? [] : [`-${l}`, `+${after[i]}`]))).toEqual([
      '-  version: "3.1.4"',
      '+  version: "3.2.0"',
    ]);
  }, 60_000);

  it('refuses the merge while sign-off is missing, in the words GitHub uses', async () => {
    await eventually(async () => expect((await checkOn(headSha))?.conclusion).toBe('failure'), 20_000);
    const refused = await as(local, 'platform-eng')
      .rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(RequestError);
    expect((refused as RequestError).status).toBe(405);
    expect((refused as RequestError).message).toContain('Required status check "vigil/sign-off" is failing.');
  }, 30_000);

  it('turns the check green once every required role approves, then merges', async () => {
    for (const login of Object.values(APPROVERS)) {
      await as(local, login).rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: number,
        event: 'APPROVE',
      });
    }
    await eventually(async () => expect((await checkOn(headSha))?.conclusion).toBe('success'), 20_000);
    const signed = await eventually(async () => {
      const p = await get('promotions', PROMOTION);
      expect(p.status?.phase).toBe('SignedOff');
      return p;
    }, 20_000);
    expect(signed.status?.signoffSummary).toBe('3/3');

    const { data } = await as(local, 'platform-eng').rest.pulls.merge({
      owner: OWNER,
      repo: REPO,
      pull_number: number,
    });
    expect(data.merged).toBe(true);
    mergeCommit = data.sha;
    const merged = await eventually(async () => {
      const p = await get('promotions', PROMOTION);
      expect(p.status?.phase).toBe('Merged');
      return p;
    }, 20_000);
    expect(merged.status?.mergedAt).toBeTruthy();
    await eventually(
      async () => expect((await get('usecases', 'denials-triage')).status?.productionVersion).toBe('3.2.0'),
      20_000,
    );
  }, 60_000);

  it('is traced from the departure to the merge: one promotion, found by its name in every span', async () => {
    const all = spans.getFinishedSpans();
    const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) =>
      s.parentSpanContext ? byId.get(s.parentSpanContext.spanId) : undefined;
    const root = (s: ReadableSpan): ReadableSpan => {
      let at = s;
      for (let up = parentOf(at); up; up = parentOf(at)) at = up;
      return at;
    };
    const promotion = `${NS}/${PROMOTION}`;
    const ofPromotion = all.filter((s) => s.attributes['vigil.promotion'] === promotion);

    // The departure: the release train's reconcile created the Promotion.
    const departure = ofPromotion.filter((s) => s.name === 'create Promotion');
    expect(departure).toHaveLength(1);
    expect(departure[0]!.attributes).toMatchObject({ 'vigil.stage': 'production', 'vigil.trigger': 'train' });
    expect(parentOf(departure[0]!)?.name).toBe('reconcile ReleaseTrain');

    // The pull request was opened by the Promotion's reconcile: the POST is its child.
    const opened = all.filter(
      (s) =>
        s.name === 'GitHub POST /repos/{owner}/{repo}/pulls' &&
        s.attributes['vigil.repository'] === `${OWNER}/${REPO}`,
    );
    expect(opened).toHaveLength(1);
    expect(opened[0]!.attributes['http.response.status_code']).toBe(201);
    expect(root(opened[0]!).attributes).toMatchObject({
      'vigil.kind': 'Promotion',
      'vigil.promotion': promotion,
    });

    // Reconciles of the Promotion once it had its pull request carry the number, up to the merge.
    const reconciles = ofPromotion.filter((s) => s.name === 'reconcile Promotion');
    expect(reconciles.some((s) => s.attributes['vigil.pull_request'] === number)).toBe(true);

    // The merge arrived as a webhook delivery naming the pull request, and the Promotion's reconciles recorded it
    // Merged: from the first that did, every later one that names a phase (the poll may see the merge before the
    // delivery lands).
    const deliveries = all.filter(
      (s) =>
        s.name === 'webhook pull_request' &&
        s.attributes['github.action'] === 'closed' &&
        (s.attributes['vigil.pull_request'] as number[] | undefined)?.includes(number),
    );
    expect(deliveries).toHaveLength(1);
    const startsAfter = (a: ReadableSpan, b: ReadableSpan) =>
      a.startTime[0] > b.startTime[0] ||
      (a.startTime[0] === b.startTime[0] && a.startTime[1] > b.startTime[1]);
    const mergedAfter = ofPromotion.filter(
      (s) =>
        s.name === 'reconcile Promotion' &&
        s.attributes['vigil.phase'] === 'Merged' &&
        s.attributes['vigil.pull_request'] === number,
    );
    expect(mergedAfter.length).toBeGreaterThan(0);
    const ordered = reconciles
      .filter(
        (s) => s.attributes['vigil.pull_request'] === number && s.attributes['vigil.phase'] !== undefined,
      )
      .sort((a, b) => (startsAfter(a, b) ? 1 : startsAfter(b, a) ? -1 : 0));
    const firstMerged = ordered.findIndex((s) => s.attributes['vigil.phase'] === 'Merged');
    expect(ordered.slice(firstMerged).map((s) => s.attributes['vigil.phase'])).toEqual(
      ordered.slice(firstMerged).map(() => 'Merged'),
    );

    // Spans carry no credentials: no attribute holds the App's token.
    const token = local.appTokens.vigil!;
    expect(all.flatMap((s) => Object.values(s.attributes).map(String)).some((v) => v.includes(token))).toBe(
      false,
    );
  });

  it('lists it all in `vigil audit`: approvers by role, the policy revision, the evidence digest, the merge', async () => {
    const promo = await get('promotions', PROMOTION);
    const today = new Date().toISOString().slice(0, 10);
    const common = ['--namespace', NS, '--from', today, '--to', today, '--forge', local.url, '--seed', SEED];

    const json = await vigil(['audit', ...common, '-o', 'json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.empty).toBe(false);
    expect(report.summary).toEqual([
      expect.objectContaining({
        useCase: 'denials-triage',
        promotions: 1,
        merged: 1,
        rollbacks: 0,
        findings: 0,
      }),
    ]);
    const section = report.useCases.find((u: { name: string }) => u.name === 'denials-triage');
    expect(section).toMatchObject({ namespace: NS, riskClass: 'operational', productionVersion: '3.2.0' });
    expect(section.promotions).toHaveLength(1);
    const record = section.promotions[0] as PromotionRecord;
    expect(record).toMatchObject({
      name: PROMOTION,
      type: 'promotion',
      trigger: 'train',
      releaseTrain: 'express',
      to: 'production',
      version: '3.2.0',
      previousVersion: '3.1.4',
      phase: 'Merged',
      mergedAt: promo.status!.mergedAt,
      evidenceDigest: promo.status!.evidenceDigest,
      policy: { name: 'governance-signoff', revision: promo.status!.policyRevision },
      signoffSummary: '3/3',
      pullRequest: { number, repository: `${OWNER}/${REPO}`, state: 'merged' },
    });
    expect(record.evidenceDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Who pressed merge, and the commit the merge made on main.
    expect(record.mergedBy).toBe('platform-eng');
    expect(record.pullRequest?.mergeCommitSha).toBe(mergeCommit);
    expect(record.pullRequest?.title).toContain('3.2.0');
    expect(record.approvals.map((a) => [a.role, a.login])).toEqual(
      Object.entries(APPROVERS).sort(([a], [b]) => a.localeCompare(b)),
    );
    for (const a of record.approvals) {
      expect(Date.parse(a.at)).toBeLessThanOrEqual(Date.parse(record.mergedAt!));
      expect(a.commit).toBe(headSha);
    }
    // Every approval the controller counted is a review the forge still shows, filling that role.
    expect(
      record.reviews
        .filter((r) => r.countedFor)
        .map((r) => [r.countedFor, r.login])
        .sort(),
    ).toEqual(record.approvals.map((a) => [a.role, a.login]).sort());
    expect(record.gates.length).toBeGreaterThan(0);
    expect(record.gates.every((g) => g.passed)).toBe(true);

    const md = await vigil(['audit', ...common, '-o', 'md']);
    expect(md.code).toBe(0);
    for (const text of [
      promo.status!.evidenceDigest!,
      promo.status!.policyRevision!,
      ...Object.values(APPROVERS),
      'clinical-safety',
      'compliance',
      'data-science',
      'Promotion to production: version 3.2.0 (from 3.1.4)',
      '| Merged by | platform-eng |',
      `| Merge commit | ${mergeCommit} |`,
    ]) {
      expect(md.stdout).toContain(text);
    }

    const html = await vigil(['audit', ...common, '-o', 'html']);
    expect(html.code).toBe(0);
    expect(html.stdout).toContain(promo.status!.evidenceDigest!);
    expect(html.stdout).toContain('<dt>Merged by</dt><dd>platform-eng</dd>');
    expect(html.stdout).toContain(mergeCommit);
    expect(html.stdout).not.toMatch(/<script|<link|src=|href=/i);
    // No credential reaches any rendering.
    for (const out of [json.stdout, md.stdout, html.stdout]) expect(out).not.toContain('vigil-local-');
  }, 60_000);

  it('gates a hand-made pull request that changes the deployed version: failure until the roles approve', async () => {
    const person = as(local, 'ds-3');
    const branch = 'hand-edit/denials-triage-3.2.1';
    const { data: main } = await person.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    await person.rest.git.createRef({
      owner: OWNER,
      repo: REPO,
      ref: `refs/heads/${branch}`,
      sha: main.object.sha,
    });
    const before = await readFile(person, FILE, branch);
    const { data: pushed } = await person.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: REPO,
      path: FILE,
      branch,
      sha: before.sha,
      message: 'Hot-fix denials-triage to 3.2.1 by hand',
      content: Buffer.from(before.text.replace('version: "3.2.0"', 'version: "3.2.1"')).toString('base64'),
    });
    const head = pushed.commit.sha!;
    const { data: pr } = await person.rest.pulls.create({
      owner: OWNER,
      repo: REPO,
      head: branch,
      base: 'main',
      title: 'denials-triage 3.2.1',
    });
    // Nobody asked Vigil: the opened webhook is enough for the check to appear, failing.
    await eventually(async () => expect((await checkOn(head))?.conclusion).toBe('failure'), 20_000);
    for (const login of Object.values(APPROVERS)) {
      await as(local, login).rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: pr.number,
        event: 'APPROVE',
      });
    }
    await eventually(async () => expect((await checkOn(head))?.conclusion).toBe('success'), 20_000);
    const { data } = await as(local, 'platform-eng').rest.pulls.merge({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
    });
    expect(data.merged).toBe(true);
  }, 60_000);

  it('answers usage mistakes with exit 2 and a period with nothing in it with an empty report that says so', async () => {
    const backwards = await vigil(['audit', '--from', '2026-03-31', '--to', '2026-03-01', '--no-forge']);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--from (2026-03-31) is after --to (2026-03-01)');
    expect((await vigil(['audit', '--from', '2026-02-30', '--no-forge'])).code).toBe(2);

    const quiet = await vigil(['audit', '--namespace', NS, '--to', '2000-01-31', '--no-forge', '-o', 'md']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain('No promotions, rollbacks or surveillance actions were found');
  }, 30_000);
});
