// Whether a Promotion may merge on break-glass, before any I/O. Its own fields prove nothing: anyone allowed to
// create a Promotion can write `type: rollback` and `breakGlass: true`. What proves a real rollback is a breach
// record in a SurveillancePolicy's status (written only by the controller, through the status subresource) that
// names this very Promotion by name and uid, and the GitOps repository's history showing the version it rolls
// back to running on that stage before.
import type { PromotionSpec } from '../../../specs/promotion.js';
import type { SurveillancePolicyStatus } from '../../../specs/surveillancepolicy.js';

export type BreakGlassRefusal =
  | 'NotRequested'
  | 'NotARollback'
  | 'NotOpenedBySurveillance'
  | 'ChangedSinceOpened'
  | 'HistoryNotRead'
  | 'VersionNeverDeployed';

export interface BreachRecord {
  /** The SurveillancePolicy whose status records the breach. */
  policy: string;
  at: string;
  metric: string;
  tier: string;
}

export type BreakGlassVerdict =
  | { eligible: true; breach: BreachRecord; message: string }
  | { eligible: false; reason: BreakGlassRefusal; message: string };

export interface BreakGlassFacts {
  promotion: {
    name: string;
    uid?: string;
    spec: Pick<PromotionSpec, 'useCase' | 'type' | 'to' | 'version' | 'breakGlass'>;
  };
  /** The SurveillancePolicies of the Promotion's namespace, with their status. */
  policies: readonly { name: string; status?: SurveillancePolicyStatus }[];
  /**
   * The versions the use case's deployment file for that stage set on the base branch, from its history; absent
   * while not read. The caller reads it only when everything else allows break-glass.
   */
  deployedBefore?: readonly string[];
}

type Action = NonNullable<SurveillancePolicyStatus['actions']>[number];

/** The breach record that names the Promotion by name and uid, newest first; the policy's name with it. */
function recordNaming(
  facts: BreakGlassFacts,
): { policy: string; action: Action; rollback: NonNullable<Action['rollbacks']>[number] } | undefined {
  const { name, uid, spec } = facts.promotion;
  if (!uid) return undefined;
  for (const p of facts.policies) {
    const actions = p.status?.actions ?? [];
    for (let i = actions.length - 1; i >= 0; i--) {
      const action = actions[i]!;
      if (action.action !== 'rollback' || action.useCase !== spec.useCase) continue;
      const rollback = action.rollbacks?.find((r) => r.name === name && r.uid === uid);
      if (rollback) return { policy: p.name, action, rollback };
    }
  }
  return undefined;
}

export function breakGlassVerdict(facts: BreakGlassFacts): BreakGlassVerdict {
  const { name, spec } = facts.promotion;
  const refuse = (reason: BreakGlassRefusal, message: string): BreakGlassVerdict => ({
    eligible: false,
    reason,
    message,
  });
  if (!spec.breakGlass) return refuse('NotRequested', `Promotion ${name} does not ask for break-glass`);
  if (spec.type !== 'rollback') {
    return refuse(
      'NotARollback',
      `break-glass refused: Promotion ${name} is a ${spec.type}, and only a rollback may use break-glass`,
    );
  }
  const found = recordNaming(facts);
  if (!found) {
    return refuse(
      'NotOpenedBySurveillance',
      `break-glass refused: no SurveillancePolicy's status records a breach for which the controller created Promotion ${name} (by name and uid); a rollback created by a person needs the full sign-off`,
    );
  }
  const { policy, action, rollback } = found;
  if (rollback.stage !== spec.to || rollback.version !== spec.version) {
    return refuse(
      'ChangedSinceOpened',
      `break-glass refused: SurveillancePolicy ${policy} opened Promotion ${name} to roll ${rollback.stage} back to ${rollback.version}, but it now asks for ${spec.version} on ${spec.to}`,
    );
  }
  const breach = { policy, at: action.at, metric: action.metric, tier: action.tier };
  if (facts.deployedBefore === undefined) {
    return refuse(
      'HistoryNotRead',
      `break-glass refused: the deployment history of ${spec.to} has not been read, so ${spec.version} is not known to have run there`,
    );
  }
  if (!facts.deployedBefore.includes(spec.version)) {
    return refuse(
      'VersionNeverDeployed',
      `break-glass refused: the GitOps repository's history shows ${spec.to} never ran ${spec.version}, so rolling back to it is a new deployment and needs the full sign-off`,
    );
  }
  return {
    eligible: true,
    breach,
    message: `break-glass allowed: SurveillancePolicy ${policy} recorded ${action.metric} at ${action.tier} (${action.at}) and created this rollback; ${spec.to} ran ${spec.version} before`,
  };
}
