// ReleaseTrain decisions: the schedule after deny windows, who boards, and the status that says so.
export { type Passenger, passengers, type TrainRef, type UseCaseOnTrain } from './passengers.js';
export {
  DEPARTURE_SEARCH_LIMIT,
  type Departure,
  denyWindowAt,
  formatInZone,
  nextDeparture,
  type SkippedDeparture,
} from './schedule.js';
export {
  decideReleaseTrainStatus,
  type ReleaseTrainDecision,
  type ReleaseTrainObservation,
} from './status.js';
