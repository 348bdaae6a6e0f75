import { describe, expect, it } from 'vitest';
import { OpenApiCheck, toJsonSchema } from './openapi-check.js';

describe('toJsonSchema', () => {
  it('reads nullable as "or null", oneOf as anyOf, and points component references into definitions', () => {
    expect(
      toJsonSchema({
        type: 'object',
        properties: {
          nullable: { type: 'string', nullable: true },
          user: { $ref: '#/components/schemas/simple-user' },
        },
        oneOf: [{ type: 'object' }],
        example: { x: 1 },
      }),
    ).toEqual({
      type: 'object',
      properties: {
        nullable: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        user: { $ref: '#/definitions/simple-user' },
      },
      anyOf: [{ type: 'object' }],
    });
  });
});

describe('OpenApiCheck', () => {
  const check = new OpenApiCheck();

  it('finds a response missing what the schema requires', () => {
    const v = check.checkResponse({
      method: 'GET',
      template: '/user',
      path: '/user',
      status: 200,
      body: { login: 'ds-lead' },
    });
    expect(v.map((x) => x.message)).toContain("(root) must have required property 'avatar_url'");
    expect(v[0]).toMatchObject({ operation: 'users/get-authenticated', where: 'response.body' });
  });

  it('checks request bodies and parameters', () => {
    const v = check.checkRequest({
      method: 'POST',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      path: '/repos/o/r/pulls/x/reviews',
      params: { owner: 'o', repo: 'r', pull_number: 'x' },
      query: new URLSearchParams(),
      body: { event: 'LGTM' },
    });
    expect(v.map((x) => x.where).sort()).toEqual(['request.body', 'request.path']);
  });

  it('accepts an undocumented error status with GitHub error body, and flags an undocumented success', () => {
    const base = { method: 'GET', template: '/repos/{owner}/{repo}', path: '/repos/o/r' };
    expect(check.checkResponse({ ...base, status: 401, body: { message: 'Bad credentials' } })).toEqual([]);
    expect(check.checkResponse({ ...base, status: 304, body: undefined })).toEqual([]);
    expect(check.checkResponse({ ...base, status: 201, body: {} })[0]?.where).toBe('response.status');
  });

  it('names the GitHub operation behind a path the forge does not serve', () => {
    expect(check.findTemplate('GET', '/repos/o/r/pulls/3/comments')).toBe(
      '/repos/{owner}/{repo}/pulls/{pull_number}/comments',
    );
    expect(check.findTemplate('GET', '/no/such/thing')).toBeUndefined();
  });
});

describe('OpenApiCheck webhooks', () => {
  const check = new OpenApiCheck();
  const user = { login: 'mallory', id: 7 };

  it('holds a push payload to GitHub schema for the push event', () => {
    const push = {
      ref: 'refs/heads/x',
      before: '0'.repeat(40),
      after: 'a'.repeat(40),
      created: true,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: 'http://127.0.0.1/o/r/compare/0...a',
      commits: [],
      head_commit: null,
      repository: { id: 1, name: 'r', full_name: 'o/r' },
      sender: user,
    };
    const v = check.checkWebhook('push', push);
    // The pusher is required: GitHub always says who pushed.
    expect(v.map((x) => x.message)).toContain("(root) must have required property 'pusher'");
    expect(v[0]).toMatchObject({ operation: 'push', where: 'webhook.payload' });
  });

  it('picks the schema by event and action, and flags an event GitHub does not send', () => {
    const v = check.checkWebhook('membership', { action: 'added', scope: 'repository', sender: user });
    expect(v.map((x) => x.message)).toEqual(
      expect.arrayContaining([
        "(root) must have required property 'member'",
        '/scope must be equal to one of the allowed values',
      ]),
    );
    expect(check.checkWebhook('pull_request_review', { action: 'vanished' })[0]?.message).toBe(
      'pull_request_review.vanished is not a GitHub webhook event',
    );
  });
});

describe('OpenApiCheck on protection, rulesets and Apps', () => {
  const check = new OpenApiCheck();

  it('knows every protection and App operation the forge serves', () => {
    expect(check.findTemplate('GET', '/repos/o/r/branches/main/protection')).toBe(
      '/repos/{owner}/{repo}/branches/{branch}/protection',
    );
    expect(check.findTemplate('GET', '/repos/o/r/rules/branches/main')).toBe(
      '/repos/{owner}/{repo}/rules/branches/{branch}',
    );
    expect(check.findTemplate('GET', '/repos/o/r/rulesets')).toBe('/repos/{owner}/{repo}/rulesets');
    expect(check.findTemplate('GET', '/repos/o/r/rulesets/7')).toBe(
      '/repos/{owner}/{repo}/rulesets/{ruleset_id}',
    );
    expect(check.findTemplate('POST', '/app/installations/5/access_tokens')).toBe(
      '/app/installations/{installation_id}/access_tokens',
    );
  });

  it('holds a required check to the {context, app_id} shape and a bypass actor to its enumerated type', () => {
    const protection = {
      method: 'GET',
      template: '/repos/{owner}/{repo}/branches/{branch}/protection',
      path: '/repos/o/r/branches/main/protection',
      status: 200,
    };
    const checks = (c: unknown) => ({
      ...protection,
      body: { required_status_checks: { contexts: [], checks: c } },
    });
    expect(check.checkResponse(checks([{ context: 'vigil/sign-off', app_id: 1043 }]))).toEqual([]);
    expect(check.checkResponse(checks([{ context: 'vigil/sign-off' }])).map((v) => v.message)).toContain(
      "/required_status_checks/checks/0 must have required property 'app_id'",
    );
    const ruleset = (actor: unknown) => ({
      method: 'GET',
      template: '/repos/{owner}/{repo}/rulesets/{ruleset_id}',
      path: '/repos/o/r/rulesets/7',
      status: 200,
      body: { id: 7, name: 'Protect main', source: 'o/r', enforcement: 'active', bypass_actors: [actor] },
    });
    expect(
      check.checkResponse(ruleset({ actor_id: 5, actor_type: 'RepositoryRole', bypass_mode: 'always' })),
    ).toEqual([]);
    expect(check.checkResponse(ruleset({ actor_id: 5, actor_type: 'Admin' })).length).toBeGreaterThan(0);
  });
});
