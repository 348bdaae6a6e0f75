import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ReleaseTrain, type ReleaseTrainSpec, releaseTrainSpec } from '../../../../specs/releasetrain.js';
import { departureDue, expansionDue, expansionHeld } from './departure.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'));
const monthly = ReleaseTrain.parse(load('revenue-cycle/monthly-release.yaml')).spec;
const waves = ReleaseTrain.parse(load('utilization-management/wave-rollout.yaml')).spec;
const daily = releaseTrainSpec.parse({
  schedule: { cron: '0 6 * * *', timeZone: 'UTC' },
  cutoff: '2h',
  denyWindows: [{ name: 'freeze', from: '2026-01-05T00:00:00Z', to: '2026-01-06T00:00:00Z' }],
  stages: [{ name: 'production' }],
});

const due = (spec: ReleaseTrainSpec, nextDeparture: string | undefined, now: string, last?: string) => {
  const d = departureDue(
    spec,
    {
      ...(nextDeparture ? { nextDeparture } : {}),
      ...(last ? { lastDeparture: { at: last, promotions: [] } } : {}),
    },
    new Date(now),
  );
  return d ? { at: d.at.toISOString(), cutoffAt: d.cutoffAt.toISOString() } : undefined;
};

describe('departureDue', () => {
  it.each([
    ['before the announced time', '2026-01-02T06:00:00Z', '2026-01-02T05:59:59Z', undefined, undefined],
    [
      'at the announced time',
      '2026-01-02T06:00:00Z',
      '2026-01-02T06:00:00Z',
      undefined,
      { at: '2026-01-02T06:00:00.000Z', cutoffAt: '2026-01-02T04:00:00.000Z' },
    ],
    [
      'late, after a restart',
      '2026-01-02T06:00:00Z',
      '2026-01-03T09:00:00Z',
      undefined,
      { at: '2026-01-02T06:00:00.000Z', cutoffAt: '2026-01-02T04:00:00.000Z' },
    ],
    [
      'already departed (recorded)',
      '2026-01-02T06:00:00Z',
      '2026-01-02T06:05:00Z',
      '2026-01-02T06:00:00Z',
      undefined,
    ],
    [
      'departed last time, due now',
      '2026-01-03T06:00:00Z',
      '2026-01-03T06:00:01Z',
      '2026-01-02T06:00:00Z',
      { at: '2026-01-03T06:00:00.000Z', cutoffAt: '2026-01-03T04:00:00.000Z' },
    ],
    ['nothing announced yet (first reconcile)', undefined, '2026-01-03T06:00:01Z', undefined, undefined],
    [
      'announced time inside a deny window added since',
      '2026-01-05T06:00:00Z',
      '2026-01-05T07:00:00Z',
      undefined,
      undefined,
    ],
    [
      'announced time no longer on the schedule',
      '2026-01-02T07:00:00Z',
      '2026-01-02T08:00:00Z',
      undefined,
      undefined,
    ],
  ])('%s', (_, next, now, last, expected) => {
    expect(due(daily, next, now, last)).toEqual(expected);
  });

  it('never departs a suspended train', () => {
    expect(due({ ...daily, suspend: true }, '2026-01-02T06:00:00Z', '2026-01-02T06:00:00Z')).toBeUndefined();
  });

  it('follows a monthly train in its own time zone, not inside month-end close', () => {
    // 06:00 Central on 10 November 2026 (CST, UTC-6).
    expect(due(monthly, '2026-11-10T12:00:00Z', '2026-11-10T12:00:30Z')).toEqual({
      at: '2026-11-10T12:00:00.000Z',
      cutoffAt: '2026-11-07T12:00:00.000Z',
    });
    // 10 October is in the EHR upgrade window: an announcement for it is not honoured.
    expect(due(monthly, '2026-10-10T11:00:00Z', '2026-10-10T11:00:30Z')).toBeUndefined();
  });
});

describe('expansionDue', () => {
  const withCriteria = waves.stages.find((s) => s.gates.expansion.length > 0)!.name;
  const withoutCriteria = waves.stages.find((s) => s.gates.expansion.length === 0)!.name;
  const quiet = new Date('2026-09-01T15:00:00Z');
  it('opens a wave with met expansion criteria at once', () => {
    expect(expansionDue(waves, withCriteria, true, quiet)).toBe(true);
  });
  it('leaves stages without criteria, unmet criteria and suspended trains to the schedule', () => {
    expect(expansionDue(waves, withoutCriteria, true, quiet)).toBe(false);
    expect(expansionDue(waves, withCriteria, false, quiet)).toBe(false);
    expect(expansionDue({ ...waves, suspend: true }, withCriteria, true, quiet)).toBe(false);
  });
  it('holds expansion inside a deny window', () => {
    const frozen = {
      ...waves,
      denyWindows: [{ name: 'freeze', from: '2026-09-01T00:00:00Z', to: '2026-09-02T00:00:00Z' }],
    };
    expect(expansionDue(frozen, withCriteria, true, quiet)).toBe(false);
  });
});

describe('expansionHeld: what holds a wave whose gates are met', () => {
  const withCriteria = waves.stages.find((s) => s.gates.expansion.length > 0)!.name;
  const withoutCriteria = waves.stages.find((s) => s.gates.expansion.length === 0)!.name;

  it("names the deny window and when it ends, in the train's zone", () => {
    // Sunday 2026-09-06 02:00 in Chicago: inside the weekly EHR maintenance window that starts at midnight.
    const sunday = new Date('2026-09-06T07:00:00Z');
    expect(expansionDue(waves, withCriteria, true, sunday)).toBe(false);
    const held = expansionHeld(waves, withCriteria, sunday)!;
    expect(held.message).toBe(
      `gates met; expansion to ${withCriteria} held by deny window ehr-sunday-maintenance until 2026-09-06T06:00:00-05:00`,
    );
    expect(held.until).toEqual(new Date('2026-09-06T11:00:00Z'));
    // The window's end is the first moment the wave expands.
    expect(expansionDue(waves, withCriteria, true, held.until!)).toBe(true);
    expect(expansionHeld(waves, withCriteria, held.until!)).toBeUndefined();
  });

  it('says a suspended train holds it, and says nothing for a stage that rides the schedule', () => {
    const tuesday = new Date('2026-09-01T15:00:00Z');
    expect(expansionHeld({ ...waves, suspend: true }, withCriteria, tuesday)).toEqual({
      message: `gates met; expansion to ${withCriteria} held: the train is suspended`,
    });
    expect(expansionHeld(waves, withCriteria, tuesday)).toBeUndefined();
    expect(expansionHeld(waves, withoutCriteria, new Date('2026-09-06T07:00:00Z'))).toBeUndefined();
  });
});
