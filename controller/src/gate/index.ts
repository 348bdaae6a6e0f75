// The sign-off gate: the `vigil/sign-off` check on pull requests, decided by evaluateSignoff on what the forge
// reports, with polling for when webhooks do not arrive.
export { type CheckRunWrite, checkRunWrite, clockTime, notEvaluatedCheckRun } from './check-run.js';
export { type CombinedPolicy, combinePolicies, type PolicyEntry } from './combined-policy.js';
export {
  type DiscoveryResult,
  type MembershipResult,
  PullRequestDiscovery,
  type PullRequestDiscoveryOptions,
  TeamMembershipWatch,
  type TeamMembershipWatchOptions,
} from './discovery.js';
export { isRateLimited, SignoffUnavailableError, unavailableSentence } from './errors.js';
export {
  type GovernanceChange,
  type GovernanceChangeCode,
  type GovernanceDoc,
  type GovernanceDocs,
  type GovernanceFile,
  governanceChanges,
  readGovernanceDocs,
} from './governance-changes.js';
export {
  GovernanceChangeGate,
  type GovernanceGateOptions,
  type GovernanceTarget,
  type GovernanceVerdict,
  governanceRepositories,
  governanceRequirement,
  governanceTargets,
  governsPath,
  isManifestPath,
} from './governance-gate.js';
export {
  type ClaimConflict,
  claimConflicts,
  type GovernedPullRequest,
  type GovernedUseCase,
  governedPullRequest,
  normalizePath,
  type PullRequestChangeSet,
  riskRank,
} from './governed.js';
export {
  FILES_LISTED_AT_MOST,
  type GovernedGateOptions,
  GovernedPullRequestGate,
  type GovernedVerdict,
  governedRepositories,
  isPromotionBranch,
  policiesFor,
} from './governed-gate.js';
export {
  type InHand,
  PullRequestsInHand,
  type PullRequestsInHandOptions,
  pullRequestsInHand,
} from './in-hand.js';
export {
  type PollResult,
  type PollSeen,
  type PollTarget,
  SignoffPoller,
  type SignoffPollerOptions,
} from './poller.js';
export { REMEMBERED, remember } from './remember.js';
export {
  type CheckRunWritten,
  headCommittedAt,
  reviewsNeedMembership,
  SIGNOFF_CHECK,
  SignoffGate,
  type SignoffGateOptions,
  type SignoffOutcome,
  type SignoffRequest,
  teamsToRead,
} from './signoff-gate.js';
