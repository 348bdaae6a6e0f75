// Reading what protects a branch from GitHub's own shapes: classic branch protection (GET .../protection), the
// active rules that apply to the branch (GET .../rules/branches/{branch}) and each ruleset's bypass actors (GET
// .../rulesets/{id}). Only the settings the sign-off gate depends on are kept; the decision is made elsewhere.
import type { Octokit } from 'octokit';
import {
  type BranchProtectionFacts,
  type BypassActor,
  type ClassicProtectionFacts,
  ForbiddenError,
  NotFoundError,
  type RepoName,
  type RequiredCheck,
  type RulesetFacts,
  splitRepo,
} from '../forge.js';

type Client = InstanceType<typeof Octokit>;

/** The part of GitHub's `branch-protection` schema the gate reads. */
export interface ClassicProtectionLike {
  required_status_checks?: {
    contexts?: string[];
    checks?: { context: string; app_id: number | null }[];
  };
  enforce_admins?: { enabled: boolean };
  required_pull_request_reviews?: {
    dismissal_restrictions?: object;
    bypass_pull_request_allowances?: {
      users?: { login: string; id?: number }[];
      teams?: { slug: string; id?: number }[];
      apps?: ({ slug?: string; id?: number } | null)[];
    };
  };
  allow_force_pushes?: { enabled?: boolean };
}

/** A rule of `repository-rule-detailed`: its type, parameters and the ruleset it comes from. */
export interface BranchRuleLike {
  type: string;
  ruleset_id?: number;
  ruleset_source?: string;
  parameters?: {
    required_status_checks?: { context: string; integration_id?: number }[];
    dismissal_restriction?: { enabled?: boolean };
  };
}

/** The part of `repository-ruleset` the gate reads; `bypass_actors` is absent for an identity that may not write it. */
export interface RulesetLike {
  id: number;
  name: string;
  bypass_actors?: { actor_id?: number | null; actor_type: string; bypass_mode?: string }[];
}

/** A pin is a positive App id; GitHub reports "any source" as null (and accepts -1 for it when writing). */
const pinOf = (id: number | null | undefined): number | undefined =>
  typeof id === 'number' && id > 0 ? id : undefined;

export function classicFacts(p: ClassicProtectionLike): ClassicProtectionFacts {
  const rsc = p.required_status_checks;
  const checks: RequiredCheck[] = (rsc?.checks ?? []).map((c) => {
    const appId = pinOf(c.app_id);
    return appId === undefined ? { context: c.context } : { context: c.context, appId };
  });
  // `contexts` is the older list of names; a name only there is required from any source.
  for (const context of rsc?.contexts ?? []) {
    if (!checks.some((c) => c.context === context)) checks.push({ context });
  }
  const reviews = p.required_pull_request_reviews;
  const allowances = reviews?.bypass_pull_request_allowances;
  const bypass: BypassActor[] = [
    ...(allowances?.users ?? []).map((u) => actor('User', u.login, u.id)),
    ...(allowances?.teams ?? []).map((t) => actor('Team', t.slug, t.id)),
    ...(allowances?.apps ?? []).flatMap((a) => (a ? [actor('Integration', a.slug, a.id)] : [])),
  ];
  return {
    requiredChecks: checks,
    enforceAdmins: p.enforce_admins?.enabled === true,
    requiresPullRequest: reviews !== undefined && reviews !== null,
    allowsForcePushes: p.allow_force_pushes?.enabled === true,
    restrictsDismissals:
      reviews?.dismissal_restrictions !== undefined && reviews.dismissal_restrictions !== null,
    bypassAllowances: bypass,
  };
}

/** The branch's active rules grouped by ruleset, each ruleset's bypass actors from `rulesets` (by id). */
export function rulesetFacts(rules: readonly BranchRuleLike[], rulesets: ReadonlyMap<number, RulesetLike>) {
  const byId = new Map<number, RulesetFacts>();
  for (const rule of rules) {
    const id = rule.ruleset_id ?? 0;
    let facts = byId.get(id);
    if (!facts) {
      const ruleset = rulesets.get(id);
      facts = {
        id,
        name: ruleset?.name ?? rule.ruleset_source ?? `ruleset ${id}`,
        requiredChecks: [],
        requiresPullRequest: false,
        blocksForcePushes: false,
        restrictsDismissals: false,
        ...(ruleset?.bypass_actors
          ? {
              bypassActors: ruleset.bypass_actors.map((b) =>
                actor(b.actor_type as BypassActor['type'], undefined, b.actor_id ?? undefined),
              ),
            }
          : {}),
      };
      byId.set(id, facts);
    }
    switch (rule.type) {
      case 'required_status_checks':
        for (const c of rule.parameters?.required_status_checks ?? []) {
          const appId = pinOf(c.integration_id);
          facts.requiredChecks.push(
            appId === undefined ? { context: c.context } : { context: c.context, appId },
          );
        }
        break;
      case 'pull_request':
        facts.requiresPullRequest = true;
        if (rule.parameters?.dismissal_restriction?.enabled === true) facts.restrictsDismissals = true;
        break;
      case 'non_fast_forward':
        facts.blocksForcePushes = true;
        break;
    }
  }
  return [...byId.values()];
}

function actor(type: BypassActor['type'], name: string | undefined, id: number | undefined): BypassActor {
  return { type, ...(name ? { name } : {}), ...(id !== undefined ? { id } : {}) };
}

/** Classic protection, the active rules for the branch and their rulesets, read from the forge. */
export async function readBranchProtection(
  gh: Client,
  repo: RepoName,
  branch: string,
  appId: number | undefined,
): Promise<BranchProtectionFacts> {
  const r = splitRepo(repo);
  let classic: ClassicProtectionFacts | undefined;
  try {
    const { data } = await gh.rest.repos.getBranchProtection({ ...r, branch });
    classic = classicFacts(data as ClassicProtectionLike);
  } catch (error) {
    // 404: no classic protection. Anything else (403: no Administration read) leaves the gate unverifiable.
    if (!(error instanceof NotFoundError)) throw error;
  }

  let rules: BranchRuleLike[] = [];
  try {
    rules = (await gh.paginate(gh.rest.repos.getBranchRules, {
      ...r,
      branch,
      per_page: 100,
    })) as BranchRuleLike[];
  } catch (error) {
    // A forge without rulesets (an older GitHub Enterprise Server) answers 404.
    if (!(error instanceof NotFoundError)) throw error;
  }
  const rulesets = new Map<number, RulesetLike>();
  for (const id of new Set(rules.flatMap((rule) => (rule.ruleset_id ? [rule.ruleset_id] : [])))) {
    try {
      const { data } = await gh.rest.repos.getRepoRuleset({ ...r, ruleset_id: id });
      rulesets.set(id, data as RulesetLike);
    } catch (error) {
      // Unreadable: its bypass actors stay unknown, and the decision treats unknown as "someone may bypass".
      if (!(error instanceof NotFoundError || error instanceof ForbiddenError)) throw error;
    }
  }
  return {
    ...(appId !== undefined ? { appId } : {}),
    ...(classic ? { classic } : {}),
    rulesets: rulesetFacts(rules, rulesets),
  };
}
