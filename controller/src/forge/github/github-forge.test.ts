// The adapter against a scripted GitHub: error mapping, conditional requests, rate limits, redaction and App auth.
// The same behaviour against the local forge's real server is in test/forge-adapter/.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  ForgeError,
  ForgeUnavailableError,
  NotFoundError,
  UnprocessableError,
} from '../forge.js';
import { appCredentialsFromSecret } from './credentials.js';
import { createGitHubForge } from './github-forge.js';
import { type Answer, forgeOver, scriptedGitHub, TEST_TOKEN } from './test-support.js';

const REPO = 'northwind-health/ai-deployments';
const nowSeconds = () => Math.floor(Date.now() / 1000);

const review = (id: number, login: string | null, state: string, submitted?: string) => ({
  id,
  node_id: `R${id}`,
  user: login ? { login, id } : null,
  body: '',
  state,
  html_url: '',
  pull_request_url: '',
  author_association: 'MEMBER',
  _links: {},
  ...(submitted ? { submitted_at: submitted } : {}),
  commit_id: 'a1b2c3d',
});

describe('GitHubForge: errors typed by what happens next', () => {
  it.each([
    [404, NotFoundError],
    [410, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableError],
    [405, UnprocessableError],
    [403, ForbiddenError],
    [401, ForbiddenError],
    [418, ForgeError],
  ])('%i -> %o', async (status, type) => {
    const gh = scriptedGitHub(() => ({ status, body: { message: `refused (${status})` } }));
    const forge = await forgeOver(gh.fetch);
    const error = await forge.getPullRequest(REPO, 7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as ForgeError).status).toBe(status);
    expect((error as Error).message).toBe(
      `GET /repos/{owner}/{repo}/pulls/{pull_number} -> ${status}: refused (${status})`,
    );
    expect(gh.requests).toHaveLength(1); // none of these is retried
  });

  it('includes the validation details of a 422', async () => {
    const gh = scriptedGitHub(() => ({
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }],
      },
    }));
    const forge = await forgeOver(gh.fetch);
    await expect(
      forge.openPullRequest(REPO, { head: 'x', base: 'nope', title: 't', body: 'b' }),
    ).rejects.toThrow('Validation Failed (base invalid)');
  });

  it('reads a 404 on a file as "no such file"', async () => {
    const gh = scriptedGitHub(() => ({ status: 404, body: { message: 'Not Found' } }));
    const forge = await forgeOver(gh.fetch);
    await expect(forge.readFile(REPO, 'missing.yaml', 'main')).resolves.toBeUndefined();
  });

  it('turns an existing branch (422 "Reference already exists") into a conflict', async () => {
    const gh = scriptedGitHub(() => ({ status: 422, body: { message: 'Reference already exists' } }));
    const forge = await forgeOver(gh.fetch);
    await expect(forge.createBranch(REPO, 'vigil/x', 'a'.repeat(40))).rejects.toBeInstanceOf(ConflictError);
  });

  it('retries a 5xx a bounded number of times, then gives up with ForgeUnavailableError', async () => {
    const gh = scriptedGitHub(() => ({ status: 502, body: { message: 'Server Error' } }));
    const forge = await forgeOver(gh.fetch, { retries: 2, unavailableRetryMs: 45_000 });
    const before = Date.now();
    const error = await forge.listReviews(REPO, 7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeUnavailableError);
    expect((error as ForgeUnavailableError).reason).toBe('unavailable');
    expect((error as ForgeUnavailableError).retryAt.getTime()).toBeGreaterThanOrEqual(before + 45_000);
    expect(gh.requests).toHaveLength(3); // the call and two retries
  });

  it('recovers when GitHub answers again within the retries', async () => {
    let n = 0;
    const gh = scriptedGitHub(() =>
      ++n < 3 ? { status: 503, body: { message: 'down' } } : { status: 200, body: [] },
    );
    const forge = await forgeOver(gh.fetch, { retries: 3 });
    await expect(forge.listReviews(REPO, 7)).resolves.toEqual([]);
  });

  it('treats no answer at all (connection refused) as unavailable', async () => {
    const fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    };
    const forge = await forgeOver(fetch, { retries: 1 });
    await expect(forge.teamMembers('northwind-health', 'compliance')).rejects.toBeInstanceOf(
      ForgeUnavailableError,
    );
  });

  it('never carries the token in a message, even when the server echoes it', async () => {
    const gh = scriptedGitHub((req) => ({
      status: 403,
      body: { message: `token ${req.headers.get('authorization')?.split(' ')[1]} may not do this` },
    }));
    const forge = await forgeOver(gh.fetch);
    const error = (await forge.addLabels(REPO, 7, ['x']).catch((e: unknown) => e)) as Error;
    expect(gh.requests[0]?.headers.get('authorization')).toBe(`token ${TEST_TOKEN}`);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).not.toContain(TEST_TOKEN);
    expect(JSON.stringify(error)).not.toContain(TEST_TOKEN);
    expect(error.stack ?? '').not.toContain(TEST_TOKEN);
    expect(error.cause).toBeUndefined();
  });
});

describe('GitHubForge: conditional requests', () => {
  it('sends If-None-Match and serves a 304 from the cache, counted as free', async () => {
    const etag = 'W/"reviews-1"';
    const gh = scriptedGitHub((req) =>
      req.headers.get('if-none-match') === etag
        ? { status: 304, headers: { etag } }
        : {
            status: 200,
            body: [review(1, 'ds-lead', 'APPROVED', '2026-03-02T10:00:00Z')],
            headers: { etag },
          },
    );
    const forge = await forgeOver(gh.fetch);
    const first = await forge.listReviews(REPO, 7);
    const second = await forge.listReviews(REPO, 7);
    expect(second).toEqual(first);
    expect(first).toEqual([
      {
        id: 1,
        login: 'ds-lead',
        state: 'APPROVED',
        submittedAt: '2026-03-02T10:00:00Z',
        commitId: 'a1b2c3d',
      },
    ]);
    expect(gh.requests.map((r) => r.headers.get('if-none-match'))).toEqual([null, etag]);
    expect(forge.callStats()).toEqual({ calls: 2, writes: 0, notModified: 1, rateLimited: 0 });
  });

  it('follows pagination from cached pages too', async () => {
    const gh = scriptedGitHub((req): Answer => {
      const page = req.url.searchParams.get('page') ?? '1';
      const etag = `"p${page}"`;
      if (req.headers.get('if-none-match') === etag) return { status: 304, headers: { etag } };
      const link: Record<string, string> =
        page === '1'
          ? { link: `<https://github.test/orgs/o/teams/t/members?per_page=100&page=2>; rel="next"` }
          : {};
      return {
        status: 200,
        body: [{ login: `member-${page}`, id: Number(page) }],
        headers: { etag, ...link },
      };
    });
    const forge = await forgeOver(gh.fetch);
    expect(await forge.teamMembers('o', 't')).toEqual(['member-1', 'member-2']);
    expect(await forge.teamMembers('o', 't')).toEqual(['member-1', 'member-2']);
    expect(forge.callStats().notModified).toBe(2);
  });

  it('maps a deleted reviewer to "ghost" and keeps a pending review without a time', async () => {
    const gh = scriptedGitHub(() => ({
      status: 200,
      body: [review(2, null, 'APPROVED', '2026-03-02T10:00:00Z'), review(3, 'ds-2', 'PENDING')],
    }));
    const forge = await forgeOver(gh.fetch);
    expect(await forge.listReviews(REPO, 7)).toEqual([
      { id: 2, login: 'ghost', state: 'APPROVED', submittedAt: '2026-03-02T10:00:00Z', commitId: 'a1b2c3d' },
      { id: 3, login: 'ds-2', state: 'PENDING', commitId: 'a1b2c3d' },
    ]);
  });
});

describe('GitHubForge: rate limits', () => {
  it('on a spent primary quota: ForgeUnavailableError with the reset time, and no call before it', async () => {
    const reset = nowSeconds() + 3600;
    const gh = scriptedGitHub(() => ({
      status: 403,
      body: { message: 'API rate limit exceeded for user ID 1.' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    }));
    const forge = await forgeOver(gh.fetch);
    const error = (await forge.getPullRequest(REPO, 7).catch((e: unknown) => e)) as ForgeUnavailableError;
    expect(error).toBeInstanceOf(ForgeUnavailableError);
    expect(error.reason).toBe('rate-limit');
    expect(error.retryAt.getTime()).toBe(reset * 1000);
    expect(gh.requests).toHaveLength(1);

    // Every later call is refused without touching the network until the reset.
    for (const call of [() => forge.listReviews(REPO, 7), () => forge.createComment(REPO, 7, 'x')]) {
      const again = (await call().catch((e: unknown) => e)) as ForgeUnavailableError;
      expect(again).toBeInstanceOf(ForgeUnavailableError);
      expect(again.retryAt.getTime()).toBe(reset * 1000);
    }
    expect(gh.requests).toHaveLength(1);
    expect(forge.callStats().rateLimited).toBe(1);
  });

  it('stops before the call that would be refused once the quota reads 0', async () => {
    const reset = nowSeconds() + 3600;
    const gh = scriptedGitHub(() => ({
      status: 200,
      body: [],
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    }));
    const forge = await forgeOver(gh.fetch);
    await forge.listReviews(REPO, 7);
    await expect(forge.listReviews(REPO, 8)).rejects.toBeInstanceOf(ForgeUnavailableError);
    expect(gh.requests).toHaveLength(1);
  });

  it('on a secondary limit: waits retry-after, then retries once, never earlier', async () => {
    let n = 0;
    const gh = scriptedGitHub(() =>
      ++n === 1
        ? {
            status: 403,
            body: { message: 'You have exceeded a secondary rate limit.' },
            headers: { 'retry-after': '1', 'x-ratelimit-remaining': '4000' },
          }
        : { status: 200, body: [] },
    );
    const forge = await forgeOver(gh.fetch);
    await expect(forge.listReviews(REPO, 7)).resolves.toEqual([]);
    expect(gh.requests).toHaveLength(2);
    expect(gh.requests[1]!.at - gh.requests[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('on a secondary limit longer than it may wait: fails at once with retry-after as retryAt', async () => {
    const gh = scriptedGitHub(() => ({
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit.' },
      headers: { 'retry-after': '120' },
    }));
    const forge = await forgeOver(gh.fetch, { maxWaitMs: 10_000 });
    const before = Date.now();
    const error = (await forge.listReviews(REPO, 7).catch((e: unknown) => e)) as ForgeUnavailableError;
    expect(error).toBeInstanceOf(ForgeUnavailableError);
    expect(error.reason).toBe('secondary-rate-limit');
    expect(error.retryAt.getTime()).toBeGreaterThanOrEqual(before + 120_000);
    expect(gh.requests).toHaveLength(1);
  });

  it('on 429 without headers: backs off a minute rather than hammering', async () => {
    const gh = scriptedGitHub(() => ({ status: 429, body: { message: 'Too Many Requests' } }));
    const forge = await forgeOver(gh.fetch, { maxWaitMs: 1000 });
    const error = (await forge.listReviews(REPO, 7).catch((e: unknown) => e)) as ForgeUnavailableError;
    expect(error).toBeInstanceOf(ForgeUnavailableError);
    expect(gh.requests).toHaveLength(1);
  });
});

describe('GitHubForge: App installation auth', () => {
  it('signs a JWT for the installation token and uses the token for API calls', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const installationToken = 'vigil-installation-token-0123456789';
    const gh = scriptedGitHub((req) => {
      if (req.method === 'POST' && req.url.pathname === '/app/installations/4242/access_tokens') {
        return {
          status: 201,
          body: {
            token: installationToken,
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            permissions: {},
            repository_selection: 'all',
          },
        };
      }
      if (req.url.pathname.endsWith('/members'))
        return { status: 200, body: [{ login: 'compliance-1', id: 1 }] };
      return {
        status: 403,
        body: { message: `refused for ${req.headers.get('authorization')?.split(' ')[1]}` },
      };
    });
    const forge = await createGitHubForge({
      credentials: appCredentialsFromSecret(
        { appId: 17, installationId: 4242 },
        Buffer.from(privateKey),
        'vigil-system/app',
      ),
      baseUrl: 'https://github.test',
      fetch: gh.fetch,
    });
    expect(await forge.teamMembers('northwind-health', 'compliance')).toEqual(['compliance-1']);
    const [tokenCall, apiCall] = gh.requests;
    expect(tokenCall?.headers.get('authorization')).toMatch(/^bearer eyJ/);
    expect(apiCall?.headers.get('authorization')).toBe(`token ${installationToken}`);

    // A refusal echoing the bare installation token (no "token" prefix, no ghs_ shape) still reaches the caller
    // scrubbed: the transport remembers every credential it sent.
    const error = (await forge.addLabels(REPO, 1, ['x']).catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain(installationToken);
    expect(error.message).toContain('refused for [REDACTED]');
  });
});

describe('GitHubForge: only the leader writes', () => {
  it('sends no write while this replica does not lead, and reads still go through', async () => {
    let leading = false;
    const gh = scriptedGitHub((req) =>
      req.method === 'GET'
        ? {
            status: 200,
            body: {
              type: 'file',
              encoding: 'base64',
              content: Buffer.from('model:\n  version: "1.0.0"\n').toString('base64'),
              sha: 'b'.repeat(40),
            },
          }
        : { status: 201, body: { ref: 'refs/heads/vigil/x', object: { sha: 'a'.repeat(40) } } },
    );
    const forge = await forgeOver(gh.fetch, { mayWrite: () => leading });

    await expect(forge.createBranch(REPO, 'vigil/x', 'a'.repeat(40))).rejects.toMatchObject({
      name: 'WriteNotAllowedError',
      message: expect.stringContaining('not the leader'),
    });
    expect(gh.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    await expect(forge.readFile(REPO, 'values.yaml', 'main')).resolves.toMatchObject({ sha: 'b'.repeat(40) });

    leading = true;
    await forge.createBranch(REPO, 'vigil/x', 'a'.repeat(40));
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});
