// evaluateSignoff: does this pull request carry the sign-off its risk class requires? A pure function of the policy,
// the pull request, its reviews, team membership and the time: the controller gathers those, this decides, and
// renderCheckRun turns the decision into the `vigil/sign-off` check. It fails closed: whatever it cannot see or
// verify makes the answer `failure` with a reason, never `success`.
import { parseDuration } from '../../../specs/common.js';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import { assignRoles } from './assignment.js';

// --- what the controller observed -------------------------------------------------------------------------------

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

/** A pull request review as the forge reports it. */
export interface Review {
  id: number;
  /** Reviewer's login; a deleted account is reported by GitHub as "ghost". */
  login: string;
  state: ReviewState;
  /** RFC 3339; absent while the review is still pending (not submitted). */
  submittedAt?: string;
  /** Head commit the review was given on. */
  commitId: string;
}

/** A commit of the pull request, with the GitHub accounts its author and committer resolve to. */
export interface PullRequestCommit {
  sha: string;
  /** Undefined or null when the commit's author e-mail is linked to no GitHub account. */
  authorLogin?: string | null;
  committerLogin?: string | null;
  /** The commit message: its `Co-authored-by:` trailers name more people who wrote the change. */
  message?: string;
  /** Whether the forge verified the commit's signature (GitHub's `verification.verified`). */
  verified?: boolean;
  /** Who pushed the commit, as push webhooks and the timeline told; Vigil's own commits name Vigil. */
  pushers?: readonly string[];
}

/** Who dismissed a review and what it said before, from the pull request's timeline. */
export interface ReviewDismissal {
  reviewId: number;
  /** Who dismissed it. */
  by: string;
  /** The review's state before the dismissal, e.g. CHANGES_REQUESTED. */
  previousState: ReviewState;
  at?: string;
}

export interface PullRequestFacts {
  author: string;
  headSha: string;
  commits: readonly PullRequestCommit[];
  /** When the head branch was last pushed to; approvals submitted before it are stale even on the same sha. */
  lastPushAt?: string;
  /**
   * Everyone the forge records force-pushing the head branch, whether or not the commits they left remain: they
   * changed the pull request, so they cannot sign it off.
   */
  branchPushers?: readonly string[];
}

/** Members of one team. A user whose membership is pending (invited, not accepted) is not a member. */
export interface TeamMembership {
  active: readonly string[];
  pending?: readonly string[];
}

export interface SignoffInput {
  /** The policy's spec as parsed (rules defaulted); undefined when it could not be read. */
  policy: SignoffPolicySpec | undefined;
  riskClass: string | undefined;
  /** Undefined when the pull request could not be read. */
  pullRequest: PullRequestFacts | undefined;
  /** Undefined when the reviews could not be read; an empty list means there are none. */
  reviews: readonly Review[] | undefined;
  /** Membership by team (`org/team`, as the policy writes it); a team absent here is unknown. */
  teams: Readonly<Record<string, TeamMembership | undefined>>;
  /** Whether this pull request is a rollback allowed to merge under the policy's break-glass roles. */
  breakGlass?: { eligibleRollback: boolean };
  /**
   * Every review dismissal on the pull request, read from its timeline; undefined when it was not read. Needed
   * only when a review was dismissed: a dismissed objection may still stand.
   */
  dismissals?: readonly ReviewDismissal[];
  /** Facts found outside the reviews that block on their own (a claimed file, a change Vigil did not make). */
  blockers?: readonly Blocker[];
  now: Date;
}

/** The risk classes whose policies require verified commits unless they say otherwise. */
const VERIFIED_BY_DEFAULT = new Set(['clinical-decision-support', 'medical-device']);

/** Whether commits must be verified (signed, or pushed by someone Vigil saw) for this risk class. */
export function requiresVerifiedCommits(rules: SignoffRules, riskClass: string | undefined): boolean {
  return rules.requireVerifiedCommits ?? (riskClass !== undefined && VERIFIED_BY_DEFAULT.has(riskClass));
}

// --- the decision -----------------------------------------------------------------------------------------------

/** Why a review did not count (or did not count for a particular role). */
export type IgnoredReason =
  | 'not-submitted'
  | 'invalid-time'
  | 'comment-only'
  | 'superseded'
  | 'dismissed'
  | 'self-approval'
  | 'committer'
  | 'stale'
  | 'expired'
  | 'not-a-member'
  | 'pending-membership'
  | 'separation-of-duties'
  | 'role-already-filled'
  | 'changes-requested';

export interface IgnoredReview {
  reviewId: number;
  login: string;
  state: ReviewState;
  at?: string;
  commit: string;
  reason: IgnoredReason;
  /** Plain-language explanation for the check run. */
  message: string;
  /** The role it did not count for, where the reason concerns one role (separation of duties). */
  role?: string;
}

export interface SignedBy {
  login: string;
  at: string;
  reviewId: number;
  commit: string;
}

export type MissingCode =
  | 'no-approval'
  | 'no-valid-approval'
  | 'separation-of-duties'
  | 'no-active-members'
  | 'membership-unknown'
  | 'role-not-defined'
  | 'not-evaluated';

export interface RoleResult {
  role: string;
  team: string;
  filledBy?: SignedBy;
  missing?: { code: MissingCode; message: string };
}

export type BlockerCode =
  | 'policy-unavailable'
  | 'invalid-policy'
  | 'no-requirement'
  | 'pull-request-unavailable'
  | 'reviews-unavailable'
  | 'commits-unavailable'
  | 'unidentified-commit'
  | 'unidentified-co-author'
  | 'unverified-commit'
  | 'dismissal-unknown'
  | 'claimed-file'
  | 'too-many-files'
  | 'unversioned-breaking-change'
  | 'changes-requested';

export interface Blocker {
  code: BlockerCode;
  message: string;
  login?: string;
  reviewId?: number;
}

export interface BreakGlassGrant {
  role: string;
  team: string;
  by: SignedBy;
  /** Required roles not yet signed off: the retrospective sign-off owed after the merge. */
  retrospectiveRoles: string[];
  /** The break-glass approval's time plus the policy's `retrospectiveWithin`. */
  retrospectiveDue: string;
}

export type SignoffRules = SignoffPolicySpec['rules'];

export interface SignoffResult {
  /** Only ever `success` or `failure`: a gate that cannot decide blocks. */
  conclusion: 'success' | 'failure';
  riskClass?: string;
  /** The rules the approvals were held to (absent when the policy could not be read). */
  rules?: SignoffRules;
  headSha?: string;
  roles: RoleResult[];
  ignored: IgnoredReview[];
  blockers: Blocker[];
  filled: number;
  required: number;
  /** e.g. "2/3 roles signed off". */
  summary: string;
  breakGlass?: BreakGlassGrant;
  /** Facts worth telling that neither block nor fill a role, e.g. why break-glass was not granted. */
  notes: string[];
  /** When the result changes with no new event (the earliest counted approval expires): evaluate again then. */
  reevaluateAt?: string;
}

// --- evaluation -------------------------------------------------------------------------------------------------

interface TimedReview extends Review {
  ms: number;
}

/** GitHub logins are case-insensitive. */
const key = (login: string) => login.toLowerCase();
const short = (sha: string) => sha.slice(0, 7);

export function evaluateSignoff(input: SignoffInput): SignoffResult {
  const { policy, pullRequest, reviews, now } = input;
  const blockers: Blocker[] = [...(input.blockers ?? [])];
  const notes: string[] = [];

  if (!policy) {
    return failClosed(
      input,
      [],
      [{ code: 'policy-unavailable', message: 'The sign-off policy could not be read.' }],
    );
  }
  const requirement = policy.requirements.find((r) => r.riskClass === input.riskClass);
  if (!requirement) {
    const classes = policy.requirements.map((r) => r.riskClass).join(', ');
    return failClosed(
      input,
      [],
      [
        {
          code: 'no-requirement',
          message: input.riskClass
            ? `The policy names no roles for risk class "${input.riskClass}" (it covers: ${classes}); no change of that class can be signed off.`
            : 'The use case has no risk class, so the roles it needs are unknown.',
        },
      ],
    );
  }
  const requiredRoles = [...new Set(requirement.roles)];
  const roleDefs = new Map(policy.roles.map((r) => [r.name, r]));
  const skeleton: RoleResult[] = requiredRoles.map((role) => ({
    role,
    team: roleDefs.get(role)?.team ?? '',
  }));

  if (!pullRequest) {
    return failClosed(input, skeleton, [
      { code: 'pull-request-unavailable', message: 'The pull request could not be read.' },
    ]);
  }
  if (!reviews) {
    return failClosed(input, skeleton, [
      {
        code: 'reviews-unavailable',
        message: 'The reviews of the pull request could not be read; approvals cannot be verified.',
      },
    ]);
  }

  const rules = policy.rules;
  let expiryMs: number | undefined;
  if (rules.approvalExpiry !== undefined) {
    const seconds = parseDuration(rules.approvalExpiry);
    if (seconds === undefined) {
      return failClosed(input, skeleton, [
        {
          code: 'invalid-policy',
          message: `rules.approvalExpiry "${rules.approvalExpiry}" is not a duration such as "14d".`,
        },
      ]);
    }
    expiryMs = seconds * 1000;
  }
  const lastPushMs = pullRequest.lastPushAt !== undefined ? Date.parse(pullRequest.lastPushAt) : undefined;
  const nowMs = now.getTime();

  // Who wrote the change: every commit's author and committer, everyone its `Co-authored-by:` trailers name, and
  // whoever pushed it. Commit metadata is written by whoever pushes, so where the policy asks for verified
  // commits, a commit counts as known only when its signature is verified or Vigil saw who pushed it.
  const author = key(pullRequest.author);
  const committers = new Set<string>();
  const verifiedRequired = requiresVerifiedCommits(rules, input.riskClass);
  if (pullRequest.commits.length === 0 && rules.committersCannotApprove) {
    // Every pull request has a commit: none listed means they were not read, not that nobody wrote the change.
    blockers.push({
      code: 'commits-unavailable',
      message:
        'No commits were listed for the pull request, so its committers cannot be excluded from signing off.',
    });
  }
  for (const pusher of pullRequest.branchPushers ?? []) committers.add(key(pusher));
  for (const commit of pullRequest.commits) {
    const unlinked: string[] = [];
    for (const [who, login] of [
      ['author', commit.authorLogin],
      ['committer', commit.committerLogin],
    ] as const) {
      if (login) committers.add(key(login));
      else unlinked.push(who);
    }
    for (const pusher of commit.pushers ?? []) committers.add(key(pusher));
    if (unlinked.length > 0 && rules.committersCannotApprove) {
      blockers.push({
        code: 'unidentified-commit',
        message: `The ${unlinked.join(' and ')} of commit ${short(commit.sha)} ${unlinked.length > 1 ? 'are' : 'is'} linked to no GitHub account, so no approver can be shown not to have written it; link the e-mail address to an account or rewrite the commit.`,
      });
    }
    for (const trailer of coAuthors(commit.message ?? '')) {
      if (trailer.login) committers.add(key(trailer.login));
      else if (rules.committersCannotApprove) {
        blockers.push({
          code: 'unidentified-co-author',
          message: `Commit ${short(commit.sha)} names co-author "${trailer.name}" <${trailer.email}>, an address Vigil cannot tie to an account, so no approver can be shown not to have written it; write the co-author's GitHub no-reply address (login@users.noreply.github.com) or rewrite the commit.`,
        });
      }
    }
    if (verifiedRequired && commit.verified !== true && (commit.pushers ?? []).length === 0) {
      blockers.push({
        code: 'unverified-commit',
        message: `Commit ${short(commit.sha)} has no verified signature and Vigil saw nobody push it, so who wrote it is unproven; this policy requires verified commits (rules.requireVerifiedCommits). Sign the commit, or push it again while Vigil receives push webhooks.`,
      });
    }
  }

  // Teams: the required roles', and the break-glass roles' when break-glass may apply.
  const breakGlassApplies = Boolean(policy.breakGlass && input.breakGlass?.eligibleRollback);
  const breakGlassRoles = breakGlassApplies ? [...new Set(policy.breakGlass?.roles ?? [])] : [];
  const teamOf = (role: string) => roleDefs.get(role)?.team;
  const membership = (team: string | undefined) => (team === undefined ? undefined : input.teams[team]);
  const activeIn = (team: string | undefined, login: string) =>
    membership(team)?.active.some((m) => key(m) === key(login)) ?? false;
  const pendingIn = (team: string | undefined, login: string) =>
    membership(team)?.pending?.some((m) => key(m) === key(login)) ?? false;
  const relevantRoles = [...new Set([...requiredRoles, ...breakGlassRoles])];

  // Each person's effective review follows GitHub: the latest APPROVED, CHANGES_REQUESTED or DISMISSED review; a
  // COMMENTED review neither grants nor withdraws anything.
  const ignored: IgnoredReview[] = [];
  const ignore = (r: Review, reason: IgnoredReason, message: string, role?: string) =>
    ignored.push({
      reviewId: r.id,
      login: r.login,
      state: r.state,
      ...(r.submittedAt !== undefined ? { at: r.submittedAt } : {}),
      commit: r.commitId,
      reason,
      message,
      ...(role !== undefined ? { role } : {}),
    });

  const timed: TimedReview[] = [];
  for (const r of reviews) {
    if (r.state === 'PENDING' || r.submittedAt === undefined) {
      ignore(r, 'not-submitted', 'Started but not submitted: a pending review approves nothing.');
      continue;
    }
    const ms = Date.parse(r.submittedAt);
    if (Number.isNaN(ms)) {
      ignore(
        r,
        'invalid-time',
        `Its submission time "${r.submittedAt}" cannot be read, so it cannot be checked.`,
      );
      continue;
    }
    timed.push({ ...r, ms });
  }
  timed.sort((a, b) => a.ms - b.ms || a.id - b.id);

  const effective = new Map<string, TimedReview>();
  for (const r of timed) {
    if (r.state === 'COMMENTED') {
      ignore(r, 'comment-only', 'A comment: it neither approves nor withdraws an earlier review.');
      continue;
    }
    const earlier = effective.get(key(r.login));
    if (earlier) {
      ignore(
        earlier,
        'superseded',
        `Replaced by ${r.login}'s later review (${r.state.toLowerCase().replace('_', ' ')}, #${r.id}); only a person's latest review counts.`,
      );
    }
    effective.set(key(r.login), r);
  }

  // With no approval and no objection to check, nobody's membership matters: the gate need not read the teams.
  const anyVerdict = [...effective.values()].some(
    (r) => r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED' || r.state === 'DISMISSED',
  );

  // Who may lift someone else's objection by dismissing it: active members of the roles the policy names, never
  // the author or anyone who wrote the change.
  const dismisserTeams = rules.objectionsDismissibleBy.map(teamOf);
  const mayLift = (by: string, reviewer: string) =>
    key(by) === key(reviewer) ||
    (key(by) !== author &&
      !committers.has(key(by)) &&
      dismisserTeams.some((team) => team !== undefined && activeIn(team, by)));

  // Changes requested by someone the gate listens to blocks until that person's later review replaces it, or a
  // person the policy names dismisses it. It is not invalidated by a push or by time: an objection stands until
  // its owner withdraws it; a dismissal by the author, or by anyone else, leaves it standing.
  const approvals: TimedReview[] = [];
  for (const r of effective.values()) {
    const memberRoles = relevantRoles.filter((role) => activeIn(teamOf(role), r.login));
    const teams = [...new Set(memberRoles.map((role) => teamOf(role)))].join(', ');
    if (r.state === 'DISMISSED') {
      const d = input.dismissals?.find((x) => x.reviewId === r.id);
      if (memberRoles.length > 0 && !d) {
        ignore(r, 'dismissed', 'Dismissed on the pull request; who dismissed it could not be read.');
        blockers.push({
          code: 'dismissal-unknown',
          login: r.login,
          reviewId: r.id,
          message: `Review #${r.id} by ${r.login} (${teams}) was dismissed, but the pull request's timeline does not say what it was or who dismissed it, so a standing objection cannot be ruled out.`,
        });
      } else if (
        memberRoles.length > 0 &&
        d?.previousState === 'CHANGES_REQUESTED' &&
        !mayLift(d.by, r.login)
      ) {
        const named = rules.objectionsDismissibleBy;
        ignore(
          r,
          'changes-requested',
          `An objection from a member of ${teams}, dismissed by ${d.by}, who cannot lift it: it still blocks the merge.`,
        );
        blockers.push({
          code: 'changes-requested',
          login: r.login,
          reviewId: r.id,
          message: `${r.login} (${teams}) requested changes in review #${r.id}; ${d.by} dismissed it, but only ${r.login}${named.length > 0 ? ` or a member of the ${named.join(', ')} role${named.length > 1 ? 's' : ''} (not the author or a committer)` : ''} can lift it, so the merge stays blocked until ${r.login} approves.`,
        });
      } else {
        ignore(
          r,
          'dismissed',
          d ? `Dismissed on the pull request by ${d.by}.` : 'Dismissed on the pull request.',
        );
      }
      continue;
    }
    if (r.state === 'CHANGES_REQUESTED') {
      if (memberRoles.length > 0) {
        ignore(
          r,
          'changes-requested',
          `An objection from a member of ${teams}: it blocks the merge until ${r.login} approves.`,
        );
        blockers.push({
          code: 'changes-requested',
          login: r.login,
          reviewId: r.id,
          message: `${r.login} (${teams}) requested changes in review #${r.id}; the merge stays blocked until ${r.login} approves${rules.objectionsDismissibleBy.length > 0 ? ` or a member of ${rules.objectionsDismissibleBy.join(', ')} dismisses the review` : ''}.`,
        });
      } else {
        ignore(
          r,
          'not-a-member',
          'Changes requested by someone in none of the required teams: noted, but it does not block.',
        );
      }
      continue;
    }
    approvals.push(r);
  }
  // Earliest approval first: the order in which candidates are offered each role and break-glass.
  approvals.sort((a, b) => a.ms - b.ms || a.id - b.id);

  // An approval that survives these rules is valid; which roles it may fill is settled below.
  const valid: { review: TimedReview; roles: string[] }[] = [];
  for (const r of approvals) {
    if (rules.authorCannotApprove && key(r.login) === author) {
      ignore(
        r,
        'self-approval',
        `${r.login} opened the pull request; an author cannot sign off their own change.`,
      );
      continue;
    }
    if (rules.committersCannotApprove && committers.has(key(r.login))) {
      ignore(
        r,
        'committer',
        `${r.login} wrote or committed part of this change; a committer cannot sign it off.`,
      );
      continue;
    }
    if (rules.dismissOnPush) {
      if (r.commitId !== pullRequest.headSha) {
        ignore(
          r,
          'stale',
          `Given on commit ${short(r.commitId)}; the change has been pushed since (head is ${short(pullRequest.headSha)}), so it must be approved again.`,
        );
        continue;
      }
      if (lastPushMs !== undefined && !Number.isNaN(lastPushMs) && r.ms < lastPushMs) {
        ignore(
          r,
          'stale',
          `Given before the last push (${pullRequest.lastPushAt}), so it must be approved again.`,
        );
        continue;
      }
    }
    if (expiryMs !== undefined && nowMs >= r.ms + expiryMs) {
      ignore(
        r,
        'expired',
        `Expired: approvals count for ${rules.approvalExpiry} and this one was given ${r.submittedAt}.`,
      );
      continue;
    }
    const roles = relevantRoles.filter((role) => activeIn(teamOf(role), r.login));
    if (roles.length === 0) {
      const pendingTeams = [...new Set(relevantRoles.map(teamOf))].filter(
        (team): team is string => team !== undefined && pendingIn(team, r.login),
      );
      if (pendingTeams.length > 0) {
        ignore(
          r,
          'pending-membership',
          `${r.login}'s membership of ${pendingTeams.join(', ')} is pending (not yet accepted), so it does not count.`,
        );
      } else {
        ignore(
          r,
          'not-a-member',
          `${r.login} is not an active member of any team whose sign-off this change needs.`,
        );
      }
      continue;
    }
    valid.push({ review: r, roles });
  }

  // Fill the required roles: a maximum assignment under separation of duties, else each role's earliest approval.
  const candidates = new Map<string, string[]>();
  for (const role of requiredRoles) {
    candidates.set(
      role,
      valid.filter((v) => v.roles.includes(role)).map((v) => key(v.review.login)),
    );
  }
  const byLogin = new Map(valid.map((v) => [key(v.review.login), v]));
  const assignment = policy.rules.separationOfDuties
    ? assignRoles(requiredRoles, candidates)
    : new Map(
        requiredRoles.flatMap((role) => {
          const first = candidates.get(role)?.[0];
          return first === undefined ? [] : [[role, first] as const];
        }),
      );

  const roleResults: RoleResult[] = requiredRoles.map((role) => {
    const def = roleDefs.get(role);
    if (!def) {
      return {
        role,
        team: '',
        missing: { code: 'role-not-defined', message: `Role "${role}" is not defined in the policy.` },
      };
    }
    const assigned = assignment.get(role);
    const v = assigned === undefined ? undefined : byLogin.get(assigned);
    if (v) return { role, team: def.team, filledBy: signedBy(v.review) };
    return { role, team: def.team, missing: whyMissing(role, def.team) };
  });

  function whyMissing(role: string, team: string): { code: MissingCode; message: string } {
    const members = input.teams[team];
    if (!members && !anyVerdict) {
      return { code: 'no-approval', message: `Waiting for an approval from a member of ${team}.` };
    }
    if (!members) {
      return {
        code: 'membership-unknown',
        message: `The members of ${team} could not be read, so no approval can be checked against it.`,
      };
    }
    const eligible = valid.filter((v) => v.roles.includes(role));
    if (eligible.length > 0) {
      const held = eligible
        .map((v) => {
          const other = [...assignment].find(([, login]) => login === key(v.review.login))?.[0];
          return other ? `${v.review.login} already signs off as ${other}` : undefined;
        })
        .filter((s): s is string => s !== undefined);
      if (held.length > 0) {
        return {
          code: 'separation-of-duties',
          message: `${held.join('; ')}; one person fills at most one role, so another member of ${team} must approve.`,
        };
      }
    }
    if (members.active.length === 0) {
      return {
        code: 'no-active-members',
        message: `${team} has no active members, so nobody can fill this role.`,
      };
    }
    // Approvals from the team that did not count, a pending member's included: say why each failed.
    const people = [...members.active, ...(members.pending ?? [])].map(key);
    const fromTeam = ignored.filter((i) => i.state === 'APPROVED' && people.includes(key(i.login)));
    if (fromTeam.length > 0) {
      const list = fromTeam.map((i) => `${i.login} (${REASON_LABEL[i.reason]})`).join(', ');
      return { code: 'no-valid-approval', message: `No approval from ${team} counts: ${list}.` };
    }
    return { code: 'no-approval', message: `Waiting for an approval from a member of ${team}.` };
  }

  // Valid approvals that filled nothing, and people who could also have filled a role left open.
  const assignedLogins = new Map([...assignment].map(([role, login]) => [login, role]));
  for (const v of valid) {
    const login = key(v.review.login);
    const held = assignedLogins.get(login);
    const requiredHere = v.roles.filter((role) => requiredRoles.includes(role));
    if (held === undefined) {
      if (requiredHere.length === 0) continue; // a break-glass-only member; considered below
      const by = requiredHere
        .map((role) => {
          const other = assignment.get(role);
          const who = other === undefined ? undefined : byLogin.get(other)?.review.login;
          return who ? `${role} by ${who}` : role;
        })
        .join(', ');
      ignore(v.review, 'role-already-filled', `Not needed: already signed off (${by}).`);
      continue;
    }
    if (!policy.rules.separationOfDuties) continue;
    for (const role of requiredHere) {
      if (role === held || assignment.has(role)) continue;
      ignore(
        v.review,
        'separation-of-duties',
        `Counts for ${held} only: one person fills at most one role, so it cannot also sign off as ${role}.`,
        role,
      );
    }
  }

  const filled = roleResults.filter((r) => r.filledBy).length;
  const required = requiredRoles.length;
  const allFilled = filled === required;
  let conclusion: SignoffResult['conclusion'] = allFilled && blockers.length === 0 ? 'success' : 'failure';

  // Break-glass: a rollback may merge on one valid approval from a break-glass role; the usual roles sign off
  // afterwards. It never overrides a blocker (an objection or a commit nobody can be tied to).
  let breakGlass: BreakGlassGrant | undefined;
  if (conclusion === 'failure' && breakGlassApplies && policy.breakGlass) {
    const unknownTeams = relevantRoles
      .map(teamOf)
      .filter((team): team is string => team !== undefined && !input.teams[team]);
    const grant = valid
      .map((v) => ({ v, role: breakGlassRoles.find((role) => v.roles.includes(role)) }))
      .find((x) => x.role !== undefined);
    const within = parseDuration(policy.breakGlass.retrospectiveWithin);
    if (blockers.length > 0) {
      notes.push('Break-glass was not used: a blocker stands (see above).');
    } else if (unknownTeams.length > 0 && anyVerdict) {
      notes.push(
        `Break-glass was not used: the members of ${unknownTeams.join(', ')} could not be read, so an objection from them cannot be ruled out.`,
      );
    } else if (within === undefined) {
      notes.push(
        `Break-glass was not used: breakGlass.retrospectiveWithin "${policy.breakGlass.retrospectiveWithin}" is not a duration.`,
      );
    } else if (!grant?.role) {
      notes.push(
        `Break-glass is allowed for this rollback: one valid approval from ${breakGlassRoles.join(' or ')} lets it merge.`,
      );
    } else {
      const role = grant.role;
      const by = signedBy(grant.v.review);
      breakGlass = {
        role,
        team: teamOf(role) ?? '',
        by,
        retrospectiveRoles: roleResults.filter((r) => !r.filledBy).map((r) => r.role),
        retrospectiveDue: new Date(grant.v.review.ms + within * 1000).toISOString(),
      };
      conclusion = 'success';
    }
  }

  // Members of break-glass teams only, whose approval was valid but not what let the change through.
  if (breakGlassApplies) {
    for (const v of valid) {
      const requiredHere = v.roles.some((role) => requiredRoles.includes(role));
      if (requiredHere || v.review.id === breakGlass?.by.reviewId) continue;
      if (conclusion === 'success') {
        ignore(v.review, 'role-already-filled', 'Not needed: the change is already signed off.');
      }
    }
  }

  // The earliest time a counted approval expires: the result turns without any new event then.
  let reevaluateAt: string | undefined;
  if (expiryMs !== undefined) {
    const counted = [
      ...roleResults.flatMap((r) => (r.filledBy ? [Date.parse(r.filledBy.at)] : [])),
      ...(breakGlass ? [Date.parse(breakGlass.by.at)] : []),
    ];
    if (counted.length > 0) reevaluateAt = new Date(Math.min(...counted) + expiryMs).toISOString();
  }

  ignored.sort(byTimeThenId);
  return {
    conclusion,
    riskClass: input.riskClass,
    rules,
    headSha: pullRequest.headSha,
    roles: roleResults,
    ignored,
    blockers,
    filled,
    required,
    summary: `${filled}/${required} roles signed off`,
    ...(breakGlass ? { breakGlass } : {}),
    notes,
    ...(reevaluateAt ? { reevaluateAt } : {}),
  };
}

function signedBy(r: Review & { submittedAt?: string }): SignedBy {
  return { login: r.login, at: r.submittedAt ?? '', reviewId: r.id, commit: r.commitId };
}

function failClosed(input: SignoffInput, roles: RoleResult[], blockers: Blocker[]): SignoffResult {
  const notEvaluated = roles.map((r) => ({
    ...r,
    missing: { code: 'not-evaluated' as const, message: 'Not evaluated: see the blocker above.' },
  }));
  return {
    conclusion: 'failure',
    ...(input.riskClass !== undefined ? { riskClass: input.riskClass } : {}),
    ...(input.policy ? { rules: input.policy.rules } : {}),
    ...(input.pullRequest ? { headSha: input.pullRequest.headSha } : {}),
    roles: notEvaluated,
    ignored: [],
    blockers: [...(input.blockers ?? []), ...blockers],
    filled: 0,
    required: roles.length,
    summary: `0/${roles.length} roles signed off`,
    notes: [],
  };
}

/** A person a `Co-authored-by:` trailer names; `login` when the address is a forge no-reply address. */
export interface CoAuthor {
  name: string;
  email: string;
  login?: string;
}

/**
 * The `Co-authored-by:` trailers of a commit message. GitHub ties a co-author to an account by e-mail; the one
 * address that names the account in itself is the no-reply one (`[id+]login@users.noreply.<host>`).
 */
export function coAuthors(message: string): CoAuthor[] {
  const found: CoAuthor[] = [];
  for (const m of message.matchAll(/^co-authored-by:[ \t]*(.*?)[ \t]*<([^<>\s]+)>[ \t]*$/gim)) {
    const name = m[1] ?? '';
    const email = m[2] ?? '';
    const noReply =
      /^(?:\d+\+)?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?)@users\.noreply\./i.exec(email);
    found.push({ name, email, ...(noReply?.[1] ? { login: noReply[1] } : {}) });
  }
  return found;
}

function byTimeThenId(a: IgnoredReview, b: IgnoredReview): number {
  const time = (i: IgnoredReview) => {
    const ms = i.at === undefined ? Number.NaN : Date.parse(i.at);
    return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
  };
  const ta = time(a);
  const tb = time(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.reviewId - b.reviewId || (a.role ?? '').localeCompare(b.role ?? '');
}

/** Short labels for each reason, as a compliance officer reads them. */
export const REASON_LABEL: Record<IgnoredReason, string> = {
  'not-submitted': 'not submitted',
  'invalid-time': 'unreadable time',
  'comment-only': 'comment only',
  superseded: 'replaced by a later review',
  dismissed: 'dismissed',
  'self-approval': 'self-approval by the author',
  committer: 'committer of the change',
  stale: 'before the last push',
  expired: 'expired',
  'not-a-member': 'not in a required team',
  'pending-membership': 'team membership pending',
  'separation-of-duties': 'separation of duties',
  'role-already-filled': 'role already signed off',
  'changes-requested': 'changes requested',
};
