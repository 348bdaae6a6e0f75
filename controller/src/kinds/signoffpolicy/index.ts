// SignoffPolicy decisions: teams resolved and the merge gate enforced. evaluateSignoff lives apart.
export {
  type BranchProtection,
  decideSignoffPolicyStatus,
  type SignoffPolicyDecision,
  type SignoffPolicyObservation,
  type TeamMembership,
} from './status.js';
