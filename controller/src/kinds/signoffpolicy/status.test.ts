import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SignoffPolicy } from '../../../../specs/signoffpolicy.js';
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
const required = { requiredChecks: ['ci/build', 'vigil/sign-off'], source: 'ruleset' as const };

describe('decideSignoffPolicyStatus', () => {
  it('is Ready when every team is found and the branch requires the check', () => {
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
          'branch main of northwind-health/ai-deployments requires vigil/sign-off (ruleset); 4 roles, each team found with active members',
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
        reason: 'CheckRequired',
        message: 'branch main of northwind-health/ai-deployments requires vigil/sign-off (ruleset)',
      },
    ]);
    expect(d.events).toEqual([]);
  });

  const notBlocked =
    'branch main of northwind-health/ai-deployments does not require vigil/sign-off: merges are not blocked';
  it.each([
    ['protection without the check', { requiredChecks: ['ci/build'], source: 'branch-protection' as const }],
    ['no protection at all', undefined],
  ])('warns that merges are not blocked: %s', (_, protection) => {
    const d = decideSignoffPolicyStatus({ spec, teams: allTeams, ...(protection ? { protection } : {}) });
    expect(d.status.enforced).toBe(false);
    expect(d.status.enforcedBy).toBeUndefined();
    expect(d.conditions.find((c) => c.type === 'Enforced')).toEqual({
      type: 'Enforced',
      status: 'False',
      reason: 'CheckNotRequired',
      message: notBlocked,
    });
    expect(d.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'CheckNotRequired' });
    expect(d.events).toEqual([{ type: 'Warning', reason: 'CheckNotRequired', message: notBlocked }]);
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
