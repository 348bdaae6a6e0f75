// How every kind's decisions word a condition.
import { type ConditionUpdate, truncateMessage } from '../runtime/index.js';

/** Condition messages are read in `kubectl describe` and in pull requests: keep them to a few lines. */
export const MESSAGE_LIMIT = 300;

export const condition = (
  type: string,
  status: ConditionUpdate['status'],
  reason: string,
  message: string,
): ConditionUpdate => ({ type, status, reason, message: truncateMessage(message, MESSAGE_LIMIT) });
