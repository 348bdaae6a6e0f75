// UseCase decisions: pure functions of the use case and what it refers to; the reconciler fetches and writes.
export {
  type BaselineMetric,
  type Candidate,
  evaluateGates,
  type GateEvaluation,
  type GateInput,
  type GateResult,
  type StageObservations,
} from './gates.js';
export { evaluatePromotion, type PromotionVerdict } from './promotion.js';
export { evaluateReadiness, type ReadinessEvaluation } from './readiness.js';
export {
  missingReferenceMessage,
  type ObjectReference,
  type ReferencedKind,
  references,
  refersTo,
} from './references.js';
export { nextStage, type StagePlan } from './stages.js';
export {
  decideUseCaseStatus,
  MESSAGE_LIMIT,
  type Observed,
  type UseCaseDecision,
  type UseCaseObservation,
} from './status.js';
