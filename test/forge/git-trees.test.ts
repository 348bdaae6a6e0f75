// GET a tree from the local forge as GitHub answers it: by tree sha, commit sha or branch name, one level or every
// level (`recursive` with any value), 404 for what names nothing, and every request and response held against
// GitHub's OpenAPI description. The adapter's listFiles reads the same route.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { as, branchWithChange, OWNER, REPO, startForge } from './harness.js';

const run = promisify(execFile);
let forge: LocalForge;

beforeAll(async () => {
  forge = await startForge();
}, 60_000);
afterAll(async () => {
  await forge?.stop();
});
afterEach(() => {
  expect(forge.violations.splice(0)).toEqual([]);
});

/** What `git ls-tree` in the bare repository says: the files (blobs) at a commit, path, blob sha and size. */
async function gitFiles(ref: string): Promise<{ path: string; sha: string; size: number }[]> {
  const { stdout } = await run('git', ['--git-dir', forge.repoPath(OWNER, REPO), 'ls-tree', '-r', '-l', ref]);
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [meta = '', path = ''] = line.split('\t');
      const [, , sha = '', size = ''] = meta.trim().split(/\s+/);
      return { path, sha, size: Number(size) };
    });
}

describe('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', () => {
  it('lists every file at a branch with recursive, as git does, and only the top level without', async () => {
    const gh = as(forge, 'platform-bot');
    const { data } = await gh.rest.git.getTree({
      owner: OWNER,
      repo: REPO,
      tree_sha: 'main',
      recursive: '1',
    });
    expect(data.truncated).toBe(false);
    const blobs = data.tree
      .filter((e) => e.type === 'blob')
      .map((e) => ({ path: e.path, sha: e.sha, size: e.size }));
    expect(blobs).toEqual(await gitFiles('main'));
    expect(blobs.map((b) => b.path)).toContain('revenue-cycle/denials-triage/production.yaml');
    // Directories come before what they hold, each with its own tree sha.
    const dir = data.tree.findIndex((e) => e.path === 'revenue-cycle/denials-triage');
    expect(data.tree[dir]?.type).toBe('tree');
    expect(dir).toBeLessThan(
      data.tree.findIndex((e) => e.path === 'revenue-cycle/denials-triage/staging.yaml'),
    );

    const { data: top } = await gh.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: 'main' });
    expect(top.tree.every((e) => !e.path.includes('/'))).toBe(true);
    expect(top.tree.find((e) => e.path === 'revenue-cycle')?.type).toBe('tree');
    // The same tree, however it is named: by its own sha, or by the commit at the branch's head.
    expect(top.sha).toBe(data.sha);
    const { data: head } = await gh.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    const byCommit = await gh.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: head.object.sha });
    const byTree = await gh.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: data.sha });
    expect(byCommit.data.sha).toBe(data.sha);
    expect(byTree.data.tree).toEqual(top.tree);
  });

  it('takes a branch name with slashes, and answers 404 for a name or sha that is not there', async () => {
    const gh = as(forge, 'platform-eng');
    const path = 'care-management/readmission-risk/silent.yaml';
    await branchWithChange(gh, 'platform-eng/tree-listing', path, (t) => `${t}# listed\n`);
    const { data } = await gh.rest.git.getTree({
      owner: OWNER,
      repo: REPO,
      tree_sha: 'platform-eng/tree-listing',
      recursive: 'true',
    });
    const main = await gitFiles('main');
    const changed = data.tree.find((e) => e.path === path);
    expect(changed?.sha).not.toBe(main.find((f) => f.path === path)?.sha);
    for (const tree_sha of ['no-such-branch', '0'.repeat(40)]) {
      await expect(gh.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha })).rejects.toMatchObject({
        status: 404,
      });
    }
  });
});

describe('listFiles through the adapter', () => {
  it('gives every file at a ref with its blob sha, and undefined for a ref that names nothing', async () => {
    const adapter = await createGitHubForge({
      credentials: tokenFromSecret(Buffer.from(forge.appTokens.vigil!), 'test/vigil-app'),
      baseUrl: forge.url,
      retryBaseMs: 10,
    });
    const full = `${OWNER}/${REPO}`;
    expect(await adapter.listFiles(full, 'main')).toEqual({
      files: await gitFiles('main'),
      truncated: false,
    });
    expect(await adapter.listFiles(full, 'no-such-branch')).toBeUndefined();
  });
});
