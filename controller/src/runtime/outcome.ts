// How a reconcile ended, and the one function that turns that into the summary conditions (Ready, Reconciling,
// Stalled), whether observedGeneration moves, and when the key runs again.
import {
  type Condition,
  type ConditionUpdate,
  READY,
  RECONCILING,
  removeCondition,
  STALLED,
  setCondition,
} from './conditions.js';
import { messageOf, StalledError, WaitingError } from './errors.js';
import type { Disposition } from './work-queue.js';

export type ReconcileOutcome =
  /** The steps ran to the end. `ready` is the controller's own verdict, when it gave one. */
  | { kind: 'succeeded'; ready?: ConditionUpdate; requeueAfterMs?: number }
  /** `spec.suspend` is true: no steps ran. */
  | { kind: 'suspended' }
  | { kind: 'stalled'; error: StalledError }
  | { kind: 'waiting'; error: WaitingError }
  | { kind: 'failed'; error: unknown };

/** The outcome of a reconcile that threw `error`. */
export function outcomeOfError(error: unknown): ReconcileOutcome {
  if (error instanceof StalledError) return { kind: 'stalled', error };
  if (error instanceof WaitingError) return { kind: 'waiting', error };
  return { kind: 'failed', error };
}

/** The label metrics and logs use for an outcome. */
export function resultLabel(
  outcome: ReconcileOutcome,
): 'success' | 'suspended' | 'stalled' | 'waiting' | 'error' {
  switch (outcome.kind) {
    case 'succeeded':
      return 'success';
    case 'failed':
      return 'error';
    default:
      return outcome.kind;
  }
}

export interface ResolvedOutcome {
  conditions: Condition[];
  /** Whether status.observedGeneration moves to the object's generation: only when the work is finished. */
  observed: boolean;
  disposition: Disposition;
}

/**
 * Map an outcome to conditions and a requeue, in one place:
 * - succeeded: Ready as the controller said (True/Succeeded by default); Reconciling and Stalled cleared;
 * - suspended: Ready=Unknown/Suspended; nothing runs until spec.suspend is lifted (no requeue);
 * - stalled: Ready=False and Stalled=True with the error's reason; Reconciling cleared; no retry;
 * - waiting: Ready=False and Reconciling=True with the error's reason; retried after the error's delay;
 * - failed (transient): Ready=False/ReconciliationFailed, Reconciling=True/ProgressingWithRetry; backoff.
 * Reconciling and Stalled are never both True, and Ready is always present.
 */
export function resolveOutcome(
  outcome: ReconcileOutcome,
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
  now: Date | number,
): ResolvedOutcome {
  const set = (
    list: readonly Condition[],
    type: string,
    status: Condition['status'],
    reason: string,
    message: string,
  ) => setCondition(list, { type, status, reason, message }, generation, now);
  const list = conditions ?? [];
  switch (outcome.kind) {
    case 'succeeded': {
      const ready = outcome.ready ?? {
        type: READY,
        status: 'True',
        reason: 'Succeeded',
        message: 'Reconciliation succeeded',
      };
      const cleared = removeCondition(removeCondition(list, RECONCILING), STALLED);
      const disposition: Disposition =
        outcome.requeueAfterMs !== undefined && outcome.requeueAfterMs > 0
          ? { action: 'requeueAfter', ms: outcome.requeueAfterMs }
          : { action: 'forget' };
      return {
        conditions: setCondition(cleared, { ...ready, type: READY }, generation, now),
        observed: true,
        disposition,
      };
    }
    case 'suspended': {
      const cleared = removeCondition(removeCondition(list, RECONCILING), STALLED);
      return {
        conditions: set(
          cleared,
          READY,
          'Unknown',
          'Suspended',
          'Reconciliation is suspended (spec.suspend is true)',
        ),
        observed: true,
        disposition: { action: 'forget' },
      };
    }
    case 'stalled': {
      const { reason, message } = outcome.error;
      const cleared = removeCondition(list, RECONCILING);
      return {
        conditions: set(set(cleared, STALLED, 'True', reason, message), READY, 'False', reason, message),
        observed: true,
        disposition: { action: 'forget' },
      };
    }
    case 'waiting': {
      const { reason, message, retryAfterMs } = outcome.error;
      const cleared = removeCondition(list, STALLED);
      return {
        conditions: set(set(cleared, RECONCILING, 'True', reason, message), READY, 'False', reason, message),
        observed: false,
        disposition: { action: 'requeueAfter', ms: retryAfterMs },
      };
    }
    case 'failed': {
      const message = messageOf(outcome.error);
      const cleared = removeCondition(list, STALLED);
      return {
        conditions: set(
          set(cleared, RECONCILING, 'True', 'ProgressingWithRetry', `Retrying after a failure: ${message}`),
          READY,
          'False',
          'ReconciliationFailed',
          message,
        ),
        observed: false,
        disposition: { action: 'retry' },
      };
    }
  }
}
