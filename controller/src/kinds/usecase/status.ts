// A use case's status from what it refers to: references, contracts, surveillance, the candidate's gates.
//
// Ready is True exactly when Valid and ContractsSatisfied are: the use case is declared consistently and reads
// the data it was built on, so the controller can act on it. SurveillanceHealthy and PromotionReady inform
// and do not make Ready False: a degraded deployed version is precisely when the controller must keep acting
// (open the rollback, let a fixed candidate board), and `kubectl get uc` shows the surveillance tier in its own
// column beside Ready. Suspension is left to the runtime (Ready Unknown, reason Suspended); this decision is not
// asked for while spec.suspend is true, so it does not look at it.
import type { DataContractSpec, DataContractStatus } from '../../../../specs/datacontract.js';
import type { ReleaseTrainSpec } from '../../../../specs/releasetrain.js';
import type { SignoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import type {
  SurveillancePolicySpec,
  SurveillancePolicyStatus,
} from '../../../../specs/surveillancepolicy.js';
import type { UseCaseSpec, UseCaseStatus } from '../../../../specs/usecase.js';
import type { Condition, ConditionUpdate } from '../../runtime/conditions.js';
import { toTimestamp, truncateMessage } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition, MESSAGE_LIMIT } from '../conditions.js';
import { earliest, expansionHeld } from '../releasetrain/departure.js';
import type { ClaimConflict } from './claims.js';
import { observationsFromStages, type StageEvidenceRecord } from './evidence.js';
import type { StageObservations } from './gates.js';
import { evaluatePromotion, type PromotionVerdict } from './promotion.js';
import { evaluateReadiness } from './readiness.js';
import { missingReferenceMessage, references } from './references.js';
import { nextStage } from './stages.js';

export { MESSAGE_LIMIT };

/** status.waitingOn is a printer column: a line, not a paragraph. */
const WAITING_LIMIT = 160;

/** An object as the informer cache holds it: its spec and, once reconciled, its status. */
export interface Observed<S, T = undefined> {
  spec: S;
  status?: T;
}

export interface UseCaseObservation {
  namespace: string;
  spec: UseCaseSpec;
  /** The status as last written: stage `since` times and the conditions before this pass. */
  status?: UseCaseStatus;
  /** Each referenced object, undefined when it does not exist. */
  train?: Observed<ReleaseTrainSpec>;
  contracts: Readonly<Record<string, Observed<DataContractSpec, DataContractStatus> | undefined>>;
  surveillancePolicy?: Observed<SurveillancePolicySpec, SurveillancePolicyStatus>;
  signoffPolicy?: Observed<SignoffPolicySpec>;
  /** What each stage observed for the version running there (encounters, outcomes, expansion metrics). */
  observations?: Readonly<Record<string, StageObservations>>;
  /**
   * Evidence measured from the inference log, per stage, for the version named: recorded in status.stages (so a
   * Promotion reads the same figures) and held against the gates, under `observations` given here.
   */
  evidence?: Readonly<Record<string, { version: string; evidence: StageEvidenceRecord }>>;
  /** Deployment files of this use case that other use cases claim too. */
  claimConflicts?: readonly ClaimConflict[];
  now: Date;
}

export interface UseCaseDecision {
  /** The status fields this controller owns; an undefined field is removed. */
  status: Pick<
    UseCaseStatus,
    'productionVersion' | 'candidateVersion' | 'stages' | 'readiness' | 'surveillanceTier' | 'waitingOn'
  >;
  conditions: ConditionUpdate[];
  events: EventSpec[];
  /** The candidate's verdict, for the Promotion a departure opens. */
  promotion?: PromotionVerdict;
  /** Decide again at this time: the verdict changes with time alone (a soak ends). */
  wakeAt?: Date;
}

export function decideUseCaseStatus(input: UseCaseObservation): UseCaseDecision {
  const { spec, now } = input;
  const train = input.train?.spec;
  const stages = observedStages(input);
  const sinceByStage = Object.fromEntries(stages.map((s) => [s.stage, s.since]));
  const observations = { ...observationsFromStages(stages), ...input.observations };
  const promotion = train ? evaluatePromotion(spec, train, now, observations, sinceByStage) : undefined;

  const valid = validCondition(input);
  const contracts = contractsCondition(input);
  const surveillance = surveillanceCondition(input);
  const promotionReady = promotion
    ? condition('PromotionReady', promotion.ready ? 'True' : 'False', promotion.reason, promotion.message)
    : condition(
        'PromotionReady',
        'Unknown',
        'MissingReference',
        `${missingReferenceMessage('ReleaseTrain', spec.releaseTrain, input.namespace)}; the candidate's gates cannot be evaluated`,
      );
  const owned = ownedCondition(input.claimConflicts ?? []);
  const ready =
    owned.status === 'False'
      ? condition('Ready', 'False', owned.reason, owned.message)
      : readyCondition(valid, contracts, surveillance, promotion, stages);
  const conditions = [ready, valid, contracts, surveillance, promotionReady, owned];

  const last = stages[stages.length - 1];
  // A wave whose gates are met but that a freeze holds says so, and is decided again when the freeze ends.
  const held = train && promotion?.ready ? expansionHeld(train, promotion.to, now) : undefined;
  const wakeAt = earliest(promotion?.wakeAt, held?.until);
  return {
    status: {
      productionVersion: train ? last?.version : undefined,
      candidateVersion: spec.candidate?.version,
      stages,
      readiness: evaluateReadiness(spec.readiness).summary,
      surveillanceTier: input.surveillancePolicy?.status?.worstTier,
      waitingOn:
        promotion?.reason === 'GatesNotMet' && promotion.shortfalls.length > 0
          ? truncateMessage(promotion.shortfalls.join('; '), WAITING_LIMIT)
          : held
            ? truncateMessage(held.message, WAITING_LIMIT)
            : undefined,
    },
    conditions,
    events: transitions(input.status?.conditions, conditions),
    ...(promotion ? { promotion } : {}),
    ...(wakeAt ? { wakeAt } : {}),
  };
}

/** The version per stage, in train order (deployment order when the train is missing), keeping `since`. */
function observedStages(input: UseCaseObservation): NonNullable<UseCaseStatus['stages']> {
  const { spec } = input;
  const plan = input.train
    ? nextStage(spec, input.train.spec).stages
    : spec.deployment.targets.map((t) => {
        const version = spec.versions.find((v) => v.stage === t.stage)?.version;
        return version === undefined ? { stage: t.stage } : { stage: t.stage, version };
      });
  const before = new Map((input.status?.stages ?? []).map((s) => [s.stage, s]));
  return plan.map((s) => {
    if (s.version === undefined) return { stage: s.stage };
    const previous = before.get(s.stage);
    // `since` is when this version was first seen in the stage: it holds while the version does.
    const since =
      previous?.version === s.version && previous.since !== undefined
        ? previous.since
        : toTimestamp(input.now);
    const measured = input.evidence?.[s.stage];
    return {
      stage: s.stage,
      version: s.version,
      since,
      ...(measured?.version === s.version ? { evidence: measured.evidence } : {}),
    };
  });
}

/** Whether this use case alone claims its deployment files: a shared file is gated closed. */
function ownedCondition(conflicts: readonly ClaimConflict[]): ConditionUpdate {
  if (conflicts.length === 0) {
    return condition(
      'DeploymentOwned',
      'True',
      'SoleClaimant',
      'no other use case claims its deployment files',
    );
  }
  const each = conflicts.map((c) => `${c.path} is also claimed by ${c.claimants.join(', ')}`);
  return condition(
    'DeploymentOwned',
    'False',
    'ClaimConflict',
    `${each.join('; ')}: a file is governed by exactly one use case, so every change to it fails sign-off until one claim is dropped`,
  );
}

function validCondition(input: UseCaseObservation): ConditionUpdate {
  const { spec, namespace } = input;
  const exists = (kind: string, name: string): boolean => {
    if (kind === 'DataContract') return input.contracts[name] !== undefined;
    if (kind === 'ReleaseTrain') return input.train !== undefined;
    if (kind === 'SurveillancePolicy') return input.surveillancePolicy !== undefined;
    return input.signoffPolicy !== undefined;
  };
  const refs = references(spec);
  const missing = refs.filter((r) => !exists(r.kind, r.name));
  if (missing.length > 0) {
    return condition(
      'Valid',
      'False',
      'MissingReference',
      missing.map((r) => missingReferenceMessage(r.kind, r.name, namespace)).join('; '),
    );
  }
  const train = input.train!.spec;
  const onTrain = new Set(train.stages.map((s) => s.name));
  const unknown = [
    ...spec.versions.map((v) => v.stage),
    ...spec.deployment.targets.map((t) => t.stage),
  ].filter((s, i, all) => !onTrain.has(s) && all.indexOf(s) === i);
  if (unknown.length > 0) {
    return condition(
      'Valid',
      'False',
      'UnknownStage',
      `${unknown.map((s) => `stage "${s}"`).join(', ')} not on ReleaseTrain "${spec.releaseTrain}" (its stages: ${[...onTrain].join(', ')})`,
    );
  }
  const policy = input.signoffPolicy!.spec;
  if (!policy.requirements.some((r) => r.riskClass === spec.riskClass)) {
    return condition(
      'Valid',
      'False',
      'NoSignoffRequirement',
      `SignoffPolicy "${spec.signoffPolicy}" has no requirement for risk class "${spec.riskClass}"; no change could be signed off`,
    );
  }
  return condition(
    'Valid',
    'True',
    'ReferencesResolved',
    `all ${refs.length} references resolve in namespace "${namespace}"`,
  );
}

function contractsCondition(input: UseCaseObservation): ConditionUpdate {
  const refs = input.spec.dataContracts;
  if (refs.length === 0) {
    return condition('ContractsSatisfied', 'True', 'NoContracts', 'the use case declares no data contracts');
  }
  const problems: { reason: string; message: string }[] = [];
  for (const ref of refs) {
    const contract = input.contracts[ref.name];
    if (!contract) {
      problems.push({
        reason: 'MissingReference',
        message: missingReferenceMessage('DataContract', ref.name, input.namespace),
      });
      continue;
    }
    const version = contract.spec.version;
    const breaking = contract.status?.breakingChanges ?? [];
    const firstBreak = breaking[0] ? `: ${breaking[0].message}` : '';
    if (ref.version !== undefined && ref.version !== version) {
      problems.push({
        reason: 'ContractVersionMismatch',
        message: `DataContract "${ref.name}" is at ${version}; the use case was built on ${ref.version}${breaking.length > 0 ? `, and ${version} has ${breaking.length} breaking change${breaking.length > 1 ? 's' : ''}${firstBreak}` : ''}`,
      });
      continue;
    }
    // Without a pin there is no telling which version the model was built on: breaking changes count against
    // it, and so do breaking changes nobody could check.
    const unchecked =
      contract.spec.previousVersion !== undefined && contract.status?.breakingChanges === undefined;
    if (ref.version === undefined && unchecked) {
      problems.push({
        reason: 'BreakingChangesUnchecked',
        message: `DataContract "${ref.name}" ${version} replaces ${contract.spec.previousVersion}, which could not be compared; pin the version the model was built on`,
      });
      continue;
    }
    if (ref.version === undefined && breaking.length > 0) {
      problems.push({
        reason: 'BreakingChange',
        message: `DataContract "${ref.name}" ${version} has ${breaking.length} breaking change${breaking.length > 1 ? 's' : ''} against ${contract.spec.previousVersion ?? 'its previous version'}${firstBreak}; pin the version the model was built on`,
      });
      continue;
    }
    const ready = contract.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') {
      problems.push({
        reason: 'ContractNotReady',
        message: ready
          ? `DataContract "${ref.name}" is not Ready (${ready.reason}: ${ready.message})`
          : `DataContract "${ref.name}" has not been reconciled yet`,
      });
    }
  }
  if (problems.length === 0) {
    const names = refs.map((r) => `${r.name} ${input.contracts[r.name]!.spec.version}`).join(', ');
    return condition(
      'ContractsSatisfied',
      'True',
      'ContractsReady',
      `Ready at the versions the use case was built on: ${names}`,
    );
  }
  return condition(
    'ContractsSatisfied',
    'False',
    problems[0]!.reason,
    problems.map((p) => p.message).join('; '),
  );
}

function surveillanceCondition(input: UseCaseObservation): ConditionUpdate {
  const name = input.spec.surveillancePolicy;
  const type = 'SurveillanceHealthy';
  if (name === undefined) {
    return condition(
      type,
      'Unknown',
      'NoSurveillancePolicy',
      'no surveillance policy: nothing watches the deployed version',
    );
  }
  const policy = input.surveillancePolicy;
  if (!policy) {
    return condition(
      type,
      'Unknown',
      'MissingReference',
      missingReferenceMessage('SurveillancePolicy', name, input.namespace),
    );
  }
  const tier = policy.status?.worstTier;
  if (tier === undefined) {
    return condition(
      type,
      'Unknown',
      'NotEvaluated',
      `SurveillancePolicy "${name}" has not evaluated its metrics yet`,
    );
  }
  const detail = policy.status?.conditions?.find((c: Condition) => c.type === 'Healthy')?.message;
  const said = detail ? `: ${detail}` : '';
  switch (tier) {
    case 'none':
      return condition(type, 'True', 'Healthy', `SurveillancePolicy "${name}": no metric has reached a tier`);
    case 'notify':
      return condition(type, 'True', 'NotifyTier', `SurveillancePolicy "${name}" is at notify${said}`);
    case 'review':
      return condition(
        type,
        'False',
        'ReviewTier',
        `SurveillancePolicy "${name}" reached review; a governance review is due${said}`,
      );
    case 'rollback':
      return condition(
        type,
        'False',
        'RollbackTier',
        `SurveillancePolicy "${name}" reached rollback; the deployed version is being rolled back${said}`,
      );
    default:
      return condition(
        type,
        'Unknown',
        'UnknownTier',
        `SurveillancePolicy "${name}" reports tier "${tier}", which is not none, notify, review or rollback`,
      );
  }
}

function readyCondition(
  valid: ConditionUpdate,
  contracts: ConditionUpdate,
  surveillance: ConditionUpdate,
  promotion: PromotionVerdict | undefined,
  stages: NonNullable<UseCaseStatus['stages']>,
): ConditionUpdate {
  if (valid.status !== 'True') return condition('Ready', 'False', valid.reason, valid.message);
  if (contracts.status !== 'True') return condition('Ready', 'False', contracts.reason, contracts.message);
  const production = stages[stages.length - 1];
  const parts = [
    production?.version !== undefined
      ? `${production.stage} runs ${production.version}`
      : `nothing deployed to ${production?.stage ?? 'the last stage'} yet`,
  ];
  if (promotion?.version !== undefined && promotion.to !== undefined) {
    const failing = promotion.gates.filter((g) => !g.passed).length;
    parts.push(
      promotion.ready
        ? `candidate ${promotion.version} is ready for ${promotion.to}`
        : `candidate ${promotion.version} waits on ${failing} gate${failing === 1 ? '' : 's'} for ${promotion.to}`,
    );
  }
  if (surveillance.status === 'False') parts.push(`surveillance: ${surveillance.reason}`);
  return condition('Ready', 'True', 'Reconciled', parts.join('; '));
}

/** Events for conditions that changed status since the last pass: what a person should hear about. */
function transitions(before: readonly Condition[] | undefined, after: ConditionUpdate[]): EventSpec[] {
  const was = (type: string) => before?.find((c) => c.type === type)?.status ?? 'Unknown';
  const events: EventSpec[] = [];
  for (const c of after) {
    if (c.status === was(c.type)) continue;
    if (c.type === 'PromotionReady' && c.status === 'True') {
      events.push({ type: 'Normal', reason: 'CandidateReady', message: c.message });
    } else if (
      c.status === 'False' &&
      c.type !== 'Ready' &&
      c.type !== 'PromotionReady' &&
      // Valid already tells of a missing object; one Warning is enough.
      (c.type === 'Valid' || c.reason !== 'MissingReference')
    ) {
      events.push({ type: 'Warning', reason: c.reason, message: c.message });
    }
  }
  return events;
}
