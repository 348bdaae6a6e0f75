// Conditions per the Kubernetes API conventions: pure functions over a conditions list. `Ready` summarises;
// `lastTransitionTime` moves only when the status flips; reasons are CamelCase; messages are bounded.
import type { Condition } from '../../../specs/common.js';

export type { Condition };
export type ConditionStatus = Condition['status'];

/** What a controller says about one condition; the time and generation are filled in by setCondition. */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export const READY = 'Ready';
export const RECONCILING = 'Reconciling';
export const STALLED = 'Stalled';

/** Longest message kept; the API server allows more, but a condition is read in a terminal column. */
export const MAX_MESSAGE_LENGTH = 1024;

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** A reason in the form the API requires (CamelCase, starting with a letter): "waiting for contract" -> "WaitingForContract". */
export function toReason(text: string): string {
  if (REASON.test(text) && /^[A-Z]/.test(text)) return text;
  const words = text.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const camel = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const fromLetter = camel.replace(/^[^A-Za-z]+/, '');
  return fromLetter === '' ? 'Unknown' : fromLetter;
}

/** Keep a message within MAX_MESSAGE_LENGTH, marking the cut. */
export function truncateMessage(message: string, max = MAX_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  return `${message.slice(0, max - 3)}...`;
}

/** RFC 3339 to the second, as metav1.Time serialises. */
export function toTimestamp(now: Date | number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/**
 * Set one condition, returning a new list. The transition time is kept unless the status flips, and an
 * update that changes nothing returns an equal list, so an unchanged reconcile writes nothing.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  generation: number | undefined,
  now: Date | number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: toReason(update.reason),
    message: truncateMessage(update.message),
    lastTransitionTime:
      previous && previous.status === update.status ? previous.lastTransitionTime : toTimestamp(now),
  };
  if (generation !== undefined) next.observedGeneration = generation;
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** The status fields the condition rules look at. */
export interface ConditionedStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

/**
 * Which condition rules a status breaks (empty when it keeps them all): Ready present; never Reconciling and
 * Stalled both True; Ready not True while the status describes an older generation; CamelCase reasons;
 * bounded messages.
 */
export function conditionViolations(
  status: ConditionedStatus | undefined,
  generation: number | undefined,
): string[] {
  const problems: string[] = [];
  const conditions = status?.conditions ?? [];
  const ready = findCondition(conditions, READY);
  if (!ready) problems.push('Ready is missing');
  if (isTrue(conditions, RECONCILING) && isTrue(conditions, STALLED)) {
    problems.push('Reconciling and Stalled are both True');
  }
  const observed = status?.observedGeneration ?? 0;
  if (ready?.status === 'True' && generation !== undefined && observed < generation) {
    problems.push(`Ready is True while observedGeneration ${observed} < generation ${generation}`);
  }
  for (const c of conditions) {
    if (!REASON.test(c.reason)) problems.push(`${c.type} has a reason that is not CamelCase: "${c.reason}"`);
    if (c.message.length > MAX_MESSAGE_LENGTH)
      problems.push(`${c.type} has a message over ${MAX_MESSAGE_LENGTH} characters`);
  }
  const types = conditions.map((c) => c.type);
  if (new Set(types).size !== types.length) problems.push('a condition type appears twice');
  return problems;
}
