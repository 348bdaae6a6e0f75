// A pull request a person makes by hand that changes a deployed version needs the same sign-off as a promotion:
// the local forge (OpenAPI check on) plays GitHub, people push and review through octokit as themselves, and
// Vigil evaluates through createGitHubForge. A change to no governed file is not gated, and a Promotion's own
// pull request is left to the Promotion reconciler.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { GovernedPullRequestGate, SignoffGate } from '../../controller/src/gate/index.js';
import type { CacheReader, KubeObject } from '../../controller/src/runtime/index.js';
import { as, OWNER, REPO, REPO_ROOT, startForge } from '../forge/harness.js';

const repository = `${OWNER}/${REPO}`;
const PRODUCTION = 'care-management/readmission-risk/production.yaml';

const objects: KubeObject[] = [
  'care-management/readmission-risk.yaml',
  'care-management/clinical-signoff.yaml',
]
  .flatMap((file) => parseAllDocuments(readFileSync(resolve(REPO_ROOT, 'examples', file), 'utf8')))
  .map((d) => d.toJS() as KubeObject);
const cache: CacheReader = {
  list: (kind, namespace) =>
    objects.filter(
      (o) => o.kind === kind.kind && (namespace === undefined || o.metadata.namespace === namespace),
    ),
  get: (kind, namespace, name) =>
    objects.find(
      (o) => o.kind === kind.kind && o.metadata.namespace === namespace && o.metadata.name === name,
    ),
};

let local: LocalForge;
let governed: GovernedPullRequestGate;

beforeAll(async () => {
  local = await startForge();
  const forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
  });
  governed = new GovernedPullRequestGate({ forge, gate: new SignoffGate({ forge }), cache });
});

afterAll(async () => {
  await local?.stop();
});

/** `who` branches off main, commits `content` to `path` and opens a pull request. */
async function handMade(who: string, branch: string, path: string, content: (old: string) => string) {
  const client = as(local, who);
  const { data: main } = await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
  await client.rest.git.createRef({
    owner: OWNER,
    repo: REPO,
    ref: `refs/heads/${branch}`,
    sha: main.object.sha,
  });
  const { data: file } = await client.rest.repos.getContent({ owner: OWNER, repo: REPO, path, ref: branch });
  const old =
    !Array.isArray(file) && file.type === 'file' ? Buffer.from(file.content, 'base64').toString('utf8') : '';
  await client.rest.repos.createOrUpdateFileContents({
    owner: OWNER,
    repo: REPO,
    path,
    branch,
    message: `Edit ${path} by hand`,
    content: Buffer.from(content(old)).toString('base64'),
    ...(!Array.isArray(file) ? { sha: file.sha } : {}),
  });
  const { data: pr } = await client.rest.pulls.create({
    owner: OWNER,
    repo: REPO,
    head: branch,
    base: 'main',
    title: `Hand-made: ${path}`,
  });
  return pr;
}

async function checkOn(client: Octokit, sha: string) {
  const { data } = await client.rest.checks.listForRef({
    owner: OWNER,
    repo: REPO,
    ref: sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
}

describe('a hand-made pull request that changes a governed file', { timeout: 60_000 }, () => {
  it('fails the sign-off check until the roles of its risk class approve, then passes and merges', async () => {
    const pr = await handMade('ds-3', 'bump-readmission', PRODUCTION, (old) =>
      old.replace(/version: "[^"]+"/, 'version: "2.4.0"'),
    );
    const eng = as(local, 'platform-eng');
    const verdict = await governed.evaluate(repository, pr.number);
    expect(verdict.kind).toBe('evaluated');
    if (verdict.kind !== 'evaluated') return;
    expect(verdict.governed.governing).toMatchObject({
      name: 'readmission-risk',
      riskClass: 'clinical-decision-support',
    });
    expect((await checkOn(eng, pr.head.sha))?.conclusion).toBe('failure');
    const refused = await eng.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number }).then(
      () => 200,
      (e: { status: number }) => e.status,
    );
    expect(refused).toBe(405);

    // The author's own approval does not count; two of the three roles are not enough.
    for (const who of ['ds-lead', 'clinical-safety-lead']) {
      await as(local, who).rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: pr.number,
        event: 'APPROVE',
      });
    }
    const partial = await governed.evaluate(repository, pr.number);
    expect(partial.kind === 'evaluated' && partial.outcome.result.summary).toBe('2/3 roles signed off');
    expect((await checkOn(eng, pr.head.sha))?.conclusion).toBe('failure');

    await as(local, 'compliance-1').rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      event: 'APPROVE',
    });
    await governed.evaluate(repository, pr.number);
    const check = await checkOn(eng, pr.head.sha);
    expect(check?.conclusion).toBe('success');
    expect(check?.output.summary).toContain('ds-lead');
    const { data: merged } = await eng.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr.number });
    expect(merged.merged).toBe(true);
  });

  it('sets no check on a pull request that changes no governed file', async () => {
    const pr = await handMade('ds-3', 'readme-only', 'README.md', (old) => `${old}\nA note.\n`);
    expect((await governed.evaluate(repository, pr.number)).kind).toBe('not-governed');
    expect(await checkOn(as(local, 'platform-eng'), pr.head.sha)).toBeUndefined();
  });
});
