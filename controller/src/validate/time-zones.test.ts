import { describe, expect, it } from 'vitest';
import { suggestTimeZone, timeZoneConcern } from './time-zones.js';

describe('timeZoneConcern', () => {
  it.each([
    ['America/Chicago', undefined],
    ['Europe/Berlin', undefined],
    ['Asia/Kolkata', undefined],
    ['UTC', undefined],
    ['Etc/UTC', undefined],
    ['Etc/GMT-3', undefined],
    ['Not/AZone', undefined], // unknown zones are the schema's to refuse
    ['EST', 'the abbreviation "EST", which is ambiguous and may keep no daylight saving time'],
    ['CST6CDT', 'the abbreviation "CST6CDT", which is ambiguous and may keep no daylight saving time'],
    [
      'US/Pacific',
      'the legacy alias "US/Pacific", which names a country rather than a region and may be dropped from the time zone database',
    ],
  ])('%s', (zone, concern) => {
    expect(timeZoneConcern(zone)).toBe(concern);
  });
});

describe('suggestTimeZone', () => {
  it.each([
    ['EST', 'America/New_York'],
    ['PDT', 'America/Los_Angeles'],
    ['CET', 'Europe/Berlin'],
    ['Central Standard Time', 'America/Chicago'],
    ['Pacific Time', 'America/Los_Angeles'],
    ['US/Central', 'America/Chicago'],
    ['Zulu', 'UTC'],
    ['Chicago', 'America/Chicago'],
    ['America/Chicgo', 'America/Chicago'],
    ['Somewhere Else', undefined],
  ])('%s -> %s', (zone, meant) => {
    expect(suggestTimeZone(zone)).toBe(meant);
  });
});
