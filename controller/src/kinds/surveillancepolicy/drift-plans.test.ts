// The two ways a drift query counts a column (compileDrift's plans: value by value, or by bucket first) must give
// the statistics of their definitions in statistics.ts, over data made to reach every branch of the bucket plan:
// few buckets, so that buckets hold many distinct values and KS distances and PSI edges fall inside them; ties;
// a single value; the largest and smallest doubles; values left out; segments, one of them without a value.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { surveillancePolicySpec } from '../../../../specs/surveillancepolicy.js';
import { POSTGRES_RUNNABLE, type PostgresServer, startPostgres } from '../../../../test/support/postgres.js';
import { type DataEngine, DataEngine as Engine } from '../../data/engine.js';
import { POSTGRES } from '../../data/sql.js';
import {
  type BuiltinSource,
  compileDrift,
  compileDriftBatch,
  compileDriftProbe,
  type DriftPlan,
  type DriftStatistic,
  driftPlanFor,
} from './builtin-metrics.js';
import { ks, psi } from './statistics.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const STATISTICS: DriftStatistic[] = [
  { statistic: 'psi', bins: 10 },
  { statistic: 'ks' },
  { statistic: 'psi', bins: 3 },
];
const PLANS: DriftPlan[] = [
  { by: 'values' },
  ...[1, 2, 3, 7, 64, 4096].map((buckets): DriftPlan => ({ by: 'buckets', buckets })),
];

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Row {
  daysAgo: number;
  site: string;
  /** As the CSV holds it: '' for missing. */
  value: string;
}

/** The data sets: each a column of values as text, with the day and site of each row. */
function dataSets(): Record<string, Row[]> {
  const make = (n: number, seed: number, value: (r: () => number, current: boolean) => string): Row[] => {
    const r = random(seed);
    return Array.from({ length: n }, (_, i) => {
      const current = i % 3 === 0;
      const u = r();
      return {
        daysAgo: current ? 1 + (i % 9) : 15 + (i % 40),
        // A fifth of the rows have no site; north has only values that are left out.
        site: ['east', 'west', 'west', '', 'north'][i % 5]!,
        value:
          i % 5 === 4
            ? ['', 'NaN', 'Infinity'][i % 3]!
            : u < 0.02
              ? ''
              : u < 0.03
                ? 'NaN'
                : value(r, current),
      };
    });
  };
  return {
    // Nearly all distinct, shifted in the current window.
    continuous: make(1500, 1, (r, current) => String(r() * 10 + (current ? 0.7 : 0))),
    // Few values, many ties.
    ties: make(1500, 2, (r, current) => String(Math.floor(r() * (current ? 6 : 5)))),
    // A handful of distinct values in a wide range, and two far apart.
    clustered: make(1200, 3, (r) => {
      const u = r();
      return String(u < 0.5 ? 1 + Math.floor(r() * 3) * 1e-9 : u < 0.9 ? 1000 + r() : u < 0.95 ? -5e6 : 7e9);
    }),
    // The largest and smallest doubles: no difference of two of them may overflow.
    extremes: make(600, 4, (r) => {
      const u = r();
      return String(u < 0.2 ? -1.7e308 : u < 0.4 ? 1.7e308 : u < 0.6 ? 5e-324 : u < 0.8 ? 0 : r() - 0.5);
    }),
    // The smallest doubles, and a range barely wider than 1e-290.
    tiny: make(600, 6, (r) => {
      const u = r();
      return String(u < 0.25 ? 5e-324 : u < 0.5 ? 1e-323 : u < 0.75 ? 2e-310 : r() * 1e-289);
    }),
    // One value only.
    constant: make(300, 5, () => '42'),
  };
}

/** The values of the data set in one window and segment (undefined: every segment), as the definitions take them. */
function valuesOf(rows: Row[], current: boolean, site?: string): number[] {
  return rows
    .filter((r) => r.daysAgo < 10 === current && (site === undefined || r.site === site))
    .map((r) => (r.value === '' ? Number.NaN : Number(r.value)))
    .filter(Number.isFinite);
}

const source = (column: string): BuiltinSource =>
  surveillancePolicySpec.parse({
    inferenceLog: { uri: 'drift.csv' },
    metrics: [
      {
        name: 'm',
        kind: 'drift',
        source: { builtin: { statistic: 'ks', column, window: '10d', baselineWindow: '50d' } },
        direction: 'lower-is-better',
        degradation: 'absolute',
        tiers: [{ at: 0.1, action: 'notify' }],
      },
    ],
  }).metrics[0]!.source.builtin!;

const sets = dataSets();
const names = Object.keys(sets);
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY + 3_600_000).toISOString();

/** One CSV, a column per data set (each set's rows in the same days and sites: they are made alike). */
function csv(): string {
  const length = Math.max(...names.map((n) => sets[n]!.length));
  const lines = ['scored_at,site,' + names.join(',')];
  for (let i = 0; i < length; i++) {
    // Rows past a shorter set's end are missing in its column; its own rows keep their day and site.
    const first = names.map((n) => sets[n]![i]).find((r) => r !== undefined)!;
    lines.push([at(first.daysAgo), first.site, ...names.map((n) => sets[n]![i]?.value ?? '')].join(','));
  }
  return `${lines.join('\n')}\n`;
}

interface Result {
  segment: string | null;
  values: (number | null)[];
  samples: number;
  baselineSamples: number;
  excluded: number[];
}

const resultOf = (row: Record<string, unknown>): Result => ({
  segment: row.segment as string | null,
  values: STATISTICS.map((_, i) => (row[`value_${i}`] === null ? null : Number(row[`value_${i}`]))),
  samples: Number(row.samples),
  baselineSamples: Number(row.baseline_samples),
  excluded: [Number(row.missing), Number(row.nan), Number(row.out_of_range)],
});

/** What each statistic's definition gives over the data set's values, overall and per site. */
function expected(set: string, site?: string): (number | undefined)[] {
  const baseline = valuesOf(sets[set]!, false, site);
  const current = valuesOf(sets[set]!, true, site);
  return [psi(baseline, current, 10), ks(baseline, current), psi(baseline, current, 3)];
}

function expectDefinitions(set: string, overall: Result, bySite: Result[]): void {
  const check = (got: Result, site?: string) => {
    const want = expected(set, site);
    want.forEach((w, i) => {
      if (w === undefined) expect(got.values[i], `${set} ${site ?? 'overall'} statistic ${i}`).toBeNull();
      else expect(got.values[i], `${set} ${site ?? 'overall'} statistic ${i}`).toBeCloseTo(w, 12);
    });
    expect(got.samples).toBe(valuesOf(sets[set]!, true, site).length);
    expect(got.baselineSamples).toBe(valuesOf(sets[set]!, false, site).length);
  };
  check(overall);
  // The rows without a site are the segment NULL, last; north has no value to compare.
  expect(bySite.map((r) => r.segment)).toEqual(['east', 'north', 'west', null]);
  for (const r of bySite) check(r, r.segment ?? '');
}

describe('drift plans in DuckDB', () => {
  let dir = '';
  let engine: DataEngine;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-drift-plans-'));
    writeFileSync(path.join(dir, 'drift.csv'), csv());
    engine = await Engine.open(dir);
    await engine.register('log', 'drift.csv');
  });
  afterAll(() => {
    engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (set: string, plan: DriftPlan, groupBy?: string) =>
    (
      await engine.query(
        compileDrift(source(set), STATISTICS, {
          table: 'log',
          timestampColumn: 'scored_at',
          now: NOW,
          plan,
          ...(groupBy ? { groupBy } : {}),
        }),
      )
    ).map(resultOf);

  for (const set of names) {
    it(`gives the definitions' PSI and KS of the ${set} column by every plan, overall and per segment`, async () => {
      const byValues = [await run(set, { by: 'values' }), await run(set, { by: 'values' }, 'site')] as const;
      for (const plan of PLANS) {
        const overall = await run(set, plan);
        const bySite = await run(set, plan, 'site');
        expect(overall).toHaveLength(1);
        expectDefinitions(set, overall[0]!, bySite);
        // The rows left out are counted the same, by reason, whatever the plan.
        expect(overall.map((r) => r.excluded)).toEqual(byValues[0].map((r) => r.excluded));
        expect(bySite.map((r) => r.excluded)).toEqual(byValues[1].map((r) => r.excluded));
      }
    });
  }

  it('gives each column of a batch what its own query gives, reading the log once for them all', async () => {
    const rows = await engine.query(
      compileDriftBatch(names.map(source), STATISTICS, {
        table: 'log',
        timestampColumn: 'scored_at',
        now: NOW,
      }),
    );
    expect(rows.map((r) => Number(r.part)).sort()).toEqual(names.map((_, i) => i));
    for (const [i, set] of names.entries()) {
      const part = rows.find((r) => Number(r.part) === i)!;
      const alone = (await run(set, { by: 'values' }))[0]!;
      // The same counts; the same statistics but for the order of a sum's terms.
      const { values, ...counts } = resultOf(part);
      const { values: aloneValues, ...aloneCounts } = alone;
      expect(counts).toEqual(aloneCounts);
      for (const [k, v] of values.entries()) expect(v).toBeCloseTo(aloneValues[k]!, 15);
      expectDefinitions(set, resultOf(part), await run(set, { by: 'values' }, 'site'));
    }
  });

  it('refuses a batch of columns whose windows differ, or per segment', () => {
    const other = { ...source('ties'), window: '5d' };
    const options = { table: 'log', timestampColumn: 'scored_at', now: NOW };
    expect(() => compileDriftBatch([source('continuous'), other], STATISTICS, options)).toThrow(
      /share their windows/,
    );
    expect(() => compileDriftBatch([source('ties')], STATISTICS, { ...options, groupBy: 'site' })).toThrow(
      /overall/,
    );
  });

  it('leaves out what the definitions leave out: missing, NaN, infinite', async () => {
    const [overall] = await run('continuous', { by: 'buckets', buckets: 3 });
    const rows = sets.continuous!;
    const count = (text: string) => rows.filter((r) => r.value === text).length;
    expect(overall!.excluded).toEqual([count(''), count('NaN'), count('Infinity')]);
  });

  it('chooses buckets only for a column whose probed values are nearly all distinct', async () => {
    const [probe] = await engine.query(
      compileDriftProbe(names, { table: 'log', timestampColumn: 'scored_at', now: NOW }),
    );
    const plans = names.map((_, i) =>
      driftPlanFor({ n: Number(probe![`n_${i}`]), distinct: Number(probe![`distinct_${i}`]) }),
    );
    expect(Object.fromEntries(names.map((n, i) => [n, plans[i]!.by]))).toEqual({
      continuous: 'buckets',
      ties: 'values',
      clustered: 'values',
      extremes: 'values',
      tiny: 'values',
      constant: 'values',
    });
  });
});

describe.skipIf(!POSTGRES_RUNNABLE && !process.env.CI)('drift plans in PostgreSQL', () => {
  let server: PostgresServer | undefined;
  const columns = names.map((n) => `${n} double precision`).join(', ');
  beforeAll(async () => {
    server = await startPostgres();
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-drift-plans-pg-'));
    const file = path.join(dir, 'drift.csv');
    // PostgreSQL reads the empty field of a CSV as NULL, and NaN and Infinity as those doubles.
    writeFileSync(file, csv());
    server.psql(
      `CREATE TABLE log (scored_at timestamptz, site text, ${columns});\n` +
        `\\copy log FROM '${file}' WITH (FORMAT csv, HEADER true)\nUPDATE log SET site = NULL WHERE site = '';\n`,
    );
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  afterAll(() => {
    server?.stop();
  });

  /** psql's lines as results, after `skip` leading columns. */
  const parse = (out: string, skip = 0): { lead: string[]; result: Result }[] =>
    out
      .trim()
      .split('\n')
      .map((line) => {
        const cells = line.split('|');
        const [segment, v0, v1, v2, samples, baseline, missing, nan, range] = cells.slice(skip);
        return {
          lead: cells.slice(0, skip),
          result: resultOf({
            segment: segment === '' ? null : segment,
            value_0: v0 === '' ? null : v0,
            value_1: v1 === '' ? null : v1,
            value_2: v2 === '' ? null : v2,
            samples,
            baseline_samples: baseline,
            missing,
            nan,
            out_of_range: range,
          }),
        };
      });
  const options = { table: 'log', timestampColumn: 'scored_at', now: NOW, dialect: POSTGRES };
  const run = (set: string, plan: DriftPlan, groupBy?: string): Result[] =>
    parse(
      server!.psql(
        `${compileDrift(source(set), STATISTICS, { ...options, plan, ...(groupBy ? { groupBy } : {}) })};\n`,
      ),
    ).map((r) => r.result);

  it('probes the columns as DuckDB does, choosing the same plans', () => {
    const cells = server!
      .psql(`${compileDriftProbe(names, options)};\n`)
      .trim()
      .split('|')
      .map(Number);
    const plans = names.map((_, i) => driftPlanFor({ n: cells[2 * i]!, distinct: cells[2 * i + 1]! }).by);
    expect(plans).toEqual(['buckets', 'values', 'values', 'values', 'values', 'values']);
  });

  it('gives each column of a batch its definitions', () => {
    const rows = parse(server!.psql(`${compileDriftBatch(names.map(source), STATISTICS, options)};\n`), 1);
    expect(rows.map((r) => Number(r.lead[0])).sort()).toEqual(names.map((_, i) => i));
    for (const { lead, result } of rows) {
      const set = names[Number(lead[0])]!;
      expectDefinitions(set, result, run(set, { by: 'values' }, 'site'));
    }
  });

  it("gives the definitions' PSI and KS of every column by every plan, overall and per segment", () => {
    for (const set of names) {
      for (const plan of PLANS) {
        const overall = run(set, plan);
        expect(overall).toHaveLength(1);
        expectDefinitions(set, overall[0]!, run(set, plan, 'site'));
      }
    }
  });
});
