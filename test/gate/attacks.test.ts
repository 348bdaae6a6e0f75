// Ways around the sign-off gate, tried as someone with write access, one team membership, or the right to create
// objects in one namespace would try them. Each scene plays out against the local forge (which holds the
// repository's real permissions and pins the required check to Vigil's App) through octokit as the people
// involved, and Vigil evaluates through its GitHub adapter, as its App, as in production. Each ends with the
// merge refused; where an honest path exists, it is shown to still work.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Octokit } from 'octokit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { GovernedPullRequestGate, SignoffGate } from '../../controller/src/gate/index.js';
import type { CacheReader, KubeObject } from '../../controller/src/runtime/index.js';
import { PushLedger } from '../../controller/src/webhooks/pushes.js';
import { as, asApp, OWNER, REPO, REPO_ROOT, startForge } from '../forge/harness.js';

const repository = `${OWNER}/${REPO}`;
const READMISSION = 'care-management/readmission-risk/production.yaml';
const PRIOR_AUTH = 'utilization-management/prior-auth-summarization/network.yaml';

const examples: KubeObject[] = [
  'care-management/readmission-risk.yaml',
  'care-management/clinical-signoff.yaml',
  'utilization-management/prior-auth-summarization.yaml',
  'utilization-management/um-signoff.yaml',
]
  .flatMap((file) => parseAllDocuments(readFileSync(resolve(REPO_ROOT, 'examples', file), 'utf8')))
  .map((d) => d.toJS() as KubeObject);

/** A cache over `objects`, as the controller's informers would hold them. */
function cacheOf(objects: KubeObject[]): CacheReader {
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
let vigil: Awaited<ReturnType<typeof createGitHubForge>>;
let n = 0;

let receiver: Server;

beforeAll(async () => {
  // Somewhere for the forge's webhooks to go, so its delivery log holds every push with who made it.
  receiver = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  const { port } = receiver.address() as AddressInfo;
  local = await startForge({ webhooks: [{ url: `http://127.0.0.1:${port}/`, secret: 'attack-tests' }] });
  vigil = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
  });
});

afterAll(async () => {
  await local?.stop();
  await new Promise((done) => receiver?.close(done));
});

function gateOver(objects: KubeObject[], pushes?: PushLedger) {
  return new GovernedPullRequestGate({
    forge: vigil,
    gate: new SignoffGate({ forge: vigil, ...(pushes ? { pushes } : {}) }),
    cache: cacheOf(objects),
  });
}

const bump = (old: string) => old.replace(/version: "?[0-9][^"\n]*"?/, `version: "9.${++n}.0"`);

/** `who` branches off main and commits each edit through the contents API, one commit per file. */
async function branchWith(
  who: string,
  branch: string,
  edits: Record<string, (old: string) => string>,
  message = (path: string) => `Edit ${path}`,
): Promise<void> {
  const client = as(local, who);
  const { data: main } = await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
  await client.rest.git.createRef({
    owner: OWNER,
    repo: REPO,
    ref: `refs/heads/${branch}`,
    sha: main.object.sha,
  });
  for (const [path, edit] of Object.entries(edits)) await commitTo(who, branch, path, edit, message(path));
}

async function commitTo(
  who: string,
  branch: string,
  path: string,
  edit: (old: string) => string,
  message: string,
) {
  const client = as(local, who);
  const { data: file } = await client.rest.repos.getContent({ owner: OWNER, repo: REPO, path, ref: branch });
  if (Array.isArray(file) || file.type !== 'file') throw new Error(`${path} is not a file`);
  await client.rest.repos.createOrUpdateFileContents({
    owner: OWNER,
    repo: REPO,
    path,
    branch,
    message,
    sha: file.sha,
    content: Buffer.from(edit(Buffer.from(file.content, 'base64').toString('utf8'))).toString('base64'),
  });
}

async function open(who: string, branch: string) {
  const { data } = await as(local, who).rest.pulls.create({
    owner: OWNER,
    repo: REPO,
    head: branch,
    base: 'main',
    title: `Change on ${branch}`,
  });
  return data;
}

async function approve(number: number, ...who: string[]) {
  for (const login of who) {
    await as(local, login).rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: number,
      event: 'APPROVE',
    });
  }
}

async function headOf(number: number): Promise<string> {
  return (await as(local, 'platform-eng').rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: number }))
    .data.head.sha;
}

async function checkOn(sha: string) {
  const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
    owner: OWNER,
    repo: REPO,
    ref: sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
}

/** The merge as an admin would try it: refused with 405 while the pinned check is not success. */
async function mergeStatus(client: Octokit, number: number): Promise<number> {
  return client.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number }).then(
    () => 200,
    (e: { status: number }) => e.status,
  );
}

async function evaluated(gate: GovernedPullRequestGate, number: number) {
  const verdict = await gate.evaluate(repository, number);
  if (verdict.kind !== 'evaluated')
    throw new Error(`pull request #${number} was not evaluated: ${verdict.kind}`);
  return verdict.outcome.result;
}

describe('ways around the sign-off gate, closed', { timeout: 180_000 }, () => {
  it('a UseCase created in another namespace that claims a governed file cannot bring its own weaker policy', async () => {
    // Someone who may create objects in the sandbox namespace claims readmission-risk's production file under a
    // stricter-looking risk class, with a policy only their own team fills.
    const squatter: KubeObject = {
      ...examples.find((o) => o.kind === 'UseCase' && o.metadata.name === 'readmission-risk')!,
      metadata: { name: 'quiet-helper', namespace: 'sandbox' },
    };
    squatter.spec = {
      ...(squatter.spec as Record<string, unknown>),
      riskClass: 'medical-device',
      signoffPolicy: 'sandbox-signoff',
    };
    const sandboxPolicy: KubeObject = {
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'SignoffPolicy',
      metadata: { name: 'sandbox-signoff', namespace: 'sandbox' },
      spec: {
        roles: [{ name: 'reviewer', team: 'northwind-health/data-science' }],
        requirements: [{ riskClass: 'medical-device', roles: ['reviewer'] }],
        enforcement: { repository },
      },
    };
    const gate = gateOver([...examples, squatter, sandboxPolicy]);
    await branchWith('ds-3', 'squat', { [READMISSION]: bump });
    const pr = await open('ds-3', 'squat');
    await approve(pr.number, 'ds-lead');

    const result = await evaluated(gate, pr.number);
    expect(result.conclusion).toBe('failure');
    expect(result.blockers.map((b) => b.code)).toContain('claimed-file');
    expect(result.blockers.find((b) => b.code === 'claimed-file')?.message).toContain(
      'care-management/readmission-risk, sandbox/quiet-helper',
    );
    expect((await checkOn(pr.head.sha))?.conclusion).toBe('failure');
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);
  });

  it('a change to two use cases needs both policies: the strictest risk class alone is not enough', async () => {
    const gate = gateOver(examples);
    // The prior authorization summarizer switched on for the whole network, riding along.
    await branchWith('ds-3', 'two-at-once', {
      [READMISSION]: bump,
      [PRIOR_AUTH]: (old) => old.replace('enabled: false', 'enabled: true'),
    });
    const pr = await open('ds-3', 'two-at-once');
    // Everything readmission-risk's clinical policy asks for.
    await approve(pr.number, 'ds-lead', 'clinical-safety-lead', 'compliance-1');
    const partial = await evaluated(gate, pr.number);
    expect(partial.conclusion).toBe('failure');
    expect(partial.roles.filter((r) => !r.filledBy).map((r) => r.role)).toEqual(['um-nursing']);
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);

    // The UM nurse lead's approval completes the union: the honest path still merges.
    await approve(pr.number, 'um-nurse-lead');
    expect((await evaluated(gate, pr.number)).conclusion).toBe('success');
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(200);
  });

  it('someone a Co-authored-by trailer names cannot sign off the change', async () => {
    const gate = gateOver(examples);
    await branchWith(
      'ds-3',
      'co-authored',
      { [READMISSION]: bump },
      (path) => `Edit ${path}\n\nCo-authored-by: Data science lead <ds-lead@users.noreply.forge.localhost>`,
    );
    const pr = await open('ds-3', 'co-authored');
    await approve(pr.number, 'ds-lead', 'clinical-safety-lead', 'compliance-1');
    const result = await evaluated(gate, pr.number);
    expect(result.conclusion).toBe('failure');
    expect(result.ignored.find((i) => i.login === 'ds-lead')?.reason).toBe('committer');
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);
  });

  it('a commit written in someone else’s name does not hide who pushed it', async () => {
    // ds-2 writes the change, puts ds-3's name on it through the git data API, and lets ds-3 open the pull
    // request, so that ds-2 can approve it as data-science.
    const ds2 = as(local, 'ds-2');
    const { data: main } = await ds2.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    const { data: file } = await ds2.rest.repos.getContent({ owner: OWNER, repo: REPO, path: READMISSION });
    if (Array.isArray(file) || file.type !== 'file') throw new Error('not a file');
    const text = bump(Buffer.from(file.content, 'base64').toString('utf8'));
    const { data: baseCommit } = await ds2.rest.git.getCommit({
      owner: OWNER,
      repo: REPO,
      commit_sha: main.object.sha,
    });
    const { data: tree } = await ds2.rest.git.createTree({
      owner: OWNER,
      repo: REPO,
      base_tree: baseCommit.tree.sha,
      tree: [{ path: READMISSION, mode: '100644', type: 'blob', content: text }],
    });
    const ds3 = { name: 'Data scientist 3', email: 'ds-3@users.noreply.forge.localhost' };
    const { data: forged } = await ds2.rest.git.createCommit({
      owner: OWNER,
      repo: REPO,
      message: `Raise the readmission model`,
      tree: tree.sha,
      parents: [main.object.sha],
      author: ds3,
      committer: ds3,
    });
    await ds2.rest.git.createRef({ owner: OWNER, repo: REPO, ref: 'refs/heads/forged', sha: forged.sha });
    const pr = await open('ds-3', 'forged');
    await approve(pr.number, 'ds-2', 'clinical-safety-lead', 'compliance-1');

    // Without knowing who pushed, an unsigned commit proves nothing: a clinical change cannot be signed off.
    const blind = await evaluated(gateOver(examples), pr.number);
    expect(blind.conclusion).toBe('failure');
    expect(blind.blockers.map((b) => b.code)).toEqual(['unverified-commit']);

    // With the forge's push webhooks, Vigil knows ds-2 pushed it: ds-2's approval does not count.
    await local.webhooks.idle();
    const pushes = new PushLedger();
    for (const d of local.webhooks.deliveries().filter((x) => x.event === 'push')) {
      const p = JSON.parse(d.body) as {
        ref: string;
        before: string;
        after: string;
        forced: boolean;
        commits: { id: string }[];
        sender: { login: string };
        repository: { full_name: string };
      };
      pushes.record({
        repository: p.repository.full_name,
        ref: p.ref,
        before: p.before,
        after: p.after,
        commits: p.commits.map((c) => c.id),
        pusher: p.sender.login,
        forced: p.forced,
        at: new Date().toISOString(),
      });
    }
    expect(pushes.pushersOf(repository, forged.sha)).toEqual(['ds-2']);
    const seen = await evaluated(gateOver(examples, pushes), pr.number);
    expect(seen.conclusion).toBe('failure');
    expect(seen.ignored.find((i) => i.login === 'ds-2')?.reason).toBe('committer');
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);
  });

  it('a force push in someone else’s name is seen in the timeline, without push webhooks', async () => {
    // ds-3 opens an honest change; ds-2 then force-pushes a commit written in ds-3's name over it and approves,
    // as data-science. Vigil has seen no push webhook: only the pull request's timeline says who pushed.
    await branchWith('ds-3', 'force-over', { [READMISSION]: bump });
    const pr = await open('ds-3', 'force-over');
    const ds2 = as(local, 'ds-2');
    const { data: main } = await ds2.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    const { data: file } = await ds2.rest.repos.getContent({ owner: OWNER, repo: REPO, path: READMISSION });
    if (Array.isArray(file) || file.type !== 'file') throw new Error('not a file');
    const { data: baseCommit } = await ds2.rest.git.getCommit({
      owner: OWNER,
      repo: REPO,
      commit_sha: main.object.sha,
    });
    const { data: tree } = await ds2.rest.git.createTree({
      owner: OWNER,
      repo: REPO,
      base_tree: baseCommit.tree.sha,
      tree: [
        {
          path: READMISSION,
          mode: '100644',
          type: 'blob',
          content: bump(Buffer.from(file.content, 'base64').toString('utf8')),
        },
      ],
    });
    const ds3 = { name: 'Data scientist 3', email: 'ds-3@users.noreply.forge.localhost' };
    const { data: forged } = await ds2.rest.git.createCommit({
      owner: OWNER,
      repo: REPO,
      message: 'Raise the readmission model again',
      tree: tree.sha,
      parents: [main.object.sha],
      author: ds3,
      committer: ds3,
    });
    await ds2.rest.git.updateRef({
      owner: OWNER,
      repo: REPO,
      ref: 'heads/force-over',
      sha: forged.sha,
      force: true,
    });
    expect(await headOf(pr.number)).toBe(forged.sha);
    await approve(pr.number, 'ds-2', 'clinical-safety-lead', 'compliance-1');

    const result = await evaluated(gateOver(examples), pr.number);
    expect(result.conclusion).toBe('failure');
    // ds-2's approval does not count: the timeline names ds-2 as the force-pusher of the head commit, which
    // also makes that commit's pusher known, so the only thing missing is an approval nobody contributed to.
    expect(result.ignored.find((i) => i.login === 'ds-2')?.reason).toBe('committer');
    expect(result.blockers.map((b) => b.code)).toEqual([]);
    expect(result.roles.filter((r) => r.missing).map((r) => r.role)).toEqual(['data-science']);
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);

    // An honest data scientist who wrote nothing here fills the role, and the change can merge.
    await approve(pr.number, 'ds-lead');
    const signed = await evaluated(gateOver(examples), pr.number);
    expect(signed.conclusion).toBe('success');
  });

  it('an approver’s commit cannot hide past the 250 commits a pull request lists', {
    timeout: 600_000,
  }, async () => {
    const gate = gateOver(examples);
    const notes = 'care-management/readmission-risk/NOTES.md';
    // 250 commits by ds-3, then the version change by ds-2, last, where the pull request listing stops short.
    await branchWith('ds-3', 'long-history', {});
    const ds3 = as(local, 'ds-3');
    const { data: start } = await ds3.rest.git.getRef({
      owner: OWNER,
      repo: REPO,
      ref: 'heads/long-history',
    });
    let parent = start.object.sha;
    const { data: first } = await ds3.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: parent });
    const { data: tree } = await ds3.rest.git.createTree({
      owner: OWNER,
      repo: REPO,
      base_tree: first.tree.sha,
      tree: [{ path: notes, mode: '100644', type: 'blob', content: 'notes\n' }],
    });
    for (let i = 0; i < 250; i++) {
      const { data: next } = await ds3.rest.git.createCommit({
        owner: OWNER,
        repo: REPO,
        message: `Note ${i}`,
        tree: tree.sha,
        parents: [parent],
      });
      parent = next.sha;
    }
    await ds3.rest.git.updateRef({ owner: OWNER, repo: REPO, ref: 'heads/long-history', sha: parent });
    await commitTo('ds-2', 'long-history', READMISSION, bump, 'Raise the readmission model');
    const pr = await open('ds-3', 'long-history');
    const { data: listed } = await ds3.rest.pulls.listCommits({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      per_page: 100,
      page: 3,
    });
    expect(listed).toHaveLength(50); // 250 in all: GitHub's cap, and ds-2's commit is not among them

    await approve(pr.number, 'ds-2', 'clinical-safety-lead', 'compliance-1');
    const result = await evaluated(gate, pr.number);
    expect(result.conclusion).toBe('failure');
    expect(result.ignored.find((i) => i.login === 'ds-2')?.reason).toBe('committer');
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);
  });

  it('another App’s vigil/sign-off neither passes the check nor takes the place of Vigil’s own', async () => {
    const gate = gateOver(examples);
    await branchWith('ds-3', 'other-app', { [READMISSION]: bump });
    const pr = await open('ds-3', 'other-app');
    expect((await evaluated(gate, pr.number)).conclusion).toBe('failure');
    // The build system's App, which ds-3's pipeline controls, reports a passing check of the same name.
    await asApp(local, 'northwind-ci').rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'vigil/sign-off',
      head_sha: pr.head.sha,
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Signed off', summary: 'All roles approved.' },
    });
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);
    // A fresh evaluation finds and updates Vigil's own run, not the newer one of the same name.
    await approve(pr.number, 'ds-lead');
    const again = await gateOver(examples).evaluate(repository, pr.number);
    expect(again.kind === 'evaluated' && again.outcome.checkRun).toBe('updated');
    const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
      owner: OWNER,
      repo: REPO,
      ref: pr.head.sha,
      check_name: 'vigil/sign-off',
      app_id: 1043,
    });
    expect(data.check_runs.map((r) => [r.app?.slug, r.conclusion])).toEqual([['vigil', 'failure']]);
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);
  });

  it('an objection stays until its owner lifts it: a dismissal by someone else does not', async () => {
    const gate = gateOver(examples);
    await branchWith('ds-3', 'objected', { [READMISSION]: bump });
    const pr = await open('ds-3', 'objected');
    const { data: objection } = await as(local, 'compliance-2').rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      event: 'REQUEST_CHANGES',
      body: 'The calibration evidence is from the wrong site.',
    });
    // compliance-1 may dismiss reviews on this repository, and does; then the roles approve.
    await as(local, 'compliance-1').rest.pulls.dismissReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pr.number,
      review_id: objection.id,
      message: 'Overruled.',
    });
    await approve(pr.number, 'ds-lead', 'clinical-safety-lead', 'compliance-1');
    const result = await evaluated(gate, pr.number);
    expect(result.conclusion).toBe('failure');
    expect(result.blockers.map((b) => [b.code, b.login])).toEqual([['changes-requested', 'compliance-2']]);
    expect(result.blockers[0]?.message).toContain('compliance-1 dismissed it');
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);

    // The objector approves: lifted.
    await approve(pr.number, 'compliance-2');
    const lifted = await evaluated(gate, pr.number);
    expect(lifted.blockers).toEqual([]);
    expect((await checkOn(await headOf(pr.number)))?.conclusion).toBe(lifted.conclusion);
  });
});
