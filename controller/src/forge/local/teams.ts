// Teams and their members (who may fill a sign-off role), the authenticated user, and the rate limit.
import { ForgeError, notFound } from './errors.js';
import type { Forge } from './forge.js';
import type { RateLimits } from './rate-limit.js';
import { listReply, type Route } from './routes.js';

const MEMBERSHIP_DOC = 'https://docs.github.com/rest/teams/members#get-team-membership-for-a-user';

export function teamRoutes(forge: Forge, limits: RateLimits): Route[] {
  const { state, rep } = forge;

  const team = (org: string | undefined, slug: string | undefined) => {
    const t = state.orgs.get(org ?? '')?.teams.get(slug ?? '');
    if (!t) throw notFound('https://docs.github.com/rest/teams/teams#get-a-team-by-name');
    return t;
  };

  return [
    {
      method: 'GET',
      template: '/orgs/{org}/teams/{team_slug}',
      handle: async (ctx) => ({
        status: 200,
        body: rep.teamFull(team(ctx.params.org, ctx.params.team_slug)),
      }),
    },
    {
      method: 'GET',
      template: '/orgs/{org}/teams/{team_slug}/members',
      handle: async (ctx) => {
        const t = team(ctx.params.org, ctx.params.team_slug);
        const role = ctx.query.get('role') ?? 'all';
        // Only active members are listed; an invitation not yet accepted is not membership.
        const members = [...t.members.entries()]
          .filter(([, m]) => m.state === 'active' && (role === 'all' || m.role === role))
          .map(([login]) => login)
          .sort();
        return listReply(
          members.map((m) => rep.user(m)),
          ctx.url,
        );
      },
    },
    {
      method: 'GET',
      template: '/orgs/{org}/teams/{team_slug}/memberships/{username}',
      handle: async (ctx) => {
        const t = team(ctx.params.org, ctx.params.team_slug);
        const login = ctx.params.username ?? '';
        const m = t.members.get(login);
        if (!m) throw new ForgeError(404, 'Not Found', MEMBERSHIP_DOC);
        const org = state.orgs.get(t.org);
        return {
          status: 200,
          body: {
            url: `${rep.base}/organizations/${org?.id ?? 0}/team/${t.id}/memberships/${login}`,
            role: m.role,
            state: m.state,
          },
        };
      },
    },
    {
      method: 'GET',
      template: '/user',
      handle: async (ctx) => ({ status: 200, body: rep.privateUser(ctx.user) }),
    },
    {
      method: 'GET',
      template: '/rate_limit',
      free: true,
      handle: async (ctx) => {
        const core = limits.peek(ctx.user.login);
        const other = (limit: number) => ({ limit, remaining: limit, reset: core.reset, used: 0 });
        return {
          status: 200,
          body: {
            resources: {
              core,
              search: other(30),
              graphql: other(5000),
              integration_manifest: other(5000),
              code_search: other(10),
            },
            rate: core,
          },
        };
      },
    },
  ];
}
