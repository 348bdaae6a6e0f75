// A hand-made pull request whose webhooks never reach Vigil (lost, or sent while the controller was down) is still
// gated: change control runs with no webhook receiver, and the poll lists each governed repository's open pull
// requests. The local forge (OpenAPI check on) plays GitHub; people push, open and review through octokit as
// themselves. An unchanged listing costs one 304 and hands nothing over.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type ChangeControl, startChangeControl } from '../../controller/src/change-control.js';
import type { PullRequest } from '../../controller/src/forge/forge.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge, type GitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { type PollTarget, PullRequestDiscovery } from '../../controller/src/gate/index.js';
import type { KubeObject, Manager } from '../../controller/src/runtime/index.js';
import { as, branchWithChange, OWNER, REPO, REPO_ROOT, startForge } from '../forge/harness.js';

const repository = `${OWNER}/${REPO}`;
const PRODUCTION = 'care-management/readmission-risk/production.yaml';
const POLL_MS = 200;

const objects: KubeObject[] = [
  'care-management/readmission-risk.yaml',
  'care-management/clinical-signoff.yaml',
]
  .flatMap((file) => parseAllDocuments(readFileSync(resolve(REPO_ROOT, 'examples', file), 'utf8')))
  .map((d) => d.toJS() as KubeObject);

/** The manager as change control reads it: cached UseCases and SignoffPolicies, no Promotion queue. */
const manager = {
  informerFor: (kind: { kind: string }) => ({
    list: (namespace?: string) =>
      objects.filter(
        (o) => o.kind === kind.kind && (namespace === undefined || o.metadata.namespace === namespace),
      ),
    get: (namespace: string | undefined, name: string) =>
      objects.find(
        (o) => o.kind === kind.kind && o.metadata.namespace === namespace && o.metadata.name === name,
      ),
  }),
  queueFor: () => undefined,
} as unknown as Manager;

let local: LocalForge;
let forge: GitHubForge;

const botForge = () =>
  createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
  });

beforeAll(async () => {
  local = await startForge();
  forge = await botForge();
});

afterAll(async () => {
  await local?.stop();
});

async function openPullRequest(who: string, branch: string, path: string, edit: (old: string) => string) {
  const client = as(local, who);
  await branchWithChange(client, branch, path, edit, `Edit ${path} by hand`);
  const { data } = await client.rest.pulls.create({
    owner: OWNER,
    repo: REPO,
    head: branch,
    base: 'main',
    title: `Hand-made: ${path}`,
  });
  return data;
}

async function signoffCheck(sha: string) {
  const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
    owner: OWNER,
    repo: REPO,
    ref: sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('listing open pull requests', () => {
  it('hands over each open pull request once; an unchanged listing is one 304 and hands over nothing', async () => {
    const lister = await botForge();
    const found: PollTarget[] = [];
    const discovery = new PullRequestDiscovery({
      forge: lister,
      repositories: () => [repository, repository.toUpperCase()],
      onFound: (target: PollTarget, pr: PullRequest) => {
        expect(pr.number).toBe(target.number);
        found.push(target);
      },
    });
    const first = await discovery.poll();
    expect(first.listed).toBe(1);
    const open = (await lister.listOpenPullRequests(repository)).map((p) => p.number).sort();
    expect(found.map((t) => t.number).sort()).toEqual(open);
    expect(found.every((t) => t.repository === repository)).toBe(true);

    found.length = 0;
    const before = lister.callStats();
    const idle = await discovery.poll();
    const after = lister.callStats();
    expect(idle).toEqual({ listed: 1, found: [] });
    expect(found).toEqual([]);
    expect(after.calls - before.calls).toBe(1);
    expect(after.notModified - before.notModified).toBe(1);

    const pr = await openPullRequest('ds-3', 'listed-note', 'README.md', (old) => `${old}\nA note.\n`);
    const moved = await discovery.poll();
    expect(moved.found).toEqual([{ repository, number: pr.number }]);
    expect(found).toEqual([{ repository, number: pr.number }]);
  });
});

describe('a hand-made pull request whose webhooks never arrive', { timeout: 60_000 }, () => {
  let changeControl: ChangeControl | undefined;

  afterAll(async () => {
    await changeControl?.stop();
  });

  it('is found by the poll: the check fails until the roles approve, then passes', async () => {
    changeControl = await startChangeControl({
      manager,
      forge,
      logger: pino({ level: 'silent' }),
      pollIntervalMs: POLL_MS,
    });
    expect(changeControl.webhookUrl).toBeUndefined();

    const pr = await openPullRequest('ds-3', 'polled-readmission', PRODUCTION, (old) =>
      old.replace(/version: "[^"]+"/, 'version: "2.4.1"'),
    );
    const failing = await until('the sign-off check', async () => {
      const check = await signoffCheck(pr.head.sha);
      return check?.status === 'completed' ? check : undefined;
    });
    expect(failing.conclusion).toBe('failure');

    for (const who of ['ds-lead', 'clinical-safety-lead', 'compliance-1']) {
      await as(local, who).rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: pr.number,
        event: 'APPROVE',
      });
    }
    const passing = await until('the sign-off to pass', async () => {
      const check = await signoffCheck(pr.head.sha);
      return check?.conclusion === 'success' ? check : undefined;
    });
    expect(passing.output.summary).toContain('ds-lead');
  });
});
