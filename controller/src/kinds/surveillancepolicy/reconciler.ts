// The SurveillancePolicy reconciler: on its interval, reads the metrics from the inference log and records the
// tier each reached and what is due. Reaching a rollback tier creates the rollback Promotions of the use cases
// that name the policy (their names are deterministic, so a retry or a second replica finds the same ones).
// Between intervals a pass changes nothing, so it writes nothing. Review issues are recorded, not opened yet.
import { parseDuration } from '../../../../specs/common.js';
import { type PromotionStatus, promotionSpec } from '../../../../specs/promotion.js';
import { signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import {
  type SurveillancePolicyStatus,
  surveillancePolicySpec,
} from '../../../../specs/surveillancepolicy.js';
import { type UseCaseStatus, useCaseSpec } from '../../../../specs/usecase.js';
import type { Forge } from '../../forge/forge.js';
import { readMetrics } from '../../metrics/inference-log.js';
import {
  createRollbacks,
  type KnownPromotion,
  planRollback,
  type RollbackPlan,
} from '../../promotion/rollback.js';
import type { ConditionUpdate, ReconcileContext } from '../../runtime/index.js';
import { defineController } from '../../runtime/index.js';
import {
  PROMOTIONS,
  peekSpec,
  readSpec,
  SIGNOFF_POLICIES,
  SURVEILLANCE_POLICIES,
  statusOf,
  USE_CASES,
} from '../resources.js';
import { noForgeReport, type RollbackReport, referenceRollbacks, rollbackReport } from './rollbacks.js';
import { decideSurveillanceStatus } from './status.js';

export interface SurveillanceDependencies {
  /** The governance repository root that inference log paths resolve against; none: log metrics are not read. */
  dataDir?: string;
  /** The Prometheus base URL for prometheus sources of policies that name none (--prometheus-url). */
  prometheusUrl?: string;
  /** Bound on each Prometheus request (default 10 s). */
  prometheusTimeoutMs?: number;
  /**
   * The forge rollback pull requests open in. Without one no Promotion is followed to a pull request, so a
   * rollback tier creates none and the RollbackOpened condition says so.
   */
  forge?: Forge;
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
      // Read from the cache when a rollback is due (the history of each stage, the break-glass rule); a change
      // to them makes no evaluation due.
      { kind: PROMOTIONS, map: () => [] },
      { kind: SIGNOFF_POLICIES, map: () => [] },
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
      const read = await readMetrics(spec, {
        ...(deps.dataDir !== undefined ? { baseDir: deps.dataDir } : {}),
        version,
        now: ctx.now,
        prometheus: {
          ...(deps.prometheusUrl !== undefined ? { url: deps.prometheusUrl } : {}),
          ...(deps.prometheusTimeoutMs !== undefined ? { timeoutMs: deps.prometheusTimeoutMs } : {}),
          signal: ctx.signal,
        },
      });
      const readings = read.readings;
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
              status:
                read.readings.length === 0 && read.unread.every((u) => u.reason === 'NoDataSource')
                  ? 'Unknown'
                  : 'False',
              reason: read.unread[0]!.reason,
              // The message says what went unread; the metric names already lead each reader's message.
              message: read.unread.map((u) => u.message).join('; '),
            },
      );
      const decision = decideSurveillanceStatus(
        spec,
        readings,
        previous,
        ctx.now,
        useCases.map((uc) => uc.metadata!.name!),
      );
      let actions = decision.status.actions ?? [];
      const events = [...decision.events];
      const rollingBack = [
        ...new Set(decision.due.flatMap((d) => (d.action === 'rollback' && d.useCase ? [d.useCase] : []))),
      ];
      if (rollingBack.length > 0) {
        let report: RollbackReport;
        if (!deps.forge) {
          report = noForgeReport(rollingBack);
        } else {
          const plans = rollingBack.map((useCase) => rollbackPlan(ctx, namespace, useCase));
          const created = new Map<string, string>();
          const existing = new Map<string, string>();
          for (const plan of plans) {
            for (const r of plan.rollbacks) {
              const uid = ctx.cache.get(PROMOTIONS, namespace, r.name)?.metadata.uid;
              if (uid) existing.set(r.name, uid);
            }
            for (const c of await createRollbacks(ctx.client, ctx.cache, plan, ctx.signal)) {
              if (c.uid) created.set(c.name, c.uid);
              else existing.delete(c.name);
            }
          }
          report = rollbackReport(plans, new Set(created.keys()));
          actions = referenceRollbacks(actions, previous?.actions?.length ?? 0, plans, created, existing);
          ctx.log.info({ created: [...created.keys()], useCases: rollingBack }, 'rollback tier reached');
        }
        conditions.push(report.condition);
        events.push(...report.events);
      }
      return {
        status: {
          ...decision.status,
          actions,
          conditions: [...decision.conditions, ...conditions],
        },
        events,
        requeueAfter: intervalMs,
      };
    },
  });
}

/** The rollback one use case needs, from what the cache holds. */
function rollbackPlan(ctx: ReconcileContext, namespace: string, name: string): RollbackPlan {
  const obj = ctx.cache.get(USE_CASES, namespace, name);
  const spec = peekSpec(useCaseSpec, obj);
  if (!obj || !spec) {
    return {
      useCase: name,
      rollbacks: [],
      skipped: [
        {
          reason: 'UseCaseUnreadable',
          message: `UseCase "${name}" is missing or invalid in namespace "${namespace}", so it cannot be rolled back`,
        },
      ],
      breakGlass: { allowed: false, why: 'the use case could not be read' },
    };
  }
  const promotions: KnownPromotion[] = ctx.cache.list(PROMOTIONS, namespace).flatMap((p) => {
    const ps = peekSpec(promotionSpec, p);
    return ps ? [{ name: p.metadata.name, spec: ps, status: statusOf<PromotionStatus>(p) }] : [];
  });
  return planRollback({
    useCase: {
      namespace,
      name,
      ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      spec,
      status: statusOf<UseCaseStatus>(obj),
    },
    signoffPolicy: peekSpec(
      signoffPolicySpec,
      ctx.cache.get(SIGNOFF_POLICIES, namespace, spec.signoffPolicy),
    ),
    promotions,
  });
}
