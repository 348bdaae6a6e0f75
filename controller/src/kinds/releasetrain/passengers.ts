// Who rides the next departure: every use case on the train with a candidate still to promote, and whether it
// boards. The use case's own status is the verdict (Ready, and PromotionReady for its gates), so the train and
// the use case never disagree; the train adds the cut-off: a candidate must have been ready by then.
import type { ReleaseTrainSpec, ReleaseTrainStatus } from '../../../../specs/releasetrain.js';
import type { UseCaseSpec, UseCaseStatus } from '../../../../specs/usecase.js';
import { nextStage } from '../usecase/stages.js';
import { type Departure, formatInZone, nextDeparture } from './schedule.js';

export type Passenger = NonNullable<ReleaseTrainStatus['passengers']>[number];

export interface TrainRef {
  name: string;
  spec: ReleaseTrainSpec;
}

/** A use case in the train's namespace, as the informer cache holds it. */
export interface UseCaseOnTrain {
  name: string;
  /** metadata.generation: a status older than the spec is no verdict on it. */
  generation?: number;
  spec: UseCaseSpec;
  status?: UseCaseStatus;
}

/**
 * Passengers in name order: use cases on this train whose candidate has a stage left to enter. `departure` is
 * the next departure after `now`; pass it when already computed.
 */
export function passengers(
  train: TrainRef,
  useCases: readonly UseCaseOnTrain[],
  now: Date,
  departure: Departure = nextDeparture(train.spec, now),
): Passenger[] {
  const out: Passenger[] = [];
  for (const uc of [...useCases].sort((a, b) => a.name.localeCompare(b.name))) {
    if (uc.spec.releaseTrain !== train.name || uc.spec.candidate === undefined) continue;
    const plan = nextStage(uc.spec, train.spec);
    if (plan.to === undefined) continue;
    const version = uc.spec.candidate.version;
    const why = whyNotBoarding(uc, version, departure, train.spec.schedule.timeZone);
    out.push({
      useCase: uc.name,
      version,
      to: plan.to,
      boarding: why === undefined,
      ...(why !== undefined ? { reason: why } : {}),
    });
  }
  return out;
}

function whyNotBoarding(
  uc: UseCaseOnTrain,
  version: string,
  departure: Departure,
  timeZone: string,
): string | undefined {
  if (!departure.scheduled) return `no departure: ${departure.message}`;
  const status = uc.status;
  const stale =
    !status ||
    status.candidateVersion !== version ||
    (uc.generation !== undefined && (status.observedGeneration ?? 0) < uc.generation);
  if (stale) return `use case not yet reconciled for candidate ${version}`;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return `use case not Ready: ${ready?.message ?? 'no Ready condition'}`;
  const gates = status.conditions?.find((c) => c.type === 'PromotionReady');
  if (gates?.status !== 'True') return gates?.message ?? 'gates not evaluated yet';
  // Past the cut-off only what was ready by then boards: the evidence reviewers saw must not move at the last minute.
  const readySince = Math.max(Date.parse(ready.lastTransitionTime), Date.parse(gates.lastTransitionTime));
  if (readySince > departure.cutoffAt.getTime()) {
    return `ready at ${formatInZone(new Date(readySince), timeZone)}, after the cut-off ${formatInZone(departure.cutoffAt, timeZone)}; rides the following departure`;
  }
  return undefined;
}
