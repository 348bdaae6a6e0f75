import { describe, expect, it } from 'vitest';
import { evaluateColumn, humanDuration } from './table.js';

describe('ages as kubectl shows them', () => {
  it.each([
    [5_000, '5s'],
    [119_000, '119s'],
    [150_000, '2m30s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [3 * 86400_000 + 4 * 3600_000, '3d4h'],
    [40 * 86400_000, '40d'],
  ])('%i ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('printer column JSONPath', () => {
  const obj = {
    spec: { riskClass: 'operational' },
    status: {
      conditions: [
        { type: 'Valid', status: 'True' },
        { type: 'Ready', status: 'False' },
      ],
    },
  };
  it.each([
    ['.spec.riskClass', 'operational'],
    ['.status.conditions[?(@.type=="Ready")].status', 'False'],
    [".status.conditions[?(@.type=='Valid')].status", 'True'],
    ['.status.conditions[0].type', 'Valid'],
    ['.spec.missing', undefined],
  ])('%s', (path, expected) => {
    expect(evaluateColumn(obj, path)).toBe(expected);
  });
});
