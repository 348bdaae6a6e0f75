// A sign-off policy's status: whether the teams behind its roles exist, and whether the branch it guards really
// holds its check (see enforcement.ts). A policy the branch does not enforce blocks nothing, so it is not Ready.
import type { SignoffPolicySpec, SignoffPolicyStatus } from '../../../../specs/signoffpolicy.js';
import type { BranchProtectionFacts } from '../../forge/forge.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition, MESSAGE_LIMIT } from '../conditions.js';
import { decideEnforcement } from './enforcement.js';

export { MESSAGE_LIMIT };

/** Active members of a team as the forge reports them. */
export interface TeamMembership {
  members: readonly string[];
}

export interface SignoffPolicyObservation {
  spec: SignoffPolicySpec;
  /**
   * Membership per team (`org/team`), a team missing from the record was not found; undefined as a whole when
   * no forge is configured, and then nothing below is checked.
   */
  teams?: Readonly<Record<string, TeamMembership | undefined>>;
  /** What protects the enforcement branch, and the App Vigil acts as; read whenever `teams` is. */
  protection?: BranchProtectionFacts;
}

export interface SignoffPolicyDecision {
  status: Pick<
    SignoffPolicyStatus,
    'teams' | 'enforced' | 'enforcedBy' | 'missingProtection' | 'protectionGaps'
  >;
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
        missingProtection: undefined,
        protectionGaps: undefined,
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

  const where = `branch ${branch} of ${repository}`;
  const enforcement = decideEnforcement(input.protection, { repository, branch, checkName });
  const enforcedCondition = enforcement.enforced
    ? condition(
        'Enforced',
        'True',
        'BranchProtected',
        `${where} holds the gate: ${checkName} required from Vigil's App ${input.protection?.appId} (${enforcement.enforcedBy}), administrators included, no bypass, pull requests only, no force push, dismissals restricted`,
      )
    : condition(
        'Enforced',
        'False',
        enforcement.reason,
        `${where} does not hold the sign-off gate${enforcement.reason === 'CheckNotRequired' ? ' (merges are not blocked)' : ''}; missing: ${enforcement.gaps.map((g) => `${g.setting} (${g.hint})`).join(', ')}`,
      );
  const warning = `${where} does not hold the sign-off gate: ${enforcement.gaps.map((g) => `${g.setting}: ${g.message}`).join('; ')}`;

  const ready =
    enforcedCondition.status !== 'True'
      ? condition('Ready', 'False', enforcedCondition.reason, enforcedCondition.message)
      : teamsResolved.status !== 'True'
        ? condition('Ready', 'False', teamsResolved.reason, teamsResolved.message)
        : condition('Ready', 'True', 'Enforced', `${enforcedCondition.message}; ${teamsResolved.message}`);

  return {
    status: {
      teams,
      enforced: enforcement.enforced,
      enforcedBy: enforcement.enforcedBy,
      missingProtection: enforcement.enforced ? undefined : enforcement.gaps.map((g) => g.setting),
      protectionGaps: enforcement.enforced
        ? undefined
        : enforcement.gaps.map((g) => ({ setting: g.setting, message: g.message })),
    },
    conditions: [ready, teamsResolved, enforcedCondition],
    events: enforcement.enforced ? [] : [{ type: 'Warning', reason: enforcement.reason, message: warning }],
  };
}
