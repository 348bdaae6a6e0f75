// A breaking change to a data contract is signed off by the teams that own the use cases reading it, besides the
// governance roles the change needs anyway. Played out in the examples' governance repository on the local forge
// (seeded from examples/forge/seed.yaml, main protected by vigil/sign-off pinned to Vigil's App), through octokit
// as the people involved, with Vigil evaluating as its App against a cluster that holds the examples.
//
// The inpatient-encounters contract (owned by clinical-data-engineering) is read by readmission-risk, whose owner
// team is care-management-analytics (ds-3). Its policy's governance roles are compliance and clinical safety.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { GovernanceChangeGate, SignoffGate } from '../../controller/src/gate/index.js';
import type { CacheReader, KubeObject } from '../../controller/src/runtime/index.js';
import { as, OWNER, REPO_ROOT, startForge } from '../forge/harness.js';

const repo = { owner: OWNER, repo: 'ai-governance' };
const repository = `${OWNER}/ai-governance`;
const CONTRACT = 'care-management/inpatient-encounters.yaml';
const CONSUMER = 'consumer (care-management/readmission-risk)';

/** The cluster as `vigil start` fills it: every object of the four example areas. */
function examplesCluster(): CacheReader {
  const objects = ['care-management', 'clinical-documentation', 'revenue-cycle', 'utilization-management']
    .flatMap((area) =>
      readdirSync(resolve(REPO_ROOT, 'examples', area))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => readFileSync(join(REPO_ROOT, 'examples', area, f), 'utf8')),
    )
    .flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as KubeObject))
    .filter((o) => o?.apiVersion?.startsWith('vigil.dev/'));
  return {
    list: (kind, namespace) =>
      objects.filter(
        (o) => o.kind === kind.kind && (namespace === undefined || o.metadata.namespace === namespace),
      ),
    get: (kind, namespace, name) =>
      objects.find(
        (o) => o.kind === kind.kind && o.metadata.namespace === namespace && o.metadata.name === name,
      ),
  };
}

let local: LocalForge;
let gate: GovernanceChangeGate;

beforeAll(async () => {
  local = await startForge();
  const vigil = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
  });
  gate = new GovernanceChangeGate({
    forge: vigil,
    gate: new SignoffGate({ forge: vigil }),
    cache: examplesCluster(),
  });
});

afterAll(async () => {
  await local?.stop();
});

/** `who` branches off main and commits one edit of the contract through the contents API. */
async function proposeContract(who: string, branch: string, edit: (old: string) => string) {
  const client = as(local, who);
  const { data: main } = await client.rest.git.getRef({ ...repo, ref: 'heads/main' });
  await client.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: main.object.sha });
  const { data: file } = await client.rest.repos.getContent({ ...repo, path: CONTRACT, ref: branch });
  if (Array.isArray(file) || file.type !== 'file') throw new Error(`${CONTRACT} is not a file`);
  const old = Buffer.from(file.content, 'base64').toString('utf8');
  const next = edit(old);
  if (next === old) throw new Error('the edit changed nothing');
  await client.rest.repos.createOrUpdateFileContents({
    ...repo,
    path: CONTRACT,
    branch,
    message: `Change ${CONTRACT}`,
    sha: file.sha,
    content: Buffer.from(next).toString('base64'),
  });
  const { data: pr } = await client.rest.pulls.create({ ...repo, head: branch, base: 'main', title: branch });
  return pr.number;
}

/** The length of stay's maximum set to `days` (14 in the examples), whatever main has by then. */
const stayAtMost = (days: number) => (old: string) =>
  old.replace(/(- name: time_in_hospital\n[\s\S]*?maximum: )\d+/, `$1${days}`);
/** Length of stay capped at 10 days: data valid today fails the new contract. */
const tightenStay = stayAtMost(10);
/** The next major version, whatever main has by then. */
const majorVersion = (old: string) =>
  old.replace(
    /\n {2}version: "((\d+)\.\d+\.\d+)"\n {2}previousVersion: "[^"]*"/,
    (_, version: string, major: string) =>
      `\n  version: "${Number(major) + 1}.0.0"\n  previousVersion: "${version}"`,
  );

async function approve(number: number, ...who: string[]) {
  for (const login of who) {
    await as(local, login).rest.pulls.createReview({ ...repo, pull_number: number, event: 'APPROVE' });
  }
}

async function mergeStatus(client: Octokit, number: number): Promise<number> {
  return client.rest.pulls.merge({ ...repo, pull_number: number }).then(
    () => 200,
    (e: { status: number }) => e.status,
  );
}

async function evaluated(number: number) {
  const verdict = await gate.evaluate(repository, number);
  if (verdict.kind !== 'evaluated')
    throw new Error(`pull request #${number} was not evaluated: ${verdict.kind}`);
  return verdict;
}

async function checkOn(number: number) {
  const client = as(local, 'platform-eng');
  const { data: pr } = await client.rest.pulls.get({ ...repo, pull_number: number });
  const { data } = await client.rest.checks.listForRef({
    ...repo,
    ref: pr.head.sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
}

const missing = (result: { roles: { role: string; filledBy?: unknown }[] }) =>
  result.roles.filter((r) => !r.filledBy).map((r) => r.role);

describe('a breaking change to a data contract waits for its consumers', { timeout: 400_000 }, () => {
  it('approvals from outside the consumer’s owner team do not fill the consumer role', async () => {
    const number = await proposeContract('data-eng-1', 'stay-cap-outsiders', (t) =>
      majorVersion(tightenStay(t)),
    );
    // The producer's own team mate, a data scientist of another team, and the governance roles.
    await approve(number, 'data-eng-2', 'ds-lead', 'compliance-1', 'clinical-safety-lead');

    const { changes, outcome } = await evaluated(number);
    expect(changes.map((c) => c.code)).toEqual(['changed', 'contract-breaking']);
    expect(outcome.result.conclusion).toBe('failure');
    expect(missing(outcome.result)).toEqual([CONSUMER]);
    const consumer = outcome.result.roles.find((r) => r.role === CONSUMER);
    expect(consumer?.team).toBe('northwind-health/care-management-analytics');
    const check = await checkOn(number);
    expect(check?.conclusion).toBe('failure');
    // The check's text names the consumer still missing and why the change needs it.
    expect(check?.output.summary).toContain(
      `| ${CONSUMER} | northwind-health/care-management-analytics | - | - | Missing:`,
    );
    expect(check?.output.summary).toContain(
      'breaking change for its consumers (maximum of "encounters.time_in_hospital" tightened from 14 to 10)',
    );
    expect(await mergeStatus(as(local, 'data-eng-1'), number)).toBe(405);
  });

  it('an author in the consumer team cannot sign off their own breaking change', async () => {
    const number = await proposeContract('ds-3', 'stay-cap-by-consumer', (t) => majorVersion(tightenStay(t)));
    // The forge refuses the author's approval, as GitHub does; a comment-free approval by the author never counts.
    await expect(approve(number, 'ds-3')).rejects.toMatchObject({ status: 422 });
    await approve(number, 'compliance-1', 'clinical-safety-lead');

    const { outcome } = await evaluated(number);
    expect(outcome.result.conclusion).toBe('failure');
    expect(missing(outcome.result)).toEqual([CONSUMER]);
    expect(await mergeStatus(as(local, 'ds-3'), number)).toBe(405);
  });

  it('a non-breaking change to the contract does not ask the consumers', async () => {
    // A longer stay allowed: every row valid before stays valid.
    const number = await proposeContract('data-eng-1', 'stay-cap-widened', stayAtMost(30));
    await approve(number, 'compliance-1', 'clinical-safety-lead');

    const { changes, outcome } = await evaluated(number);
    expect(changes.map((c) => c.code)).toEqual(['changed']);
    expect(outcome.result.roles.map((r) => r.role)).toEqual(['compliance', 'clinical-safety']);
    expect(outcome.result.conclusion).toBe('success');
    expect(await mergeStatus(as(local, 'data-eng-1'), number)).toBe(200);
  });

  it('a breaking change without a new major version cannot merge, whoever approves', async () => {
    const number = await proposeContract('data-eng-1', 'stay-cap-same-version', tightenStay);
    await approve(number, 'compliance-1', 'clinical-safety-lead', 'ds-3');

    const { outcome } = await evaluated(number);
    expect(missing(outcome.result)).toEqual([]);
    expect(outcome.result.conclusion).toBe('failure');
    expect(outcome.result.blockers.map((b) => b.message)).toEqual([
      'DataContract care-management/inpatient-encounters breaks its consumers but its version goes from 1.2.0 to 1.2.0: a breaking change needs a new major version.',
    ]);
    expect(await mergeStatus(as(local, 'data-eng-1'), number)).toBe(405);
  });

  it('the breaking change waits, check failing and merge refused, until the consuming team approves', async () => {
    const number = await proposeContract('data-eng-1', 'stay-cap', (t) => majorVersion(tightenStay(t)));
    await approve(number, 'compliance-1', 'clinical-safety-lead');

    const waiting = await evaluated(number);
    expect(waiting.outcome.result.conclusion).toBe('failure');
    expect(missing(waiting.outcome.result)).toEqual([CONSUMER]);
    expect((await checkOn(number))?.conclusion).toBe('failure');
    expect(await mergeStatus(as(local, 'data-eng-1'), number)).toBe(405);

    await approve(number, 'ds-3');
    const signed = await evaluated(number);
    expect(signed.outcome.result.conclusion).toBe('success');
    expect(signed.outcome.result.roles.map((r) => [r.role, r.filledBy?.login])).toEqual([
      ['compliance', 'compliance-1'],
      ['clinical-safety', 'clinical-safety-lead'],
      [CONSUMER, 'ds-3'],
    ]);
    expect((await checkOn(number))?.conclusion).toBe('success');
    expect(await mergeStatus(as(local, 'data-eng-1'), number)).toBe(200);
  });
});
