// The SurveillancePolicy reconciler: on its interval, reads the metrics from the inference log and records the
// tier each reached and what is due. Between intervals a pass changes nothing, so it writes nothing.
import { parseDuration } from '../../../../specs/common.js';
import {
  type SurveillancePolicyStatus,
  surveillancePolicySpec,
} from '../../../../specs/surveillancepolicy.js';
import { type UseCaseStatus, useCaseSpec } from '../../../../specs/usecase.js';
import { readMetrics } from '../../metrics/inference-log.js';
import type { ConditionUpdate } from '../../runtime/index.js';
import { defineController } from '../../runtime/index.js';
import { peekSpec, readSpec, SURVEILLANCE_POLICIES, statusOf, USE_CASES } from '../resources.js';
import { decideSurveillanceStatus } from './status.js';

export interface SurveillanceDependencies {
  /** The governance repository root that inference log paths resolve against; none: metrics are not read. */
  dataDir?: string;
}

export function surveillancePolicyController(deps: SurveillanceDependencies) {
  return defineController({
    kind: SURVEILLANCE_POLICIES,
    watches: [
      {
        // A use case names the policy, stops naming it, or changes the version it runs.
        kind: USE_CASES,
        map: (uc) => {
          const policy = peekSpec(useCaseSpec, uc)?.surveillancePolicy;
          return policy && uc.metadata?.namespace ? [`${uc.metadata.namespace}/${policy}`] : [];
        },
      },
    ],
    async reconcile(ctx, obj) {
      const namespace = obj.metadata!.namespace!;
      const name = obj.metadata!.name!;
      const spec = readSpec(surveillancePolicySpec, obj);
      const previous = statusOf<SurveillancePolicyStatus>(obj);
      const intervalMs = (parseDuration(spec.interval) ?? 3_600) * 1_000;

      // Due when never evaluated, when the spec changed, or when the interval has passed.
      const last = previous?.lastEvaluated ? Date.parse(previous.lastEvaluated) : undefined;
      const specChanged = previous?.observedGeneration !== obj.metadata?.generation;
      const dueIn = last === undefined || specChanged ? 0 : last + intervalMs - ctx.now.getTime();
      if (dueIn > 0) return { requeueAfter: dueIn };

      const useCases = ctx.cache
        .list(USE_CASES, namespace)
        .filter((uc) => peekSpec(useCaseSpec, uc)?.surveillancePolicy === name);
      // The version surveilled is the one in production, when a single use case names the policy.
      const version =
        useCases.length === 1 ? statusOf<UseCaseStatus>(useCases[0])?.productionVersion : undefined;

      const conditions: ConditionUpdate[] = [];
      let readings: Awaited<ReturnType<typeof readMetrics>>['readings'] = [];
      if (!deps.dataDir) {
        conditions.push({
          type: 'MetricsRead',
          status: 'Unknown',
          reason: 'NoDataSource',
          message: 'the controller runs without a data directory, so no metric was read',
        });
      } else {
        const read = await readMetrics(spec, { baseDir: deps.dataDir, version, now: ctx.now });
        readings = read.readings;
        conditions.push(
          read.unread.length === 0
            ? {
                type: 'MetricsRead',
                status: 'True',
                reason: 'AllRead',
                message: `${read.readings.length} readings`,
              }
            : {
                type: 'MetricsRead',
                status: 'False',
                reason: read.unread[0]!.reason,
                message: read.unread
                  .map((u) => `${u.metric}${u.segment ? ` (${u.segment})` : ''}: ${u.message}`)
                  .join('; '),
              },
        );
      }
      const decision = decideSurveillanceStatus(
        spec,
        readings,
        previous,
        ctx.now,
        useCases.map((uc) => uc.metadata!.name!),
      );
      return {
        status: { ...decision.status, conditions: [...decision.conditions, ...conditions] },
        events: decision.events,
        requeueAfter: intervalMs,
      };
    },
  });
}
