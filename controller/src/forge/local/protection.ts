// How a protected branch is held, decided from what was observed (no I/O), and reported as GitHub reports it:
// classic branch protection (GET .../branches/{b}/protection) or a repository ruleset (GET .../rules/branches/
// {b}, GET .../rulesets, GET .../rulesets/{id}). Who may push, force-push, skip the pull request, skip the
// rules or dismiss a review follows GitHub's rules for each, so the forge refuses what GitHub would refuse.
import { ForgeError, notFound } from './errors.js';
import type { Forge } from './forge.js';
import {
  type ObservedCheck,
  type ObservedStatus,
  PROTECTED_BRANCHES_DOC,
  RULESETS_DOC,
  requiredChecksMessage,
} from './merge-gate.js';
import { iso, nodeId } from './representations.js';
import type { RequestContext, Route } from './routes.js';
import type { ActorsSeed, ProtectionSeed, RepoRole } from './seed.js';
import type { ForgeState, RepoRecord, UserRecord } from './state.js';

const PROTECTION_DOC = 'https://docs.github.com/rest/branches/branch-protection#get-branch-protection';
const RULESET_DOC = 'https://docs.github.com/rest/repos/rules#get-a-repository-ruleset';

/** Who is acting, as the protection rules look at them. */
export interface ActorFacts {
  login: string;
  /** The App's slug when the actor is an App's bot. */
  app?: string;
  role?: RepoRole;
  /** Slugs of the owner organisation's teams the actor is an active member of. */
  teams: string[];
}

export function listed(actors: ActorsSeed | undefined, who: ActorFacts): boolean {
  if (!actors) return false;
  if (who.app) return actors.apps.includes(who.app);
  return actors.users.includes(who.login) || actors.teams.some((t) => who.teams.includes(t));
}

/** An admin skips the rules only where admins are not held to them (enforce_admins off). */
function adminSkips(p: ProtectionSeed, who: ActorFacts): boolean {
  return who.role === 'admin' && !p.enforceAdmins;
}

/** May skip every rule: required checks and reviews at merge, direct pushes (a ruleset's bypass actors too). */
export function bypassesRules(p: ProtectionSeed, who: ActorFacts): boolean {
  return adminSkips(p, who) || (p.enforcedBy === 'ruleset' && listed(p.bypassActors, who));
}

/** Why the actor may not push to the branch at all (classic push restrictions), or undefined. */
export function pushRefusal(p: ProtectionSeed, who: ActorFacts): string | undefined {
  if (!p.pushRestrictions || adminSkips(p, who) || listed(p.pushRestrictions, who)) return undefined;
  return `You're not authorized to push to this branch. Visit ${PROTECTED_BRANCHES_DOC} for more information.`;
}

export interface BranchUpdate {
  protection: ProtectionSeed;
  who: ActorFacts;
  /** The new tip descends from the old one. */
  fastForward: boolean;
  /** Check runs and statuses on the new tip, oldest first. */
  checks: ObservedCheck[];
  statuses: ObservedStatus[];
}

/**
 * Why a direct update of a protected branch (not a pull request merge) is refused, or an empty list. Force
 * pushes are refused for everyone where forbidden, admins included, as GitHub applies that rule to everyone
 * in classic protection; a ruleset's bypass actors skip it.
 */
export function branchUpdateRefusals(u: BranchUpdate): string[] {
  const { protection: p, who } = u;
  const reasons: string[] = [];
  const restricted = pushRefusal(p, who);
  if (restricted) reasons.push(restricted);
  const skipsAll = bypassesRules(p, who);
  const skipsPullRequest = skipsAll || (p.enforcedBy === 'branch-protection' && listed(p.bypassActors, who));
  if (p.requirePullRequest && !skipsPullRequest) reasons.push('Changes must be made through a pull request.');
  const forceForbidden = p.enforcedBy === 'ruleset' ? !skipsAll : true;
  if (!u.fastForward && !p.allowForcePushes && forceForbidden)
    reasons.push('Cannot force-push to this branch');
  if (!skipsAll) {
    const checks = requiredChecksMessage(p.requiredChecks, u.checks, u.statuses);
    if (checks) reasons.push(checks);
  }
  return reasons;
}

/** The refusal GitHub gives for a direct update, worded for classic protection or a ruleset. */
export function branchUpdateError(p: ProtectionSeed, branch: string, reasons: string[], status: number) {
  if (p.enforcedBy === 'ruleset') {
    return new ForgeError(
      status,
      `Repository rule violations found\n\n${reasons.join('\n\n')}\n\n`,
      RULESETS_DOC,
    );
  }
  return new ForgeError(
    status,
    `Protected branch update failed for refs/heads/${branch}.\n\n${reasons.join('\n')}`,
    PROTECTED_BRANCHES_DOC,
  );
}

/**
 * May dismiss a review on a pull request into `branch`: admins and maintainers always; where dismissals
 * are restricted, only the users, teams and Apps named; otherwise anyone with write access.
 */
export function mayDismiss(p: ProtectionSeed | undefined, who: ActorFacts): boolean {
  if (who.role === 'admin' || who.role === 'maintain') return true;
  if (p?.dismissalRestrictions) return listed(p.dismissalRestrictions, who);
  return who.role === 'write' || who.app !== undefined;
}

// GitHub's ids for the repository roles a ruleset bypass actor can name.
const ROLE_IDS: Partial<Record<RepoRole, number>> = { maintain: 2, write: 4, admin: 5 };

export function protectionRoutes(forge: Forge): Route[] {
  const { state, rep } = forge;
  const repoOf = (ctx: RequestContext) => forge.repo(ctx);
  const usersJson = (a: ActorsSeed) => a.users.map((u) => rep.user(u));
  const teamsJson = (repo: RepoRecord, a: ActorsSeed) =>
    a.teams.flatMap((slug) => {
      const t = state.orgs.get(repo.owner)?.teams.get(slug);
      return t ? [rep.team(t)] : [];
    });
  const appsJson = (a: ActorsSeed) =>
    a.apps.flatMap((slug) => {
      const app = state.apps.get(slug);
      // The restriction policy's app schema types description as a plain string.
      return app ? [{ ...rep.app(app), description: app.description ?? '' }] : [];
    });

  const protectionJson = (repo: RepoRecord, branch: string, p: ProtectionSeed) => {
    const url = `${rep.base}/repos/${repo.fullName}/branches/${branch}/protection`;
    const body: Record<string, unknown> = { url };
    if (p.requiredChecks.length > 0) {
      body.required_status_checks = {
        url: `${url}/required_status_checks`,
        strict: false,
        contexts: p.requiredChecks.map((c) => c.context),
        contexts_url: `${url}/required_status_checks/contexts`,
        checks: p.requiredChecks.map((c) => ({ context: c.context, app_id: c.appId ?? null })),
      };
    }
    if (p.requirePullRequest) {
      const reviews: Record<string, unknown> = {
        url: `${url}/required_pull_request_reviews`,
        dismiss_stale_reviews: p.dismissStaleReviews,
        require_code_owner_reviews: false,
        required_approving_review_count: p.requiredApprovingReviewCount,
        require_last_push_approval: false,
      };
      const d = p.dismissalRestrictions;
      if (d) {
        reviews.dismissal_restrictions = {
          url: `${url}/dismissal_restrictions`,
          users_url: `${url}/dismissal_restrictions/users`,
          teams_url: `${url}/dismissal_restrictions/teams`,
          users: usersJson(d),
          teams: teamsJson(repo, d),
          apps: appsJson(d),
        };
      }
      const b = p.bypassActors;
      if (b.users.length + b.teams.length + b.apps.length > 0) {
        reviews.bypass_pull_request_allowances = {
          users: usersJson(b),
          teams: teamsJson(repo, b),
          apps: appsJson(b),
        };
      }
      body.required_pull_request_reviews = reviews;
    }
    if (p.pushRestrictions) {
      const r = p.pushRestrictions;
      body.restrictions = {
        url: `${url}/restrictions`,
        users_url: `${url}/restrictions/users`,
        teams_url: `${url}/restrictions/teams`,
        apps_url: `${url}/restrictions/apps`,
        users: usersJson(r),
        teams: teamsJson(repo, r),
        apps: appsJson(r),
      };
    }
    return {
      ...body,
      required_signatures: { url: `${url}/required_signatures`, enabled: false },
      enforce_admins: { url: `${url}/enforce_admins`, enabled: p.enforceAdmins },
      required_linear_history: { enabled: false },
      allow_force_pushes: { enabled: p.allowForcePushes },
      allow_deletions: { enabled: false },
      block_creations: { enabled: false },
      required_conversation_resolution: { enabled: false },
      lock_branch: { enabled: false },
      allow_fork_syncing: { enabled: false },
    };
  };

  const bypassActorsJson = (repo: RepoRecord, p: ProtectionSeed) => {
    const always = { bypass_mode: 'always' };
    const org = state.orgs.get(repo.owner);
    return [
      // A ruleset that does not hold admins lists the admin role among its bypass actors.
      ...(p.enforceAdmins ? [] : [{ actor_id: ROLE_IDS.admin, actor_type: 'RepositoryRole', ...always }]),
      ...p.bypassActors.users.map((u) => ({
        actor_id: state.users.get(u)?.id ?? 0,
        actor_type: 'User',
        ...always,
      })),
      ...p.bypassActors.teams.map((t) => ({
        actor_id: org?.teams.get(t)?.id ?? 0,
        actor_type: 'Team',
        ...always,
      })),
      ...p.bypassActors.apps.map((a) => ({
        actor_id: state.apps.get(a)?.id ?? 0,
        actor_type: 'Integration',
        ...always,
      })),
    ];
  };

  const dismissalJson = (repo: RepoRecord, d: ActorsSeed | undefined) => {
    if (!d) return { enabled: false };
    const org = state.orgs.get(repo.owner);
    return {
      enabled: true,
      allowed_actors: [
        ...d.users.map((u) => ({ id: state.users.get(u)?.id ?? 0, type: 'User' })),
        ...d.teams.map((t) => ({ id: org?.teams.get(t)?.id ?? 0, type: 'Team' })),
        ...d.apps.map((a) => ({
          id: state.apps.get(a)?.installationId ?? 0,
          type: 'IntegrationInstallation',
        })),
      ],
    };
  };

  const rulesJson = (repo: RepoRecord, p: ProtectionSeed) => {
    const rules: Record<string, unknown>[] = [{ type: 'deletion' }];
    if (!p.allowForcePushes) rules.push({ type: 'non_fast_forward' });
    if (p.requirePullRequest) {
      rules.push({
        type: 'pull_request',
        parameters: {
          dismiss_stale_reviews_on_push: p.dismissStaleReviews,
          require_code_owner_review: false,
          require_last_push_approval: false,
          required_approving_review_count: p.requiredApprovingReviewCount,
          required_review_thread_resolution: false,
          allowed_merge_methods: ['merge', 'squash'],
          dismissal_restriction: dismissalJson(repo, p.dismissalRestrictions),
        },
      });
    }
    if (p.requiredChecks.length > 0) {
      rules.push({
        type: 'required_status_checks',
        parameters: {
          strict_required_status_checks_policy: false,
          do_not_enforce_on_create: false,
          required_status_checks: p.requiredChecks.map((c) =>
            c.appId === undefined ? { context: c.context } : { context: c.context, integration_id: c.appId },
          ),
        },
      });
    }
    return rules;
  };

  const rulesetOf = (repo: RepoRecord) =>
    repo.protection?.enforcedBy === 'ruleset' ? repo.protection : undefined;

  /** Bypass actors are shown to those who may edit the ruleset: admins, and Apps that read administration. */
  const seesSettings = (repo: RepoRecord, user: UserRecord) =>
    user.app ? user.app.permissions.administration !== undefined : state.roleOf(repo, user.login) === 'admin';

  const rulesetJson = (repo: RepoRecord, p: ProtectionSeed, user: UserRecord, full: boolean) => {
    const url = `${rep.base}/repos/${repo.fullName}/rulesets/${repo.rulesetId}`;
    const who = actorFacts(state, repo, user);
    return {
      id: repo.rulesetId,
      name: `Protect ${p.branch}`,
      target: 'branch',
      source_type: 'Repository',
      source: repo.fullName,
      enforcement: 'active',
      ...(seesSettings(repo, user) ? { bypass_actors: bypassActorsJson(repo, p) } : {}),
      current_user_can_bypass: bypassesRules(p, who) ? 'always' : 'never',
      node_id: nodeId('RepositoryRuleset', repo.rulesetId),
      _links: {
        self: { href: url },
        html: { href: `${rep.base}/${repo.fullName}/rules/${repo.rulesetId}` },
      },
      ...(full
        ? {
            conditions: { ref_name: { include: [`refs/heads/${p.branch}`], exclude: [] } },
            rules: rulesJson(repo, p),
          }
        : {}),
      created_at: iso(repo.createdAt),
      updated_at: iso(repo.createdAt),
    };
  };

  return [
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/branches/{branch}/protection',
      handle: async (ctx) => {
        const repo = repoOf(ctx);
        const branch = ctx.params.branch ?? '';
        if (!(await repo.git.branchTip(branch)))
          throw new ForgeError(404, 'Branch not found', PROTECTED_BRANCHES_DOC);
        // Reading protection settings takes admin (or an App's administration permission); in a repository
        // whose seed grants no roles every member may, as the forge's permissive default.
        if (repo.access && !seesSettings(repo, ctx.user)) throw notFound(PROTECTION_DOC);
        const p = repo.protection;
        if (p?.enforcedBy !== 'branch-protection' || p.branch !== branch)
          throw new ForgeError(404, 'Branch not protected', PROTECTION_DOC);
        return { status: 200, body: protectionJson(repo, branch, p) };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/rules/branches/{branch}',
      handle: async (ctx) => {
        const repo = repoOf(ctx);
        const p = rulesetOf(repo);
        if (!p || p.branch !== ctx.params.branch) return { status: 200, body: [] };
        const source = {
          ruleset_source_type: 'Repository',
          ruleset_source: repo.fullName,
          ruleset_id: repo.rulesetId,
        };
        return { status: 200, body: rulesJson(repo, p).map((r) => ({ ...r, ...source })) };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/rulesets',
      handle: async (ctx) => {
        const repo = repoOf(ctx);
        const p = rulesetOf(repo);
        return { status: 200, body: p ? [rulesetJson(repo, p, ctx.user, false)] : [] };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/rulesets/{ruleset_id}',
      handle: async (ctx) => {
        const repo = repoOf(ctx);
        const p = rulesetOf(repo);
        if (!p || ctx.params.ruleset_id !== String(repo.rulesetId)) throw notFound(RULESET_DOC);
        return { status: 200, body: rulesetJson(repo, p, ctx.user, true) };
      },
    },
  ];
}

/** What the protection rules need to know about the acting user or App on a repository. */
export function actorFacts(state: ForgeState, repo: RepoRecord, user: UserRecord): ActorFacts {
  if (user.app) return { login: user.login, app: user.app.slug, teams: [] };
  const org = state.orgs.get(repo.owner);
  const teams = [...(org?.teams.values() ?? [])]
    .filter((t) => t.members.get(user.login)?.state === 'active')
    .map((t) => t.slug);
  return { login: user.login, role: state.roleOf(repo, user.login), teams };
}
