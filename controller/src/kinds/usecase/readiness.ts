// The production readiness checklist: eight items, each done, not applicable, or still open.
import { READINESS_ITEMS, type ReadinessItem, type UseCaseSpec } from '../../../../specs/usecase.js';

type ItemStatus = NonNullable<UseCaseSpec['readiness'][ReadinessItem]>['status'];

export interface ReadinessEvaluation {
  /** Items done or not applicable. */
  ready: number;
  total: number;
  /** Items still open, in checklist order; an item left out of the spec counts as not started. */
  missing: { item: ReadinessItem; status: ItemStatus }[];
  complete: boolean;
  /** e.g. "6/8", for status.readiness. */
  summary: string;
  message: string;
}

export function evaluateReadiness(readiness: UseCaseSpec['readiness']): ReadinessEvaluation {
  const missing: ReadinessEvaluation['missing'] = [];
  for (const item of READINESS_ITEMS) {
    const status = readiness[item]?.status ?? 'not-started';
    if (status !== 'done' && status !== 'not-applicable') missing.push({ item, status });
  }
  const total = READINESS_ITEMS.length;
  const ready = total - missing.length;
  const summary = `${ready}/${total}`;
  const message =
    missing.length === 0
      ? `all ${total} readiness items are done or not applicable`
      : `${summary} readiness items done; open: ${missing.map((m) => `${m.item} (${m.status})`).join(', ')}`;
  return { ready, total, missing, complete: missing.length === 0, summary, message };
}
