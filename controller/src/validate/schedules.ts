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
 * Whether the recurring deny windows `indices` between them cover every departure of the train in the next two
 * years (so, as schedules repeat, every departure). False when the train never fires, which is reported on its
 * own, and for a train departing so often that two years of departures are too many to look at.
 */
export function coversEveryDeparture(spec: ReleaseTrainSpec, indices: readonly number[], now: Date): boolean {
  const zone = { timezone: spec.schedule.timeZone, paused: true };
  let schedule: Cron;
  const windows: { opens: Cron; lengthMs: number }[] = [];
  try {
    schedule = new Cron(spec.schedule.cron, zone);
    for (const i of indices) {
      const w = spec.denyWindows[i];
      if (w?.cron === undefined || w.duration === undefined) return false;
      windows.push({ opens: new Cron(w.cron, zone), lengthMs: (parseDuration(w.duration) ?? 0) * 1000 });
    }
  } catch {
    return false;
  }
  // As the controller decides (kinds/releasetrain/schedule.ts): a window covers a departure at t when it opened
  // in (t - length, t].
  const covered = (t: number) =>
    windows.some(({ opens, lengthMs }) => {
      const start = opens.nextRun(new Date(t - lengthMs));
      return start !== null && start.getTime() <= t;
    });
  const end = now.getTime() + HORIZON_MS;
  let from = now;
  let seen = 0;
  for (;;) {
    const at = schedule.nextRun(from);
    if (!at || at.getTime() > end) return seen > 0;
    if (++seen > DEPARTURES_CHECKED || !covered(at.getTime())) return false;
    from = at;
  }
}
