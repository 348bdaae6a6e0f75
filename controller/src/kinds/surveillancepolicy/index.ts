// SurveillancePolicy decisions: drift statistics, degradation tiers, and the status and actions they lead to.
export { ks, PSI_EMPTY_BIN_SHARE, psi } from './statistics.js';
export {
  type ActionRecord,
  actionMetric,
  type DueAction,
  decideSurveillanceStatus,
  type MetricReading,
  type MetricStatus,
  type SurveillanceDecision,
} from './status.js';
export {
  degradation,
  degradationTier,
  type Metric,
  type Tier,
  type TierJudgement,
  type TierLevel,
  tierName,
  worstTier,
} from './tiers.js';
