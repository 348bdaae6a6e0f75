import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SignoffPolicy } from '../../../../specs/signoffpolicy.js';
import type { BranchProtectionFacts } from '../../forge/forge.js';
import { decideSignoffPolicyStatus, type TeamMembership } from './status.js';

const spec = SignoffPolicy.parse(
  parse(
    readFileSync(
      new URL('../../../../examples/revenue-cycle/governance-signoff.yaml', import.meta.url),
      'utf8',
    ),
  ),
).spec;
const members = (...logins: string[]): TeamMembership => ({ members: logins });
const allTeams: Record<string, TeamMembership> = {
  'northwind-health/data-science': members('ds-lead', 'ds-2'),
  'northwind-health/clinical-safety': members('cmio-office'),
  'northwind-health/compliance': members('compliance-officer'),
  'northwind-health/revenue-cycle-leads': members('revcycle-director'),
};
const ruleset = {
  id: 7,
  name: 'governed main',
  requiredChecks: [{ context: 'ci/build' }, { context: 'vigil/sign-off', appId: 17 }],
  requiresPullRequest: true,
  blocksForcePushes: true,
  restrictsDismissals: true,
  bypassActors: [],
};
const required: BranchProtectionFacts = { appId: 17, rulesets: [ruleset] };

describe('decideSignoffPolicyStatus', () => {
  it('is Ready when every team is found and the branch holds the gate', () => {
    const d = decideSignoffPolicyStatus({ spec, teams: allTeams, protection: required });
    expect(d.status).toEqual({
      teams: [
        { role: 'data-science', team: 'northwind-health/data-science', members: 2, resolved: true },
        { role: 'clinical-safety', team: 'northwind-health/clinical-safety', members: 1, resolved: true },
        { role: 'compliance', team: 'northwind-health/compliance', members: 1, resolved: true },
        {
          role: 'revenue-cycle-operations',
          team: 'northwind-health/revenue-cycle-leads',
          members: 1,
          resolved: true,
        },
      ],
      enforced: true,
      enforcedBy: 'ruleset',
    });
    expect(d.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Enforced',
        message:
          "branch main of northwind-health/ai-deployments holds the gate: vigil/sign-off required from Vigil's App 17 (ruleset), administrators included, no bypass, pull requests only, no force push, dismissals restricted; 4 roles, each team found with active members",
      },
      {
        type: 'TeamsResolved',
        status: 'True',
        reason: 'TeamsFound',
        message: '4 roles, each team found with active members',
      },
      {
        type: 'Enforced',
        status: 'True',
        reason: 'BranchProtected',
        message:
          "branch main of northwind-health/ai-deployments holds the gate: vigil/sign-off required from Vigil's App 17 (ruleset), administrators included, no bypass, pull requests only, no force push, dismissals restricted",
      },
    ]);
    expect(d.events).toEqual([]);
  });

  it('is not Ready where the branch lacks a setting: names each in status, condition and a Warning Event', () => {
    const weak: BranchProtectionFacts = {
      appId: 17,
      rulesets: [{ ...ruleset, blocksForcePushes: false, bypassActors: [{ type: 'Team', id: 42 }] }],
    };
    const d = decideSignoffPolicyStatus({ spec, teams: allTeams, protection: weak });
    expect(d.status).toMatchObject({
      enforced: false,
      enforcedBy: undefined,
      missingProtection: ['no-bypass', 'no-force-push'],
    });
    expect(d.status.protectionGaps?.map((g) => g.setting)).toEqual(['no-bypass', 'no-force-push']);
    const message =
      'branch main of northwind-health/ai-deployments does not hold the sign-off gate; missing: no-bypass (bypass_actors of ruleset "governed main" (id 7)), no-force-push (allow_force_pushes)';
    expect(d.conditions.find((c) => c.type === 'Enforced')).toEqual({
      type: 'Enforced',
      status: 'False',
      reason: 'ProtectionIncomplete',
      message,
    });
    expect(d.conditions[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ProtectionIncomplete',
      message,
    });
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({ type: 'Warning', reason: 'ProtectionIncomplete' });
    expect(d.events[0]!.message).toBe(
      `branch main of northwind-health/ai-deployments does not hold the sign-off gate: ${d.status.protectionGaps!.map((g) => `${g.setting}: ${g.message}`).join('; ')}`,
    );
  });

  it.each([
    [
      'protection without the check',
      { appId: 17, rulesets: [{ ...ruleset, requiredChecks: [{ context: 'ci/build' }] }] },
      'CheckNotRequired',
    ],
    ['no protection at all', { appId: 17, rulesets: [] }, 'CheckNotRequired'],
    ['a personal token', { rulesets: [ruleset] }, 'PersonalToken'],
  ])('warns that the gate does not hold: %s', (_, protection, reason) => {
    const d = decideSignoffPolicyStatus({ spec, teams: allTeams, protection });
    expect(d.status.enforced).toBe(false);
    expect(d.conditions.find((c) => c.type === 'Enforced')).toMatchObject({ status: 'False', reason });
    expect(d.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason });
    expect(d.events).toEqual([expect.objectContaining({ type: 'Warning', reason })]);
  });

  it('names a team the forge does not know, and an empty one', () => {
    const { 'northwind-health/compliance': _, ...rest } = allTeams;
    const missing = decideSignoffPolicyStatus({ spec, teams: rest, protection: required });
    expect(missing.status.teams?.[2]).toEqual({
      role: 'compliance',
      team: 'northwind-health/compliance',
      resolved: false,
    });
    expect(missing.conditions[1]).toEqual({
      type: 'TeamsResolved',
      status: 'False',
      reason: 'TeamNotFound',
      message: 'role compliance: team northwind-health/compliance not found: no one can fill the role',
    });
    expect(missing.conditions[0]).toMatchObject({ status: 'False', reason: 'TeamNotFound' });

    const empty = decideSignoffPolicyStatus({
      spec,
      teams: { ...allTeams, 'northwind-health/compliance': members() },
      protection: required,
    });
    expect(empty.conditions[1]).toMatchObject({
      status: 'False',
      reason: 'EmptyTeam',
      message:
        'role compliance: team northwind-health/compliance has no active members: no one can fill the role',
    });
  });

  it('checks nothing without a forge', () => {
    const d = decideSignoffPolicyStatus({ spec });
    const message =
      'no forge is configured: the teams and the protection of main of northwind-health/ai-deployments are not checked';
    expect(d.conditions).toEqual([
      { type: 'Ready', status: 'Unknown', reason: 'NoForge', message },
      { type: 'TeamsResolved', status: 'Unknown', reason: 'NoForge', message },
      { type: 'Enforced', status: 'Unknown', reason: 'NoForge', message },
    ]);
    expect(d.status.enforced).toBeUndefined();
    expect(d.status.teams?.every((t) => !t.resolved && t.members === undefined)).toBe(true);
    expect(d.events).toEqual([]);
  });
});
