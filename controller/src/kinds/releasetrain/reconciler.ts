// The ReleaseTrain reconciler: next departure, cut-off and passengers, reconciled again when they next change.
// With departures on, it also departs: when the announced departure time has passed it creates a Promotion for
// each boarding passenger (and, for waves whose expansion criteria are met, without waiting for the schedule).
import { API_GROUP, API_VERSION } from '../../../../specs/common.js';
import {
  type ReleaseTrainSpec,
  type ReleaseTrainStatus,
  releaseTrainSpec,
} from '../../../../specs/releasetrain.js';
import { type UseCaseStatus, useCaseSpec } from '../../../../specs/usecase.js';
import { planPromotion, runningVersions } from '../../promotion/plan.js';
import { toTimestamp } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import {
  type CacheReader,
  type ClusterClient,
  defineController,
  isConflict,
  type KubeObject,
} from '../../runtime/index.js';
import { markSpan } from '../../tracing.js';
import { PROMOTIONS, peekSpec, RELEASE_TRAINS, readSpec, statusOf, USE_CASES } from '../resources.js';
import { departureDue, earliest, expandsByItself, expansionHeld } from './departure.js';
import { type Passenger, passengers, type UseCaseOnTrain } from './passengers.js';
import type { Departure } from './schedule.js';
import { decideReleaseTrainStatus } from './status.js';

export interface ReleaseTrainControllerDeps {
  /** Create Promotions at departure (and on met expansion criteria). Off: the train only reports. */
  departures?: boolean;
}

type PromotionRef = NonNullable<ReleaseTrainStatus['lastDeparture']>['promotions'][number];

export function createReleaseTrainController(deps: ReleaseTrainControllerDeps = {}) {
  return defineController({
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
      const status = statusOf<ReleaseTrainStatus>(obj);
      const useCases: (UseCaseOnTrain & { uid?: string })[] = [];
      for (const uc of ctx.cache.list(USE_CASES, namespace)) {
        const ucSpec = peekSpec(useCaseSpec, uc);
        if (ucSpec?.releaseTrain !== name) continue;
        const ucStatus = statusOf<UseCaseStatus>(uc);
        // What the GitOps repository shows runs where (the use case reconciler reports it in status.stages).
        const versions = [...runningVersions(ucSpec, ucStatus)].map(([stage, version]) => ({
          stage,
          version,
        }));
        useCases.push({
          name: uc.metadata!.name!,
          generation: uc.metadata?.generation,
          spec: { ...ucSpec, versions },
          status: ucStatus,
          uid: uc.metadata?.uid,
        });
      }
      const decision = decideReleaseTrainStatus({ name, spec, status, useCases, now: ctx.now });
      const events: EventSpec[] = [...decision.events];
      const extra: Partial<ReleaseTrainStatus> = {};
      let heldUntil: Date | undefined;

      if (deps.departures) {
        const due = departureDue(spec, status, ctx.now);
        if (due) {
          const departure: Departure = { scheduled: true, at: due.at, cutoffAt: due.cutoffAt, skipped: [] };
          const riders = passengers({ name, spec }, useCases, ctx.now, departure).filter((p) => p.boarding);
          const opened = await createPromotions(
            ctx.client,
            ctx.cache,
            namespace,
            name,
            spec,
            riders,
            useCases,
            'train',
          );
          extra.lastDeparture = { at: toTimestamp(due.at), promotions: opened };
          events.push({
            type: 'Normal',
            reason: 'Departed',
            message:
              opened.length === 0
                ? 'departed with no passenger boarding'
                : `departed: ${opened.map((p) => `${p.useCase} to ${p.to} (${p.promotion})`).join(', ')}`,
          });
          ctx.log.info({ at: due.at.toISOString(), promotions: opened.length }, 'train departed');
        }
        // Expansion: a wave whose criteria are met opens now, not at the next departure. Names are deterministic,
        // so doing this on every pass creates each promotion once (409 afterwards).
        const now: Departure = { scheduled: true, at: ctx.now, cutoffAt: ctx.now, skipped: [] };
        const candidates = passengers({ name, spec }, useCases, ctx.now, now).filter(
          (p) => p.boarding && expandsByItself(spec, p.to),
        );
        const expanding: typeof candidates = [];
        for (const p of candidates) {
          const held = expansionHeld(spec, p.to, ctx.now);
          if (!held) expanding.push(p);
          // A wave a deny window holds expands when the window ends: come back then.
          else heldUntil = earliest(heldUntil, held.until);
        }
        if (expanding.length > 0) {
          const opened = await createPromotions(
            ctx.client,
            ctx.cache,
            namespace,
            name,
            spec,
            expanding,
            useCases,
            'expansion',
          );
          for (const p of opened) {
            events.push({
              type: 'Normal',
              reason: 'Expansion',
              message: `${p.useCase} expands to ${p.to} (${p.promotion})`,
            });
          }
        }
      }

      const wakeAt = earliest(decision.wakeAt, heldUntil);
      const requeueAfter = wakeAt ? Math.max(1_000, wakeAt.getTime() - ctx.now.getTime()) : undefined;
      return {
        status: { ...decision.status, ...extra, conditions: decision.conditions },
        events,
        ...(requeueAfter !== undefined ? { requeueAfter } : {}),
      };
    },
  });
}

/** The train as it ran before departures existed: it reports and never creates a Promotion. */
export const releaseTrainController = createReleaseTrainController();

/** Create a Promotion per rider; one that exists already (a restart, a second replica) is fine. */
async function createPromotions(
  client: ClusterClient,
  cache: CacheReader,
  namespace: string,
  train: string,
  spec: ReleaseTrainSpec,
  riders: readonly Passenger[],
  useCases: readonly (UseCaseOnTrain & { uid?: string })[],
  trigger: 'train' | 'expansion',
): Promise<PromotionRef[]> {
  const out: PromotionRef[] = [];
  for (const rider of riders) {
    const uc = useCases.find((u) => u.name === rider.useCase);
    if (!uc) continue;
    const index = spec.stages.findIndex((s) => s.name === rider.to);
    const from = index > 0 ? spec.stages[index - 1]!.name : undefined;
    const previousVersion = uc.spec.versions.find((v) => v.stage === rider.to)?.version;
    const body = planPromotion({
      useCase: { namespace, name: uc.name, ...(uc.uid ? { uid: uc.uid } : {}), spec: uc.spec },
      type: 'promotion',
      trigger,
      releaseTrain: train,
      ...(from !== undefined ? { from } : {}),
      to: rider.to,
      version: rider.version,
      ...(previousVersion !== undefined ? { previousVersion } : {}),
    });
    const ref = { promotion: body.metadata.name, useCase: uc.name, to: rider.to };
    // Known already (the informer has it): no write, so a pass with nothing new stays free.
    if (cache.get(PROMOTIONS, namespace, body.metadata.name)) {
      out.push(ref);
      continue;
    }
    try {
      await client.customObjects.createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural: 'promotions',
        body: body as unknown as KubeObject,
      });
      // The departure: where a promotion's trace begins.
      markSpan('create Promotion', {
        'vigil.promotion': `${namespace}/${body.metadata.name}`,
        'vigil.use_case': `${namespace}/${uc.name}`,
        'vigil.release_train': `${namespace}/${train}`,
        'vigil.stage': rider.to,
        'vigil.trigger': trigger,
      });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    out.push(ref);
  }
  return out;
}
