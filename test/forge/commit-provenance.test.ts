// Who wrote a change, as the local forge tells it through GitHub's API: commit metadata is whatever the pusher
// wrote (the Git database API lets anyone with write access name any author, committer and date), so only a
// signature the forge can check says more. And a pull request's commit list stops at 250 where the compare
// API returns every commit.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { sshPublicKey } from '../../controller/src/forge/local/signing.js';
import { as, startForge } from './harness.js';
import { ORG, PROVENANCE_SEED, REPO_NAME, repo } from './provenance-fixture.js';

const VALUES = 'services/triage/values.yaml';

let forge: LocalForge;
let mallory: Octokit;
let author: Octokit;

beforeAll(async () => {
  forge = await startForge({ seed: PROVENANCE_SEED });
  mallory = as(forge, 'mallory');
  author = as(forge, 'author');
});
afterAll(async () => {
  await forge?.stop();
});
afterEach(() => {
  expect(forge.violations.splice(0)).toEqual([]);
});

const mainTip = async () => (await mallory.rest.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;

/** A commit written object by object through the Git database API, with whatever metadata the caller likes. */
async function forgeCommit(
  client: Octokit,
  parent: string,
  text: string,
  who: { name: string; email: string; date: string },
): Promise<string> {
  const { data: parentCommit } = await client.rest.git.getCommit({ ...repo, commit_sha: parent });
  const { data: blob } = await client.rest.git.createBlob({ ...repo, content: text, encoding: 'utf-8' });
  const { data: tree } = await client.rest.git.createTree({
    ...repo,
    base_tree: parentCommit.tree.sha,
    tree: [{ path: VALUES, mode: '100644', type: 'blob', sha: blob.sha }],
  });
  const { data: commit } = await client.rest.git.createCommit({
    ...repo,
    message: 'Raise triage to 2.0.0',
    tree: tree.sha,
    parents: [parent],
    author: who,
    committer: who,
  });
  return commit.sha;
}

describe('commit metadata and signatures', { timeout: 60_000 }, () => {
  let forged: string;
  let number: number;

  it('takes author and committer as the caller wrote them, and reports the commit unsigned', async () => {
    const impersonated = {
      name: 'Person safety-lead',
      email: 'safety-lead@acme-health.example',
      date: '2001-02-03T04:05:06Z',
    };
    forged = await forgeCommit(mallory, await mainTip(), 'image: triage\nversion: "2.0.0"\n', impersonated);
    await mallory.rest.git.createRef({ ...repo, ref: 'refs/heads/raise-triage', sha: forged });
    const { data: pr } = await mallory.rest.pulls.create({
      ...repo,
      title: 'Raise triage',
      head: 'raise-triage',
      base: 'main',
    });
    number = pr.number;

    const { data: commits } = await author.rest.pulls.listCommits({ ...repo, pull_number: number });
    expect(commits).toHaveLength(1);
    const [c] = commits;
    // What the metadata claims: someone else wrote and committed it, in 2001.
    expect(c?.author?.login).toBe('safety-lead');
    expect(c?.committer?.login).toBe('safety-lead');
    expect(c?.commit.author).toMatchObject({ email: impersonated.email, date: impersonated.date });
    // What the forge can vouch for: nothing.
    expect(c?.commit.verification).toEqual({
      verified: false,
      reason: 'unsigned',
      signature: null,
      payload: null,
      verified_at: null,
    });
    const { data: one } = await author.rest.repos.getCommit({ ...repo, ref: forged });
    expect(one.commit.verification?.verified).toBe(false);
    expect(one.files?.map((f) => f.filename)).toEqual([VALUES]);
  });

  it('signs what it writes itself through the contents API, and git verifies the signature with its key', async () => {
    const { data: file } = await author.rest.repos.getContent({ ...repo, path: VALUES, ref: 'main' });
    if (Array.isArray(file) || file.type !== 'file') throw new Error('not a file');
    await author.rest.git.createRef({ ...repo, ref: 'refs/heads/signed-change', sha: await mainTip() });
    const { data: written } = await author.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: VALUES,
      branch: 'signed-change',
      sha: file.sha,
      message: 'Raise triage to 1.1.0',
      content: Buffer.from('image: triage\nversion: "1.1.0"\n').toString('base64'),
    });
    expect(written.commit.verification).toMatchObject({ verified: true, reason: 'valid' });
    const { data: c } = await author.rest.repos.getCommit({ ...repo, ref: written.commit.sha! });
    expect(c.author?.login).toBe('author');
    const v = c.commit.verification!;
    expect(v).toMatchObject({ verified: true, reason: 'valid' });
    expect(v.signature).toMatch(/^-----BEGIN SSH SIGNATURE-----\n/);
    expect(v.payload).toMatch(/^tree [0-9a-f]{40}\n/);
    expect(v.verified_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // The signature is a real one: git itself accepts it with the forge's public key and nothing else.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-verify-'));
    try {
      const key = createPrivateKey(readFileSync(join(forge.repoPath(ORG, REPO_NAME), 'forge-signing-key')));
      const line = `ssh-ed25519 ${sshPublicKey(createPublicKey(key)).toString('base64')}`;
      writeFileSync(join(dir, 'allowed'), `author@acme-health.example ${line}\n`);
      const verify = (sha: string) =>
        execFileSync(
          'git',
          [
            '-c',
            'gpg.format=ssh',
            '-c',
            `gpg.ssh.allowedSignersFile=${join(dir, 'allowed')}`,
            'verify-commit',
            sha,
          ],
          { cwd: forge.repoPath(ORG, REPO_NAME), stdio: 'pipe', env: { ...process.env, HOME: dir } },
        );
      expect(() => verify(written.commit.sha!)).not.toThrow();
      expect(() => verify(forged)).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a contents API commit with a caller-written author unsigned', async () => {
    const { data: file } = await mallory.rest.repos.getContent({
      ...repo,
      path: VALUES,
      ref: 'raise-triage',
    });
    if (Array.isArray(file) || file.type !== 'file') throw new Error('not a file');
    const { data } = await mallory.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: VALUES,
      branch: 'raise-triage',
      sha: file.sha,
      message: 'Tidy',
      content: Buffer.from('image: triage\nversion: "2.0.0"\n# tidy\n').toString('base64'),
      author: { name: 'Person safety-lead', email: 'safety-lead@acme-health.example' },
      committer: { name: 'Person safety-lead', email: 'safety-lead@acme-health.example' },
    });
    expect(data.commit.verification).toMatchObject({ verified: false, reason: 'unsigned' });
  });

  it('does not verify a signature copied from another commit onto forged metadata', async () => {
    const { data: signedCommit } = await author.rest.repos.getCommit({ ...repo, ref: 'signed-change' });
    const { data: parentCommit } = await mallory.rest.git.getCommit({ ...repo, commit_sha: await mainTip() });
    const { data: copied } = await mallory.rest.git.createCommit({
      ...repo,
      message: 'Looks signed',
      tree: parentCommit.tree.sha,
      parents: [parentCommit.sha],
      author: { name: 'Person author', email: 'author@acme-health.example', date: '2026-01-01T00:00:00Z' },
      signature: signedCommit.commit.verification!.signature!,
    });
    expect(copied.verification).toMatchObject({ verified: false, reason: 'invalid' });
    const { data: garbled } = await mallory.rest.git.createCommit({
      ...repo,
      message: 'Looks signed',
      tree: parentCommit.tree.sha,
      parents: [parentCommit.sha],
      signature: '-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n',
    });
    expect(garbled.verification).toMatchObject({ verified: false, reason: 'malformed_signature' });
  });

  it('refuses commit metadata git cannot hold, naming the field', async () => {
    const { data: parentCommit } = await mallory.rest.git.getCommit({ ...repo, commit_sha: await mainTip() });
    const attempt = mallory.rest.git.createCommit({
      ...repo,
      message: 'x',
      tree: parentCommit.tree.sha,
      parents: [parentCommit.sha],
      author: { name: 'A <b@c>', email: 'a@b.example' },
    });
    await expect(attempt).rejects.toMatchObject({ status: 422 });
    await expect(attempt).rejects.toThrow(/author/);
    forge.violations.splice(0);
  });
});

describe('a change of 300 commits', { timeout: 60_000 }, () => {
  const branch = 'long-change';
  let number: number;
  let head: string;
  let base: string;

  beforeAll(async () => {
    // 300 commits, each with its own (caller-written) author, written into the bare repository by one
    // `git fast-import` (300 API round trips would only slow the test), then pushed at once through the API.
    base = await mainTip();
    const gitDir = forge.repoPath(ORG, REPO_NAME);
    const stream: string[] = [];
    for (let i = 1; i <= 300; i++) {
      const who = `Contributor ${i} <contributor-${i}@elsewhere.example> ${1_700_000_000 + i} +0000`;
      const message = `Step ${i}\n`;
      stream.push('commit refs/import/long-change', `author ${who}`, `committer ${who}`);
      stream.push(`data ${Buffer.byteLength(message)}`, message.slice(0, -1));
      if (i === 1) stream.push(`from ${base}`);
      stream.push('');
    }
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: gitDir, input: `${stream.join('\n')}\n`, encoding: 'utf8' }).trim();
    git('fast-import', '--quiet');
    head = git('rev-parse', 'refs/import/long-change');
    git('update-ref', '-d', 'refs/import/long-change');
    await author.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: head });
    const { data: pr } = await author.rest.pulls.create({
      ...repo,
      title: 'Long change',
      head: branch,
      base: 'main',
    });
    number = pr.number;
  });

  it('lists at most 250 commits on the pull request, as GitHub does', async () => {
    const commits = await author.paginate(author.rest.pulls.listCommits, {
      ...repo,
      pull_number: number,
      per_page: 100,
    });
    expect(commits).toHaveLength(250);
    expect(commits[0]?.commit.message).toBe('Step 1');
    expect(commits.map((c) => c.commit.author?.email)).not.toContain('contributor-300@elsewhere.example');
    const { data: pr } = await author.rest.pulls.get({ ...repo, pull_number: number });
    expect(pr.commits).toBe(300);
  });

  it('returns every commit through compare, page by page, oldest first', async () => {
    const all: string[] = [];
    for (let page = 1; ; page++) {
      const res = await author.rest.repos.compareCommitsWithBasehead({
        ...repo,
        basehead: `main...${branch}`,
        per_page: 100,
        page,
      });
      expect(res.data).toMatchObject({
        status: 'ahead',
        ahead_by: 300,
        behind_by: 0,
        total_commits: 300,
        merge_base_commit: { sha: base },
        base_commit: { sha: base },
      });
      all.push(...res.data.commits.map((c) => c.commit.author?.email ?? ''));
      if (page === 1) expect(res.headers.link).toMatch(/rel="next"/);
      if (!res.headers.link?.includes('rel="next"')) break;
    }
    expect(all).toHaveLength(300);
    expect(all[0]).toBe('contributor-1@elsewhere.example');
    expect(all[299]).toBe('contributor-300@elsewhere.example');
    expect(new Set(all).size).toBe(300);
  });

  it('lists the most recent 250 when asked without pagination, ending at the head', async () => {
    const { data } = await author.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `main...${branch}`,
    });
    expect(data.total_commits).toBe(300);
    expect(data.commits).toHaveLength(250);
    expect(data.commits.at(-1)?.sha).toBe(head);
    expect(data.commits.every((c) => c.commit.verification?.reason === 'unsigned')).toBe(true);
  });

  it('says how far apart two branches are once both moved', async () => {
    const { data } = await author.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `signed-change...${branch}`,
      per_page: 1,
    });
    expect(data).toMatchObject({
      status: 'diverged',
      ahead_by: 300,
      behind_by: 1,
      merge_base_commit: { sha: base },
    });
    expect(data.commits).toHaveLength(1);
    expect(data.files?.map((f) => f.filename)).toEqual([]);
  });
});
