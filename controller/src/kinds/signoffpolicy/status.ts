// A sign-off policy's status: whether the teams behind its roles exist, and whether the branch it guards really
// requires its check. A policy the branch does not enforce blocks nothing, so it is not Ready.
import type { SignoffPolicySpec, SignoffPolicyStatus } from '../../../../specs/signoffpolicy.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition, MESSAGE_LIMIT } from '../conditions.js';

export { MESSAGE_LIMIT };

/** Active members of a team as the forge reports them. */
export interface TeamMembership {
  members: readonly string[];
}

/** What the forge says protects the branch. */
export interface BranchProtection {
  requiredChecks: readonly string[];
  source: 'branch-protection' | 'ruleset';
}

export interface SignoffPolicyObservation {
  spec: SignoffPolicySpec;
  /**
   * Membership per team (`org/team`), a team missing from the record was not found; undefined as a whole when
   * no forge is configured, and then nothing below is checked.
   */
  teams?: Readonly<Record<string, TeamMembership | undefined>>;
  /** Protection of the enforcement branch; undefined when the branch has none (or no forge is configured). */
  protection?: BranchProtection;
}

export interface SignoffPolicyDecision {
  status: Pick<SignoffPolicyStatus, 'teams' | 'enforced' | 'enforcedBy'>;
  conditions: ConditionUpdate[];
  events: EventSpec[];
}

export function decideSignoffPolicyStatus(input: SignoffPolicyObservation): SignoffPolicyDecision {
  const { spec } = input;
  const { repository, branch, checkName } = spec.enforcement;
  if (input.teams === undefined) {
    const message = `no forge is configured: the teams and the protection of ${branch} of ${repository} are not checked`;
    return {
      status: {
        teams: spec.roles.map((r) => ({ role: r.name, team: r.team, resolved: false })),
        enforced: undefined,
        enforcedBy: undefined,
      },
      conditions: [
        condition('Ready', 'Unknown', 'NoForge', message),
        condition('TeamsResolved', 'Unknown', 'NoForge', message),
        condition('Enforced', 'Unknown', 'NoForge', message),
      ],
      events: [],
    };
  }

  const teams = spec.roles.map((r) => {
    const found = input.teams![r.team];
    return found
      ? { role: r.name, team: r.team, members: found.members.length, resolved: true }
      : { role: r.name, team: r.team, resolved: false };
  });
  const notFound = teams.filter((t) => !t.resolved);
  const empty = teams.filter((t) => t.resolved && t.members === 0);
  const teamsResolved =
    notFound.length > 0
      ? condition(
          'TeamsResolved',
          'False',
          'TeamNotFound',
          notFound.map((t) => `role ${t.role}: team ${t.team} not found`).join('; ') +
            ': no one can fill the role',
        )
      : empty.length > 0
        ? condition(
            'TeamsResolved',
            'False',
            'EmptyTeam',
            `${empty.map((t) => `role ${t.role}: team ${t.team} has no active members`).join('; ')}: no one can fill the role`,
          )
        : condition(
            'TeamsResolved',
            'True',
            'TeamsFound',
            `${teams.length} role${teams.length === 1 ? '' : 's'}, each team found with active members`,
          );

  const enforced = input.protection?.requiredChecks.includes(checkName) ?? false;
  const notBlocked = `branch ${branch} of ${repository} does not require ${checkName}: merges are not blocked`;
  const enforcedCondition = enforced
    ? condition(
        'Enforced',
        'True',
        'CheckRequired',
        `branch ${branch} of ${repository} requires ${checkName} (${input.protection!.source})`,
      )
    : condition('Enforced', 'False', 'CheckNotRequired', notBlocked);

  const ready =
    enforcedCondition.status !== 'True'
      ? condition('Ready', 'False', enforcedCondition.reason, enforcedCondition.message)
      : teamsResolved.status !== 'True'
        ? condition('Ready', 'False', teamsResolved.reason, teamsResolved.message)
        : condition('Ready', 'True', 'Enforced', `${enforcedCondition.message}; ${teamsResolved.message}`);

  return {
    status: { teams, enforced, enforcedBy: enforced ? input.protection!.source : undefined },
    conditions: [ready, teamsResolved, enforcedCondition],
    events: enforced ? [] : [{ type: 'Warning', reason: 'CheckNotRequired', message: notBlocked }],
  };
}
