// Reading branch protection from GitHub's documented shapes: the examples @octokit/openapi publishes for "get
// branch protection" and "get a repository ruleset", the rule shapes of "get rules for a branch", and the App id
// the forge acts as. Against the local forge's server the same reading is in test/gate/enforced.test.ts.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../forge.js';
import {
  type BranchRuleLike,
  type ClassicProtectionLike,
  classicFacts,
  type RulesetLike,
  rulesetFacts,
} from './branch-protection.js';
import { appCredentialsFromSecret } from './credentials.js';
import { createGitHubForge } from './github-forge.js';
import { type Answer, forgeOver, type SeenRequest, scriptedGitHub } from './test-support.js';

const REPO = 'northwind-health/ai-deployments';
const openapi = createRequire(import.meta.url)('@octokit/openapi/generated/api.github.com.json') as {
  components: { examples: Record<string, { value: unknown }> };
};
const example = <T>(name: string) => structuredClone(openapi.components.examples[name]!.value) as T;

describe('classicFacts', () => {
  it("reads GitHub's example protection: names from contexts, admins held, pull requests, restricted dismissals", () => {
    expect(classicFacts(example<ClassicProtectionLike>('branch-protection'))).toEqual({
      requiredChecks: [{ context: 'continuous-integration/travis-ci' }],
      enforceAdmins: true,
      requiresPullRequest: true,
      // The example allows force pushes.
      allowsForcePushes: true,
      restrictsDismissals: true,
      bypassAllowances: [],
    });
  });

  it('reads app_id pins, bypass allowances, and what an unset setting means', () => {
    const p = example<ClassicProtectionLike>('branch-protection');
    p.required_status_checks = {
      contexts: ['vigil/sign-off', 'ci/build'],
      checks: [
        { context: 'vigil/sign-off', app_id: 17 },
        { context: 'ci/build', app_id: null },
      ],
    };
    p.required_pull_request_reviews!.bypass_pull_request_allowances = {
      users: [{ login: 'ds-lead', id: 3 }],
      teams: [{ slug: 'platform', id: 9 }],
      apps: [{ slug: 'deploy-bot', id: 5 }],
    };
    p.allow_force_pushes = { enabled: false };
    expect(classicFacts(p)).toMatchObject({
      requiredChecks: [{ context: 'vigil/sign-off', appId: 17 }, { context: 'ci/build' }],
      allowsForcePushes: false,
      bypassAllowances: [
        { type: 'User', name: 'ds-lead', id: 3 },
        { type: 'Team', name: 'platform', id: 9 },
        { type: 'Integration', name: 'deploy-bot', id: 5 },
      ],
    });
    // No enforce_admins, no pull request reviews: admins pass and direct pushes are allowed.
    expect(classicFacts({ required_status_checks: { contexts: [], checks: [] } })).toEqual({
      requiredChecks: [],
      enforceAdmins: false,
      requiresPullRequest: false,
      allowsForcePushes: false,
      restrictsDismissals: false,
      bypassAllowances: [],
    });
  });
});

describe('rulesetFacts', () => {
  const rules: BranchRuleLike[] = [
    ...example<BranchRuleLike[]>('repository-rule-items'),
    {
      type: 'required_status_checks',
      ruleset_id: 42,
      ruleset_source: 'monalisa/my-repo',
      parameters: {
        required_status_checks: [{ context: 'vigil/sign-off', integration_id: 17 }, { context: 'ci/build' }],
      },
    },
    {
      type: 'pull_request',
      ruleset_id: 42,
      parameters: { dismissal_restriction: { enabled: true } },
    },
    { type: 'non_fast_forward', ruleset_id: 42 },
    { type: 'pull_request', ruleset_id: 73, parameters: {} },
  ];

  it("groups the branch's rules by ruleset, with each ruleset's bypass actors as GitHub's example shows them", () => {
    const rulesets = new Map<number, RulesetLike>([[42, example<RulesetLike>('repository-ruleset')]]);
    expect(rulesetFacts(rules, rulesets)).toEqual([
      {
        id: 42,
        name: 'super cool ruleset',
        requiredChecks: [{ context: 'vigil/sign-off', appId: 17 }, { context: 'ci/build' }],
        requiresPullRequest: true,
        blocksForcePushes: true,
        restrictsDismissals: true,
        bypassActors: [{ type: 'Team', id: 234 }],
      },
      // Ruleset 73 could not be read: its bypass actors are unknown, not empty.
      {
        id: 73,
        name: 'my-org',
        requiredChecks: [],
        requiresPullRequest: true,
        blocksForcePushes: false,
        restrictsDismissals: false,
      },
    ]);
  });

  it('reads a ruleset shown without bypass_actors (no write access to it) as unknown', () => {
    const { bypass_actors: _, ...hidden } = example<RulesetLike>('repository-ruleset');
    const [facts] = rulesetFacts(rules, new Map([[42, hidden]]));
    expect(facts).not.toHaveProperty('bypassActors');
    const [empty] = rulesetFacts(rules, new Map([[42, { ...hidden, bypass_actors: [] }]]));
    expect(empty?.bypassActors).toEqual([]);
  });
});

describe('GitHubForge.branchProtection', () => {
  const protection = example<ClassicProtectionLike>('branch-protection');
  const ruleset = example<RulesetLike>('repository-ruleset');
  const answer =
    (overrides: Record<string, Answer> = {}) =>
    (req: SeenRequest): Answer => {
      const path = req.url.pathname;
      for (const [suffix, a] of Object.entries(overrides)) if (path.endsWith(suffix)) return a;
      if (path.endsWith('/branches/main/protection')) return { status: 200, body: protection };
      if (path.endsWith('/rules/branches/main'))
        return { status: 200, body: [{ type: 'non_fast_forward', ruleset_id: 42, ruleset_source: REPO }] };
      if (path.endsWith('/rulesets/42')) return { status: 200, body: ruleset };
      return { status: 404, body: { message: 'Not Found' } };
    };

  it('reads classic protection, the rules for the branch and their rulesets; a token has no App', async () => {
    const gh = scriptedGitHub(answer());
    const facts = await (await forgeOver(gh.fetch)).branchProtection(REPO, 'main');
    expect(facts.appId).toBeUndefined();
    expect(facts.classic).toEqual(classicFacts(protection));
    expect(facts.rulesets).toEqual([
      {
        id: 42,
        name: 'super cool ruleset',
        requiredChecks: [],
        requiresPullRequest: false,
        blocksForcePushes: true,
        restrictsDismissals: false,
        bypassActors: [{ type: 'Team', id: 234 }],
      },
    ]);
    expect(gh.requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      `GET /repos/${REPO}/branches/main/protection`,
      `GET /repos/${REPO}/rules/branches/main`,
      `GET /repos/${REPO}/rulesets/42`,
    ]);
  });

  it('knows the App it authenticates as from its App credentials', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const gh = scriptedGitHub((req) =>
      req.method === 'POST' && req.url.pathname === '/app/installations/4242/access_tokens'
        ? {
            status: 201,
            body: {
              token: 'vigil-installation-token-0123456789',
              expires_at: new Date(Date.now() + 3_600_000).toISOString(),
              permissions: {},
              repository_selection: 'all',
            },
          }
        : answer()(req),
    );
    const forge = await createGitHubForge({
      credentials: appCredentialsFromSecret(
        { appId: 17, installationId: 4242 },
        Buffer.from(privateKey),
        'vigil-system/app',
      ),
      baseUrl: 'https://github.test',
      fetch: gh.fetch,
    });
    expect((await forge.branchProtection(REPO, 'main')).appId).toBe(17);
  });

  it('with a token, learns its App from the first check run it writes (only an App may write one)', async () => {
    const gh = scriptedGitHub((req) =>
      req.method === 'POST' && req.url.pathname.endsWith('/check-runs')
        ? {
            status: 201,
            body: {
              id: 9,
              name: 'vigil/sign-off',
              head_sha: 'a'.repeat(40),
              status: 'in_progress',
              conclusion: null,
              html_url: null,
              output: { title: null, summary: null, text: null },
              app: { id: 1043, slug: 'vigil' },
            },
          }
        : answer()(req),
    );
    const forge = await forgeOver(gh.fetch);
    expect((await forge.branchProtection(REPO, 'main')).appId).toBeUndefined();
    await forge.createCheckRun(REPO, {
      name: 'vigil/sign-off',
      headSha: 'a'.repeat(40),
      status: 'in_progress',
    });
    expect((await forge.branchProtection(REPO, 'main')).appId).toBe(1043);
  });

  it('reads an unprotected branch as nothing, and a ruleset it may not read as unknown bypass', async () => {
    const gh = scriptedGitHub(
      answer({
        '/branches/main/protection': { status: 404, body: { message: 'Branch not protected' } },
        '/rulesets/42': { status: 403, body: { message: 'Resource not accessible by integration' } },
      }),
    );
    const facts = await (await forgeOver(gh.fetch)).branchProtection(REPO, 'main');
    expect(facts.classic).toBeUndefined();
    expect(facts.rulesets[0]).not.toHaveProperty('bypassActors');
  });

  it('refuses to guess when it may not read classic protection', async () => {
    const gh = scriptedGitHub(
      answer({
        '/branches/main/protection': {
          status: 403,
          body: { message: 'Resource not accessible by integration' },
        },
      }),
    );
    const error = await (await forgeOver(gh.fetch)).branchProtection(REPO, 'main').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
  });

  it('reads a forge without rulesets (404 on the rules) as no rulesets', async () => {
    const gh = scriptedGitHub(
      answer({ '/rules/branches/main': { status: 404, body: { message: 'Not Found' } } }),
    );
    const facts = await (await forgeOver(gh.fetch)).branchProtection(REPO, 'main');
    expect(facts.rulesets).toEqual([]);
    expect(facts.classic?.enforceAdmins).toBe(true);
  });
});
