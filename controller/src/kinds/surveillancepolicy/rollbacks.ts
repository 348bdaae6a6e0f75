// How a SurveillancePolicy reports the rollbacks its rollback tier called for: the RollbackOpened condition, an
// Event per Promotion and per stage left as it is, and the Promotion names in status.actions[].reference.
import type { RollbackPlan } from '../../promotion/rollback.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition } from '../conditions.js';
import type { ActionRecord } from './status.js';

export const ROLLBACK_OPENED = 'RollbackOpened';

export interface RollbackReport {
  condition: ConditionUpdate;
  events: EventSpec[];
}

/** Without a forge no Promotion would ever be followed to a pull request, so none is created. */
export function noForgeReport(useCases: readonly string[]): RollbackReport {
  const message = `the controller runs without a forge, so no rollback pull request can be opened for ${useCases.join(', ')}; roll back by hand`;
  return {
    condition: condition(ROLLBACK_OPENED, 'False', 'NoForge', message),
    events: [{ type: 'Warning', reason: 'RollbackNotOpened', message }],
  };
}

/**
 * True when every stage that runs a degraded version has its rollback Promotion; False, with the first reason,
 * when any stage was left as it is: a person has to act on that one.
 */
export function rollbackReport(plans: readonly RollbackPlan[], created: ReadonlySet<string>): RollbackReport {
  const events: EventSpec[] = [];
  const opened: string[] = [];
  const left: string[] = [];
  let reason: string | undefined;
  for (const plan of plans) {
    for (const r of plan.rollbacks) {
      const what = `${plan.useCase} ${r.stage} from ${r.from} back to ${r.to}`;
      opened.push(`${r.name} (${what})`);
      const glass = r.breakGlass ? plan.breakGlass.why : `full sign-off required: ${plan.breakGlass.why}`;
      events.push({
        type: 'Normal',
        reason: ROLLBACK_OPENED,
        message: `${created.has(r.name) ? 'created' : 'found'} rollback Promotion ${r.name}: ${what}; ${glass}`,
      });
    }
    for (const s of plan.skipped) {
      reason ??= s.reason;
      left.push(s.message);
      events.push({ type: 'Warning', reason: 'RollbackNotOpened', message: s.message });
    }
  }
  const parts = [
    ...(opened.length > 0 ? [`rollback Promotion ${opened.join(', ')}`] : []),
    ...(left.length > 0 ? [`not rolled back: ${left.join('; ')}`] : []),
  ];
  return {
    condition:
      reason === undefined
        ? condition(ROLLBACK_OPENED, 'True', 'RollbackOpened', parts.join('; '))
        : condition(ROLLBACK_OPENED, 'False', reason, parts.join('; ')),
    events,
  };
}

/** The rollback actions recorded this pass (from index `since` on), each given its use case's Promotion names. */
export function referenceRollbacks(
  actions: readonly ActionRecord[],
  since: number,
  plans: readonly RollbackPlan[],
): ActionRecord[] {
  const references = new Map(
    plans.flatMap((p) =>
      p.rollbacks.length > 0 ? [[p.useCase, p.rollbacks.map((r) => r.name).join(', ')]] : [],
    ),
  );
  return actions.map((a, i) => {
    const reference = a.useCase !== undefined ? references.get(a.useCase) : undefined;
    return i >= since && a.action === 'rollback' && reference !== undefined ? { ...a, reference } : a;
  });
}
