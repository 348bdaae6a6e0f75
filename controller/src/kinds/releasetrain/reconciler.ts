// The ReleaseTrain reconciler: next departure, cut-off and passengers, reconciled again when they next change.
import { type ReleaseTrainStatus, releaseTrainSpec } from '../../../../specs/releasetrain.js';
import { type UseCaseStatus, useCaseSpec } from '../../../../specs/usecase.js';
import { defineController } from '../../runtime/index.js';
import { peekSpec, RELEASE_TRAINS, readSpec, statusOf, USE_CASES } from '../resources.js';
import type { UseCaseOnTrain } from './passengers.js';
import { decideReleaseTrainStatus } from './status.js';

export const releaseTrainController = defineController({
  kind: RELEASE_TRAINS,
  watches: [
    {
      // A use case boards, changes its candidate or leaves: its train's passengers change.
      kind: USE_CASES,
      map: (uc) => {
        const train = peekSpec(useCaseSpec, uc)?.releaseTrain;
        return train && uc.metadata?.namespace ? [`${uc.metadata.namespace}/${train}`] : [];
      },
    },
  ],
  async reconcile(ctx, obj) {
    const namespace = obj.metadata!.namespace!;
    const name = obj.metadata!.name!;
    const spec = readSpec(releaseTrainSpec, obj);
    const useCases: UseCaseOnTrain[] = [];
    for (const uc of ctx.cache.list(USE_CASES, namespace)) {
      const ucSpec = peekSpec(useCaseSpec, uc);
      if (ucSpec?.releaseTrain !== name) continue;
      useCases.push({
        name: uc.metadata!.name!,
        generation: uc.metadata?.generation,
        spec: ucSpec,
        status: statusOf<UseCaseStatus>(uc),
      });
    }
    const decision = decideReleaseTrainStatus({
      name,
      spec,
      status: statusOf<ReleaseTrainStatus>(obj),
      useCases,
      now: ctx.now,
    });
    const requeueAfter = decision.wakeAt
      ? Math.max(1_000, decision.wakeAt.getTime() - ctx.now.getTime())
      : undefined;
    return {
      status: { ...decision.status, conditions: decision.conditions },
      events: decision.events,
      ...(requeueAfter !== undefined ? { requeueAfter } : {}),
    };
  },
});
