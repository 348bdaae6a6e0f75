// Whether the candidate may be promoted now: the stage it enters next, that stage's gates, and, for the last
// stage, the whole production readiness checklist. PromotionReady, the train's passenger list and a Promotion's
// status.gates all read this one verdict.
import type { ReleaseTrainSpec } from '../../../../specs/releasetrain.js';
import type { UseCaseSpec } from '../../../../specs/usecase.js';
import { evaluateGates, type GateResult, type StageObservations } from './gates.js';
import { evaluateReadiness } from './readiness.js';
import { nextStage } from './stages.js';

export interface PromotionVerdict {
  ready: boolean;
  /** CamelCase: GatesMet, GatesNotMet, NoCandidate, FullyPromoted. */
  reason: 'GatesMet' | 'GatesNotMet' | 'NoCandidate' | 'FullyPromoted';
  message: string;
  version?: string;
  from?: string;
  to?: string;
  gates: GateResult[];
  /** Each failing gate in a few words ("encounters 212 of 400"); empty when ready. */
  shortfalls: string[];
  /** When the verdict may change with time alone (a soak ends). */
  wakeAt?: Date;
}

/**
 * `observations` are per stage; `since` (when the version entered a stage) falls back to `stageSince`, what the
 * use case status recorded. Readiness gates only the last stage: earlier stages (shadow, silent, a pilot
 * clinic) are where the open items get closed, and production is where they must be.
 */
export function evaluatePromotion(
  spec: UseCaseSpec,
  train: ReleaseTrainSpec,
  now: Date,
  observations: Readonly<Record<string, StageObservations>> = {},
  stageSince: Readonly<Record<string, string | undefined>> = {},
): PromotionVerdict {
  const plan = nextStage(spec, train);
  const version = plan.candidateVersion;
  if (version === undefined) {
    return {
      ready: false,
      reason: 'NoCandidate',
      message: 'no candidate version is declared',
      gates: [],
      shortfalls: [],
    };
  }
  if (plan.to === undefined) {
    return {
      ready: false,
      reason: 'FullyPromoted',
      message: `candidate ${version} already runs in every stage`,
      version,
      gates: [],
      shortfalls: [],
    };
  }
  const observed: StageObservations | undefined =
    plan.from === undefined ? undefined : { ...observations[plan.from] };
  if (observed && plan.from !== undefined && observed.since === undefined) {
    const since = stageSince[plan.from];
    if (since !== undefined) observed.since = since;
  }
  const evaluation = evaluateGates({
    candidate: spec.candidate,
    train,
    from: plan.from,
    to: plan.to,
    ...(observed ? { observed } : {}),
    baselines: spec.baselineMetrics,
    oversight: spec.humanOversight,
    now,
  });
  const gates = [...evaluation.gates];
  const shortfalls = [...evaluation.shortfalls];
  const last = train.stages[train.stages.length - 1]?.name;
  if (plan.to === last) {
    const readiness = evaluateReadiness(spec.readiness);
    gates.push({ name: 'readiness', passed: readiness.complete, message: readiness.message });
    if (!readiness.complete) shortfalls.push(`readiness ${readiness.summary}`);
  }
  const failed = gates.filter((g) => !g.passed);
  const where = {
    version,
    to: plan.to,
    ...(plan.from !== undefined ? { from: plan.from } : {}),
    ...(evaluation.wakeAt ? { wakeAt: evaluation.wakeAt } : {}),
  };
  if (failed.length === 0) {
    return {
      ready: true,
      reason: 'GatesMet',
      message: `candidate ${version} meets all ${gates.length} gates for ${plan.to}`,
      ...where,
      gates,
      shortfalls: [],
    };
  }
  return {
    ready: false,
    reason: 'GatesNotMet',
    message: `candidate ${version} for ${plan.to}: ${failed.length} of ${gates.length} gates fail: ${failed.map((g) => g.message).join('; ')}`,
    ...where,
    gates,
    shortfalls,
  };
}
