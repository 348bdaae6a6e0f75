// When the controller tests a contract's data again: on the contract's own schedule.
//
// - Quality rules with `scheduler: cron` and a `schedule` ("0 20 * * *", UTC): the test runs at the earliest
//   time any of them names after the last test. All rules run then; a test is one pass over the data.
// - Else an SLA `frequency` (value and unit: "1 d", "6 h"): the data is tested as often as it is delivered.
// - Else once a day.
import { Cron } from 'croner';
import type { DataContractSpec } from '../../../../specs/datacontract.js';

/** How long a test result stands when the contract names no schedule. */
export const DEFAULT_TEST_INTERVAL_MS = 24 * 3_600_000;

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/** Never test more often than this, whatever a schedule says: a test reads all of the data. */
const MIN_INTERVAL_MS = 5 * 60_000;

/** Every cron schedule of the contract's quality rules, at any level. */
function cronSchedules(spec: DataContractSpec): string[] {
  const found: string[] = [];
  const visit = (rules: { schedule?: string; scheduler?: string }[] | undefined) => {
    for (const q of rules ?? []) {
      if (q.schedule && (q.scheduler ?? 'cron').toLowerCase() === 'cron') found.push(q.schedule);
    }
  };
  for (const o of spec.schema ?? []) {
    visit(o.quality);
    for (const p of o.properties ?? []) visit(p.quality);
  }
  return [...new Set(found)];
}

/** When the test after one at `last` is due. */
export function nextTestAt(spec: DataContractSpec, last: Date): Date {
  const crons = cronSchedules(spec).flatMap((expr) => {
    try {
      const next = new Cron(expr, { timezone: 'UTC' }).nextRun(last);
      return next ? [next.getTime()] : [];
    } catch {
      return []; // `vigil validate` reports a schedule that does not parse; here it is ignored.
    }
  });
  if (crons.length > 0) return new Date(Math.max(Math.min(...crons), last.getTime() + MIN_INTERVAL_MS));
  const frequency = (spec.slaProperties ?? []).find((s) => s.property === 'frequency');
  const unit = frequency ? UNIT_MS[(frequency.unit ?? 'd').toLowerCase()] : undefined;
  if (frequency && typeof frequency.value === 'number' && frequency.value > 0 && unit !== undefined) {
    return new Date(last.getTime() + Math.max(frequency.value * unit, MIN_INTERVAL_MS));
  }
  return new Date(last.getTime() + DEFAULT_TEST_INTERVAL_MS);
}
