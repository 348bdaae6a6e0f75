// SignoffPolicy decisions: teams resolved and the merge gate enforced. evaluateSignoff lives apart.
export {
  decideEnforcement,
  type EnforcementDecision,
  PROTECTION_SETTINGS,
  type ProtectionGap,
  type ProtectionSetting,
} from './enforcement.js';
export {
  decideSignoffPolicyStatus,
  type SignoffPolicyDecision,
  type SignoffPolicyObservation,
  type TeamMembership,
} from './status.js';
