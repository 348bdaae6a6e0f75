// The seed's `history`: commits made before the content, so a deployment file starts with the version it ran
// before the current one, as a repository Vigil is brought to already has.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { as, OWNER, REPO, readFile, startForge } from './harness.js';

const FILE = 'care-management/readmission-risk/production.yaml';
let forge: LocalForge;

beforeAll(async () => {
  forge = await startForge();
}, 60_000);
afterAll(async () => {
  await forge?.stop();
});

describe('the example seed', () => {
  it('starts readmission production with 2.2.0 in its history, before the 2.3.1 of its content', async () => {
    const gh = as(forge, 'platform-eng');
    const { data: commits } = await gh.rest.repos.listCommits({ owner: OWNER, repo: REPO, path: FILE });
    expect(commits.map((c) => c.commit.message)).toEqual([
      'Initial content',
      'readmission-risk: 2.2.0 in production',
    ]);
    const version = async (ref: string) =>
      /version: "([^"]+)"/.exec((await readFile(gh, FILE, ref)).text)?.[1];
    expect(await version(commits[0]!.sha)).toBe('2.3.1');
    expect(await version(commits[1]!.sha)).toBe('2.2.0');
    // The first commit has no parent; the content's commit is its child.
    const { data: first } = await gh.rest.git.getCommit({
      owner: OWNER,
      repo: REPO,
      commit_sha: commits[1]!.sha,
    });
    expect(first.parents).toEqual([]);
    const { data: content } = await gh.rest.git.getCommit({
      owner: OWNER,
      repo: REPO,
      commit_sha: commits[0]!.sha,
    });
    expect(content.parents.map((p) => p.sha)).toEqual([commits[1]!.sha]);
    // Files the history did not name are only in the content's commit.
    const { data: all } = await gh.rest.repos.listCommits({
      owner: OWNER,
      repo: REPO,
      path: 'revenue-cycle/denials-triage/production.yaml',
    });
    expect(all).toHaveLength(1);
  });
});
