// When a train departs: the next time its cron fires, in the train's time zone, outside every deny window.
//
// A departure that falls in a deny window is skipped, not delayed: the train leaves at the next scheduled time
// after the window. Scheduled times are what people plan around (the cut-off, who is on call, the change
// advisory board); a departure delayed to a window's end would leave at an hour nobody chose, often at night
// (windows end at 00:00 or 06:00) and right after an EHR upgrade, when the systems are least settled.
//
// Times are evaluated in the train's zone by croner: across the spring-forward gap a time that does not exist
// runs once at the first valid minute after it; across the fall-back overlap a time that exists twice runs
// once, at its first occurrence. Window durations are elapsed time, so a 6h window starting 00:00 on a
// transition night ends at 05:00 or 07:00 local time.
import { Cron } from 'croner';
import { parseDuration } from '../../../../specs/common.js';
import type { ReleaseTrainSpec } from '../../../../specs/releasetrain.js';

/** How many scheduled times are tried before giving up: for a monthly train, over forty years. */
export const DEPARTURE_SEARCH_LIMIT = 500;

type DenyWindow = ReleaseTrainSpec['denyWindows'][number];

export interface SkippedDeparture {
  at: Date;
  window: string;
}

export type Departure =
  | { scheduled: true; at: Date; cutoffAt: Date; skipped: SkippedDeparture[] }
  | {
      scheduled: false;
      /** Suspended: the train is held; NeverFires: the cron has no future time; AllDenied: each time tried is denied. */
      reason: 'Suspended' | 'NeverFires' | 'AllDenied';
      message: string;
      skipped: SkippedDeparture[];
    };

/** The next departure strictly after `now`, skipping scheduled times inside deny windows. */
export function nextDeparture(
  spec: ReleaseTrainSpec,
  now: Date,
  limit: number = DEPARTURE_SEARCH_LIMIT,
): Departure {
  if (spec.suspend) {
    return {
      scheduled: false,
      reason: 'Suspended',
      message: 'the train is suspended: it does not depart',
      skipped: [],
    };
  }
  const { cron, timeZone } = spec.schedule;
  const schedule = new Cron(cron, { timezone: timeZone, paused: true });
  const cutoffMs = (parseDuration(spec.cutoff) ?? 0) * 1000;
  const skipped: SkippedDeparture[] = [];
  let from: Date = now;
  for (let i = 0; i < limit; i++) {
    const at = schedule.nextRun(from);
    if (!at) {
      return {
        scheduled: false,
        reason: 'NeverFires',
        message:
          skipped.length === 0
            ? `schedule "${cron}" has no time after ${formatInZone(now, timeZone)}`
            : `every remaining time of schedule "${cron}" falls in a deny window`,
        skipped,
      };
    }
    const window = denyWindowAt(spec, at);
    if (!window) return { scheduled: true, at, cutoffAt: new Date(at.getTime() - cutoffMs), skipped };
    skipped.push({ at, window: window.name });
    from = at;
  }
  const windows = [...new Set(skipped.map((s) => s.window))];
  return {
    scheduled: false,
    reason: 'AllDenied',
    message: `no departure in the next ${limit} scheduled times: each falls in a deny window (${windows.join(', ')})`,
    skipped,
  };
}

/** The first deny window (in spec order) that covers `at`; windows are half-open, [start, end). */
export function denyWindowAt(spec: ReleaseTrainSpec, at: Date): DenyWindow | undefined {
  return spec.denyWindows.find((w) => covers(w, at, spec.schedule.timeZone));
}

/** The first deny window that covers `at`, and when that occurrence of it ends. */
export function denyWindowUntil(
  spec: ReleaseTrainSpec,
  at: Date,
): { window: string; until: Date } | undefined {
  for (const w of spec.denyWindows) {
    const until = coveredUntil(w, at, spec.schedule.timeZone);
    if (until) return { window: w.name, until };
  }
  return undefined;
}

function covers(w: DenyWindow, at: Date, timeZone: string): boolean {
  return coveredUntil(w, at, timeZone) !== undefined;
}

/** When the occurrence of `w` that covers `at` ends; undefined when none covers it. */
function coveredUntil(w: DenyWindow, at: Date, timeZone: string): Date | undefined {
  const t = at.getTime();
  if (w.from !== undefined && w.to !== undefined) {
    const end = Date.parse(w.to);
    return Date.parse(w.from) <= t && t < end ? new Date(end) : undefined;
  }
  if (w.cron === undefined || w.duration === undefined) return undefined;
  const lengthMs = (parseDuration(w.duration) ?? 0) * 1000;
  // A window covers t when one of its starts lies in (t - length, t]; croner's nextRun is strictly after.
  const start = new Cron(w.cron, { timezone: timeZone, paused: true }).nextRun(new Date(t - lengthMs));
  return start !== null && start.getTime() <= t ? new Date(start.getTime() + lengthMs) : undefined;
}

/** RFC 3339 in the train's zone, e.g. "2026-08-10T06:00:00-05:00": the time as the train's people read it. */
export function formatInZone(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const offset = String(parts.timeZoneName).replace('GMT', '');
  const zone = offset === '' || offset === '+00:00' ? 'Z' : offset;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${zone}`;
}
