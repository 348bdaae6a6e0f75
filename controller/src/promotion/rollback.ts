// What a surveillance breach at the rollback tier rolls back, before any I/O: for each use case, the stages that
// run the degraded version, the last good version each ran before it, and the rollback Promotion to create (or
// the one already there). The Promotion reconciler does the rest: the pull request, the sign-off gate and, where
// the SignoffPolicy allows it, the break-glass merge and the retrospective sign-off.
import { API_GROUP, API_VERSION } from '../../../specs/common.js';
import type { PromotionSpec, PromotionStatus } from '../../../specs/promotion.js';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import type { UseCaseStatus } from '../../../specs/usecase.js';
import { PROMOTIONS } from '../kinds/resources.js';
import { type CacheReader, type ClusterClient, isConflict, type KubeObject } from '../runtime/index.js';
import { promotionName } from './names.js';
import { type PromotionObject, planPromotion, runningVersions, type UseCaseRef } from './plan.js';

/** A Promotion as the cache holds it, its spec read. */
export interface KnownPromotion {
  name: string;
  spec: PromotionSpec;
  status?: PromotionStatus;
}

export interface RollbackRequest {
  useCase: UseCaseRef & { status?: UseCaseStatus };
  /** The SignoffPolicy the use case names; undefined when it is missing or invalid. */
  signoffPolicy?: SignoffPolicySpec;
  /** Every Promotion of the namespace: the history that tells what each stage ran before. */
  promotions: readonly KnownPromotion[];
  /**
   * Per stage, the versions its deployment file set in the GitOps repository's history, newest first: asked for
   * when no merged promotion records what a stage ran before (a version deployed before Vigil managed it).
   */
  deployedBefore?: ReadonlyMap<string, readonly string[]>;
}

/** One stage to roll back: the Promotion to create, or the one that exists already for the same rollback. */
export interface StageRollback {
  stage: string;
  /** The degraded version the stage runs now. */
  from: string;
  /** The version it ran before, rolled back to. */
  to: string;
  name: string;
  breakGlass: boolean;
  /** Absent when the Promotion exists already: it is reused, never made twice. */
  create?: PromotionObject;
}

export type SkipReason = 'NotDeployed' | 'NoPreviousVersion' | 'NameTaken' | 'UseCaseUnreadable';

/** A stage (or a whole use case, without `stage`) that gets no rollback Promotion, and why. */
export interface SkippedRollback {
  stage?: string;
  reason: SkipReason;
  message: string;
}

export interface RollbackPlan {
  useCase: string;
  /** The version under surveillance: what the use case runs in production. */
  version?: string;
  rollbacks: StageRollback[];
  skipped: SkippedRollback[];
  /** Why break-glass is or is not allowed, for the condition and the Event. */
  breakGlass: { allowed: boolean; why: string };
}

const MERGED = new Set(['Merged', 'RolledBack']);

/**
 * Break-glass is allowed when the use case's SignoffPolicy declares break-glass roles and has a requirement for
 * its risk class (without one nothing could be signed off, retrospectively or otherwise). No policy: not allowed.
 */
export function breakGlassAllowed(
  policy: SignoffPolicySpec | undefined,
  riskClass: string,
): { allowed: boolean; why: string } {
  if (!policy) return { allowed: false, why: 'its SignoffPolicy could not be read, so break-glass is off' };
  if (!policy.breakGlass) return { allowed: false, why: 'its SignoffPolicy allows no break-glass' };
  if (!policy.requirements.some((r) => r.riskClass === riskClass)) {
    return {
      allowed: false,
      why: `its SignoffPolicy has no requirement for risk class "${riskClass}", so break-glass is off`,
    };
  }
  return {
    allowed: true,
    why: `break-glass by ${policy.breakGlass.roles.join(' or ')}, retrospective sign-off within ${policy.breakGlass.retrospectiveWithin}`,
  };
}

/**
 * The last good version of `stage` before `version`: the version it ran before the newest merged promotion that
 * brought `version` there. A version a merged rollback already took the stage away from is not good, and a
 * rollback's own record (which names the bad version it left) is not a promotion to learn from.
 */
export function previousVersion(
  useCase: string,
  stage: string,
  version: string,
  promotions: readonly KnownPromotion[],
  deployedBefore: readonly string[] = [],
): string | undefined {
  const here = promotions.filter(
    (p) => p.spec.useCase === useCase && p.spec.to === stage && MERGED.has(p.status?.phase ?? ''),
  );
  const rolledAway = new Set(
    here.filter((p) => p.spec.type === 'rollback').flatMap((p) => p.spec.previousVersion ?? []),
  );
  const mergedAt = (p: KnownPromotion) => Date.parse(p.status?.mergedAt ?? '') || 0;
  const brought = here
    .filter((p) => p.spec.type === 'promotion' && p.spec.version === version)
    .sort((a, b) => mergedAt(b) - mergedAt(a) || (a.name < b.name ? 1 : -1));
  for (const p of brought) {
    const before = p.spec.previousVersion;
    if (before !== undefined && before !== version && !rolledAway.has(before)) return before;
  }
  // No promotion records it: the deployment file's history does, newest first.
  return deployedBefore.find((v) => v !== version && !rolledAway.has(v));
}

/** The rollbacks a breach at the rollback tier calls for in one use case. */
export function planRollback(req: RollbackRequest): RollbackPlan {
  const { useCase } = req;
  const breakGlass = breakGlassAllowed(req.signoffPolicy, useCase.spec.riskClass);
  const version = useCase.status?.productionVersion;
  const plan: RollbackPlan = {
    useCase: useCase.name,
    ...(version !== undefined ? { version } : {}),
    rollbacks: [],
    skipped: [],
    breakGlass,
  };
  if (version === undefined) {
    plan.skipped.push({
      reason: 'NotDeployed',
      message: `${useCase.name} shows no production version, so there is nothing to roll back`,
    });
    return plan;
  }
  const byName = new Map(req.promotions.map((p) => [p.name, p]));
  for (const [stage, running] of runningVersions(useCase.spec, useCase.status)) {
    if (running !== version) continue;
    const to = previousVersion(useCase.name, stage, version, req.promotions, req.deployedBefore?.get(stage));
    if (to === undefined) {
      plan.skipped.push({
        stage,
        reason: 'NoPreviousVersion',
        message: `${useCase.name} ${stage} runs ${version} and no good version it ran before is known (no merged promotion of ${version} to ${stage} records one, nor does the history of its deployment file); roll it back by hand`,
      });
      continue;
    }
    const name = promotionName({ type: 'rollback', useCase: useCase.name, to: stage, version: to });
    const existing = byName.get(name);
    if (existing) {
      const same =
        existing.spec.type === 'rollback' &&
        existing.spec.useCase === useCase.name &&
        existing.spec.to === stage &&
        existing.spec.version === to &&
        existing.spec.previousVersion === version;
      if (same) {
        plan.rollbacks.push({ stage, from: version, to, name, breakGlass: existing.spec.breakGlass });
      } else {
        plan.skipped.push({
          stage,
          reason: 'NameTaken',
          message: `${useCase.name} ${stage} should roll back from ${version} to ${to}, but Promotion ${name} already records another change (${existing.spec.type} of ${existing.spec.version}${existing.spec.previousVersion ? ` from ${existing.spec.previousVersion}` : ''}); roll it back by hand`,
        });
      }
      continue;
    }
    const create = planPromotion({
      useCase: {
        namespace: useCase.namespace,
        name: useCase.name,
        ...(useCase.uid ? { uid: useCase.uid } : {}),
        spec: useCase.spec,
      },
      type: 'rollback',
      trigger: 'surveillance',
      to: stage,
      version: to,
      previousVersion: version,
      breakGlass: breakGlass.allowed,
    });
    plan.rollbacks.push({ stage, from: version, to, name, breakGlass: breakGlass.allowed, create });
  }
  if (plan.rollbacks.length === 0 && plan.skipped.length === 0) {
    plan.skipped.push({
      reason: 'NotDeployed',
      message: `no stage of ${useCase.name} runs ${version} any more`,
    });
  }
  return plan;
}

/**
 * Create the Promotions a plan calls for. One the cache knows is not written again, and one another replica or
 * an earlier pass created meanwhile (409) is the same rollback by its name: nothing to do. Returns the names
 * created, each with the uid the API server gave it (the breach record names the Promotion by both).
 */
export async function createRollbacks(
  client: ClusterClient,
  cache: CacheReader,
  plan: RollbackPlan,
  signal?: AbortSignal,
): Promise<{ name: string; uid?: string }[]> {
  const created: { name: string; uid?: string }[] = [];
  for (const r of plan.rollbacks) {
    if (!r.create) continue;
    const { namespace, name } = r.create.metadata;
    if (cache.get(PROMOTIONS, namespace, name)) continue;
    // Leadership lost mid-pass: the successor decides again.
    signal?.throwIfAborted();
    try {
      const made = (await client.customObjects.createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural: PROMOTIONS.plural,
        body: r.create as unknown as KubeObject,
      })) as KubeObject | undefined;
      const uid = made?.metadata?.uid;
      created.push({ name, ...(uid ? { uid } : {}) });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  return created;
}
