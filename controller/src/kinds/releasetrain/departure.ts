// Whether a train departs now. The status announces the next departure (status.nextDeparture); once that time
// has passed, and it is still a departure the schedule makes (not suspended, not in a deny window, the cron not
// changed meanwhile), and status.lastDeparture does not already record it, the train departs: once. A
// departure missed while the controller was down departs late, once, on restart; the ones after it are not
// replayed, since the passengers of a later departure would board on evidence nobody planned around.
import { parseDuration } from '../../../../specs/common.js';
import type { ReleaseTrainSpec, ReleaseTrainStatus } from '../../../../specs/releasetrain.js';
import { denyWindowUntil, formatInZone, nextDeparture } from './schedule.js';

export interface DueDeparture {
  at: Date;
  cutoffAt: Date;
}

export function departureDue(
  spec: ReleaseTrainSpec,
  status: Pick<ReleaseTrainStatus, 'nextDeparture' | 'lastDeparture'> | undefined,
  now: Date,
): DueDeparture | undefined {
  if (spec.suspend || !status?.nextDeparture) return undefined;
  const at = new Date(status.nextDeparture);
  if (Number.isNaN(at.getTime()) || at.getTime() > now.getTime()) return undefined;
  const last = status.lastDeparture?.at;
  if (last !== undefined && Date.parse(last) >= at.getTime()) return undefined;
  // Still a departure of the schedule as it stands now: the first one strictly after a moment before it.
  const check = nextDeparture(spec, new Date(at.getTime() - 1));
  if (!check.scheduled || check.at.getTime() !== at.getTime()) return undefined;
  const cutoffMs = (parseDuration(spec.cutoff) ?? 0) * 1000;
  return { at, cutoffAt: new Date(at.getTime() - cutoffMs) };
}

/** Whether the stage `to` declares expansion criteria: a wave that opens once they hold, not on the schedule. */
export function expandsByItself(spec: ReleaseTrainSpec, to: string | undefined): to is string {
  const stage = spec.stages.find((s) => s.name === to);
  return to !== undefined && (stage?.gates.expansion.length ?? 0) > 0;
}

/**
 * Expansion: whether a wave's promotion may open now, without waiting for the train. Only when the stage it
 * enters declares expansion criteria (a wave whose readiness is measured in the wave before, not a fixed
 * cadence), the verdict says every gate, those criteria included, is met, and nothing holds it (expansionHeld):
 * a freeze holds expansions as it holds departures. Stages without criteria ride the schedule.
 */
export function expansionDue(
  spec: ReleaseTrainSpec,
  to: string | undefined,
  gatesMet: boolean,
  now: Date,
): boolean {
  return gatesMet && expandsByItself(spec, to) && expansionHeld(spec, to, now) === undefined;
}

/**
 * Why a wave whose gates are met does not expand now, and until when: the train is suspended, or a deny window
 * covers now. Undefined when nothing holds it (or the stage rides the schedule: no expansion criteria).
 */
export function expansionHeld(
  spec: ReleaseTrainSpec,
  to: string | undefined,
  now: Date,
): { message: string; until?: Date } | undefined {
  if (!expandsByItself(spec, to)) return undefined;
  if (spec.suspend) return { message: `gates met; expansion to ${to} held: the train is suspended` };
  const denied = denyWindowUntil(spec, now);
  if (!denied) return undefined;
  return {
    message: `gates met; expansion to ${to} held by deny window ${denied.window} until ${formatInZone(denied.until, spec.schedule.timeZone)}`,
    until: denied.until,
  };
}

/** The earliest of the times given, ignoring absent ones. */
export function earliest(...times: (Date | undefined)[]): Date | undefined {
  return times.reduce<Date | undefined>(
    (a, t) => (t !== undefined && (a === undefined || t < a) ? t : a),
    undefined,
  );
}
