// How a SurveillancePolicy reports the rollbacks its rollback tier called for: the RollbackOpened condition, an
// Event per Promotion and per stage left as it is, and the Promotion names in status.actions[].reference, with
// the name and uid of each Promotion the controller created in status.actions[].rollbacks (break-glass rests on it).
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

/** Promotion uids by name. */
export type Uids = ReadonlyMap<string, string>;

/**
 * The rollback actions recorded this pass (from index `since` on), each given its use case's Promotion names, and
 * the breach record break-glass rests on: the rollbacks by name and uid. Only a Promotion this controller created
 * (`created`, uids from the API server's answers) or one an earlier record already names with the uid it still
 * has (`existing`) is recorded; one found under the planned name but made by someone else is not, so it never
 * gets break-glass.
 */
export function referenceRollbacks(
  actions: readonly ActionRecord[],
  since: number,
  plans: readonly RollbackPlan[],
  created: Uids = new Map(),
  existing: Uids = new Map(),
): ActionRecord[] {
  const recordedBefore = new Set(
    actions
      .slice(0, since)
      .flatMap((a) => (a.action === 'rollback' ? (a.rollbacks ?? []) : []))
      .map((r) => `${r.name}/${r.uid}`),
  );
  const uidOf = (name: string): string | undefined => {
    const made = created.get(name);
    if (made) return made;
    const uid = existing.get(name);
    return uid && recordedBefore.has(`${name}/${uid}`) ? uid : undefined;
  };
  const byUseCase = new Map(
    plans.flatMap((p) => {
      if (p.rollbacks.length === 0) return [];
      const rollbacks = p.rollbacks.flatMap((r) => {
        const uid = uidOf(r.name);
        return uid ? [{ name: r.name, uid, stage: r.stage, version: r.to }] : [];
      });
      return [[p.useCase, { reference: p.rollbacks.map((r) => r.name).join(', '), rollbacks }]];
    }),
  );
  return actions.map((a, i) => {
    const found = a.useCase !== undefined ? byUseCase.get(a.useCase) : undefined;
    if (i < since || a.action !== 'rollback' || found === undefined) return a;
    return {
      ...a,
      reference: found.reference,
      ...(found.rollbacks.length > 0 ? { rollbacks: found.rollbacks } : {}),
    };
  });
}
