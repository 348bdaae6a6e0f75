// Whether a branch really holds the sign-off gate. A required check of the right name is not enough: anyone with
// write access can post a passing check of any name unless the requirement is pinned to Vigil's App, and an
// administrator, a bypass actor, a direct push, a force push or a dismissed review walks around the rest. Each
// setting must be held by classic protection or an active ruleset that nobody may bypass; whatever is not, is a
// gap, named with where to set it.
import type { BranchProtectionFacts, BypassActor, RequiredCheck } from '../../forge/forge.js';

/** The settings the gate needs, named as the MISSING column shows them. */
export const PROTECTION_SETTINGS = [
  'required-check',
  'check-from-app',
  'enforce-admins',
  'no-bypass',
  'pull-request',
  'no-force-push',
  'dismissal-restrictions',
] as const;
export type ProtectionSetting = (typeof PROTECTION_SETTINGS)[number];

export interface ProtectionGap {
  setting: ProtectionSetting;
  /** What is missing and how to set it: where in GitHub's settings, and the API field. */
  message: string;
  /** The same in a few words, for a condition message. */
  hint: string;
}

export type EnforcementReason =
  | 'Enforced'
  | 'CheckNotRequired'
  | 'PersonalToken'
  | 'CheckNotPinned'
  | 'ProtectionIncomplete';

export interface EnforcementDecision {
  enforced: boolean;
  /** What holds the pinned check, when enforced: "branch-protection", "ruleset" or both. */
  enforcedBy?: string;
  reason: EnforcementReason;
  gaps: ProtectionGap[];
}

export interface EnforcementTarget {
  repository: string;
  branch: string;
  checkName: string;
}

/** What a protection must do; the check is the pinned requirement of `checkName`. */
type Need = 'check' | 'pull-request' | 'no-force-push' | 'dismissal-restrictions';

interface Source {
  kind: 'branch-protection' | 'ruleset';
  provides: Set<Need>;
  /** Who may walk around which of its needs. */
  escapes: { needs: Set<Need>; gap: ProtectionGap }[];
}

const ALL_NEEDS: readonly Need[] = ['check', 'pull-request', 'no-force-push', 'dismissal-restrictions'];
const REVIEW_NEEDS = new Set<Need>(['pull-request', 'dismissal-restrictions']);

const CLASSIC = 'Settings > Branches';
const RULESETS = 'Settings > Rules > Rulesets';

export function decideEnforcement(
  facts: BranchProtectionFacts | undefined,
  target: EnforcementTarget,
): EnforcementDecision {
  const { checkName } = target;
  const appId = facts?.appId;
  const pinned = (checks: readonly RequiredCheck[]) =>
    appId !== undefined && checks.some((c) => c.context === checkName && c.appId === appId);
  const sources: Source[] = [];

  const classic = facts?.classic;
  if (classic) {
    const provides = new Set<Need>();
    if (pinned(classic.requiredChecks)) provides.add('check');
    if (classic.requiresPullRequest) provides.add('pull-request');
    if (!classic.allowsForcePushes) provides.add('no-force-push');
    if (classic.requiresPullRequest && classic.restrictsDismissals) provides.add('dismissal-restrictions');
    const escapes: Source['escapes'] = [];
    if (!classic.enforceAdmins) {
      escapes.push({
        needs: new Set(ALL_NEEDS),
        gap: {
          setting: 'enforce-admins',
          hint: 'enforce_admins',
          message: `branch protection does not apply to administrators: tick "Do not allow bypassing the above settings" (${CLASSIC}; API: enforce_admins)`,
        },
      });
    }
    if (classic.bypassAllowances.length > 0) {
      // Allowances skip the pull request and its reviews; required checks still hold their direct pushes.
      escapes.push({
        needs: REVIEW_NEEDS,
        gap: {
          setting: 'no-bypass',
          hint: 'bypass_pull_request_allowances',
          message: `branch protection lets ${actors(classic.bypassAllowances)} bypass the pull request: clear "Allow specified actors to bypass required pull requests" (${CLASSIC}; API: required_pull_request_reviews.bypass_pull_request_allowances)`,
        },
      });
    }
    sources.push({ kind: 'branch-protection', provides, escapes });
  }

  for (const ruleset of facts?.rulesets ?? []) {
    const provides = new Set<Need>();
    if (pinned(ruleset.requiredChecks)) provides.add('check');
    if (ruleset.requiresPullRequest) provides.add('pull-request');
    if (ruleset.blocksForcePushes) provides.add('no-force-push');
    if (ruleset.requiresPullRequest && ruleset.restrictsDismissals) provides.add('dismissal-restrictions');
    const escapes: Source['escapes'] = [];
    const named = `ruleset "${ruleset.name}" (id ${ruleset.id})`;
    if (ruleset.bypassActors === undefined) {
      escapes.push({
        needs: new Set(ALL_NEEDS),
        gap: {
          setting: 'no-bypass',
          hint: `${named} bypass list unreadable`,
          message: `Vigil cannot see who may bypass ${named}: GitHub shows bypass_actors only to those who may edit the ruleset; grant the App "Administration: write", or hold these settings in branch protection`,
        },
      });
    } else if (ruleset.bypassActors.length > 0) {
      escapes.push({
        needs: new Set(ALL_NEEDS),
        gap: {
          setting: 'no-bypass',
          hint: `bypass_actors of ${named}`,
          message: `${named} lets ${actors(ruleset.bypassActors)} bypass it: empty its "Bypass list" (${RULESETS}; API: bypass_actors)`,
        },
      });
    }
    sources.push({ kind: 'ruleset', provides, escapes });
  }

  const gaps: ProtectionGap[] = [];
  const add = (gap: ProtectionGap) => {
    if (!gaps.some((g) => g.setting === gap.setting && g.message === gap.message)) gaps.push(gap);
  };
  const holders = (need: Need) => sources.filter((s) => s.provides.has(need));
  const unescaped = (need: Need) => holders(need).filter((s) => !s.escapes.some((e) => e.needs.has(need)));

  for (const need of ALL_NEEDS) {
    const found = holders(need);
    if (found.length === 0) {
      for (const gap of missing(need, facts, target)) add(gap);
    } else if (unescaped(need).length === 0) {
      for (const s of found) for (const e of s.escapes) if (e.needs.has(need)) add(e.gap);
    }
  }
  gaps.sort((a, b) => PROTECTION_SETTINGS.indexOf(a.setting) - PROTECTION_SETTINGS.indexOf(b.setting));

  if (gaps.length === 0) {
    const kinds = [...new Set(unescaped('check').map((s) => s.kind))];
    return { enforced: true, enforcedBy: kinds.join(', '), reason: 'Enforced', gaps };
  }
  const reason: EnforcementReason = gaps.some((g) => g.setting === 'required-check')
    ? 'CheckNotRequired'
    : appId === undefined
      ? 'PersonalToken'
      : gaps.some((g) => g.setting === 'check-from-app')
        ? 'CheckNotPinned'
        : 'ProtectionIncomplete';
  return { enforced: false, reason, gaps };
}

/** The gap(s) when nothing at all holds a need. */
function missing(
  need: Need,
  facts: BranchProtectionFacts | undefined,
  { checkName }: EnforcementTarget,
): ProtectionGap[] {
  switch (need) {
    case 'check':
      return checkGaps(facts, checkName);
    case 'pull-request':
      return [
        {
          setting: 'pull-request',
          hint: 'required_pull_request_reviews',
          message: `direct pushes are allowed: tick "Require a pull request before merging" (${CLASSIC}; API: required_pull_request_reviews) or add a ruleset pull_request rule`,
        },
      ];
    case 'no-force-push':
      return [
        {
          setting: 'no-force-push',
          hint: 'allow_force_pushes',
          message: `force pushes are allowed: untick "Allow force pushes" (${CLASSIC}; API: allow_force_pushes) or add "Block force pushes" to a ruleset (non_fast_forward)`,
        },
      ];
    case 'dismissal-restrictions':
      return [
        {
          setting: 'dismissal-restrictions',
          hint: 'dismissal_restrictions',
          message: `anyone with write access may dismiss reviews: tick "Restrict who can dismiss pull request reviews" (${CLASSIC}; API: required_pull_request_reviews.dismissal_restrictions) or set a ruleset pull_request rule's dismissal_restriction`,
        },
      ];
  }
}

function checkGaps(facts: BranchProtectionFacts | undefined, checkName: string): ProtectionGap[] {
  const appId = facts?.appId;
  const required = [
    ...(facts?.classic?.requiredChecks ?? []),
    ...(facts?.rulesets ?? []).flatMap((r) => r.requiredChecks),
  ].filter((c) => c.context === checkName);
  const gaps: ProtectionGap[] = [];
  if (required.length === 0) {
    gaps.push({
      setting: 'required-check',
      hint: `${checkName} not required`,
      message: `the branch does not require ${checkName}, so merges are not blocked: add it under "Require status checks to pass" (${CLASSIC} or a ruleset) with Vigil's App as its source (API: required_status_checks.checks[].app_id, ruleset integration_id)`,
    });
  }
  if (appId === undefined) {
    gaps.push({
      setting: 'check-from-app',
      hint: 'personal token: cannot pin',
      message: `Vigil acts with a personal token, not as a GitHub App (no check run it wrote names an App): a personal token's check cannot be pinned to an App, so anyone with write access could post a passing ${checkName}; run Vigil as a GitHub App and pin the check to it`,
    });
  } else if (required.length > 0) {
    const pins = [...new Set(required.map((c) => c.appId))];
    const others = pins.filter((p): p is number => p !== undefined);
    const from =
      others.length > 0
        ? `is pinned to App ${others.join(', ')}${pins.includes(undefined) ? ' or to any source' : ''}, not to Vigil's App (${appId})`
        : `accepts it from any source, not only from Vigil's App (${appId}): anyone with write access could post a passing check of that name`;
    gaps.push({
      setting: 'check-from-app',
      hint: `app_id ${appId}`,
      message: `the branch requires ${checkName} but ${from}: choose Vigil's App as the check's source (API: required_status_checks.checks[].app_id = ${appId}; ruleset integration_id = ${appId})`,
    });
  }
  return gaps;
}

function actors(list: readonly BypassActor[]): string {
  return list
    .map((a) => (a.name ? `${a.type} ${a.name}` : a.id !== undefined ? `${a.type} #${a.id}` : a.type))
    .join(', ');
}
