import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ReleaseTrain, type ReleaseTrainSpec, releaseTrainSpec } from '../../../../specs/releasetrain.js';
import { denyWindowAt, formatInZone, nextDeparture } from './schedule.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'));
const train = (file: string): ReleaseTrainSpec => ReleaseTrain.parse(load(file)).spec;
const inline = (spec: object): ReleaseTrainSpec =>
  releaseTrainSpec.parse({ stages: [{ name: 'production' }], ...spec });

const monthly = train('revenue-cycle/monthly-release.yaml');
const waves = train('utilization-management/wave-rollout.yaml');

/** The departure as ISO instants, for exact comparison. */
const departure = (spec: ReleaseTrainSpec, now: string, limit?: number) => {
  const d = nextDeparture(spec, new Date(now), limit);
  const skipped = d.skipped.map((s) => `${s.at.toISOString()} ${s.window}`);
  return d.scheduled
    ? { at: d.at.toISOString(), cutoffAt: d.cutoffAt.toISOString(), skipped }
    : { reason: d.reason, message: d.message, skipped };
};

describe('nextDeparture: deny windows', () => {
  it('skips a departure inside a one-off window to the next scheduled time, not the window end', () => {
    // 06:00 Central on 10 October falls in the EHR upgrade weekend (9 Oct 18:00 to 12 Oct 06:00).
    expect(departure(monthly, '2026-09-15T00:00:00Z')).toEqual({
      at: '2026-11-10T12:00:00.000Z',
      cutoffAt: '2026-11-07T12:00:00.000Z',
      skipped: ['2026-10-10T11:00:00.000Z ehr-upgrade-weekend'],
    });
  });

  it('skips every departure of a window spanning weeks', () => {
    expect(departure(waves, '2026-12-10T00:00:00Z')).toEqual({
      at: '2027-01-12T13:00:00.000Z',
      cutoffAt: '2027-01-10T13:00:00.000Z',
      skipped: [
        '2026-12-15T13:00:00.000Z payer-policy-reset',
        '2026-12-22T13:00:00.000Z payer-policy-reset',
        '2026-12-29T13:00:00.000Z payer-policy-reset',
        '2027-01-05T13:00:00.000Z payer-policy-reset',
      ],
    });
  });

  const edges = inline({
    schedule: { cron: '0 6 * * *', timeZone: 'UTC' },
    denyWindows: [{ name: 'freeze', from: '2026-01-02T06:00:00Z', to: '2026-01-03T06:00:00Z' }],
  });
  it.each([
    ['a window starting at the departure covers it', '2026-01-01T07:00:00Z', '2026-01-03T06:00:00.000Z'],
    ['a window ending at the departure does not', '2026-01-02T07:00:00Z', '2026-01-03T06:00:00.000Z'],
    ['departures strictly after now', '2026-01-03T06:00:00Z', '2026-01-04T06:00:00.000Z'],
  ])('%s', (_, now, at) => {
    expect(departure(edges, now)).toMatchObject({ at });
  });

  it('names the window covering a time, and none outside', () => {
    expect(denyWindowAt(monthly, new Date('2026-09-30T12:00:00Z'))?.name).toBe('month-end-close');
    expect(denyWindowAt(monthly, new Date('2026-10-10T11:00:00Z'))?.name).toBe('ehr-upgrade-weekend');
    expect(denyWindowAt(monthly, new Date('2026-10-06T12:00:00Z'))).toBeUndefined();
  });
});

describe('nextDeparture: America/Chicago across daylight saving time', () => {
  it.each([
    ['the Tuesday before spring forward, 07:00 CST', '2026-03-01T00:00:00Z', '2026-03-03T13:00:00.000Z'],
    ['the Tuesday after spring forward, 07:00 CDT', '2026-03-04T00:00:00Z', '2026-03-10T12:00:00.000Z'],
    ['the Tuesday before fall back, 07:00 CDT', '2026-10-21T00:00:00Z', '2026-10-27T12:00:00.000Z'],
    ['the Tuesday after fall back, 07:00 CST', '2026-10-28T00:00:00Z', '2026-11-03T13:00:00.000Z'],
  ])('keeps local departure time: %s', (_, now, at) => {
    expect(departure(waves, now)).toMatchObject({ at, skipped: [] });
  });

  const chicago = (cron: string, windows: object[] = []) =>
    inline({ schedule: { cron, timeZone: 'America/Chicago' }, cutoff: '1h', denyWindows: windows });

  it('runs a time that does not exist (02:30 on spring-forward day) once, at 03:00 CDT', () => {
    const daily = chicago('30 2 * * *');
    expect(departure(daily, '2026-03-07T09:00:00Z')).toMatchObject({ at: '2026-03-08T08:00:00.000Z' });
    expect(departure(daily, '2026-03-08T08:00:00Z')).toMatchObject({ at: '2026-03-09T07:30:00.000Z' });
  });

  it('runs a time that exists twice (01:30 on fall-back day) once, at its first occurrence', () => {
    const daily = chicago('30 1 * * *');
    expect(departure(daily, '2026-10-31T12:00:00Z')).toMatchObject({ at: '2026-11-01T06:30:00.000Z' });
    expect(departure(daily, '2026-11-01T06:30:00Z')).toMatchObject({ at: '2026-11-02T07:30:00.000Z' });
  });

  // Sunday maintenance from 00:00 for 6h of elapsed time: 00:00-06:00 local, except on transition nights.
  const maintenance = [{ name: 'ehr-sunday-maintenance', cron: '0 0 * * 0', duration: '6h' }];

  it('ends a recurring window an hour early in local time on fall-back night', () => {
    // 05:30 on a Sunday is inside maintenance, except on 1 November, when 6h after 00:00 CDT is 05:00 CST.
    expect(departure(chicago('30 5 * * 0', maintenance), '2026-10-20T00:00:00Z')).toEqual({
      at: '2026-11-01T11:30:00.000Z',
      cutoffAt: '2026-11-01T10:30:00.000Z',
      skipped: ['2026-10-25T10:30:00.000Z ehr-sunday-maintenance'],
    });
  });

  it('ends a recurring window an hour late in local time on spring-forward night', () => {
    // 06:30 on a Sunday is after maintenance, except on 8 March, when 6h after 00:00 CST is 07:00 CDT.
    const sunday = chicago('30 6 * * 0', maintenance);
    expect(departure(sunday, '2026-02-26T00:00:00Z')).toMatchObject({
      at: '2026-03-01T12:30:00.000Z',
      skipped: [],
    });
    expect(departure(sunday, '2026-03-02T00:00:00Z')).toEqual({
      at: '2026-03-15T11:30:00.000Z',
      cutoffAt: '2026-03-15T10:30:00.000Z',
      skipped: ['2026-03-08T11:30:00.000Z ehr-sunday-maintenance'],
    });
  });
});

describe('nextDeparture: no departure', () => {
  it('has none while suspended', () => {
    expect(departure({ ...monthly, suspend: true }, '2026-09-15T00:00:00Z')).toEqual({
      reason: 'Suspended',
      message: 'the train is suspended: it does not depart',
      skipped: [],
    });
  });

  it('gives up after a bounded number of scheduled times, naming the windows', () => {
    const frozen = inline({
      schedule: { cron: '0 6 * * *' },
      denyWindows: [{ name: 'freeze', from: '2026-01-01T00:00:00Z', to: '2028-01-01T00:00:00Z' }],
    });
    const d = departure(frozen, '2026-01-01T00:00:00Z');
    expect(d).toMatchObject({
      reason: 'AllDenied',
      message: 'no departure in the next 500 scheduled times: each falls in a deny window (freeze)',
    });
    expect(d.skipped).toHaveLength(500);
    expect(departure(frozen, '2026-01-01T00:00:00Z', 3)).toMatchObject({
      message: 'no departure in the next 3 scheduled times: each falls in a deny window (freeze)',
    });
  });

  it('has none for a schedule that never fires', () => {
    expect(departure(inline({ schedule: { cron: '0 0 30 2 *' } }), '2026-01-01T00:00:00Z')).toEqual({
      reason: 'NeverFires',
      message: 'schedule "0 0 30 2 *" has no time after 2026-01-01T00:00:00Z',
      skipped: [],
    });
  });
});

describe('formatInZone', () => {
  it.each([
    ['2026-08-10T11:00:00Z', 'America/Chicago', '2026-08-10T06:00:00-05:00'],
    ['2026-11-10T12:00:00Z', 'America/Chicago', '2026-11-10T06:00:00-06:00'],
    ['2026-01-10T12:00:00Z', 'UTC', '2026-01-10T12:00:00Z'],
    ['2026-01-10T12:00:00Z', 'Asia/Kolkata', '2026-01-10T17:30:00+05:30'],
    ['2026-01-10T23:30:00Z', 'America/Chicago', '2026-01-10T17:30:00-06:00'],
  ])('%s in %s is %s', (at, zone, expected) => {
    expect(formatInZone(new Date(at), zone)).toBe(expected);
  });
});
