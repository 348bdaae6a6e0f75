import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SurveillancePolicy, surveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import { DataSourceError } from '../data/errors.js';
import { ks, psi } from '../kinds/surveillancepolicy/statistics.js';
import { readMetrics } from './inference-log.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'surveillance');
const NOW = new Date('2026-06-01T00:00:00Z');
const AT = '2026-06-01T00:00:00Z';
const DAY = 86_400_000;

// 30 rows of version 1.0.0, one every day back from now (half a day off the hour), scores rising with age;
// 10 rows of 2.0.0 in the same days; one row scored after now, which no metric may see.
interface LogRow {
  id: number;
  at: Date;
  version: string;
  score: number;
  site: string;
}
const rows: LogRow[] = [
  ...Array.from({ length: 30 }, (_, i) => ({
    id: i,
    at: new Date(NOW.getTime() - (i + 0.5) * DAY),
    version: '1.0.0',
    score: (i * 7) / 100,
    site: i % 2 === 0 ? 'north' : 'south',
  })),
  ...Array.from({ length: 10 }, (_, i) => ({
    id: 100 + i,
    at: new Date(NOW.getTime() - (i + 0.5) * DAY),
    version: '2.0.0',
    score: 9,
    site: 'north',
  })),
  { id: 999, at: new Date(NOW.getTime() + DAY), version: '1.0.0', score: 50, site: 'north' },
];
const csv = `id,scored_at,model_version,score,site\n${rows
  .map((r) => [r.id, r.at.toISOString(), r.version, r.score, r.site].join(','))
  .join('\n')}\n`;

const root = mkdtempSync(path.join(tmpdir(), 'vigil-metrics-'));
beforeAll(async () => {
  await mkdir(path.join(root, 'logs'));
  await writeFile(path.join(root, 'logs', 'scores.csv'), csv);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const tiers = [{ at: 0.1, action: 'notify' }];
const sqlMetric = (name: string, sql: string, segments: string[] = []) => ({
  name,
  kind: 'performance',
  source: { sql },
  direction: 'lower-is-better',
  degradation: 'absolute',
  segments,
  tiers,
});
const policy = (metrics: object[]) =>
  surveillancePolicySpec.parse({
    inferenceLog: { uri: 'logs/scores.csv' },
    prometheusUrl: 'http://prometheus.example:9090',
    metrics,
  });
/** A Prometheus that refuses the connection, as fetch reports it. */
const refused = (async () => {
  throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
}) as typeof fetch;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const v1 = rows.filter((r) => r.version === '1.0.0' && r.at <= NOW);

describe('readMetrics over a small log', () => {
  const spec = policy([
    sqlMetric('mean-score', 'SELECT avg(score) AS value, count(*) AS samples FROM inference_log', ['site']),
    sqlMetric(
      'per-site',
      'SELECT site AS segment, avg(score) AS value, count(*) AS samples FROM inference_log GROUP BY site ORDER BY site',
    ),
    sqlMetric(
      'last-five-days',
      'SELECT count(*) AS value, count(*) AS samples FROM inference_log WHERE scored_at >= $now - INTERVAL 5 DAY',
    ),
    {
      name: 'score-psi',
      kind: 'drift',
      source: {
        drift: { statistic: 'psi', column: 'score', baselineWindow: '20d', currentWindow: '10d', bins: 4 },
      },
      direction: 'lower-is-better',
      degradation: 'absolute',
      tiers,
    },
    {
      name: 'score-ks',
      kind: 'drift',
      source: { drift: { statistic: 'ks', column: 'score', baselineWindow: '20d', currentWindow: '10d' } },
      direction: 'lower-is-better',
      degradation: 'absolute',
      segments: ['site'],
      tiers,
    },
    sqlMetric('unknown-column', 'SELECT nope AS value, 1 AS samples FROM inference_log'),
    sqlMetric('writes', "COPY inference_log TO 'out.csv'"),
    sqlMetric('reads-elsewhere', "SELECT count(*) AS value, 1 AS samples FROM read_csv('/etc/passwd')"),
    {
      name: 'error-rate',
      kind: 'performance',
      source: { prometheus: 'sum(rate(errors[5m]))' },
      direction: 'lower-is-better',
      degradation: 'absolute',
      tiers,
    },
  ]);
  let result: Awaited<ReturnType<typeof readMetrics>>;
  beforeAll(async () => {
    result = await readMetrics(spec, {
      baseDir: root,
      version: '1.0.0',
      now: NOW,
      prometheus: { fetch: refused },
    });
  });
  const reading = (metric: string, segment?: string) =>
    result.readings.find((r) => r.metric === metric && r.segment === segment);

  it('reads a sql metric overall and per segment, from the deployed version only', () => {
    const north = v1.filter((r) => r.site === 'north').map((r) => r.score);
    const south = v1.filter((r) => r.site === 'south').map((r) => r.score);
    expect(reading('mean-score')).toEqual({
      metric: 'mean-score',
      value: expect.closeTo(mean(v1.map((r) => r.score)), 12),
      samples: 30,
      at: AT,
    });
    expect(reading('mean-score', 'site=north')).toEqual({
      metric: 'mean-score',
      segment: 'site=north',
      value: expect.closeTo(mean(north), 12),
      samples: 15,
      at: AT,
    });
    expect(reading('mean-score', 'site=south')?.value).toBeCloseTo(mean(south), 12);
    expect(reading('per-site', 'north')).toMatchObject({
      value: expect.closeTo(mean(north), 12),
      samples: 15,
    });
    expect(reading('per-site', 'south')).toMatchObject({
      value: expect.closeTo(mean(south), 12),
      samples: 15,
    });
  });

  it('binds $now to the evaluation time', () => {
    expect(reading('last-five-days')).toMatchObject({ value: 5, samples: 5 });
  });

  it('computes drift in the engine, agreeing with the statistics module over the two windows', () => {
    const current = v1.filter((r) => r.at.getTime() >= NOW.getTime() - 10 * DAY).map((r) => r.score);
    const baseline = v1.filter((r) => r.at.getTime() < NOW.getTime() - 10 * DAY).map((r) => r.score);
    expect(current).toHaveLength(10);
    expect(baseline).toHaveLength(20);
    const none = { missing: 0, nan: 0, outOfRange: 0, unlabelled: 0 };
    // The same definition summed in another order: equal to the last bit or two.
    expect(reading('score-psi')).toEqual({
      metric: 'score-psi',
      value: expect.closeTo(psi(baseline, current, 4)!, 12),
      samples: 10,
      baselineSamples: 20,
      excluded: none,
      at: AT,
    });
    expect(reading('score-ks')).toEqual({
      metric: 'score-ks',
      value: ks(baseline, current),
      samples: 10,
      baselineSamples: 20,
      excluded: none,
      at: AT,
    });
    expect(reading('score-ks')!.value).toBe(1);
    const north = (xs: LogRow[]) => xs.filter((r) => r.site === 'north').map((r) => r.score);
    expect(reading('score-ks', 'site=north')?.value).toBe(
      ks(
        north(v1.filter((r) => r.at.getTime() < NOW.getTime() - 10 * DAY)),
        north(v1.filter((r) => r.at.getTime() >= NOW.getTime() - 10 * DAY)),
      ),
    );
  });

  it('says why each metric it could not read went unread', () => {
    expect(result.unread).toEqual([
      {
        metric: 'error-rate',
        reason: 'PrometheusUnreachable',
        message: 'error-rate: cannot reach Prometheus at http://prometheus.example:9090: ECONNREFUSED',
      },
      {
        metric: 'unknown-column',
        reason: 'QueryFailed',
        message: expect.stringMatching(/^unknown-column: Binder Error: Referenced column "nope" not found/),
      },
      {
        metric: 'writes',
        reason: 'QueryFailed',
        message: expect.stringMatching(/^writes: only a query may run .*; found a COPY statement$/),
      },
      {
        metric: 'reads-elsewhere',
        reason: 'QueryFailed',
        message: expect.stringMatching(/^reads-elsewhere: the query reaches outside the registered files/),
      },
    ]);
  });

  it('reads every version when none is named, never rows after now', async () => {
    const spec1 = policy([
      sqlMetric('rows', 'SELECT count(*) AS value, count(*) AS samples FROM inference_log'),
    ]);
    const all = await readMetrics(spec1, { baseDir: root, now: NOW });
    expect(all.readings).toEqual([{ metric: 'rows', value: 40, samples: 40, at: AT }]);
  });

  it('reads a policy of Prometheus sources without opening the log, or a data directory', async () => {
    const only = surveillancePolicySpec.parse({
      ...spec,
      inferenceLog: undefined,
      metrics: spec.metrics.slice(-1),
    });
    for (const baseDir of ['/nonexistent', undefined]) {
      expect(await readMetrics(only, { baseDir, now: NOW, prometheus: { fetch: refused } })).toMatchObject({
        readings: [],
        unread: [{ metric: 'error-rate', reason: 'PrometheusUnreachable' }],
      });
    }
  });

  it('says NoDataSource for the log metrics when there is no data directory', async () => {
    const noDir = await readMetrics(spec, { now: NOW, prometheus: { fetch: refused } });
    expect(noDir.readings).toEqual([]);
    expect(noDir.unread.map((u) => `${u.metric} ${u.reason}`)).toContain('mean-score NoDataSource');
    expect(noDir.unread.filter((u) => u.reason === 'NoDataSource')).toHaveLength(spec.metrics.length - 1);
  });

  it.each([
    ['a missing log', 'logs/none.csv', 'logs/none.csv: no such file in the governance repository'],
    [
      'a log outside the repository',
      '../scores.csv',
      '../scores.csv: resolves outside the governance repository; data paths must stay inside it',
    ],
    ['a log in an object store', 's3://bucket/log.parquet', /s3:\/\/ is not supported yet$/],
  ])('throws a stalled DataSourceError for %s', async (_, uri, message) => {
    const bad = surveillancePolicySpec.parse({ ...spec, inferenceLog: { uri } });
    const err = await readMetrics(bad, { baseDir: root, now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
    expect((err as Error).message).toMatch(message);
  });

  it('names the column when the log has no version column', async () => {
    const bad = surveillancePolicySpec.parse({
      ...spec,
      inferenceLog: { uri: 'logs/scores.csv', versionColumn: 'model' },
    });
    await expect(readMetrics(bad, { baseDir: root, version: '1.0.0', now: NOW })).rejects.toThrow(
      /^logs\/scores.csv: cannot select the rows by scored_at and model: Binder Error: Referenced column "model" not found/,
    );
  });
});

describe('readMetrics on the readmission policy in SQL and its generated log', () => {
  const spec = SurveillancePolicy.parse(
    parse(readFileSync(path.join(FIXTURES, 'readmission-sql-surveillance.yaml'), 'utf8')),
  ).spec;
  const baseDir = FIXTURES;
  let result: Awaited<ReturnType<typeof readMetrics>>;
  beforeAll(async () => {
    result = await readMetrics(spec, { baseDir, version: '2.3.1', now: NOW });
  });
  const value = (metric: string, segment?: string) =>
    result.readings.find((r) => r.metric === metric && r.segment === segment);

  it('reads every metric, with the numbers the fixed seed gives', () => {
    const overall = result.readings.filter((r) => r.segment === undefined);
    expect(overall.map((r) => [r.metric, r.samples])).toEqual([
      ['auroc', 3551],
      ['expected-calibration-error', 3551],
      ['risk-score-psi', 826],
      ['auroc-subgroup-gap', 3551],
      ['race-not-recorded', 826],
    ]);
    expect(value('auroc')!.value).toBeCloseTo(0.72244080604534, 10);
    expect(value('expected-calibration-error')!.value).toBeCloseTo(0.014347451422134542, 10);
    expect(value('risk-score-psi')!.value).toBeCloseTo(0.07500377882674904, 10);
    expect(value('auroc-subgroup-gap')!.value).toBeCloseTo(0.72244080604534, 10);
    expect(value('race-not-recorded')!.value).toBeCloseTo(16 / 826, 12);
    // Plausible for a readmission model, calibrated, with a visible but modest shift of the score.
    expect(value('auroc')!.value).toBeGreaterThan(0.55);
    expect(value('auroc')!.value).toBeLessThan(0.8);
    expect(value('risk-score-psi')!.value).toBeGreaterThan(0.02);
    expect(value('risk-score-psi')!.value).toBeLessThan(0.1);
  });

  it('reads the subgroup AUROC per race and per age bucket; a subgroup without a readmission has none', () => {
    const segments = result.readings.filter(
      (r) => r.metric === 'auroc-subgroup-gap' && r.segment !== undefined,
    );
    expect(segments.map((r) => r.segment)).toEqual([
      'race=AfricanAmerican',
      'race=Caucasian',
      'race=Hispanic',
      'race=Other',
      'race=(none)',
      'age=[0-10)',
      'age=[10-20)',
      'age=[20-30)',
      'age=[30-40)',
      'age=[40-50)',
      'age=[50-60)',
      'age=[60-70)',
      'age=[70-80)',
      'age=[80-90)',
      'age=[90-100)',
    ]);
    expect(value('auroc-subgroup-gap', 'race=AfricanAmerican')).toMatchObject({
      value: expect.closeTo(0.7214273174157303, 10),
      samples: 808,
    });
    expect(value('auroc-subgroup-gap', 'age=[70-80)')).toMatchObject({
      value: expect.closeTo(0.7047599854379031, 10),
      samples: 928,
    });
    expect(result.unread).toEqual([
      {
        metric: 'auroc-subgroup-gap',
        segment: 'race=Asian',
        reason: 'NoData',
        message: 'auroc-subgroup-gap (race=Asian): no value (16 samples)',
      },
    ]);
  });

  it('agrees with AUROC, ECE and PSI computed here from the CSV itself', () => {
    const [header, ...lines] = readFileSync(path.join(baseDir, 'readmission-inference-log.csv'), 'utf8')
      .trim()
      .split('\n');
    const cols = header!.split(',');
    const log = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
    const t = (r: Record<string, string>) => Date.parse(r.scored_at!);
    const prod = log.filter((r) => r.model_version === '2.3.1');
    const window = prod.filter(
      (r) => r.readmitted !== '' && t(r) >= NOW.getTime() - 120 * DAY && t(r) < NOW.getTime() - 31 * DAY,
    );
    const scored = window.map((r) => ({ s: Number(r.risk_score), y: r.readmitted === '<30' }));
    // AUROC by its definition: over all pairs of a positive and a negative, the share ranked right, ties half.
    const pos = scored.filter((r) => r.y).map((r) => r.s);
    const neg = scored
      .filter((r) => !r.y)
      .map((r) => r.s)
      .sort((a, b) => a - b);
    let wins = 0;
    for (const p of pos) {
      let lo = 0;
      while (lo < neg.length && neg[lo]! < p) lo++;
      let eq = lo;
      while (eq < neg.length && neg[eq] === p) eq++;
      wins += lo + (eq - lo) / 2;
    }
    expect(value('auroc')!.value).toBeCloseTo(wins / (pos.length * neg.length), 12);
    // ECE over ten bins of the score.
    const bins = new Map<number, { p: number; o: number; n: number }>();
    for (const r of scored) {
      const b = Math.min(Math.floor(r.s * 10), 9);
      const bin = bins.get(b) ?? { p: 0, o: 0, n: 0 };
      bins.set(b, { p: bin.p + r.s, o: bin.o + (r.y ? 1 : 0), n: bin.n + 1 });
    }
    const ece = [...bins.values()].reduce((sum, b) => sum + Math.abs(b.p - b.o), 0) / scored.length;
    expect(value('expected-calibration-error')!.value).toBeCloseTo(ece, 12);
    const split = NOW.getTime() - 14 * DAY;
    const baseline = prod
      .filter((r) => t(r) < split && t(r) >= split - 90 * DAY)
      .map((r) => Number(r.risk_score));
    const current = prod.filter((r) => t(r) >= split).map((r) => Number(r.risk_score));
    expect(value('risk-score-psi')!.value).toBeCloseTo(psi(baseline, current, 10)!, 12);
  });

  it('mixes in the candidate scoring in silent mode when no version is named', async () => {
    const mixed = await readMetrics(spec, { baseDir, now: NOW });
    const psiOf = (r: typeof mixed) => r.readings.find((x) => x.metric === 'risk-score-psi')!;
    expect(psiOf(mixed).samples).toBe(2 * 826);
    expect(psiOf(mixed).value).not.toBeCloseTo(value('risk-score-psi')!.value, 6);
  });
});
