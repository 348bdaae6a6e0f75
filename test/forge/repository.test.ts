// The git side of the local forge through octokit: the seeded GitOps repository, file contents, branches
// and refs, commits that are real git commits by the acting user, protection as classic branch protection
// or as a ruleset, teams, the authenticated user, and what every GitHub client leans on: 401 on a bad token,
// ETags with free 304s, the rate limit headers, and injected rate limits and server errors.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { as, asApp, OWNER, REPO, readFile, SEED, startForge } from './harness.js';

const run = promisify(execFile);
let forge: LocalForge;

beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge?.stop();
});
afterEach(() => {
  // Every request and response of the test matched GitHub's published description.
  expect(forge.violations.splice(0)).toEqual([]);
});

describe('the seeded repository', () => {
  it('answers GET /repos with the default branch and privacy the seed gives', async () => {
    const { data } = await as(forge, 'platform-bot').rest.repos.get({ owner: OWNER, repo: REPO });
    expect(data.full_name).toBe('northwind-health/ai-deployments');
    expect(data.default_branch).toBe('main');
    expect(data.private).toBe(true);
    expect(data.owner.type).toBe('Organization');
  });

  it('holds every deployment file the example use cases name, with the versions they declare', async () => {
    const bot = as(forge, 'platform-bot');
    const expected: [string, RegExp][] = [
      ['revenue-cycle/denials-triage/staging.yaml', /^ {2}version: "3\.2\.0"$/m],
      ['revenue-cycle/denials-triage/production.yaml', /^ {2}version: "3\.1\.4"$/m],
      ['care-management/readmission-risk/silent.yaml', /^ {2}version: "2\.4\.0"$/m],
      ['care-management/readmission-risk/production.yaml', /^ {2}version: "2\.3\.1"$/m],
      [
        'clinical-documentation/ambient-documentation/pilot-department.yaml',
        /^ {2}pipelineVersion: "0\.9\.2"$/m,
      ],
      ['clinical-documentation/ambient-documentation/ambulatory.yaml', /^ {2}pipelineVersion: "0\.9\.2"$/m],
      [
        'utilization-management/prior-auth-summarization/pilot-clinic.yaml',
        /^ {2}bundleVersion: "1\.4\.0"$/m,
      ],
    ];
    for (const [path, version] of expected) {
      const { text } = await readFile(bot, path);
      expect(text, path).toMatch(version);
      expect(text, path).toMatch(/^# /m);
    }
    // Stages no version has reached yet: the file is there, switched off, without a version field.
    const { text } = await readFile(bot, 'utilization-management/prior-auth-summarization/network.yaml');
    expect(text).toMatch(/enabled: false/);
    expect(text).not.toMatch(/^\s+bundleVersion:/m);
  });

  it('gives a file with base64 content and the git blob sha, and a directory as a list', async () => {
    const bot = as(forge, 'platform-bot');
    const { data } = await bot.rest.repos.getContent({
      owner: OWNER,
      repo: REPO,
      path: 'revenue-cycle/denials-triage/production.yaml',
    });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    expect(data.encoding).toBe('base64');
    const blob = await forge.git(OWNER, REPO).entry('main', 'revenue-cycle/denials-triage/production.yaml');
    expect(data.sha).toBe(blob?.sha);
    const { data: dir } = await bot.rest.repos.getContent({
      owner: OWNER,
      repo: REPO,
      path: 'revenue-cycle/denials-triage',
    });
    expect(Array.isArray(dir) && dir.map((e) => e.name).sort()).toEqual(['production.yaml', 'staging.yaml']);
  });

  it('answers 404 for a file or repository that does not exist', async () => {
    const bot = as(forge, 'platform-bot');
    await expect(
      bot.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'nope.yaml' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(bot.rest.repos.get({ owner: OWNER, repo: 'nope' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('branches, refs and commits', () => {
  it('creates a branch, refuses to create it twice, and reads it back', async () => {
    const bot = as(forge, 'platform-bot');
    const { data: main } = await bot.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    const { data: created } = await bot.rest.git.createRef({
      owner: OWNER,
      repo: REPO,
      ref: 'refs/heads/vigil/test-branch',
      sha: main.object.sha,
    });
    expect(created.ref).toBe('refs/heads/vigil/test-branch');
    await expect(
      bot.rest.git.createRef({
        owner: OWNER,
        repo: REPO,
        ref: 'refs/heads/vigil/test-branch',
        sha: main.object.sha,
      }),
    ).rejects.toMatchObject({ status: 422, response: { data: { message: 'Reference already exists' } } });
    const { data: branch } = await bot.rest.repos.getBranch({
      owner: OWNER,
      repo: REPO,
      branch: 'vigil/test-branch',
    });
    expect(branch.commit.sha).toBe(main.object.sha);
    expect(branch.protected).toBe(false);
  });

  it('commits a file change on a branch as a real git commit authored by the token user', async () => {
    const ds = as(forge, 'ds-2');
    const path = 'care-management/readmission-risk/silent.yaml';
    const { data: main } = await ds.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    await ds.rest.git.createRef({
      owner: OWNER,
      repo: REPO,
      ref: 'refs/heads/ds-2/calibration',
      sha: main.object.sha,
    });
    const before = await readFile(ds, path, 'ds-2/calibration');
    const { data, status } = await ds.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: REPO,
      path,
      branch: 'ds-2/calibration',
      message: 'Silent mode: log calibration bins',
      sha: before.sha,
      content: Buffer.from(`${before.text}logCalibrationBins: true\n`).toString('base64'),
    });
    expect(status).toBe(200);
    // What `git log` in the bare repository on disk says.
    const { stdout } = await run('git', [
      '--git-dir',
      forge.repoPath(OWNER, REPO),
      'log',
      '-1',
      '--format=%H %an <%ae> %s',
      'ds-2/calibration',
    ]);
    expect(stdout.trim()).toBe(
      `${data.commit.sha} Data scientist 2 <ds-2@users.noreply.forge.localhost> Silent mode: log calibration bins`,
    );
    const commit = await forge.git(OWNER, REPO).commit(data.commit.sha!);
    expect(commit.author.name).toBe('Data scientist 2');
    expect(commit.parents).toEqual([main.object.sha]);
    const after = await readFile(ds, path, 'ds-2/calibration');
    expect(after.text).toContain('logCalibrationBins: true');
    expect(after.text).toContain('# Readmission risk, silent mode');
    // main is untouched.
    expect((await readFile(ds, path)).text).toBe(before.text);
  });

  it('refuses a write against a stale blob sha with 409 and a missing sha with 422', async () => {
    const bot = as(forge, 'platform-bot');
    const path = 'revenue-cycle/denials-triage/staging.yaml';
    const { data: main } = await bot.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    await bot.rest.git.createRef({
      owner: OWNER,
      repo: REPO,
      ref: 'refs/heads/vigil/stale',
      sha: main.object.sha,
    });
    const file = await readFile(bot, path, 'vigil/stale');
    const write = (sha: string | undefined, text: string) =>
      bot.rest.repos.createOrUpdateFileContents({
        owner: OWNER,
        repo: REPO,
        path,
        branch: 'vigil/stale',
        message: 'edit',
        ...(sha ? { sha } : {}),
        content: Buffer.from(text).toString('base64'),
      });
    await write(file.sha, `${file.text}# first\n`);
    await expect(write(file.sha, `${file.text}# second\n`)).rejects.toMatchObject({ status: 409 });
    await expect(write(undefined, 'x: 1\n')).rejects.toMatchObject({ status: 422 });
  });

  it('creates a new file with 201', async () => {
    const bot = as(forge, 'platform-bot');
    const { data: main } = await bot.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    await bot.rest.git.createRef({
      owner: OWNER,
      repo: REPO,
      ref: 'refs/heads/vigil/new-file',
      sha: main.object.sha,
    });
    const res = await bot.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: REPO,
      path: 'revenue-cycle/denials-triage/canary.yaml',
      branch: 'vigil/new-file',
      message: 'Add a canary stage',
      content: Buffer.from('model:\n  version: "3.2.0"\n').toString('base64'),
    });
    expect(res.status).toBe(201);
    expect(res.data.content?.path).toBe('revenue-cycle/denials-triage/canary.yaml');
  });

  it('refuses a direct write to the protected main branch', async () => {
    const bot = as(forge, 'platform-bot');
    const file = await readFile(bot, 'README.md');
    await expect(
      bot.rest.repos.createOrUpdateFileContents({
        owner: OWNER,
        repo: REPO,
        path: 'README.md',
        message: 'bypass',
        sha: file.sha,
        content: Buffer.from('bypass\n').toString('base64'),
      }),
    ).rejects.toMatchObject({ status: 409 });
  });
});

describe('protection', () => {
  it('reports classic branch protection on main requiring vigil/sign-off from the vigil App', async () => {
    const bot = asApp(forge, 'vigil');
    const { data } = await bot.rest.repos.getBranchProtection({ owner: OWNER, repo: REPO, branch: 'main' });
    expect(data.required_status_checks?.contexts).toEqual(['vigil/sign-off']);
    expect(data.required_status_checks?.checks).toEqual([{ context: 'vigil/sign-off', app_id: 1043 }]);
    expect(data.required_pull_request_reviews?.dismiss_stale_reviews).toBe(false);
    expect(data.enforce_admins?.enabled).toBe(true);
    expect(data.allow_force_pushes?.enabled).toBe(false);
    expect(data.required_pull_request_reviews?.bypass_pull_request_allowances).toBeUndefined();
    expect(data.required_pull_request_reviews?.dismissal_restrictions?.teams?.map((t) => t.slug)).toEqual([
      'compliance',
    ]);
    // Protection settings are an admin's to read: a writer is answered as if there were nothing to see.
    await expect(
      as(forge, 'ds-2').rest.repos.getBranchProtection({ owner: OWNER, repo: REPO, branch: 'main' }),
    ).rejects.toMatchObject({ status: 404 });
    const { data: branch } = await bot.rest.repos.getBranch({ owner: OWNER, repo: REPO, branch: 'main' });
    expect(branch.protected).toBe(true);
    // No ruleset on this repository.
    const { data: rules } = await bot.rest.repos.getBranchRules({ owner: OWNER, repo: REPO, branch: 'main' });
    expect(rules).toEqual([]);
  });

  it('answers 404 "Branch not protected" for an unprotected branch', async () => {
    const bot = as(forge, 'platform-eng');
    await expect(
      bot.rest.repos.getBranchProtection({ owner: OWNER, repo: REPO, branch: 'vigil/test-branch' }),
    ).rejects.toMatchObject({ status: 404, response: { data: { message: 'Branch not protected' } } });
  });
});

describe('teams and users', () => {
  it('resolves a team, its active members and a pending membership', async () => {
    const bot = as(forge, 'platform-bot');
    const { data: team } = await bot.rest.teams.getByName({ org: OWNER, team_slug: 'compliance' });
    expect(team.slug).toBe('compliance');
    expect(team.members_count).toBe(3);
    const { data: members } = await bot.rest.teams.listMembersInOrg({ org: OWNER, team_slug: 'compliance' });
    expect(members.map((m) => m.login)).toEqual(['compliance-1', 'compliance-2', 'privacy-officer']);
    const { data: active } = await bot.rest.teams.getMembershipForUserInOrg({
      org: OWNER,
      team_slug: 'compliance',
      username: 'compliance-1',
    });
    expect(active).toMatchObject({ state: 'active', role: 'maintainer' });
    const { data: pending } = await bot.rest.teams.getMembershipForUserInOrg({
      org: OWNER,
      team_slug: 'compliance',
      username: 'compliance-3',
    });
    expect(pending.state).toBe('pending');
    await expect(
      bot.rest.teams.getMembershipForUserInOrg({ org: OWNER, team_slug: 'compliance', username: 'ds-lead' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(bot.rest.teams.getByName({ org: OWNER, team_slug: 'no-such-team' })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('says who a token belongs to', async () => {
    const { data } = await as(forge, 'cmio-office').rest.users.getAuthenticated();
    expect(data.login).toBe('cmio-office');
  });

  it('answers 401 "Bad credentials" for an unknown token, without the token in the answer', async () => {
    const { Octokit } = await import('octokit');
    const stranger = new Octokit({
      auth: 'not-a-seed-token-123',
      baseUrl: forge.url,
      retry: { enabled: false },
      throttle: { enabled: false },
    });
    const err = await stranger.rest.users.getAuthenticated().catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.response.data.message).toBe('Bad credentials');
    expect(JSON.stringify(err.response.data)).not.toContain('not-a-seed-token-123');
    const anonymous = await fetch(`${forge.url}/repos/${OWNER}/${REPO}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ message: 'Requires authentication' });
  });
});

describe('ETags and the rate limit', () => {
  it('answers a conditional GET with 304 that costs nothing against the primary rate limit', async () => {
    const client = as(forge, 'revcycle-analyst');
    const first = await client.rest.repos.get({ owner: OWNER, repo: REPO });
    const etag = first.headers.etag!;
    const remaining = Number(first.headers['x-ratelimit-remaining']);
    const err = await client.rest.repos
      .get({ owner: OWNER, repo: REPO, headers: { 'if-none-match': etag } })
      .catch((e) => e);
    expect(err.status).toBe(304);
    expect(Number(err.response.headers['x-ratelimit-remaining'])).toBe(remaining);
    const again = await client.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(Number(again.headers['x-ratelimit-remaining'])).toBe(remaining - 1);
    const log = forge.calls.filter({ user: 'revcycle-analyst', route: '/repos/{owner}/{repo}' });
    expect(log.map((c) => [c.status, c.conditional, c.notModified])).toEqual([
      [200, false, false],
      [304, true, true],
      [200, false, false],
    ]);
  });

  it('does not answer 304 for a changed resource', async () => {
    const client = as(forge, 'informatics-1');
    const first = await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/vigil/stale' });
    const bot = as(forge, 'platform-bot');
    const file = await readFile(bot, 'revenue-cycle/denials-triage/staging.yaml', 'vigil/stale');
    await bot.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: REPO,
      path: 'revenue-cycle/denials-triage/staging.yaml',
      branch: 'vigil/stale',
      message: 'move the branch',
      sha: file.sha,
      content: Buffer.from(`${file.text}# moved\n`).toString('base64'),
    });
    const second = await client.rest.git.getRef({
      owner: OWNER,
      repo: REPO,
      ref: 'heads/vigil/stale',
      headers: { 'if-none-match': first.headers.etag },
    });
    expect(second.status).toBe(200);
    expect(second.data.object.sha).not.toBe(first.data.object.sha);
  });

  it('reports the budget in GET /rate_limit without spending it', async () => {
    const client = as(forge, 'data-eng-1');
    const a = await client.rest.rateLimit.get();
    const b = await client.rest.rateLimit.get();
    expect(a.data.resources.core.limit).toBe(5000);
    expect(b.data.resources.core.remaining).toBe(a.data.resources.core.remaining);
  });

  it('refuses with 403, x-ratelimit-remaining 0 and the reset time once the primary budget is spent', async () => {
    const client = as(forge, 'data-eng-2');
    forge.setRateLimit({ user: 'data-eng-2', remaining: 1, resetInSeconds: 120 });
    await client.rest.repos.get({ owner: OWNER, repo: REPO });
    const err = await client.rest.repos.get({ owner: OWNER, repo: REPO }).catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.response.headers['x-ratelimit-remaining']).toBe('0');
    const reset = Number(err.response.headers['x-ratelimit-reset']);
    expect(reset - Date.now() / 1000).toBeGreaterThan(100);
    expect(err.response.data.message).toMatch(/^API rate limit exceeded/);
    // Other users keep their own budget.
    await as(forge, 'platform-bot').rest.repos.get({ owner: OWNER, repo: REPO });
    forge.setRateLimit({ user: 'data-eng-2', remaining: 5000 });
    await client.rest.repos.get({ owner: OWNER, repo: REPO });
  });

  it('injects a secondary rate limit with retry-after, which octokit honours before retrying', async () => {
    const waits: number[] = [];
    const client = as(forge, 'privacy-2', {
      throttle: {
        enabled: true,
        onRateLimit: () => false,
        onSecondaryRateLimit: (
          retryAfter: number,
          _options: unknown,
          _octokit: unknown,
          retryCount: number,
        ) => {
          waits.push(retryAfter);
          return retryCount < 1;
        },
      },
    });
    forge.fail({
      fault: { kind: 'secondary-rate-limit', retryAfterSeconds: 1 },
      route: '/repos/{owner}/{repo}/pulls',
      user: 'privacy-2',
    });
    const { status } = await client.rest.pulls.list({ owner: OWNER, repo: REPO });
    expect(status).toBe(200);
    expect(waits).toEqual([1]);
    const calls = forge.calls.filter({ user: 'privacy-2', route: '/repos/{owner}/{repo}/pulls' });
    expect(calls.map((c) => [c.status, c.fault])).toEqual([
      [403, 'secondary-rate-limit'],
      [200, undefined],
    ]);
    // In order, as the forge saw them: the retry came no sooner than retry-after allowed.
    expect(calls[1]!.at).toBeGreaterThanOrEqual(calls[0]!.at + 1000);
  });

  it('injects a primary rate limit and server errors', async () => {
    const client = as(forge, 'regulatory-1');
    forge.fail({ fault: { kind: 'primary-rate-limit', resetInSeconds: 30 }, user: 'regulatory-1' });
    const limited = await client.rest.repos.get({ owner: OWNER, repo: REPO }).catch((e) => e);
    expect(limited.status).toBe(403);
    expect(limited.response.headers['x-ratelimit-remaining']).toBe('0');
    // The budget stays spent until the reset time: no call gets through before it.
    await expect(client.rest.repos.get({ owner: OWNER, repo: REPO })).rejects.toMatchObject({ status: 403 });
    forge.setRateLimit({ user: 'regulatory-1', remaining: 5000 });

    const fault = forge.fail({
      fault: { kind: 'server-error', status: 502 },
      times: Number.POSITIVE_INFINITY,
      method: 'GET',
      user: 'regulatory-1',
    });
    await expect(client.rest.repos.get({ owner: OWNER, repo: REPO })).rejects.toMatchObject({ status: 502 });
    await expect(client.rest.repos.get({ owner: OWNER, repo: REPO })).rejects.toMatchObject({ status: 502 });
    fault.clear();
    await expect(client.rest.repos.get({ owner: OWNER, repo: REPO })).resolves.toMatchObject({ status: 200 });
  });
});

describe('a repository protected by a ruleset', () => {
  let ruled: LocalForge;
  beforeAll(async () => {
    ruled = await startForge({
      seed: {
        organizations: [
          {
            login: 'northwind-health',
            teams: [{ slug: 'platform', maintainers: ['platform-bot'], members: ['ds-lead'] }],
          },
        ],
        users: [
          { login: 'platform-bot', token: 'ruleset-platform-bot' },
          { login: 'ds-lead', token: 'ruleset-ds-lead' },
        ],
        repositories: [
          {
            fullName: 'northwind-health/ai-deployments',
            content: { 'app/values.yaml': '# values\nversion: "1.0.0"\n' },
            protection: {
              enforcedBy: 'ruleset',
              requiredChecks: ['vigil/sign-off'],
              dismissStaleReviews: true,
            },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    expect(ruled.violations).toEqual([]);
    await ruled.stop();
  });

  it('lists the required_status_checks rule for main and has no classic protection', async () => {
    const bot = as(ruled, 'platform-bot');
    const { data: rules } = await bot.rest.repos.getBranchRules({ owner: OWNER, repo: REPO, branch: 'main' });
    const checks = rules.find((r) => r.type === 'required_status_checks');
    expect(checks?.parameters).toMatchObject({ required_status_checks: [{ context: 'vigil/sign-off' }] });
    expect(rules.find((r) => r.type === 'pull_request')?.parameters).toMatchObject({
      dismiss_stale_reviews_on_push: true,
    });
    await expect(
      bot.rest.repos.getBranchProtection({ owner: OWNER, repo: REPO, branch: 'main' }),
    ).rejects.toMatchObject({ status: 404 });
    expect(SEED).toMatch(/seed\.yaml$/);
  });
});
