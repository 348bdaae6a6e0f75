// The policy revision is the git commit, read from the governance repository: a SignoffPolicy applied as
// `kubectl apply` does it, with no source annotation, is recorded at the commit of the local forge's
// northwind-health/ai-governance that last changed its file; the Promotion under it, its sign-off check and
// `vigil audit` name that commit whole. An annotation naming another commit does not displace it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromotionRecord } from '../../controller/src/audit/report.js';
import type { Forge } from '../../controller/src/forge/forge.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { promotionController } from '../../controller/src/kinds/promotion/reconciler.js';
import { createReleaseTrainController } from '../../controller/src/kinds/releasetrain/reconciler.js';
import { createSignoffPolicyController } from '../../controller/src/kinds/signoffpolicy/reconciler.js';
import { createUseCaseController } from '../../controller/src/kinds/usecase/reconciler.js';
import { requestPromotion } from '../../controller/src/promotion/manual.js';
import { Manager } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import type { SignoffPolicyStatus } from '../../specs/signoffpolicy.js';
import { as, OWNER, REPO, SEED, startForge } from '../forge/harness.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from '../runtime/cluster-fixture.js';
import { ACCURACY_GATE, example, expressTrain, promotableUseCase, vigilObjects } from './express-train.js';

type AnyStatus = PromotionStatus & SignoffPolicyStatus & { conditions?: { type: string; reason: string }[] };

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'vigil.js');
const NS = 'revenue-cycle';
const POLICY = 'governance-signoff';
const POLICY_FILE = 'revenue-cycle/governance-signoff.yaml';
const PROMOTION = 'denials-triage-production-3-2-0';
const exec = promisify(execFile);

let cluster: TestCluster;
let local: LocalForge;
let forge: Forge;
let manager: Manager;
/** The commit of the governance repository that last changed the policy's file, as GitHub lists it. */
let policyCommit = '';

const { get, create } = vigilObjects<AnyStatus>(() => cluster.client(), NS);

beforeAll(async () => {
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
  const { data } = await as(local, 'platform-eng').rest.repos.listCommits({
    owner: OWNER,
    repo: 'ai-governance',
    path: POLICY_FILE,
    sha: 'main',
    per_page: 1,
  });
  policyCommit = data[0]!.sha;

  await createNamespace(cluster.client(), NS);
  const policy = example(POLICY_FILE);
  expect(policy.metadata.annotations).toBeUndefined();
  await create('signoffpolicies', policy);
  await create(
    'releasetrains',
    expressTrain(NS, {
      cron: '0 6 1 1 *',
      stages: [{ name: 'staging' }, { name: 'production', gates: ACCURACY_GATE }],
    }),
  );
  await create('usecases', promotableUseCase());
  manager = new Manager({
    client: cluster.client(),
    leaderElection: false,
    probes: false,
    logger: testLogger(),
  });
  manager.register(createSignoffPolicyController({ forge }));
  manager.register(createUseCaseController({ forge, pollIntervalMs: 500 }));
  manager.register(createReleaseTrainController({ departures: false }));
  manager.register(promotionController({ forge, pollIntervalMs: 500 }));
  await manager.start();
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
});

describe('a SignoffPolicy applied without a source annotation', () => {
  it('records the commit of the governance repository that last changed its file', async () => {
    expect(policyCommit).toMatch(/^[0-9a-f]{40}$/);
    const policy = await eventually(async () => {
      const p = await get('signoffpolicies', POLICY);
      expect(p.status?.revision).toBe(policyCommit);
      return p;
    }, 30_000);
    expect(policy.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'RevisionConfirmed', status: 'True', reason: 'FromRepository' }),
    );
  }, 40_000);

  it('is the revision the Promotion and its sign-off check name, whole', async () => {
    const asked = await requestPromotion(cluster.client(), NS, 'denials-triage', 'production', new Date());
    expect(asked).toMatchObject({ created: true, name: PROMOTION });
    const promo = await eventually(async () => {
      const p = await get('promotions', PROMOTION);
      expect(p.status?.phase).toBe('Open');
      expect(p.status?.policyRevision).toBeDefined();
      return p;
    }, 30_000);
    expect(promo.status?.policyRevision).toBe(policyCommit);

    const head = promo.status!.pullRequest!.headSha!;
    const check = await eventually(async () => {
      const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
        owner: OWNER,
        repo: REPO,
        ref: head,
        check_name: 'vigil/sign-off',
      });
      expect(data.check_runs[0]?.output.text).toBeTruthy();
      return data.check_runs[0]!;
    }, 30_000);
    expect(check.output.text).toContain(`Policy \`${NS}/${POLICY}\` at revision \`${policyCommit}\`:`);
  }, 60_000);

  it('is the revision `vigil audit` lists for the promotion', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const cwd = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
    try {
      const { stdout } = await exec(
        process.execPath,
        [
          CLI,
          'audit',
          '--namespace',
          NS,
          '--from',
          today,
          '--to',
          today,
          '--forge',
          local.url,
          '--seed',
          SEED,
          '-o',
          'json',
        ],
        { cwd, env: { ...process.env, KUBECONFIG: cluster.cluster.kubeconfigPath, NO_COLOR: '1' } },
      );
      const report = JSON.parse(stdout);
      const section = report.useCases.find((u: { name: string }) => u.name === 'denials-triage');
      const record = section.promotions.find((p: PromotionRecord) => p.name === PROMOTION) as PromotionRecord;
      expect(record.policy).toEqual({ name: POLICY, revision: policyCommit });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);

  it('keeps the repository commit when an annotation names another, and says the annotation disagrees', async () => {
    const forged = 'deadbeef'.repeat(5);
    await cluster.client().customObjects.patchNamespacedCustomObject({
      group: 'vigil.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'signoffpolicies',
      name: POLICY,
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'vigil.dev/source-revision': forged } }],
    });
    const policy = await eventually(async () => {
      const p = await get('signoffpolicies', POLICY);
      expect(p.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'RevisionConfirmed', reason: 'AnnotationDisagrees' }),
      );
      return p;
    }, 30_000);
    expect(policy.status?.revision).toBe(policyCommit);
  }, 40_000);
});
