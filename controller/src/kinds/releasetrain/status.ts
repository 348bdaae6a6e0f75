// A release train's status: its next departure after deny windows, the cut-off, and who boards.
import type { ReleaseTrainSpec, ReleaseTrainStatus } from '../../../../specs/releasetrain.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import { toTimestamp } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition, MESSAGE_LIMIT } from '../conditions.js';
import { type Passenger, passengers, type UseCaseOnTrain } from './passengers.js';
import { formatInZone, nextDeparture } from './schedule.js';

export { MESSAGE_LIMIT };

export interface ReleaseTrainObservation {
  name: string;
  spec: ReleaseTrainSpec;
  /** The status as last written, to tell what changed. */
  status?: ReleaseTrainStatus;
  /** Use cases in the train's namespace; those on other trains are ignored. */
  useCases: readonly UseCaseOnTrain[];
  now: Date;
}

export interface ReleaseTrainDecision {
  status: Pick<ReleaseTrainStatus, 'nextDeparture' | 'cutoffAt' | 'passengerCount' | 'passengers'>;
  conditions: ConditionUpdate[];
  events: EventSpec[];
  /** The next moment the status changes by itself (cut-off or departure): when to reconcile again. */
  wakeAt?: Date;
}

export function decideReleaseTrainStatus(input: ReleaseTrainObservation): ReleaseTrainDecision {
  const { spec, now } = input;
  const zone = spec.schedule.timeZone;
  const departure = nextDeparture(spec, now);
  const riders = passengers({ name: input.name, spec }, input.useCases, now, departure);
  const boarding = riders.filter((p) => p.boarding).length;

  const valid =
    !departure.scheduled && departure.reason === 'NeverFires' && departure.skipped.length === 0
      ? condition('Valid', 'False', 'NeverDeparts', `${departure.message}: the train can never depart`)
      : condition('Valid', 'True', 'ScheduleValid', `departs on "${spec.schedule.cron}" in ${zone}`);

  let ready: ConditionUpdate;
  if (departure.scheduled) {
    const skipped = departure.skipped.length
      ? `; skipped ${departure.skipped.map((s) => `${formatInZone(s.at, zone)} (${s.window})`).join(', ')}`
      : '';
    ready = condition(
      'Ready',
      'True',
      'Scheduled',
      `next departure ${formatInZone(departure.at, zone)}, boarding closes ${formatInZone(departure.cutoffAt, zone)}; ${boarding} of ${riders.length} passenger${riders.length === 1 ? '' : 's'} boarding${skipped}`,
    );
  } else if (departure.reason === 'Suspended') {
    ready = condition('Ready', 'Unknown', 'Suspended', departure.message);
  } else {
    ready = condition('Ready', 'False', 'NoDeparture', departure.message);
  }

  const nextAt = departure.scheduled ? toTimestamp(departure.at) : undefined;
  const events: EventSpec[] = [];
  if (departure.scheduled && departure.skipped.length > 0 && input.status?.nextDeparture !== nextAt) {
    for (const s of departure.skipped) {
      events.push({
        type: 'Normal',
        reason: 'DepartureSkipped',
        message: `departure ${formatInZone(s.at, zone)} skipped: deny window ${s.window}; next departure ${formatInZone(departure.at, zone)}`,
      });
    }
  }
  events.push(...boardingChanges(input.status?.passengers ?? [], riders));

  const wakeAt = departure.scheduled
    ? departure.cutoffAt.getTime() > now.getTime()
      ? departure.cutoffAt
      : departure.at
    : undefined;
  return {
    status: {
      nextDeparture: nextAt,
      cutoffAt: departure.scheduled ? toTimestamp(departure.cutoffAt) : undefined,
      passengerCount: boarding,
      passengers: riders,
    },
    conditions: [ready, valid],
    events,
    ...(wakeAt ? { wakeAt } : {}),
  };
}

/** A Normal event for each use case that boarded, a Warning for each that got off. */
function boardingChanges(before: readonly Passenger[], after: readonly Passenger[]): EventSpec[] {
  const was = new Map(before.map((p) => [`${p.useCase}@${p.version}`, p.boarding]));
  const events: EventSpec[] = [];
  for (const p of after) {
    const previously = was.get(`${p.useCase}@${p.version}`);
    if (p.boarding && previously !== true) {
      events.push({
        type: 'Normal',
        reason: 'PassengerBoarding',
        message: `${p.useCase} ${p.version} boards for ${p.to}`,
      });
    } else if (!p.boarding && previously === true) {
      events.push({
        type: 'Warning',
        reason: 'PassengerLeft',
        message: `${p.useCase} ${p.version} no longer boards for ${p.to}: ${p.reason ?? ''}`,
      });
    }
  }
  return events;
}
