// A GitHub App signs in to the local forge as on GitHub: a JWT signed with its private key (checked against the
// public key its seed gives) buys an hour-long installation token, which acts as `<slug>[bot]`. Through
// @octokit/auth-app, the client Vigil's adapter uses for App credentials, and through that adapter itself.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appCredentialsFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge, Seed } from '../../controller/src/forge/local/index.js';
import { ManualClock } from '../../controller/src/runtime/clock.js';
import { as, OWNER, REPO, startForge } from './harness.js';

const APP_ID = 1043;
const INSTALLATION_ID = 51043;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const OTHER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

const seed: Seed = {
  organizations: [{ login: OWNER, teams: [{ slug: 'platform', maintainers: ['platform-eng'] }] }],
  users: [{ login: 'platform-eng', token: 'app-auth-platform-eng' }],
  apps: [
    {
      id: APP_ID,
      slug: 'vigil',
      name: 'Vigil',
      owner: OWNER,
      installationId: INSTALLATION_ID,
      token: 'app-auth-long-lived',
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  ],
  repositories: [{ fullName: `${OWNER}/${REPO}`, content: { 'README.md': 'app auth\n' } }],
};

/** A JWT as @octokit/auth-app makes one: RS256, iss the App id, issued 30 s ago, ten minutes long. */
function appJwt(privateKey: string, now = Math.floor(Date.now() / 1000)): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - 30, exp: now + 570, iss: APP_ID })}`;
  const signature = createSign('RSA-SHA256').update(body).sign(privateKey).toString('base64url');
  return `${body}.${signature}`;
}

const call = (forge: LocalForge, method: string, path: string, token: string) =>
  fetch(`${forge.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' },
  });

describe('GitHub App authentication', () => {
  let forge: LocalForge;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    forge = await startForge({ seed, clock });
  });
  afterAll(async () => {
    await forge?.stop();
  });
  afterEach(() => {
    expect(forge.violations.splice(0)).toEqual([]);
  });

  it('mints an installation token through @octokit/auth-app that writes check runs as the App', async () => {
    const octokit = new Octokit({
      authStrategy: createAppAuth,
      auth: { appId: APP_ID, privateKey: PRIVATE_KEY, installationId: INSTALLATION_ID },
      baseUrl: forge.url,
      retry: { enabled: false },
      throttle: { enabled: false },
    });
    const { data: main } = await octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    const { data: run } = await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'vigil/sign-off',
      head_sha: main.object.sha,
      status: 'in_progress',
    });
    expect(run.app).toMatchObject({ id: APP_ID, slug: 'vigil' });
    expect(forge.calls.filter({ route: '/app/installations/{installation_id}/access_tokens' })).toHaveLength(
      1,
    );
    expect(forge.calls.filter({ route: '/repos/{owner}/{repo}/check-runs' })[0]?.user).toBe('vigil[bot]');
  });

  it("Vigil's adapter with App credentials acts as the App", async () => {
    const vigil = await createGitHubForge({
      credentials: appCredentialsFromSecret(
        { appId: APP_ID, installationId: INSTALLATION_ID },
        Buffer.from(PRIVATE_KEY),
        'test/vigil-app-key',
      ),
      baseUrl: forge.url,
      retryBaseMs: 10,
    });
    const head = await vigil.branchHead(`${OWNER}/${REPO}`, 'main');
    const run = await vigil.createCheckRun(`${OWNER}/${REPO}`, {
      name: 'vigil/sign-off',
      headSha: head!,
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Sign-off missing', summary: 'roles' },
    });
    expect(run.id).toBeGreaterThan(0);
  });

  it('refuses a JWT signed by another key, and a JWT used outside /app', async () => {
    const forged = await call(
      forge,
      'POST',
      `/app/installations/${INSTALLATION_ID}/access_tokens`,
      appJwt(OTHER_KEY),
    );
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { message: string }).message).toBe(
      'A JSON web token could not be decoded',
    );
    const outside = await call(forge, 'GET', `/repos/${OWNER}/${REPO}`, appJwt(PRIVATE_KEY));
    expect(outside.status).toBe(403);
    // An installation token cannot mint more tokens, and a user's token cannot either.
    for (const token of [forge.appTokens.vigil!, forge.tokens['platform-eng']!]) {
      const res = await call(forge, 'POST', `/app/installations/${INSTALLATION_ID}/access_tokens`, token);
      expect(res.status).toBe(401);
    }
  });

  it('lets an installation token lapse after an hour', async () => {
    const minted = await call(
      forge,
      'POST',
      `/app/installations/${INSTALLATION_ID}/access_tokens`,
      appJwt(PRIVATE_KEY),
    );
    expect(minted.status).toBe(201);
    const { token, expires_at } = (await minted.json()) as { token: string; expires_at: string };
    // GitHub speaks in whole seconds.
    expect(Date.parse(expires_at) - Math.floor(clock.now() / 1000) * 1000).toBe(3600_000);
    expect((await call(forge, 'GET', `/repos/${OWNER}/${REPO}`, token)).status).toBe(200);
    await clock.advance(3600_000);
    const lapsed = await call(forge, 'GET', `/repos/${OWNER}/${REPO}`, token);
    expect(lapsed.status).toBe(401);
    // The seed's long-lived development token still works, and so does a person's.
    expect((await as(forge, 'platform-eng').rest.repos.get({ owner: OWNER, repo: REPO })).status).toBe(200);
  });
});
