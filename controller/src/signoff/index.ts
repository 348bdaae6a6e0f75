// Sign-off: whether a pull request carries the approvals its risk class requires, and the check run that says so.
export { assignRoles } from './assignment.js';
export {
  type Blocker,
  type BlockerCode,
  type BreakGlassGrant,
  type CoAuthor,
  coAuthors,
  evaluateSignoff,
  type IgnoredReason,
  type IgnoredReview,
  type MissingCode,
  type PullRequestCommit,
  type PullRequestFacts,
  REASON_LABEL,
  type Review,
  type ReviewDismissal,
  type ReviewState,
  type RoleResult,
  requiresVerifiedCommits,
  type SignedBy,
  type SignoffInput,
  type SignoffResult,
  type SignoffRules,
  type TeamMembership,
} from './evaluate.js';
export {
  type CheckRunContext,
  type CheckRunOutput,
  evaluatedLine,
  renderCheckRun,
  sameCheckRunOutput,
} from './render.js';
