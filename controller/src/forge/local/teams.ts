// Teams and their members (who may fill a sign-off role), changes to who is in a team (with GitHub's org
// `membership` webhook, so a receiver learns that a signer joined or left), the authenticated user, and the
// rate limit.
import { ForgeError, forbidden, notFound, unprocessable } from './errors.js';
import type { Forge } from './forge.js';
import type { RateLimits } from './rate-limit.js';
import { asBody, optionalEnum } from './request-body.js';
import { listReply, type Route } from './routes.js';
import type { TeamRecord, UserRecord } from './state.js';

const MEMBERSHIP_DOC = 'https://docs.github.com/rest/teams/members#get-team-membership-for-a-user';
const ADD_MEMBERSHIP_DOC =
  'https://docs.github.com/rest/teams/members#add-or-update-team-membership-for-a-user';
const REMOVE_MEMBERSHIP_DOC = 'https://docs.github.com/rest/teams/members#remove-team-membership-for-a-user';

/**
 * Who may change a team's members: its maintainers, and an App allowed to write organisation members. (GitHub's
 * organisation owners may too; the forge's seed names none.)
 */
export function mayManageTeam(team: TeamRecord, user: UserRecord): boolean {
  const app = (user as { app?: { permissions: Record<string, string> } }).app;
  if (app) return app.permissions.members === 'write';
  const m = team.members.get(user.login);
  return m?.role === 'maintainer' && m.state === 'active';
}

export function teamRoutes(forge: Forge, limits: RateLimits): Route[] {
  const { state, rep } = forge;

  const team = (org: string | undefined, slug: string | undefined) => {
    const t = state.orgs.get(org ?? '')?.teams.get(slug ?? '');
    if (!t) throw notFound('https://docs.github.com/rest/teams/teams#get-a-team-by-name');
    return t;
  };

  const membershipJson = (t: TeamRecord, login: string) => {
    const m = t.members.get(login)!;
    const org = state.orgs.get(t.org);
    return {
      url: `${rep.base}/organizations/${org?.id ?? 0}/team/${t.id}/memberships/${login}`,
      role: m.role,
      state: m.state,
    };
  };

  /** GitHub's org-level `membership` event: a member added to or removed from a team, and by whom. */
  const emitMembership = (action: 'added' | 'removed', t: TeamRecord, member: string, sender: string) => {
    const org = state.orgs.get(t.org);
    if (!org) return;
    forge.hooks.emit('membership', {
      action,
      scope: 'team',
      member: rep.user(member),
      team: rep.team(t),
      organization: rep.org(org),
      sender: rep.user(sender),
    });
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
      method: 'PUT',
      template: '/orgs/{org}/teams/{team_slug}/memberships/{username}',
      handle: async (ctx) => {
        const t = team(ctx.params.org, ctx.params.team_slug);
        const login = ctx.params.username ?? '';
        const role = optionalEnum(asBody(ctx.body), 'role', ['member', 'maintainer'] as const) ?? 'member';
        if (!mayManageTeam(t, ctx.user))
          throw forbidden(
            'You must be an organization owner or team maintainer to add a team member.',
            ADD_MEMBERSHIP_DOC,
          );
        if (!state.users.has(login)) throw notFound(ADD_MEMBERSHIP_DOC);
        const existing = t.members.get(login);
        if (existing) {
          existing.role = role;
          return { status: 200, body: membershipJson(t, login) };
        }
        // A maintainer adds organisation members; inviting outsiders is for owners, whom the seed does not name.
        if (!state.isOrgMember(t.org, login))
          throw unprocessable(`${login} is not a member of the ${t.org} organization.`, ADD_MEMBERSHIP_DOC);
        t.members.set(login, { role, state: 'active' });
        emitMembership('added', t, login, ctx.user.login);
        return { status: 200, body: membershipJson(t, login) };
      },
    },
    {
      method: 'DELETE',
      template: '/orgs/{org}/teams/{team_slug}/memberships/{username}',
      handle: async (ctx) => {
        const t = team(ctx.params.org, ctx.params.team_slug);
        const login = ctx.params.username ?? '';
        if (!mayManageTeam(t, ctx.user))
          throw forbidden(
            'You must be an organization owner or team maintainer to remove a team member.',
            REMOVE_MEMBERSHIP_DOC,
          );
        const existing = t.members.get(login);
        if (!existing) throw notFound(REMOVE_MEMBERSHIP_DOC);
        t.members.delete(login);
        // An invitation withdrawn was never membership: only an active member's removal is an event.
        if (existing.state === 'active') emitMembership('removed', t, login, ctx.user.login);
        return { status: 204 };
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
