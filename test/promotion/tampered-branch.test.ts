// A promotion's pull request carries Vigil's change and nothing else, or it is gated as a hand-made change. Played
// against the local cluster, the real manager and the local forge: someone with write access pushes a second
// change onto a promotion's branch, hoping the promotion's own policy is all that is asked; and someone who may
// create objects in one namespace claims the promoted file for a use case of their own.
import type { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Forge } from '../../controller/src/forge/forge.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { promotionController } from '../../controller/src/kinds/promotion/reconciler.js';
import { createUseCaseController } from '../../controller/src/kinds/usecase/reconciler.js';
import { requestPromotion } from '../../controller/src/promotion/manual.js';
import { Manager } from '../../controller/src/runtime/index.js';
import type { PromotionStatus } from '../../specs/promotion.js';
import type { UseCaseStatus } from '../../specs/usecase.js';
import { as, OWNER, REPO, readFile, startForge } from '../forge/harness.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from '../runtime/cluster-fixture.js';
import { example, promotableUseCase, vigilObjects, yearlyTrain } from './express-train.js';

type AnyStatus = PromotionStatus & UseCaseStatus;

const NS = 'revenue-cycle';
const PRIOR_AUTH = 'utilization-management/prior-auth-summarization/network.yaml';

let cluster: TestCluster;
let local: LocalForge;
let forge: Forge;
let manager: Manager | undefined;

const revenue = vigilObjects<AnyStatus>(() => cluster.client(), NS);
const um = vigilObjects<AnyStatus>(() => cluster.client(), 'utilization-management');
const sandbox = vigilObjects<AnyStatus>(() => cluster.client(), 'sandbox');

beforeAll(async () => {
  cluster = await startTestCluster();
  local = await startForge({ openApiCheck: false });
  forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
  for (const ns of [NS, 'utilization-management', 'sandbox']) await createNamespace(cluster.client(), ns);
  await revenue.create('signoffpolicies', example('revenue-cycle/governance-signoff.yaml'));
  await revenue.create('releasetrains', yearlyTrain(NS));
  await revenue.create('usecases', promotableUseCase());
  // Another use case, with another policy, deploys from the same repository.
  await um.create('signoffpolicies', example('utilization-management/um-signoff.yaml'));
  await um.create('usecases', example('utilization-management/prior-auth-summarization.yaml'));

  manager = new Manager({
    client: cluster.client(),
    leaderElection: false,
    probes: false,
    logger: testLogger(),
  });
  manager.register(createUseCaseController({ forge, pollIntervalMs: 500 }));
  manager.register(promotionController({ forge, pollIntervalMs: 500 }));
  await manager.start();
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  await local?.stop();
  await cluster?.stop();
});

async function checkOn(client: Octokit, sha: string) {
  const { data } = await client.rest.checks.listForRef({
    owner: OWNER,
    repo: REPO,
    ref: sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
}

const mergeStatus = (client: Octokit, number: number) =>
  client.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number }).then(
    () => 200,
    (e: { status: number }) => e.status,
  );

describe('a promotion pull request that carries more than Vigil’s change', { timeout: 120_000 }, () => {
  let number = 0;
  let branch = '';

  it('is gated as a hand-made change by every use case it touches once someone pushes onto its branch', async () => {
    const asked = await requestPromotion(cluster.client(), NS, 'denials-triage', 'production', new Date());
    if (!('name' in asked)) throw new Error(`promotion refused: ${asked.refused}`);
    const promo = await eventually(async () => {
      const p = await revenue.get('promotions', asked.name);
      expect(p.status?.phase).toBe('Open');
      expect(p.status?.conditions?.find((c) => c.type === 'VigilsChange')?.status).toBe('True');
      return p;
    }, 40_000);
    number = promo.status!.pullRequest!.number;
    branch = promo.status!.pullRequest!.branch;
    expect(promo.status?.pullRequest?.commit).toBe(promo.status?.pullRequest?.headSha);

    // ds-2, who may push to any branch, switches the prior authorization summarizer on for the whole network
    // on the promotion's branch.
    const ds2 = as(local, 'ds-2');
    const file = await readFile(ds2, PRIOR_AUTH, branch);
    await ds2.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: REPO,
      path: PRIOR_AUTH,
      branch,
      message: 'Tidy the network values',
      sha: file.sha,
      content: Buffer.from(file.text.replace('enabled: false', 'enabled: true')).toString('base64'),
    });
    // The roles denials-triage's own policy asks for approve the new head.
    for (const login of ['ds-lead', 'clinical-safety-lead', 'compliance-1']) {
      await as(local, login).rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: number,
        event: 'APPROVE',
      });
    }

    const tampered = await eventually(async () => {
      const p = await revenue.get('promotions', asked.name);
      const c = p.status?.conditions?.find((x) => x.type === 'VigilsChange');
      expect(c).toMatchObject({ status: 'False', reason: 'HandMadeChange' });
      expect(p.status?.signoffSummary).toBe('3/4');
      return p;
    }, 30_000);
    expect(tampered.status?.conditions?.find((x) => x.type === 'VigilsChange')?.message).toContain(
      PRIOR_AUTH,
    );
    expect(tampered.status?.phase).toBe('Open');
    const eng = as(local, 'platform-eng');
    const { data: pr } = await eng.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: number });
    const check = await checkOn(eng, pr.head.sha);
    expect(check?.conclusion).toBe('failure');
    expect(check?.output.summary).toContain('um-nursing');
    expect(await mergeStatus(eng, number)).toBe(405);
    const events = await cluster.client().core.listNamespacedEvent({ namespace: NS });
    expect(
      events.items.filter((e) => e.reason === 'HandMadeChange' && e.involvedObject.name === asked.name),
    ).toHaveLength(1);
  });

  it('fails closed while another namespace claims the promoted file, and both use cases say so', async () => {
    const squatter = example('revenue-cycle/denials-triage.yaml');
    squatter.metadata = { name: 'quiet-helper', namespace: 'sandbox' };
    squatter.spec.signoffPolicy = 'sandbox-signoff';
    await sandbox.create('usecases', squatter);
    for (const [ns, name] of [
      [NS, 'denials-triage'],
      ['sandbox', 'quiet-helper'],
    ] as const) {
      await eventually(async () => {
        const uc = await vigilObjects<AnyStatus>(() => cluster.client(), ns).get('usecases', name);
        expect(uc.status?.conditions?.find((c) => c.type === 'DeploymentOwned')).toMatchObject({
          status: 'False',
          reason: 'ClaimConflict',
        });
      }, 20_000);
    }
    // The UM nurse lead completes the roles the tampered change needs: the claim still holds the gate shut.
    await as(local, 'um-nurse-lead').rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: number,
      event: 'APPROVE',
    });
    const eng = as(local, 'platform-eng');
    await eventually(async () => {
      const { data: pr } = await eng.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: number });
      const check = await checkOn(eng, pr.head.sha);
      expect(check?.output.summary).toContain('claimed by 2 use cases');
      expect(check?.conclusion).toBe('failure');
    }, 30_000);
    expect(await mergeStatus(eng, number)).toBe(405);
  });
});
