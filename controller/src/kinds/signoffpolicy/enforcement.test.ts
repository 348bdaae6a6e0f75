// decideEnforcement: a branch holds the gate only with every setting held by a protection nobody may bypass.
// Each setting is taken away on its own, from classic protection and from a ruleset.
import { describe, expect, it } from 'vitest';
import type { BranchProtectionFacts, ClassicProtectionFacts, RulesetFacts } from '../../forge/forge.js';
import { decideEnforcement } from './enforcement.js';

const APP = 17;
const target = { repository: 'northwind-health/ai-deployments', branch: 'main', checkName: 'vigil/sign-off' };
const classic: ClassicProtectionFacts = {
  requiredChecks: [{ context: 'ci/build' }, { context: 'vigil/sign-off', appId: APP }],
  enforceAdmins: true,
  requiresPullRequest: true,
  allowsForcePushes: false,
  restrictsDismissals: true,
  bypassAllowances: [],
};
const ruleset: RulesetFacts = {
  id: 7,
  name: 'governed main',
  requiredChecks: [{ context: 'vigil/sign-off', appId: APP }],
  requiresPullRequest: true,
  blocksForcePushes: true,
  restrictsDismissals: true,
  bypassActors: [],
};
/** Full classic protection with `change`; `appId` null: Vigil acts with a personal token. */
const byClassic = (change: Partial<ClassicProtectionFacts>, appId: number | null = APP) =>
  ({
    ...(appId !== null ? { appId } : {}),
    classic: { ...classic, ...change },
    rulesets: [],
  }) as BranchProtectionFacts;
const byRuleset = (change: Partial<RulesetFacts>) =>
  ({ appId: APP, rulesets: [{ ...ruleset, ...change }] }) as BranchProtectionFacts;
const settings = (facts: BranchProtectionFacts | undefined) =>
  decideEnforcement(facts, target).gaps.map((g) => g.setting);

describe('decideEnforcement', () => {
  it('holds with full classic protection, with a full ruleset, and with both', () => {
    expect(decideEnforcement(byClassic({}), target)).toEqual({
      enforced: true,
      enforcedBy: 'branch-protection',
      reason: 'Enforced',
      gaps: [],
    });
    expect(decideEnforcement(byRuleset({}), target)).toMatchObject({ enforced: true, enforcedBy: 'ruleset' });
    expect(decideEnforcement({ appId: APP, classic, rulesets: [ruleset] }, target).enforcedBy).toBe(
      'branch-protection, ruleset',
    );
  });

  it.each([
    [
      'the check not required',
      { requiredChecks: [{ context: 'ci/build' }] },
      ['required-check'],
      'CheckNotRequired',
    ],
    [
      'the check from any source',
      { requiredChecks: [{ context: 'vigil/sign-off' }] },
      ['check-from-app'],
      'CheckNotPinned',
    ],
    [
      'the check pinned to another App',
      { requiredChecks: [{ context: 'vigil/sign-off', appId: 99 }] },
      ['check-from-app'],
      'CheckNotPinned',
    ],
    ['administrators not held', { enforceAdmins: false }, ['enforce-admins'], 'ProtectionIncomplete'],
    [
      'a bypass allowance',
      { bypassAllowances: [{ type: 'User' as const, name: 'ds-lead' }] },
      ['no-bypass'],
      'ProtectionIncomplete',
    ],
    // Without a required pull request there are no reviews to restrict either: GitHub keeps both in one object.
    [
      'direct pushes allowed',
      { requiresPullRequest: false, restrictsDismissals: false },
      ['pull-request', 'dismissal-restrictions'],
      'ProtectionIncomplete',
    ],
    ['force pushes allowed', { allowsForcePushes: true }, ['no-force-push'], 'ProtectionIncomplete'],
    [
      'anyone may dismiss reviews',
      { restrictsDismissals: false },
      ['dismissal-restrictions'],
      'ProtectionIncomplete',
    ],
  ])('classic protection with %s is not enforced', (_, change, missing, reason) => {
    const d = decideEnforcement(byClassic(change), target);
    expect(d.enforced).toBe(false);
    expect(d.enforcedBy).toBeUndefined();
    expect(d.reason).toBe(reason);
    expect(d.gaps.map((g) => g.setting)).toEqual(missing);
  });

  it.each([
    ['the check not required', { requiredChecks: [] }, ['required-check']],
    ['the check from any source', { requiredChecks: [{ context: 'vigil/sign-off' }] }, ['check-from-app']],
    ['a bypass actor', { bypassActors: [{ type: 'OrganizationAdmin' as const, id: 1 }] }, ['no-bypass']],
    ['bypass actors it does not show', { bypassActors: undefined }, ['no-bypass']],
    [
      'no pull request rule',
      { requiresPullRequest: false, restrictsDismissals: false },
      ['pull-request', 'dismissal-restrictions'],
    ],
    ['no non_fast_forward rule', { blocksForcePushes: false }, ['no-force-push']],
    ['no dismissal restriction', { restrictsDismissals: false }, ['dismissal-restrictions']],
  ])('a ruleset with %s is not enforced', (_, change, missing) => {
    const d = decideEnforcement(byRuleset(change), target);
    expect(d.enforced).toBe(false);
    expect(d.gaps.map((g) => g.setting)).toEqual(missing);
  });

  it('says how to set each missing setting, where in the settings and which API field', () => {
    const message = (change: Partial<ClassicProtectionFacts>) =>
      decideEnforcement(byClassic(change), target).gaps[0]!.message;
    expect(message({ enforceAdmins: false })).toContain(
      '"Do not allow bypassing the above settings" (Settings > Branches; API: enforce_admins)',
    );
    expect(message({ bypassAllowances: [{ type: 'Team', name: 'platform' }] })).toBe(
      'branch protection lets Team platform bypass the pull request: clear "Allow specified actors to bypass required pull requests" (Settings > Branches; API: required_pull_request_reviews.bypass_pull_request_allowances)',
    );
    expect(message({ allowsForcePushes: true })).toContain(
      'untick "Allow force pushes" (Settings > Branches; API: allow_force_pushes)',
    );
    expect(message({ restrictsDismissals: false })).toContain(
      'required_pull_request_reviews.dismissal_restrictions',
    );
    expect(message({ requiredChecks: [{ context: 'vigil/sign-off', appId: 99 }] })).toBe(
      "the branch requires vigil/sign-off but is pinned to App 99, not to Vigil's App (17): choose Vigil's App as the check's source (API: required_status_checks.checks[].app_id = 17; ruleset integration_id = 17)",
    );
    const hidden = decideEnforcement(byRuleset({ bypassActors: undefined }), target).gaps[0]!.message;
    expect(hidden).toContain('Vigil cannot see who may bypass ruleset "governed main" (id 7)');
    const actors = decideEnforcement(
      byRuleset({ bypassActors: [{ type: 'Team', id: 42 }, { type: 'OrganizationAdmin' }] }),
      target,
    ).gaps[0]!.message;
    expect(actors).toBe(
      'ruleset "governed main" (id 7) lets Team #42, OrganizationAdmin bypass it: empty its "Bypass list" (Settings > Rules > Rulesets; API: bypass_actors)',
    );
  });

  it('says plainly that a personal token cannot pin the check, however well the branch is protected', () => {
    const d = decideEnforcement(byClassic({}, null), target);
    expect(d).toMatchObject({ enforced: false, reason: 'PersonalToken' });
    expect(d.gaps).toEqual([
      {
        setting: 'check-from-app',
        hint: 'personal token: cannot pin',
        message:
          "Vigil acts with a personal token, not as a GitHub App (no check run it wrote names an App): a personal token's check cannot be pinned to an App, so anyone with write access could post a passing vigil/sign-off; run Vigil as a GitHub App and pin the check to it",
      },
    ]);
  });

  it('names everything when the branch has no protection at all', () => {
    expect(settings({ appId: APP, rulesets: [] })).toEqual([
      'required-check',
      'pull-request',
      'no-force-push',
      'dismissal-restrictions',
    ]);
    expect(settings({ rulesets: [] })).toEqual([
      'required-check',
      'check-from-app',
      'pull-request',
      'no-force-push',
      'dismissal-restrictions',
    ]);
    expect(decideEnforcement(undefined, target).reason).toBe('CheckNotRequired');
  });

  it('counts a setting held by one protection nobody may bypass, whatever another lets through', () => {
    // Rules layer: administrators escape classic protection, but the ruleset still holds them.
    expect(
      decideEnforcement(
        { appId: APP, classic: { ...classic, enforceAdmins: false }, rulesets: [ruleset] },
        target,
      ),
    ).toMatchObject({ enforced: true, enforcedBy: 'ruleset' });
    // A ruleset with a bypass list that adds only what classic protection already holds changes nothing.
    expect(
      decideEnforcement(
        { appId: APP, classic, rulesets: [{ ...ruleset, bypassActors: [{ type: 'Team', id: 3 }] }] },
        target,
      ).enforced,
    ).toBe(true);
    // Pull request allowances skip the pull request, not the pinned check: a ruleset requiring pull requests
    // without a bypass list closes that.
    const pullRequestsOnly: RulesetFacts = { ...ruleset, requiredChecks: [], blocksForcePushes: false };
    expect(
      decideEnforcement(
        {
          appId: APP,
          classic: { ...classic, bypassAllowances: [{ type: 'User', name: 'ds-lead' }] },
          rulesets: [pullRequestsOnly],
        },
        target,
      ).enforced,
    ).toBe(true);
  });

  it('names the bypass that opens a setting only one bypassable protection holds', () => {
    const d = decideEnforcement(
      {
        appId: APP,
        classic: { ...classic, requiredChecks: [{ context: 'vigil/sign-off' }] },
        rulesets: [{ ...ruleset, bypassActors: [{ type: 'RepositoryRole', id: 5 }] }],
      },
      target,
    );
    expect(d.enforced).toBe(false);
    expect(d.gaps.map((g) => [g.setting, g.hint])).toEqual([
      ['no-bypass', 'bypass_actors of ruleset "governed main" (id 7)'],
    ]);
  });
});
