// Schedules that parse but cannot work: a cron with no date to fire on (30 February), and a recurring deny window
// that covers every departure of its train, so the train never leaves.
import { Cron } from 'croner';
import { parseDuration } from '../../../specs/common.js';
import type { ReleaseTrainSpec } from '../../../specs/releasetrain.js';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * Why a valid cron expression never fires, or undefined when it has a next time. croner looks years ahead, so a
 * date that only leap years have (29 February) still fires.
 */
export function neverFiresReason(cron: string, timeZone: string, now: Date): string | undefined {
  let next: Date | null;
  try {
    next = new Cron(cron, { timezone: timeZone, paused: true }).nextRun(now);
  } catch {
    return undefined; // not a valid expression: the schema says so
  }
  if (next) return undefined;
  const [, , day = '', month = ''] = cron.trim().split(/\s+/);
  const monthName = /^\d{1,2}$/.test(month) ? MONTHS[Number(month) - 1] : undefined;
  if (monthName && /^\d{1,2}$/.test(day)) return `${monthName} has no day ${day}`;
  return `day of month "${day}" falls in no month "${month}" allows`;
}

/** Departures looked at: two years of them, or this many, whichever comes first. */
const DEPARTURES_CHECKED = 2000;
const HORIZON_MS = 2 * 366 * 86_400_000;

/**
 * Whether the recurring deny window `index` covers every departure of the train in the next two years (so, as
 * schedules repeat, every departure). False when the train never fires, which is reported on its own, and for a
 * train departing so often that two years of departures are too many to look at.
 */
export function coversEveryDeparture(spec: ReleaseTrainSpec, index: number, now: Date): boolean {
  const window = spec.denyWindows[index];
  if (window?.cron === undefined || window.duration === undefined) return false;
  const lengthMs = (parseDuration(window.duration) ?? 0) * 1000;
  let schedule: Cron;
  let opens: Cron;
  try {
    schedule = new Cron(spec.schedule.cron, { timezone: spec.schedule.timeZone, paused: true });
    opens = new Cron(window.cron, { timezone: spec.schedule.timeZone, paused: true });
  } catch {
    return false;
  }
  const end = now.getTime() + HORIZON_MS;
  let from = now;
  let seen = 0;
  for (;;) {
    const at = schedule.nextRun(from);
    if (!at || at.getTime() > end) return seen > 0;
    if (++seen > DEPARTURES_CHECKED) return false;
    // As the controller decides (kinds/releasetrain/schedule.ts): covered when the window opened in (at - length, at].
    const start = opens.nextRun(new Date(at.getTime() - lengthMs));
    if (start === null || start.getTime() > at.getTime()) return false;
    from = at;
  }
}
