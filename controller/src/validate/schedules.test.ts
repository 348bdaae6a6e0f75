import { describe, expect, it } from 'vitest';
import { type ReleaseTrainSpec, releaseTrainSpec } from '../../../specs/releasetrain.js';
import { coversEveryDeparture, neverFiresReason } from './schedules.js';

const NOW = new Date('2026-12-06T18:00:00Z');

describe('neverFiresReason', () => {
  it.each([
    ['0 6 30 2 *', 'February has no day 30'],
    ['0 6 31 4 *', 'April has no day 31'],
    ['0 6 31 4,6,9,11 *', 'day of month "31" falls in no month "4,6,9,11" allows'],
    ['0 6 29 2 *', undefined], // leap years
    ['0 6 30 2 1', undefined], // or any Monday in February
    ['0 6 1 * *', undefined],
  ])('%s', (cron, reason) => {
    expect(neverFiresReason(cron, 'America/Chicago', NOW)).toBe(reason);
  });
});

const train = (cron: string, ...windows: { cron: string; duration: string }[]): ReleaseTrainSpec =>
  releaseTrainSpec.parse({
    schedule: { cron, timeZone: 'America/Chicago' },
    denyWindows: windows.map((w, i) => ({ name: `w${i}`, ...w })),
    stages: [{ name: 'production' }],
  });

describe('coversEveryDeparture', () => {
  it.each([
    ['0 2 * * 0', '0 0 * * 0', '6h', true], // Sunday 02:00 inside Sunday 00:00-06:00, across both DST changes
    ['0 6 * * 0', '0 0 * * 0', '6h', false], // the window ends as the train leaves: [start, end)
    ['0 7 * * 2', '0 0 * * 0', '6h', false],
    ['0 6 1 * *', '0 0 28 * *', '5d', true], // 28th to the 2nd or later, every month
    ['0 6 1 * *', '0 0 28 * *', '3d', false], // misses the 1st after a 31-day month
    ['0 6 * * *', '0 0 * * *', '1d', true],
  ])('train %s, window %s for %s: %s', (cron, windowCron, duration, covered) => {
    expect(coversEveryDeparture(train(cron, { cron: windowCron, duration }), [0], NOW)).toBe(covered);
  });

  it('holds windows together: neither covers every departure alone, both do', () => {
    const spec = train(
      '0 6 * * *',
      { cron: '0 0 * * 1-5', duration: '1d' },
      { cron: '0 0 * * 0,6', duration: '1d' },
    );
    expect(coversEveryDeparture(spec, [0], NOW)).toBe(false);
    expect(coversEveryDeparture(spec, [1], NOW)).toBe(false);
    expect(coversEveryDeparture(spec, [0, 1], NOW)).toBe(true);
  });
});
