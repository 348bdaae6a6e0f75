// The built-in metrics over a small fixed log, against figures computed independently with scikit-learn, SciPy
// and NumPy by test/fixtures/surveillance/expected.py (which also wrote the log). The figures are kept here as
// numbers; the tests never run Python.
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { surveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import { withEngine } from '../data/engine.js';
import { ks, psi } from '../kinds/surveillancepolicy/statistics.js';
import { decideSurveillanceStatus } from '../kinds/surveillancepolicy/status.js';
import { type MetricReadings, readMetrics } from './inference-log.js';

const FIXTURES = path.resolve(fileURLToPath(import.meta.url), '../../../../test/fixtures/surveillance');
const NOW = new Date('2026-06-01T00:00:00Z');

const tiers = [{ at: 0.1, action: 'notify' }];
const metric = (name: string, builtin: object, more: object = {}) => ({
  name,
  kind: 'performance',
  source: { builtin },
  direction: 'lower-is-better',
  degradation: 'absolute',
  minSamples: 1,
  tiers,
  ...more,
});
const scored = { score: 'score', label: { column: 'readmitted', positive: ['<30'] } };

// What expected.py printed (scikit-learn 1.2.1, SciPy 1.10.1, NumPy), over the rows each metric keeps: the 60
// labelled rows of the last 30 days with a score in 0..1, and the feature's finite values in each window.
const EXPECTED = {
  auroc: 0.7980324074074074, // sklearn.metrics.roc_auc_score
  brier: 0.205755, // sklearn.metrics.brier_score_loss
  ece10: 0.2045, // NumPy: ten equal-width bins, sum of n * |mean score - share positive| / N
  ece5: 0.1448333333333333,
  perSite: {
    east: { n: 20, auroc: 0.8571428571428571 },
    north: { n: 20, auroc: 0.8854166666666666 },
    south: { n: 20, auroc: 0.5357142857142857 },
  },
  ks: 0.20357142857142857, // scipy.stats.ks_2samp(baseline, current).statistic
  psi10: 0.4921782037549476, // NumPy: baseline quantile edges, np.searchsorted(edges, v, side='right')
  psi4: 0.13580049983371778,
  featureBaseline: 80,
  featureCurrent: 70,
  overrideRate: 0.17142857142857143, // 12 of the 70 rows with true or false
  featureMissingShare: 0.013888888888888888, // 1 NaN among the 72 rows of the window
  aurocGap: 0.34970238095238093, // north - south
  southShortfall: 0.26231812169312174, // overall AUROC - south's
};
// The rows of the last 30 days expected.py adds to be left out: scores missing (2), NaN (2), above 1 and below 0
// (2), and 6 not labelled yet.
const LEFT_OUT = { missing: 2, nan: 2, outOfRange: 2, unlabelled: 6 };

describe('builtin metrics over the fixture log', () => {
  const spec = surveillancePolicySpec.parse({
    inferenceLog: { uri: 'inference-log.csv' },
    metrics: [
      metric('auroc', { statistic: 'auroc', ...scored }, { segments: ['site'] }),
      metric('brier', { statistic: 'brier', ...scored }),
      metric('ece', { statistic: 'expected-calibration-error', ...scored }),
      metric('ece5', { statistic: 'expected-calibration-error', bins: 5, ...scored }),
      metric('ks', { statistic: 'ks', column: 'feature', window: '30d', baselineWindow: '60d' }),
      metric('psi', { statistic: 'psi', column: 'feature', window: '30d', baselineWindow: '60d' }),
      metric('psi4', { statistic: 'psi', column: 'feature', window: '30d', baselineWindow: '60d', bins: 4 }),
      metric('override', { statistic: 'override-rate', override: { column: 'overridden' } }),
      metric('missing', { statistic: 'missing-share', column: 'feature' }),
      metric('volume', { statistic: 'volume' }),
      metric('gap', { statistic: 'subgroup-gap', of: 'auroc', ...scored }, { segments: ['site'] }),
      metric(
        'thin-gap',
        { statistic: 'subgroup-gap', of: 'auroc', ...scored },
        { segments: ['site'], minSamples: 21 },
      ),
      metric('last-hours-auroc', { statistic: 'auroc', ...scored, window: '2h' }),
    ],
  });
  let result: MetricReadings;
  beforeAll(async () => {
    result = await readMetrics(spec, { baseDir: FIXTURES, now: NOW });
  });
  const reading = (m: string, segment?: string) =>
    result.readings.find((r) => r.metric === m && r.segment === segment);

  it('gives AUROC, Brier score and calibration error as scikit-learn does, leaving out what it cannot use', () => {
    expect(reading('auroc')).toMatchObject({ samples: 60, excluded: LEFT_OUT });
    expect(reading('auroc')!.value).toBeCloseTo(EXPECTED.auroc, 12);
    expect(reading('brier')!.value).toBeCloseTo(EXPECTED.brier, 12);
    expect(reading('ece')!.value).toBeCloseTo(EXPECTED.ece10, 12);
    expect(reading('ece5')!.value).toBeCloseTo(EXPECTED.ece5, 12);
  });

  it('reads a segmented metric once per segment value', () => {
    for (const [site, want] of Object.entries(EXPECTED.perSite)) {
      const r = reading('auroc', `site=${site}`);
      expect(r?.samples).toBe(want.n);
      expect(r?.value).toBeCloseTo(want.auroc, 12);
    }
  });

  it('compares the windows with KS as SciPy does, and PSI as defined, counting both windows', () => {
    const both = { samples: EXPECTED.featureCurrent, baselineSamples: EXPECTED.featureBaseline };
    // Left out across both windows: one missing, two NaN, one infinite.
    const excluded = { missing: 1, nan: 2, outOfRange: 1, unlabelled: 0 };
    expect(reading('ks')).toMatchObject({ ...both, excluded });
    expect(reading('ks')!.value).toBeCloseTo(EXPECTED.ks, 12);
    expect(reading('psi')).toMatchObject(both);
    expect(reading('psi')!.value).toBeCloseTo(EXPECTED.psi10, 12);
    expect(reading('psi4')!.value).toBeCloseTo(EXPECTED.psi4, 12);
  });

  it('reads override rate, missing share and volume', () => {
    expect(reading('override')).toMatchObject({
      samples: 70,
      excluded: { missing: 1, nan: 0, outOfRange: 1, unlabelled: 0 },
    });
    expect(reading('override')!.value).toBeCloseTo(EXPECTED.overrideRate, 12);
    expect(reading('missing')).toMatchObject({ samples: 72 });
    expect(reading('missing')!.value).toBeCloseTo(EXPECTED.featureMissingShare, 12);
    expect(reading('volume')).toMatchObject({ value: 72, samples: 72 });
  });

  it('reads a subgroup gap: the largest difference, per column and overall, and each segment against the overall value', () => {
    expect(reading('gap')!.value).toBeCloseTo(EXPECTED.aurocGap, 12);
    expect(reading('gap', 'site')!.value).toBeCloseTo(EXPECTED.aurocGap, 12);
    expect(reading('gap', 'site=south')!.value).toBeCloseTo(EXPECTED.southShortfall, 12);
    // Better than the overall value is no shortfall.
    expect(reading('gap', 'site=north')!.value).toBe(0);
  });

  it('says insufficient data, and gives no value, where the rows cannot define one', () => {
    // No segment reaches 21 samples, so there is no gap to judge; the segments still show their shortfall.
    expect(reading('thin-gap')).toBeUndefined();
    expect(reading('thin-gap', 'site=south')!.samples).toBe(20);
    // Nothing was scored in the last two hours.
    expect(result.unread).toEqual([
      {
        metric: 'thin-gap',
        segment: 'site',
        reason: 'NoData',
        message: 'thin-gap (site): insufficient data: 0 segments of site with 21 samples; a gap needs two',
      },
      {
        metric: 'last-hours-auroc',
        reason: 'NoData',
        message: 'last-hours-auroc: insufficient data: no usable rows in the window',
      },
    ]);
  });

  it('leaves missing scores out of an AUROC, where the example hand-written query ranks them highest', async () => {
    // The query the readmission example used to carry: rank() orders NULL and NaN scores last, the highest ranks.
    const handWritten = `WITH labelled AS (
        SELECT score, CASE WHEN readmitted = '<30' THEN 1 ELSE 0 END AS positive FROM log
        WHERE readmitted IS NOT NULL AND scored_at > TIMESTAMPTZ '2026-05-02T00:00:00Z'),
      ranked AS (SELECT positive, rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS r
        FROM labelled)
      SELECT (sum(r) FILTER (WHERE positive = 1) - count(*) FILTER (WHERE positive = 1) * (count(*) FILTER (WHERE positive = 1) + 1) / 2.0)
        / (count(*) FILTER (WHERE positive = 1) * count(*) FILTER (WHERE positive = 0)) AS value FROM ranked`;
    const naive = await withEngine(FIXTURES, async (engine) => {
      await engine.register('log', 'inference-log.csv');
      return (await engine.query(handWritten))[0]!.value as number;
    });
    expect(naive).not.toBeCloseTo(EXPECTED.auroc, 3);
    expect(reading('auroc')!.value).toBeCloseTo(EXPECTED.auroc, 12);
  });
});

describe('edges of the log', () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'vigil-builtin-'));
  });
  const DAY = 86_400_000;
  const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY).toISOString();
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('reads a label or flag column that holds only NO, or only YES, as the text it is', async () => {
    // DuckDB guesses a CSV column of only NO (or only YES) to be BOOLEAN; the values named must still match.
    const rows = [0.2, 0.4, 0.6, 0.8].map((s, i) => `${at(i + 0.5)},${s},NO,YES`);
    await writeFile(path.join(root, 'no.csv'), `scored_at,score,readmitted,overridden\n${rows.join('\n')}\n`);
    const spec = surveillancePolicySpec.parse({
      inferenceLog: { uri: 'no.csv' },
      metrics: [
        metric('brier', { statistic: 'brier', ...scored }),
        metric('auroc', { statistic: 'auroc', ...scored }),
        metric('override', {
          statistic: 'override-rate',
          override: { column: 'overridden', positive: ['YES'] },
        }),
      ],
    });
    const read = await readMetrics(spec, { baseDir: root, now: NOW });
    expect(read.unread).toEqual([
      {
        metric: 'auroc',
        reason: 'NoData',
        message: 'auroc: insufficient data: 4 rows, but not both outcomes among them',
      },
    ]);
    // Every outcome negative: the mean squared score, (0.04 + 0.16 + 0.36 + 0.64) / 4.
    expect(read.readings.find((r) => r.metric === 'brier')).toMatchObject({ samples: 4 });
    expect(read.readings.find((r) => r.metric === 'brier')!.value).toBeCloseTo(0.3, 12);
    expect(read.readings.find((r) => r.metric === 'override')).toMatchObject({ value: 1, samples: 4 });
  });

  it('reads the rows without a segment value as the segment (none)', async () => {
    const rows = ['north', '', 'north', ''].map((site, i) => `${at(i + 0.5)},${site}`);
    await writeFile(path.join(root, 'sites.csv'), `scored_at,site\n${rows.join('\n')}\n`);
    const spec = surveillancePolicySpec.parse({
      inferenceLog: { uri: 'sites.csv' },
      metrics: [metric('volume', { statistic: 'volume' }, { segments: ['site'] })],
    });
    const read = await readMetrics(spec, { baseDir: root, now: NOW });
    expect(read.readings.map((r) => [r.segment, r.value])).toEqual([
      [undefined, 4],
      ['site=north', 2],
      ['site=(none)', 2],
    ]);
  });

  it('computes drift over a column holding NaN, leaving it out, without stalling', async () => {
    const baseline = [0.1, 0.2, 'NaN', 0.3, 0.4].map((v, i) => `${at(20 + i)},${v}`);
    const current = [0.3, 'NaN', 0.4, 0.5].map((v, i) => `${at(1 + i)},${v}`);
    await writeFile(path.join(root, 'nan.csv'), `scored_at,score\n${[...baseline, ...current].join('\n')}\n`);
    const spec = surveillancePolicySpec.parse({
      inferenceLog: { uri: 'nan.csv' },
      metrics: [
        {
          ...metric('ks', {}),
          kind: 'drift',
          source: {
            drift: { statistic: 'ks', column: 'score', baselineWindow: '30d', currentWindow: '10d' },
          },
        },
      ],
    });
    const read = await readMetrics(spec, { baseDir: root, now: NOW });
    // Baseline 0.1 0.2 0.3 0.4 against 0.3 0.4 0.5: at 0.2 the CDFs are 1/2 and 0.
    expect(read.readings).toEqual([
      expect.objectContaining({ metric: 'ks', value: 0.5, samples: 3, baselineSamples: 4 }),
    ]);
  });

  it('gives PSI and KS of a column full of ties as their definitions do, overall and per segment, however many share its query', async () => {
    // Small integers, most of the baseline at 0 (so the first edges merge and the first bin holds no baseline
    // value), the current window shifted and reaching past the baseline's range on both sides; a few values
    // missing or NaN. Deterministic: a linear congruential generator, not Math.random.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    // Beside it, a column of distinct values (in the baseline), whose 600 baseline rows put some values exactly
    // at an edge's position.
    const rows: { daysAgo: number; site: string; value: string; distinct: number }[] = [];
    for (let i = 0; i < 900; i++) {
      const current = i % 3 === 0;
      const u = next();
      const value = current
        ? String(Math.floor(u * 8) - (u < 0.05 ? 2 : 0) + (u > 0.97 ? 3 : 0))
        : u < 0.45
          ? '0'
          : String(Math.floor(u * 7));
      const gap = next();
      rows.push({
        daysAgo: current ? 1 + (i % 9) : 15 + (i % 40),
        site: i % 5 < 2 ? 'east' : 'west',
        value: gap < 0.02 ? '' : gap < 0.04 ? 'NaN' : value,
        distinct: current ? (i * 37) % 900 : i,
      });
    }
    await writeFile(
      path.join(root, 'ties.csv'),
      `scored_at,site,value,distinct\n${rows.map((r) => `${at(r.daysAgo)},${r.site},${r.value},${r.distinct}`).join('\n')}\n`,
    );
    const drift = { column: 'value', window: '10d', baselineWindow: '50d' };
    const spec = surveillancePolicySpec.parse({
      inferenceLog: { uri: 'ties.csv' },
      metrics: [
        metric('psi', { statistic: 'psi', ...drift }, { segments: ['site'] }),
        metric('ks', { statistic: 'ks', ...drift }, { segments: ['site'] }),
        metric('psi3', { statistic: 'psi', ...drift, bins: 3 }),
        metric('psi-in-range', { statistic: 'psi', ...drift, range: { min: 0, max: 6 } }),
        metric('distinct-psi', { statistic: 'psi', ...drift, column: 'distinct' }),
        metric('distinct-psi3', { statistic: 'psi', ...drift, column: 'distinct', bins: 3 }),
        metric('distinct-ks', { statistic: 'ks', ...drift, column: 'distinct' }),
      ],
    });
    const read = await readMetrics(spec, { baseDir: root, now: NOW });
    expect(read.unread).toEqual([]);

    const values = (current: boolean, site?: string, keep = (_: number) => true) =>
      rows
        .filter((r) => r.daysAgo < 10 === current && (site === undefined || r.site === site))
        .filter((r) => r.value !== '')
        .map((r) => Number(r.value))
        .filter((v) => !Number.isNaN(v) && keep(v));
    const got = (name: string, segment?: string) =>
      read.readings.find((r) => r.metric === name && r.segment === segment);
    for (const site of [undefined, 'east', 'west']) {
      const segment = site && `site=${site}`;
      const [baseline, current] = [values(false, site), values(true, site)];
      expect(got('psi', segment)).toMatchObject({
        samples: current.length,
        baselineSamples: baseline.length,
      });
      expect(got('psi', segment)!.value).toBeCloseTo(psi(baseline, current)!, 12);
      expect(got('ks', segment)).toMatchObject({ samples: current.length, baselineSamples: baseline.length });
      expect(got('ks', segment)!.value).toBeCloseTo(ks(baseline, current)!, 12);
    }
    expect(got('psi3')!.value).toBeCloseTo(psi(values(false), values(true), 3)!, 12);
    const inRange = (v: number) => v >= 0 && v <= 6;
    expect(got('psi-in-range')!.value).toBeCloseTo(
      psi(values(false, undefined, inRange), values(true, undefined, inRange))!,
      12,
    );
    const distinct = (current: boolean) =>
      rows.filter((r) => r.daysAgo < 10 === current).map((r) => r.distinct);
    expect(got('distinct-psi')).toMatchObject({ samples: 300, baselineSamples: 600 });
    expect(got('distinct-psi')!.value).toBeCloseTo(psi(distinct(false), distinct(true))!, 12);
    expect(got('distinct-psi3')!.value).toBeCloseTo(psi(distinct(false), distinct(true), 3)!, 12);
    expect(got('distinct-ks')!.value).toBeCloseTo(ks(distinct(false), distinct(true))!, 12);
    const missing = rows.filter((r) => r.value === '').length;
    const nan = rows.filter((r) => r.value === 'NaN').length;
    expect(got('psi')!.excluded).toEqual({ missing, nan, outOfRange: 0, unlabelled: 0 });
    expect(got('psi-in-range')!.excluded).toEqual({
      missing,
      nan,
      outOfRange: values(true, undefined, (v) => !inRange(v)).length,
      unlabelled: 0,
    });
    // What the data was made to hold: ties merge the first edges, and current values fall outside the baseline.
    const sorted = values(false).sort((a, b) => a - b);
    expect(new Set(sorted.slice(0, Math.floor(sorted.length * 0.4))).size).toBe(1);
    expect(Math.min(...values(true))).toBeLessThan(Math.min(...values(false)));
    expect(Math.max(...values(true))).toBeGreaterThan(Math.max(...values(false)));
  });

  it('reads the drift of every column that exists when one a policy names does not, and says which', async () => {
    // Columns counted value by value share one query; the one the log lacks must fail alone.
    const r = (i: number) => ((i * 7919) % 101) / 10;
    const rows = Array.from({ length: 240 }, (_, i) => {
      const current = i % 4 === 0;
      return {
        daysAgo: current ? 1 + (i % 9) : 15 + (i % 40),
        a: Math.floor(r(i)),
        b: r(i + 3) % 3,
        c: current ? 2 : 1,
      };
    });
    await writeFile(
      path.join(root, 'columns.csv'),
      `scored_at,a,b,c\n${rows.map((x) => `${at(x.daysAgo)},${x.a},${x.b},${x.c}`).join('\n')}\n`,
    );
    const drift = { window: '10d', baselineWindow: '50d' };
    const spec = surveillancePolicySpec.parse({
      inferenceLog: { uri: 'columns.csv' },
      metrics: ['a', 'b', 'nope', 'c'].flatMap((column) => [
        metric(`${column}-psi`, { statistic: 'psi', column, ...drift }),
        metric(`${column}-ks`, { statistic: 'ks', column, ...drift }),
      ]),
    });
    const read = await readMetrics(spec, { baseDir: root, now: NOW });
    expect(read.unread.map((u) => [u.metric, u.reason])).toEqual([
      ['nope-psi', 'QueryFailed'],
      ['nope-ks', 'QueryFailed'],
    ]);
    expect(read.unread[0]!.message).toMatch(/nope/);
    const values = (column: 'a' | 'b' | 'c', current: boolean) =>
      rows.filter((x) => x.daysAgo < 10 === current).map((x) => x[column]);
    for (const column of ['a', 'b', 'c'] as const) {
      const got = (name: string) => read.readings.find((x) => x.metric === `${column}-${name}`)!;
      expect(got('psi').value).toBeCloseTo(psi(values(column, false), values(column, true))!, 12);
      expect(got('ks').value).toBeCloseTo(ks(values(column, false), values(column, true))!, 12);
      expect(got('ks')).toMatchObject({ samples: 60, baselineSamples: 180 });
    }
    expect(read.readings.find((x) => x.metric === 'c-ks')!.value).toBe(1);
  });

  it('never judges, nor rolls back on, a drift whose baseline window holds two rows', async () => {
    const baseline = [0.1, 0.15].map((v, i) => `${at(20 + i)},${v}`);
    const current = Array.from({ length: 200 }, (_, i) => `${at((i % 9) + 0.5)},${0.9 + (i % 10) / 100}`);
    await writeFile(
      path.join(root, 'thin.csv'),
      `scored_at,score\n${[...baseline, ...current].join('\n')}\n`,
    );
    const spec = surveillancePolicySpec.parse({
      inferenceLog: { uri: 'thin.csv' },
      metrics: [
        {
          ...metric('psi', {}),
          kind: 'drift',
          source: {
            drift: { statistic: 'psi', column: 'score', baselineWindow: '30d', currentWindow: '10d' },
          },
          minSamples: 100,
          tiers: [
            { at: 0.1, action: 'review' },
            { at: 0.25, action: 'rollback' },
          ],
        },
      ],
    });
    const read = await readMetrics(spec, { baseDir: root, now: NOW });
    const psi = read.readings[0]!;
    expect(psi).toMatchObject({ samples: 200, baselineSamples: 2 });
    expect(psi.value).toBeGreaterThan(0.25);
    const decision = decideSurveillanceStatus(spec, read.readings, undefined, NOW, ['readmission-risk']);
    expect(decision.due).toEqual([]);
    expect(decision.status.metrics).toEqual([
      expect.objectContaining({ name: 'psi', samples: 200, baselineSamples: 2 }),
    ]);
    expect(decision.status.metrics![0]!.tier).toBeUndefined();
    expect(decision.status.metrics![0]!.excluded).toEqual({
      missing: 0,
      nan: 0,
      outOfRange: 0,
      unlabelled: 0,
    });
    expect(decision.conditions[1]).toMatchObject({ reason: 'InsufficientSamples' });
  });
});
