// Where a use case stands on its train: the version in each stage, and the stage its candidate enters next.
import type { ReleaseTrainSpec } from '../../../../specs/releasetrain.js';
import type { UseCaseSpec } from '../../../../specs/usecase.js';

export interface StagePlan {
  /** Every stage of the train, in train order, with the version declared in it (none when not yet deployed). */
  stages: { stage: string; version?: string }[];
  /** The version in the last stage. */
  productionVersion?: string;
  candidateVersion?: string;
  /** The stage the candidate enters next; none without a candidate or once it runs in every stage. */
  to?: string;
  /** The stage before `to`, where its soak, encounters and expansion criteria are measured; none for the first. */
  from?: string;
}

/**
 * The stage the candidate would enter next: the first stage, in train order, whose deployed version is not the
 * candidate. Every stage before it runs the candidate, so `from` always does.
 */
export function nextStage(spec: UseCaseSpec, train: ReleaseTrainSpec): StagePlan {
  const declared = new Map(spec.versions.map((v) => [v.stage, v.version]));
  const stages = train.stages.map((s) => {
    const version = declared.get(s.name);
    return version === undefined ? { stage: s.name } : { stage: s.name, version };
  });
  const plan: StagePlan = { stages };
  const last = stages[stages.length - 1];
  if (last?.version !== undefined) plan.productionVersion = last.version;
  const candidate = spec.candidate?.version;
  if (candidate === undefined) return plan;
  plan.candidateVersion = candidate;
  const index = stages.findIndex((s) => s.version !== candidate);
  if (index < 0) return plan;
  plan.to = stages[index]!.stage;
  if (index > 0) plan.from = stages[index - 1]!.stage;
  return plan;
}
