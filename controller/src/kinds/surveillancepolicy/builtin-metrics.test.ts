import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { surveillancePolicySpec } from '../../../../specs/surveillancepolicy.js';
import { POSTGRES_RUNNABLE, type PostgresServer, startPostgres } from '../../../../test/support/postgres.js';
import { POSTGRES } from '../../data/sql.js';
import { type BuiltinSource, builtinWindows, compileBuiltin, compileDrift } from './builtin-metrics.js';

const NOW = new Date('2026-06-01T00:00:00Z');

const policyWith = (source: object, more: object = {}) => ({
  inferenceLog: { uri: 'log.csv' },
  metrics: [
    {
      name: 'm',
      kind: 'performance',
      source: { builtin: source },
      direction: 'lower-is-better',
      degradation: 'absolute',
      tiers: [{ at: 0.1, action: 'notify' }],
      ...more,
    },
  ],
});
const builtin = (source: object): BuiltinSource =>
  surveillancePolicySpec.parse(policyWith(source)).metrics[0]!.source.builtin!;

describe('the builtin source schema', () => {
  const label = { column: 'readmitted', positive: ['<30'] };
  it.each([
    ['auroc', { statistic: 'auroc', score: 's', label }],
    ['calibration with its bins', { statistic: 'expected-calibration-error', score: 's', label, bins: 15 }],
    ['a 0/1 label', { statistic: 'brier', score: 's', label: { column: 'y' } }],
    [
      'psi',
      { statistic: 'psi', column: 'age', baselineWindow: '90d', window: '14d', range: { min: 0, max: 120 } },
    ],
    ['ks', { statistic: 'ks', column: 's', baselineWindow: '90d' }],
    ['override rate', { statistic: 'override-rate', override: { column: 'final', positive: ['changed'] } }],
    ['missing share', { statistic: 'missing-share', column: 'race' }],
    ['volume', { statistic: 'volume', window: '1d' }],
  ])('accepts %s', (_, source) => {
    expect(surveillancePolicySpec.safeParse(policyWith(source)).success).toBe(true);
  });

  it('accepts a subgroup gap over segments', () => {
    const spec = policyWith(
      { statistic: 'subgroup-gap', of: 'auroc', score: 's', label },
      { segments: ['race'] },
    );
    expect(surveillancePolicySpec.safeParse(spec).success).toBe(true);
  });

  it.each([
    [
      'auroc without a label',
      { statistic: 'auroc', score: 's' },
      'metrics.0.source.builtin.label',
      'auroc needs label',
    ],
    [
      'brier without a score',
      { statistic: 'brier', label },
      'metrics.0.source.builtin.score',
      'brier needs score',
    ],
    [
      'psi without a baseline window',
      { statistic: 'psi', column: 's' },
      'metrics.0.source.builtin.baselineWindow',
      'psi needs baselineWindow',
    ],
    [
      'ks without a column',
      { statistic: 'ks', baselineWindow: '1d' },
      'metrics.0.source.builtin.column',
      'ks needs column',
    ],
    [
      'a gap without its statistic',
      { statistic: 'subgroup-gap' },
      'metrics.0.source.builtin.of',
      'subgroup-gap needs of',
    ],
    [
      'override rate without its column',
      { statistic: 'override-rate' },
      'metrics.0.source.builtin.override',
      'override-rate needs override',
    ],
    ['an unknown statistic', { statistic: 'f1' }, 'metrics.0.source.builtin.statistic', /expected one of/i],
    ['bins below 2', { statistic: 'volume', bins: 1 }, 'metrics.0.source.builtin.bins', /2/],
    [
      'a range upside down',
      { statistic: 'psi', column: 's', baselineWindow: '1d', range: { min: 1, max: 0 } },
      'metrics.0.source.builtin.range.min',
      'min must not be greater than max',
    ],
    [
      'a malformed window',
      { statistic: 'volume', window: '2 weeks' },
      'metrics.0.source.builtin.window',
      /must be a duration/,
    ],
    ['a misspelled field', { statistic: 'volume', windw: '1d' }, 'metrics.0.source.builtin', /windw/],
  ])('refuses %s', (_, source, where, message) => {
    const r = surveillancePolicySpec.safeParse(policyWith(source));
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('.') === where);
    expect(issue, JSON.stringify(r.error!.issues)).toBeDefined();
    if (typeof message === 'string') expect(issue!.message).toBe(message);
    else expect(issue!.message).toMatch(message);
  });

  it('accepts the example in docs/surveillance-metrics.md', () => {
    const doc = readFileSync(new URL('../../../../docs/surveillance-metrics.md', import.meta.url), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const spec = { inferenceLog: { uri: 'log.csv' }, ...parse(example) };
    const r = surveillancePolicySpec.safeParse(spec);
    expect(r.error?.issues ?? []).toEqual([]);
    expect(r.data!.metrics.map((m) => m.source.builtin?.statistic)).toEqual(['auroc', 'psi', 'subgroup-gap']);
  });

  it('refuses a subgroup gap with no segments to compare', () => {
    const r = surveillancePolicySpec.safeParse(
      policyWith({ statistic: 'subgroup-gap', of: 'brier', score: 's', label }),
    );
    expect(r.error?.issues).toContainEqual(
      expect.objectContaining({
        path: ['metrics', 0, 'segments'],
        message: 'a subgroup-gap compares segments; list the segment columns in segments',
      }),
    );
  });

  it('refuses a builtin metric without an inference log', () => {
    const spec = { ...policyWith({ statistic: 'volume' }), inferenceLog: undefined };
    expect(surveillancePolicySpec.safeParse(spec).error?.issues[0]?.message).toBe(
      'sql, drift and builtin sources read the inference log; set spec.inferenceLog',
    );
  });
});

describe('builtinWindows', () => {
  it('ends the window lag before now, and puts the baseline window before it', () => {
    expect(
      builtinWindows(builtin({ statistic: 'psi', column: 's', window: '14d', baselineWindow: '90d' }), NOW),
    ).toEqual({
      baseline: { from: new Date('2026-02-17T00:00:00Z'), to: new Date('2026-05-18T00:00:00Z') },
      current: { from: new Date('2026-05-18T00:00:00Z'), to: NOW },
    });
    expect(
      builtinWindows(
        builtin({ statistic: 'auroc', score: 's', label: { column: 'y' }, window: '90d', lag: '31d' }),
        NOW,
      ),
    ).toEqual({ current: { from: new Date('2026-01-31T00:00:00Z'), to: new Date('2026-05-01T00:00:00Z') } });
  });
});

describe('compileBuiltin', () => {
  it('quotes every column the policy names, and inlines the window bounds', () => {
    const sql = compileBuiltin(
      builtin({ statistic: 'auroc', score: 'risk "score"', label: { column: "it's", positive: ["a'b"] } }),
      { table: 'inference_log', timestampColumn: 'scored_at', now: NOW, groupBy: 'race' },
    );
    expect(sql).toContain('TRY_CAST("risk ""score""" AS DOUBLE)');
    expect(sql).toContain(`CAST("it's" AS VARCHAR) IN ('a''b')`);
    expect(sql).toContain(`CAST("race" AS VARCHAR) AS g`);
    expect(sql).toContain(`> CAST('2026-05-02T00:00:00.000Z' AS TIMESTAMP WITH TIME ZONE)`);
    expect(sql).not.toMatch(/\$\w/);
  });

  it('writes what differs for PostgreSQL through its dialect only', () => {
    const sql = compileBuiltin(builtin({ statistic: 'ks', column: 'f', baselineWindow: '60d' }), {
      table: 'inference_log',
      timestampColumn: 'scored_at',
      now: NOW,
      dialect: POSTGRES,
    });
    expect(sql).not.toContain('TRY_CAST');
    expect(sql).not.toContain('VARCHAR');
    expect(sql).toContain(`CAST("f" AS TEXT) ~* `);
  });
});

// The same queries in a real PostgreSQL, over the same fixture log, giving the figures scikit-learn and SciPy gave
// (see controller/src/metrics/builtin.test.ts). Skipped outside CI where PostgreSQL's server binaries are not installed.
const FIXTURE = path.resolve(
  fileURLToPath(import.meta.url),
  '../../../../../test/fixtures/surveillance/inference-log.csv',
);

// In CI (.ci/run installs Debian's postgresql) it always runs, so a server missing there fails instead of skipping.
describe.skipIf(!POSTGRES_RUNNABLE && !process.env.CI)('the builtin queries in PostgreSQL', () => {
  // Started when the tests run, not when they are collected, so a filtered run leaves nothing behind.
  let server: PostgresServer | undefined;
  const psql = (sql: string) => server!.psql(sql);

  beforeAll(async () => {
    server = await startPostgres();
    psql(
      'CREATE TABLE inference_log (id integer, scored_at timestamptz, model_version text, score double precision, ' +
        `readmitted text, feature double precision, site text, overridden text);\n\\copy inference_log FROM '${FIXTURE}' WITH (FORMAT csv, HEADER true)\n`,
    );
  }, 60_000);
  afterAll(() => {
    server?.stop();
  });

  const run = (source: object, groupBy?: string) => {
    const sql = compileBuiltin(builtin(source), {
      table: 'inference_log',
      timestampColumn: 'scored_at',
      now: NOW,
      dialect: POSTGRES,
      ...(groupBy ? { groupBy } : {}),
    });
    return psql(`${sql};\n`)
      .trim()
      .split('\n')
      .map((line) => {
        const [segment, value, samples, baseline, missing, nan, outOfRange, unlabelled] = line.split('|');
        return {
          segment,
          value: Number(value),
          samples: Number(samples),
          ...(baseline ? { baselineSamples: Number(baseline) } : {}),
          excluded: {
            missing: Number(missing),
            nan: Number(nan),
            outOfRange: Number(outOfRange),
            unlabelled: Number(unlabelled),
          },
        };
      });
  };
  const scored = { score: 'score', label: { column: 'readmitted', positive: ['<30'] } };

  it('gives the figures of scikit-learn and SciPy, leaving out and counting the same rows as DuckDB', () => {
    const [auroc] = run({ statistic: 'auroc', ...scored });
    expect(auroc).toMatchObject({
      samples: 60,
      excluded: { missing: 2, nan: 2, outOfRange: 2, unlabelled: 6 },
    });
    expect(auroc!.value).toBeCloseTo(0.7980324074074074, 12);
    expect(run({ statistic: 'brier', ...scored })[0]!.value).toBeCloseTo(0.205755, 12);
    expect(run({ statistic: 'expected-calibration-error', ...scored })[0]!.value).toBeCloseTo(0.2045, 12);
    const drift = { column: 'feature', window: '30d', baselineWindow: '60d' };
    const [ks] = run({ statistic: 'ks', ...drift });
    expect(ks).toMatchObject({
      samples: 70,
      baselineSamples: 80,
      excluded: { missing: 1, nan: 2, outOfRange: 1 },
    });
    expect(ks!.value).toBeCloseTo(0.20357142857142857, 12);
    expect(run({ statistic: 'psi', ...drift })[0]!.value).toBeCloseTo(0.4921782037549476, 12);
    expect(run({ statistic: 'psi', ...drift, bins: 4 })[0]!.value).toBeCloseTo(0.13580049983371778, 12);
    expect(run({ statistic: 'override-rate', override: { column: 'overridden' } })[0]!.value).toBeCloseTo(
      0.17142857142857143,
      12,
    );
    expect(run({ statistic: 'missing-share', column: 'feature' })[0]!.value).toBeCloseTo(
      0.013888888888888888,
      12,
    );
    expect(run({ statistic: 'volume' })[0]).toMatchObject({ value: 72, samples: 72 });
  });

  it('computes several drift statistics of a column in one query, each as its own query does', () => {
    const drift = { column: 'feature', window: '30d', baselineWindow: '60d' };
    for (const groupBy of [undefined, 'site']) {
      const sql = compileDrift(
        builtin({ statistic: 'psi', ...drift }),
        [{ statistic: 'psi', bins: 10 }, { statistic: 'ks' }, { statistic: 'psi', bins: 4 }],
        {
          table: 'inference_log',
          timestampColumn: 'scored_at',
          now: NOW,
          dialect: POSTGRES,
          ...(groupBy ? { groupBy } : {}),
        },
      );
      const together = psql(`${sql};\n`)
        .trim()
        .split('\n')
        .map((line) => line.split('|'));
      const alone = [
        run({ statistic: 'psi', ...drift }, groupBy),
        run({ statistic: 'ks', ...drift }, groupBy),
        run({ statistic: 'psi', ...drift, bins: 4 }, groupBy),
      ];
      expect(together.map((r) => r[0])).toEqual(alone[0]!.map((r) => r.segment));
      together.forEach((row, i) => {
        for (const [k, one] of alone.entries()) expect(Number(row[k + 1])).toBeCloseTo(one[i]!.value, 12);
        expect(Number(row[4])).toBe(alone[0]![i]!.samples);
        expect(Number(row[5])).toBe(alone[0]![i]!.baselineSamples);
      });
    }
    expect(run({ statistic: 'psi', ...drift }, 'site')).toHaveLength(3);
  });

  it('groups by a segment column as DuckDB does', () => {
    const bySite = run({ statistic: 'auroc', ...scored }, 'site');
    expect(bySite.map((r) => r.segment)).toEqual(['east', 'north', 'south']);
    expect(bySite.map((r) => r.samples)).toEqual([20, 20, 20]);
    expect(bySite[0]!.value).toBeCloseTo(0.8571428571428571, 12);
    expect(bySite[1]!.value).toBeCloseTo(0.8854166666666666, 12);
    expect(bySite[2]!.value).toBeCloseTo(0.5357142857142857, 12);
  });
});
