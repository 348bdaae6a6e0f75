// What a promotion is before any I/O: the Promotion object a departure or a person creates, the gates it is
// held to, the teams asked to review and the labels it carries. Pure functions of specs and statuses.
import { API_GROUP_VERSION } from '../../../specs/common.js';
import type { PromotionSpec } from '../../../specs/promotion.js';
import type { ReleaseTrainSpec } from '../../../specs/releasetrain.js';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import type { UseCaseSpec, UseCaseStatus } from '../../../specs/usecase.js';
import { observationsFromStages } from '../kinds/usecase/evidence.js';
import { evaluateGates, type GateResult } from '../kinds/usecase/gates.js';
import { evaluateReadiness } from '../kinds/usecase/readiness.js';
import { branchName, type PromotionIdentity, promotionName } from './names.js';

export const LABEL_USE_CASE = 'vigil.dev/use-case';
export const LABEL_RELEASE_TRAIN = 'vigil.dev/release-train';
export const LABEL_STAGE = 'vigil.dev/stage';

export interface UseCaseRef {
  namespace: string;
  name: string;
  /** metadata.uid, for the ownerReference that garbage-collects promotions with their use case. */
  uid?: string;
  spec: UseCaseSpec;
}

export interface PromotionRequest {
  useCase: UseCaseRef;
  type: PromotionSpec['type'];
  trigger: PromotionSpec['trigger'];
  releaseTrain?: string;
  from?: string;
  to: string;
  version: string;
  /** The version running in `to` now (observed beats declared). */
  previousVersion?: string;
  breakGlass?: boolean;
}

export interface PromotionObject {
  apiVersion: string;
  kind: 'Promotion';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller: boolean;
      blockOwnerDeletion: boolean;
    }[];
  };
  spec: PromotionSpec;
}

export function identityOf(namespace: string, spec: PromotionSpec): PromotionIdentity {
  return { type: spec.type, namespace, useCase: spec.useCase, to: spec.to, version: spec.version };
}

/** The Promotion to create: its name and branch follow from what is promoted, so creating it twice is a 409. */
export function planPromotion(req: PromotionRequest): PromotionObject {
  const { useCase } = req;
  const name = promotionName({ type: req.type, useCase: useCase.name, to: req.to, version: req.version });
  const labels: Record<string, string> = { [LABEL_USE_CASE]: useCase.name, [LABEL_STAGE]: req.to };
  const train = req.releaseTrain ?? useCase.spec.releaseTrain;
  if (train) labels[LABEL_RELEASE_TRAIN] = train;
  const spec: PromotionSpec = {
    useCase: useCase.name,
    type: req.type,
    trigger: req.trigger,
    to: req.to,
    version: req.version,
    breakGlass: req.breakGlass ?? false,
    ...(req.releaseTrain !== undefined ? { releaseTrain: req.releaseTrain } : {}),
    ...(req.from !== undefined ? { from: req.from } : {}),
    ...(req.previousVersion !== undefined ? { previousVersion: req.previousVersion } : {}),
  };
  return {
    apiVersion: API_GROUP_VERSION,
    kind: 'Promotion',
    metadata: {
      name,
      namespace: useCase.namespace,
      labels,
      ...(useCase.uid
        ? {
            ownerReferences: [
              {
                apiVersion: API_GROUP_VERSION,
                kind: 'UseCase',
                name: useCase.name,
                uid: useCase.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec,
  };
}

export const promotionBranch = (namespace: string, spec: PromotionSpec) =>
  branchName(identityOf(namespace, spec));

/**
 * Versions per stage: what the GitOps repository showed (status.stages, written by the use case reconciler)
 * over what spec.versions declares. The repository is what runs.
 */
export function runningVersions(spec: UseCaseSpec, status: UseCaseStatus | undefined): Map<string, string> {
  const versions = new Map(spec.versions.map((v) => [v.stage, v.version]));
  for (const s of status?.stages ?? []) if (s.version !== undefined) versions.set(s.stage, s.version);
  return versions;
}

/**
 * The gates of entering `to` with the candidate, measured in the stage before it; readiness too when `to` is the
 * last stage. The same rules as evaluatePromotion, for a stage a person names (`vigil promote --to`).
 */
export function gatesFor(
  spec: UseCaseSpec,
  status: UseCaseStatus | undefined,
  train: ReleaseTrainSpec,
  to: string,
  now: Date,
): { from?: string; gates: GateResult[] } {
  const index = train.stages.findIndex((s) => s.name === to);
  const from = index > 0 ? train.stages[index - 1]!.name : undefined;
  const since = from ? status?.stages?.find((s) => s.stage === from)?.since : undefined;
  // What the use case measured in `from` (status.stages[].evidence): the figures its PromotionReady judged.
  const measured = from ? observationsFromStages(status?.stages ?? [])[from] : undefined;
  const evaluation = evaluateGates({
    candidate: spec.candidate,
    train,
    from,
    to,
    ...(from !== undefined ? { observed: measured ?? (since ? { since } : {}) } : {}),
    baselines: spec.baselineMetrics,
    oversight: spec.humanOversight,
    now,
  });
  const gates = [...evaluation.gates];
  if (index >= 0 && index === train.stages.length - 1) {
    const readiness = evaluateReadiness(spec.readiness);
    gates.push({ name: 'readiness', passed: readiness.complete, message: readiness.message });
  }
  return { ...(from !== undefined ? { from } : {}), gates };
}

/** The teams asked to review: one per role the use case's risk class requires, in policy order, no repeats. */
export function reviewerTeams(policy: SignoffPolicySpec, riskClass: string): string[] {
  const required = policy.requirements.find((r) => r.riskClass === riskClass)?.roles ?? [];
  const teams = required
    .map((role) => policy.roles.find((r) => r.name === role)?.team)
    .filter((t): t is string => t !== undefined);
  return [...new Set(teams)];
}

/** `vigil`, the kind of change, and the risk class: what a reviewer filters the queue by. */
export function pullRequestLabels(type: PromotionSpec['type'], riskClass: string): string[] {
  return ['vigil', type, riskClass];
}

export function commitMessage(namespace: string, name: string, spec: PromotionSpec, useCase: string): string {
  const head =
    spec.type === 'rollback'
      ? `Roll back ${useCase} to ${spec.version} in ${spec.to}`
      : `Promote ${useCase} ${spec.version} to ${spec.to}`;
  return `${head}\n\nPromotion: ${namespace}/${name}\nVigil-Promotion: ${namespace}/${name}\n`;
}
