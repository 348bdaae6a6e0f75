// The simulator: deterministic for a seed, nothing after `now`, outcomes that mature, generated ids; its logs
// written through DuckDB read back row for row; and each example policy, over a fresh log, is read in full and
// reaches no tier, while the readmission drift walks the score's PSI through notify, review and rollback.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { surveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import { withEngine } from '../data/engine.js';
import { decideSurveillanceStatus } from '../kinds/surveillancepolicy/status.js';
import { loadYamlFiles } from '../yaml/index.js';
import { readMetrics } from './inference-log.js';
import { DAY_MS, loadSample, type SampleEncounter, simulate, writeLog } from './simulate.js';
import { PROFILES, profileOf, READMISSION_DRIFT } from './simulate-profiles.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const EXAMPLES = path.join(ROOT, 'examples');
const NOW = new Date('2026-12-01T09:30:00Z');

let sample: SampleEncounter[];
let dir: string;
beforeAll(async () => {
  sample = await loadSample(path.join(EXAMPLES, 'data/uci-diabetes-130/encounters-sample.csv'));
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-simulate-'));
  cpSync(EXAMPLES, dir, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readmission = profileOf('readmission-risk')!;

describe('simulate', () => {
  it('reads the 5,399 encounters of the UCI sample, "?" as missing', () => {
    expect(sample).toHaveLength(5399);
    expect(sample.filter((e) => e.race === null)).toHaveLength(109);
  });

  it('makes the same rows for the same seed, and others for another seed', () => {
    const a = simulate(readmission, sample, { now: NOW, days: 20, seed: 7 });
    const b = simulate(readmission, sample, { now: NOW, days: 20, seed: 7 });
    const c = simulate(readmission, sample, { now: NOW, days: 20, seed: 8 });
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(1000);
    expect(c.map((r) => r.risk_score)).not.toEqual(a.map((r) => r.risk_score));
  });

  it('writes rows up to now only, with generated ids and outcomes only once they have matured', () => {
    const rows = simulate(readmission, sample, { now: NOW, days: 60, seed: 1 });
    const at = (r: (typeof rows)[number]) => Date.parse(String(r.scored_at));
    expect(rows.every((r) => at(r) <= NOW.getTime() && at(r) > NOW.getTime() - 60 * DAY_MS)).toBe(true);
    expect(rows.every((r) => /^ENC-\d{7}$/.test(String(r.encounter_id)))).toBe(true);
    const production = rows.filter((r) => r.model_version === '2.3.1');
    expect(new Set(production.map((r) => r.encounter_id)).size).toBe(production.length);
    // Outcomes are known 30 to 35 days after discharge: none in the last 30 days, all before the last 35.
    const recent = rows.filter((r) => at(r) > NOW.getTime() - 30 * DAY_MS);
    const old = rows.filter((r) => at(r) < NOW.getTime() - 35 * DAY_MS);
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.every((r) => r.readmitted === null && r.outcome_recorded_at === null)).toBe(true);
    expect(old.length).toBeGreaterThan(0);
    expect(old.every((r) => ['NO', '<30', '>30'].includes(String(r.readmitted)))).toBe(true);
    // 2.4.0 scores the last 21 days in silent mode; care managers override 2.3.1's scores only.
    const silent = rows.filter((r) => r.model_version === '2.4.0');
    expect(silent.length).toBeGreaterThan(0);
    expect(silent.every((r) => at(r) >= NOW.getTime() - 21 * DAY_MS)).toBe(true);
    expect(silent.every((r) => r.care_manager_override === null && r.stage === 'silent')).toBe(true);
    // ... on the same discharges as production, which they share an id with.
    const ids = new Set(production.map((r) => r.encounter_id));
    expect(silent.every((r) => ids.has(r.encounter_id))).toBe(true);
    const overrides = production.filter((r) => r.care_manager_override === true).length;
    expect(overrides / production.length).toBeGreaterThan(0.02);
    expect(overrides / production.length).toBeLessThan(0.08);
  });

  it('writes CSV and Parquet through DuckDB that read back row for row', async () => {
    for (const profile of PROFILES) {
      const rows = simulate(profile, sample, { now: NOW, days: 10, seed: 3 });
      for (const format of ['csv', 'parquet'] as const) {
        const file = path.join(dir, 'roundtrip', `${profile.useCase}.${format}`);
        await writeLog(profile, rows, file, format);
        const back = await withEngine(path.dirname(file), async (engine) => {
          await engine.register('log', path.basename(file));
          return engine.query(
            `SELECT count(*) AS n, count(DISTINCT ("${profile.idColumn}", "${profile.versionColumn}")) AS ids, max(CAST("${profile.timestampColumn}" AS TIMESTAMPTZ)) AS last FROM log`,
          );
        });
        expect(back[0]!.n).toBe(rows.length);
        expect(back[0]!.ids).toBe(rows.length);
        expect(new Date(back[0]!.last as string | Date).getTime()).toBeLessThanOrEqual(NOW.getTime());
      }
    }
    const header = readFileSync(path.join(dir, 'roundtrip', 'readmission-risk.csv'), 'utf8').split('\n')[0];
    expect(header).toBe(
      'encounter_id,scored_at,model_version,stage,risk_score,readmitted,outcome_recorded_at,race,gender,age,admission_source_id,time_in_hospital,number_inpatient,care_manager_override',
    );
  });
});

/** The example policy of a profile, evaluated once over a log written to where it reads. */
async function evaluate(useCase: string, options: { now: Date; driftFrom?: number; driftStrength?: number }) {
  const profile = profileOf(useCase)!;
  await writeLog(
    profile,
    simulate(profile, sample, { days: 150, seed: 1, ...options }),
    path.join(dir, profile.file),
    profile.format,
  );
  const loaded = await loadYamlFiles([path.join(EXAMPLES, profile.namespace)]);
  const doc = loaded.documents.find((d) => (d.value as { kind?: string }).kind === 'SurveillancePolicy')!
    .value as { metadata: { name: string }; spec: unknown };
  expect(doc.metadata.name).toBe(profile.policy);
  const spec = surveillancePolicySpec.parse(doc.spec);
  const read = await readMetrics(spec, { baseDir: dir, now: options.now });
  const decision = decideSurveillanceStatus(spec, read.readings, undefined, options.now, [useCase]);
  return { spec, read, decision };
}

describe('the example policies over fresh logs', () => {
  for (const profile of PROFILES) {
    it(`${profile.policy} reads a value for every metric and reaches no tier`, async () => {
      for (const now of [NOW, new Date(NOW.getTime() + 3.5 * DAY_MS)]) {
        const { spec, read, decision } = await evaluate(profile.useCase, { now });
        expect(read.unread).toEqual([]);
        const overall = new Set(read.readings.filter((r) => r.segment === undefined).map((r) => r.metric));
        expect([...overall].sort()).toEqual(spec.metrics.map((m) => m.name).sort());
        expect(decision.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
        expect(decision.status.worstTier).toBe('none');
        // Every overall reading reaches its minSamples, so each is judged.
        expect(
          decision.status.metrics?.filter((m) => m.segment === undefined).every((m) => m.tier === 'none'),
        ).toBe(true);
      }
    }, 120_000);
  }

  it("walks readmission's score drift through notify, review and rollback as the drift grows", async () => {
    const days = 150;
    const tiers: string[] = [];
    for (const strength of READMISSION_DRIFT.steps) {
      const { decision } = await evaluate('readmission-risk', {
        now: NOW,
        driftFrom: days - READMISSION_DRIFT.days,
        driftStrength: strength,
      });
      const worst = decision.status.worstTier;
      tiers.push(worst ?? 'unjudged');
      // The metrics of outcomes not matured yet do not move: only drift and overrides do.
      const auroc = decision.status.metrics?.find((m) => m.name === 'auroc' && m.segment === undefined);
      expect(auroc?.tier).toBe('none');
    }
    expect(tiers).toEqual(['notify', 'review', 'rollback']);
  }, 120_000);
});
