// A deployment file's history through the octokit adapter and the local forge, every request and response held
// against GitHub's OpenAPI description: the commits that changed the file, newest first, and the versions a
// stage ran, which is what break-glass checks a rollback's version against.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge, type GitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { DeploymentHistory } from '../../controller/src/promotion/deployment-history.js';
import { as, branchWithChange, OWNER, REPO, readFile, startForge } from '../forge/harness.js';

const FULL = `${OWNER}/${REPO}`;
const FILE = 'care-management/readmission-risk/production.yaml';
const BRANCH = 'history-of-production';

let local: LocalForge;
let forge: GitHubForge;

beforeAll(async () => {
  local = await startForge({ openApiCheck: true });
  forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
  // production ran 2.2.0 (the seed's history), 2.3.1 (the seed's content), then 2.4.0, then 2.3.1 again;
  // silent.yaml is in the content's commit only.
  const eng = as(local, 'platform-eng');
  await branchWithChange(eng, BRANCH, FILE, (t) => t.replace('version: "2.3.1"', 'version: "2.4.0"'));
  const file = await readFile(eng, FILE, BRANCH);
  await eng.rest.repos.createOrUpdateFileContents({
    owner: OWNER,
    repo: REPO,
    path: FILE,
    branch: BRANCH,
    message: 'Roll production back to 2.3.1',
    sha: file.sha,
    content: Buffer.from(file.text.replace('version: "2.4.0"', 'version: "2.3.1"')).toString('base64'),
  });
}, 30_000);

afterAll(async () => {
  await local?.stop();
});

describe('listFileCommits', () => {
  it('lists the commits that changed the file, newest first, and only those, up to the page asked for', async () => {
    const all = await forge.listFileCommits(FULL, FILE, BRANCH);
    expect(all).toHaveLength(4);
    expect(all[0]).toBe(await forge.branchHead(FULL, BRANCH));
    expect(await forge.listFileCommits(FULL, FILE, BRANCH, 2)).toEqual(all.slice(0, 2));
    expect(await forge.listFileCommits(FULL, 'care-management/readmission-risk/silent.yaml', BRANCH)).toEqual(
      [all[2]],
    );
    expect(await forge.listFileCommits(FULL, FILE, 'main')).toEqual(all.slice(2));
  });
});

describe('DeploymentHistory', () => {
  const target = { repo: FULL, branch: BRANCH, file: FILE, field: 'model.version' };

  it('reads the version the stage ran at each change, newest first', async () => {
    expect(await new DeploymentHistory(forge).versionsBefore(target)).toEqual([
      '2.3.1',
      '2.4.0',
      '2.3.1',
      '2.2.0',
    ]);
  });

  it('stops at the first version a test accepts: a rollback reads only as far as a version other than its own', async () => {
    expect(await new DeploymentHistory(forge).versionsBefore(target, (v) => v !== '2.3.1')).toEqual([
      '2.3.1',
      '2.4.0',
    ]);
  });

  it('stops at the version asked about, and reads each commit once', async () => {
    const history = new DeploymentHistory(forge);
    expect(await history.versionsBefore(target, '2.4.0')).toEqual(['2.3.1', '2.4.0']);
    const before = forge.callStats().calls;
    expect(await history.versionsBefore(target, '2.4.0')).toEqual(['2.3.1', '2.4.0']);
    // Only the listing is asked again: what a commit holds never changes.
    expect(forge.callStats().calls - before).toBe(1);
  });

  it('finds nothing for a version the stage never ran', async () => {
    expect(await new DeploymentHistory(forge).versionsBefore(target, '2.2.9')).not.toContain('2.2.9');
  });
});
