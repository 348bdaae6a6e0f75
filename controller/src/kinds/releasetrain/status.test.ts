import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Condition } from '../../../../specs/common.js';
import { ReleaseTrain, releaseTrainSpec } from '../../../../specs/releasetrain.js';
import { UseCase } from '../../../../specs/usecase.js';
import type { UseCaseOnTrain } from './passengers.js';
import { decideReleaseTrainStatus, type ReleaseTrainObservation } from './status.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'));
const monthly = ReleaseTrain.parse(load('revenue-cycle/monthly-release.yaml')).spec;
const denials = UseCase.parse(load('revenue-cycle/denials-triage.yaml')).spec;
const NOW = new Date('2026-09-15T00:00:00Z');

const cond = (type: string): Condition => ({
  type,
  status: 'True',
  reason: 'Fine',
  message: '',
  lastTransitionTime: '2026-09-01T00:00:00Z',
});
const boarding: UseCaseOnTrain = {
  name: 'denials-triage',
  spec: denials,
  status: { candidateVersion: '3.2.0', conditions: [cond('Ready'), cond('PromotionReady')] },
};
const observation = (change: Partial<ReleaseTrainObservation> = {}): ReleaseTrainObservation => ({
  name: 'monthly-release',
  spec: monthly,
  useCases: [boarding],
  now: NOW,
  ...change,
});

describe('decideReleaseTrainStatus', () => {
  const decision = decideReleaseTrainStatus(observation());

  it('reports the departure after deny windows, the cut-off and who boards', () => {
    expect(decision.status).toEqual({
      nextDeparture: '2026-11-10T12:00:00Z',
      cutoffAt: '2026-11-07T12:00:00Z',
      passengerCount: 1,
      passengers: [{ useCase: 'denials-triage', version: '3.2.0', to: 'production', boarding: true }],
    });
    expect(decision.wakeAt?.toISOString()).toBe('2026-11-07T12:00:00.000Z');
  });

  it('says when, in the train time zone, and what was skipped', () => {
    expect(decision.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Scheduled',
        message:
          'next departure 2026-11-10T06:00:00-06:00, boarding closes 2026-11-07T06:00:00-06:00; 1 of 1 passenger boarding; skipped 2026-10-10T06:00:00-05:00 (ehr-upgrade-weekend)',
      },
      {
        type: 'Valid',
        status: 'True',
        reason: 'ScheduleValid',
        message: 'departs on "0 6 10 * *" in America/Chicago',
      },
    ]);
  });

  it('tells of a skipped departure and a new passenger once, not on every pass', () => {
    expect(decision.events).toEqual([
      {
        type: 'Normal',
        reason: 'DepartureSkipped',
        message:
          'departure 2026-10-10T06:00:00-05:00 skipped: deny window ehr-upgrade-weekend; next departure 2026-11-10T06:00:00-06:00',
      },
      { type: 'Normal', reason: 'PassengerBoarding', message: 'denials-triage 3.2.0 boards for production' },
    ]);
    const again = decideReleaseTrainStatus(observation({ status: decision.status }));
    expect(again.events).toEqual([]);
  });

  it('warns when a passenger gets off', () => {
    const off: UseCaseOnTrain = {
      ...boarding,
      status: {
        ...boarding.status,
        conditions: [
          cond('Ready'),
          { ...cond('PromotionReady'), status: 'False', message: 'minSoak not met' },
        ],
      },
    };
    const d = decideReleaseTrainStatus(observation({ useCases: [off], status: decision.status }));
    expect(d.status.passengerCount).toBe(0);
    expect(d.events).toEqual([
      {
        type: 'Warning',
        reason: 'PassengerLeft',
        message: 'denials-triage 3.2.0 no longer boards for production: minSoak not met',
      },
    ]);
  });

  it('wakes at the departure once boarding has closed', () => {
    const d = decideReleaseTrainStatus(observation({ now: new Date('2026-11-08T00:00:00Z') }));
    expect(d.wakeAt?.toISOString()).toBe('2026-11-10T12:00:00.000Z');
  });

  it('is Unknown while suspended, with no departure', () => {
    const d = decideReleaseTrainStatus(observation({ spec: { ...monthly, suspend: true } }));
    expect(d.conditions[0]).toEqual({
      type: 'Ready',
      status: 'Unknown',
      reason: 'Suspended',
      message: 'the train is suspended: it does not depart',
    });
    expect(d.status.nextDeparture).toBeUndefined();
    expect(d.status.cutoffAt).toBeUndefined();
    expect(d.wakeAt).toBeUndefined();
  });

  it('is not Valid when its schedule can never fire', () => {
    const spec = releaseTrainSpec.parse({
      schedule: { cron: '0 0 30 2 *' },
      stages: [{ name: 'production' }],
    });
    const d = decideReleaseTrainStatus(observation({ spec, useCases: [] }));
    expect(d.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'NoDeparture',
        message: 'schedule "0 0 30 2 *" has no time after 2026-09-15T00:00:00Z',
      },
      {
        type: 'Valid',
        status: 'False',
        reason: 'NeverDeparts',
        message: 'schedule "0 0 30 2 *" has no time after 2026-09-15T00:00:00Z: the train can never depart',
      },
    ]);
  });
});
