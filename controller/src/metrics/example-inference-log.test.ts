import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  EXAMPLE_LOG_OPTIONS,
  generateInferenceLog,
  inferenceLogCsv,
  plattFit,
  type SourceEncounter,
  seededRandom,
} from './example-inference-log.js';
import { loadSourceEncounters } from './example-log-source.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const LOG = path.join(REPO, 'test', 'fixtures', 'surveillance', 'readmission-inference-log.csv');
const SAMPLE = path.join(REPO, 'examples', 'data', 'uci-diabetes-130', 'encounters-sample.csv');
const DAY = 86_400_000;

/** Made-up encounters, enough for the generator to fit and shift. */
const encounters: SourceEncounter[] = Array.from({ length: 400 }, (_, i) => ({
  encounter_id: 1000 + i,
  race: i % 9 === 0 ? null : i % 3 === 0 ? 'AfricanAmerican' : 'Caucasian',
  age: `[${(i % 9) * 10}-${(i % 9) * 10 + 10})`,
  admission_source_id: [1, 7, 4][i % 3]!,
  discharge_disposition_id: [1, 3, 6][i % 3]!,
  time_in_hospital: 1 + (i % 14),
  number_outpatient: i % 4,
  number_emergency: i % 3,
  number_inpatient: i % 5,
  number_diagnoses: 1 + (i % 9),
  readmitted: i % 8 === 0 ? '<30' : i % 3 === 0 ? '>30' : 'NO',
}));

describe('generateInferenceLog', () => {
  const rows = generateInferenceLog(encounters);
  const { end, days } = EXAMPLE_LOG_OPTIONS;

  it('is the same every time', () => {
    expect(inferenceLogCsv(generateInferenceLog(encounters))).toBe(inferenceLogCsv(rows));
    expect(seededRandom(7)()).toBe(seededRandom(7)());
  });

  it('scores every encounter with production, within the period, and the last 21 days with the candidate too', () => {
    const prod = rows.filter((r) => r.model_version === '2.3.1');
    const candidate = rows.filter((r) => r.model_version === '2.4.0');
    expect(prod).toHaveLength(encounters.length);
    expect(candidate.length).toBeGreaterThan(0);
    for (const r of rows) {
      const t = Date.parse(r.scored_at);
      expect(t).toBeGreaterThanOrEqual(end.getTime() - days * DAY);
      expect(t).toBeLessThan(end.getTime());
      expect(r.risk_score).toBeGreaterThan(0);
      expect(r.risk_score).toBeLessThan(1);
    }
    expect(Math.min(...candidate.map((r) => Date.parse(r.scored_at)))).toBeGreaterThanOrEqual(
      end.getTime() - 21 * DAY,
    );
  });

  it('leaves the outcome of the last 30 days empty, and keeps it before', () => {
    for (const r of rows) {
      const recent = Date.parse(r.scored_at) >= end.getTime() - 30 * DAY;
      expect(r.readmitted === null).toBe(recent);
    }
  });

  it('carries no patient number and nothing a CSV would need to quote', () => {
    const csv = inferenceLogCsv(rows);
    expect(csv.split('\n')[0]).toBe(
      'encounter_id,scored_at,model_version,risk_score,readmitted,race,age,admission_source_id',
    );
    expect(csv).not.toMatch(/patient/);
    expect(csv).not.toContain('"');
    for (const line of csv.trim().split('\n')) expect(line.split(',')).toHaveLength(8);
  });
});

describe('plattFit', () => {
  it('recovers the slope and intercept the outcomes were drawn with', () => {
    const random = seededRandom(11);
    const xs = Array.from({ length: 20_000 }, () => random() * 6 - 3);
    const ys = xs.map((x) => random() < 1 / (1 + Math.exp(-(1.5 * x - 2))));
    const { a, b } = plattFit(xs, ys);
    expect(a).toBeCloseTo(1.5, 1);
    expect(b).toBeCloseTo(-2, 1);
  });
});

describe('the committed example log', () => {
  it('is small enough to diff', () => {
    expect(statSync(LOG).size).toBeLessThan(1_000_000);
  });

  it('is what the generator makes from the UCI sample, byte for byte', async () => {
    const source = await loadSourceEncounters(SAMPLE);
    expect(source).toHaveLength(5399);
    expect(inferenceLogCsv(generateInferenceLog(source))).toBe(readFileSync(LOG, 'utf8'));
  });
});
