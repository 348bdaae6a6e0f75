import { describe, expect, it } from 'vitest';
import { readDuration, readStatus, readVersion } from './odcs-variants.js';

describe('readStatus', () => {
  it.each([
    ['active', 'active', true, false],
    ['draft', 'draft', true, false],
    ['current', 'active', false, false],
    ['production', 'active', false, false],
    ['Development', 'draft', false, false],
    ['in development', 'draft', false, false],
    ['pending', 'proposed', false, false],
    ['in-review', 'proposed', false, false],
    ['Deprecated', 'deprecated', false, false],
    ['ARCHIVED', 'retired', false, false],
    ['end_of_life', 'retired', false, false],
    ['sparkling', 'draft', false, true],
  ])('reads %j as %s', (text, status, exact, guessed) => {
    expect(readStatus(text)).toEqual({ status, exact, guessed });
  });
});

describe('readDuration', () => {
  it.each([
    ['P1Y', { value: 1, unit: 'y', approximate: false }],
    ['P3D', { value: 3, unit: 'd', approximate: false }],
    ['PT4H', { value: 4, unit: 'h', approximate: false }],
    ['PT30M', { value: 30, unit: 'm', approximate: false }],
    ['P6M', { value: 6, unit: 'mo', approximate: false }],
    ['P2W', { value: 2, unit: 'w', approximate: false }],
    ['P1DT12H', { value: 36, unit: 'h', approximate: false }],
    ['P1Y6M', { value: 18.166667, unit: 'mo', approximate: true }],
    ['p1y', { value: 1, unit: 'y', approximate: false }],
    ['500ms', { value: 500, unit: 'ms', approximate: false }],
    ['1.5 h', { value: 1.5, unit: 'h', approximate: false }],
  ])('reads %s', (text, reading) => {
    expect(readDuration(text)).toEqual(reading);
  });

  it.each(['1Y', 'P', 'PT', 'P1H', 'yearly', '4 days', '-4d', ''])('is not fooled by %j', (text) => {
    expect(readDuration(text)).toBeUndefined();
  });
});

describe('readVersion', () => {
  it.each([
    ['1.0.0', '1.0.0'],
    ['2.1.0-rc.1', '2.1.0-rc.1'],
    ['1.0', '1.0.0'],
    ['v2', '2.0.0'],
    ['draft', undefined],
  ])('reads %j as %j', (text, version) => {
    expect(readVersion(text)).toBe(version);
  });
});
