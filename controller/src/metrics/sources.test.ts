import { describe, expect, it } from 'vitest';
import { surveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import { inSegment, logViewSql, readingsFromRows, segmentLabel, segmentValuesSql } from './sources.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const AT = '2026-06-01T00:00:00Z';
const policy = surveillancePolicySpec.parse({
  inferenceLog: { uri: 'data/log.csv' },
  metrics: [
    {
      name: 'score-psi',
      kind: 'drift',
      source: {
        drift: { statistic: 'psi', column: 'risk_score', baselineWindow: '90d', currentWindow: '14d' },
      },
      direction: 'lower-is-better',
      degradation: 'absolute',
      tiers: [{ at: 0.1, action: 'notify' }],
    },
  ],
});
const log = policy.inferenceLog!;

describe('the SQL over the inference log', () => {
  it('narrows the log to the version and to rows scored by now', () => {
    expect(logViewSql(log, NOW, '2.3.1')).toBe(
      `SELECT * FROM "inference_log_all" WHERE CAST("scored_at" AS TIMESTAMPTZ) <= TIMESTAMPTZ '2026-06-01T00:00:00.000Z' AND CAST("model_version" AS VARCHAR) = '2.3.1'`,
    );
    expect(logViewSql(log, NOW)).not.toContain('model_version');
  });

  it('nests a query under a CTE that narrows inference_log to one segment', () => {
    expect(
      inSegment('SELECT avg(x) AS value, count(*) AS samples FROM inference_log;', {
        column: 'race',
        value: "O'Neil",
      }),
    ).toBe(
      `WITH "inference_log" AS (SELECT * FROM "inference_log" WHERE CAST("race" AS VARCHAR) = 'O''Neil') SELECT * FROM (SELECT avg(x) AS value, count(*) AS samples FROM inference_log)`,
    );
    expect(inSegment('SELECT 1', { column: 'race', value: null })).toContain(
      'CAST("race" AS VARCHAR) IS NULL',
    );
    expect(segmentValuesSql('race')).toBe(
      'SELECT DISTINCT CAST("race" AS VARCHAR) AS value FROM "inference_log" ORDER BY value NULLS LAST',
    );
  });

  it('labels segments as column=value', () => {
    expect(segmentLabel({ column: 'race', value: 'Caucasian' })).toBe('race=Caucasian');
    expect(segmentLabel({ column: 'race', value: null })).toBe('race=(none)');
  });
});

describe('readingsFromRows', () => {
  it.each([
    [
      'one row',
      [{ value: 0.71, samples: 1200 }],
      undefined,
      [{ metric: 'm', value: 0.71, samples: 1200, at: AT }],
      [],
    ],
    [
      'one row, narrowed to a segment',
      [{ value: 0.7, samples: 300 }],
      'race=Other',
      [{ metric: 'm', segment: 'race=Other', value: 0.7, samples: 300, at: AT }],
      [],
    ],
    [
      'one row per segment',
      [
        { segment: 'north', value: 0.7, samples: 300 },
        { segment: null, value: 0.6, samples: 20 },
      ],
      undefined,
      [
        { metric: 'm', segment: 'north', value: 0.7, samples: 300, at: AT },
        { metric: 'm', segment: '(none)', value: 0.6, samples: 20, at: AT },
      ],
      [],
    ],
    [
      'a value left NULL (no rows in the window)',
      [{ value: null, samples: 0 }],
      undefined,
      [],
      [{ metric: 'm', reason: 'NoData', message: 'm: no value (0 samples)' }],
    ],
    [
      'no row',
      [],
      undefined,
      [],
      [{ metric: 'm', reason: 'NoData', message: 'm: the query returned no row' }],
    ],
    [
      'a missing column',
      [{ auroc: 0.7, samples: 10 }],
      undefined,
      [],
      [
        {
          metric: 'm',
          reason: 'QueryFailed',
          message:
            'm: the query must return columns value and samples; value is missing (it returned auroc, samples)',
        },
      ],
    ],
    [
      'several rows without a segment column',
      [
        { value: 1, samples: 1 },
        { value: 2, samples: 1 },
      ],
      undefined,
      [],
      [
        {
          metric: 'm',
          reason: 'QueryFailed',
          message:
            'm: the query returned 2 rows; it must return one, or one per segment with a segment column',
        },
      ],
    ],
    [
      'a segment column in a query the metric already segments',
      [{ segment: 'a', value: 1, samples: 1 }],
      'race=Other',
      [],
      [
        {
          metric: 'm',
          segment: 'race=Other',
          reason: 'QueryFailed',
          message:
            'm: the query returns a segment column and the metric lists segments; use one or the other',
        },
      ],
    ],
  ])('%s', (_, rows, segment, readings, unread) => {
    expect(readingsFromRows('m', rows, AT, segment)).toEqual({ readings, unread });
  });
});
